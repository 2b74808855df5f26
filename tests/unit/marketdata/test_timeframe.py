from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.marketdata.timeframe import Timeframe

moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


@pytest.mark.parametrize(
    ("timeframe", "moment", "expected"),
    [
        (Timeframe.M1, datetime(2024, 3, 5, 14, 7, 59, tzinfo=UTC), datetime(2024, 3, 5, 14, 7, tzinfo=UTC)),
        (Timeframe.M15, datetime(2024, 3, 5, 14, 7, tzinfo=UTC), datetime(2024, 3, 5, 14, 0, tzinfo=UTC)),
        (Timeframe.H4, datetime(2024, 3, 5, 14, 7, tzinfo=UTC), datetime(2024, 3, 5, 12, 0, tzinfo=UTC)),
        (Timeframe.D1, datetime(2024, 3, 5, 23, 59, tzinfo=UTC), datetime(2024, 3, 5, tzinfo=UTC)),
        # 2024-03-10 is a Sunday: its week opened on Monday 4 March.
        (Timeframe.W1, datetime(2024, 3, 10, 23, 0, tzinfo=UTC), datetime(2024, 3, 4, tzinfo=UTC)),
        (Timeframe.W1, datetime(2024, 3, 11, 0, 0, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC)),
        (Timeframe.MN1, datetime(2024, 2, 29, 18, 0, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)),
    ],
)
def test_floor_examples(timeframe: Timeframe, moment: datetime, expected: datetime) -> None:
    assert timeframe.floor(moment) == expected


def test_floor_converts_other_zones_to_utc() -> None:
    new_york = datetime(2024, 3, 5, 21, 30, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert Timeframe.D1.floor(new_york) == datetime(2024, 3, 5, tzinfo=UTC)


def test_next_open_of_december_is_january() -> None:
    assert Timeframe.MN1.next_open(datetime(2023, 12, 1, tzinfo=UTC)) == datetime(2024, 1, 1, tzinfo=UTC)


@given(moment=moments, timeframe=st.sampled_from(list(Timeframe)))
def test_floor_contains_the_moment_and_matches_the_vectorised_form(moment: datetime, timeframe: Timeframe) -> None:
    opened = timeframe.floor(moment)
    assert opened <= moment < timeframe.next_open(opened)
    assert timeframe.floor(opened) == opened
    index = pd.DatetimeIndex([moment]).as_unit("ns")
    assert timeframe.floor_index(index)[0].to_pydatetime() == opened


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        (Timeframe.M1, Timeframe.M5, True),
        (Timeframe.M5, Timeframe.H4, True),
        (Timeframe.H1, Timeframe.D1, True),
        (Timeframe.H4, Timeframe.W1, True),
        (Timeframe.D1, Timeframe.MN1, True),
        (Timeframe.W1, Timeframe.MN1, False),  # weeks straddle months
        (Timeframe.H1, Timeframe.M5, False),  # finer, not coarser
        (Timeframe.D1, Timeframe.D1, False),
    ],
)
def test_can_resample_to(source: Timeframe, target: Timeframe, ok: bool) -> None:
    assert source.can_resample_to(target) is ok


def test_nominal_order_follows_length() -> None:
    lengths = [t.nominal_seconds for t in Timeframe]
    assert lengths == sorted(lengths)
    assert Timeframe.M30.fixed_length == timedelta(minutes=30)
    assert Timeframe.MN1.fixed_length is None
