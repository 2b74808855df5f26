"""A fixed-capacity bar window: O(1) append, contiguous views, cheap (de)serialisation.

Each column lives in one numpy array twice the window long; appends write in
place and, when the end is reached, the last `keep` rows are moved to the
front once (amortised O(1)). Views are contiguous slices, so TA-Lib and the
snapshot writer read them without copying.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

TIME = "time"


class BarWindow(Mapping[str, npt.NDArray[Any]]):
    def __init__(self, columns: Sequence[str], keep: int) -> None:
        if keep < 1:
            raise ValueError("a window keeps at least one bar")
        self.columns = tuple(columns)
        self.keep = keep
        capacity = 2 * keep
        # Explicitly little-endian, so the snapshot bytes mean the same on any machine.
        self._data = {c: np.zeros(capacity, dtype="<i8" if c == TIME else "<f8") for c in self.columns}
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return len(self.columns)

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __getitem__(self, column: str) -> npt.NDArray[Any]:
        return self._data[column][self._start : self._end]

    @property
    def rows(self) -> int:
        return self._end - self._start

    def append(self, row: Mapping[str, float]) -> None:
        if self._end == 2 * self.keep:
            for array in self._data.values():
                array[: self.keep - 1] = array[self._end - self.keep + 1 : self._end]
            self._start, self._end = 0, self.keep - 1
        for column, array in self._data.items():
            array[self._end] = row[column]
        self._end += 1
        if self._end - self._start > self.keep:
            self._start += 1

    def to_bytes(self) -> bytes:
        return b"".join(
            self[c].astype(self._data[c].dtype.newbyteorder("<"), copy=False).tobytes() for c in self.columns
        )

    def load(self, data: bytes, rows: int) -> None:
        """Fill an empty window with `rows` rows written by `to_bytes`."""
        if rows > self.keep or len(data) != rows * 8 * len(self.columns):
            raise ValueError("window data does not match its header")
        for i, column in enumerate(self.columns):
            array = self._data[column]
            array[:rows] = np.frombuffer(data, dtype=array.dtype, count=rows, offset=i * rows * 8)
        self._start, self._end = 0, rows
