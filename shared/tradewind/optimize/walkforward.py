"""Walk-forward analysis: optimize on a window, trade the next one out of sample, roll on.

Windows roll by the test length over the bar grid: optimize on `train_bars`,
then run the winner on the `test_bars` that follow (the training bars only
warm its indicators up, no entry happens before the test window). The test
windows' equity curves are chained into one out-of-sample curve, whose
metrics are the honest estimate of the method, not of one lucky parameter set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tradewind.backtest.engine import BacktestOptions, prepare, simulate_strategy
from tradewind.backtest.metrics import max_drawdown_pct, sharpe_ratio
from tradewind.marketdata import frames
from tradewind.optimize.search import OptimizeRequest, Progress, optimize
from tradewind.optimize.space import bind
from tradewind.strategy.model import Strategy


class WalkForward(BaseModel):
    model_config = ConfigDict(frozen=True)

    train_bars: int = Field(ge=20)
    test_bars: int = Field(default=0, ge=0, description="0: a quarter of train_bars")

    @property
    def test(self) -> int:
        return self.test_bars or max(self.train_bars // 4, 1)


class Window(BaseModel):
    model_config = ConfigDict(frozen=True)

    train_start: str
    test_start: str
    test_end: str
    params: dict[str, float] | None
    in_sample: float | None
    out_of_sample_return_pct: float


class WalkForwardResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    objective: str
    windows: list[Window]
    return_pct: float
    sharpe: float | None
    max_drawdown_pct: float

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _slice(data: Mapping[str, pd.DataFrame], first: pd.Timestamp, last: pd.Timestamp) -> dict[str, pd.DataFrame]:
    out = {}
    for symbol, frame in data.items():
        times = frame[frames.TIME]
        out[symbol] = frame.loc[(times >= first) & (times <= last)].reset_index(drop=True)
    return out


def walk_forward(
    strategy: Strategy,
    data: Mapping[str, pd.DataFrame],
    options: BacktestOptions,
    request: OptimizeRequest,
    windows: WalkForward,
    *,
    progress: Progress = lambda done, total: None,
) -> WalkForwardResult:
    grid = pd.to_datetime(prepare(data).market.times, utc=True)
    train, test = windows.train_bars, windows.test
    starts = list(range(0, grid.size - train - test + 1, test))
    if not starts:
        raise ValueError(f"{grid.size} bars are too few for a {train}-bar training and {test}-bar test window")
    results: list[Window] = []
    returns: list[npt.NDArray[Any]] = []
    for k, start in enumerate(starts):
        in_sample = _slice(data, grid[start], grid[start + train - 1])
        found = optimize(strategy, in_sample, options, request)
        test_end = grid[start + train + test - 1]
        segment_return = 0.0
        params = found.best["params"] if found.best else None
        if params is not None:
            prepared = prepare(_slice(data, grid[start], test_end))
            trade_from = int(np.searchsorted(prepared.market.times, grid[start + train].value))
            run = simulate_strategy(bind(strategy, params), prepared, options, trade_from)
            equity = run.equity[trade_from - 1 :]
            returns.append(np.diff(equity) / equity[:-1])
            segment_return = float(equity[-1] / equity[0] - 1.0) * 100.0
        else:
            returns.append(np.zeros(test))
        results.append(
            Window(
                train_start=grid[start].isoformat(),
                test_start=grid[start + train].isoformat(),
                test_end=test_end.isoformat(),
                params=params,
                in_sample=found.best[request.metric] if found.best else None,
                out_of_sample_return_pct=segment_return,
            )
        )
        progress(k + 1, len(starts))
    stitched = np.concatenate(returns)
    curve = options.cash * np.cumprod(np.concatenate([[1.0], 1.0 + stitched]))
    periods_per_year = grid.size / max((grid[-1] - grid[0]).days / 365.25, 1e-9)
    return WalkForwardResult(
        objective=request.objective,
        windows=results,
        return_pct=float(curve[-1] / curve[0] - 1.0) * 100.0,
        sharpe=sharpe_ratio(stitched, periods_per_year),
        max_drawdown_pct=max_drawdown_pct(curve),
    )
