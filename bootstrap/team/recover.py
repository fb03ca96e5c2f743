"""Taking the names the tool supplies (the key, its secret, the MFA serial, the user) back from the user's AWS files,
so that a render after the first never asks for the secret again.

The templates are rendered once with a marker in place of each missing name: wherever a marker lands (profile, key,
text around it), the same spot in the existing files holds the value. That marked rendering is then the rendering
itself, the markers replaced by the values, wherever the template only prints the name (``only_printed``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

from bootstrap.errors import InputError
from bootstrap.team.templates import Template, placeholders
from bootstrap.team.templates import render as render_template

# A marker for a missing name; the random part makes it impossible for a value, a template or CONST.inc to hold it.
_MARKER: Final = "@@aws-iam-bootstrap:{}:{}@@"

_PAIR: Final = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def markers(absent: list[str]) -> dict[str, str]:
    """A fresh marker for each missing name."""
    return {name: _MARKER.format(os.urandom(8).hex(), name) for name in absent}


def render_marked(templates: tuple[Template, Template], context: Mapping[str, object]) -> tuple[str | None, str | None]:
    """Each template rendered with markers for the missing names (None where that fails: a filter on a marker)."""
    texts: list[str | None] = []
    for template in templates:
        try:
            texts.append(render_template(template, context))
        except InputError:
            texts.append(None)
    return texts[0], texts[1]


def filled(text: str, markers: Mapping[str, str], values: Mapping[str, str]) -> str:
    """A marked rendering with each marker replaced by its value: exactly the rendering with the values, for a
    template that only prints the names (``only_printed``), without rendering it a second time."""
    for name, marker in markers.items():
        text = text.replace(marker, values[name])
    return text


def recover(
    absent: list[str],
    given: Mapping[str, str],
    markers: Mapping[str, str],
    templates: tuple[Template, Template],
    marked: tuple[str | None, str | None],
    existing: Mapping[str, Any],
    valid: Callable[[str, str], bool],
) -> dict[str, str]:
    """Take missing supplied values back from the user's files, so re-rendering never asks for the secret again.

    ``marked`` are the templates rendered with a marker in place of each missing name: wherever a marker lands
    (profile, key, text around it), the same spot in the existing files holds the value. The first spot that holds
    a valid value wins, the config template's before the credentials template's, and the key id and its secret
    come from the same profile; so the marked profiles are read only until every name a template prints is found.
    The fixed layout's long-term profile (``[NAME-long-term]``: key, secret, ``mfa_serial`` or aws-mfa's
    ``aws_mfa_device``) is the fallback, and the user name follows from the MFA serial (see ``render``). ``valid``
    says whether a value taken back has the form of that name's values.
    """
    from bootstrap.awsfiles.scanner import display_name, sections_of

    found: dict[str, str] = {}
    pair = _PAIR
    kinds: tuple[Literal["config", "credentials"], ...] = ("config", "credentials")
    for template, text, kind in zip(templates, marked, kinds, strict=True):
        uses = {p.name for p in placeholders(template)} & set(absent)
        if text is None or uses <= found.keys():
            continue
        try:
            for section in sections_of(text, kind, f"{template.path.name} (rendered)"):
                profile = display_name(section.key)
                current = existing.get(profile)
                if (kind == "config" and not section.key.startswith("profile ")) or not isinstance(current, Mapping):
                    continue
                if "aws_session_token" in current:
                    continue  # a session's temporary key is no long-term key
                spots: dict[str, str] = {}  # name -> the value this profile holds for it
                for key, _, _, value in section.options:
                    hits = [name for name, marker in markers.items() if marker in value]
                    if len(hits) != 1 or not isinstance(current.get(key), str) or hits[0] in spots:
                        continue
                    prefix, _, suffix = value.partition(markers[hits[0]])
                    have: str = current[key]
                    if have.startswith(prefix) and have.endswith(suffix) and len(have) > len(prefix) + len(suffix):
                        held = have[len(prefix) : len(have) - len(suffix)]
                        if valid(hits[0], held):
                            spots[hits[0]] = held
                for name in absent:
                    if name in found or name not in spots:
                        continue
                    other = pair[1 - pair.index(name)] if name in pair else None
                    if other is not None and other in absent:
                        if other not in spots:
                            continue
                        found[other] = spots[other]
                    found[name] = spots[name]
                if uses <= found.keys():
                    break
        except InputError:
            continue  # a marked text botocore could not read: the rendered one is refused later, with its line

    long_term = existing.get(f"{given.get('AWS_ACCOUNT_NAME', '')}-long-term")
    if isinstance(long_term, Mapping):
        key_id, secret = long_term.get("aws_access_key_id"), long_term.get("aws_secret_access_key")
        if (
            not (set(pair) & found.keys())
            and isinstance(key_id, str)
            and isinstance(secret, str)
            and valid(pair[0], key_id)
            and valid(pair[1], secret)
        ):
            found.update((name, value) for name, value in zip(pair, (key_id, secret), strict=True) if name in absent)
        device = long_term.get("mfa_serial") or long_term.get("aws_mfa_device")
        wanted = "AWS_MFA_SERIAL" in absent and "AWS_MFA_SERIAL" not in found
        if wanted and isinstance(device, str) and valid("AWS_MFA_SERIAL", device):
            found["AWS_MFA_SERIAL"] = device
    return found
