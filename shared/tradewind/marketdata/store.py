"""The market-data lake: Parquet partitioned by symbol / dataset / year, behind one port.

Layout under the store's root (a folder or an S3 prefix):

    NVDA/1d/_meta.json                     the series' metadata record
    NVDA/1d/<version>/1999.parquet         one file per UTC year
    NVDA/ticks/...                         ticks and quotes sit beside the timeframes

Writes never half-apply. Each write puts a complete new version of the series
under a fresh version folder, then switches the metadata record to it with one
atomic object write; readers only follow the metadata. A failure before the
switch leaves the previous version in force (and the partial new folder is
removed); the old version is removed only after the switch.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

import pandas as pd

from tradewind.marketdata import frames
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.models import Adjustment, SeriesKey, SeriesMetadata
from tradewind.marketdata.parquet import from_parquet_bytes, to_parquet_bytes

logger = logging.getLogger(__name__)

META = "_meta.json"


class BlobStore(Protocol):
    """Whole-object storage; `put` must replace an object atomically."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...

    def delete(self, keys: Iterable[str]) -> None: ...

    def list(self, prefix: str) -> list[str]: ...


class MarketStore:
    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    def list_series(self) -> list[SeriesMetadata]:
        metas = (k for k in self._blobs.list("") if k.endswith("/" + META))
        found = [self._load_meta(k) for k in sorted(metas)]
        return [m for m in found if m is not None]

    def metadata(self, key: SeriesKey) -> SeriesMetadata | None:
        return self._load_meta(f"{_folder(key)}/{META}")

    def read(self, key: SeriesKey, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
        """Rows with start <= time <= end (both optional, inclusive), in time order."""
        meta = self.metadata(key)
        if meta is None:
            raise MarketDataError(f"no stored series {key}")
        years = [y for y in meta.years if (start is None or y >= start.year) and (end is None or y <= end.year)]
        parts = []
        for year in years:
            data = self._blobs.get(_partition(key, meta.version, year))
            if data is None:
                raise MarketDataError(f"series {key} is missing its {year} partition")
            parts.append(frames.canonical(from_parquet_bytes(data), key.kind))
        if not parts:
            return frames.empty(key.kind)
        frame = pd.concat(parts, ignore_index=True)
        return frames.between(frame, start, end)

    def write(self, key: SeriesKey, frame: pd.DataFrame, source: str, adjustment: Adjustment) -> SeriesMetadata:
        """Store `frame`, replacing stored rows inside its time range and keeping the rest."""
        incoming = frames.canonical(frame, key.kind)
        if incoming.empty:
            raise MarketDataError("nothing to write")
        previous = self.metadata(key)
        if previous is not None and previous.adjustment is not adjustment:
            raise MarketDataError(f"{key} is stored with adjustment {previous.adjustment}; this data has {adjustment}")
        merged = incoming
        if previous is not None:
            stored = self.read(key)
            first, last = incoming[frames.TIME].iloc[0], incoming[frames.TIME].iloc[-1]
            outside = stored.loc[(stored[frames.TIME] < first) | (stored[frames.TIME] > last)]
            merged = pd.concat([outside, incoming], ignore_index=True).sort_values(frames.TIME, kind="stable")
            merged = merged.reset_index(drop=True)
        version = uuid.uuid4().hex
        years = merged[frames.TIME].dt.year
        written: list[str] = []
        try:
            for year, part in merged.groupby(years, sort=True):
                name = _partition(key, version, int(year))
                self._blobs.put(name, to_parquet_bytes(part.reset_index(drop=True)))
                written.append(name)
            meta = SeriesMetadata(
                key=key,
                first=merged[frames.TIME].iloc[0].to_pydatetime(),
                last=merged[frames.TIME].iloc[-1].to_pydatetime(),
                rows=len(merged),
                source=source,
                adjustment=adjustment,
                version=version,
                years=tuple(sorted({int(y) for y in years.unique()})),
                updated_at=datetime.now(UTC),
            )
            self._blobs.put(f"{_folder(key)}/{META}", meta.model_dump_json(indent=1).encode())
        except BaseException:
            self._blobs.delete(written)
            raise
        if previous is not None:
            self._remove_version(key, previous.version)
        return meta

    def _remove_version(self, key: SeriesKey, version: str) -> None:
        try:
            self._blobs.delete(self._blobs.list(f"{_folder(key)}/{version}/"))
        except Exception:  # clean-up only: the new version is already in force
            logger.warning("could not remove superseded version %s of %s", version, key, exc_info=True)

    def _load_meta(self, name: str) -> SeriesMetadata | None:
        data = self._blobs.get(name)
        return SeriesMetadata.model_validate_json(data) if data is not None else None


def _folder(key: SeriesKey) -> str:
    return f"{key.symbol}/{key.dataset}"


def _partition(key: SeriesKey, version: str, year: int) -> str:
    return f"{_folder(key)}/{version}/{year}.parquet"
