"""Values shared across the core: frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bootstrap import redact


@dataclass(frozen=True)
class Credentials:
    """An access key, with a session token and expiry when temporary.

    Making one registers its secrets for masking, so they cannot leak through any output; ``repr`` hides them.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime | None = None

    def __post_init__(self) -> None:
        redact.register(self.secret_access_key, self.session_token)

    @property
    def is_temporary(self) -> bool:
        return self.session_token is not None

    @property
    def expiration_iso(self) -> str | None:
        """The expiry as the SDKs write it (``2026-12-01T12:00:00Z``), or None."""
        return self.expiration.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if self.expiration else None
