from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from tradewind.adapters.market_store_local import LocalBlobStore, local_market_store
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.models import Adjustment, DataKind, SeriesKey
from tradewind.marketdata.store import MarketStore
from tradewind.marketdata.timeframe import Timeframe

DAILY = SeriesKey(symbol="NVDA", timeframe=Timeframe.D1)


def bars(start: str, periods: int, base: float = 10.0) -> pd.DataFrame:
    closes = [base + i for i in range(periods)]
    return pd.DataFrame(
        {
            "time": pd.date_range(start, periods=periods, freq="D", tz="UTC"),
            "open": closes,
            "high": [c + 1 for c in closes],
            "low": [c - 1 for c in closes],
            "close": closes,
            "volume": [100.0] * periods,
        }
    )


class FailingBlobStore(LocalBlobStore):
    """A real folder store whose n-th put raises, as a full disk or a dropped connection would."""

    def __init__(self, root: Path, fail_on_put: int) -> None:
        super().__init__(root)
        self.puts = 0
        self.fail_on_put = fail_on_put

    def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        if self.puts == self.fail_on_put:
            raise OSError("disk full")
        super().put(key, data)


def test_round_trip_partitions_by_year(tmp_path: Path) -> None:
    store = local_market_store(tmp_path)
    frame = bars("2020-12-30", 4)
    meta = store.write(DAILY, frame, source="test.csv", adjustment=Adjustment.NONE)
    assert meta.years == (2020, 2021)
    assert meta.rows == 4
    assert meta.first == datetime(2020, 12, 30, tzinfo=UTC) and meta.last == datetime(2021, 1, 2, tzinfo=UTC)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == [f"NVDA/1d/{meta.version}/2020.parquet", f"NVDA/1d/{meta.version}/2021.parquet"]
    pd.testing.assert_frame_equal(store.read(DAILY), frame.assign(time=frame["time"].dt.as_unit("ns")))


def test_read_range_is_inclusive(tmp_path: Path) -> None:
    store = local_market_store(tmp_path)
    store.write(DAILY, bars("2020-12-30", 5), source="t", adjustment=Adjustment.NONE)
    got = store.read(DAILY, datetime(2020, 12, 31, tzinfo=UTC), datetime(2021, 1, 2, tzinfo=UTC))
    assert got["time"].dt.day.tolist() == [31, 1, 2]
    assert store.read(DAILY, datetime(2030, 1, 1, tzinfo=UTC)).empty


def test_a_second_import_replaces_its_range_and_keeps_the_rest(tmp_path: Path) -> None:
    store = local_market_store(tmp_path)
    first = store.write(DAILY, bars("2021-01-01", 5), source="a", adjustment=Adjustment.NONE)
    second = store.write(DAILY, bars("2021-01-04", 4, base=50.0), source="b", adjustment=Adjustment.NONE)
    stored = store.read(DAILY)
    assert stored["close"].tolist() == [10.0, 11.0, 12.0, 50.0, 51.0, 52.0, 53.0]
    assert second.rows == 7 and second.source == "b"
    assert not (tmp_path / "NVDA" / "1d" / first.version).exists()


def test_mixing_adjustments_is_refused(tmp_path: Path) -> None:
    store = local_market_store(tmp_path)
    store.write(DAILY, bars("2021-01-01", 3), source="a", adjustment=Adjustment.BACK_ADJUSTED)
    with pytest.raises(MarketDataError, match="adjustment"):
        store.write(DAILY, bars("2021-02-01", 3), source="b", adjustment=Adjustment.NONE)


@pytest.mark.parametrize("fail_on_put", [1, 2, 3])
def test_a_failed_write_leaves_the_store_as_it_was(tmp_path: Path, fail_on_put: int) -> None:
    local_market_store(tmp_path).write(DAILY, bars("2020-12-20", 5), source="a", adjustment=Adjustment.NONE)
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    # Two year partitions, then the metadata: every put can be the one that fails.
    failing = MarketStore(FailingBlobStore(tmp_path, fail_on_put))
    with pytest.raises(OSError, match="disk full"):
        failing.write(DAILY, bars("2020-12-29", 5, base=90.0), source="b", adjustment=Adjustment.NONE)
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    assert local_market_store(tmp_path).read(DAILY)["close"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]


def test_list_series_and_kinds(tmp_path: Path) -> None:
    store = local_market_store(tmp_path)
    store.write(DAILY, bars("2021-01-01", 2), source="a", adjustment=Adjustment.NONE)
    ticks = SeriesKey(symbol="NVDA", kind=DataKind.TICKS)
    tick_frame = pd.DataFrame(
        {"time": pd.date_range("2021-01-01", periods=3, freq="s", tz="UTC"), "price": [1.0, 2, 3], "size": [1.0] * 3}
    )
    store.write(ticks, tick_frame, source="t", adjustment=Adjustment.NONE)
    assert [str(m.key) for m in store.list_series()] == ["NVDA/1d", "NVDA/ticks"]
    assert store.read(ticks)["price"].tolist() == [1.0, 2.0, 3.0]


def test_unknown_series_and_escaping_keys(tmp_path: Path) -> None:
    store = local_market_store(tmp_path)
    with pytest.raises(MarketDataError, match="no stored series"):
        store.read(DAILY)
    assert store.list_series() == []
    with pytest.raises(ValueError, match="escapes"):
        LocalBlobStore(tmp_path).put("../outside", b"x")
