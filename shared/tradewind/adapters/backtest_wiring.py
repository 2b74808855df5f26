"""The backtest workflow's numeric steps wired to the lake and the reports bucket.

Kept apart from `wiring`: importing the sweep pulls in the numba engine, which
only the container-image worker has.
"""

from __future__ import annotations

from functools import cache

from tradewind.adapters.market_store_local import local_market_store
from tradewind.adapters.market_store_s3 import S3BlobStore, s3_market_store
from tradewind.adapters.wiring import run_service
from tradewind.runs.sweep import SweepService
from tradewind.settings import get_settings


@cache
def sweep_service() -> SweepService:
    settings = get_settings()
    lake = (
        local_market_store(settings.market_lake_dir)
        if settings.market_lake_dir is not None
        else s3_market_store(settings.bucket("market-lake"))
    )
    return SweepService(run_service(), lake, S3BlobStore(settings.bucket("reports")))
