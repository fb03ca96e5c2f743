"""The seam to boto3: sessions and clients, made here and nowhere else (tests swap ``client``).

The endpoint comes from botocore itself: ``AWS_ENDPOINT_URL`` (which the sandbox exports) is honoured by every
client made here, exactly as by the ``aws`` CLI.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
import botocore.config

from bootstrap.credentials import Credentials

DEFAULT_REGION = "us-east-1"

_shared_lock = threading.Lock()
_shared: dict[tuple[str, ...], Any] = {}
_clients: dict[tuple[Any, ...], Any] = {}
_MAX_CLIENTS = 1024
_ENVIRONMENT_KEYS = ("HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_ENDPOINT_URL")

# Adaptive retries: botocore backs off on throttling by itself, so concurrent checks need no retry loop of ours.
RETRY_CONFIG = botocore.config.Config(retries={"max_attempts": 8, "mode": "adaptive"})


def session(
    credentials: Credentials | None = None, *, profile: str | None = None, region: str | None = None
) -> boto3.Session:
    """A boto3 session from explicit credentials, a named profile, or the default chain."""
    if credentials is not None:
        return boto3.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            region_name=region or DEFAULT_REGION,
        )
    s = boto3.Session(profile_name=profile, region_name=region)
    if s.region_name is None:
        s = boto3.Session(profile_name=profile, region_name=DEFAULT_REGION)
    return s


def client(
    service: str,
    credentials: Credentials | None = None,
    *,
    profile: str | None = None,
    region: str | None = None,
    config: botocore.config.Config | None = None,
) -> Any:
    """A client for ``service``; see ``session`` for where its credentials come from.

    With explicit ``credentials`` (every call the tool makes but botocore resolving a named profile), clients are
    made from one shared boto3 session and reused: a new session loads botocore's models again (~80 ms of CPU
    each), a client from a shared one costs ~3 ms, and a hundred roles assumed from one MFA session share one
    client. Sessions are not thread-safe, so clients are made under a lock (clients themselves are). One shared
    session per environment, since a session caches the files and endpoint it read.
    """
    if credentials is None or config is not None:
        # boto3-stubs types each service's client separately; callers here name the service at run time.
        sess: Any = session(credentials, profile=profile, region=region)
        return sess.client(service, config=config or RETRY_CONFIG)
    environment = tuple(os.environ.get(name, "") for name in _ENVIRONMENT_KEYS)
    key = (environment, service, credentials, region)
    with _shared_lock:
        if key in _clients:
            return _clients[key]
        shared: Any = _shared.get(environment)
        if shared is None:
            shared = _shared[environment] = session(credentials)
        made = shared.client(
            service,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            region_name=region or DEFAULT_REGION,
            config=RETRY_CONFIG,
        )
        if len(_clients) >= _MAX_CLIENTS:
            _clients.clear()
        _clients[key] = made
        return made
