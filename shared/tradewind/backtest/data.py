"""Where a backtest's bars come from: a bar file (CSV, Parquet) or a symbol in the market-data store."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from tradewind.marketdata import frames
from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.models import SYMBOL_PATTERN, SeriesKey
from tradewind.marketdata.store import MarketStore
from tradewind.marketdata.timeframe import Timeframe

_FILE_SUFFIXES = (".csv", ".parquet", ".txt")


def is_file_source(source: str) -> bool:
    return Path(source).suffix.lower() in _FILE_SUFFIXES or Path(source).is_file()


def load_bars(
    source: str,
    timeframe: Timeframe,
    store: MarketStore | None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Canonical bars of `source` with start <= time <= end; a file is validated as `data import` would."""
    if is_file_source(source):
        frame = import_file(Path(source), ImportOptions(timeframe=timeframe)).frame
        return frames.between(frame, start, end)
    if store is None:
        raise ValueError(f"{source!r} is not a bar file and no market-data store is configured")
    if re.match(SYMBOL_PATTERN, source) is None:
        raise ValueError(f"{source!r} is neither a bar file nor a symbol")
    return store.read(SeriesKey(symbol=source, timeframe=timeframe), start, end)


def symbol_of(source: str) -> str:
    """The symbol a source stands for: the file's stem upper-cased up to the first '-', or the symbol."""
    return Path(source).stem.split("-")[0].upper() if is_file_source(source) else source
