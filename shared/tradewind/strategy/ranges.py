"""Numbers that an optimizer may vary: a fixed value or a declared range of values.

A strategy document is always runnable: a range has a default (its first value
unless stated), which a plain backtest uses; the optimizer binds other values.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

_MAX_VALUES = 100_000


class ParamRange(BaseModel):
    """Either `values` (an explicit list) or `min`/`max`/`step` (inclusive of both ends)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float | None = None
    max: float | None = None
    step: float | None = Field(default=None, gt=0)
    values: tuple[float, ...] | None = Field(default=None, min_length=1)
    default: float | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ParamRange:
        stepped = (self.min, self.max, self.step)
        if self.values is None and None in stepped:
            raise ValueError("a range needs either `values` or all of `min`, `max` and `step`")
        if self.values is not None and any(v is not None for v in stepped):
            raise ValueError("a range has either `values` or `min`/`max`/`step`, not both")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError("`max` is below `min`")
        if len(self.candidates()) > _MAX_VALUES:
            raise ValueError(f"a range may hold at most {_MAX_VALUES} values")
        return self

    def candidates(self) -> tuple[float, ...]:
        if self.values is not None:
            return self.values
        assert self.min is not None and self.max is not None and self.step is not None
        count = int(np.floor((self.max - self.min) / self.step + 1e-9)) + 1
        return tuple(float(round(self.min + i * self.step, 12)) for i in range(count))

    def initial(self) -> float:
        return self.default if self.default is not None else self.candidates()[0]


Tunable = Annotated[float | ParamRange, Field(description="a number, or a range of numbers to optimize over")]


def fixed(value: float | ParamRange) -> float:
    """The value a plain run uses."""
    return value.initial() if isinstance(value, ParamRange) else value
