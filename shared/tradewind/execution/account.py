"""The simulated account: the state arrays of the compiled loop and the two ways to drive it.

`Account.run` plays a whole history (backtests, optimization chunks); `Account.step`
plays one more bar on the same state (the live path). Both call the same kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.execution import layout as L
from tradewind.execution.kernel import simulate
from tradewind.execution.program import Program

_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class Market:
    """Aligned bars of every symbol: (bars, symbols) float64, NaN where a symbol has no bar."""

    times: npt.NDArray[Any]  # int64 UTC nanoseconds of each bar's open
    opens: npt.NDArray[Any]
    highs: npt.NDArray[Any]
    lows: npt.NDArray[Any]
    closes: npt.NDArray[Any]

    @property
    def days(self) -> npt.NDArray[Any]:
        result: npt.NDArray[Any] = self.times // _DAY_NS
        return result


class Account:
    def __init__(self, program: Program, symbols: Sequence[str], cash: float, capacity: int = 1024) -> None:
        self.program = program
        self.cash = cash
        self.sym = np.zeros((len(symbols), L.N_SYM))
        self.sym[:, L.Y_LAST_CLOSE] = np.nan
        self.sym[:, L.Y_LOT] = program.lots(symbols)
        self.orders = np.zeros((len(symbols), max(len(program.weights), 1), L.N_ORD))
        self.acct = np.zeros(L.N_ACCT)
        self.acct[L.C_CASH] = cash
        self.acct[L.C_PEAK] = cash
        self.acct[L.C_DAY] = -1.0
        self.acct[L.C_DAY_START] = cash
        self.acct[L.C_EXPOSURE_EQ] = cash
        self.fills: npt.NDArray[Any] = np.zeros((capacity, L.N_FILL))
        self.equity: npt.NDArray[Any] = np.zeros(0)

    @property
    def fill_count(self) -> int:
        return int(self.acct[L.C_FILLS])

    def fill_log(self) -> npt.NDArray[Any]:
        return self.fills[: self.fill_count]

    def _advance(self, market: Market, signals: npt.NDArray[Any], aux: npt.NDArray[Any], start: int, stop: int) -> None:
        p = self.program
        simulate(
            market.opens,
            market.highs,
            market.lows,
            market.closes,
            signals,
            aux,
            market.days,
            p.params,
            p.weights,
            p.take_profit,
            self.sym,
            self.orders,
            self.acct,
            self.fills,
            self.equity,
            start,
            stop,
        )

    @classmethod
    def run(
        cls,
        program: Program,
        market: Market,
        signals: npt.NDArray[Any],
        aux: npt.NDArray[Any],
        *,
        cash: float,
        symbols: Sequence[str],
    ) -> Account:
        """Play the whole history; replays with a larger fill log if the first guess was short."""
        bars = market.closes.shape[0]
        capacity = 256 + bars * len(symbols) // 8
        while True:
            account = cls(program, symbols, cash, capacity)
            account.equity = np.zeros(bars)
            account._advance(market, signals, aux, 0, bars)
            if account.acct[L.C_OVERFLOW] == 0.0:
                return account
            capacity = account.fill_count + 16

    def step(self, market: Market, signals: npt.NDArray[Any], aux: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Play the bar after the last one played (market holds the history up to it); return its fills."""
        bar = int(self.acct[L.C_NEXT_BAR])
        per_bar = self.sym.shape[0] * (self.orders.shape[1] + self.program.take_profit.shape[0] + 3)
        if self.fills.shape[0] - self.fill_count < per_bar:
            self.fills = np.concatenate([self.fills, np.zeros((max(per_bar, self.fills.shape[0]), L.N_FILL))])
        if self.equity.shape[0] <= bar:
            self.equity = np.concatenate(
                [self.equity, np.zeros(max(bar + 1, 2 * self.equity.shape[0]) - self.equity.shape[0])]
            )
        before = self.fill_count
        self._advance(market, signals, aux, bar, bar + 1)
        return self.fills[before : self.fill_count].copy()


def warm_up() -> None:
    """Load (or compile, then cache) the compiled loop: call at container init, not per chunk.

    A three-bar run of an idle account touches every compiled function's one signature.
    """
    bars = np.full((3, 1), 1.0)
    market = Market(times=np.arange(3, dtype=np.int64), opens=bars, highs=bars, lows=bars, closes=bars)
    program = Program(params=np.zeros(L.N_PARAMS), weights=np.ones(1), take_profit=np.zeros((0, 2)))
    signals = np.zeros((L.N_SIGNALS, 3, 1), dtype=np.uint8)
    Account.run(program, market, signals, np.zeros((L.N_AUX, 3, 1)), cash=1.0, symbols=("WARM",))
