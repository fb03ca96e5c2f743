"""Pipelines: a CI pipeline's IAM user that may do one thing, assume its role, and that role, whose trust names
only that user and which holds the pipeline's real permissions with short sessions. Or, where the CI
can prove who it is (GitHub Actions' OIDC tokens), the role alone, trusted by the CI's identity provider for one
repository (and ref), and no long-lived key at all.

In the users file:

    pipelines:
      deploy-web:
        account: DEV                       # the environment whose account holds the role
        role_policy: policies/deploy.json  # the role's permissions (relative to users.yaml)
        max_session: 3600                  # optional: the role's MaxSessionDuration (3600 to 43200, default 3600)
      release-api:
        account: PROD
        role_policy: policies/release.json
        github_oidc: acme/api:main         # optional: no user, no key; GitHub Actions of acme/api on main only

The user ``pipeline-NAME`` lives in the users account with the humans (no console password, no MFA, no group),
its one inline policy allowing ``sts:AssumeRole`` on exactly ``arn:aws:iam::ENV:role/pipeline-NAME``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from bootstrap import arns
from bootstrap.errors import InputError
from bootstrap.org.users_file import ENV_KEY, Where, as_mapping, entry_fields, line_of

SECTION: Final = "pipelines"
PREFIX: Final = "pipeline-"
NAME: Final = re.compile(r"[A-Za-z0-9+=,.@_-]{1,55}")  # IAM's 64 characters, less the prefix
SESSION_DEFAULT: Final = 3600  # IAM's shortest MaxSessionDuration: sessions are short
SESSION_MIN: Final = 3600
SESSION_MAX: Final = 43_200
FIELDS: Final = ("account", "role_policy", "max_session", "github_oidc")
USER_POLICY: Final = "AssumeItsRoleOnly"
ROLE_POLICY: Final = "PipelinePermissions"
TAG: Final = "aws-iam-bootstrap:pipeline"

GITHUB_HOST: Final = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE: Final = "sts.amazonaws.com"
# GitHub's certificate thumbprints: IAM no longer checks them for GitHub (it trusts GitHub's CA itself), but
# CreateOpenIDConnectProvider and older CloudFormation want at least one.
GITHUB_THUMBPRINTS: Final = ("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class GithubSubject:
    """Which GitHub Actions runs may assume the role: a repository and, optionally, one ref, environment or pull
    requests. ``claim`` is the ``sub`` of their OIDC tokens (a pattern when any ref is allowed)."""

    repository: str  # OWNER/REPO
    ref: str | None = None  # "ref:refs/heads/main", "environment:prod", "pull_request"; None: any

    @property
    def claim(self) -> str:
        return f"repo:{self.repository}:{self.ref if self.ref is not None else '*'}"

    @property
    def text(self) -> str:
        """As written in the users file."""
        return self.repository if self.ref is None else f"{self.repository}:{self.ref}"

    @property
    def words(self) -> str:
        if self.ref is None:
            return f"GitHub Actions of {self.repository} (any branch, tag, environment or pull request)"
        return f"GitHub Actions of {self.repository} on {self.ref.removeprefix('ref:')}"


def parse_github(text: str) -> GithubSubject:
    """``OWNER/REPO``, ``OWNER/REPO:main`` (a branch), ``OWNER/REPO:refs/tags/v1``, ``OWNER/REPO:environment:prod``
    or ``OWNER/REPO:pull_request`` (``InputError`` otherwise)."""
    repository, _, ref = text.strip().partition(":")
    if not _REPOSITORY.fullmatch(repository):
        raise InputError(f"github_oidc {text!r}: expected OWNER/REPO[:ref], such as acme/web:main")
    if not ref:
        return GithubSubject(repository)
    if "*" in ref or "?" in ref:
        raise InputError(f"github_oidc {text!r}: name one ref (or none for any), not a pattern")
    if ref.startswith(("environment:", "ref:")) or ref == "pull_request":
        return GithubSubject(repository, ref)
    if ref.startswith("refs/"):
        return GithubSubject(repository, f"ref:{ref}")
    return GithubSubject(repository, f"ref:refs/heads/{ref}")


@dataclass(frozen=True)
class PipelineEntry:
    """One pipeline as the users file states it (its policy file not read yet)."""

    name: str
    account: str
    role_policy: str  # a path, relative to the users file
    max_session: int
    github: GithubSubject | None
    at: Where
    where: Mapping[str, Where] = field(default_factory=dict)


@dataclass(frozen=True)
class Pipeline:
    """A pipeline of the organisation, its role policy read (as canonical JSON text, so the value stays
    comparable and hashable)."""

    name: str
    env: str
    role_policy_file: str
    role_policy_text: str
    max_session: int = SESSION_DEFAULT
    github: GithubSubject | None = None

    @property
    def user_name(self) -> str:
        return PREFIX + self.name

    @property
    def role_name(self) -> str:
        return PREFIX + self.name

    @cached_property
    def role_policy(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.role_policy_text)
        return document

    @property
    def has_user(self) -> bool:
        """GitHub OIDC pipelines have no user and no key."""
        return self.github is None


def word(name: str) -> str:
    """``deploy-web`` -> ``DeployWeb``: a name in a CloudFormation logical id (letters and digits only)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


# --- documents ------------------------------------------------------------------------------------------------------


def user_policy(role_arn: str) -> dict[str, Any]:
    """The pipeline user's only policy: assume its role, that one ARN."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AssumeItsRoleOnly", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}
        ],
    }


def github_provider_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_HOST}"


def trust(pipeline: Pipeline, users_account: str, role_account: str) -> dict[str, Any]:
    """The role's trust: only the pipeline's user (no MFA: a pipeline has none), or only GitHub's OIDC tokens for
    its repository (``aud`` and ``sub`` both required)."""
    if pipeline.github is None:
        statement: dict[str, Any] = {
            "Sid": "OnlyItsPipelineUser",
            "Effect": "Allow",
            "Principal": {"AWS": arns.user(users_account, pipeline.user_name)},
            "Action": "sts:AssumeRole",
        }
    else:
        claim = pipeline.github.claim
        condition: dict[str, dict[str, str]] = {"StringEquals": {f"{GITHUB_HOST}:aud": GITHUB_AUDIENCE}}
        # one operator block per operator: a second "StringEquals" key would replace the first (and drop aud)
        condition.setdefault("StringLike" if "*" in claim else "StringEquals", {})[f"{GITHUB_HOST}:sub"] = claim
        statement = {
            "Sid": "OnlyItsGithubWorkflows",
            "Effect": "Allow",
            "Principal": {"Federated": github_provider_arn(role_account)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    return {"Version": "2012-10-17", "Statement": [statement]}


# --- the users file's section ---------------------------------------------------------------------------------------


def read_section(value: Any, at: Where) -> tuple[PipelineEntry, ...]:
    """``pipelines:`` of the users file (each mistake named by file and line)."""
    entries = as_mapping(value, at, "'pipelines'")
    found: list[PipelineEntry] = []
    seen: dict[str, str] = {}
    for name, spec in entries.items():
        where = Where(at.source, line_of(entries, name))
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise InputError(
                f"{where}: pipeline {name!r}: a name of 1-55 letters, digits and +=,.@_- (its user and role are "
                f"{PREFIX}NAME, within IAM's 64 characters)"
            )
        key = word(name).lower()
        if key in seen:
            raise InputError(f"{where}: pipelines {name!r} and {seen[key]!r} would have the same CloudFormation name")
        seen[key] = name
        found.append(_entry(name, spec, where))
    return tuple(found)


def _entry(name: str, spec: Any, at: Where) -> PipelineEntry:
    values, where = entry_fields(spec, at, f"pipeline {name}", FIELDS)
    account = values.get("account")
    if not isinstance(account, str) or not ENV_KEY.fullmatch(account):
        line = where.get("account", at)
        raise InputError(f"{line}: pipeline {name}: account must be an environment of CONST.inc, such as DEV")
    policy = values.get("role_policy")
    if not isinstance(policy, str) or not policy.strip():
        line = where.get("role_policy", at)
        raise InputError(f"{line}: pipeline {name}: role_policy must name a JSON policy file (its permissions)")
    session = values.get("max_session", SESSION_DEFAULT)
    if isinstance(session, bool) or not isinstance(session, int) or not SESSION_MIN <= session <= SESSION_MAX:
        line = where.get("max_session", at)
        raise InputError(
            f"{line}: pipeline {name}: max_session must be a whole number of seconds from {SESSION_MIN} to "
            f"{SESSION_MAX} (IAM's MaxSessionDuration), not {session!r}"
        )
    github = None
    if values.get("github_oidc") is not None:
        try:
            github = parse_github(str(values["github_oidc"]))
        except InputError as exc:
            raise InputError(f"{where['github_oidc']}: pipeline {name}: {exc.message}") from None
    return PipelineEntry(name, account, policy, session, github, at, where)


def read_policy(text: str, source: str) -> str:
    """A policy file's document as canonical JSON text (``InputError`` naming the file and line)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), list | dict):
        raise InputError(f"{source}: not an IAM policy (a JSON object with a Statement)")
    return json.dumps(document, separators=(",", ":"))  # the author's order: templates show it as written
