"""`pipeline rotate-key` on the sandbox: the new key handed over while the old one keeps working, the old one
deactivated only once IAM shows the new one used (or --force), deleted by the next rotation; an interrupted
rotation finished by running it again. IAM never holds more than two keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bootstrap.credentials import Credentials
from tests.org.test_pipelines_e2e import DEPLOY, read_key
from tests.support.cli import Run, invoke
from tests.support.org import OrgRepo, make_repo

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox

pytestmark = pytest.mark.slow
USER = "pipeline-web"


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> OrgRepo:
    made = make_repo(sandbox, tmp_path)
    (made.root / "deploy.json").write_text(json.dumps(DEPLOY))
    handover = tmp_path / "first.txt"
    created = invoke(
        "pipeline", "create", "web", "--account", "DEV", "--role-policy", "deploy.json", "--yes",
        "--handover-file", str(handover), env=made.env, cwd=made.root,
    )  # fmt: skip
    assert created.returncode == 0, created.output
    return made


def rotate(repo: OrgRepo, handover: Path, *flags: str) -> Run:
    return invoke(
        "pipeline", "rotate-key", "web", "--handover-file", str(handover), *flags, env=repo.env, cwd=repo.root
    )


def keys(repo: OrgRepo) -> dict[str, str]:
    """key id -> status, as IAM lists them."""
    listed = repo.iam().list_access_keys(UserName=USER)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def works(repo: OrgRepo, key: Credentials) -> bool:
    """One call with the key, as the pipeline makes them (IAM records the key as used)."""
    from botocore.exceptions import ClientError

    try:
        repo.sandbox.client("sts", key).get_caller_identity()
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code != "InvalidClientTokenId":  # a deactivated key is unknown to STS; anything else is a surprise
            raise AssertionError(f"the key was refused with {code}") from exc
        return False
    return True


def first_key(repo: OrgRepo) -> Credentials:
    return read_key(repo.root.parent / "first.txt")


def test_the_old_key_goes_only_once_the_new_one_is_used(repo: OrgRepo, tmp_path: Path) -> None:
    old = first_key(repo)
    started = rotate(repo, tmp_path / "second.txt")
    assert started.returncode == 0, started.output
    new = read_key(tmp_path / "second.txt")
    assert f"Put {new.access_key_id} into the pipeline's secrets, run it" in started.stdout
    assert keys(repo) == {old.access_key_id: "Active", new.access_key_id: "Active"}
    assert works(repo, old)  # the pipeline keeps working meanwhile

    waiting = rotate(repo, tmp_path / "unused.txt")
    assert waiting.returncode == 4
    assert f"{new.access_key_id} has not been used yet" in waiting.stderr
    assert not (tmp_path / "unused.txt").exists()  # no third key, no new handover
    assert len(keys(repo)) == 2

    assert works(repo, new)  # the pipeline ran with the new key
    done = rotate(repo, tmp_path / "unused.txt")
    assert done.returncode == 0, done.output
    assert f"deactivated {old.access_key_id} ({new.access_key_id} was used at" in done.stdout
    assert keys(repo) == {old.access_key_id: "Inactive", new.access_key_id: "Active"}
    assert not works(repo, old)

    # The next rotation deletes the retired key first: never more than two.
    third = rotate(repo, tmp_path / "third.txt")
    assert third.returncode == 0, third.output
    assert f"deleted {old.access_key_id}, deactivated by the last rotation" in third.stdout
    assert keys(repo) == {new.access_key_id: "Active", read_key(tmp_path / "third.txt").access_key_id: "Active"}


def test_force_retires_the_old_key_before_the_new_one_is_used(repo: OrgRepo, tmp_path: Path) -> None:
    old = first_key(repo)
    dry = rotate(repo, tmp_path / "n.txt", "--dry-run")
    assert dry.returncode == 0
    assert f"dry run: would create a new key and hand it over; {old.access_key_id} stays active" in dry.stdout
    assert len(keys(repo)) == 1
    assert rotate(repo, tmp_path / "n.txt").returncode == 0
    forced = rotate(repo, tmp_path / "unused.txt", "--force")
    assert forced.returncode == 0, forced.output
    assert f"deactivated {old.access_key_id} (--force)" in forced.stdout
    new = read_key(tmp_path / "n.txt")
    assert keys(repo) == {old.access_key_id: "Inactive", new.access_key_id: "Active"}


def test_an_interrupted_rotation_is_finished_by_running_it_again(repo: OrgRepo, tmp_path: Path) -> None:
    old = first_key(repo)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")  # the handover's directory cannot be made: the run stops after IAM made the new key
    interrupted = rotate(repo, blocked / "key.txt")
    assert interrupted.returncode == 4
    assert "Error: cannot inspect" in interrupted.stderr
    orphan = next(k for k in keys(repo) if k != old.access_key_id)
    assert len(keys(repo)) == 2

    finished = rotate(repo, tmp_path / "key.txt")
    assert finished.returncode == 0, finished.output
    assert f"deleted {orphan}, made by an interrupted rotation" in finished.stdout
    new = read_key(tmp_path / "key.txt")
    assert keys(repo) == {old.access_key_id: "Active", new.access_key_id: "Active"}
    assert works(repo, old)


def test_a_check_during_a_rotation_says_there_is_no_room_for_its_probe(repo: OrgRepo, tmp_path: Path) -> None:
    assert rotate(repo, tmp_path / "n.txt").returncode == 0
    checked = invoke("pipeline", "check", "web", env=repo.env, cwd=repo.root)
    assert checked.returncode == 1
    assert "✗ pipeline-web has two keys (a rotation under way?): no room for a probe key" in checked.stdout
    assert len(keys(repo)) == 2
