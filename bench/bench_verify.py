"""`verify` over 100 role profiles in 100 sandbox accounts, against a shell loop of `aws sts get-caller-identity
--profile P` (awscli from PyPI) over the same profiles, in one run, on the same sandbox.

Both sides are separate processes talking HTTP to the sandbox (which runs on a thread of this process), as a user
would run them. verify --refresh starts with no session in the credentials file, so it must ask for a code: the code
comes from a --token-code-command that counts its runs, and exactly one run is expected. The shell loop then needs a
session in the file (botocore asks per role otherwise), so `refresh` writes one (untimed), and verify is timed a
second time with that session (no code).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILES = int(os.environ.get("BENCH_VERIFY_PROFILES", "100"))
TARGET = 20.0
NAME = "example-dev"
FLOOR_SIZES = (100, 300)
FLOOR_REPS = 5
FLOOR_TARGET = 1.1

# The floor of verify: a plain boto3 script making the same calls with 16 threads. Per role: AssumeRole from the
# MFA session in the file (with verify's 900 s, the shortest), then GetCallerIdentity with the role's credentials,
# whose account must be the role's. Clients are made from one session under a lock (boto3 sessions are not
# thread-safe); the role's client is dropped after its call.
FLOOR = """
import sys, threading, boto3
from concurrent.futures import ThreadPoolExecutor
profile, listing = sys.argv[1], sys.argv[2]
arns = open(listing).read().split()
session = boto3.Session(profile_name=profile)
lock = threading.Lock()
sts = session.client("sts")
def check(arn):
    made = sts.assume_role(RoleArn=arn, RoleSessionName="floor", DurationSeconds=900)["Credentials"]
    with lock:
        role = session.client("sts", aws_access_key_id=made["AccessKeyId"],
                              aws_secret_access_key=made["SecretAccessKey"], aws_session_token=made["SessionToken"])
    return role.get_caller_identity()["Account"] == arn.split(":")[4]
with ThreadPoolExecutor(16) as pool:
    ok = sum(pool.map(check, arns))
sys.exit(0 if ok == len(arns) else 1)
"""


def _run(argv: list[str], env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=3600)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


@dataclass(frozen=True)
class _Setup:
    env: dict[str, str]
    roles: list[tuple[str, str]]  # (profile, role ARN), in profile order
    seed: str = field(repr=False)
    state: Path  # the TOTP windows used so far (tests/support/engineer.py's code command reads it)
    seconds: float


def _setup(sandbox: Any, tmp: Path, profiles: int) -> _Setup:
    """A user with an MFA device, ``profiles`` accounts each with a READ role trusting it, and AWS files with a
    role profile per account (``bench-NNN_read``) whose source is the user's session profile."""
    import pyotp

    setup_started = time.perf_counter()
    user = sandbox.add_user("bench-verify", {})
    iam: Any = sandbox.client("iam", user.one_time_key)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user.name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    now = int(time.time()) // 30
    totp = pyotp.TOTP(seed)
    iam.enable_mfa_device(
        UserName=user.name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at((now - 1) * 30),
        AuthenticationCode2=totp.at(now * 30),
    )
    state = tmp / "used-windows.json"
    state.write_text(json.dumps([now - 1, now]))
    roles: list[tuple[str, str]] = []
    for i in range(profiles):
        account = sandbox.add_account(f"BENCHV{i}", name=f"bench-{i:03d}", kinds=("READ",))
        sandbox.grant(user.name, account.env, ("READ",))
        roles.append((f"{account.name}_read", account.role_arn("READ")))
    home = tmp / "home"
    (home / ".aws").mkdir(parents=True)
    config = [f"[profile {NAME}-long-term]", "region = eu-west-1", f"mfa_serial = {device['SerialNumber']}"]
    config += ["", f"[profile {NAME}]", "region = eu-west-1"]
    for profile, arn in roles:
        config += ["", f"[profile {profile}]", "region = eu-west-1", f"role_arn = {arn}"]
        config.append(f"source_profile = {NAME}")
    (home / ".aws" / "config").write_text("\n".join(config) + "\n")
    credentials = home / ".aws" / "credentials"
    key = user.one_time_key
    credentials.write_text(
        f"[{NAME}-long-term]\naws_access_key_id = {key.access_key_id}\n"
        f"aws_secret_access_key = {key.secret_access_key}\n"
    )
    credentials.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox.environ())
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true")
    return _Setup(env, roles, seed, state, time.perf_counter() - setup_started)


def main() -> str:
    from bootstrap.sandbox import start_sandbox

    bin_dir = Path(sys.executable).parent
    tool, aws = str(bin_dir / "aws-iam-bootstrap"), str(bin_dir / "aws")
    sandbox = start_sandbox()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp_name:
            tmp = Path(tmp_name)
            setup = _setup(sandbox, tmp, PROFILES)
            env, roles, seed, state, setup_seconds = setup.env, setup.roles, setup.seed, setup.state, setup.seconds
            count = tmp / "codes-asked"
            root = str(Path(__file__).resolve().parent.parent)
            program = f"import sys; sys.path.insert(0, {root!r}); from tests.support.engineer import main; main()"
            code_command = shlex.join([sys.executable, "-c", program, seed, str(state), str(count)])
            patterns = ["--profile", "bench-*"]

            started = time.perf_counter()
            cold = _run(
                [tool, "verify", "--refresh", *patterns, "-o", "json", "--token-code-command", code_command], env
            )
            cold_seconds = time.perf_counter() - started
            cold_report = json.loads(cold.stdout)
            codes_asked = int(count.read_text())

            _run([tool, "refresh", "--token-code-command", code_command], env)
            started = time.perf_counter()
            warm = _run([tool, "verify", *patterns, "-o", "json"], env)
            warm_seconds = time.perf_counter() - started
            warm_report = json.loads(warm.stdout)

            profile_list = tmp / "profiles.txt"
            profile_list.write_text("\n".join(profile for profile, _ in roles) + "\n")
            loop = (
                'ok=0; while read -r p; do "$AWS" sts get-caller-identity --profile "$p" --output text >/dev/null '
                '&& ok=$((ok+1)); done < "$LIST"; echo "$ok"'
            )
            started = time.perf_counter()
            shell = _run(["bash", "-c", loop], {**env, "AWS": aws, "LIST": str(profile_list)})
            shell_seconds = time.perf_counter() - started
            shell_ok = int(shell.stdout.strip() or 0)
    finally:
        sandbox.stop()

    speedup_cold = shell_seconds / cold_seconds
    speedup_warm = shell_seconds / warm_seconds
    verdict = "met" if min(speedup_cold, speedup_warm) >= TARGET and codes_asked == 1 else "NOT met"
    return (
        "\n".join(
            [
                "## verify: 100 role profiles in 100 accounts vs a shell loop of `aws sts get-caller-identity`",
                "",
                f"{PROFILES} role profiles, each in its own sandbox account (setup: {setup_seconds:.1f} s, untimed); "
                f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs. Each side is "
                "a separate process talking HTTP to the same sandbox.",
                "",
                "| run | profiles ok | MFA codes asked | seconds | per profile |",
                "|---|---|---|---|---|",
                f"| `verify --refresh` (no session yet: one GetSessionToken, then AssumeRole + GetCallerIdentity per "
                "profile) "
                f"| {cold_report['checked'] - cold_report['failed']}/{PROFILES} | {codes_asked} "
                f"| {cold_seconds:.2f} | {cold_seconds / PROFILES * 1000:.0f} ms |",
                f"| `verify` (session in the file) | {warm_report['checked'] - warm_report['failed']}/{PROFILES} "
                f"| {warm_report['codes_asked']} | {warm_seconds:.2f} | {warm_seconds / PROFILES * 1000:.0f} ms |",
                f"| shell loop of `aws sts get-caller-identity --profile P` | {shell_ok}/{PROFILES} | 0 (session "
                f"from `refresh`) | {shell_seconds:.2f} | {shell_seconds / PROFILES * 1000:.0f} ms |",
                "",
                f"Speed-up: {speedup_cold:.1f}x (cold), {speedup_warm:.1f}x (warm); target {TARGET:.0f}x and exactly "
                f"one MFA code: **{verdict}**.",
                "",
            ]
        )
        + bench_floor()
    )


def bench_floor() -> str:
    """verify (session in the file) next to FLOOR over the same role profiles, at each of FLOOR_SIZES."""
    from statistics import median

    from bench.timing import measured
    from bootstrap.sandbox import start_sandbox

    bin_dir = Path(sys.executable).parent
    sandbox = start_sandbox()
    rows: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-verify-floor-") as tmp_name:
            tmp = Path(tmp_name)
            setup = _setup(sandbox, tmp, max(FLOOR_SIZES))
            root = str(Path(__file__).resolve().parent.parent)
            program = f"import sys; sys.path.insert(0, {root!r}); from tests.support.engineer import main; main()"
            code_command = shlex.join([sys.executable, "-c", program, setup.seed, str(setup.state), str(tmp / "n")])
            _run([str(bin_dir / "aws-iam-bootstrap"), "refresh", "--token-code-command", code_command], setup.env)
            floor = tmp / "floor.py"
            floor.write_text(FLOOR)
            for size in FLOOR_SIZES:
                chosen = setup.roles[:size]
                listing = tmp / f"roles-{size}.txt"
                listing.write_text("\n".join(arn for _, arn in chosen) + "\n")
                ours_args = ["-m", "bootstrap", "verify", "-o", "json"]
                ours_args += [f"--profile={profile}" for profile, _ in chosen]
                floor_args = [str(floor), NAME, str(listing)]
                samples: dict[str, list[tuple[float, int]]] = {"ours": [], "floor": []}
                measured(ours_args, setup.env)  # warm-up, both sides
                measured(floor_args, setup.env)
                for _ in range(FLOOR_REPS):
                    samples["floor"].append(measured(floor_args, setup.env))
                    samples["ours"].append(measured(ours_args, setup.env))
                ours_s, floor_s = (median(t for t, _ in samples[side]) for side in ("ours", "floor"))
                ours_kb, floor_kb = (max(kb for _, kb in samples[side]) for side in ("ours", "floor"))
                ratio = ours_s / floor_s
                verdict = "met" if ratio <= FLOOR_TARGET else "MISSED"
                rows.append(
                    f"| {size} | {ours_s:.2f} s | {floor_s:.2f} s | {ratio:.2f}x | <= {FLOOR_TARGET:g}x: {verdict} "
                    f"| {ours_kb / 1024:.0f} MiB | {floor_kb / 1024:.0f} MiB |"
                )
    finally:
        sandbox.stop()
    return "\n".join(
        [
            "## verify next to its floor: a bare 16-thread boto3 script making the same calls",
            "",
            f"Role profiles in as many sandbox accounts, the MFA session in the file (as `refresh` leaves it); medians "
            f"of {FLOOR_REPS} alternating runs per size; peak RSS is the largest of each process's own "
            "(VmHWM, read as it exits; both sides run under the same small wrapper). "
            "Per role both sides make AssumeRole, then GetCallerIdentity with the role's credentials (verify keeps "
            "that second call: AssumeRole's answer says STS issued credentials, GetCallerIdentity proves they work "
            "and in which account).",
            "",
            "| profiles | `verify` | floor | ratio | target | peak RSS, verify | peak RSS, floor |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


if __name__ == "__main__":
    print(main())
