"""The sandbox's TOTP rules, as AWS applies them: ``EnableMFADevice`` needs two codes of consecutive windows;
``GetSessionToken`` and ``AssumeRole`` need a code of the caller's own device from the previous, current or next
window; a code (window) already used for a device is refused, including one used to enable it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pyotp

from bootstrap.sandbox import backend
from bootstrap.sandbox.identity import Caller, same
from bootstrap.sandbox.refusals import Refusal

WINDOW = 30
BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
NO_DEVICE = "MultiFactorAuthentication failed, unable to validate MFA code."


class TotpCodes:
    """The codes of every device, checked against ``clock`` (the sandbox's time, which tests may move)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._used: dict[str, set[int]] = {}  # serial -> TOTP windows already used

    def windows(self) -> int:
        return int(self.clock() // WINDOW)

    def enable(self, params: Mapping[str, Any]) -> None:
        serial = str(params.get("SerialNumber", ""))
        seed = backend.mfa_seed(serial)
        if seed is None:
            raise Refusal(
                "validation",
                f"VirtualMFADevice with serial number {serial} doesn't exist.",
                code="NoSuchEntity",
                status=404,
            )
        totp = pyotp.TOTP(seed)
        first, second = str(params.get("AuthenticationCode1", "")), str(params.get("AuthenticationCode2", ""))
        now = self.windows()
        with self._lock:
            used = self._used.setdefault(serial, set())
            for window in (now - 2, now - 1, now):
                if window in used or window + 1 in used:
                    continue
                if same(totp.generate_otp(window), first) and same(totp.generate_otp(window + 1), second):
                    used.update((window, window + 1))
                    return
        raise Refusal(
            "denied", "Authentication code for device is not valid.", code="InvalidAuthenticationCode", status=403
        )

    def check(self, caller: Caller, params: Mapping[str, Any]) -> float:
        """Validate SerialNumber/TokenCode for a user caller; return when MFA was proven (now)."""
        serial, code = str(params.get("SerialNumber", "")), str(params.get("TokenCode", ""))
        if not caller.is_user or serial not in backend.user_mfa_serials(caller.account_id, caller.name):
            raise Refusal("denied", NO_DEVICE)
        seed = backend.mfa_seed(serial)
        if seed is None or not code:
            raise Refusal("denied", NO_DEVICE)
        totp = pyotp.TOTP(seed)
        now = self.windows()
        with self._lock:
            used = self._used.setdefault(serial, set())
            for window in (now - 1, now, now + 1):
                if same(totp.generate_otp(window), code):
                    if window in used:
                        break  # replayed: refused like a wrong code, as AWS does
                    used.add(window)
                    return self.clock()
        raise Refusal("denied", BAD_CODE)
