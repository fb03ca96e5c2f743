"""The SDK hook ``policy record`` gives Python workloads: copied as ``sitecustomize.py`` (with ``parameters.py``
beside it as ``aws_iam_bootstrap_parameters.py``) into a private directory put first on ``PYTHONPATH``, so every
Python process the recorded command starts (a script, the aws CLI, Zappa) loads it at start-up.

It costs a process nothing until botocore is imported: a meta-path finder waits for ``botocore.handlers`` and adds
three handlers to the built-ins every botocore session registers. ``provide-client-params`` keeps the parameters
that name resources (the same allow-list as the sandbox's journal: never a secret); ``after-call`` and
``after-call-error`` send one JSON datagram per call (service, operation, region, those parameters, the HTTP status
and error code) to the recorder on 127.0.0.1. Nothing here may break the workload: every handler swallows its own
errors. When imported under any other name (as here, by the tool), it does nothing.

It then runs the ``sitecustomize`` it hides, if the interpreter had one.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

PORT_ENV = "AWS_IAM_BOOTSTRAP_RECORD_PORT"
MARKER = "AwsIamBootstrap"  # tells the recorder this datagram is ours, not botocore's CSM
_CONTEXT_KEY = "aws_iam_bootstrap_call"
_MAX_DATAGRAM = 60_000


def _keep(params: Any) -> dict[str, Any]:
    import aws_iam_bootstrap_parameters as parameters  # type: ignore[import-not-found]  # copied beside us

    kept: dict[str, Any] = parameters.request_parameters(params)
    return kept


def _sender(port: int) -> Callable[[dict[str, Any]], None]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(payload: dict[str, Any]) -> None:
        data = json.dumps(payload, default=str).encode()
        if len(data) <= _MAX_DATAGRAM:
            sock.sendto(data, ("127.0.0.1", port))

    return send


def handlers(port: int) -> list[tuple[str, Callable[..., None]]]:
    """The (event, handler) pairs added to botocore's built-in handlers."""
    send = _sender(port)

    def params(params: Any, model: Any, context: Any, **kwargs: Any) -> None:
        with contextlib.suppress(Exception):  # the workload must never see the recorder fail
            context[_CONTEXT_KEY] = {
                MARKER: 1,
                "service": model.service_model.service_name,
                "operation": model.name,
                "region": context.get("client_region"),
                "params": _keep(params),
                "time": time.time(),
            }

    def finished(context: Any, status: int, error: str | None) -> None:
        with contextlib.suppress(Exception):
            call = context.get(_CONTEXT_KEY)
            if call is not None:
                send({**call, "status": status, "error": error})

    def after(http_response: Any, parsed: Any, context: Any, **kwargs: Any) -> None:
        error = (parsed.get("Error") or {}).get("Code") if isinstance(parsed, dict) else None
        finished(context, int(getattr(http_response, "status_code", 0) or 0), error)

    def after_error(exception: BaseException, context: Any, **kwargs: Any) -> None:
        finished(context, 0, type(exception).__name__)

    return [("provide-client-params", params), ("after-call", after), ("after-call-error", after_error)]


class _BotocoreWatcher:
    """A meta-path finder that waits for ``botocore.handlers`` and extends its ``BUILTIN_HANDLERS`` once loaded."""

    def __init__(self, port: int) -> None:
        self.port = port

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "botocore.handlers":
            return None
        sys.meta_path.remove(self)  # once, and never in the way of the real finder below
        spec = importlib.util.find_spec(name)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None:
            return spec
        original = loader.exec_module
        port = self.port

        def exec_module(module: ModuleType) -> None:
            original(module)
            with contextlib.suppress(Exception):
                module.BUILTIN_HANDLERS.extend(handlers(port))

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _chain() -> None:
    """Run the ``sitecustomize`` this one hides (the next one on ``sys.path``), if any."""
    here = Path(__file__).resolve().parent
    rest = [p for p in sys.path if Path(p or ".").resolve() != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def install() -> None:
    port = int(os.environ.get(PORT_ENV, "0") or 0)
    if port:
        sys.meta_path.insert(0, _BotocoreWatcher(port))
    with contextlib.suppress(Exception):
        _chain()


if __name__ == "sitecustomize":
    install()
