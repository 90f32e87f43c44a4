"""Sorted runs: the log-structured layout both index stores keep postings and shingle counts in.

Postings (bucket key -> document number) and shingle counts (outlet-salted shingle hash ->
documents holding it) are kept as in a log-structured merge tree: each written batch adds one
*run*, its entries sorted by key and cut into chunks of `CHUNK` entries, each chunk one blob of
12-byte entries (key: little-endian uint64; value: uint32 document number or int32 count). A
run's *fences* (the first key of each chunk) are one blob, read once per process and kept: runs
never change once written, so a lookup of a few thousand keys reads one chunk per key and run.
A count run also keeps its *frequent* keys (counted at least `FREQUENT` times): a shingle that
`MAX_RUNS` runs count `at_least` times in all is frequent in one of them, so telling boilerplate
reads chunks only for the few shingles that are.

Runs are merged, a slice of the key space at a time (bounded memory), so that a kind keeps at
most `MAX_RUNS` runs between adds, their sizes falling geometrically from the oldest
(`to_merge`): writing is appending, never an insert into a structure that outgrew the memory,
and an entry is rewritten about 1.5 * batches ** (1 / MAX_RUNS) times over the index's life
(7.5 times in 89 batches, 16 in 1,000). Within one add of many batches, its runs are merged
FANOUT at a time (`adding_merges`), fewer rewrites still. The stores (`sqlite`, `redis`) keep
the blobs; this module knows what is in them; `Compaction` says when they merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

from wiretrace._arrays import distinct

CHUNK = 160
"""Entries per chunk: a lookup reads one chunk (1.9 KB) per key and run."""
MAX_RUNS = 3
"""Runs of one kind kept at most between adds: a lookup reads from each."""
FANOUT = 4
"""While an add has more batches to write, its runs are merged this many at a time."""
MAX_RUNS_ADDING = 30
"""Runs of one kind kept at most while an add has more batches to write (an add of fewer than
4**9 batches keeps at most 27 of its own, 3 of each size, beside at most 3 from before it)."""
FREQUENT = 4
"""A count run lists its keys counted at least this often, to look up first."""
POSTINGS, COUNTS = 0, 1
"""Run kinds: postings (values: document numbers) and shingle counts (values: counts)."""
ENTRY = {
    POSTINGS: np.dtype([("key", "<u8"), ("value", "<u4")]),
    COUNTS: np.dtype([("key", "<u8"), ("value", "<i4")]),
}
SLICE = 4_000_000
"""Entries per slice of the key space in a merge (bounds its memory)."""
END = 2**64
"""The end of the key space (keys are uint64)."""


@attrs.frozen
class Packed:
    """A sorted piece of a run, cut into chunk blobs, with the fences and frequent keys."""

    chunks: list[bytes]
    fences: np.ndarray
    frequent: np.ndarray
    entries: int


def pack(kind: int, keys: np.ndarray, values: np.ndarray) -> Packed:
    """Cut sorted entries into chunks of CHUNK (the last one may be shorter)."""
    packed = np.empty(len(keys), dtype=ENTRY[kind])
    packed["key"] = keys
    packed["value"] = values
    raw = packed.tobytes()
    size = CHUNK * ENTRY[kind].itemsize
    frequent = keys[values >= FREQUENT] if kind == COUNTS else np.zeros(0, dtype=np.uint64)
    return Packed(
        chunks=[raw[start : start + size] for start in range(0, len(raw), size)],
        fences=np.asarray(keys[::CHUNK], dtype=np.uint64),
        frequent=np.asarray(frequent, dtype=np.uint64),
        entries=len(keys),
    )


def decode(blobs: Sequence[bytes], kind: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys and values of chunk blobs, in the order given."""
    entries = np.frombuffer(b"".join(blobs), dtype=ENTRY[kind])
    return entries["key"].astype(np.uint64), entries["value"]


def to_array(blob: bytes) -> np.ndarray:
    """Fences or frequent keys from their stored bytes."""
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)


def to_bytes(keys: np.ndarray) -> bytes:
    """Fences or frequent keys as stored."""
    return np.asarray(keys, dtype=np.uint64).astype("<u8").tobytes()


def first_chunk(fence: np.ndarray, low: int) -> int:
    """The first chunk that may hold a key >= low: the one before the first starting at >= low
    (it may end with such keys)."""
    return max(0, int(np.searchsorted(fence, np.uint64(low), "left")) - 1)


def end_chunk(fence: np.ndarray, high: int) -> int:
    """One past the last chunk that may hold a key < high."""
    return len(fence) if high >= END else int(np.searchsorted(fence, np.uint64(high), "left"))


def chunk_positions(fence: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The chunks of a run to read for these keys (sorted uint64), sorted and unique.

    A key's entries start in the chunk before the first chunk starting at or after it, and may
    go on through every chunk that starts with it.
    """
    right = np.searchsorted(fence, keys, "right")
    left = np.maximum(np.searchsorted(fence, keys, "left") - 1, 0)
    present = right > 0
    first, last = left[present], right[present] - 1
    positions = [first]
    for extra in range(1, int((last - first).max(initial=0)) + 1):
        positions.append((first + extra)[first + extra <= last])
    return distinct(np.concatenate(positions))


def match(
    run_keys: np.ndarray, run_values: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The entries read from one run whose key is one of `keys` (sorted, unique)."""
    if len(run_keys) > 1 and (run_keys[1:] < run_keys[:-1]).any():
        order = np.argsort(run_keys, kind="stable")  # chunks came in another order
        run_keys, run_values = run_keys[order], run_values[order]
    low = np.searchsorted(run_keys, keys, "left")
    sizes = np.searchsorted(run_keys, keys, "right") - low
    if not sizes.any():
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    starts = np.repeat(low, sizes)
    steps = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return run_keys[starts + steps], run_values[starts + steps].astype(np.int64)


def in_range(keys: np.ndarray, low: int, high: int) -> np.ndarray:
    """Which keys lie in [low, high)."""
    inside = keys >= np.uint64(low)
    if high < END:
        inside &= keys < np.uint64(high)
    return inside


def slice_bounds(entries: int) -> list[int]:
    """Bounds of the key-space slices a merge of this many entries goes through."""
    slices = max(1, -(-entries // SLICE))
    return [END * k // slices for k in range(slices + 1)]


def merge_slice(
    kind: int, keys: list[np.ndarray], values: list[np.ndarray], removed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One slice of a merge: the runs' entries in key order, postings of removed documents
    dropped, counts of one key summed (and dropped at zero)."""
    all_keys = np.concatenate(keys)
    all_values = np.concatenate(values).astype(np.int64)
    order = np.argsort(all_keys, kind="stable")  # each part is sorted: a merge of sorted runs
    all_keys, all_values = all_keys[order], all_values[order]
    if kind == POSTINGS and len(removed):
        kept = ~np.isin(all_values, removed)
        all_keys, all_values = all_keys[kept], all_values[kept]
    elif kind == COUNTS and len(all_keys):
        starts = np.flatnonzero(np.concatenate([[True], all_keys[1:] != all_keys[:-1]]))
        all_keys, all_values = all_keys[starts], np.add.reduceat(all_values, starts)
        kept = all_values != 0
        all_keys, all_values = all_keys[kept], all_values[kept]
    return all_keys, all_values


def adding_merges(written: int) -> int:
    """How many times to merge the newest FANOUT runs after the `written`-th run an add wrote
    of a kind, while more batches of it follow: the add's runs count its batches in base
    FANOUT, a run of FANOUT**t batches for each unit of the t-th digit (as in a size-tiered
    merge tree), so that an entry is rewritten about log(batches) / log(FANOUT) times during
    the add, half the times of merging the newest two. The add's last batch then merges its
    runs by `to_merge` (in all, an entry is rewritten 5 times in an add of 89 equal batches,
    where `to_merge` alone rewrites it 7.5 times, and 7.5 times in 1,000 against 16)."""
    merges = 0
    while written > 0 and written % FANOUT == 0:
        written //= FANOUT
        merges += 1
    return merges


def to_merge(
    runs: Sequence[tuple[int, int]], batch: int | None = None, *, max_runs: int = MAX_RUNS
) -> list[int]:
    """The runs to merge next, of (run, entries) oldest first: the newest two, or none.

    `batch`: the entries the write just made added (None: no batch, only the run count is
    kept to `max_runs`). The runs are levels, as in a leveled log-structured merge tree: the
    k-th run from the oldest may hold at most total / ratio ** k entries, with ratio = (total /
    batch) ** (1 / MAX_RUNS) (at least 2), so run sizes fall geometrically from the oldest. The
    newest two are merged while a run is over its size or there are more than `max_runs`;
    merging the newest into the next older one is a level spilling into the next. A batch's
    entries are then rewritten about ratio / 2 times at each level: in all, about 1.5 *
    batches ** (1 / MAX_RUNS) times over the life of an index of equal batches. Merging the
    newest two whenever the older was no larger (a binary counter, kept to MAX_RUNS by merging
    the newest two) rewrote the third run with each batch once the index was large: 56 times
    in 1,000 batches, 215 in 5,000."""
    if len(runs) < 2:
        return []
    merge = [runs[-2][0], runs[-1][0]]
    if len(runs) > max_runs:
        return merge
    if batch is None:
        return []
    total = sum(entries for _, entries in runs)
    ratio = max(2.0, (total / max(batch, 1)) ** (1 / MAX_RUNS))
    if any(entries > total / ratio**k for k, (_, entries) in enumerate(runs) if k):
        return merge
    return []


@attrs.define
class Compaction:
    """When a store merges its runs (one per store: it counts the runs each kind's add has
    written so far)."""

    adding: dict[int, int] = attrs.field(factory=lambda: {POSTINGS: 0, COUNTS: 0})

    def after_write(
        self,
        kind: int,
        batch: int | None,
        more: bool,
        listed: Callable[[], Sequence[tuple[int, int]]],
        merge: Callable[[list[int]], None],
    ) -> None:
        """Merge runs of `kind` after a write of `batch` entries (None: none): while more
        batches of the add follow (`more`), as `adding_merges` says, else as `to_merge` says.
        `listed()` gives the runs, (run, entries) oldest first; `merge(runs)` replaces runs by
        one."""
        max_runs = MAX_RUNS
        if more:
            if batch is not None:
                self.adding[kind] += 1
                for _ in range(adding_merges(self.adding[kind])):
                    runs = listed()
                    if len(runs) >= FANOUT:
                        merge([run for run, _ in runs[-FANOUT:]])
            max_runs, batch = MAX_RUNS_ADDING, None
        else:
            self.adding[kind] = 0
        while merging := to_merge(listed(), batch, max_runs=max_runs):
            merge(merging)


def batch_counts(
    added: Sequence[np.ndarray], removed: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Shingle count changes of a batch: each added document's hashes +1, each removed one's -1;
    sorted keys, non-zero changes."""
    counted = [*added, *removed]
    if not any(len(hashes) for hashes in counted):
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    signs = np.repeat(
        np.array([1] * len(added) + [-1] * len(removed), dtype=np.int64),
        [len(hashes) for hashes in counted],
    )
    hashes = np.concatenate(counted).astype(np.uint64)
    order = np.argsort(hashes)
    hashes, signs = hashes[order], signs[order]
    starts = np.flatnonzero(np.concatenate([[True], hashes[1:] != hashes[:-1]]))
    hashes, counts = hashes[starts], np.add.reduceat(signs, starts)
    kept = counts != 0
    return hashes[kept], counts[kept]


def batch_postings(
    keys: Sequence[np.ndarray], numbers: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """The postings of a batch's documents (their keys, their numbers), sorted by key."""
    if not keys:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    all_keys = np.concatenate(keys).astype(np.uint64)
    owners = np.repeat(np.asarray(numbers, dtype=np.int64), [len(k) for k in keys])
    order = np.argsort(all_keys)
    return all_keys[order], owners[order]


def live_postings(
    keys: np.ndarray, numbers: np.ndarray, removed: np.ndarray, max_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Postings (bucket key, document number) found for a query, without the documents since
    removed and without buckets holding more than `max_size` documents (boilerplate)."""
    if len(removed) and len(numbers):
        kept = ~np.isin(numbers, removed)
        keys, numbers = keys[kept], numbers[kept]
    if len(keys):
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        small = counts[inverse] <= max_size
        keys, numbers = keys[small], numbers[small]
    return keys, numbers


def may_reach(keys: np.ndarray, frequent: Sequence[np.ndarray], at_least: int) -> np.ndarray | None:
    """Which keys (sorted, unique) may be counted `at_least` times over the runs whose frequent
    keys are given; None when that cannot be told from them (look every key up)."""
    if not frequent or -(-at_least // len(frequent)) < FREQUENT:
        return None
    maybe = np.zeros(len(keys), dtype=bool)
    for listed in frequent:
        if len(listed):
            where = np.minimum(np.searchsorted(listed, keys), len(listed) - 1)
            maybe |= listed[where] == keys
    return maybe


def counts_of(
    hashes: np.ndarray, unique: np.ndarray, found: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """The stored count of each of `hashes` (0 where none was found), given `unique` (its sorted
    distinct values) and the counts `found` for some of them."""
    totals = np.zeros(len(unique), dtype=np.int64)
    if len(found):
        np.add.at(totals, np.searchsorted(unique, found), counts)
    return totals[np.searchsorted(unique, hashes)] if len(unique) else totals
