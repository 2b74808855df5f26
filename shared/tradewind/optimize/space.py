"""The parameter space a strategy declares (its ranges) and binding one point of it.

A dimension is named by its path in the document (`indicators.rsi.params.timeperiod`,
`long.entry.lt[1]`), so results read in the terms the admin wrote, and binding is
a document edit followed by the normal validation: a bound strategy is an
ordinary strategy, run by the ordinary engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tradewind.strategy.model import Strategy
from tradewind.strategy.ranges import ParamRange

_RANGE_KEYS = frozenset(ParamRange.model_fields)
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Dimension:
    path: str
    values: tuple[float, ...]


def _is_range(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and bool(node)
        and set(node) <= _RANGE_KEYS
        and (node.get("values") is not None or node.get("min") is not None)
    )


def _document(strategy: Strategy) -> dict[str, Any]:
    document: dict[str, Any] = strategy.model_dump(mode="json", by_alias=True)
    return document


def dimensions(strategy: Strategy) -> list[Dimension]:
    found: list[Dimension] = []

    def walk(node: Any, path: str) -> None:
        if _is_range(node):
            found.append(Dimension(path=path, values=ParamRange.model_validate(node).candidates()))
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}[{index}]")

    walk(_document(strategy), "")
    return found


def bind(strategy: Strategy, assignment: Mapping[str, float]) -> Strategy:
    """The strategy with each named range replaced by the given value."""
    document = _document(strategy)
    for path, value in assignment.items():
        steps = [name if name else int(index) for name, index in _STEP.findall(path)]
        parent: Any = document
        for step in steps[:-1]:
            parent = parent[step]
        if not _is_range(parent[steps[-1]]):
            raise ValueError(f"{path} is not a parameter range of {strategy.name!r}")
        parent[steps[-1]] = value
    return Strategy.model_validate(document)
