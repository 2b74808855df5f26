"""The authenticated caller, independent of how the token reached us."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: str
    email: str
    groups: frozenset[str]

    def is_in(self, group: str) -> bool:
        return group in self.groups

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        """Accepts a decoded JWT (groups as a list) or REST authorizer claims (all strings,
        groups comma-separated) — the two shapes Cognito claims reach a handler in."""
        groups = claims.get("cognito:groups") or ()
        if isinstance(groups, str):
            groups = [group.strip() for group in groups.strip("[]").replace(" ", ",").split(",")]
        return cls(
            user_id=str(claims["sub"]),
            email=str(claims.get("email", "")),
            groups=frozenset(group for group in groups if group),
        )
