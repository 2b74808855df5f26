"""Performance metrics of a run, from its equity curve and its trade table.

Percentages are percent (12.5 means 12.5%). Ratios are annualised with the
data's own bar frequency (bars per year measured over the run), the risk-free
rate is zero. Where a metric is undefined (no trades, no losing trade, flat
equity) it is None, never a made-up number.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict

from tradewind.backtest.engine import Run
from tradewind.backtest.trades import TradeTable
from tradewind.execution.layout import R_END

_YEAR = timedelta(days=365.25)
_DAY_NS = 86_400 * 10**9


def _moment(stamp: np.integer) -> datetime:
    moment: datetime = pd.Timestamp(int(stamp), tz="UTC").to_pydatetime()
    return moment


class Metrics(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    duration_days: float
    exposure_pct: float
    final_equity: float
    peak_equity: float
    return_pct: float
    buy_hold_return_pct: float
    annual_return_pct: float | None
    annual_volatility_pct: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    max_drawdown_pct: float
    max_drawdown_bars: int
    max_drawdown_duration_days: float
    avg_drawdown_pct: float
    trades: int
    win_rate_pct: float | None
    best_trade_pct: float | None
    worst_trade_pct: float | None
    avg_trade_pct: float | None
    max_trade_bars: int | None
    avg_trade_bars: float | None
    profit_factor: float | None
    expectancy: float | None
    sqn: float | None
    kelly: float | None
    probabilistic_sharpe: float | None


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def drawdown(equity: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Fraction below the running peak at each bar (0 at a new high)."""
    peak = np.maximum.accumulate(equity)
    result: npt.NDArray[Any] = 1.0 - equity / peak
    return result


def max_drawdown_pct(equity: npt.NDArray[Any]) -> float:
    return float(drawdown(equity).max() * 100.0) if equity.size else 0.0


def _drawdown_spells(dd: npt.NDArray[Any]) -> tuple[int, int, int, npt.NDArray[Any]]:
    """Longest spell below a peak (length, first bar, last bar) and each spell's depth."""
    edges = np.diff(np.concatenate([[0], (dd > 0).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        return 0, 0, 0, np.zeros(0)
    lengths = ends - starts
    k = int(np.argmax(lengths))
    return int(lengths[k]), int(starts[k]), int(ends[k] - 1), np.maximum.reduceat(dd, starts)


def sharpe_ratio(returns: npt.NDArray[Any], periods_per_year: float) -> float | None:
    if returns.size < 2:
        return None
    std = returns.std(ddof=1)
    return _finite(returns.mean() / std * math.sqrt(periods_per_year)) if std > 0 else None


def probabilistic_sharpe(returns: npt.NDArray[Any], benchmark: float = 0.0) -> float | None:
    """P(true per-bar Sharpe > benchmark), Bailey & Lopez de Prado, with skew and kurtosis of the returns."""
    n = returns.size
    if n < 3:
        return None
    std = returns.std(ddof=1)
    if std <= 0:
        return None
    sr = returns.mean() / std
    centred = returns - returns.mean()
    squared = centred * centred
    m2 = squared.mean()
    skew = np.dot(squared, centred) / n / m2**1.5
    kurt = np.dot(squared, squared) / n / m2**2
    denominator = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    if denominator <= 0:
        return None
    return _finite(NormalDist().cdf((sr - benchmark) * math.sqrt(n - 1) / math.sqrt(denominator)))


def compute_metrics(run: Run, table: TradeTable, cash: float) -> Metrics:
    market = run.prepared.market
    equity = run.equity
    times = market.times
    start, end = _moment(times[0]), _moment(times[-1])
    span = end - start
    years = span / _YEAR
    periods_per_year = (equity.size - 1) / years if years > 0 else float("nan")
    returns = np.diff(equity) / equity[:-1] if equity.size > 1 else np.zeros(0)
    total = equity[-1] / cash - 1.0
    annual = (1.0 + total) ** (1.0 / years) - 1.0 if years > 0 and total > -1 else float("nan")
    volatility = returns.std(ddof=1) * math.sqrt(periods_per_year) if returns.size > 1 else float("nan")
    downside = returns[returns < 0]
    downside_dev = math.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)) if returns.size else 0.0
    sortino = (
        returns.mean() / downside_dev * math.sqrt(periods_per_year)
        if downside.size and downside_dev > 0
        else float("nan")
    )
    dd = drawdown(equity)
    max_dd = float(dd.max()) if dd.size else 0.0
    longest, first, last, depths = _drawdown_spells(dd)
    closes = market.closes
    buy_hold = []
    for j in range(closes.shape[1]):
        column = closes[:, j][~np.isnan(closes[:, j])]
        buy_hold.append(column[-1] / column[0] - 1.0)
    pnl = table.pnl
    trade_returns = table.return_pct
    bars_held = table.exit_bar - table.entry_bar
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    n = int(pnl.size)
    win_rate = wins.size / n if n else float("nan")
    kelly = float("nan")
    if wins.size and losses.size:
        kelly = win_rate - (1.0 - win_rate) / (wins.mean() / -losses.mean())
    return Metrics(
        start=start,
        end=end,
        duration_days=span.total_seconds() / 86_400,
        exposure_pct=_exposure(run, table) * 100.0,
        final_equity=float(equity[-1]),
        peak_equity=float(max(equity.max(), cash)),
        return_pct=float(total * 100.0),
        buy_hold_return_pct=float(np.mean(buy_hold) * 100.0),
        annual_return_pct=_finite(annual * 100.0),
        annual_volatility_pct=_finite(volatility * 100.0),
        sharpe=sharpe_ratio(returns, periods_per_year),
        sortino=_finite(sortino),
        calmar=_finite(annual / max_dd) if max_dd > 0 else None,
        max_drawdown_pct=max_dd * 100.0,
        max_drawdown_bars=longest,
        max_drawdown_duration_days=float(times[last] - times[first]) / _DAY_NS if longest else 0.0,
        avg_drawdown_pct=float(np.mean(depths) * 100.0) if depths.size else 0.0,
        trades=n,
        win_rate_pct=_finite(win_rate * 100.0),
        best_trade_pct=float(trade_returns.max()) if n else None,
        worst_trade_pct=float(trade_returns.min()) if n else None,
        avg_trade_pct=float(trade_returns.mean()) if n else None,
        max_trade_bars=int(bars_held.max()) if n else None,
        avg_trade_bars=float(bars_held.mean()) if n else None,
        profit_factor=_finite(wins.sum() / -losses.sum()) if losses.size else None,
        expectancy=float(pnl.mean()) if n else None,
        sqn=_finite(math.sqrt(n) * pnl.mean() / pnl.std(ddof=1)) if n > 1 and pnl.std(ddof=1) > 0 else None,
        kelly=_finite(kelly),
        probabilistic_sharpe=probabilistic_sharpe(returns),
    )


def _exposure(run: Run, table: TradeTable) -> float:
    """Share of bars that end with a position open in any symbol (a trade holds over [entry, exit))."""
    bars = run.equity.size
    if not bars:
        return 0.0
    held = np.zeros(bars + 1, dtype=np.int64)
    np.add.at(held, table.entry_bar, 1)
    np.add.at(held, np.where(table.reason == R_END, bars, table.exit_bar), -1)
    return float(np.count_nonzero(np.cumsum(held)[:bars] > 0) / bars)
