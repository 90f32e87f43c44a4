"""Tests for the in-memory LSH: band parameters, bucket keys, candidate pairs."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import PROPERTY, articles
from wiretrace.config import MAX_NUM_PERM, Settings
from wiretrace.index import band_keys, bucket_pairs, candidate_pairs, lsh, lsh_bands
from wiretrace.index.lsh import KNOWN_BANDS, band_keys_plain, bucket_pairs_plain
from wiretrace.shingle import hash32, shingle_hashes, tokenize
from wiretrace.sketch import compute_window_signatures


def reference_pairs(keys: list[int], owners: list[int], max_bucket: int) -> set[tuple[int, int]]:
    """The obvious candidate pairs: distinct owners sharing a key whose bucket is small enough."""
    buckets: dict[int, set[int]] = defaultdict(set)
    for key, owner in zip(keys, owners, strict=True):
        buckets[key].add(owner)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 2 <= len(members) <= max_bucket:
            pairs.update(itertools.combinations(sorted(members), 2))
    return pairs


def document_keys(text: str, settings: Settings) -> np.ndarray:
    """The flat bucket keys of one text, as the pipeline computes them."""
    hashes = hash32(shingle_hashes(tokenize(text).ids, settings.shingle_size))
    signatures, _ = compute_window_signatures(
        hashes, settings.window_size, settings.num_perm, settings.seed
    )
    bands, rows = lsh_bands(settings.threshold, settings.num_perm)
    return band_keys(signatures, bands, rows).ravel()


bucket_tables = st.lists(
    st.tuples(st.integers(0, 15), st.integers(0, 9)), min_size=0, max_size=80
).map(lambda rows: ([key for key, _ in rows], [owner for _, owner in rows]))


@PROPERTY
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=12).flatmap(
        lambda pool: st.lists(st.tuples(st.sampled_from(pool), st.integers(0, 40)), max_size=300)
    ),
    st.integers(2, 30),
)
def test_bucket_pairs_equal_the_numpy_reference(
    rows: list[tuple[int, int]], max_bucket: int
) -> None:
    """The compiled bucket pass gives exactly the codes and hits of the sort-based numpy one,
    with buckets of one owner repeated, buckets past `max_bucket` and large buckets, whether
    the keys are taken in one part or split into many, owners int64 or int32."""
    keys = np.array([key for key, _ in rows], dtype=np.uint64)
    owners = np.array([owner for _, owner in rows], dtype=np.int64)
    plain_codes, plain_hits = bucket_pairs_plain(keys, owners, max_bucket, 41)
    # In one part, and split into parts of a few keys (as larger inputs are).
    # Owners as int64 and as the spill keeps them (int32).
    for part_keys in (lsh.PART_KEYS, 1, 7):
        for given_owners in (owners, owners.astype(np.int32)):
            codes, hits = bucket_pairs(keys, given_owners, max_bucket, 41, part_keys=part_keys)
            assert codes.tolist() == plain_codes.tolist()
            assert hits.tolist() == plain_hits.tolist()


@PROPERTY
@given(bucket_tables, st.integers(2, 6))
def test_candidate_pairs_equal_the_obvious_reference(
    table: tuple[list[int], list[int]], max_bucket: int
) -> None:
    """candidate_pairs gives exactly the pairs a dict-of-sets reference gives."""
    keys, owners = table
    pairs = candidate_pairs(
        np.array(keys, dtype=np.uint64), np.array(owners, dtype=np.int64), max_bucket
    )
    assert {tuple(pair) for pair in pairs.tolist()} == reference_pairs(keys, owners, max_bucket)


@PROPERTY
@given(bucket_tables)
def test_each_pair_appears_once_as_small_large(table: tuple[list[int], list[int]]) -> None:
    """Every candidate pair is (smaller, larger), unique, and the array is sorted."""
    keys, owners = table
    pairs = candidate_pairs(np.array(keys, dtype=np.uint64), np.array(owners, dtype=np.int64), 200)
    assert pairs.shape[1] == 2
    as_tuples = [tuple(pair) for pair in pairs.tolist()]
    assert all(small < large for small, large in as_tuples)
    assert as_tuples == sorted(set(as_tuples))


def test_pair_sharing_many_buckets_is_reported_once() -> None:
    """Two documents sharing three keys give one pair."""
    keys = np.array([5, 5, 6, 6, 7, 7], dtype=np.uint64)
    owners = np.array([3, 1, 1, 3, 3, 1])
    assert candidate_pairs(keys, owners, 200).tolist() == [[1, 3]]


def test_one_document_repeating_a_key_is_no_pair() -> None:
    """A key held only by one document (even many times) gives no pair."""
    keys = np.array([9, 9, 9], dtype=np.uint64)
    owners = np.array([2, 2, 2])
    assert candidate_pairs(keys, owners, 200).shape == (0, 2)


def test_buckets_over_max_bucket_give_nothing() -> None:
    """A bucket with more documents than max_bucket is boilerplate: no pairs from it."""
    keys = np.array([1] * 5 + [2, 2], dtype=np.uint64)
    owners = np.array([0, 1, 2, 3, 4, 0, 1])
    assert candidate_pairs(keys, owners, 4).tolist() == [[0, 1]]
    assert len(candidate_pairs(keys, owners, 5)) == 10


def test_repeated_owner_does_not_count_towards_bucket_size() -> None:
    """A bucket's size is its number of distinct documents."""
    keys = np.array([1, 1, 1, 1], dtype=np.uint64)
    owners = np.array([0, 0, 0, 1])
    assert candidate_pairs(keys, owners, 2).tolist() == [[0, 1]]


def test_no_keys_give_no_pairs() -> None:
    """Empty input gives an empty (0, 2) array."""
    pairs = candidate_pairs(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64), 200)
    assert pairs.shape == (0, 2)


@PROPERTY
@given(articles())
def test_identical_documents_always_become_candidates(text: str) -> None:
    """Two copies of any non-empty text share a bucket and become a candidate pair."""
    settings = Settings()
    keys = document_keys(text, settings)
    if len(keys) == 0:
        return
    flat = np.concatenate([keys, document_keys("unrelated filler words only here", settings), keys])
    owners = np.repeat([0, 1, 2], [len(keys), len(flat) - 2 * len(keys), len(keys)])
    assert [0, 2] in candidate_pairs(flat, owners, settings.max_bucket).tolist()


@settings(max_examples=25, deadline=None)
@given(st.floats(0.01, 1.0), st.sampled_from([2, 3, 16, 64, 100, 128, 256]))
def test_bands_times_rows_fit_in_num_perm(threshold: float, num_perm: int) -> None:
    """lsh_bands returns positive bands and rows with bands * rows <= num_perm."""
    bands, rows = lsh_bands(threshold, num_perm)
    assert bands >= 1
    assert rows >= 1
    assert bands * rows <= num_perm


@pytest.mark.parametrize(("threshold", "num_perm"), sorted(KNOWN_BANDS))
def test_known_bands_are_datasketchs_choice(threshold: float, num_perm: int) -> None:
    """Each (bands, rows) kept in KNOWN_BANDS is what datasketch's _optimal_param chooses."""
    assert KNOWN_BANDS[threshold, num_perm] == _optimal_param(threshold, num_perm, 0.3, 0.7)


def test_default_settings_have_known_bands() -> None:
    """The default threshold and num_perm are in KNOWN_BANDS (a default run skips scipy)."""
    defaults = Settings()
    assert (defaults.threshold, defaults.num_perm) in KNOWN_BANDS


@settings(max_examples=10, deadline=None)
@given(st.floats(0.05, 0.95), st.sampled_from([16, 64, 128]))
def test_bands_are_datasketchs_choice(threshold: float, num_perm: int) -> None:
    """lsh_bands chooses as datasketch's MinHashLSH does, in its table or not."""
    assert lsh_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.3, 0.7)


@pytest.mark.parametrize("threshold", [0.05, 0.4, 1.0])
def test_bands_for_the_most_permutations_are_found(threshold: float) -> None:
    """lsh_bands finds datasketch's choice for the largest num_perm (in seconds; 10 million
    permutations never finished)."""
    bands, rows = lsh_bands(threshold, MAX_NUM_PERM)
    assert (bands, rows) == _optimal_param(threshold, MAX_NUM_PERM, 0.3, 0.7)
    assert bands * rows <= MAX_NUM_PERM


def test_lower_threshold_means_more_bands() -> None:
    """A lower Jaccard threshold gets at least as many bands (more chances to collide)."""
    assert lsh_bands(0.2, 128)[0] >= lsh_bands(0.5, 128)[0] >= lsh_bands(0.9, 128)[0]


def test_band_keys_shape_is_windows_by_bands() -> None:
    """band_keys gives one uint64 key per window and band."""
    signatures = np.arange(3 * 64, dtype=np.uint32).reshape(3, 64)
    keys = band_keys(signatures, 16, 4)
    assert keys.shape == (3, 16)
    assert keys.dtype == np.uint64


def test_identical_rows_in_different_bands_get_different_keys() -> None:
    """The band number is mixed into the key, so equal band contents in two bands differ."""
    signatures = np.zeros((1, 8), dtype=np.uint32)
    keys = band_keys(signatures, 4, 2)
    assert len(set(keys[0].tolist())) == 4


@pytest.mark.parametrize("column", [0, 3, 7])
def test_changing_one_value_changes_only_its_band_key(column: int) -> None:
    """A different value in one signature row changes the key of that band only."""
    signatures = np.arange(16, dtype=np.uint32).reshape(2, 8)
    signatures[1] = signatures[0]
    signatures[1, column] += 1
    keys = band_keys(signatures, 4, 2)
    differing = np.flatnonzero(keys[0] != keys[1]).tolist()
    assert differing == [column // 2]


@PROPERTY
@given(
    st.integers(0, 40).flatmap(
        lambda windows: st.lists(
            st.integers(0, 2**32 - 1), min_size=windows * 12, max_size=windows * 12
        )
    ),
    st.sampled_from([(12, 1), (6, 2), (4, 3), (3, 4), (2, 5)]),
)
def test_compiled_band_keys_equal_the_numpy_ones(values: list[int], shape: tuple[int, int]) -> None:
    """The compiled band keys are the numpy reference's, for any signatures and banding (rows
    left over past bands * rows are not used)."""
    signatures = np.array(values, dtype=np.uint32).reshape(-1, 12)
    bands, rows = shape
    assert np.array_equal(
        band_keys(signatures, bands, rows), band_keys_plain(signatures, bands, rows)
    )
