"""Benchmark settings: sizes, and the quick mode the test suite uses to keep benches runnable.

``FACEGATE_BENCH_QUICK=1`` shrinks every benchmark to a small gallery so the test command can
check that the benchmarks still run; real figures come from ``scripts/bench``.
"""

from __future__ import annotations

import os

QUICK = os.environ.get("FACEGATE_BENCH_QUICK") == "1"
