"""Tests for the summary model's background: how common a word is in general text."""

from __future__ import annotations

import math
import os
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_data import shared_data
from strategies import PROPERTY, articles, reused_pairs
from wiretrace import align, compare, summary
from wiretrace.normalize import normalize_word
from wiretrace.shingle import Tokens, code_points, tokenize

# An English text long enough for the model (MIN_SUMMARY_WORDS), naming a rare and a common name.
ENGLISH = (
    "Captain Joseph Hazelwood told the hearing in Anchorage that the tanker had left the "
    "shipping lane to avoid ice, and President Trump said on Tuesday that the court would decide. "
) * 8
RUSSIAN = (
    "Министр заявил журналистам в Москве, что правительство рассмотрит новый закон о бюджете "
    "на следующей неделе, а депутаты обсудят поправки к налоговому кодексу и пенсиям. "
) * 10
SPANISH = (
    "El ministro dijo a los periodistas en Madrid que el gobierno estudiará la nueva ley de "
    "presupuestos la próxima semana, y los diputados debatirán las enmiendas al código fiscal. "
) * 10


def _stemmed(text: str) -> tuple[str, Tokens, np.ndarray]:
    """A text with its tokens and content stem ids, as the summary model takes it."""
    tokens = tokenize(text)
    return text, tokens, align._stem_ids(text, tokens)


def _rarity_of(text: str, word: str) -> float:
    """The background rarity `summary` gives to the first use of `word` in `text`."""
    tokens = tokenize(text)
    rarity, _ = summary._rarities(text, tokens)
    at = next(k for k in range(len(tokens)) if text[tokens.starts[k] : tokens.ends[k]] == word)
    return float(rarity[at])


def test_a_rare_name_weighs_more_than_a_name_common_in_the_news() -> None:
    """A name rare in general text ("Hazelwood") is rarer than one common in it ("Trump")."""
    assert _rarity_of(ENGLISH, "Hazelwood") > _rarity_of(ENGLISH, "Trump") + 1.0


def test_function_words_and_numbers_have_no_rarity() -> None:
    """Words at least as common as RARITY_CAP, and tokens with no letter, weigh nothing."""
    text = "the 2019 budget"
    assert _rarity_of(text, "the") == 0.0
    assert _rarity_of(text, "2019") == 0.0


def test_a_word_the_background_does_not_list_is_rarest() -> None:
    """A word missing from the background word list has the largest rarity, RARITY_CAP."""
    assert _rarity_of("Varrow Ridge", "Varrow") == summary.RARITY_CAP


@pytest.mark.parametrize("text", [RUSSIAN, SPANISH])
def test_the_model_scores_only_english_text(text: str) -> None:
    """A pair in a language the background does not cover is not scored by the model."""
    tokens, english = tokenize(text), tokenize(ENGLISH)
    assert len(tokens) >= summary.MIN_SUMMARY_WORDS
    assert not summary.summary_applies(text, tokens, ENGLISH, english)
    assert summary.summary_applies(ENGLISH, english, ENGLISH + " ", tokenize(ENGLISH + " "))
    assert summary.find_summary(*_stemmed(text), *_stemmed(text), threshold=0.0) is None


def test_comparing_other_languages_with_the_model_on_does_not_fail() -> None:
    """compare with the summary model at its lowest probability works on Russian and Spanish
    text (and reports nothing: they share no passage)."""
    assert compare(RUSSIAN, SPANISH, summary_probability=0.01).pairs == ()


def _rarest_shared_name(source: str, target: str) -> float:
    """The summary measure "background rarity of the rarest shared name" of two texts."""
    features, _ = summary.summary_features(*_stemmed(source), *_stemmed(target))
    name = next(name for name in summary.SUMMARY_FEATURES if "rarest shared name" in name)
    return dict(zip(summary.SUMMARY_FEATURES, features, strict=True))[name]


def test_sharing_a_rare_name_counts_more_than_sharing_a_common_one() -> None:
    """Two texts sharing "Hazelwood" score higher on the rarest shared name than two sharing
    only "Trump", and texts sharing no name score 0."""
    source = "On Tuesday the inquiry heard from Hazelwood and from Trump about the spill."
    rare = "Later that week the board said Hazelwood would appear again before the panel."
    common = "Later that week the board said Trump would appear again before the panel."
    none = "Later that week the board said nobody would appear again before the panel."
    assert _rarest_shared_name(source, rare) > _rarest_shared_name(source, common) + 1.0
    assert _rarest_shared_name(source, none) == 0.0
    assert np.isfinite(_rarest_shared_name(source, common))


# The model's measures are made cheapest first, and a pair is let go as soon as it cannot reach
# the threshold (`_summary_kernels.pair_features`): the outcome must be the one of making them all.

PAN = shared_data() / "alignment" / "pan13-train"


def _pan_pairs(category: str, count: int) -> list[tuple[str, str]]:
    """The first `count` (source, suspicious) texts of a PAN 2013 training category."""
    if not PAN.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PAN} is missing; CI needs the shared alignment data")
        pytest.skip(f"{PAN} is absent; put the shared data in {PAN.parent} to run this test")
    rows = [line.split("\t") for line in (PAN / "pairs.tsv").read_text().splitlines()[1:]]
    return [
        ((PAN / "src" / row[1]).read_text(), (PAN / "susp" / row[0]).read_text())
        for row in rows
        if row[2] == category
    ][:count]


@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.55, 0.9])
def test_letting_pairs_go_early_does_not_change_what_is_found(
    threshold: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """find_summary finds the same summaries, at the same probabilities, whether or not it lets
    go of pairs that cannot reach the threshold on their compiled measures, before making the
    costliest (on real PAN summaries and unrelated pairs, both ways round)."""
    pairs = _pan_pairs("summary-obfuscation", 25) + _pan_pairs("no-plagiarism", 15)
    stemmed = [(_stemmed(source), _stemmed(target)) for source, target in pairs]
    stemmed += [(target, source) for source, target in stemmed]

    def found() -> list[object]:
        return [summary.find_summary(*s, *t, threshold=threshold) for s, t in stemmed]

    early = found()
    monkeypatch.setattr(summary, "_BOUND_MARGIN", math.inf)  # never let go early
    assert early == found()
    assert any(result is not None for result in early)


def _zipf_word_by_word(text: str) -> dict[int, float]:
    """Each word id's background Zipf frequency, looked up word by word (the plain way)."""
    tokens = tokenize(text)
    return {
        int(word_id): summary._zipf(normalize_word(text[start:end]))
        for word_id, start, end in zip(
            tokens.ids.tolist(), tokens.starts.tolist(), tokens.ends.tolist(), strict=True
        )
    }


def _zipf_from_table(text: str) -> dict[int, float]:
    """Each word id's background Zipf frequency from the table of the whole word list."""
    ids, values = summary._background_table()
    out = {}
    for word_id in tokenize(text).ids.tolist():
        at = int(np.searchsorted(ids, np.uint64(word_id)))
        if at < len(ids) and int(ids[at]) == word_id:
            out[int(word_id)] = float(values[at])
    return out


@pytest.fixture
def background_cache(tmp_path, monkeypatch):
    """The background's tables kept in a folder of the test's own, made afresh (the process's
    loaded tables are put back afterwards)."""
    kept = summary._background_cache, summary._background_table, summary._frequencies
    monkeypatch.setenv("WIRETRACE_CACHE_DIR", str(tmp_path / "cache"))
    for function in kept:
        function.cache_clear()
    yield tmp_path / "cache"
    for function in kept:
        function.cache_clear()


def _background_anew() -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """The background's tables and word frequencies as a new process finds them."""
    for function in (summary._background_cache, summary._background_table, summary._frequencies):
        function.cache_clear()
    ids, values = summary._background_table()
    return ids, values, summary._frequencies()


def _wordfreq_tables() -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    import wordfreq

    frequencies = wordfreq.get_frequency_dict(summary.BACKGROUND_LANGUAGE)
    return (*summary._make_background_table(frequencies), frequencies)


def _same_tables(found, expected) -> bool:
    return all(
        np.array_equal(a, b) and a.dtype == b.dtype
        for a, b in zip(found[:2], expected[:2], strict=True)
    ) and list(found[2].items()) == list(expected[2].items())


def test_the_background_is_kept_on_disk_and_read_back_the_same(background_cache, monkeypatch):
    """The first use makes the background's tables and keeps them; a new process reads them
    back (without wordfreq) exactly as made, frequencies in wordfreq's order included."""
    expected = _wordfreq_tables()
    assert _same_tables(_background_anew(), expected)
    assert len(list(background_cache.glob("background-*.npz"))) == 1

    def unused(*args):
        raise AssertionError("made again although kept")

    monkeypatch.setattr(summary, "_make_background_table", unused)
    assert _same_tables(_background_anew(), expected)


def test_a_damaged_or_unwritable_background_cache_is_made_again(background_cache, monkeypatch):
    """A cut-off cache file is made again; a cache folder that cannot be made, or none
    (WIRETRACE_CACHE_DIR empty), leaves each process making its own tables; none changes them."""
    expected = _wordfreq_tables()
    _background_anew()
    (path,) = background_cache.glob("background-*.npz")
    path.write_bytes(path.read_bytes()[:1000])
    assert _same_tables(_background_anew(), expected)
    assert path.stat().st_size > 1000
    blocker = background_cache.parent / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("WIRETRACE_CACHE_DIR", str(blocker / "cache"))
    assert _same_tables(_background_anew(), expected)
    monkeypatch.setenv("WIRETRACE_CACHE_DIR", "")
    assert summary._background_cache_file() is None
    assert _same_tables(_background_anew(), expected)


TRICKY = (
    "Don\u2019t DON'T don't U.S. u.s. Café CAFÉ naïve İstanbul Straße STRASSE ﬁnance ＡＢＣ "
    "co-operate e-mail 3D 1990s ½ x² O'Brien McDONALD's Zürich ΟΔΥΣΣΕΑΣ Москва"
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(articles(max_paragraphs=2), st.text(max_size=200)))
def test_the_background_table_gives_each_word_its_word_by_word_frequency(text: str) -> None:
    """Every word the table of the whole word list holds has the frequency the plain
    word-by-word lookup gives (the table is made by the tokenizer, all words at once)."""
    for sample in (text, TRICKY):
        plain = _zipf_word_by_word(sample)
        for word_id, value in _zipf_from_table(sample).items():
            assert value == plain[word_id]


@pytest.mark.parametrize("text", [ENGLISH, RUSSIAN, SPANISH, TRICKY])
def test_the_rarities_come_out_the_same_with_or_without_the_table(text: str) -> None:
    """`_ZipfTable.lookup` gives the word-by-word frequencies for every word of a text,
    whether the word is in the background's list or not (NaN where the word has no letter)."""
    tokens = tokenize(text)
    ids, first = np.unique(tokens.ids, return_index=True)
    found = summary._ZipfTable().lookup(
        ids, lambda k: text[tokens.starts[first[k]] : tokens.ends[first[k]]]
    )
    plain = _zipf_word_by_word(text)
    expected = np.array([plain[int(word_id)] for word_id in ids.tolist()])
    assert np.array_equal(found, expected, equal_nan=True)


def _compiled_rarities(table: summary._ZipfTable, text: str) -> tuple[np.ndarray, float]:
    """A text's word rarities and background coverage by the compiled loop, from `table`."""
    tokens = tokenize(text)
    rarity, lettered, listed = table.rarities(
        tokens.ids, lambda k: text[tokens.starts[k] : tokens.ends[k]]
    )
    return rarity, listed / lettered if lettered else 0.0


@settings(max_examples=30, deadline=None)
@given(st.one_of(articles(max_paragraphs=2), st.text(max_size=200)))
def test_compiled_rarities_are_the_numpy_ones(text: str) -> None:
    """The compiled rarities of a text's words and its background coverage are numpy's, bit
    for bit, whether its words are in the table yet or not."""
    for sample in (text, TRICKY, RUSSIAN):
        plain, coverage = summary._rarities_plain(sample, tokenize(sample))
        for table in (summary._ZipfTable(), summary._ZIPF):
            rarity, compiled_coverage = _compiled_rarities(table, sample)
            assert rarity.tobytes() == plain.tobytes()
            assert compiled_coverage == coverage


_NAME_TEXT = st.text(
    alphabet=st.sampled_from(
        list("aZ Ée.!?:;\"\u201c\u201d'\nßİǅ")
        + ["\U0001d400", "\U0001d41a", "\U00010400", "\U0001f600"]
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_NAME_TEXT, articles(max_paragraphs=1)))
def test_compiled_name_marks_are_the_numpy_ones(text: str) -> None:
    """The compiled name marks are numpy's, for any text: capitals, openers, title case and
    letters past the basic plane (which the numpy version decides) included."""
    tokens = tokenize(text)
    assert np.array_equal(summary.name_marks(text, tokens), summary.name_marks_plain(text, tokens))


@settings(max_examples=150, deadline=None)
@given(st.one_of(_NAME_TEXT, articles(max_paragraphs=1)), st.booleans())
def test_a_side_is_made_with_the_numpy_name_marks(text: str, writable_points: bool) -> None:
    """A text's side, made with the name marks its compiled loop makes (numpy's when a word
    starts past the basic plane), is the side made with numpy's name marks given, bit for bit
    (rated alike); and the compiled name marks of a text's code points are numpy's, read-only
    or not."""
    tokens = tokenize(text)
    stems = np.require(align._stem_ids(text, tokens), np.int64, ["C", "W"])
    side = summary._text_side(text, tokens, stems)
    points = code_points(text).copy() if writable_points else code_points(text)
    plain = summary.name_marks_plain(text, tokens)
    kernels = summary._summary_kernels
    *given, missing, _, decided = kernels.text_side(
        np.require(tokens.ids, np.uint64, ["C", "W"]),
        stems,
        points,
        tokens.starts,
        tokens.ends,
        summary._basic_upper(),
        summary._OPENERS,
        plain,
        summary._ZIPF.table,
        summary.RARITY_CAP,
        summary.TOP_NAMES,
    )
    assert decided
    assert len(missing) == 0  # the side made first put its words in the table
    rated = kernels.rate_side(*given, summary._ZIPF.table, summary.RARITY_CAP)[0]
    assert [part.tobytes() for part in side] == [part.tobytes() for part in (*given[:2], rated)]
    marks, decided = kernels.name_marks(
        points, tokens.starts, tokens.ends, summary._basic_upper(), summary._OPENERS
    )
    if decided:
        assert np.array_equal(marks, plain)


def _masked(text: str, rng: random.Random, read_only: bool) -> tuple[str, Tokens, np.ndarray]:
    """A text with its tokens and content stem ids, some words left out (as boilerplate is),
    the arrays read-only or not."""
    text, tokens, stems = _stemmed(text)
    left_out = np.array([rng.random() < 0.1 for _ in range(len(stems))], dtype=bool)
    stems = np.where(left_out, -1, stems)
    if read_only:
        tokens = Tokens(tokens.starts, tokens.ends, tokens.ids.copy())
        tokens.ids.flags.writeable = False
        stems.flags.writeable = False
    return text, tokens, stems


def _same_measures(
    source: tuple[str, Tokens, np.ndarray], target: tuple[str, Tokens, np.ndarray]
) -> None:
    """The compiled measures of a pair are numpy's, up to the rounding of their sums; made
    exact, and with the target window, they are numpy's bit for bit."""
    plain, window = summary.summary_features(*source, *target)
    fast = summary._compiled_features(*source, *target)
    assert fast.shape == (len(summary.SUMMARY_FEATURES),)
    assert np.allclose(fast, plain, rtol=0.0, atol=1e-12)
    _let_go_only_under_the_floor(source, target, fast)
    sides = summary._text_side(*source), summary._text_side(*target)
    exact = summary._exact_features(*sides, fast)
    assert np.array(exact).tobytes() == np.array(plain).tobytes()
    found = summary._summary_kernels.summary_window(
        sides[0][0], sides[0][1], sides[1][0], sides[1][1], summary.SUMMARY_WINDOW
    )
    assert found == window


def _let_go_only_under_the_floor(
    source: tuple[str, Tokens, np.ndarray],
    target: tuple[str, Tokens, np.ndarray],
    whole: np.ndarray,
) -> None:
    """The compiled loop given a floor lets the pair go (before its costliest measures) only
    when the score of its `whole` measures is under that floor, and otherwise makes the same
    measures. With a target side not rated yet it lets go of no pair the rated side keeps, and
    stops (UNRATED) short of every pair the rated side makes whole."""
    kernels = summary._summary_kernels
    sides = summary._text_side(*source), summary._text_side(*target)
    text, tokens, stems = target
    unrated = summary._side_entry(text, Tokens(tokens.starts, tokens.ends, tokens.ids), stems)[1]
    score = summary._SUMMARY_BIAS + float(summary._WEIGHTS @ whole)
    for floor in (score - 1.0, score - 1e-6, score + 1e-6, score + 0.5, score + 3.0, score + 30.0):
        (features, made), (_, made_unrated) = (
            kernels.pair_features(
                *sides[0],
                *target_side,
                summary.SUMMARY_WINDOW,
                summary.NAME_PRIOR,
                summary.CONTEXT_RADIUS,
                summary.CONTEXT_AGREEMENT,
                summary._WEIGHTS,
                summary._SUMMARY_BIAS,
                floor,
            )
            for target_side in (sides[1], unrated)
        )
        if made == kernels.WHOLE:
            assert features.tobytes() == whole.tobytes()
            assert made_unrated == kernels.UNRATED
        else:
            assert made == kernels.LET_GO
            assert score < floor + 1e-12
            assert made_unrated != kernels.WHOLE


@settings(PROPERTY, max_examples=60)
@given(
    st.one_of(reused_pairs(max_rate=0.6), st.tuples(articles(), articles())),
    st.randoms(use_true_random=False),
)
def test_compiled_measures_are_the_numpy_ones(pair: tuple[str, str], rng: random.Random) -> None:
    """The compiled measures of a pair (`_summary_kernels.pair_features`) are numpy's
    (`summary_features`), both ways round, with words left out of the content stems and with
    read-only arrays."""
    source, target = (_masked(text, rng, rng.random() < 0.3) for text in pair)
    _same_measures(source, target)
    _same_measures(target, source)


def test_compiled_measures_of_real_pairs_are_the_numpy_ones() -> None:
    """The compiled measures are numpy's on real PAN summaries and unrelated pairs."""
    pairs = _pan_pairs("summary-obfuscation", 10) + _pan_pairs("no-plagiarism", 10)
    for source, target in pairs:
        _same_measures(_stemmed(source), _stemmed(target))
        _same_measures(_stemmed(target), _stemmed(source))


@settings(PROPERTY, max_examples=40)
@given(reused_pairs(max_rate=0.6), st.integers(1, 3))
def test_the_window_is_numpys_when_the_texts_share_no_stem_pair(
    pair: tuple[str, str], every: int
) -> None:
    """With no two content words side by side in the target (every other word left out, and
    more), the target window is the one holding the most content words the source has, as
    numpy's."""
    source, (text, tokens, stems) = (_stemmed(text) for text in pair)
    stems = stems.copy()
    stems[::2] = -1
    stems[1 :: 2 * every] = -1
    target = text, tokens, stems
    _same_measures(source, target)
    _same_measures(target, source)


def test_find_summary_reports_numpys_probability_and_window() -> None:
    """A summary found is reported with the probability and target window of numpy's
    measures (on real PAN summaries, at any threshold under their probability)."""
    reported = 0
    for source, target in _pan_pairs("summary-obfuscation", 10):
        s, t = _stemmed(source), _stemmed(target)
        features, window = summary.summary_features(*s, *t)
        probability = summary.summary_probability(features)
        found = summary.find_summary(*s, *t, threshold=min(probability, 0.5))
        assert found is not None
        assert found[1:] == (window, probability)
        reported += 1
    assert reported


def _restemmed(text: str, rng: random.Random) -> tuple[str, Tokens, np.ndarray]:
    """A text whose words do not each keep one content stem: some uses take another word's
    stem or a stem of their own, some are left out."""
    text, tokens, stems = _masked(text, rng, read_only=False)
    stems = stems.copy()
    kept = stems[stems >= 0]
    for k in range(len(stems)):
        if stems[k] >= 0 and rng.random() < 0.15:
            stems[k] = int(rng.choice(kept.tolist())) if rng.random() < 0.5 else rng.randrange(9)
    return text, tokens, stems


@settings(PROPERTY, max_examples=40)
@given(
    st.one_of(reused_pairs(max_rate=0.6), st.tuples(articles(), articles())),
    st.randoms(use_true_random=False),
)
def test_compiled_measures_are_the_numpy_ones_when_a_word_has_several_stems(
    pair: tuple[str, str], rng: random.Random
) -> None:
    """A side numbers each word's stem once for all its uses; a word with uses of other stems
    (not made by `align`, which gives a word one stem) is numbered use by use, with the same
    measures."""
    source, target = (_restemmed(text, rng) for text in pair)
    _same_measures(source, target)
    _same_measures(target, source)


def _first_use_numbers(values: list[object]) -> tuple[list[object], list[int]]:
    """The distinct values in order of first use, and each value's number among them."""
    numbers: dict[object, int] = {}
    at = [numbers.setdefault(value, len(numbers)) for value in values]
    return list(numbers), at


def _plain_side(text: str, tokens: Tokens, stems: np.ndarray) -> dict[str, list]:
    """A text's side parts, its tables aside, made word by word in Python as the compiled side
    (`_summary_kernels.text_side`) documents them: the reference it is tested against."""
    kernels = summary._summary_kernels
    ids, stem_ids = tokens.ids.view(np.int64).tolist(), stems.tolist()
    marks = summary.name_marks_plain(text, tokens).tolist()
    rarity = summary._rarities_plain(text, tokens)[0].tolist()
    count = len(ids)
    words, word_at = _first_use_numbers(ids)
    content = [k for k in range(count) if stem_ids[k] >= 0]
    vocabulary, numbers = _first_use_numbers([stem_ids[k] for k in content])
    stem_at = [-1] * count
    for k, number in zip(content, numbers, strict=True):
        stem_at[k] = number
    paired = [k for k in range(count - 1) if stem_ids[k] >= 0 and stem_ids[k + 1] >= 0]
    factor = int(kernels.PAIR_FACTOR)
    hashes = [((stem_ids[k] % 2**64) * factor % 2**64) ^ (stem_ids[k + 1] % 2**64) for k in paired]
    pairs, numbers = _first_use_numbers([value - 2**64 * (value >= 2**63) for value in hashes])
    pair_at = [-1] * count
    for k, number in zip(paired, numbers, strict=True):
        pair_at[k] = number
    named = [k for k in range(count) if marks[k]]
    name_word, name_at = _first_use_numbers([word_at[k] for k in named])
    uses = [name_at.count(name) for name in range(len(name_word))]
    word_name = [name_word.index(word) if word in name_word else -1 for word in range(len(words))]
    used_at = [
        k
        for name in range(len(name_word))
        for k, j in zip(named, name_at, strict=True)
        if j == name
    ]
    stemmed, stemmed_at = _first_use_numbers([(word_at[k], stem_at[k]) for k in content])
    return {
        "WORD_AT": word_at,
        "STEM_AT": stem_at,
        "PAIR_AT": pair_at,
        "WORD_USES": [word_at.count(word) for word in range(len(words))],
        "WORD_NAME": word_name,
        "COUNTS": [stem_at.count(stem) for stem in range(len(vocabulary))],
        "NAME_WORD": name_word,
        "USES": uses,
        "USE_STARTS": [sum(uses[:name]) for name in range(len(uses) + 1)],
        "USED_AT": used_at,
        "TOP": sorted(range(len(uses)), key=lambda name: (-uses[name], name))[: summary.TOP_NAMES],
        "STEMMED_WORD": [word for word, _ in stemmed],
        "STEMMED_STEM": [stem for _, stem in stemmed],
        "STEMMED_FIRST": [content[stemmed_at.index(j)] for j in range(len(stemmed))],
        "WORDS": words,
        "VOCABULARY": vocabulary,
        "PAIRS": pairs,
        "NAMES": [words[word] for word in name_word],
        "RARITY": rarity,
        "NAME_RARITY": [rarity[named[name_at.index(name)]] for name in range(len(name_word))],
    }


# The parts of a side's indices, ids and reals by name, in the kernels' order.
_SIDE_PARTS, _ID_PARTS, _REAL_PARTS = (
    sorted(names.split(), key=lambda name: getattr(summary._summary_kernels, f"_{name}"))
    for names in (
        "WORD_AT STEM_AT PAIR_AT WORD_USES WORD_NAME STEM_SLOTS PAIR_SLOTS COUNTS "
        "NAME_WORD USES USE_STARTS USED_AT TOP NAME_SLOTS STEMMED_WORD STEMMED_STEM STEMMED_FIRST",
        "WORDS VOCABULARY PAIRS NAMES",
        "RARITY NAME_RARITY",
    )
)
# Each table of a side, with the id part it numbers.
_SIDE_TABLES = {
    "STEM_SLOTS": "VOCABULARY",
    "PAIR_SLOTS": "PAIRS",
    "NAME_SLOTS": "NAMES",
}


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(articles(max_paragraphs=2), _NAME_TEXT, st.text(max_size=200)),
    st.randoms(use_true_random=False),
    st.sampled_from(["kept", "masked", "restemmed"]),
)
def test_a_side_holds_its_parts_as_made_word_by_word(
    text: str, rng: random.Random, stemming: str
) -> None:
    """Every part of a text's compiled side (written in place, parts of unknown length moved
    up at the end) is the part made word by word in Python, and each of its tables finds each
    value it numbers (and nothing else): with words left out of the content stems, and with
    words that have several stems."""
    if stemming == "kept":
        text, tokens, stems = _stemmed(text)
    elif stemming == "masked":
        text, tokens, stems = _masked(text, rng, read_only=rng.random() < 0.3)
    else:
        text, tokens, stems = _restemmed(text, rng)
    kernels = summary._summary_kernels
    indices, ids, reals = summary._text_side(text, tokens, stems)
    found = {}
    for parts, array in ((_SIDE_PARTS, indices), (_ID_PARTS, ids), (_REAL_PARTS, reals)):
        for part, name in enumerate(parts):
            found[name] = array[int(array[part]) : int(array[part + 1])]
    assert indices.dtype == np.int32 and ids.dtype == np.int64 and reals.dtype == np.float64
    assert int(indices[len(_SIDE_PARTS)]) == len(indices)
    for name, expected in _plain_side(text, tokens, stems).items():
        if name in ("RARITY", "NAME_RARITY"):
            assert found[name].tobytes() == np.array(expected, dtype=np.float64).tobytes()
        else:
            assert found[name].tolist() == expected, name
    for table, values in _SIDE_TABLES.items():
        slots, held = found[table], found[values]
        assert len(slots) >= 2 * len(held) and len(slots) & (len(slots) - 1) == 0
        for number, value in enumerate(held.tolist()):
            assert kernels._index(slots, held, value) == number
        for value in rng.sample(range(-(2**40), 2**40), 20):
            if value not in set(held.tolist()):
                assert kernels._index(slots, held, value) == -1


@settings(max_examples=30, deadline=None)
@given(st.one_of(articles(max_paragraphs=2), st.text(max_size=200)), st.booleans())
def test_a_side_keeps_the_numpy_rarities_and_coverage(text: str, read_only: bool) -> None:
    """The rarities and background coverage made with a text's side (which `_rarities` then
    gives) are numpy's, bit for bit, whether its words are in the table yet or not."""
    for sample in (text, TRICKY, RUSSIAN):
        plain, coverage = summary._rarities_plain(sample, tokenize(sample))
        for table in (summary._ZipfTable(), summary._ZIPF):
            _, tokens, stems = _masked(sample, random.Random(0), read_only)
            kept, summary._ZIPF = summary._ZIPF, table
            try:
                _, _, reals = summary._text_side(sample, tokens, stems)
            finally:
                summary._ZIPF = kept
            rarity, side_coverage = summary._rarities(sample, tokens)
            assert rarity.tobytes() == plain.tobytes()
            assert side_coverage == coverage
            assert len(rarity) == 0 or np.shares_memory(rarity, reals)


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(articles(max_paragraphs=2), _NAME_TEXT, st.text(max_size=200)),
    st.randoms(use_true_random=False),
)
def test_a_side_not_rated_yet_is_the_rated_side_but_its_words_rarities(
    text: str, rng: random.Random
) -> None:
    """A text's side as first made (`_side_entry`, its coverage not known) holds the rated
    side's parts bit for bit, its names' rarities included, all but its words' rarities (an
    empty part); rated, it is the rated side: whether its words are in the table yet or not."""
    kernels = summary._summary_kernels
    for sample in (text, TRICKY, ENGLISH):
        _, tokens, stems = _masked(sample, rng, read_only=rng.random() < 0.3)
        rated = summary._text_side(sample, tokens, stems)
        for table in (summary._ZipfTable(), summary._ZIPF):
            kept, summary._ZIPF = summary._ZIPF, table
            try:
                fresh = Tokens(tokens.starts, tokens.ends, tokens.ids)
                stored, (indices, ids, reals), covered = summary._side_entry(sample, fresh, stems)
                assert stored is stems and covered is None
                assert indices.tobytes() == rated[0].tobytes()
                assert ids.tobytes() == rated[1].tobytes()
                parts = [reals[int(reals[part]) : int(reals[part + 1])] for part in range(2)]
                rated_parts = [rated[2][int(rated[2][p]) : int(rated[2][p + 1])] for p in range(2)]
                assert len(parts[kernels._RARITY]) == 0
                assert parts[kernels._NAME_RARITY].tobytes() == (
                    rated_parts[kernels._NAME_RARITY].tobytes()
                )
                assert summary._text_side(sample, fresh, stems)[2].tobytes() == rated[2].tobytes()
                assert summary._SIDES[fresh][2] is not None
            finally:
                summary._ZIPF = kept


def test_find_summary_scores_the_pairs_summary_applies_to() -> None:
    """`find_summary` scores a pair exactly when `summary_applies` says the model does: with
    the threshold at 0, every such pair is found (whichever text, source or target, is not
    English or too short)."""
    short = "A short note. " * 10
    for source in (ENGLISH, RUSSIAN, SPANISH, short):
        for target in (ENGLISH, RUSSIAN, SPANISH, short):
            s, t = _stemmed(source), _stemmed(target)
            applies = summary.summary_applies(s[0], s[1], t[0], t[1])
            s, t = _stemmed(source), _stemmed(target)  # fresh tokens: nothing kept
            assert (summary.find_summary(*s, *t, threshold=0.0) is not None) == applies
