"""The engine end to end on constructed bars: indicator-referenced entries and higher-timeframe visibility."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tradewind.backtest.engine import BacktestOptions, prepare, simulate_strategy
from tradewind.backtest.trades import trades_of
from tradewind.strategy.signals import evaluate
from tradewind.strategy.validation import parse_strategy


def _frame(closes: np.ndarray, start: str = "2024-01-01", freq: str = "1D") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": pd.date_range(start, periods=closes.size, freq=freq, tz="UTC"),
            "open": closes,
            "high": closes * 1.01,
            "low": closes * 0.97,
            "close": closes,
            "volume": 0.0,
        }
    )


def _strategy(**changes: Any) -> Any:
    doc: dict[str, Any] = {"name": "t", "universe": {"symbols": ["AAA"]}, "long": {"entry": {"gt": ["close", 0]}}}
    doc.update(changes)
    return parse_strategy(doc)


def test_limit_entry_offset_from_an_indicator() -> None:
    closes = np.linspace(100.0, 110.0, 30)
    strategy = _strategy(
        indicators={"sma": "SMA(5)"},
        long={"entry": {"gt": ["close", "sma"]}},
        execution={"entry": {"type": "limit", "reference": "sma", "offset_pct": 1, "expiry_bars": 3}},
    )
    run = simulate_strategy(strategy, prepare({"AAA": _frame(closes)}), BacktestOptions())
    [trade] = trades_of(run)
    sma_on_signal_bar = closes[0:5].mean()  # first bar with a defined SMA (bar 4) decides
    assert trade.entry_price == pytest.approx(sma_on_signal_bar * 0.99)
    assert trade.entry_time == pd.Timestamp("2024-01-06", tz="UTC")  # bar 5: its low reaches the limit


def test_a_weekly_value_is_seen_only_after_its_week() -> None:
    closes = np.arange(1.0, 29.0)  # 4 weeks of daily bars from Monday 2024-01-01
    strategy = _strategy(
        universe={"symbols": ["AAA"], "higher_timeframes": ["1w"]},
        long={"entry": {"gt": ["close@1w", 0]}},
    )
    frame = _frame(closes)
    evaluation = evaluate(
        strategy,
        {c: frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")}
        | {"time": pd.DatetimeIndex(frame["time"]).as_unit("ns").asi8},
    )
    entries = evaluation.signals[0].astype(bool)
    # The first week runs from Monday the 1st to Monday the 8th 00:00, when Sunday's daily bar closes:
    # Monday to Saturday do not see a weekly close, Sunday's close and every later bar do.
    assert not entries[:6].any()
    assert entries[6:].all()


def test_an_indicator_may_be_called_time() -> None:
    closes = np.linspace(100.0, 90.0, 20)
    strategy = _strategy(indicators={"time": "SMA(3)"}, long={"entry": {"lt": ["close", "time"]}})
    run = simulate_strategy(strategy, prepare({"AAA": _frame(closes)}), BacktestOptions())
    assert run.signals[0, :2, 0].tolist() == [0, 0] and run.signals[0, 2:, 0].all()
