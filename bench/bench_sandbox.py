"""Sandbox benchmarks: start-up (start + seed), ``add_account``, and round trips per second through the rules layer
against plain moto, served the same way (werkzeug's threaded server on a thread of this process), side by side.

Both servers share moto's in-process state, so the same seeded key is answered by both: the only difference
measured is the layer. Rounds alternate between the two servers so drift (CPU contention) hits both alike.
"""

from __future__ import annotations

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


def _compare(plain: Callable[[], Any], layered: Callable[[], Any]) -> tuple[float, float]:
    plain_rates, layered_rates = [], []
    for _ in range(ROUNDS):
        plain_rates.append(_rate(plain, CALLS))
        layered_rates.append(_rate(layered, CALLS))
    return statistics.median(plain_rates), statistics.median(layered_rates)


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
        "The layer can come out cheaper than plain moto: it tells moto the caller's account (it knows it from the",
        "key), sparing moto its own search of every account's keys; its own work (signature check, policy",
        "evaluation) is a fraction of a millisecond. Most of each round trip is the boto3 client and a new TCP",
        "connection per call (moto's server closes each one).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
