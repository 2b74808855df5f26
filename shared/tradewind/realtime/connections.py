"""Connections, their subscriptions, and the messages clients may send."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from tradewind.auth.principal import Principal

# `bars:NVDA:1m`, `signals:<strategy-id>`, `orders:<run-id>`: a kind and up to three parts.
TOPIC_PATTERN = r"^[a-z]+(:[A-Za-z0-9._-]{1,64}){0,3}$"
Topic = Annotated[str, Field(pattern=TOPIC_PATTERN, max_length=200)]
MAX_TOPICS_PER_CONNECTION = 50


class Connection(BaseModel):
    connection_id: str
    principal: Principal
    connected_at: datetime
    expires_at: int


class Subscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["subscribe"]
    topics: list[Topic] = Field(min_length=1, max_length=MAX_TOPICS_PER_CONNECTION)


class Unsubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["unsubscribe"]
    topics: list[Topic] = Field(min_length=1, max_length=MAX_TOPICS_PER_CONNECTION)


class Ping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["ping"]


class ClientMessage(BaseModel):
    message: Annotated[Subscribe | Unsubscribe | Ping, Field(discriminator="action")]


class ConnectionStore(Protocol):
    def put(self, connection: Connection) -> None: ...
    def get(self, connection_id: str) -> Connection | None: ...
    def delete(self, connection_id: str) -> None: ...
    def topics(self, connection_id: str) -> set[str]: ...
    def subscribe(self, connection_id: str, topics: list[str], expires_at: int) -> None: ...
    def unsubscribe(self, connection_id: str, topics: list[str]) -> None: ...
    def subscribers(self, topic: str) -> list[str]: ...


class Pusher(Protocol):
    def push(self, connection_id: str, payload: bytes) -> bool:
        """Send to one socket; False when the client is gone."""
        ...
