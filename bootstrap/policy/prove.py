"""Proof by replay, on the sandbox: a policy allows what was recorded, nothing in it is idle, and (with a prefix)
it allows none of it on names outside the prefix.

A throw-away user, holding exactly the policy under proof as its only policy (no groups), is made in each
account the calls acted in; each recorded call is sent again over HTTP through real boto3 as that user, with the
recorded operation, region and parameters (parameter validation off: a journal keeps only the parameters that
name things, which is all authorisation reads). What counts is the sandbox's verdict on the authorisations, as
its rules layer reports it (``RulesLayer.observers``), not whether moto then finds the bucket.

1. Replay: every call must be allowed.
2. Ablation: for each action of each statement, the policy without it must refuse a call that needed it. The
   calls tried are those the statement's action could have allowed (evaluated locally, conditions aside); the
   first one refused on the sandbox is the proof. An action no recorded call could use is reported ``unused``;
   one whose calls all stay allowed (another statement grants it too) ``redundant``.
3. With a prefix: every call naming something under the prefix is sent again with each such name moved outside
   it (``PREFIX-x`` -> ``other-PREFIX-x``); every one must be refused.

Calls that cannot be replayed are listed with the reason (CSM's have no parameters; an operation botocore does
not know; one the sandbox cannot map). The sandbox enforces identity policies only (see ``sandbox/rules.py``), so
a proof says nothing of bucket policies, SCPs or permission boundaries.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bootstrap import redact
from bootstrap.credentials import Credentials
from bootstrap.policy import document
from bootstrap.policy.capture import services
from bootstrap.policy.capture.calls import NEEDS_NO_PERMISSION, RecordedCall
from bootstrap.policy.evaluate import Decision, PolicySet
from bootstrap.policy.mapping import Authorization

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox

OUTSIDE = "other-"  # what a name outside the prefix starts with
POLICY_NAME = "under-proof"


@dataclass(frozen=True)
class Replayed:
    """One call sent again: allowed, or refused on ``refused`` (the first authorisation the sandbox refused)."""

    call: RecordedCall
    allowed: bool
    judged: tuple[Authorization, ...]  # what the sandbox authorised the replay against
    refused: Authorization | None = None
    params: Mapping[str, Any] | None = None  # the parameters sent, when they differ from the recorded ones


@dataclass(frozen=True)
class Skipped:
    call: RecordedCall
    reason: str


@dataclass(frozen=True)
class Ablation:
    """One action taken out of one statement: ``needed`` (a call then failed: ``failed_at``), ``unused`` (no
    recorded call could use it) or ``redundant`` (its calls stay allowed without it)."""

    sid: str
    action: str
    verdict: str
    failed_at: Replayed | None = None


@dataclass(frozen=True)
class Proof:
    replay: tuple[Replayed, ...]
    ablations: tuple[Ablation, ...]
    outside: tuple[Replayed, ...]
    skipped: tuple[Skipped, ...]
    prefix: str | None
    seconds: float

    @property
    def refused(self) -> tuple[Replayed, ...]:
        """Recorded calls the policy does not allow (each a failure)."""
        return tuple(r for r in self.replay if not r.allowed)

    @property
    def idle(self) -> tuple[Ablation, ...]:
        """Actions the policy could do without (each a failure of minimality)."""
        return tuple(a for a in self.ablations if a.verdict != "needed")

    @property
    def leaks(self) -> tuple[Replayed, ...]:
        """Calls allowed on names outside the prefix (each a failure)."""
        return tuple(r for r in self.outside if r.allowed)

    @property
    def ok(self) -> bool:
        return bool(self.replay) and not self.refused and not self.idle and not self.leaks


class Replayer:
    """Throw-away users holding one policy, and the replay of calls as them. Use as a context manager: it watches
    the sandbox's verdicts only while open."""

    def __init__(self, sandbox: Sandbox, policy: Mapping[str, Any]) -> None:
        self.sandbox = sandbox
        self.policy = dict(policy)
        self._users: dict[str, tuple[str, Credentials]] = {}  # account -> (user name, key)
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._verdicts: dict[str, Mapping[str, Any]] = {}  # access key id -> its latest record

    def __enter__(self) -> Replayer:
        self.sandbox.layer.observers.append(self._observe)
        return self

    def __exit__(self, *exc: object) -> None:
        self.sandbox.layer.observers.remove(self._observe)

    def _observe(self, record: Mapping[str, Any]) -> None:
        key = (record.get("userIdentity") or {}).get("accessKeyId")
        if isinstance(key, str) and key in self._keys():
            self._verdicts[key] = record

    def _keys(self) -> set[str]:
        return {key.access_key_id for _, key in self._users.values()}

    def use(self, policy: Mapping[str, Any]) -> None:
        """Every throw-away user holds ``policy`` from now on."""
        from bootstrap.sandbox import backend

        self.policy = dict(policy)
        for account, (name, _) in self._users.items():
            backend.put_user_policy(account, name, POLICY_NAME, self.policy)

    def _user(self, account: str) -> Credentials:
        from bootstrap.sandbox import backend

        if account not in self._users:
            name = f"aws-iam-bootstrap-prove-{secrets.token_hex(4)}"
            backend.create_user(account, name, ())
            backend.put_user_policy(account, name, POLICY_NAME, self.policy)
            key_id, secret = backend.create_access_key(account, name)
            redact.register(secret)
            self._users[account] = (name, Credentials(key_id, secret))
        return self._users[account][1]

    def _client(self, account: str, service: str, region: str) -> Any:
        import boto3
        import botocore.config

        cache_key = (account, service, region)
        if cache_key not in self._clients:
            key = self._user(account)
            config = botocore.config.Config(
                parameter_validation=False,  # a journal keeps only the parameters that name things
                retries={"total_max_attempts": 1},
                s3={"addressing_style": "path"},
                inject_host_prefix=False,
            )
            session: Any = boto3.Session(
                aws_access_key_id=key.access_key_id, aws_secret_access_key=key.secret_access_key, region_name=region
            )
            self._clients[cache_key] = session.client(service, endpoint_url=self.sandbox.endpoint_url, config=config)
        return self._clients[cache_key]

    def replay(self, call: RecordedCall, params: Mapping[str, Any] | None = None) -> Replayed | Skipped:
        """Send ``call`` again as the throw-away user of its account (with ``params`` instead of its own)."""
        import botocore.exceptions
        from botocore import xform_name

        if not call.resources_known:
            return Skipped(call, "CSM recorded the action only: no parameters to send again")
        account = call.account or self.sandbox.users_account_id
        client = self._client(account, call.service, call.region or self.sandbox.region)
        method = getattr(client, xform_name(call.operation), None)
        if method is None:
            return Skipped(call, f"botocore has no operation {call.operation} for {call.service}")
        key = self._users[account][1].access_key_id
        self._verdicts.pop(key, None)
        sent = filled(call.service, call.operation, call.params if params is None else params)
        try:
            method(**sent)
        except botocore.exceptions.ClientError:
            pass  # the verdict is the sandbox's, read below
        except (botocore.exceptions.BotoCoreError, ValueError, KeyError, TypeError) as exc:
            if key not in self._verdicts:
                return Skipped(call, f"botocore could not send it: {exc}")
        record = self._verdicts.get(key)
        if record is None:
            return Skipped(call, "the sandbox saw no request")
        verdict = record.get("sandbox") or {}
        judged = tuple(Authorization(str(a["action"]), str(a["resource"])) for a in verdict.get("authorizations") or [])
        if not judged:
            return Skipped(call, f"the sandbox could not authorise it ({record.get('errorMessage', '')})")
        if params is None and call.checked is not None and set(judged) != set(call.checked):
            # the recording lacked a parameter that names the resource: this replay would prove something else
            shown = ", ".join(f"{a.action} on {a.resource}" for a in judged)
            return Skipped(call, f"the record does not name all it touched (replayed as {shown})")
        refusals = [a for a in verdict["authorizations"] if a.get("decision") != "allow"]
        refused = Authorization(str(refusals[0]["action"]), str(refusals[0]["resource"])) if refusals else None
        return Replayed(call, refused is None, judged, refused, None if params is None else dict(params))


PLACEHOLDER = "aws-iam-bootstrap-replay"


def filled(service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every required parameter the record lacks (a message body, log events, a function's code)
    given a placeholder of its type, so moto gets the request it expects; what names the resource is recorded."""
    model = services.model(service)
    if model is None or operation not in services.operation_names(service):
        return dict(params)
    shape = model.operation_model(operation).input_shape
    return {**_placeholders(shape), **params} if shape is not None else dict(params)


def _placeholders(shape: Any, depth: int = 0) -> dict[str, Any]:
    return {
        name: _placeholder(shape.members[name], depth + 1)
        for name in getattr(shape, "required_members", ())
        if name in shape.members
    }


def _placeholder(shape: Any, depth: int) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _placeholders(shape, depth) if depth < 4 else {}
    if kind == "list":
        return []
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return False
    if kind == "blob":
        return b""
    if kind == "timestamp":
        return int(time.time())
    enum = shape.enum if hasattr(shape, "enum") else []
    return enum[0] if enum else PLACEHOLDER


def prove(
    sandbox: Sandbox,
    policy: Mapping[str, Any],
    calls: Sequence[RecordedCall],
    *,
    prefix: str | None = None,
    minimality: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Proof:
    """Replay ``calls`` under ``policy`` on ``sandbox`` (see the module's three steps)."""
    started = time.perf_counter()
    say = progress or (lambda text: None)
    replayed: list[Replayed] = []
    skipped: list[Skipped] = []
    with Replayer(sandbox, policy) as replayer:
        for call in calls:
            if call.checked is not None and all(a.action in NEEDS_NO_PERMISSION for a in call.checked):
                continue
            if (call.service, call.operation) == ("sts", "GetCallerIdentity"):
                continue
            done = replayer.replay(call)
            (replayed if isinstance(done, Replayed) else skipped).append(done)  # type: ignore[arg-type]
        say(f"replayed {len(replayed)} calls: {sum(r.allowed for r in replayed)} allowed")
        ablations = _ablate(replayer, policy, [r for r in replayed if r.allowed]) if minimality else []
        if ablations:
            say(f"ablation: {sum(a.verdict == 'needed' for a in ablations)} of {len(ablations)} actions needed")
        outside = _outside(replayer, replayed, prefix, skipped) if prefix else []
        if outside:
            say(f"outside the prefix: {sum(not r.allowed for r in outside)} of {len(outside)} refused")
    return Proof(
        tuple(replayed), tuple(ablations), tuple(outside), tuple(skipped), prefix, time.perf_counter() - started
    )


def _without(policy: Mapping[str, Any], index: int, action: str) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for number, statement in enumerate(document.statements(policy)):
        if number == index:
            rest = [a for a in document.as_list(statement.get("Action")) if a != action]
            if not rest:
                continue
            statement = {**statement, "Action": rest}
        out.append(dict(statement))
    return {**policy, "Statement": out}


def _ablate(replayer: Replayer, policy: Mapping[str, Any], allowed: list[Replayed]) -> list[Ablation]:
    out: list[Ablation] = []
    for index, statement in enumerate(document.statements(policy)):
        sid = document.label(statement, index)
        if statement.get("Effect") != "Allow":
            continue
        for action in document.as_list(statement.get("Action")):
            # could this statement's action have allowed the call? (conditions aside: the sandbox has the last word)
            alone = {k: v for k, v in statement.items() if k != "Condition"}
            single = PolicySet([{"Statement": [{**alone, "Action": [action]}]}])
            relevant = [
                r for r in allowed if any(single.evaluate(a.action, a.resource) is Decision.ALLOW for a in r.judged)
            ]
            if not relevant:
                out.append(Ablation(sid, action, "unused"))
                continue
            replayer.use(_without(policy, index, action))
            failed = None
            for candidate in relevant:
                again = replayer.replay(candidate.call)
                if isinstance(again, Replayed) and not again.allowed:
                    failed = again
                    break
            out.append(Ablation(sid, action, "needed" if failed else "redundant", failed))
    replayer.use(policy)
    return out


def _outside_params(params: Mapping[str, Any], prefix: str) -> dict[str, Any] | None:
    """``params`` with every name under ``prefix`` (at the start of a value or after ``/`` or ``:``) moved outside
    it; None when no parameter names anything under the prefix."""
    at_name = re.compile(r"(^|[/:])" + re.escape(prefix))
    changed = False

    def move(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            moved = at_name.sub(lambda m: m.group(1) + OUTSIDE + prefix, value)
            changed = changed or moved != value
            return moved
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    out = {name: move(value) for name, value in params.items()}
    return out if changed else None


def _outside(replayer: Replayer, replayed: list[Replayed], prefix: str, skipped: list[Skipped]) -> list[Replayed]:
    out: list[Replayed] = []
    for done in replayed:
        if not done.allowed or all(a.resource == "*" for a in done.judged):
            continue
        params = _outside_params(done.call.params, prefix)
        if params is None:
            continue
        again = replayer.replay(done.call, params)
        if isinstance(again, Replayed):
            out.append(again)
        else:
            skipped.append(again)
    return out
