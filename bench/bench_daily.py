"""The commands an engineer (or an SDK) runs all day, each next to its floor in the same run.

- ``credential-process`` with a valid session in its cache: the SDKs run it on every credential resolution, so a
  hit must cost no more than ``--help`` does (a hit needs no AWS call: boto3 is never imported, checked here).
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.timing import BIN, check_no_boto3, command, ms, side_by_side

REPS = 30


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
        _, bare_t = side_by_side(bare, helped, REPS)
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


def main() -> str:
    lines = ["## The daily commands", "", f"Medians of {REPS} alternating runs of each side.", ""]
    lines += bench_credential_process()
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main())
