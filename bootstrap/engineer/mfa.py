"""A virtual MFA device: enrolling one (create, show, enable with two codes of consecutive windows), and the
otpauth URI an authenticator app reads with its QR code (in the terminal, or as a private PNG).

moto's ``QRCodePNG`` is not a PNG, and AWS's is only handed out once: the QR code is drawn here from the seed.
A device created by an interrupted run is resumed when the progress file kept its seed (the engineer may have
scanned it already; the self-manage policy does not let them delete it), and named for an administrator when not.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlencode

from bootstrap import arns
from bootstrap.aws import codes, iam, sts
from bootstrap.credentials import Credentials
from bootstrap.engineer.codes import CODE_FLAG, with_codes
from bootstrap.engineer.progress import OnboardState, Progress
from bootstrap.engineer.steps import MfaDeviceCreated, Run
from bootstrap.errors import AwsError, InputError, NeedsAnswer, StateError

ISSUER = "Amazon Web Services"
MAX_DEVICE_NAMES = 5  # alice, alice-2, ... when an unenabled device of an earlier run cannot be deleted


def otpauth_uri(seed: str, user: str, account: str, *, issuer: str = ISSUER) -> str:
    """The URI an authenticator app reads from a QR code (Google's Key Uri Format, as AWS shows it)."""
    label = quote(f"{issuer}:{user}@{account}", safe=":@")
    params = urlencode({"secret": seed, "issuer": issuer}, quote_via=quote)
    return f"otpauth://totp/{label}?{params}"


def qr_text(uri: str) -> str:
    """The QR code of ``uri`` drawn with Unicode half blocks: two modules per character, fits a terminal."""
    import segno

    buf = io.StringIO()
    segno.make(uri, error="m").terminal(out=buf, compact=True)
    return buf.getvalue()


def write_qr_png(uri: str, path: Path) -> None:
    """Write the QR code as a PNG, mode 0600 (it holds the device's seed), replacing ``path`` atomically."""
    import segno

    from bootstrap.awsfiles.safewrite import write_private

    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="png", scale=8, border=4)
    try:
        write_private(path, buf.getvalue(), backup=False)  # no backup: an old QR code is an old seed
    except StateError as exc:
        raise InputError(f"--qr-png {path}: {exc.message}") from None


def _device_names(user: str) -> list[str]:
    """The names this tool gives a user's virtual MFA device: ``user``, then ``user-2``... when that is taken."""
    return [user] + [f"{user}-{n}" for n in range(2, MAX_DEVICE_NAMES + 1)]


def enrol(
    run: Run,
    state: OnboardState,
    store: Progress,
    key: Credentials,
    identity: sts.Identity,
    *,
    qr_png: Path | None,
    show_seed: bool,
    dry_run: bool,
) -> str | None:
    """The serial of the user's enabled MFA device, enrolling a new virtual device when there is none (step 2 of
    ``onboard``); None in a dry run that would enrol one."""
    user = identity.user_name
    enabled = iam.enabled_mfa_devices(key, user)
    if enabled:
        serial = enabled[0]
        state.mfa_serial, state.mfa_enabled = serial, True
        store.save(state)
        run.done(2, f"using your enabled MFA device {serial}")
        return serial

    # Devices created by an earlier run and never enabled. The one whose seed the progress file kept is resumed
    # (the engineer may already have scanned it); any other is useless without its seed.
    ours = {arns.mfa_device(identity.account, device_name) for device_name in _device_names(user)}
    found = [serial for serial in iam.unassigned_virtual_devices(key) if serial in ours]
    resume = state.mfa_serial if state.pending_seed and not state.mfa_enabled and state.mfa_serial in found else None
    leftovers = [serial for serial in found if serial != resume]
    if dry_run:
        for serial in leftovers:
            run.note(2, f"would delete the never-enabled device {serial} of an earlier run", "dry-run")
        what = f"resume the device {resume}" if resume else "create a virtual MFA device"
        run.note(2, f"would {what}, show its QR code and ask for two codes", "dry-run")
        run.done(2, "dry run: no device")
        return None
    for serial in leftovers:
        try:
            iam.delete_virtual_device(key, serial)
            run.note(2, f"deleted {serial}: an earlier run created it and never enabled it")
        except AwsError as exc:
            if exc.code not in codes.ACCESS_DENIED:
                raise
            run.note(
                2,
                f"{serial} was left by an earlier run and never enabled; your policy does not allow deleting it"
                f" (iam:DeleteVirtualMFADevice): ask an administrator to delete it. Remove its entry from your"
                " authenticator app too",
                "warn",
            )

    if not run.code_source.can_answer:
        # Asked now rather than after CreateVirtualMFADevice: a device nobody can enable would be left behind.
        raise NeedsAnswer("two MFA codes to enable your new virtual MFA device", CODE_FLAG)
    if resume is not None and state.pending_seed is not None:
        serial, seed = resume, state.pending_seed
        run.note(2, f"resuming {serial}, created by an earlier run: if you scanned it then, your app has it already")
    else:
        serial, seed = _create_device(key, user)
        # Kept (0600, until the device is enabled) so that a re-run resumes this device instead of leaving it.
        state.mfa_serial, state.mfa_enabled, state.pending_seed = serial, False, seed
        store.save(state)
    uri = otpauth_uri(seed, user, identity.account)
    if qr_png is not None:
        write_qr_png(uri, qr_png)
    qr = qr_text(uri)
    run.emit(MfaDeviceCreated(2, serial, uri, qr, seed, show_seed, qr_png, resume is not None))

    def enable(given: Sequence[str]) -> None:
        iam.enable_device(key, user, serial, given[0], given[1])

    with_codes(run.code_source, "enable", serial, enable, clock=run.clock, log=run.codes, count=2)
    state.mfa_enabled, state.pending_seed = True, None
    store.save(state)
    run.done(2, f"enabled {serial}")
    return serial


def _create_device(key: Credentials, user: str) -> tuple[str, str]:
    """CreateVirtualMFADevice named after the user (``user-2``... when an unenabled one holds the name)."""
    names = _device_names(user)
    for device_name in names:
        try:
            return iam.create_virtual_device(key, device_name)
        except AwsError as exc:
            if exc.code not in codes.ALREADY_EXISTS:
                raise
    raise StateError(
        f"virtual MFA devices {', '.join(names)} all exist and none is enabled for {user}: ask an administrator"
        " to delete them"
    )
