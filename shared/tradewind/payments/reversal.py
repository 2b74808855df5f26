"""Taking money back from an investor who may already have spent it.

Refunds, chargebacks and a payout that settles after its hold lapsed must move the
full amount at the provider's side, whatever the investor still holds: what the
investor's available balance cannot cover is booked to the platform's losses
account (a receivable pursued outside the ledger) so the non-negative rule holds.
"""

from __future__ import annotations

from tradewind.ledger import chart
from tradewind.ledger.errors import InsufficientFundsError, TransferConflictError
from tradewind.ledger.models import Leg, TransferRecord, TransferRequest
from tradewind.ledger.service import Ledger

_ATTEMPTS = 10


def take_back(
    ledger: Ledger,
    *,
    transfer_id: str,
    user_id: str,
    amount: int,
    currency: str,
    memo: str,
    metadata: dict[str, str],
) -> TransferRecord:
    """Debit up to `amount` from the investor and the rest from losses; credit provider clearing.

    The split depends on the balance at the time, so a transfer id that already
    exists is returned as is rather than compared by content.
    """
    investor = chart.investor_cash(user_id, currency)
    for _ in range(_ATTEMPTS):
        existing = ledger.find_transfer(transfer_id)
        if existing is not None:
            return existing
        covered = min(amount, max(0, ledger.balance(investor).available))
        legs = [Leg(account_id=chart.provider_clearing(currency), amount=amount, currency=currency)]
        if covered:
            legs.append(Leg(account_id=investor, amount=-covered, currency=currency))
        if amount - covered:
            legs.append(Leg(account_id=chart.losses(currency), amount=-(amount - covered), currency=currency))
        try:
            return ledger.transfer(TransferRequest(id=transfer_id, legs=tuple(legs), memo=memo, metadata=metadata))
        except (InsufficientFundsError, TransferConflictError):
            continue  # the investor spent money meanwhile, or a concurrent delivery booked it: look again
    raise InsufficientFundsError(investor)
