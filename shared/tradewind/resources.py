"""The names and key schemas of every AWS resource, defined once.

The CDK constructs, the local cloud and the tests all read these specs, so a
table key or a stream name can never drift between what is deployed, what runs
on a laptop and what the tests exercise. Physical names carry the stage
(`dev`, `prod`, `local`) so that two environments can share one account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AttrType = Literal["S", "N", "B"]

APP = "tradewind"


@dataclass(frozen=True)
class Key:
    name: str
    type: AttrType = "S"


@dataclass(frozen=True)
class Index:
    name: str
    partition: Key
    sort: Key | None = None


@dataclass(frozen=True)
class TableSpec:
    logical: str
    partition: Key
    sort: Key | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: bool = False
    purpose: str = ""

    def physical(self, stage: str) -> str:
        return physical_name(stage, self.logical)

    def create_table_args(self, stage: str) -> dict[str, object]:
        """The DynamoDB CreateTable request for this table (on-demand), as the local
        cloud and the tests create it; the CDK construct builds the same keys."""
        keys = [self.partition, *([self.sort] if self.sort else [])]
        for index in self.indexes:
            keys += [index.partition, *([index.sort] if index.sort else [])]
        attributes = {key.name: key.type for key in keys}
        args: dict[str, object] = {
            "TableName": self.physical(stage),
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
            "KeySchema": _key_schema(self.partition, self.sort),
        }
        if self.indexes:
            args["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": i.name,
                    "KeySchema": _key_schema(i.partition, i.sort),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for i in self.indexes
            ]
        return args


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


@dataclass(frozen=True)
class StreamSpec:
    logical: str
    shards: int
    retention_hours: int = 24
    purpose: str = ""

    def physical(self, stage: str) -> str:
        return physical_name(stage, self.logical)


@dataclass(frozen=True)
class BucketSpec:
    logical: str
    versioned: bool
    purpose: str = ""

    def physical(self, stage: str, account: str) -> str:
        # Bucket names are global: the account id keeps them unique.
        return f"{physical_name(stage, self.logical)}-{account}"


@dataclass(frozen=True)
class QueueSpec:
    logical: str
    purpose: str = ""

    def physical(self, stage: str) -> str:
        return physical_name(stage, self.logical)


@dataclass(frozen=True)
class StateMachineSpec:
    logical: str
    purpose: str = ""

    def physical(self, stage: str) -> str:
        return physical_name(stage, self.logical)


def physical_name(stage: str, logical: str) -> str:
    return f"{APP}-{stage}-{logical}"


PK = Key("pk")
SK = Key("sk")

TABLES: dict[str, TableSpec] = {
    spec.logical: spec
    for spec in (
        TableSpec("strategies", PK, SK, purpose="strategy documents and their versions"),
        TableSpec(
            "runs",
            PK,
            SK,
            indexes=(Index("by-status", Key("gsi1pk"), Key("gsi1sk")),),
            purpose="backtest, paper and live runs with status and metrics",
        ),
        TableSpec(
            "orders",
            PK,
            SK,
            indexes=(Index("by-client-id", Key("client_order_id")),),
            purpose="orders and fills",
        ),
        TableSpec("positions", PK, SK, purpose="open positions per strategy run"),
        TableSpec(
            "ledger",
            PK,
            SK,
            indexes=(Index("by-owner", Key("gsi1pk"), Key("gsi1sk")),),
            purpose="accounts, balances, journal entries and transfers",
        ),
        TableSpec(
            "accounts",
            PK,
            SK,
            indexes=(Index("by-email", Key("email")),),
            purpose="users, profiles and audit records",
        ),
        TableSpec(
            "idempotency",
            Key("id"),
            ttl_attribute="expiration",
            purpose="Powertools idempotency records",
        ),
        TableSpec(
            "connections",
            Key("connection_id"),
            SK,
            # One item per connection (sk "CONNECTION") and one per subscription
            # (sk "TOPIC#<topic>", with `topic` set, so the index lists a topic's sockets).
            indexes=(Index("by-topic", Key("topic"), Key("connection_id")),),
            ttl_attribute="expires_at",
            purpose="WebSocket connections and their subscriptions",
        ),
        TableSpec("market-state", PK, SK, purpose="live bar and indicator engine state per symbol"),
    )
}

MARKET_DATA_STREAM = StreamSpec("market-data", shards=2, purpose="ticks and bars, partition key = symbol")

BUCKETS: dict[str, BucketSpec] = {
    spec.logical: spec
    for spec in (
        BucketSpec("market-lake", versioned=True, purpose="Parquet by symbol/timeframe/year"),
        BucketSpec("reports", versioned=True, purpose="backtest reports"),
        BucketSpec("web", versioned=False, purpose="the admin and investor web apps"),
    )
}

MARKET_DATA_DLQ = QueueSpec("market-data-dlq", purpose="Kinesis records the consumer could not process")

BACKTEST_STATE_MACHINE = StateMachineSpec("backtest", purpose="backtest jobs")

USER_GROUPS: tuple[str, ...] = ("admin", "investor")


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function: its code lives in `functions/<folder>/handler.py`."""

    logical: str
    layers: tuple[str, ...] = ("core",)
    memory_mb: int = 512
    timeout_s: int = 30
    purpose: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    # A container image built from `functions/<folder>/Dockerfile` (no layers): for
    # dependencies beyond the 250 MB zip limit, such as numba (docs/deploy.md).
    image: bool = False

    @property
    def folder(self) -> str:
        return self.logical.replace("-", "_")

    @property
    def handler(self) -> str:
        """The Lambda handler string. A function's code asset keeps the package path
        (`functions/__init__.py` + `functions/<folder>/**`), so a handler imports its
        sibling modules as `functions.<folder>.x` on Lambda exactly as it does locally."""
        return f"functions.{self.folder}.handler.handler"

    def physical(self, stage: str) -> str:
        return physical_name(stage, self.logical)


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.logical: spec
    for spec in (
        FunctionSpec("api", purpose="REST API: /v1/*"),
        FunctionSpec("ws-authorizer", purpose="WebSocket $connect authorizer (Cognito JWT)"),
        FunctionSpec("ws-connect", purpose="WebSocket $connect: store the connection"),
        FunctionSpec("ws-disconnect", purpose="WebSocket $disconnect: drop the connection"),
        FunctionSpec("ws-default", purpose="WebSocket messages: subscribe / unsubscribe / ping"),
        FunctionSpec(
            "market-data-consumer",
            layers=("core", "numeric"),
            memory_mb=1024,
            timeout_s=60,
            purpose="Kinesis consumer: bars, indicators, signals",
        ),
        FunctionSpec(
            "backtest-task", layers=("core", "numeric"), timeout_s=300, purpose="backtest workflow: validate, fail"
        ),
        FunctionSpec(
            "backtest-worker",
            layers=(),
            memory_mb=2048,
            timeout_s=900,
            image=True,
            purpose="backtest workflow: load, one chunk of the sweep, aggregate (numba)",
        ),
        FunctionSpec("payments-webhook", purpose="PelicanPay webhooks: public, HMAC-verified, idempotent"),
    )
}

# REST API: the deployment stage is the API version, so URLs read
# `https://<api-host>/v1/health`. Resources are declared WITHOUT the stage
# (`/health`, `/{proxy+}`), and the proxy event's `path` excludes it too
# (`/health`; `requestContext.path` is `/v1/health`), exactly as API Gateway
# does. Every resource is served by the `api` function behind the Cognito
# authorizer, except these public routes: (method, resource path) -> the
# function that serves it. Webhooks prove themselves by signature, not by token.
API_STAGE = "v1"
PUBLIC_API_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/health"): "api",
    ("POST", "/webhooks/pelicanpay"): "payments-webhook",
}
# WebSocket clients pass their ID token as this query-string parameter on $connect.
WEBSOCKET_TOKEN_PARAM = "token"
