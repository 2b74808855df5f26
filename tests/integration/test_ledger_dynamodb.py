"""The ledger port's contract, on the in-memory repository and on the DynamoDB adapter (moto) alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.ledger.moto_ledger import moto_ledger
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.errors import InsufficientFundsError, InvalidTransferError, PendingNotOpenError
from tradewind.ledger.memory import InMemoryLedgerRepository
from tradewind.ledger.models import (
    AuditRecord,
    HoldRequest,
    Leg,
    PendingState,
    Resolution,
    ResolveRequest,
    TransferRequest,
)
from tradewind.ledger.ports import CommitPlan, LedgerRepository, PendingClosedError, TransferExistsError
from tradewind.ledger.service import AccountChange, AdminTransferRequest, Ledger

OMNIBUS = chart.omnibus("USD")
ALICE = chart.investor_cash("alice", "USD")


@pytest.fixture(params=["memory", "dynamodb"])
def repository(request: pytest.FixtureRequest) -> Iterator[LedgerRepository]:
    if request.param == "memory":
        yield InMemoryLedgerRepository()
        return
    with moto_ledger() as (_, repo, _store):
        yield repo


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 4, 1, 12, tzinfo=UTC))


@pytest.fixture
def ledger(repository: LedgerRepository, clock: ManualClock) -> Ledger:
    ledger = Ledger(repository, clock)
    for account in (*chart.platform_accounts("USD"), chart.investor_cash_account("alice", "USD")):
        ledger.open_account(account)
    return ledger


def credit(ledger: Ledger, transfer_id: str, amount: int) -> None:
    ledger.transfer(
        TransferRequest(
            id=transfer_id,
            legs=(
                Leg(account_id=OMNIBUS, amount=-amount, currency="USD"),
                Leg(account_id=ALICE, amount=amount, currency="USD"),
            ),
        )
    )


def test_balances_history_and_statement_over_a_sharded_account(ledger: Ledger, clock: ManualClock) -> None:
    start = clock()
    for i in range(25):
        clock.advance(timedelta(minutes=1))
        credit(ledger, f"t-{i:02d}", 100)
    assert ledger.balance(OMNIBUS).posted == -2_500
    seen, cursor = [], None
    while True:
        page = ledger.history(OMNIBUS, cursor=cursor, limit=7)
        seen += [e.transfer_id for e in page.entries]
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == [f"t-{i:02d}" for i in range(25)]
    statement = ledger.statement(OMNIBUS, start + timedelta(minutes=10, seconds=30), clock())
    assert (statement.opening, statement.closing, len(statement.entries)) == (-1_000, -2_400, 14)


def test_the_non_negative_condition_and_the_journal_condition(ledger: Ledger, repository: LedgerRepository) -> None:
    credit(ledger, "t-1", 500)
    with pytest.raises(InsufficientFundsError):
        credit(ledger, "t-2", -501)
    plan = CommitPlan(record=ledger.get_transfer("t-1"), deltas=())
    with pytest.raises(TransferExistsError):
        repository.commit(plan)  # the journal put is conditional: a second write of an id is refused
    assert ledger.balance(ALICE).posted == 500


def test_closing_a_pending_transfer_twice_is_refused_by_the_store(
    ledger: Ledger, repository: LedgerRepository, clock: ManualClock
) -> None:
    credit(ledger, "t-1", 500)
    ledger.hold(
        HoldRequest(
            id="h-1",
            debit_account=ALICE,
            credit_account=OMNIBUS,
            amount=200,
            currency="USD",
            expires_at=clock() + timedelta(minutes=5),
        )
    )
    voided = ledger.resolve(ResolveRequest(id="h-1.void", pending_id="h-1", action=Resolution.VOID))
    with pytest.raises(PendingNotOpenError, match="voided"):
        ledger.resolve(ResolveRequest(id="h-1.post", pending_id="h-1", action=Resolution.POST))
    racing = voided.model_copy(update={"id": "h-1.void-again"})  # a concurrent resolver that lost the race
    with pytest.raises(PendingClosedError):
        repository.commit(CommitPlan(record=racing, deltas=(), close_pending=("h-1", PendingState.VOIDED)))
    assert ledger.balance(ALICE).available == 500


def test_expiring_holds_are_found_across_index_buckets(ledger: Ledger, clock: ManualClock) -> None:
    credit(ledger, "t-1", 1_000)
    for i in range(12):
        ledger.hold(
            HoldRequest(
                id=f"h-{i}",
                debit_account=ALICE,
                credit_account=OMNIBUS,
                amount=10,
                currency="USD",
                expires_at=clock() + timedelta(minutes=1 + i % 2 * 60),
            )
        )
    clock.advance(timedelta(minutes=2))
    assert sorted(r.pending_id or "" for r in ledger.expire_due()) == sorted(f"h-{i}" for i in range(0, 12, 2))
    assert ledger.balance(ALICE).pending_debits == 60


def test_audit_records_are_written_with_the_transfer_and_never_overwritten(ledger: Ledger, clock: ManualClock) -> None:
    request = AdminTransferRequest(
        id="adm-1",
        actor="ops-1",
        reason="goodwill credit for the outage",
        from_account=OMNIBUS,
        to_account=ALICE,
        amount=300,
        currency="USD",
    )
    ledger.admin_transfer(request)
    clashing = TransferRequest(
        id="other",
        legs=(Leg(account_id=OMNIBUS, amount=-1, currency="USD"), Leg(account_id=ALICE, amount=1, currency="USD")),
    )
    audit = ledger.audit_trail(clock().date())[0]
    with pytest.raises(InvalidTransferError, match="audit record id"):
        ledger.transfer(clashing, audit=AuditRecord.model_validate(audit.model_dump()))
    assert [a.reason for a in ledger.audit_trail(clock().date())] == [request.reason]
    assert ledger.balance(ALICE).posted == 300


def test_an_operator_changes_an_account_flag_with_an_audit_record(ledger: Ledger, clock: ManualClock) -> None:
    house = chart.fee_income("USD")
    credit(ledger, "t-1", 100)
    change = AccountChange(
        id="c-1", account_id=ALICE, actor="ops-1", reason="allow an overdraft for the migration", non_negative=False
    )
    assert ledger.change_account(change).non_negative is False
    assert ledger.change_account(change).non_negative is False  # a repeat changes nothing and audits nothing
    ledger.transfer(
        TransferRequest(
            id="overdraft",
            legs=(
                Leg(account_id=ALICE, amount=-300, currency="USD"),
                Leg(account_id=house, amount=300, currency="USD"),
            ),
        )
    )
    back = change.model_copy(update={"id": "c-2", "non_negative": True, "reason": "migration is over, close it"})
    with pytest.raises(InvalidTransferError, match="below zero"):
        ledger.change_account(back)
    with pytest.raises(InvalidTransferError, match="sharded"):
        ledger.change_account(back.model_copy(update={"account_id": house}))
    credit(ledger, "t-2", 200)
    assert ledger.change_account(back).non_negative is True
    audit = ledger.audit_trail(clock().date())
    assert [(a.action, a.subject["non_negative"]) for a in audit] == [
        ("ledger.account_change", "false"),
        ("ledger.account_change", "true"),
    ]
