"""Reconciliation reports every difference between the provider's payments and the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from local.sandboxes.pelicanpay import PelicanPaySimulator
from tests.unit.payments.conftest import Deliver, cash
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock, utc_now
from tradewind.ledger.models import Leg, TransferRequest
from tradewind.ledger.service import AdminTransferRequest
from tradewind.payments.deposits import DepositRequest
from tradewind.payments.reconciliation import MismatchKind
from tradewind.payments.wiring import MoneyServices
from tradewind.payments.withdrawals import StepUpProof, WithdrawalRequest

Fund = Callable[[str, int], None]


def test_matching_books_report_nothing_and_each_gap_is_reported(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver, funded: Fund, clock: ManualClock
) -> None:
    # The simulator stamps payments with the wall clock; the ledger with the test clock.
    start = min(clock(), utc_now()) - timedelta(days=1)
    funded("alice", 5_000)
    proof = StepUpProof(user_id="alice", method="totp", verified_at=clock())
    money.withdrawals.request(
        WithdrawalRequest(id="wd-1", user_id="alice", amount=1_000, currency="USD", destination="iban", step_up=proof)
    )
    deliver(simulator.take_events())
    end = max(clock(), utc_now()) + timedelta(days=1)
    clean = money.reconciler.reconcile("USD", start, end)
    assert (clean.provider_payments, clean.ledger_postings, clean.mismatches) == (2, 2, ())

    money.deposits.start(DepositRequest(id="lost", user_id="alice", amount=700, currency="USD", mode="direct"))
    simulator.take_events()  # its webhook never arrives
    money.ledger.admin_transfer(
        AdminTransferRequest(
            id="manual-fix",
            actor="ops-1",
            reason="clearing correction typed by hand",
            from_account=chart.provider_clearing("USD"),
            to_account=cash("alice"),
            amount=300,
            currency="USD",
        )
    )
    report = money.reconciler.reconcile("USD", start, end + timedelta(minutes=1))
    assert {(m.kind, m.transfer_id) for m in report.mismatches} == {
        (MismatchKind.MISSING_IN_LEDGER, "dep.lost.credit"),
        (MismatchKind.MISSING_AT_PROVIDER, "manual-fix"),
    }


def test_amount_differences_and_bookings_of_failed_payments_are_reported(
    money: MoneyServices, simulator: PelicanPaySimulator, clock: ManualClock
) -> None:
    start = min(clock(), utc_now()) - timedelta(days=1)
    simulator.configure(outcome="fail")
    money.deposits.start(DepositRequest(id="failed", user_id="alice", amount=400, currency="USD", mode="direct"))
    simulator.configure(outcome="succeed")
    money.deposits.start(DepositRequest(id="ok", user_id="alice", amount=600, currency="USD", mode="direct"))
    simulator.take_events()
    for transfer_id, amount in (("dep.failed.credit", 400), ("dep.ok.credit", 650)):  # booked by mistake
        money.ledger.transfer(
            TransferRequest(
                id=transfer_id,
                legs=(
                    Leg(account_id=chart.provider_clearing("USD"), amount=-amount, currency="USD"),
                    Leg(account_id=cash("alice"), amount=amount, currency="USD"),
                ),
            )
        )
    end = max(clock(), utc_now()) + timedelta(days=1)
    report = money.reconciler.reconcile("USD", start, end)
    assert {(m.kind, m.transfer_id, m.provider_amount, m.ledger_amount) for m in report.mismatches} == {
        (MismatchKind.BOOKED_BUT_NOT_SUCCEEDED, "dep.failed.credit", 400, 400),
        (MismatchKind.AMOUNT_DIFFERS, "dep.ok.credit", 600, 650),
    }
