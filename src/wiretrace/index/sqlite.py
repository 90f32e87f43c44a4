"""An index store in one SQLite file: documents, postings by bucket key, metadata (WAL mode).

Bucket keys are uint64; SQLite integers are signed, so keys are stored as the int64 with the same
bits. Every `write` is one transaction: a writer killed at any moment leaves the file as it was
after its last committed batch. WAL mode lets readers query while one writer adds.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wiretrace.errors import StoreError
from wiretrace.index.store import Entry, Stored, published_seconds
from wiretrace.models import Document

# Bound parameters per statement stay under SQLite's default limit of 32766.
_CHUNK = 30_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (
    number INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    outlet TEXT,
    published TEXT,
    published_at REAL,
    title TEXT,
    url TEXT,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_outlet ON documents (outlet);
CREATE INDEX IF NOT EXISTS documents_published_at ON documents (published_at);
CREATE TABLE IF NOT EXISTS postings (
    key INTEGER NOT NULL,
    number INTEGER NOT NULL,
    PRIMARY KEY (key, number)
) WITHOUT ROWID;
"""
_COLUMNS = "number, id, outlet, published, title, url, text"


def _signed(keys: np.ndarray) -> np.ndarray:
    return np.asarray(keys, dtype=np.uint64).view(np.int64)


class SQLiteStore:
    """The index in a SQLite file at `path` (see the module docstring)."""

    def __init__(self, path: str, *, create: bool) -> None:
        self.location = path
        if not create and not Path(path).is_file():
            raise StoreError(
                f"{path}: no index here; build one with `wiretrace index add {path} INPUT...`"
            )
        try:
            # isolation_level=None: transactions are begun and committed explicitly.
            self._connection = sqlite3.connect(
                path, timeout=60.0, isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            # A page cache that can hold a 90k-article index: postings are inserted in key
            # order, all over the B-tree, and every page read from the file costs a system call.
            # SQLite takes the memory only as pages are used.
            self._connection.execute("PRAGMA cache_size=-2097152")  # at most 2 GiB
            self._connection.execute("PRAGMA mmap_size=17179869184")  # read pages by mmap
            self._connection.execute("PRAGMA busy_timeout=60000")
            tables = {row[0] for row in self._connection.execute("SELECT name FROM sqlite_master")}
            if tables and "postings" not in tables:
                raise StoreError(
                    f"{path}: is a SQLite database but not a wiretrace index "
                    f"(tables: {', '.join(sorted(tables))}); give another file name"
                )
            if "postings" not in tables:
                self._connection.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"{path}: cannot be opened as a wiretrace index ({error}); give the path of an "
                "index made by `wiretrace index add`, or a new file name"
            ) from None

    def read_meta(self) -> dict[str, str]:
        return dict(self._connection.execute("SELECT name, value FROM meta").fetchall())

    def write_meta(self, meta: Mapping[str, str]) -> None:
        with self._transaction():
            self._connection.executemany(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                sorted(meta.items()),
            )

    def lookup_ids(self, ids: Sequence[str]) -> dict[str, Stored]:
        found: dict[str, Stored] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            rows = self._connection.execute(
                "SELECT id, number, content_hash FROM documents "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(chunk),),
            )
            found.update({row[0]: Stored(row[1], row[2]) for row in rows})
        return found

    def write(self, entries: Sequence[Entry], removed: Sequence[tuple[int, np.ndarray]]) -> None:
        execute, executemany = self._connection.execute, self._connection.executemany
        with self._transaction():
            for number, keys in removed:
                executemany(
                    "DELETE FROM postings WHERE key = ? AND number = ?",
                    ((key, number) for key in _signed(keys).tolist()),
                )
                execute("DELETE FROM documents WHERE number = ?", (number,))
            all_keys: list[np.ndarray] = []
            all_numbers: list[np.ndarray] = []
            for entry in entries:
                doc = entry.document
                cursor = execute(
                    "INSERT INTO documents (id, content_hash, outlet, published, published_at, "
                    "title, url, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc.id,
                        entry.content_hash,
                        doc.outlet,
                        doc.published,
                        published_seconds(doc),
                        doc.title,
                        doc.url,
                        doc.text,
                    ),
                )
                all_keys.append(_signed(entry.keys))
                all_numbers.append(np.full(len(entry.keys), cursor.lastrowid, dtype=np.int64))
            if all_keys:
                keys = np.concatenate(all_keys)
                numbers = np.concatenate(all_numbers)
                # Sorted by key, the inserts walk the postings B-tree once in order.
                order = np.lexsort((numbers, keys))
                executemany(
                    "INSERT OR IGNORE INTO postings (key, number) VALUES (?, ?)",
                    zip(keys[order].tolist(), numbers[order].tolist(), strict=True),
                )

    def find(self, keys: np.ndarray, max_size: int) -> tuple[np.ndarray, np.ndarray]:
        found_keys: list[int] = []
        found_numbers: list[int] = []
        ordered = np.unique(_signed(keys))
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            rows = self._connection.execute(
                "SELECT key, number FROM postings WHERE key IN (SELECT value FROM json_each(?))",
                ("[" + ",".join(map(str, chunk.tolist())) + "]",),
            ).fetchall()
            for key, number in rows:
                found_keys.append(key)
                found_numbers.append(number)
        result_keys = np.array(found_keys, dtype=np.int64)
        result_numbers = np.array(found_numbers, dtype=np.int64)
        if len(result_keys):
            values, inverse, counts = np.unique(
                result_keys, return_inverse=True, return_counts=True
            )
            small = counts[inverse] <= max_size
            result_keys, result_numbers = result_keys[small], result_numbers[small]
        return result_keys.view(np.uint64), result_numbers

    def fetch(
        self, numbers: Iterable[int], since: float | None = None, until: float | None = None
    ) -> list[tuple[int, Document]]:
        wanted = [int(number) for number in numbers]
        clauses, parameters = "", []
        if since is not None:
            clauses += " AND published_at >= ?"
            parameters.append(since)
        if until is not None:
            clauses += " AND published_at <= ?"
            parameters.append(until)
        found: dict[int, Document] = {}
        for start in range(0, len(wanted), _CHUNK):
            rows = self._connection.execute(
                f"SELECT {_COLUMNS} FROM documents "
                f"WHERE number IN (SELECT value FROM json_each(?)){clauses}",
                (json.dumps(wanted[start : start + _CHUNK]), *parameters),
            )
            found.update({row[0]: _document(row) for row in rows})
        return [(number, found[number]) for number in wanted if number in found]

    def outlets(self, numbers: Sequence[int]) -> dict[int, str | None]:
        found: dict[int, str | None] = {}
        for start in range(0, len(numbers), _CHUNK):
            rows = self._connection.execute(
                "SELECT number, outlet FROM documents WHERE number IN (SELECT value FROM json_each(?))",
                (json.dumps([int(n) for n in numbers[start : start + _CHUNK]]),),
            )
            found.update(rows)
        return found

    def get(self, document_id: str) -> Document | None:
        row = self._connection.execute(
            f"SELECT {_COLUMNS} FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        return _document(row) if row else None

    def count(self) -> int:
        return int(self._connection.execute("SELECT count(*) FROM documents").fetchone()[0])

    def describe(self, top: int) -> dict[str, Any]:
        first, last = self._connection.execute(
            "SELECT min(published_at), max(published_at) FROM documents"
        ).fetchone()
        outlets = self._connection.execute(
            "SELECT outlet, count(*) AS documents FROM documents "
            "GROUP BY outlet ORDER BY documents DESC, outlet LIMIT ?",
            (top,),
        ).fetchall()
        distinct = self._connection.execute(
            "SELECT count(DISTINCT outlet) FROM documents"
        ).fetchone()[0]
        sizes = {
            suffix or "file": os.path.getsize(self.location + suffix)
            for suffix in ("", "-wal")
            if os.path.exists(self.location + suffix)
        }
        return {
            "backend": "sqlite",
            "bytes": sum(sizes.values()),
            "first_published": first,
            "last_published": last,
            "outlets": distinct,
            "top_outlets": [{"outlet": outlet, "documents": count} for outlet, count in outlets],
            "postings": None,
        }

    def integrity(self) -> str:
        """SQLite's `PRAGMA integrity_check` result ("ok" when the file is sound)."""
        return str(self._connection.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self._connection.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection, self.location)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (one writer at a time)."""

    def __init__(self, connection: sqlite3.Connection, location: str) -> None:
        self._connection = connection
        self._location = location

    def __enter__(self) -> None:
        try:
            self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(
                f"{self._location}: cannot start writing ({error}); another `index add` may be "
                "writing to it: wait for it to finish"
            ) from None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self._connection.execute("COMMIT")
        else:
            self._connection.execute("ROLLBACK")


def _document(row: tuple[Any, ...]) -> Document:
    _, document_id, outlet, published, title, url, text = row
    return Document(
        id=document_id, text=text, outlet=outlet, published=published, title=title, url=url
    )
