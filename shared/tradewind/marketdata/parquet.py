"""Parquet encoding through fastparquet.

fastparquet (about 16 MB with cramjam and fsspec) is the engine because the
same code runs in Lambda, where numpy + pandas + TA-Lib already take most of
the 250 MB unzipped limit and pyarrow (134 MB) does not fit; see
docs/benchmarks.md for the measured sizes. pandas deprecates fastparquet as a
`to_parquet` engine, so it is called directly.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import fastparquet
import pandas as pd

from tradewind.marketdata.errors import MarketDataError

_COMPRESSION = "ZSTD"


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Encode `frame`; zone-aware timestamps are written as UTC (every Tradewind timestamp is)."""
    plain = frame.copy()
    for column in plain.columns:
        if isinstance(plain[column].dtype, pd.DatetimeTZDtype):
            plain[column] = plain[column].dt.tz_convert(None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "part.parquet"
        fastparquet.write(str(path), plain, compression=_COMPRESSION, write_index=False, stats=True)
        return path.read_bytes()


def from_parquet_bytes(data: bytes) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "part.parquet"
        path.write_bytes(data)
        return read_parquet_file(path)


def read_parquet_file(path: Path) -> pd.DataFrame:
    try:
        frame: pd.DataFrame = fastparquet.ParquetFile(str(path)).to_pandas()
    except Exception as exc:  # fastparquet raises many unrelated types on a corrupt file
        raise MarketDataError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    for column in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[column].dtype):
            frame[column] = frame[column].dt.tz_localize("UTC")
    return frame.reset_index(drop=True)
