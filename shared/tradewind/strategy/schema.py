"""The published JSON Schema of strategy documents (docs/strategy.schema.json), generated from the models.

The schema is generated, never edited by hand, so it cannot drift from what
the validator accepts; a test compares the published file with this output.
Run `python -m tradewind.strategy.schema > docs/strategy.schema.json` after a
change to the models.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from tradewind.strategy.conditions import RELATIVE_TOLERANCE
from tradewind.strategy.model import SHORTHAND_PATTERN, Strategy

SCHEMA_ID = "https://tradewind.example/schemas/strategy-1.json"

COMPARISON_SEMANTICS = (
    f"Comparisons and crosses treat |a - b| <= {RELATIVE_TOLERANCE:g} * max(|a|, |b|, 1) as equal, so rounding "
    "noise never flips a signal. crosses_above(a, b) fires on a bar where a > b and the latest earlier bar with "
    "a != b had a < b: a cross through a tie (below, equal, above) counts once, on the bar that completes it, and a "
    "touch (below, equal, below) is no cross (backtrader's rule); crosses_below mirrors it. A bar where either side "
    "is undefined (indicator warm-up) has no side. Operands: a number, a range (optimizable constant), a price column "
    "(open, high, low, close, volume), an indicator (rsi) or its named output (stoch.slowk), each optionally on a "
    "higher timeframe of the universe (close@1w)."
)


def strategy_schema() -> dict[str, Any]:
    schema = Strategy.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "Tradewind strategy"
    schema["description"] = "A declarative trading strategy. " + COMPARISON_SEMANTICS
    for name in ("Gt", "Ge", "Lt", "Le", "Eq", "CrossesAbove", "CrossesBelow"):
        schema["$defs"][name]["description"] = COMPARISON_SEMANTICS
    written = schema["$defs"]["Indicator"]
    schema["$defs"]["Indicator"] = {
        "description": written.pop("description", ""),
        "anyOf": [
            written,
            {
                "type": "string",
                "pattern": SHORTHAND_PATTERN,
                "description": "shorthand: STOCH(14, 3, 3), RSI(timeperiod=14)",
            },
        ],
    }
    return schema


def render() -> str:
    return json.dumps(strategy_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
