"""The records producers put on the market-data stream (partition key = symbol)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class TradeMessage(BaseModel):
    """One trade print. Prices are Decimal so a relay never rounds them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["trade"] = "trade"
    symbol: str = Field(pattern=r"^[A-Z0-9.^=-]{1,20}$")
    ts: AwareDatetime
    price: Decimal = Field(gt=0, max_digits=20, decimal_places=10)
    size: Decimal = Field(ge=0, max_digits=20, decimal_places=6)

    @property
    def timestamp(self) -> datetime:
        return self.ts
