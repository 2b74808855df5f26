"""Live indicator engines survive between invocations through DynamoDB, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.adapters.market_state_dynamodb import DynamoLiveEngineStore, StaleEngineStateError
from tradewind.indicators.live import IndicatorRequest, LiveEngine
from tradewind.settings import get_settings

pytestmark = pytest.mark.usefixtures("moto_aws")

REQUESTS = [
    IndicatorRequest(name="RSI", params={"timeperiod": 14}),
    IndicatorRequest(name="MACD"),
    IndicatorRequest(name="STOCH"),
    IndicatorRequest(name="OBV"),
    IndicatorRequest(name="ATR", params={"timeperiod": 14}),
]


def _bars(n: int, seed: int = 5) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    spread = np.abs(rng.normal(0, 0.005, n)) * close
    return [
        {
            "time": float(i * 60_000_000_000),
            "open": float(close[i - 1] if i else close[0]),
            "high": float(close[i] + spread[i]),
            "low": float(close[i] - spread[i]),
            "close": float(close[i]),
            "volume": float(rng.integers(100, 10_000)),
        }
        for i in range(n)
    ]


def test_an_engine_saved_and_loaded_between_every_batch_equals_one_that_never_stopped() -> None:
    store = DynamoLiveEngineStore(get_settings().table("market-state"))
    bars = _bars(300)
    never_stopped = LiveEngine(REQUESTS)
    expected = [never_stopped.update(bar) for bar in bars]

    for start in range(0, len(bars), 25):  # one Lambda invocation per batch of 25 bars
        loaded = store.load("NVDA", "1m", "demo")
        engine = LiveEngine(REQUESTS) if loaded is None else LiveEngine.restore(loaded[0])
        for i in range(start, start + 25):
            got = engine.update(bars[i])
            for key, outputs in expected[i].items():
                for output, value in outputs.items():
                    assert got[key][output] == pytest.approx(value, rel=1e-9, abs=1e-9, nan_ok=True), (i, key, output)
        store.save("NVDA", "1m", "demo", engine.snapshot(), None if loaded is None else loaded[1])


def test_a_save_against_a_stale_version_is_refused() -> None:
    store = DynamoLiveEngineStore(get_settings().table("market-state"))
    engine = LiveEngine(REQUESTS)
    store.save("NVDA", "1m", "demo", engine.snapshot(), None)
    with pytest.raises(StaleEngineStateError):
        store.save("NVDA", "1m", "demo", engine.snapshot(), None)
    assert store.save("NVDA", "1m", "demo", engine.snapshot(), 1) == 2
    with pytest.raises(StaleEngineStateError):
        store.save("NVDA", "1m", "demo", engine.snapshot(), 1)
