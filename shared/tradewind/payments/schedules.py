"""Delayed and recurring payments: a schedule record and an idempotent runner.

`ScheduleService.run_due(now)` is the one entry point: on AWS an EventBridge
schedule invokes it every few minutes, locally the local cloud's scheduler thread
does. Occurrence n of schedule S always uses the id `sched.S.n` for its effect
(ledger transfer id or deposit id), so a run repeated, overlapping or resumed after
a crash performs each occurrence once.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from tradewind.ledger.errors import LedgerError
from tradewind.ledger.models import Currency, Frozen, Id, Leg, TransferRequest
from tradewind.ledger.ports import time_key
from tradewind.ledger.records import IndexKey, RecordStore, load, mutate
from tradewind.ledger.service import Ledger
from tradewind.payments.deposits import DepositError, DepositRequest, DepositService
from tradewind.payments.provider import ProviderError

DUE_INDEX = "SCHEDULES-DUE"


class Frequency(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class ScheduleRequest(Frozen):
    """`transfer` moves money between ledger accounts; `deposit` charges a saved payment method."""

    id: Id
    owner: Id
    kind: Literal["transfer", "deposit"]
    amount: int = Field(gt=0)
    currency: Currency
    to_account: Id | None = None
    from_account: Id | None = None
    payment_method: str | None = Field(None, max_length=128)
    first_run_at: AwareDatetime
    frequency: Frequency = Frequency.ONCE
    occurrences: int | None = Field(None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> ScheduleRequest:
        if self.kind == "transfer" and (self.from_account is None or self.to_account is None):
            raise ValueError("a scheduled transfer needs from_account and to_account")
        if self.kind == "deposit" and self.payment_method is None:
            raise ValueError("a scheduled deposit needs a saved payment_method")
        return self


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Schedule(Frozen):
    request: ScheduleRequest
    status: ScheduleStatus = ScheduleStatus.ACTIVE
    run_count: int = 0
    next_run_at: AwareDatetime
    results: dict[str, str] = Field(default_factory=dict)


class RunResult(Frozen):
    schedule_id: str
    occurrence: int
    outcome: str


class ScheduleError(Exception):
    """The schedule cannot be created or changed; nothing was stored."""


def occurrence_at(request: ScheduleRequest, n: int) -> datetime:
    """When occurrence n is due, counted from the first run so that no drift accumulates."""
    start = request.first_run_at
    match request.frequency:
        case Frequency.ONCE:
            return start
        case Frequency.DAILY:
            return start + timedelta(days=n)
        case Frequency.WEEKLY:
            return start + timedelta(weeks=n)
        case Frequency.MONTHLY:
            months = start.month - 1 + n
            year, month = start.year + months // 12, months % 12 + 1
            return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def _limit(request: ScheduleRequest) -> int | None:
    return 1 if request.frequency is Frequency.ONCE else request.occurrences


def _key(schedule_id: str) -> tuple[str, str]:
    return f"SCHED#{schedule_id}", "SCHED"


def _due_index(schedule: Schedule) -> IndexKey | None:
    if schedule.status is not ScheduleStatus.ACTIVE:
        return None
    return IndexKey(DUE_INDEX, f"{time_key(schedule.next_run_at)}#{schedule.request.id}")


class ScheduleService:
    def __init__(
        self, ledger: Ledger, deposits: DepositService, store: RecordStore, clock: Callable[[], datetime]
    ) -> None:
        self._ledger = ledger
        self._deposits = deposits
        self._store = store
        self._clock = clock

    def create(self, request: ScheduleRequest) -> Schedule:
        if request.kind == "transfer":
            assert request.from_account is not None and request.to_account is not None
            source = self._ledger.account(request.from_account)
            self._ledger.account(request.to_account)
            if source.owner != request.owner:
                raise ScheduleError("a schedule may only debit an account of its owner")
        schedule = Schedule(request=request, next_run_at=request.first_run_at)
        if not self._store.create(*_key(request.id), schedule.model_dump(mode="json"), _due_index(schedule)):
            existing = self.get(request.id)
            if existing.request != request:
                raise ScheduleError(f"schedule id {request.id!r} is already used")
            return existing
        return schedule

    def get(self, schedule_id: str) -> Schedule:
        schedule = load(self._store, *_key(schedule_id), Schedule)
        if schedule is None:
            raise ScheduleError(f"unknown schedule {schedule_id!r}")
        return schedule

    def cancel(self, schedule_id: str) -> Schedule:
        self.get(schedule_id)

        def stop(s: Schedule) -> Schedule:
            if s.status is not ScheduleStatus.ACTIVE:
                return s
            return s.model_copy(update={"status": ScheduleStatus.CANCELLED})

        return mutate(self._store, *_key(schedule_id), Schedule, stop, index_of=_due_index)

    def run_due(self, now: datetime, limit: int = 100) -> list[RunResult]:
        """Perform every occurrence due at `now`; safe to call repeatedly and concurrently."""
        results = []
        for record in self._store.query_index(DUE_INDEX, f"{time_key(now)}#~", limit):
            schedule = Schedule.model_validate(record.data)
            while schedule.status is ScheduleStatus.ACTIVE and schedule.next_run_at <= now:
                n = schedule.run_count
                outcome = self._perform(schedule.request, n)
                schedule = mutate(
                    self._store, *_key(schedule.request.id), Schedule, _advanced(n, outcome), index_of=_due_index
                )
                results.append(RunResult(schedule_id=schedule.request.id, occurrence=n, outcome=outcome))
        return results

    def _perform(self, request: ScheduleRequest, n: int) -> str:
        occurrence_id = f"sched.{request.id}.{n}"
        try:
            if request.kind == "transfer":
                assert request.from_account is not None and request.to_account is not None
                self._ledger.transfer(
                    TransferRequest(
                        id=occurrence_id,
                        legs=(
                            Leg(account_id=request.from_account, amount=-request.amount, currency=request.currency),
                            Leg(account_id=request.to_account, amount=request.amount, currency=request.currency),
                        ),
                        memo=f"scheduled payment {request.id}",
                        metadata={"schedule_id": request.id, "occurrence": str(n)},
                    )
                )
            else:
                self._deposits.start(
                    DepositRequest(
                        id=occurrence_id,
                        user_id=request.owner,
                        amount=request.amount,
                        currency=request.currency,
                        mode="direct",
                        payment_method=request.payment_method,
                    )
                )
        except (LedgerError, DepositError, ProviderError) as error:
            # A missed occurrence is reported, not retried forever: the next one runs on time.
            return f"failed: {error}"
        return f"done: {occurrence_id}"


def _advanced(n: int, outcome: str) -> Callable[[Schedule], Schedule]:
    def change(s: Schedule) -> Schedule:
        if s.run_count != n:
            return s  # a concurrent runner already recorded this occurrence
        count = n + 1
        limit = _limit(s.request)
        finished = limit is not None and count >= limit
        return s.model_copy(
            update={
                "run_count": count,
                "next_run_at": occurrence_at(s.request, count),
                "status": ScheduleStatus.FINISHED if finished else s.status,
                "results": {**s.results, str(n): outcome},
            }
        )

    return change
