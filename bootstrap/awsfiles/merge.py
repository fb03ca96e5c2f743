"""Merging rendered sections into the text of an AWS file (pure: text in, text out), the heart of ``render``.

- Only sections the rendered text produces are touched ("managed"), matched by botocore's name for them (see
  ``scanner``).
- In a managed section, each rendered key is updated in place (its line is replaced by the rendered line, so a
  nested ``s3 =`` block keeps its indented continuation lines and botocore still reads it as a dict); a key whose
  value is already right keeps the user's spelling, so a second merge changes no byte. New keys go after the
  section's last key. Keys the user added, the header as they spelled it, comments: untouched.
- Sections the rendered text does not produce yet are appended at the end, after one blank line.
- Every other byte is copied through as it was read. A file without a final newline keeps it missing unless
  sections are appended after the user's last line.
- ``prune`` removes sections the rendered text no longer produces, but only sections an earlier render *created*
  (see ``ledger``); and keys the rendered text no longer produces, but only keys an earlier render *added*.
  Pruning a section also removes the comment lines directly above its header (with no blank line between): they
  introduce it (a render copies the template's comment above a section it appends), while comments after its keys
  introduce what follows and stay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bootstrap.awsfiles.botocore_view import parse_nested
from bootstrap.awsfiles.scanner import (
    COMMENT_PREFIXES,
    Kind,
    Option,
    Section,
    display_name,
    ends_line,
    header_line,
    lines_of,
    remember,
    scan,
    spliced,
)
from bootstrap.errors import InputError


@dataclass(frozen=True)
class MergeResult:
    """``merge`` with its bookkeeping: what changed, and which sections (botocore keys) renders have created."""

    text: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    created: frozenset[str]
    rendered: frozenset[str]
    owned: Mapping[str, frozenset[str]] = field(default_factory=dict)  # section -> keys renders added to it


def merge(existing: str | None, rendered: str, kind: Kind, *, prune: bool = False, managed: Iterable[str] = ()) -> str:
    """Merge the ``rendered`` sections into the ``existing`` text of an AWS file (pure; see the module docstring).

    ``managed`` are the sections (``section_key`` names) earlier renders created: only those are removed by
    ``prune`` when the rendered text no longer produces them.
    """
    return merge_detailed(existing, rendered, kind, prune=prune, managed=managed).text


def merge_detailed(
    existing: str | None,
    rendered: str,
    kind: Kind,
    *,
    prune: bool = False,
    managed: Iterable[str] = (),
    owned: Mapping[str, Iterable[str]] | None = None,
    existing_name: str | None = None,
    rendered_name: str | None = None,
) -> MergeResult:
    """``merge``, also saying what changed; ``*_name`` label parse errors (e.g. the file's path).

    ``owned`` maps a section to the keys earlier renders added to it: with ``prune``, those the rendered text no
    longer produces are removed (keys the user wrote, or that were there before a render adopted the section,
    never are).
    """
    if existing is not None and is_crlf(existing):
        # a file with Windows line ends keeps them, on the lines we write too
        result = merge_detailed(
            existing.replace("\r\n", "\n"),
            rendered.replace("\r\n", "\n"),
            kind,
            prune=prune,
            managed=managed,
            owned=owned,
            existing_name=existing_name,
            rendered_name=rendered_name,
        )
        return dataclasses.replace(result, text=result.text.replace("\n", "\r\n"))
    managed_keys = frozenset(managed)
    new = scan(rendered, kind, rendered_name or f"the rendered {kind} text")
    wanted: dict[str, int] = {}  # botocore key -> its position in the rendered text
    for position, key in enumerate(new.keys):
        if key in wanted:
            raise InputError(
                f"{rendered_name or f'the rendered {kind} text'}: {display_name(key)} is produced twice "
                f"([{new.names[wanted[key]]}] and [{new.names[position]}]); nothing was changed"
            )
        wanted[key] = position
    rendered_keys = frozenset(wanted)

    owned_before = {key: _shared(frozenset(keys)) for key, keys in (owned or {}).items()}
    owned_after: dict[str, frozenset[str]] = {}
    if existing is None or not existing.strip():
        # A new (or empty) file is exactly the rendered text, comments and all.
        names = tuple(display_name(k) for k in wanted)
        owned_after = {key: _keys_of(new.section(position)) for key, position in wanted.items()}
        return MergeResult(rendered, names, (), (), rendered_keys, rendered_keys, owned_after)

    old = scan(existing, kind, existing_name or f"the existing {kind} file")
    index: dict[str, list[int]] = {}
    for position, key in enumerate(old.keys):
        index.setdefault(key, []).append(position)

    top = list(old.top)
    changed: set[int] = set()  # the positions in top whose text the merge replaced
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    to_append: list[int] = []  # positions in the rendered text
    last_top = len(top) - 1
    touched_last = False
    nothing: frozenset[str] = frozenset()
    for key, position in wanted.items():
        positions = index.get(key)
        if not positions:
            to_append.append(position)
            added.append(display_name(key))
            continue
        want = new.section(position)
        top_index, sec = positions[-1] + 1, old.section(positions[-1])  # botocore reads the last spelling
        had = _keys_of(sec)
        wanted_keys = _keys_of(want)
        mine = _shared((owned_before.get(key, nothing) & had) | (wanted_keys - had))
        stale = mine - wanted_keys if prune else nothing
        owned_after[key] = _shared(mine - stale) if stale else mine
        if not stale and _already_set(sec, want):
            continue  # most sections of a re-render: decided on the scanned values, no text built
        new_text = _update_section(sec, _wanted_options(want), stale)
        if new_text is not None:
            top[top_index] = new_text
            changed.add(top_index)
            updated.append(display_name(key))
            touched_last = touched_last or top_index == last_top

    tail_pruned = False
    if prune:
        for key in sorted(owned_before.keys() - managed_keys - rendered_keys):
            # an adopted section the render no longer produces: it stays, less the keys renders added to it
            if key in index:
                top_index, sec = index[key][-1] + 1, old.section(index[key][-1])
                stale_text = _update_section(sec, [], owned_before[key] & _keys_of(sec))
                if stale_text is not None:
                    top[top_index] = stale_text
                    changed.add(top_index)
                    updated.append(display_name(key))
        for key in sorted(managed_keys - rendered_keys):
            for position in index.get(key, ()):
                top_index, sec = position + 1, old.section(position)
                top[top_index] = _without_section(sec)
                if top_index > 0:
                    top[top_index - 1] = _without_trailing_comments(top[top_index - 1])
                tail_pruned = tail_pruned or top_index == last_top
            if key in index:
                removed.append(display_name(key))

    # Nothing changed: the existing text itself, not a copy joined from its pieces.
    text = "".join(top) if updated or removed else existing
    if to_append:
        # The comment lines directly above a rendered section's header introduce it, and come along.
        text = _append_sections(text, [_new_section_text(new.section(p), new.top[p]) for p in to_append])
    elif not ends_line(existing) and touched_last and text.endswith("\n"):
        # the user's file had no final newline and still ends with their section: keep it that way
        text = text[:-1]
    if tail_pruned and not to_append:
        last = lines_of(existing)[-1]
        ending = last[len(last.rstrip("\r\n")) :]  # the file's own final line end, or none
        text = text.rstrip("\r\n") + ending if text.strip() else ""
    present = {k for k in index if not (prune and k in managed_keys and k not in rendered_keys)}
    created = frozenset((managed_keys & present) | {k for k in wanted if k not in index})
    for position in to_append:
        owned_after[new.keys[position]] = _keys_of(new.section(position))
    if not prune:
        # remembered until a prune, for sections the render stopped producing
        for key, keys in owned_before.items():
            if key not in owned_after and key in present:
                owned_after[key] = keys
    if (
        text != existing
        and not removed
        and (merged := spliced(old, top, changed, text, kind, existing_name or kind)) is not None
    ):
        remember(text, kind, merged)  # validating the merged text then costs what changed, not the whole file
    return MergeResult(text, tuple(added), tuple(updated), tuple(removed), created, rendered_keys, owned_after)


# Equal key sets shared as one object: 25,000 role profiles have a handful of different sets of keys, and one
# frozenset per profile would be 25,000 more containers for the cyclic garbage collector to walk on every pass.
_SHARED: dict[frozenset[str], frozenset[str]] = {}


def _shared(keys: frozenset[str]) -> frozenset[str]:
    if len(_SHARED) > 4096:
        _SHARED.clear()  # a bound, not a cache policy: key sets are few in any real file
    return _SHARED.setdefault(keys, keys)


def _keys_of(sec: Section) -> frozenset[str]:
    return _shared(frozenset(option[0] for option in sec.options))


def _wanted_options(sec: Section) -> list[Option]:
    lines = sec.lines()
    return [Option(key, "".join(lines[first : last + 1]), value) for key, first, last, value in sec.options]


def _already_set(sec: Section, want: Section) -> bool:
    """Whether every key ``want`` sets already has its value in ``sec``."""
    have = {option[0]: option[3] for option in sec.options}
    return all(_same_value(have.get(option[0]), option[3]) for option in want.options)


def is_crlf(text: str) -> bool:
    return "\r\n" in text and text.count("\r\n") == text.count("\n")


def _same_value(old: str | None, new: str | None) -> bool:
    if old == new:
        return True
    if old is None or new is None or not (old.startswith("\n") and new.startswith("\n")):
        return False
    try:
        return parse_nested(old) == parse_nested(new)
    except ValueError:
        return False


def _update_section(sec: Section, options: list[Option], delete: Iterable[str]) -> str | None:
    """The section's new text with ``options`` set (in place, or after its last key) and ``delete`` removed;
    None when nothing changes.

    A key written in place keeps the indentation of the line it replaces, and a new key takes that of the section's
    last key (or, with none, of its header): configparser reads a line indented deeper than the key before it as
    that key's continuation, so an indented header after the section would otherwise become part of a new key."""
    children = sec.children()
    positions: dict[str, int] = {}
    for i, (opt, _) in enumerate(children):
        if opt is not None:
            positions[opt.key] = i
    removed_positions = {positions[key] for key in delete if key in positions}
    kept_options = [i for i in positions.values() if i not in removed_positions]
    last_key = children[max(kept_options)][1] if kept_options else sec.header
    changed = False
    appended: list[str] = []
    for opt in options:
        where = positions.get(opt.key)
        current = None if where is None else children[where][0]
        if where is None or current is None:
            appended.append(_indented(_line(opt.text), last_key))
            continue
        if not _same_value(current.value, opt.value):
            text = _indented(_line(opt.text), children[where][1])
            if not ends_line(children[where][1]):
                text = text[:-1]  # it was the file's last line, without a newline
            children[where] = (opt, text)
            changed = True
    if removed_positions:
        changed = True
    if not changed and not appended:
        return None
    if appended:
        option_indexes = [i for i, (opt, _) in enumerate(children) if opt is not None and i not in removed_positions]
        at = option_indexes[-1] + 1 if option_indexes else 0
        if at > 0 and not ends_line(children[at - 1][1]):
            children[at - 1] = (children[at - 1][0], children[at - 1][1] + "\n")
        children.insert(at, (None, "".join(appended)))
        removed_positions = {p + 1 if p >= at else p for p in removed_positions}
    return _line(sec.header) + "".join(text for i, (_, text) in enumerate(children) if i not in removed_positions)


def _indented(text: str, like: str) -> str:
    """``text``'s lines, each indented as much more as ``like``'s first line is (nothing to do for most files)."""
    indent = like[: len(like) - len(like.lstrip())]
    if not indent:
        return text
    return "".join(indent + line for line in lines_of(text))


def _line(text: str) -> str:
    return text if ends_line(text) else text + "\n"


def _without_section(sec: Section) -> str:
    """What is left of a pruned section: the comments and blank lines after its last key, which belong to
    whatever follows (a user's "# work profiles" heading), less the blank line that separated it."""
    children = sec.children()
    last_option = max((i for i, (opt, _) in enumerate(children) if opt is not None), default=-1)
    tail = "".join(text for _, text in children[last_option + 1 :])
    first = lines_of(tail)[:1]
    if first and not first[0].strip():
        tail = tail[len(first[0]) :]  # the blank line that separated it, whatever its line end
    return tail


def _without_trailing_comments(text: str) -> str:
    """``text`` less the comment lines at its end: a comment block directly above a created section's header
    introduces that section (``_new_section_text`` put it there), so it goes when the section is pruned."""
    lines = lines_of(text)
    while lines and lines[-1].startswith(("#", ";")):
        lines.pop()
    return "".join(lines)


def _new_section_text(sec: Section, before: str) -> str:
    """A rendered section as appended: its header and keys, with the comment lines that introduce it (those at the
    end of ``before``, the rendered text up to its header, with no blank line between)."""
    children = sec.children()
    last_option = max((i for i, (opt, _) in enumerate(children) if opt is not None), default=-1)
    body = "".join(text for _, text in children[: last_option + 1])
    return _leading_comments(before) + _line(_line(sec.header) + body)


def _leading_comments(before: str) -> str:
    """The comment block at the end of ``before`` (no blank line between it and what follows)."""
    lines = lines_of(before)
    first = len(lines)
    while first > 0 and lines[first - 1].lstrip().startswith(COMMENT_PREFIXES):
        first -= 1
    return "".join(_line(line) for line in lines[first:])


def _append_sections(text: str, sections: list[str]) -> str:
    if text and not ends_line(text):
        text += "\n"
    if text.strip() and lines_of(text)[-1].strip():
        text += "\n"  # one blank line between the user's last line and what is appended
    return text + "\n".join(sections)


def set_in_text(
    before: str | None, kind: Kind, profile: str, values: Mapping[str, str | None], name: str
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    text = before or ""
    if is_crlf(text):
        after, added, updated = set_in_text(text.replace("\r\n", "\n"), kind, profile, values, name)
        return after.replace("\n", "\r\n"), added, updated
    options = [Option(key.lower(), f"{key} = {value}\n", value) for key, value in values.items() if value is not None]
    delete = [key.lower() for key, value in values.items() if value is None]
    doc = scan(text, kind, name)
    key = f"profile {profile}"  # section_key of the header we would write, in either file
    matches = [(i + 1, doc.section(i)) for i, found in enumerate(doc.keys) if found == key]
    if not matches:
        if not options:
            return text, (), ()
        section = header_line(kind, profile) + "".join(opt.text for opt in options)
        return _append_sections(text, [section]), (profile,), ()
    top_index, sec = matches[-1]
    new_text = _update_section(sec, options, delete)
    if new_text is None:
        return text, (), ()
    top = list(doc.top)
    if top_index == len(top) - 1 and not ends_line(text) and new_text.endswith("\n"):
        new_text = new_text[:-1]
    top[top_index] = new_text
    return "".join(top), (), (profile,)


def without_keys(
    before: str, kind: Kind, deletions: Mapping[str, Iterable[str]], name: str
) -> tuple[str, tuple[str, ...]]:
    """``before`` less the given keys of the given profiles (profile -> keys), cut once however many profiles;
    also the profiles that changed. Every other byte kept."""
    if is_crlf(before):
        after, profiles = without_keys(before.replace("\r\n", "\n"), kind, deletions, name)
        return after.replace("\n", "\r\n"), profiles
    doc = scan(before, kind, name)
    last = {found: i for i, found in enumerate(doc.keys)}
    top = list(doc.top)
    changed: list[str] = []
    for profile, keys in deletions.items():
        position = last.get(f"profile {profile}")
        if position is None:
            continue
        top_index, sec = position + 1, doc.section(position)
        new_text = _update_section(sec, [], [key.lower() for key in keys])
        if new_text is None:
            continue
        if top_index == len(top) - 1 and not ends_line(before) and new_text.endswith("\n"):
            new_text = new_text[:-1]
        top[top_index] = new_text
        changed.append(profile)
    return ("".join(top) if changed else before), tuple(changed)
