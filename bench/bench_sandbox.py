"""Sandbox benchmarks: start-up (start + seed), ``add_account``, and round trips per second through the rules layer
against plain moto, served the same way (werkzeug's threaded server on a thread of this process), side by side.

Both servers share moto's in-process state, so the same seeded key is answered by both: the only difference
measured is the layer. Rounds alternate between the two servers so drift (CPU contention) hits both alike.
"""

from __future__ import annotations

import io
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

ROUNDS = 7
CALLS = 150
ADDED_ACCOUNTS = 100
STARTS = 5


def _rate(call: Callable[[], Any], calls: int) -> float:
    call()  # connection and client warm-up outside the timing
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return calls / (time.perf_counter() - started)


def _compare(plain: Callable[[], Any], layered: Callable[[], Any], calls: int = CALLS) -> tuple[float, float]:
    plain_rates, layered_rates = [], []
    for _ in range(ROUNDS):
        plain_rates.append(_rate(plain, calls))
        layered_rates.append(_rate(layered, calls))
    return statistics.median(plain_rates), statistics.median(layered_rates)


def _wsgi_call(app: Any, environ: dict[str, Any], body: bytes) -> Callable[[], None]:
    """One request handed straight to a WSGI app: the server's own cost, without client or network."""

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"benchmark request refused: {status}")

    def call() -> None:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        b"".join(app(env, start_response))

    return call


def _signed(service: str, action: str, version: str, key: Any, region: str, host: str) -> tuple[dict[str, Any], bytes]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials
    from werkzeug.test import EnvironBuilder

    body = f"Action={action}&Version={version}".encode()
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(BotoCredentials(key.access_key_id, key.secret_access_key), service, region).add_auth(request)
    builder = EnvironBuilder(
        method="POST", path="/", base_url=f"http://{host}/", headers=list(request.headers.items()), data=body
    )
    return builder.get_environ(), body


def main() -> str:
    started = time.perf_counter()
    from bootstrap.sandbox import moto_app, serve, start_sandbox

    sandbox = start_sandbox()
    cold_ms = (time.perf_counter() - started) * 1000
    sandbox.stop()

    warm: list[float] = []
    for _ in range(STARTS):
        t0 = time.perf_counter()
        sandbox = start_sandbox()
        warm.append((time.perf_counter() - t0) * 1000)
        sandbox.stop()

    sandbox = start_sandbox()
    try:
        server, thread, plain_url = serve(moto_app(), "127.0.0.1", 0)
        try:
            import boto3

            key = sandbox.users["alice"].one_time_key
            session: Any = boto3.Session(
                aws_access_key_id=key.access_key_id,
                aws_secret_access_key=key.secret_access_key,
                region_name=sandbox.region,
            )
            plain_sts = session.client("sts", endpoint_url=plain_url)
            layered_sts = session.client("sts", endpoint_url=sandbox.endpoint_url)
            plain_iam = session.client("iam", endpoint_url=plain_url)
            layered_iam = session.client("iam", endpoint_url=sandbox.endpoint_url)
            gci = _compare(plain_sts.get_caller_identity, layered_sts.get_caller_identity)
            get_user = _compare(plain_iam.get_user, layered_iam.get_user)

            t0 = time.perf_counter()
            for i in range(ADDED_ACCOUNTS):
                sandbox.add_account(f"BENCH{i}")
            add_ms = (time.perf_counter() - t0) * 1000 / ADDED_ACCOUNTS
            gci_many = _compare(plain_sts.get_caller_identity, layered_sts.get_caller_identity)

            host = sandbox.endpoint_url.removeprefix("http://")
            environ, body = _signed("sts", "GetCallerIdentity", "2011-06-15", key, sandbox.region, host)
            plain_app, layered_app = sandbox.layer.app, sandbox.layer
            wsgi_gci = _compare(_wsgi_call(plain_app, environ, body), _wsgi_call(layered_app, environ, body), 500)
            environ, body = _signed("iam", "GetUser", "2010-05-08", key, sandbox.region, host)
            wsgi_user = _compare(_wsgi_call(plain_app, environ, body), _wsgi_call(layered_app, environ, body), 500)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
    finally:
        sandbox.stop()

    import moto

    def row(name: str, rates: tuple[float, float]) -> list[str]:
        plain, layered = rates
        return [
            f"| {name}: plain moto | {plain:.0f} | {1000 / plain:.2f} | |",
            f"| {name}: behind the rules layer | {layered:.0f} | {1000 / layered:.2f} | {plain / layered:.2f}x |",
        ]

    lines = [
        "## Sandbox",
        "",
        f"Python {platform.python_version()}, moto {moto.__version__}, {platform.machine()}; "
        "servers on 127.0.0.1 in this process (werkzeug threaded), one boto3 client calling sequentially.",
        "",
        "| start-up | ms |",
        "|---|---|",
        f"| start + seed, first in the process (includes importing moto) | {cold_ms:.0f} |",
        f"| start + seed, again (median of {STARTS}) | {statistics.median(warm):.0f} |",
        f"| `add_account` (mean of {ADDED_ACCOUNTS} calls, 3 roles each) | {add_ms:.2f} |",
        "",
        f"Round trips (median of {ROUNDS} alternating rounds of {CALLS} calls; target: the layer costs at most 1.5x):",
        "",
        "| call | per second | ms per call | layer cost |",
        "|---|---|---|---|",
        *row("sts:GetCallerIdentity", gci),
        *row("iam:GetUser (identity policies evaluated)", get_user),
        *row(f"sts:GetCallerIdentity with {ADDED_ACCOUNTS} more accounts", gci_many),
        "",
        "The same requests handed straight to the WSGI apps (no client, no network: the servers' own cost,",
        f"rounds of 500 calls, with the {ADDED_ACCOUNTS} added accounts present):",
        "",
        "| call | per second | ms per call | layer cost |",
        "|---|---|---|---|",
        *row("sts:GetCallerIdentity", wsgi_gci),
        *row("iam:GetUser", wsgi_user),
        "",
        "The layer's own work per request (signature check, caller lookup, policy evaluation, telling moto the",
        "caller's account) is the difference in the second table. Through a real client most of a round trip is",
        "boto3 and a new TCP connection per call (moto's server closes each one), so end to end the layer is",
        "within the noise of a shared machine.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
