"""The Kinesis consumer: partial batch failures, exactly-once and ordering on moto."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.support.lambda_runtime import FakeLambdaContext, kinesis_event
from tradewind.adapters.market_state_dynamodb import DynamoLatestTradeStore
from tradewind.settings import get_settings

pytestmark = pytest.mark.usefixtures("moto_aws")

STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/tradewind-test-market-data"


def _trade(symbol: str, ts: str, price: str, size: str = "10") -> bytes:
    return json.dumps({"symbol": symbol, "ts": ts, "price": price, "size": size}).encode()


def _consume(records: list[tuple[str, bytes]]) -> dict[str, Any]:
    from functions.market_data_consumer.handler import handler

    return handler(kinesis_event(records, STREAM_ARN), FakeLambdaContext())


def _latest(symbol: str) -> tuple[str, Decimal] | None:
    trade = DynamoLatestTradeStore(get_settings().table("market-state")).latest(symbol)
    return None if trade is None else (trade.ts.isoformat(), trade.price)


def test_a_poison_record_fails_alone() -> None:
    response = _consume(
        [
            ("100", _trade("NVDA", "2026-11-25T14:30:00+00:00", "181.25")),
            ("101", b"{not json"),
            ("102", _trade("AAPL", "2026-11-25T14:30:01+00:00", "230.10")),
        ]
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "101"}]}
    assert _latest("NVDA") == ("2026-11-25T14:30:00+00:00", Decimal("181.25"))
    assert _latest("AAPL") == ("2026-11-25T14:30:01+00:00", Decimal("230.10"))


@pytest.mark.parametrize(
    "bad",
    [
        {"symbol": "NVDA", "ts": "2026-11-25T14:30:00", "price": "1", "size": "1"},
        {"symbol": "NVDA", "ts": "2026-11-25T14:30:00Z", "price": "-1", "size": "1"},
        {"symbol": "nvda lower", "ts": "2026-11-25T14:30:00Z", "price": "1", "size": "1"},
        {"symbol": "NVDA", "ts": "2026-11-25T14:30:00Z", "price": "1", "size": "1", "extra": 1},
    ],
    ids=["naive-timestamp", "negative-price", "bad-symbol", "unknown-field"],
)
def test_invalid_trades_are_reported_not_stored(bad: dict[str, Any]) -> None:
    response = _consume([("200", json.dumps(bad).encode()), ("201", _trade("AAPL", "2026-11-25T14:30:00Z", "1"))])
    assert response == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    assert _latest("NVDA") is None


def test_a_batch_that_fails_entirely_raises_so_the_mapping_retries_and_bisects() -> None:
    with pytest.raises(BatchProcessingError):
        _consume([("400", b"[]"), ("401", b"")])


def test_redelivery_and_late_records_never_move_the_latest_trade_back() -> None:
    newer = ("301", _trade("NVDA", "2026-11-25T14:30:05+00:00", "182.00"))
    older = ("300", _trade("NVDA", "2026-11-25T14:30:04+00:00", "181.00"))
    assert _consume([newer]) == {"batchItemFailures": []}
    assert _consume([older, newer]) == {"batchItemFailures": []}
    assert _latest("NVDA") == ("2026-11-25T14:30:05+00:00", Decimal("182.00"))


def test_same_timestamp_is_ordered_by_sequence_number() -> None:
    _consume([("9000000000000000000000000000000000000000000000000001", _trade("NVDA", "2026-11-25T14:30:00Z", "2"))])
    _consume([("900", _trade("NVDA", "2026-11-25T14:30:00Z", "1"))])
    assert _latest("NVDA") == ("2026-11-25T14:30:00+00:00", Decimal("2"))
