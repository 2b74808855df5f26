"""Resampling bars from a finer timeframe to a coarser one.

Rules: open = first open, high = max high, low = min low, close = last close,
volume = sum. A coarser bar is labelled with its own open time as defined by
`Timeframe.floor` (weeks from Monday, months from the 1st, intraday from
midnight UTC), and only bars that received at least one finer bar exist: a
market holiday produces no empty bar.
"""

from __future__ import annotations

import pandas as pd

from tradewind.marketdata import frames
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.models import DataKind
from tradewind.marketdata.timeframe import Timeframe

_RULES = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def resample_bars(bars: pd.DataFrame, source: Timeframe, target: Timeframe) -> pd.DataFrame:
    if target is source:
        return frames.canonical(bars, DataKind.BARS)
    if not source.can_resample_to(target):
        raise MarketDataError(f"cannot build {target} bars from {source} bars")
    canonical = frames.canonical(bars, DataKind.BARS)
    if canonical.empty:
        return canonical
    bucket = target.floor_index(pd.DatetimeIndex(canonical[frames.TIME]))
    grouped = canonical.drop(columns=[frames.TIME]).groupby(bucket.rename(frames.TIME), sort=True)
    out = grouped.agg(_RULES).reset_index()
    return frames.canonical(out, DataKind.BARS)
