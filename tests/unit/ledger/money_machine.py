"""A hypothesis state machine over every money operation, shared by the in-memory and DynamoDB runs.

Subclasses provide the ports (`make_ports`) and a way to list every account and
transfer (`all_accounts`, `all_transfers`); the rules and invariants are the same.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from local.sandboxes.pelicanpay import PelicanPaySimulator, RefusedError
from tradewind.funds import service as funds
from tradewind.funds.models import OrderKind, OrderRequest, PoolRequest
from tradewind.funds.service import FundError
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.errors import InsufficientFundsError, PendingNotOpenError
from tradewind.ledger.models import (
    Account,
    Balance,
    HoldRequest,
    Leg,
    Resolution,
    ResolveRequest,
    TransferRecord,
    TransferRequest,
)
from tradewind.ledger.ports import LedgerRepository
from tradewind.ledger.records import RecordStore
from tradewind.ledger.service import AdminTransferRequest
from tradewind.payments.deposits import DepositError, DepositRequest, RefundCommand
from tradewind.payments.provider import PaymentKind, PaymentStatus
from tradewind.payments.schedules import Frequency, ScheduleRequest
from tradewind.payments.webhooks import WebhookRejectedError, sign
from tradewind.payments.wiring import assemble
from tradewind.payments.withdrawals import Limit, StepUpProof, WithdrawalError, WithdrawalPolicy, WithdrawalRequest

USERS = ("alice", "bob", "carol")
SECRET = "whsec-machine"
POOL = "p1"
USD = "USD"
amounts = st.integers(min_value=1, max_value=60_000)


class MoneyMachine(RuleBasedStateMachine):
    def make_ports(self) -> tuple[LedgerRepository, RecordStore]:
        raise NotImplementedError

    def all_accounts(self) -> list[Account]:
        raise NotImplementedError

    def transfers_to_check(self) -> list[TransferRecord]:
        """Every transfer not yet checked; journal records are immutable, so once is enough."""
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
        repository, store = self.make_ports()
        self.provider = PelicanPaySimulator()
        policy = WithdrawalPolicy(limits={USD: Limit(per_withdrawal=50_000, per_day=80_000)})
        self.money = assemble(repository, store, self.provider, (SECRET,), clock=self.clock, policy=policy)
        self.ledger = self.money.ledger
        self.money.funds.open_pool(PoolRequest(id=POOL, strategy_id="s1", currency=USD))
        self.ids = itertools.count()
        self.undelivered: list[dict[str, object]] = []
        self.delivered: list[dict[str, object]] = []
        self.signed: list[tuple[bytes, str]] = []
        self.replays: list[Callable[[], object]] = []
        self.holds: list[str] = []
        for user in USERS:
            # Every investor starts with a deposit credited through the whole webhook path.
            self.provider.configure(outcome="succeed")
            self.money.deposits.start(
                DepositRequest(id=f"seed-{user}", user_id=user, amount=200_000, currency=USD, mode="direct")
            )
            for event in self.provider.take_events():
                self.send(event)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self.ids)}"

    def collect_events(self) -> None:
        self.undelivered += self.provider.take_events()

    # Snapshots ------------------------------------------------------------------------

    def balances(self) -> dict[str, Balance]:
        return {a.id: self.ledger.balance(a.id) for a in self.all_accounts()}

    def assert_no_op(self, operation: Callable[[], object]) -> None:
        before = self.balances()
        # A refused replay is as good as a no-op, provided nothing moved.
        with contextlib.suppress(InsufficientFundsError, WithdrawalError, FundError, DepositError):
            operation()
        assert self.balances() == before

    # Deposits and webhooks ----------------------------------------------------------------

    @rule(
        user=st.sampled_from(USERS),
        amount=amounts,
        outcome=st.sampled_from(["succeed", "fail", "pending", "hosted"]),
    )
    def deposit(self, user: str, amount: int, outcome: str) -> None:
        self.provider.configure(outcome="pending" if outcome == "hosted" else outcome)
        request = DepositRequest(
            id=self.next_id("dep"),
            user_id=user,
            amount=amount,
            currency=USD,
            mode="hosted" if outcome == "hosted" else "direct",
            payment_method=None if outcome == "hosted" else "card-on-file",
        )
        self.money.deposits.start(request)
        self.replays.append(lambda: self.money.deposits.start(request))
        self.collect_events()

    @rule(data=st.data(), outcome=st.sampled_from(["succeed", "fail"]))
    def finish_pending_payment(self, data: st.DataObject, outcome: str) -> None:
        pending = [p for p in self.provider.payments() if p.status is PaymentStatus.PENDING]
        if pending:
            self.provider.complete(data.draw(st.sampled_from(pending)).id, outcome)  # type: ignore[arg-type]
            self.collect_events()

    def send(self, event: dict[str, object]) -> None:
        body = json.dumps(event).encode()
        # A provider's retry comes later and is signed afresh; only an identical delivery is a replay.
        header = sign(SECRET, body, int(self.clock.advance(timedelta(seconds=1)).timestamp()))
        self.money.webhooks.handle(body, header)
        self.signed.append((body, header))

    @rule(data=st.data(), duplicate=st.booleans())
    def deliver_webhook(self, data: st.DataObject, duplicate: bool) -> None:
        """Any pending event, not the oldest: deliveries arrive out of order."""
        if not self.undelivered:
            return
        event = self.undelivered.pop(data.draw(st.integers(0, len(self.undelivered) - 1)))
        self.send(event)
        if duplicate:
            self.assert_no_op(lambda: self.send(event))
        self.delivered.append(event)

    @rule(data=st.data())
    def provider_retries_webhook(self, data: st.DataObject) -> None:
        if self.delivered:
            event = data.draw(st.sampled_from(self.delivered))
            self.assert_no_op(lambda: self.send(event))

    @rule(data=st.data())
    def attacker_replays_delivery(self, data: st.DataObject) -> None:
        if self.signed:
            body, header = data.draw(st.sampled_from(self.signed))

            def replay() -> None:
                try:
                    self.money.webhooks.handle(body, header)
                except WebhookRejectedError:
                    return
                raise AssertionError("a replayed delivery was accepted")

            self.assert_no_op(replay)

    @rule(data=st.data())
    def charge_back(self, data: st.DataObject) -> None:
        succeeded = [
            p for p in self.provider.payments() if p.kind is PaymentKind.TOPUP and p.status is PaymentStatus.SUCCEEDED
        ]
        if succeeded:
            self.provider.charge_back(data.draw(st.sampled_from(succeeded)).id)
            self.collect_events()

    @rule(data=st.data(), share=st.integers(1, 100))
    def refund(self, data: st.DataObject, share: int) -> None:
        topups = [p for p in self.provider.payments() if p.kind is PaymentKind.TOPUP]
        if not topups:
            return
        deposit = self.money.deposits.get(data.draw(st.sampled_from(topups)).reference)
        command = RefundCommand(
            deposit_id=deposit.id,
            refund_id=self.next_id("refund"),
            amount=max(1, deposit.amount * share // 100),
            actor="admin-1",
            reason="customer asked for a refund",
        )
        try:
            self.money.deposits.refund(command)
        except (DepositError, RefusedError):
            return
        self.collect_events()

    # Withdrawals ------------------------------------------------------------------------

    @rule(user=st.sampled_from(USERS), amount=amounts, outcome=st.sampled_from(["succeed", "fail", "pending"]))
    def withdraw(self, user: str, amount: int, outcome: str) -> None:
        self.provider.configure(outcome=outcome)
        withdrawal_id = self.next_id("wd")

        def request() -> object:
            proof = StepUpProof(user_id=user, method="totp", verified_at=self.clock())
            return self.money.withdrawals.request(
                WithdrawalRequest(
                    id=withdrawal_id, user_id=user, amount=amount, currency=USD, destination="iban-1", step_up=proof
                )
            )

        try:
            request()
        except WithdrawalError:
            return
        self.replays.append(request)
        self.collect_events()

    @rule()
    def recover_withdrawals(self) -> None:
        self.money.withdrawals.recover(self.clock() + timedelta(hours=1))
        self.collect_events()

    # Holds and transfers -------------------------------------------------------------------

    @rule(user=st.sampled_from(USERS), amount=amounts, hours=st.integers(1, 72))
    def hold(self, user: str, amount: int, hours: int) -> None:
        request = HoldRequest(
            id=self.next_id("hold"),
            debit_account=chart.investor_cash(user, USD),
            credit_account=chart.omnibus(USD),
            amount=amount,
            currency=USD,
            expires_at=self.clock() + timedelta(hours=hours),
        )
        try:
            self.ledger.hold(request)
        except InsufficientFundsError:
            return
        self.holds.append(request.id)
        self.replays.append(lambda: self.ledger.hold(request))

    @rule(data=st.data(), action=st.sampled_from([Resolution.POST, Resolution.VOID]), share=st.integers(1, 100))
    def resolve_hold(self, data: st.DataObject, action: Resolution, share: int) -> None:
        if not self.holds:
            return
        pending_id = data.draw(st.sampled_from(self.holds))
        held = self.ledger.get_transfer(pending_id).legs[1].amount
        request = ResolveRequest(
            id=self.next_id("resolve"),
            pending_id=pending_id,
            action=action,
            amount=max(1, held * share // 100) if action is Resolution.POST else None,
        )
        try:
            self.ledger.resolve(request)
        except PendingNotOpenError:
            return
        self.replays.append(lambda: self.ledger.resolve(request))

    @rule(hours=st.integers(1, 24 * 5))
    def time_passes(self, hours: int) -> None:
        """The periodic job: scheduled payments, hold expiry, withdrawal recovery."""
        self.clock.advance(timedelta(hours=hours))
        self.money.run_due(self.clock())
        self.collect_events()

    @rule(
        payer=st.sampled_from(USERS),
        payee=st.sampled_from(USERS),
        amount=amounts,
        frequency=st.sampled_from(list(Frequency)),
        hours=st.integers(0, 48),
    )
    def schedule_payment(self, payer: str, payee: str, amount: int, frequency: Frequency, hours: int) -> None:
        self.money.schedules.create(
            ScheduleRequest(
                id=self.next_id("sched"),
                owner=payer,
                kind="transfer",
                amount=amount,
                currency=USD,
                from_account=chart.investor_cash(payer, USD),
                to_account=chart.investor_cash(payee, USD),
                first_run_at=self.clock() + timedelta(hours=hours),
                frequency=frequency,
                occurrences=3,
            )
        )

    @rule(user=st.sampled_from(USERS), amount=amounts, to_platform=st.booleans())
    def operator_transfer(self, user: str, amount: int, to_platform: bool) -> None:
        accounts = (chart.omnibus(USD), chart.investor_cash(user, USD))
        source, target = reversed(accounts) if to_platform else accounts
        request = AdminTransferRequest(
            id=self.next_id("adm"),
            actor="ops-1",
            reason="operator correction in the machine",
            from_account=source,
            to_account=target,
            amount=amount,
            currency=USD,
        )
        try:
            self.ledger.admin_transfer(request)
        except InsufficientFundsError:
            return
        self.replays.append(lambda: self.ledger.admin_transfer(request))

    @rule(sender=st.sampled_from(USERS), receiver=st.sampled_from(USERS), amount=amounts)
    def transfer(self, sender: str, receiver: str, amount: int) -> None:
        request = TransferRequest(
            id=self.next_id("xfer"),
            legs=(
                Leg(account_id=chart.investor_cash(sender, USD), amount=-amount, currency=USD),
                Leg(account_id=chart.investor_cash(receiver, USD), amount=amount, currency=USD),
            ),
        )
        try:
            self.ledger.transfer(request)
        except InsufficientFundsError:
            return
        self.replays.append(lambda: self.ledger.transfer(request))

    # Funds -------------------------------------------------------------------------------

    @rule(user=st.sampled_from(USERS), amount=amounts)
    def subscribe(self, user: str, amount: int) -> None:
        request = OrderRequest(
            id=self.next_id("sub"), pool_id=POOL, user_id=user, kind=OrderKind.SUBSCRIPTION, amount=amount
        )
        try:
            self.money.funds.place_order(request)
        except FundError:
            return
        self.replays.append(lambda: self.money.funds.place_order(request))

    @rule(user=st.sampled_from(USERS), share=st.integers(1, 100))
    def redeem(self, user: str, share: int) -> None:
        account = self.ledger.find_account(funds.holding(POOL, user))
        units = 0 if account is None else self.ledger.balance(account.id).available * share // 100
        if units <= 0:
            return
        request = OrderRequest(
            id=self.next_id("red"), pool_id=POOL, user_id=user, kind=OrderKind.REDEMPTION, amount=units
        )
        self.money.funds.place_order(request)
        self.replays.append(lambda: self.money.funds.place_order(request))

    @rule(share=st.integers(-100, 100))
    def strategy_trades(self, share: int) -> None:
        """Buy with a share of the pool's cash, or sell a share of its positions at their market value."""
        if share >= 0:
            amount = self.ledger.balance(funds.pool_cash(POOL)).available * share // 100
        else:
            amount = -(self.ledger.balance(funds.pool_positions(POOL)).posted * -share // 100)
        if amount:
            self.money.funds.record_trade(POOL, self.next_id("trade"), amount)

    @rule(move_bp=st.integers(-3000, 3000))
    def valuation(self, move_bp: int) -> None:
        self.clock.advance(timedelta(days=1))
        marked = max(0, self.ledger.balance(funds.pool_positions(POOL)).posted * (10_000 + move_bp) // 10_000)
        at = self.clock()
        self.money.funds.value(POOL, at, marked)
        self.replays.append(lambda: self.money.funds.value(POOL, at, marked))

    # Replays -------------------------------------------------------------------------------

    @rule(data=st.data())
    def replay_an_operation(self, data: st.DataObject) -> None:
        if self.replays:
            self.assert_no_op(data.draw(st.sampled_from(self.replays)))

    # Invariants ------------------------------------------------------------------------------

    @invariant()
    def every_transfer_balances(self) -> None:
        for transfer in self.transfers_to_check():
            totals: dict[str, int] = defaultdict(int)
            for leg in transfer.legs:
                totals[leg.currency] += leg.amount
            assert all(total == 0 for total in totals.values()), transfer

    @invariant()
    def books_sum_to_zero_and_respect_flags(self) -> None:
        posted: dict[str, int] = defaultdict(int)
        pending: dict[str, int] = defaultdict(int)
        balances = self.balances()
        for account in self.all_accounts():
            balance = balances[account.id]
            posted[account.currency] += balance.posted
            pending[account.currency] += balance.pending_debits - balance.pending_credits
            if account.non_negative:
                assert balance.available >= 0 and balance.posted >= 0, balance
        assert all(v == 0 for v in posted.values()), posted
        assert all(v == 0 for v in pending.values()), pending

    @invariant()
    def units_times_nav_is_equity(self) -> None:
        history = self.money.funds.nav_history(POOL)
        units = self.money.funds.units_outstanding(POOL)
        if not history or units == 0:
            return
        nav = history[-1].nav_after_dealing
        assert nav is not None
        value_minor = Decimal(units) * nav / Decimal(10) ** 4
        assert abs(value_minor - self.money.funds.equity(POOL)) <= 1
