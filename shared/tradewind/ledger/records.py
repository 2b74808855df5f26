"""A small versioned document store: the port behind payment, schedule and fund records.

Payments and funds keep their workflow state (deposits, withdrawals, schedules, fund
orders, NAV history) as documents next to the ledger. Creation is conditional (a
natural idempotency key) and updates are optimistic on a version number, which is
all their state machines need. Implementations: `tradewind.ledger.memory` and
`tradewind.adapters.ledger_records_dynamodb`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, TypeVar

from pydantic import BaseModel


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


M = TypeVar("M", bound=BaseModel)


class RecordMissingError(LookupError):
    """The document to change does not exist."""


def load(store: RecordStore, pk: str, sk: str, model: type[M]) -> M | None:
    record = store.get(pk, sk)
    return None if record is None else model.model_validate(record.data)


def mutate(
    store: RecordStore,
    pk: str,
    sk: str,
    model: type[M],
    change: Callable[[M], M],
    *,
    index_of: Callable[[M], IndexKey | None] = lambda _: None,
) -> M:
    """Apply `change` to a document with optimistic concurrency, retrying on a lost race.

    `change` must be a pure function of the document: it may run more than once.
    """
    while True:
        record = store.get(pk, sk)
        if record is None:
            raise RecordMissingError(f"{pk}/{sk}")
        current = model.model_validate(record.data)
        updated = change(current)
        if updated == current:
            return current
        if store.update(pk, sk, updated.model_dump(mode="json"), record.version, index_of(updated)):
            return updated
