"""The condition language of a strategy document.

A condition is a JSON object with exactly one key, the operator, so documents
read like the rule they state: `{"crosses_above": ["sma_fast", "sma_slow"]}`.
Operands are numbers or references: a price column (`close`), a single-output
indicator (`rsi`), a named output (`stoch.slowk`), each optionally evaluated on
a higher timeframe declared in the universe (`rsi@1w`, `close@1w`).

Comparison semantics (also in the JSON Schema): two values a and b are equal
when |a - b| <= 1e-12 * max(|a|, |b|, 1), so that rounding noise (TA-Lib's SMA
keeps a running sum) never flips a signal. `crosses_above(a, b)` fires on a bar
where a > b and the latest earlier bar with a != b had a < b; a touch (below,
equal, below) is no cross. A bar where either side is undefined (indicator
warm-up) has no side, and a cross needs a defined side before it.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from tradewind.strategy.ranges import ParamRange

REFERENCE_PATTERN = r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39})?(@[0-9]+[mhdwM])?$"
RELATIVE_TOLERANCE = 1e-12

Reference = Annotated[str, Field(pattern=REFERENCE_PATTERN, description="price column, indicator or indicator.output")]
# A constant may be a range, so thresholds can be optimized like indicator parameters.
Operand = float | ParamRange | Reference
Pair = Annotated[tuple[Operand, Operand], Field(description="[left, right]")]


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Binary(_Node):
    """A comparison or a cross of two operands; `op` names the key that holds them."""

    op: ClassVar[str]

    @property
    def pair(self) -> tuple[Operand, Operand]:
        value: tuple[Operand, Operand] = getattr(self, self.op)
        return value


class Gt(Binary):
    op: ClassVar[str] = "gt"
    gt: Pair


class Ge(Binary):
    op: ClassVar[str] = "ge"
    ge: Pair


class Lt(Binary):
    op: ClassVar[str] = "lt"
    lt: Pair


class Le(Binary):
    op: ClassVar[str] = "le"
    le: Pair


class Eq(Binary):
    op: ClassVar[str] = "eq"
    eq: Pair


class CrossesAbove(Binary):
    op: ClassVar[str] = "crosses_above"
    crosses_above: Pair


class CrossesBelow(Binary):
    op: ClassVar[str] = "crosses_below"
    crosses_below: Pair


class All(_Node):
    all: Annotated[tuple[Condition, ...], Field(min_length=1)]


class AnyOf(_Node):
    any: Annotated[tuple[Condition, ...], Field(min_length=1)]


class Not(_Node):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True)


class WithinSpec(_Node):
    bars: int = Field(ge=1, le=10_000, description="the condition held on this bar or one of the N-1 before it")
    condition: Condition


class Within(_Node):
    within: WithinSpec


class PatternSpec(_Node):
    indicator: Reference = Field(description="a candlestick-pattern indicator instance")
    direction: Literal["bullish", "bearish"]


class Pattern(_Node):
    pattern: PatternSpec


COMPARISONS: tuple[type[Binary], ...] = (Gt, Ge, Lt, Le, Eq)
CROSSES: tuple[type[Binary], ...] = (CrossesAbove, CrossesBelow)
_NODES: dict[str, type[_Node]] = {
    **{cls.op: cls for cls in (*COMPARISONS, *CROSSES)},
    "all": All,
    "any": AnyOf,
    "not": Not,
    "within": Within,
    "pattern": Pattern,
}


def _operator(value: Any) -> str | None:
    """The tag of a condition: its single key (or the model's class when already parsed)."""
    if isinstance(value, dict):
        keys = list(value)
        return keys[0] if len(keys) == 1 and keys[0] in _NODES else None
    for key, cls in _NODES.items():
        if isinstance(value, cls):
            return key
    return None


Condition = Annotated[
    Annotated[Gt, Tag("gt")]
    | Annotated[Ge, Tag("ge")]
    | Annotated[Lt, Tag("lt")]
    | Annotated[Le, Tag("le")]
    | Annotated[Eq, Tag("eq")]
    | Annotated[CrossesAbove, Tag("crosses_above")]
    | Annotated[CrossesBelow, Tag("crosses_below")]
    | Annotated[All, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Within, Tag("within")]
    | Annotated[Pattern, Tag("pattern")],
    Discriminator(
        _operator,
        custom_error_type="condition",
        custom_error_message=f"a condition is an object with exactly one operator key: {', '.join(_NODES)}",
    ),
]

for _model in (All, AnyOf, Not, WithinSpec):
    _model.model_rebuild()
