"""Tests for MinHash signatures: datasketch as the reference, and window signatures."""

from __future__ import annotations

import re

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import given
from hypothesis import strategies as st

from strategies import PROPERTY, articles
from wiretrace import ConfigError, InputError, minhash_signatures
from wiretrace.shingle import hash32, shingle_hashes, tokenize
from wiretrace.sketch import (
    EMPTY,
    compute_signature,
    compute_signatures,
    compute_window_signatures,
    compute_window_signatures_batch,
    permutations,
    to_datasketch,
)

hash_sets = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=200, unique=True)


def reference_signature(values: list[int], num_perm: int, seed: int) -> np.ndarray:
    """datasketch's own MinHash of `values`, fed through an identity hashfunc."""
    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)
    minhash.update_batch(values)
    return minhash.hashvalues


@pytest.mark.parametrize("num_perm", [1, 2, 16, 64, 128, 256])
@pytest.mark.parametrize("seed", [0, 1, 7, 12345])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    """permutations draws datasketch's affine32 parameters without importing datasketch."""
    a, b = permutations(num_perm, seed)
    expected = MinHash(num_perm=num_perm, seed=seed).permutations
    assert a.dtype == b.dtype == np.uint32
    assert a.tolist() == expected[0].tolist()
    assert b.tolist() == expected[1].tolist()


def window_extents(starts: np.ndarray, count: int, window_size: int) -> list[tuple[int, int]]:
    """[start, end) of each window for an even `window_size`, as documented.

    Windows start every `window_size // 2` shingles and hold `window_size` shingles; the last
    window reaches the end of the shingles (so it may be shorter).
    """
    if count <= window_size:
        return [(0, count)]
    extents = [(int(start), min(int(start) + window_size, count)) for start in starts]
    extents[-1] = (extents[-1][0], count)
    return extents


even_window_sizes = st.integers(1, 20).map(lambda half: 2 * half)


@PROPERTY
@given(hash_sets, st.sampled_from([16, 64, 128]), st.integers(0, 2**31 - 1))
def test_signature_is_byte_identical_to_datasketch(
    values: list[int], num_perm: int, seed: int
) -> None:
    """compute_signature equals datasketch.MinHash(num_perm, seed, identity hashfunc).hashvalues."""
    ours = compute_signature(np.array(values, dtype=np.uint32), num_perm, seed)
    reference = reference_signature(values, num_perm, seed)
    assert ours.dtype == np.uint32
    assert ours.tobytes() == reference.astype(np.uint32).tobytes()


@pytest.mark.parametrize("num_perm", [16, 64, 128])
def test_empty_signature_equals_an_empty_datasketch_minhash(num_perm: int) -> None:
    """No hashes give datasketch's empty signature (all 0xFFFFFFFF)."""
    ours = compute_signature(np.zeros(0, dtype=np.uint32), num_perm, 1)
    assert ours.tolist() == [int(EMPTY)] * num_perm
    assert ours.tolist() == MinHash(num_perm=num_perm, seed=1).hashvalues.tolist()


@PROPERTY
@given(hash_sets)
def test_signature_ignores_order_and_repeats(values: list[int]) -> None:
    """A signature is a function of the set of hashes."""
    forward = compute_signature(np.array(values, dtype=np.uint32), 64, 1)
    shuffled = compute_signature(np.array(values[::-1] + values[:3], dtype=np.uint32), 64, 1)
    assert np.array_equal(forward, shuffled)


@PROPERTY
@given(hash_sets, hash_sets)
def test_signature_of_a_union_is_the_elementwise_minimum(
    first: list[int], second: list[int]
) -> None:
    """sig(A | B) == min(sig(A), sig(B)), which the window signatures rely on."""
    a = compute_signature(np.array(first, dtype=np.uint32), 64, 7)
    b = compute_signature(np.array(second, dtype=np.uint32), 64, 7)
    union = compute_signature(np.array(first + second, dtype=np.uint32), 64, 7)
    assert np.array_equal(union, np.minimum(a, b))


@PROPERTY
@given(
    st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=120),
    even_window_sizes,
    st.sampled_from([16, 64]),
)
def test_each_window_signature_is_the_signature_of_its_slice(
    values: list[int], window_size: int, num_perm: int
) -> None:
    """Window k's signature equals compute_signature of its shingles [start_k, end_k)."""
    hashes = np.array(values, dtype=np.uint32)
    signatures, starts = compute_window_signatures(hashes, window_size, num_perm, 1)
    assert signatures.shape == (len(starts), num_perm)
    for row, (start, end) in zip(
        signatures, window_extents(starts, len(hashes), window_size), strict=True
    ):
        assert np.array_equal(row, compute_signature(hashes[start:end], num_perm, 1))


@PROPERTY
@given(st.integers(1, 300), even_window_sizes)
def test_windows_start_every_half_window_and_the_last_reaches_the_end(
    count: int, window_size: int
) -> None:
    """Windows start at 0, every window_size // 2; the last starts within one window of the end."""
    hashes = np.arange(count, dtype=np.uint32)
    _, starts = compute_window_signatures(hashes, window_size, 16, 1)
    assert starts[0] == 0
    if count > window_size:
        assert np.all(np.diff(starts) == window_size // 2)
        # The last window is needed: the one before it ends short of the last shingle.
        assert window_size // 2 < count - starts[-1] <= window_size


@pytest.mark.parametrize("count", [1, 5, 15, 16])
def test_short_inputs_give_one_window_over_everything(count: int) -> None:
    """At most window_size shingles give one window equal to the whole signature."""
    hashes = np.arange(1000, 1000 + count, dtype=np.uint32)
    signatures, starts = compute_window_signatures(hashes, 16, 64, 1)
    assert starts.tolist() == [0]
    assert np.array_equal(signatures[0], compute_signature(hashes, 64, 1))


def test_no_shingles_give_no_windows() -> None:
    """An empty input has zero windows."""
    signatures, starts = compute_window_signatures(np.zeros(0, dtype=np.uint32), 16, 64, 1)
    assert signatures.shape == (0, 64)
    assert len(starts) == 0


def test_window_layout_for_a_known_length() -> None:
    """40 shingles, window 16: windows [0,16) [8,24) [16,32) [24,40)."""
    hashes = np.arange(40, dtype=np.uint32)
    _, starts = compute_window_signatures(hashes, 16, 64, 1)
    assert window_extents(starts, 40, 16) == [(0, 16), (8, 24), (16, 32), (24, 40)]


def test_odd_window_size_windows_hold_window_size_shingles() -> None:
    """Window 9 over 40 shingles: each window but the last holds 9 shingles, as documented."""
    hashes = np.arange(40, dtype=np.uint32)
    signatures, starts = compute_window_signatures(hashes, 9, 64, 1)
    for row, start in zip(signatures[:-1], starts[:-1].tolist(), strict=True):
        assert np.array_equal(row, compute_signature(hashes[start : start + 9], 64, 1))


@PROPERTY
@given(
    st.lists(st.one_of(st.just([]), hash_sets), max_size=12),
    st.sampled_from([16, 64, 128]),
    st.integers(0, 2**31 - 1),
)
def test_many_signatures_at_once_are_byte_identical_to_datasketch(
    sets: list[list[int]], num_perm: int, seed: int
) -> None:
    """Row k of compute_signatures is datasketch's MinHash (and LeanMinHash) of set k."""
    ours = compute_signatures([np.array(v, dtype=np.uint32) for v in sets], num_perm, seed)
    assert ours.shape == (len(sets), num_perm)
    assert ours.dtype == np.uint32
    for row, values in zip(ours, sets, strict=True):
        reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)
        reference.update_batch(values)
        assert row.tobytes() == reference.hashvalues.astype(np.uint32).tobytes()
        lean = LeanMinHash(reference)
        assert row.tobytes() == lean.hashvalues.astype(np.uint32).tobytes()
        assert lean == to_datasketch(row, seed)
        assert lean.jaccard(to_datasketch(row, seed)) == 1.0


@PROPERTY
@given(
    st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=90), max_size=8),
    st.integers(1, 20),
    st.integers(0, 2**31 - 1),
)
def test_window_signatures_of_many_documents_equal_one_at_a_time(
    lists: list[list[int]], window_size: int, seed: int
) -> None:
    """The batch windows of each document are exactly that document's own windows."""
    arrays = [np.array(values, dtype=np.uint32) for values in lists]
    signatures, owners, starts = compute_window_signatures_batch(arrays, window_size, 16, seed)
    assert np.all(np.diff(owners) >= 0)
    for number, values in enumerate(arrays):
        alone, alone_starts = compute_window_signatures(values, window_size, 16, seed)
        mine = owners == number
        assert signatures[mine].tobytes() == alone.tobytes()
        assert starts[mine].tolist() == alone_starts.tolist()


@PROPERTY
@given(
    st.lists(st.lists(st.integers(0, 2**32 - 1), min_size=100, max_size=400), max_size=4),
    st.integers(1, 20),
)
def test_long_documents_give_the_same_windows(lists: list[list[int]], window_size: int) -> None:
    """Documents of many windows (far more blocks than the compiled loop keeps at once): still
    exactly each document's own windows, in order."""
    arrays = [np.array(values, dtype=np.uint32) for values in lists]
    signatures, owners, starts = compute_window_signatures_batch(arrays, window_size, 16, 3)
    for number, values in enumerate(arrays):
        alone, alone_starts = compute_window_signatures(values, window_size, 16, 3)
        mine = owners == number
        assert signatures[mine].tobytes() == alone.tobytes()
        assert starts[mine].tolist() == alone_starts.tolist()


@PROPERTY
@given(st.lists(st.one_of(articles(), st.text(max_size=40)), max_size=6))
def test_signatures_of_texts_match_datasketch_on_their_shingles(texts: list[str]) -> None:
    """minhash_signatures(texts) row k is datasketch's MinHash of text k's 32-bit shingle hashes."""
    ours = minhash_signatures(texts, shingle_size=3, num_perm=32, seed=5, jobs=1)
    assert ours.shape == (len(texts), 32)
    for row, text in zip(ours, texts, strict=True):
        values = hash32(shingle_hashes(tokenize(text).ids, 3)).tolist()
        assert row.tobytes() == reference_signature(values, 32, 5).astype(np.uint32).tobytes()


def test_signatures_of_texts_do_not_depend_on_the_number_of_workers() -> None:
    """Worker processes give the same signatures as one process."""
    texts = [f"article {k}: the bridge over the river closed after the storm" for k in range(600)]
    one = minhash_signatures(texts, jobs=1)
    assert np.array_equal(one, minhash_signatures(texts, jobs=2))
    assert len({row.tobytes() for row in one}) == 600


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("shingle_size", 0, "shingle_size must be >= 1, got 0"),
        ("shingle_size", -1, "shingle_size must be >= 1, got -1"),
        ("shingle_size", 1.5, "shingle_size must be a whole number, got 1.5"),
        ("shingle_size", "3", "shingle_size must be a whole number, got '3'"),
        ("shingle_size", 10**12, "shingle_size must be <= 1000000000, got 1000000000000"),
        ("num_perm", 0, "num_perm must be >= 1, got 0"),
        ("num_perm", -1, "num_perm must be >= 1, got -1"),
        ("num_perm", 2**32, "num_perm must be <= 2048, got 4294967296"),
        ("num_perm", None, "num_perm must be a whole number, got None"),
        ("seed", -1, "seed must be >= 0, got -1"),
        ("seed", 2**32, "seed must be <= 4294967295, got 4294967296"),
        ("seed", None, "seed must be a whole number, got None"),
        ("seed", 1.0, "seed must be a whole number, got 1.0"),
        ("seed", True, "seed must be a whole number, got True"),
    ],
)
def test_signatures_of_texts_refuse_bad_options(option: str, value: object, message: str) -> None:
    """A shingle_size, num_perm or seed out of range or not a whole number raises ConfigError
    naming it and showing the value (before: garbage signatures, a wrapped seed, a hang, or
    numpy's and numba's errors)."""
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        minhash_signatures(["the bridge over the river"], jobs=1, **{option: value})


def test_signatures_of_texts_take_numpy_integers_and_any_iterable() -> None:
    """numpy integer options and texts given as an iterator give the same signatures."""
    texts = ["the bridge over the river closed", "after the storm the river rose"]
    plain = minhash_signatures(texts, shingle_size=2, num_perm=16, seed=7, jobs=1)
    given = minhash_signatures(
        iter(texts), shingle_size=np.int64(2), num_perm=np.int32(16), seed=np.uint32(7), jobs=1
    )
    assert given.tobytes() == plain.tobytes()


@pytest.mark.parametrize("texts", ["one text", b"one text", None, {"a": "one text"}, 5])
def test_signatures_of_texts_refuse_what_is_not_a_list_of_texts(texts: object) -> None:
    """One str (before: a signature per character), bytes, a mapping, None or a number given as
    the texts raises TypeError naming `texts`."""
    with pytest.raises(TypeError, match=r"^texts must be a list of texts \(str\), got "):
        minhash_signatures(texts, jobs=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("item", [b"bytes", None, 1])
def test_signatures_of_texts_refuse_an_item_that_is_not_a_str(item: object) -> None:
    """A text that is not a str raises InputError naming its position."""
    with pytest.raises(InputError, match=r"^texts\[1\]: expected a str, got "):
        minhash_signatures(["a text", item], jobs=1)  # type: ignore[list-item]
