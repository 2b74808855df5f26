"""The `RecordStore` port on the ledger table: JSON documents with a version and optional GSI keys.

Payments and funds keep their workflow documents next to the ledger under their
own key prefixes (`DEP#`, `WD#`, `SCHED#`, `POOL#`...), so one table, one backup
and one set of IAM permissions cover all money data.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tradewind.adapters import aws
from tradewind.ledger.records import IndexKey, StoredRecord

INDEX = "by-owner"


def _conditional_failed(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


class DynamoRecordStore:
    def __init__(self, table: str, client: Any = None) -> None:
        self._table = table
        self._db = client if client is not None else aws.client("dynamodb")

    def _item(self, pk: str, sk: str, data: dict[str, Any], version: int, index: IndexKey | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            "doc": {"S": json.dumps(data, separators=(",", ":"))},
            "ver": {"N": str(version)},
        }
        if index is not None:
            item["gsi1pk"] = {"S": index.pk}
            item["gsi1sk"] = {"S": index.sk}
        return item

    @staticmethod
    def _record(item: dict[str, Any]) -> StoredRecord:
        return StoredRecord(item["pk"]["S"], item["sk"]["S"], json.loads(item["doc"]["S"]), int(item["ver"]["N"]))

    def create(self, pk: str, sk: str, data: dict[str, Any], index: IndexKey | None = None) -> bool:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=self._item(pk, sk, data, 1, index),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def get(self, pk: str, sk: str) -> StoredRecord | None:
        item = self._db.get_item(
            TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return None if item is None else self._record(item)

    def update(
        self, pk: str, sk: str, data: dict[str, Any], expected_version: int, index: IndexKey | None = None
    ) -> bool:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=self._item(pk, sk, data, expected_version + 1, index),
                ConditionExpression="ver = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def query(self, pk: str, sk_prefix: str = "") -> list[StoredRecord]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":p": {"S": sk_prefix}},
            "ConsistentRead": True,
        }
        records: list[StoredRecord] = []
        while True:
            page = self._db.query(**kwargs)
            records += [self._record(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return records
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def query_index(self, index_pk: str, upto: str, limit: int) -> list[StoredRecord]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk <= :upto",
            "ExpressionAttributeValues": {":pk": {"S": index_pk}, ":upto": {"S": upto}},
        }
        keys: list[tuple[str, str]] = []
        while len(keys) < limit:
            page = self._db.query(**kwargs, Limit=limit - len(keys))
            keys += [(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        # The index is eventually consistent: re-read each document from the table.
        found = (self.get(pk, sk) for pk, sk in keys)
        return [record for record in found if record is not None]
