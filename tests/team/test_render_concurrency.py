"""Ten ``render`` processes at once into the same files: none loses another's update; and the files stay private."""

from __future__ import annotations

import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.cli import BIN, Run, cli, record
from tests.support.team import KEY_ID, SECRET, SEED, workspace_from


def test_ten_concurrent_renders_lose_no_update(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    # Each run adds its own profile (named by --set), so a lost update would show as a missing profile.
    config = ws.repo / "aws-cli.config.tpl"
    config.write_text(config.read_text() + "\n[profile extra-${N}]\nregion = ${GLOBAL_AWS_REGION}\n")
    assert ws.render("--set", "N=first", secret=SECRET).returncode == 0

    def one(n: int) -> Run:
        return cli("render", "--set", f"N={n}", input="", env=ws.env, cwd=ws.repo)

    with ThreadPoolExecutor(max_workers=10) as pool:
        runs = list(pool.map(one, range(10)))
    assert [run.returncode for run in runs] == [0] * 10, [run.stderr for run in runs if run.returncode]
    profiles = ws.profiles()
    assert {f"extra-{n}" for n in range(10)} | {"extra-first"} <= profiles.keys()
    assert profiles["myawsaccount_read"]["source_profile"] == "myawsaccount"
    assert ws.config.read_text().count("[profile extra-3]") == 1


def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    ws = workspace_from(tmp_path, SEED)
    proc = subprocess.run(
        [
            "sh",
            "-c",
            'umask 000; exec "$0" render --access-key-id "$1" --secret-access-key-stdin',
            str(BIN / "aws-iam-bootstrap"),
            KEY_ID,
        ],
        input=f"{SECRET}\n",
        capture_output=True,
        text=True,
        env=ws.env,
        cwd=ws.repo,
        check=False,
    )
    record(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(ws.config.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(ws.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(ws.credentials.stat().st_mode) == 0o600
