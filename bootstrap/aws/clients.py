"""The seam to botocore: sessions and clients, made here and nowhere else (tests swap ``client``).

The endpoint comes from botocore itself: ``AWS_ENDPOINT_URL`` (which the sandbox exports) is honoured by every
client made here, exactly as by the ``aws`` CLI.

Clients for explicit credentials (every call the tool makes but botocore resolving a named profile) are made from
botocore alone: boto3 adds nothing to an STS or IAM client but its import (s3transfer and the resource layer,
~15 ms of a 0.2 s `refresh --force`). boto3 is imported only to resolve a named profile.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.loaders
import botocore.session

from bootstrap.credentials import Credentials

if TYPE_CHECKING:
    import boto3

DEFAULT_REGION = "us-east-1"

_shared_lock = threading.Lock()
_sessions: dict[tuple[str, ...], botocore.session.Session] = {}
_shared: dict[tuple[Any, ...], Any] = {}
_clients: dict[tuple[Any, ...], _Signed] = {}
_MAX_CLIENTS = 1024
_ENVIRONMENT_KEYS = ("HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_ENDPOINT_URL")
# verify runs up to 64 checks at once over one shared client: one pooled connection each (botocore keeps 10 by
# default, and urllib3 drops, with a warning, a connection returned to a full pool).
_POOL = 64

# Adaptive retries: botocore backs off on throttling by itself, so concurrent checks need no retry loop of ours.
RETRY_CONFIG = botocore.config.Config(retries={"max_attempts": 8, "mode": "adaptive"})
_SHARED_CONFIG = RETRY_CONFIG.merge(botocore.config.Config(max_pool_connections=_POOL))

# The credentials the call now being made on this thread signs with (set by ``_Signed`` around each call).
_signing: contextvars.ContextVar[Credentials | None] = contextvars.ContextVar("aws_iam_bootstrap_signing", default=None)


class _CallerCredentials(botocore.credentials.Credentials):
    """What a shared client signs with: the credentials of the call in progress on this thread.

    botocore reads a client's credentials once per request, when signing it (retries included), through
    ``get_frozen_credentials``; answering from ``_signing`` lets one client serve every set of credentials, so a
    hundred roles checked with their own credentials cost a hundred signatures, not a hundred clients (each one a
    copy of the event handlers, an SSL context and a connection pool of its own).
    """

    def __init__(self) -> None:
        # Placeholders, never used to sign: botocore's signers only read get_frozen_credentials().
        super().__init__("", "", method="explicit")

    def get_frozen_credentials(self) -> botocore.credentials.ReadOnlyCredentials:
        current = _signing.get()
        if current is None:
            raise botocore.exceptions.NoCredentialsError()
        return botocore.credentials.ReadOnlyCredentials(
            current.access_key_id, current.secret_access_key, current.session_token
        )


class _CallerProvider(botocore.credentials.CredentialProvider):
    METHOD = "explicit"
    CANONICAL_NAME = "custom-aws-iam-bootstrap"

    def load(self) -> botocore.credentials.Credentials:
        return _CallerCredentials()


class _Loader(botocore.loaders.Loader):
    """botocore's loader, finding a service's model by looking in that service's own directories.

    botocore's ``load_service_model`` first lists every service it has a model of (some 400 directories, listed
    once for the model and once for the endpoint rules: ~20 ms, a tenth of `refresh --force`) only to check the
    one asked for is among them. Looking for the newest version of that one service answers the same question;
    when it has none, botocore's own method runs and raises its own error.
    """

    @botocore.loaders.instance_cache
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        if api_version is not None:
            return super().load_service_model(service_name, type_name, api_version)
        try:
            latest = self.determine_latest_version(service_name, type_name)
        except botocore.exceptions.DataNotFoundError:
            return super().load_service_model(service_name, type_name)
        # The rest of botocore's method, as it is (its paths are strings joined by os.path; its helpers are untyped).
        model = self.load_data(os.path.join(service_name, latest, type_name))  # noqa: PTH118
        loader: Any = self
        loader._extras_processor.process(model, loader._find_extras(service_name, type_name, latest))
        return model


def _new_session() -> botocore.session.Session:
    made = botocore.session.Session()
    # As botocore.session registers its own loader, AWS_DATA_PATH and ~/.aws/models included.
    data_path = made.get_config_variable("data_path")
    paths = data_path.split(os.pathsep) if data_path else None
    extra = [os.path.expanduser(os.path.expandvars(p)) for p in paths] if paths else None  # noqa: PTH111
    made.register_component("data_loader", _Loader(extra_search_paths=extra))
    made.register_component("credential_provider", botocore.credentials.CredentialResolver([_CallerProvider()]))
    return made


class _Signed:
    """A client of one service for one set of credentials, as botocore's clients are used here.

    Its API calls go through the client shared by every set of credentials of the same service, region and
    environment, signed with these credentials. Anything else (``meta``, paginators, waiters, a botocore
    ``Stubber`` in a test) gets a client of its own, made on first use, and then every call goes there, so what
    is registered on it sees them.
    """

    def __init__(self, shared: Any, own: Callable[[], Any], credentials: Credentials) -> None:
        self._shared = shared
        self._make_own = own
        self._own: Any = None
        self._credentials = credentials
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # our own attributes, looked up before __init__ set them (copy, pickle)
            raise AttributeError(name)
        if self._own is None and name in self._shared.meta.method_to_api_mapping:
            return functools.partial(self._call, name)
        return getattr(self._dedicated(), name)

    def _dedicated(self) -> Any:
        with self._lock:
            if self._own is None:
                self._own = self._make_own()
            return self._own

    def _call(self, name: str, **params: Any) -> Any:
        if self._own is not None:
            return getattr(self._own, name)(**params)
        token = _signing.set(self._credentials)
        try:
            return getattr(self._shared, name)(**params)
        finally:
            _signing.reset(token)


def session(
    credentials: Credentials | None = None, *, profile: str | None = None, region: str | None = None
) -> boto3.Session:
    """A boto3 session from explicit credentials, a named profile, or the default chain."""
    import boto3

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

    With explicit ``credentials``, the calls of every client made here for one service, region and environment go
    through one botocore client (see ``_Signed``): a new botocore session loads botocore's models again (~80 ms of
    CPU each) and a new client costs ~3 ms, while a shared client costs one signature per call and keeps its
    connections open from one call to the next. One botocore session per environment, since a session caches the
    files and endpoint it read; sessions are not thread-safe, so clients are made under a lock (clients themselves
    are thread-safe).
    """
    if credentials is None or config is not None:
        # boto3-stubs types each service's client separately; callers here name the service at run time.
        sess: Any = session(credentials, profile=profile, region=region)
        return sess.client(service, config=config or RETRY_CONFIG)
    environment = tuple(os.environ.get(name, "") for name in _ENVIRONMENT_KEYS)
    region = region or DEFAULT_REGION
    key = (environment, service, credentials, region)
    with _shared_lock:
        if key in _clients:
            return _clients[key]
        botocore_session = _sessions.get(environment)
        if botocore_session is None:
            botocore_session = _sessions[environment] = _new_session()
        shared = _shared.get((environment, service, region))
        if shared is None:
            shared = _shared[(environment, service, region)] = botocore_session.create_client(
                service, region_name=region, config=_SHARED_CONFIG
            )

    def own() -> Any:
        with _shared_lock:
            return botocore_session.create_client(
                service,
                region_name=region,
                aws_access_key_id=credentials.access_key_id,
                aws_secret_access_key=credentials.secret_access_key,
                aws_session_token=credentials.session_token,
                config=RETRY_CONFIG,
            )

    made = _Signed(shared, own, credentials)
    with _shared_lock:
        if len(_clients) >= _MAX_CLIENTS:
            _clients.clear()
        return _clients.setdefault(key, made)
