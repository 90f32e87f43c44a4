"""Tests for the partitioned temporary files that hold corpus-wide working sets."""

from __future__ import annotations

import itertools
import os
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import wiretrace
from strategies import PROPERTY
from wiretrace import WorkspaceError, _sketch_kernels, spill
from wiretrace.shingle import Tokens, tokenize
from wiretrace.spill import Spill, TokenStore

keys = st.lists(st.integers(0, 2**64 - 1), max_size=200)


@PROPERTY
@given(st.lists(keys, max_size=5), st.sampled_from([1, 2, 4, 16]))
def test_partitions_hold_every_key_once_with_its_column(
    batches: list[list[int]], parts: int
) -> None:
    """Every added key comes back once, with its own column value, in a partition of its top bits."""
    added: list[tuple[int, int]] = []
    with Spill({"owners": np.dtype(np.int32)}, partitions=parts) as spill:
        for number, batch in enumerate(batches):
            spill.add(np.array(batch, dtype=np.uint64), owners=np.full(len(batch), number))
            added += [(key, number) for key in batch]
        seen: list[tuple[int, int]] = []
        previous_top = -1
        for part in spill:
            tops = (part["keys"] >> np.uint64(64 - max(parts.bit_length() - 1, 1))).tolist()
            if parts > 1:
                assert len(set(tops)) == 1
                assert tops[0] > previous_top
                previous_top = tops[0]
            seen += list(zip(part["keys"].tolist(), part["owners"].tolist(), strict=True))
    assert sorted(seen) == sorted(added)
    assert spill.count == len(added)


def test_files_are_deleted_on_exit(tmp_path: Path) -> None:
    """Leaving the context removes the temporary folder and its files."""
    with Spill(partitions=4, directory=str(tmp_path)) as spill:
        spill.add(np.arange(1000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        assert any(tmp_path.iterdir())
    assert not any(tmp_path.iterdir())


def test_partitions_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        Spill(partitions=3)


def test_columns_must_match() -> None:
    with (
        Spill({"owners": np.dtype(np.int32)}, partitions=2) as spill,
        pytest.raises(ValueError, match="columns"),
    ):
        spill.add(np.arange(3, dtype=np.uint64))


@PROPERTY
@given(keys, st.sampled_from([1, 2, 4]), st.sampled_from([1, 3, 16]))
def test_large_partitions_come_in_pieces(batch: list[int], parts: int, max_keys: int) -> None:
    """A partition over `max_keys` keys comes in pieces split on the next bits: every key once,
    with its column, and the keys' order by top bits kept from piece to piece."""
    with Spill({"owners": np.dtype(np.int32)}, partitions=parts, max_keys=max_keys) as spill:
        spill.add(np.array(batch, dtype=np.uint64), owners=np.arange(len(batch)))
        pieces = list(spill)
    seen = [
        (k, o)
        for p in pieces
        for k, o in zip(p["keys"].tolist(), p["owners"].tolist(), strict=True)
    ]
    assert sorted(seen) == sorted(zip(batch, range(len(batch)), strict=True))
    tops = [p["keys"] >> np.uint64(40) for p in pieces if len(p["keys"])]
    for before, after in zip(tops, tops[1:], strict=False):
        assert before.max() <= after.min()
    if batch and len(batch) > parts * max_keys:
        assert len(pieces) > min(parts, len(batch))


def test_pieces_are_read_a_block_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks smaller than a partition give the same pieces."""
    values = np.arange(5000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    with Spill(partitions=2, max_keys=300) as spill:
        spill.add(values)
        whole = [p["keys"].copy() for p in spill]
        monkeypatch.setattr("wiretrace.spill._BLOCK", 97)
        blocks = [p["keys"].copy() for p in spill]
    assert len(whole) == 2 * 16
    assert all(np.array_equal(a, b) for a, b in zip(whole, blocks, strict=True))
    assert np.array_equal(np.sort(np.concatenate(whole)), np.sort(values))


def test_forked_workers_add_to_the_same_spill() -> None:
    """Worker processes add to files of their own; the parent reads every key once, in pieces
    too, and counts them all."""
    import multiprocessing

    values = np.arange(6000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    with Spill({"owners": np.dtype(np.int32)}, partitions=4, max_keys=500) as spill:
        spill.add(values[:1000], owners=np.zeros(1000, dtype=np.int32))
        context = multiprocessing.get_context("fork")
        workers = [
            context.Process(
                target=spill.add,
                args=(values[k : k + 1000],),
                kwargs={"owners": np.full(1000, k, dtype=np.int32)},
            )
            for k in range(1000, 6000, 1000)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
            assert worker.exitcode == 0
        seen = [
            (key, owner)
            for part in spill
            for key, owner in zip(part["keys"].tolist(), part["owners"].tolist(), strict=True)
        ]
        assert spill.count == 6000
    expected = [(int(v), (k // 1000) * 1000 if k >= 1000 else 0) for k, v in enumerate(values)]
    assert sorted(seen) == sorted(expected)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_full_disk_in_a_worker_is_a_clear_error(
    jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spill files that cannot be written (here /dev/full: every write fails with ENOSPC) stop
    find_reuse with WorkspaceError, also when the worker processes write them."""
    import builtins

    real_open = builtins.open

    def full_spill_files(path: object, *args: object, **kwargs: object) -> object:
        if "wiretrace-" in str(path) and str(path).endswith(".rows"):
            return real_open("/dev/full", "ab", buffering=0)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("wiretrace.spill.open", full_spill_files, raising=False)
    docs = [{"id": f"d{k}", "text": f"story number {k} " * 50} for k in range(300)]
    with pytest.raises(WorkspaceError, match=r"cannot write the run's temporary files in "):
        wiretrace.find_reuse(docs, jobs=jobs)


@PROPERTY
@given(
    keys,
    st.integers(1, 8),
    st.sampled_from([None, np.int32, np.int64, np.uint64]),
)
def test_partition_scatter_is_the_stable_argsort(
    values: list[int], bits: int, dtype: type | None
) -> None:
    """The compiled counting sort of `Spill.add` moves keys and their column exactly as numpy's
    stable argsort of the keys' top bits orders them, and finds where each partition starts."""
    given_keys = np.array(values, dtype=np.uint64)
    column = (
        np.zeros(0, dtype=np.int32)
        if dtype is None
        else (np.arange(len(values)) * 7919).astype(dtype)
    )
    shift = np.uint64(64 - bits)
    out_keys, out_column, starts = _sketch_kernels.partition_scatter(
        given_keys, shift, 1 << bits, column
    )
    parts = (given_keys >> shift).astype(np.intp)
    order = np.argsort(parts, kind="stable")
    assert np.array_equal(out_keys, given_keys[order])
    assert np.array_equal(out_column, column if dtype is None else column[order])
    assert out_column.dtype == column.dtype
    assert starts.tolist() == [0, *np.cumsum(np.bincount(parts, minlength=1 << bits)).tolist()]


@PROPERTY
@given(st.lists(keys, max_size=4), st.sampled_from([1, 4, 16]))
def test_a_spill_of_other_columns_is_partitioned_alike(
    batches: list[list[int]], parts: int
) -> None:
    """Columns the compiled pass does not take (two of them, a float) come back with their keys
    in the order added, as the compiled pass gives a single column."""
    with (
        Spill({"a": np.dtype(np.int32)}, partitions=parts) as one,
        Spill({"a": np.dtype(np.int32), "b": np.dtype(np.float64)}, partitions=parts) as two,
    ):
        for number, batch in enumerate(batches):
            batch_keys = np.array(batch, dtype=np.uint64)
            column = np.arange(len(batch), dtype=np.int32) + 1000 * number
            one.add(batch_keys, a=column)
            two.add(batch_keys, a=column, b=column.astype(np.float64) / 2)
        for first, second in zip(one, two, strict=True):
            assert np.array_equal(first["keys"], second["keys"])
            assert np.array_equal(first["a"], second["a"])
            assert np.array_equal(second["b"], second["a"] / 2)


@pytest.mark.parametrize("short_offsets", [2**31, 1])
def test_tokens_are_read_back_as_written_by_forked_workers(
    monkeypatch: pytest.MonkeyPatch, short_offsets: int
) -> None:
    """Tokens written a chunk at a time by worker processes come back equal, document by
    document (in this process and in forked ones, chunk files kept open or not) and a chunk at
    once, empty texts included, with 4- or 8-byte offsets on disk."""
    import multiprocessing

    monkeypatch.setattr("wiretrace.spill._SHORT_OFFSETS", short_offsets)
    texts = ["Grain prices rose 3.5% on Monday.", "", "Ещё одна строка — и всё.", "x", "", "a b c"]
    expected = [tokenize(text) for text in texts]
    chunks = [(0, 2), (2, 5), (5, 6)]
    with TokenStore(len(texts)) as store:
        context = multiprocessing.get_context("fork")
        with context.Pool(2) as pool:
            written = pool.starmap(
                store.write, [(first, expected[first:end]) for first, end in chunks]
            )
        assert 0 not in store
        for (first, _), where in zip(chunks, written, strict=True):
            store.locate(first, where)
        read = [store.read(number) for number in range(len(texts))]
        by_chunk = [t for first, end in chunks for t in _read_flat(store, first, end - first)]
        # Workers forked while this process holds chunk files open read with handles of their
        # own (in reverse: every chunk is opened again, and with one kept open, closed again).
        monkeypatch.setattr("wiretrace.spill._OPEN_CHUNKS", 1)
        with context.Pool(2) as pool:
            in_workers = pool.map(store.read, reversed(range(len(texts))))[::-1]
        again = [store.read(number) for number in reversed(range(len(texts)))][::-1]
    for tokens in (read, by_chunk, in_workers, again):
        for got, want in zip(tokens, expected, strict=True):
            for name in ("starts", "ends", "ids"):
                assert getattr(got, name).dtype == getattr(want, name).dtype
                assert getattr(got, name).tolist() == getattr(want, name).tolist()


@pytest.mark.parametrize(
    ("soft", "kept"), [(40, 16), (1024, 256), (4096, 1024), (20000, 1024), (-1, 1024)]
)
def test_chunk_files_kept_open_are_a_quarter_of_the_limit(
    monkeypatch: pytest.MonkeyPatch, soft: int, kept: int
) -> None:
    """A process keeps a quarter of its limit on open files as chunk files, at least 16 and at
    most 1,024 (no limit: 1,024)."""
    import resource

    from wiretrace import spill

    if soft == -1:
        soft = resource.RLIM_INFINITY
    monkeypatch.setattr(resource, "getrlimit", lambda _: (soft, resource.RLIM_INFINITY))
    assert spill._open_chunks() == kept


@PROPERTY
@given(st.lists(keys, max_size=4), st.sampled_from([1, 4, 16]), st.integers(1, 40))
def test_writes_cut_short_go_on_where_they_stopped(
    batches: list[list[int]], parts: int, most: int
) -> None:
    """Rows come back as added when the system writes only part of what it is given (at most
    `most` bytes, from at most three buffers, a call)."""
    import wiretrace.spill as spill_module

    real_writev = os.writev

    def short_writev(handle: int, buffers: list[memoryview]) -> int:
        assert len(buffers) <= 3
        return real_writev(handle, [bytes(b"".join(bytes(b) for b in buffers)[:most])])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spill_module.os, "writev", short_writev)
        patch.setattr(spill_module, "_IOV_MAX", 3)
        added: list[tuple[int, int]] = []
        with Spill({"owners": np.dtype(np.int64)}, partitions=parts) as spill:
            for number, batch in enumerate(batches):
                spill.add(np.array(batch, dtype=np.uint64), owners=np.full(len(batch), number))
                added += [(key, number) for key in batch]
            seen = [
                (key, owner)
                for part in spill
                for key, owner in zip(part["keys"].tolist(), part["owners"].tolist(), strict=True)
            ]
    assert sorted(seen) == sorted(added)


def test_an_add_is_one_write_of_rows_and_one_of_the_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However many partitions an add fills, it writes its rows with one system call (a call
    per partition and column costs several times the copying), and reads them back with one
    call per partition and add."""
    import wiretrace.spill as spill_module

    calls = {"writev": 0, "preadv": 0}
    real_writev, real_preadv = os.writev, os.preadv

    def counted_writev(handle: int, buffers: list[memoryview]) -> int:
        calls["writev"] += 1
        return real_writev(handle, buffers)

    def counted_preadv(handle: int, buffers: list[memoryview], at: int) -> int:
        calls["preadv"] += 1
        return real_preadv(handle, buffers, at)

    monkeypatch.setattr(spill_module.os, "writev", counted_writev)
    monkeypatch.setattr(spill_module.os, "preadv", counted_preadv)
    values = np.arange(4000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    with Spill({"owners": np.dtype(np.int32)}, partitions=64) as spill:
        for start in range(0, 4000, 1000):
            spill.add(values[start : start + 1000], owners=np.arange(1000, dtype=np.int32))
        assert calls["writev"] == 2 * 4
        filled = spill.filled()
        read = [part["keys"] for part in spill]
    assert len(filled) == 64
    assert calls["preadv"] == 64 * 4
    assert np.array_equal(np.sort(np.concatenate(read)), np.sort(values))


def test_partitions_hold_at_most_max_keys_each() -> None:
    """`partitions_for` picks the fewest partitions (a power of two from DEFAULT_PARTITIONS to
    MAX_PARTITIONS) that leave each at most MAX_KEYS keys: no more, as reading one reads its
    part of every add."""
    from wiretrace.spill import DEFAULT_PARTITIONS, MAX_KEYS, MAX_PARTITIONS, partitions_for

    assert partitions_for(0) == DEFAULT_PARTITIONS
    assert partitions_for(DEFAULT_PARTITIONS * MAX_KEYS) == DEFAULT_PARTITIONS
    assert partitions_for(DEFAULT_PARTITIONS * MAX_KEYS + 1) == 2 * DEFAULT_PARTITIONS
    assert partitions_for(64 * MAX_KEYS) == 64
    assert partitions_for(10 * MAX_PARTITIONS * MAX_KEYS) == MAX_PARTITIONS


@PROPERTY
@given(
    st.lists(st.text(alphabet="ab é—\n", max_size=40), min_size=1, max_size=8),
    st.sampled_from([2**31, 1]),
    st.data(),
)
def test_a_chunk_read_flat_is_its_documents_one_after_the_other(
    texts: list[str], short_offsets: int, data: st.DataObject
) -> None:
    """`read_flat` of the first documents of a chunk gives each one's tokens (as `read` does,
    document by document) one after the other, with 4- or 8-byte offsets on disk, empty texts
    included."""
    expected = [tokenize(text) for text in texts]
    documents = data.draw(st.integers(0, len(texts)))
    with pytest.MonkeyPatch.context() as patch, TokenStore(len(texts)) as store:
        patch.setattr("wiretrace.spill._SHORT_OFFSETS", short_offsets)
        store.locate(0, store.write(0, expected))
        ids, starts, ends, offsets = store.read_flat(0, documents)
        one_by_one = [store.read(number) for number in range(documents)]
    assert offsets.tolist() == [0, *np.cumsum([len(t) for t in one_by_one]).tolist()]
    for name, got in (("ids", ids), ("starts", starts), ("ends", ends)):
        assert got.dtype == getattr(expected[0], name).dtype
        want = [getattr(t, name) for t in one_by_one]
        assert got.tolist() == np.concatenate([got[:0], *want]).tolist()
        assert (
            got.tolist()
            == np.concatenate([got[:0], *(getattr(t, name) for t in expected[:documents])]).tolist()
        )


def _read_flat(store: TokenStore, first: int, documents: int) -> list[Tokens]:
    """`read_flat`'s tokens of a chunk's documents, document by document."""
    ids, starts, ends, offsets = store.read_flat(first, documents)
    return [
        Tokens(starts=starts[a:b], ends=ends[a:b], ids=ids[a:b])
        for a, b in itertools.pairwise(offsets.tolist())
    ]


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_while_a_workspace_folder_is_made_leaves_no_folder(
    number: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop signal that comes just after the run's temporary folder is created, before anything
    owns it, is held back until the folder is owned, then ends the call as it would have: the
    folder, freed with the call's result, is deleted."""

    class Stopped(Exception):
        pass

    def stop(*_: object) -> None:
        raise Stopped

    made = tempfile.mkdtemp

    def made_then_stopped(*args: object, **kwargs: object) -> str:
        path = made(*args, **kwargs)  # type: ignore[call-overload]
        signal.raise_signal(number)
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", made_then_stopped)
    previous = signal.signal(number, stop)
    try:
        with pytest.raises(Stopped):
            spill._workspace(str(tmp_path))
    finally:
        signal.signal(number, previous)
    assert list(tmp_path.iterdir()) == []
