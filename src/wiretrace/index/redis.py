"""An index store on a Redis server, for a team sharing one index (the only module that knows
the redis client library).

Layout, under a prefix (``wiretrace`` unless the URL says ``?prefix=NAME``):

- ``P:meta`` hash: settings and versions; ``P:ids`` hash: document id -> number;
  ``P:next``: the last number given; ``P:doc:N`` hash: one document's fields;
  ``P:outlets`` hash: outlet -> documents; ``P:published`` sorted set: number by POSIX time.
- Postings and shingle counts in sorted runs (`wiretrace.index.runs`): ``P:runs`` hash: run ->
  its kind and entries; ``P:run:R`` hash: chunk position -> chunk blob; ``P:fences:R`` and
  ``P:frequent:R``: the run's fences and frequent keys; ``P:run_next``: the last run number
  given; ``P:removed`` set: numbers of removed documents whose postings a merge has not dropped.
- ``P:pending`` and ``P:garbage`` sets: runs a merge is writing and has not listed yet, and runs
  merged away and not deleted yet; the next writer deletes those a stopped writer left.

A batch (its documents and its two runs) is one MULTI/EXEC transaction. A merge writes its run's
chunks first, then lists it in place of the merged runs in one transaction, then deletes them. A
writer stopped at any moment leaves every document either stored with all its keys or not at all,
and only whole runs listed. A lookup that finds a run merged away meanwhile reads again. Each
batch also increments ``P:generation``: a trace whose reads a batch came between (and so may have
found a replaced document's old number, then not its text) is done again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np

from wiretrace._arrays import distinct
from wiretrace.errors import MissingDependencyError, StoreError
from wiretrace.index import runs as lsm
from wiretrace.index.runs import COUNTS, POSTINGS
from wiretrace.index.store import Entry, Removed, Stored, published_seconds
from wiretrace.ingest.fields import normalize_date
from wiretrace.models import Document

try:
    import redis
except ImportError:  # pragma: no cover - depends on the environment
    redis = None  # type: ignore[assignment]

_NONE = ""  # Redis hashes have no null; empty fields read back as None
_FIELDS_PER_COMMAND = 2_000  # chunk blobs per HSET / HMGET command
_READ_ATTEMPTS = 5


def _require_redis() -> Any:
    if redis is None:
        raise MissingDependencyError(
            "a redis:// index needs the redis client library; install it with "
            "pip install 'wiretrace[redis]'"
        )
    return redis


class RedisStore:
    """The index on the Redis server named by a ``redis://host:port/db[?prefix=NAME]`` URL."""

    def __init__(self, url: str, *, create: bool) -> None:
        client_library = _require_redis()
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = query.pop("prefix", ["wiretrace"])[0]
        self.location = url
        server_url = urlunsplit(parts._replace(query=""))
        try:
            self._client = client_library.Redis.from_url(server_url, socket_timeout=60)
            self._client.ping()
        except (client_library.RedisError, ValueError) as error:
            raise StoreError(
                f"{url}: cannot reach the Redis server ({error}); start it (for example "
                "`redis-server --port 6390 --daemonize yes`) or check the URL"
            ) from None
        if not create and not self._client.exists(self._name("meta")):
            raise StoreError(
                f"{url}: no index here; build one with `wiretrace index add {url} INPUT...`"
            )
        self._fences: dict[int, np.ndarray] = {}
        self._frequent: dict[int, np.ndarray] = {}
        self._compaction = lsm.Compaction()

    def _name(self, suffix: str) -> str:
        return f"{self.prefix}:{suffix}"

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except redis.RedisError as error:
            raise StoreError(f"{self.location}: the Redis server failed ({error})") from None

    def read_meta(self) -> dict[str, str]:
        raw = self._call(self._client.hgetall, self._name("meta"))
        return {key.decode(): value.decode() for key, value in raw.items()}

    def write_meta(self, meta: Mapping[str, str]) -> None:
        self._call(self._client.hset, self._name("meta"), mapping=dict(meta))

    def lookup_ids(self, ids: Sequence[str]) -> dict[str, Stored]:
        if not ids:
            return {}
        numbers = self._call(self._client.hmget, self._name("ids"), list(ids))
        present = [(doc_id, int(n)) for doc_id, n in zip(ids, numbers, strict=True) if n]
        pipe = self._client.pipeline(transaction=False)
        for _, number in present:
            pipe.hget(self._name(f"doc:{number}"), "content_hash")
        hashes = self._call(pipe.execute)
        return {
            doc_id: Stored(number, digest.decode())
            for (doc_id, number), digest in zip(present, hashes, strict=True)
            if digest is not None
        }

    def write(
        self, entries: Sequence[Entry], removed: Sequence[Removed], *, more: bool = False
    ) -> None:
        self._collect()
        first = self._call(self._client.incrby, self._name("next"), len(entries)) - len(entries)
        numbers = [first + offset + 1 for offset in range(len(entries))]
        old = self._old_fields([gone.number for gone in removed])
        pipe = self._client.pipeline(transaction=True)
        pipe.incr(self._name("generation"))
        for gone in removed:
            number, fields = gone.number, old.get(gone.number, {})
            pipe.delete(self._name(f"doc:{number}"))
            pipe.zrem(self._name("published"), number)
            if fields.get("id"):
                pipe.hdel(self._name("ids"), fields["id"])
            pipe.hincrby(self._name("outlets"), fields.get("outlet", _NONE), -1)
            pipe.sadd(self._name("removed"), number)
        for number, entry in zip(numbers, entries, strict=True):
            doc = entry.document
            pipe.hset(
                self._name(f"doc:{number}"),
                mapping={
                    "id": doc.id,
                    "content_hash": entry.content_hash,
                    "text": doc.text,
                    "outlet": doc.outlet or _NONE,
                    "published": doc.published or _NONE,
                    "title": doc.title or _NONE,
                    "url": doc.url or _NONE,
                },
            )
            pipe.hset(self._name("ids"), doc.id, number)
            pipe.hincrby(self._name("outlets"), doc.outlet or _NONE, 1)
            moment = published_seconds(doc)
            if moment is not None:
                pipe.zadd(self._name("published"), {str(number): moment})
        postings = lsm.batch_postings([entry.keys for entry in entries], numbers)
        counts = lsm.batch_counts(
            [entry.shingles for entry in entries], [gone.shingles for gone in removed]
        )
        for kind, (keys, values) in ((POSTINGS, postings), (COUNTS, counts)):
            if len(keys):
                run = self._call(self._client.incr, self._name("run_next"))
                packed = lsm.pack(kind, keys, values)
                self._queue_chunks(pipe, run, 0, packed.chunks)
                self._queue_listing(pipe, run, kind, packed.entries, packed.fences, packed.frequent)
        self._call(pipe.execute)
        for kind, (keys, _) in ((POSTINGS, postings), (COUNTS, counts)):
            self._compact(kind, len(keys) or None, more=more)

    def compact(self) -> None:
        for kind in (POSTINGS, COUNTS):
            self._compact(kind, None)

    def _queue_chunks(self, pipe: Any, run: int, position: int, chunks: Sequence[bytes]) -> None:
        for start in range(0, len(chunks), _FIELDS_PER_COMMAND):
            piece = chunks[start : start + _FIELDS_PER_COMMAND]
            mapping = {position + start + offset: blob for offset, blob in enumerate(piece)}
            pipe.hset(self._name(f"run:{run}"), mapping=mapping)

    def _queue_listing(
        self,
        pipe: Any,
        run: int,
        kind: int,
        entries: int,
        fences: np.ndarray,
        frequent: np.ndarray,
    ) -> None:
        pipe.set(self._name(f"fences:{run}"), lsm.to_bytes(fences))
        pipe.set(self._name(f"frequent:{run}"), lsm.to_bytes(frequent))
        pipe.hset(self._name("runs"), run, f"{kind} {entries}")

    def _collect(self) -> None:
        """Delete the runs a stopped writer left unlisted (being written, or merged away)."""
        leftovers = self._call(self._client.sunion, self._name("pending"), self._name("garbage"))
        if not leftovers:
            return
        listed = set(self._call(self._client.hkeys, self._name("runs")))
        for member in leftovers:
            if member in listed:
                continue
            run = int(member)
            pipe = self._client.pipeline(transaction=True)
            pipe.unlink(
                self._name(f"run:{run}"), self._name(f"fences:{run}"), self._name(f"frequent:{run}")
            )
            pipe.srem(self._name("pending"), run)
            pipe.srem(self._name("garbage"), run)
            self._call(pipe.execute)

    def _runs(self, kind: int) -> list[tuple[int, int]]:
        listed = self._call(self._client.hgetall, self._name("runs"))
        found = []
        for run, value in listed.items():
            run_kind, entries = value.split()
            if int(run_kind) == kind:
                found.append((int(run), int(entries)))
        return sorted(found)

    def _compact(self, kind: int, batch: int | None, *, more: bool = False) -> None:
        """Merge runs of `kind` after a batch (see `runs.Compaction.after_write`)."""
        listed, merge = (lambda: self._runs(kind)), (lambda runs: self._merge(kind, runs))
        self._compaction.after_write(kind, batch, more, listed, merge)

    def _merge(self, kind: int, runs: list[int]) -> None:
        """Replace `runs` by one run of their entries (see `runs.merge_slice`)."""
        whole = len(self._runs(kind)) == len(runs)  # no other run holds a removed number
        removed = self._removed()
        fences = [self._fence(run) for run in runs]
        new = self._call(self._client.incr, self._name("run_next"))
        self._call(self._client.sadd, self._name("pending"), new)
        written, all_fences, all_frequent = 0, [], []
        pending_keys: list[np.ndarray] = []
        pending_values: list[np.ndarray] = []
        bounds = lsm.slice_bounds(sum(len(fence) for fence in fences) * lsm.CHUNK)
        for index, (low, high) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            keys_parts, values_parts = [], []
            for run, fence in zip(runs, fences, strict=True):
                keys, values = self._read_range(kind, run, fence, low, high)
                keys_parts.append(keys)
                values_parts.append(values)
            keys, values = lsm.merge_slice(kind, keys_parts, values_parts, removed)
            pending_keys.append(keys)
            pending_values.append(values)
            keys, values = np.concatenate(pending_keys), np.concatenate(pending_values)
            last = index == len(bounds) - 2
            whole_chunks = len(keys) if last else len(keys) - len(keys) % lsm.CHUNK
            packed = lsm.pack(kind, keys[:whole_chunks], values[:whole_chunks])
            pipe = self._client.pipeline(transaction=False)
            self._queue_chunks(pipe, new, written // lsm.CHUNK, packed.chunks)
            self._call(pipe.execute)
            written += packed.entries
            all_fences.append(packed.fences)
            all_frequent.append(packed.frequent)
            pending_keys, pending_values = [keys[whole_chunks:]], [values[whole_chunks:]]
        pipe = self._client.pipeline(transaction=True)
        if written:
            self._queue_listing(
                pipe, new, kind, written, np.concatenate(all_fences), np.concatenate(all_frequent)
            )
        pipe.hdel(self._name("runs"), *runs)
        pipe.sadd(self._name("garbage"), *runs)
        pipe.srem(self._name("pending"), new)
        if not written:
            pipe.sadd(self._name("garbage"), new)
        if kind == POSTINGS and whole:
            pipe.delete(self._name("removed"))
        self._call(pipe.execute)
        self._collect()

    def _read_range(
        self, kind: int, run: int, fence: np.ndarray, low: int, high: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The entries of `run` with low <= key < high (Python ints, high up to runs.END)."""
        first, last = lsm.first_chunk(fence, low), lsm.end_chunk(fence, high)
        read = self._chunks(run, list(range(first, last)))
        blobs = [blob for blob in read if blob is not None]
        if len(blobs) < len(read):
            raise StoreError(f"{self.location}: run {run} is incomplete; another writer is at work")
        keys, values = lsm.decode(blobs, kind)
        inside = lsm.in_range(keys, low, high)
        return keys[inside], values[inside].astype(np.int64)

    def _chunks(self, run: int, positions: list[int]) -> list[bytes | None]:
        pipe = self._client.pipeline(transaction=False)
        for start in range(0, len(positions), _FIELDS_PER_COMMAND):
            pipe.hmget(self._name(f"run:{run}"), positions[start : start + _FIELDS_PER_COMMAND])
        return [blob for part in self._call(pipe.execute) for blob in part] if positions else []

    def _removed(self) -> np.ndarray:
        members = self._call(self._client.smembers, self._name("removed"))
        return np.array(sorted(int(member) for member in members), dtype=np.int64)

    def _fence(self, run: int) -> np.ndarray:
        return self._cached(self._fences, "fences", run)

    def _cached(self, cache: dict[int, np.ndarray], name: str, run: int) -> np.ndarray:
        """A run's fences or frequent keys (kept: runs never change); KeyError when the run is
        gone (merged away meanwhile)."""
        found = cache.get(run)
        if found is None:
            blob = self._call(self._client.get, self._name(f"{name}:{run}"))
            if blob is None:
                raise KeyError(run)
            found = cache[run] = lsm.to_array(blob)
        return found

    def _old_fields(self, numbers: Sequence[int]) -> dict[int, dict[str, str]]:
        pipe = self._client.pipeline(transaction=False)
        for number in numbers:
            pipe.hmget(self._name(f"doc:{number}"), ["id", "outlet"])
        rows = self._call(pipe.execute) if numbers else []
        return {
            number: {"id": (row[0] or b"").decode(), "outlet": (row[1] or b"").decode()}
            for number, row in zip(numbers, rows, strict=True)
        }

    def _lookup(
        self, kind: int, keys: np.ndarray, at_least: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(keys, values): every entry of `kind` with one of these keys (sorted, unique), over
        all runs; for counts with `at_least`, only of keys that may be counted that often."""
        for _ in range(_READ_ATTEMPTS):
            runs = self._runs(kind)
            live = {run for run, _ in runs}
            for cache in (self._fences, self._frequent):
                for run in [run for run in cache if run not in live]:
                    del cache[run]
            try:
                wanted = keys
                if at_least is not None:
                    frequent = [self._cached(self._frequent, "frequent", run) for run, _ in runs]
                    maybe = lsm.may_reach(keys, frequent, at_least)
                    wanted = keys if maybe is None else keys[maybe]
                positions = [lsm.chunk_positions(self._fence(run), wanted) for run, _ in runs]
            except KeyError:
                continue  # a run was merged away meanwhile: read the list again
            pipe = self._client.pipeline(transaction=False)
            for (run, _), chosen in zip(runs, positions, strict=True):
                for start in range(0, len(chosen), _FIELDS_PER_COMMAND):
                    piece = chosen[start : start + _FIELDS_PER_COMMAND].tolist()
                    pipe.hmget(self._name(f"run:{run}"), piece)
            replies = self._call(pipe.execute) if len(pipe) else []
            blobs = [blob for reply in replies for blob in reply]
            if any(blob is None for blob in blobs):
                continue
            found_keys, found_values, offset = [], [], 0
            for chosen in positions:
                run_blobs = blobs[offset : offset + len(chosen)]
                offset += len(chosen)
                run_keys, run_values = lsm.match(*lsm.decode(run_blobs, kind), wanted)
                found_keys.append(run_keys)
                found_values.append(run_values)
            if not found_keys:
                return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
            return np.concatenate(found_keys), np.concatenate(found_values)
        raise StoreError(
            f"{self.location}: the index changed under every read; try again when the writer "
            "is done merging"
        )

    def find(self, keys: np.ndarray, max_size: int) -> tuple[np.ndarray, np.ndarray]:
        unique = distinct(np.asarray(keys, dtype=np.uint64))
        found_keys, numbers = self._lookup(POSTINGS, unique)
        removed = self._removed()
        return lsm.live_postings(found_keys, numbers, removed, max_size)

    def shingle_counts(self, hashes: np.ndarray, at_least: int = 1) -> np.ndarray:
        hashes = np.asarray(hashes, dtype=np.uint64)
        unique = distinct(hashes)
        found, counts = self._lookup(COUNTS, unique, at_least)
        return lsm.counts_of(hashes, unique, found, counts)

    def fetch(
        self, numbers: Iterable[int], since: float | None = None, until: float | None = None
    ) -> list[tuple[int, Document]]:
        wanted = [int(number) for number in numbers]
        pipe = self._client.pipeline(transaction=False)
        for number in wanted:
            pipe.hgetall(self._name(f"doc:{number}"))
        rows = self._call(pipe.execute) if wanted else []
        found: list[tuple[int, Document]] = []
        for number, row in zip(wanted, rows, strict=True):
            if not row:
                continue
            fields = {key.decode(): value.decode() for key, value in row.items()}
            doc = Document(
                id=fields["id"],
                text=fields["text"],
                outlet=fields.get("outlet") or None,
                # An index made before Documents checked their dates may hold one that is
                # none, which reads as unknown (as it did then).
                published=normalize_date(fields.get("published")),
                title=fields.get("title") or None,
                url=fields.get("url") or None,
            )
            if since is not None or until is not None:
                moment = published_seconds(doc)
                if moment is None:
                    continue
                if (since is not None and moment < since) or (until is not None and moment > until):
                    continue
            found.append((number, doc))
        return found

    def outlets(self, numbers: Sequence[int]) -> dict[int, str | None]:
        pipe = self._client.pipeline(transaction=False)
        for number in numbers:
            pipe.hget(self._name(f"doc:{number}"), "outlet")
        values = self._call(pipe.execute) if numbers else []
        return {
            int(number): (value.decode() or None) if value is not None else None
            for number, value in zip(numbers, values, strict=True)
        }

    def get(self, document_id: str) -> Document | None:
        number = self._call(self._client.hget, self._name("ids"), document_id)
        if number is None:
            return None
        found = self.fetch([int(number)])
        return found[0][1] if found else None

    def count(self) -> int:
        return int(self._call(self._client.hlen, self._name("ids")))

    def describe(self, top: int) -> dict[str, Any]:
        outlets = {
            key.decode(): int(value)
            for key, value in self._call(self._client.hgetall, self._name("outlets")).items()
            if int(value) > 0
        }
        ranked = sorted(outlets.items(), key=lambda item: (-item[1], item[0]))[:top]
        first = self._call(self._client.zrange, self._name("published"), 0, 0, withscores=True)
        last = self._call(self._client.zrange, self._name("published"), -1, -1, withscores=True)
        memory = self._call(self._client.info, "memory")
        return {
            "backend": "redis",
            "bytes": int(memory.get("used_memory", 0)),
            "first_published": first[0][1] if first else None,
            "last_published": last[0][1] if last else None,
            "outlets": len(outlets),
            "top_outlets": [
                {"outlet": outlet or None, "documents": count} for outlet, count in ranked
            ],
            "postings": sum(entries for _, entries in self._runs(POSTINGS)),
        }

    def clear(self) -> None:
        """Delete every key of this index (its prefix) from the server."""
        pattern = f"{self.prefix}:*"
        batch: list[bytes] = []
        for key in self._client.scan_iter(match=pattern, count=10_000):
            batch.append(key)
            if len(batch) >= 10_000:
                self._client.delete(*batch)
                batch.clear()
        if batch:
            self._client.delete(*batch)

    def snapshot(self) -> _Generation:
        """Redis holds no state across commands for a reader: the generation that every batch
        written increments, read before and after, tells whether one came in between."""
        return _Generation(self)

    def close(self) -> None:
        self._client.close()


class _Generation:
    """`RedisStore.snapshot`: `changed` says whether a batch was written during the block."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._before: bytes | None = None
        self.changed = False

    def _read(self) -> bytes | None:
        store = self._store
        value: bytes | None = store._call(store._client.get, store._name("generation"))
        return value

    def __enter__(self) -> _Generation:
        self._before = self._read()
        return self

    def __exit__(self, *_: object) -> None:
        self.changed = self._read() != self._before
