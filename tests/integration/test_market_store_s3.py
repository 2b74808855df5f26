"""The S3 adapter of the market-data lake, on moto."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from tradewind.adapters.market_store_s3 import S3BlobStore, s3_market_store
from tradewind.marketdata.models import Adjustment, SeriesKey
from tradewind.marketdata.store import MarketStore
from tradewind.marketdata.timeframe import Timeframe
from tradewind.settings import Settings

DAILY = SeriesKey(symbol="NVDA", timeframe=Timeframe.D1)
BUCKET = Settings().bucket("market-lake")


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


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def keys(client: Any) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_round_trip_with_year_partitions_under_a_prefix(s3: Any) -> None:
    store = s3_market_store(BUCKET, prefix="lake", client=s3)
    meta = store.write(DAILY, bars("2020-12-30", 4), source="test", adjustment=Adjustment.BACK_ADJUSTED)
    assert keys(s3) == sorted(
        [
            f"lake/NVDA/1d/{meta.version}/2020.parquet",
            f"lake/NVDA/1d/{meta.version}/2021.parquet",
            "lake/NVDA/1d/_meta.json",
        ]
    )
    again = s3_market_store(BUCKET, prefix="lake", client=s3)
    assert again.metadata(DAILY) == meta
    got = again.read(DAILY, start=datetime(2020, 12, 31, tzinfo=UTC))
    assert got["close"].tolist() == [11.0, 12.0, 13.0]
    assert [str(m.key) for m in again.list_series()] == ["NVDA/1d"]


def test_rewrite_removes_the_superseded_version(s3: Any) -> None:
    store = s3_market_store(BUCKET, client=s3)
    first = store.write(DAILY, bars("2021-01-01", 3), source="a", adjustment=Adjustment.NONE)
    second = store.write(DAILY, bars("2021-01-03", 3, base=50.0), source="b", adjustment=Adjustment.NONE)
    assert not [k for k in keys(s3) if first.version in k]
    assert store.read(DAILY)["close"].tolist() == [10.0, 11.0, 50.0, 51.0, 52.0]
    assert second.rows == 5


class FailingS3(S3BlobStore):
    """The real S3 adapter whose second put fails, as a throttled or dropped request would."""

    def __init__(self, client: Any) -> None:
        super().__init__(BUCKET, client=client)
        self.puts = 0

    def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        if self.puts == 2:
            raise ConnectionError("connection reset")
        super().put(key, data)


def test_a_failed_write_leaves_the_bucket_as_it_was(s3: Any) -> None:
    s3_market_store(BUCKET, client=s3).write(DAILY, bars("2020-12-20", 5), source="a", adjustment=Adjustment.NONE)
    before = {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys(s3)}
    with pytest.raises(ConnectionError):
        MarketStore(FailingS3(s3)).write(DAILY, bars("2020-12-29", 5, 90.0), source="b", adjustment=Adjustment.NONE)
    assert {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys(s3)} == before


def test_missing_objects_read_as_absent(s3: Any) -> None:
    blobs = S3BlobStore(BUCKET, client=s3)
    assert blobs.get("nothing/here") is None
    assert blobs.list("nothing/") == []
    blobs.delete([])
