"""Real sample bars and the example strategies, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.timeframe import Timeframe

ROOT = Path(__file__).resolve().parents[3]
NVDA_CSV = ROOT / "data" / "samples" / "nvda-1d-1999-2014.csv"
INDEX_CSV = ROOT / "data" / "samples" / "index-5m-2006.csv"
EXAMPLES = ROOT / "examples" / "strategies"


@pytest.fixture(scope="session")
def nvda() -> pd.DataFrame:
    return import_file(NVDA_CSV, ImportOptions(timeframe=Timeframe.D1)).frame


@pytest.fixture(scope="session")
def index_5m() -> pd.DataFrame:
    return import_file(INDEX_CSV, ImportOptions(timeframe=Timeframe.M5)).frame
