"""Latest trade per symbol in the `market-state` table."""

from __future__ import annotations

from botocore.exceptions import ClientError

from tradewind.adapters.aws import dynamodb_table
from tradewind.live.messages import TradeMessage


class DynamoLatestTradeStore:
    def __init__(self, table_name: str) -> None:
        self._table = dynamodb_table(table_name)

    def advance(self, trade: TradeMessage, position: str) -> bool:
        ts = trade.ts.isoformat(timespec="microseconds")
        try:
            self._table.put_item(
                Item={
                    "pk": f"SYMBOL#{trade.symbol}",
                    "sk": "LATEST_TRADE",
                    "symbol": trade.symbol,
                    "ts": ts,
                    "price": trade.price,
                    "size": trade.size,
                    "position": position,
                },
                ConditionExpression="attribute_not_exists(pk) OR #ts < :ts OR (#ts = :ts AND #pos < :pos)",
                ExpressionAttributeNames={"#ts": "ts", "#pos": "position"},
                ExpressionAttributeValues={":ts": ts, ":pos": position},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def latest(self, symbol: str) -> TradeMessage | None:
        item = self._table.get_item(Key={"pk": f"SYMBOL#{symbol}", "sk": "LATEST_TRADE"}, ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            return None
        return TradeMessage(symbol=item["symbol"], ts=item["ts"], price=item["price"], size=item["size"])


class StaleEngineStateError(Exception):
    """Another invocation saved the engine since this one loaded it."""


class DynamoLiveEngineStore:
    """Live indicator engines between Lambda invocations, one item per (symbol, timeframe, set).

    Saves are conditional on the version that was loaded, so two consumers that
    raced on the same shard cannot silently overwrite each other's bars.
    """

    def __init__(self, table_name: str) -> None:
        self._table = dynamodb_table(table_name)

    @staticmethod
    def _key(symbol: str, timeframe: str, name: str) -> dict[str, str]:
        return {"pk": f"SYMBOL#{symbol}", "sk": f"ENGINE#{timeframe}#{name}"}

    def load(self, symbol: str, timeframe: str, name: str) -> tuple[bytes, int] | None:
        """The engine's snapshot and the version to save against, or None if none is stored."""
        item = self._table.get_item(Key=self._key(symbol, timeframe, name), ConsistentRead=True).get("Item")
        if item is None:
            return None
        return bytes(item["snapshot"]), int(item["version"])

    def save(self, symbol: str, timeframe: str, name: str, snapshot: bytes, loaded_version: int | None) -> int:
        version = (loaded_version or 0) + 1
        condition = "attribute_not_exists(pk)" if loaded_version is None else "version = :loaded"
        values = {} if loaded_version is None else {":loaded": loaded_version}
        try:
            self._table.put_item(
                Item={**self._key(symbol, timeframe, name), "snapshot": snapshot, "version": version},
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleEngineStateError(f"{symbol} {timeframe} {name}: saved by someone else") from exc
            raise
        return version
