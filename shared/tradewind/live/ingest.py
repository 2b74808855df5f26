"""Ingest of market-data records: keep the latest trade per symbol, exactly once.

Kinesis delivers at least once and, across retries and bisection, out of
order; the store therefore only moves forward (newer timestamp, or the same
timestamp with a higher sequence number), which makes a replay a no-op.
"""

from __future__ import annotations

from typing import Protocol

from tradewind.live.messages import TradeMessage

# Kinesis sequence numbers are decimal strings of varying length; zero-padding makes
# string order equal numeric order, and they exceed DynamoDB's 38-digit numbers.
SEQUENCE_WIDTH = 128


class LatestTradeStore(Protocol):
    def advance(self, trade: TradeMessage, position: str) -> bool:
        """Store the trade if it is newer than the stored one; True if it was stored."""
        ...


def stream_position(sequence_number: str) -> str:
    if not sequence_number.isdigit():
        raise ValueError(f"not a Kinesis sequence number: {sequence_number!r}")
    return sequence_number.zfill(SEQUENCE_WIDTH)


class IngestService:
    def __init__(self, store: LatestTradeStore) -> None:
        self._store = store

    def ingest(self, raw: str, sequence_number: str) -> bool:
        """Validate one record and apply it; raises pydantic.ValidationError on a bad record."""
        trade = TradeMessage.model_validate_json(raw)
        return self._store.advance(trade, stream_position(sequence_number))
