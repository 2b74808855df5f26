"""Session keys shared by the batch and live forms of session-anchored indicators.

A session is the UTC day, the ISO week (from Monday) or the calendar month a
bar opens in; the key is an integer that changes exactly when the session does.
Batch and live call this same function, so they can never disagree on a boundary.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.indicators.spec import ParameterSpec, ParameterType

DAY, WEEK, MONTH = 0, 1, 2
ANCHOR_PARAMETER = ParameterSpec(
    name="anchor",
    display_name="Session",
    help="The period that resets the indicator",
    type=ParameterType.CHOICE,
    default=DAY,
    choices={DAY: "day (UTC)", WEEK: "week (from Monday, UTC)", MONTH: "month (UTC)"},
)
# 1970-01-01 was a Thursday: shifting by 3 days puts week boundaries on Mondays.
_THURSDAY_TO_MONDAY = 3


def session_keys(times_ns: npt.NDArray[Any], anchor: int) -> npt.NDArray[Any]:
    stamps = np.asarray(times_ns, dtype="int64").astype("datetime64[ns]")
    if anchor == MONTH:
        return stamps.astype("datetime64[M]").astype("int64")
    days = stamps.astype("datetime64[D]").astype("int64")
    if anchor == WEEK:
        return (days + _THURSDAY_TO_MONDAY) // 7
    return days


def session_starts(keys: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Index of the first bar of each session."""
    return np.concatenate(([0], np.flatnonzero(np.diff(keys)) + 1)) if len(keys) else np.zeros(0, dtype=np.int64)
