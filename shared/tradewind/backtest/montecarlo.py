"""Trade-order resampling: how much of a result is the luck of the order trades came in.

Each trade's P&L as a fraction of the equity it was entered with is drawn
with replacement (a bootstrap of the same length) many times; each draw is
compounded from the starting cash, giving a distribution of final return and
of maximum drawdown. Fractions, not dollars, because sizes scale with equity. The generator is seeded,
so a report is reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

PERCENTILES: tuple[int, ...] = (5, 25, 50, 75, 95)


class MonteCarlo(BaseModel):
    model_config = ConfigDict(frozen=True)

    samples: int
    return_pct: dict[str, float]
    max_drawdown_pct: dict[str, float]
    probability_of_loss_pct: float


def resample_trades(trade_returns: npt.NDArray[Any], samples: int = 1000, seed: int = 7) -> MonteCarlo | None:
    """`trade_returns`: each trade's P&L over the equity before its entry (0.01 = +1% of equity)."""
    if trade_returns.size < 2:
        return None
    rng = np.random.default_rng(seed)
    draws = trade_returns[rng.integers(0, trade_returns.size, size=(samples, trade_returns.size))]
    paths = np.cumprod(1.0 + np.maximum(draws, -1.0), axis=1)
    paths = np.concatenate([np.ones((samples, 1)), paths], axis=1)
    peaks = np.maximum.accumulate(paths, axis=1)
    final = (paths[:, -1] - 1.0) * 100.0
    worst = (1.0 - paths / peaks).max(axis=1) * 100.0
    return MonteCarlo(
        samples=samples,
        return_pct={f"p{p}": float(np.percentile(final, p)) for p in PERCENTILES},
        max_drawdown_pct={f"p{p}": float(np.percentile(worst, p)) for p in PERCENTILES},
        probability_of_loss_pct=float(np.mean(final < 0) * 100.0),
    )
