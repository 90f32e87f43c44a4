"""Partitioned temporary files: corpus-wide working sets kept on disk, not in memory.

Two stages need every document's values together: counting each outlet's shingles (boilerplate)
and grouping LSH bucket keys into candidate pairs. For a large corpus those values are many
times the size of the texts. Each value is appended to one of `partitions` files by its top bits
(the values are well-mixed hashes), so every file holds a disjoint slice of the key space and is
processed alone: memory holds one partition at a time, and results are the same for any number
of partitions.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

DEFAULT_PARTITIONS = 16


class Spill:
    """uint64 keys, each with optional extra columns, partitioned by the keys' top bits on disk.

    Use as a context manager: the files are deleted on exit. `partitions` is a power of two.
    """

    def __init__(
        self,
        columns: dict[str, np.dtype] | None = None,
        *,
        partitions: int = DEFAULT_PARTITIONS,
        directory: str | None = None,
    ) -> None:
        if partitions < 1 or partitions & (partitions - 1):
            raise ValueError(f"partitions must be a power of two, got {partitions}")
        self.columns = {name: np.dtype(dtype) for name, dtype in (columns or {}).items()}
        self.partitions = partitions
        self._bits = partitions.bit_length() - 1
        self._directory = tempfile.TemporaryDirectory(prefix="wiretrace-", dir=directory)
        self._files: dict[tuple[int, str], BinaryIO] = {}
        self.count = 0

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close and delete the files."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        self._directory.cleanup()

    def _path(self, partition: int, column: str) -> Path:
        return Path(self._directory.name) / f"{partition:04d}.{column}"

    def _write(self, partition: int, column: str, values: np.ndarray) -> None:
        handle = self._files.get((partition, column))
        if handle is None:
            handle = self._files[partition, column] = open(self._path(partition, column), "ab")  # noqa: SIM115
        values.tofile(handle)

    def add(self, keys: np.ndarray, **columns: np.ndarray) -> None:
        """Append `keys` (uint64) and the same number of values of each column."""
        keys = np.asarray(keys, dtype=np.uint64)
        if set(columns) != set(self.columns):
            raise ValueError(f"expected columns {sorted(self.columns)}, got {sorted(columns)}")
        if len(keys) == 0:
            return
        self.count += len(keys)
        if self._bits == 0:
            parts = np.zeros(len(keys), dtype=np.int64)
        else:
            parts = (keys >> np.uint64(64 - self._bits)).astype(np.int64)
        order = np.argsort(parts, kind="stable")
        bounds = np.searchsorted(parts[order], np.arange(self.partitions + 1))
        arrays = {"keys": keys[order]}
        for name, dtype in self.columns.items():
            arrays[name] = np.asarray(columns[name], dtype=dtype)[order]
        for partition in range(self.partitions):
            start, end = bounds[partition], bounds[partition + 1]
            if start < end:
                for name, values in arrays.items():
                    self._write(partition, name, values[start:end])

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        """Each partition's arrays ("keys" and every column), in increasing order of top bits."""
        for handle in self._files.values():
            handle.flush()
        dtypes = {"keys": np.dtype(np.uint64), **self.columns}
        for partition in range(self.partitions):
            if (partition, "keys") not in self._files:
                continue
            yield {
                name: np.fromfile(self._path(partition, name), dtype=dtype)
                for name, dtype in dtypes.items()
            }
