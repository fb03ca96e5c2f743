"""Setting up an engineer's day in the sandbox for the refresh/credential-process/verify/env/exec tests.

An engineer here is a fresh sandbox user whose virtual MFA device the test enables itself (boto3 + pyotp, as a
person would with an authenticator app), with AWS files laid out as `render` and `refresh` lay them out:
``[NAME-long-term]`` holding the key and ``mfa_serial``, ``[NAME]`` for the session, role profiles with
``source_profile = NAME``.
"""

from __future__ import annotations

import itertools
import json
import os
import shlex
import stat
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp

from bootstrap.credentials import Credentials
from tests.support.clock import shared_clock

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxAccount, SandboxUser

NAME = "example-dev"  # AWS_ACCOUNT_NAME, the engineer's own session profile
_env_numbers = itertools.count(1)


def _now() -> float:
    """The test's shared clock (``support.clock.FileClock``), or the wall clock without one."""
    clock = shared_clock()
    return clock.timestamp() if clock is not None else time.time()


def pick_code(seed: str, state: Path) -> str:
    """A code from a window not used before (shared through ``state``). When every window the sandbox accepts
    (the previous, current and next) is used, the shared clock moves to the next window; without one, this
    waits for it."""
    while True:
        used = set(json.loads(state.read_text())) if state.exists() else set()
        now = int(_now()) // 30
        # The previous window may close before the request lands: use it last.
        for window in (now, now + 1, now - 1):
            if window not in used:
                state.write_text(json.dumps(sorted(used | {window})))
                return str(pyotp.TOTP(seed).at(window * 30))
        wait = 30 - _now() % 30 + 0.5
        clock = shared_clock()
        if clock is not None:
            clock.advance(wait)
        else:
            time.sleep(wait)


@dataclass
class Device:
    """A virtual MFA device in the test's hand: each code comes from a 30 s window not used before.

    The sandbox (like AWS) accepts the previous, current and next window and refuses a code used before, so a
    test that needs more codes than there are fresh windows moves the shared clock to the next one. The used
    windows are kept in a file, shared with ``command`` (a --token-code-command run by the tool).
    """

    serial: str
    seed: str = field(repr=False)
    state: Path

    @property
    def totp(self) -> pyotp.TOTP:
        return pyotp.TOTP(self.seed)

    def mark_used(self, *windows: int) -> None:
        used = set(json.loads(self.state.read_text())) if self.state.exists() else set()
        self.state.write_text(json.dumps(sorted(used | set(windows))))

    def code(self) -> str:
        return pick_code(self.seed, self.state)

    def command(self, count_file: Path) -> str:
        """A --token-code-command printing a fresh code; each run adds one to ``count_file``."""
        root = str(Path(__file__).resolve().parents[2])
        program = f"import sys; sys.path.insert(0, {root!r}); from tests.support.engineer import main; main()"
        return shlex.join([sys.executable, "-c", program, self.seed, str(self.state), str(count_file)])


@dataclass(frozen=True)
class Engineer:
    user: SandboxUser
    device: Device
    key: Credentials
    name: str = NAME

    @property
    def long_term(self) -> str:
        return f"{self.name}-long-term"


def enable_mfa(sandbox: Sandbox, user: SandboxUser, tmp: Path) -> Device:
    """Enrol a virtual MFA device for ``user`` with its own key: two consecutive codes, as the console asks."""
    iam = sandbox.client("iam", user.one_time_key)
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=user.name)["VirtualMFADevice"]
    seed = created["Base32StringSeed"]
    if isinstance(seed, bytes):
        seed = seed.decode()
    state = tmp / f"mfa-{user.name}.json"
    device = Device(created["SerialNumber"], seed, state)
    now = int(_now()) // 30
    device.mark_used(now - 1, now)
    iam.enable_mfa_device(
        UserName=user.name,
        SerialNumber=device.serial,
        AuthenticationCode1=device.totp.at((now - 1) * 30),
        AuthenticationCode2=device.totp.at(now * 30),
    )
    return device


def engineer(sandbox: Sandbox, user: SandboxUser, tmp: Path) -> Engineer:
    return Engineer(user, enable_mfa(sandbox, user, tmp), user.one_time_key)


def add_account(sandbox: Sandbox, user: str, *, kinds: Sequence[str] = ("ADMIN", "OPS", "READ")) -> SandboxAccount:
    """A new account (unique env name per test) whose roles trust ``user``."""
    env = f"QA{os.getpid()}X{next(_env_numbers)}"
    account = sandbox.add_account(env, name=f"example-{env.lower()}", kinds=kinds)
    sandbox.grant(user, env, kinds)
    return account


def role_profiles(accounts: Iterable[SandboxAccount]) -> list[tuple[str, str]]:
    """(profile, role_arn) for every role of ``accounts``: ``<account name>_<kind>`` as the templates name them."""
    return [
        (f"{account.name}_{kind.lower()}", account.role_arn(kind)) for account in accounts for kind in account.roles
    ]


def twelve_profiles(sandbox: Sandbox, user: SandboxUser) -> list[tuple[str, str]]:
    """Twelve role profiles in three accounts: every role of dev, prod and a third account, and each account's
    READ role again for a second region (people keep those)."""
    for env in ("DEV", "PROD"):
        sandbox.grant(user.name, env, ("ADMIN", "OPS", "READ"))
    third = add_account(sandbox, user.name)
    accounts = [sandbox.accounts["DEV"], sandbox.accounts["PROD"], third]
    roles = role_profiles(accounts)
    roles += [(f"{account.name}_read_us", account.role_arn("READ")) for account in accounts]
    assert len(roles) == 12
    assert len({arn.split(":")[4] for _, arn in roles}) == 3
    return roles


def const_inc(sandbox: Sandbox, accounts: list[SandboxAccount]) -> str:
    """The team's CONST.inc naming just ``accounts`` and their roles."""
    lines = [f"GLOBAL_AWS_REGION={sandbox.region}", ""]
    for account in accounts:
        lines += [f"{account.env}_AWS_ACCOUNT_ID={account.id}", f"{account.env}_AWS_ACCOUNT_NAME={account.name}"]
        lines += [f"{account.env}_IAM_{kind}_ROLE={role}" for kind, role in account.roles.items()]
        lines.append("")
    return "\n".join(lines)


def type_code(
    device: Device, program: Path, args: Sequence[str], *, prompt: str | None = None, **spawn: Any
) -> tuple[int | None, str]:
    """Run ``program`` in a real terminal and type a fresh code of ``device`` where it asks for one (``prompt``,
    by default the tool's). Returns its exit status and what it showed after the prompt."""
    import pexpect

    from tests.support.cli import record

    child = pexpect.spawn(str(program), list(args), encoding="utf-8", **spawn)
    try:
        child.expect(prompt or f"MFA code for {device.serial}")
        child.sendline(device.code())
        child.expect(pexpect.EOF)
    finally:
        record(child.before or "")
        child.close()
    return child.exitstatus, child.before or ""


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def write_files(
    paths: AwsPaths,
    eng: Engineer,
    roles: Iterable[tuple[str, str]],
    *,
    region: str = "eu-west-1",
    session_profile: str | None = None,
    credentials_extra: str = "",
) -> None:
    """The AWS files as `render` writes them for the engineer (no session yet, unless given in ``credentials_extra``).

    ``session_profile`` replaces ``[profile NAME]``'s body (e.g. a ``credential_process`` line).
    """
    config = [
        "[default]",
        f"region = {region}",
        "",
        f"[profile {eng.long_term}]",
        f"region = {region}",
        f"mfa_serial = {eng.device.serial}",
        "",
        f"[profile {eng.name}]",
        f"region = {region}",
    ]
    if session_profile:
        config.append(session_profile)
    for profile, arn in roles:
        config += [
            "",
            f"[profile {profile}]",
            f"region = {region}",
            f"role_arn = {arn}",
            f"source_profile = {eng.name}",
        ]
    write_private(paths.config, "\n".join(config) + "\n")
    credentials = (
        f"[{eng.long_term}]\n"
        f"aws_access_key_id = {eng.key.access_key_id}\n"
        f"aws_secret_access_key = {eng.key.secret_access_key}\n"
    )
    write_private(paths.credentials, credentials + credentials_extra)


def main() -> None:
    """Run by the tool as a --token-code-command (``Device.command``): SEED STATE COUNT_FILE."""
    seed, state, count = sys.argv[1:4]
    counter = Path(count)
    counter.write_text(str(int(counter.read_text()) + 1 if counter.exists() else 1))
    print(pick_code(seed, Path(state)))
