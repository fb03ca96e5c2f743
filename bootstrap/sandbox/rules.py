"""The rules layer (being built): a WSGI middleware in front of moto."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]


class RulesLayer:
    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Who the caller is comes from their key, never from a header the client chose.
        environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        result: Iterable[bytes] = self.app(environ, start_response)
        return result
