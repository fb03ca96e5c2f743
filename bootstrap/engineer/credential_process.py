"""``credential-process``: the MFA session as the JSON the SDKs expect, from a private cache, renewed with one code
when it is too old.

The SDKs run this on every credential resolution, so a cache hit must be cheap: this module imports no boto3 and
makes no AWS call until a session really has to be made. The cache is one of the tool's private JSON files
(``jsonstore``): beside the credentials file it belongs to, never read through a link or from another user's file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bootstrap import limits
from bootstrap.awsfiles import layout, safewrite
from bootstrap.awsfiles.jsonstore import JsonStore
from bootstrap.awsfiles.locations import AwsPaths, cache_dir
from bootstrap.awsfiles.profiles import load_profiles
from bootstrap.clock import Clock, SystemClock
from bootstrap.credentials import Credentials
from bootstrap.engineer.codes import CodeLog, CodeSource
from bootstrap.engineer.session import DEFAULT_MIN_TTL, left_over, mfa_session

CACHE_VERSION = 1


def process_body(credentials: Credentials) -> dict[str, Any]:
    """What the SDKs expect from a ``credential_process`` (their format's Version 1)."""
    body: dict[str, Any] = {
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
    }
    if credentials.session_token:
        body["SessionToken"] = credentials.session_token
    if credentials.expiration_iso:
        body["Expiration"] = credentials.expiration_iso
    return body


def process_json(credentials: Credentials) -> str:
    return json.dumps(process_body(credentials), indent=2)


def _from_body(body: Any) -> Credentials | None:
    try:
        return Credentials(
            str(body["AccessKeyId"]),
            str(body["SecretAccessKey"]),
            str(body["SessionToken"]),
            layout.parse_expiration(body.get("Expiration")),
        )
    except (KeyError, TypeError, AttributeError):
        return None  # a damaged cache is renewed, never fatal


def cache_store(path: Path) -> JsonStore:
    return JsonStore(
        path,
        "session cache",
        CACHE_VERSION,
        "an MFA session of aws-iam-bootstrap credential-process",
        # version 0: the credential_process JSON itself, as written before the cache had a version
        migrations={0: lambda old: {"credentials": old}},
    )


def cache_path(paths: AwsPaths, lt: layout.LongTerm, serial: str) -> Path:
    # Keyed on the key id too: after a key rotation the old session is not served.
    digest = hashlib.sha256(f"{lt.name}\0{lt.credentials.access_key_id}\0{serial}".encode()).hexdigest()[:24]
    return cache_dir(paths) / f"{lt.name}-{digest}.json"


@dataclass(frozen=True)
class ProcessResult:
    profile: str
    session: Credentials
    renewed: bool
    cache_file: Path


def cached_session(
    paths: AwsPaths,
    profile: str | None,
    codes: CodeSource,
    *,
    min_ttl: timedelta = DEFAULT_MIN_TTL,
    duration: int = limits.SESSION_DEFAULT,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    lock_timeout: float = 300.0,
    force: bool = False,
) -> ProcessResult:
    """The MFA session of ``profile`` from the private cache, renewed (one code) when it is too old (or ``force``).

    Held under a lock while a code is asked, so SDK processes started together wait for the first one's
    session instead of each asking for a code.
    """
    clock = clock or SystemClock()
    lt, serial = layout.renewer(load_profiles(paths), profile, environ)
    path = cache_path(paths, lt, serial)
    store = cache_store(path)
    safewrite.private_dir(path.parent)
    with safewrite.locked(path, timeout=lock_timeout, follow_links=False):
        data = store.load()
        cached = _from_body(data.get("credentials")) if data else None
        if cached is not None and not force and left_over(cached, min_ttl, clock) is not None:
            return ProcessResult(lt.name, cached, False, path)
        session = mfa_session(
            codes, lt.credentials, serial, clock=clock, log=CodeLog(), duration=duration, region=lt.region
        )
        store.save({"credentials": process_body(session)})
        return ProcessResult(lt.name, session, True, path)


def save_session(paths: AwsPaths, lt: layout.LongTerm, serial: str, session: Credentials) -> Path:
    """Put an MFA session made elsewhere (by onboard) into the cache, where this profile's credential_process
    line will find it."""
    path = cache_path(paths, lt, serial)
    safewrite.private_dir(path.parent)
    with safewrite.locked(path, follow_links=False):
        cache_store(path).save({"credentials": process_body(session)})
    return path
