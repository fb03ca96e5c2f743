"""The embedded AWS sandbox: moto in server mode on 127.0.0.1, behind a small rules layer, seeded with the example
organisation (a users-only account, dev and prod accounts with infra roles; the one CONST.inc.example describes).

Only the ``sandbox`` and ``demo`` commands and the tests import this package (it needs the ``[sandbox]`` extra).
The server runs in a thread of this process; its state is moto's process-wide state, so one sandbox runs per
process at a time (a second ``start_sandbox`` while one runs is a ``StateError``).

Every request to any service is authenticated and authorised by the layer (``rules.py`` says what is enforced);
``start_sandbox(journal=PATH)`` journals each one as a CloudTrail-shaped JSON line (``journal.py``).

Beyond the contract: ``Sandbox.client(service, credentials)`` makes a boto3 client for the sandbox;
``Sandbox.layer.clock`` is the time the rules layer uses (TOTP windows, expiry), which tests may replace;
``bootstrap.sandbox.backend`` reads and changes moto's state directly (for test set-up only).

What it holds is an ``org.model.Organisation``: names, groups, policy and trust documents all come from ``org/``,
so the sandbox holds what the tool ships. The example's ids and people are data here: ``organisation.json``
(accounts, names, suffixes) and ``users.json`` (who may assume which role where).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

from bootstrap import arns, redact
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError, StateError
from bootstrap.org import documents, naming
from bootstrap.org.model import EnvAccount, Organisation, Person

KINDS = naming.KINDS
_ENV = re.compile(r"^[A-Z][A-Z0-9_]*$")
INSTALL_HINT = "the sandbox needs moto: pip install 'aws-iam-bootstrap[sandbox]'"


@dataclass(frozen=True)
class SandboxUser:
    """A human in the users account. ``grants``: env -> role kinds the user may assume there."""

    name: str
    arn: str
    account_id: str
    password: str = field(repr=False)
    one_time_key: Credentials
    grants: Mapping[str, tuple[str, ...]]
    mfa_serial: str | None = None  # set for users seeded with an MFA device already enabled (bob)
    mfa_seed: str | None = field(default=None, repr=False)


SandboxAccount = EnvAccount


def _data(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(resources.files("bootstrap.sandbox").joinpath(name).read_text(encoding="utf-8"))
    return doc


def example_organisation() -> Organisation:
    """The example organisation the sandbox is seeded with (the one CONST.inc.example describes)."""
    org = _data("organisation.json")
    accounts = tuple(
        EnvAccount(
            a["env"], a["id"], a["name"], {kind: naming.role_name(kind, a["role_suffix"]) for kind in naming.KINDS}
        )
        for a in org["accounts"]
    )
    people = tuple(
        Person(name, {env: tuple(kinds) for env, kinds in spec["grants"].items()})
        for name, spec in _data("users.json")["users"].items()
    )
    users = org["users_account"]
    return Organisation(org["region"], users["id"], users["name"], users["group_suffix"], accounts, people)


class Sandbox:
    """A running sandbox: its endpoint, the organisation it holds, and calls to grow that organisation."""

    def __init__(self, endpoint_url: str, server: Any, thread: threading.Thread, layer: Any) -> None:
        from bootstrap.sandbox import backend

        self._backend = backend
        self._server = server
        self._thread = thread
        self.layer = layer
        self.endpoint_url = endpoint_url
        self.host, port = endpoint_url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)
        example = example_organisation()
        # The organisation as it stands: accounts and people are added to it as the sandbox grows.
        self.organisation = Organisation(
            example.region, example.users_account_id, example.users_account_name, example.group_suffix
        )
        self.region = example.region
        self.users_account_id = example.users_account_id
        self.users_account_name = example.users_account_name
        self._users: dict[str, SandboxUser] = {}
        self._lock = threading.RLock()
        self._stopped = False

    # --- the organisation ---------------------------------------------------------------------------------------

    @property
    def accounts(self) -> Mapping[str, SandboxAccount]:
        return {account.env: account for account in self.organisation.accounts}

    @property
    def users(self) -> Mapping[str, SandboxUser]:
        return dict(self._users)

    @property
    def groups(self) -> tuple[str, str]:
        """(assume-role group, manage-own-user group) of the users account."""
        groups = self.organisation.groups
        return (groups.assume_role, groups.manage_own_user)

    def environ(self) -> dict[str, str]:
        """The environment that points boto3 and the aws CLI at the sandbox."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_DEFAULT_REGION": self.region}

    def client(self, service: str, credentials: Credentials) -> Any:
        """A boto3 client for ``service`` at the sandbox, signing with ``credentials``."""
        import boto3

        session: Any = boto3.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            region_name=self.region,
        )
        return session.client(service, endpoint_url=self.endpoint_url)

    def _seed(self) -> None:
        example = example_organisation()
        assume, manage = self.groups
        acct = self.users_account_id
        self._backend.create_group(acct, assume, "AssumeInfraRoles", documents.policy_document("assume-role-group"))
        self._backend.create_group(acct, manage, "ManageOwnUser", documents.policy_document("manage-own-user-group"))
        for account in example.accounts:
            self._add_account(account)
        for name, spec in _data("users.json")["users"].items():
            person = example.person(name)
            assert person is not None
            self._add_user(
                person,
                reset_required=bool(spec.get("password_reset_required", True)),
                mfa=bool(spec.get("mfa", False)),
            )

    def add_user(self, name: str, grants: Mapping[str, Iterable[str]]) -> SandboxUser:
        """A fresh user in the users account: both groups, a password to reset, one one-time key, no MFA; the
        trust of every granted role names it."""
        normalised = {env: tuple(dict.fromkeys(kinds)) for env, kinds in grants.items() if kinds}
        return self._add_user(Person(name, normalised), reset_required=True, mfa=False)

    def _add_user(self, person: Person, *, reset_required: bool, mfa: bool) -> SandboxUser:
        name = person.name
        if not arns.IAM_NAME.fullmatch(name):
            raise InputError(f"not a valid IAM user name: {name!r}")
        with self._lock:
            if name in self._users:
                raise StateError(f"user {name} already exists in the sandbox")
            self.organisation = self.organisation.with_person(person)
            acct = self.users_account_id
            arn = self._backend.create_user(acct, name, self.groups)
            password = "Sbx-" + secrets.token_urlsafe(12)
            redact.register(password)
            self._backend.set_password(acct, name, password, reset_required=reset_required)
            key_id, secret = self._backend.create_access_key(acct, name)
            serial = seed = None
            if mfa:
                serial, seed = self._backend.enable_virtual_mfa(acct, name, name)
            user = SandboxUser(
                name=name,
                arn=arn,
                account_id=acct,
                password=password,
                one_time_key=Credentials(key_id, secret),
                grants=dict(person.grants),
                mfa_serial=serial,
                mfa_seed=seed,
            )
            self._users[name] = user
            for env, kinds in user.grants.items():
                self._update_trust(env, kinds)
            return user

    def add_account(self, env: str, *, name: str | None = None, kinds: Iterable[str] = naming.KINDS) -> SandboxAccount:
        """A new account (fresh 12-digit id) with infra roles of ``kinds``; their trust names nobody yet (only
        the account itself)."""
        kinds = tuple(dict.fromkeys(kinds))
        unknown = [k for k in kinds if k not in naming.KINDS]
        if unknown:
            raise InputError(f"unknown role kind(s) {', '.join(unknown)}; known: {', '.join(naming.KINDS)}")
        with self._lock:
            taken = {a.id for a in self.organisation.accounts} | {self.users_account_id, "123456789012"}
            account_id = str(secrets.randbelow(9 * 10**11) + 10**11)
            while account_id in taken:
                account_id = str(secrets.randbelow(9 * 10**11) + 10**11)
            suffix = naming.new_suffix()
            roles = {kind: naming.role_name(kind, suffix) for kind in kinds}
            return self._add_account(EnvAccount(env, account_id, name or f"example-{env.lower()}", roles))

    def _add_account(self, account: EnvAccount) -> SandboxAccount:
        if not _ENV.match(account.env):
            raise InputError(f"not a valid environment name (A-Z, 0-9, _): {account.env!r}")
        with self._lock:
            if account.env in self.accounts:
                raise StateError(f"the sandbox already has an account for {account.env}")
            self.organisation = self.organisation.with_account(account)
            for kind, role in account.roles.items():
                self._backend.create_role(
                    account.id,
                    role,
                    self.organisation.trust(account.env, kind),
                    f"{naming.KIND_WORDS[kind]}Permissions",
                    documents.role_policy(kind),
                )
            return account

    def grant(self, user: str, env: str, kinds: Iterable[str]) -> None:
        """Let ``user`` assume the ``kinds`` roles of ``env``: their trust policies name the user from now on."""
        with self._lock:
            if user not in self._users:
                raise InputError(f"no sandbox user {user!r}")
            added = tuple(dict.fromkeys(kinds))
            current = self._users[user]
            grants = dict(current.grants)
            grants[env] = tuple(dict.fromkeys((*grants.get(env, ()), *added)))
            person = self.organisation.person(user) or Person(user)
            self.organisation = self.organisation.with_person(Person(user, grants, person.power))
            self._users[user] = replace(current, grants=grants)
            self._update_trust(env, added)

    def _update_trust(self, env: str, kinds: Iterable[str]) -> None:
        account = self.organisation.account(env)
        for kind in kinds:
            self._backend.set_trust(account.id, account.roles[kind], self.organisation.trust(env, kind))

    def const_inc(self) -> str:
        """A CONST.inc describing the current organisation (same keys and order as CONST.inc.example)."""
        return self.organisation.const_inc(
            header="# The organisation of the aws-iam-bootstrap sandbox (generated by the sandbox)."
        )

    # --- lifecycle -----------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Shut the server down and forget its state (idempotent)."""
        global _active
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        self._backend.reset()
        if self.layer.journal is not None:
            self.layer.journal.close()
        with _active_lock:
            if _active is self:
                _active = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


_active: Sandbox | None = None
_active_lock = threading.Lock()


def serve(app: Any, host: str, port: int) -> tuple[Any, threading.Thread, str]:
    """Serve a WSGI app on a thread (werkzeug's threaded server, as moto's own server uses); return
    (server, thread, endpoint url). Request lines are not logged: the sandbox's output is its own."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{server.server_port}", daemon=True)
    thread.start()
    return server, thread, f"http://{host}:{server.server_port}"


def moto_app() -> Any:
    """Plain moto server as a WSGI app (what the rules layer wraps; the benchmark's baseline)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def _check_free(host: str, port: int) -> None:
    """Refuse a taken port before werkzeug does (it prints and exits instead of raising)."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's server does
            probe.bind((host, port))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def start_sandbox(
    *, port: int = 0, host: str = "127.0.0.1", journal: Path | None = None, moto_api: bool = False
) -> Sandbox:
    """Start moto on ``host:port`` (a free port when 0) behind the rules layer, seeded with the organisation.
    ``journal``: append a CloudTrail-shaped line per request to this file (0600); ``moto_api``: also serve moto's
    dashboard and reset API, which hand every secret to anyone who can reach the port."""
    global _active
    try:
        import moto.moto_server.werkzeug_app  # noqa: F401  (moto with its server part: the [sandbox] extra)
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    from bootstrap.sandbox.journal import Journal
    from bootstrap.sandbox.rules import RulesLayer

    with _active_lock:
        if _active is not None:
            raise StateError(f"a sandbox already runs in this process at {_active.endpoint_url}; stop it first")
        layer = RulesLayer(moto_app(), journal=Journal(journal) if journal else None, moto_api=moto_api)
        _check_free(host, port)
        try:
            server, thread, url = serve(layer, host, port)
        except (OSError, SystemExit) as exc:  # werkzeug exits when it cannot bind
            raise InputError(f"cannot listen on {host}:{port}: {exc}") from None
        sandbox = Sandbox(url, server, thread, layer)
        _active = sandbox
    try:
        sandbox._seed()
    except BaseException:
        sandbox.stop()
        raise
    return sandbox
