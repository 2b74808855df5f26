"""The compiled loop is cached on disk: a second process loads machine code instead of compiling."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from tradewind.execution import layout as L
from tradewind.execution.account import Account, Market
from tradewind.execution.program import Program

_PROBE = """
import numpy as np
from tradewind.execution import layout as L
from tradewind.execution.account import Account, Market
from tradewind.execution.kernel import simulate
from tradewind.execution.program import Program
{run}
print(sum(simulate.stats.cache_hits.values()), sum(simulate.stats.cache_misses.values()))
"""

_RUN = """
bars = np.full((3, 1), 10.0)
market = Market(times=np.arange(3, dtype=np.int64), opens=bars, highs=bars, lows=bars, closes=bars.copy())
program = Program(params=np.zeros(L.N_PARAMS), weights=np.ones(1), take_profit=np.zeros((0, 2)))
Account.run(program, market, np.zeros((L.N_SIGNALS, 3, 1), dtype=np.uint8), np.zeros((L.N_AUX, 3, 1)), 100.0)
"""


def test_a_second_process_loads_the_compiled_loop_from_the_cache() -> None:
    exec(_RUN, {"np": np, "L": L, "Account": Account, "Market": Market, "Program": Program})  # compiles or loads
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(run=_RUN)], check=True, capture_output=True, text=True, timeout=300
    )
    hits, misses = (int(x) for x in out.stdout.split())
    assert (hits, misses) == (1, 0)
