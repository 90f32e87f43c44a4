"""The shared records: how they pickle."""

from __future__ import annotations

import copy
import copyreg
import io
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from strategies import PROPERTY, reused_pairs
from wiretrace import compare
from wiretrace.models import Document, Edit, Pair, Passage, replay_edits

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


@pytest.mark.parametrize(
    ("given", "kept", "when"),
    [
        (datetime(2024, 3, 5, 9, 30, tzinfo=UTC), "2024-03-05T09:30:00Z", (2024, 3, 5, 9, 30)),
        (datetime(2024, 3, 5, 9, 30), "2024-03-05T09:30:00Z", (2024, 3, 5, 9, 30)),
        (
            datetime(2024, 3, 5, 11, 30, tzinfo=timezone(timedelta(hours=2))),
            "2024-03-05T09:30:00Z",
            (2024, 3, 5, 9, 30),
        ),
        (date(2024, 3, 5), "2024-03-05", (2024, 3, 5, 0, 0)),
        ("2024-03-05 09:30", "2024-03-05T09:30:00Z", (2024, 3, 5, 9, 30)),
        ("2024-03-05T11:30:00+02:00", "2024-03-05T09:30:00Z", (2024, 3, 5, 9, 30)),
        (1709631000, "2024-03-05T09:30:00Z", (2024, 3, 5, 9, 30)),
        ("2024-03-05", "2024-03-05", (2024, 3, 5, 0, 0)),
        ("2024-03-05T09:30:00Z", "2024-03-05T09:30:00Z", (2024, 3, 5, 9, 30)),
        ("  ", None, None),
        (None, None, None),
    ],
)
def test_a_document_keeps_its_publication_time_in_the_readers_form(
    given: object, kept: str | None, when: tuple[int, ...] | None
) -> None:
    """A Document made in code keeps `published` as the readers do (a date, or a UTC time
    ending in Z), however the date or time is given: before, a datetime was kept as its str
    ("2024-03-05 09:30:00+00:00"), which `published_at` could not read, and epoch seconds were
    read as a date in the year 1709."""
    document = Document(id="a", text="Text.", published=given)
    assert document.published == kept
    expected = None if when is None else datetime(*when, tzinfo=UTC)  # type: ignore[misc]
    assert document.published_at == expected


def test_documents_given_datetimes_are_ordered_by_them() -> None:
    """Publication times given as datetimes orient a pair (before, they were not read: the
    direction came from the text alone)."""
    story = (
        "The port authority said on Tuesday that the northern terminal would close for repairs "
        "for three weeks, moving container traffic to the southern docks while engineers "
        "replace the cranes damaged in last month's storm. "
    )
    later = Document(
        id="later", text=story + "Shipping firms warned of delays.", published=datetime(2024, 3, 6)
    )
    earlier = Document(id="earlier", text=story, published=datetime(2024, 3, 5, 8, 0))
    (pair,) = compare(later, earlier).pairs
    assert (pair.source, pair.target, pair.direction) == ("earlier", "later", "published")


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"id": None}, TypeError, r"^a Document's id must be a str or an integer, got NoneType"),
        ({"id": b"a"}, TypeError, r"^a Document's id must be a str or an integer, got bytes"),
        ({"id": 1.5}, TypeError, r"^a Document's id must be a str or an integer, got float"),
        ({"text": None}, TypeError, r"^a Document's text must be a str, got NoneType None$"),
        ({"text": b"x"}, TypeError, r"got bytes b'x'; decode bytes to str first$"),
        (
            {"published": "yesterday"},
            ValueError,
            r"^a Document's published must be a date or time, got str 'yesterday': give an ISO",
        ),
    ],
)
def test_a_document_refuses_fields_it_cannot_keep(
    fields: dict[str, object], error: type[Exception], message: str
) -> None:
    """A Document refuses an id or text of another type, and a publication date it cannot read,
    naming the field (before: the ids "None" and "b'a'", attrs's message for the text, and a
    date kept that `published_at` read as unknown)."""
    with pytest.raises(error, match=message):
        Document(**{"id": "a", "text": "Text.", **fields})  # type: ignore[arg-type]


def test_a_document_id_given_as_a_whole_number_is_kept_as_its_str() -> None:
    """Whole-number ids (as JSON records give them; numpy's too) are kept as their str."""
    assert Document(id=7, text="x").id == "7"
    assert Document(id=np.int64(7), text="x").id == "7"
