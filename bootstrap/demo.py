"""``demo``: the platform team adds a new engineer, and her first day, played end to end on the embedded sandbox,
with the real core.

What runs is what the commands run: ``org add-user`` (users.yaml edited, the organisation applied through the
admin's profiles, the first credentials handed over in a 0600 file), then with the key she was handed
``onboarding.onboard`` (identity, MFA device, session, own key, render, role checks, links), the next morning
``sessions.refresh`` and ``verify.verify``, then ``org grant`` of one more role and ``verify`` again, then
botocore itself using a role profile from the written files. Only two things stand in for the world:

- the phone: ``mfa.Authenticator`` learns the seed from the QR code's event (as a phone scanning it would) and
  computes the codes; with ``interactive`` the person sees the code and types it;
- the wait: a TOTP code is single-use per 30-second window, and AWS wants codes from consecutive windows, so
  the demo's clock (shared with the sandbox's rules layer) jumps to the next window instead of sleeping, and
  jumps to the next morning. Every jump is reported.

Like the rest of the core, this module never prints: it reports ``Chapter``, ``Said`` and ``Shown`` events and
passes the commands' own events and results through ``on_event``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bootstrap.errors import CheckFailed
from bootstrap.prompts import Prompter

USER = "alice"
GRANTS = {"DEV": ("ADMIN",), "PROD": ("READ",)}
LATER_GRANT = ("DEV", "OPS")
NEXT_MORNING = timedelta(hours=20)


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    command: str  # the command a person would type for this part


@dataclass(frozen=True)
class Said:
    text: str


@dataclass(frozen=True)
class Shown:
    """A file's content (already masked by the printer), with a caption."""

    caption: str
    text: str


@dataclass(frozen=True)
class SummaryRow:
    step: str
    command: str
    result: str
    ok: bool


@dataclass(frozen=True)
class DemoResult:
    workspace: Path
    rows: tuple[SummaryRow, ...]
    next_steps: tuple[str, ...]


Sink = Callable[[object], None]


@dataclass
class DemoClock:
    """Real time plus an offset that only grows: ``sleep`` jumps ahead instead of waiting (and says so)."""

    on_jump: Callable[[float], None] = lambda seconds: None
    offset: float = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.offset += seconds
            self.on_jump(seconds)


@dataclass
class _ShowingAuthenticator:
    """The phone: codes from the seed it saw. Interactive, the person reads the code and types it."""

    authenticator: Any  # engineer.codes.Authenticator
    on_event: Sink
    prompter: Prompter | None
    given: list[str] = field(default_factory=list)
    can_answer: bool = True
    asks_again: bool = True

    def __call__(self, request: Any) -> str:
        code: str = self.authenticator(request)
        serial = request.serial
        if self.prompter is None:
            self.on_event(Said(f"the built-in authenticator shows {code} for {serial} (computed from the seed)"))
            self.given.append(code)
            return code
        typed = self.prompter.text(f"Your authenticator shows {code}; type it", "--interactive (leave it off)")
        self.given.append(typed)
        return typed


@contextmanager
def _environment(values: Mapping[str, str], cleared: tuple[str, ...]) -> Iterator[None]:
    """Point this process (botocore's own loader included) at the throw-away files, and restore afterwards."""
    saved = {name: os.environ.get(name) for name in (*values, *cleared)}
    os.environ.update(values)
    for name in cleared:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(on_event: Sink, *, prompter: Prompter | None = None, keep: Path | None = None) -> DemoResult:
    """Start the sandbox, and play alice's first day and next morning with the real core functions.

    ``prompter``: ask the person for each MFA code (shown to them) instead of answering for them.
    ``keep``: write the throw-away workspace there (kept afterwards) instead of a temporary directory.
    """
    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.engineer import codes as mfa
    from bootstrap.engineer import onboard as onboarding
    from bootstrap.engineer import refresh, verify
    from bootstrap.engineer.steps import MfaDeviceCreated
    from bootstrap.sandbox import start_sandbox
    from bootstrap.sandbox.workspace import CLEARED, prepare_workspace
    from bootstrap.team.inputs import find_inputs

    clock = DemoClock(on_jump=lambda s: on_event(Said(f"(the demo's clock jumps {s:.0f} s ahead instead of waiting)")))
    rows: list[SummaryRow] = []
    with start_sandbox(people=("bob",)) as sandbox:
        sandbox.layer.clock = lambda: clock.now().timestamp()
        workspace = prepare_workspace(sandbox, keep)
        try:
            home = workspace.root / "home"
            home.mkdir(mode=0o700, exist_ok=True)
            on_event(Chapter(0, "The sandbox: an AWS organisation on 127.0.0.1", "aws-iam-bootstrap sandbox"))
            on_event(Said(f"AWS endpoint: {sandbox.endpoint_url} (moto, plus the IAM/STS rules it lacks)"))
            on_event(Said(f"throw-away HOME and AWS files: {workspace.root} (your real ~/.aws is never touched)"))
            for env, account in sandbox.accounts.items():
                on_event(
                    Said(f"account {account.id} {account.name} ({env}): roles {', '.join(account.roles.values())}")
                )
            admin_environ = dict(workspace.admin_exports)
            with _environment(admin_environ, CLEARED):
                add = "aws-iam-bootstrap org add-user alice --grant DEV:ADMIN --grant PROD:READ"
                on_event(Chapter(1, f"The platform team adds {USER}", add))
                on_event(
                    Said(
                        f"the admin's profiles, one per account: {admin_environ['AWS_IAM_BOOTSTRAP_ORG_PROFILES']} "
                        "(each checked to be in its account before anything changes)"
                    )
                )
                handed = _platform(workspace.root, on_event, add_user=GRANTS)
                rows.append(
                    SummaryRow(
                        "add-user",
                        add,
                        f"users.yaml edited, trusts applied, credentials in {handed.path} (0600)",
                        handed.path is not None,
                    )
                )
            one_time_key = handed.handover.key  # what the admin passed to her: the file's key
            environ = {
                **dict(workspace.exports),
                "HOME": str(home),
                "AWS_CONFIG_FILE": str(workspace.config),
                "AWS_SHARED_CREDENTIALS_FILE": str(workspace.credentials),
            }
            with _environment(environ, CLEARED):
                paths = aws_paths()
                inputs = find_inputs(workspace.root)
                phone = mfa.Authenticator(clock)
                codes = _ShowingAuthenticator(phone, on_event, prompter)

                def onboarding_events(event: object) -> None:
                    phone.observe(event)  # the phone scans the QR code
                    on_event(event)
                    if isinstance(event, MfaDeviceCreated):
                        on_event(
                            Said("the demo's built-in authenticator scanned it: it computes the codes a phone would")
                        )

                on_event(Chapter(2, f"First day: {USER} onboards", "aws-iam-bootstrap onboard"))
                options = onboarding.OnboardOptions(paths=paths, inputs=inputs, one_time_key=one_time_key)
                result = onboarding.onboard(options, prompter or _Unasked(), codes, onboarding_events, clock=clock)
                works = [r.profile for r in result.roles if r.ok]
                refused = [r.profile for r in result.roles if not r.ok]
                rows.append(
                    SummaryRow(
                        "onboard",
                        "aws-iam-bootstrap onboard",
                        f"MFA {result.mfa_serial}; own key {result.key_id}; {len(works)} role profiles work, "
                        f"{len(refused)} refused",
                        bool(works),
                    )
                )
                for path in (paths.config, paths.credentials):
                    on_event(Shown(f"{path} (written by onboard; secrets masked)", path.read_text(encoding="utf-8")))

                on_event(Chapter(3, "Next morning: one MFA code for the day", "aws-iam-bootstrap refresh"))
                clock.offset += NEXT_MORNING.total_seconds()
                on_event(
                    Said(f"(the demo's clock jumps {NEXT_MORNING} ahead: yesterday's 12-hour session has expired)")
                )
                refreshed = refresh.refresh(paths, result.profile, codes, clock=clock)
                left = _hours(refreshed.remaining or timedelta(0))
                on_event(Said(f"session [{refreshed.profile}] renewed with {refreshed.mfa_serial}: {left} left"))
                rows.append(
                    SummaryRow("refresh", "aws-iam-bootstrap refresh", f"one code; session valid for {left}", True)
                )

                on_event(Chapter(4, "At a glance: which profile works, and why not", "aws-iam-bootstrap verify"))
                organisation = verify.load_organisation(inputs.const_file, workspace.root)
                report = verify.verify(paths, codes, organisation=organisation, clock=clock)
                on_event(report)
                failed = [check.profile for check in report.failed]
                working = [check.profile for check in report.checks if check.result == "ok"]
                rows.append(
                    SummaryRow(
                        "verify",
                        "aws-iam-bootstrap verify",
                        f"{len(working)} profiles work, {len(failed)} refused ({', '.join(failed)}); "
                        f"{report.codes_asked} MFA code asked",
                        True,
                    )
                )

            env, kind = LATER_GRANT
            with _environment(admin_environ, CLEARED):
                grant = f"aws-iam-bootstrap org grant {USER} {env}:{kind}"
                on_event(Chapter(5, f"The platform team grants {USER} {kind} on {env}", grant))
                _platform(workspace.root, on_event, grant=LATER_GRANT)
            with _environment(environ, CLEARED):
                on_event(Chapter(6, f"{USER} sees the new role work", "aws-iam-bootstrap verify"))
                again = verify.verify(paths, codes, organisation=organisation, clock=clock)
                on_event(again)
                granted = f"{sandbox.accounts[env].name}_{kind.lower()}"
                works_now = any(c.profile == granted and c.result == "ok" for c in again.checks)
                rows.append(SummaryRow("grant", grant, f"{granted}: {'works' if works_now else 'refused'}", works_now))

                profile = f"{sandbox.accounts['DEV'].name}_admin"
                on_event(
                    Chapter(
                        7,
                        "Using a profile: botocore reads the files",
                        f"aws sts get-caller-identity --profile {profile}",
                    )
                )
                arn = _caller_arn(profile)
                on_event(Said(f"boto3.Session(profile_name={profile!r}) is {arn}"))
                rows.append(SummaryRow("use a role", f"aws --profile {profile} ...", arn, ":assumed-role/" in arn))

            _expect(result, report, profile=f"{sandbox.accounts['PROD'].name}_admin")
            if not works_now:
                raise CheckFailed(f"the demo expected {granted} to work once granted, and it did not")
            next_steps = (
                "aws-iam-bootstrap sandbox      # this sandbox, kept running, to try every command yourself",
                "cp users.yaml.example users.yaml && aws-iam-bootstrap org plan --offline   # your team's people",
                "cp CONST.inc.example CONST.inc # in your team's repository: its accounts, roles and region",
                "aws-iam-bootstrap onboard      # your first day, with your one-time key",
                "aws-iam-bootstrap refresh      # every morning: one MFA code",
                "aws-iam-bootstrap verify       # any time: which profile works, and why not",
            )
            return DemoResult(workspace.root, tuple(rows), next_steps)
        finally:
            if keep is None:
                workspace.remove()  # the throw-away files go, whether the story finished or not


def _platform(
    root: Path,
    on_event: Sink,
    *,
    add_user: Mapping[str, tuple[str, ...]] | None = None,
    grant: tuple[str, str] | None = None,
) -> Any:
    """What `org add-user` or `org grant` runs, in the workspace as the team's repository, through the admin's
    profiles: the users file edited, the changed accounts planned and applied, a new person's credentials handed
    over in a 0600 file. Returns the ``HandedOver`` event (add-user)."""
    from bootstrap.org import accounts, load, workflow

    sources = load.find(root)
    org = load.load(sources)
    if add_user is not None:
        edit = workflow.add_user_edit(org, USER, add_user, False)
    else:
        assert grant is not None
        edit = workflow.grant_edit(org, USER, {grant[0]: (grant[1],)}, revoke=False)
    before, after, text = workflow.edited(sources, edit)
    workflow.write_text(sources.users_file, text)
    profiles = accounts.parse_profiles((), os.environ.get(accounts.PROFILES_ENV))

    def reach(organisation: Any, envs: list[str]) -> Any:
        return accounts.through_profiles(organisation, profiles, envs)

    envs = workflow.people_envs(before, after)
    done = workflow.deploy(after, envs, reach, "iam", _Unasked(), on_event, yes=True, dry_run=False)
    if add_user is None:
        return None
    seen: list[object] = []

    def capture(event: object) -> None:
        seen.append(event)
        on_event(event)

    users = done.access["USERS"] if done is not None else reach(after, ["USERS"])["USERS"]
    workflow.hand_over(after, users, USER, capture, to=root / "handover" / f"{USER}.txt")
    return next(e for e in seen if isinstance(e, workflow.HandedOver))


def _hours(left: timedelta) -> str:
    minutes = int(left.total_seconds()) // 60
    return f"{minutes // 60}h{minutes % 60:02d}m"


class _Unasked:
    """The demo answers everything itself; a question reaching here is a bug in the demo, not a user's doing."""

    interactive = False

    def secret(self, question: str, flag: str) -> str:
        raise CheckFailed(f"the demo was asked {question!r}")

    def text(self, question: str, flag: str, default: str | None = None) -> str:
        raise CheckFailed(f"the demo was asked {question!r}")

    def confirm(self, question: str, flag: str, default: bool = False) -> bool:
        raise CheckFailed(f"the demo was asked {question!r}")


def _caller_arn(profile: str) -> str:
    """Who botocore says a profile is, resolving it from the files exactly as the SDKs and the CLI do."""
    from bootstrap.aws import clients
    from bootstrap.aws.errors import calling

    with calling("sts:GetCallerIdentity"):
        return str(clients.client("sts", profile=profile).get_caller_identity()["Arn"])


def _expect(onboarded: Any, report: Any, *, profile: str) -> None:
    """The story the demo tells must have happened: roles granted work, the ungranted prod ADMIN is refused."""
    refused = {check.profile: check for check in report.failed}
    if profile not in refused:
        raise CheckFailed(f"the demo expected {profile} to be refused by its trust policy, and it was not")
    if not any(role.ok for role in onboarded.roles):
        raise CheckFailed("the demo expected some of alice's role profiles to work, and none did")
