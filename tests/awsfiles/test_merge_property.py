"""Property: merging rendered profiles into any hand-kept file never changes a line the render does not own."""

from __future__ import annotations

import configparser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.configloader import build_profile_map
from configupdater import ConfigUpdater
from configupdater.section import Section
from hypothesis import given, settings
from hypothesis import strategies as st

from bootstrap.awsfiles import botocore_view, scanner
from bootstrap.awsfiles import merge as merging
from bootstrap.awsfiles.merge import merge_detailed
from bootstrap.awsfiles.scanner import Kind, section_key
from bootstrap.errors import InputError
from tests.support.depth import examples

NAMES = ("a", "b", "dev", "dev_read", "prod-admin", "x.y")
KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
# Characters str.splitlines() takes for line ends but botocore, reading a file, does not: inside a value or a
# comment they must stay inside it (a U+2028 followed by "#..." once made --prune merge the next profile in).
ODD = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"
VALUES = st.from_regex(rf"[!-~]([ -~{ODD}]{{0,20}}[!-~])?", fullmatch=True).filter(lambda v: "\n" not in v)
COMMENTS = st.from_regex(rf"[#;][ -~{ODD}]{{0,20}}", fullmatch=True)
# botocore reads a nested block with str.splitlines(): there the odd characters do end a line (so no file could
# hold them), and they are left out.
NESTED = st.from_regex(r"[!-~]([ -~]{0,20}[!-~])?", fullmatch=True)


@dataclass(frozen=True)
class Sec:
    header: str
    key: str
    lines: tuple[str, ...]  # body lines, each ending in a newline


@st.composite
def options(draw: st.DrawFn, *, user: bool) -> tuple[tuple[str, ...], dict[str, object]]:
    """Body lines of a section (keys, nested blocks, and for users comments and blank lines) and its values."""
    keys = draw(st.lists(KEYS, max_size=5, unique=True))
    lines: list[str] = []
    values: dict[str, object] = {}
    for key in keys:
        if user and draw(st.booleans()):
            lines.append(draw(COMMENTS) + "\n")
        spelled = key.upper() if user and draw(st.integers(0, 5)) == 0 else key
        if draw(st.integers(0, 4)) == 0:
            nested = draw(st.dictionaries(KEYS, NESTED, min_size=1, max_size=3))
            indent = draw(st.sampled_from(["  ", "    ", "\t"]))
            lines.append(f"{spelled} =\n" + "".join(f"{indent}{k} = {v}\n" for k, v in nested.items()))
            values[key] = nested
        else:
            value = draw(VALUES)
            space = draw(st.sampled_from([" = ", "=", "   =   ", " =\t"])) if user else " = "
            lines.append(f"{spelled}{space}{value}\n")
            values[key] = value
        if user and draw(st.integers(0, 3)) == 0:
            lines.append("\n")
    return tuple(lines), values


@st.composite
def user_file(draw: st.DrawFn, kind: Kind) -> tuple[str, list[Sec]]:
    prelude = "".join(draw(st.lists(st.one_of(COMMENTS.map(lambda c: c + "\n"), st.just("\n")), max_size=3)))
    sections: list[Sec] = []
    seen: set[str] = set()
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from(NAMES))
        if kind == "credentials":
            header = name
        else:
            header = draw(
                st.sampled_from(
                    [
                        f"profile {name}",
                        f"profile  {name}",
                        f'profile "{name}"',
                        "default",
                        f"sso-session {name}",
                        f"services {name}",
                        f"preview-{name}",
                    ]
                )
            )
        key = section_key(header, kind)
        if key in seen:
            continue
        seen.add(key)
        body, _ = draw(options(user=True))
        trailer = draw(st.sampled_from(["", "\n", "\n\n", "# next one\n", "\n# about the next\n"]))
        sections.append(Sec(header, key, (*body, *([trailer] if trailer else []))))
    text = prelude + "".join(f"[{s.header}]\n" + "".join(s.lines) for s in sections)
    if draw(st.booleans()):
        text = text.rstrip("\n")  # no final newline
    return text, sections


@st.composite
def rendered_file(draw: st.DrawFn, kind: Kind) -> tuple[str, dict[str, dict[str, object]]]:
    chosen = draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True))
    parts: list[str] = []
    wanted: dict[str, dict[str, object]] = {}
    for name in chosen:
        if kind == "credentials":
            header = name
        else:
            header = draw(st.sampled_from([f"profile {name}", "default", f"sso-session {name}"]))
        key = section_key(header, kind)
        if key in wanted:
            continue
        body, values = draw(options(user=False))
        wanted[key] = values
        parts.append(f"[{header}]\n" + "".join(body))
    return "\n".join(parts), wanted


def sections_of(text: str) -> dict[str, list[str]]:
    """botocore key -> raw text of each section spelled that way (header, body, trailing lines)."""
    updater = ConfigUpdater()
    updater.read_string(text)
    found: dict[str, list[str]] = {}
    for block in updater.iter_blocks():
        if isinstance(block, Section):
            found.setdefault(block.name, []).append(str(block))
    return found


def core(text: str) -> str:
    """A section's text without the comment and blank lines after its last key."""
    lines = scanner.lines_of(text)
    while lines and (not lines[-1].strip() or lines[-1].startswith(("#", ";"))):
        lines.pop()
    return line_end("".join(lines))


def line_end(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def view(text: str, kind: Kind) -> dict[str, dict[str, object]]:
    parsed = botocore_view.botocore_parse(text, kind)
    if kind == "credentials":
        return {f"profile {name}": values for name, values in parsed.items()}
    built = build_profile_map(parsed)
    out: dict[str, dict[str, object]] = {}
    for namespace, field in (("profile", "profiles"), ("sso-session", "sso_sessions"), ("services", "services")):
        for name, values in built[field].items():
            out[f"{namespace} {name}"] = values
    return out


@settings(max_examples=examples(300))
@given(data=st.data(), kind=st.sampled_from(["config", "credentials"]), prune=st.booleans())
def test_merging_never_changes_an_unmanaged_line(data: st.DataObject, kind: Kind, prune: bool) -> None:
    existing, user_sections = data.draw(user_file(kind))
    rendered, wanted = data.draw(rendered_file(kind))
    before_view = view(existing, kind)
    # some of the user's sections may have been created by an earlier render
    created = data.draw(st.sets(st.sampled_from([s.key for s in user_sections]))) if user_sections else set()

    # and earlier renders may have added some of the keys of any section (adopted or created)
    owned = {
        key: data.draw(st.sets(st.sampled_from(sorted(values)))) if values else set()
        for key, values in before_view.items()
        if data.draw(st.booleans())
    }

    result = merge_detailed(existing, rendered, kind, prune=prune, managed=created, owned=owned)

    # 1. every section the render does not produce, and prune may not remove, is byte for byte as it was
    after_sections = sections_of(result.text)
    before_sections = sections_of(existing)
    for sec in user_sections:
        if sec.key in wanted:
            continue
        raw = before_sections[sec.header][0]
        if prune and sec.key in created:
            assert sec.header not in after_sections
            continue
        kept = after_sections[sec.header]
        assert len(kept) == 1
        if prune and owned.get(sec.key):
            # an adopted section no longer rendered loses the keys renders added to it, and nothing else
            expected = {k: v for k, v in before_view[sec.key].items() if k not in owned[sec.key]}
            assert view(result.text, kind).get(sec.key, {}) == expected
        elif prune and created:
            # comments and blank lines around a pruned section move between neighbours; the section's own
            # header and keys must not change
            assert core(kept[0]) == core(raw)
        else:
            # the last section may gain the blank line that separates the sections appended after it
            assert line_end(kept[0]) in (line_end(raw), line_end(raw) + "\n")
    # 2. the comments before the first section are untouched
    prelude = existing.split("\n[", 1)[0] if "\n[" in existing else existing
    if prune and user_sections and user_sections[0].key in created and user_sections[0].key not in wanted:
        # the comment block directly above a pruned section introduced it, and goes with it
        lines = scanner.lines_of(prelude)
        while lines and lines[-1].startswith(("#", ";")):
            lines.pop()
        prelude = "".join(lines)
    if existing.strip() and not existing.startswith("["):
        assert result.text.startswith(prelude.rstrip("\n"))

    # 3. botocore reads every managed section with the rendered values, and the user's extra keys survive
    after_view = view(result.text, kind)
    for key, values in wanted.items():
        assert key in after_view
        for option, value in values.items():
            assert after_view[key][option] == value
        for option, value in before_view.get(key, {}).items():
            if option not in values:
                if prune and option in owned.get(key, ()):
                    assert option not in after_view[key]  # a render added it and no longer produces it
                else:
                    assert after_view[key][option] == value
    # 4. a second merge changes no byte
    again = merge_detailed(result.text, rendered, kind, prune=prune, managed=result.created, owned=result.owned)
    assert again.text == result.text
    # 5. the merged text's scan the merge put together from the parts it changed is the scan of the whole text
    assert scanner.scan(result.text, kind, "f") == scanner.scan(result.text, kind, "f", remembered=False)


LINES = st.sampled_from(
    [
        "[a]\n", "[b]\n", "[profile  a]\n", "  [c]\n", "[d] trailing\n", "key = v\n", "Key=v2\n", "k2: x y\n",
        "  nested = 1\n", "\tnested2 = 2\n", "    more\n", "# comment\n", "  # indented comment\n", "; semi\n",
        "\n", "   \n", "garbage\n", "= no key\n", "s3 =\n", "region = eu-west-1 ; not a comment\n", "x =\r\n",
        "[DEFAULT]\n", "output = json\n", "url = http://h:1\n", "a:b = c\n", " : x\n", "k \t: v=w\n",
    ]
)  # fmt: skip


@settings(max_examples=examples(500))
@given(lines=st.lists(LINES, max_size=25), final_newline=st.booleans())
def test_the_scanner_reads_files_exactly_as_configparser_does(lines: list[str], final_newline: bool) -> None:
    text = "".join(lines)
    if not final_newline:
        text = text.rstrip("\n")
    parser = configparser.RawConfigParser()
    doc = _scanned_as_configparser_reads(text, parser, lambda: parser.read_string(text))
    if doc is None:
        return
    # and configupdater, the reference for a lossless parse, cuts the same sections where it accepts the file
    try:
        reference = sections_of(text)
    except configparser.Error:
        return  # configupdater is stricter about indented comments: nothing to compare
    assert list(reference.values()) == [[sec.text] for sec in doc.sections()]


@settings(max_examples=examples(300))
@given(
    data=st.data(),
    kind=st.sampled_from(["config", "credentials"]),
    profile=st.sampled_from(NAMES),
    values=st.dictionaries(KEYS, st.one_of(st.none(), VALUES.filter(lambda v: v == v.strip())), max_size=4),
)
def test_set_profile_changes_only_the_keys_it_was_given(
    data: st.DataObject, kind: Kind, profile: str, values: dict[str, str | None]
) -> None:
    existing, user_sections = data.draw(user_file(kind))
    before_view = view(existing, kind)
    key = f"profile {profile}"

    after, _, _ = merging.set_in_text(existing, kind, profile, values, "f")

    after_sections = sections_of(after)
    for sec in user_sections:
        if sec.key != key:
            raw = sections_of(existing)[sec.header][0]
            assert line_end(after_sections[sec.header][0]) in (line_end(raw), line_end(raw) + "\n")
    after_view = view(after, kind)
    expected = dict(before_view.get(key, {}))
    for option, value in values.items():
        if value is None:
            expected.pop(option, None)
        else:
            expected[option] = value
    if expected or key in before_view:
        assert after_view[key] == expected
    else:
        assert key not in after_view
    assert merging.set_in_text(after, kind, profile, values, "f")[0] == after  # setting again changes nothing


def _scanned_as_configparser_reads(
    text: str, parser: configparser.RawConfigParser, read: Callable[[], object]
) -> scanner.Scanned | None:
    """The scan of ``text``, after checking the scanner refuses it exactly when ``read`` (configparser reading it
    into ``parser``) does, loses no byte, and finds configparser's sections and values; None when both refuse."""
    try:
        read()
        accepted = True
    except configparser.Error:
        accepted = False
    try:
        doc = scanner.scan(text, "config", "f")
    except InputError:
        assert not accepted
        return None
    assert accepted
    assert "".join(doc.top) == text  # lossless
    _same_items(doc, parser)
    return doc


def _same_items(doc: scanner.Scanned, parser: configparser.RawConfigParser) -> None:
    """The scanned sections and values are configparser's: [DEFAULT] is no section of its own, and its keys are
    every section's (what botocore reads from a file)."""
    sections = [sec for sec in doc.sections() if sec.name != "DEFAULT"]
    assert [sec.name for sec in sections] == parser.sections()
    defaults = {key: value for sec in doc.sections() if sec.name == "DEFAULT" for key, _, _, value in sec.options}
    for sec in sections:
        ours = {**defaults, **{key: value for key, _, _, value in sec.options}}
        assert ours == dict(parser.items(sec.name, raw=True))


ENDS = st.sampled_from(["\n", "\r\n", "\r"])
CONTENT = st.sampled_from(
    [
        "[a]", "[b]", "[profile  a]", "key = v", "Key=v2", "k2: x y", "  nested = 1", "\tmore", "# comment",
        "  # indented", "; semi", "", "   ", "garbage", "s3 =", "x = a\u2028[evil]", "y = b\x85# c", "z = c\x0bd",
        "# note\u2028[profile x]", "w = \x1c", "[DEFAULT]",
    ]
)  # fmt: skip


@settings(max_examples=examples(500))
@given(lines=st.lists(st.tuples(CONTENT, ENDS), max_size=25), final=st.booleans())
def test_the_scanner_cuts_lines_where_botocore_reading_the_file_does(
    lines: list[tuple[str, str]], final: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """botocore opens the file in text mode (universal newlines): a lone \\r ends a line, U+2028 does not."""
    text = "".join(content + end for content, end in lines)
    if not final:
        text = text.rstrip("\r\n")
    path = tmp_path_factory.mktemp("scan") / "config"
    path.write_bytes(text.encode("utf-8"))
    parser = configparser.RawConfigParser()
    # parser.read(path) is what botocore.configloader.raw_config_parse does
    if _scanned_as_configparser_reads(text, parser, lambda: parser.read(path, encoding="utf-8")) is None:
        return
    assert _outcome(lambda: botocore_view.botocore_parse(text, "f")) == _outcome(lambda: _botocore_reads(path))
    # and the profiles botocore builds from what it read, named by the scan's own keys
    assert _outcome(lambda: botocore_view.profiles_view(text, None)) == _outcome(
        lambda: build_profile_map(_botocore_reads(path))["profiles"]
    )


def _botocore_reads(path: Path) -> dict[str, dict[str, object]]:
    from botocore.configloader import raw_config_parse

    return dict(raw_config_parse(str(path)))


def _outcome(read: Callable[[], dict[str, dict[str, object]]]) -> dict[str, dict[str, object]] | str:
    """What a reader makes of a file: its sections, or "refused" (botocore refuses a nested line without '=')."""
    from botocore.exceptions import ConfigParseError

    try:
        return read()
    except (InputError, ConfigParseError):
        return "refused"


@settings(max_examples=examples(300))
@given(data=st.data(), end=st.sampled_from(["\r", "\r\n"]), prune=st.booleans())
def test_a_file_with_other_line_ends_stays_one_botocore_reads_as_before(
    data: st.DataObject, end: str, prune: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Lone \\r (old Mac) and \\r\\n line ends: the merged file is one botocore reads, with the user's sections
    as they were and the rendered ones as rendered."""
    existing, user_sections = data.draw(user_file("config"))
    existing = existing.replace("\n", end)
    rendered, wanted = data.draw(rendered_file("config"))
    result = merge_detailed(existing, rendered, "config", prune=prune)
    path = tmp_path_factory.mktemp("ends") / "config"
    path.write_bytes(result.text.encode("utf-8"))
    after = _botocore_reads(path)
    before = view(existing, "config")
    seen = view(result.text, "config")
    assert {section for section in after} >= {section for section in botocore_view.botocore_parse(existing, "f")}
    for key, values in wanted.items():
        for option, value in values.items():
            assert seen[key][option] == value
    for sec in user_sections:
        if sec.key not in wanted and sec.key in before:  # profiles, sso-sessions, services: what botocore names
            assert seen[sec.key] == before[sec.key]


@pytest.mark.parametrize(
    ("rendered", "expected_a"),
    [
        ("[profile a]\noutput = json\n", {"region": "x", "output": "json"}),  # a new key
        ("[profile a]\nregion = y\n", {"region": "y"}),  # a key written in place
    ],
)
def test_an_indented_file_keeps_its_next_header_when_a_key_is_written(
    rendered: str, expected_a: dict[str, str]
) -> None:
    # configparser reads a line indented deeper than the key before it as that key's continuation: a key written at
    # the margin before the indented [profile b] would swallow it (and the file would hold region twice).
    existing = "[profile a]\n  region = x\n  [profile b]\nregion = z\n"
    result = merge_detailed(existing, rendered, "config")
    assert botocore_view.botocore_parse(result.text, "f") == {"profile a": expected_a, "profile b": {"region": "z"}}
    assert scanner.scan(result.text, "config", "f") == scanner.scan(result.text, "config", "f", remembered=False)
