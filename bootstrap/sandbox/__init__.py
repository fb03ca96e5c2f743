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

What it holds is an ``org.model.Organisation``, and it gets there the way a platform team's accounts do: the
example's ``CONST.inc`` and ``users.yaml`` (package data, identical to the repository's ``*.example`` files) are
read by ``org.load`` and applied by ``org.apply`` over HTTP through real boto3 clients, and each person's first
credentials are made by ``org.people``, as ``org add-user`` makes them. The growth calls (``add_user``, ``grant``,
``add_account``) go the same way. The one thing outside the model is each account's administrator
(``platform-admin``, with every permission), who stands for whoever deploys the stacks (an SSO admin role, the
organisation's access role) and whose keys apply it.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from bootstrap import arns
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError, StateError
from bootstrap.org import naming
from bootstrap.org.model import USERS_ENV, EnvAccount, Organisation, Person

KINDS = naming.KINDS
_ENV = re.compile(r"^[A-Z][A-Z0-9_]*$")
INSTALL_HINT = "the sandbox needs moto: pip install 'aws-iam-bootstrap[sandbox]'"
ADMIN: Final = "platform-admin"
# People of the example who have been through their first day already: password changed, MFA device enabled.
ENROLLED: Final = ("bob",)


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


def example_text(name: str) -> str:
    """``CONST.inc`` or ``users.yaml`` of the example organisation (package data)."""
    return resources.files("bootstrap.sandbox").joinpath(name).read_text(encoding="utf-8")


def example_organisation() -> Organisation:
    """The example organisation the sandbox is seeded with (the one CONST.inc.example and users.yaml.example
    describe), read through the same loader as a team's files."""
    from bootstrap.org import load, users_file
    from bootstrap.team.const import parse_const

    variables = parse_const(example_text("CONST.inc"), source=Path("CONST.inc"))
    return load.organisation(variables, users_file.parse(example_text("users.yaml"), "users.yaml"))


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
        self.organisation = replace(example, accounts=(), people=())
        self.region = example.region
        self.users_account_id = example.users_account_id
        self.users_account_name = example.users_account_name
        self._users: dict[str, SandboxUser] = {}
        self.admins: dict[str, Credentials] = {}  # account id -> its platform-admin's key
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}
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

    # --- reaching the accounts as their administrator -------------------------------------------------------------

    def _admin_of(self, account_id: str) -> Credentials:
        """The account's platform-admin (made on first use, as an account comes with its first administrator)."""
        if account_id not in self.admins:
            self._backend.create_user(account_id, ADMIN, ())
            self._backend.put_user_policy(account_id, ADMIN, "AdministratorAccess", _EVERYTHING)
            self.admins[account_id] = Credentials(*self._backend.create_access_key(account_id, ADMIN))
        return self.admins[account_id]

    def admin_key(self, account_id: str) -> Credentials:
        """The access key of the account's platform-admin (the stand-in for whoever deploys the stacks)."""
        with self._lock:
            return self._admin_of(account_id)

    def _admin_client(self, service: str, account_id: str) -> Any:
        """A boto3 client of the account's platform-admin, over HTTP like any other (one session for all)."""
        key = (service, account_id)
        if key not in self._clients:
            import boto3

            if self._session is None:
                self._session = boto3.Session(region_name=self.region)
            creds = self._admin_of(account_id)
            self._clients[key] = self._session.client(
                service,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=creds.access_key_id,
                aws_secret_access_key=creds.secret_access_key,
            )
        return self._clients[key]

    def access(self, env: str, organisation: Organisation | None = None) -> Any:
        """An ``org.accounts.Access`` to the account of ``env`` (USERS included), as its platform-admin."""
        from bootstrap.org.accounts import account_id as account_of
        from bootstrap.org.accounts import through_credentials

        account_id = account_of(organisation or self.organisation, env)
        return through_credentials(
            env,
            account_id,
            f"the sandbox's {ADMIN} of {env}",
            lambda service: self._admin_client(service, account_id),
            check=False,
        )

    def _apply(self, organisation: Organisation, envs: Iterable[str]) -> None:
        """Make the accounts of ``envs`` hold ``organisation``: ``org apply``'s IAM way, over HTTP."""
        from bootstrap.org import apply

        envs = list(dict.fromkeys(envs))
        if envs:
            access = {env: self.access(env, organisation) for env in envs}
            apply.apply(organisation, access, "iam", lambda event: None, quotas=False)

    def _seed(self, people: Iterable[str] | None = None) -> None:
        example = example_organisation()
        if people is not None:
            keep = set(people)
            example = replace(example, people=tuple(p for p in example.people if p.name in keep))
        self.organisation = example
        self._apply(example, [USERS_ENV, *(a.env for a in example.accounts)])
        for person in example.people:
            self._hand_over(person, enrolled=person.name in ENROLLED)

    def _hand_over(self, person: Person, *, enrolled: bool = False) -> SandboxUser:
        """The person's first credentials, as ``org add-user`` makes them; ``enrolled``: then their first day as
        if done (password changed, MFA device enabled), for a user who is past it."""
        from bootstrap.org import people

        acct = self.users_account_id
        iam = self._admin_client("iam", acct)
        handover = people.hand_over(iam, person.name, acct, self.users_account_name)
        people.handed_over(iam, person.name)
        serial = seed = None
        if enrolled:
            self._backend.change_password(acct, person.name, handover.password)
            serial, seed = self._backend.enable_virtual_mfa(acct, person.name, person.name)
        user = SandboxUser(
            name=person.name,
            arn=arns.user(acct, person.name),
            account_id=acct,
            password=handover.password,
            one_time_key=handover.key,
            grants=dict(person.grants),
            mfa_serial=serial,
            mfa_seed=seed,
        )
        self._users[person.name] = user
        return user

    def add_user(self, name: str, grants: Mapping[str, Iterable[str]]) -> SandboxUser:
        """A fresh user in the users account: both groups, a password to reset, one one-time key, no MFA; the
        trust of every granted role names it."""
        from bootstrap.org.apply import changed_envs

        if not arns.IAM_NAME.fullmatch(name):
            raise InputError(f"not a valid IAM user name: {name!r}")
        normalised = {env: tuple(dict.fromkeys(kinds)) for env, kinds in grants.items() if kinds}
        with self._lock:
            if name in self._users:
                raise StateError(f"user {name} already exists in the sandbox")
            person = Person(name, normalised)
            after = self.organisation.with_person(person)
            self._apply(after, changed_envs(self.organisation, after))
            self.organisation = after
            return self._hand_over(person)

    def add_account(self, env: str, *, name: str | None = None, kinds: Iterable[str] = naming.KINDS) -> SandboxAccount:
        """A new account (fresh 12-digit id) with infra roles of ``kinds``; their trust names nobody yet (only
        the account itself)."""
        kinds = tuple(dict.fromkeys(kinds))
        unknown = [k for k in kinds if k not in naming.KINDS]
        if unknown:
            raise InputError(f"unknown role kind(s) {', '.join(unknown)}; known: {', '.join(naming.KINDS)}")
        if not _ENV.match(env):
            raise InputError(f"not a valid environment name (A-Z, 0-9, _): {env!r}")
        with self._lock:
            if env in self.accounts or env == USERS_ENV:
                raise StateError(f"the sandbox already has an account for {env}")
            taken = {a.id for a in self.organisation.accounts} | {self.users_account_id, "123456789012"}
            account_id = str(secrets.randbelow(9 * 10**11) + 10**11)
            while account_id in taken:
                account_id = str(secrets.randbelow(9 * 10**11) + 10**11)
            suffix = naming.new_suffix()
            roles = {kind: naming.role_name(kind, suffix) for kind in kinds}
            account = EnvAccount(env, account_id, name or f"example-{env.lower()}", roles)
            after = self.organisation.with_account(account)
            self._apply(after, [env])
            self.organisation = after
            return account

    def grant(self, user: str, env: str, kinds: Iterable[str]) -> None:
        """Let ``user`` assume the ``kinds`` roles of ``env``: their trust policies name the user from now on."""
        from bootstrap.org.apply import changed_envs

        with self._lock:
            if user not in self._users:
                raise InputError(f"no sandbox user {user!r}")
            added = tuple(dict.fromkeys(kinds))
            current = self._users[user]
            grants = dict(current.grants)
            grants[env] = tuple(dict.fromkeys((*grants.get(env, ()), *added)))
            person = self.organisation.person(user) or Person(user)
            after = self.organisation.with_person(Person(user, grants, person.power))
            self._apply(after, changed_envs(self.organisation, after))
            self.organisation = after
            self._users[user] = replace(current, grants=grants)

    def users_yaml(self) -> str:
        """The example users file with only the people the sandbox holds (its comments kept)."""
        from bootstrap.org.users_file import Editor

        editor = Editor(example_text("users.yaml"))
        for person in example_organisation().people:
            if self.organisation.person(person.name) is None:
                editor.remove_user(person.name)
        return editor.text()

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


_EVERYTHING: Final = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

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
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    journal: Path | None = None,
    moto_api: bool = False,
    people: Iterable[str] | None = None,
) -> Sandbox:
    """Start moto on ``host:port`` (a free port when 0) behind the rules layer, seeded with the organisation.
    ``journal``: append a CloudTrail-shaped line per request to this file (0600); ``moto_api``: also serve moto's
    dashboard and reset API, which hand every secret to anyone who can reach the port; ``people``: seed only these
    people of the example (the demo adds alice itself, as a platform team would)."""
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
        # The journal starts once the organisation is seeded: it records what is done to the sandbox, not how the
        # sandbox was set up.
        layer = RulesLayer(moto_app(), journal=None, moto_api=moto_api)
        _check_free(host, port)
        try:
            server, thread, url = serve(layer, host, port)
        except (OSError, SystemExit) as exc:  # werkzeug exits when it cannot bind
            raise InputError(f"cannot listen on {host}:{port}: {exc}") from None
        sandbox = Sandbox(url, server, thread, layer)
        _active = sandbox
    try:
        sandbox._seed(people)
        if journal is not None:
            layer.journal = Journal(journal)
    except BaseException:
        sandbox.stop()
        raise
    return sandbox
