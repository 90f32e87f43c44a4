"""Tests for passage alignment: edits replay, offsets, self-coverage, and planted passages."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel, LCSseq

import wiretrace
from strategies import LATIN, PROPERTY, articles, mutate_text, reused_pairs, word_count, words
from wiretrace import (
    Pair,
    Passage,
    Report,
    _align_kernels,
    _kernels,
    align,
    compare,
    find_reuse,
    replay_edits,
    summary,
)
from wiretrace.align import SHORT_TEXT_WORDS, split_sentences, text_similarity
from wiretrace.normalize import normalize_word
from wiretrace.shingle import Tokens, token_id, tokenize

GOLDEN = Path(__file__).parent / "golden"
TRIALS = 60
# Generating a pair of articles costs more than one article: fewer examples per property.
REUSE_PROPERTY = settings(PROPERTY, max_examples=30)
REQUIRED_RATE = 0.95

# Typographic restyling a copy editor might apply: case, quote style, dashes, trailing commas.
_RESTYLE = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-"})


def restyle_text(text: str, rng: random.Random) -> str:
    """A copy of `text` with some words re-cased, quotes and dashes made ASCII, spacing changed."""
    out = []
    for piece in re.findall(r"\S+|\s+", text):
        roll = rng.random()
        if piece.isspace():
            out.append(rng.choice([" ", "\n", "  "]) if roll < 0.2 else piece)
        elif roll < 0.1:
            out.append(piece.upper())
        elif roll < 0.2:
            out.append(piece.lower())
        elif roll < 0.3:
            out.append(piece.translate(_RESTYLE))
        elif roll < 0.35:
            out.append(piece.rstrip(",.") + rng.choice([",", ";", ""]))
        else:
            out.append(piece)
    return "".join(out)


def passages_of(report: Report) -> list[tuple[Pair, Passage]]:
    return [(pair, passage) for pair in report.pairs for passage in pair.passages]


def texts_of(report: Report, pair: Pair) -> tuple[str, str]:
    return report.document(pair.source).text, report.document(pair.target).text


# Properties over generated articles


@REUSE_PROPERTY
@given(reused_pairs())
def test_edits_replay_source_passage_to_target_passage(pair: tuple[str, str]) -> None:
    """Applying a passage's edits to its source span gives its target span exactly."""
    report = compare(*pair)
    for found, passage in passages_of(report):
        source_text, target_text = texts_of(report, found)
        assert (
            replay_edits(source_text, passage)
            == target_text[passage.target_start : passage.target_end]
        )


@REUSE_PROPERTY
@given(reused_pairs(), st.randoms(use_true_random=False))
def test_edits_replay_after_restyling(pair: tuple[str, str], rng: random.Random) -> None:
    """Edits still replay when the copy changes case, quote style, dashes and spacing."""
    source, target = pair
    report = compare(source, restyle_text(target, rng))
    for found, passage in passages_of(report):
        source_text, target_text = texts_of(report, found)
        assert (
            replay_edits(source_text, passage)
            == target_text[passage.target_start : passage.target_end]
        )


@REUSE_PROPERTY
@given(reused_pairs())
def test_passage_and_edit_offsets_slice_within_the_texts(pair: tuple[str, str]) -> None:
    """Passage and edit offsets lie inside the texts, edits inside their passage."""
    report = compare(*pair)
    for found, passage in passages_of(report):
        source_text, target_text = texts_of(report, found)
        assert 0 <= passage.source_start < passage.source_end <= len(source_text)
        assert 0 <= passage.target_start < passage.target_end <= len(target_text)
        for edit in passage.edits:
            assert passage.source_start <= edit.source_start <= edit.source_end
            assert edit.source_end <= passage.source_end
            assert passage.target_start <= edit.target_start <= edit.target_end
            assert edit.target_end <= passage.target_end
            assert source_text[edit.source_start : edit.source_end] == edit.source_text
            assert target_text[edit.target_start : edit.target_end] == edit.target_text


@REUSE_PROPERTY
@given(reused_pairs())
def test_passages_start_and_end_on_word_boundaries(pair: tuple[str, str]) -> None:
    """A passage begins at the start of a word and ends at the end of one, on both sides."""
    report = compare(*pair)
    for found, passage in passages_of(report):
        source_text, target_text = texts_of(report, found)
        source_tokens, target_tokens = tokenize(source_text), tokenize(target_text)
        assert passage.source_start in source_tokens.starts.tolist()
        assert passage.source_end in source_tokens.ends.tolist()
        assert passage.target_start in target_tokens.starts.tolist()
        assert passage.target_end in target_tokens.ends.tolist()


@REUSE_PROPERTY
@given(reused_pairs())
def test_scores_are_in_the_unit_interval(pair: tuple[str, str]) -> None:
    """Pair similarity, both coverages and passage similarity are in [0, 1]."""
    for found in compare(*pair).pairs:
        for score in (found.similarity, found.source_coverage, found.target_coverage):
            assert 0.0 <= score <= 1.0
        assert all(0.0 <= passage.similarity <= 1.0 for passage in found.passages)


@REUSE_PROPERTY
@given(reused_pairs())
def test_reported_passages_meet_min_length_and_min_similarity(pair: tuple[str, str]) -> None:
    """Every passage has min_length matched words; word-seeded ones also min_similarity.

    (Two short texts, a sentence each, are compared as wholes instead: see the tests below.)"""
    if max(word_count(text) for text in pair) <= SHORT_TEXT_WORDS:
        return
    settings = wiretrace.Settings()
    for _, passage in passages_of(compare(*pair, settings=settings)):
        assert passage.matched_words >= settings.min_length
    word_seeds_only = wiretrace.Settings(sentence_similarity=1.0)
    for _, passage in passages_of(compare(*pair, settings=word_seeds_only)):
        assert passage.matched_words >= word_seeds_only.min_length
        assert passage.similarity >= word_seeds_only.min_similarity


@PROPERTY
@given(articles(min_paragraphs=2))
def test_text_compared_with_itself_is_fully_covered(text: str) -> None:
    """A text of 20+ words compared with itself: coverage 1.0 both ways, similarity 1.0."""
    if word_count(text) < 20:
        return
    report = compare(text, text)
    assert len(report.pairs) == 1
    pair = report.pairs[0]
    assert (pair.similarity, pair.source_coverage, pair.target_coverage) == (1.0, 1.0, 1.0)
    assert all(passage.edits == () for passage in pair.passages)


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.0))
def test_unchanged_copy_is_fully_covered(pair: tuple[str, str]) -> None:
    """A copy with no word changes (possibly inside other text) covers all of its source."""
    source, target = pair
    if word_count(source) < 20:
        return
    report = compare(source, target)
    assert report.pairs
    assert report.pairs[0].source_coverage == 1.0


@pytest.mark.parametrize(
    ("edit", "op"), [("drop", "delete"), ("replace", "replace"), ("insert", "insert")]
)
def test_passages_keep_the_shared_first_words_before_an_edit_near_the_start(
    edit: str, op: str
) -> None:
    """A copy that changed its third word (dropped, replaced or put one before it): the passage
    starts at both texts' first word, which both have. (The margin aligned beyond the seeds
    reached the first word of one text only: it was left out, and the lineage took it for an
    opening the other copy dropped.)"""
    source = (
        "Rescue crews early today had pulled 42 people from the water and the wreckage by "
        "mid-morning, and 27 of them were taken to hospital, said the head of the directorate."
    )
    words = source.split(" ")
    changed = {"drop": [], "replace": ["late"], "insert": ["very", words[2]]}[edit]
    target = " ".join(words[:2] + changed + words[3:])
    (pair,) = compare(source, target).pairs
    (passage,) = pair.passages
    assert (passage.source_start, passage.target_start) == (0, 0)
    # (The passage ends with the last word, before the full stop.)
    assert (passage.source_end, passage.target_end) == (len(source) - 1, len(target) - 1)
    assert [edit.op for edit in passage.edits] == [op]


def test_alignments_extend_over_shared_words_to_a_texts_start_or_end() -> None:
    """`_extended` adds the same words both texts have before an alignment when they run back to
    either text's start, and those after it when they run on to either text's end, up to
    EXTEND_WORDS each; shared words next to it elsewhere stay out."""
    reach = align.EXTEND_WORDS
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"][: 2 * reach + 1]
    source = target = tokenize(" ".join(words))
    middle = align._Alignment([("equal", 0, 1, 0, 1)], reach, reach + 1, reach, reach + 1, 1)
    whole = align._extended(middle, source, target)
    assert (whole.source_first, whole.source_last) == (0, 2 * reach + 1)
    assert (whole.target_first, whole.target_last) == (0, 2 * reach + 1)
    assert whole.opcodes == [("equal", 0, 2 * reach + 1, 0, 2 * reach + 1)]
    assert whole.matched == 2 * reach + 1
    # The target starts with one word more: the source's start is reached, not the target's.
    longer = tokenize(" ".join(["extra", *words]))
    shifted = align._Alignment([("equal", 0, 1, 0, 1)], reach, reach + 1, reach + 1, reach + 2, 1)
    assert align._extended(shifted, source, longer).source_first == 0
    # More shared words than EXTEND_WORDS before the start of both: none added.
    far = tokenize(" ".join(["a", "b", "c", *words]))
    distant = align._Alignment(
        [("equal", 0, 1, 0, 1)], reach + 3, reach + 4, reach + 3, reach + 4, 1
    )
    assert align._extended(distant, far, far).source_first == reach + 3
    # Words that differ stop it.
    other = tokenize(" ".join(["x", *words[1:-1], "y"]))
    assert align._extended(middle, source, other) == middle


def test_edit_records_a_replaced_number() -> None:
    """Changing 42 to 24 in a copy gives one replace edit with both texts and offsets."""
    source = (
        "Rescue crews had pulled 42 people from the water and the wreckage by mid-morning, "
        "and 27 of them were taken to hospital, said the head of the emergency directorate."
    )
    target = source.replace("42", "24")
    (passage,) = compare(source, target).pairs[0].passages
    (edit,) = passage.edits
    assert (edit.op, edit.source_text.strip(), edit.target_text.strip()) == ("replace", "42", "24")
    assert source[edit.source_start : edit.source_start + 2] == "42"
    assert target[edit.target_start : edit.target_start + 2] == "24"


def test_edit_records_an_inserted_hedge() -> None:
    """Inserting 'reportedly' gives one insert edit with an empty source span."""
    source = (
        "The central span of the bridge fell into the river with cars and a tram on it, "
        "killing at least seventeen people, regional emergency officials said on Saturday."
    )
    target = source.replace("killing", "reportedly killing")
    (passage,) = compare(source, target).pairs[0].passages
    (edit,) = passage.edits
    assert edit.op == "insert"
    assert edit.source_start == edit.source_end
    assert edit.target_text.strip() == "reportedly"


# Planted passages in long, unrelated articles


def _vocabulary(size: int = 20_000, seed: int = 7) -> tuple[str, ...]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(LATIN, k=rng.randint(2, 11))))
    return tuple(sorted(words))


VOCABULARY = _vocabulary()


def filler(rng: random.Random, count: int) -> str:
    """`count` random words from a large vocabulary, with a sentence break now and then."""
    words = [rng.choice(VOCABULARY) for _ in range(count)]
    return " ".join(word + "." if rng.random() < 0.07 else word for word in words)


def plant(rng: random.Random, host: str, passage: str) -> tuple[str, tuple[int, int]]:
    """Put `passage` between two words of `host`; return the text and the passage's span."""
    cut = host.rfind(" ", 0, rng.randint(0, len(host))) + 1
    return host[:cut] + passage + " " + host[cut:], (cut, cut + len(passage))


def overlaps(first: tuple[int, int], second: tuple[int, int]) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def found_spans(report: Report, first: str, second: str) -> list[tuple[tuple[int, int], ...]]:
    """(span in `first`, span in `second`) of every passage between the two documents."""
    spans = []
    for pair in report.pairs:
        if {pair.source, pair.target} != {first, second}:
            continue
        for passage in pair.passages:
            source = (passage.source_start, passage.source_end)
            target = (passage.target_start, passage.target_end)
            spans.append((source, target) if pair.source == first else (target, source))
    return spans


def planted_trial(seed: int) -> bool:
    """Plant a 40-80 word passage (0-10% mutated in the copy) in two long articles; find it?"""
    rng = random.Random(seed)
    passage = filler(rng, rng.randint(40, 80))
    copy = mutate_text(passage, rng.uniform(0.0, 0.10), rng, VOCABULARY)
    first, first_span = plant(rng, filler(rng, rng.randint(2_000, 2_500)), passage)
    second, second_span = plant(rng, filler(rng, rng.randint(2_000, 2_500)), copy)
    distractors = [{"id": f"other-{k}", "text": filler(rng, 1_500)} for k in range(3)]
    report = find_reuse(
        [{"id": "first", "text": first}, *distractors, {"id": "second", "text": second}], jobs=1
    )
    return any(
        overlaps(found_first, first_span) and overlaps(found_second, second_span)
        for found_first, found_second in found_spans(report, "first", "second")
    )


def test_planted_passages_are_found_at_least_95_percent_of_the_time(
    record_property: Callable[[str, object], None],
) -> None:
    """A 40-80 word passage planted in two 2,000+ word articles (0-10% mutated) is found >= 95%."""
    found = sum(planted_trial(seed) for seed in range(TRIALS))
    rate = found / TRIALS
    record_property("planted_passage_rate", rate)
    print(f"planted passages found: {found}/{TRIALS} = {rate:.3f}")
    assert rate >= REQUIRED_RATE, f"planted passage rate {rate:.3f} < {REQUIRED_RATE}"


def test_unrelated_long_articles_form_no_pairs() -> None:
    """Unrelated random articles form no pairs with each other or the planted documents."""
    rng = random.Random(99)
    docs = [{"id": f"doc-{k}", "text": filler(rng, 2_000)} for k in range(5)]
    assert find_reuse(docs, jobs=1).pairs == ()


def test_two_passages_in_swapped_order_are_both_found() -> None:
    """Passages A then B in the source, B then A in the target: both are reported."""
    rng = random.Random(2024)
    first_passage, second_passage = filler(rng, 60), filler(rng, 50)
    source, first_in_source = plant(rng, filler(rng, 1_000), first_passage)
    tail, second_in_tail = plant(rng, filler(rng, 1_000), second_passage)
    second_in_source = (second_in_tail[0] + len(source) + 1, second_in_tail[1] + len(source) + 1)
    source = source + " " + tail
    target, second_in_target = plant(rng, filler(rng, 1_000), second_passage)
    tail, first_in_tail = plant(rng, filler(rng, 1_000), first_passage)
    first_in_target = (first_in_tail[0] + len(target) + 1, first_in_tail[1] + len(target) + 1)
    target = target + " " + tail
    report = find_reuse([{"id": "a", "text": source}, {"id": "b", "text": target}], jobs=1)
    spans = found_spans(report, "a", "b")
    for planted_source, planted_target in [
        (first_in_source, first_in_target),
        (second_in_source, second_in_target),
    ]:
        assert any(
            overlaps(found_source, planted_source) and overlaps(found_target, planted_target)
            for found_source, found_target in spans
        )


@pytest.mark.parametrize("length", [5, 10, 14])
def test_tiny_shared_phrases_are_not_reported(length: int) -> None:
    """A shared run shorter than min_length (15) words is not reuse."""
    rng = random.Random(length)
    phrase = filler(rng, length).replace(".", "")
    source, _ = plant(rng, filler(rng, 400), phrase)
    target, _ = plant(rng, filler(rng, 400), phrase)
    docs = [{"id": "a", "text": source}, {"id": "b", "text": target}]
    assert compare(source, target).pairs == ()
    assert find_reuse(docs, jobs=1).pairs == ()


def test_shared_run_of_min_length_words_is_reported() -> None:
    """A shared run of exactly min_length words is a passage of that many matched words."""
    rng = random.Random(15)
    phrase = filler(rng, 15).replace(".", "")
    source, source_span = plant(rng, filler(rng, 400), phrase)
    target, target_span = plant(rng, filler(rng, 400), phrase)
    (passage,) = compare(source, target).pairs[0].passages
    assert passage.matched_words == 15
    assert (passage.source_start, passage.source_end) == source_span
    assert (passage.target_start, passage.target_end) == target_span


def test_near_duplicate_articles_are_found_by_find_reuse() -> None:
    """A 5%-mutated copy of a 600-word article pairs with it, most of both texts covered."""
    rng = random.Random(5)
    original = filler(rng, 600)
    copy = mutate_text(original, 0.05, rng, VOCABULARY)
    docs = [
        {"id": "original", "text": original},
        {"id": "unrelated", "text": filler(rng, 600)},
        {"id": "copy", "text": copy},
    ]
    report = find_reuse(docs, jobs=1)
    assert [{pair.source, pair.target} for pair in report.pairs] == [{"original", "copy"}]
    pair = report.pairs[0]
    assert pair.similarity > 0.85
    assert min(pair.source_coverage, pair.target_coverage) > 0.9


EDGE_SOURCE = (
    "Rescue crews had pulled 42 people from the water and the wreckage by mid-morning, and 27 "
    "of them were taken to hospital, said the head of the Lower Senna emergency directorate."
)


def test_passage_extends_over_an_edit_next_to_its_first_word() -> None:
    """'Rescue crews' -> 'Rescue teams': the passage starts at 'Rescue' with a replace edit."""
    target = EDGE_SOURCE.replace("Rescue crews", "Rescue teams")
    (passage,) = compare(EDGE_SOURCE, target).pairs[0].passages
    assert (passage.source_start, passage.target_start) == (0, 0)
    assert [(edit.source_text, edit.target_text) for edit in passage.edits] == [
        ("crews ", "teams ")
    ]


def test_passage_extends_over_an_edit_next_to_its_last_word() -> None:
    """'emergency directorate' -> 'emergency service directorate': the passage reaches the end."""
    target = EDGE_SOURCE.replace("emergency directorate", "emergency service directorate")
    (passage,) = compare(EDGE_SOURCE, target).pairs[0].passages
    assert passage.source_end == len(EDGE_SOURCE) - 1
    assert passage.target_end == len(target) - 1


# Short texts (a sentence each) are compared as wholes


PARAPHRASE = (
    "The regional water authority said on Tuesday that the reservoir had fallen to 31 percent.",
    "On Tuesday the regional water authority said the reservoir had dropped to 31 percent.",
)


def test_two_paraphrased_sentences_form_one_whole_passage() -> None:
    """Two re-worded sentences: one passage over both whole texts, similarity in (0.5, 1)."""
    report = compare(*PARAPHRASE)
    (pair,) = report.pairs
    (passage,) = pair.passages
    assert 0.5 <= pair.similarity == passage.similarity < 1.0
    assert (
        replay_edits(PARAPHRASE[0], passage)
        == PARAPHRASE[1][passage.target_start : passage.target_end]
    )


def test_unrelated_sentences_are_not_reported() -> None:
    """Two sentences on different subjects give no pair."""
    other = "The orchestra opened its winter season with a programme of late romantic symphonies."
    assert compare(PARAPHRASE[0], other).pairs == ()


def test_changed_figure_lowers_sentence_similarity() -> None:
    """The same sentence with another figure is less similar than with the same figure."""
    changed = PARAPHRASE[1].replace("31", "13")
    same = compare(*PARAPHRASE).pairs[0].similarity
    assert all(pair.similarity < same for pair in compare(PARAPHRASE[0], changed).pairs)


def test_text_similarity_is_in_the_unit_interval_and_symmetric() -> None:
    """text_similarity of two sentences lies in [0, 1] and does not depend on their order."""
    first, second = PARAPHRASE
    one = text_similarity(first, tokenize(first), second, tokenize(second))
    other = text_similarity(second, tokenize(second), first, tokenize(first))
    assert 0.0 <= one == other <= 1.0
    assert text_similarity(first, tokenize(first), first, tokenize(first)) == 1.0


# Sentence seeds


def test_sentences_split_at_end_punctuation_not_inside_numbers() -> None:
    """Sentences start after '.', '!' or '?' between words, not at the '.' of '3.5'."""
    text = "Prices rose 3.5 percent in May this year. Wages did not keep up at all! Why did they not rise?"
    tokens = tokenize(text)
    starts = [int(tokens.starts[k]) for k in split_sentences(text, tokens)]
    assert [text[k : k + 5] for k in starts] == ["Price", "Wages", "Why d"]


# A paragraph and its sentence-by-sentence re-wording (written for the tests).
RESERVOIR = (
    "The regional water authority said on Tuesday that the Karvel reservoir had fallen to 31 "
    "percent of its capacity, the lowest level recorded since the dam was completed in 1974. "
    "Engineers warned that without heavy rain in the coming weeks, towns along the lower valley "
    "could face rationing by the middle of August."
)
RESERVOIR_REWORDED = (
    "According to the regional authority for water, on Tuesday the reservoir of Karvel fell to "
    "31 percent of capacity, which is the lowest level registered since the completion of the "
    "dam in 1974. The engineers have warned that, if heavy rains do not come in the next weeks, "
    "the towns of the lower valley could have rationing from the middle of August."
)


def test_translated_paragraph_is_found_only_with_sentence_seeds() -> None:
    """A paragraph re-worded sentence by sentence is found by sentence seeds, not word seeds."""
    source, target = RESERVOIR, RESERVOIR_REWORDED
    assert compare(source, target, sentence_similarity=1.0).pairs == ()
    (pair,) = compare(source, target).pairs
    assert pair.source_coverage > 0.9
    assert any(passage.source_start == 0 for passage in pair.passages)
    for passage in pair.passages:
        assert replay_edits(source, passage) == target[passage.target_start : passage.target_end]


_SENTENCE_MARK = re.compile(r"[.!?;\u3002\uff01\uff1f]+|\n[ \t\r\f\v]*\n")


@settings(PROPERTY)
@given(
    st.lists(
        st.sampled_from(["word", "Word", "3.5", "U.S.", ". ", "!? ", "\n\n", "\n \n", "\n", " "]),
        max_size=80,
    )
)
def test_sentence_marks_split_as_the_regular_expression_does(pieces: list[str]) -> None:
    """The vectorised sentence marks give the sentences the plain regular expression gives."""
    text = " ".join(pieces)
    tokens = tokenize(text)
    marks = np.array([m.start() for m in _SENTENCE_MARK.finditer(text)], dtype=np.int64)
    following = np.searchsorted(tokens.starts, marks, "left")
    inside = (following > 0) & (following < len(tokens))
    inside[inside] &= tokens.ends[following[inside] - 1] <= marks[inside]
    found = np.searchsorted(tokens.starts, align._boundary_marks(text), "left")
    keep = (found > 0) & (found < len(tokens))
    keep[keep] &= tokens.ends[found[keep] - 1] <= align._boundary_marks(text)[keep]
    assert set(found[keep].tolist()) == set(following[inside].tolist())


@pytest.mark.parametrize(
    "cache",
    [align._StemCache(capacity=2), align._StemCache(limit=3, capacity=2)],
    ids=["growing", "starting afresh"],
)
def test_stem_ids_match_the_word_by_word_reference(cache: align._StemCache) -> None:
    """Stem ids (compiled, or cached and hashed in batches) equal token_id of each word's first
    letters."""
    saved, align._STEM_CACHE = align._STEM_CACHE, cache
    saved_recent = align._RECENT_STEMS
    text = (
        "Governments governed the governing body; o'neil rock' Straße ÉCOLE 3.5 and the of "
        "ﬁnancière Ǆemal İstanbul Σοφία μΜ ſtraße Ωμέγα ΟΔΟΣ café cafe\u0301s سلام 東京"
    )
    try:
        for _ in range(3):
            align._RECENT_TEXTS.clear()
            # No recent words: each round stems or looks up every word in the cache again.
            align._RECENT_STEMS = align._recent_stems(1 << 14)
            tokens = tokenize(text)
            stems = align._stem_ids(text, tokens).tolist()
            for k, value in enumerate(stems):
                normal = normalize_word(text[tokens.starts[k] : tokens.ends[k]])
                expected = -1 if normal in align.STOPWORDS else token_id(normal[:5]) >> 1
                assert value == expected, normal
    finally:
        align._STEM_CACHE = saved
        align._RECENT_STEMS = saved_recent


@PROPERTY
@given(
    st.lists(st.one_of(articles(), st.text(max_size=200)), min_size=1, max_size=4),
    st.sampled_from([2, 4, 1 << 14]),
)
def test_recent_stems_give_the_word_by_word_stems(texts: list[str], slots: int) -> None:
    """Stem ids found through the table of recent words, text after text and again, are the
    word-by-word reference's, whatever the table's size (two slots: words of one slot replace
    each other all the time)."""
    saved = align._RECENT_STEMS
    align._RECENT_STEMS = align._recent_stems(slots)
    try:
        for text in [*texts, *texts]:
            align._RECENT_TEXTS.clear()
            tokens = tokenize(text)
            stems = align._stem_ids(text, tokens).tolist()
            assert stems == align._stem_ids_plain(text, tokens).tolist()
    finally:
        align._RECENT_STEMS = saved


def test_recent_stems_start_with_no_word() -> None:
    """An empty slot's key is another slot's, so no word id is found in an empty table."""
    for slots in (2, 8):
        table = align._recent_stems(slots)
        keys = table[0::2]
        assert ((keys & np.uint64(slots - 1)) != np.arange(slots, dtype=np.uint64)).all()


@PROPERTY
@given(
    st.sets(st.integers(0, 2**64 - 1), min_size=1, max_size=150),
    st.lists(st.integers(0, 2**64 - 1), max_size=50),
)
def test_stop_table_holds_its_ids_and_no_other(words: set[int], others: list[int]) -> None:
    """A word is found in the one-slot-per-id stop table exactly when it is one of its ids (the
    keys of its empty slots, and the stop words' ids, included), ids of few bits too."""
    keys, shift = align._stop_table(np.array(sorted(words), dtype=np.uint64))
    multiplier = _align_kernels.STOP_MULTIPLIER
    for table, ids in ((keys, words), (align._STOPWORD_KEYS, set(align._STOPWORD_IDS.tolist()))):
        table_shift = shift if table is keys else align._STOPWORD_SHIFT
        for word in [*ids, *others, *table.tolist()]:
            slot = ((word * multiplier) % 2**64 >> table_shift) & (len(table) - 1)
            assert (int(table[slot]) == word) == (word in ids)


def test_stop_table_parts_ids_of_few_bits() -> None:
    """Ids that no window of their own bits parts (0 and 1 share every window but the lowest,
    0 and 2**39 every window under bit 39) get a small table all the same; no id, no table."""
    keys, _ = align._stop_table(np.array([0, 1, 75912, 2**39], dtype=np.uint64))
    assert len(keys) <= 1 << 12
    with pytest.raises(ValueError, match="at least one id"):
        align._stop_table(np.zeros(0, dtype=np.uint64))


@PROPERTY
@given(st.one_of(articles(), st.text(max_size=300)))
def test_compiled_stem_ids_equal_the_word_by_word_ones(text: str) -> None:
    """The compiled pass stems every word (of any script, marks and ligatures included) as
    `normalize_word` and `token_id` do, word by word."""
    align._RECENT_TEXTS.clear()
    tokens = tokenize(text)
    assert align._stem_ids(text, tokens).tolist() == align._stem_ids_plain(text, tokens).tolist()


@PROPERTY
@given(st.one_of(articles(), st.text(max_size=300)))
def test_compiled_sentences_of_a_text_equal_the_numpy_ones(text: str) -> None:
    """A text's sentences and stem entries, made in one compiled pass, are those of the numpy
    split and entries over the word-by-word stems."""
    align._RECENT_TEXTS.clear()
    tokens = tokenize(text)
    sentences = align._sentences(text, tokens)
    starts = align.split_sentences_plain(text, tokens)
    plain = align.sentence_entries_plain(align._stem_ids_plain(text, tokens), starts)
    assert sentences.starts.tolist() == starts.tolist()
    assert sentences.packed.tolist() == plain.tolist()
    names = ("terms", "offsets", "stems", "frequency", "sentence_local", "sentence_count")
    unpacked = [getattr(sentences, name) for name in names]
    assert [part.tolist() for part in unpacked] == [
        part.tolist() for part in [*align._unpacked(plain)[:4], *align._unpacked(plain)[6:]]
    ]
    # The layout is spelled out twice (the compiled callers' `_unpack`, and Python's
    # `_unpacked`, three times faster to call from Python): the two must agree.
    assert [part.tolist() for part in align._unpacked(plain)] == [
        part.tolist() for part in _align_kernels._unpack(plain)
    ]


def test_sentence_data_of_a_text_is_reused_with_new_tokens() -> None:
    """A text tokenized again (a later find_reuse chunk) gets its kept sentence data back."""
    text = "The reservoir fell to 31 percent this week. Engineers warned of rationing in August."
    first = align._sentences(text, tokenize(text))
    again = align._sentences(text, tokenize(text))
    assert again is first
    assert again.starts.tolist() == split_sentences(text, tokenize(text)).tolist()


def test_texts_of_one_recent_key_keep_their_own_sentences() -> None:
    """Texts kept by one key (the same length and ends, other words inside) each get their own
    sentence data, the same as made afresh, however often they alternate."""
    head = "The reservoir fell to 31 percent this week, the agency said on Monday. "
    tail = " Engineers warned of rationing in August if the dry weather lasts."
    texts = [head + middle + tail for middle in ("Farmers sold cattle.", "Cities rationed gas.")]
    assert align._text_key(texts[0]) == align._text_key(texts[1])
    align._RECENT_TEXTS.clear()
    for text in [*texts, *texts, *reversed(texts)]:
        tokens = tokenize(text)
        kept = align._sentences(text, tokens)
        plain = align.sentence_entries_plain(
            align._stem_ids_plain(text, tokens), align.split_sentences_plain(text, tokens)
        )
        assert kept.packed.tolist() == plain.tolist()


@settings(PROPERTY)
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=1, max_size=200),
    st.integers(0, 20),
    st.integers(1, 4),
)
def test_compiled_clustering_equals_the_numpy_clustering(
    points: list[tuple[int, int]], max_gap: int, min_seeds: int
) -> None:
    """Clustering seeds in the compiled loop gives the numpy path's groups and members, in order."""
    seeds = np.array(points, dtype=np.int64)
    fast = align.cluster_seeds(seeds, max_gap, 3, min_seeds)
    plain = align.cluster_seeds_plain(seeds, max_gap, 3, min_seeds)
    assert [group.tolist() for group in fast] == [group.tolist() for group in plain]


def test_boilerplate_sentences_are_no_sentence_seeds() -> None:
    """Sentences made of masked (boilerplate) words seed no re-worded passage."""
    source, target = RESERVOIR, RESERVOIR_REWORDED
    source_tokens, target_tokens = tokenize(source), tokenize(target)
    found = align.find_sentence_seeds(source, source_tokens, target, target_tokens, 0.35)
    assert found is not None and len(found[0]) > 0
    masked = np.ones(len(source_tokens), dtype=bool)
    found = align.find_sentence_seeds(
        source, source_tokens, target, target_tokens, 0.35, source_mask=masked
    )
    assert found is None or len(found[0]) == 0


@PROPERTY
@given(st.lists(st.booleans(), max_size=80), st.data())
def test_compiled_boilerplate_sentences_equal_the_numpy_ones(
    mask: list[bool], data: st.DataObject
) -> None:
    """Each sentence is boilerplate (more than half its words masked) as the numpy reference
    decides, with or without a mask, through the text's kept record too."""
    words = len(mask)
    later = data.draw(st.sets(st.integers(1, max(words - 1, 1)))) if words > 1 else set()
    starts = np.array([0, *sorted(later)] if words else [], dtype=np.int64)
    values = np.array(mask, dtype=bool)
    expected = align._boilerplate_sentences(values, starts)
    assert _align_kernels.boilerplate_sentences(values, starts).tolist() == expected.tolist()
    tokens = tokenize(" ".join(["word"] * words))
    for given_mask in (None, values, values):
        reference = align._boilerplate_sentences(given_mask, starts)
        kept = align._text_boilerplate_sentences(tokens, given_mask, starts)
        assert kept.tolist() == reference.tolist()


def test_summary_sharing_names_is_one_passage_and_can_be_turned_off() -> None:
    """A short text keeping many names and terms of a longer one is a summary passage when
    summary_bigrams is set (the default 0 is off)."""
    source = (
        "Forecasters at the Climate Analysis Center said the drought now covers the Great Lakes "
        "region, the Ohio Valley and the northern Great Plains. Heat stress is highest in the "
        "Tennessee Valley. River navigation on the Mississippi Valley routes is restricted. "
        "The Agriculture Department cut its harvest forecast for winter wheat and spring corn. "
    ) * 2
    target = (
        "A report from the Climate Analysis Center: Great Lakes and Ohio Valley dry, the northern "
        "Great Plains too; Tennessee Valley heat stress; Mississippi Valley routes limited; the "
        "Agriculture Department lowered its harvest forecast for winter wheat and spring corn."
    )
    source_tokens, target_tokens = tokenize(source), tokenize(target)
    settings_on = wiretrace.Settings(sentence_similarity=1.0, min_length=40, summary_bigrams=7)
    (passage,) = align.align_pair(source, source_tokens, target, target_tokens, settings_on)
    assert replay_edits(source, passage) == target[passage.target_start : passage.target_end]
    off = wiretrace.Settings(sentence_similarity=1.0, min_length=40)
    assert align.align_pair(source, source_tokens, target, target_tokens, off) == ()


def _inserted_summary() -> tuple[str, str, int, int]:
    """The golden case of a summary inside an unrelated article: (source, target, start and end
    of the summary paragraph in the target)."""
    case = json.loads((GOLDEN / "summary-inserted.json").read_text(encoding="utf-8"))
    target = case["target"]
    return (
        case["source"],
        target,
        target.index("Elsewhere in the region"),
        target.index("Next year the festival"),
    )


def test_summary_model_reports_the_summary_paragraph() -> None:
    """With summary_probability set, an article carrying a summary of another in one paragraph
    is reported, its passage inside that paragraph and its edits replaying; also at the
    default setting, not with the model off."""
    source, target, start, end = _inserted_summary()
    (pair,) = compare(source, target, summary_probability=0.35).pairs
    (passage,) = pair.passages
    assert passage.kind == "summary"
    assert start <= passage.target_start < passage.target_end <= end
    assert passage.target_end - passage.target_start > (end - start) / 2
    assert replay_edits(source, passage) == target[passage.target_start : passage.target_end]
    assert compare(source, target).pairs
    assert not compare(source, target, summary_probability=1.0).pairs


def test_summary_model_leaves_the_article_without_the_summary_alone() -> None:
    """The same article without its summary paragraph is not reported with the model on."""
    source, target, start, end = _inserted_summary()
    assert not compare(source, target[:start] + target[end:], summary_probability=0.35).pairs


def test_summary_model_needs_text_around_the_summary() -> None:
    """A target shorter than MIN_SUMMARY_WORDS (the summary paragraph alone) is not scored."""
    source, target, start, end = _inserted_summary()
    paragraph = target[start:end]
    source_tokens, paragraph_tokens = tokenize(source), tokenize(paragraph)
    assert len(paragraph_tokens) < summary.MIN_SUMMARY_WORDS
    found = summary.find_summary(
        source,
        source_tokens,
        align._stem_ids(source, source_tokens),
        paragraph,
        paragraph_tokens,
        align._stem_ids(paragraph, paragraph_tokens),
        threshold=0.01,
    )
    assert found is None


def _summary_measures(source: str, target: str) -> dict[str, float]:
    """`summary.summary_features` of two texts, by measure name."""
    source_tokens, target_tokens = tokenize(source), tokenize(target)
    features, _ = summary.summary_features(
        source,
        source_tokens,
        align._stem_ids(source, source_tokens),
        target,
        target_tokens,
        align._stem_ids(target, target_tokens),
    )
    return dict(zip(summary.SUMMARY_FEATURES, features, strict=True))


CONTEXT_MEASURE = next(name for name in summary.SUMMARY_FEATURES if "contexts" in name)


def test_summary_measures_are_one_finite_value_per_named_measure() -> None:
    """summary_features gives one finite value for each name in SUMMARY_FEATURES."""
    source, target, _, _ = _inserted_summary()
    measures = _summary_measures(source, target)
    assert len(measures) == len(summary.SUMMARY_FEATURES)
    assert all(np.isfinite(value) for value in measures.values())


def test_summary_context_agreement_counts_a_name_among_the_same_words() -> None:
    """A shared name used among the same content words in both texts agrees in context; the
    same name among other words (a borrowed name) does not."""
    source = (
        "The central bank chair, known to all as Powell, warned that interest rates would stay "
        "high while inflation remained stubborn across the economy this winter."
    )
    same = (
        "Rates will stay high, Powell warned, as inflation remains stubborn in the economy and "
        "the central bank watches prices."
    )
    borrowed = (
        "The young striker Powell scored twice in the second half as the visitors won the cup "
        "final in front of a sold-out crowd."
    )
    assert _summary_measures(source, same)[CONTEXT_MEASURE] == pytest.approx(np.log(2))
    assert _summary_measures(source, borrowed)[CONTEXT_MEASURE] == 0.0


# The fast paths of `align_pair` against their plain counterparts.


def _random_mask(rng: random.Random, count: int) -> np.ndarray | None:
    """No mask, or a few runs of masked (boilerplate) words."""
    if rng.random() < 0.3 or count == 0:
        return None
    mask = np.zeros(count, dtype=bool)
    for _ in range(rng.randint(1, 3)):
        start = rng.randrange(count)
        mask[start : start + rng.randint(1, 12)] = True
    return mask


@REUSE_PROPERTY
@given(reused_pairs(), st.randoms(use_true_random=False), st.integers(1, 5))
def test_cached_seeds_equal_find_seeds(
    pair: tuple[str, str], rng: random.Random, size: int
) -> None:
    """Seeds from each text's cached n-grams are exactly `find_seeds`' (masks included), also
    when the cache is reused and when the same tokens come with another mask."""
    source, target = (tokenize(text) for text in pair)
    for _ in range(2):
        source_mask = _random_mask(rng, len(source))
        target_mask = _random_mask(rng, len(target))
        plain = align.find_seeds(source.ids, target.ids, size, source_mask, target_mask)
        for _ in range(2):
            fast = align._find_seeds_cached(source, target, size, source_mask, target_mask)
            assert fast.tolist() == plain.tolist()
            assert fast.dtype == plain.dtype and fast.shape == plain.shape


@PROPERTY
@given(
    st.lists(st.integers(0, 5), max_size=300),
    st.lists(st.integers(0, 5), max_size=300),
    st.integers(1, 3),
    st.randoms(use_true_random=False),
)
def test_cached_seeds_of_repetitive_texts_equal_find_seeds(
    first: list[int], second: list[int], size: int, rng: random.Random
) -> None:
    """Texts of a few words repeated (n-grams met more than MAX_SEED_OCCURRENCES times, the
    filter and table crowded) get exactly `find_seeds`' seeds from their cached n-grams."""
    source, target = (
        Tokens(np.arange(len(ids)), np.arange(len(ids)) + 1, np.array(ids, dtype=np.uint64))
        for ids in (first, second)
    )
    source_mask = _random_mask(rng, len(source))
    target_mask = _random_mask(rng, len(target))
    plain = align.find_seeds(source.ids, target.ids, size, source_mask, target_mask)
    fast = align._find_seeds_cached(source, target, size, source_mask, target_mask)
    assert fast.tolist() == plain.tolist()


@REUSE_PROPERTY
@given(
    reused_pairs(max_rate=0.4),
    st.randoms(use_true_random=False),
    st.integers(1, 5),
    st.integers(0, 20),
    st.integers(1, 40),
)
def test_compiled_word_ranges_equal_the_plain_ones(
    pair: tuple[str, str], rng: random.Random, size: int, max_gap: int, min_length: int
) -> None:
    """The one compiled call gives exactly the word ranges that matching, clustering, filtering,
    merging and widening the seeds step by step give (masks included)."""
    source, target = (tokenize(text) for text in pair)
    options = wiretrace.Settings(seed_size=size, max_gap=max_gap, min_length=min_length)
    for _ in range(2):
        source_mask = _random_mask(rng, len(source))
        target_mask = _random_mask(rng, len(target))
        fast = align._word_ranges(source, target, options, source_mask, target_mask)
        plain = align._word_ranges_plain(source, target, options, source_mask, target_mask)
        assert fast.dtype == plain.dtype and fast.shape == plain.shape
        assert fast.tolist() == plain.tolist()


@REUSE_PROPERTY
@given(
    reused_pairs(max_rate=0.4),
    st.randoms(use_true_random=False),
    st.integers(1, 5),
    st.integers(0, 20),
    st.integers(2, 40),
)
def test_word_ranges_too_short_to_pass_are_rejected_as_aligning_them_would(
    pair: tuple[str, str], rng: random.Random, size: int, max_gap: int, min_length: int
) -> None:
    """`align_pair` rejects a word range with a side under min_length words without aligning
    it: aligning it would give no passage (too few words to match) and not None (the range
    holds a seed on both sides, so a common word), so the range is rejected either way."""
    source, target = (tokenize(text) for text in pair)
    options = wiretrace.Settings(seed_size=size, max_gap=max_gap, min_length=min_length)
    source_mask = _random_mask(rng, len(source))
    target_mask = _random_mask(rng, len(target))
    ranges = align._word_ranges(source, target, options, source_mask, target_mask)
    for a, b, c, d in ranges.tolist():
        alignment = align._align_words(source, target, (a, b), (c, d), min_length)
        assert alignment is not None
        if min(b - a, d - c) < min_length:
            assert alignment.matched < min_length


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6), st.randoms(use_true_random=False))
def test_compiled_seed_coverage_equals_the_plain_test(
    pair: tuple[str, str], rng: random.Random
) -> None:
    """The compiled test of whether every sentence seed lies in a passage found agrees with the
    plain one, for the passages found and for random ones."""
    source, target = pair
    source_tokens, target_tokens = tokenize(source), tokenize(target)
    found = align.find_sentence_seeds(source, source_tokens, target, target_tokens, 0.35)
    if found is None:
        return
    options = wiretrace.Settings()
    passages = list(align.align_pair(source, source_tokens, target, target_tokens, options))
    for _ in range(rng.randint(0, 3)):
        a, b = sorted(rng.randrange(len(source) + 1) for _ in range(2))
        c, d = sorted(rng.randrange(len(target) + 1) for _ in range(2))
        passages.append(Passage(a, b, c, d, 1.0, 0, 0, 0))
    for chosen in (passages, passages[:1], passages[1:]):
        fast = align._seeds_in_passages(found, source_tokens, target_tokens, chosen)
        plain = align._seeds_in_passages_plain(found, source_tokens, target_tokens, chosen)
        assert fast == plain


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=8))
def test_no_cluster_is_lopsided_unless_two_seeds_are(rows: list[tuple[int, int]]) -> None:
    """When no two sentence seeds span SUMMARY_RATIO times as many sentences on one side as on
    the other, no group of them does (every subset checked), and the screen says so."""
    seeds = np.array(rows, dtype=np.int64)
    ratio = align.SUMMARY_RATIO
    some = False
    for chosen in range(1, 1 << len(rows)):
        group = seeds[[k for k in range(len(rows)) if chosen >> k & 1]]
        source, target = (int(np.ptp(group[:, axis])) + 1 for axis in (0, 1))
        some |= max(source, target) >= ratio * min(source, target)
    pairs = [
        (abs(p[0] - q[0]) + 1, abs(p[1] - q[1]) + 1)
        for k, p in enumerate(rows)
        for q in rows[k + 1 :]
    ]
    two = any(max(a, b) >= ratio * min(a, b) for a, b in pairs)
    assert align._may_be_lopsided(seeds) == two
    assert two or not some


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6), st.integers(0, 3), st.integers(4, 30))
def test_screened_sentence_ranges_equal_the_unscreened_ones(
    pair: tuple[str, str], sentence_gap: int, summary_gap: int
) -> None:
    """Making the wider sentence clusters only where a lopsided one may be found (or where there
    are many seeds) gives the ranges that always making them gives (also for a summary)."""
    options = wiretrace.Settings(sentence_gap=sentence_gap, summary_gap=summary_gap)
    source, target = pair
    # A summary: a few of the source's sentences, spread across it, in a short target.
    sentences = re.split(r"(?<=[.!?])\s+", source)
    cases = [(source, target), (source, " ".join(sentences[::4]))]
    for first, second in cases:
        first_tokens, second_tokens = tokenize(first), tokenize(second)
        found = align.find_sentence_seeds(first, first_tokens, second, second_tokens, 0.35)
        if found is None or len(found[0]) == 0:
            continue
        plain = align._seed_ranges(*found, options, screened=False)
        assert align._seed_ranges(*found, options) == plain
        saved, align.MANY_SEEDS = align.MANY_SEEDS, 0  # every seed set counts as many
        try:
            assert align._seed_ranges(*found, options) == plain
        finally:
            align.MANY_SEEDS = saved


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6), st.randoms(use_true_random=False), st.floats(0.05, 0.9))
def test_compiled_similar_sentences_equal_the_numpy_ones(
    pair: tuple[str, str], rng: random.Random, threshold: float
) -> None:
    """The compiled sentence-pair loop finds exactly the numpy path's sentence seeds, in order
    (its cosines bit for bit at the threshold), boilerplate sentences left out."""
    source, target = (align._sentences(text, tokenize(text)) for text in pair)
    if len(source.stems) == 0 or len(target.stems) == 0:
        return
    flags = [rng.random() < 0.2 for _ in range(len(source.starts) + len(target.starts))]
    source_boilerplate = np.array(flags[: len(source.starts)], dtype=bool)
    target_boilerplate = np.array(flags[len(source.starts) :], dtype=bool)
    fast, *_ = align.sentence_seeds(
        source, target, threshold, source_boilerplate, target_boilerplate
    )
    plain, *_ = align.sentence_seeds_plain(
        source, target, threshold, source_boilerplate, target_boilerplate
    )
    assert fast.dtype == plain.dtype and fast.shape == plain.shape
    assert fast.tolist() == plain.tolist()


@PROPERTY
@given(st.randoms(use_true_random=False), st.integers(1, 60), st.floats(0.05, 0.6))
def test_sentence_like_many_others_gets_its_seeds_in_order(
    rng: random.Random, sentences: int, threshold: float
) -> None:
    """A sentence that shares stems with many sentences of the other text (met in stem order,
    not sentence order) gets exactly the numpy path's seeds, in sentence order."""
    vocabulary = [first + second + "ing" for first in LATIN for second in LATIN[:4]]
    shared = rng.sample(vocabulary, 12)
    source = " ".join(shared) + ". " + " ".join(rng.sample(vocabulary, 8)) + "."
    target = " ".join(
        " ".join(rng.sample(shared, rng.randint(1, 12)) + rng.sample(vocabulary, rng.randint(1, 8)))
        + "."
        for _ in range(sentences)
    )
    first, second = (align._sentences(text, tokenize(text)) for text in (source, target))
    flags = [np.zeros(len(side.starts), dtype=bool) for side in (first, second)]
    fast, *_ = align.sentence_seeds(first, second, threshold, *flags)
    plain, *_ = align.sentence_seeds_plain(first, second, threshold, *flags)
    assert fast.tolist() == plain.tolist()


def test_sentence_touching_every_other_stays_in_bounds() -> None:
    """A sentence whose stems reach every sentence of the other text, and then reach them again,
    stays within the compiled loop's arrays: its Python form (whose indexing is checked) finds
    the compiled loop's seeds."""
    stems = [first + second + "ing" for first in LATIN[:6] for second in LATIN[:4]]
    source = " ".join(stems) + "."
    target = " ".join(" ".join(stems[k : k + 4]) + " plain words here." for k in range(0, 21, 2))
    first, second = (align._sentences(text, tokenize(text)) for text in (source, target))
    flags = [np.zeros(len(side.starts), dtype=bool) for side in (first, second)]
    table = align._idf_table(len(first.starts) + len(second.starts))
    arguments = (first.packed, flags[0], second.packed, flags[1], table, 0.2)
    checked = _align_kernels.sentence_seeds.py_func(*arguments)
    compiled = _align_kernels.sentence_seeds(*arguments)
    assert len(checked[0]) == len(second.starts) > 1
    assert checked[0].tolist() == compiled[0].tolist()


_SENTENCE_PIECES = ["word", "Word", "3.5", "U.S.", ". ", "!?", "\n\n", "\n \n", "\n", " ", "。"]


@PROPERTY
@given(
    st.one_of(articles(), st.lists(st.sampled_from(_SENTENCE_PIECES), max_size=200).map("".join))
)
def test_compiled_sentence_split_equals_the_numpy_split(text: str) -> None:
    """The compiled pass splits a text into the sentences the numpy path finds."""
    tokens = tokenize(text)
    assert (
        split_sentences(text, tokens).tolist() == align.split_sentences_plain(text, tokens).tolist()
    )


@PROPERTY
@given(
    st.lists(st.integers(-1, 6), max_size=120),
    st.lists(st.integers(1, 12), max_size=20),
)
def test_compiled_sentence_entries_equal_the_numpy_ones(
    stems: list[int], lengths: list[int]
) -> None:
    """The compiled pass builds a text's per-sentence stem entries exactly as numpy does: every
    array, repeated and function-word stems (-1) included."""
    starts = np.cumsum([0, *lengths])
    starts = starts[starts < max(len(stems), 1)] if stems else np.zeros(0, dtype=np.int64)
    values = np.array(stems, dtype=np.int64)
    fast = align.sentence_entries(values, starts.astype(np.int64))
    plain = align.sentence_entries_plain(values, starts.astype(np.int64))
    assert fast.dtype == plain.dtype
    assert fast.tolist() == plain.tolist()


@PROPERTY
@given(
    st.lists(st.integers(0, 40), max_size=400),
    st.lists(st.integers(1, 30), max_size=40),
    st.randoms(use_true_random=False),
)
def test_compiled_sentence_entries_of_spread_stems_equal_the_numpy_ones(
    picks: list[int], lengths: list[int], rng: random.Random
) -> None:
    """Stem ids spread over all 63 bits (placed by their top bits, as real stem hashes are) and
    stems sharing top bits, repeated and mixed with function words, give numpy's entries."""
    spread = [rng.getrandbits(63) for _ in range(20)]
    close = [(spread[0] | 0xFFFF) - k for k in range(20)]  # the same top bits
    table = [-1, *spread, *close]
    values = np.array([table[pick] for pick in picks], dtype=np.int64)
    starts = np.cumsum([0, *lengths])
    starts = starts[starts < max(len(values), 1)] if len(values) else np.zeros(0, dtype=np.int64)
    fast = align.sentence_entries(values, starts.astype(np.int64))
    plain = align.sentence_entries_plain(values, starts.astype(np.int64))
    assert fast.tolist() == plain.tolist()


@PROPERTY
@given(
    st.lists(st.integers(-1, 6), max_size=120),
    st.lists(st.integers(1, 12), max_size=20),
)
def test_entries_by_stem_are_each_stems_sentences_in_order(
    stems: list[int], lengths: list[int]
) -> None:
    """The entries by stem, which are not packed (`_Sentences.local`, `count`, `sentence`), are
    each distinct content stem's sentences in order, with how often it occurs in each, as
    counting the words one by one gives them."""
    starts = np.cumsum([0, *lengths])
    starts = starts[starts < max(len(stems), 1)] if stems else np.zeros(0, dtype=np.int64)
    values = np.array(stems, dtype=np.int64)
    packed = align.sentence_entries(values, starts.astype(np.int64))
    sentences = align._Sentences.from_packed(starts, len(stems), values, packed)
    owners = np.searchsorted(starts, np.arange(len(stems)), "right") - 1
    occurrences: dict[tuple[int, int], int] = {}
    for stem, owner in zip(stems, owners.tolist(), strict=True):
        if stem >= 0:
            occurrences[stem, owner] = occurrences.get((stem, owner), 0) + 1
    distinct = sorted({stem for stem, _ in occurrences})
    expected = sorted(occurrences.items())
    assert sentences.local.tolist() == [distinct.index(stem) for (stem, _), _ in expected]
    assert sentences.sentence.tolist() == [owner for (_, owner), _ in expected]
    assert sentences.count.tolist() == [count for _, count in expected]
    assert sentences.stems.tolist() == distinct


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6))
def test_skipping_sentence_seeds_inside_found_passages_changes_nothing(
    pair: tuple[str, str],
) -> None:
    """Passing over the sentence ranges when every sentence seed lies in a passage found word by
    word gives the passages that making and testing every range gives."""
    source, target = pair
    source_tokens, target_tokens = tokenize(source), tokenize(target)
    options = wiretrace.Settings()
    fast = align.align_pair(source, source_tokens, target, target_tokens, options)
    saved, align._seeds_in_passages = align._seeds_in_passages, lambda *_: False
    try:
        plain = align.align_pair(source, source_tokens, target, target_tokens, options)
    finally:
        align._seeds_in_passages = saved
    assert fast == plain


def test_range_vectors_equal_the_vectors_of_their_sentences_masked() -> None:
    """A sentence range's tf-idf vector, read from the entries ordered by sentence, equals the
    one summed from the entries of the sentences in it."""
    text = (
        "The council voted on Monday to close the bridge. Engineers found cracks in two piers. "
        "Repairs will take most of the summer, officials said. Traffic will use the ferry. "
        "The ferry runs every twenty minutes from the harbour. Fares stay the same for now."
    )
    tokens = tokenize(text)
    sentences = align._sentences(text, tokens)
    flags = np.zeros(len(sentences.starts), dtype=bool)
    _, side, _ = align.sentence_seeds(sentences, sentences, 1.0, flags, flags)
    count = len(sentences.starts)
    for first in range(count):
        for last in range(first, count):
            inside = (sentences.sentence >= first) & (sentences.sentence <= last)
            weights = np.bincount(
                sentences.local[inside], sentences.count[inside], minlength=len(side.idf)
            )
            assert side.vector(first, last).tolist() == (weights * side.idf).tolist()


@PROPERTY
@given(st.lists(words(), min_size=1, max_size=30))
def test_stems_hashed_together_equal_stems_hashed_one_by_one(words_given: list[str]) -> None:
    """New stems hashed in one tokenized text get `token_id(stem) >> 1`, as one by one."""
    stems = [normalize_word(word)[: align.STEM_LETTERS] for word in words_given]
    stems = [stem for stem in stems if stem]
    assert align._hash_new_stems(stems) == [token_id(stem) >> 1 for stem in stems]


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=1, max_size=200),
    st.integers(0, 20),
    st.integers(1, 4),
    st.integers(1, 5),
)
def test_compiled_clustering_gives_each_groups_ranges_and_covered_words(
    points: list[tuple[int, int]], max_gap: int, min_seeds: int, size: int
) -> None:
    """Each group of the compiled clustering comes with its lowest and highest seed on each side
    and the words its seeds cover, as numpy finds them from its members."""
    seeds = np.array(points, dtype=np.int64)
    limit = max_gap + size
    members, starts, ends, ranges, covered, used = _kernels.cluster_seeds(
        seeds, np.arange(len(seeds)), limit, limit, min_seeds, size
    )
    assert used == limit
    groups = [seeds[members[start:end]] for start, end in zip(starts, ends, strict=True)]
    assert ranges.tolist() == [
        [g[:, 0].min(), g[:, 0].max(), g[:, 1].min(), g[:, 1].max()] for g in groups
    ]
    assert covered.tolist() == [align._covered(g[:, 0], size) for g in groups]


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=2, max_size=80),
    st.integers(1, 8),
    st.randoms(use_true_random=False),
)
def test_compiled_clustering_tries_smaller_gaps_until_the_seeds_split(
    points: list[tuple[int, int]], gap: int, rng: random.Random
) -> None:
    """Seeds (a subset of all, in any order) that stay one group are clustered again with the
    next smaller gap, down to gap 0: the groups are numpy's at the first gap that splits them."""
    seeds = np.array(points, dtype=np.int64)
    subset = np.array(rng.sample(range(len(seeds)), rng.randint(1, len(seeds))), dtype=np.int64)
    members, starts, ends, _, _, limit = _kernels.cluster_seeds(seeds, subset, gap + 1, 1, 1, 1)
    for smaller in range(gap, -1, -1):
        expected = align.cluster_seeds_plain(seeds[subset], smaller, 1)
        if len(expected) > 1 or smaller == 0:
            break
    assert limit == smaller + 1
    groups = [members[start:end].tolist() for start, end in zip(starts, ends, strict=True)]
    assert groups == [subset[group].tolist() for group in expected]


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6))
def test_compiled_sentence_sides_equal_the_numpy_ones(pair: tuple[str, str]) -> None:
    """The shared stems and both texts' idf, found in one compiled pass from one table of logs,
    are numpy's bit for bit."""
    source, target = (align._sentences(text, tokenize(text)) for text in pair)
    if len(source.stems) == 0 or len(target.stems) == 0:
        return
    flags = [np.zeros(len(side.starts), dtype=bool) for side in (source, target)]
    _, *sides = align.sentence_seeds(source, target, 0.35, *flags)
    source_at, target_at, source_idf, target_idf = align.sentence_sides_plain(source, target)
    assert sides[0].at.tolist() == source_at.tolist()
    assert sides[1].at.tolist() == target_at.tolist()
    assert sides[0].idf.tolist() == source_idf.tolist()
    assert sides[1].idf.tolist() == target_idf.tolist()


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6), st.floats(0.05, 0.6), st.floats(0.05, 0.9))
def test_compiled_validated_clusters_equal_the_numpy_ones(
    pair: tuple[str, str], threshold: float, passage_similarity: float
) -> None:
    """The compiled validation of sentence clusters finds numpy's ranges in numpy's order, at
    every gap; where it cannot tell a cosine from the threshold it leaves the answer to numpy."""
    source, target = (align._sentences(text, tokenize(text)) for text in pair)
    if len(source.stems) == 0 or len(target.stems) == 0:
        return
    flags = [np.zeros(len(side.starts), dtype=bool) for side in (source, target)]
    seeds, *sides = align.sentence_seeds(source, target, threshold, *flags)
    for gap in (0, 1, 4, 24):
        plain = align._validated_clusters_plain(seeds, gap, *sides, passage_similarity)
        assert align._validated_clusters(seeds, gap, *sides, passage_similarity) == plain
        own, other = sides[0].own, sides[1].own
        arrays = (
            own.sentence_local,
            own.sentence_count,
            own.offsets,
            sides[0].idf,
            sides[0].at,
            other.sentence_local,
            other.sentence_count,
            other.offsets,
            sides[1].idf,
        )
        found, decided = _kernels.validated_clusters(seeds, gap, *arrays, passage_similarity, 0.0)
        assert decided
        assert [((a, b), (c, d)) for a, b, c, d in found.tolist()] == plain
        # With every cosine "too close to call", numpy decides.
        _, decided = _kernels.validated_clusters(seeds, gap, *arrays, passage_similarity, 2.0)
        assert not decided or not plain


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6), st.integers(1, 40))
def test_alignment_with_too_few_common_words_is_left_untraced(
    pair: tuple[str, str], least: int
) -> None:
    """Word ranges that would match fewer than `least` words (their longest common subsequence,
    which the traced alignment matches) are not traced; others are traced as always."""
    source, target = (tokenize(text) for text in pair)
    ranges = ((0, len(source)), (0, len(target)))
    traced = align._align_words(source, target, *ranges)
    alignment = align._align_words(source, target, *ranges, least)
    if traced is None:
        assert alignment is None
    elif traced.matched < least:
        assert alignment is not None and alignment.opcodes == []
        assert alignment.matched == traced.matched
    else:
        assert alignment == traced


def _id_tokens(ids: list[int]) -> Tokens:
    """Tokens of one-character words with these ids."""
    starts = np.arange(len(ids), dtype=np.int64) * 2
    return Tokens(starts=starts, ends=starts + 1, ids=np.array(ids, dtype=np.uint64))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 3), max_size=40),
    st.lists(st.integers(0, 3), max_size=40),
    st.integers(1, 12),
    st.randoms(use_true_random=False),
)
def test_word_alignment_equals_the_plain_steps(
    source_ids: list[int], target_ids: list[int], least: int, rng: random.Random
) -> None:
    """`_align_words` (rapidfuzz's opcodes folded, trimmed, moved and counted in one pass) gives
    the alignment of `_align_words_plain` (`_word_opcodes`, then trimmed), on word ranges of few
    distinct words (many runs of inserts and deletes to fold)."""
    source, target = _id_tokens(source_ids), _id_tokens(target_ids)
    a = rng.randint(0, len(source_ids))
    c = rng.randint(0, len(target_ids))
    whole = ((0, len(source_ids)), (0, len(target_ids)))
    part = ((a, rng.randint(a, len(source_ids))), (c, rng.randint(c, len(target_ids))))
    for ranges in (whole, part):
        for given_least in (1, least):
            assert align._align_words(source, target, *ranges, given_least) == (
                align._align_words_plain(source, target, *ranges, given_least)
            )


def _checked_matches(opcodes: align.Opcodes, source: list[int], target: list[int]) -> int:
    """How many words `opcodes` match, once checked to run over both lists in order, each
    equal run equal and each insert or delete on one side only."""
    i = j = matched = 0
    for tag, i1, i2, j1, j2 in opcodes:
        assert (i1, j1) == (i, j) and i1 <= i2 and j1 <= j2
        if tag == "equal":
            assert source[i1:i2] == target[j1:j2] and i2 > i1
            matched += i2 - i1
        else:
            assert (tag, i1 == i2, j1 == j2) in (("insert", True, False), ("delete", False, True))
        i, j = i2, j2
    assert (i, j) == (len(source), len(target))
    tags = [opcode[0] for opcode in opcodes]
    assert all(a != b for a, b in zip(tags, tags[1:], strict=False))  # runs joined
    return matched


@PROPERTY
@given(
    st.lists(st.integers(0, 60), max_size=120),
    st.lists(st.tuples(st.integers(0, 120), st.integers(-1, 60)), max_size=12),
    st.integers(1, 400),
)
def test_word_lists_too_long_to_align_whole_are_aligned_piecewise_and_soundly(
    source: list[int], changes: list[tuple[int, int]], cells: int
) -> None:
    """Lists whose product of lengths is over MAX_ALIGN_CELLS are aligned a piece at a time
    between anchors: the opcodes still run over both lists in order, each run sound and joined
    with its neighbours; under the limit they are rapidfuzz's own."""
    target = list(source)
    for at, word in changes:  # -1: delete a word, else insert one
        at = min(at, len(target))
        if word < 0:
            del target[at : at + 1]
        else:
            target.insert(at, word)
    whole = Indel.opcodes(source, target).as_list()
    previous = align.MAX_ALIGN_CELLS
    try:
        align.MAX_ALIGN_CELLS = cells
        opcodes = align.indel_opcodes(source, target)
    finally:
        align.MAX_ALIGN_CELLS = previous
    matched = _checked_matches(opcodes, source, target)
    assert matched <= (len(source) + len(target) - Indel.distance(source, target)) // 2
    if len(source) * len(target) <= cells:
        assert opcodes == whole


class _RecordingIndel:
    """Stands in for rapidfuzz's Indel in `wiretrace.align`, keeping the size (product of the
    lengths) of every pair of lists it aligns."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def opcodes(self, source: list[int], target: list[int]) -> object:
        self.sizes.append(len(source) * len(target))
        return Indel.opcodes(source, target)


@PROPERTY
@given(st.integers(2, 9), st.integers(6, 30), st.integers(0, 3), st.integers(20, 400))
def test_repetitive_lists_too_long_to_align_whole_are_still_cut_into_small_pieces(
    period: int, repeats: int, shift: int, cells: int
) -> None:
    """Lists made of one short run of words repeated, with no run of words found once in
    either: no piece aligned is larger than MAX_ALIGN_CELLS (it used to be aligned whole, a bit
    per pair of words), and the opcodes are still sound."""
    source = list(range(period)) * repeats
    target = source[shift:] + [period + 1] + source[:shift]
    recording = _RecordingIndel()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(align, "MAX_ALIGN_CELLS", cells)
        patch.setattr(align, "Indel", recording)
        opcodes = align.indel_opcodes(source, target)
    assert max(recording.sizes) <= cells
    matched = _checked_matches(opcodes, source, target)
    assert matched <= (len(source) + len(target) - Indel.distance(source, target)) // 2


class _CountingLCSseq:
    """Stands in for rapidfuzz's LCSseq in `wiretrace.align`, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def similarity(self, source: list[int], target: list[int]) -> int:
        self.calls += 1
        return cast(int, LCSseq.similarity(source, target))


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6), st.integers(1, 40), st.integers(1, 2000))
def test_word_ranges_too_long_to_align_whole_are_aligned_as_the_plain_steps_do(
    pair: tuple[str, str], least: int, cells: int
) -> None:
    """Over MAX_ALIGN_CELLS, `_align_words` aligns the lists before it counts their common
    words (a count taking time in the product of their lengths: 30 s for two texts of 200,000
    words), and counts them only when the alignment matches fewer than `least` words (a
    piecewise alignment may match fewer than the lists have in common); its alignment is still
    `_align_words_plain`'s."""
    source, target = (tokenize(text) for text in pair)
    ranges = ((0, len(source)), (0, len(target)))
    counting = _CountingLCSseq()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(align, "MAX_ALIGN_CELLS", cells)
        expected = align._align_words_plain(source, target, *ranges, least)
        patch.setattr(align, "LCSseq", counting)
        alignment = align._align_words(source, target, *ranges, least)
    assert alignment == expected
    if len(source) * len(target) > cells and alignment is not None and alignment.opcodes:
        assert counting.calls == (alignment.matched < least)


_LONG_ALIGNMENT = """
import random
from wiretrace.align import align_pair
from wiretrace.config import Settings
from wiretrace.shingle import tokenize


def mib(field):
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024


rng = random.Random(7)
vocabulary = ["".join(rng.choices("abcdefghijklmnop", k=6)) for _ in range(20000)]
words = [rng.choice(vocabulary) for _ in range(100000)]
small = " ".join(words[:300])
# The kernels compiled or loaded first, by a small pair: their memory is not the alignment's.
align_pair(small, tokenize(small), "x " + small, tokenize("x " + small), Settings())
source = " ".join(["Lead."] + words)
target = " ".join(words[:50000] + ["inserted"] + words[50000:] + ["End."])
source_tokens, target_tokens = tokenize(source), tokenize(target)
with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
    clear.write("5")  # the peak (VmHWM) starts again from now
before = mib("VmRSS")
passages = align_pair(source, source_tokens, target, target_tokens, Settings())
print(len(passages), passages[0].matched_words, mib("VmHWM") - before)
"""


@pytest.mark.skipif(
    not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux's /proc/PID/clear_refs"
)
def test_two_long_texts_are_aligned_in_bounded_memory() -> None:
    """Two near-identical texts of 100,000 words, changed at both ends, align in one passage
    matching every shared word, and the alignment's peak memory stays far under the 1.2 GB that
    aligning them whole takes (a bit per pair of words: 5 GB at 200,000 words)."""
    completed = subprocess.run(
        [sys.executable, "-c", _LONG_ALIGNMENT], capture_output=True, text=True, check=True
    )
    count, matched, growth_mib = map(int, completed.stdout.split())
    assert (count, matched) == (1, 100_000)
    assert growth_mib < 400


@REUSE_PROPERTY
@given(reused_pairs(max_rate=0.6), st.integers(1, 40))
def test_word_alignment_of_reused_text_equals_the_plain_steps(
    pair: tuple[str, str], least: int
) -> None:
    """`_align_words` gives the alignment of `_align_words_plain` on reused text, and so the
    same passage and edits."""
    source, target = (tokenize(text) for text in pair)
    ranges = ((0, len(source)), (0, len(target)))
    for given_least in (1, least):
        alignment = align._align_words(source, target, *ranges, given_least)
        assert alignment == align._align_words_plain(source, target, *ranges, given_least)
    if alignment is not None and alignment.opcodes:
        passage = align._passage(pair[0], source, pair[1], target, alignment)
        assert replay_edits(pair[0], passage) == pair[1][passage.target_start : passage.target_end]


_TOKENS_AT_EXIT = """
import numba

import wiretrace.align
from wiretrace.align import align_pair
from wiretrace.config import Settings
from wiretrace.shingle import tokenize

text = "The minister said on Tuesday that the new bridge would open in May next year. " * 4
other = text.replace("Tuesday", "Monday")
KEPT = [(text, tokenize(text)), (other, tokenize(other))]
print(len(align_pair(KEPT[0][0], KEPT[0][1], KEPT[1][0], KEPT[1][1], Settings())))


@numba.njit
def kept_globals(value):  # numba keeps this script's globals (KEPT) past wiretrace's
    return value


kept_globals(1)
"""


def test_tokens_kept_until_exit_leave_no_errors() -> None:
    """Tokens a caller keeps until the interpreter exits can be freed after the modules'
    globals (here a compiled function of the caller keeps its globals alive): dropping their
    prepared records then must not fail (it printed an ignored AttributeError per text)."""
    completed = subprocess.run(
        [sys.executable, "-c", _TOKENS_AT_EXIT], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "1"
    assert completed.stderr == ""
