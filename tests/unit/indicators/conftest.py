from pathlib import Path

import numpy as np
import pytest

from tradewind.indicators.catalog import bar_arrays
from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.timeframe import Timeframe

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def gbm_bars(count: int, seed: int, minutes: int = 60) -> dict[str, np.ndarray]:
    """Seeded geometric Brownian motion bars with consistent OHLC, volume and hourly timestamps."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, count)))
    opens = np.concatenate(([100.0], close[:-1])) * np.exp(rng.normal(0.0, 0.002, count))
    spread = np.abs(rng.normal(0.0, 0.004, count))
    return {
        "time": (np.arange(count, dtype="int64") * minutes + 28_401_000) * 60 * 1_000_000_000,
        "open": opens,
        "high": np.maximum(opens, close) * (1 + spread),
        "low": np.minimum(opens, close) * (1 - spread),
        "close": close,
        "volume": rng.integers(1, 10_000, count).astype("float64"),
        "periods": rng.integers(2, 30, count).astype("float64"),
    }


@pytest.fixture(scope="session")
def nvda() -> dict[str, np.ndarray]:
    frame = import_file(SAMPLES / "nvda-1d-1999-2014.csv", ImportOptions(timeframe=Timeframe.D1)).frame
    return bar_arrays(frame)
