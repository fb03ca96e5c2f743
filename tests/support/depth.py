"""How hard the property tests search: today's full depth by default (what CI runs), a tenth of it with
``HYPOTHESIS_PROFILE=quick`` for a fast local run. Registered as hypothesis profiles, and ``examples(n)`` scales a
test's own count the same way, so a test that searches harder than the default keeps its relative depth."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "full")
_SCALE = {"full": 1.0, "quick": 0.1}

settings.register_profile("full", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=20)
settings.load_profile(PROFILE if PROFILE in _SCALE else "full")


def examples(full: int) -> int:
    """``full`` examples in the full profile, a tenth (at least 10) in the quick one."""
    return max(10, int(full * _SCALE.get(PROFILE, 1.0)))
