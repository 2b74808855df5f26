"""The ledger service's rules, on the in-memory repository."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tradewind.ledger import chart
from tradewind.ledger import currency as currencies
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.errors import (
    AccountConflictError,
    AccountNotFoundError,
    InsufficientFundsError,
    InvalidTransferError,
    PendingNotOpenError,
    TransferConflictError,
)
from tradewind.ledger.memory import InMemoryLedgerRepository
from tradewind.ledger.models import (
    Account,
    AccountType,
    HoldRequest,
    Leg,
    PendingState,
    Resolution,
    ResolveRequest,
    TransferRequest,
)
from tradewind.ledger.service import MAX_ACCOUNTS_PER_TRANSFER, AdminTransferRequest, Ledger, shard_for

OMNIBUS = chart.omnibus("USD")
ALICE = chart.investor_cash("alice", "USD")
BOB = chart.investor_cash("bob", "USD")


def move(transfer_id: str, source: str, target: str, amount: int, currency: str = "USD") -> TransferRequest:
    return TransferRequest(
        id=transfer_id,
        legs=(
            Leg(account_id=source, amount=-amount, currency=currency),
            Leg(account_id=target, amount=amount, currency=currency),
        ),
    )


def test_a_transfer_moves_money_and_its_replay_returns_the_first_result(ledger: Ledger) -> None:
    first = ledger.transfer(move("t-1", OMNIBUS, ALICE, 1_000))
    assert ledger.transfer(move("t-1", OMNIBUS, ALICE, 1_000)) == first
    assert ledger.balance(ALICE).posted == 1_000
    assert ledger.balance(OMNIBUS).posted == -1_000


def test_the_same_id_with_other_content_is_a_conflict(ledger: Ledger) -> None:
    ledger.transfer(move("t-1", OMNIBUS, ALICE, 1_000))
    with pytest.raises(TransferConflictError):
        ledger.transfer(move("t-1", OMNIBUS, ALICE, 999))
    assert ledger.balance(ALICE).posted == 1_000


def test_unbalanced_and_mismatched_transfers_are_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidTransferError, match="differ"):
        ledger.transfer(
            TransferRequest(
                id="t-bad",
                legs=(
                    Leg(account_id=OMNIBUS, amount=-5, currency="USD"),
                    Leg(account_id=ALICE, amount=4, currency="USD"),
                ),
            )
        )
    with pytest.raises(InvalidTransferError, match="held in USD"):
        ledger.transfer(move("t-eur", OMNIBUS, ALICE, 5, currency="EUR"))
    with pytest.raises(AccountNotFoundError):
        ledger.transfer(move("t-nobody", OMNIBUS, chart.investor_cash("nobody", "USD"), 5))
    assert ledger.find_transfer("t-bad") is None


def test_a_multi_leg_transfer_commits_all_or_nothing(ledger: Ledger) -> None:
    ledger.transfer(move("fund", OMNIBUS, ALICE, 100))
    legs = (
        Leg(account_id=ALICE, amount=-100, currency="USD"),
        Leg(account_id=BOB, amount=-1, currency="USD"),  # Bob has nothing: the whole transfer fails
        Leg(account_id=OMNIBUS, amount=101, currency="USD"),
    )
    with pytest.raises(InsufficientFundsError) as refused:
        ledger.transfer(TransferRequest(id="multi", legs=legs))
    assert refused.value.account_id == BOB
    assert ledger.balance(ALICE).posted == 100
    assert ledger.find_transfer("multi") is None


def test_legs_on_one_account_are_netted_and_the_account_limit_is_enforced(ledger: Ledger) -> None:
    ledger.transfer(move("fund", OMNIBUS, ALICE, 100))
    netted = TransferRequest(
        id="net",
        legs=(
            Leg(account_id=ALICE, amount=-150, currency="USD"),
            Leg(account_id=ALICE, amount=100, currency="USD"),
            Leg(account_id=BOB, amount=50, currency="USD"),
        ),
    )
    ledger.transfer(netted)
    assert (ledger.balance(ALICE).posted, ledger.balance(BOB).posted) == (50, 50)
    many = tuple(Leg(account_id=f"x{i}", amount=1, currency="USD") for i in range(MAX_ACCOUNTS_PER_TRANSFER + 1))
    with pytest.raises(InvalidTransferError, match="at most"):
        ledger.transfer(
            TransferRequest(id="wide", legs=(*many, Leg(account_id=OMNIBUS, amount=-len(many), currency="USD")))
        )


def test_opening_an_account_is_idempotent_but_not_a_redefinition(ledger: Ledger) -> None:
    again = ledger.open_account(chart.investor_cash_account("alice", "USD"))
    assert again.type is AccountType.INVESTOR_CASH
    with pytest.raises(AccountConflictError):
        ledger.open_account(Account(id=ALICE, owner="alice", type=AccountType.INVESTOR_CASH, currency="EUR"))


def test_a_sharded_account_cannot_promise_non_negative() -> None:
    with pytest.raises(ValidationError, match="sharded"):
        Account(id="hot", owner="p", type=AccountType.PLATFORM_OMNIBUS, currency="USD", shards=4, non_negative=True)


def test_hot_account_writes_spread_over_shards_and_sum_on_read(ledger: Ledger) -> None:
    omnibus = ledger.account(OMNIBUS)
    used = Counter(shard_for(omnibus, f"t-{i}") for i in range(400))
    assert set(used) == set(range(chart.HOT_ACCOUNT_SHARDS))
    for i in range(40):
        ledger.transfer(move(f"t-{i}", OMNIBUS, ALICE if i % 2 else BOB, 10))
    assert ledger.balance(OMNIBUS).posted == -400


def test_a_hold_reserves_then_posts_for_less(ledger: Ledger, clock: ManualClock) -> None:
    ledger.transfer(move("fund", OMNIBUS, ALICE, 1_000))
    ledger.hold(hold("h-1", 600, clock() + timedelta(hours=1)))
    assert (ledger.balance(ALICE).posted, ledger.balance(ALICE).available) == (1_000, 400)
    with pytest.raises(InsufficientFundsError):
        ledger.hold(hold("h-2", 401, clock() + timedelta(hours=1)))
    ledger.resolve(ResolveRequest(id="h-1.post", pending_id="h-1", action=Resolution.POST, amount=450))
    alice = ledger.balance(ALICE)
    assert (alice.posted, alice.pending_debits, alice.available) == (550, 0, 550)
    assert ledger.get_transfer("h-1").state is PendingState.POSTED
    with pytest.raises(PendingNotOpenError, match="posted"):
        ledger.resolve(ResolveRequest(id="h-1.void", pending_id="h-1", action=Resolution.VOID))


def test_a_hold_cannot_post_more_than_it_holds(ledger: Ledger, clock: ManualClock) -> None:
    ledger.transfer(move("fund", OMNIBUS, ALICE, 1_000))
    ledger.hold(hold("h-1", 600, clock() + timedelta(hours=1)))
    with pytest.raises(InvalidTransferError, match="only 600"):
        ledger.resolve(ResolveRequest(id="h-1.post", pending_id="h-1", action=Resolution.POST, amount=601))


def test_holds_expire_once_and_cannot_be_posted_late(ledger: Ledger, clock: ManualClock) -> None:
    ledger.transfer(move("fund", OMNIBUS, ALICE, 1_000))
    ledger.hold(hold("h-1", 600, clock() + timedelta(hours=1)))
    assert ledger.expire_due() == []
    clock.advance(timedelta(hours=2))
    with pytest.raises(PendingNotOpenError, match="expired"):
        ledger.resolve(ResolveRequest(id="h-1.post", pending_id="h-1", action=Resolution.POST))
    [expired] = ledger.expire_due()
    assert expired.action is Resolution.EXPIRE
    assert ledger.expire_due() == []
    assert ledger.balance(ALICE).available == 1_000
    with pytest.raises(ValidationError):
        ResolveRequest(id="x", pending_id="h-1", action=Resolution.VOID, amount=5)


def hold(hold_id: str, amount: int, expires_at: datetime) -> HoldRequest:
    return HoldRequest(
        id=hold_id, debit_account=ALICE, credit_account=OMNIBUS, amount=amount, currency="USD", expires_at=expires_at
    )


def test_admin_transfers_need_a_reason_and_leave_an_audit_record(ledger: Ledger, clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match="reason"):
        AdminTransferRequest(
            id="adm-1", actor="ops-1", reason="oops", from_account=OMNIBUS, to_account=ALICE, amount=5, currency="USD"
        )
    request = AdminTransferRequest(
        id="adm-1",
        actor="ops-1",
        reason="goodwill credit after the outage",
        from_account=OMNIBUS,
        to_account=ALICE,
        amount=500,
        currency="USD",
    )
    ledger.admin_transfer(request)
    ledger.admin_transfer(request)
    [audit] = ledger.audit_trail(clock().date())
    assert (audit.actor, audit.action, audit.reason) == ("ops-1", "ledger.admin_transfer", request.reason)
    assert audit.subject["amount"] == "500"
    assert ledger.balance(ALICE).posted == 500


def test_a_statement_has_opening_entries_and_closing(ledger: Ledger, clock: ManualClock) -> None:
    ledger.transfer(move("before", OMNIBUS, ALICE, 1_000))
    clock.advance(timedelta(days=1))
    start = clock()
    ledger.transfer(move("in-1", ALICE, BOB, 300))
    clock.advance(timedelta(hours=1))
    ledger.transfer(move("in-2", OMNIBUS, ALICE, 50))
    clock.advance(timedelta(days=1))
    end = clock()
    ledger.transfer(move("after", ALICE, BOB, 100))
    statement = ledger.statement(ALICE, start, end)
    assert (statement.opening, statement.closing) == (1_000, 750)
    assert [e.transfer_id for e in statement.entries] == ["in-1", "in-2"]
    with pytest.raises(InvalidTransferError):
        ledger.statement(ALICE, end, start)


@settings(max_examples=30, deadline=None)
@given(count=st.integers(0, 40), limit=st.integers(1, 7))
def test_history_pages_cover_every_entry_once_in_order(count: int, limit: int) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    ledger = Ledger(InMemoryLedgerRepository(), clock)
    for account in (*chart.platform_accounts("USD"), chart.investor_cash_account("alice", "USD")):
        ledger.open_account(account)
    for i in range(count):
        clock.advance(timedelta(seconds=i % 3))  # several entries share an instant
        ledger.transfer(move(f"t-{i:03d}", OMNIBUS, ALICE, i + 1))
    seen: list[str] = []
    cursor = None
    while True:
        page = ledger.history(OMNIBUS, cursor=cursor, limit=limit)
        seen += [e.transfer_id for e in page.entries]
        if page.cursor is None:
            break
        cursor = page.cursor
    assert sorted(seen) == seen == [f"t-{i:03d}" for i in range(count)]


def test_currency_exponents_and_units() -> None:
    assert currencies.to_minor(Decimal("12.34"), "USD") == 1234
    assert currencies.to_minor(Decimal("1234"), "JPY") == 1234
    assert currencies.to_major(1_500_000, currencies.units_currency("p1")) == Decimal("1.5")
    with pytest.raises(ValueError, match="decimals"):
        currencies.to_minor(Decimal("0.001"), "USD")
    with pytest.raises(currencies.UnknownCurrencyError):
        currencies.exponent("XXX")
