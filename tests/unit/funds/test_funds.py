"""Strategy pools: units at forward NAV, fees and the high-water mark, redemptions, statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradewind.funds.models import OrderKind, OrderRequest, OrderStatus, PoolRequest
from tradewind.funds.service import FundError, FundService, holding, pool_positions
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.memory import InMemoryLedgerRepository, InMemoryRecordStore
from tradewind.ledger.models import Leg, TransferRequest
from tradewind.ledger.service import Ledger

UNITS_PER_USD = 10_000  # micro-units per cent at NAV 1: 1 unit = 10^6 micro-units = 100 cents


class Pool:
    def __init__(self, management_fee: str = "0", performance_fee: str = "0") -> None:
        self.clock = ManualClock(datetime(2026, 1, 5, 16, tzinfo=UTC))
        self.ledger = Ledger(InMemoryLedgerRepository(), self.clock)
        self.store = InMemoryRecordStore()
        self.funds = FundService(self.ledger, self.store, self.clock)
        self.funds.open_pool(
            PoolRequest(
                id="p1",
                strategy_id="s1",
                currency="USD",
                management_fee=Decimal(management_fee),
                performance_fee=Decimal(performance_fee),
            )
        )
        self.orders = 0

    def give(self, user: str, amount: int) -> None:
        self.ledger.open_account(chart.investor_cash_account(user, "USD"))
        self.ledger.transfer(
            TransferRequest(
                id=f"give-{user}-{amount}-{self.orders}",
                legs=(
                    Leg(account_id=chart.omnibus("USD"), amount=-amount, currency="USD"),
                    Leg(account_id=chart.investor_cash(user, "USD"), amount=amount, currency="USD"),
                ),
            )
        )

    def order(self, user: str, kind: OrderKind, amount: int) -> OrderRequest:
        self.orders += 1
        request = OrderRequest(id=f"o-{self.orders}", pool_id="p1", user_id=user, kind=kind, amount=amount)
        self.funds.place_order(request)
        return request

    def value(self, positions: int | None = None) -> Decimal:
        """Value one day later and return the dealing NAV; positions keep their last mark unless given."""
        at = self.clock.advance(timedelta(days=1))
        marked = self.ledger.balance(pool_positions("p1")).posted if positions is None else positions
        return self.funds.value("p1", at, marked).nav

    def cash(self, user: str) -> int:
        return self.ledger.balance(chart.investor_cash(user, "USD")).posted

    def units(self, user: str) -> int:
        return self.ledger.balance(holding("p1", user)).posted


def test_the_first_subscription_sets_nav_one_and_later_ones_pay_the_next_nav() -> None:
    pool = Pool()
    pool.give("alice", 100_000)
    pool.give("bob", 100_000)
    pool.order("alice", OrderKind.SUBSCRIPTION, 50_000)
    assert pool.units("alice") == 0  # forward pricing: nothing happens before the valuation
    assert pool.value() == Decimal("1")
    assert pool.units("alice") == 50_000 * UNITS_PER_USD
    pool.funds.record_trade("p1", "buy-1", 40_000)
    pool.order("bob", OrderKind.SUBSCRIPTION, 22_000)
    nav = pool.value(positions=50_000)  # +10,000 on 50,000: NAV 1.2
    assert nav == Decimal("1.2")
    assert pool.units("bob") == 22_000 * UNITS_PER_USD * 10 // 12
    assert pool.funds.equity("p1") == 82_000


def test_an_order_placed_at_the_valuation_instant_waits_for_the_next_one() -> None:
    pool = Pool()
    pool.give("alice", 100_000)
    at = pool.clock.advance(timedelta(days=1))
    pool.order("alice", OrderKind.SUBSCRIPTION, 10_000)
    pool.funds.value("p1", at, 0)
    assert pool.units("alice") == 0
    pool.value()
    assert pool.units("alice") == 10_000 * UNITS_PER_USD


def test_the_management_fee_accrues_daily_on_equity() -> None:
    pool = Pool(management_fee="0.0365")  # 0.01 % a day
    pool.give("alice", 10_000_000)
    pool.order("alice", OrderKind.SUBSCRIPTION, 10_000_000)
    pool.value()
    pool.value()
    [_, second] = pool.funds.nav_history("p1")
    assert second.management_fee == 1_000
    assert pool.ledger.balance(chart.fee_income("USD")).posted == 1_000
    assert pool.funds.equity("p1") == 9_999_000


def test_the_performance_fee_is_taken_only_above_the_high_water_mark() -> None:
    pool = Pool(performance_fee="0.2")
    pool.give("alice", 100_000)
    pool.order("alice", OrderKind.SUBSCRIPTION, 100_000)
    pool.value()
    pool.funds.record_trade("p1", "buy", 100_000)
    pool.value(positions=110_000)  # 10,000 above the mark of 1.00: fee 2,000, new mark 1.08
    pool.value(positions=100_000)  # a loss (NAV 0.98): no fee, the mark stays
    pool.value(positions=115_000)  # NAV 1.13 before fees: only the 5,000 above 1.08 is charged
    fees = [v.performance_fee for v in pool.funds.nav_history("p1")]
    assert fees == [0, 2_000, 0, 1_000]
    assert pool.funds.pool("p1").high_water_mark == Decimal("1.12")


def test_redemptions_pay_at_nav_and_wait_for_cash() -> None:
    pool = Pool()
    pool.give("alice", 100_000)
    pool.order("alice", OrderKind.SUBSCRIPTION, 100_000)
    pool.value()
    pool.funds.record_trade("p1", "buy", 100_000)  # everything is invested
    request = pool.order("alice", OrderKind.REDEMPTION, 50 * 10**6)  # 50 units
    pool.value(positions=120_000)  # NAV 1.2, but the pool has no cash to pay 60.00
    assert pool.cash("alice") == 0
    assert pool.units("alice") == 950 * 10**6
    with pytest.raises(FundError, match="no longer"):
        pool.funds.cancel_order("p1", "alice", request.id)
    pool.funds.record_trade("p1", "sell", -20_000)
    pool.value()
    assert pool.cash("alice") == 6_000
    assert pool.funds.units_outstanding("p1") == 950 * 10**6


def test_a_pending_subscription_can_be_cancelled() -> None:
    pool = Pool()
    pool.give("alice", 1_000)
    request = pool.order("alice", OrderKind.SUBSCRIPTION, 600)
    assert pool.funds.cancel_order("p1", "alice", request.id).status is OrderStatus.CANCELLED
    pool.value()
    assert (pool.cash("alice"), pool.units("alice")) == (1_000, 0)


def test_orders_are_idempotent_and_need_the_money() -> None:
    pool = Pool()
    pool.give("alice", 1_000)
    request = pool.order("alice", OrderKind.SUBSCRIPTION, 600)
    pool.funds.place_order(request)
    assert pool.ledger.balance(chart.investor_cash("alice", "USD")).available == 400
    with pytest.raises(FundError, match="another order"):
        pool.funds.place_order(request.model_copy(update={"amount": 601}))
    with pytest.raises(FundError, match="insufficient"):
        pool.order("alice", OrderKind.SUBSCRIPTION, 401)


def test_a_valuation_is_idempotent_and_time_only_moves_forward() -> None:
    pool = Pool()
    pool.give("alice", 1_000)
    pool.order("alice", OrderKind.SUBSCRIPTION, 1_000)
    at = pool.clock.advance(timedelta(days=1))
    first = pool.funds.value("p1", at, 0)
    assert pool.funds.value("p1", at, 999) == first
    with pytest.raises(FundError, match="already valued"):
        pool.funds.value("p1", at - timedelta(hours=1), 0)


def test_a_holding_statement_reports_units_value_invested_pnl_and_fees() -> None:
    pool = Pool(management_fee="0.0365")
    pool.give("alice", 1_000_000)
    pool.give("bob", 1_000_000)
    pool.order("alice", OrderKind.SUBSCRIPTION, 1_000_000)
    pool.order("bob", OrderKind.SUBSCRIPTION, 1_000_000)
    pool.value()
    pool.funds.record_trade("p1", "buy", 1_000_000)
    pool.value(positions=1_200_000)
    statement = pool.funds.holding_statement("p1", "alice")
    assert statement.units == 1_000_000 * UNITS_PER_USD
    assert statement.invested == 1_000_000
    assert statement.fees_paid == 110  # half of the day's 0.01 % on 2,200,000
    assert statement.value == 1_099_890
    assert statement.pnl == 99_890
    nobody = pool.funds.holding_statement("p1", "carol")
    assert (nobody.units, nobody.value, nobody.invested) == (0, 0, 0)
