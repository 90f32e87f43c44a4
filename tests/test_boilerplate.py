"""Boilerplate: text one outlet repeats across many of its documents makes no reuse."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import wiretrace
from strategies import _build_vocabulary
from wiretrace.boilerplate import boilerplate_mask, find_boilerplate
from wiretrace.shingle import tokenize

VOCABULARY = _build_vocabulary()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=60),
    st.lists(st.integers(0, 2**64 - 1), max_size=60),
)
def test_mask_matches_a_plain_membership_test(hashes: list[int], extra: list[int]) -> None:
    """The binary-search mask equals np.isin against the boilerplate set."""
    document = np.array(hashes + extra[:5], dtype=np.uint64)
    boilerplate = np.unique(np.array(extra + hashes[:3], dtype=np.uint64))
    tokens = tokenize(" ".join(["word"] * (len(document) + 2)))
    shingles, _ = boilerplate_mask(document, boilerplate, tokens, 3)
    assert shingles.tolist() == np.isin(document, boilerplate).tolist()


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
