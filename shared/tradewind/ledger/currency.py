"""Currencies and their minor-unit exponents.

Fiat currencies follow ISO 4217. Fund units are booked in the same ledger as a
per-pool pseudo-currency (`U-<pool id>`, six decimals) so that issuing and
cancelling units is double-entry too and cannot create units from nothing.
"""

from __future__ import annotations

import re
from decimal import Decimal

FIAT_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "SEK": 2,
    "NOK": 2,
    "PLN": 2,
    "CZK": 2,
    "JPY": 0,
    "KRW": 0,
    "BHD": 3,
    "KWD": 3,
}
UNIT_EXPONENT = 6
UNIT_PREFIX = "U-"
_UNIT_RE = re.compile(r"^U-[a-z0-9][a-z0-9-]{0,62}$")


class UnknownCurrencyError(ValueError):
    """A currency code the ledger does not book."""


def is_units(currency: str) -> bool:
    return currency.startswith(UNIT_PREFIX)


def units_currency(pool_id: str) -> str:
    code = f"{UNIT_PREFIX}{pool_id}"
    validate(code)
    return code


def exponent(currency: str) -> int:
    if currency in FIAT_EXPONENTS:
        return FIAT_EXPONENTS[currency]
    if _UNIT_RE.match(currency):
        return UNIT_EXPONENT
    raise UnknownCurrencyError(f"unknown currency {currency!r}")


def validate(currency: str) -> str:
    exponent(currency)
    return currency


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Exact decimal amount for display; never used for arithmetic on balances."""
    return Decimal(amount_minor).scaleb(-exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Parse a decimal amount, refusing anything finer than the currency's minor unit."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)
