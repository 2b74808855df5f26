"""Broker cost profiles: commissions, slippage and share granularity.

A strategy names its broker; the profile says what a fill costs there, so a
backtest charges what paper and live trading will. Rates are floats because
they scale float market prices inside the compiled loop; booked money is
converted to Decimal by the ledger.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Commission(BaseModel):
    """fee = max(minimum, rate x notional + per_share x shares + per_order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float = Field(default=0.0, ge=0, le=0.1, description="fraction of notional: 0.002 is 0.2%")
    per_share: float = Field(default=0.0, ge=0)
    per_order: float = Field(default=0.0, ge=0)
    minimum: float = Field(default=0.0, ge=0)


class Slippage(BaseModel):
    """Market and stop fills move against the order by bps of the price plus whole ticks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bps: float = Field(default=0.0, ge=0, le=1000)
    ticks: int = Field(default=0, ge=0, le=1000)


class BrokerProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    commission: Commission = Commission()
    slippage: Slippage = Slippage()
    tick_size: float = Field(default=0.01, gt=0)
    fractional: bool = Field(default=False, description="fractional shares allowed; else whole shares")


BROKERS: dict[str, BrokerProfile] = {
    profile.name: profile
    for profile in (
        BrokerProfile(name="paper"),
        BrokerProfile(name="alpaca", fractional=True, slippage=Slippage(bps=1.0)),
        BrokerProfile(
            name="ibkr",
            commission=Commission(per_share=0.005, minimum=1.0),
            slippage=Slippage(ticks=1),
        ),
    )
}


def broker_profile(name: str) -> BrokerProfile:
    try:
        return BROKERS[name]
    except KeyError:
        raise ValueError(f"unknown broker {name!r} (have: {', '.join(sorted(BROKERS))})") from None
