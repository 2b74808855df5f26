import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.resample import resample_bars
from tradewind.marketdata.timeframe import Timeframe


def frame(times: list[str], rows: list[tuple[float, float, float, float, float]]) -> pd.DataFrame:
    o, h, lo, c, v = zip(*rows, strict=True)
    return pd.DataFrame(
        {"time": pd.DatetimeIndex(times, tz="UTC"), "open": o, "high": h, "low": lo, "close": c, "volume": v}
    ).astype({k: "float64" for k in ("open", "high", "low", "close", "volume")})


def test_worked_example_five_minutes_to_one_hour() -> None:
    five = frame(
        ["2024-01-02 09:50", "2024-01-02 09:55", "2024-01-02 10:00", "2024-01-02 10:05", "2024-01-02 10:55"],
        [(10, 11, 9, 10.5, 100), (10.5, 12, 10, 11, 50), (11, 11.5, 10.8, 11.2, 10), (11.2, 13, 11, 12, 20),
         (12, 12.5, 8, 9, 5)],
    )  # fmt: skip
    hourly = resample_bars(five, Timeframe.M5, Timeframe.H1)
    expected = frame(["2024-01-02 09:00", "2024-01-02 10:00"], [(10, 12, 9, 11, 150), (11, 13, 8, 9, 35)])
    pd.testing.assert_frame_equal(hourly, expected.assign(time=expected["time"].dt.as_unit("ns")))


def test_weeks_open_on_monday_and_months_on_the_first(samples) -> None:
    # Fri 2024-03-01, Mon 03-04, Fri 03-08, Mon 03-11, and Mon 2024-04-01.
    daily = frame(
        ["2024-03-01", "2024-03-04", "2024-03-08", "2024-03-11", "2024-04-01"],
        [(1, 2, 0.5, 1.5, 1), (2, 3, 1, 2.5, 2), (3, 4, 2, 3.5, 3), (4, 5, 3, 4.5, 4), (5, 6, 4, 5.5, 5)],
    )
    weekly = resample_bars(daily, Timeframe.D1, Timeframe.W1)
    assert weekly["time"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-26", "2024-03-04", "2024-03-11", "2024-04-01"]
    assert weekly.iloc[1][["open", "high", "low", "close", "volume"]].tolist() == [2, 4, 1, 3.5, 5]
    monthly = resample_bars(daily, Timeframe.D1, Timeframe.MN1)
    assert monthly["time"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-04-01"]
    assert monthly.iloc[0][["open", "high", "low", "close", "volume"]].tolist() == [1, 5, 0.5, 4.5, 10]


def test_no_bar_for_periods_without_data() -> None:
    daily = frame(["2024-01-05", "2024-01-19"], [(1, 2, 0.5, 1.5, 1), (2, 3, 1, 2.5, 2)])
    assert len(resample_bars(daily, Timeframe.D1, Timeframe.W1)) == 2


def test_refuses_finer_or_straddling_targets() -> None:
    daily = frame(["2024-01-05"], [(1, 2, 0.5, 1.5, 1)])
    with pytest.raises(MarketDataError, match="cannot build 1h bars from 1d"):
        resample_bars(daily, Timeframe.D1, Timeframe.H1)
    with pytest.raises(MarketDataError, match="cannot build 1M bars from 1w"):
        resample_bars(daily, Timeframe.W1, Timeframe.MN1)


@st.composite
def minute_bars(draw: st.DrawFn) -> pd.DataFrame:
    count = draw(st.integers(1, 400))
    start = draw(st.integers(0, 60 * 24 * 60))  # within about two months of a fixed day
    gaps = draw(st.lists(st.integers(1, 300), min_size=count, max_size=count))
    minutes = start + np.cumsum(gaps)
    times = pd.Timestamp("2024-01-29", tz="UTC") + pd.to_timedelta(minutes, unit="min")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, count)))
    opens = close * np.exp(rng.normal(0, 0.002, count))
    return pd.DataFrame(
        {
            "time": times,
            "open": opens,
            "high": np.maximum(opens, close) * 1.001,
            "low": np.minimum(opens, close) * 0.999,
            "close": close,
            "volume": rng.integers(0, 1000, count).astype(float),
        }
    )


@settings(max_examples=40, deadline=None)
@given(bars=minute_bars(), via=st.sampled_from([Timeframe.M5, Timeframe.M15, Timeframe.H1]),
       target=st.sampled_from([Timeframe.H4, Timeframe.D1, Timeframe.W1, Timeframe.MN1]))  # fmt: skip
def test_resampling_in_steps_equals_resampling_at_once(bars: pd.DataFrame, via: Timeframe, target: Timeframe) -> None:
    direct = resample_bars(bars, Timeframe.M1, target)
    stepped = resample_bars(resample_bars(bars, Timeframe.M1, via), via, target)
    pd.testing.assert_frame_equal(direct, stepped)
    assert direct["volume"].sum() == bars["volume"].sum()
    assert direct["high"].max() == bars["high"].max() and direct["low"].min() == bars["low"].min()
    assert target.is_aligned(pd.DatetimeIndex(direct["time"])).all()
