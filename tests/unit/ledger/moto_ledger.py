"""The ledger's DynamoDB tables in moto, created from the same specs the CDK app deploys."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from tradewind.adapters.ledger_dynamodb import DynamoLedgerRepository
from tradewind.adapters.ledger_records_dynamodb import DynamoRecordStore
from tradewind.resources import TABLES

STAGE = "test"
LEDGER_TABLE = TABLES["ledger"].physical(STAGE)
AUDIT_TABLE = TABLES["accounts"].physical(STAGE)


def create_tables(client: Any) -> None:
    for logical in ("ledger", "accounts"):
        client.create_table(**TABLES[logical].create_table_args(STAGE))


def ports(client: Any) -> tuple[DynamoLedgerRepository, DynamoRecordStore]:
    return DynamoLedgerRepository(LEDGER_TABLE, AUDIT_TABLE, client), DynamoRecordStore(LEDGER_TABLE, client)


class SerializedClient:
    """A boto3 client whose calls run one at a time.

    DynamoDB applies each request atomically; moto's in-process backend does not
    when called from many threads (its dictionaries change under iteration). One
    lock per call restores DynamoDB's per-request atomicity while the application's
    own read-check-write sequences still interleave freely between threads.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(*args, **kwargs)

        return call


@contextmanager
def moto_ledger() -> Iterator[tuple[Any, DynamoLedgerRepository, DynamoRecordStore]]:
    with mock_aws():
        client = SerializedClient(boto3.client("dynamodb", region_name="us-east-1"))
        create_tables(client)
        yield (client, *ports(client))
