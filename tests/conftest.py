"""Shared test settings: hypothesis profiles chosen by HYPOTHESIS_PROFILE (as MyGrad does).

This is the one place that registers and loads hypothesis profiles; a conftest further
down would override them for the whole session.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=10, deadline=None)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
