"""Backtest and live are one path: a bar-by-bar replay matches the backtest, and nothing looks ahead."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.backtest.engine import BacktestOptions, prepare, simulate_strategy
from tradewind.execution import layout as L
from tradewind.execution.live import LiveSession
from tradewind.execution.policy import FillTiming
from tradewind.marketdata.models import Bar
from tradewind.marketdata.timeframe import Timeframe
from tradewind.strategy.model import Strategy
from tradewind.strategy.validation import load_strategy

from .conftest import EXAMPLES

NAMES = ("sma_cross", "rsi_reversal", "stoch_engulfing_ladder")
OPTIONS = BacktestOptions(cash=10_000.0, commission=0.002)


def _strategy(name: str, symbol: str = "NVDA", timeframe: Timeframe = Timeframe.D1) -> Strategy:
    strategy = load_strategy(EXAMPLES / f"{name}.json")
    universe = strategy.universe.model_copy(update={"symbols": (symbol,), "timeframe": timeframe})
    return strategy.model_copy(update={"universe": universe})


def _replay(
    strategy: Strategy, frame: pd.DataFrame, options: BacktestOptions = OPTIONS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    session = LiveSession(strategy, options.broker(strategy), options.cash, options.fill)
    symbol = strategy.universe.symbols[0]
    timeframe = strategy.universe.timeframe
    signals, fills, equity = [], [], []
    for row in frame.itertuples(index=False):
        values = {c: getattr(row, c) for c in ("open", "high", "low", "close", "volume")}
        bar = Bar(symbol=symbol, timeframe=timeframe, time=row.time.to_pydatetime(), **values)
        step = session.on_bars([bar])
        signals.append(step.signals[:, 0])
        fills.extend(step.fills)
        equity.append(step.equity)
    return np.array(signals).T, np.array(fills).reshape(-1, L.N_FILL), np.array(equity)


@pytest.mark.parametrize("name", NAMES)
def test_live_replay_equals_the_backtest(name: str, nvda: pd.DataFrame) -> None:
    frame = nvda.iloc[:900].reset_index(drop=True)
    strategy = _strategy(name)
    run = simulate_strategy(strategy, prepare({"NVDA": frame}), OPTIONS)
    signals, fills, equity = _replay(strategy, frame)
    assert run.fills.shape[0] > 0
    assert np.array_equal(signals, run.signals[:, :, 0])
    assert np.array_equal(fills, run.fills)
    assert np.array_equal(equity, run.equity)


def test_live_replay_with_fills_at_the_close(nvda: pd.DataFrame) -> None:
    frame = nvda.iloc[:700].reset_index(drop=True)
    strategy = _strategy("rsi_reversal")
    options = OPTIONS.model_copy(update={"fill": FillTiming.CLOSE})
    run = simulate_strategy(strategy, prepare({"NVDA": frame}), options)
    signals, fills, equity = _replay(strategy, frame, options)
    assert run.fills.shape[0] > 0
    assert np.array_equal(signals, run.signals[:, :, 0])
    assert np.array_equal(fills, run.fills)
    assert np.array_equal(equity, run.equity)


def test_live_replay_on_intraday_bars(index_5m: pd.DataFrame) -> None:
    frame = index_5m.iloc[:700].reset_index(drop=True)
    strategy = _strategy("sma_cross", "INDEX", Timeframe.M5)
    run = simulate_strategy(strategy, prepare({"INDEX": frame}), OPTIONS)
    signals, fills, equity = _replay(strategy, frame)
    assert run.fills.shape[0] > 4
    assert np.array_equal(signals, run.signals[:, :, 0])
    assert np.array_equal(fills, run.fills)
    assert np.array_equal(equity, run.equity)


def test_live_session_refuses_bad_slots_and_keeps_its_history() -> None:
    strategy = _strategy("sma_cross")
    session = LiveSession(strategy, OPTIONS.broker(strategy), 1000.0)

    def bar(day: int, symbol: str = "NVDA", timeframe: Timeframe = Timeframe.D1) -> Bar:
        moment = datetime(2024, 1, day, tzinfo=UTC)
        return Bar(symbol=symbol, timeframe=timeframe, time=moment, open=1, high=1, low=1, close=1)

    assert session.on_bars([bar(2)]).bar == 0
    for slot, message in (
        ([bar(2)], "time order"),
        ([bar(3, "MSFT")], "not in the strategy's universe"),
        ([bar(3), bar(3)], "one bar per symbol"),
        ([bar(1, timeframe=Timeframe.W1)], "trades 1d bars"),
        ([], "at least one bar"),
    ):
        with pytest.raises(ValueError, match=message):
            session.on_bars(slot)
    assert session.on_bars([bar(3)]).bar == 1  # nothing refused was kept


@pytest.fixture(scope="module")
def full_runs(nvda: pd.DataFrame) -> dict[str, object]:
    return {name: simulate_strategy(_strategy(name), prepare({"NVDA": nvda}), OPTIONS) for name in NAMES}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), cut=st.integers(min_value=30, max_value=4000))
def test_truncating_the_future_changes_nothing_before_the_cut(
    name: str, cut: int, nvda: pd.DataFrame, full_runs: dict[str, object]
) -> None:
    full = full_runs[name]
    part = simulate_strategy(_strategy(name), prepare({"NVDA": nvda.iloc[:cut]}), OPTIONS)
    assert np.array_equal(part.signals, full.signals[:, :cut])  # type: ignore[attr-defined]
    assert np.array_equal(part.equity, full.equity[:cut])  # type: ignore[attr-defined]
    decided = full.fills[full.fills[:, L.F_BAR] < cut]  # type: ignore[attr-defined]
    assert np.array_equal(part.fills, decided)
