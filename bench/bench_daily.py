"""The commands an engineer (or an SDK) runs all day, each next to its floor in the same run.

- ``credential-process`` with a valid session in its cache: the SDKs run it on every credential resolution, so a
  hit must cost no more than ``--help`` does (a hit needs no AWS call: boto3 is never imported, checked here).
- ``refresh --force`` (GetSessionToken, then the credentials file written): no slower than aws-mfa doing the same,
  next to a bare floor (a Python process importing boto3, making that one call and writing the file with
  configparser). All three talk to the same sandbox; its TOTP clock moves one 30 s window per run, so every run
  gets a fresh code without waiting.
- ``refresh`` with a valid session (nothing to do): no boto3 at all (checked) and at most 1.5x ``--help``; aws-mfa's
  same no-op beside it.
- The peers of the issue, on the operation each shares with us (see ``PEERS``), and which could not be measured.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.timing import BIN, alternating, check_no_boto3, command, failure, ms, side_by_side

REPS = 30
FORCED_REPS = 15  # each forced run is a real GetSessionToken against the sandbox


def _engineer_files(home: Path) -> dict[str, str]:
    """Throw-away AWS files with a long-term key, its device, and a cached session valid for 10 hours."""
    from bootstrap.awsfiles import layout
    from bootstrap.awsfiles.locations import aws_paths
    from bootstrap.awsfiles.profiles import load_profiles
    from bootstrap.credentials import Credentials
    from bootstrap.engineer.credential_process import save_session

    aws = home / ".aws"
    aws.mkdir(mode=0o700, parents=True)
    (aws / "config").write_text(
        "[profile me-long-term]\nmfa_serial = arn:aws:iam::210987654321:mfa/me\n\n"
        f"[profile me]\ncredential_process = {BIN / 'aws-iam-bootstrap'} credential-process --profile me\n"
    )
    (aws / "credentials").write_text(
        "[me-long-term]\naws_access_key_id = AKIABENCHBENCHBENCH1\n"
        "aws_secret_access_key = benchSECRETbenchSECRETbenchSECRETbench01\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home), AWS_CONFIG_FILE=str(aws / "config"), AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials")
    )
    paths = aws_paths(env)
    lt, serial = layout.renewer(load_profiles(paths), "me", {})
    session = Credentials("ASIABENCHBENCHBENCH2", "s" * 40, "t" * 200, datetime.now(UTC) + timedelta(hours=10))
    save_session(paths, lt, serial, session)
    return env


def bench_credential_process() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-daily-") as tmp:
        env = _engineer_files(Path(tmp))
        hit = command([str(BIN / "aws-iam-bootstrap"), "credential-process", "--profile", "me"], env)
        helped = command([str(BIN / "aws-iam-bootstrap"), "--help"], env)
        bare = command([str(BIN / "python"), "-c", "pass"], env)
        ours, help_t = side_by_side(hit, helped, REPS)
        bare_t, _ = side_by_side(bare, helped, REPS)  # (bare, help): the first is the interpreter's
        check_no_boto3(
            "from bootstrap.cli import main\ntry:\n    main(['credential-process', '--profile', 'me'])\n"
            "except SystemExit:\n    pass",
            env,
        )
    ratio = ours / help_t
    return [
        "| what | median | `aws-iam-bootstrap --help`, same run | ratio | target |",
        "|---|---|---|---|---|",
        f"| `credential-process`, a valid session in the cache | {ms(ours)} | {ms(help_t)} | {ratio:.2f}x | "
        f"<= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'} |",
        f"| `python -c pass` (the interpreter alone, for scale) | {ms(bare_t)} | | | |",
        "",
        "Checked in the same run: boto3 is not in `sys.modules` after a cache hit.",
    ]


def _verdict(ratio: float, target: float) -> str:
    return f"<= {target:g}x: {'met' if ratio <= target else 'MISSED'}"


# The floor of `refresh --force`: what any tool must do, and nothing more (no lock, backup or validation).
FLOOR = """
import configparser, os, sys
import boto3
profile, code = sys.argv[1], sys.argv[2]
path = os.environ["AWS_SHARED_CREDENTIALS_FILE"]
parser = configparser.RawConfigParser()
parser.read(path)
lt = profile + "-long-term"
sts = boto3.client("sts", aws_access_key_id=parser.get(lt, "aws_access_key_id"),
                   aws_secret_access_key=parser.get(lt, "aws_secret_access_key"))
made = sts.get_session_token(DurationSeconds=43200, SerialNumber=parser.get(lt, "aws_mfa_device"), TokenCode=code)
c = made["Credentials"]
if not parser.has_section(profile):
    parser.add_section(profile)
expiration = c["Expiration"].strftime("%Y-%m-%d %H:%M:%S")
for key, value in (("aws_access_key_id", c["AccessKeyId"]), ("aws_secret_access_key", c["SecretAccessKey"]),
                   ("aws_session_token", c["SessionToken"]), ("expiration", expiration)):
    parser.set(profile, key, value)
with open(path, "w") as out:
    parser.write(out)
"""


def _mfa_files(home: Path, key_id: str, secret: str, serial: str) -> dict[str, str]:
    """AWS files in aws-mfa's layout, which refresh shares: the key and device in [me-long-term]."""
    aws = home / ".aws"
    aws.mkdir(mode=0o700, parents=True)
    (aws / "config").write_text(f"[profile me-long-term]\nmfa_serial = {serial}\n\n[profile me]\nregion = eu-west-1\n")
    credentials = aws / "credentials"
    credentials.write_text(
        f"[me-long-term]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\naws_mfa_device = {serial}\n"
    )
    credentials.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(aws / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def bench_refresh_force() -> list[str]:
    import time

    import pyotp

    from bootstrap.sandbox import start_sandbox

    sandbox = start_sandbox()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
            user = sandbox.add_user("bench-refresh", {})
            iam = sandbox.client("iam", user.one_time_key)
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user.name)["VirtualMFADevice"]
            seed = device["Base32StringSeed"]
            totp = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed)
            window = int(time.time()) // 30
            iam.enable_mfa_device(
                UserName=user.name,
                SerialNumber=device["SerialNumber"],
                AuthenticationCode1=totp.at((window - 1) * 30),
                AuthenticationCode2=totp.at(window * 30),
            )
            # The sandbox refuses a code twice, as AWS does: its clock moves to the next window before each run.
            virtual = [window * 30 + 45.0]
            sandbox.layer.clock = lambda: virtual[0]

            def code() -> str:
                virtual[0] += 30
                return str(totp.at(virtual[0]))

            key = user.one_time_key
            env = _mfa_files(Path(tmp), key.access_key_id, key.secret_access_key, device["SerialNumber"])
            env.update(sandbox.environ())
            floor = Path(tmp) / "floor.py"
            floor.write_text(FLOOR)

            def run(args: list[str], stdin: str = "") -> None:
                subprocess.run(args, input=stdin, text=True, capture_output=True, check=True, env=env)

            tool = str(BIN / "aws-iam-bootstrap")
            times = alternating(
                {
                    "ours": lambda: run([tool, "refresh", "-p", "me", "--force", "--token-code", code()]),
                    "aws-mfa": lambda: run([str(BIN / "aws-mfa"), "--profile", "me", "--force"], code() + "\n"),
                    "floor": lambda: run([str(BIN / "python"), str(floor), "me", code()]),
                },
                FORCED_REPS,
            )
    finally:
        sandbox.stop()
    ratio = times["ours"] / times["aws-mfa"]
    return [
        f"### `refresh --force`: a new MFA session (GetSessionToken + the credentials file), {FORCED_REPS} "
        "alternating runs",
        "",
        "| what | median | ratio to aws-mfa | target |",
        "|---|---|---|---|",
        f"| `aws-iam-bootstrap refresh --force --token-code C` | {ms(times['ours'])} | {ratio:.2f}x | "
        f"{_verdict(ratio, 1.0)} |",
        f"| `aws-mfa --force` (code on stdin) | {ms(times['aws-mfa'])} | 1.00x | |",
        f"| floor: `python floor.py` (import boto3, one GetSessionToken, configparser writes the file) | "
        f"{ms(times['floor'])} | {times['floor'] / times['aws-mfa']:.2f}x | |",
        "",
        f"Ours over the floor: {times['ours'] / times['floor']:.2f}x (ours also locks the file, keeps a backup, "
        "writes atomically and checks botocore reads it back).",
        "",
    ]


def bench_refresh_noop() -> list[str]:
    from datetime import UTC, datetime, timedelta

    with tempfile.TemporaryDirectory(prefix="bench-noop-") as tmp:
        serial = "arn:aws:iam::210987654321:mfa/me"
        env = _mfa_files(Path(tmp), "AKIABENCHBENCHBENCH1", "benchSECRETbenchSECRETbenchSECRETbench01", serial)
        expires = (datetime.now(UTC) + timedelta(hours=10)).strftime("%Y-%m-%d %H:%M:%S")
        with Path(env["AWS_SHARED_CREDENTIALS_FILE"]).open("a") as credentials:
            # A session as aws-mfa and refresh both write it (aws-mfa wants every one of these keys).
            credentials.write(
                f"\n[me]\nassumed_role = False\naws_access_key_id = ASIABENCHBENCHBENCH2\n"
                f"aws_secret_access_key = {'s' * 40}\naws_session_token = {'t' * 200}\n"
                f"aws_security_token = {'t' * 200}\nexpiration = {expires}\n"
            )
        tool = str(BIN / "aws-iam-bootstrap")
        times = alternating(
            {
                "ours": command([tool, "refresh", "--profile", "me"], env),
                "help": command([tool, "--help"], env),
                "aws-mfa": command([str(BIN / "aws-mfa"), "--profile", "me"], env),
            },
            REPS,
        )
        check_no_boto3(
            "from bootstrap.cli import main\ntry:\n    main(['refresh', '--profile', 'me'])\n"
            "except SystemExit:\n    pass",
            env,
        )
    ratio = times["ours"] / times["help"]
    return [
        f"### `refresh` with a valid session (nothing to do), {REPS} alternating runs",
        "",
        "| what | median | ratio to `--help` | target |",
        "|---|---|---|---|",
        f"| `aws-iam-bootstrap refresh` | {ms(times['ours'])} | {ratio:.2f}x | {_verdict(ratio, 1.5)} |",
        f"| `aws-iam-bootstrap --help` | {ms(times['help'])} | 1.00x | |",
        f"| `aws-mfa` (the same no-op) | {ms(times['aws-mfa'])} | {times['aws-mfa'] / times['help']:.2f}x | |",
        "",
        "Checked in the same run: boto3 is not in `sys.modules` after the no-op.",
        "",
    ]


# The peers named by issue 14, each on what it shares with us; a peer that is not installed, or fails, is named
# with the reason instead of a figure.
PEERS = {
    "aws-mfa": "refresh (forced and no-op): rows above",
    "awsume": "exporting a profile whose session is in the file: `awsumepy me` next to our `env --profile me`",
    "aws-export-credentials": "exporting a profile whose session is in the file: `--env-export` next to `env`",
    "aws-sso-util": "nothing: it signs in to IAM Identity Center, which we do not (verify skips SSO profiles)",
    "aws": "verify's per-profile check (see bench_verify); v1 has no `configure export-credentials` (v2 only)",
}


MEASURED = {
    "aws-mfa": "yes: forced refresh, no-op, start-up",
    "awsume": "yes: export, start-up",
    "aws-export-credentials": "yes: export, start-up",
    "aws-sso-util": "start-up only (no operation in common)",
    "aws": "start-up here (`--version`); its per-profile check in bench_verify",
}


def bench_peers() -> list[str]:
    import shutil
    from datetime import UTC, datetime, timedelta

    lines = [
        f"### The peers, each on what it shares with us ({REPS} alternating runs)",
        "",
        "| peer | shares with us | measured |",
        "|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        env = _mfa_files(Path(tmp), "AKIABENCHBENCHBENCH1", "benchSECRETbenchSECRETbenchSECRETbench01", "arn:x")
        expires = (datetime.now(UTC) + timedelta(hours=10)).strftime("%Y-%m-%d %H:%M:%S")
        with Path(env["AWS_SHARED_CREDENTIALS_FILE"]).open("a") as credentials:
            credentials.write(
                f"\n[me]\nassumed_role = False\naws_access_key_id = ASIABENCHBENCHBENCH2\n"
                f"aws_secret_access_key = {'s' * 40}\naws_session_token = {'t' * 200}\nexpiration = {expires}\n"
            )
        tool = str(BIN / "aws-iam-bootstrap")
        exports = {
            "awsume": [str(BIN / "awsumepy"), "me"],
            "aws-export-credentials": [str(BIN / "aws-export-credentials"), "--profile", "me", "--env-export"],
        }
        helps = {
            "aws-iam-bootstrap": [tool, "--help"],
            "aws-mfa": [str(BIN / "aws-mfa"), "--help"],
            "awsume": [str(BIN / "awsumepy"), "--help"],
            "aws-export-credentials": [str(BIN / "aws-export-credentials"), "--help"],
            "aws-sso-util": [str(BIN / "aws-sso-util"), "--help"],
            "aws": [str(BIN / "aws"), "--version"],  # `aws help` pages a man page: --version is its bare start
        }
        why_not: dict[str, str] = {}
        for name in PEERS:
            if shutil.which(name if name != "awsume" else "awsumepy", path=str(BIN)) is None:
                why_not[name] = "not installed (`pip install -e '.[dev,bench]'`)"
        for name, args in exports.items():
            if name not in why_not and (why := failure(args, env)) is not None:
                why_not[name] = f"fails here: {why[-160:]}"
        sides = {"ours: `env --profile me`": command([tool, "env", "--profile", "me"], env)}
        sides.update({name: command(args, env) for name, args in exports.items() if name not in why_not})
        exported = alternating(sides, REPS)
        started = alternating(
            {
                name: command(args, env)
                for name, args in helps.items()
                if name == "aws-iam-bootstrap" or (name not in why_not and failure(args, env) is None)
            },
            REPS,
        )
    for name, shares in PEERS.items():
        measured = why_not.get(name, MEASURED[name])
        lines.append(f"| {name} | {shares} | {measured} |")
    lines += ["", "| export of a session profile | median | ratio to ours |", "|---|---|---|"]
    ours = exported["ours: `env --profile me`"]
    lines += [f"| {name} | {ms(t)} | {t / ours:.2f}x |" for name, t in exported.items()]
    lines += ["", "| start-up, for scale (`--help`) | median |", "|---|---|"]
    lines += [f"| {name} | {ms(t)} |" for name, t in started.items()]
    return [*lines, ""]


def main() -> str:
    lines = ["## The daily commands", "", f"Medians of {REPS} alternating runs of each side.", ""]
    lines += bench_credential_process()
    lines += ["", *bench_refresh_force(), *bench_refresh_noop(), *bench_peers()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main())
