"""What each `pipeline` command does, read top to bottom (the click layer parses and prints; these read the files,
plan, change and report events). The users file is edited first, as ``org add-user`` does, so a re-run finishes an
interrupted one; then the accounts are applied; then the key is handed over, once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bootstrap.clock import Clock
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError
from bootstrap.org import load, pipeline_keys, pipeline_snippet, pipelines, workflow
from bootstrap.org.accounts import Access
from bootstrap.org.model import USERS_ENV, Organisation
from bootstrap.org.pipeline_proof import Proof
from bootstrap.org.pipelines import GithubSubject, Pipeline

Sink = Callable[[object], None]


@dataclass(frozen=True)
class KeyHandedOver:
    """Where a pipeline's key went (never the key itself, unless ``path`` is None: --print-secrets)."""

    pipeline: str
    path: Path | None
    handover: pipeline_keys.KeyHandover


@dataclass(frozen=True)
class AlreadyHandedOver:
    pipeline: str


def find(org: Organisation, name: str) -> Pipeline:
    found = org.pipeline(name)
    if found is None:
        known = ", ".join(p.name for p in org.pipelines) or "none"
        raise InputError(f"no pipeline {name!r} in the users file (known: {known}); `pipeline create` adds one")
    return found


def create_edit(
    org: Organisation,
    sources: load.Sources,
    name: str,
    env: str,
    role_policy: Path,
    max_session: int,
    github: GithubSubject | None,
) -> workflow.Edit:
    """The users-file edit that adds the pipeline; a no-op when it is there exactly so (a re-run), refused when it
    is there otherwise (edit users.yaml and `org apply` to change a pipeline)."""
    if not pipelines.NAME.fullmatch(name):
        raise InputError(f"{name!r}: a pipeline name is 1-55 letters, digits and +=,.@_-")
    org.account(env)  # an environment CONST.inc knows
    base = sources.users_file.parent.resolve()
    given = role_policy.resolve()
    if not given.is_file():
        raise InputError(f"--role-policy {role_policy}: no such file")
    stored = Path(os.path.relpath(given, base)).as_posix() if given.is_relative_to(base) else str(given)
    fields: dict[str, object] = {"account": env, "role_policy": stored}
    if max_session != pipelines.SESSION_DEFAULT:
        fields["max_session"] = max_session
    if github is not None:
        fields["github_oidc"] = github.text
    existing = org.pipeline(name)
    if existing is None:
        return lambda editor: editor.set_entry(pipelines.SECTION, name, fields)
    same = (
        existing.env == env
        and existing.role_policy_text == pipelines.read_policy(given.read_text(encoding="utf-8"), str(given))
        and existing.max_session == max_session
        and existing.github == github
    )
    if not same:
        raise InputError(
            f"pipeline {name} is already in the users file, set otherwise: edit its entry there and run `org apply`"
        )
    return lambda editor: None


def envs_of(pipeline: Pipeline) -> list[str]:
    """The accounts a pipeline lives in: its user's (USERS, unless GitHub OIDC) and its role's."""
    return [USERS_ENV, pipeline.env] if pipeline.has_user else [pipeline.env]


def key_handover(
    org: Organisation, pipeline: Pipeline, key: Credentials, replaces: str | None = None
) -> pipeline_keys.KeyHandover:
    return pipeline_keys.KeyHandover(
        pipeline.name,
        pipeline.user_name,
        org.users_account_id,
        key,
        pipeline_snippet.secret_names(pipeline),
        pipeline_snippet.text(org, pipeline),
        replaces,
    )


def _write(handover: pipeline_keys.KeyHandover, to: Path | None) -> None:
    if to is not None:
        from bootstrap.awsfiles.safewrite import private_dir, write_private

        private_dir(to.parent)
        write_private(to, handover.text(), backup=False)


def hand_over(org: Organisation, users: Access, pipeline: Pipeline, on_event: Sink, *, to: Path | None) -> None:
    """The pipeline's first key, once: to ``to`` (0600), or to the printer (``to`` None: --print-secrets)."""
    from bootstrap.org import people

    iam = users.client("iam")
    if not people.pending(iam, pipeline.user_name):
        on_event(AlreadyHandedOver(pipeline.name))
        return
    handover = key_handover(org, pipeline, pipeline_keys.first_key(iam, pipeline.user_name))
    _write(handover, to)
    on_event(KeyHandedOver(pipeline.name, to, handover))
    people.handed_over(iam, pipeline.user_name)


def rotate(
    org: Organisation, users: Access, pipeline: Pipeline, on_event: Sink, *, to: Path | None, force: bool
) -> pipeline_keys.Rotation:
    """``pipeline_keys.rotate``, its new key written to ``to`` (0600) or given to the printer."""
    from bootstrap.org import pipeline_live

    if not pipeline.has_user:
        raise InputError(f"pipeline {pipeline.name} uses GitHub's OIDC tokens: it has no key to rotate")
    iam = users.client("iam")
    for left in pipeline_live.clean_probe_keys(iam, pipeline.user_name):
        on_event(pipeline_keys.Step(f"deleted {left}, a probe key an interrupted `pipeline check` left"))

    def write(key: Credentials, old: str) -> pipeline_keys.KeyHandover:
        handover = key_handover(org, pipeline, key, replaces=old)
        _write(handover, to)
        on_event(KeyHandedOver(pipeline.name, to, handover))
        return handover

    return pipeline_keys.rotate(iam, pipeline.user_name, write, on_event, force=force)


@dataclass(frozen=True)
class Report:
    pipeline: str
    proofs: tuple[Proof, ...]
    seconds: Mapping[str, float]  # how long each part took

    @property
    def holds(self) -> bool:
        return all(p.holds for p in self.proofs)

    def as_json(self) -> dict[str, object]:
        return {
            "pipeline": self.pipeline,
            "holds": self.holds,
            "seconds": dict(self.seconds),
            "proofs": [
                {
                    "key": p.key,
                    "title": p.title,
                    "holds": p.holds,
                    "lines": [{"ok": line.ok, "text": line.text} for line in p.lines],
                    **({"data": dict(p.data)} if p.data else {}),
                }
                for p in self.proofs
            ],
        }


def check(
    org: Organisation,
    pipeline: Pipeline,
    access: Mapping[str, Access] | None,
    *,
    clock: Clock | None = None,
) -> Report:
    """The four proofs; ``access`` None: the three pure ones, on the rendered model (--offline)."""
    import time

    from bootstrap.org import pipeline_live, pipeline_proof

    started = time.perf_counter()
    if access is None:
        found = pipeline_proof.rendered(org, pipeline)
    else:
        users_iam = access[USERS_ENV].client("iam") if USERS_ENV in access else access[pipeline.env].client("iam")
        found = pipeline_live.read(org, pipeline, users_iam, access[pipeline.env].client("iam"))
    read = time.perf_counter()
    proofs = pipeline_proof.prove(org, pipeline, found)
    proved = time.perf_counter()
    seconds = {"read": read - started, "proofs": proved - read}
    if access is not None:
        proofs.append(pipeline_live.live(org, pipeline, access, found, clock=clock))
        seconds["live"] = time.perf_counter() - proved
    return Report(pipeline.name, tuple(proofs), seconds)
