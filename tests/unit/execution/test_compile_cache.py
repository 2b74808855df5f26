"""The compiled loop is cached on disk: a second process loads machine code instead of compiling."""

from __future__ import annotations

import subprocess
import sys

from tradewind.execution.account import warm_up

_PROBE = """
from tradewind.execution.account import warm_up
from tradewind.execution.kernel import simulate
warm_up()
print(sum(simulate.stats.cache_hits.values()), sum(simulate.stats.cache_misses.values()))
"""


def test_a_second_process_loads_the_compiled_loop_from_the_cache() -> None:
    warm_up()  # compiles and writes the cache, or loads it
    out = subprocess.run([sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True, timeout=300)
    hits, misses = (int(x) for x in out.stdout.split())
    assert (hits, misses) == (1, 0)
