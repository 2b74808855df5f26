"""Loads the real samples in `data/samples/` into the local market-data store for the demo.

This is a composition root for the local cloud (it picks the local-folder
adapter), not domain logic. Running it twice stores the same data again:
each import replaces the rows inside its own time range.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from tradewind.adapters.market_store_local import local_market_store
from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.models import DataKind, SeriesKey, SeriesMetadata
from tradewind.marketdata.resample import resample_bars
from tradewind.marketdata.timeframe import Timeframe
from tradewind.settings import Settings

logger = logging.getLogger(__name__)

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


class _HasSettings(Protocol):
    @property
    def settings(self) -> Settings: ...


def seed_market_data(settings: Settings, samples: Path = SAMPLES) -> list[SeriesMetadata]:
    store = local_market_store(settings.data_dir)
    stored: list[SeriesMetadata] = []

    def load(file: str, key: SeriesKey, options: ImportOptions) -> None:
        result = import_file(samples / file, options)
        stored.append(store.write(key, result.frame, source=file, adjustment=result.adjustment))
        if key.timeframe is Timeframe.M5:
            for coarser in (Timeframe.H1, Timeframe.D1):
                bars = resample_bars(result.frame, Timeframe.M5, coarser)
                target = SeriesKey(symbol=key.symbol, timeframe=coarser)
                stored.append(store.write(target, bars, source=f"{file} resampled", adjustment=result.adjustment))

    daily = Timeframe.D1
    load(
        "nvda-1d-1999-2014.csv", SeriesKey(symbol="NVDA", timeframe=daily), ImportOptions(timeframe=daily, adjust=True)
    )
    five = Timeframe.M5
    load("index-5m-2006.csv", SeriesKey(symbol="IDX", timeframe=five), ImportOptions(timeframe=five))
    ticks = DataKind.TICKS
    load("ticks.csv", SeriesKey(symbol="IDX", kind=ticks), ImportOptions(kind=ticks))
    quotes = DataKind.QUOTES
    load("bidask.csv", SeriesKey(symbol="SAMPLEFX", kind=quotes), ImportOptions(kind=quotes))
    logger.info("market data seeded: %s", ", ".join(str(m.key) for m in stored))
    return stored


def seed_hook(context: _HasSettings) -> None:
    """The local cloud's seeder entry (`local.seed.SEEDERS`): it passes a context carrying settings."""
    seed_market_data(context.settings)
