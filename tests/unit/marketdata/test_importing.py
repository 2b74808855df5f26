from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.importing import ImportOptions, ImportRejected, import_file, mapping_from_text
from tradewind.marketdata.models import Adjustment, Bar, DataKind
from tradewind.marketdata.parquet import to_parquet_bytes
from tradewind.marketdata.timeframe import Timeframe

DAILY = ImportOptions(timeframe=Timeframe.D1)

BAD_DAILY = """
Date,Open,High,Low,Close,Adj Close,Volume
2020-01-02,10,11,9,10.5,10.5,100
2020-01-03,10,9.5,9,10.5,10.5,100
2020-01-06,abc,11,9,10.5,10.5,100
2020-01-07,10,11,9,10.5,10.5,-5
2020-01-07,10,11,9,10.5,10.5,100
2020-01-05,10,11,9,10.5,10.5,100
2020-01-08,10,11,10.2,10.5,10.5,100
not-a-date,10,11,9,10.5,10.5,100
2020-01-09,10,11,9,10.5,10.5,100
"""


def test_yahoo_sample_reads_every_row(samples: Path) -> None:
    result = import_file(samples / "nvda-1d-1999-2014.csv", DAILY)
    assert result.report.rows_read == result.report.rows_kept == 4012
    first = result.frame.iloc[0]
    assert first["time"] == pd.Timestamp("1999-01-22", tz="UTC")
    assert (first["open"], first["high"], first["low"], first["close"], first["volume"]) == (
        1.75,
        1.953125,
        1.552083,
        1.640625,
        67867200.0,
    )
    assert result.adjustment is Adjustment.NONE


def test_adjust_scales_ohlc_by_adj_close_over_close(samples: Path) -> None:
    raw = import_file(samples / "nvda-1d-1999-2014.csv", DAILY).frame
    adjusted = import_file(samples / "nvda-1d-1999-2014.csv", ImportOptions(timeframe=Timeframe.D1, adjust=True))
    assert adjusted.adjustment is Adjustment.BACK_ADJUSTED
    # First row: Adj Close 1.518424 / Close 1.640625.
    factor = 1.518424 / 1.640625
    row = adjusted.frame.iloc[0]
    assert row["close"] == pytest.approx(1.518424, abs=1e-12)
    assert row["open"] == pytest.approx(1.75 * factor, abs=1e-12)
    assert row["high"] == pytest.approx(1.953125 * factor, abs=1e-12)
    np.testing.assert_array_equal(adjusted.frame["volume"], raw["volume"])


def test_intraday_sample_combines_date_and_time(samples: Path) -> None:
    result = import_file(samples / "index-5m-2006.csv", ImportOptions(timeframe=Timeframe.M5))
    assert result.report.rows_kept == 2142
    assert result.frame["time"].iloc[0] == pd.Timestamp("2006-01-02 09:05", tz="UTC")
    assert result.frame["close"].iloc[-1] == 3677.52


def test_intraday_in_a_local_zone_is_stored_in_utc(samples: Path) -> None:
    options = ImportOptions(timeframe=Timeframe.M5, timezone="Europe/Berlin")
    result = import_file(samples / "index-5m-2006.csv", options)
    assert result.frame["time"].iloc[0] == pd.Timestamp("2006-01-02 08:05", tz="UTC")


def test_tick_and_quote_samples(samples: Path) -> None:
    ticks = import_file(samples / "ticks.csv", ImportOptions(kind=DataKind.TICKS)).frame
    assert list(ticks.columns) == ["time", "price", "size"]
    assert ticks.iloc[0].tolist()[1:] == [3067.0, 180.0]
    assert ticks["time"].iloc[0] == pd.Timestamp("2015-09-23 20:57:42.146", tz="UTC")
    quotes = import_file(samples / "bidask.csv", ImportOptions(kind=DataKind.QUOTES)).frame
    assert len(quotes) == 10
    assert quotes.iloc[0].tolist()[1:] == [0.5346, 0.5347]
    assert quotes["time"].iloc[0] == pd.Timestamp("2010-02-03 16:53:50", tz="UTC")


def test_bad_rows_are_rejected_with_line_numbers(write_csv) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_file(write_csv(BAD_DAILY), DAILY)
    found = {(i.line, i.problem) for i in caught.value.report.issues}
    assert found == {
        (3, "high below low, open or close"),
        (4, "unparseable number"),
        (5, "negative volume"),
        (7, "timestamp not after the previous row's"),
        (8, "low above open or close"),
        (9, "unparseable timestamp"),
    }
    assert all(i.action is None for i in caught.value.report.issues)


def test_blank_lines_do_not_shift_line_numbers(write_csv) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1,1\n\n\n2020-01-03,1,0.5,0.4,1,1\n"
    with pytest.raises(ImportRejected) as caught:
        import_file(write_csv(text), DAILY)
    assert [i.line for i in caught.value.report.issues] == [5]
    assert caught.value.report.rows_read == 2


def test_a_non_positive_adj_close_is_a_bad_row(write_csv) -> None:
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,2,0.5,1,0,1\n2020-01-03,1,2,0.5,1,0.9,1"
    with pytest.raises(ImportRejected) as caught:
        import_file(write_csv(text), ImportOptions(timeframe=Timeframe.D1, adjust=True))
    assert [(i.line, i.problem) for i in caught.value.report.issues] == [
        (2, "open/high/low/close/adj_close must be positive")
    ]


def test_duplicate_timestamps_are_reported(write_csv) -> None:
    text = """
Date,Open,High,Low,Close,Volume
2020-01-02,10,11,9,10.5,100
2020-01-02,10,11,9,10.6,100
"""
    with pytest.raises(ImportRejected) as caught:
        import_file(write_csv(text), DAILY)
    assert [(i.line, i.problem) for i in caught.value.report.issues] == [(3, "duplicate timestamp")]


def test_repair_drops_or_fixes_and_says_so(write_csv) -> None:
    result = import_file(write_csv(BAD_DAILY), ImportOptions(timeframe=Timeframe.D1, repair=True))
    actions = {i.line: i.action for i in result.report.issues}
    assert actions == {
        3: "high set to the bar's maximum",
        4: "dropped",
        5: "dropped",
        7: "dropped",
        8: "low set to the bar's minimum",
        9: "dropped",
    }
    frame = result.frame
    assert frame["time"].dt.day.tolist() == [2, 3, 7, 8, 9]
    fixed_high = frame.loc[frame["time"].dt.day == 3, "high"].item()
    fixed_low = frame.loc[frame["time"].dt.day == 8, "low"].item()
    assert (fixed_high, fixed_low) == (10.5, 10.0)
    assert result.report.rows_read == 9 and result.report.rows_kept == 5


def test_misaligned_bar_times_are_bad_rows(write_csv) -> None:
    text = """
Datetime,Open,High,Low,Close,Volume
2020-01-02 10:00,10,11,9,10.5,100
2020-01-02 10:07,10,11,9,10.5,100
"""
    with pytest.raises(ImportRejected) as caught:
        import_file(write_csv(text), ImportOptions(timeframe=Timeframe.M5))
    assert [(i.line, i.problem) for i in caught.value.report.issues] == [(3, "time is not a 5m bar open time")]


def test_generic_csv_through_a_column_mapping(write_csv) -> None:
    text = """
ts;px_o;px_h;px_l;px_c;qty
2021-06-01T13:30:00Z;1;2;0.5;1.5;10
"""
    path = write_csv(text.replace(";", ","))
    mapping = mapping_from_text("time=ts,open=px_o,high=px_h,low=px_l,close=px_c,volume=qty")
    result = import_file(path, ImportOptions(timeframe=Timeframe.M30, columns=dict(mapping)))
    assert result.frame.iloc[0].tolist() == [pd.Timestamp("2021-06-01 13:30", tz="UTC"), 1.0, 2.0, 0.5, 1.5, 10.0]


def test_timestamps_with_different_offsets_are_each_converted(write_csv) -> None:
    text = """
Date,Open,High,Low,Close,Volume
2020-01-02T00:00:00+00:00,1,2,0.5,1,1
2020-01-03T01:00:00+01:00,1,2,0.5,1,1
"""
    result = import_file(write_csv(text), DAILY)
    assert result.frame["time"].dt.day.tolist() == [2, 3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a readable CSV file: No columns"),
        ("Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1\n2020-01-03,1,2,0.5,1,1,7", "Expected 6 fields"),
        ("Date,Open,High,Low,Close,Volume", "no valid rows"),
    ],
)
def test_unreadable_files_give_one_line_errors(write_csv, text: str, message: str) -> None:
    path = write_csv(text) if text else write_csv("")
    with pytest.raises(MarketDataError, match=message) as caught:
        import_file(path, DAILY)
    assert "\n" not in str(caught.value)


def test_missing_column_names_the_fix(write_csv) -> None:
    with pytest.raises(MarketDataError, match="--columns close=<header>"):
        import_file(write_csv("Date,Open,High,Low\n2020-01-02,1,2,0.5"), DAILY)


@pytest.mark.parametrize("text", ["time", "time=", "bogus=x"])
def test_bad_mapping_text(text: str) -> None:
    with pytest.raises(MarketDataError):
        mapping_from_text(text)


def test_quotes_with_ask_below_bid_and_day_first_dates(write_csv) -> None:
    text = """
TIMESTAMP,BID,ASK
02/03/2010 16:53:50,1.2,1.3
02/03/2010 16:53:51,1.4,1.3
"""
    with pytest.raises(ImportRejected) as caught:
        import_file(write_csv(text), ImportOptions(kind=DataKind.QUOTES, dayfirst=True))
    assert [(i.line, i.problem) for i in caught.value.report.issues] == [(3, "ask below bid")]
    repaired = import_file(write_csv(text), ImportOptions(kind=DataKind.QUOTES, dayfirst=True, repair=True))
    assert repaired.frame["time"].iloc[0] == pd.Timestamp(datetime(2010, 3, 2, 16, 53, 50, tzinfo=UTC))


def test_ticks_may_share_a_time_but_not_repeat_or_go_back(write_csv) -> None:
    text = """
Datetime,Price,Size
2015-09-23T20:57:42.146,3067,1
2015-09-23T20:57:42.146,3068,2
2015-09-23T20:57:42.146,3068,2
2015-09-23T20:57:41.000,3066,1
"""
    with pytest.raises(ImportRejected) as caught:
        import_file(write_csv(text), ImportOptions(kind=DataKind.TICKS))
    assert [(i.line, i.problem) for i in caught.value.report.issues] == [
        (4, "duplicate row"),
        (5, "timestamp before the previous row's"),
    ]


def test_parquet_input(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2022-01-03", periods=3, freq="D", tz="UTC"),
            "open": [1.0, 2.0, 3.0],
            "high": [1.5, 2.5, 2.0],  # row 3: high below open
            "low": [0.5, 1.5, 2.5],
            "close": [1.2, 2.2, 2.8],
            "volume": [1.0, 2.0, 3.0],
        }
    )
    path = tmp_path / "bars.parquet"
    path.write_bytes(to_parquet_bytes(frame))
    with pytest.raises(ImportRejected) as caught:
        import_file(path, DAILY)
    assert [i.line for i in caught.value.report.issues] == [3]


def test_user_errors(tmp_path: Path, write_csv) -> None:
    with pytest.raises(MarketDataError, match="no such file"):
        import_file(tmp_path / "missing.csv", DAILY)
    with pytest.raises(MarketDataError, match="need a timeframe"):
        import_file(write_csv("Date,Close\n2020-01-01,1"), ImportOptions())
    with pytest.raises(MarketDataError, match="Adj Close"):
        import_file(
            write_csv("Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1"),
            ImportOptions(timeframe=Timeframe.D1, adjust=True),
        )
    corrupt = tmp_path / "x.parquet"
    corrupt.write_bytes(b"not parquet")
    with pytest.raises(MarketDataError, match="not a readable Parquet"):
        import_file(corrupt, DAILY)
    with pytest.raises(ValueError, match="unknown time zone"):
        ImportOptions(timezone="Mars/Olympus")


CORRUPTIONS = {
    "high_below": lambda r: {**r, "High": str(float(r["Low"]) - 0.5)},
    "negative_volume": lambda r: {**r, "Volume": "-3"},
    "unparseable": lambda r: {**r, "Close": "n/a"},
    "bad_date": lambda r: {**r, "Date": "2020-13-45"},
    "zero_price": lambda r: {**r, "Open": "0"},
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    count=st.integers(1, 40),
    damage=st.dictionaries(st.integers(0, 39), st.sampled_from(sorted(CORRUPTIONS)), max_size=12),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_corrupted_line_is_reported_and_repair_leaves_only_valid_bars(
    write_csv, count: int, damage: dict[int, str], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        o, c = rng.uniform(10, 20, 2)
        rows.append({"Date": (pd.Timestamp("2020-01-01") + pd.Timedelta(days=i)).strftime("%Y-%m-%d"),
                     "Open": f"{o:.4f}", "High": f"{max(o, c) + 1:.4f}", "Low": f"{min(o, c) - 1:.4f}",
                     "Close": f"{c:.4f}", "Volume": str(int(rng.integers(0, 1000)))})  # fmt: skip
    damaged = {i: kind for i, kind in damage.items() if i < count}
    for i, kind in damaged.items():
        rows[i] = CORRUPTIONS[kind](rows[i])
    text = "Date,Open,High,Low,Close,Volume\n" + "\n".join(",".join(r.values()) for r in rows)
    path = write_csv(text)
    expected_lines = sorted(i + 2 for i in damaged)
    if damaged:
        with pytest.raises(ImportRejected) as caught:
            import_file(path, DAILY)
        assert sorted(i.line for i in caught.value.report.issues) == expected_lines
    if len(damaged) == count and all(k != "high_below" for k in damaged.values()):
        with pytest.raises(MarketDataError, match="no valid rows"):
            import_file(path, ImportOptions(timeframe=Timeframe.D1, repair=True))
        return
    repaired = import_file(path, ImportOptions(timeframe=Timeframe.D1, repair=True))
    assert sorted(i.line for i in repaired.report.issues) == expected_lines
    kept_fixed = sum(1 for k in damaged.values() if k == "high_below")
    assert len(repaired.frame) == count - len(damaged) + kept_fixed
    for record in repaired.frame.to_dict("records"):
        Bar(symbol="T", timeframe=Timeframe.D1, **record)  # raises if any invariant is broken
