"""``onboard`` end to end against the sandbox (moto over HTTP, real boto3, the seeded policies enforced).

The core is called in-process with the built-in authenticator as the code source (it learns the seed from the
``MfaDeviceCreated`` event, exactly what the sandbox returned) and a fake clock that the sandbox's rules layer
shares for these tests, so codes of consecutive windows need no real waiting. The users are fresh sandbox users
with nothing but the two groups' permissions.
"""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bootstrap.aws import clients, iam, sts
from bootstrap.awsfiles import layout, locations, safewrite
from bootstrap.awsfiles.profiles import load_credentials_file
from bootstrap.credentials import Credentials
from bootstrap.engineer import codes, onboard, steps
from bootstrap.errors import AwsError, CheckFailed, InputError, NeedsAnswer, StateError
from bootstrap.prompts import NoPrompter
from tests.support.cli import aws_cli, invoke
from tests.support.clock import FakeClock, sandbox_clock
from tests.support.onboarding import (
    NAME,
    RUN_ID,
    Answers,
    Crash,
    Events,
    Source,
    crash_observer,
    enabled_devices,
    file_key,
    iam_keys,
    team_dir,
)

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser


@pytest.fixture
def clock(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The tool's clock, shared with the sandbox's TOTP and expiry checks for this test."""
    return sandbox_clock(sandbox, monkeypatch)


@pytest.fixture
def team(tmp_path: Path, sandbox: Sandbox) -> Path:
    return team_dir(tmp_path, sandbox.const_inc())


def run(
    paths: AwsPaths,
    team: Path,
    clock: FakeClock,
    auth: codes.Authenticator,
    *,
    key: Credentials | None = None,
    source: codes.CodeSource | None = None,
    prompter: Any = None,
    crash_at: int | None = None,
    **options: Any,
) -> tuple[onboard.OnboardResult, Events]:
    from bootstrap.team.inputs import find_inputs

    events = Events(auth.observe, crash_observer(crash_at))
    opts = onboard.OnboardOptions(paths=paths, inputs=find_inputs(team), one_time_key=key, **options)
    result = onboard.onboard(opts, prompter or NoPrompter(), source or auth, events, clock=clock)
    return result, events


def test_onboard_takes_a_one_time_key_to_working_profiles(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    from bootstrap.org.documents import policy_document
    from bootstrap.sandbox import backend

    # Nothing but the two groups' policies, as the sandbox enforces them: no more privilege than an engineer has.
    assert backend.user_policies(fresh_user.account_id, fresh_user.name) == [
        policy_document("assume-role-group"),
        policy_document("manage-own-user-group"),
    ]
    auth = codes.Authenticator(clock)
    result, events = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)

    assert [e.step for e in events.of(steps.StepDone)] == [1, 2, 3, 4, 5, 6, 7]
    created = events.of(steps.MfaDeviceCreated)
    assert len(created) == 1
    assert created[0].uri.startswith("otpauth://totp/")
    assert "█" in created[0].qr
    # The device is enabled, the one-time key is gone, the own key is the only one and it is in the file.
    assert enabled_devices(fresh_user) == {result.mfa_serial}
    own = file_key(aws_env)
    assert own is not None
    assert iam_keys(fresh_user) == [own.access_key_id] == [result.key_id]
    assert iam.works(fresh_user.one_time_key) is None
    # Role checks: what the trust policies grant works, the rest is refused by trust.
    works = {r.profile for r in result.roles if r.ok}
    assert works == {"example-dev_admin", "example-prod_read"}
    assert "example-prod_admin" in {r.profile for r in result.refused_roles}
    # The files are what the SDKs and the real aws CLI use: a role profile works with no further question.
    answer = json.loads(aws_cli("sts", "get-caller-identity", "--profile", "example-dev_admin").stdout)
    assert answer["Arn"].endswith(f"/{fresh_user.name}")
    assert ":assumed-role/infra-AdminR-" in answer["Arn"]
    # Tomorrow morning: `refresh` (the next code) renews the session from the key onboard left.
    assert result.mfa_serial is not None
    renewed = invoke("refresh", "--force", "--token-code", auth.code(result.mfa_serial))
    assert renewed.returncode == 0, renewed.output
    # The progress file is private and holds no secret.
    state_file = locations.tool_dir(aws_env) / f"onboard-{NAME}.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    text = state_file.read_text()
    assert own.secret_access_key not in text
    assert fresh_user.one_time_key.secret_access_key not in text
    assert json.loads(text)["finished"] is True
    assert json.loads(text)["pending_seed"] is None
    assert created[0].seed not in text


def test_running_again_asks_nothing_and_creates_nothing(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    auth = codes.Authenticator(clock)
    first, _ = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)

    def no_codes(request: codes.CodeRequest) -> str:
        raise AssertionError("no code should be needed while the session lasts")

    second, events = run(aws_env, team, clock, auth, source=Source(no_codes))  # no key given: it uses its own
    assert second.key_id == first.key_id
    assert second.mfa_serial == first.mfa_serial
    assert not events.of(steps.MfaDeviceCreated)
    assert iam_keys(fresh_user) == [first.key_id]

    # The one-time key again, by habit: it is gone, and the run carries on with the key that replaced it.
    third, events = run(aws_env, team, clock, auth, source=Source(no_codes), key=fresh_user.one_time_key)
    assert third.key_id == first.key_id
    assert "was already replaced: continuing with your own key" in events.texts()


def test_an_interruption_at_any_point_is_finished_by_the_next_run(
    aws_env: AwsPaths, team: Path, clock: FakeClock, sandbox: Sandbox, tmp_path: Path
) -> None:
    """Stop the run at each event in turn (as if the process died there); the next run converges: one enabled
    device, exactly one key (the one in the file, working), never an orphan."""
    from bootstrap.awsfiles.locations import AwsPaths

    auth = codes.Authenticator(clock)
    reference_user = sandbox.add_user(f"crash-ref-{RUN_ID}", {"DEV": ("ADMIN",)})
    _, reference = run(aws_env, team, clock, auth, key=reference_user.one_time_key)
    # Every point after which something changed (RoleChecked and StepStarted events follow no change).
    points = [
        n
        for n, event in enumerate(reference.events, start=1)
        if isinstance(event, (steps.StepDone, steps.Note, steps.MfaDeviceCreated))
    ]
    assert len(points) >= 10

    for point in points:
        user = sandbox.add_user(f"crash-{RUN_ID}-{point}", {"DEV": ("ADMIN",)})
        home = tmp_path / f"p{point}"
        home.mkdir()
        paths = AwsPaths(home / "config", home / "credentials")
        with pytest.raises(Crash):
            run(paths, team, clock, auth, key=user.one_time_key, crash_at=point)
        assert len(enabled_devices(user)) <= 1
        assert len(iam_keys(user)) <= 2
        # The one-time key is still needed only until the own key is written; give it as a person would.
        own_written = file_key(paths) is not None
        result, _ = run(paths, team, clock, auth, key=None if own_written else user.one_time_key)
        own = file_key(paths)
        assert own is not None, point
        assert iam_keys(user) == [own.access_key_id], point
        assert iam.works(own) is not None
        # Never a second device: an unenabled device of the interrupted run is resumed.
        assert enabled_devices(user) == {f"arn:aws:iam::{user.account_id}:mfa/{user.name}"}, point
        assert [r.profile for r in result.roles if r.ok] == ["example-dev_admin"], point


def test_a_failed_write_after_create_access_key_removes_the_key(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = codes.Authenticator(clock)

    def network_down(*args: object, **kwargs: object) -> None:
        raise OSError("connection reset")

    with monkeypatch.context() as patch:
        patch.setattr(layout, "write_key", network_down)
        with pytest.raises(OSError, match="connection reset"):
            run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    assert iam_keys(fresh_user) == [fresh_user.one_time_key.access_key_id]  # the unsaved key was deleted at once
    result, _ = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    assert iam_keys(fresh_user) == [result.key_id]


def test_a_key_created_but_never_written_is_removed_by_the_next_run(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write fails and so does the immediate cleanup (the network is gone): the key stays in IAM with a
    secret nobody has. The next run recognises it from the progress file and deletes it."""
    auth = codes.Authenticator(clock)

    def network_down(*args: object, **kwargs: object) -> None:
        raise OSError("network unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(layout, "write_key", network_down)
        patch.setattr(iam, "delete_key", network_down)
        with pytest.raises(OSError, match="network unreachable"):
            run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    orphans = [k for k in iam_keys(fresh_user) if k != fresh_user.one_time_key.access_key_id]
    assert len(orphans) == 1
    result, events = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    assert iam_keys(fresh_user) == [result.key_id]
    assert f"deleted key {orphans[0]}: an interrupted run created it" in events.texts()


def test_wrong_expired_and_replayed_codes_are_asked_again(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    auth = codes.Authenticator(clock)
    requests: list[codes.CodeRequest] = []
    bad = iter(["000000", "replay", "expired"])

    def flaky(request: codes.CodeRequest) -> str:
        requests.append(request)
        if request.purpose == "enable" and request.index == 1 and request.attempt == 1:
            return next(bad)  # wrong: AWS refuses the pair
        if request.purpose == "session" and request.attempt == 1:
            # the code just used to enable the device: refused before AWS sees it
            return codes.totp(auth.seeds[request.serial], clock.now())
        if request.purpose == "session" and request.attempt == 2:
            return codes.totp(auth.seeds[request.serial], clock.now() - timedelta(minutes=5))  # expired
        return auth(request)

    result, _ = run(aws_env, team, clock, auth, key=fresh_user.one_time_key, source=Source(flaky))
    assert result.key_id is not None
    problems = [r.problem for r in requests if r.problem]
    assert any("AWS refused the codes (InvalidAuthenticationCode)" in p for p in problems)
    assert any("already used" in p for p in problems)
    assert any("AWS refused the code (AccessDenied)" in p for p in problems)


def test_three_wrong_codes_stop_and_the_next_run_resumes_the_same_device(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    auth = codes.Authenticator(clock)
    with pytest.raises(CheckFailed, match="refused 3 times"):
        run(aws_env, team, clock, auth, key=fresh_user.one_time_key, source=Source(lambda request: "000000"))
    assert enabled_devices(fresh_user) == set()
    state_file = locations.tool_dir(aws_env) / f"onboard-{NAME}.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600  # it holds the pending device's seed
    assert stat.S_IMODE(state_file.parent.stat().st_mode) == 0o700
    first_qr = auth.seeds.copy()

    result, events = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    serial = f"arn:aws:iam::{fresh_user.account_id}:mfa/{fresh_user.name}"
    assert enabled_devices(fresh_user) == {serial} == {result.mfa_serial}
    assert events.of(steps.MfaDeviceCreated)[0].resumed
    assert auth.seeds == first_qr  # the same seed: what the engineer scanned the first time still works
    assert json.loads(state_file.read_text())["pending_seed"] is None  # dropped once enabled


def test_a_device_whose_seed_was_lost_is_replaced(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    """The progress file is gone (another machine, or it was deleted): the unenabled device is useless. The
    seeded self-manage policy does not allow iam:DeleteVirtualMFADevice, so it is named for an administrator
    and a new device takes the next name."""
    auth = codes.Authenticator(clock)
    with pytest.raises(CheckFailed):
        run(aws_env, team, clock, auth, key=fresh_user.one_time_key, source=Source(lambda request: "000000"))
    (locations.tool_dir(aws_env) / f"onboard-{NAME}.json").unlink()

    result, events = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    assert result.mfa_serial == f"arn:aws:iam::{fresh_user.account_id}:mfa/{fresh_user.name}-2"
    assert enabled_devices(fresh_user) == {result.mfa_serial}
    warnings = [n.text for n in events.of(steps.Note) if n.level == "warn"]
    assert any(f"mfa/{fresh_user.name} was left by an earlier run" in w for w in warnings)
    assert any("iam:DeleteVirtualMFADevice" in w and "administrator" in w for w in warnings)


def test_a_root_key_is_refused(
    aws_env: AwsPaths, team: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox knows no root keys (its rules layer refuses unknown keys), so STS is stubbed here, for the one
    answer the sandbox cannot give: GetCallerIdentity of an account root."""
    from botocore.stub import Stubber

    real_client = clients.client

    def stubbed(service: str, *args: Any, **kwargs: Any) -> Any:
        client = real_client(service, *args, **kwargs)
        if service == "sts":
            stub = Stubber(client)
            root = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:root", "UserId": "123456789012"}
            stub.add_response("get_caller_identity", root)
            stub.activate()
        return client

    monkeypatch.setattr(clients, "client", stubbed)
    with pytest.raises(InputError, match="root of account 123456789012"):
        run(aws_env, team, clock, codes.Authenticator(clock), key=Credentials("AKIAROOTROOTROOTROOT", "r" * 40))
    assert not aws_env.credentials.exists()
    assert not (locations.tool_dir(aws_env) / f"onboard-{NAME}.json").exists()


def test_a_role_session_key_is_refused(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser, sandbox: Sandbox
) -> None:
    from bootstrap.sandbox import backend

    serial, seed = backend.enable_virtual_mfa(fresh_user.account_id, fresh_user.name, fresh_user.name)
    session = sts.get_session(fresh_user.one_time_key, serial, codes.totp(seed, clock.now()))
    role = sts.assume_role(session, sandbox.accounts["DEV"].role_arn("ADMIN"))
    with pytest.raises(InputError, match=r"not an IAM user's .*assumed-role"):
        run(aws_env, team, clock, codes.Authenticator(clock), key=role)


def test_a_key_iam_deactivated_is_refused_with_the_reason(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    from bootstrap.sandbox import backend

    backend.iam(fresh_user.account_id).update_access_key(
        fresh_user.name, fresh_user.one_time_key.access_key_id, "Inactive"
    )
    with pytest.raises(AwsError, match=r"InvalidClientTokenId.*deactivated") as caught:
        run(aws_env, team, clock, codes.Authenticator(clock), key=fresh_user.one_time_key)
    assert caught.value.exit_code == 3


def test_a_mistyped_key_is_refused_before_anything_is_done(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    auth = codes.Authenticator(clock)
    with pytest.raises(InputError, match="is not an access key id"):
        run(aws_env, team, clock, auth, key=Credentials("akia-typo", fresh_user.one_time_key.secret_access_key))
    wrong_secret = Credentials(fresh_user.one_time_key.access_key_id, "x" * 40)
    with pytest.raises(AwsError, match=r"\(SignatureDoesNotMatch\): it was mistyped"):
        run(aws_env, team, clock, auth, key=wrong_secret)
    assert not (locations.tool_dir(aws_env) / f"onboard-{NAME}.json").exists()


def test_the_users_account_of_const_inc_is_enforced(
    aws_env: AwsPaths, clock: FakeClock, fresh_user: SandboxUser, sandbox: Sandbox, tmp_path: Path
) -> None:
    team = team_dir(tmp_path, sandbox.const_inc().replace(sandbox.users_account_id, "999999999999"))
    with pytest.raises(InputError, match="USERS_AWS_ACCOUNT_ID"):
        run(aws_env, team, clock, codes.Authenticator(clock), key=fresh_user.one_time_key)


@pytest.fixture
def two_keys(fresh_user: SandboxUser) -> str:
    from bootstrap.sandbox import backend

    extra = backend.iam(fresh_user.account_id).create_access_key(fresh_user.name)
    return str(extra.access_key_id)


def test_two_keys_the_extra_one_is_named_and_kept_unless_agreed(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser, two_keys: str
) -> None:
    auth = codes.Authenticator(clock)
    prompter = Answers(confirm=False)
    with pytest.raises(StateError, match=f"--delete-extra-key {two_keys}"):
        run(aws_env, team, clock, auth, key=fresh_user.one_time_key, prompter=prompter)
    assert two_keys in prompter.asked[0]
    assert iam_keys(fresh_user) == sorted([fresh_user.one_time_key.access_key_id, two_keys])

    # Without a terminal, the question becomes the flag to pass.
    with pytest.raises(NeedsAnswer, match=f"--delete-extra-key {two_keys}"):
        run(aws_env, team, clock, auth, key=fresh_user.one_time_key)

    result, _ = run(aws_env, team, clock, auth, key=fresh_user.one_time_key, delete_extra_key=two_keys)
    assert iam_keys(fresh_user) == [result.key_id]


def test_a_missing_permission_is_named(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser, sandbox: Sandbox
) -> None:
    from bootstrap.sandbox import backend

    backend.iam(fresh_user.account_id).remove_user_from_group(sandbox.groups[1], fresh_user.name)
    with pytest.raises(AwsError, match=r"step 2 .*iam:ListMFADevices .*AccessDenied.*lacks the permission") as caught:
        run(aws_env, team, clock, codes.Authenticator(clock), key=fresh_user.one_time_key)
    assert caught.value.action == "iam:ListMFADevices"


def test_dry_run_changes_nothing(aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser) -> None:
    def no_codes(request: codes.CodeRequest) -> str:
        raise AssertionError("a dry run asks for no code")

    result, events = run(aws_env, team, clock, codes.Authenticator(clock), key=fresh_user.one_time_key, dry_run=True)
    assert result.dry_run
    assert enabled_devices(fresh_user) == set()
    assert iam_keys(fresh_user) == [fresh_user.one_time_key.access_key_id]
    assert not aws_env.credentials.exists()
    assert not aws_env.config.exists()
    assert not (locations.tool_dir(aws_env) / f"onboard-{NAME}.json").exists()
    would = [n.text for n in events.of(steps.Note) if n.level == "dry-run"]
    assert any("would create a virtual MFA device" in w for w in would)
    assert any("would write" in w for w in would)


def test_an_enabled_device_is_used(aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser) -> None:
    from bootstrap.sandbox import backend

    serial, seed = backend.enable_virtual_mfa(fresh_user.account_id, fresh_user.name, fresh_user.name)
    auth = codes.Authenticator(clock, {serial: seed})
    result, events = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    assert result.mfa_serial == serial
    assert not events.of(steps.MfaDeviceCreated)


def test_an_old_own_key_is_warned_about(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    from bootstrap.sandbox import backend

    auth = codes.Authenticator(clock)
    first, _ = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    for key in backend.iam(fresh_user.account_id).list_access_keys(fresh_user.name):
        key.create_date = clock.now() - timedelta(days=120, minutes=1)
    _, events = run(aws_env, team, clock, auth)
    warnings = [n.text for n in events.of(steps.Note) if n.level == "warn"]
    assert any(f"key {first.key_id} is 120 days old" in w and "rotate-key" in w for w in warnings)


def test_a_user_no_role_trusts_yet_is_told_what_is_missing(
    aws_env: AwsPaths, team: Path, clock: FakeClock, sandbox: Sandbox, tmp_path: Path
) -> None:
    user = sandbox.add_user(f"untrusted-{RUN_ID}", {})
    result, events = run(aws_env, team, clock, codes.Authenticator(clock), key=user.one_time_key)
    assert result.roles
    assert not [r for r in result.roles if r.ok]
    warnings = [n.text for n in events.of(steps.Note) if n.level == "warn"]
    assert any("trust policies must name your user" in w for w in warnings)


def test_one_run_at_a_time(aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser) -> None:
    """A second onboard (or rotate-key) for the same profile while one runs would race to create keys."""
    import subprocess
    import sys

    lock_target = locations.tool_dir(aws_env) / NAME
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib; from bootstrap.awsfiles import safewrite\n"
            f"with safewrite.locked(pathlib.Path({str(lock_target)!r})):\n"
            "    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StateError, match="another aws-iam-bootstrap run"):
            run(aws_env, team, clock, codes.Authenticator(clock), key=fresh_user.one_time_key)
    finally:
        holder.kill()
        holder.wait()
    assert safewrite.read_text(locations.tool_dir(aws_env) / f"onboard-{NAME}.json") is None


def test_an_inactive_key_in_the_file_is_replaced_with_consent(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    """The key in [NAME-long-term] was deactivated in IAM (by an administrator, after a leak): onboarding with a
    new one-time key creates a fresh own key, deleting the dead one only when agreed (it is the extra key)."""
    from bootstrap.sandbox import backend

    auth = codes.Authenticator(clock)
    first, _ = run(aws_env, team, clock, auth, key=fresh_user.one_time_key)
    assert first.key_id is not None
    iam = backend.iam(fresh_user.account_id)
    iam.update_access_key(fresh_user.name, first.key_id, "Inactive")
    new_one_time = iam.create_access_key(fresh_user.name)
    one_time = Credentials(str(new_one_time.access_key_id), str(new_one_time.secret_access_key))

    with pytest.raises(NeedsAnswer, match=f"--delete-extra-key {first.key_id}"):
        run(aws_env, team, clock, auth, key=one_time)
    second, _ = run(aws_env, team, clock, auth, key=one_time, delete_extra_key=first.key_id)
    assert second.key_id not in (first.key_id, one_time.access_key_id)
    assert iam_keys(fresh_user) == [second.key_id]


def test_with_the_credential_process_templates_the_session_goes_to_its_cache(
    aws_env: AwsPaths, team: Path, clock: FakeClock, fresh_user: SandboxUser
) -> None:
    """A team on the credential_process layout: onboard leaves no session in the credentials file (it would shadow
    the line), and the SDKs get today's session from the cache without a second code."""
    import shutil

    import boto3

    fixtures = Path(__file__).parents[1] / "fixtures" / "credential_process"
    for name in ("aws-cli.config.tpl", "aws-cli.credentials.tpl"):
        shutil.copy(fixtures / name, team / name)
    auth = codes.Authenticator(clock)
    run(aws_env, team, clock, auth, key=fresh_user.one_time_key)

    assert "aws_session_token" not in load_credentials_file(aws_env).get(NAME, {})
    assert list(locations.cache_dir(aws_env).glob("*.json"))
    arn = boto3.Session(profile_name="example-dev_admin").client("sts").get_caller_identity()["Arn"]
    assert ":assumed-role/infra-AdminR-" in arn
