"""A run's documents with their texts in a temporary file: memory holds only what is known of
each document (id, outlet, date, title, url), so a corpus may be larger than memory.

`find_reuse` collects its input into a `Corpus` as it is read, and every later stage (worker
processes, lineage, the report renderers) reads a document's text back when it needs it. The
file is deleted when the corpus is closed or garbage-collected. It is written where temporary
files go (``TMPDIR``), which therefore needs room for the texts (their UTF-8 size).
"""

from __future__ import annotations

import codecs
import itertools
import operator
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, overload

import numpy as np

from wiretrace.errors import InputError, workspace_error
from wiretrace.ingest.fields import check_many, shorten
from wiretrace.models import Document

_ENCODING = ("utf-8", "surrogatepass")  # a str read with errors="surrogateescape" round-trips
# Texts are written through a buffer of 1 MiB, not the default 8 KiB (about one news article):
# one write to the file per chunk of documents (see `byte_offsets`), in half the time.
_WRITE_BUFFER = 1 << 20


class Corpus(Sequence[Document]):
    """Documents in input order, texts on disk; a `Sequence[Document]` that also finds by id.

    Build one with `Corpus.collect(documents)`. Ids are unique. Each `corpus[k]` reads the
    text back (the latest documents read are kept); `by_id()` is a lazy mapping by id.
    """

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory or tempfile.gettempdir()
        try:
            self._file = tempfile.TemporaryFile(  # noqa: SIM115
                prefix="wiretrace-texts-", dir=directory, buffering=_WRITE_BUFFER
            )
        except OSError as error:
            raise workspace_error(error, self._directory) from None
        self._ends: list[int] = []
        self._lengths: list[int] = []
        self._meta: list[tuple[str, str | None, str | None, str | None, str | None]] = []
        self._positions: dict[str, int] = {}
        self._offsets: np.ndarray | None = None
        self._size = 0
        self.chars = 0
        """The number of characters of text held."""
        self._document = lru_cache(maxsize=64)(self._read_document)

    @classmethod
    def collect(cls, documents: Iterable[Document], *, directory: str | None = None) -> Corpus:
        """A corpus of `documents`, read once, in order. A repeated id raises InputError naming
        both positions ("documents[k]"); `documents` that are not a collection of them (None, a
        str, a mapping, a number) TypeError."""
        documents = check_many(documents, "documents", "a list of wiretrace.Document records")
        corpus = cls(directory)
        try:
            for document in documents:
                corpus.append(document)
        except BaseException:
            corpus.close()
            raise
        corpus.seal()
        return corpus

    def append(self, document: Document) -> None:
        """Add a document to a corpus being collected (see `seal`). A repeated id raises
        InputError naming both positions ("documents[k]"), something other than a Document
        TypeError, and a corpus sealed or closed ValueError."""
        position = len(self._meta)
        if not isinstance(document, Document):
            raise TypeError(
                f"documents[{position}] must be a wiretrace.Document, got "
                f"{type(document).__name__} {shorten(document)}"
            )
        if self._file.closed:
            raise ValueError("the corpus is closed")
        if self._offsets is not None:
            raise ValueError(
                "the corpus is sealed: no document can be added after its seal(); collect "
                "them all first"
            )
        first = self._positions.get(document.id)
        if first is not None:
            raise InputError(
                f"duplicate document id {document.id!r} (also documents[{first}]); "
                "ids must be unique",
                input=f"documents[{position}]",
            )
        data = document.text.encode(*_ENCODING)
        try:
            self._file.write(data)
        except OSError as error:
            raise workspace_error(error, self._directory) from None
        self._size += len(data)
        self.chars += len(document.text)
        self._ends.append(self._size)
        self._lengths.append(len(document.text))
        self._positions[document.id] = position
        self._meta.append(
            (document.id, document.outlet, document.published, document.title, document.url)
        )

    def _flush(self) -> None:
        try:
            self._file.flush()
        except OSError as error:
            raise workspace_error(error, self._directory) from None

    def seal(self) -> None:
        """End the collecting: the documents can be read (`corpus[k]`) from now on."""
        self._flush()
        self._offsets = np.array([0, *self._ends], dtype=np.int64)
        self._ends = []

    def byte_offsets(self, start: int, stop: int) -> list[int]:
        """Where the texts of documents `start` to `stop` are in the texts' file: each one's
        first byte, then the last one's end. Their bytes are written out first, so that
        `read_texts` can read them in any process that shares the file, forked before or after
        (also while the corpus is being collected)."""
        if self._offsets is not None:
            return self._offsets[start : stop + 1].tolist()
        self._flush()
        return [self._ends[start - 1] if start else 0, *self._ends[start:stop]]

    def read_texts(self, offsets: list[int]) -> list[str]:
        """The texts that `byte_offsets` placed at `offsets`, with one read."""
        if self._file.closed:
            raise ValueError("the corpus is closed")
        first, last = offsets[0], offsets[-1]
        data = os.pread(self._file.fileno(), last - first, first) if last > first else b""
        return [
            data[start - first : end - first].decode(*_ENCODING)
            for start, end in itertools.pairwise(offsets)
        ]

    def close(self) -> None:
        """Delete the texts' file; the corpus cannot be read afterwards."""
        self._file.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._meta)

    def _read_document(self, position: int) -> Document:
        return self._with_text(position, self._read_text(position))

    def _read_text(self, position: int) -> str:
        start, end = self._span(position)
        # pread: no shared file position, so forked worker processes read side by side.
        data = os.pread(self._file.fileno(), end - start, start) if end > start else b""
        return data.decode(*_ENCODING)

    def _span(self, position: int) -> tuple[int, int]:
        """Where the text at `position` (counted from the start) is in the texts' file; a
        ValueError when it cannot be read (yet, or any longer)."""
        if self._offsets is None:
            raise ValueError(
                "the corpus is still being collected: call its seal() before reading its "
                "documents (Corpus.collect does)"
            )
        if self._file.closed:
            raise ValueError("the corpus is closed")
        return int(self._offsets[position]), int(self._offsets[position + 1])

    def _with_text(self, position: int, text: str) -> Document:
        """The document at `position` from what memory holds of it, with `text`."""
        document_id, outlet, published, title, url = self._meta[position]
        return Document(
            id=document_id, text=text, outlet=outlet, published=published, title=title, url=url
        )

    def text(self, position: int) -> str:
        """The text of the document at `position`, read without making the document (its
        fields were checked when it was added)."""
        return self._read_text(self._index(position))

    def length(self, position: int) -> int:
        """The length in characters of the text at `position` (known without reading it)."""
        return self._lengths[self._index(position)]

    def header(self, position: int) -> Document:
        """The document at `position` without its text (text ""): what memory holds of it."""
        return self._with_text(self._index(position), "")

    def prefix(self, position: int, chars: int) -> str:
        """The first `chars` characters of the text at `position`, reading only those."""
        start, end = self._span(self._index(position))
        data = os.pread(self._file.fileno(), min(end - start, 4 * chars), start)
        # A UTF-8 character is at most 4 bytes: the bytes read hold the characters wanted; a
        # character cut at the end of them is left out.
        decoder = codecs.getincrementaldecoder(_ENCODING[0])(_ENCODING[1])
        return decoder.decode(data, final=end - start <= 4 * chars)[:chars]

    @overload
    def __getitem__(self, position: int) -> Document: ...

    @overload
    def __getitem__(self, position: slice) -> list[Document]: ...

    def __getitem__(self, position: int | slice) -> Document | list[Document]:
        if isinstance(position, slice):
            return [self[k] for k in range(*position.indices(len(self)))]
        return self._document(self._index(position, "corpus[...] takes a whole number or a slice"))

    def _index(self, position: Any, wanted: str = "a position must be a whole number") -> int:
        """`position` counted from the start (a negative one from the end); TypeError saying
        what is `wanted` when it is not a whole number (a numpy integer is one, a bool is not),
        IndexError when out of range."""
        if isinstance(position, bool) or not hasattr(type(position), "__index__"):
            hint = (
                f"; to find a document by id, use corpus.by_id()[{position!r}]"
                if isinstance(position, str)
                else ""
            )
            raise TypeError(f"{wanted}, got {type(position).__name__} {shorten(position)}{hint}")
        index = operator.index(position)
        size = len(self)
        if not -size <= index < size:
            raise IndexError(
                f"position {index} is out of range: the corpus holds {size} "
                f"document{'' if size == 1 else 's'}"
            )
        return index + size if index < 0 else index

    def __iter__(self) -> Iterator[Document]:
        for position in range(len(self)):
            yield self[position]

    def position(self, document_id: str) -> int:
        """The position of the document with this id (KeyError, saying so, when there is none)."""
        try:
            return self._positions[document_id]
        except KeyError:
            raise KeyError(f"no document with id {shorten(document_id)} in the corpus") from None
        except TypeError:  # an unhashable id
            raise TypeError(
                f"a document id is a str, got {type(document_id).__name__} {shorten(document_id)}"
            ) from None

    def by_id(self) -> Mapping[str, Document]:
        """A mapping from id to document that reads each text only when it is looked up."""
        return _ById(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Corpus | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # A corpus sent to another process (or pickled) becomes a plain tuple of documents.
        return (tuple, (list(self),))

    def __repr__(self) -> str:
        return f"<Corpus of {len(self)} documents, {self.chars:,} characters on disk>"


class _ById(Mapping[str, Document]):
    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus

    def __getitem__(self, document_id: str) -> Document:
        return self._corpus[self._corpus.position(document_id)]

    def __contains__(self, document_id: object) -> bool:
        return document_id in self._corpus._positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._corpus._positions)

    def __len__(self) -> int:
        return len(self._corpus)


def documents_by_id(documents: Sequence[Document]) -> Mapping[str, Document]:
    """Documents by id: lazy for a `Corpus` (texts read when looked up), a dict otherwise."""
    if isinstance(documents, Corpus):
        return documents.by_id()
    return {document.id: document for document in documents}


def text_by_id(documents: Mapping[str, Document], document_id: str) -> str:
    """The text of the document with this id in `documents_by_id`'s mapping: a corpus's is read
    without making the document."""
    if isinstance(documents, _ById):
        corpus = documents._corpus
        return corpus.text(corpus.position(document_id))
    return documents[document_id].text


# A document's id, outlet, published, title and url, and its text's length.
Metadata = tuple[str, str | None, str | None, str | None, str | None, int]


def metadata(
    documents: Sequence[Document], start: int = 0, stop: int | None = None
) -> Iterator[Metadata]:
    """Each document's id, outlet, published, title and url, and its text's length (of
    positions `start` to `stop`, by default all): a corpus's as memory holds them, neither text
    read nor document made."""
    positions = range(len(documents))[start:stop]
    if isinstance(documents, Corpus):
        meta, lengths = documents._meta, documents._lengths
        for position in positions:
            yield (*meta[position], lengths[position])
    else:
        for position in positions:
            document = documents[position]
            yield (
                document.id,
                document.outlet,
                document.published,
                document.title,
                document.url,
                len(document.text),
            )


def openings(documents: Sequence[Document], chars: int) -> Iterator[tuple[Document, str]]:
    """Each document (a corpus's without its text, see `Corpus.header`) with its first `chars`
    characters: of a corpus, only those are read."""
    if isinstance(documents, Corpus):
        for position in range(len(documents)):
            yield documents.header(position), documents.prefix(position, chars)
    else:
        for document in documents:
            yield document, document.text[:chars]
