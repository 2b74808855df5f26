"""Pools, fund orders, valuations and holding statements."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from tradewind.ledger.models import Currency, Frozen, Id

NAV_PLACES = Decimal("1e-10")
PoolId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Rate = Annotated[Decimal, Field(ge=0, lt=1, max_digits=8, decimal_places=6)]


class PoolRequest(Frozen):
    """Opening a strategy's investment pool; fee rates are annual fractions (0.02 = 2 %)."""

    id: PoolId
    strategy_id: Id
    currency: Currency
    management_fee: Rate = Decimal("0.02")
    performance_fee: Rate = Decimal("0.20")


class Pool(Frozen):
    request: PoolRequest
    created_at: AwareDatetime
    high_water_mark: Decimal | None = None
    last_valuation_at: AwareDatetime | None = None
    valuations: int = 0


class OrderKind(StrEnum):
    SUBSCRIPTION = "subscription"
    REDEMPTION = "redemption"


class OrderStatus(StrEnum):
    PENDING = "pending"
    DEALT = "dealt"
    CANCELLED = "cancelled"


class OrderRequest(Frozen):
    """Subscribe `amount` cash (minor units) or redeem `amount` units (micro-units); `id` makes it idempotent."""

    id: Id
    pool_id: PoolId
    user_id: Id
    kind: OrderKind
    amount: int = Field(gt=0)


class FundOrder(Frozen):
    request: OrderRequest
    status: OrderStatus = OrderStatus.PENDING
    created_at: AwareDatetime
    dealt_at: AwareDatetime | None = None
    nav: Decimal | None = None
    units: int | None = None
    cash: int | None = None
    note: str = ""


class Valuation(Frozen):
    """One NAV strike: figures fixed before any transfer, so a crashed run resumes identically."""

    id: str
    pool_id: str
    at: AwareDatetime
    positions_value: int
    revaluation: int
    management_fee: int
    performance_fee: int
    equity: int
    units: int
    nav: Decimal
    equity_after_dealing: int | None = None
    units_after_dealing: int | None = None
    nav_after_dealing: Decimal | None = None


class HoldingStatement(Frozen):
    pool_id: str
    user_id: str
    currency: str
    at: AwareDatetime
    units: int
    units_pending_redemption: int
    nav: Decimal
    value: int
    invested: int
    pnl: int
    fees_paid: int
