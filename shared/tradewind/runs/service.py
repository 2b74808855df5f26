"""Accepting a run: validate once, record once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from tradewind.runs.models import InvalidRunRequestError, RunConflictError, RunRecord, RunRequest


class RunStore(Protocol):
    def create(self, record: RunRecord) -> RunRecord:
        """Store a new run; if the id exists, return the stored record unchanged."""
        ...


class RunService:
    def __init__(self, store: RunStore) -> None:
        self._store = store

    def accept(self, payload: dict[str, Any], now: datetime | None = None) -> RunRecord:
        """Idempotent by run id: a retry of the same request returns the first record."""
        try:
            request = RunRequest.model_validate(payload)
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())
            raise InvalidRunRequestError(detail) from exc
        record = RunRecord(request=request, status="accepted", created_at=now or datetime.now(UTC))
        stored = self._store.create(record)
        if stored.request != request:
            raise RunConflictError(f"run {request.run_id} exists with a different request")
        return stored
