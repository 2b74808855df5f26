"""The chart of accounts: the platform's standing accounts and the ids of per-user accounts.

Hot accounts (omnibus, provider clearing, fee income, market P&L, losses) are
touched by nearly every transfer of every investor; they are sharded so that
concurrent transfers update different DynamoDB items (see docs/ledger.md).
"""

from __future__ import annotations

from tradewind.ledger.models import Account, AccountType

PLATFORM_OWNER = "platform"
HOT_ACCOUNT_SHARDS = 16


def omnibus(currency: str) -> str:
    return f"platform.omnibus.{currency}"


def provider_clearing(currency: str) -> str:
    return f"platform.clearing.pelicanpay.{currency}"


def fee_income(currency: str) -> str:
    return f"platform.fee-income.{currency}"


def market_pnl(currency: str) -> str:
    return f"platform.market-pnl.{currency}"


def losses(currency: str) -> str:
    """Shortfalls the platform absorbs, e.g. a chargeback larger than what the investor still holds."""
    return f"platform.losses.{currency}"


def investor_cash(user_id: str, currency: str) -> str:
    return f"cash.{user_id}.{currency}"


def platform_accounts(currency: str) -> list[Account]:
    """The standing accounts every currency needs; all may go negative (they are assets or P&L)."""
    kinds = (
        (omnibus(currency), AccountType.PLATFORM_OMNIBUS),
        (provider_clearing(currency), AccountType.PROVIDER_CLEARING),
        (fee_income(currency), AccountType.FEE_INCOME),
        (market_pnl(currency), AccountType.MARKET_PNL),
        (losses(currency), AccountType.LOSSES),
    )
    return [
        Account(id=account_id, owner=PLATFORM_OWNER, type=kind, currency=currency, shards=HOT_ACCOUNT_SHARDS)
        for account_id, kind in kinds
    ]


def investor_cash_account(user_id: str, currency: str) -> Account:
    return Account(
        id=investor_cash(user_id, currency),
        owner=user_id,
        type=AccountType.INVESTOR_CASH,
        currency=currency,
        non_negative=True,
    )
