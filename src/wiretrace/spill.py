"""Partitioned temporary files: corpus-wide working sets kept on disk, not in memory.

Two stages need every document's values together: counting each outlet's shingles (boilerplate)
and grouping LSH bucket keys into candidate pairs. For a large corpus those values are many
times the size of the texts. Each value goes to one of `partitions` partitions by its top bits
(the values are well-mixed hashes), so every partition holds a disjoint slice of the key space and
is processed alone: memory holds one partition at a time, and results are the same for any number
of partitions. Forked worker processes add to the same spill, each to files of its own, so the
values never pass through the parent.
"""

from __future__ import annotations

import itertools
import os
import resource
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from wiretrace import _sketch_kernels
from wiretrace._workers import stops_held
from wiretrace.errors import workspace_error
from wiretrace.shingle import Tokens

DEFAULT_PARTITIONS = 16
MAX_PARTITIONS = 256
"""The most partitions `partitions_for` chooses (reading one reads its part of every add)."""
MAX_KEYS = 1 << 20
"""Keys read into memory at once; a larger partition is read in pieces."""
_BLOCK = 1 << 18
# The column types `Spill.add` partitions by a compiled pass (`_sketch_kernels.partition_scatter`);
# others (and several columns) by a stable argsort.
_SCATTERED = {np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.uint64)}
_NO_COLUMN = np.zeros(0, dtype=np.int32)
# The most buffers one system call writes (POSIX guarantees 16).
_IOV_MAX = max(16, os.sysconf("SC_IOV_MAX"))


def partitions_for(keys: int) -> int:
    """Partitions for about `keys` keys: the fewest (a power of two, at least DEFAULT_PARTITIONS,
    at most MAX_PARTITIONS) that leave each at most MAX_KEYS, so that a partition is read at once
    rather than scanned once per piece, and no more: reading a partition reads its part of every
    add (the LSH keys of 20,000 articles, ~50 million, cost about 0.2 s less CPU in 64
    partitions than in 128). An estimate that proves low only costs time."""
    partitions = DEFAULT_PARTITIONS
    while partitions < MAX_PARTITIONS and keys > partitions * MAX_KEYS:
        partitions *= 2
    return partitions


def _workspace(directory: str | None) -> tempfile.TemporaryDirectory[str]:
    """A new temporary folder for a run's files, in `directory` (None: the system's).

    Made with the stop signals' handlers held back (in the main thread, where they run): one
    that ran between the folder's creation and its finalizer's left the folder behind. A stop
    that came meanwhile is raised again once the folder is owned; from then on it is deleted
    when it is closed or freed."""
    with stops_held():
        try:
            return tempfile.TemporaryDirectory(prefix="wiretrace-", dir=directory)
        except OSError as error:
            raise workspace_error(error, directory or tempfile.gettempdir()) from None


class Spill:
    """uint64 keys, each with optional extra columns, partitioned by the keys' top bits on disk.

    Use as a context manager: the files are deleted on exit. `partitions` is a power of two;
    a partition of more than `max_keys` keys (default `MAX_KEYS`) is read back in pieces.

    Each process adds to one file of rows of its own: every `add` appends its values in
    partition order, each partition's keys followed by its values of each column, with one
    system call (a call per partition and column, thousands of calls for a corpus, cost several
    times the copying), and records where each partition starts in an index file beside it.
    Reading a partition takes its part of every add, one read each.
    """

    def __init__(
        self,
        columns: dict[str, np.dtype] | None = None,
        *,
        partitions: int = DEFAULT_PARTITIONS,
        directory: str | None = None,
        max_keys: int | None = None,
    ) -> None:
        if partitions < 1 or partitions & (partitions - 1):
            raise ValueError(f"partitions must be a power of two, got {partitions}")
        self.columns = {name: np.dtype(dtype) for name, dtype in (columns or {}).items()}
        self.partitions = partitions
        self.max_keys = MAX_KEYS if max_keys is None else max_keys
        self._bits = partitions.bit_length() - 1
        # The bytes of one key with its values of every column.
        self._row_bytes = 8 + sum(dtype.itemsize for dtype in self.columns.values())
        self._directory = _workspace(directory)
        # This process's open files (rows, index); a forked worker finds its parent's here and
        # opens its own.
        self._files: tuple[BinaryIO, BinaryIO] | None = None
        self._pid = os.getpid()
        self._closed: int | None = None
        # Each writer's index as last read: (its size in bytes, where each add's partitions
        # start in rows, the row of each add's first value).
        self._indexes: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}

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
        if self._pid == os.getpid():
            if self._closed is None:
                self._closed = self.count
            for handle in self._files or ():
                handle.close()
        self._files = None
        self._directory.cleanup()

    @property
    def count(self) -> int:
        """The number of keys added, by every process (kept when the files are deleted)."""
        if self._closed is not None:
            return self._closed
        rows = sum(path.stat().st_size for path in self._folder.glob("*.rows"))
        return rows // self._row_bytes

    @property
    def _folder(self) -> Path:
        return Path(self._directory.name)

    def _writers(self) -> list[str]:
        """The processes that added values, by the name of their files, in a fixed order."""
        return sorted(path.name[: -len(".index")] for path in self._folder.glob("*.index"))

    def _index(self, writer: str) -> tuple[np.ndarray, np.ndarray]:
        """(starts, bases) of a writer: row k of `starts` says where each partition of its add
        k starts among that add's rows (partitions + 1 values), `bases[k]` where the add's rows
        start in its file."""
        path = self._folder / f"{writer}.index"
        size = path.stat().st_size
        known = self._indexes.get(writer)
        if known is None or known[0] != size:
            starts = np.fromfile(path, dtype="<i8").reshape(-1, self.partitions + 1)
            bases = np.zeros(len(starts), dtype=np.int64)
            np.cumsum(starts[:-1, -1], out=bases[1:])
            known = self._indexes[writer] = (size, starts, bases)
        return known[1], known[2]

    def add(self, keys: np.ndarray, **columns: np.ndarray) -> None:
        """Append `keys` (uint64) and the same number of values of each column."""
        keys = np.asarray(keys, dtype=np.uint64)
        if set(columns) != set(self.columns):
            raise ValueError(f"expected columns {sorted(self.columns)}, got {sorted(columns)}")
        if len(keys) == 0:
            return
        if self._pid != os.getpid():  # a forked worker: files of its own
            self._files, self._pid = None, os.getpid()
        given = {
            name: np.asarray(columns[name], dtype=dtype) for name, dtype in self.columns.items()
        }
        arrays, bounds = self._partitioned(keys, given)
        # Byte views of the arrays, cut for each partition (a memoryview's slice costs a small
        # part of an array's).
        views = [
            (np.ascontiguousarray(values).data.cast("B"), values.itemsize)
            for values in arrays.values()
        ]
        pieces = [
            view[start * width : end * width]
            for start, end in itertools.pairwise(bounds.tolist())
            if start < end
            for view, width in views
        ]
        try:
            if self._files is None:
                self._files = (self._open("rows"), self._open("index"))
            rows, index = self._files
            # Unbuffered: the parent reads a worker's values, and a process forked later must
            # not inherit buffered values (it would write them out again). The index goes
            # last, so it never names rows that are not written.
            _write_all(rows, pieces)
            _write_all(index, [np.asarray(bounds, dtype="<i8").data.cast("B")])
        except OSError as error:
            raise workspace_error(error, str(self._folder.parent)) from None

    def _open(self, kind: str) -> BinaryIO:
        """This process's file of `kind` ("rows" or "index"), opened to append, unbuffered."""
        return open(self._folder / f"{self._pid}.{kind}", "ab", buffering=0)  # noqa: SIM115

    def _partitioned(
        self, keys: np.ndarray, columns: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """(arrays, bounds): the keys and columns in the stable order of the keys' partitions,
        and where each partition starts in them (partitions + 1 offsets)."""
        if self._bits == 0:
            return {"keys": keys, **columns}, np.array([0, len(keys)])
        shift = np.uint64(64 - self._bits)
        if len(columns) <= 1 and all(v.dtype in _SCATTERED for v in columns.values()):
            # A counting sort moving the values as it goes (compiled): several times faster.
            name, column = next(iter(columns.items()), ("", _NO_COLUMN))
            keys, column, bounds = _sketch_kernels.partition_scatter(
                np.require(keys, np.uint64, ["C"]),
                shift,
                self.partitions,
                np.require(column, None, ["C"]),
            )
            return {"keys": keys, **({name: column} if columns else {})}, bounds
        parts = (keys >> shift).astype(np.intp)
        order = np.argsort(parts, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(parts, minlength=self.partitions))))
        return {
            "keys": keys[order],
            **{name: values[order] for name, values in columns.items()},
        }, bounds

    def filled(self) -> list[int]:
        """The partitions holding keys, in increasing order of top bits (other processes, such
        as forked workers, can `read` them too)."""
        held = np.zeros(self.partitions, dtype=bool)
        for writer in self._writers():
            starts, _ = self._index(writer)
            held |= (np.diff(starts, axis=1) > 0).any(axis=0)
        return np.flatnonzero(held).tolist()

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        """Each partition's arrays ("keys" and every column), in increasing order of top bits
        (see `read`)."""
        for partition in self.filled():
            yield from self.read(partition)

    def _parts(self, partition: int) -> list[tuple[str, int, int]]:
        """Where one partition's values are: (writer, the byte of its first row, its rows) for
        every add that gave it some, in the order added (writer by writer)."""
        found: list[tuple[str, int, int]] = []
        for writer in self._writers():
            starts, bases = self._index(writer)
            firsts = starts[:, partition]
            sizes = starts[:, partition + 1] - firsts
            kept = np.flatnonzero(sizes)
            bytes_at = (bases[kept] + firsts[kept]) * self._row_bytes
            found.extend(
                (writer, at, size)
                for at, size in zip(bytes_at.tolist(), sizes[kept].tolist(), strict=True)
            )
        return found

    def read(self, partition: int) -> Iterator[dict[str, np.ndarray]]:
        """One partition's arrays ("keys" and every column), after `filled` named it.

        A partition holding more than `max_keys` keys comes in pieces, split on the keys' next
        bits (each piece read from the files a block at a time), so what is in memory at once
        does not grow with the corpus. Keys come in increasing order of their top bits
        throughout."""
        dtypes = {"keys": np.dtype(np.uint64), **self.columns}
        parts = self._parts(partition)
        count = sum(size for _, _, size in parts)
        pieces = 1
        while count > pieces * self.max_keys and self._bits + pieces.bit_length() <= 32:
            pieces *= 2
        if pieces == 1:
            arrays = {name: np.empty(count, dtype=dtype) for name, dtype in dtypes.items()}
            self._read_parts(parts, arrays, 0)
            yield arrays
            return
        yield from self._pieces(parts, pieces, dtypes)

    def _read_parts(
        self, parts: list[tuple[str, int, int]], arrays: dict[str, np.ndarray], at: int
    ) -> None:
        """Read `parts` (as `_parts` gives them) one after the other into `arrays` from `at`:
        each part, its keys and every column, with one read."""
        handles: dict[str, int] = {}
        # Byte views of the arrays, cut for each read (a memoryview's slice costs a small part
        # of an array's; a partition is tens of thousands of reads).
        views = [(values.data.cast("B"), values.itemsize) for values in arrays.values()]
        try:
            for writer, start, size in parts:
                handle = handles.get(writer)
                if handle is None:
                    handle = handles[writer] = os.open(self._folder / f"{writer}.rows", os.O_RDONLY)
                targets = [view[at * width : (at + size) * width] for view, width in views]
                if os.preadv(handle, targets, start) != size * self._row_bytes:
                    raise OSError(f"spill: short read of {writer}.rows")
                at += size
        finally:
            for handle in handles.values():
                os.close(handle)

    def _pieces(
        self, parts: list[tuple[str, int, int]], pieces: int, dtypes: dict[str, np.dtype]
    ) -> Iterator[dict[str, np.ndarray]]:
        shift = np.uint64(64 - self._bits - (pieces.bit_length() - 1))
        mask = np.uint64(pieces - 1)
        # The parts cut in blocks of at most _BLOCK rows: what one read holds.
        blocks = [
            (writer, start + done * self._row_bytes, min(_BLOCK, size - done))
            for writer, start, size in parts
            for done in range(0, size, _BLOCK)
        ]
        for piece in range(pieces):
            chosen: dict[str, list[np.ndarray]] = {name: [] for name in dtypes}
            for block in blocks:
                arrays = {name: np.empty(block[2], dtype=dtype) for name, dtype in dtypes.items()}
                self._read_parts([block], arrays, 0)
                inside = ((arrays["keys"] >> shift) & mask) == piece
                for name, values in arrays.items():
                    chosen[name].append(values[inside])
            yield {
                name: np.concatenate([np.zeros(0, dtype=dtypes[name]), *parts])
                for name, parts in chosen.items()
            }


def _write_all(handle: BinaryIO, pieces: list[memoryview]) -> None:
    """Write `pieces` (byte views) one after the other, in as few system calls as the system
    takes buffers at once (a call may write part of them: it goes on from there)."""
    pieces = [piece for piece in pieces if len(piece)]
    number = handle.fileno()
    while pieces:
        done = os.writev(number, pieces[:_IOV_MAX])
        while pieces and done >= len(pieces[0]):
            done -= len(pieces[0])
            pieces.pop(0)
        if done:
            pieces[0] = pieces[0][done:]


# Texts shorter than this keep their token offsets as 4 bytes on disk, longer ones as 8.
_SHORT_OFFSETS = 2**31


def _open_chunks() -> int:
    """How many chunk files a process keeps open for reading documents one by one: a quarter of
    its limit on open files, from 16 to 1,024 (the align stage reads documents of every chunk
    in turn: at 20,000 documents, 313 chunk files; reopening them cost more than reading)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(16, min(1024, soft // 4))


_OPEN_CHUNKS = _open_chunks()


class TokenStore:
    """Every document's tokens, kept on disk from the first stage that makes them, so the later
    stages read them back instead of tokenizing the text again (reading is several times
    faster).

    Worker processes `write` a chunk of consecutive documents each (a file of its own, each
    document's ids, starts and ends one after the other); the process that ran them is told
    where each document went (`locate`) and the processes it forks afterwards `read` any
    document by number with one read. Use as a context manager: the files are deleted on exit.
    """

    def __init__(self, documents: int, *, directory: str | None = None) -> None:
        self._directory = _workspace(directory)
        # Per document: the first document of its chunk (-1: not written yet), where it starts
        # in the chunk's file, its words; per chunk: the byte width of its offsets.
        self._chunk = np.full(documents, -1, dtype=np.int64)
        self._byte = np.zeros(documents, dtype=np.int64)
        self._count = np.zeros(documents, dtype=np.int64)
        self._widths: dict[int, int] = {}
        # This process's open chunk files for `read` (the latest few), and its process id: a
        # forked worker opens its own.
        self._open: OrderedDict[int, int] = OrderedDict()
        self._pid = os.getpid()

    def __enter__(self) -> TokenStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the files."""
        self._close_handles()
        self._directory.cleanup()

    def _close_handles(self) -> None:
        if self._pid == os.getpid():
            for handle in self._open.values():
                os.close(handle)
        self._open.clear()
        self._pid = os.getpid()

    def _path(self, first: int) -> Path:
        return Path(self._directory.name) / f"{first}.tokens"

    def write(self, first: int, tokens: list[Tokens]) -> tuple[np.ndarray, int]:
        """Store the tokens of documents first, first + 1, ...; returns what `locate` needs:
        (their word counts, the byte width of their offsets)."""
        counts = np.array([len(t) for t in tokens], dtype=np.int64)
        ends = [t.ends for t in tokens if len(t)]
        width = 4 if not ends or max(int(e[-1]) for e in ends) < _SHORT_OFFSETS else 8
        offsets = np.dtype(f"<i{width}")
        # Each document's columns are put straight in place in one buffer (no list of views to
        # concatenate).
        data = np.empty(int(counts.sum()) * (8 + 2 * width), dtype=np.uint8)
        at = 0
        for t, count in zip(tokens, counts.tolist(), strict=True):
            data[at : at + 8 * count].view("<u8")[:] = t.ids
            at += 8 * count
            data[at : at + width * count].view(offsets)[:] = t.starts
            at += width * count
            data[at : at + width * count].view(offsets)[:] = t.ends
            at += width * count
        try:
            self._path(first).write_bytes(data.data)
        except OSError as error:
            raise workspace_error(error, str(Path(self._directory.name).parent)) from None
        return counts, width

    def locate(self, first: int, written: tuple[np.ndarray, int]) -> None:
        """Record where `write(first, ...)` (in any process) put each document (documents past
        the number the store was made for are made room for)."""
        counts, width = written
        if first + len(counts) > len(self._chunk):
            room = max(first + len(counts), 2 * len(self._chunk))
            more = room - len(self._chunk)
            self._chunk = np.concatenate([self._chunk, np.full(more, -1, dtype=np.int64)])
            self._byte = np.concatenate([self._byte, np.zeros(more, dtype=np.int64)])
            self._count = np.concatenate([self._count, np.zeros(more, dtype=np.int64)])
        number = np.arange(first, first + len(counts))
        sizes = counts * (8 + 2 * width)
        self._chunk[number] = first
        self._count[number] = counts
        self._byte[number] = np.cumsum(sizes) - sizes
        self._widths[first] = width

    def __contains__(self, number: int) -> bool:
        return bool(0 <= number < len(self._chunk) and self._chunk[number] >= 0)

    def read(self, number: int) -> Tokens:
        """The tokens of document `number` (written and located)."""
        first, count = int(self._chunk[number]), int(self._count[number])
        width = self._widths[first]
        # One read straight into the ids' array and a buffer of the offsets (no bytes object to
        # copy them from).
        ids = np.empty(count, dtype="<u8")
        offsets = np.empty(2 * count, dtype=f"<i{width}")
        done = os.preadv(self._handle(first), [ids.data, offsets.data], int(self._byte[number]))
        if done != ids.nbytes + offsets.nbytes:
            raise OSError(f"token store: short read of document {number}")
        return Tokens(
            starts=offsets[:count].astype(np.int64, copy=False),
            ends=offsets[count:].astype(np.int64, copy=False),
            ids=ids.astype(np.uint64, copy=False),
        )

    def _handle(self, first: int) -> int:
        """An open handle on the chunk file of document `first`, kept with the latest
        _OPEN_CHUNKS others (the align stage reads documents of nearby chunks again and again)."""
        if self._pid != os.getpid():  # a forked worker: the handles are its parent's
            self._close_handles()
        handle = self._open.get(first)
        if handle is not None:
            self._open.move_to_end(first)
            return handle
        handle = os.open(self._path(first), os.O_RDONLY)
        self._open[first] = handle
        if len(self._open) > _OPEN_CHUNKS:
            os.close(self._open.popitem(last=False)[1])
        return handle

    def read_flat(
        self, first: int, documents: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The tokens of documents first .. first + documents - 1, written as one chunk, one
        after the other: (ids, starts, ends, offsets), document k's tokens from offsets[k] to
        offsets[k + 1]. One read, then one compiled pass (`_sketch_kernels.unpack_tokens`)
        takes the columns out of each document's part (no array made per document)."""
        path = self._path(first)
        data = np.empty(path.stat().st_size, dtype=np.uint8)
        with open(path, "rb", buffering=0) as handle:
            done = 0
            while done < len(data):
                got = handle.readinto(data[done:].data)
                if not got:
                    raise OSError(f"token store: short read of {path}")
                done += got
        # Every part of the file is a whole number of little-endian 32-bit words: ids of 8
        # bytes, offsets of 4 or 8, so documents of 8 + 2 * width bytes a token.
        words = data.view("<u4").astype(np.uint32, copy=False)
        return _sketch_kernels.unpack_tokens(
            words,
            self._byte[first : first + documents] // 4,
            self._count[first : first + documents],
            self._widths[first] // 4,
        )
