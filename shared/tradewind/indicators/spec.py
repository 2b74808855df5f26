"""The description of an indicator that the CLI, the API and the strategy builder show.

The same shape describes TA-Lib functions (generated from TA-Lib's metadata)
and Tradewind's own numpy indicators, so a consumer never needs to know which
engine computes a name.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Engine(StrEnum):
    TALIB = "ta-lib"
    TRADEWIND = "tradewind"


class ParameterType(StrEnum):
    INT = "int"
    FLOAT = "float"
    CHOICE = "choice"


class ParameterSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    display_name: str
    help: str
    type: ParameterType
    default: float | int
    minimum: float | int | None = None
    maximum: float | int | None = None
    # For CHOICE parameters: value -> meaning (e.g. TA-Lib's moving-average types).
    choices: dict[int, str] | None = None


class InputSpec(BaseModel):
    """One positional input of the function and the bar column that feeds it by default."""

    model_config = ConfigDict(frozen=True)

    name: str
    default_source: str


class OutputSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    flags: tuple[str, ...] = ()


class IndicatorSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    group: str
    display_name: str
    engine: Engine
    inputs: tuple[InputSpec, ...]
    parameters: tuple[ParameterSpec, ...]
    outputs: tuple[OutputSpec, ...]
    flags: tuple[str, ...] = ()
    # How to read the output: set for candlestick patterns and documented indicators.
    output_convention: str = ""

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)

    @property
    def is_candlestick(self) -> bool:
        return "Output is a candlestick" in self.flags

    @property
    def is_path_dependent(self) -> bool:
        return "Output is path-dependent" in self.flags

    def parameter(self, name: str) -> ParameterSpec | None:
        return next((p for p in self.parameters if p.name == name), None)
