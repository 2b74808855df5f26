"""TA-Lib, typed as `Any` at this one boundary.

TA-Lib 0.8 ships partial type stubs (no `abstract.Function`, `MA_Type`,
`InsufficientHistory` or metadata calls), which would otherwise force ignores
at every use. Everything in `tradewind.indicators` imports TA-Lib from here.
"""

from __future__ import annotations

import importlib
from typing import Any

talib: Any = importlib.import_module("talib")
abstract: Any = importlib.import_module("talib.abstract")
stream: Any = importlib.import_module("talib.stream")
talib_c: Any = importlib.import_module("talib._ta_lib")
