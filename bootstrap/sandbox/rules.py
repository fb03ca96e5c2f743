"""The rules layer: a WSGI middleware in front of moto, adding the IAM/STS rules moto does not enforce and this
tool depends on. It is small on purpose; what it does not list here, it does not do.

Enforced, for IAM and STS requests (each refusal carries the error code and HTTP status real AWS returns):

- Who is calling comes from the signed request, never from a header: the access key id must be known (a user's
  active key, a session minted by ``GetSessionToken``, or an assumed-role session) or it is
  ``InvalidClientTokenId`` 403; the SigV4 signature is recomputed with the key's secret (``SignatureDoesNotMatch``
  403); a session's token must match (``InvalidClientTokenId``) and not be expired (``ExpiredToken`` 403).
  A client's own ``x-moto-account-id`` header is dropped; the layer sets it to the caller's account.
- TOTP: ``EnableMFADevice`` needs AuthenticationCode1 and AuthenticationCode2 for two consecutive 30 s windows of
  the device's seed, the second being the previous, current or next window (else ``InvalidAuthenticationCode``
  403).
  ``GetSessionToken`` and ``AssumeRole`` with ``SerialNumber``/``TokenCode`` need the serial to be an MFA device of
  the calling user and a code of the previous, current or next window; a code (window) already used for that
  serial, including by ``EnableMFADevice``, is refused (``AccessDenied`` 403).
- ``GetSessionToken`` is answered here: only with a user's long-term key (``AccessDenied`` for session
  credentials), ``DurationSeconds`` 900..129600 (``ValidationError`` 400), not when an identity policy explicitly
  denies it. The credentials it mints belong to the user: ``GetCallerIdentity`` names the user, and every later
  call is made as that user, carrying ``aws:MultiFactorAuthPresent`` (and ``aws:MultiFactorAuthAge``) when a valid
  code was given.
- ``AssumeRole`` evaluates the role's trust policy (principal: a user ARN, role ARN, account root or bare account
  id, ``*``; conditions ``aws:MultiFactorAuthPresent``/``aws:MultiFactorAuthAge`` and the operators of
  ``policy.py``) and the caller's identity policies (required across accounts; an explicit Deny always wins). A
  refusal, or a role that does not exist, is ``AccessDenied`` 403 "User: ... is not authorized to perform:
  sts:AssumeRole on resource: ...". Role sessions carry MFA when the call did (by code or by the caller's session).
- Identity policies (the caller's inline and attached policies, and its groups') are evaluated for every IAM and
  STS action (``sts:GetCallerIdentity`` is always allowed, as in AWS) with the resource AWS authorises against:
  the user named by ``UserName`` (or the caller, when the action defaults to the caller), the MFA device, the
  role, group or policy named, the owner of ``AccessKeyId`` for ``GetAccessKeyLastUsed``, the path prefix for
  ``ListUsers``/``ListRoles``/``ListGroups``, else ``*``.
  The tool's actions are all covered this way: sts:GetCallerIdentity, GetSessionToken, AssumeRole and
  iam:CreateVirtualMFADevice, EnableMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices,
  ListVirtualMFADevices, CreateAccessKey, DeleteAccessKey, UpdateAccessKey, ListAccessKeys, GetAccessKeyLastUsed,
  GetUser, ChangePassword, GetLoginProfile. Refusal: ``AccessDenied`` 403 with AWS's message.
  moto's own enforcement (``INITIAL_NO_AUTH_ACTION_COUNT``) is not used: it ignores ``Condition`` and policy
  variables such as ``${aws:username}`` (and treats a failed condition as a Deny), so the documented self-manage
  policy cannot work with it, and it cannot know the sessions minted here.
- Where moto needs help to act as the caller: ``UserName`` is filled in with the calling user for the actions that
  default to it (moto would look for the session's key and fail); a role session calling them without
  ``UserName`` gets ``ValidationError`` 400. ``ChangePassword`` (missing from moto) is done here: the old password
  must match (``AccessDenied`` 403 otherwise), and the reset-required flag is cleared.

Not enforced: requests to other services (passed to moto untouched), resource-based policies other than role
trust, permission boundaries, SCPs, session policies, password policy, request time skew, the limits on MFA
devices per user, MFA device ownership across users on ``EnableMFADevice``, and everything ``policy.py`` lists.
"""

from __future__ import annotations

import base64
import hmac
import io
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

import pyotp
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from bootstrap import redact
from bootstrap.sandbox import backend
from bootstrap.policy.evaluate import Decision, Principal, evaluate

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

NAMESPACES = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/", "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
_VERSIONS = {"2010-05-08": "iam", "2011-06-15": "sts"}
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]+)")
_SIGNATURE = re.compile(r"Signature=([0-9a-f]+)")

BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
NO_DEVICE = "MultiFactorAuthentication failed, unable to validate MFA code."
BAD_TOKEN = "The security token included in the request is invalid."

# Actions whose UserName defaults to the calling user.
CALLER_DEFAULT = frozenset(
    {
        "GetUser",
        "CreateAccessKey",
        "ListAccessKeys",
        "DeleteAccessKey",
        "UpdateAccessKey",
        "ListMFADevices",
        "DeactivateMFADevice",
        "GetLoginProfile",
        "ListSigningCertificates",
        "ListSSHPublicKeys",
        "ListServiceSpecificCredentials",
    }
)
SESSION_MIN, SESSION_MAX, SESSION_DEFAULT = 900, 129600, 43200
WINDOW = 30


class Refusal(Exception):
    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Caller:
    kind: str  # "user" (long-term key), "user-session" (GetSessionToken), "role-session" (AssumeRole)
    account_id: str
    arn: str  # a user ARN (also for its sessions) or an assumed-role ARN
    name: str  # user name, or role name
    secret: str
    mfa_time: float | None  # when MFA was last proven for these credentials
    role_arn: str | None = None

    @property
    def is_user(self) -> bool:
        return self.kind != "role-session"


@dataclass(frozen=True)
class _Session:
    account_id: str
    user_name: str
    user_arn: str
    secret: str
    token: str
    expiration: float
    mfa_time: float | None


_STATUS = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden", 404: "404 Not Found"}


def _respond(start_response: StartResponse, status: int, xml: str) -> list[bytes]:
    data = xml.encode()
    request_id = str(uuid.uuid4())
    start_response(
        _STATUS[status],
        [("Content-Type", "text/xml"), ("Content-Length", str(len(data))), ("x-amzn-RequestId", request_id)],
    )
    return [data]


def _result(service: str, action: str, inner: str) -> str:
    rid = uuid.uuid4()
    return (
        f'<{action}Response xmlns="{NAMESPACES[service]}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata></{action}Response>"
    )


def _error(service: str, refusal: Refusal) -> str:
    return (
        f'<ErrorResponse xmlns="{NAMESPACES[service]}"><Error><Type>Sender</Type><Code>{refusal.code}</Code>'
        f"<Message>{escape(refusal.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings (any characters a client may send)."""
    return hmac.compare_digest(a.encode(), b.encode())


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class RulesLayer:
    """WSGI middleware: ``RulesLayer(moto_app)``; ``clock`` is the time used for TOTP windows and expiry."""

    def __init__(self, app: Any, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        # assumed-role key id -> (when MFA was proven, expiry), both by ``clock``
        self._role_sessions: dict[str, tuple[float | None, float]] = {}
        self._used: dict[str, set[int]] = {}  # serial -> TOTP windows already used
        self._key_accounts: dict[str, str] = {}  # key id -> account (a hint: the key is re-read every time)

    # --- WSGI ----------------------------------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        scope = _CREDENTIAL.search(auth)
        if scope is None:
            body = self._body(environ)
            service = _VERSIONS.get(dict(parse_qsl(body.decode("utf-8", "replace"))).get("Version", ""))
            if service is None:
                return self._forward(environ, start_response, body, None)
            refusal = Refusal("MissingAuthenticationToken", 403, "Request is missing Authentication Token")
            return _respond(start_response, 403, _error(service, refusal))
        key_id, _, region, service = scope.groups()
        if service not in NAMESPACES:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        body = self._body(environ)
        params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = params.get("Action", "")
        try:
            caller = self._caller(key_id, environ.get("HTTP_X_AMZ_SECURITY_TOKEN"))
            self._check_signature(environ, body, auth, caller, region, service)
            return self._rule(service, action, params, caller, environ, start_response, body)
        except Refusal as refusal:
            return _respond(start_response, refusal.status, _error(service, refusal))

    @staticmethod
    def _body(environ: Environ) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        data: bytes = stream.read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(data)
        return data

    def _forward(
        self, environ: Environ, start_response: StartResponse, body: bytes, caller: Caller | None
    ) -> Iterable[bytes]:
        if caller is not None:
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = caller.account_id
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    # --- who is calling ------------------------------------------------------------------------------------------

    def _caller(self, key_id: str, token: str | None) -> Caller:
        now = self.clock()
        session = self._sessions.get(key_id)
        if session is not None:
            if token is None or not _same(token, session.token):
                raise Refusal("InvalidClientTokenId", 403, BAD_TOKEN)
            if now >= session.expiration:
                raise Refusal("ExpiredToken", 403, "The security token included in the request is expired")
            if backend.user(session.account_id, session.user_name) is None:
                raise Refusal("InvalidClientTokenId", 403, BAD_TOKEN)  # the user is gone; its key need not be
            return Caller(
                "user-session",
                session.account_id,
                session.user_arn,
                session.user_name,
                session.secret,
                session.mfa_time,
            )
        key = backend.find_key(key_id, self._key_accounts.get(key_id))
        if key is None or not key.active:
            raise Refusal("InvalidClientTokenId", 403, BAD_TOKEN)
        self._key_accounts[key_id] = key.account_id
        if key.user_name is not None:
            if token is not None:
                raise Refusal("InvalidClientTokenId", 403, BAD_TOKEN)
            arn = backend.user_arn(key.account_id, key.user_name)
            return Caller("user", key.account_id, arn, key.user_name, key.secret, None)
        role = backend.find_role_session(key.account_id, key_id)
        if role is None or token is None or not _same(token, role.token):
            raise Refusal("InvalidClientTokenId", 403, BAD_TOKEN)
        minted = self._role_sessions.get(key_id)
        # expiry by this layer's clock (which tests may move), moto's own wall-clock expiry otherwise
        expiration = minted[1] if minted else role.expiration.replace(tzinfo=role.expiration.tzinfo or UTC).timestamp()
        if now >= expiration:
            raise Refusal("ExpiredToken", 403, "The security token included in the request is expired")
        name = role.role_arn.rsplit("/", 1)[-1]
        mfa = minted[0] if minted else None
        return Caller("role-session", key.account_id, role.arn, name, key.secret, mfa, role.role_arn)

    @staticmethod
    def _check_signature(environ: Environ, body: bytes, auth: str, caller: Caller, region: str, service: str) -> None:
        signed = _SIGNED_HEADERS.search(auth)
        given = _SIGNATURE.search(auth)
        if signed is None or given is None:
            raise Refusal("IncompleteSignature", 400, "The request signature does not conform to AWS standards.")
        headers: dict[str, str] = {}
        for name in signed.group(1).split(";"):
            key = name.upper().replace("-", "_")
            value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")
            if value is not None:
                headers[name] = value
        path = environ.get("RAW_URI") or environ.get("PATH_INFO") or "/"
        request = AWSRequest(method=environ["REQUEST_METHOD"], url=path, data=body, headers=headers)
        request.context["timestamp"] = headers.get("x-amz-date", environ.get("HTTP_X_AMZ_DATE", ""))
        signer = SigV4Auth(BotoCredentials(caller.name, caller.secret), service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not _same(expected, given.group(1)):
            raise Refusal(
                "SignatureDoesNotMatch",
                403,
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details.",
            )

    def _context(self, caller: Caller, mfa_time: float | None) -> dict[str, str]:
        context = {"aws:PrincipalArn": caller.role_arn or caller.arn, "aws:PrincipalAccount": caller.account_id}
        if caller.is_user:
            context["aws:username"] = caller.name
        if caller.kind != "user" or mfa_time is not None:
            # temporary credentials carry the MFA keys; a long-term key has none (BoolIfExists treats it as false)
            context["aws:MultiFactorAuthPresent"] = "true" if mfa_time is not None else "false"
            if mfa_time is not None:
                context["aws:MultiFactorAuthAge"] = str(max(0, int(self.clock() - mfa_time)))
        return context

    @staticmethod
    def _policies(caller: Caller) -> list[dict[str, Any]]:
        if caller.role_arn is not None:
            return backend.role_policies(caller.account_id, caller.role_arn)
        return backend.user_policies(caller.account_id, caller.name)

    def _authorize(self, caller: Caller, action: str, resource: str) -> Decision:
        decision = evaluate(self._policies(caller), action, resource, self._context(caller, caller.mfa_time))
        if decision is Decision.ALLOW:
            return decision
        raise _denied(caller, action, resource, decision)

    # --- the rules -----------------------------------------------------------------------------------------------

    def _rule(
        self,
        service: str,
        action: str,
        params: dict[str, str],
        caller: Caller,
        environ: Environ,
        start_response: StartResponse,
        body: bytes,
    ) -> Iterable[bytes]:
        if service == "sts":
            if action == "GetCallerIdentity":
                if caller.kind == "user-session":
                    inner = (
                        f"<Arn>{caller.arn}</Arn><UserId>{backend.user_id(caller.account_id, caller.name)}</UserId>"
                        f"<Account>{caller.account_id}</Account>"
                    )
                    return _respond(start_response, 200, _result("sts", action, inner))
                return self._forward(environ, start_response, body, caller)
            if action == "GetSessionToken":
                return _respond(start_response, 200, self._get_session_token(caller, params))
            if action == "AssumeRole":
                return self._assume_role(caller, params, environ, start_response, body)
            self._authorize(caller, f"sts:{action}", "*")
            return self._forward(environ, start_response, body, caller)

        self._authorize(caller, f"iam:{action}", self._resource(action, params, caller))
        if action == "EnableMFADevice":
            self._enable_mfa(params)
        elif action == "ChangePassword":
            return _respond(start_response, 200, self._change_password(caller, params))
        if action in CALLER_DEFAULT and not params.get("UserName"):
            if not caller.is_user:
                raise Refusal("ValidationError", 400, "Must specify userName when calling with non-User credentials")
            params["UserName"] = caller.name
            body = urlencode(params).encode()
        return self._forward(environ, start_response, body, caller)

    @staticmethod
    def _resource(action: str, params: Mapping[str, str], caller: Caller) -> str:
        account = caller.account_id
        if action == "CreateVirtualMFADevice":
            path = params.get("Path") or "/"
            return f"arn:aws:iam::{account}:mfa{path}{params.get('VirtualMFADeviceName', '')}"
        if action == "DeleteVirtualMFADevice":
            return params.get("SerialNumber", "*")
        if action == "GetAccessKeyLastUsed":
            owner = backend.key_owner(account, params.get("AccessKeyId", ""))
            return backend.user_arn(account, owner) if owner else "*"
        if action == "ChangePassword":
            return caller.arn
        if params.get("UserName"):
            return backend.user_arn(account, params["UserName"])
        if action in CALLER_DEFAULT and caller.is_user:
            return caller.arn
        listed = {"ListUsers": "user", "ListRoles": "role", "ListGroups": "group"}.get(action)
        if listed is not None:  # AWS authorises listing against the path prefix
            return f"arn:aws:iam::{account}:{listed}{params.get('PathPrefix') or '/'}"
        for param, kind in (("RoleName", "role"), ("GroupName", "group")):
            if params.get(param):
                return f"arn:aws:iam::{account}:{kind}/{params[param]}"
        return params.get("PolicyArn") or "*"

    # --- TOTP ----------------------------------------------------------------------------------------------------

    def _windows(self) -> int:
        return int(self.clock() // WINDOW)

    def _enable_mfa(self, params: Mapping[str, str]) -> None:
        serial = params.get("SerialNumber", "")
        seed = backend.mfa_seed(serial)
        if seed is None:
            raise Refusal("NoSuchEntity", 404, f"VirtualMFADevice with serial number {serial} doesn't exist.")
        totp = pyotp.TOTP(seed)
        first, second = params.get("AuthenticationCode1", ""), params.get("AuthenticationCode2", "")
        now = self._windows()
        with self._lock:
            used = self._used.setdefault(serial, set())
            for window in (now - 2, now - 1, now):
                if window in used or window + 1 in used:
                    continue
                if _same(totp.generate_otp(window), first) and _same(totp.generate_otp(window + 1), second):
                    used.update((window, window + 1))
                    return
        raise Refusal("InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")

    def _check_code(self, caller: Caller, params: Mapping[str, str]) -> float:
        """Validate SerialNumber/TokenCode for a user caller; return when MFA was proven (now)."""
        serial, code = params.get("SerialNumber", ""), params.get("TokenCode", "")
        if not caller.is_user or serial not in backend.user_mfa_serials(caller.account_id, caller.name):
            raise Refusal("AccessDenied", 403, NO_DEVICE)
        seed = backend.mfa_seed(serial)
        if seed is None or not code:
            raise Refusal("AccessDenied", 403, NO_DEVICE)
        totp = pyotp.TOTP(seed)
        now = self._windows()
        with self._lock:
            used = self._used.setdefault(serial, set())
            for window in (now - 1, now, now + 1):
                if _same(totp.generate_otp(window), code):
                    if window in used:
                        break  # replayed: refused like a wrong code, as AWS does
                    used.add(window)
                    return self.clock()
        raise Refusal("AccessDenied", 403, BAD_CODE)

    # --- STS -----------------------------------------------------------------------------------------------------

    def _get_session_token(self, caller: Caller, params: Mapping[str, str]) -> str:
        if caller.kind != "user":
            raise Refusal("AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
        decision = evaluate(self._policies(caller), "sts:GetSessionToken", "*", self._context(caller, None))
        if decision is Decision.DENY:
            raise _denied(caller, "sts:GetSessionToken", "*", decision)
        raw = params.get("DurationSeconds") or str(SESSION_DEFAULT)
        duration = int(raw) if raw.isdigit() else -1
        if not SESSION_MIN <= duration <= SESSION_MAX:
            bound = (
                f"greater than or equal to {SESSION_MIN}"
                if duration < SESSION_MIN
                else f"less than or equal to {SESSION_MAX}"
            )
            raise Refusal(
                "ValidationError",
                400,
                f"1 validation error detected: Value '{raw}' at 'durationSeconds' failed to satisfy constraint: "
                f"Member must have value {bound}",
            )
        mfa_time = self._check_code(caller, params) if params.get("SerialNumber") or params.get("TokenCode") else None
        now = self.clock()
        key_id = "ASIA" + _random(string.ascii_uppercase + string.digits, 16)
        secret = _random(string.ascii_letters + string.digits + "+/", 40)
        token = "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(180)).decode()
        redact.register(secret, token)
        session = _Session(caller.account_id, caller.name, caller.arn, secret, token, now + duration, mfa_time)
        with self._lock:
            self._sessions[key_id] = session
        inner = (
            f"<Credentials><AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{_iso(session.expiration)}</Expiration></Credentials>"
        )
        return _result("sts", "GetSessionToken", inner)

    def _assume_role(
        self,
        caller: Caller,
        params: Mapping[str, str],
        environ: Environ,
        start_response: StartResponse,
        body: bytes,
    ) -> Iterable[bytes]:
        role_arn = params.get("RoleArn", "")
        mfa_time = self._check_code(caller, params) if params.get("SerialNumber") else caller.mfa_time
        context = self._context(caller, mfa_time)
        parts = role_arn.split(":")
        role_account = parts[4] if len(parts) > 5 else ""
        role = backend.role(role_account, role_arn) if role_account in backend.accounts() else None
        action = "sts:AssumeRole"
        if role is None:
            raise _denied(caller, action, role_arn, None)
        principal = Principal(caller.arn, caller.account_id)
        trust = evaluate([backend.trust_policy(role)], action, role_arn, context, principal=principal)
        identity = evaluate(self._policies(caller), action, role_arn, context)
        same_account = role_account == caller.account_id
        if trust is not Decision.ALLOW or identity is Decision.DENY or (identity is Decision.NONE and not same_account):
            raise _denied(caller, action, role_arn, None)

        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = b"".join(self._forward(environ, capture, body, caller))
        if str(captured.get("status", "")).startswith("200"):
            text = chunks.decode("utf-8", "replace")
            key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", text)
            secret = re.search(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", text)
            token = re.search(r"<SessionToken>([^<]+)</SessionToken>", text)
            redact.register(secret.group(1) if secret else None, token.group(1) if token else None)
            if key is not None:
                raw = params.get("DurationSeconds") or "3600"
                expiry = self.clock() + (int(raw) if raw.isdigit() else 3600)
                with self._lock:
                    self._role_sessions[key.group(1)] = (mfa_time, expiry)
        return [chunks]

    # --- IAM -----------------------------------------------------------------------------------------------------

    def _change_password(self, caller: Caller, params: Mapping[str, str]) -> str:
        if not caller.is_user:
            raise Refusal("InvalidUserType", 400, "Only IAM users can change their own password")
        current = backend.password(caller.account_id, caller.name)
        if current is None:
            raise Refusal("NoSuchEntity", 404, f"Login Profile for User {caller.name} cannot be found.")
        if not _same(current, params.get("OldPassword", "")):
            raise Refusal("AccessDenied", 403, "The old password is incorrect.")
        new = params.get("NewPassword", "")
        if not new:
            raise Refusal("ValidationError", 400, "NewPassword must not be empty")
        redact.register(new)
        backend.change_password(caller.account_id, caller.name, new)
        rid = uuid.uuid4()
        return (
            f'<ChangePasswordResponse xmlns="{NAMESPACES["iam"]}"><ResponseMetadata><RequestId>{rid}</RequestId>'
            "</ResponseMetadata></ChangePasswordResponse>"
        )


def _denied(caller: Caller, action: str, resource: str, decision: Decision | None) -> Refusal:
    message = f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource}"
    if decision is Decision.DENY:
        message += " with an explicit deny in an identity-based policy"
    elif decision is Decision.NONE:
        message += f" because no identity-based policy allows the {action} action"
    return Refusal("AccessDenied", 403, message)
