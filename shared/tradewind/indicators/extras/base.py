"""What a Tradewind-computed indicator provides to the catalog and the live engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy.typing as npt

from tradewind.indicators.spec import IndicatorSpec

Arrays = Mapping[str, npt.NDArray[Any]]
Params = Mapping[str, float | int]


class LiveExtra(Protocol):
    """Incremental form: one closed bar in, the latest outputs out, state as JSON-able data."""

    def update(self, row: Mapping[str, float]) -> tuple[float, ...]: ...

    def state(self) -> dict[str, Any]: ...


class Extra(Protocol):
    spec: IndicatorSpec

    def compute(self, data: Arrays, params: Params) -> dict[str, npt.NDArray[Any]]: ...

    def window(self, params: Params) -> int:
        """How many trailing bars the live form needs the engine to keep."""
        ...

    def live(self, params: Params, state: dict[str, Any] | None, window: Arrays) -> LiveExtra:
        """A live form, fresh (state None) or restored from `state` and the kept bars."""
        ...
