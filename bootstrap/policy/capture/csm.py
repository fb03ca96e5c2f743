"""A UDP listener on 127.0.0.1 for what the SDKs send while a command runs: botocore's (and the other SDKs')
client-side monitoring datagrams, and the datagrams of ``policy record``'s own Python hook (``hook.py``).

CSM (``AWS_CSM_ENABLED=true``, ``AWS_CSM_PORT``, ``AWS_CSM_HOST``) sends JSON datagrams: ``ApiCall`` (one per
call: ``Service`` as the service id, ``Api``, ``Region``, ``FinalHttpStatusCode``, ``FinalAwsException``,
``Timestamp`` in ms) and ``ApiCallAttempt`` (one per attempt, with the access key id and, for temporary
credentials, the *session token*). Only ``ApiCall`` is kept, and of it only the fields above: no attempt
datagram, and so no token, is ever stored. CSM never carries parameters, so its calls give actions but no
resources; the hook's datagrams (marked ``AwsIamBootstrap``) carry the parameters that name resources.

The SDK marks CSM as internal; it is the secondary path, for workloads that are not Python.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bootstrap.policy.capture.hook import MARKER, PORT_ENV

CLIENT_ID = "aws-iam-bootstrap"
_BUFFER = 4 * 1024 * 1024  # a burst of calls must not overflow the socket before the reader drains it


@dataclass(frozen=True)
class Datagram:
    """One call as an SDK reported it. ``via``: ``csm`` (an ApiCall datagram) or ``sdk`` (the Python hook)."""

    via: str
    service: str  # CSM: the service id (``CloudWatch Logs``); sdk: botocore's name (``logs``)
    operation: str
    region: str
    time: float  # epoch seconds
    status: int
    error: str | None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)


def parse(data: bytes) -> Datagram | None:
    """A datagram as a call, or None for anything else (attempts, garbage)."""
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    if raw.get(MARKER):
        params = raw.get("params")
        return Datagram(
            "sdk",
            str(raw.get("service") or ""),
            str(raw.get("operation") or ""),
            str(raw.get("region") or ""),
            float(raw.get("time") or time.time()),
            int(raw.get("status") or 0),
            str(raw["error"]) if raw.get("error") else None,
            dict(params) if isinstance(params, dict) else {},
        )
    if raw.get("Type") != "ApiCall" or not raw.get("Service") or not raw.get("Api"):
        return None
    return Datagram(
        "csm",
        str(raw["Service"]),
        str(raw["Api"]),
        str(raw.get("Region") or ""),
        float(raw.get("Timestamp") or time.time() * 1000) / 1000,
        int(raw.get("FinalHttpStatusCode") or 0),
        str(raw["FinalAwsException"]) if raw.get("FinalAwsException") else None,
    )


class Listener:
    """Listen on 127.0.0.1 (a free port unless given) until closed; ``datagrams`` holds what arrived."""

    def __init__(self, port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
        self._socket.bind(("127.0.0.1", port))
        self._socket.settimeout(0.05)
        self.port: int = self._socket.getsockname()[1]
        self._lock = threading.Lock()
        self._received: list[Datagram] = []
        self.ignored = 0  # datagrams dropped unread: CSM's per-attempt ones (with their session tokens), garbage
        self._markers: dict[bytes, threading.Event] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"csm-{self.port}", daemon=True)
        self._thread.start()

    def environ(self, *, sdk_hook: bool = True) -> dict[str, str]:
        """The environment that makes the SDKs report here (CSM, and the Python hook when installed)."""
        env = {
            "AWS_CSM_ENABLED": "true",
            "AWS_CSM_PORT": str(self.port),
            "AWS_CSM_HOST": "127.0.0.1",
            "AWS_CSM_CLIENT_ID": CLIENT_ID,
        }
        if sdk_hook:
            env[PORT_ENV] = str(self.port)
        return env

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                marker = self._markers.pop(data, None)
                if marker is not None:
                    marker.set()
                    continue
            found = parse(data)
            with self._lock:
                if found is not None:
                    self._received.append(found)
                else:
                    self.ignored += 1

    def settle(self, limit: float = 3.0) -> None:
        """Wait until every datagram already sent here has been read: a marker sent now queues behind them (a
        loopback send lands in the socket's buffer at once), so once the reader has seen it, they are all in."""
        marker = secrets.token_bytes(16)
        seen = threading.Event()
        with self._lock:
            self._markers[marker] = seen
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(marker, ("127.0.0.1", self.port))
        seen.wait(limit)

    @property
    def datagrams(self) -> list[Datagram]:
        with self._lock:
            return list(self._received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
