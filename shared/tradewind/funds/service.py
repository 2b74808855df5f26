"""Strategy pools: forward-priced subscriptions and redemptions, valuations, fees.

Accounts of pool P (currency C, units `U-P` with six decimals):

- `pool.P.cash`, `pool.P.positions` (marked to market at each valuation against
  the platform's market P&L account) and `pool.P.fees` (accrued fees, negative
  while owed): equity = the sum of the three.
- `pool.P.subscriptions` (cash) and `pool.P.redemptions` (units): credit side of
  the holds that reserve an order's money or units until it is dealt.
- `pool.P.units-issued`: minus the units outstanding. Units are issued to and
  cancelled from `holding.P.<user>` by balanced transfers, so units, like money,
  cannot appear from nothing.

An order placed before a valuation is dealt at that valuation's NAV (forward
pricing, no one trades on a known price). Fees are per pool: a management fee
accrued daily on equity, and a performance fee above the pool's high-water mark
of NAV per unit, crystallised at each valuation (docs/funds.md says why).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from tradewind.funds.models import (
    NAV_PLACES,
    FundOrder,
    HoldingStatement,
    OrderKind,
    OrderRequest,
    OrderStatus,
    Pool,
    PoolRequest,
    Valuation,
)
from tradewind.ledger import chart
from tradewind.ledger import currency as currencies
from tradewind.ledger.errors import InsufficientFundsError, PendingNotOpenError
from tradewind.ledger.models import (
    Account,
    AccountType,
    Entry,
    HoldRequest,
    Leg,
    Resolution,
    ResolveRequest,
    TransferRequest,
)
from tradewind.ledger.ports import time_key
from tradewind.ledger.records import IndexKey, RecordStore, load, mutate
from tradewind.ledger.service import Ledger

SECONDS_PER_YEAR = 365 * 24 * 3600
ORDER_HOLD_LIFETIME = timedelta(days=3650)


class FundError(Exception):
    """A pool or order request that cannot be honoured; nothing was booked."""


def pool_cash(pool_id: str) -> str:
    return f"pool.{pool_id}.cash"


def pool_positions(pool_id: str) -> str:
    return f"pool.{pool_id}.positions"


def pool_fees(pool_id: str) -> str:
    return f"pool.{pool_id}.fees"


def pool_subscriptions(pool_id: str) -> str:
    return f"pool.{pool_id}.subscriptions"


def pool_redemptions(pool_id: str) -> str:
    return f"pool.{pool_id}.redemptions"


def units_issued(pool_id: str) -> str:
    return f"pool.{pool_id}.units-issued"


def holding(pool_id: str, user_id: str) -> str:
    return f"holding.{pool_id}.{user_id}"


def _pool_key(pool_id: str) -> tuple[str, str]:
    return f"POOL#{pool_id}", "POOL"


def _order_key(pool_id: str, user_id: str, order_id: str) -> tuple[str, str]:
    return f"FUNDINV#{pool_id}#{user_id}", f"ORDER#{order_id}"


def _order_index(order: FundOrder) -> IndexKey | None:
    if order.status is not OrderStatus.PENDING:
        return None
    return IndexKey(f"POOL-ORDERS#{order.request.pool_id}", f"{time_key(order.created_at)}#{order.request.id}")


def _order_transfer(request: OrderRequest, step: str) -> str:
    return f"fund.{request.pool_id}.{request.user_id}.{request.id}.{step}"


def _valuation_key(pool_id: str, at: datetime) -> tuple[str, str]:
    return f"POOL#{pool_id}", f"NAV#{time_key(at)}"


class FundService:
    def __init__(self, ledger: Ledger, store: RecordStore, clock: Callable[[], datetime]) -> None:
        self._ledger = ledger
        self._store = store
        self._clock = clock

    # Pools ------------------------------------------------------------------------

    def open_pool(self, request: PoolRequest) -> Pool:
        pid, currency = request.id, request.currency
        units = currencies.units_currency(pid)
        owner = f"pool-{pid}"
        for account_id, kind, code, non_negative in (
            (pool_cash(pid), AccountType.POOL_CASH, currency, True),
            (pool_positions(pid), AccountType.POOL_POSITIONS, currency, False),
            (pool_fees(pid), AccountType.POOL_FEES_ACCRUED, currency, False),
            (pool_subscriptions(pid), AccountType.POOL_DEALING, currency, True),
            (pool_redemptions(pid), AccountType.POOL_DEALING, units, True),
            (units_issued(pid), AccountType.POOL_UNITS_ISSUED, units, False),
        ):
            self._ledger.open_account(
                Account(id=account_id, owner=owner, type=kind, currency=code, non_negative=non_negative)
            )
        for account in chart.platform_accounts(currency):
            self._ledger.open_account(account)
        pool = Pool(request=request, created_at=self._clock())
        if not self._store.create(*_pool_key(pid), pool.model_dump(mode="json")):
            existing = self.pool(pid)
            if existing.request != request:
                raise FundError(f"pool {pid!r} already exists with other terms")
            return existing
        return pool

    def pool(self, pool_id: str) -> Pool:
        pool = load(self._store, *_pool_key(pool_id), Pool)
        if pool is None:
            raise FundError(f"unknown pool {pool_id!r}")
        return pool

    def equity(self, pool_id: str) -> int:
        """Pool cash + positions at their last mark - accrued fees, in minor units."""
        return sum(
            self._ledger.balance(a).posted for a in (pool_cash(pool_id), pool_positions(pool_id), pool_fees(pool_id))
        )

    def units_outstanding(self, pool_id: str) -> int:
        return -self._ledger.balance(units_issued(pool_id)).posted

    def record_trade(self, pool_id: str, trade_id: str, cash_amount: int) -> None:
        """Book a strategy's buy (cash_amount > 0 moves cash into positions) or sell (< 0) at cost."""
        currency = self.pool(pool_id).request.currency
        self._ledger.transfer(
            TransferRequest(
                id=f"trade.{pool_id}.{trade_id}",
                legs=(
                    Leg(account_id=pool_cash(pool_id), amount=-cash_amount, currency=currency),
                    Leg(account_id=pool_positions(pool_id), amount=cash_amount, currency=currency),
                ),
                memo="strategy trade",
            )
        )

    # Orders -----------------------------------------------------------------------

    def place_order(self, request: OrderRequest) -> FundOrder:
        """Reserve the cash (subscription) or units (redemption) until the next valuation deals it."""
        pool = self.pool(request.pool_id)
        key = _order_key(request.pool_id, request.user_id, request.id)
        order = FundOrder(request=request, created_at=self._clock())
        if not self._store.create(*key, order.model_dump(mode="json"), _order_index(order)):
            existing = load(self._store, *key, FundOrder)
            assert existing is not None
            if existing.request != request:
                raise FundError(f"order id {request.id!r} was already used for another order")
            order = existing
            if order.status is not OrderStatus.PENDING:
                return order
        currency = pool.request.currency
        self._ledger.open_account(
            Account(
                id=holding(pool.request.id, request.user_id),
                owner=request.user_id,
                type=AccountType.INVESTOR_FUND_HOLDING,
                currency=currencies.units_currency(pool.request.id),
                non_negative=True,
            )
        )
        if request.kind is OrderKind.SUBSCRIPTION:
            debit, credit, code = (
                chart.investor_cash(request.user_id, currency),
                pool_subscriptions(pool.request.id),
                currency,
            )
        else:
            debit, credit, code = (
                holding(pool.request.id, request.user_id),
                pool_redemptions(pool.request.id),
                currencies.units_currency(pool.request.id),
            )
        try:
            self._ledger.hold(
                HoldRequest(
                    id=_order_transfer(request, "hold"),
                    debit_account=debit,
                    credit_account=credit,
                    amount=request.amount,
                    currency=code,
                    expires_at=order.created_at + ORDER_HOLD_LIFETIME,
                    memo=f"fund {request.kind.value}",
                )
            )
        except InsufficientFundsError:
            self._set_order(order, status=OrderStatus.CANCELLED, note="insufficient balance")
            raise FundError(f"insufficient balance for this {request.kind.value}") from None
        return order

    def cancel_order(self, pool_id: str, user_id: str, order_id: str) -> FundOrder:
        order = self._order(pool_id, user_id, order_id)
        if order.status is OrderStatus.PENDING:
            try:
                self._ledger.resolve(
                    ResolveRequest(
                        id=_order_transfer(order.request, "cancel"),
                        pending_id=_order_transfer(order.request, "hold"),
                        action=Resolution.VOID,
                    )
                )
            except PendingNotOpenError as error:
                if error.state == "posted":
                    raise FundError(f"order {order_id!r} is being dealt and can no longer be cancelled") from None
            order = self._set_order(order, status=OrderStatus.CANCELLED, note="cancelled by the investor")
        return order

    def _order(self, pool_id: str, user_id: str, order_id: str) -> FundOrder:
        order = load(self._store, *_order_key(pool_id, user_id, order_id), FundOrder)
        if order is None:
            raise FundError(f"unknown order {order_id!r}")
        return order

    def _set_order(self, order: FundOrder, **changes: object) -> FundOrder:
        def change(o: FundOrder) -> FundOrder:
            return o if o.status is not OrderStatus.PENDING else o.model_copy(update=changes)

        key = _order_key(order.request.pool_id, order.request.user_id, order.request.id)
        return mutate(self._store, *key, FundOrder, change, index_of=_order_index)

    # Valuation --------------------------------------------------------------------

    def value(self, pool_id: str, at: datetime, positions_value: int) -> Valuation:
        """Mark positions, accrue fees, strike the NAV, deal pending orders, pay fees from cash.

        Idempotent per (pool, at): the figures are stored before any transfer and every
        transfer id derives from them, so a crashed or repeated run completes the same way.
        """
        pool = self.pool(pool_id)
        stored = load(self._store, *_valuation_key(pool_id, at), Valuation)
        if stored is not None and stored.nav_after_dealing is not None:
            return stored
        valuation = stored or self._plan(pool, at, positions_value)
        self._apply_fees(pool, valuation)

        def advance(p: Pool) -> Pool:
            if p.last_valuation_at is not None and p.last_valuation_at >= at:
                return p
            hwm = max(p.high_water_mark or valuation.nav, valuation.nav)
            return p.model_copy(
                update={"last_valuation_at": at, "valuations": p.valuations + 1, "high_water_mark": hwm}
            )

        mutate(self._store, *_pool_key(pool_id), Pool, advance)
        # Orders placed strictly before the valuation instant are dealt at its price.
        for record in self._store.query_index(f"POOL-ORDERS#{pool_id}", time_key(at), 10_000):
            self._deal(FundOrder.model_validate(record.data), valuation, at)
        self._pay_fees(pool, valuation)
        equity, units = self.equity(pool_id), self.units_outstanding(pool_id)
        settled = valuation.model_copy(
            update={
                "equity_after_dealing": equity,
                "units_after_dealing": units,
                "nav_after_dealing": self._nav(equity, units, pool.request.currency),
            }
        )
        mutate(self._store, *_valuation_key(pool_id, at), Valuation, lambda _: settled)
        return settled

    def _plan(self, pool: Pool, at: datetime, positions_value: int) -> Valuation:
        pid, currency = pool.request.id, pool.request.currency
        if pool.last_valuation_at is not None and at <= pool.last_valuation_at:
            raise FundError(f"pool {pid!r} was already valued at {pool.last_valuation_at.isoformat()}")
        revaluation = positions_value - self._ledger.balance(pool_positions(pid)).posted
        units = self.units_outstanding(pid)
        equity = self.equity(pid) + revaluation
        management = 0
        if units and pool.last_valuation_at is not None and equity > 0:
            seconds = int((at - pool.last_valuation_at).total_seconds())
            management = math.floor(
                Fraction(equity) * Fraction(pool.request.management_fee) * seconds / SECONDS_PER_YEAR
            )
        equity -= management
        performance = 0
        if units and pool.high_water_mark is not None and equity > 0:
            hurdle = (
                Fraction(pool.high_water_mark)
                * units
                * 10 ** currencies.exponent(currency)
                / 10**currencies.UNIT_EXPONENT
            )
            if equity > hurdle:
                performance = math.floor((equity - hurdle) * Fraction(pool.request.performance_fee))
        equity -= performance
        valuation = Valuation(
            id=f"{pid}.{at.strftime('%Y%m%dT%H%M%S%f')}",
            pool_id=pid,
            at=at,
            positions_value=positions_value,
            revaluation=revaluation,
            management_fee=management,
            performance_fee=performance,
            equity=equity,
            units=units,
            nav=self._nav(equity, units, currency),
        )
        if not self._store.create(*_valuation_key(pid, at), valuation.model_dump(mode="json")):
            stored = load(self._store, *_valuation_key(pid, at), Valuation)
            assert stored is not None
            return stored
        return valuation

    def _apply_fees(self, pool: Pool, v: Valuation) -> None:
        pid, currency = pool.request.id, pool.request.currency
        for step, amount, debit, credit in (
            ("mark", v.revaluation, chart.market_pnl(currency), pool_positions(pid)),
            ("management-fee", v.management_fee, pool_fees(pid), chart.fee_income(currency)),
            ("performance-fee", v.performance_fee, pool_fees(pid), chart.fee_income(currency)),
        ):
            if amount:
                self._ledger.transfer(
                    TransferRequest(
                        id=f"val.{v.id}.{step}",
                        legs=(
                            Leg(account_id=debit, amount=-amount, currency=currency),
                            Leg(account_id=credit, amount=amount, currency=currency),
                        ),
                        memo=f"valuation {step}",
                    )
                )

    def _pay_fees(self, pool: Pool, v: Valuation) -> None:
        pid, currency = pool.request.id, pool.request.currency
        if self._ledger.find_transfer(f"val.{v.id}.pay-fees") is not None:
            return
        owed = -self._ledger.balance(pool_fees(pid)).posted
        payable = min(owed, self._ledger.balance(pool_cash(pid)).available)
        if payable > 0:
            self._ledger.transfer(
                TransferRequest(
                    id=f"val.{v.id}.pay-fees",
                    legs=(
                        Leg(account_id=pool_cash(pid), amount=-payable, currency=currency),
                        Leg(account_id=pool_fees(pid), amount=payable, currency=currency),
                    ),
                    memo="fees paid from pool cash",
                )
            )

    def _deal(self, order: FundOrder, v: Valuation, at: datetime) -> None:
        """Deal one order at the valuation's exact price (equity / units), rounding for the pool."""
        request = order.request
        pid = request.pool_id
        currency = self.pool(pid).request.currency
        units_code = currencies.units_currency(pid)
        done = self._ledger.find_transfer(_order_transfer(request, "deal"))
        if done is None:
            if request.kind is OrderKind.SUBSCRIPTION:
                if v.units == 0:
                    units = request.amount * 10 ** (currencies.UNIT_EXPONENT - currencies.exponent(currency))
                else:
                    units = request.amount * v.units // v.equity if v.equity > 0 else 0
                cash = request.amount
                if units == 0:
                    self.cancel_order(pid, request.user_id, request.id)
                    return
                legs: tuple[Leg, ...] = (
                    Leg(account_id=pool_subscriptions(pid), amount=-cash, currency=currency),
                    Leg(account_id=pool_cash(pid), amount=cash, currency=currency),
                    Leg(account_id=units_issued(pid), amount=-units, currency=units_code),
                    Leg(account_id=holding(pid, request.user_id), amount=units, currency=units_code),
                )
            else:
                units = request.amount
                cash = units * v.equity // v.units if v.units and v.equity > 0 else 0
                legs = (
                    Leg(account_id=pool_redemptions(pid), amount=-units, currency=units_code),
                    Leg(account_id=units_issued(pid), amount=units, currency=units_code),
                )
                if cash:
                    legs += (
                        Leg(account_id=pool_cash(pid), amount=-cash, currency=currency),
                        Leg(account_id=chart.investor_cash(request.user_id, currency), amount=cash, currency=currency),
                    )
            try:
                self._ledger.resolve(
                    ResolveRequest(
                        id=_order_transfer(request, "post"),
                        pending_id=_order_transfer(request, "hold"),
                        action=Resolution.POST,
                    )
                )
            except PendingNotOpenError as error:
                if error.state != "posted":
                    self._set_order(order, status=OrderStatus.CANCELLED, note=f"hold {error.state}")
                    return
            try:
                done = self._ledger.transfer(
                    TransferRequest(id=_order_transfer(request, "deal"), legs=legs, memo=f"fund {request.kind.value}")
                )
            except InsufficientFundsError:
                # Not enough pool cash to pay a redemption: it waits for the next valuation.
                self._set_order(order, note="waiting for pool cash")
                return
        units = sum(leg.amount for leg in done.legs if leg.account_id == holding(pid, request.user_id))
        paid = sum(leg.amount for leg in done.legs if leg.account_id == pool_cash(pid))
        self._set_order(
            order, status=OrderStatus.DEALT, dealt_at=at, nav=v.nav, units=abs(units) or request.amount, cash=abs(paid)
        )

    @staticmethod
    def _nav(equity: int, units: int, currency: str) -> Decimal:
        """NAV per unit in major currency units; 1 before the first units exist."""
        if units == 0:
            return Decimal(1).quantize(NAV_PLACES)
        scale = Decimal(10) ** (currencies.UNIT_EXPONENT - currencies.exponent(currency))
        return (Decimal(equity) * scale / Decimal(units)).quantize(NAV_PLACES, rounding=ROUND_HALF_EVEN)

    def nav_history(self, pool_id: str) -> list[Valuation]:
        return [Valuation.model_validate(r.data) for r in self._store.query(f"POOL#{pool_id}", "NAV#")]

    # Statements -------------------------------------------------------------------

    def holding_statement(self, pool_id: str, user_id: str) -> HoldingStatement:
        pool = self.pool(pool_id)
        currency = pool.request.currency
        account = holding(pool_id, user_id)
        history = self.nav_history(pool_id)
        orders = [FundOrder.model_validate(r.data) for r in self._store.query(f"FUNDINV#{pool_id}#{user_id}", "ORDER#")]
        if self._ledger.find_account(account) is None:
            units, pending = 0, 0
            entries: list[tuple[datetime, int]] = []
        else:
            balance = self._ledger.balance(account)
            units, pending = balance.posted, balance.pending_debits
            entries = [(e.at, e.amount) for e in self._all_entries(account)]
        nav = next((v.nav_after_dealing or v.nav for v in reversed(history)), self._nav(0, 0, currency))
        scale = Decimal(10) ** (currencies.UNIT_EXPONENT - currencies.exponent(currency))
        value = int(Decimal(units) * nav / scale)
        invested = sum(
            (o.cash or 0) * (1 if o.request.kind is OrderKind.SUBSCRIPTION else -1)
            for o in orders
            if o.status is OrderStatus.DEALT
        )
        fees = Fraction(0)
        for v in history:
            held = sum(amount for at, amount in entries if at < v.at)
            if v.units and held:
                fees += Fraction(v.management_fee + v.performance_fee) * held / v.units
        return HoldingStatement(
            pool_id=pool_id,
            user_id=user_id,
            currency=currency,
            at=self._clock(),
            units=units,
            units_pending_redemption=pending,
            nav=nav,
            value=value,
            invested=invested,
            pnl=value - invested,
            fees_paid=math.floor(fees),
        )

    def _all_entries(self, account_id: str) -> list[Entry]:
        entries: list[Entry] = []
        cursor = None
        while True:
            page = self._ledger.history(account_id, cursor=cursor, limit=1000)
            entries += page.entries
            if page.cursor is None:
                return entries
            cursor = page.cursor
