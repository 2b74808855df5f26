"""The trade list of a run: one row per closing fill (partial take-profits are rows of their own).

A position still open after the last bar is listed with exit reason `end`,
marked at the last close without an exit fee, as the final equity is.
`trade_table` is columnar (what metrics and sweeps use, no per-trade Python
objects); `trades_of` turns it into the report's models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict

from tradewind.backtest.engine import Run
from tradewind.execution import layout as L


@dataclass(frozen=True)
class TradeTable:
    symbol: npt.NDArray[Any]  # int index into the run's symbols
    side: npt.NDArray[Any]  # +1 long, -1 short
    entry_bar: npt.NDArray[Any]
    exit_bar: npt.NDArray[Any]
    entry_price: npt.NDArray[Any]
    exit_price: npt.NDArray[Any]
    size: npt.NDArray[Any]
    pnl: npt.NDArray[Any]
    fees: npt.NDArray[Any]
    reason: npt.NDArray[Any]

    @property
    def return_pct(self) -> npt.NDArray[Any]:
        basis = self.entry_price * self.size
        with np.errstate(divide="ignore", invalid="ignore"):
            result: npt.NDArray[Any] = np.where(basis > 0, self.pnl / basis * 100.0, 0.0)
        return result

    def __len__(self) -> int:
        return int(self.pnl.size)


def trade_table(run: Run) -> TradeTable:
    fills = run.fills
    closing = fills[fills[:, L.F_REASON] != L.R_ENTRY]
    size = np.abs(closing[:, L.F_QTY])
    side = -np.sign(closing[:, L.F_QTY])
    gross = side * (closing[:, L.F_PRICE] - closing[:, L.F_ENTRY_PRICE]) * size
    sym = run.account.sym
    open_rows = np.flatnonzero(sym[:, L.Y_QTY] != 0.0)
    open_size = np.abs(sym[open_rows, L.Y_QTY])
    open_side = np.sign(sym[open_rows, L.Y_QTY])
    open_gross = open_side * (sym[open_rows, L.Y_LAST_CLOSE] - sym[open_rows, L.Y_AVG]) * open_size
    last = run.prepared.market.closes.shape[0] - 1
    return TradeTable(
        symbol=np.concatenate([closing[:, L.F_SYMBOL], open_rows]).astype(np.int64),
        side=np.concatenate([side, open_side]),
        entry_bar=np.concatenate([closing[:, L.F_ENTRY_BAR], sym[open_rows, L.Y_ENTRY_BAR]]).astype(np.int64),
        exit_bar=np.concatenate([closing[:, L.F_BAR], np.full(open_rows.size, last)]).astype(np.int64),
        entry_price=np.concatenate([closing[:, L.F_ENTRY_PRICE], sym[open_rows, L.Y_AVG]]),
        exit_price=np.concatenate([closing[:, L.F_PRICE], sym[open_rows, L.Y_LAST_CLOSE]]),
        size=np.concatenate([size, open_size]),
        pnl=np.concatenate([closing[:, L.F_PNL], open_gross - sym[open_rows, L.Y_FEES]]),
        fees=np.concatenate([gross - closing[:, L.F_PNL], sym[open_rows, L.Y_FEES]]),
        reason=np.concatenate([closing[:, L.F_REASON], np.full(open_rows.size, L.R_END)]).astype(np.int64),
    )


class Trade(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbol: str
    side: Literal["long", "short"]
    entry_time: datetime
    exit_time: datetime
    entry_price: float
    exit_price: float
    size: float
    pnl: float
    return_pct: float
    fees: float
    exit_reason: str
    bars_held: int


def trades_of(run: Run, table: TradeTable | None = None) -> list[Trade]:
    table = table if table is not None else trade_table(run)
    times = pd.to_datetime(run.prepared.market.times, utc=True)
    symbols = run.prepared.symbols
    returns = table.return_pct
    return [
        Trade(
            symbol=symbols[table.symbol[i]],
            side="long" if table.side[i] > 0 else "short",
            entry_time=times[table.entry_bar[i]].to_pydatetime(),
            exit_time=times[table.exit_bar[i]].to_pydatetime(),
            entry_price=float(table.entry_price[i]),
            exit_price=float(table.exit_price[i]),
            size=float(table.size[i]),
            pnl=float(table.pnl[i]),
            return_pct=float(returns[i]),
            fees=float(table.fees[i]),
            exit_reason=L.REASONS[table.reason[i]],
            bars_held=int(table.exit_bar[i] - table.entry_bar[i]),
        )
        for i in range(len(table))
    ]
