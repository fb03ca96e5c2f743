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


def alternating(sides: Mapping[str, Callable[[], None]], reps: int) -> dict[str, float]:
    """Medians of each of ``sides``, run in turn ``reps`` times after one warm-up each (``side_by_side`` for more
    than two)."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for fn in sides.values():
        fn()
    for _ in range(reps):
        for name, fn in sides.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: median(values) for name, values in samples.items()}


def failure(args: list[str], env: Mapping[str, str] | None = None, stdin: str = "") -> str | None:
    """Why ``args`` fails as a process (the last line it wrote), or None when it succeeds."""
    proc = subprocess.run(
        args, input=stdin, capture_output=True, text=True, check=False, env=None if env is None else dict(env)
    )
    if proc.returncode == 0:
        return None
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return f"exit {proc.returncode}: {lines[-1] if lines else 'no output'}"


# Runs a Python program (``-m MODULE`` or a script, with its arguments) and, when it exits, writes its peak
# resident set (VmHWM, KiB) to the file named first. A child's rusage (os.wait4) would not do: Linux counts the
# memory of the process it was forked from before exec, so every child of a benchmark holding the sandbox
# (~370 MiB) would report at least that.
_PEAK = """
import atexit, runpy, sys
out = sys.argv[1]
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(out, "w").write(line.split()[1])
atexit.register(peak)
if sys.argv[2] == "-m":
    sys.argv = [sys.argv[3], *sys.argv[4:]]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    sys.argv = sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def measured(
    python_args: list[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, int]:
    """Run ``python python_args...`` (``-m MODULE ...`` or ``SCRIPT ...``; it must succeed, its output thrown away):
    its wall-clock seconds and its own peak resident set in KiB (see ``_PEAK``)."""
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="bench-peak-") as out:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _PEAK, out.name, *python_args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            env=None if env is None else dict(env),
        )
        seconds = time.perf_counter() - start
        return seconds, int(Path(out.name).read_text() or 0)
