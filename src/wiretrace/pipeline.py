"""Composes the stages: documents -> tokens -> window sketches -> LSH candidates -> passages -> Report.

This is the only module that knows the order of the stages. Work is spread over worker processes
(`Settings.jobs`); results are the same for any number of workers.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from wiretrace import _warm
from wiretrace._arrays import distinct
from wiretrace._workers import AHEAD, in_order, spared_by_collector, worker_pool
from wiretrace.align import SHORT_TEXT_WORDS, align_pair, align_short_texts, text_similarity
from wiretrace.boilerplate import (
    frequent,
    listed_words,
    mask_flat,
    mask_from_runs,
    outlet_salt,
    own_boilerplate_parts,
    salted,
    span_bounds,
    split_runs,
)
from wiretrace.config import MAX_NUM_PERM, MAX_SEED, Settings, whole_number
from wiretrace.corpus import Corpus, metadata
from wiretrace.errors import ConfigError, InputError
from wiretrace.index import band_keys, bucket_pairs, lsh_bands, merge_pair_counts
from wiretrace.ingest import (
    DEFAULT_MAX_DOCUMENT_CHARS,
    FieldMap,
    Input,
    TextStream,
    load_documents,
    read_inputs,
    sort_out,
)
from wiretrace.ingest.fields import check_many, shorten
from wiretrace.lineage import (
    infer_lineage,
    infer_lineage_and_directions,
    load_compiled,
    orient_pair,
    passage_kind,
)
from wiretrace.models import (
    BoilerplateSpan,
    Document,
    Notice,
    Pair,
    Passage,
    PassageKind,
    Report,
    Skipped,
)
from wiretrace.shingle import Tokens, hash32, shingle_hashes, tokenize
from wiretrace.sketch import compute_signatures, compute_window_signatures_flat
from wiretrace.spill import MAX_PARTITIONS, Spill, TokenStore, partitions_for
from wiretrace.summary import load_background

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; stages "read", "sketch" and "align"."""

_CHUNK = 64
# Characters per word in estimates of how many values the working sets will hold (news text in
# the languages measured has 5.5 to 7).
CHARS_PER_WORD = 6
# Candidate pairs aligned per task: larger than _CHUNK, so that a worker gets a same-story
# group's pairs together (see `locality_order`).
_ALIGN_CHUNK = 256
# From this many characters of text (about 500 news articles), a run with worker processes
# loads every compiled kernel in the parent process, for the workers it forks to inherit.
_LOAD_KERNELS_FROM = 2_000_000

# Shared with forked worker processes (copy-on-write); set only while a pool runs.
_DOCUMENTS: Sequence[Document] = ()
_BOILERPLATE: np.ndarray = np.zeros(0, dtype=np.uint64)
# With `own_boilerplate_docs`, `_BOILERPLATE` without the outlets' own (`own_boilerplate_cover`).
_FALLBACK: np.ndarray | None = None
_SETTINGS: Settings | None = None
# The spill the current stage's workers add to, then read partitions of.
_SPILLED: Spill | None = None
# Every document's tokens from the first stage on (None: each stage tokenizes the texts).
_TOKENS: TokenStore | None = None
# The boilerplate word mask of each document that has one, as `mask_runs`, by document number.
_MASK_RUNS: dict[int, np.ndarray] = {}


def as_document(
    item: Document | Mapping[str, Any], position: int, *, name: str = "documents"
) -> Document:
    """A Document from a Document or a dict with the usual field names; InputError naming
    ``documents[position]`` (`name` for another list's) for anything else."""
    return _as_document(item, f"{name}[{position}]", "a wiretrace.Document or a dict")


def _as_document(item: Any, where: str, expected: str) -> Document:
    """`as_document` of an item the caller names `where` (``source``, ``documents[3]``)."""
    if isinstance(item, Document):
        return item
    if isinstance(item, Mapping):
        try:
            return Document.from_record(item)
        except InputError as error:
            raise InputError(error.reason, input=where) from None
    raise InputError(f"expected {expected}, got {type(item).__name__}", input=where)


def as_article(item: str | Document | Mapping[str, Any], name: str) -> Document:
    """A Document from a text (its id `name`), a Document or a dict; InputError naming `name`
    for anything else."""
    if isinstance(item, str):
        return Document(id=name, text=item)
    return _as_document(item, name, "a str, a wiretrace.Document or a dict")


def input_path(item: Any, where: str) -> Input:
    """An input given to the library: a path (a str, bytes or os.PathLike) as a str, or a
    `TextStream` as it is; TypeError naming `where` (``inputs[2]``) for anything else."""
    if isinstance(item, TextStream):
        return item
    if isinstance(item, str | bytes | os.PathLike):
        return os.fsdecode(item)
    raise TypeError(
        f"{where} must be a path (a str or os.PathLike), got {type(item).__name__} {shorten(item)}"
    )


def check_progress(progress: Any) -> None:
    """TypeError unless `progress` is None or can be called."""
    if progress is not None and not callable(progress):
        raise TypeError(
            "progress must be a function progress(stage, done, total), or None; got "
            f"{type(progress).__name__} {shorten(progress)}"
        )


def check_records(values: Any, name: str, kind: type) -> Sequence[Any]:
    """`values` (`skipped`, `notices`), each a `kind`: a list as it is (its owner may add to it
    while the documents are read, as `find_reuse_in` does: checked again before the report is
    made), anything else as a tuple; TypeError naming the first that is not a `kind`."""
    given = check_many(values, name, f"a list of wiretrace.{kind.__name__} records")
    records = given if isinstance(given, list) else tuple(given)
    for position, record in enumerate(records):
        if not isinstance(record, kind):
            raise TypeError(
                f"{name}[{position}] must be a wiretrace.{kind.__name__}, got "
                f"{type(record).__name__} {shorten(record)}"
            )
    return records


def _check_partitions(partitions: Any) -> None:
    if partitions is None:
        return
    whole_number("spill_partitions", partitions, 1, MAX_PARTITIONS)
    if partitions & (partitions - 1):
        raise ConfigError(
            f"spill_partitions must be a power of two (1, 2, 4, ... {MAX_PARTITIONS}), "
            f"got {partitions!r}"
        )


def read_tokens(document: Document, settings: Settings) -> tuple[Tokens, np.ndarray]:
    """Stage 1 for one document: its tokens, and its unique outlet-salted shingle hashes (the
    input of `boilerplate.find_boilerplate`)."""
    return _read_tokens(document.text, document.outlet, settings)


def _read_tokens(text: str, outlet: str | None, settings: Settings) -> tuple[Tokens, np.ndarray]:
    tokens = tokenize(text)
    hashes = salted(shingle_hashes(tokens.ids, settings.shingle_size), outlet)
    return tokens, distinct(hashes)


def sketch_many(
    outlets: Sequence[str | None],
    ids: np.ndarray,
    offsets: np.ndarray,
    settings: Settings,
    boilerplate: np.ndarray | None = None,
    first: int = 0,
    fallback: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stage 2 for many documents at once, given their outlets and their token ids one after
    the other (document k's from offsets[k] to offsets[k + 1]): (keys, owners, runs, run
    offsets). `keys` are the LSH bucket keys of every document's windows (a key may repeat
    within a document), `owners` the number of each key's document (int32, the first document
    numbered `first`), and runs[run_offsets[k]:run_offsets[k + 1]] document k's boilerplate
    words as `mask_runs` (see `boilerplate.mask_flat`; `fallback`: the boilerplate without the
    outlets' own, for the documents it would cover more than `own_boilerplate_cover` of)."""
    bands, rows = lsh_bands(settings.threshold, settings.num_perm)
    if boilerplate is None:
        boilerplate = np.zeros(0, dtype=np.uint64)
    values, value_offsets, runs, run_offsets = mask_flat(
        ids,
        offsets,
        outlets,
        boilerplate,
        settings.shingle_size,
        fallback,
        settings.own_boilerplate_cover,
    )
    signatures, windows, _ = compute_window_signatures_flat(
        values, value_offsets, settings.window_size, settings.num_perm, settings.seed
    )
    keys = band_keys(signatures, bands, rows).ravel()
    # Numbered and narrowed a window at a time, before each is repeated for its bands.
    owners = np.repeat((windows + first).astype(np.int32), bands)
    return keys, owners, runs, run_offsets


def sketch_tokens(
    document: Document,
    tokens: Tokens,
    settings: Settings,
    boilerplate: np.ndarray | None = None,
    fallback: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Stage 2 for one document: the LSH bucket keys of its windows (flat uint64 array, one per
    window and band) and its boilerplate word mask (None when it has no boilerplate);
    `fallback` as for `sketch_many`.

    Two documents are candidates when they share `settings.min_hits` keys; keys are stable across
    processes and machines for the same settings.
    """
    offsets = np.array([0, len(tokens)], dtype=np.int64)
    keys, _, runs, _ = sketch_many(
        [document.outlet], tokens.ids, offsets, settings, boilerplate, 0, fallback
    )
    return keys, mask_from_runs(runs, len(tokens)) if len(runs) else None


def align_documents(
    first: Document,
    first_tokens: Tokens,
    second: Document,
    second_tokens: Tokens,
    settings: Settings,
    first_mask: np.ndarray | None = None,
    second_mask: np.ndarray | None = None,
) -> Pair | None:
    """Stage 3 for one candidate pair: its passages, as an oriented Pair (None if no passage)."""
    passages = align_pair(
        first.text, first_tokens, second.text, second_tokens, settings, first_mask, second_mask
    )
    if not passages:
        return None
    return build_pair(first, first_tokens, second, second_tokens, passages)


_TEXTS: Sequence[str] = ()
_SIGNATURE_OPTIONS: tuple[int, int, int] = (0, 0, 0)


def _signature_chunk(bounds: tuple[int, int]) -> np.ndarray:
    shingle_size, num_perm, seed = _SIGNATURE_OPTIONS
    hashes = [
        hash32(shingle_hashes(tokenize(text).ids, shingle_size))
        for text in _TEXTS[bounds[0] : bounds[1]]
    ]
    return compute_signatures(hashes, num_perm, seed)


def minhash_signatures(
    texts: Iterable[str],
    *,
    shingle_size: int = 3,
    num_perm: int = 64,
    seed: int = 1,
    jobs: int | None = None,
) -> np.ndarray:
    """Whole-text MinHash signatures of many texts: shape (len(texts), num_perm), uint32.

    Row k is byte-identical to a datasketch `MinHash(num_perm, seed, hashfunc=lambda x: x)` updated
    with text k's 32-bit shingle hashes (`shingle.hash32(shingle_hashes(tokenize(text).ids,
    shingle_size))`); `sketch.to_datasketch(row, seed)` makes it a LeanMinHash for datasketch's
    LSH and storage. Texts are split over `jobs` worker processes (default: all cores), in chunks
    whose signatures are computed at once; the result does not depend on `jobs`.

    `texts` is a list (or any iterable) of str; `shingle_size` is 1 to `config.MAX_COUNT` (a
    billion) words, `num_perm` 1 to `config.MAX_NUM_PERM` (2048), `seed` 0 to 2**32 - 1 (numpy
    integers are taken too) and `jobs` as in `Settings`. Other values raise ConfigError naming
    the argument; texts given as one str, a mapping or None raise TypeError, and an item that is
    not a str raises InputError naming it (``texts[3]``).
    """
    global _TEXTS, _SIGNATURE_OPTIONS
    shingle_size = whole_number("shingle_size", shingle_size, 1)
    num_perm = whole_number("num_perm", num_perm, 1, MAX_NUM_PERM)
    seed = whole_number("seed", seed, 0, MAX_SEED)
    workers = Settings(jobs=jobs).workers
    texts = check_many(texts, "texts", "a list of texts (str)")
    if not isinstance(texts, Sequence):
        texts = list(texts)
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            decode = "; decode bytes to str first" if isinstance(text, bytes | bytearray) else ""
            raise InputError(
                f"expected a str, got {type(text).__name__} {shorten(text)}{decode}",
                input=f"texts[{position}]",
            )
    chunk = 256
    bounds = [(k, min(k + chunk, len(texts))) for k in range(0, len(texts), chunk)]
    _TEXTS, _SIGNATURE_OPTIONS = texts, (shingle_size, num_perm, seed)
    try:
        parts = list(
            _run(_signature_chunk, bounds, workers, "sketch", len(texts), None, [0] * len(bounds))
        )
    finally:
        _TEXTS = ()
    return np.concatenate(parts) if parts else np.zeros((0, num_perm), dtype=np.uint32)


# A chunk of documents for the first stage: its first document's number, where its texts are
# (`Corpus.byte_offsets`) and each document's outlet.
_CountTask = tuple[int, list[int], list[str | None]]


def _count_chunk(task: _CountTask) -> tuple[np.ndarray, int]:
    """Add every document's outlet-salted shingle hashes, each once per document, to the spill;
    keep the documents' tokens for the later stages (returns where, for `TokenStore.locate`).
    The texts are read from the corpus's file, where the corpus being collected has put them."""
    assert _SETTINGS is not None and _SPILLED is not None and _TOKENS is not None
    assert isinstance(_DOCUMENTS, Corpus)
    first, offsets, outlets = task
    texts = _DOCUMENTS.read_texts(offsets)
    read = [
        _read_tokens(text, outlet, _SETTINGS) for text, outlet in zip(texts, outlets, strict=True)
    ]
    keys = np.concatenate([np.zeros(0, dtype=np.uint64)] + [hashes for _, hashes in read])
    if _SETTINGS.own_boilerplate_docs:
        # Each shingle as it is (its salt undone), with its document's outlet as that outlet's
        # salt: which outlets hold it decides `own_boilerplate_docs` (see `own_boilerplate`).
        salts = np.repeat(
            np.array([outlet_salt(outlet) for outlet in outlets], dtype=np.uint64),
            [len(hashes) for _, hashes in read],
        )
        _SPILLED.add(keys ^ salts, salts=salts)
    else:
        _SPILLED.add(keys)
    return _TOKENS.write(first, [tokens for tokens, _ in read])


def _count_tasks(corpus: Corpus, more: Iterator[Document]) -> Iterator[_CountTask]:
    """The first stage's tasks, of _CHUNK documents each: the corpus's documents, then the ones
    `more` gives, each added to the corpus as it comes."""

    def added(document: Document) -> Document:
        corpus.append(document)
        return document

    everyone = itertools.chain(map(corpus.header, range(len(corpus))), map(added, more))
    first, outlets = 0, []
    for document in everyone:
        outlets.append(document.outlet)
        if len(outlets) == _CHUNK:
            yield first, corpus.byte_offsets(first, first + _CHUNK), outlets
            first, outlets = first + _CHUNK, []
    if outlets:
        yield first, corpus.byte_offsets(first, first + len(outlets)), outlets


def _sketch_chunk(
    bounds: tuple[int, int],
) -> tuple[list[tuple[str, int, int, str]], np.ndarray, np.ndarray]:
    """Add the chunk's LSH keys with their owners to the spill; return the boilerplate spans of
    its documents (the sketch stage sees every document once, with its boilerplate mask) as the
    fields of `BoilerplateSpan`s, and the masks themselves as `mask_flat`'s (runs, run offsets),
    for the align stage. Plain tuples and two arrays come back from a worker process several
    times faster than records and an array per document."""
    assert _SETTINGS is not None and _SPILLED is not None and _TOKENS is not None
    assert isinstance(_DOCUMENTS, Corpus)
    start, stop = bounds
    # What memory holds of each document; the texts are read only when there are spans to list.
    known = list(metadata(_DOCUMENTS, start, stop))
    names, outlets = [meta[0] for meta in known], [meta[1] for meta in known]
    ids, starts, ends, offsets = _TOKENS.read_flat(start, stop - start)
    keys, owners, runs, run_offsets = sketch_many(
        outlets, ids, offsets, _SETTINGS, _BOILERPLATE, start, _FALLBACK
    )
    _SPILLED.add(keys, owners=owners)
    numbers, span_starts, span_ends = span_bounds(
        starts, ends, offsets, runs, run_offsets, listed_words(_SETTINGS.shingle_size)
    )
    texts = _DOCUMENTS.read_texts(_DOCUMENTS.byte_offsets(start, stop)) if numbers else []
    spans = [
        (names[k], first, end, texts[k][first:end])
        for k, first, end in zip(numbers, span_starts, span_ends, strict=True)
    ]
    return spans, runs, run_offsets


class _PreparedDocuments:
    """The align stage's documents with their tokens and boilerplate masks, kept in each worker
    while more of its pairs need them: a document is in many candidate pairs, and its tokens
    object also keys align.py's and summary.py's caches of per-text data (seed n-grams,
    sentences, summary sides), all made again when it is prepared again.

    Each use says when the document's next pair comes in the order the worker aligns pairs (see
    `_walks`; NEVER: no other). A document that has no other pair goes once its pair is aligned;
    past `limit` words, the ones whose next pair comes last go first (Belady's rule: with the
    future known, it prepares the fewest documents again, for documents of one size)."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit, self.words = limit, 0
        self.entries: dict[int, tuple[Document, Tokens, np.ndarray | None]] = {}
        self.due: dict[int, int] = {}
        # (-due, number) of every use: the entry furthest off is on top; one whose document
        # has been used again or dropped since (due changed) is skipped.
        self._queue: list[tuple[int, int]] = []
        # Documents prepared ahead (see `prepare`), entries from their first use on.
        self.ready: dict[int, tuple[Document, Tokens, np.ndarray | None]] = {}

    def prepare(self, numbers: Iterable[int]) -> None:
        """Prepare documents `numbers` (those not held) now, ahead of their first use: `get`
        takes them then. One after another, documents are prepared in less than half the time
        they take one at a time between alignments, which push the code and data that reading
        and masking use out of the processor's caches (measured on 20,000 articles)."""
        for number in numbers:
            if number not in self.entries and number not in self.ready:
                self.ready[number] = _prepared(number)

    def get(self, number: int, due: int) -> tuple[Document, Tokens, np.ndarray | None]:
        """Document `number` of `_DOCUMENTS`, its tokens and its mask (None: no boilerplate);
        `due` is when its next pair comes (NEVER: no other)."""
        found = self.entries.get(number)
        if found is None:
            found = self.ready.pop(number, None)
            if found is None:
                found = _prepared(number)
            self.entries[number] = found
            self.words += len(found[1])
        self.due[number] = due
        heapq.heappush(self._queue, (-due, number))
        return found

    def release(self, *numbers: int) -> None:
        """After aligning a pair of documents `numbers`: drop those of them that no other pair
        needs, then, while over the limit, the others whose next pair comes last."""
        for number in numbers:
            if self.due.get(number) == NEVER:
                self._drop(number)
        held = []
        while self.words > self.limit and self._queue:
            negative, number = heapq.heappop(self._queue)
            if self.due.get(number) != -negative:
                continue
            if number in numbers:
                held.append((negative, number))
            else:
                self._drop(number)
        for entry in held:
            heapq.heappush(self._queue, entry)
        if len(self._queue) > 4 * len(self.due) + 64:
            self._queue = [(-due, number) for number, due in self.due.items()]
            heapq.heapify(self._queue)

    def _drop(self, number: int) -> None:
        self.words -= len(self.entries.pop(number)[1])
        del self.due[number]

    def clear(self) -> None:
        self.entries.clear()
        self.ready.clear()
        self.due.clear()
        self._queue.clear()
        self.words = 0


def _prepared(number: int) -> tuple[Document, Tokens, np.ndarray | None]:
    """Document `number` of `_DOCUMENTS`, its tokens and its boilerplate mask (None: none)."""
    document = _DOCUMENTS[number]
    assert _TOKENS is not None
    tokens = _TOKENS.read(number)
    # The sketch stage made each document's boilerplate mask (kept as runs of words).
    runs = _MASK_RUNS.get(number)
    return document, tokens, None if runs is None else mask_from_runs(runs, len(tokens))


_PREPARED = _PreparedDocuments()
# A document's next pair in `_walks` when it has none.
NEVER = 2**62


def _align_chunk(rows: np.ndarray) -> list[tuple[int, Pair]]:
    """Align a chunk of candidate pairs, given as `_walks` rows, in their order (documents are
    prepared once while a worker needs them, see `_PreparedDocuments`): (number, pair) of each
    pair with passages, as `align_documents` makes it."""
    assert _SETTINGS is not None
    walk = rows.tolist()
    # The work outside `align_pair` is done for the whole chunk at once: its new documents
    # prepared first, its pairs built last (their documents kept until then). Done between
    # alignments, which push its code and data out of the processor's caches, it took twice
    # the time: the 32,000 pairs of 20,000 articles take ~0.8 s (7%) less CPU this way.
    _PREPARED.prepare(number for _, a, b, _, _ in walk for number in (a, b))
    aligned = []
    for number, a, b, a_due, b_due in walk:
        first, first_tokens, first_mask = _PREPARED.get(a, a_due)
        second, second_tokens, second_mask = _PREPARED.get(b, b_due)
        passages = align_pair(
            first.text, first_tokens, second.text, second_tokens, _SETTINGS, first_mask, second_mask
        )
        _PREPARED.release(a, b)
        if passages:
            aligned.append((number, first, first_tokens, second, second_tokens, passages))
    return [
        (number, build_pair(first, first_tokens, second, second_tokens, passages))
        for number, first, first_tokens, second, second_tokens, passages in aligned
    ]


def next_pairs(pairs: np.ndarray) -> np.ndarray:
    """For each pair (a row of two document numbers, in the order given) and each of its
    documents, the row number of the next pair that holds that document (len(pairs) if none)."""
    flat = pairs.ravel()
    # Each document's places, grouped by document, in order.
    places = np.argsort(flat, kind="stable")
    following = np.full(len(flat), len(pairs), dtype=np.int64)
    same = flat[places[1:]] == flat[places[:-1]]
    following[places[:-1][same]] = places[1:][same] // 2
    return following.reshape(pairs.shape)


def _walks(
    pairs: np.ndarray, order: np.ndarray, chunk: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The align tasks of candidate `pairs` taken in `order`, `chunk` pairs each, as rows
    (the pair's number in `pairs`, first, second, when first's next pair comes, when second's
    does): each task walked forward, and each walked backward (its rows reversed, "when"
    counted from the end). When is the next pair's place in that walk (NEVER: none)."""
    count = len(order)
    ordered = pairs[order]
    forward = np.column_stack([order, ordered, next_pairs(ordered)])
    backward = np.column_stack([order[::-1], ordered[::-1], next_pairs(ordered[::-1])])
    for rows in (forward, backward):
        dues = rows[:, 3:]
        dues[dues == count] = NEVER
    starts = range(0, count, chunk)
    return (
        [forward[k : k + chunk] for k in starts],
        [backward[max(0, count - k - chunk) : count - k] for k in starts],
    )


def locality_order(pairs: np.ndarray) -> np.ndarray:
    """An order of candidate `pairs` (rows of two document numbers) in which a document's pairs
    come close together, so the documents a worker keeps are the ones it needs next.

    Documents are numbered depth first over the pair graph (from a least connected document;
    of a document's neighbours, the least connected is visited first), and pairs sorted by their
    later-numbered, then earlier-numbered document: a same-story group's pairs follow one another.
    """
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.int64)
    nodes, inverse = np.unique(pairs, return_inverse=True)
    ends = inverse.reshape(pairs.shape)
    sides = np.concatenate([ends[:, 0], ends[:, 1]])
    others = np.concatenate([ends[:, 1], ends[:, 0]])
    degree = np.bincount(sides, minlength=len(nodes))
    # Each document's neighbours, most connected first (pushed first, so visited last).
    grouped = others[np.lexsort((others, -degree[others], sides))].tolist()
    offsets = np.concatenate([[0], np.cumsum(degree)]).tolist()
    rank = [-1] * len(nodes)
    visited = 0
    for start in np.argsort(degree, kind="stable").tolist():
        stack = [start]
        while stack:
            node = stack.pop()
            if rank[node] >= 0:
                continue
            rank[node] = visited
            visited += 1
            stack.extend(
                neighbour
                for neighbour in grouped[offsets[node] : offsets[node + 1]]
                if rank[neighbour] < 0
            )
    ranks = np.array(rank, dtype=np.int64)[ends]
    return np.lexsort((ranks.min(axis=1), ranks.max(axis=1)))


def _run(
    function: Callable[[Any], Any],
    tasks: list[Any],
    workers: int,
    stage: str,
    total: int,
    progress: Progress | None,
    sizes: list[int],
    idle: Iterator[Callable[[], Any]] | None = None,
) -> Iterator[Any]:
    """Run `function` over `tasks`, in worker processes when there are several, and yield each
    task's output in task order as it is ready (so outputs need not all be held at once).
    `idle`: steps to take here while waiting for the workers (see `in_order`)."""
    done = 0
    for size, output in zip(sizes, in_order(function, tasks, workers, idle), strict=True):
        yield output
        del output
        done += size
        if progress:
            progress(stage, done, total)


def _spread(
    function: Callable[[np.ndarray], Any],
    chunks: list[np.ndarray],
    workers: int,
    stage: str,
    progress: Progress | None,
    backward: list[np.ndarray] | None = None,
) -> Iterator[tuple[int, Any]]:
    """(number, output) of `function` over each of the `chunks` (pairs in `locality_order`), as
    they are ready, in worker processes when there are several. `backward[k]`, when given, is
    what `function` takes for chunk k when a worker goes through the chunks backward (see
    `_walks`).

    Each worker takes a run of consecutive chunks, every other worker from the far end of its
    run, so the documents it keeps prepared are the ones its next pairs need and two workers
    finish next to each other. One that runs out takes chunks from the busiest run's other end,
    going towards where its worker is: the first worker, done, goes on into the second's run."""
    total = sum(len(chunk) for chunk in chunks)
    done = 0
    if workers <= 1 or len(chunks) <= 1:
        for number, chunk in enumerate(chunks):
            yield number, function(chunk)
            done += len(chunk)
            if progress:
                progress(stage, done, total)
        return
    share = -(-len(chunks) // workers)
    runs = [
        deque(range(start, min(start + share, len(chunks))))
        for start in range(0, len(chunks), share)
    ]
    pools = [worker_pool(1) for _ in runs]
    pending: dict[Future[Any], tuple[int, int]] = {}

    def submit(worker: int) -> None:
        taken = worker if runs[worker] else max(range(len(runs)), key=lambda k: len(runs[k]))
        run = runs[taken]
        if run:
            # Run k's worker goes forward when k is even; another goes the other way.
            forward = (taken % 2 == 0) == (taken == worker)
            number = run.popleft() if forward else run.pop()
            task = chunks[number] if forward or backward is None else backward[number]
            pending[pools[worker].submit(function, task)] = (worker, number)

    try:
        for worker in range(len(runs)):
            for _ in range(AHEAD):
                submit(worker)
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                worker, number = pending.pop(future)
                output = future.result()
                submit(worker)
                yield number, output
                done += len(chunks[number])
                if progress:
                    progress(stage, done, total)
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)


def _coverage(tokens: Tokens, spans: Sequence[tuple[int, int]]) -> float:
    """Share of a text's words that lie inside the given character spans."""
    words = len(tokens.ids)
    if words == 0 or not spans:
        return 0.0
    # Tokens are in order and apart: those inside a span are a run of words; count the runs'
    # union. Most pairs have one passage (one run); the others' spans are searched at once.
    if len(spans) == 1:
        ((start, end),) = spans
        first = int(tokens.starts.searchsorted(start))
        return max(0, int(tokens.ends.searchsorted(end, "right")) - first) / words
    starts, ends = zip(*spans, strict=True)
    runs = sorted(
        zip(
            tokens.starts.searchsorted(starts).tolist(),
            tokens.ends.searchsorted(ends, "right").tolist(),
            strict=True,
        )
    )
    inside = reach = 0
    for first, after in runs:
        inside += max(0, after - max(first, reach))
        reach = max(reach, after)
    return inside / words


def build_pair(
    first: Document,
    first_tokens: Tokens,
    second: Document,
    second_tokens: Tokens,
    passages: Sequence[Passage],
    *,
    orient: bool = True,
) -> Pair:
    """A Pair from passages aligned first -> second, oriented source -> target."""
    first_coverage = _coverage(first_tokens, [(p.source_start, p.source_end) for p in passages])
    second_coverage = _coverage(second_tokens, [(p.target_start, p.target_end) for p in passages])
    matched = sum(p.matched_words for p in passages)
    total = len(first_tokens) + len(second_tokens)
    similarity = min(1.0, 2.0 * matched / total) if total else 0.0
    if orient:
        source, _, direction = orient_pair(first, second, first_coverage, second_coverage)
    else:
        source, direction = first, "unknown"
    # A summary passage (found by the summary model) stays one; the others are quotes or not.
    passages = [
        p if p.kind == "summary" else _with_kind(p, passage_kind(first.text, p)) for p in passages
    ]
    if source is second:
        passages = sorted(
            (p.reversed() for p in passages), key=lambda p: (p.source_start, p.target_start)
        )
        first, second = second, first
        first_coverage, second_coverage = second_coverage, first_coverage
    return Pair(
        source=first.id,
        target=second.id,
        direction=direction,
        similarity=similarity,
        source_coverage=first_coverage,
        target_coverage=second_coverage,
        passages=tuple(passages),
    )


def _with_kind(passage: Passage, kind: PassageKind) -> Passage:
    return passage if passage.kind == kind else attrs.evolve(passage, kind=kind)


def find_reuse(
    documents: Iterable[Document | Mapping[str, Any]],
    *,
    skipped: Iterable[Skipped] = (),
    notices: Iterable[Notice] = (),
    progress: Progress | None = None,
    settings: Settings | None = None,
    spill_partitions: int | None = None,
    **options: Any,
) -> Report:
    """Find every pair of documents that share reused passages, and align those passages.

    `documents` are `Document` records or dicts with the usual field names ("id", "text",
    "outlet", "published", ...). Settings are keyword arguments (see `Settings`), or a `Settings`.
    `skipped` and `notices` records from reading the input are carried into the report.
    `spill_partitions` (a power of two) splits the corpus-wide working sets on disk: memory holds
    one part at a time; results do not depend on it (None: as many as keep each part about
    `spill.MAX_KEYS` keys, estimated from the corpus size).

    While it runs, the objects alive are frozen for the garbage collector (`gc.freeze`; they are
    unfrozen when it returns or raises), unless the caller has frozen objects of its own.

    Raises InputError for an item that is not a document (naming ``documents[k]``) and for a
    duplicate id; TypeError for `documents` that are one str, a mapping or None, for a
    `skipped` or `notices` item of another type and a `progress` that cannot be called;
    ConfigError for a bad setting or a `spill_partitions` that is not a power of two from 1 to
    `spill.MAX_PARTITIONS` (256).
    """
    settings = Settings.from_options(options, base=settings)
    documents = check_many(documents, "documents", "a list of wiretrace.Documents or dicts")
    skipped = check_records(skipped, "skipped", Skipped)
    notices = check_records(notices, "notices", Notice)
    check_progress(progress)
    _check_partitions(spill_partitions)
    with spared_by_collector() as spare:
        return _find_reuse(documents, skipped, notices, progress, settings, spill_partitions, spare)


def _find_reuse(
    documents: Iterable[Document | Mapping[str, Any]],
    skipped: Iterable[Skipped],
    notices: Iterable[Notice],
    progress: Progress | None,
    settings: Settings,
    spill_partitions: int | None,
    spare: Callable[[], None],
    expected_chars: int | None = None,
) -> Report:
    """`find_reuse`; `spare()` is called once the objects made so far live as long as the run
    (see `spared_by_collector`). `expected_chars`: about how many characters of text the
    documents hold, when known before they are read (then the first stage's workers tokenize
    them as they are read)."""
    global _DOCUMENTS, _BOILERPLATE, _FALLBACK, _SETTINGS, _SPILLED, _TOKENS
    # Texts go to a file as they are read (memory holds ids and metadata); the workers and the
    # report read them back from it.
    docs = Corpus()
    more = (as_document(item, position) for position, item in enumerate(documents))
    workers = settings.workers
    if expected_chars is None:
        expected_chars = _text_chars(documents)
    try:
        if expected_chars is None:
            # The working sets' partitions are chosen by the corpus's size: read it all first.
            for document in more:
                docs.append(document)
            expected_chars = docs.chars
        _DOCUMENTS, _SETTINGS, _TOKENS = docs, settings, TokenStore(len(docs))
        # Loaded once here, the compiled kernels are shared by every worker forked after the
        # first stage's; each would otherwise load the ones it calls (a short run needs few of
        # them). This process loads them while it waits for the first stage's workers (which
        # inherit the few they call from the first chunk, done here), and the align stage's
        # tables while it waits for the second stage's. Only the ones a run on news uses
        # (`_warm.usual_loads`): loading every declared signature took 0.4 s more of this
        # process's time at 20,000 articles, for 49 of 90 no stage called.
        loads: Iterator[Callable[[], Any]] = iter(())
        if workers > 1 and expected_chars >= _LOAD_KERNELS_FROM:
            loads = _warm.usual_loads()
        # Memory holds no corpus-wide data: each text is tokenized once, by the first stage,
        # and its tokens read back from disk by the later ones; the corpus-wide values go to
        # partitioned files on disk. Workers add to the files themselves (files of their own).
        # About one distinct shingle per word, and a word per CHARS_PER_WORD characters.
        expected = expected_chars // CHARS_PER_WORD
        # With `own_boilerplate_docs`, each shingle comes with its document's outlet salt.
        columns = {"salts": np.dtype(np.uint64)} if settings.own_boilerplate_docs else None
        with Spill(columns, partitions=spill_partitions or partitions_for(expected)) as shingles:
            _SPILLED = shingles
            done = 0
            # Outputs come in task order: each chunk's first document is the count so far.
            tasks = _count_tasks(docs, more)
            for written in in_order(_count_chunk, tasks, workers, loads, first_here=True):
                _TOKENS.locate(done, written)
                done += len(written[0])
                if progress:
                    progress("read", done, len(docs))
            docs.seal()
            spare()
            # The kernels the first stage left no time for load while the next ones' workers
            # work (loaded here before they start, one core stood idle for up to 0.2 s at
            # 20,000 articles); what their workers need and this process has not loaded yet,
            # each loads for itself.
            frequent_parts = _by_partition(_frequent_in, workers, loads)
            _BOILERPLATE = np.concatenate(
                [np.zeros(0, dtype=np.uint64)] + [f[0] for f in frequent_parts]
            )
            if columns:  # (salted, the partitions' hashes are in no order)
                held = np.unique(_BOILERPLATE)
                own = np.unique(
                    np.concatenate([np.zeros(0, dtype=np.uint64)] + [f[1] for f in frequent_parts])
                )
                _BOILERPLATE = np.union1d(held, own)
                if len(own) and settings.own_boilerplate_cover < 1.0:
                    _FALLBACK = held
        bounds = [(k, min(k + _CHUNK, len(docs))) for k in range(0, len(docs), _CHUNK)]
        sizes = [end - start for start, end in bounds]
        ahead: Iterator[Callable[[], Any]] = iter(())
        if workers > 1 and expected_chars >= _LOAD_KERNELS_FROM:
            tables: list[Callable[[], Any]] = [load_compiled]
            if settings.summary_probability < 1.0:
                tables.append(load_background)
            ahead = itertools.chain(loads, tables)
        scale = max(len(docs), 1)
        boilerplate: list[BoilerplateSpan] = []
        # A key per band of each window, a window every `window_size // 2` shingles and at
        # least one per document.
        bands = lsh_bands(settings.threshold, settings.num_perm)[0]
        expected = bands * (shingles.count // max(1, settings.window_size // 2) + len(docs))
        partitions = spill_partitions or partitions_for(expected)
        with Spill({"owners": np.dtype(np.int32)}, partitions=partitions) as buckets:
            _SPILLED = buckets
            sketched = _run(
                _sketch_chunk, bounds, workers, "sketch", len(docs), progress, sizes, ahead
            )
            for (start, _), (spans, runs, run_offsets) in zip(bounds, sketched, strict=True):
                boilerplate.extend(
                    BoilerplateSpan(document, first, end, text)
                    for document, first, end, text in spans
                )
                for k, document_runs in enumerate(split_runs(runs, run_offsets)):
                    if document_runs is not None:
                        _MASK_RUNS[start + k] = document_runs
            counted = [part for parts in _by_partition(_pairs_in, workers) for part in parts]
        candidates = merge_pair_counts(counted, settings.min_hits, scale)
        del counted
        # The boilerplate spans and masks live as long as the run too.
        spare()
        # Aligned in an order that keeps each worker's prepared documents in use; the pairs
        # found are put back in candidate order.
        order = locality_order(candidates)
        chunks, backward = _walks(candidates, order, _ALIGN_CHUNK)
        _PREPARED.clear()
        spread = workers > 1 and len(chunks) > 1
        if spread:
            # Once, for all the workers forked below (nothing to do if done while waiting).
            for load in loads:
                load()
            load_compiled()
            if settings.summary_probability < 1.0:
                load_background()
        found: list[tuple[int, Pair]] = []
        for _, output in _spread(_align_chunk, chunks, workers, "align", progress, backward):
            found.extend(output)
            if spread:
                # The pairs found live as long as the run: spared as they come, the collector's
                # full collections walk none of them (they walked all found so far, ~0.1 s on
                # 20,000 articles). Here, not when aligning here: what that makes does not.
                spare()
        del chunks, backward
        pairs = [pair for _, pair in sorted(found, key=lambda item: item[0])]
        del found
        spare()
    except BaseException:
        docs.close()
        raise
    finally:
        _PREPARED.clear()
        _MASK_RUNS.clear()
        if _TOKENS is not None:
            _TOKENS.close()
        _DOCUMENTS, _SETTINGS, _SPILLED, _TOKENS = (), None, None, None
        _BOILERPLATE, _FALLBACK = np.zeros(0, dtype=np.uint64), None
    return build_report(
        docs,
        pairs,
        skipped=check_records(skipped, "skipped", Skipped),
        notices=check_records(notices, "notices", Notice),
        settings=settings,
        boilerplate=boilerplate,
    )


def _text_chars(documents: Iterable[Document | Mapping[str, Any]]) -> int | None:
    """The characters of text in a list of documents (None: not a list, or an item without a
    text, which reading will report)."""
    if isinstance(documents, Corpus):
        return documents.chars
    if not isinstance(documents, Sequence):
        return None
    total = 0
    for item in documents:
        text = item.text if isinstance(item, Document) else None
        if isinstance(item, Mapping):
            text = item.get("text")
        if not isinstance(text, str):
            return None
        total += len(text)
    return total


def _by_partition(
    function: Callable[[int], Any],
    workers: int,
    idle: Iterator[Callable[[], Any]] | None = None,
) -> list[Any]:
    """`function` of each filled partition of the stage's spill (`_SPILLED`), in worker
    processes: outputs in partition order. `idle`: steps for this process to take while it
    waits (see `in_order`)."""
    assert _SPILLED is not None
    partitions = _SPILLED.filled()
    return list(_run(function, partitions, workers, "", 0, None, [0] * len(partitions), idle))


def _frequent_in(partition: int) -> tuple[np.ndarray, np.ndarray]:
    """The salted shingle hashes of a partition of the counts held by `boilerplate_docs`
    documents, and (with `own_boilerplate_docs`) the others `own_boilerplate_parts` finds."""
    assert _SPILLED is not None and _SETTINGS is not None
    least, own = _SETTINGS.boilerplate_docs, _SETTINGS.own_boilerplate_docs
    empty = np.zeros(0, dtype=np.uint64)

    def found(part: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        # With `own_boilerplate_docs` the keys are as they are, with their outlets' salts.
        if own:
            return own_boilerplate_parts(part["keys"], part["salts"], least, own)
        return frequent(part["keys"], least), empty

    parts = [found(part) for part in _SPILLED.read(partition)]
    return (
        np.concatenate([empty] + [held for held, _ in parts]),
        np.concatenate([empty] + [own for _, own in parts]),
    )


def _pairs_in(partition: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`bucket_pairs` of each piece of a partition of the LSH buckets."""
    assert _SPILLED is not None and _SETTINGS is not None
    scale = max(len(_DOCUMENTS), 1)
    return [
        bucket_pairs(part["keys"], part["owners"], _SETTINGS.max_bucket, scale)
        for part in _SPILLED.read(partition)
    ]


def build_report(
    documents: Sequence[Document],
    pairs: Iterable[Pair],
    *,
    skipped: Iterable[Skipped] = (),
    notices: Iterable[Notice] = (),
    settings: Settings | None = None,
    boilerplate: Iterable[BoilerplateSpan] = (),
) -> Report:
    """The Report of a run from its documents and aligned pairs (in any order): pairs sorted by
    similarity, then ids, and lineage inferred; `boilerplate` spans are given in document order,
    then start. Every engine (local, Spark) ends here."""
    ordered = sorted(pairs, key=lambda pair: (-pair.similarity, pair.source, pair.target))
    # Pairs the two texts could not orient take the order of their cluster's lineage tree.
    clusters, oriented = infer_lineage_and_directions(
        documents, ordered, jobs=settings.workers if settings is not None else 1
    )
    return Report(
        documents=documents,
        pairs=sorted(oriented, key=lambda pair: (-pair.similarity, pair.source, pair.target)),
        skipped=tuple(skipped),
        settings=settings,
        clusters=clusters,
        notices=tuple(notices),
        boilerplate=tuple(boilerplate),
    )


def compare(
    source: str | Document | Mapping[str, Any],
    target: str | Document | Mapping[str, Any],
    *,
    settings: Settings | None = None,
    **options: Any,
) -> Report:
    """Align two texts (or documents) directly, without candidate search.

    Plain strings get the ids "source" and "target" and keep the order given (direction
    "unknown"); documents with publication dates are oriented by them, as in `find_reuse`.
    Anything else (bytes, None, a dict without "text") raises InputError naming ``source`` or
    ``target``.
    """
    settings = Settings.from_options(options, base=settings)
    first, second = as_article(source, "source"), as_article(target, "target")
    if first.id == second.id:
        second = Document(
            id=f"{second.id} (2)",
            text=second.text,
            outlet=second.outlet,
            published=second.published,
            title=second.title,
            url=second.url,
        )
    first_tokens, second_tokens = tokenize(first.text), tokenize(second.text)
    passages = align_pair(first.text, first_tokens, second.text, second_tokens, settings)
    # Two short texts (sentences, headlines): the pair's similarity is their text similarity
    # (see `align.text_similarity`), and when no passage was found word by word but they are
    # alike, they are one passage as wholes.
    short = max(len(first_tokens), len(second_tokens)) <= SHORT_TEXT_WORDS
    if short and not passages:
        passages = align_short_texts(first.text, first_tokens, second.text, second_tokens, settings)
    pairs = []
    if passages:
        orient = first.published is not None and second.published is not None
        pair = build_pair(first, first_tokens, second, second_tokens, passages, orient=orient)
        if short:
            similarity = text_similarity(first.text, first_tokens, second.text, second_tokens)
            pair = attrs.evolve(pair, similarity=similarity)
        pairs.append(pair)
    return Report(
        documents=(first, second),
        pairs=pairs,
        skipped=(),
        settings=settings,
        clusters=infer_lineage((first, second), pairs),
    )


def find_reuse_in(
    inputs: Iterable[Input],
    *,
    fields: Mapping[str, str | None] | None = None,
    on_error: str = "fail",
    encoding: str = "utf-8",
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
    progress: Progress | None = None,
    settings: Settings | None = None,
    spill_partitions: int | None = None,
    **options: Any,
) -> Report:
    """`find_reuse` over files and folders (and a `TextStream`, such as standard input): read
    them (see `wiretrace.ingest`), then find reuse.

    `fields` names the fields to read (keys id_field, text_field, outlet_field, date_field,
    title_field, url_field); `on_error` is "fail" (raise InputError on the first bad input) or
    "skip" (list it in the report's `skipped`); a document longer than `max_document_chars`
    characters is a bad input. Notices about the inputs are carried into the report.

    `inputs` given as one path (a str) or None raise TypeError, as does an input that is not a
    path; other arguments are checked as in `find_reuse`, and `fields` with an unknown option
    raise ConfigError.
    """
    settings = Settings.from_options(options, base=settings)
    field_map = FieldMap.from_fields(fields)
    check_progress(progress)
    _check_partitions(spill_partitions)
    skipped: list[Skipped] = []
    notices: list[Notice] = []
    paths = [
        input_path(path, f"inputs[{position}]")
        for position, path in enumerate(check_many(inputs, "inputs", "a list of paths"))
    ]
    stream = read_inputs(
        paths,
        field_map=field_map,
        on_error=on_error,  # type: ignore[arg-type]
        encoding=encoding,
        max_document_chars=max_document_chars,
    )
    # Read as a stream: find_reuse stores each text as it comes (and tokenizes it, the inputs'
    # size telling how large a corpus to expect); skipped inputs and notices are complete once
    # the documents are.
    with spared_by_collector() as spare:
        return _find_reuse(
            sort_out(stream, skipped, notices),
            skipped,
            notices,
            progress,
            settings,
            spill_partitions,
            spare,
            _input_chars(paths),
        )


# Compressed inputs hold about this many characters of text per byte, for `_input_chars`
# (measured: 1.9 to 2.6 in gzip JSON Lines of news, whose lines hold other fields too).
_GZIP_RATIO = 2.5


def _input_chars(paths: list[Input]) -> int | None:
    """About how many characters of text the input files and folders hold, from their sizes
    (None: one cannot be looked at now, reading will tell why; or a stream's size is unknown)."""
    total = 0
    try:
        for path in paths:
            if isinstance(path, TextStream):
                return None
            if os.path.isdir(path):
                files = [
                    os.path.join(top, name) for top, _, names in os.walk(path) for name in names
                ]
            elif os.path.isfile(path):
                files = [os.fspath(path)]
            else:
                return None
            for name in files:
                size = os.path.getsize(name)
                total += int(size * _GZIP_RATIO) if name.endswith(".gz") else size
    except OSError:
        return None
    return total


def _read_one(given: Input, encoding: str) -> Document:
    """The one article of a text file or stream, its id the path as given (or the stream's
    name)."""
    name = given.name if isinstance(given, TextStream) else str(given)
    loaded = load_documents([given], on_error="fail", encoding=encoding)
    if len(loaded.documents) != 1:
        reason = loaded.skipped[0].reason if loaded.skipped else "no document"
        raise InputError(
            f"expected one article, found {len(loaded.documents)} ({reason}); "
            "compare takes two text files",
            input=name,
        )
    return attrs.evolve(loaded.documents[0], id=name)


def compare_files(
    source: Input,
    target: Input,
    *,
    encoding: str = "utf-8",
    settings: Settings | None = None,
    **options: Any,
) -> Report:
    """`compare` two article files (.txt or .md) or a file and a `TextStream` (standard input),
    ids being their paths as given (a stream's name); a path that is not a str, bytes or
    os.PathLike raises TypeError."""
    source, target = input_path(source, "source"), input_path(target, "target")
    first, second = _read_one(source, encoding), _read_one(target, encoding)
    return compare(first, second, settings=Settings.from_options(options, base=settings))


def demo_corpus_path() -> Path:
    """The bundled demo corpus: fictional articles written for wiretrace (JSON Lines)."""
    return Path(__file__).parent / "demo" / "corpus.jsonl"
