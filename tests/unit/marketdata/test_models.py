from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tradewind.marketdata.models import Bar, DataKind, Instrument, Quote, SeriesKey, Tick
from tradewind.marketdata.timeframe import Timeframe

T = datetime(2024, 1, 2, 15, 30, tzinfo=UTC)


def bar(**changes: object) -> Bar:
    fields: dict[str, object] = {"symbol": "NVDA", "timeframe": Timeframe.M5, "time": T, "open": 10.0,
                                 "high": 11.0, "low": 9.0, "close": 10.5, "volume": 100.0}  # fmt: skip
    return Bar.model_validate(fields | changes)


def test_a_valid_bar() -> None:
    assert bar().close == 10.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"high": 10.2}, "high is below"),
        ({"low": 10.2}, "low is above"),
        ({"time": datetime(2024, 1, 2, 15, 31, tzinfo=UTC)}, "not a 5m bar open time"),
        ({"time": datetime(2024, 1, 2, 15, 30)}, "timezone-aware"),
        ({"volume": -1.0}, "greater than or equal to 0"),
        ({"close": float("inf")}, "finite"),
        ({"symbol": "nv da"}, "pattern"),
    ],
)
def test_invalid_bars_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        bar(**changes)


def test_quotes_and_ticks() -> None:
    with pytest.raises(ValidationError, match="ask is below bid"):
        Quote(symbol="EURUSD", time=T, bid=1.1, ask=1.0)
    with_id = Tick(symbol="NVDA", time=T, price=10.0, size=1.0, trade_id="42")
    without = Tick(symbol="NVDA", time=T, price=10.0, size=1.0)
    assert with_id.identity == ("42",)
    assert without.identity == (T.isoformat(), "10.0", "1.0")


def test_instrument_tick_size_is_decimal() -> None:
    assert Instrument(symbol="NVDA", exchange="XNAS", tick_size="0.01").tick_size == Decimal("0.01")
    with pytest.raises(ValidationError):
        Instrument(symbol="NVDA", tick_size="0")


def test_series_keys() -> None:
    assert str(SeriesKey(symbol="NVDA", timeframe=Timeframe.D1)) == "NVDA/1d"
    assert str(SeriesKey(symbol="NVDA", kind=DataKind.TICKS)) == "NVDA/ticks"
    with pytest.raises(ValidationError, match="bars need a timeframe"):
        SeriesKey(symbol="NVDA")
    with pytest.raises(ValidationError, match="ticks and quotes have none"):
        SeriesKey(symbol="NVDA", kind=DataKind.QUOTES, timeframe=Timeframe.D1)
