"""The overfitting guard: the deflated Sharpe ratio of the best of many trials.

Picking the best of N parameter sets inflates its Sharpe ratio even when no
set has an edge. The deflated Sharpe ratio (Bailey & Lopez de Prado, 2014) is
the probability that the winner's true Sharpe exceeds the best Sharpe one
would expect from N skill-less trials with the observed spread of Sharpe
ratios; below 0.95 the winner is not distinguishable from luck.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.backtest.metrics import probabilistic_sharpe

_EULER_GAMMA = 0.5772156649015329


def expected_max_sharpe(trial_sharpes: npt.NDArray[Any]) -> float:
    """Expected maximum per-bar Sharpe of len(trial_sharpes) independent skill-less trials."""
    trials = trial_sharpes.size
    spread = float(np.std(trial_sharpes, ddof=1))
    normal = NormalDist()
    return spread * (
        (1.0 - _EULER_GAMMA) * normal.inv_cdf(1.0 - 1.0 / trials)
        + _EULER_GAMMA * normal.inv_cdf(1.0 - 1.0 / (trials * math.e))
    )


def deflated_sharpe(best_returns: npt.NDArray[Any], trial_sharpes: npt.NDArray[Any]) -> float | None:
    """P(the best trial's true Sharpe > what luck alone gives the best of these trials)."""
    finite = trial_sharpes[np.isfinite(trial_sharpes)]
    if finite.size < 2:
        return None
    return probabilistic_sharpe(best_returns, benchmark=expected_max_sharpe(finite))
