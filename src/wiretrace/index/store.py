"""Persistent candidate search: what an index store keeps, and opening one by its location.

A store holds documents (with a content hash), for each document its LSH bucket keys in
postings (key -> document number) for lookup, and per-outlet shingle counts (outlet-salted
shingle hash -> the number of documents holding it) to tell an outlet's boilerplate. It knows
nothing of how keys are made; the composer (`wiretrace.archive`) makes them and checks the
settings kept in the store's metadata.
Stores: SQLite files (`wiretrace.index.sqlite`, the default) and Redis servers
(`wiretrace.index.redis`, for ``redis://host:port/db`` locations).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import attrs
import numpy as np

from wiretrace.models import Document


def content_hash(document: Document) -> str:
    """A digest of everything stored of a document: re-adding it unchanged can be skipped."""
    fields = [document.text, document.outlet, document.published, document.title, document.url]
    encoded = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def published_seconds(document: Document) -> float | None:
    """The document's publication time as POSIX seconds (None when unknown)."""
    moment = document.published_at
    return moment.timestamp() if moment is not None else None


@attrs.frozen
class Entry:
    """One document as a store keeps it: the record, its content hash, its bucket keys and its
    shingles.

    `keys` are the document's unique LSH bucket keys and `shingles` its unique outlet-salted
    shingle hashes (both uint64, sorted).
    """

    document: Document
    content_hash: str
    keys: np.ndarray = attrs.field(repr=False, eq=False)
    shingles: np.ndarray = attrs.field(repr=False, eq=False)


@attrs.frozen
class Removed:
    """A stored document to remove: its number, and the keys and shingles it was stored with."""

    number: int
    keys: np.ndarray = attrs.field(repr=False, eq=False)
    shingles: np.ndarray = attrs.field(repr=False, eq=False)


@attrs.frozen
class Stored:
    """What a store knows of a document id without reading its text."""

    number: int
    content_hash: str


class Snapshot(Protocol):
    """What `Store.snapshot` gives: `changed`, read after the block, is True when a write came
    in between the block's reads (never, for a store that holds one state for them)."""

    changed: bool


class Store(Protocol):
    """The operations every index store provides (one writer, any number of readers)."""

    location: str

    def read_meta(self) -> dict[str, str]:
        """The index metadata (settings and versions); empty for a new index."""
        ...

    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Record the index metadata."""
        ...

    def lookup_ids(self, ids: Sequence[str]) -> dict[str, Stored]:
        """The stored number and content hash of each of these ids that is in the index."""
        ...

    def write(
        self, entries: Sequence[Entry], removed: Sequence[Removed], *, more: bool = False
    ) -> None:
        """In one transaction: remove documents (with their keys and shingle counts), then add
        `entries` (with theirs). Then merge runs (`more`: more batches of the same add follow,
        see `runs.adding_merges`; else see `runs.to_merge`).

        Either all of it is stored or none of it is, whenever the writer is stopped.
        """
        ...

    def compact(self) -> None:
        """Merge runs until each kind has at most `runs.MAX_RUNS` (at the end of an add)."""
        ...

    def find(self, keys: np.ndarray, max_size: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, numbers): the postings of these keys whose bucket holds at most `max_size`
        documents; one row per (key, document)."""
        ...

    def shingle_counts(self, hashes: np.ndarray, at_least: int = 1) -> np.ndarray:
        """For each outlet-salted shingle hash, the number of stored documents holding it:
        exact when it is at least `at_least`, else perhaps given as 0."""
        ...

    def fetch(
        self, numbers: Iterable[int], since: float | None = None, until: float | None = None
    ) -> list[tuple[int, Document]]:
        """The documents with these numbers, published in [since, until] when either is given
        (a document without a date is then left out), in the order of `numbers`."""
        ...

    def outlets(self, numbers: Sequence[int]) -> dict[int, str | None]:
        """The outlet of each of these documents (without reading their texts)."""
        ...

    def get(self, document_id: str) -> Document | None:
        """The stored document with this id, or None."""
        ...

    def count(self) -> int:
        """The number of documents stored."""
        ...

    def describe(self, top: int) -> dict[str, Any]:
        """Size, date range (POSIX seconds) and the `top` outlets by document count."""
        ...

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """A context for reads that must see one state of the index while another process
        writes (so that a document replaced meanwhile is not found by one read and missing in
        the next). Where the store cannot hold one state, the `Snapshot` it gives says after
        the block whether a write came in between, and the reads are done again."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def is_redis_location(location: str | os.PathLike[str]) -> bool:
    """True for ``redis://`` and ``rediss://`` URLs, which name a Redis store."""
    text = os.fspath(location)
    return text.startswith(("redis://", "rediss://", "unix://"))


def open_store(location: str | os.PathLike[str], *, create: bool) -> Store:
    """The store at `location`: a Redis URL, else a SQLite file path.

    `create` makes a new, empty index when there is none; without it a missing index raises
    `StoreError`.
    """
    if is_redis_location(location):
        from wiretrace.index.redis import RedisStore  # the redis client is an optional extra

        return RedisStore(os.fspath(location), create=create)
    from wiretrace.index.sqlite import SQLiteStore

    return SQLiteStore(os.fspath(location), create=create)
