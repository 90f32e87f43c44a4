"""An index store in one SQLite file: documents, sorted runs of postings and shingle counts
(`wiretrace.index.runs`), metadata (WAL mode).

Each chunk of a run is one row of table `chunks`, its row id the run's number shifted left by 32
bits plus the chunk's position; a run's fences and frequent keys are blobs in table `runs`. A
removed document's number is listed in `removed` and its postings left out of lookups until a
merge drops them; its shingles are counted -1.

Every `write` and every merge is one transaction: a writer killed at any moment leaves the file
as it was after its last commit. WAL mode lets readers query while one writer adds; a lookup reads
in one read transaction, so it sees a merge either whole or not at all.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wiretrace._arrays import distinct
from wiretrace.errors import StoreError
from wiretrace.index import runs as lsm
from wiretrace.index.runs import COUNTS, END, POSTINGS
from wiretrace.index.store import Entry, Removed, Stored, published_seconds
from wiretrace.ingest.fields import normalize_date
from wiretrace.models import Document

FORMAT_TABLES = {"meta", "documents", "removed", "runs", "chunks"}

# Bound parameters per statement stay under SQLite's default limit of 32766.
_CHUNK_IDS = 30_000
_RUN_BITS = 32  # a chunk's row id is run << _RUN_BITS | position
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE TABLE IF NOT EXISTS removed (
    number INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    kind INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    fences BLOB NOT NULL,
    frequent BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    entries BLOB NOT NULL
);
"""
_COLUMNS = "number, id, outlet, published, title, url, text"


def _check_index_path(path: str, *, create: bool) -> None:
    """StoreError unless `path` can name an index file (an existing one, unless `create`)."""
    if not path or path == ":memory:":
        raise StoreError(
            f"{path!r} does not name an index file (SQLite would keep nothing on disk); give a "
            "file name such as news.db"
        )
    where = Path(path)
    if where.is_dir():
        raise StoreError(
            f"{path}: is a folder; give the path of an index file (e.g. {where / 'news.db'})"
        )
    if where.exists() and not where.is_file():
        raise StoreError(f"{path}: is not a regular file; give the path of an index file")
    if where.exists():
        return
    if not where.parent.is_dir():
        raise StoreError(
            f"{path}: folder {str(where.parent)!r} does not exist; create it, or give a path in "
            "an existing folder"
        )
    if not create:
        raise StoreError(
            f"{path}: no index here; build one with `wiretrace index add {path} INPUT...`"
        )


def _cannot_open(path: str, error: sqlite3.DatabaseError) -> str:
    return (
        f"{path}: cannot be opened as a wiretrace index ({error}); give the path of an index "
        "made by `wiretrace index add`, or a new file name"
    )


class SQLiteStore:
    """The index in a SQLite file at `path` (see the module docstring)."""

    def __init__(self, path: str, *, create: bool) -> None:
        self.location = path
        self._fences: dict[int, np.ndarray] = {}
        self._frequent: dict[int, np.ndarray] = {}
        self._compaction = lsm.Compaction()
        _check_index_path(path, create=create)
        try:
            # isolation_level=None: transactions are begun and committed explicitly.
            self._connection = sqlite3.connect(
                path, timeout=60.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as error:
            raise StoreError(_cannot_open(path, error)) from None
        try:
            self._open(path, create=create)
        except BaseException:
            # The -wal and -shm files that SQLite made to read a file in WAL mode go when its
            # last connection closes; the command may end without closing it, so here.
            self._connection.close()
            raise

    def _open(self, path: str, *, create: bool) -> None:
        """Check that the file is an index (or nothing yet, with `create`) before it is changed
        in any way: another program's database is not turned to WAL mode, an empty file not
        made an index by a command that only reads one. Then set the connection up, and make
        the tables of a new index."""
        try:
            tables = {
                row[0]
                for row in self._connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            } - {"sqlite_sequence"}
        except sqlite3.DatabaseError as error:
            raise StoreError(_cannot_open(path, error)) from None
        if tables and "meta" in tables and not tables >= FORMAT_TABLES:
            raise StoreError(
                f"{path}: is an index in an older format (wiretrace.index/1) that this wiretrace "
                "cannot read; build it again from the same inputs into a new file with "
                "`wiretrace index add NEW.db INPUT...`"
            )
        if tables and not tables >= FORMAT_TABLES:
            raise StoreError(
                f"{path}: is a SQLite database but not a wiretrace index "
                f"(tables: {', '.join(sorted(tables))}); give another file name"
            )
        if not tables and not create:
            raise StoreError(
                f"{path}: holds no index; build one with `wiretrace index add {path} INPUT...`"
            )
        try:
            # Pages of 16 KiB (for a new file): 8 chunks a page, and a quarter of the system
            # calls to write a batch or a merge.
            self._connection.execute("PRAGMA page_size=16384")
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            # Merges write hundreds of megabytes in one transaction: give the WAL file back to
            # the file system after each checkpoint instead of keeping it at its largest.
            self._connection.execute("PRAGMA journal_size_limit=67108864")
            self._connection.execute("PRAGMA cache_size=-65536")  # at most 64 MiB: mmap reads
            self._connection.execute("PRAGMA mmap_size=17179869184")  # read pages by mmap
            self._connection.execute("PRAGMA busy_timeout=60000")
        except sqlite3.DatabaseError as error:
            raise StoreError(_cannot_open(path, error)) from None
        if not tables:
            try:
                self._connection.executescript(_SCHEMA)
            except sqlite3.DatabaseError as error:
                raise StoreError(
                    f"{path}: cannot make an index here ({error}); check that you may write to "
                    "the file and its folder, with room left on the disk"
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
        for start in range(0, len(ids), _CHUNK_IDS):
            chunk = list(ids[start : start + _CHUNK_IDS])
            rows = self._connection.execute(
                "SELECT id, number, content_hash FROM documents "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(chunk),),
            )
            found.update({row[0]: Stored(row[1], row[2]) for row in rows})
        return found

    # Writing

    def write(
        self, entries: Sequence[Entry], removed: Sequence[Removed], *, more: bool = False
    ) -> None:
        execute = self._connection.execute
        with self._transaction():
            for gone in removed:
                execute("DELETE FROM documents WHERE number = ?", (gone.number,))
                execute("INSERT OR IGNORE INTO removed (number) VALUES (?)", (gone.number,))
            numbers: list[int] = []
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
                numbers.append(int(cursor.lastrowid or 0))
            keys, owners = lsm.batch_postings([entry.keys for entry in entries], numbers)
            self._write_run(POSTINGS, keys, owners)
            hashes, counts = lsm.batch_counts(
                [entry.shingles for entry in entries], [gone.shingles for gone in removed]
            )
            self._write_run(COUNTS, hashes, counts)
        for kind, batch in ((POSTINGS, len(keys)), (COUNTS, len(hashes))):
            self._compact(kind, batch or None, more=more)

    def compact(self) -> None:
        for kind in (POSTINGS, COUNTS):
            self._compact(kind, None)

    def _write_run(self, kind: int, keys: np.ndarray, values: np.ndarray) -> None:
        """Store sorted `keys` and their `values` as a new run (inside a transaction)."""
        if len(keys) == 0:
            return
        writer = _RunWriter(self._connection, kind)
        writer.append(keys, values)
        writer.finish()

    def _compact(self, kind: int, batch: int | None, *, more: bool = False) -> None:
        """Merge runs of `kind` after a batch (see `runs.Compaction.after_write`)."""
        listed, merge = (lambda: self._runs(kind)), (lambda runs: self._merge(kind, runs))
        self._compaction.after_write(kind, batch, more, listed, merge)

    def _runs(self, kind: int) -> list[tuple[int, int]]:
        return self._connection.execute(
            "SELECT run, entries FROM runs WHERE kind = ? ORDER BY run", (kind,)
        ).fetchall()

    def _merge(self, kind: int, runs: list[int]) -> None:
        """Replace `runs` by one run of their entries, in one transaction (see
        `runs.merge_slice`)."""
        with self._transaction():
            self._merge_runs(kind, runs, whole=len(self._runs(kind)) == len(runs))

    def _merge_runs(self, kind: int, runs: list[int], *, whole: bool) -> None:
        """`_merge` inside its transaction. `whole`: these are all the runs of `kind`, so no
        other run holds a removed number."""
        removed = self._removed()
        fences = [self._fence(run) for run in runs]
        bounds = lsm.slice_bounds(sum(len(fence) for fence in fences) * lsm.CHUNK)
        writer = _RunWriter(self._connection, kind)
        freed = [0] * len(runs)
        for low, high in zip(bounds[:-1], bounds[1:], strict=True):
            keys_parts, values_parts = [], []
            for number, (run, fence) in enumerate(zip(runs, fences, strict=True)):
                keys, values = self._read_range(kind, run, fence, low, high)
                keys_parts.append(keys)
                values_parts.append(values)
                # Chunks no later slice reads are deleted now, so that the merged run's pages
                # reuse theirs instead of growing the file by the size of the merge.
                done = lsm.end_chunk(fence, END) if high >= END else lsm.first_chunk(fence, high)
                if done > freed[number]:
                    self._connection.execute(
                        "DELETE FROM chunks WHERE id BETWEEN ? AND ?",
                        ((run << _RUN_BITS) + freed[number], (run << _RUN_BITS) + done - 1),
                    )
                    freed[number] = done
            writer.append(*lsm.merge_slice(kind, keys_parts, values_parts, removed))
        writer.finish()
        for run in runs:
            self._connection.execute("DELETE FROM runs WHERE run = ?", (run,))
        if kind == POSTINGS and whole:
            self._connection.execute("DELETE FROM removed")

    def _read_range(
        self, kind: int, run: int, fence: np.ndarray, low: int, high: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The entries of `run` with low <= key < high (Python ints, high up to runs.END)."""
        first, last = lsm.first_chunk(fence, low), lsm.end_chunk(fence, high)
        if last <= first:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        rows = self._connection.execute(
            "SELECT entries FROM chunks WHERE id BETWEEN ? AND ? ORDER BY id",
            ((run << _RUN_BITS) + first, (run << _RUN_BITS) + last - 1),
        ).fetchall()
        keys, values = lsm.decode([row[0] for row in rows], kind)
        inside = lsm.in_range(keys, low, high)
        return keys[inside], values[inside].astype(np.int64)

    def _removed(self) -> np.ndarray:
        rows = self._connection.execute("SELECT number FROM removed").fetchall()
        return np.array([row[0] for row in rows], dtype=np.int64)

    def _fence(self, run: int) -> np.ndarray:
        """The first key of each chunk of `run` (kept: runs never change)."""
        fence = self._fences.get(run)
        if fence is None:
            blob = self._connection.execute(
                "SELECT fences FROM runs WHERE run = ?", (run,)
            ).fetchone()[0]
            fence = self._fences[run] = lsm.to_array(blob)
        return fence

    def _frequent_keys(self, run: int) -> np.ndarray:
        """The keys of a count run's frequent entries, sorted (kept: runs never change)."""
        frequent = self._frequent.get(run)
        if frequent is None:
            blob = self._connection.execute(
                "SELECT frequent FROM runs WHERE run = ?", (run,)
            ).fetchone()[0]
            frequent = self._frequent[run] = lsm.to_array(blob)
        return frequent

    # Looking up

    def _lookup(self, kind: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(keys, values): every entry of `kind` with one of these keys (sorted, unique uint64),
        over all runs; inside the caller's read transaction."""
        found_keys: list[np.ndarray] = []
        found_values: list[np.ndarray] = []
        for run, _ in self._runs(kind):
            positions = lsm.chunk_positions(self._fence(run), keys)
            ids = ((run << _RUN_BITS) + positions).tolist()
            blobs: list[bytes] = []
            for start in range(0, len(ids), _CHUNK_IDS):
                rows = self._connection.execute(
                    "SELECT entries FROM chunks WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(ids[start : start + _CHUNK_IDS]),),
                ).fetchall()
                blobs += [row[0] for row in rows]
            run_keys, run_values = lsm.match(*lsm.decode(blobs, kind), keys)
            found_keys.append(run_keys)
            found_values.append(run_values)
        if not found_keys:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_keys), np.concatenate(found_values)

    def find(self, keys: np.ndarray, max_size: int) -> tuple[np.ndarray, np.ndarray]:
        unique = distinct(np.asarray(keys, dtype=np.uint64))
        with _Reading(self):
            found_keys, numbers = self._lookup(POSTINGS, unique)
            removed = self._removed()
        return lsm.live_postings(found_keys, numbers, removed, max_size)

    def shingle_counts(self, hashes: np.ndarray, at_least: int = 1) -> np.ndarray:
        hashes = np.asarray(hashes, dtype=np.uint64)
        unique = distinct(hashes)
        with _Reading(self):
            frequent = [self._frequent_keys(run) for run, _ in self._runs(COUNTS)]
            maybe = lsm.may_reach(unique, frequent, at_least)
            wanted = unique if maybe is None else unique[maybe]
            found, counts = self._lookup(COUNTS, wanted)
        return lsm.counts_of(hashes, unique, found, counts)

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
        for start in range(0, len(wanted), _CHUNK_IDS):
            rows = self._connection.execute(
                f"SELECT {_COLUMNS} FROM documents "
                f"WHERE number IN (SELECT value FROM json_each(?)){clauses}",
                (json.dumps(wanted[start : start + _CHUNK_IDS]), *parameters),
            )
            found.update({row[0]: _document(row) for row in rows})
        return [(number, found[number]) for number in wanted if number in found]

    def outlets(self, numbers: Sequence[int]) -> dict[int, str | None]:
        found: dict[int, str | None] = {}
        for start in range(0, len(numbers), _CHUNK_IDS):
            rows = self._connection.execute(
                "SELECT number, outlet FROM documents WHERE number IN (SELECT value FROM json_each(?))",
                (json.dumps([int(n) for n in numbers[start : start + _CHUNK_IDS]]),),
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
        entries = dict(
            self._connection.execute("SELECT kind, sum(entries) FROM runs GROUP BY kind")
        )
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
            "postings": int(entries.get(POSTINGS) or 0),
        }

    def postings(self) -> tuple[np.ndarray, np.ndarray]:
        """Every stored posting as (keys, numbers), removed documents' left out (for checks)."""
        keys_parts, numbers_parts = [], []
        for run, _ in self._runs(POSTINGS):
            keys, numbers = self._read_range(POSTINGS, run, self._fence(run), 0, END)
            keys_parts.append(keys)
            numbers_parts.append(numbers)
        keys = np.concatenate(keys_parts) if keys_parts else np.zeros(0, dtype=np.uint64)
        numbers = np.concatenate(numbers_parts) if numbers_parts else np.zeros(0, dtype=np.int64)
        kept = ~np.isin(numbers, self._removed())
        return keys[kept], numbers[kept]

    def integrity(self) -> str:
        """SQLite's `PRAGMA integrity_check` result ("ok" when the file is sound)."""
        return str(self._connection.execute("PRAGMA integrity_check").fetchone()[0])

    def snapshot(self) -> _Reading:
        """One read transaction around all the reads inside it (SQLite's WAL snapshot)."""
        return _Reading(self)

    def close(self) -> None:
        self._connection.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection, self.location)


class _RunWriter:
    """Writes one new run, chunk by chunk, from sorted pieces appended in key order."""

    def __init__(self, connection: sqlite3.Connection, kind: int) -> None:
        self._connection = connection
        self._kind = kind
        cursor = connection.execute(
            "INSERT INTO runs (kind, entries, fences, frequent) VALUES (?, 0, x'', x'')", (kind,)
        )
        self._run = int(cursor.lastrowid or 0)
        self._keys: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._pending = 0
        self._fences: list[np.ndarray] = []
        self._frequent: list[np.ndarray] = []
        self._written = 0

    def append(self, keys: np.ndarray, values: np.ndarray) -> None:
        self._keys.append(keys)
        self._values.append(values)
        self._pending += len(keys)
        if self._pending >= 64 * lsm.CHUNK:
            self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        keys = np.concatenate(self._keys) if self._keys else np.zeros(0, dtype=np.uint64)
        values = np.concatenate(self._values) if self._values else np.zeros(0, dtype=np.int64)
        whole = len(keys) if final else len(keys) - len(keys) % lsm.CHUNK
        packed = lsm.pack(self._kind, keys[:whole], values[:whole])
        base = (self._run << _RUN_BITS) + self._written // lsm.CHUNK
        self._connection.executemany(
            "INSERT INTO chunks (id, entries) VALUES (?, ?)",
            ((base + number, blob) for number, blob in enumerate(packed.chunks)),
        )
        self._fences.append(packed.fences)
        self._frequent.append(packed.frequent)
        self._written += whole
        self._keys, self._values = [keys[whole:]], [values[whole:]]
        self._pending = len(keys) - whole

    def finish(self) -> None:
        self._flush(final=True)
        if self._written == 0:
            self._connection.execute("DELETE FROM runs WHERE run = ?", (self._run,))
            return
        self._connection.execute(
            "UPDATE runs SET entries = ?, fences = ?, frequent = ? WHERE run = ?",
            (
                self._written,
                lsm.to_bytes(np.concatenate(self._fences)),
                lsm.to_bytes(np.concatenate(self._frequent)),
                self._run,
            ),
        )


class _Reading:
    """One read transaction (a snapshot: a merge committed meanwhile is not seen half-done);
    nothing when the connection is in a transaction already. Forgets the fences of runs
    merged away."""

    changed = False  # the reads inside see one snapshot

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self._began = False

    def __enter__(self) -> _Reading:
        connection = self._store._connection
        if not connection.in_transaction:
            connection.execute("BEGIN")
            self._began = True
        live = {run for (run,) in connection.execute("SELECT run FROM runs")}
        for cache in (self._store._fences, self._store._frequent):
            for run in [run for run in cache if run not in live]:
                del cache[run]
        return self

    def __exit__(self, *_: object) -> None:
        if self._began:
            self._store._connection.execute("COMMIT")


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
    # Stored as a Document kept it; an index made before Documents checked their dates may hold
    # one that is none, which reads as unknown (as it did then).
    return Document(
        id=document_id,
        text=text,
        outlet=outlet,
        published=normalize_date(published),
        title=title,
        url=url,
    )
