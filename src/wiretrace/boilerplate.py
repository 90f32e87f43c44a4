"""Boilerplate: text an outlet repeats across many of its own documents.

Newsletter blurbs, copyright footers, author bios, "Read more" lines and video captions recur in
hundreds of one outlet's articles. They are not news reuse, and left in they would pair every
article of the outlet with every other. A shingle (word n-gram) is boilerplate for an outlet when it
occurs in at least `boilerplate_docs` of that outlet's documents; documents without an outlet form
one group. Boilerplate shingles are left out of the sketches and of the alignment seeds, so they
neither make candidates nor passages; the report lists each run of boilerplate words long enough
not to be a common phrase (`listed_words`) as a `BoilerplateSpan`. A wire story re-run by many *different* outlets is not affected: each outlet
carries it once.
"""

from __future__ import annotations

import hashlib
import itertools
import weakref
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from wiretrace import _sketch_kernels
from wiretrace._arrays import distinct
from wiretrace.models import BoilerplateSpan, Document
from wiretrace.shingle import Tokens


@lru_cache(maxsize=4096)  # one per outlet: asked again for each of its documents
def outlet_salt(outlet: str | None) -> np.uint64:
    """A stable 64-bit value per outlet, mixed into shingle hashes to count them per outlet."""
    digest = hashlib.blake2b((outlet or "").casefold().encode("utf-8"), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def salted(hashes: np.ndarray, outlet: str | None) -> np.ndarray:
    """Shingle hashes made specific to one outlet."""
    return hashes ^ outlet_salt(outlet)


def find_boilerplate(per_document: Sequence[np.ndarray], min_documents: int) -> np.ndarray:
    """The salted shingle hashes found in at least `min_documents` documents (sorted, unique).

    `per_document` holds each document's salted shingle hashes (repeats within a document count
    once).
    """
    if not per_document:
        return np.zeros(0, dtype=np.uint64)
    return frequent(np.concatenate([distinct(hashes) for hashes in per_document]), min_documents)


# The salt of a shingle counted for every outlet at once (an index counts its holders in all
# under it, for `own_boilerplate_docs`): no outlet's name hashes to it but by a 1 in 2**64 chance.
ALL_OUTLETS_SALT = np.uint64(0x6A09E667F3BCC908)

# `own_boilerplate_docs`: an outlet's share of all the documents holding a shingle that makes it
# the outlet's own (nine in ten), as a fraction of whole numbers (exact for any count).
OWN_SHARE = (9, 10)


def find_own_boilerplate(
    per_document: Sequence[np.ndarray],
    outlets: Sequence[str | None],
    min_documents: int,
    own_documents: int,
) -> np.ndarray:
    """The salted shingle hashes that are boilerplate (sorted, unique) with `own_boilerplate_docs`
    (`own_documents`, 0: off) on: each outlet's shingles found in at least `min_documents` of its
    documents, and those found in at least `own_documents` of them where its documents are
    OWN_SHARE or more of all that hold the shingle (never those of documents without an outlet).

    `per_document` holds each document's shingle hashes, unsalted (repeats within a document
    count once); `outlets` each document's outlet. With `own_documents` 0 this is
    `find_boilerplate` of the salted hashes.
    """
    if len(per_document) != len(outlets):
        raise ValueError(f"{len(per_document)} documents' hashes but {len(outlets)} outlets")
    hashes = [distinct(np.asarray(values, dtype=np.uint64)) for values in per_document]
    salts = [
        np.full(len(values), outlet_salt(o), dtype=np.uint64)
        for values, o in zip(hashes, outlets, strict=True)
    ]
    return own_boilerplate(
        np.concatenate([np.zeros(0, dtype=np.uint64), *hashes]),
        np.concatenate([np.zeros(0, dtype=np.uint64), *salts]),
        min_documents,
        own_documents,
    )


def own_boilerplate(
    keys: np.ndarray, salts: np.ndarray, min_documents: int, own_documents: int
) -> np.ndarray:
    """`find_own_boilerplate` of rows of (unsalted shingle hash, the `outlet_salt` of the
    document holding it), a row per document and shingle: the salted boilerplate hashes, sorted
    and unique."""
    held, own = own_boilerplate_parts(keys, salts, min_documents, own_documents)
    return np.union1d(held, own)


def own_boilerplate_parts(
    keys: np.ndarray, salts: np.ndarray, min_documents: int, own_documents: int
) -> tuple[np.ndarray, np.ndarray]:
    """`own_boilerplate` in two parts, each sorted and unique, with nothing in both: the salted
    hashes held by `min_documents` documents of their outlet (`find_boilerplate`'s), and those
    that are boilerplate only by the `own_documents` rule (which `own_boilerplate_cover` may
    leave unmasked in a document, see `mask_flat`).

    Either test needs `least` documents of one outlet (the smaller of the two numbers), so only
    the rows a compiled table of counts of the outlet-salted hashes cannot rule out are sorted by
    shingle and outlet (`_sketch_kernels.frequent_rows`: a few in a hundred; the few kept that
    have fewer are counted here and fail). The holders in all of the shingles that may be an
    outlet's own are counted over every row (`_sketch_kernels.count_among`)."""
    keys = np.require(keys, np.uint64, ["C"])
    salts = np.require(salts, np.uint64, ["C"])
    empty = np.zeros(0, dtype=np.uint64)
    least = min(min_documents, own_documents) if own_documents else min_documents
    rows = _sketch_kernels.frequent_rows(keys ^ salts, int(max(least, 1)))
    if len(rows) == 0:
        return empty, empty
    chosen_keys, chosen_salts = keys[rows], salts[rows]
    order = np.lexsort((chosen_salts, chosen_keys))
    chosen_keys, chosen_salts = chosen_keys[order], chosen_salts[order]
    # Runs of one shingle in one outlet's documents.
    new = np.ones(len(chosen_keys), dtype=bool)
    new[1:] = (chosen_keys[1:] != chosen_keys[:-1]) | (chosen_salts[1:] != chosen_salts[:-1])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(chosen_keys)))
    group_keys, group_salts = chosen_keys[starts], chosen_salts[starts]
    boilerplate = counts >= min_documents
    own = np.zeros(len(counts), dtype=bool)
    if own_documents:
        maybe = np.flatnonzero(
            ~boilerplate & (group_salts != outlet_salt(None)) & (counts >= own_documents)
        )
        if len(maybe):
            wanted, inverse = np.unique(group_keys[maybe], return_inverse=True)
            totals = _sketch_kernels.count_among(keys, wanted)[inverse]
            part, whole = OWN_SHARE
            own[maybe] = counts[maybe] * whole >= part * totals
    return (
        np.unique(group_keys[boilerplate] ^ group_salts[boilerplate]),
        np.unique(group_keys[own] ^ group_salts[own]),
    )


def frequent(values: np.ndarray, min_count: int) -> np.ndarray:
    """The distinct values (uint64) occurring at least `min_count` times, sorted: numpy's sort,
    then a compiled count of the runs (`frequent_plain`, by np.unique, is the reference).

    From `min_count` 2 on, only the values a compiled table of counts cannot rule out
    (`_sketch_kernels.frequent_rows`; a few in a hundred of a corpus's shingles) are
    sorted."""
    values = np.require(values, np.uint64, ["C"])
    if min_count >= 2:
        values = values[_sketch_kernels.frequent_rows(values, int(min_count))]
    return _sketch_kernels.frequent_sorted(np.sort(values), int(min_count))


def frequent_plain(values: np.ndarray, min_count: int) -> np.ndarray:
    """`frequent` by np.unique's counts (the reference the tests hold it to)."""
    unique, counts = np.unique(np.asarray(values, dtype=np.uint64), return_counts=True)
    return unique[counts >= min_count]


# A boilerplate set of at least _FILTER_FROM hashes gets a filter: one flag per value of the
# hashes' top bits, about 64 flags per hash (at most 2**24 flags: 16 MiB), so most shingles are
# told apart without a binary search (~100 ns each: its branches are unpredictable).
_FILTER_FROM = 1024
_FILTER_MAX_BITS = 24
_FILTER: tuple[weakref.ref[np.ndarray], np.uint64, np.ndarray] | None = None


def _filter(boilerplate: np.ndarray) -> tuple[np.uint64, np.ndarray]:
    """(shift, flags): the flags of the top bits (hash >> shift) the boilerplate hashes have,
    made once per boilerplate array."""
    global _FILTER
    if _FILTER is None or _FILTER[0]() is not boilerplate:
        bits = min(_FILTER_MAX_BITS, (64 * len(boilerplate)).bit_length())
        shift = np.uint64(64 - bits)
        flags = np.zeros(1 << bits, dtype=bool)
        flags[(boilerplate >> shift).astype(np.intp)] = True
        _FILTER = (weakref.ref(boilerplate), shift, flags)
    return _FILTER[1], _FILTER[2]


def boilerplate_mask(
    salted_hashes: np.ndarray, boilerplate: np.ndarray, tokens: Tokens, shingle_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(shingle mask, word mask): which shingles are boilerplate, and which words they cover.

    `boilerplate` is sorted (as `find_boilerplate` returns it): a hash passing its filter of top
    bits is looked up with a binary search, never by sorting the whole corpus's boilerplate
    again (np.isin would).
    """
    shingles = np.zeros(len(salted_hashes), dtype=bool)
    if len(boilerplate) and len(salted_hashes):
        if len(boilerplate) < _FILTER_FROM:
            flagged = np.arange(len(salted_hashes))
        else:
            shift, flags = _filter(boilerplate)
            flagged = np.flatnonzero(flags[(salted_hashes >> shift).astype(np.intp)])
        maybe = salted_hashes[flagged]
        found = np.minimum(np.searchsorted(boilerplate, maybe), len(boilerplate) - 1)
        shingles[flagged] = boilerplate[found] == maybe
    words = np.zeros(len(tokens), dtype=bool)
    if shingles.any():
        starts = np.flatnonzero(shingles)
        size = min(shingle_size, len(tokens))
        for offset in range(size):
            words[starts + offset] = True
    return shingles, words


# A run of boilerplate words covering fewer than this many shingles is a phrase the outlet
# uses often ("the White House", "said in a statement", "one of the"): it is masked like all
# boilerplate, but not listed as a boilerplate span, which would bury the blurbs, bios and
# footers of the report under common phrases.
LISTED_SHINGLES = 3


def listed_words(shingle_size: int) -> int:
    """The fewest words a run of boilerplate needs to be listed (`LISTED_SHINGLES` shingles)."""
    return shingle_size + LISTED_SHINGLES - 1


def boilerplate_spans(
    document: Document, tokens: Tokens, words: np.ndarray | None, min_words: int = 1
) -> list[BoilerplateSpan]:
    """The runs of at least `min_words` consecutive boilerplate words (`words`, the word mask of
    `boilerplate_mask`) as spans of the document's original text, from a run's first word to its
    last, in order."""
    if words is None or not words.any():
        return []
    return run_spans(document, tokens, mask_runs(words), min_words)


# The tables of the last two boilerplate arrays used (a run with `own_boilerplate_cover` uses
# two: with and without the outlets' own), newest first.
_TABLES: list[
    tuple[weakref.ref[np.ndarray], tuple[np.ndarray, np.uint64, bool, np.ndarray, np.uint64]]
] = []


def _set_table(
    boilerplate: np.ndarray,
) -> tuple[np.ndarray, np.uint64, bool, np.ndarray, np.uint64]:
    """The boilerplate hashes as `_sketch_kernels.set_table` (table, shift, zero) and
    `_sketch_kernels.set_filter` (bits, shift), made once per boilerplate array."""
    for position, (known, made) in enumerate(_TABLES):
        if known() is boilerplate:
            if position:
                _TABLES.insert(0, _TABLES.pop(position))
            return made
    values = np.require(boilerplate, np.uint64, ["C"])
    table, shift, zero = _sketch_kernels.set_table(values)
    bits, bits_shift = _sketch_kernels.set_filter(values)
    made = (table, np.uint64(shift), bool(zero), bits, np.uint64(bits_shift))
    _TABLES.insert(0, (weakref.ref(boilerplate), made))
    del _TABLES[2:]
    return made


def mask_flat(
    ids: np.ndarray,
    offsets: np.ndarray,
    outlets: Sequence[str | None],
    boilerplate: np.ndarray,
    shingle_size: int,
    fallback: np.ndarray | None = None,
    cover: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sketch stage's view of many documents at once, given as their token ids one after
    the other (`ids`, uint64; document k's from offsets[k] to offsets[k + 1]): (the 32-bit hashes
    (`hash32`) of their shingles that are not boilerplate, concatenated; where each document's
    start, len(offsets) values; every document's boilerplate words as `mask_runs`, one after the
    other; where each document's runs start, len(offsets) values). Document k's runs are
    runs[run_offsets[k]:run_offsets[k + 1]] (see `split_runs`): one array of runs is sent between
    processes many times faster than an array per document.

    Document by document this is `boilerplate_mask` on the outlet-`salted` shingle hashes, then
    `mask_runs` of its word mask, in one compiled pass over all the documents
    (`_sketch_kernels.mask_many`, which looks shingles up in a hash table of `boilerplate`
    behind a filter of bits).

    With a `fallback` set (`boilerplate` without the outlets' own boilerplate, see
    `own_boilerplate_parts`), a document whose boilerplate words are more than `cover` of its
    words is masked with `fallback` instead (`own_boilerplate_cover`: a re-sent story is nearly
    all text its outlet ran before, a footer a small part of a page).
    """
    masked = _mask_flat(ids, offsets, outlets, boilerplate, shingle_size)
    if fallback is None or cover >= 1.0 or len(masked[2]) == 0:
        return masked
    values, value_offsets, runs, run_offsets = masked
    lengths = np.concatenate(([0], np.cumsum(runs[:, 1] - runs[:, 0], dtype=np.int64)))
    covered = lengths[run_offsets[1:]] - lengths[run_offsets[:-1]]
    over = np.flatnonzero(covered > cover * np.diff(offsets))
    if len(over) == 0:
        return masked
    bounds = offsets.tolist()
    redone = _mask_flat(
        np.concatenate([ids[bounds[k] : bounds[k + 1]] for k in over.tolist()]),
        np.concatenate(([0], np.cumsum(np.diff(offsets)[over]))),
        [outlets[k] for k in over.tolist()],
        fallback,
        shingle_size,
    )
    return _spliced(masked, redone, over)


def _spliced(
    masked: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    redone: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    documents: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`mask_flat`'s output with the given documents' values and runs taken from `redone`
    (`mask_flat` of those documents alone, in the same order)."""
    values, value_offsets, runs, run_offsets = masked
    new_values, new_value_offsets, new_runs, new_run_offsets = redone
    chosen = dict(zip(documents.tolist(), range(len(documents)), strict=True))
    value_parts, run_parts = [], []
    value_counts, run_counts = [], []
    for k in range(len(value_offsets) - 1):
        j = chosen.get(k)
        if j is None:
            value_parts.append(values[value_offsets[k] : value_offsets[k + 1]])
            run_parts.append(runs[run_offsets[k] : run_offsets[k + 1]])
        else:
            value_parts.append(new_values[new_value_offsets[j] : new_value_offsets[j + 1]])
            run_parts.append(new_runs[new_run_offsets[j] : new_run_offsets[j + 1]])
        value_counts.append(len(value_parts[-1]))
        run_counts.append(len(run_parts[-1]))
    return (
        np.concatenate(value_parts).astype(values.dtype, copy=False),
        np.concatenate(([0], np.cumsum(value_counts))).astype(value_offsets.dtype),
        np.concatenate(run_parts).astype(runs.dtype, copy=False).reshape(-1, 2),
        np.concatenate(([0], np.cumsum(run_counts))).astype(run_offsets.dtype),
    )


def _mask_flat(
    ids: np.ndarray,
    offsets: np.ndarray,
    outlets: Sequence[str | None],
    boilerplate: np.ndarray,
    shingle_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    table, shift, zero, bits, bits_shift = _set_table(boilerplate)
    salts = np.array([outlet_salt(outlet) for outlet in outlets], dtype=np.uint64)
    values, value_offsets, runs, run_offsets = _sketch_kernels.mask_many(
        np.require(ids, np.uint64, ["C", "W"]),
        np.require(offsets, np.int64, ["C", "W"]),
        salts,
        table,
        shift,
        zero,
        bits,
        bits_shift,
        int(shingle_size),
    )
    return values, value_offsets, runs, run_offsets


def split_runs(runs: np.ndarray, run_offsets: np.ndarray) -> list[np.ndarray | None]:
    """Each document's runs from `mask_flat`'s (runs, run offsets): a view of `runs`, or None
    when it has none."""
    return [runs[a:b] if b > a else None for a, b in itertools.pairwise(run_offsets.tolist())]


def mask_runs(words: np.ndarray) -> np.ndarray:
    """A word mask as its runs of True: (first word, word after the last) rows, int32."""
    edges = np.diff(np.concatenate(([0], words.astype(np.int8), [0])))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1).astype(
        np.int32
    )


def mask_from_runs(runs: np.ndarray, words: int) -> np.ndarray:
    """The word mask of `words` words that `mask_runs` gave `runs`."""
    mask = np.zeros(words, dtype=bool)
    # A document has a few runs (tens at most, as a rule): setting each run's slice costs less
    # than summing a mask of run edges.
    for first, after in runs.tolist():
        mask[first:after] = True
    return mask


def run_spans(
    document: Document, tokens: Tokens, runs: np.ndarray, min_words: int = 1
) -> list[BoilerplateSpan]:
    """`boilerplate_spans` of a mask given as its `mask_runs`."""
    # A document has a few runs, most too short to list: a plain loop over them costs less
    # than the array operations picking the long ones.
    text, starts, ends = document.text, tokens.starts, tokens.ends
    spans = []
    for first, after in runs.tolist():
        if after - first >= min_words:
            start, end = int(starts[first]), int(ends[after - 1])
            spans.append(BoilerplateSpan(document.id, start, end, text[start:end]))
    return spans


def span_bounds(
    starts: np.ndarray,
    ends: np.ndarray,
    offsets: np.ndarray,
    runs: np.ndarray,
    run_offsets: np.ndarray,
    min_words: int = 1,
) -> tuple[list[int], list[int], list[int]]:
    """`run_spans` of many documents at once, as numbers: (the number of each span's document,
    the span's start, its end), for the runs of at least `min_words` words of `mask_flat`'s
    (runs, run offsets), in order. The documents' token `starts` and `ends` are one after the
    other, document k's from offsets[k] to offsets[k + 1]. The spans are picked by array
    operations over all the documents together (most runs are too short to list): only the
    listed ones are left for Python to make."""
    listed = np.flatnonzero(runs[:, 1] - runs[:, 0] >= min_words)
    if len(listed) == 0:
        return [], [], []
    owners = np.repeat(np.arange(len(offsets) - 1), np.diff(run_offsets))[listed]
    at = offsets[owners]
    return (
        owners.tolist(),
        starts[at + runs[listed, 0]].tolist(),
        ends[at + runs[listed, 1] - 1].tolist(),
    )
