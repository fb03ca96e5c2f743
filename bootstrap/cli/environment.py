"""What a command takes from the world besides its flags: the clock, the process environment, and whether to
keep a debug log. The one object tests swap to run a command in-process with a fake clock
(``CliRunner().invoke(main, args, obj=Environment(clock=...))``), as httpie does with its ``Environment``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bootstrap.clock import Clock


def _system_clock() -> Clock:
    from bootstrap.clock import SystemClock

    return SystemClock()


@dataclass
class Environment:
    clock: Clock = field(default_factory=_system_clock)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    debug: bool = False


def current() -> Environment:
    """The environment of the command being run (a default one outside click)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Environment) if ctx is not None else None
    return found if found is not None else Environment()
