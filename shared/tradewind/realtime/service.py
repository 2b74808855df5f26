"""What happens on connect, disconnect, a client message, and a broadcast."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from tradewind.auth.principal import Principal
from tradewind.realtime.connections import (
    MAX_TOPICS_PER_CONNECTION,
    ClientMessage,
    Connection,
    ConnectionStore,
    Ping,
    Pusher,
    Subscribe,
)

# API Gateway closes a WebSocket after two hours; records outlive it briefly, then TTL removes them.
CONNECTION_TTL = timedelta(hours=2, minutes=5)


class RealtimeService:
    def __init__(self, store: ConnectionStore, pusher: Pusher) -> None:
        self._store = store
        self._pusher = pusher

    def connect(self, connection_id: str, principal: Principal, now: datetime | None = None) -> Connection:
        now = now or datetime.now(UTC)
        connection = Connection(
            connection_id=connection_id,
            principal=principal,
            connected_at=now,
            expires_at=int((now + CONNECTION_TTL).timestamp()),
        )
        self._store.put(connection)
        return connection

    def disconnect(self, connection_id: str) -> None:
        self._store.delete(connection_id)

    def handle(self, connection_id: str, body: str | None) -> dict[str, Any]:
        """Apply one client message and return the reply (also pushed to the client)."""
        reply = self._reply_to(connection_id, body)
        self._pusher.push(connection_id, json.dumps(reply).encode())
        return reply

    def _reply_to(self, connection_id: str, body: str | None) -> dict[str, Any]:
        connection = self._store.get(connection_id)
        if connection is None:
            return {"type": "error", "error": "unknown connection"}
        try:
            message = ClientMessage.model_validate({"message": json.loads(body or "")}).message
        except (ValueError, ValidationError) as exc:
            return {"type": "error", "error": _describe(exc)}
        if isinstance(message, Ping):
            return {"type": "pong"}
        current = self._store.topics(connection_id)
        if isinstance(message, Subscribe):
            if len(current | set(message.topics)) > MAX_TOPICS_PER_CONNECTION:
                return {"type": "error", "error": f"at most {MAX_TOPICS_PER_CONNECTION} topics per connection"}
            self._store.subscribe(connection_id, message.topics, connection.expires_at)
        else:
            self._store.unsubscribe(connection_id, message.topics)
        return {"type": "subscriptions", "topics": sorted(self._store.topics(connection_id))}

    def broadcast(self, topic: str, event: dict[str, Any]) -> int:
        """Push an event to every subscriber of a topic; returns how many received it."""
        payload = json.dumps({"type": "event", "topic": topic, "data": event}, default=str).encode()
        delivered = 0
        for connection_id in self._store.subscribers(topic):
            if self._pusher.push(connection_id, payload):
                delivered += 1
            else:
                self._store.delete(connection_id)
        return delivered


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc'][1:]) or 'message'}: {err['msg']}" for err in exc.errors()
        )
    return "message must be a JSON object"
