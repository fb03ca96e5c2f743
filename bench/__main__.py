"""`python -m bench [NAME ...]` (`make bench`): run every bench/bench_*.py and record the results.

Each module has ``main() -> str`` returning one markdown section. All sections go to stdout and into
bench/RESULTS.md between ``<!-- bench_NAME -->`` markers, so running a subset (``python -m bench render``)
refreshes only those sections and keeps the others' last figures.
"""

from __future__ import annotations

import importlib
import os
import platform
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
HEADER = """# Benchmarks

Run with `make bench` (= `.venv/bin/python -m bench`; `python -m bench render` runs only bench_render.py).
Every figure is a median of several repetitions, measured side by side with its baseline in the same run, so
ratios mean more than absolute times on a shared machine.
"""


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        if match:
            cpu = match.group(1).strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (
        f"Machine: {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores (shared with other "
        f"work: load average {load} when this run started); Python {platform.python_version()}."
    )


def discover() -> list[str]:
    return sorted(path.stem for path in HERE.glob("bench_*.py"))


def _update(text: str, name: str, section: str) -> str:
    block = f"<!-- {name} -->\n{section.strip()}\n<!-- /{name} -->"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return text.rstrip("\n") + "\n\n" + block + "\n"


def _compiled() -> None:
    """Byte-compile the tool first, as pip does when it installs it: a process that compiles our modules from
    source on every run (PYTHONDONTWRITEBYTECODE, a fresh checkout) would time the compiler, not the tool."""
    import compileall

    compileall.compile_dir(str(HERE.parent / "bootstrap"), quiet=1)


def main(argv: list[str]) -> int:
    _compiled()
    names = discover()
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(names)})", file=sys.stderr)
        return 2
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = f"<!-- machine -->\nLast run {stamp}. {_machine()}\n<!-- /machine -->"
    if "<!-- machine -->" in text:
        text = re.sub(r"<!-- machine -->.*?<!-- /machine -->", lambda _: machine, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + machine + "\n"
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        section: str = module.main()
        print(section)
        text = _update(text, name, section)
        RESULTS.write_text(text)  # after each module, so a long run keeps what it finished
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
