"""Bar timeframes and the calendar arithmetic every bar-producing path shares.

A bar is keyed by its UTC open time, so every timeframe must say where its
bars open: intraday frames align to multiples of their length since the Unix
epoch (which is also midnight UTC, so 4h bars open at 00:00, 04:00, ...), weeks
open on Monday 00:00 UTC and months on the 1st 00:00 UTC. The importer, the
resampler and the live tick aggregator all use this one definition, so a bar
built live lines up with the same bar resampled from history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Timeframe(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"
    W1 = "1w"
    MN1 = "1M"

    @property
    def fixed_length(self) -> timedelta | None:
        """The bar length, or None for months (whose length varies)."""
        return _FIXED.get(self)

    @property
    def nominal_seconds(self) -> int:
        """A length for ordering timeframes (a month counts as 31 days)."""
        length = self.fixed_length
        return int(length.total_seconds()) if length is not None else 31 * 86_400

    @property
    def pandas_rule(self) -> str:
        return _PANDAS_RULE[self]

    def floor(self, moment: datetime) -> datetime:
        """The open time of the bar that contains `moment` (aware, any zone)."""
        utc = moment.astimezone(UTC)
        if self is Timeframe.MN1:
            return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if self is Timeframe.W1:
            day = utc.replace(hour=0, minute=0, second=0, microsecond=0)
            return day - timedelta(days=day.weekday())
        length = _FIXED[self]
        return _EPOCH + ((utc - _EPOCH) // length) * length

    def next_open(self, open_time: datetime) -> datetime:
        """The open time of the bar after the one opening at `open_time`."""
        if self is Timeframe.MN1:
            year, month = divmod(open_time.month, 12)
            return open_time.replace(year=open_time.year + year, month=month + 1)
        return open_time + _FIXED[self]

    def floor_index(self, times: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """Vectorised `floor` over a UTC DatetimeIndex."""
        if self is Timeframe.MN1:
            days = times.normalize()
            return days - pd.to_timedelta(days.day - 1, unit="D")
        if self is Timeframe.W1:
            days = times.normalize()
            return days - pd.to_timedelta(days.day_of_week, unit="D")
        return times.floor(self.pandas_rule)

    def is_aligned(self, times: pd.DatetimeIndex) -> npt.NDArray[Any]:
        """Which timestamps are exact bar open times of this timeframe."""
        return np.asarray(self.floor_index(times) == times)

    def can_resample_to(self, target: Timeframe) -> bool:
        """True when every `target` bar is made of whole bars of this timeframe."""
        if target.nominal_seconds <= self.nominal_seconds:
            return False
        mine = self.fixed_length
        theirs = target.fixed_length
        if mine is None:
            return False
        if theirs is None or target is Timeframe.W1:
            return timedelta(days=1) % mine == timedelta(0)
        return theirs % mine == timedelta(0)


_FIXED: dict[Timeframe, timedelta] = {
    Timeframe.M1: timedelta(minutes=1),
    Timeframe.M5: timedelta(minutes=5),
    Timeframe.M15: timedelta(minutes=15),
    Timeframe.M30: timedelta(minutes=30),
    Timeframe.H1: timedelta(hours=1),
    Timeframe.H4: timedelta(hours=4),
    Timeframe.D1: timedelta(days=1),
    Timeframe.W1: timedelta(weeks=1),
}

_PANDAS_RULE: dict[Timeframe, str] = {
    Timeframe.M1: "1min",
    Timeframe.M5: "5min",
    Timeframe.M15: "15min",
    Timeframe.M30: "30min",
    Timeframe.H1: "1h",
    Timeframe.H4: "4h",
    Timeframe.D1: "1D",
    Timeframe.W1: "W-MON",
    Timeframe.MN1: "MS",
}
