"""The run's documents with texts on disk: what goes in comes back, in order, by position and id."""

from __future__ import annotations

import gc
import os
import pickle
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wiretrace
from wiretrace.corpus import Corpus, documents_by_id, metadata, text_by_id
from wiretrace.errors import InputError, WorkspaceError
from wiretrace.ingest import load_documents
from wiretrace.models import Document

TEXTS = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, max_size=12))
def test_texts_come_back_exactly(texts: list[str]) -> None:
    """Any text (lone surrogates and empty texts included) reads back as given, by position,
    by slice and by id."""
    documents = [
        Document(id=f"d{k}", text=text, outlet="o" if k % 2 else None, published="2020-01-02")
        for k, text in enumerate(texts)
    ]
    with Corpus.collect(documents) as corpus:
        assert len(corpus) == len(documents)
        assert list(corpus) == documents
        assert corpus[1:4] == documents[1:4]
        if documents:
            assert corpus[-1] == documents[-1]
        by_id = corpus.by_id()
        assert all(by_id[doc.id] == doc for doc in documents)
        assert corpus.chars == sum(len(text) for text in texts)
        assert corpus == tuple(documents)


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6), st.integers(0, 70))
def test_lengths_headers_and_openings_are_those_of_the_documents(
    texts: list[str], chars: int
) -> None:
    """What a corpus tells without reading a whole text (its length, its metadata, its first
    characters) is what the document read back has, for any text."""
    documents = [
        Document(id=f"d{k}", text=text, outlet="o", title=f"t{k}") for k, text in enumerate(texts)
    ]
    with Corpus.collect(documents) as corpus:
        for position, document in enumerate(documents):
            assert corpus.length(position) == len(document.text)
            assert corpus.header(position) == Document(
                id=f"d{position}", text="", outlet="o", title=f"t{position}"
            )
            assert corpus.prefix(position, chars) == document.text[:chars]
            assert corpus.text(position) == corpus.text(position - len(documents))
            assert corpus.text(position) == document.text
        with pytest.raises(IndexError):
            corpus.text(len(documents))


@settings(max_examples=50, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6), st.integers(-8, 8), st.integers(-8, 8) | st.none())
def test_metadata_and_texts_by_id_are_those_of_the_documents(
    texts: list[str], start: int, stop: int | None
) -> None:
    """`metadata(documents, start, stop)` gives the fields and text lengths of the documents
    slicing gives, and `text_by_id` each one's text, for a corpus and for a list alike."""
    documents = [
        Document(id=f"d{k}", text=text, outlet="o" if k % 2 else None, title=text, url="u")
        for k, text in enumerate(texts)
    ]
    expected = [
        (d.id, d.outlet, d.published, d.title, d.url, len(d.text)) for d in documents[start:stop]
    ]
    assert list(metadata(documents, start, stop)) == expected
    assert [text_by_id(documents_by_id(documents), d.id) for d in documents] == texts
    with Corpus.collect(documents) as corpus:
        assert list(metadata(corpus, start, stop)) == expected
        assert [text_by_id(corpus.by_id(), d.id) for d in documents] == texts
        with pytest.raises(KeyError):
            text_by_id(corpus.by_id(), "missing")


def test_a_repeated_id_names_both_positions() -> None:
    documents = [Document(id="a", text="x"), Document(id="b", text="y"), Document(id="a", text="z")]
    with pytest.raises(InputError) as caught:
        Corpus.collect(documents)
    assert str(caught.value) == (
        "documents[2]: duplicate document id 'a' (also documents[0]); ids must be unique"
    )


def test_out_of_range_and_missing_ids() -> None:
    with Corpus.collect([Document(id="a", text="x")]) as corpus:
        with pytest.raises(IndexError):
            corpus[1]
        with pytest.raises(KeyError):
            corpus.by_id()["b"]
        assert "a" in corpus.by_id() and "b" not in corpus.by_id()


def test_appending_what_is_not_a_document_is_a_type_error() -> None:
    """`append` of something other than a Document raises TypeError naming its position (it
    failed with AttributeError: 'str' object has no attribute 'id')."""
    with Corpus() as corpus:
        corpus.append(Document(id="a", text="x"))
        for value, shown in [("text", "str 'text'"), ({"id": "b"}, "dict {'id': 'b'}")]:
            with pytest.raises(TypeError) as caught:
                corpus.append(value)  # type: ignore[arg-type]
            assert str(caught.value) == f"documents[1] must be a wiretrace.Document, got {shown}"
        assert len(corpus) == 1


def test_a_corpus_position_that_is_no_whole_number_is_a_type_error() -> None:
    """A position that is not a whole number (a str, a float, a bool, None) raises TypeError
    showing it, an id saying how to look it up (a str failed with "'<' not supported")."""
    with Corpus.collect([Document(id="a", text="x")]) as corpus:
        with pytest.raises(TypeError) as caught:
            corpus["a"]  # type: ignore[call-overload]
        assert str(caught.value) == (
            "corpus[...] takes a whole number or a slice, got str 'a'; to find a document by "
            "id, use corpus.by_id()['a']"
        )
        for value, shown in [(1.0, "float 1.0"), (True, "bool True"), (None, "NoneType None")]:
            with pytest.raises(TypeError, match=f"a whole number or a slice, got {shown}$"):
                corpus[value]  # type: ignore[call-overload]
            with pytest.raises(TypeError, match=f"^a position must be a whole number, got {shown}"):
                corpus.text(value)  # type: ignore[arg-type]
        assert corpus[np.int64(0)] == corpus[-1] == Document(id="a", text="x")


@pytest.mark.parametrize("position", [1, -2])
def test_a_corpus_position_out_of_range_says_how_many_documents_it_holds(position: int) -> None:
    """A position out of range, by index, text, length or header, raises IndexError showing it
    and the corpus's size (it showed -1 for -2, or numpy's or a list's own message)."""
    with Corpus.collect([Document(id="a", text="x")]) as corpus:
        for read in (corpus.__getitem__, corpus.text, corpus.length, corpus.header):
            with pytest.raises(IndexError) as caught:
                read(position)
            assert str(caught.value) == (
                f"position {position} is out of range: the corpus holds 1 document"
            )


@pytest.mark.parametrize(
    ("documents", "shown"),
    [
        (None, "None"),
        ("ab", "a str 'ab'; put one in a list"),
        ({"a": 1}, "a dict {'a': 1}"),
        (5, "int 5"),
    ],
)
def test_collecting_what_is_not_a_collection_of_documents_is_a_type_error(
    documents: object, shown: str
) -> None:
    """None, a str, a mapping or a number to collect raises TypeError saying what is expected
    (None failed with "'NoneType' object is not iterable", a str with "documents[0] must be a
    wiretrace.Document, got str 'a'")."""
    with pytest.raises(TypeError) as caught:
        Corpus.collect(documents)  # type: ignore[arg-type]
    assert (
        str(caught.value) == f"documents must be a list of wiretrace.Document records, got {shown}"
    )


def test_the_position_of_an_unknown_id_says_so() -> None:
    """An id the corpus does not hold raises KeyError saying so (it was a bare KeyError('b')),
    an id that is no str TypeError."""
    with Corpus.collect([Document(id="a", text="x")]) as corpus:
        assert corpus.position("a") == 0
        with pytest.raises(KeyError) as caught:
            corpus.position("b")
        assert caught.value.args == ("no document with id 'b' in the corpus",)
        with pytest.raises(TypeError, match=r"^a document id is a str, got list \['a'\]$"):
            corpus.position(["a"])  # type: ignore[arg-type]


def test_a_corpus_being_collected_cannot_be_read_yet() -> None:
    """Reading a document before `seal` (a negative index too) raises ValueError saying to seal
    it first (it failed an assertion)."""
    with Corpus() as corpus:
        corpus.append(Document(id="a", text="x"))
        for read in (corpus.__getitem__, corpus.text, lambda k: corpus.prefix(k, 1)):
            for position in (0, -1):
                with pytest.raises(ValueError) as caught:
                    read(position)
                assert str(caught.value) == (
                    "the corpus is still being collected: call its seal() before reading its "
                    "documents (Corpus.collect does)"
                )


def test_a_sealed_or_closed_corpus_takes_no_more_documents() -> None:
    """`append` after `seal` or `close` raises ValueError (it was taken after seal, the corpus
    then failing to read it, and failed with "write to closed file" after close)."""
    corpus = Corpus.collect([Document(id="a", text="x")])
    with pytest.raises(ValueError, match="^the corpus is sealed: no document can be added"):
        corpus.append(Document(id="b", text="y"))
    assert len(corpus) == 1
    corpus.close()
    with pytest.raises(ValueError, match="^the corpus is closed$"):
        corpus.append(Document(id="b", text="y"))


def test_a_closed_corpus_cannot_be_read() -> None:
    corpus = Corpus.collect([Document(id="a", text="x")])
    corpus.close()
    with pytest.raises(ValueError, match="closed"):
        corpus.text(0)


def test_pickled_it_becomes_a_tuple() -> None:
    documents = [Document(id="a", text="one"), Document(id="b", text="two")]
    with Corpus.collect(documents) as corpus:
        assert pickle.loads(pickle.dumps(corpus)) == tuple(documents)


def test_documents_by_id_of_a_tuple_is_a_dict() -> None:
    documents = (Document(id="a", text="one"),)
    assert documents_by_id(documents) == {"a": documents[0]}


def test_find_reuse_keeps_no_input_document() -> None:
    """Texts go to disk as they are read: once find_reuse returns, none of the documents it was
    given is still held (the report reads them back from its corpus)."""
    corpus = load_documents(wiretrace.demo_corpus_path()).documents
    given: list[weakref.ref[Document]] = []

    def documents() -> Iterator[Document]:
        for doc in corpus:
            copy = Document(
                id=doc.id, text=str(doc.text), outlet=doc.outlet, published=doc.published
            )
            given.append(weakref.ref(copy))
            yield copy

    report = wiretrace.find_reuse(documents(), jobs=1)
    gc.collect()
    assert isinstance(report.documents, Corpus)
    assert len(given) == len(corpus)
    assert [ref() for ref in given] == [None] * len(corpus)
    assert [doc.text for doc in report.documents] == [doc.text for doc in corpus]
    assert report.pairs


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the texts to a full disk (/dev/full fails every write with ENOSPC) stops with a
    message naming the folder and what to do, not a traceback from deep inside."""
    monkeypatch.setattr(
        "wiretrace.corpus.tempfile.TemporaryFile",
        lambda **_: open("/dev/full", "w+b", buffering=0),  # noqa: SIM115
    )
    with pytest.raises(WorkspaceError) as caught:
        Corpus.collect([Document(id="a", text="x" * 10_000)], directory="/scratch")
    assert str(caught.value) == (
        "cannot write the run's temporary files in /scratch (No space left on device); they "
        "need room for the input texts and a few times that for working sets: set TMPDIR to a "
        "folder on a disk with more room"
    )


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"in .*gone \(No such file or directory\)"):
        Corpus(str(tmp_path / "gone"))


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=12), st.data())
def test_texts_are_read_back_by_byte_offsets_while_collecting_and_after(
    texts: list[str], data: st.DataObject
) -> None:
    """`read_texts` of a range's `byte_offsets` gives its texts exactly (lone surrogates and
    empty texts included), while the corpus is still being collected and once sealed."""
    start = data.draw(st.integers(0, len(texts) - 1))
    stop = data.draw(st.integers(start + 1, len(texts)))
    corpus = Corpus()
    with corpus:
        for k, text in enumerate(texts):
            corpus.append(Document(id=f"d{k}", text=text))
        assert corpus.read_texts(corpus.byte_offsets(start, stop)) == texts[start:stop]
        corpus.seal()
        assert corpus.read_texts(corpus.byte_offsets(start, stop)) == texts[start:stop]
        assert [document.text for document in corpus] == texts


_FORKED: list[Corpus] = []


def _texts_at(offsets: list[int]) -> list[str]:
    return _FORKED[0].read_texts(offsets)


def test_a_process_forked_while_collecting_reads_the_texts_added_after() -> None:
    """A worker forked before documents are added reads their texts by the offsets it is
    given (the file is written out for it first), as the first stage's workers do."""
    import multiprocessing

    corpus = Corpus()
    _FORKED[:] = [corpus]  # shared with the worker as the pipeline's are: by the fork
    with corpus, multiprocessing.get_context("fork").Pool(1) as pool:
        corpus.append(Document(id="a", text="before the fork"))
        pool.apply(os.getpid)  # the worker is forked now
        texts = ["after — the fork", "", "x" * 5_000]
        for k, text in enumerate(texts):
            corpus.append(Document(id=f"d{k}", text=text))
        offsets = corpus.byte_offsets(1, 4)
        assert pool.apply(_texts_at, (offsets,)) == texts
    _FORKED.clear()
