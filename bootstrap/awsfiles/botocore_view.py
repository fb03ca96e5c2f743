"""The AWS files as botocore reads them: in memory, what ``botocore.configloader.raw_config_parse`` makes of a file
(configparser's sections and values, ``[DEFAULT]`` included, the same nested-value rule) and ``build_profile_map``'s
naming of profiles, so that what the tool checks is what the SDKs will see, and no copy of a secret touches the disk.

The text is cut by ``scanner`` (configparser's own state machine, the one the merge splices with), so a text is
parsed once for both; the property tests hold this view to configparser's and to botocore's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bootstrap.awsfiles.scanner import DEFAULT_SECTION, Scanned, scan
from bootstrap.errors import InputError


def parse_nested(value: str) -> dict[str, str]:
    # botocore.configloader.parse_nested (private there), kept identical: one level of `key = value` lines.
    parsed: dict[str, str] = {}
    for raw in value.splitlines():
        line = raw.strip()
        if not line:
            continue
        key, nested = line.split("=", 1)
        parsed[key.strip()] = nested.strip()
    return parsed


def botocore_parse(text: str, name: str) -> dict[str, dict[str, Any]]:
    """``botocore.configloader.raw_config_parse`` of ``text`` (in memory); ``InputError`` naming ``name`` and
    the line when botocore would refuse the file."""
    return parsed_of(scan(text, "config", name), name)


def raw_items(doc: Scanned) -> Iterator[tuple[int, dict[str, str]]]:
    """Each section's position and its keys and raw values, as configparser's ``items(section, raw=True)`` gives
    them: ``[DEFAULT]`` is no section of its own, and its keys are every section's. The scanner is configparser's
    own state machine (the property tests hold it to configparser), so a text is cut once for the merge and this."""
    defaults: dict[str, str] = {}
    for name, options in zip(doc.names, doc.options, strict=True):
        if name == DEFAULT_SECTION:
            defaults.update((option[0], option[3]) for option in options)
    for position, (name, options) in enumerate(zip(doc.names, doc.options, strict=True)):
        if name != DEFAULT_SECTION:
            values = dict(defaults)
            for key, _, _, value in options:
                values[key] = value
            yield position, values


def _parsed(doc: Scanned, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``raw_items`` with a nested block as a dict, as ``raw_config_parse`` reads it."""
    for position, raw in raw_items(doc):
        values: dict[str, Any] = raw
        for key, value in raw.items():  # replacing values while iterating: the keys do not change
            if value.startswith("\n"):
                try:
                    values[key] = parse_nested(value)
                except ValueError:
                    raise InputError(
                        f"{name}: section [{doc.names[position]}], key {key}: a nested line without '=' "
                        "(botocore cannot read it); nothing was changed"
                    ) from None
        yield position, values


def parsed_of(doc: Scanned, name: str) -> dict[str, dict[str, Any]]:
    """What ``raw_config_parse`` returns for the scanned file, by section name."""
    return {doc.names[position]: values for position, values in _parsed(doc, name)}


def profiles_of(sections: Iterable[tuple[int, dict[str, Any]]], doc: Scanned) -> dict[str, dict[str, Any]]:
    """``build_profile_map(...)["profiles"]`` of a scanned config file (for a credentials file: every section),
    named by the scan's own ``section_key`` (``[profile  a]`` is profile a; the last spelling wins, as there)."""
    prefix = "profile "
    return {doc.keys[at][len(prefix) :]: values for at, values in sections if doc.keys[at].startswith(prefix)}


def profiles_view(
    config_text: str | None, credentials_text: str | None, *, names: tuple[str, str] = ("config", "credentials")
) -> dict[str, dict[str, Any]]:
    """Profile name -> settings, merged from both texts the way botocore's session does."""
    profiles: dict[str, dict[str, Any]] = {}
    if config_text is not None:
        config = scan(config_text, "config", names[0])
        profiles = profiles_of(_parsed(config, names[0]), config)
    if credentials_text is not None:
        credentials = scan(credentials_text, "credentials", names[1])
        for profile, values in profiles_of(_parsed(credentials, names[1]), credentials).items():
            profiles.setdefault(profile, {}).update(values)
    return profiles


def validate(
    config_text: str | None,
    credentials_text: str | None,
    *,
    config_name: str = "config",
    credentials_name: str = "credentials",
    check_source_profiles: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """Refuse (``InputError``) texts botocore would reject, and a ``source_profile`` of one of the profiles
    ``check_source_profiles`` that names no profile. Returns botocore's profile view."""
    profiles = profiles_view(config_text, credentials_text, names=(config_name, credentials_name))
    for profile in check_source_profiles:
        source = profiles.get(profile, {}).get("source_profile")
        if isinstance(source, str) and source not in profiles:
            raise InputError(
                f"{config_name}: profile {profile} has source_profile = {source}, but there is no profile "
                f"{source} in {config_name} or {credentials_name}; nothing was changed"
            )
    return profiles
