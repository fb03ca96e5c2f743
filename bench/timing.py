"""What every benchmark here shares: side-by-side medians (alternating, so the machine's drift hits both sides
alike), milliseconds as the tables print them, and the check that a path never imported boto3."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

BIN = Path(sys.executable).parent


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def side_by_side(ours: Callable[[], None], base: Callable[[], None], reps: int) -> tuple[float, float]:
    """Medians of ``ours`` and ``base``, run in turn ``reps`` times after one warm-up each."""
    ours_t: list[float] = []
    base_t: list[float] = []
    ours()  # warm-up: imports, caches
    base()
    for _ in range(reps):
        for fn, sink in ((base, base_t), (ours, ours_t)):
            start = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - start)
    return median(ours_t), median(base_t)


def command(args: list[str], env: Mapping[str, str] | None = None) -> Callable[[], None]:
    """A callable running ``args`` as a process (its output thrown away); it must succeed."""

    def go() -> None:
        subprocess.run(args, capture_output=True, check=True, env=None if env is None else dict(env))

    return go


def check_no_boto3(code: str, env: Mapping[str, str] | None = None) -> None:
    """Run ``code`` in a fresh interpreter and fail unless boto3 is still not imported at its end."""
    proc = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.startswith('boto3')))"],
        capture_output=True,
        text=True,
        check=False,
        env=None if env is None else dict(env),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]", f"boto3 was imported by: {code!r}"
