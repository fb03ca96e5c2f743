"""``onboard --qr-png`` writes the MFA device's seed (as a QR code): 0600, atomically, never through a link.

It goes through ``safewrite`` (exclusive, no-follow temporary file, explicit 0600, fsync, replace), so a file or
a symlink left or planted at a temporary name can neither keep its mode nor redirect the write.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bootstrap.engineer import mfa

URI = mfa.otpauth_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "alice", "210987654321")


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def test_qr_png_is_0600_even_when_a_file_is_already_at_its_temporary_name(tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    leftover = _temporary_name(png)
    leftover.write_bytes(b"left by an earlier run")
    leftover.chmod(0o644)
    mfa.write_qr_png(URI, png)
    assert png.read_bytes().startswith(b"\x89PNG")
    mode = stat.S_IMODE(png.stat().st_mode)
    assert mode == 0o600, f"the QR code (the MFA seed) was written with mode {mode:o}"


def test_qr_png_does_not_follow_a_symlink_at_its_temporary_name(tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    elsewhere = tmp_path / "somebody-elses-file"
    elsewhere.write_bytes(b"not yours to overwrite")
    elsewhere.chmod(0o644)
    _temporary_name(png).symlink_to(elsewhere)
    mfa.write_qr_png(URI, png)
    written = elsewhere.read_bytes()
    assert written == b"not yours to overwrite", "the QR code (the MFA seed) was written through the link"
