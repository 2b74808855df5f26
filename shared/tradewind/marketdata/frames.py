"""The canonical in-memory shape of each kind of series.

Every reader produces, and every writer expects, a DataFrame with a UTC `time`
column followed by these float64 columns, sorted by time. Keeping one shape
means Parquet files, resampling and indicators never guess column names.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.models import DataKind

TIME = "time"
BAR_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
TICK_COLUMNS: tuple[str, ...] = ("price", "size")
QUOTE_COLUMNS: tuple[str, ...] = ("bid", "ask")

VALUE_COLUMNS: dict[DataKind, tuple[str, ...]] = {
    DataKind.BARS: BAR_COLUMNS,
    DataKind.TICKS: TICK_COLUMNS,
    DataKind.QUOTES: QUOTE_COLUMNS,
}


def canonical(frame: pd.DataFrame, kind: DataKind) -> pd.DataFrame:
    """Select, order and type the columns of `kind`; raise if one is missing."""
    columns = VALUE_COLUMNS[kind]
    missing = [c for c in (TIME, *columns) if c not in frame.columns]
    if missing:
        raise MarketDataError(f"{kind} data is missing column(s): {', '.join(missing)}")
    out = pd.DataFrame({TIME: pd.DatetimeIndex(frame[TIME]).tz_convert("UTC").as_unit("ns")})
    for column in columns:
        out[column] = frame[column].to_numpy(dtype="float64")
    return out.reset_index(drop=True)


def empty(kind: DataKind) -> pd.DataFrame:
    return canonical(
        pd.DataFrame({TIME: pd.DatetimeIndex([], tz="UTC"), **{c: [] for c in VALUE_COLUMNS[kind]}}),
        kind,
    )


def between(frame: pd.DataFrame, start: datetime | None, end: datetime | None) -> pd.DataFrame:
    """The rows with start <= time <= end (either bound optional), renumbered from 0."""
    times = frame[TIME]
    mask = pd.Series(True, index=frame.index)
    if start is not None:
        mask &= times >= pd.Timestamp(start)
    if end is not None:
        mask &= times <= pd.Timestamp(end)
    return frame.loc[mask].reset_index(drop=True)
