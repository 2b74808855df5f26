"""The trade report: one backtest's metrics, Monte Carlo section, trade list and curves.

`backtest` is the service the CLI, the API and the backtest worker call. The
report serialises to one JSON object (metrics at the top level, so
`report["sharpe"]` works), to CSV (trades, equity) and to a self-contained
HTML page (`tradewind.backtest.html`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradewind.backtest.engine import BacktestOptions, Run, prepare, simulate_strategy
from tradewind.backtest.metrics import Metrics, compute_metrics, drawdown
from tradewind.backtest.montecarlo import MonteCarlo, resample_trades
from tradewind.backtest.trades import Trade, TradeTable, trade_table, trades_of
from tradewind.strategy.model import Strategy


class BacktestReport:
    def __init__(self, strategy: Strategy, options: BacktestOptions, run: Run) -> None:
        self.strategy = strategy
        self.options = options
        self.run = run
        self.table: TradeTable = trade_table(run)
        self.metrics: Metrics = compute_metrics(run, self.table, options.cash)
        self.trades: list[Trade] = trades_of(run, self.table)
        before_entry = np.concatenate([[options.cash], run.equity])[self.table.entry_bar]
        self.monte_carlo: MonteCarlo | None = resample_trades(self.table.pnl / before_entry)

    @property
    def times(self) -> pd.DatetimeIndex:
        return pd.to_datetime(self.run.prepared.market.times, utc=True)

    @property
    def drawdown_pct(self) -> npt.NDArray[Any]:
        result: npt.NDArray[Any] = drawdown(self.run.equity) * 100.0
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy.name,
            "strategy_version": self.strategy.version,
            "symbols": list(self.run.prepared.symbols),
            "cash": self.options.cash,
            **self.metrics.model_dump(mode="json"),
            "monte_carlo": self.monte_carlo.model_dump(mode="json") if self.monte_carlo else None,
            "trade_list": [t.model_dump(mode="json") for t in self.trades],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def trades_csv(self) -> str:
        buffer = io.StringIO()
        fields = list(Trade.model_fields)
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for trade in self.trades:
            writer.writerow(trade.model_dump(mode="json"))
        return buffer.getvalue()

    def equity_csv(self) -> str:
        frame = pd.DataFrame(
            {
                "time": self.times.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "equity": self.run.equity,
                "drawdown_pct": self.drawdown_pct,
            }
        )
        return frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def backtest(strategy: Strategy, data: Mapping[str, pd.DataFrame], options: BacktestOptions) -> BacktestReport:
    """Backtest `strategy` (ranges at their defaults) on canonical bar frames by symbol."""
    run = simulate_strategy(strategy, prepare(data), options)
    return BacktestReport(strategy, options, run)
