"""Reconciliation: every provider payment of a period against the ledger, and back.

Each provider object implies one ledger transfer with a known id (a succeeded
top-up → `dep.<ref>.credit`, a paid payout → `wd.<ref>.settle`, a succeeded
refund → `dep.<deposit>.refund.<ref>`). Forward, every implied transfer must exist
with the provider's amount; backward, every posting on the clearing account in the
period must be explained by a provider object. Each gap is one `Mismatch`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tradewind.ledger import chart
from tradewind.ledger.models import Frozen
from tradewind.ledger.service import Ledger
from tradewind.payments.provider import PaymentKind, PaymentProvider, PaymentStatus, ProviderPayment


class MismatchKind(StrEnum):
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_AT_PROVIDER = "missing_at_provider"
    AMOUNT_DIFFERS = "amount_differs"
    BOOKED_BUT_NOT_SUCCEEDED = "booked_but_not_succeeded"


class Mismatch(Frozen):
    kind: MismatchKind
    transfer_id: str
    provider_payment_id: str | None = None
    provider_amount: int | None = None
    ledger_amount: int | None = None


class ReconciliationReport(Frozen):
    currency: str
    start: datetime
    end: datetime
    provider_payments: int
    ledger_postings: int
    mismatches: tuple[Mismatch, ...]


class Reconciler:
    def __init__(self, ledger: Ledger, provider: PaymentProvider) -> None:
        self._ledger = ledger
        self._provider = provider

    def reconcile(self, currency: str, start: datetime, end: datetime) -> ReconciliationReport:
        payments = [p for p in self._provider.list_payments(start, end) if p.currency == currency]
        by_id = {p.id: p for p in payments}
        statement = self._ledger.statement(chart.provider_clearing(currency), start, end)
        postings: dict[str, int] = {}
        for entry in statement.entries:
            postings[entry.transfer_id] = postings.get(entry.transfer_id, 0) + abs(entry.amount)
        mismatches: list[Mismatch] = []
        explained: set[str] = set()
        for payment in payments:
            transfer_id = self._implied_transfer(payment, by_id)
            if transfer_id is None:
                continue
            explained.add(transfer_id)
            booked = self._ledger.find_transfer(transfer_id)
            amount = None if booked is None else max(leg.amount for leg in booked.legs)
            succeeded = payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CHARGED_BACK)
            if succeeded and booked is None:
                mismatches.append(self._mismatch(MismatchKind.MISSING_IN_LEDGER, transfer_id, payment, None))
            elif not succeeded and booked is not None:
                mismatches.append(self._mismatch(MismatchKind.BOOKED_BUT_NOT_SUCCEEDED, transfer_id, payment, amount))
            elif booked is not None and amount != payment.amount:
                mismatches.append(self._mismatch(MismatchKind.AMOUNT_DIFFERS, transfer_id, payment, amount))
        for transfer_id, amount in sorted(postings.items()):
            if transfer_id not in explained and not self._explained_elsewhere(transfer_id):
                mismatches.append(
                    Mismatch(kind=MismatchKind.MISSING_AT_PROVIDER, transfer_id=transfer_id, ledger_amount=amount)
                )
        return ReconciliationReport(
            currency=currency,
            start=start,
            end=end,
            provider_payments=len(payments),
            ledger_postings=len(postings),
            mismatches=tuple(mismatches),
        )

    def _implied_transfer(self, payment: ProviderPayment, by_id: dict[str, ProviderPayment]) -> str | None:
        match payment.kind:
            case PaymentKind.TOPUP:
                return f"dep.{payment.reference}.credit"
            case PaymentKind.PAYOUT:
                return f"wd.{payment.reference}.settle"
            case PaymentKind.REFUND:
                if payment.payment_id is None:
                    return None
                parent = by_id.get(payment.payment_id) or self._provider.get_payment(payment.payment_id)
                return f"dep.{parent.reference}.refund.{payment.reference}"
        return None

    def _explained_elsewhere(self, transfer_id: str) -> bool:
        """Postings whose provider object falls just outside the period, or that are not provider money."""
        parts = transfer_id.split(".")
        if parts[0] == "dep" and parts[-1] in ("credit", "chargeback"):
            return self._provider.find_by_reference(PaymentKind.TOPUP, ".".join(parts[1:-1])) is not None
        if parts[0] == "dep" and len(parts) >= 4 and parts[-2] == "refund":
            return self._provider.find_by_reference(PaymentKind.REFUND, parts[-1]) is not None
        if parts[0] == "wd" and parts[-1] in ("settle", "late-settle"):
            return self._provider.find_by_reference(PaymentKind.PAYOUT, ".".join(parts[1:-1])) is not None
        return False

    @staticmethod
    def _mismatch(kind: MismatchKind, transfer_id: str, payment: ProviderPayment, amount: int | None) -> Mismatch:
        return Mismatch(
            kind=kind,
            transfer_id=transfer_id,
            provider_payment_id=payment.id,
            provider_amount=payment.amount,
            ledger_amount=amount,
        )
