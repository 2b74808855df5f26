"""The one signal path: indicators and conditions evaluated over a symbol's bar arrays.

Backtests evaluate the whole history at once; the live path evaluates the
history it holds after each new bar and reads the last row. Every operation
here is causal (TA-Lib, cumulative scans, completed higher-timeframe bars
only), so the value at bar t never depends on a bar after t: truncating the
history leaves earlier rows unchanged, which the tests check.

Higher timeframes: bars are resampled from the base bars, and a base bar sees
the higher-timeframe value only once that bar's period has ended at or before
the base bar's close (e.g. a weekly value from the Monday after the week).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradewind.execution.layout import (
    A_ENTRY_REF,
    A_STOP,
    A_TRAIL,
    N_AUX,
    N_SIGNALS,
    S_ENTRY_LONG,
    S_ENTRY_SHORT,
    S_EXIT_LONG,
    S_EXIT_SHORT,
)
from tradewind.indicators import catalog
from tradewind.marketdata.resample import resample_bars
from tradewind.marketdata.timeframe import Timeframe
from tradewind.strategy import compare
from tradewind.strategy.conditions import (
    All,
    AnyOf,
    Binary,
    Condition,
    CrossesAbove,
    CrossesBelow,
    Not,
    Operand,
    Within,
)
from tradewind.strategy.model import PRICE_COLUMNS, Indicator, Strategy
from tradewind.strategy.ranges import ParamRange, fixed

Bars = Mapping[str, npt.NDArray[Any]]
# Indicator outputs already computed, keyed by (function, params, inputs, timeframe): a sweep
# over stop-loss levels recomputes nothing, one over RSI periods computes each period once.
IndicatorCache = MutableMapping[tuple[object, ...], dict[str, npt.NDArray[Any]]]


@dataclass(frozen=True)
class Evaluation:
    """Per-bar decisions of one symbol: `signals` (4, n) uint8 and `aux` (3, n) float64 (see layout)."""

    signals: npt.NDArray[Any]
    aux: npt.NDArray[Any]


def indicator_params(indicator: Indicator) -> dict[str, float]:
    spec = catalog.get(indicator.function)
    named = dict(zip((p.name for p in spec.parameters), indicator.args, strict=False))
    named.update(indicator.params)
    return {key: fixed(value) for key, value in named.items()}


class _Evaluator:
    def __init__(self, strategy: Strategy, bars: Bars, cache: IndicatorCache | None) -> None:
        self._strategy = strategy
        self._bars = bars
        self._n = len(bars["close"])
        self._cache: IndicatorCache = cache if cache is not None else {}
        self._higher: dict[str, tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any]]] = {}

    def _bars_at(self, timeframe: str) -> tuple[Bars, npt.NDArray[Any] | None]:
        """Bars of `timeframe` and, for a higher one, the index of the value each base bar may see."""
        if not timeframe or timeframe == self._strategy.universe.timeframe.value:
            return self._bars, None
        if timeframe not in self._higher:
            base = self._strategy.universe.timeframe
            target = Timeframe(timeframe)
            times = pd.DatetimeIndex(pd.to_datetime(self._bars["time"], utc=True))
            frame = pd.DataFrame(
                {"time": times, **{c: self._bars[c] for c in ("open", "high", "low", "close", "volume")}}
            )
            higher = resample_bars(frame, base, target)
            opens = pd.DatetimeIndex(higher["time"])
            ends = np.array([target.next_open(t.to_pydatetime()).timestamp() for t in opens], dtype=np.float64)
            length = base.fixed_length
            assert length is not None  # a base with higher timeframes has a fixed length (Universe checks)
            base_close = (times + length).asi8 / 1e9
            visible = np.searchsorted(ends, base_close, side="right") - 1
            self._higher[timeframe] = (catalog.bar_arrays(higher), visible)
        arrays, visible = self._higher[timeframe]
        return arrays, visible

    def _indicator(self, name: str, timeframe: str) -> dict[str, npt.NDArray[Any]]:
        indicator = self._strategy.indicators[name]
        params = indicator_params(indicator)
        key = (
            indicator.function,
            tuple(sorted(params.items())),
            tuple(sorted(indicator.inputs.items())),
            timeframe,
            self._n,
        )
        if key not in self._cache:
            bars, _ = self._bars_at(timeframe)
            self._cache[key] = catalog.compute(indicator.function, bars, params, indicator.inputs)
        return self._cache[key]

    def operand(self, operand: Operand) -> npt.NDArray[Any]:
        if isinstance(operand, float | int | ParamRange):
            return np.array(fixed(operand))  # 0-d: broadcasts against the series it meets
        base, _, timeframe = operand.partition("@")
        name, _, output = base.partition(".")
        if name in PRICE_COLUMNS:
            series = (
                np.asarray(self._bars[name], dtype=np.float64) if not timeframe else self._bars_at(timeframe)[0][name]
            )
        else:
            outputs = self._indicator(name, timeframe)
            series = np.asarray(outputs[output] if output else next(iter(outputs.values())), dtype=np.float64)
        _, visible = self._bars_at(timeframe)
        if visible is None:
            return series
        aligned = np.full(self._n, np.nan)
        seen = visible >= 0
        aligned[seen] = series[visible[seen]]
        return aligned

    def condition(self, node: Condition) -> npt.NDArray[Any]:
        result: npt.NDArray[Any]
        if isinstance(node, Binary):
            left, right = (self.operand(x) for x in node.pair)
            if isinstance(node, CrossesAbove | CrossesBelow):
                result = compare.crosses(left, right, upward=isinstance(node, CrossesAbove))
            else:
                result = compare.compare(node.op, left, right)
        elif isinstance(node, All):
            result = np.logical_and.reduce([self.condition(c) for c in node.all])
        elif isinstance(node, AnyOf):
            result = np.logical_or.reduce([self.condition(c) for c in node.any])
        elif isinstance(node, Not):
            result = ~self.condition(node.not_)
        elif isinstance(node, Within):
            result = compare.within(self.condition(node.within.condition), node.within.bars)
        else:
            values = self.operand(node.pattern.indicator)
            with np.errstate(invalid="ignore"):
                result = values > 0 if node.pattern.direction == "bullish" else values < 0
        return result

    def atr(self, period: int, multiple: float) -> npt.NDArray[Any]:
        key = ("ATR", period, self._n)
        if key not in self._cache:
            self._cache[key] = catalog.compute("ATR", self._bars, {"timeperiod": period})
        return np.asarray(self._cache[key]["real"]) * multiple


def evaluate(strategy: Strategy, bars: Bars, cache: IndicatorCache | None = None) -> Evaluation:
    """Signals and auxiliary series of one symbol's bars (`open`..`volume` float64, `time` int64 ns)."""
    ev = _Evaluator(strategy, bars, cache)
    n = len(bars["close"])
    signals = np.zeros((N_SIGNALS, n), dtype=np.uint8)
    for rules, entry_row, exit_row in (
        (strategy.long, S_ENTRY_LONG, S_EXIT_LONG),
        (strategy.short, S_ENTRY_SHORT, S_EXIT_SHORT),
    ):
        if rules is None:
            continue
        signals[entry_row] = ev.condition(rules.entry)
        if rules.exit is not None:
            signals[exit_row] = ev.condition(rules.exit)
    aux = np.full((N_AUX, n), np.nan)
    policy = strategy.execution
    aux[A_ENTRY_REF] = ev.operand(policy.entry.reference)
    stop = policy.exits.stop_loss
    if stop is not None and stop.atr is not None:
        aux[A_STOP] = ev.atr(stop.atr.period, fixed(stop.atr.multiple))
    elif stop is not None and stop.indicator is not None:
        aux[A_STOP] = ev.operand(stop.indicator)
    trail = policy.exits.trailing_stop
    if trail is not None and trail.atr is not None:
        aux[A_TRAIL] = ev.atr(trail.atr.period, fixed(trail.atr.multiple))
    return Evaluation(signals=signals, aux=aux)
