"""Shared test settings.

Hypothesis draws new examples on every local run (that is how it finds bugs) and the
same ones in CI (CI=true), so a landing is judged on a fixed set of examples.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
