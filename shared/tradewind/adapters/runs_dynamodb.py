"""Runs in the `runs` table, listed by status through the `by-status` index."""

from __future__ import annotations

from botocore.exceptions import ClientError

from tradewind.adapters.aws import dynamodb_table
from tradewind.runs.models import RunRecord


class DynamoRunStore:
    def __init__(self, table_name: str) -> None:
        self._table = dynamodb_table(table_name)

    def create(self, record: RunRecord) -> RunRecord:
        try:
            self._table.put_item(Item=_item(record), ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = self.get(record.request.run_id)
            assert stored is not None  # the condition failed because it exists
            return stored
        return record

    def save(self, record: RunRecord) -> None:
        self._table.put_item(Item=_item(record))

    def get(self, run_id: str) -> RunRecord | None:
        item = self._table.get_item(Key={"pk": f"RUN#{run_id}", "sk": "RUN"}, ConsistentRead=True).get("Item")
        return None if item is None else RunRecord.model_validate_json(item["record"])


def _item(record: RunRecord) -> dict[str, str]:
    return {
        "pk": f"RUN#{record.request.run_id}",
        "sk": "RUN",
        "gsi1pk": f"STATUS#{record.status}",
        "gsi1sk": record.created_at.isoformat(),
        "record": record.model_dump_json(),
    }
