"""Boilerplate: text one outlet repeats across many of its documents makes no reuse."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wiretrace
from strategies import _build_vocabulary
from wiretrace import BoilerplateSpan, _sketch_kernels
from wiretrace.boilerplate import (
    boilerplate_mask,
    boilerplate_spans,
    find_boilerplate,
    frequent,
    frequent_plain,
    mask_flat,
    mask_runs,
    run_spans,
    salted,
    span_bounds,
    split_runs,
)
from wiretrace.pipeline import read_tokens
from wiretrace.shingle import Tokens, hash32, shingle_hashes, tokenize

VOCABULARY = _build_vocabulary()


@pytest.mark.parametrize("filtered", [False, True])
@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=60),
    st.lists(st.integers(0, 2**64 - 1), max_size=60),
)
def test_mask_matches_a_plain_membership_test(
    filtered: bool, hashes: list[int], extra: list[int]
) -> None:
    """The binary-search mask equals np.isin against the boilerplate set, also where a large
    set's filter of top bits is used first."""
    document = np.array(hashes + extra[:5], dtype=np.uint64)
    boilerplate = np.unique(np.array(extra + hashes[:3], dtype=np.uint64))
    tokens = tokenize(" ".join(["word"] * (len(document) + 2)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wiretrace.boilerplate._FILTER_FROM", 0 if filtered else 1 << 30)
        shingles, _ = boilerplate_mask(document, boilerplate, tokens, 3)
    assert shingles.tolist() == np.isin(document, boilerplate).tolist()


@pytest.mark.parametrize("filtered", [False, True])
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=30),
            st.sampled_from([None, "One", "Two"]),
        ),
        max_size=6,
    ),
    st.integers(1, 4),
    st.lists(st.integers(0, 2**64 - 1), max_size=5),
    st.randoms(use_true_random=False),
)
def test_many_documents_are_masked_as_one_by_one(
    filtered: bool,
    documents: list[tuple[list[str], str | None]],
    shingle_size: int,
    extra: list[int],
    rng: random.Random,
) -> None:
    """`mask_flat` (one compiled pass over many documents), its runs split by `split_runs`, gives
    each document's unmasked shingle hashes and boilerplate runs exactly as `boilerplate_mask`
    and `mask_runs` do on it alone, with and without the filter of top bits, for texts shorter
    than a shingle too."""
    tokens = [tokenize(" ".join(words)) for words, _ in documents]
    outlets = [outlet for _, outlet in documents]
    every = [
        salted(shingle_hashes(t.ids, shingle_size), outlet)
        for t, outlet in zip(tokens, outlets, strict=True)
    ]
    pool = np.concatenate([np.zeros(0, dtype=np.uint64), *every]).tolist()
    chosen = rng.sample(pool, len(pool) // 2) + extra
    boilerplate = np.unique(np.array(chosen, dtype=np.uint64))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wiretrace.boilerplate._FILTER_FROM", 0 if filtered else 1 << 30)
        values, offsets, flat_runs, run_offsets = mask_flat(
            *_end_to_end(tokens), outlets, boilerplate, shingle_size
        )
        runs = split_runs(flat_runs, run_offsets)
        for k, (t, hashes) in enumerate(zip(tokens, every, strict=True)):
            shingles, words = boilerplate_mask(hashes, boilerplate, t, shingle_size)
            unsalted = shingle_hashes(t.ids, shingle_size)
            assert (
                values[offsets[k] : offsets[k + 1]].tolist() == hash32(unsalted[~shingles]).tolist()
            )
            expected = mask_runs(words).tolist() if words.any() else None
            assert (None if runs[k] is None else runs[k].tolist()) == expected
    assert offsets[-1] == len(values)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=40),
    st.lists(st.integers(0, 2**64 - 1), max_size=40),
    st.integers(0, 8),
)
def test_the_set_table_holds_exactly_its_values(
    values: list[int], others: list[int], crowd: int
) -> None:
    """`_sketch_kernels.set_table` and `_in_table` (mask_many's lookup) answer as a set does,
    0 and values crowding one slot (sharing their top bits: long probes, wrapping) included."""
    values = values + [(2**64 - 1) - k for k in range(crowd)] + [k << 60 for k in range(crowd)]
    table, shift, zero = _sketch_kernels.set_table(np.array(values, dtype=np.uint64))
    assert len(table) >= 2 * len(set(values))
    for value in set(values) | set(others) | {0, 1}:
        found = _sketch_kernels._in_table(np.uint64(value), table, np.uint64(shift), zero)
        assert found == (value in set(values))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=300),
    st.lists(st.tuples(st.integers(0, 299), st.integers(1, 300)), max_size=6),
    st.sampled_from([2, 3, 20, 255, 256, 300]),
)
def test_frequent_keeps_exactly_np_uniques_behind_its_table_of_counts(
    distinct: list[int], repeated: list[tuple[int, int]], min_count: int
) -> None:
    """`frequent` leaves out of its sort only values its table of counts rules out: with
    values repeated past the counters' top (255), it keeps exactly what np.unique counts."""
    values = distinct + [distinct[k % len(distinct)] for k, times in repeated for _ in range(times)]
    array = np.array(values, dtype=np.uint64)
    assert frequent(array, min_count).tolist() == frequent_plain(array, min_count).tolist()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=40),
    st.lists(st.integers(0, 2**64 - 1), max_size=200),
    st.integers(0, 8),
)
def test_the_set_filter_passes_every_value_it_holds(
    values: list[int], others: list[int], crowd: int
) -> None:
    """`_sketch_kernels.set_filter` and `_in_filter` (mask_many's first look) pass every value
    of the set, 0 and values sharing their top bits included, and leave out values whose top
    bits no value of the set has."""
    values = values + [(2**64 - 1) - k for k in range(crowd)] + [k << 60 for k in range(crowd)]
    bits, shift = _sketch_kernels.set_filter(np.array(values, dtype=np.uint64))
    tops = {value >> int(shift) for value in values}
    for value in set(values) | set(others) | {0, 1}:
        passed = _sketch_kernels._in_filter(np.uint64(value), bits, np.uint64(shift))
        assert passed == ((value >> int(shift)) in tops)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([0, 1, 5, 2**63, 2**64 - 1]) | st.integers(0, 2**64 - 1)),
    st.integers(-1, 4),
)
def test_frequent_values_are_counted_as_np_unique_counts(values: list[int], min_count: int) -> None:
    """The compiled count of a sorted array's runs keeps exactly the values np.unique counts
    at least `min_count` times."""
    array = np.array(values, dtype=np.uint64)
    found = frequent(array, min_count)
    assert found.dtype == np.uint64
    assert found.tolist() == frequent_plain(array, min_count).tolist()


def test_shingles_in_enough_documents_are_boilerplate() -> None:
    """A hash found in min_documents documents is boilerplate; one found in fewer is not."""
    per_document = [np.array([1, 2], dtype=np.uint64)] * 3 + [np.array([3], dtype=np.uint64)]
    assert find_boilerplate(per_document, 3).tolist() == [1, 2]


def test_an_outlets_footer_makes_no_pairs() -> None:
    """25 unrelated articles of one outlet sharing a 30-word footer are not reported as reuse."""
    rng = random.Random(3)
    footer = " ".join(rng.choice(VOCABULARY) for _ in range(30)) + "."
    docs = [
        {
            "id": f"a{k}",
            "outlet": "The Daily Example",
            "text": " ".join(rng.choice(VOCABULARY) for _ in range(300)) + ".\n\n" + footer,
        }
        for k in range(25)
    ]
    assert wiretrace.find_reuse(docs, jobs=1).pairs == ()


BLURB = "Sign up for The Daily Example newsletter and get the morning briefing in your inbox"
READ_MORE = "Read more stories like this at the Daily Example website"
WIRE_STORY = " ".join(random.Random(11).choice(VOCABULARY) for _ in range(120)) + "."


def blurb_corpus() -> list[wiretrace.Document]:
    """Four articles of one outlet, each with its own text around one newsletter blurb and one
    "Read more" footer; one of them re-runs a wire story; and the wire story itself."""
    rng = random.Random(5)

    def article(count: int) -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(count)) + "."

    docs = [wiretrace.Document("wire", WIRE_STORY, outlet="Wire")]
    for k in range(4):
        body = WIRE_STORY if k == 2 else article(150)
        text = f"{article(40)}\n\n{BLURB}.\n\n{body}\n\n{READ_MORE}"
        docs.append(wiretrace.Document(f"daily-{k}", text, outlet="The Daily Example"))
    return docs


@pytest.fixture(scope="module")
def blurb_report() -> wiretrace.Report:
    """The report on `blurb_corpus`, with boilerplate at 3 documents of one outlet."""
    return wiretrace.find_reuse(blurb_corpus(), jobs=1, boilerplate_docs=3)


def test_blurb_and_footer_are_reported_at_their_exact_offsets(
    blurb_report: wiretrace.Report,
) -> None:
    """Each article of the outlet lists the blurb and the footer, at their offsets, in order."""
    expected = []
    for doc in blurb_report.documents[1:]:
        for text in (BLURB, READ_MORE):
            start = doc.text.index(text)
            expected.append(BoilerplateSpan(doc.id, start, start + len(text), text))
    assert blurb_report.boilerplate == tuple(expected)
    for span in blurb_report.boilerplate:
        assert blurb_report.document(span.document).text[span.start : span.end] == span.text


def test_boilerplate_alone_makes_no_pair_and_no_passage(blurb_report: wiretrace.Report) -> None:
    """Only the wire story's re-run is a pair; no passage touches the blurb or the footer."""
    (pair,) = blurb_report.pairs
    assert {pair.source, pair.target} == {"wire", "daily-2"}
    spans = [s for s in blurb_report.boilerplate if s.document == "daily-2"]
    for passage in pair.passages:
        start, end = (
            (passage.target_start, passage.target_end)
            if pair.target == "daily-2"
            else (passage.source_start, passage.source_end)
        )
        assert all(end <= span.start or span.end <= start for span in spans)


def test_text_below_the_threshold_is_not_boilerplate() -> None:
    """With boilerplate at 5 documents, four articles sharing a blurb list no boilerplate."""
    report = wiretrace.find_reuse(blurb_corpus(), jobs=1, boilerplate_docs=5)
    assert report.boilerplate == ()


def test_an_outlets_common_phrase_is_masked_but_not_listed() -> None:
    """A phrase of one or two shingles that the outlet uses in every article ("in a statement")
    is boilerplate to the sketches, but the report lists only the blurb."""
    rng = random.Random(8)

    def article(count: int) -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(count))

    docs = [
        wiretrace.Document(
            f"daily-{k}",
            f"{article(60)} in a statement {article(80)}.\n\n{BLURB}.",
            outlet="The Daily Example",
        )
        for k in range(4)
    ]
    report = wiretrace.find_reuse(docs, jobs=1, boilerplate_docs=3)
    assert [span.text for span in report.boilerplate] == [BLURB] * 4
    tokens = tokenize(docs[0].text)
    hashes = salted(shingle_hashes(tokens.ids, 3), docs[0].outlet)
    frequent = find_boilerplate([read_tokens(doc, wiretrace.Settings())[1] for doc in docs], 3)
    _, words = boilerplate_mask(hashes, frequent, tokens, 3)
    masked = {
        docs[0].text[start:end]
        for start, end, inside in zip(tokens.starts, tokens.ends, words, strict=True)
        if inside
    }
    assert {"in", "a", "statement"} <= masked


def test_short_runs_are_not_listed() -> None:
    """Runs of fewer than `min_words` masked words are left out of the spans."""
    document = wiretrace.Document("d", "One two, three. Four five six seven")
    tokens = tokenize(document.text)
    mask = np.array([False, True, True, False, True, True, True])
    spans = boilerplate_spans(document, tokens, mask, min_words=3)
    assert [(s.start, s.end, s.text) for s in spans] == [(21, 35, "five six seven")]


def test_boilerplate_spans_are_runs_of_masked_words() -> None:
    """Consecutive masked words make one span, from the first word's start to the last's end."""
    document = wiretrace.Document("d", "One two, three. Four five six seven")
    tokens = tokenize(document.text)
    mask = np.array([False, True, True, False, True, True, False])
    spans = boilerplate_spans(document, tokens, mask)
    assert [(s.start, s.end, s.text) for s in spans] == [
        (4, 14, "two, three"),
        (21, 29, "five six"),
    ]
    assert boilerplate_spans(document, tokens, None) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=40), st.integers(1, 5))
def test_spans_are_the_runs_found_word_by_word(mask: list[bool], min_words: int) -> None:
    """`boilerplate_spans` (over `mask_runs`) lists exactly the runs a word-by-word scan finds
    of at least `min_words` masked words, from the first word's start to the last's end."""
    # Words of letters only ("wa", "wb", ..., "wba"): one token each.
    text = "  ".join("w" + "".join(chr(97 + int(d)) for d in str(k)) for k in range(len(mask)))
    document = wiretrace.Document("d", text)
    tokens = tokenize(text)
    assert len(tokens) == len(mask)
    expected, first = [], None
    for k, inside in enumerate([*mask, False]):
        if inside and first is None:
            first = k
        elif not inside and first is not None:
            if k - first >= min_words:
                start, end = int(tokens.starts[first]), int(tokens.ends[k - 1])
                expected.append((start, end, text[start:end]))
            first = None
    spans = boilerplate_spans(document, tokens, np.array(mask), min_words)
    assert [(s.start, s.end, s.text) for s in spans] == expected
    assert all(type(s.start) is int and type(s.end) is int for s in spans)


@pytest.mark.parametrize("filtered", [False, True])
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=30),
            st.sampled_from([None, "One", "Two"]),
        ),
        max_size=8,
    ),
    st.integers(1, 4),
    st.integers(1, 6),
    st.randoms(use_true_random=False),
)
def test_spans_of_many_documents_are_those_of_each_alone(
    filtered: bool,
    documents: list[tuple[list[str], str | None]],
    shingle_size: int,
    min_words: int,
    rng: random.Random,
) -> None:
    """`span_bounds` over all the documents at once lists the spans `run_spans` finds in each
    document alone (its runs from `mask_flat`, split by `split_runs`), in order."""
    texts = [" ".join(words) for words, _ in documents]
    tokens = [tokenize(text) for text in texts]
    outlets = [outlet for _, outlet in documents]
    every = [
        salted(shingle_hashes(t.ids, shingle_size), outlet)
        for t, outlet in zip(tokens, outlets, strict=True)
    ]
    pool = np.concatenate([np.zeros(0, dtype=np.uint64), *every]).tolist()
    boilerplate = np.unique(np.array(rng.sample(pool, len(pool) // 2), dtype=np.uint64))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wiretrace.boilerplate._FILTER_FROM", 0 if filtered else 1 << 30)
        ids, offsets = _end_to_end(tokens)
        _, _, runs, run_offsets = mask_flat(ids, offsets, outlets, boilerplate, shingle_size)
    split = split_runs(runs, run_offsets)
    expected = [
        (k, span.start, span.end)
        for k, (text, t, document_runs) in enumerate(zip(texts, tokens, split, strict=True))
        if document_runs is not None
        for span in run_spans(wiretrace.Document(f"d{k}", text), t, document_runs, min_words)
    ]
    starts = np.concatenate([np.zeros(0, dtype=np.int64), *(t.starts for t in tokens)])
    ends = np.concatenate([np.zeros(0, dtype=np.int64), *(t.ends for t in tokens)])
    numbers, firsts, lasts = span_bounds(starts, ends, offsets, runs, run_offsets, min_words)
    assert list(zip(numbers, firsts, lasts, strict=True)) == expected
    assert all(type(v) is int for v in numbers + firsts + lasts)


def _end_to_end(tokens: list[Tokens]) -> tuple[np.ndarray, np.ndarray]:
    """The documents' token ids one after the other, and where each document's start."""
    ids = np.concatenate([np.zeros(0, dtype=np.uint64), *(t.ids for t in tokens)])
    return ids, np.cumsum([0, *(len(t) for t in tokens)]).astype(np.int64)
