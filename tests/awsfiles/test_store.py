"""awsfiles: merging rendered profiles into a user's hand-kept AWS files, as a user would notice it."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from botocore.configloader import load_config, raw_config_parse

from bootstrap.awsfiles import botocore_view, locations, safewrite, store
from bootstrap.awsfiles.locations import AwsPaths, aws_paths
from bootstrap.awsfiles.merge import merge, merge_detailed
from bootstrap.awsfiles.profiles import load_profiles
from bootstrap.awsfiles.store import FileChange
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError
from tests.support.canaries import CANARY_ACCESS_KEY_ID, CANARY_SECRET, CANARY_SECRET_2, CANARY_SESSION_TOKEN
from tests.support.cli import aws_cli

# A config file as people really keep them: comments, odd spacing, an s3 block, an sso-session, a services
# section, a profile spelled with two spaces, and no newline at the very end.
HAND_KEPT = """\
# ~/.aws/config -- kept by hand since 2019
;  semicolon comments too

[default]
region = us-east-1
s3 =
    max_concurrent_requests = 20
    addressing_style = path
output=json

[profile  example-dev]
# my notes about this profile
region   =   us-west-2
cli_pager =

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access


[services local-s3]
s3 =
  endpoint_url = http://localhost:9000

# personal
[profile personal]
region = ap-southeast-2
output = table"""

RENDERED = """\
[default]
region = eu-west-1
s3 =
  signature_version = s3v4
  max_concurrent_requests = 100

[profile example-dev]
region = eu-west-1
mfa_serial = arn:aws:iam::210987654321:mfa/alice

[profile example-dev_admin]
region = eu-west-1
role_arn = arn:aws:iam::345678901234:role/infra-AdminR-1R5T9WQ3Z8XA
source_profile = example-dev

# production, read only
[profile example-prod_read]
region = eu-west-1
role_arn = arn:aws:iam::456789012345:role/infra-ReadR-7H2M4PL6C0VB
source_profile = example-dev
"""

MERGED = """\
# ~/.aws/config -- kept by hand since 2019
;  semicolon comments too

[default]
region = eu-west-1
s3 =
  signature_version = s3v4
  max_concurrent_requests = 100
output=json

[profile  example-dev]
# my notes about this profile
region = eu-west-1
cli_pager =
mfa_serial = arn:aws:iam::210987654321:mfa/alice

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access


[services local-s3]
s3 =
  endpoint_url = http://localhost:9000

# personal
[profile personal]
region = ap-southeast-2
output = table

[profile example-dev_admin]
region = eu-west-1
role_arn = arn:aws:iam::345678901234:role/infra-AdminR-1R5T9WQ3Z8XA
source_profile = example-dev

# production, read only
[profile example-prod_read]
region = eu-west-1
role_arn = arn:aws:iam::456789012345:role/infra-ReadR-7H2M4PL6C0VB
source_profile = example-dev
"""

CREDENTIALS = f"""\
[example-dev-long-term]
aws_access_key_id = {CANARY_ACCESS_KEY_ID}
aws_secret_access_key = {CANARY_SECRET}
"""


def _rendered_with_region(region: str) -> str:
    return RENDERED.replace("region = eu-west-1", f"region = {region}")


def test_merge_changes_managed_keys_only_and_keeps_every_other_byte() -> None:
    result = merge_detailed(HAND_KEPT, RENDERED, "config")

    assert result.text == MERGED
    assert result.added == ("example-dev_admin", "example-prod_read")
    assert result.updated == ("default", "example-dev")
    # `[profile  example-dev]` is botocore's profile example-dev: updated where it is, never duplicated
    assert "[profile example-dev]" not in result.text


def test_a_managed_value_that_is_already_right_keeps_the_users_spelling() -> None:
    # `region   =   us-west-2` differs, so it is rewritten; a right value in odd spacing is left alone
    rendered = RENDERED.replace(
        "[profile example-dev]\nregion = eu-west-1", "[profile example-dev]\nregion = us-west-2"
    )
    merged = merge(HAND_KEPT, rendered, "config")
    assert "region   =   us-west-2\n" in merged


def test_rendering_twice_changes_no_byte() -> None:
    once = merge_detailed(HAND_KEPT, RENDERED, "config")
    twice = merge_detailed(once.text, RENDERED, "config", managed=once.created)
    assert twice.text == once.text
    assert (twice.added, twice.updated, twice.removed) == ((), (), ())


def test_a_new_file_is_exactly_the_rendered_text() -> None:
    assert merge(None, RENDERED, "config") == RENDERED
    assert merge("", RENDERED, "config") == RENDERED


def test_keys_the_user_added_to_a_managed_section_survive_a_re_render() -> None:
    once = merge(None, RENDERED, "config")
    edited = once.replace(
        "source_profile = example-dev\n\n# production",
        "source_profile = example-dev\nduration_seconds = 3600\n\n# production",
    )
    again = merge(edited, _rendered_with_region("eu-central-1"), "config")
    admin = load_profiles_of(again)["example-dev_admin"]
    assert admin["duration_seconds"] == "3600"
    assert admin["region"] == "eu-central-1"


def test_the_s3_block_reads_back_as_a_dict_in_botocore(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(merge(HAND_KEPT, RENDERED, "config"))
    loaded = load_config(str(path))
    assert loaded["profiles"]["default"]["s3"] == {"signature_version": "s3v4", "max_concurrent_requests": "100"}
    assert loaded["services"]["local-s3"]["s3"] == {"endpoint_url": "http://localhost:9000"}
    assert loaded["sso_sessions"]["corp"]["sso_region"] == "us-east-1"


def test_a_missing_final_newline_stays_missing_when_only_updating() -> None:
    rendered = "[profile personal]\nregion = eu-west-1\n"
    merged = merge(HAND_KEPT, rendered, "config")
    assert merged == HAND_KEPT.replace("region = ap-southeast-2", "region = eu-west-1")
    assert not merged.endswith("\n")
    added_key = merge(HAND_KEPT, "[profile personal]\nregion = ap-southeast-2\ncli_pager =\n", "config")
    assert added_key == HAND_KEPT + "\ncli_pager ="


def test_sso_sessions_and_services_are_their_own_namespaces() -> None:
    rendered = "[profile corp]\nregion = eu-west-1\n[sso-session corp]\nsso_region = eu-west-1\n"
    result = merge_detailed(HAND_KEPT, rendered, "config")
    assert result.added == ("corp",)
    assert result.updated == ("sso-session corp",)
    assert "sso_region = eu-west-1\nsso_registration_scopes" in result.text


def test_credentials_sections_are_plain_profile_names() -> None:
    existing = "[profile example-dev]\nx = 1\n\n[example-dev]\naws_access_key_id = OLD\n"
    merged = merge(existing, "[example-dev]\naws_access_key_id = NEW\n", "credentials")
    assert merged == "[profile example-dev]\nx = 1\n\n[example-dev]\naws_access_key_id = NEW\n"


def test_prune_removes_only_sections_an_earlier_render_created() -> None:
    first = merge_detailed(HAND_KEPT, RENDERED, "config")
    assert first.created == {"profile example-dev_admin", "profile example-prod_read"}
    smaller = RENDERED.split("[profile example-dev_admin]")[0]

    kept = merge_detailed(first.text, smaller, "config", managed=first.created)
    assert kept.text == first.text  # without prune nothing goes
    assert kept.created == first.created  # still remembered for a later prune

    pruned = merge_detailed(first.text, smaller, "config", prune=True, managed=first.created)
    assert pruned.removed == ("example-dev_admin", "example-prod_read")
    # back to the hand-kept file with the updates: the user's own profiles, the adopted [default] and
    # [profile  example-dev] (they existed before the first render) and the template's comment all as they were
    assert pruned.text == MERGED.split("\n[profile example-dev_admin]")[0]
    assert pruned.created == frozenset()

    # an empty render with prune still never touches what the user wrote or what the tool only adopted
    nothing = merge_detailed(first.text, "", "config", prune=True, managed=first.created)
    assert "[profile  example-dev]" in nothing.text
    assert "[profile personal]" in nothing.text
    assert "[default]" in nothing.text


def test_prune_keeps_a_user_comment_that_introduces_the_next_section() -> None:
    existing = "[profile a]\nregion = x\n\n# my work profiles\n[profile work]\nregion = y\n"
    rendered = "[profile a]\nregion = x\n"
    pruned = merge(existing, "", "config", prune=True, managed={"profile a"})
    assert pruned == "# my work profiles\n[profile work]\nregion = y\n"
    assert merge(existing, rendered, "config", prune=True, managed={"profile a"}) == existing


def test_a_section_rendered_twice_is_refused() -> None:
    with pytest.raises(InputError, match="example-dev is produced twice"):
        merge(None, "[profile example-dev]\na = 1\n[profile  example-dev]\nb = 2\n", "config")


# --- the files on disk -----------------------------------------------------------------------------------------------


def load_profiles_of(config_text: str) -> dict[str, dict[str, object]]:
    return botocore_view.profiles_view(config_text, None)


@pytest.fixture
def paths(tmp_path: Path) -> AwsPaths:
    return AwsPaths(
        config=tmp_path / "home" / ".aws" / "config", credentials=tmp_path / "home" / ".aws" / "credentials"
    )


def aws_env(paths: AwsPaths) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(paths.config.parent.parent),
        AWS_CONFIG_FILE=str(paths.config),
        AWS_SHARED_CREDENTIALS_FILE=str(paths.credentials),
    )
    return env


def test_aws_paths_follow_the_environment_like_the_sdks(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert aws_paths({"HOME": home}) == AwsPaths(tmp_path / ".aws" / "config", tmp_path / ".aws" / "credentials")
    chosen = aws_paths({"HOME": home, "AWS_CONFIG_FILE": "~/cfg", "AWS_SHARED_CREDENTIALS_FILE": "/x/creds"})
    assert chosen == AwsPaths(tmp_path / "cfg", Path("/x/creds"))


def test_apply_rendered_writes_both_files_private_and_the_aws_cli_reads_them(paths: AwsPaths) -> None:
    paths.config.parent.mkdir(parents=True)
    paths.config.write_text(HAND_KEPT)

    config, credentials = store.apply_rendered(paths, RENDERED, CREDENTIALS)

    assert paths.config.read_text() == MERGED
    assert paths.credentials.read_text() == CREDENTIALS
    assert (config.changed, credentials.changed) == (True, True)
    assert credentials.added == ("example-dev-long-term",)
    for path in (paths.config, paths.credentials):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.read_text() for p in safewrite.backups(paths.config)] == [HAND_KEPT]

    env = aws_env(paths)
    assert (
        aws_cli("configure", "get", "region", "--profile", "example-prod_read", env=env).stdout.strip() == "eu-west-1"
    )
    role = aws_cli("configure", "get", "role_arn", "--profile", "example-dev_admin", env=env).stdout.strip()
    assert role == "arn:aws:iam::345678901234:role/infra-AdminR-1R5T9WQ3Z8XA"
    assert aws_cli("configure", "get", "region", "--profile", "personal", env=env).stdout.strip() == "ap-southeast-2"
    listing = aws_cli("configure", "list", "--profile", "example-dev-long-term", env=env).stdout
    assert CANARY_ACCESS_KEY_ID[-4:] in listing
    assert "shared-credentials-file" in listing

    profiles = load_profiles(paths)
    assert profiles["example-dev-long-term"]["aws_access_key_id"] == CANARY_ACCESS_KEY_ID
    assert profiles["example-prod_read"]["source_profile"] == "example-dev"
    assert raw_config_parse(str(paths.credentials))["example-dev-long-term"]["aws_secret_access_key"] == CANARY_SECRET


def test_a_second_apply_writes_nothing_and_makes_no_backup(paths: AwsPaths) -> None:
    store.apply_rendered(paths, RENDERED, CREDENTIALS)
    before = sorted(p.name for p in paths.config.parent.iterdir())

    config, credentials = store.apply_rendered(paths, RENDERED, CREDENTIALS)

    assert not config.changed
    assert not credentials.changed
    assert sorted(p.name for p in paths.config.parent.iterdir()) == before


def test_dry_run_writes_nothing_but_says_what_would_change(paths: AwsPaths) -> None:
    config, _ = store.apply_rendered(paths, RENDERED, CREDENTIALS, dry_run=True)
    assert config.changed
    assert config.added == ("default", "example-dev", "example-dev_admin", "example-prod_read")
    assert not paths.config.parent.exists()


def test_prune_through_apply_rendered_uses_the_remembered_sections(paths: AwsPaths) -> None:
    paths.config.parent.mkdir(parents=True)
    paths.config.write_text("[profile personal]\nregion = ap-southeast-2\n")
    store.apply_rendered(paths, RENDERED, CREDENTIALS)
    state = locations.ledger_path(paths.config)
    assert stat.S_IMODE(state.stat().st_mode) == 0o600

    smaller = RENDERED.split("[profile example-dev_admin]")[0]
    config, _ = store.apply_rendered(paths, smaller, CREDENTIALS)
    assert config.removed == ()
    config, _ = store.apply_rendered(paths, smaller, CREDENTIALS, prune=True)
    assert config.removed == ("example-dev_admin", "example-prod_read")
    profiles = load_profiles(paths)
    assert set(profiles) == {"personal", "default", "example-dev", "example-dev-long-term"}


def test_a_source_profile_naming_no_profile_is_refused_and_nothing_written(paths: AwsPaths) -> None:
    rendered = "[profile example-dev_admin]\nrole_arn = arn:aws:iam::345678901234:role/x\nsource_profile = nobody\n"
    with pytest.raises(InputError, match="source_profile = nobody"):
        store.apply_rendered(paths, rendered, CREDENTIALS)
    assert not paths.config.exists()
    assert not paths.credentials.exists()


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("[default]\nregion = x\n\nthis is not ini\n", 4, "not a [section] header"),
        ("region = x\n[default]\n", 1, "before any [section]"),
        ("[default]\nregion = x\n[a]\n\n[default]\n", 5, "appears twice"),
        ("[a]\nregion = x\nRegion = y\n", 3, "appears twice"),
    ],
)
def test_an_existing_file_that_cannot_be_parsed_is_reported_with_its_line(
    paths: AwsPaths, text: str, line: int, problem: str
) -> None:
    paths.config.parent.mkdir(parents=True)
    paths.config.write_text(text)
    with pytest.raises(InputError) as caught:
        store.apply_rendered(paths, RENDERED, CREDENTIALS)
    message = caught.value.format_message()
    assert str(paths.config) in message
    assert f"line {line}:" in message
    assert problem in message
    assert paths.config.read_text() == text
    assert not paths.credentials.exists()


def test_a_bad_credentials_line_is_located_but_never_echoed(paths: AwsPaths) -> None:
    paths.credentials.parent.mkdir(parents=True)
    paths.credentials.write_text(f"[mine]\naws_access_key_id = x\n{CANARY_SECRET_2}\n")
    with pytest.raises(InputError) as caught:
        store.apply_rendered(paths, RENDERED, CREDENTIALS)
    message = caught.value.format_message()
    assert f"{paths.credentials}: line 3:" in message
    assert CANARY_SECRET_2 not in message


def test_a_nested_value_botocore_cannot_read_is_refused(paths: AwsPaths) -> None:
    rendered = "[default]\ns3 =\n  no equals sign here\n"
    with pytest.raises(InputError, match=r"key s3: a nested line without '='"):
        store.apply_rendered(paths, rendered, "")


def test_a_failed_second_write_puts_the_first_file_back(paths: AwsPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    paths.config.parent.mkdir(parents=True)
    paths.config.write_text(HAND_KEPT)
    real = safewrite.write_private

    def fail_on_credentials(path: Path, text: str, **kwargs: object) -> Path | None:
        if path == paths.credentials:
            raise InputError("disk full (simulated)")
        return real(path, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(safewrite, "write_private", fail_on_credentials)
    with pytest.raises(InputError, match="simulated"):
        store.apply_rendered(paths, RENDERED, CREDENTIALS)
    assert paths.config.read_text() == HAND_KEPT


# --- set_profile -----------------------------------------------------------------------------------------------------


def test_set_profile_writes_a_session_without_touching_anything_else(paths: AwsPaths) -> None:
    paths.credentials.parent.mkdir(parents=True)
    mine = "# my keys\n[personal]\naws_access_key_id = AKIAPERSONAL0000001\naws_secret_access_key = s\n"
    paths.credentials.write_text(mine)
    session = Credentials(CANARY_ACCESS_KEY_ID, CANARY_SECRET, CANARY_SESSION_TOKEN)

    values = {
        "aws_access_key_id": session.access_key_id,
        "aws_secret_access_key": session.secret_access_key,
        "aws_session_token": session.session_token,
        "expiration": "2026-11-26T05:00:00Z",
    }
    change = store.set_profile(paths, "credentials", "example-dev", values)

    assert change.added == ("example-dev",)
    text = paths.credentials.read_text()
    assert text.startswith(mine + "\n[example-dev]\n")
    assert stat.S_IMODE(paths.credentials.stat().st_mode) == 0o600
    profiles = load_profiles(paths)
    assert profiles["example-dev"]["aws_session_token"] == CANARY_SESSION_TOKEN

    change = store.set_profile(paths, "credentials", "example-dev", {"aws_session_token": None, "expiration": "x"})
    assert change.updated == ("example-dev",)
    assert "aws_session_token" not in paths.credentials.read_text()
    assert load_profiles(paths)["example-dev"]["expiration"] == "x"
    assert paths.credentials.read_text().startswith(mine)


def test_set_profile_in_config_spells_headers_as_the_cli_does(paths: AwsPaths) -> None:
    store.set_profile(paths, "config", "example-dev", {"region": "eu-west-1"})
    store.set_profile(paths, "config", "default", {"region": "eu-west-2"})
    assert paths.config.read_text() == "[profile example-dev]\nregion = eu-west-1\n\n[default]\nregion = eu-west-2\n"
    env = aws_env(paths)
    assert aws_cli("configure", "get", "region", "--profile", "example-dev", env=env).stdout.strip() == "eu-west-1"


@pytest.mark.parametrize("value", ["a\n[evil]", "a\rb", "a\0b", " padded"])
def test_set_profile_refuses_values_that_could_inject_lines(paths: AwsPaths, value: str) -> None:
    with pytest.raises(InputError):
        store.set_profile(paths, "config", "example-dev", {"region": value})
    assert not paths.config.exists()


def _set_one(config: str, credentials: str, index: int) -> None:
    target = AwsPaths(Path(config), Path(credentials))
    store.set_profile(target, "credentials", f"worker-{index}", {"aws_access_key_id": f"AKIAWORKER{index:010d}"})


def test_ten_concurrent_writers_all_survive(paths: AwsPaths) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_set_one, args=(str(paths.config), str(paths.credentials), i)) for i in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * 10
    profiles = load_profiles(paths)
    assert {f"worker-{i}" for i in range(10)} <= set(profiles)
    assert all(profiles[f"worker-{i}"]["aws_access_key_id"] == f"AKIAWORKER{i:010d}" for i in range(10))


# --- diffs ------------------------------------------------------------------------------------------------------------


def test_the_diff_masks_secrets_by_key_and_by_value(paths: AwsPaths) -> None:
    Credentials(CANARY_ACCESS_KEY_ID, CANARY_SECRET_2)  # a secret the tool handled: masked wherever it appears
    rendered = CREDENTIALS + f"\n[tools]\ncredential_process = /bin/echo {CANARY_SECRET_2}\n"
    _, credentials = store.apply_rendered(paths, RENDERED, rendered, dry_run=True)
    diff = credentials.diff()
    assert f"+aws_access_key_id = {CANARY_ACCESS_KEY_ID}" in diff
    assert "+aws_secret_access_key = ****" in diff
    assert "credential_process = /bin/echo ****" in diff
    assert CANARY_SECRET not in diff
    assert CANARY_SECRET_2 not in diff
    assert diff.startswith("--- /dev/null\n+++ ")


def test_the_profile_view_is_botocores_own(tmp_path: Path) -> None:
    text = MERGED + '\n[profile "quoted name"]\nregion = x\n[profile a b c]\nregion = y\n[preview]\nz = 1\n'
    path = tmp_path / "config"
    path.write_text(text)
    assert botocore_view.profiles_view(text, None) == load_config(str(path))["profiles"]
    assert botocore_view.botocore_parse(text, "config") == raw_config_parse(str(path))


def test_with_umask_000_and_a_symlinked_credentials_file_everything_stays_private(
    tmp_path: Path, paths: AwsPaths
) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "credentials"
    real.write_text("# synced by my dotfiles\n[personal]\naws_access_key_id = AKIAPERSONAL0000001\n")
    real.chmod(0o644)
    paths.credentials.parent.mkdir(parents=True)
    paths.credentials.symlink_to(real)
    old = os.umask(0)
    try:
        store.apply_rendered(paths, RENDERED, CREDENTIALS)
        store.set_profile(
            paths,
            "credentials",
            "example-dev",
            {"aws_access_key_id": "AKIASESSION000000042", "aws_secret_access_key": CANARY_SECRET_2},
        )
    finally:
        os.umask(old)

    assert paths.credentials.is_symlink()
    assert paths.credentials.resolve() == real.resolve()
    assert real.read_text().startswith("# synced by my dotfiles\n[personal]\n")
    assert safewrite.backups(paths.credentials)  # beside the link, out of the dotfiles directory
    assert locations.ledger_path(paths.credentials).parent == paths.credentials.parent
    for path in (real, paths.config, locations.ledger_path(paths.credentials), *safewrite.backups(paths.credentials)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    env = aws_env(paths)
    listing = aws_cli("configure", "list", "--profile", "example-dev", env=env).stdout
    assert "0042" in listing


def test_an_empty_rendered_credentials_file_is_not_created(paths: AwsPaths) -> None:
    config, credentials = store.apply_rendered(paths, RENDERED, "")
    assert config.changed
    assert not credentials.changed
    assert paths.config.exists()
    assert not paths.credentials.exists()


def test_a_file_with_windows_line_ends_keeps_them() -> None:
    existing = HAND_KEPT.replace("\n", "\r\n")
    merged = merge(existing, RENDERED, "config")
    assert merged == MERGED.replace("\n", "\r\n")
    assert merge(merged, RENDERED, "config") == merged


def test_prune_removes_keys_a_render_added_and_no_longer_produces_but_never_the_users(paths: AwsPaths) -> None:
    paths.config.parent.mkdir(parents=True)
    paths.config.write_text("[default]\nregion = us-east-1\n")  # the user's own [default]: adopted, not created
    with_mfa = RENDERED.replace(
        "source_profile = example-dev\n\n# production",
        "source_profile = example-dev\nmfa_serial = arn:aws:iam::210987654321:mfa/alice\n\n# production",
    )
    store.apply_rendered(paths, with_mfa, CREDENTIALS)
    text = paths.config.read_text()
    text = text.replace("[profile example-dev_admin]\n", "[profile example-dev_admin]\nduration_seconds = 3600\n")
    paths.config.write_text(text)  # a key the user added by hand to a profile the render created
    without = RENDERED.replace(
        "[default]\nregion = eu-west-1\ns3 =\n  signature_version = s3v4\n  max_concurrent_requests = 100\n",
        "[default]\n",
    )

    store.apply_rendered(paths, without, CREDENTIALS)
    kept = load_profiles(paths)
    assert kept["example-dev_admin"]["mfa_serial"] == "arn:aws:iam::210987654321:mfa/alice"  # no prune: kept
    assert "s3" in kept["default"]

    config, _ = store.apply_rendered(paths, without, CREDENTIALS, prune=True)
    pruned = load_profiles(paths)
    assert "mfa_serial" not in pruned["example-dev_admin"]
    assert pruned["example-dev_admin"]["duration_seconds"] == "3600"
    assert "s3" not in pruned["default"]  # the render added it to the adopted [default]
    assert pruned["default"]["region"] == "eu-west-1"  # the user had a region before: updated, never removed
    assert set(config.updated) == {"default", "example-dev_admin"}

    again, _ = store.apply_rendered(paths, without, CREDENTIALS, prune=True)
    assert not again.changed


def test_prune_keeps_a_value_holding_a_unicode_line_separator_whole() -> None:
    """U+2028 is no line end to botocore: pruning [b] must not take what follows it for a comment line and glue
    the next profile into [a]'s value."""
    existing = "[profile a]\nx = 1\u2028# not a comment\n[profile b]\ny = 2\n\n[profile c]\nz = 3\n"
    result = merge_detailed(existing, "[profile d]\nw = 4\n", "config", prune=True, managed={"profile b"})
    assert "[profile b]" not in result.text
    profiles = botocore_view.profiles_view(result.text, None)
    assert profiles["a"] == {"x": "1\u2028# not a comment"}
    assert profiles["c"] == {"z": "3"}


def test_the_diff_shows_lines_where_botocore_sees_them(tmp_path: Path) -> None:
    change = FileChange(tmp_path / "config", "config", "", "[profile a]\nx = 1\u2028[profile evil]\n")
    shown = [line for line in change.diff().splitlines(keepends=True) if line.startswith("+") and "+++" not in line]
    assert len(shown) == 2  # the header and one key line; no [profile evil] of its own


def test_a_file_with_lone_carriage_returns_stays_one_botocore_reads(aws_env: AwsPaths) -> None:
    import botocore.session

    aws_env.config.write_bytes(b"[profile mine]\rregion = eu-west-1\r[profile a]\rregion = eu-west-2\r")
    store.apply_rendered(aws_env, "[profile a]\nregion = us-east-1\n", "")
    profiles = botocore.session.Session().full_config["profiles"]  # botocore reads it (no duplicate [profile a])
    assert profiles["mine"] == {"region": "eu-west-1"}
    assert profiles["a"] == {"region": "us-east-1"}
    assert aws_env.config.read_bytes().startswith(b"[profile mine]\rregion = eu-west-1\r[profile a]\r")
