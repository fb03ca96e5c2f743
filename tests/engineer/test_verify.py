"""`verify`: which profile works in which account, and in plain words why the others do not."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bootstrap.aws import clients
from bootstrap.awsfiles.profiles import load_profiles
from bootstrap.credentials import Credentials
from bootstrap.engineer import codes, verify
from bootstrap.prompts import NoPrompter
from tests.support import engineer as daily_setup
from tests.support.cli import BIN, invoke

if TYPE_CHECKING:
    from bootstrap.awsfiles.locations import AwsPaths
    from bootstrap.sandbox import Sandbox, SandboxUser

pytestmark = pytest.mark.slow

GHOST = "example-dev_ghost"
NO_MFA = "dev-admin-without-mfa"
DELETED = "old-key"


def alices_day(
    sandbox: Sandbox, aws_env: AwsPaths, user: SandboxUser, tmp_path: Path, *, credentials_extra: str = ""
) -> daily_setup.Engineer:
    """A new engineer like alice (ADMIN on dev, READ on prod) with a profile for every role of dev and prod, one
    for a role that does not exist, and the team's CONST.inc in the working directory."""
    eng = daily_setup.engineer(sandbox, user, tmp_path)
    dev, prod = sandbox.accounts["DEV"], sandbox.accounts["PROD"]
    roles = daily_setup.role_profiles([dev, prod])
    roles.append((GHOST, f"arn:aws:iam::{dev.id}:role/infra-GhostR-DOESNOTEXIST"))
    daily_setup.write_files(aws_env, eng, roles, credentials_extra=credentials_extra)
    # Two mistakes people make: a role straight from the long-term key (no MFA), and a key that was deleted.
    with aws_env.config.open("a") as config:
        config.write(f"\n[profile {NO_MFA}]\nrole_arn = {dev.role_arn('ADMIN')}\nsource_profile = {eng.long_term}\n")
    with aws_env.credentials.open("a") as credentials:
        credentials.write(
            f"\n[{DELETED}]\naws_access_key_id = AKIADELETEDDELETED01\naws_secret_access_key = {'x' * 40}\n"
        )
    (tmp_path / "CONST.inc").write_text(daily_setup.const_inc(sandbox, [dev, prod]))
    return eng


def by_profile(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["profile"]: row for row in report["profiles"]}


def test_alices_profiles_one_code_and_a_reason_for_each_refusal(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    dev, prod = sandbox.accounts["DEV"], sandbox.accounts["PROD"]
    count = tmp_path / "count"

    run = invoke(
        "verify", "--refresh", "--output", "json", "--token-code-command", eng.device.command(count), cwd=tmp_path
    )

    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    rows = by_profile(report)
    assert count.read_text() == "1"  # no session in the file yet: --refresh makes one, one code for eight roles
    assert report["codes_asked"] == 1
    admin = rows["example-dev_admin"]
    assert (admin["result"], admin["account_id"], admin["account_name"]) == ("ok", dev.id, dev.name)
    assert admin["role"] == dev.roles["ADMIN"]
    assert f":assumed-role/{dev.roles['ADMIN']}/" in admin["identity"]
    assert rows["example-prod_read"]["result"] == "ok"
    refused = rows["example-prod_admin"]
    assert refused["result"] == "failed"
    assert (refused["error_code"], refused["reason"]) == ("AccessDenied", "not in the trust policy")
    assert (refused["account_id"], refused["account_name"]) == (prod.id, prod.name)
    for profile in ("example-dev_ops", "example-dev_read", "example-prod_ops"):
        assert rows[profile]["reason"] == "not in the trust policy", profile
    ghost = rows[GHOST]
    assert (ghost["result"], ghost["error_code"]) == ("failed", "AccessDenied")
    assert ghost["reason"] == "role does not exist (not in CONST.inc)"
    assert rows[eng.long_term]["result"] == "ok"
    assert rows[eng.long_term]["identity"] == fresh_user.arn
    assert rows["default"]["result"] == "skipped"
    assert rows["example-dev_admin"]["session_remaining"] > 11 * 3600
    assert all(row["seconds"] >= 0 for row in rows.values())
    no_mfa = rows[NO_MFA]
    assert (no_mfa["error_code"], no_mfa["reason"]) == ("AccessDenied", "MFA required: the source has no MFA session")
    deleted = rows[DELETED]
    assert (deleted["error_code"], deleted["reason"]) == ("InvalidClientTokenId", "invalid or deactivated access key")
    assert rows[eng.name]["result"] == "ok"  # the session --refresh made, written where `refresh` writes it
    assert "aws_session_token" in load_profiles(aws_env)[eng.name]
    assert report["failed"] == 7


def test_without_a_session_the_role_rows_say_so_as_the_sdks_fail(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    """The SDKs find no credentials in [NAME] before `refresh`: verify says that of every role hanging off it, and
    asks no code (there is no terminal: asking would exit 5)."""
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    run = invoke("verify", "--output", "json", cwd=tmp_path, input="")
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    rows = by_profile(report)
    assert report["codes_asked"] == 0
    no_session = rows[eng.name]
    assert (no_session["result"], no_session["reason"]) == ("failed", "no session yet: run `aws-iam-bootstrap refresh`")
    admin = rows["example-dev_admin"]
    assert admin["result"] == "failed"
    assert "run `aws-iam-bootstrap refresh`" in admin["reason"]
    assert rows[eng.long_term]["result"] == "ok"


def test_the_table_and_a_valid_session_means_no_code(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    assert invoke("refresh", "--token-code", eng.device.code()).returncode == 0

    # No flag and no terminal: asking for a code would exit 5; a valid session needs none.
    run = invoke("verify", cwd=tmp_path, input="")

    assert run.returncode == 1, run.stderr
    assert "Error: 7 of 11 checked profiles failed" in run.stderr
    lines = run.stdout.splitlines()
    (prod_admin,) = [line for line in lines if "example-prod_admin" in line]
    assert "FAILED" in prod_admin
    assert "AccessDenied" in prod_admin
    assert "not in the trust policy" in prod_admin
    assert "example-prod" in prod_admin
    (dev_admin,) = [line for line in lines if "example-dev_admin" in line]
    assert "OK" in dev_admin
    assert sandbox.accounts["DEV"].id in dev_admin
    assert "no MFA code asked" in run.stdout

    # Only the profiles asked for; all of them work: exit 0.
    chosen = invoke(
        "verify", "--profile", "example-dev_admin", "--profile", "example-prod_r*", "-o", "json", cwd=tmp_path, input=""
    )
    assert chosen.returncode == 0, chosen.stderr
    assert sorted(by_profile(json.loads(chosen.stdout))) == ["example-dev_admin", "example-prod_read"]


def test_an_expired_session_fails_every_role_on_it_as_the_sdks_do_and_refresh_renews_it(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    expired = (
        "\n[example-dev]\n"
        "aws_access_key_id = ASIAEXPIREDEXPIRED01\n"
        "aws_secret_access_key = expiredsecretexpiredsecretexpiredsecret1\n"
        "aws_session_token = expiredtokenexpiredtokenexpiredtoken\n"
        "expiration = 2020-01-01 00:00:00\n"
    )
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path, credentials_extra=expired)

    run = invoke("verify", "-o", "json", cwd=tmp_path, input="")

    assert run.returncode == 1
    report = json.loads(run.stdout)
    session = by_profile(report)[eng.name]
    assert (session["result"], session["error_code"]) == ("failed", "ExpiredToken")
    assert session["reason"].startswith("expired session")
    assert session["session_remaining"] < 0
    admin = by_profile(report)["example-dev_admin"]
    assert (admin["result"], admin["error_code"]) == ("failed", "ExpiredToken")
    assert admin["reason"] == "expired session in source profile [example-dev]: run `aws-iam-bootstrap refresh`"
    assert report["codes_asked"] == 0  # no code quietly used on a morning when every client fails
    assert any("refresh --profile example-dev" in note for note in report["notes"])
    # verify alone never writes: the expired session is still there for `refresh` to renew.
    assert "2020-01-01 00:00:00" in aws_env.credentials.read_text()

    renewed = invoke("verify", "--refresh", "-o", "json", "--token-code", eng.device.code(), cwd=tmp_path)
    report = json.loads(renewed.stdout)
    assert by_profile(report)["example-dev_admin"]["result"] == "ok"
    assert by_profile(report)[eng.name]["result"] == "ok"
    assert report["codes_asked"] == 1
    assert "2020-01-01 00:00:00" not in aws_env.credentials.read_text()


def test_without_const_inc_a_refusal_says_both_possibilities(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    run = invoke(
        "verify", "--refresh", "-o", "json", "-p", "example-*", "--token-code", eng.device.code(), cwd=elsewhere
    )

    rows = by_profile(json.loads(run.stdout))
    # AWS answers AccessDenied for a missing role too; without CONST.inc the tool cannot tell which.
    assert rows[GHOST]["reason"] == "not in the trust policy (or the role does not exist)"
    assert rows["example-dev_admin"]["account_name"] == "example-dev_admin"  # no CONST.inc: the profile's name


def test_bad_input_exits_2(aws_env: AwsPaths, tmp_path: Path) -> None:
    aws_env.config.write_text("[profile a]\nregion = eu-west-1\n")
    nothing = invoke("verify", "--profile", "nomatch*", cwd=tmp_path)
    assert nothing.returncode == 2
    assert "no profile matches 'nomatch*'" in nothing.stderr
    assert invoke("verify", "--output", "yaml", cwd=tmp_path).returncode == 2
    missing = invoke("verify", "--const-file", str(tmp_path / "nope.inc"), cwd=tmp_path)
    assert missing.returncode == 2


def test_a_role_answering_from_another_account_fails(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox always answers from the role's account, so the answer is swapped at the seam verify reads."""
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    real_client = clients.client

    class Lying:
        """An STS client whose GetCallerIdentity answers an assumed role from another account."""

        def __init__(self, made: Any) -> None:
            self.made = made

        def __getattr__(self, name: str) -> Any:
            return getattr(self.made, name)

        def get_caller_identity(self) -> dict[str, Any]:
            answer = dict(self.made.get_caller_identity())
            return {**answer, "Account": "999999999999"} if "assumed-role" in answer["Arn"] else answer

    def lying(service: str, *args: Any, **kwargs: Any) -> Any:
        made = real_client(service, *args, **kwargs)
        return Lying(made) if service == "sts" else made

    monkeypatch.setattr(clients, "client", lying)
    report = verify.verify(aws_env, codes.FixedCode(eng.device.code()), patterns=["example-dev_admin"], refresh=True)

    (check,) = report.checks
    assert (check.result, check.error_code) == ("failed", "WrongAccount")
    assert check.reason == f"wrong account returned: 999999999999, but role_arn names {sandbox.accounts['DEV'].id}"


def test_a_long_term_key_older_than_90_days_gets_a_warning(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    # IAM lists keys only to an MFA session (the ManageOwnUser policy): verify uses today's, asking nothing.
    assert invoke("refresh", "--token-code", eng.device.code()).returncode == 0

    class In100Days:
        def now(self) -> datetime:
            return datetime.now(UTC) + timedelta(days=100)

        def sleep(self, seconds: float) -> None:
            raise AssertionError("no sleeping")

    report = verify.verify(aws_env, codes.PromptCodes(NoPrompter()), patterns=[eng.long_term], clock=In100Days())

    (check,) = report.checks
    assert check.result == "ok"
    assert check.warnings == ("access key is 100 days old: rotate it (`aws-iam-bootstrap rotate-key`)",)
    assert report.codes_asked == 0


def test_throttling_that_outlasts_the_retries_is_named(monkeypatch: pytest.MonkeyPatch, aws_env: AwsPaths) -> None:
    """Stubber: the sandbox cannot be made to throttle. (botocore's adaptive retries absorb throttling that passes;
    this is what the user sees when it does not.)"""
    from botocore.stub import Stubber

    aws_env.credentials.write_text(
        "[ci]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = notarealsecretatall\n"
    )
    throttled = clients.client("sts", Credentials("AKIAEXAMPLEEXAMPLE01", "notarealsecretatall"), region="eu-west-1")
    stubber = Stubber(throttled)
    stubber.add_client_error("get_caller_identity", service_error_code="Throttling", http_status_code=400)
    stubber.activate()
    monkeypatch.setattr(clients, "client", lambda *args, **kwargs: throttled)

    report = verify.verify(aws_env, codes.PromptCodes(NoPrompter()), patterns=["ci"])

    (check,) = report.checks
    assert (check.result, check.error_code, check.reason) == (
        "failed",
        "Throttling",
        "throttled by AWS, still after retries",
    )


def test_the_code_is_asked_once_in_a_real_terminal(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    status, shown = daily_setup.type_code(
        eng.device,
        BIN / "aws-iam-bootstrap",
        ["verify", "--refresh", "-p", "example-*"],
        # The table fits the terminal: let the pty's 220 columns rule, not a COLUMNS inherited from the runner.
        env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")},
        cwd=str(tmp_path),
        timeout=90,
        dimensions=(50, 220),
    )
    assert status == 1
    assert shown.count("MFA code for") == 0  # asked once: only the prompt matched above
    assert "not in the trust policy" in shown
    assert "1 MFA code(s) asked" in shown


def test_role_chains_are_followed_and_machine_or_sso_profiles_skipped(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    eng = alices_day(sandbox, aws_env, fresh_user, tmp_path)
    prod, dev = sandbox.accounts["PROD"], sandbox.accounts["DEV"]
    with aws_env.config.open("a") as config:
        config.write(
            # From the dev ADMIN role on to prod READ: that trust names people, not roles, so it refuses.
            f"\n[profile chained]\nrole_arn = {prod.role_arn('READ')}\nsource_profile = example-dev_admin\n"
            f"\n[profile on-ec2]\nrole_arn = {dev.role_arn('READ')}\ncredential_source = Ec2InstanceMetadata\n"
            "\n[profile sso]\nsso_session = corp\nsso_account_id = 345678901234\nsso_role_name = Admin\n"
        )

    report = verify.verify(
        aws_env, codes.FixedCode(eng.device.code()), patterns=["chained", "on-ec2", "sso"], refresh=True
    )

    rows = {check.profile: check for check in report.checks}
    assert (rows["chained"].result, rows["chained"].reason) == (
        "failed",
        "not in the trust policy (or the role does not exist)",
    )
    assert rows["chained"].account_id == prod.id
    assert (rows["on-ec2"].result, rows["sso"].result) == ("skipped", "skipped")
    assert report.codes_asked == 1


def test_names_in_brackets_are_printed_as_written_never_read_as_markup(
    sandbox: Sandbox, aws_env: AwsPaths, fresh_user: SandboxUser, tmp_path: Path
) -> None:
    """The table and its notes show user data as text: "[example-dev]" stays, and a profile botocore accepts with
    a name like a closing tag ("[/x]") is a row, not a crash."""
    expired = (
        "\n[example-dev]\naws_access_key_id = ASIAEXPIREDEXPIRED01\n"
        "aws_secret_access_key = expiredsecretexpiredsecretexpiredsecret1\n"
        "aws_session_token = expiredtokenexpiredtokenexpiredtoken\nexpiration = 2020-01-01 00:00:00\n"
        f"\n[[/x]]\naws_access_key_id = AKIADELETEDDELETED02\naws_secret_access_key = {'y' * 40}\n"
    )
    alices_day(sandbox, aws_env, fresh_user, tmp_path, credentials_extra=expired)
    run = invoke("verify", "--profile", "example-dev", "--profile", "[[]/x]", cwd=tmp_path, input="")
    assert "Traceback" not in run.output
    assert run.returncode == 1, run.stderr
    assert "Note: [example-dev] has expired" in run.stdout
    assert any(line.lstrip("│ ").startswith("[/x]") for line in run.stdout.splitlines())
