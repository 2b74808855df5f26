"""A run's life in the runs table: accepted once, then succeeded or failed, never lost.

The workflow's steps call these; every change of status is a whole-record write
keyed by the run id, so a retried step writes the same record again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from tradewind.runs.models import InvalidRunRequestError, RunConflictError, RunRecord, RunRequest


class RunStore(Protocol):
    def create(self, record: RunRecord) -> RunRecord:
        """Store a new run; if the id exists, return the stored record unchanged."""
        ...

    def get(self, run_id: str) -> RunRecord | None: ...

    def save(self, record: RunRecord) -> None:
        """Replace the stored record of the run (its status changed)."""
        ...


class UnknownRunError(LookupError):
    """A step named a run that was never accepted."""


def _issues(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())


class RunService:
    def __init__(self, store: RunStore) -> None:
        self._store = store

    def accept(self, payload: dict[str, Any], now: datetime | None = None) -> RunRecord:
        """Idempotent by run id: a retry of the same request returns the first record."""
        try:
            request = RunRequest.model_validate(payload)
        except ValidationError as exc:
            raise InvalidRunRequestError(_issues(exc)) from exc
        record = RunRecord(request=request, status="accepted", created_at=now or datetime.now(UTC))
        stored = self._store.create(record)
        if stored.request != request:
            raise RunConflictError(f"run {request.run_id} exists with a different request")
        return stored

    def get(self, run_id: str) -> RunRecord:
        record = self._store.get(run_id)
        if record is None:
            raise UnknownRunError(f"run {run_id} was never accepted")
        return record

    def succeed(self, run_id: str, metrics: dict[str, Any], report_key: str, now: datetime | None = None) -> RunRecord:
        record = self.get(run_id).model_copy(
            update={
                "status": "succeeded",
                "metrics": metrics,
                "report_key": report_key,
                "error": None,
                "updated_at": now or datetime.now(UTC),
            }
        )
        self._store.save(record)
        return record

    def fail(self, payload: dict[str, Any], error: str, now: datetime | None = None) -> RunRecord | None:
        """Mark the run of `payload` (a request, maybe with workflow keys beside it) failed.

        None, touching nothing, when the request is unreadable, was never recorded, or
        is not the recorded one: a request that reused another run's id must not
        overwrite that run's outcome.
        """
        fields = {name: value for name, value in payload.items() if name in RunRequest.model_fields}
        try:
            request = RunRequest.model_validate(fields)
        except ValidationError:
            return None
        record = self._store.get(request.run_id)
        if record is None or record.request != request:
            return None
        failed = record.model_copy(update={"status": "failed", "error": error, "updated_at": now or datetime.now(UTC)})
        self._store.save(failed)
        return failed
