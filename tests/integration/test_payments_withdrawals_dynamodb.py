"""Withdrawals on DynamoDB (moto): concurrency against one balance, and crashes around the payout."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from local.sandboxes.pelicanpay import PelicanPaySandbox, PelicanPaySimulator
from tests.unit.ledger.moto_ledger import moto_ledger
from tradewind.adapters.ledger_dynamodb import DynamoLedgerRepository
from tradewind.adapters.ledger_records_dynamodb import DynamoRecordStore
from tradewind.adapters.pelicanpay import PelicanPayClient
from tradewind.ledger import chart
from tradewind.ledger.clock import utc_now
from tradewind.ledger.ports import CommitPlan
from tradewind.ledger.service import AdminTransferRequest
from tradewind.payments.deposits import DepositRequest
from tradewind.payments.provider import PaymentKind, PaymentProvider, PayoutRequest, ProviderPayment
from tradewind.payments.webhooks import sign
from tradewind.payments.wiring import MoneyServices, assemble
from tradewind.payments.withdrawals import (
    Limit,
    StepUpProof,
    WithdrawalError,
    WithdrawalPolicy,
    WithdrawalRequest,
    WithdrawalStatus,
)

SECRET = "whsec-withdrawals"
API_KEY = "sandbox-key"
USER = "alice"
CASH = chart.investor_cash(USER, "USD")
GENEROUS = WithdrawalPolicy(limits={"USD": Limit(per_withdrawal=10**9, per_day=10**9)})


class ProcessKilled(BaseException):
    """Stands for SIGKILL: nothing after the point of death runs, no handler catches it."""


Ports = tuple[Any, DynamoLedgerRepository, DynamoRecordStore]


@pytest.fixture
def dynamo() -> Iterator[Ports]:
    with moto_ledger() as ports:
        yield ports


def services(ports: Ports, provider: PaymentProvider, repository: Any = None) -> MoneyServices:
    """A fresh process: new service objects over the same tables and provider."""
    _, repo, store = ports
    return assemble(repository or repo, store, provider, (SECRET,), policy=GENEROUS)


def deliver(money: MoneyServices, events: list[dict[str, Any]]) -> None:
    for event in events:
        body = json.dumps(event).encode()
        money.webhooks.handle(body, sign(SECRET, body, int(time.time())))


def fund(money: MoneyServices, simulator: PelicanPaySimulator, amount: int) -> None:
    simulator.configure(outcome="succeed")
    money.deposits.start(DepositRequest(id="seed", user_id=USER, amount=amount, currency="USD", mode="direct"))
    deliver(money, simulator.take_events())


def fund_by_operator(money: MoneyServices, amount: int) -> None:
    money.ledger.open_account(chart.investor_cash_account(USER, "USD"))
    money.ledger.admin_transfer(
        AdminTransferRequest(
            id="seed",
            actor="ops-1",
            reason="opening balance for the test",
            from_account=chart.omnibus("USD"),
            to_account=CASH,
            amount=amount,
            currency="USD",
        )
    )


def withdrawal(withdrawal_id: str, amount: int) -> WithdrawalRequest:
    proof = StepUpProof(user_id=USER, method="totp", verified_at=utc_now())
    return WithdrawalRequest(
        id=withdrawal_id, user_id=USER, amount=amount, currency="USD", destination="iban-1", step_up=proof
    )


def test_fifty_concurrent_withdrawals_never_overdraw(dynamo: Ports) -> None:
    simulator = PelicanPaySimulator()
    money = services(dynamo, simulator)
    fund(money, simulator, 10_000)
    simulator.configure(outcome="pending")  # payouts settle later, so the holds can be inspected

    def attempt(i: int) -> bool:
        try:
            money.withdrawals.request(withdrawal(f"wd-{i}", 300))
        except WithdrawalError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=50) as pool:
        accepted = sum(pool.map(attempt, range(50)))

    assert accepted == 33  # 33 x 300 = 9,900 of 10,000; the 34th would overdraw
    held = money.ledger.balance(CASH)
    assert (held.posted, held.pending_debits, held.available) == (10_000, 9_900, 100)
    for payout in simulator.payments():
        if payout.kind is PaymentKind.PAYOUT:
            simulator.complete(payout.id)
    deliver(money, simulator.take_events())
    settled = money.ledger.balance(CASH)
    assert (settled.posted, settled.pending_debits) == (100, 0)
    assert len([p for p in simulator.payments() if p.kind is PaymentKind.PAYOUT]) == 33


class DiesAfterPayout:
    """The provider pays, then the process dies before it can record or settle anything."""

    def __init__(self, provider: PaymentProvider) -> None:
        self._provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def create_payout(self, request: PayoutRequest) -> ProviderPayment:
        self._provider.create_payout(request)
        raise ProcessKilled


def test_killed_between_payout_and_settle_recovers_without_loss_or_double_pay(dynamo: Ports) -> None:
    with PelicanPaySandbox(API_KEY, SECRET) as sandbox:
        sandbox.configure(drop=True)  # the webhook is lost as well: only recovery can finish the job
        client = PelicanPayClient(sandbox.url, API_KEY)
        fund_by_operator(services(dynamo, client), 5_000)
        doomed = services(dynamo, DiesAfterPayout(client))
        with pytest.raises(ProcessKilled):
            doomed.withdrawals.request(withdrawal("wd-crash", 1_200))

        after_restart = services(dynamo, client)
        assert after_restart.withdrawals.get("wd-crash").status is WithdrawalStatus.HELD
        assert after_restart.ledger.balance(CASH).available == 3_800  # still held, not lost
        [recovered] = after_restart.withdrawals.recover(utc_now() + timedelta(minutes=10))
        assert recovered.status is WithdrawalStatus.PAID

        # The investor's retry and further recovery runs change nothing and pay nothing more.
        assert after_restart.withdrawals.request(withdrawal("wd-crash", 1_200)).status is WithdrawalStatus.PAID
        assert after_restart.withdrawals.recover(utc_now() + timedelta(minutes=20)) == []
        payouts = [p for p in sandbox.simulator.payments() if p.kind is PaymentKind.PAYOUT]
        assert [p.reference for p in payouts] == ["wd-crash"]
        balance = after_restart.ledger.balance(CASH)
        assert (balance.posted, balance.pending_debits) == (3_800, 0)
        client.close()


class DiesDuringSettle:
    """A repository whose process dies while committing the settle: before or after the write lands."""

    def __init__(self, repository: DynamoLedgerRepository, after_write: bool) -> None:
        self._repository = repository
        self._after_write = after_write

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)

    def commit(self, plan: CommitPlan) -> None:
        if plan.record.id.endswith(".settle"):
            if self._after_write:
                self._repository.commit(plan)
            raise ProcessKilled
        self._repository.commit(plan)


@pytest.mark.parametrize("after_write", [False, True], ids=["before-commit", "after-commit"])
def test_killed_while_settling_is_finished_by_the_provider_retry(dynamo: Ports, after_write: bool) -> None:
    simulator = PelicanPaySimulator()
    fund(services(dynamo, simulator), simulator, 5_000)
    doomed = services(dynamo, simulator, DiesDuringSettle(dynamo[1], after_write))
    simulator.configure(outcome="pending")
    requested = doomed.withdrawals.request(withdrawal("wd-settle", 2_000))
    simulator.complete(str(requested.provider_payout_id))
    [paid] = simulator.take_events()
    with pytest.raises(ProcessKilled):
        deliver(doomed, [paid])

    restarted = services(dynamo, simulator)
    time.sleep(1)  # the provider's retry is signed a moment later
    deliver(restarted, [paid])
    assert restarted.withdrawals.get("wd-settle").status is WithdrawalStatus.PAID
    balance = restarted.ledger.balance(CASH)
    assert (balance.posted, balance.pending_debits) == (3_000, 0)
    assert len([p for p in simulator.payments() if p.kind is PaymentKind.PAYOUT]) == 1
