"""`run_chunk`: the unit of work of a sweep, a plain function a process pool or a Lambda calls.

The bars are aligned once and indicator outputs are cached across the chunk's
parameter sets; each set then costs one signal evaluation and one pass of the
compiled loop. The returned rows are JSON-ready.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradewind.backtest.engine import BacktestOptions, Prepared, prepare, simulate_strategy
from tradewind.backtest.metrics import compute_metrics
from tradewind.backtest.trades import trade_table
from tradewind.optimize.space import bind
from tradewind.strategy.model import Strategy

Row = dict[str, Any]


def per_bar_sharpe(equity: npt.NDArray[Any]) -> float | None:
    """Mean over standard deviation of bar returns, not annualised: what the overfitting guard compares."""
    returns = np.diff(equity) / equity[:-1]
    if returns.size < 2:
        return None
    std = returns.std(ddof=1)
    return float(returns.mean() / std) if std > 0 else None


def score(
    strategy: Strategy, prepared: Prepared, options: BacktestOptions, params: Mapping[str, float], trade_from: int = 0
) -> Row:
    run = simulate_strategy(bind(strategy, params), prepared, options, trade_from)
    metrics = compute_metrics(run, trade_table(run), options.cash)
    return {"params": dict(params), **metrics.model_dump(mode="json"), "sharpe_per_bar": per_bar_sharpe(run.equity)}


def run_chunk(
    strategy: Strategy,
    data: Mapping[str, pd.DataFrame],
    param_sets: Sequence[Mapping[str, float]],
    options: BacktestOptions | None = None,
) -> list[Row]:
    """Metrics of `strategy` bound to each parameter set, in order."""
    options = options or BacktestOptions()
    prepared = prepare(data)
    return [score(strategy, prepared, options, params) for params in param_sets]
