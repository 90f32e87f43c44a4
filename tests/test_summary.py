"""Tests for the summary model's background: how common a word is in general text."""

from __future__ import annotations

import numpy as np
import pytest

from wiretrace import align, compare, summary
from wiretrace.shingle import Tokens, tokenize

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
