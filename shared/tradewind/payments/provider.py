"""The payment-provider port and the provider's objects, as the core sees them.

The contract mirrors docs/integrations/pelicanpay.md; amounts are integer minor units.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import AwareDatetime, Field

from tradewind.ledger.models import Currency, Frozen, Id


class PaymentKind(StrEnum):
    TOPUP = "topup"
    PAYOUT = "payout"
    REFUND = "refund"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CHARGED_BACK = "charged_back"


class ProviderPayment(Frozen):
    """A top-up, payout or refund as the provider reports it."""

    id: str = Field(min_length=1, max_length=128)
    kind: PaymentKind
    status: PaymentStatus
    amount: int = Field(gt=0)
    currency: Currency
    reference: Id
    created_at: AwareDatetime
    checkout_url: str | None = None
    # Refunds only: the top-up they return money from.
    payment_id: str | None = None


class TopUpRequest(Frozen):
    reference: Id
    amount: int = Field(gt=0)
    currency: Currency
    mode: Literal["hosted", "direct"] = "hosted"
    payment_method: str | None = Field(None, max_length=128)
    return_url: str | None = Field(None, max_length=2048)


class PayoutRequest(Frozen):
    reference: Id
    amount: int = Field(gt=0)
    currency: Currency
    destination: str = Field(min_length=1, max_length=128)


class RefundRequest(Frozen):
    reference: Id
    payment_id: str = Field(min_length=1, max_length=128)
    amount: int = Field(gt=0)


class ProviderError(Exception):
    """The provider refused or could not be reached; the request may be retried with the same reference."""


class PaymentProvider(Protocol):
    """Every call that creates something is idempotent by its `reference`."""

    def create_topup(self, request: TopUpRequest) -> ProviderPayment: ...

    def create_payout(self, request: PayoutRequest) -> ProviderPayment: ...

    def create_refund(self, request: RefundRequest) -> ProviderPayment: ...

    def get_payment(self, payment_id: str) -> ProviderPayment: ...

    def find_by_reference(self, kind: PaymentKind, reference: str) -> ProviderPayment | None: ...

    def list_payments(self, start: datetime, end: datetime) -> list[ProviderPayment]: ...
