"""A render with nothing to change answers from the record of the last one, and anything that could change what a
render writes (a byte of an input, of an AWS file or of a ledger, a flag) makes it do the whole work again."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import TRANSCRIPT
from tests.support.team import ROOT, SECRET, SERIAL, Workspace, workspace_from


@pytest.fixture
def rendered(tmp_path: Path) -> Workspace:
    ws = workspace_from(tmp_path, ROOT, const="CONST.inc.example")
    first = ws.render("--mfa-serial", SERIAL, secret=SECRET)
    assert first.returncode == 0, first.stderr
    second = ws.render()  # the first render without the key on the command line: it takes it back, and records
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("no changes") == 2
    return ws


def _record(ws: Workspace) -> Path:
    return ws.home / ".aws" / "aws-iam-bootstrap" / "render.json"


def _fresh_render(ws: Workspace) -> subprocess.CompletedProcess[str]:
    """`render` in a new interpreter, reporting whether Jinja2 (the renderer) or python-dotenv was imported."""
    code = (
        "import sys\nfrom bootstrap.cli import main\ntry:\n    main(['render'])\nexcept SystemExit as exc:\n"
        "    code = exc.code\nprint('loaded:', sorted(m for m in ('jinja2', 'dotenv') if m in sys.modules))\n"
    )
    env = {**ws.env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ws.repo, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    TRANSCRIPT.extend([proc.stdout, proc.stderr])
    return proc


def test_an_unchanged_render_answers_from_the_record_without_rendering(rendered: Workspace) -> None:
    before = {p: p.read_bytes() for p in (rendered.config, rendered.credentials)}
    proc = _fresh_render(rendered)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("no changes") == 2
    assert "reused from your AWS files: AWS_USER, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in proc.stdout
    assert "loaded: []" in proc.stdout  # neither CONST.inc nor a template was read as such
    assert {p: p.read_bytes() for p in before} == before


def test_the_record_holds_no_secret_and_is_private(rendered: Workspace) -> None:
    record = _record(rendered)
    assert SECRET not in record.read_text()
    assert "digest" in record.read_text()
    assert record.stat().st_mode & 0o777 == 0o600
    assert record.parent.stat().st_mode & 0o777 == 0o700


def _edit_config(ws: Workspace) -> None:
    ws.config.write_text(ws.config.read_text().replace("region = eu-west-1", "region = us-east-2", 1))


def _edit_template(ws: Workspace) -> None:
    template = ws.repo / "aws-cli.config.tpl"
    template.write_text(template.read_text().replace("role_session_name", "duration_seconds = 3600\nrole_session_name"))


def _edit_const(ws: Workspace) -> None:
    const = ws.repo / "CONST.inc"
    const.write_text(const.read_text().replace("GLOBAL_AWS_REGION=eu-west-1", "GLOBAL_AWS_REGION=eu-central-1"))


def _drop_ledger(ws: Workspace) -> None:
    (ws.config.parent / ".config.aws-iam-bootstrap.json").unlink()


@pytest.mark.parametrize(
    ("change", "profile", "key", "value"),
    [
        (_edit_config, "default", "region", "eu-west-1"),  # the user's hand edit of a managed key is put right
        (_edit_template, "example-dev_admin", "duration_seconds", "3600"),
        (_edit_const, "example-dev_admin", "region", "eu-central-1"),
    ],
)
def test_any_changed_input_or_file_makes_the_render_do_the_work(
    rendered: Workspace, change: Callable[[Workspace], None], profile: str, key: str, value: str
) -> None:
    change(rendered)
    run = rendered.render()
    assert run.returncode == 0, run.stderr
    assert "changed: updated" in run.stdout
    assert rendered.profiles()[profile][key] == value
    assert rendered.render().stdout.count("no changes") == 2  # and the next one is answered from the new record


def test_a_lost_ledger_or_record_only_costs_the_whole_work(rendered: Workspace) -> None:
    _drop_ledger(rendered)
    run = rendered.render()
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("no changes") == 2
    assert (rendered.config.parent / ".config.aws-iam-bootstrap.json").exists()  # the render did run, and wrote it
    _record(rendered).write_text("{not json")
    assert rendered.render().stdout.count("no changes") == 2


def test_a_different_flag_is_a_different_render(rendered: Workspace) -> None:
    run = rendered.render("--set", "GLOBAL_AWS_REGION=ap-south-1", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "would change" in run.stdout
    record = _record(rendered).read_bytes()
    assert rendered.render("--dry-run").stdout.count("no changes") == 2
    assert _record(rendered).read_bytes() == record  # a dry run reads the record, never writes it
    os.utime(rendered.config)  # a touch changes no byte: still nothing to do
    assert rendered.render().stdout.count("no changes") == 2
