"""Loading and checking strategy documents, reporting every problem with its exact path.

An admin fixing a strategy wants the whole list at once, each line naming the
field (`long.entry.all[1].crosses_above[0]: unknown indicator output 'stoch.k'
(have: stoch.slowk, stoch.slowd)`), so both pydantic's structural errors and
the cross-reference checks below end up as `Issue`s in one `StrategyInvalid`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from tradewind.execution.costs import BROKERS
from tradewind.indicators import catalog
from tradewind.indicators.errors import IndicatorError
from tradewind.indicators.spec import IndicatorSpec
from tradewind.strategy.conditions import All, AnyOf, Binary, Condition, Not, Operand, Within
from tradewind.strategy.model import PRICE_COLUMNS, Indicator, Strategy
from tradewind.strategy.ranges import ParamRange


class Issue(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class StrategyInvalid(ValueError):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


def load_strategy(path: Path) -> Strategy:
    """Read a JSON or YAML strategy file; raise StrategyInvalid listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StrategyInvalid([Issue(path="", message=f"cannot read {path}: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise StrategyInvalid(
            [Issue(path="", message=f"{path} is not valid {path.suffix[1:].upper()}: {exc}")]
        ) from None
    return parse_strategy(data)


def parse_strategy(data: Any) -> Strategy:
    try:
        strategy = Strategy.model_validate(data)
    except ValidationError as exc:
        issues = [Issue(path=_path(e["loc"]), message=e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
        raise StrategyInvalid(issues) from None
    issues = list(check(strategy))
    if issues:
        raise StrategyInvalid(issues)
    return strategy


def _path(loc: tuple[int | str, ...]) -> str:
    """`('long', 'entry', 'all', 1, 'gt', 'gt', 0)` -> `long.entry.all[1].gt[0]` (tags fold into their key)."""
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != previous:
            out += f".{part}" if out else part
        previous = part
    return out


def check(strategy: Strategy) -> Iterator[Issue]:
    """Cross-reference checks that pydantic cannot express."""
    if strategy.universe.broker not in BROKERS:
        yield Issue(
            path="universe.broker",
            message=f"unknown broker {strategy.universe.broker!r} (have: {', '.join(sorted(BROKERS))})",
        )
    specs: dict[str, IndicatorSpec] = {}
    for name, indicator in strategy.indicators.items():
        path = f"indicators.{name}"
        try:
            specs[name] = catalog.get(indicator.function)
        except IndicatorError as exc:
            yield Issue(path=f"{path}.function", message=str(exc))
            continue
        yield from _check_indicator(path, indicator, specs[name])
    refs = _References(strategy, specs)
    for side in ("long", "short"):
        rules = getattr(strategy, side)
        if rules is None:
            continue
        yield from refs.condition(f"{side}.entry", rules.entry)
        if rules.exit is not None:
            yield from refs.condition(f"{side}.exit", rules.exit)
    policy = strategy.execution
    yield from refs.operand("execution.entry.reference", policy.entry.reference)
    if policy.exits.stop_loss is not None and policy.exits.stop_loss.indicator is not None:
        yield from refs.operand("execution.exits.stop_loss.indicator", policy.exits.stop_loss.indicator)


def _check_indicator(path: str, indicator: Indicator, spec: IndicatorSpec) -> Iterator[Issue]:
    names = [p.name for p in spec.parameters]
    if len(indicator.args) > len(names):
        yield Issue(
            path=f"{path}.args", message=f"{spec.name} takes at most {len(names)} parameters ({', '.join(names)})"
        )
        return
    for key in indicator.params:
        if key not in names:
            yield Issue(
                path=f"{path}.params.{key}",
                message=f"{spec.name} has no parameter {key!r} (have: {', '.join(names) or 'none'})",
            )
    positional = dict(zip(names, indicator.args, strict=False))
    for key in set(positional) & set(indicator.params):
        yield Issue(path=f"{path}.params.{key}", message="given both by position and by name")
    for key, value in {**positional, **indicator.params}.items():
        if key not in names:
            continue
        for candidate in _probes(value):
            try:
                catalog.resolve_params(spec, {key: candidate})
            except IndicatorError as exc:
                yield Issue(path=f"{path}.params.{key}", message=str(exc))
                break
    inputs = [i.name for i in spec.inputs]
    for key, column in indicator.inputs.items():
        if key not in inputs:
            yield Issue(
                path=f"{path}.inputs.{key}", message=f"{spec.name} has no input {key!r} (have: {', '.join(inputs)})"
            )
        elif column not in PRICE_COLUMNS:
            yield Issue(path=f"{path}.inputs.{key}", message=f"unknown price column {column!r}")


def _probes(value: float | ParamRange) -> tuple[float, ...]:
    """The values that decide whether a range is valid: its ends and its first fraction, if any."""
    if not isinstance(value, ParamRange):
        return (value,)
    values = value.candidates()
    fraction = next((v for v in values if v != int(v)), None)
    return (min(values), max(values), *(() if fraction is None else (fraction,)))


class _References:
    def __init__(self, strategy: Strategy, specs: dict[str, IndicatorSpec]) -> None:
        self._strategy = strategy
        self._specs = specs
        universe = strategy.universe
        self._timeframes = {universe.timeframe.value, *(tf.value for tf in universe.higher_timeframes)}

    def operand(self, path: str, operand: Operand) -> Iterator[Issue]:
        if isinstance(operand, float | int | ParamRange):
            return
        base, _, timeframe = operand.partition("@")
        if timeframe and timeframe not in self._timeframes:
            have = ", ".join(sorted(self._timeframes))
            yield Issue(
                path=path, message=f"timeframe {timeframe!r} is not in universe.higher_timeframes (have: {have})"
            )
        name, _, output = base.partition(".")
        if name in PRICE_COLUMNS:
            if output:
                yield Issue(path=path, message=f"price column {name!r} has no outputs")
            return
        if name not in self._strategy.indicators:
            have = ", ".join(sorted(self._strategy.indicators)) or "none"
            yield Issue(
                path=path, message=f"unknown indicator {name!r} (have: {have}; prices: {', '.join(PRICE_COLUMNS)})"
            )
            return
        spec = self._specs.get(name)
        if spec is None:
            return
        outputs = spec.output_names
        have = ", ".join(f"{name}.{o}" for o in outputs)
        if output and output not in outputs:
            yield Issue(path=path, message=f"unknown indicator output {base!r} (have: {have})")
        elif not output and len(outputs) > 1:
            yield Issue(path=path, message=f"indicator {name!r} has several outputs: name one (have: {have})")

    def condition(self, path: str, node: Condition) -> Iterator[Issue]:
        if isinstance(node, Binary):
            for index, operand in enumerate(node.pair):
                yield from self.operand(f"{path}.{node.op}[{index}]", operand)
            if not any(isinstance(x, str) for x in node.pair):
                yield Issue(path=f"{path}.{node.op}", message="compares two constants")
        elif isinstance(node, All | AnyOf):
            key, children = ("all", node.all) if isinstance(node, All) else ("any", node.any)
            for index, child in enumerate(children):
                yield from self.condition(f"{path}.{key}[{index}]", child)
        elif isinstance(node, Not):
            yield from self.condition(f"{path}.not", node.not_)
        elif isinstance(node, Within):
            yield from self.condition(f"{path}.within.condition", node.within.condition)
        else:
            reference = node.pattern.indicator
            sub = f"{path}.pattern.indicator"
            issues = list(self.operand(sub, reference))
            yield from issues
            spec = self._specs.get(reference.partition("@")[0].partition(".")[0])
            if not issues and (spec is None or not spec.is_candlestick):
                yield Issue(path=sub, message=f"{reference!r} is not a candlestick pattern indicator")
