"""Backtests: align the symbols' bars, evaluate the strategy, play the compiled loop, collect the trades.

`prepare` is the part a parameter sweep shares: bars aligned once, indicator
outputs cached across parameter sets. `simulate_strategy` runs one (bound)
strategy on prepared data and is what both a backtest and an optimization chunk
call, so a sweep's numbers are the backtest's numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tradewind.execution import layout as L
from tradewind.execution.account import Account, Market
from tradewind.execution.costs import BrokerProfile, Commission, broker_profile
from tradewind.execution.policy import FillTiming
from tradewind.execution.program import compile_policy
from tradewind.indicators import catalog
from tradewind.strategy.model import Strategy
from tradewind.strategy.signals import IndicatorCache, evaluate

_PRICES = ("open", "high", "low", "close")


class BacktestOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cash: float = Field(default=10_000.0, gt=0, le=1e12)
    commission: float | None = Field(default=None, ge=0, le=0.1, description="overrides the broker's rate")
    fill: FillTiming | None = Field(default=None, description="overrides the strategy's fill timing")

    def broker(self, strategy: Strategy) -> BrokerProfile:
        profile = broker_profile(strategy.universe.broker)
        if self.commission is None:
            return profile
        return profile.model_copy(update={"commission": Commission(rate=self.commission)})


class BacktestError(ValueError):
    """Data that cannot be backtested (missing symbol, no bars)."""


@dataclass
class Prepared:
    """Bars of every symbol on one time grid, plus per-symbol arrays for the signal path."""

    symbols: tuple[str, ...]
    market: Market
    bars: list[dict[str, npt.NDArray[Any]]]
    rows: list[npt.NDArray[Any]]  # grid row of each of a symbol's own bars
    caches: list[IndicatorCache] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    """What the loop produced for one strategy on prepared data."""

    prepared: Prepared
    signals: npt.NDArray[Any]  # (4, bars, symbols)
    account: Account

    @property
    def equity(self) -> npt.NDArray[Any]:
        return self.account.equity

    @property
    def fills(self) -> npt.NDArray[Any]:
        return self.account.fill_log()


def prepare(data: Mapping[str, pd.DataFrame]) -> Prepared:
    """Align canonical bar frames (time + OHLCV) of each symbol on the union of their times."""
    if not data:
        raise BacktestError("no data")
    for symbol, frame in data.items():
        if frame.empty:
            raise BacktestError(f"no bars for {symbol} in the requested range")
    bars = [catalog.bar_arrays(frame) for frame in data.values()]
    if len(bars) == 1:  # one symbol: its own arrays are the grid, as (bars, 1) views without a copy
        only = bars[0]
        grid = only["time"]
        columns = {c: np.ascontiguousarray(only[c]).reshape(-1, 1) for c in _PRICES}
        rows: list[npt.NDArray[Any]] = [np.arange(grid.size)]
    else:
        grid = np.unique(np.concatenate([b["time"] for b in bars]))
        columns = {c: np.full((grid.size, len(bars)), np.nan) for c in _PRICES}
        rows = [np.searchsorted(grid, b["time"]) for b in bars]
        for j, (arrays, row) in enumerate(zip(bars, rows, strict=True)):
            for name, matrix in columns.items():
                matrix[row, j] = arrays[name]
    market = Market(
        times=grid,
        opens=columns["open"],
        highs=columns["high"],
        lows=columns["low"],
        closes=columns["close"],
    )
    return Prepared(symbols=tuple(data), market=market, bars=bars, rows=rows, caches=[{} for _ in data])


def signal_arrays(strategy: Strategy, prepared: Prepared) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Signals (4, bars, symbols) and aux (3, bars, symbols) on the grid; no signal where a symbol has no bar."""
    n, k = prepared.market.closes.shape
    if k == 1 and prepared.rows[0].size == n:  # one symbol with every bar: the evaluation is the answer
        evaluation = evaluate(strategy, prepared.bars[0], prepared.caches[0])
        return evaluation.signals.reshape(L.N_SIGNALS, n, 1), evaluation.aux.reshape(L.N_AUX, n, 1)
    signals = np.zeros((L.N_SIGNALS, n, k), dtype=np.uint8)
    aux = np.full((L.N_AUX, n, k), np.nan)
    for j, (bars, row, cache) in enumerate(zip(prepared.bars, prepared.rows, prepared.caches, strict=True)):
        evaluation = evaluate(strategy, bars, cache)
        signals[:, row, j] = evaluation.signals
        aux[:, row, j] = evaluation.aux
    return signals, aux


def simulate_strategy(strategy: Strategy, prepared: Prepared, options: BacktestOptions, trade_from: int = 0) -> Run:
    """Play `strategy`; bars before `trade_from` only warm indicators up (no entries there)."""
    signals, aux = signal_arrays(strategy, prepared)
    if trade_from > 0:
        signals = signals.copy()
        signals[[L.S_ENTRY_LONG, L.S_ENTRY_SHORT], :trade_from] = 0
    program = compile_policy(strategy, options.broker(strategy), options.fill)
    account = Account.run(program, prepared.market, signals, aux, cash=options.cash, symbols=prepared.symbols)
    return Run(prepared=prepared, signals=signals, account=account)
