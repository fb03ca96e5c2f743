"""The repr of a value carrying an MFA device's seed does not show it (a debugger, a log line, a test's crash
message): the otpauth URI and the QR code hold the seed as much as the seed field does.
"""

from __future__ import annotations

from bootstrap.engineer import mfa, steps

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_the_repr_of_a_new_mfa_device_event_does_not_show_its_seed() -> None:
    uri = mfa.otpauth_uri(SEED, "alice", "210987654321")
    event = steps.MfaDeviceCreated(2, "arn:aws:iam::210987654321:mfa/alice", uri, "(qr)", SEED)
    shown = repr(event)
    assert SEED not in shown, shown.replace(SEED, "<SEED>")
