"""A new virtual MFA device as the person sees it: the otpauth URI an authenticator app reads, and its QR code
(in the terminal, or as a private PNG).

moto's ``QRCodePNG`` is not a PNG, and AWS's is only handed out once: the QR code is drawn here from the seed.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote, urlencode

from bootstrap.errors import InputError, StateError

ISSUER = "Amazon Web Services"


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
