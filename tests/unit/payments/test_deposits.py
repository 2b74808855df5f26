"""Deposits: credited exactly once, whatever the order and number of events; reversals take it back."""

from __future__ import annotations

import pytest

from local.sandboxes.pelicanpay import PelicanPaySimulator
from tests.unit.payments.conftest import Deliver, cash
from tradewind.ledger import chart
from tradewind.ledger.models import Leg, TransferRequest
from tradewind.payments.deposits import DepositError, DepositRequest, DepositStatus, RefundCommand
from tradewind.payments.wiring import MoneyServices


def start(money: MoneyServices, deposit_id: str = "dep-1", amount: int = 2_000, mode: str = "direct") -> None:
    money.deposits.start(DepositRequest(id=deposit_id, user_id="alice", amount=amount, currency="USD", mode=mode))  # type: ignore[arg-type]


def test_a_hosted_deposit_is_credited_when_the_checkout_completes(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver
) -> None:
    start(money, mode="hosted")
    deposit = money.deposits.get("dep-1")
    assert deposit.status is DepositStatus.PENDING and deposit.checkout_url is not None
    assert deposit.provider_payment_id is not None
    assert simulator.take_events() == []
    simulator.complete(deposit.provider_payment_id)
    deliver(simulator.take_events())
    assert money.ledger.balance(cash("alice")).posted == 2_000
    assert money.deposits.get("dep-1").status is DepositStatus.SUCCEEDED


def test_a_retried_start_creates_one_top_up_and_a_reused_id_is_refused(
    money: MoneyServices, simulator: PelicanPaySimulator
) -> None:
    simulator.configure(outcome="pending")
    start(money)
    start(money)
    assert len(simulator.payments()) == 1
    with pytest.raises(DepositError, match="already used"):
        start(money, amount=2_001)


def test_duplicated_success_events_credit_once(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver
) -> None:
    start(money)
    [succeeded] = simulator.take_events()
    deliver([succeeded, succeeded, succeeded])
    assert money.ledger.balance(cash("alice")).posted == 2_000
    assert money.ledger.balance(chart.provider_clearing("USD")).posted == -2_000


def test_a_failed_top_up_books_nothing(money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver) -> None:
    simulator.configure(outcome="fail")
    start(money)
    deliver(simulator.take_events())
    assert money.ledger.balance(cash("alice")).posted == 0
    assert money.deposits.get("dep-1").status is DepositStatus.FAILED


def test_a_charge_back_before_the_success_nets_to_zero(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver
) -> None:
    start(money)
    [succeeded] = simulator.take_events()
    assert money.deposits.get("dep-1").provider_payment_id is not None
    simulator.charge_back(str(money.deposits.get("dep-1").provider_payment_id))
    [charged_back] = simulator.take_events()
    deliver([charged_back, succeeded, charged_back])  # reordered and duplicated
    assert money.ledger.balance(cash("alice")).posted == 0
    assert money.ledger.balance(chart.provider_clearing("USD")).posted == 0
    assert money.deposits.get("dep-1").status is DepositStatus.REVERSED


def test_a_charge_back_after_the_money_was_spent_books_the_shortfall_as_a_loss(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver
) -> None:
    start(money)
    deliver(simulator.take_events())
    money.ledger.open_account(chart.investor_cash_account("bob", "USD"))
    money.ledger.transfer(
        TransferRequest(
            id="spend",
            legs=(
                Leg(account_id=cash("alice"), amount=-1_500, currency="USD"),
                Leg(account_id=cash("bob"), amount=1_500, currency="USD"),
            ),
        )
    )
    simulator.charge_back(str(money.deposits.get("dep-1").provider_payment_id))
    deliver(simulator.take_events())
    assert money.ledger.balance(cash("alice")).posted == 0
    assert money.ledger.balance(chart.losses("USD")).posted == -1_500
    assert money.ledger.balance(chart.provider_clearing("USD")).posted == 0


def test_partial_refunds_are_audited_and_reversed_once_each(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver
) -> None:
    start(money)
    deliver(simulator.take_events())
    for refund_id in ("r-1", "r-2"):
        money.deposits.refund(
            RefundCommand(
                deposit_id="dep-1", refund_id=refund_id, amount=500, actor="ops-1", reason="partial refund asked"
            )
        )
    events = simulator.take_events()
    deliver([*reversed(events), *events])
    assert money.ledger.balance(cash("alice")).posted == 1_000
    assert money.deposits.get("dep-1").reversed_amount == 1_000
    audit = money.ledger.audit_trail(money.deposits.get("dep-1").created_at.date())
    assert [a.action for a in audit] == ["payments.refund", "payments.refund"]
    with pytest.raises(DepositError, match="only 1000 left"):
        money.deposits.refund(
            RefundCommand(deposit_id="dep-1", refund_id="r-3", amount=1_001, actor="ops-1", reason="too much refund")
        )


def test_an_event_that_disagrees_with_the_deposit_is_refused(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver
) -> None:
    start(money)
    [event] = simulator.take_events()
    forged_amount = {**event, "data": {**event["data"], "amount": 9_999}}  # type: ignore[dict-item]
    with pytest.raises(DepositError, match="does not match"):
        deliver([forged_amount])
    unknown = {**event, "id": "evt_other", "data": {**event["data"], "reference": "nobody-asked"}}  # type: ignore[dict-item]
    with pytest.raises(DepositError, match="unknown reference"):
        deliver([unknown])
    assert money.ledger.balance(cash("alice")).posted == 0
