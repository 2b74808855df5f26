"""numba, typed at this one boundary, and where its on-disk cache lives.

Every compiled function uses `cache=True`: machine code is written beside the
module (numba's default), or under `.build/numba` / `/tmp/tradewind-numba` when
the package folder is read-only (a Lambda image), so a second process loads it
instead of compiling again.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast


def _cache_dir() -> Path | None:
    """Where compiled machine code is cached when numba's default (beside this file) is read-only."""
    if os.access(Path(__file__).parent, os.W_OK):
        return None
    for candidate in (Path(__file__).resolve().parents[3] / ".build" / "numba", Path("/tmp/tradewind-numba")):  # noqa: S108
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    return None


# numba ships no type information: it is typed as Any at this one boundary.
_numba: Any = importlib.import_module("numba")
_CACHE_DIR = _cache_dir()
if _CACHE_DIR is not None and not _numba.config.CACHE_DIR:
    _numba.config.CACHE_DIR = str(_CACHE_DIR)

_F = TypeVar("_F", bound=Callable[..., Any])


def njit(**options: Any) -> Callable[[_F], _F]:
    """numba.njit with its type erased: the compiled function keeps the Python signature."""

    def compile_lazily(function: _F) -> _F:
        return cast(_F, _numba.njit(**options)(function))

    return compile_lazily
