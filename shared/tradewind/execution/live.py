"""The live path: bars arrive one time slot at a time; signals and orders come out for that slot.

A session keeps each symbol's bar history, evaluates the strategy over it with
the same `evaluate` a backtest uses and plays the new slot through the same
compiled loop (`Account.step`). Because every step of both is causal, a replay
of history through `on_bars` yields exactly the backtest's signals, fills and
equity; the tests hold the two paths to that.

History is kept whole: indicators with an unstable period (EMA, RSI) depend on
where they started, so trimming it would make live values drift from the
backtest's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradewind.execution import layout as L
from tradewind.execution.account import Account, Market
from tradewind.execution.costs import BrokerProfile
from tradewind.execution.policy import FillTiming
from tradewind.execution.program import compile_policy
from tradewind.marketdata.models import Bar
from tradewind.strategy.model import Strategy
from tradewind.strategy.signals import evaluate

_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class WorkingOrder:
    symbol: str
    direction: int  # +1 buy, -1 sell short
    price: float | None  # None: market
    weight: float
    first_bar: int
    last_bar: int


@dataclass(frozen=True)
class Step:
    """What one time slot produced: each symbol's signals (see layout.S_*), the fills, the equity."""

    bar: int
    signals: npt.NDArray[Any]  # (4, symbols) uint8
    fills: npt.NDArray[Any]  # (k, layout.N_FILL)
    equity: float


class LiveSession:
    def __init__(self, strategy: Strategy, broker: BrokerProfile, cash: float, fill: FillTiming | None = None) -> None:
        self.strategy = strategy
        self.symbols = strategy.universe.symbols
        self._account = Account(compile_policy(strategy, broker, fill), self.symbols, cash)
        self._times: list[int] = []
        self._columns: dict[str, list[list[float]]] = {c: [[] for _ in self.symbols] for c in _COLUMNS}
        self._signals: npt.NDArray[Any] = np.zeros((L.N_SIGNALS, 0, len(self.symbols)), dtype=np.uint8)
        self._aux: npt.NDArray[Any] = np.zeros((L.N_AUX, 0, len(self.symbols)))

    def on_bars(self, bars: Sequence[Bar]) -> Step:
        """Play one time slot: the closed bars of some or all of the universe's symbols, all opening then."""
        if not bars:
            raise ValueError("a slot needs at least one bar")
        slot = bars[0].time
        by_symbol = {bar.symbol: bar for bar in bars}
        if len(by_symbol) != len(bars) or any(bar.time != slot for bar in bars):
            raise ValueError("a slot holds one bar per symbol, all with the same open time")
        unknown = set(by_symbol) - set(self.symbols)
        if unknown:
            raise ValueError(f"not in the strategy's universe: {', '.join(sorted(unknown))}")
        if any(bar.timeframe is not self.strategy.universe.timeframe for bar in bars):
            raise ValueError(f"the strategy trades {self.strategy.universe.timeframe} bars")
        time_ns = int(pd.Timestamp(slot).value)
        if self._times and time_ns <= self._times[-1]:
            raise ValueError("bars must arrive in time order, one slot at a time")
        self._times.append(time_ns)
        bar_index = len(self._times) - 1
        for j, symbol in enumerate(self.symbols):
            found = by_symbol.get(symbol)
            for column in _COLUMNS:
                self._columns[column][j].append(np.nan if found is None else float(getattr(found, column)))
        times = np.array(self._times, dtype=np.int64)
        signals = np.zeros((L.N_SIGNALS, 1, len(self.symbols)), dtype=np.uint8)
        aux = np.full((L.N_AUX, 1, len(self.symbols)), np.nan)
        for j in range(len(self.symbols)):
            history = {c: np.array(self._columns[c][j]) for c in _COLUMNS}
            present = ~np.isnan(history["close"])
            if not present[-1]:
                continue
            own = {c: v[present] for c, v in history.items()}
            own["time"] = times[present]
            evaluation = evaluate(self.strategy, own)
            signals[:, 0, j] = evaluation.signals[:, -1]
            aux[:, 0, j] = evaluation.aux[:, -1]
        self._signals = np.concatenate([self._signals, signals], axis=1)
        self._aux = np.concatenate([self._aux, aux], axis=1)
        market = Market(
            times=times,
            opens=np.array(self._columns["open"]).T.copy(),
            highs=np.array(self._columns["high"]).T.copy(),
            lows=np.array(self._columns["low"]).T.copy(),
            closes=np.array(self._columns["close"]).T.copy(),
        )
        fills = self._account.step(market, self._signals, self._aux)
        equity = float(self._account.equity[bar_index])
        return Step(bar=bar_index, signals=signals[:, 0, :].copy(), fills=fills, equity=equity)

    def working_orders(self) -> list[WorkingOrder]:
        """Entry orders placed and not yet filled, cancelled or expired."""
        orders = self._account.orders
        sym = self._account.sym
        out = []
        for j, symbol in enumerate(self.symbols):
            if sym[j, L.Y_ENTRY_PENDING] == 0.0:
                continue
            for m in range(orders.shape[1]):
                row = orders[j, m]
                if row[L.O_ACTIVE] > 0.0:
                    out.append(
                        WorkingOrder(
                            symbol=symbol,
                            direction=int(sym[j, L.Y_ENTRY_DIR]),
                            price=None if np.isnan(row[L.O_PRICE]) else float(row[L.O_PRICE]),
                            weight=float(row[L.O_WEIGHT]),
                            first_bar=int(row[L.O_FIRST_BAR]),
                            last_bar=int(row[L.O_LAST_BAR]),
                        )
                    )
        return out
