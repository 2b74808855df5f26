"""The record store's contract, on memory and on DynamoDB (moto): conditional create, optimistic update, index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.ledger.moto_ledger import moto_ledger
from tradewind.ledger.memory import InMemoryRecordStore
from tradewind.ledger.records import IndexKey, RecordMissingError, RecordStore, mutate
from tradewind.ledger.service import AdminTransferRequest


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[RecordStore]:
    if request.param == "memory":
        yield InMemoryRecordStore()
        return
    with moto_ledger() as (_, _repo, dynamo_store):
        yield dynamo_store


def test_create_is_conditional_and_update_is_optimistic(store: RecordStore) -> None:
    assert store.create("DOC#1", "DOC", {"n": 1})
    assert not store.create("DOC#1", "DOC", {"n": 99})
    first = store.get("DOC#1", "DOC")
    assert first is not None and (first.data, first.version) == ({"n": 1}, 1)
    assert store.update("DOC#1", "DOC", {"n": 2}, expected_version=1)
    assert not store.update("DOC#1", "DOC", {"n": 3}, expected_version=1)  # lost the race
    assert store.get("DOC#1", "DOC") == ("DOC#1", "DOC", {"n": 2}, 2)
    assert store.get("DOC#2", "DOC") is None


def test_query_by_prefix_and_the_due_index(store: RecordStore) -> None:
    for i in range(5):
        store.create("P#1", f"ORDER#{i}", {"i": i}, IndexKey("DUE", f"2026-01-0{i + 1}#{i}"))
    store.create("P#1", "OTHER", {"i": -1})
    assert [r.data["i"] for r in store.query("P#1", "ORDER#")] == [0, 1, 2, 3, 4]
    assert [r.data["i"] for r in store.query_index("DUE", "2026-01-04", limit=10)] == [0, 1, 2]
    assert [r.data["i"] for r in store.query_index("DUE", "2026-01-09", limit=2)] == [0, 1]
    store.update("P#1", "ORDER#0", {"i": 0}, expected_version=1, index=None)  # leaves the index
    assert [r.data["i"] for r in store.query_index("DUE", "2026-01-09", limit=10)] == [1, 2, 3, 4]


def test_mutate_retries_a_change_that_lost_a_race(store: RecordStore) -> None:
    model = AdminTransferRequest(
        id="a", actor="ops", reason="a reason long enough", from_account="x", to_account="y", amount=1, currency="USD"
    )
    store.create("M#1", "M", model.model_dump(mode="json"))
    calls: list[int] = []

    def add_one(m: AdminTransferRequest) -> AdminTransferRequest:
        if not calls:  # a concurrent writer gets in between this read and its write
            store.update("M#1", "M", m.model_copy(update={"amount": 100}).model_dump(mode="json"), expected_version=1)
        calls.append(m.amount)
        return m.model_copy(update={"amount": m.amount + 1})

    assert mutate(store, "M#1", "M", AdminTransferRequest, add_one).amount == 101
    assert calls == [1, 100]
    with pytest.raises(RecordMissingError):
        mutate(store, "M#2", "M", AdminTransferRequest, add_one)
