"""Market-data domain types: what an instrument is and what a price observation is.

Prices of market observations are floats: they feed numpy/TA-Lib and are never
booked as money (the ledger converts fills to Decimal). The instrument's tick
size, which rounds order prices, is a Decimal.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.marketdata.timeframe import Timeframe

SYMBOL_PATTERN = r"^[A-Z0-9][A-Z0-9._^=-]{0,31}$"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(UTC)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Price = Annotated[float, Field(gt=0), AfterValidator(_finite)]
Size = Annotated[float, Field(ge=0), AfterValidator(_finite)]
Symbol = Annotated[str, Field(pattern=SYMBOL_PATTERN)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Instrument(_Frozen):
    symbol: Symbol
    exchange: str = Field(default="", max_length=16)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    tick_size: Decimal = Field(default=Decimal("0.01"), gt=0)


class Tick(_Frozen):
    """One trade. `trade_id`, when the feed has one, is what identifies a duplicate."""

    symbol: Symbol
    time: UtcDatetime
    price: Price
    size: Size = 0.0
    trade_id: str | None = None

    @property
    def identity(self) -> tuple[str, ...]:
        if self.trade_id is not None:
            return (self.trade_id,)
        return (self.time.isoformat(), repr(self.price), repr(self.size))


class Quote(_Frozen):
    symbol: Symbol
    time: UtcDatetime
    bid: Price
    ask: Price
    bid_size: Size = 0.0
    ask_size: Size = 0.0

    @model_validator(mode="after")
    def _not_crossed(self) -> Quote:
        if self.ask < self.bid:
            raise ValueError("ask is below bid")
        return self


class Bar(_Frozen):
    """OHLCV over [time, time + timeframe), keyed by its UTC open time."""

    symbol: Symbol
    timeframe: Timeframe
    time: UtcDatetime
    open: Price
    high: Price
    low: Price
    close: Price
    volume: Size = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> Bar:
        if self.high < max(self.open, self.close, self.low):
            raise ValueError("high is below open, close or low")
        if self.low > min(self.open, self.close):
            raise ValueError("low is above open or close")
        if self.timeframe.floor(self.time) != self.time:
            raise ValueError(f"time is not a {self.timeframe} bar open time")
        return self


class DataKind(StrEnum):
    BARS = "bars"
    TICKS = "ticks"
    QUOTES = "quotes"


class Adjustment(StrEnum):
    NONE = "none"
    BACK_ADJUSTED = "back-adjusted-adj-close"


class SeriesKey(_Frozen):
    """One stored series: bars of a timeframe, or the ticks or quotes of a symbol."""

    symbol: Symbol
    kind: DataKind = DataKind.BARS
    timeframe: Timeframe | None = None

    @model_validator(mode="after")
    def _timeframe_only_for_bars(self) -> SeriesKey:
        if (self.kind is DataKind.BARS) != (self.timeframe is not None):
            raise ValueError("bars need a timeframe; ticks and quotes have none")
        return self

    @property
    def dataset(self) -> str:
        """The folder name under the symbol: the timeframe for bars, else the kind."""
        return self.timeframe.value if self.timeframe is not None else self.kind.value

    def __str__(self) -> str:
        return f"{self.symbol}/{self.dataset}"


class SeriesMetadata(_Frozen):
    """What `data list` shows and what readers follow to the current Parquet files."""

    key: SeriesKey
    first: UtcDatetime
    last: UtcDatetime
    rows: int = Field(ge=0)
    source: str
    adjustment: Adjustment = Adjustment.NONE
    version: str = Field(pattern=r"^[0-9a-f]{32}$")
    years: tuple[int, ...]
    updated_at: UtcDatetime

    @field_validator("years")
    @classmethod
    def _sorted_years(cls, years: tuple[int, ...]) -> tuple[int, ...]:
        if list(years) != sorted(set(years)):
            raise ValueError("years must be sorted and unique")
        return years
