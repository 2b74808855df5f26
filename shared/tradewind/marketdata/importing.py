"""Reading market-data files into canonical frames, with a line-numbered report of bad rows.

Supported inputs: Yahoo-style daily CSV (`Date,Open,High,Low,Close,Adj Close,Volume`),
intraday CSV with separate date and time columns, any OHLCV CSV through an
explicit column mapping, tick CSV, bid/ask CSV, and Parquet. A file with bad
rows is rejected with the report unless `repair` is asked for, in which case
each bad row is dropped or fixed and the report says which. Reading never
touches the store: the caller writes only a frame that passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.api import guess_datetime_format
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.marketdata import frames
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.models import Adjustment, DataKind
from tradewind.marketdata.parquet import read_parquet_file
from tradewind.marketdata.timeframe import Timeframe

ADJ_CLOSE = "adj_close"
_DATE = "date"
_CLOCK = "clock"

# Header spellings seen in the wild, normalised (lower case, no spaces/underscores).
_ALIASES: dict[str, tuple[str, ...]] = {
    frames.TIME: ("datetime", "timestamp", "time", "date"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "last"),
    "volume": ("volume", "vol", "v"),
    ADJ_CLOSE: ("adjclose",),
    "price": ("price", "last", "close"),
    "size": ("size", "qty", "quantity", "volume"),
    "bid": ("bid",),
    "ask": ("ask", "offer"),
}
_MAX_REPORTED = 50
_FORMAT_SAMPLE = 50
BAR_PRICES = ("open", "high", "low", "close")


class ImportOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DataKind = DataKind.BARS
    timeframe: Timeframe | None = None
    # canonical column name -> column name in the file, e.g. {"time": "Datetime"}
    columns: dict[str, str] = Field(default_factory=dict)
    time_format: str | None = None
    dayfirst: bool = False
    timezone: str = "UTC"
    adjust: bool = False
    repair: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class RowIssue(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    problem: str
    action: str | None = None

    def __str__(self) -> str:
        suffix = f" -> {self.action}" if self.action else ""
        return f"line {self.line}: {self.problem}{suffix}"


class ImportReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows_read: int
    rows_kept: int
    issues: tuple[RowIssue, ...] = ()

    def summary(self, limit: int = _MAX_REPORTED) -> str:
        lines = [str(issue) for issue in self.issues[:limit]]
        if len(self.issues) > limit:
            lines.append(f"... and {len(self.issues) - limit} more")
        return "\n".join(lines)


class ImportRejected(MarketDataError):
    """The file has bad rows and repair was not asked for."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.issues)} bad row(s); nothing was stored (use --repair to drop or fix them)")
        self.report = report


@dataclass(frozen=True)
class ImportResult:
    frame: pd.DataFrame
    report: ImportReport
    adjustment: Adjustment


@dataclass
class _Rows:
    """The working frame plus each row's line number in the source, for reporting."""

    frame: pd.DataFrame
    lines: npt.NDArray[Any]
    issues: list[RowIssue] = field(default_factory=list)

    def flag(self, mask: npt.NDArray[Any], problem: str, action: str | None) -> None:
        for line in self.lines[mask]:
            self.issues.append(RowIssue(line=int(line), problem=problem, action=action))

    def drop(self, mask: npt.NDArray[Any], problem: str, repair: bool) -> None:
        if not mask.any():
            return
        self.flag(mask, problem, "dropped" if repair else None)
        keep = ~mask
        self.frame = self.frame.loc[keep].reset_index(drop=True)
        self.lines = self.lines[keep]


def import_file(path: Path, options: ImportOptions) -> ImportResult:
    """Read, validate and (optionally) repair one file; raise ImportRejected on bad rows."""
    if options.kind is DataKind.BARS and options.timeframe is None:
        raise MarketDataError("bars need a timeframe (--timeframe)")
    if options.adjust and options.kind is not DataKind.BARS:
        raise MarketDataError("--adjust applies to bars only")
    raw, lines = _read_raw(path)
    return import_frame(raw, lines, options)


def import_frame(raw: pd.DataFrame, lines: npt.NDArray[Any], options: ImportOptions) -> ImportResult:
    """Validate an already-read table whose row i came from source line `lines[i]`."""
    mapped = _map_columns(raw, options)
    rows = _Rows(frame=mapped, lines=lines)
    _parse(rows, options)
    if options.kind is DataKind.BARS:
        _check_bars(rows, options)
    elif options.kind is DataKind.QUOTES:
        _check_quotes(rows, options.repair)
    else:
        _check_ticks(rows, options.repair)
    _check_order(rows, options)
    report = ImportReport(
        rows_read=len(lines), rows_kept=len(rows.frame), issues=tuple(sorted(rows.issues, key=lambda i: i.line))
    )
    if report.issues and not options.repair:
        raise ImportRejected(report)
    if rows.frame.empty:
        raise MarketDataError("no valid rows to import")
    adjustment = Adjustment.NONE
    frame = rows.frame
    if options.adjust:
        frame = back_adjust(frame)
        adjustment = Adjustment.BACK_ADJUSTED
    return ImportResult(frame=frames.canonical(frame, options.kind), report=report, adjustment=adjustment)


def back_adjust(frame: pd.DataFrame) -> pd.DataFrame:
    """Scale open/high/low/close by Adj Close / Close, so splits and dividends leave no gaps."""
    if ADJ_CLOSE not in frame.columns:
        raise MarketDataError("--adjust needs an 'Adj Close' column")
    factor = frame[ADJ_CLOSE].to_numpy() / frame["close"].to_numpy()
    adjusted = frame.copy()
    for column in BAR_PRICES:
        adjusted[column] = frame[column].to_numpy() * factor
    return adjusted


def _read_raw(path: Path) -> tuple[pd.DataFrame, npt.NDArray[Any]]:
    if not path.is_file():
        raise MarketDataError(f"no such file: {path}")
    if path.suffix.lower() in (".parquet", ".pq"):
        table = read_parquet_file(path)
        # Parquet has no lines; row n (1-based) is reported as "line n".
        return table, np.arange(1, len(table) + 1)
    try:
        # Blank lines are kept while reading, so that every row keeps its true line number.
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())
        raise MarketDataError(f"{path.name} is not a readable CSV file: {reason}") from exc
    lines = np.arange(2, len(table) + 2)
    blank = (table == "").all(axis=1).to_numpy()
    return table.loc[~blank].reset_index(drop=True), lines[~blank]


def _normalise(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _map_columns(raw: pd.DataFrame, options: ImportOptions) -> pd.DataFrame:
    by_norm = {_normalise(c): c for c in raw.columns}
    wanted = [frames.TIME, *frames.VALUE_COLUMNS[options.kind]]
    if options.kind is DataKind.BARS:
        wanted.append(ADJ_CLOSE)
    explicit = dict(options.columns)
    for canonical_name, source in explicit.items():
        if source not in raw.columns:
            raise MarketDataError(f"column mapping {canonical_name}={source}: the file has no column {source!r}")
    out: dict[str, pd.Series] = {}
    # Intraday files split the timestamp into a date and a time column.
    if frames.TIME not in explicit and "date" in by_norm and "time" in by_norm:
        out[_DATE] = raw[by_norm["date"]]
        out[_CLOCK] = raw[by_norm["time"]]
    for name in wanted:
        if name in out or (name == frames.TIME and _DATE in out):
            continue
        source_name = explicit.get(name) or next((by_norm[a] for a in _ALIASES[name] if a in by_norm), None)
        if source_name is None:
            if name in (ADJ_CLOSE, "volume", "size"):
                continue
            raise MarketDataError(
                f"cannot find the {name!r} column in {list(raw.columns)}; map it with --columns {name}=<header>"
            )
        out[name] = raw[source_name]
    return pd.DataFrame(out)


def _parse(rows: _Rows, options: ImportOptions) -> None:
    frame = rows.frame
    if _DATE in frame.columns:
        text = frame[_DATE].astype(str).str.strip() + " " + frame[_CLOCK].astype(str).str.strip()
    else:
        text = frame[frames.TIME].astype(str).str.strip()
    time_format = options.time_format or _guess_format(text, options.dayfirst)
    try:
        times = pd.to_datetime(text, format=time_format, dayfirst=options.dayfirst, errors="coerce")
    except ValueError:
        # Different UTC offsets in one file: each timestamp carries its own, so read them all to UTC.
        times = pd.to_datetime(text, format=time_format, dayfirst=options.dayfirst, errors="coerce", utc=True)
    if getattr(times.dt, "tz", None) is None:
        times = times.dt.tz_localize(options.timezone, ambiguous="NaT", nonexistent="NaT")
    parsed = pd.DataFrame({frames.TIME: times.dt.tz_convert("UTC")})
    for column in frame.columns:
        if column in (frames.TIME, _DATE, _CLOCK):
            continue
        parsed[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for optional in ("volume", "size"):
        if optional in frames.VALUE_COLUMNS[options.kind] and optional not in parsed.columns:
            parsed[optional] = 0.0
    rows.frame = parsed
    bad_time = parsed[frames.TIME].isna().to_numpy()
    rows.drop(bad_time, "unparseable timestamp", options.repair)
    numeric = rows.frame.drop(columns=[frames.TIME]).to_numpy()
    rows.drop(~np.isfinite(numeric).all(axis=1), "unparseable number", options.repair)


def _guess_format(text: pd.Series, dayfirst: bool) -> str:
    """The file's timestamp format, guessed from its first recognisable values (a bad first row is just a bad row).

    ISO 8601 in any of its variants (with or without seconds, fractions, offsets) is read as such; a file
    whose format cannot be guessed is parsed value by value.
    """
    for value in text.head(_FORMAT_SAMPLE):
        guessed = guess_datetime_format(value, dayfirst=dayfirst)
        if guessed is not None:
            return "ISO8601" if guessed.startswith("%Y-%m-%d") else guessed
    return "mixed"


def _positive(rows: _Rows, columns: tuple[str, ...], repair: bool) -> None:
    values = rows.frame[list(columns)].to_numpy()
    rows.drop(np.asarray((values <= 0).any(axis=1)), f"{'/'.join(columns)} must be positive", repair)


def _check_bars(rows: _Rows, options: ImportOptions) -> None:
    positive = (*BAR_PRICES, ADJ_CLOSE) if ADJ_CLOSE in rows.frame.columns else BAR_PRICES
    _positive(rows, positive, options.repair)
    rows.drop(rows.frame["volume"].to_numpy() < 0, "negative volume", options.repair)
    f = rows.frame
    o, h, lo, c = (f[k].to_numpy() for k in ("open", "high", "low", "close"))
    bad_high = h < np.maximum(np.maximum(o, c), lo)
    bad_low = lo > np.minimum(o, c)
    if bad_high.any() or bad_low.any():
        rows.flag(
            bad_high, "high below low, open or close", "high set to the bar's maximum" if options.repair else None
        )
        rows.flag(
            bad_low & ~bad_high, "low above open or close", "low set to the bar's minimum" if options.repair else None
        )
        if options.repair:
            prices = np.column_stack([o, h, lo, c])
            f.loc[:, "high"] = prices.max(axis=1)
            f.loc[:, "low"] = prices.min(axis=1)
    if options.timeframe is not None:
        aligned = options.timeframe.is_aligned(pd.DatetimeIndex(rows.frame[frames.TIME]))
        rows.drop(~aligned, f"time is not a {options.timeframe} bar open time", options.repair)


def _check_ticks(rows: _Rows, repair: bool) -> None:
    _positive(rows, ("price",), repair)
    rows.drop(rows.frame["size"].to_numpy() < 0, "negative size", repair)


def _check_quotes(rows: _Rows, repair: bool) -> None:
    _positive(rows, ("bid", "ask"), repair)
    rows.drop(rows.frame["ask"].to_numpy() < rows.frame["bid"].to_numpy(), "ask below bid", repair)


def _check_order(rows: _Rows, options: ImportOptions) -> None:
    """Timestamps must increase (bars) or not decrease (ticks, quotes: several per instant are real)."""
    times = pd.DatetimeIndex(rows.frame[frames.TIME]).as_unit("ns").asi8
    if options.kind is DataKind.BARS:
        duplicated = pd.Series(times).duplicated().to_numpy()
        rows.drop(duplicated, "duplicate timestamp", options.repair)
    else:
        duplicated = rows.frame.duplicated().to_numpy()
        rows.drop(duplicated, "duplicate row", options.repair)
    times = pd.DatetimeIndex(rows.frame[frames.TIME]).as_unit("ns").asi8
    running_max = np.maximum.accumulate(times)
    previous_max = np.concatenate(([np.iinfo(np.int64).min], running_max[:-1]))
    # After dropping, the survivors are exactly the rows that set a new maximum (or, for ticks and quotes, match it).
    if options.kind is DataKind.BARS:
        rows.drop(times <= previous_max, "timestamp not after the previous row's", options.repair)
    else:
        rows.drop(times < previous_max, "timestamp before the previous row's", options.repair)


def mapping_from_text(text: str) -> Mapping[str, str]:
    """Parse `time=Datetime,open=O` into a column mapping."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, source = part.partition("=")
        if not sep or not name.strip() or not source.strip():
            raise MarketDataError(f"bad column mapping {part!r}: expected NAME=HEADER")
        if name.strip() not in _ALIASES:
            raise MarketDataError(f"unknown column {name.strip()!r}; known: {', '.join(sorted(_ALIASES))}")
        mapping[name.strip()] = source.strip()
    return mapping
