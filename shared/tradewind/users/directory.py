"""The user directory port: who has an account, and in which groups."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel


class UserSummary(BaseModel):
    user_id: str
    email: str
    status: str
    enabled: bool
    groups: list[str]
    created_at: datetime


class UserPage(BaseModel):
    users: list[UserSummary]
    next_token: str | None = None


class UserDirectory(Protocol):
    def list_users(self, limit: int, next_token: str | None) -> UserPage: ...
