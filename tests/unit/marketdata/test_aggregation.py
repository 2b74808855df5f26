import logging
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.marketdata.aggregation import AggregatorState, BarAggregator
from tradewind.marketdata.models import Bar, Tick
from tradewind.marketdata.timeframe import Timeframe

T0 = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)


def tick(seconds: float, price: float, size: float = 1.0, trade_id: str | None = None) -> Tick:
    return Tick(symbol="NVDA", time=T0 + timedelta(seconds=seconds), price=price, size=size, trade_id=trade_id)


def ohlcv(bar: Bar) -> tuple[datetime, float, float, float, float, float]:
    return (bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume)


def test_in_order_ticks_make_a_bar_when_the_next_bar_starts() -> None:
    agg = BarAggregator.start("NVDA", Timeframe.M1)
    assert agg.add(tick(5, 10, 1)) == []
    assert agg.add(tick(30, 12, 2)) == []
    assert agg.add(tick(59, 11, 1)) == []
    [bar] = agg.add(tick(62, 13, 1))
    assert ohlcv(bar) == (T0, 10, 12, 10, 11, 4)
    [last] = agg.flush()
    assert ohlcv(last) == (T0 + timedelta(minutes=1), 13, 13, 13, 13, 1)


def test_out_of_order_within_tolerance_is_merged_by_tick_time() -> None:
    agg = BarAggregator.start("NVDA", Timeframe.M1, tolerance=timedelta(seconds=5))
    agg.add(tick(50, 11))
    assert agg.add(tick(61, 12)) == []  # the 10:00 bar waits until 10:01:05
    assert agg.add(tick(10, 9)) == []  # earlier than every tick so far: becomes the open
    [bar] = agg.add(tick(66, 12.5))
    assert ohlcv(bar) == (T0, 9, 11, 9, 11, 2)


def test_late_ticks_are_counted_logged_and_never_merged(caplog: pytest.LogCaptureFixture) -> None:
    agg = BarAggregator.start("NVDA", Timeframe.M1, tolerance=timedelta(seconds=5))
    agg.add(tick(10, 10))
    [closed] = agg.add(tick(70, 11))
    with caplog.at_level(logging.WARNING, logger="tradewind.marketdata.aggregation"):
        assert agg.add(tick(20, 99, 1000)) == []
    assert agg.state.late_ticks == 1
    assert "late tick dropped" in caplog.text
    [next_bar] = agg.flush()
    assert ohlcv(closed) == (T0, 10, 10, 10, 10, 1)
    assert ohlcv(next_bar) == (T0 + timedelta(minutes=1), 11, 11, 11, 11, 1)


def test_duplicates_count_once() -> None:
    agg = BarAggregator.start("NVDA", Timeframe.M1)
    agg.add(tick(1, 10, 5, trade_id="a"))
    agg.add(tick(1, 10, 5, trade_id="a"))
    agg.add(tick(2, 11, 1))
    agg.add(tick(2, 11, 1))
    agg.add(tick(2, 11, 1, trade_id="b"))  # same time and price, distinct trade
    [bar] = agg.flush()
    assert bar.volume == 7
    assert agg.state.duplicate_ticks == 2


def test_a_clock_advance_closes_bars_without_ticks() -> None:
    agg = BarAggregator.start("NVDA", Timeframe.M5, tolerance=timedelta(seconds=2))
    agg.add(tick(10, 10))
    assert agg.advance(T0 + timedelta(minutes=5, seconds=1)) == []
    [bar] = agg.advance(T0 + timedelta(minutes=5, seconds=2))
    assert bar.time == T0


def test_state_survives_serialisation() -> None:
    ticks = [tick(s, 100 + s % 7, 1 + s % 3) for s in range(0, 400, 7)]
    straight = BarAggregator.start("NVDA", Timeframe.M1, tolerance=timedelta(seconds=3))
    expected = [b for t in ticks for b in straight.add(t)] + straight.flush()
    first = BarAggregator.start("NVDA", Timeframe.M1, tolerance=timedelta(seconds=3))
    got = [b for t in ticks[:20] for b in first.add(t)]
    resumed = BarAggregator(AggregatorState.model_validate_json(first.state.model_dump_json()))
    got += [b for t in ticks[20:] for b in resumed.add(t)] + resumed.flush()
    assert got == expected


def test_wrong_symbol_is_refused() -> None:
    agg = BarAggregator.start("AAPL", Timeframe.M1)
    with pytest.raises(ValueError, match="NVDA"):
        agg.add(tick(1, 10))


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 1800), st.integers(1, 500), st.integers(1, 50), st.integers(0, 10), st.booleans()),
        min_size=1,
        max_size=200,
        unique_by=lambda x: x[0],
    ),
    tolerance=st.integers(0, 30),
    timeframe=st.sampled_from([Timeframe.M1, Timeframe.M5, Timeframe.M15]),
)
def test_bounded_disorder_and_duplicates_give_the_batch_bars(
    data: list[tuple[int, int, int, int, bool]], tolerance: int, timeframe: Timeframe
) -> None:
    ticks = [tick(s, float(p), float(v), trade_id=str(s)) for s, p, v, _, _ in data]
    delays = {t.trade_id: min(d, tolerance) for t, (_, _, _, d, _) in zip(ticks, data, strict=True)}
    arrivals = sorted(ticks, key=lambda t: (t.time + timedelta(seconds=delays[t.trade_id]), t.trade_id))
    feed = [t for t in arrivals for _ in range(2 if data[0][4] else 1)]  # maybe every tick twice
    agg = BarAggregator.start("NVDA", timeframe, tolerance=timedelta(seconds=tolerance))
    bars = [b for t in feed for b in agg.add(t)] + agg.flush()
    assert agg.state.late_ticks == 0
    frame = pd.DataFrame([(t.time, t.price, t.size) for t in ticks], columns=["time", "price", "size"])
    frame = frame.sort_values("time")
    grouped = frame.groupby(frame["time"].map(timeframe.floor))
    expected = [
        (key, g["price"].iloc[0], g["price"].max(), g["price"].min(), g["price"].iloc[-1], g["size"].sum())
        for key, g in grouped
    ]
    assert [ohlcv(b) for b in bars] == expected
