"""``render``: CONST.inc and the two templates become profiles merged into the user's AWS files.

Values come from the names the tool supplies (flags, or what the user's files already hold), then ``--set``, then
CONST.inc. Everything is checked before anything is written: every missing placeholder at once, every value that
would inject a line, every role ARN, region and ``source_profile``, and the rendered text through the same
parser botocore uses. The merge and the write belong to ``awsfiles``.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from bootstrap import arns
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError, NeedsAnswer
from bootstrap.team import recover
from bootstrap.team.const import (
    FLAGS,
    PROFILE_NAME,
    REGION,
    RESERVED_NAMES,
    SUPPLIED_NAMES,
    Variables,
    check_single_line,
    load_const,
)
from bootstrap.team.templates import Template, check_defined, only_printed, placeholders
from bootstrap.team.templates import render as render_template

if TYPE_CHECKING:
    from bootstrap.awsfiles.change import FileChange
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.prompts import Prompter
    from bootstrap.team import render_record
    from bootstrap.team.inputs import RenderInputs


# Each supplied name (its flag is variables.FLAGS): what a valid value looks like, and how to ask for it.
_FORMATS: Final = {
    "AWS_USER": (re.compile(r"[\w+=,.@-]{1,64}", re.ASCII), "an IAM user name"),
    "AWS_ACCOUNT_NAME": (PROFILE_NAME, "a profile name (letters, digits and _+=,.@-)"),
    "AWS_ACCESS_KEY_ID": (re.compile(r"[A-Z0-9]{16,128}"), "an access key id (like AKIA followed by 16 characters)"),
    "AWS_SECRET_ACCESS_KEY": (re.compile(r"[\x21-\x7e]{16,}"), "a secret access key (40 characters, no spaces)"),
    "AWS_MFA_SERIAL": (re.compile(r"[\w+=/:,.@-]{9,256}", re.ASCII), "an MFA serial (arn:aws:iam::ACCOUNT:mfa/NAME)"),
}
_QUESTIONS: Final = {
    "AWS_USER": "Your IAM user name",
    "AWS_ACCOUNT_NAME": "The account name of your own profile",
    "AWS_ACCESS_KEY_ID": "Your access key id",
    "AWS_SECRET_ACCESS_KEY": "Your secret access key",
    "AWS_MFA_SERIAL": "Your MFA device serial (arn:aws:iam::ACCOUNT:mfa/NAME)",
}


@dataclass(frozen=True)
class Supplied:
    """What the engineer gave on the command line (``extra`` is ``--set NAME=VALUE``)."""

    user: str | None = None
    account_name: str | None = None
    credentials: Credentials | None = None
    mfa_serial: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderResult:
    config: FileChange
    credentials: FileChange
    # Supplied names taken from the user's existing files (so a re-render never asks for the secret again).
    recovered: tuple[str, ...] = ()
    # What the engineer should know and the tool will not decide for them (a credential_process that cannot run).
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.config.changed or self.credentials.changed)


def render(
    inputs: RenderInputs,
    supplied: Supplied,
    paths: AwsPaths,
    *,
    prune: bool = False,
    dry_run: bool = False,
    prompter: Prompter | None = None,
) -> RenderResult:
    """Render the templates and merge them into the AWS files (nothing written when anything is wrong).

    A supplied name the templates use but nobody gave is taken from the user's existing files (where the templates
    put it, or the long-term profile); failing that ``prompter`` asks for it, or, without one, ``NeedsAnswer``
    lists every missing name with its flag.
    """
    from bootstrap.team import render_record

    # Nothing changed since the last render (inputs, files, ledgers): its answer, without rendering.
    snapshot = None
    if supplied.credentials is None:
        snapshot = _snapshot(inputs, supplied, paths, prune)
        if snapshot is not None and (kept := render_record.matching(paths, snapshot)) is not None:
            return _unchanged(paths, snapshot, kept)

    from bootstrap.awsfiles import store
    from bootstrap.awsfiles.profiles import load_profiles

    variables = load_const(inputs.const_file, overrides=supplied.extra)
    templates = (
        Template.load(inputs.config_template, flag="--config-template"),
        Template.load(inputs.credentials_template, flag="--credentials-template"),
    )
    objects: dict[str, object] = {"accounts": variables.accounts, "roles": variables.roles}
    check_defined(templates, [*variables.values, *SUPPLIED_NAMES, *RESERVED_NAMES])

    given = _given(supplied, variables)
    needed = {p.name for t in templates for p in placeholders(t)} & set(SUPPLIED_NAMES)
    absent = sorted(needed - given.keys(), key=SUPPLIED_NAMES.index)
    # The user's profiles, parsed only when needed (apply_rendered reads the files again, under the lock, to merge):
    # to take back a missing name, or to find a source_profile the templates do not render themselves.
    existing = functools.cache(functools.partial(load_profiles, paths))
    recovered: tuple[str, ...] = ()
    base: dict[str, object] = {**variables.values, **given, **objects, "AWS_IAM_BOOTSTRAP": tool_command()}
    # Each missing name rendered as a marker first: where a marker lands, the user's files hold the value.
    markers = recover.markers(absent)
    marked = recover.render_marked(templates, {**base, **markers}) if absent else (None, None)
    if absent:
        found = recover.recover(absent, given, markers, templates, marked, existing(), _valid)
        given.update(found)
        if "AWS_USER" in absent and "AWS_USER" not in given and (user := arns.user_of_mfa(given.get("AWS_MFA_SERIAL"))):
            given["AWS_USER"] = user
            if "AWS_MFA_SERIAL" in found:
                found["AWS_USER"] = user
        recovered = tuple(name for name in SUPPLIED_NAMES if name in found)
        absent = [name for name in absent if name not in given]
    if absent:
        given.update(_ask(absent, prompter))
        # What was typed is in the files once written: the next render takes it back, and says so. Its record is
        # for that render to write.
        snapshot = None
    secret = given.get("AWS_SECRET_ACCESS_KEY")
    if secret is not None:
        Credentials(given.get("AWS_ACCESS_KEY_ID", ""), secret)  # registers the secret for masking

    context: dict[str, object] = {**base, **given}
    config_text, credentials_text = (
        recover.filled(text, markers, given)
        if text is not None and only_printed(template, markers)
        else render_template(template, context)
        for template, text in zip(templates, marked, strict=True)
    )
    config = _parse_rendered(config_text, templates[0].path, "config")
    credentials = _parse_rendered(credentials_text, templates[1].path, "credentials")
    _check_rendered(config, credentials, existing, templates)

    # A profile the templates give a credential_process loses the MFA session an earlier layout kept for it in the
    # credentials file: the SDKs take static keys first, and the line would never run.
    with_process = sorted(name for name, values in config.items() if values.get("credential_process"))
    config_change, credentials_change = store.apply_rendered(
        paths, config_text, credentials_text, prune=prune, dry_run=dry_run, unshadow=with_process
    )
    warnings = [w for name in with_process if (w := _process_warning(name, config[name]["credential_process"]))]
    for name in with_process:
        held = existing().get(name, {})
        if name in credentials_change.updated and (held.get("aws_session_token") or held.get("aws_security_token")):
            warnings.append(
                f"[{name}] in {paths.credentials}: the MFA session there is removed: the SDKs take static keys before "
                "a credential_process, so it kept the profile's credential_process line from ever running"
            )
    if not dry_run and snapshot is not None:
        processes = {name: config[name]["credential_process"] for name in with_process}
        render_record.save(
            paths, _snapshot(inputs, supplied, paths, prune), render_record.Recorded(recovered, processes)
        )
    return RenderResult(config_change, credentials_change, recovered, tuple(warnings))


def _snapshot(inputs: RenderInputs, supplied: Supplied, paths: AwsPaths, prune: bool) -> render_record.Snapshot | None:
    from bootstrap.team import render_record

    names = {
        "AWS_USER": supplied.user,
        "AWS_ACCOUNT_NAME": supplied.account_name,
        "AWS_MFA_SERIAL": supplied.mfa_serial,
    }
    return render_record.take(
        inputs, paths, names=names, overrides=supplied.extra, tool_command=tool_command(), prune=prune
    )


def _unchanged(paths: AwsPaths, snapshot: render_record.Snapshot, kept: render_record.Recorded) -> RenderResult:
    from bootstrap.awsfiles.change import FileChange

    return RenderResult(
        FileChange(paths.config, "config", snapshot.config_text, snapshot.config_text or ""),
        FileChange(paths.credentials, "credentials", snapshot.credentials_text, snapshot.credentials_text or ""),
        kept.recovered,
        tuple(w for name, line in kept.processes.items() if (w := _process_warning(name, line))),
    )


def tool_command() -> str:
    """How to run this tool from a credential_process line: the absolute path of the installed command (an SDK
    runs the line with its own PATH, which need not include a virtualenv's bin), quoted for botocore's split."""
    beside = Path(sys.executable).with_name("aws-iam-bootstrap")
    found = str(beside) if beside.is_file() else shutil.which("aws-iam-bootstrap")
    return shlex.quote(found) if found else "aws-iam-bootstrap"


def _process_warning(profile: str, line: str) -> str | None:
    """Why a credential_process line will not run where the SDKs run it, or None."""
    try:
        words = shlex.split(line)
    except ValueError:
        return f"[profile {profile}] credential_process cannot be split into words: the SDKs will fail on it"
    program = words[0] if words else ""
    if os.sep in program:
        if not os.access(program, os.X_OK):
            return f"[profile {profile}] credential_process runs {program}, which is not an executable file"
        return None
    if shutil.which(program) is None:
        return (
            f"[profile {profile}] credential_process runs {program!r}, which is not on PATH: the SDKs will fail on "
            "it (write ${AWS_IAM_BOOTSTRAP} in the template for this tool's absolute path)"
        )
    return None


def _check_value(name: str, value: str, source: str) -> str:
    check_single_line(value, source)
    pattern, what = _FORMATS[name]
    if not pattern.fullmatch(value):
        shown = "the value" if name == "AWS_SECRET_ACCESS_KEY" else repr(value)
        raise InputError(f"{source}: {shown} is not {what}")
    return value


def _valid(name: str, value: str) -> bool:
    try:
        _check_value(name, value, "")
    except InputError:
        return False
    return True


def _given(supplied: Supplied, variables: Variables) -> dict[str, str]:
    raw = {
        "AWS_USER": supplied.user,
        "AWS_ACCOUNT_NAME": supplied.account_name,
        "AWS_ACCESS_KEY_ID": supplied.credentials.access_key_id if supplied.credentials else None,
        "AWS_SECRET_ACCESS_KEY": supplied.credentials.secret_access_key if supplied.credentials else None,
        "AWS_MFA_SERIAL": supplied.mfa_serial,
    }
    given = {name: _check_value(name, value, FLAGS[name]) for name, value in raw.items() if value is not None}
    # The engineer's own profile is named after the dev account unless told otherwise (the team files' convention).
    default_name = variables.values.get("DEV_AWS_ACCOUNT_NAME")
    if "AWS_ACCOUNT_NAME" not in given and default_name is not None:
        given["AWS_ACCOUNT_NAME"] = default_name
    return given


def _parse_rendered(text: str, template: Path, kind: Literal["config", "credentials"]) -> dict[str, dict[str, str]]:
    from bootstrap.awsfiles.botocore_view import profiles_of, raw_items
    from bootstrap.awsfiles.scanner import scan

    # Cut by configparser's rules, as botocore.configloader reads the files (and remembered: the merge reuses it).
    try:
        doc = scan(text, kind, f"{template.name} (rendered)")
    except InputError as exc:
        raise InputError(f"{template}: the rendered {kind} file is not one botocore can read: {exc}") from None
    sections = list(raw_items(doc))
    for position, values in sections:
        for option, value in values.items():
            if value.startswith("\n"):
                for line in value.splitlines():
                    if line.strip() and "=" not in line:
                        raise InputError(
                            f"{template}: [{doc.names[position]}] {option}: nested line {line.strip()!r} is not "
                            "key = value"
                        )
    # Profiles as botocore names them (`[profile  a]` is profile `a`); in the credentials file, the section name.
    return profiles_of(sections, doc)


def _check_rendered(
    config: Mapping[str, Mapping[str, str]],
    credentials: Mapping[str, Mapping[str, str]],
    existing: Callable[[], Mapping[str, Any]],
    templates: tuple[Template, Template],
) -> None:
    rendered_names = set(config) | set(credentials)
    for rendered, template in ((config, templates[0]), (credentials, templates[1])):
        for profile, values in rendered.items():
            where = f"{template.path}: profile {profile!r}"
            role_arn = values.get("role_arn")
            if role_arn is not None and not arns.ROLE_ARN.fullmatch(role_arn):
                raise InputError(
                    f"{where}: role_arn {role_arn!r} is not a role ARN (arn:aws:iam::<12 digits>:role/<name>)"
                )
            region = values.get("region")
            if region is not None and not REGION.fullmatch(region):
                raise InputError(f"{where}: region {region!r} is not an AWS region (like eu-west-1)")
            source = values.get("source_profile")
            if source is not None and source not in rendered_names and source not in existing():
                raise InputError(
                    f"{where}: source_profile {source!r} names no profile (neither rendered nor in your AWS files)"
                )


def _ask(absent: list[str], prompter: Prompter | None) -> dict[str, str]:
    if prompter is None:
        hints = {name: FLAGS[name] for name in absent}
        if "AWS_MFA_SERIAL" in hints and "AWS_USER" in hints:
            hints["AWS_USER"] = "--user, or from --mfa-serial"
        listing = ", ".join(f"{name} ({hint})" for name, hint in hints.items())
        flags = " ".join(FLAGS[name] for name in absent if not hints[name].startswith("--user,"))
        raise NeedsAnswer(
            f"the templates need values that were not given and are not in your AWS files: {listing}", flags
        )
    answers: dict[str, str] = {}
    # The serial before the user name: the user name is the serial's last part, so it need not be asked.
    order = sorted(absent, key=lambda name: name == "AWS_USER")
    for name in order:
        if name == "AWS_USER" and (user := arns.user_of_mfa(answers.get("AWS_MFA_SERIAL"))):
            answers[name] = user
            continue
        if name == "AWS_SECRET_ACCESS_KEY":
            value = prompter.secret(_QUESTIONS[name], FLAGS[name])
            Credentials("", value)  # registers the secret for masking before anything can show it
        else:
            value = prompter.text(_QUESTIONS[name], FLAGS[name])
        answers[name] = _check_value(name, value, _QUESTIONS[name])
    return answers
