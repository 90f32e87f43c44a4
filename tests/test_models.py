"""The shared records: how they pickle."""

from __future__ import annotations

import copy
import copyreg
import io
import pickle
from typing import Any

import pytest
from hypothesis import given

from strategies import PROPERTY, reused_pairs
from wiretrace import compare
from wiretrace.models import Edit, Pair, Passage, replay_edits

EDIT = Edit("replace", 4, 9, 4, 10, "sixty", "seventy")
PASSAGE = Passage(
    0, 40, 2, 43, 0.9, 7, 8, 8, edits=[EDIT, Edit("insert", 30, 30, 31, 35, "", "very")]
)
PAIR = Pair("a", "b", "published", 0.5, 0.25, 0.75, [PASSAGE, PASSAGE.reversed()])


class _AttrsDefaultPickler(pickle.Pickler):
    """Pickles the records as attrs's own pickling does: the class, then a dict of the fields
    that `__setstate__` sets (how they were pickled before they had a `__reduce__`)."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in (Edit, Passage, Pair):
            return copyreg.__newobj__, (type(obj),), obj.__getstate__()
        return NotImplemented


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pair_pickles_to_an_equal_pair(protocol: int) -> None:
    """A pair, its passages and their edits come back from a pickle equal, in every protocol."""
    loaded = pickle.loads(pickle.dumps(PAIR, protocol))
    assert loaded == PAIR
    assert type(loaded.passages) is tuple and type(loaded.passages[0].edits) is tuple


def test_a_pair_copies_to_an_equal_pair() -> None:
    """copy and deepcopy (which reduce as pickle does) give equal records."""
    assert copy.copy(PAIR) == PAIR
    assert copy.deepcopy(PAIR) == PAIR


def test_pickles_of_attrs_default_form_still_load() -> None:
    """Records pickled before (attrs's dict of fields) load as equal records."""
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        data = io.BytesIO()
        _AttrsDefaultPickler(data, protocol).dump(PAIR)
        assert data.getvalue() != pickle.dumps(PAIR, protocol)
        assert pickle.loads(data.getvalue()) == PAIR


def test_a_pickle_is_the_class_called_on_the_fields() -> None:
    """A record pickles as its class and its fields' values in order, so loading it checks the
    values as making it does."""
    assert EDIT.__reduce__() == (Edit, ("replace", 4, 9, 4, 10, "sixty", "seventy"))

    class Tampered(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if type(obj) is Edit:
                return Edit, ("replace", 9, 4, 4, 10, "sixty", "seventy")
            return NotImplemented

    data = io.BytesIO()
    Tampered(data).dump(EDIT)
    with pytest.raises(ValueError, match="source_end 4 < source_start 9"):
        pickle.loads(data.getvalue())


@PROPERTY
@given(reused_pairs())
def test_aligned_pairs_pickle_to_equal_pairs(texts: tuple[str, str]) -> None:
    """Pairs as the align stage makes them (sent from worker processes by pickle) come back
    equal."""
    pairs = compare(*texts).pairs
    assert pickle.loads(pickle.dumps(pairs, pickle.HIGHEST_PROTOCOL)) == pairs


def test_a_bool_is_not_an_offset() -> None:
    with pytest.raises(TypeError, match="source_start must be an integer"):
        Edit("equal", True, 1, 0, 1, "a", "a")


def test_replay_edits_refuses_a_source_text_too_short_for_the_passage() -> None:
    """A source text shorter than the passage raises ValueError (before: the edits' words
    without the source's, silently)."""
    with pytest.raises(
        ValueError, match=r"^source_text has 39 characters but the passage ends at 40;"
    ):
        replay_edits("x" * 39, PASSAGE)


@pytest.mark.parametrize(
    ("source_text", "passage", "message"),
    [
        (
            None,
            "passage",
            r"^source_text must be a str \(the source document's text\), got NoneType$",
        ),
        (
            b"text",
            "passage",
            r"^source_text must be a str \(the source document's text\), got bytes$",
        ),
        ("text", None, r"^passage must be a wiretrace\.Passage, got NoneType$"),
    ],
)
def test_replay_edits_refuses_arguments_of_other_types(
    source_text: object, passage: object, message: str
) -> None:
    """replay_edits given a text that is not a str or a passage that is not a Passage raises
    TypeError naming it (before: TypeError or AttributeError from inside)."""
    if passage == "passage":
        passage = PASSAGE
    with pytest.raises(TypeError, match=message):
        replay_edits(source_text, passage)  # type: ignore[arg-type]
