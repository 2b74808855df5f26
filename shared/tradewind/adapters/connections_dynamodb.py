"""WebSocket connections and subscriptions in the `connections` table."""

from __future__ import annotations

from datetime import datetime

from boto3.dynamodb.conditions import Key

from tradewind.adapters.aws import dynamodb_table
from tradewind.auth.principal import Principal
from tradewind.realtime.connections import Connection

META = "CONNECTION"
TOPIC_PREFIX = "TOPIC#"
TOPIC_INDEX = "by-topic"


class DynamoConnectionStore:
    def __init__(self, table_name: str) -> None:
        self._table = dynamodb_table(table_name)

    def put(self, connection: Connection) -> None:
        self._table.put_item(
            Item={
                "connection_id": connection.connection_id,
                "sk": META,
                "user_id": connection.principal.user_id,
                "email": connection.principal.email,
                "groups": sorted(connection.principal.groups),
                "connected_at": connection.connected_at.isoformat(),
                "expires_at": connection.expires_at,
            }
        )

    def get(self, connection_id: str) -> Connection | None:
        item = self._table.get_item(Key={"connection_id": connection_id, "sk": META}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        return Connection(
            connection_id=connection_id,
            principal=Principal(user_id=item["user_id"], email=item["email"], groups=frozenset(item["groups"])),
            connected_at=datetime.fromisoformat(item["connected_at"]),
            expires_at=int(item["expires_at"]),
        )

    def _keys(self, connection_id: str) -> list[str]:
        response = self._table.query(
            KeyConditionExpression=Key("connection_id").eq(connection_id),
            ProjectionExpression="sk",
            ConsistentRead=True,
        )
        return [item["sk"] for item in response["Items"]]

    def delete(self, connection_id: str) -> None:
        with self._table.batch_writer() as batch:
            for sk in self._keys(connection_id):
                batch.delete_item(Key={"connection_id": connection_id, "sk": sk})

    def topics(self, connection_id: str) -> set[str]:
        return {sk.removeprefix(TOPIC_PREFIX) for sk in self._keys(connection_id) if sk.startswith(TOPIC_PREFIX)}

    def subscribe(self, connection_id: str, topics: list[str], expires_at: int) -> None:
        with self._table.batch_writer(overwrite_by_pkeys=["connection_id", "sk"]) as batch:
            for topic in topics:
                batch.put_item(
                    Item={
                        "connection_id": connection_id,
                        "sk": TOPIC_PREFIX + topic,
                        "topic": topic,
                        "expires_at": expires_at,
                    }
                )

    def unsubscribe(self, connection_id: str, topics: list[str]) -> None:
        with self._table.batch_writer(overwrite_by_pkeys=["connection_id", "sk"]) as batch:
            for topic in topics:
                batch.delete_item(Key={"connection_id": connection_id, "sk": TOPIC_PREFIX + topic})

    def subscribers(self, topic: str) -> list[str]:
        ids: list[str] = []
        kwargs = {"IndexName": TOPIC_INDEX, "KeyConditionExpression": Key("topic").eq(topic)}
        while True:
            page = self._table.query(**kwargs)
            ids.extend(item["connection_id"] for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return ids
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
