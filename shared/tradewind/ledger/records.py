"""A small versioned document store: the port behind payment, schedule and fund records.

Payments and funds keep their workflow state (deposits, withdrawals, schedules, fund
orders, NAV history) as documents next to the ledger. Creation is conditional (a
natural idempotency key) and updates are optimistic on a version number, which is
all their state machines need. Implementations: `tradewind.ledger.memory` and
`tradewind.adapters.ledger_records_dynamodb`.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol


class IndexKey(NamedTuple):
    """Keys of the table's one secondary index, used for 'what is due before T' queries."""

    pk: str
    sk: str


class StoredRecord(NamedTuple):
    pk: str
    sk: str
    data: dict[str, Any]
    version: int


class RecordStore(Protocol):
    def create(self, pk: str, sk: str, data: dict[str, Any], index: IndexKey | None = None) -> bool:
        """Store a new document; False if (pk, sk) already exists (nothing is changed)."""
        ...

    def get(self, pk: str, sk: str) -> StoredRecord | None: ...

    def update(
        self, pk: str, sk: str, data: dict[str, Any], expected_version: int, index: IndexKey | None = None
    ) -> bool:
        """Replace the document if its version is still `expected_version`; False otherwise.

        `index` replaces the document's index keys; None takes it out of the index.
        """
        ...

    def query(self, pk: str, sk_prefix: str = "") -> list[StoredRecord]:
        """Every document of a partition whose sort key starts with the prefix, ascending."""
        ...

    def query_index(self, index_pk: str, upto: str, limit: int) -> list[StoredRecord]:
        """Documents whose index partition is `index_pk` and index sort key <= `upto`, ascending."""
        ...
