"""Core services assembled with their AWS adapters, from the settings.

Handlers call these instead of constructing adapters themselves, so every
function that uses a service gets it wired the same way.
"""

from __future__ import annotations

from functools import cache

from tradewind.adapters.connections_dynamodb import DynamoConnectionStore
from tradewind.adapters.market_state_dynamodb import DynamoLatestTradeStore
from tradewind.adapters.runs_dynamodb import DynamoRunStore
from tradewind.adapters.websocket_pusher import ApiGatewayPusher
from tradewind.live.ingest import IngestService
from tradewind.realtime.service import RealtimeService
from tradewind.runs.service import RunService
from tradewind.settings import get_settings


@cache
def realtime_service() -> RealtimeService:
    settings = get_settings()
    return RealtimeService(
        DynamoConnectionStore(settings.table("connections")),
        ApiGatewayPusher(settings.websocket_endpoint),
    )


@cache
def ingest_service() -> IngestService:
    return IngestService(DynamoLatestTradeStore(get_settings().table("market-state")))


@cache
def run_service() -> RunService:
    return RunService(DynamoRunStore(get_settings().table("runs")))
