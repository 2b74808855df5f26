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
