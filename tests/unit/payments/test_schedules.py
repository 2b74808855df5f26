"""Scheduled and recurring payments: each occurrence once, however often the runner runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from local.sandboxes.pelicanpay import PelicanPaySimulator
from tests.unit.payments.conftest import cash
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.models import HoldRequest
from tradewind.payments.provider import PaymentKind
from tradewind.payments.schedules import Frequency, ScheduleError, ScheduleRequest, ScheduleStatus, occurrence_at
from tradewind.payments.wiring import MoneyServices

Fund = Callable[[str, int], None]


def monthly_transfer(clock: ManualClock, **changes: object) -> ScheduleRequest:
    fields: dict[str, object] = {
        "id": "rent",
        "owner": "alice",
        "kind": "transfer",
        "amount": 1_000,
        "currency": "USD",
        "from_account": cash("alice"),
        "to_account": cash("bob"),
        "first_run_at": clock() + timedelta(hours=1),
        "frequency": Frequency.MONTHLY,
        "occurrences": 3,
    }
    return ScheduleRequest.model_validate({**fields, **changes})


def test_a_recurring_transfer_runs_each_occurrence_once(money: MoneyServices, funded: Fund, clock: ManualClock) -> None:
    funded("alice", 10_000)
    money.ledger.open_account(chart.investor_cash_account("bob", "USD"))
    money.schedules.create(monthly_transfer(clock))
    assert money.schedules.run_due(clock()) == []
    clock.advance(timedelta(hours=2))
    assert [r.occurrence for r in money.schedules.run_due(clock())] == [0]
    assert money.schedules.run_due(clock()) == []
    clock.advance(timedelta(days=70))  # the runner was down: both missed months run, once each
    assert [r.occurrence for r in money.schedules.run_due(clock())] == [1, 2]
    clock.advance(timedelta(days=70))
    assert money.schedules.run_due(clock()) == []
    assert money.ledger.balance(cash("bob")).posted == 3_000
    assert money.schedules.get("rent").status is ScheduleStatus.FINISHED


def test_an_occurrence_without_funds_is_recorded_and_skipped(
    money: MoneyServices, funded: Fund, clock: ManualClock
) -> None:
    funded("alice", 1_500)
    money.ledger.open_account(chart.investor_cash_account("bob", "USD"))
    money.schedules.create(monthly_transfer(clock, frequency=Frequency.DAILY))
    clock.advance(timedelta(days=1, hours=2))
    outcomes = [r.outcome for r in money.schedules.run_due(clock())]
    assert outcomes[0].startswith("done") and outcomes[1].startswith("failed")
    assert money.ledger.balance(cash("alice")).posted == 500


def test_a_recurring_deposit_charges_the_saved_method_once_per_occurrence(
    money: MoneyServices, simulator: PelicanPaySimulator, clock: ManualClock
) -> None:
    request = ScheduleRequest(
        id="savings",
        owner="alice",
        kind="deposit",
        amount=2_500,
        currency="USD",
        payment_method="card-on-file",
        first_run_at=clock(),
        frequency=Frequency.WEEKLY,
    )
    money.schedules.create(request)
    money.schedules.run_due(clock() + timedelta(days=8))
    money.schedules.run_due(clock() + timedelta(days=8))
    topups = [p.reference for p in simulator.payments() if p.kind is PaymentKind.TOPUP]
    assert topups == ["sched.savings.0", "sched.savings.1"]
    money.schedules.cancel("savings")
    assert money.schedules.run_due(clock() + timedelta(days=30)) == []


def test_schedules_are_validated(money: MoneyServices, funded: Fund, clock: ManualClock) -> None:
    funded("alice", 100)
    money.ledger.open_account(chart.investor_cash_account("bob", "USD"))
    with pytest.raises(ValidationError, match="from_account"):
        monthly_transfer(clock, from_account=None)
    with pytest.raises(ScheduleError, match="of its owner"):
        money.schedules.create(monthly_transfer(clock, owner="bob"))
    money.schedules.create(monthly_transfer(clock))
    with pytest.raises(ScheduleError, match="already used"):
        money.schedules.create(monthly_transfer(clock, amount=5))


def test_monthly_occurrences_keep_the_day_or_the_month_end() -> None:
    request = ScheduleRequest(
        id="s",
        owner="alice",
        kind="transfer",
        amount=1,
        currency="USD",
        from_account="a",
        to_account="b",
        first_run_at=datetime(2026, 1, 31, 8, tzinfo=UTC),
        frequency=Frequency.MONTHLY,
    )
    assert [occurrence_at(request, n).date().isoformat() for n in range(4)] == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
    ]


def test_the_periodic_job_runs_payments_expires_holds_and_recovers_withdrawals(
    money: MoneyServices, funded: Fund, clock: ManualClock
) -> None:
    funded("alice", 10_000)
    money.ledger.open_account(chart.investor_cash_account("bob", "USD"))
    money.schedules.create(monthly_transfer(clock, frequency=Frequency.ONCE))
    money.ledger.hold(
        HoldRequest(
            id="card-auth",
            debit_account=cash("alice"),
            credit_account=chart.omnibus("USD"),
            amount=700,
            currency="USD",
            expires_at=clock() + timedelta(minutes=30),
        )
    )
    run = money.run_due(clock() + timedelta(hours=2))
    assert [r.schedule_id for r in run.scheduled_payments] == ["rent"]
    assert run.expired_holds == ("card-auth",)
    assert money.run_due(clock() + timedelta(hours=3)).expired_holds == ()
    assert money.ledger.balance(cash("alice")).available == 9_000
