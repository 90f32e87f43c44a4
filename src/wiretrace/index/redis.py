"""An index store on a Redis server, for a team sharing one index (the only module that knows
the redis client library).

Layout, under a prefix (``wiretrace`` unless the URL says ``?prefix=NAME``):

- ``P:meta`` hash: settings and versions; ``P:ids`` hash: document id -> number;
  ``P:next``: the last number given; ``P:doc:N`` hash: one document's fields;
  ``P:outlets`` hash: outlet -> documents; ``P:published`` sorted set: number by POSIX time.
- Postings in 2**22 sorted sets ``P:p:B`` (B: the low 22 bits of the key), each posting a
  member: the 8-byte key and the 4-byte document number, big-endian, so that one key's documents
  are one lexicographic range (ZRANGEBYLEX). Small sorted sets stay in Redis's compact listpack
  encoding. Lua scripts add, remove and look up whole documents' keys in one call each.

A batch is written in MULTI/EXEC transactions of whole documents (each with its postings), a
transaction holding about 100,000 postings: a writer stopped at any moment leaves every document
either stored with all its keys or not at all, and Redis answers other clients between
transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np

from wiretrace.errors import MissingDependencyError, StoreError
from wiretrace.index.store import Entry, Stored, published_seconds
from wiretrace.models import Document

try:
    import redis
except ImportError:  # pragma: no cover - depends on the environment
    redis = None  # type: ignore[assignment]

_NONE = ""  # Redis hashes have no null; empty fields read back as None

# Each script gets ARGV: the postings prefix, a 4-byte big-endian document number (or the
# maximum bucket size), and the document's keys as big-endian uint64s; the postings sorted set of
# a key is the prefix and the key's low 22 bits.
_APPEND = """
local prefix, number, keys = ARGV[1], ARGV[2], ARGV[3]
for i = 1, #keys, 8 do
  local b6, b7, b8 = string.byte(keys, i + 5, i + 7)
  redis.call('ZADD', prefix .. (b6 % 64) * 65536 + b7 * 256 + b8, 0,
             string.sub(keys, i, i + 7) .. number)
end
return 0
"""
_REMOVE = """
local prefix, number, keys = ARGV[1], ARGV[2], ARGV[3]
for i = 1, #keys, 8 do
  local b6, b7, b8 = string.byte(keys, i + 5, i + 7)
  redis.call('ZREM', prefix .. (b6 % 64) * 65536 + b7 * 256 + b8,
             string.sub(keys, i, i + 7) .. number)
end
return 0
"""
# Returns, per key, its documents' numbers packed ("" when none, or more than the maximum).
_FIND = """
local prefix, limit, keys = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local out = {}
for i = 1, #keys, 8 do
  local b6, b7, b8 = string.byte(keys, i + 5, i + 7)
  local key = string.sub(keys, i, i + 7)
  local items = redis.call('ZRANGEBYLEX', prefix .. (b6 % 64) * 65536 + b7 * 256 + b8,
                           '[' .. key, '[' .. key .. '\\255\\255\\255\\255', 'LIMIT', 0, limit + 1)
  if #items > 0 and #items <= limit then
    for j = 1, #items do items[j] = string.sub(items[j], 9, 12) end
    out[#out + 1] = table.concat(items)
  else
    out[#out + 1] = ''
  end
end
return out
"""
# Postings per MULTI/EXEC transaction: Redis serves no one else while it runs one.
_POSTINGS_PER_TRANSACTION = 100_000


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
        self._append = self._client.register_script(_APPEND)
        self._remove = self._client.register_script(_REMOVE)
        self._find = self._client.register_script(_FIND)

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

    def write(self, entries: Sequence[Entry], removed: Sequence[tuple[int, np.ndarray]]) -> None:
        first = self._call(self._client.incrby, self._name("next"), len(entries)) - len(entries)
        old = self._old_fields([number for number, _ in removed])
        postings = self._name("p:")
        pipe = self._client.pipeline(transaction=True)
        # Removed documents go in the first transaction; a new version in a later one that is
        # never written is added again when the add is run again (its id is not found).
        for number, keys in removed:
            fields = old.get(number, {})
            self._remove(args=[postings, _packed(number), _key_bytes(keys)], client=pipe)
            pipe.delete(self._name(f"doc:{number}"))
            pipe.zrem(self._name("published"), number)
            if fields.get("id"):
                pipe.hdel(self._name("ids"), fields["id"])
            pipe.hincrby(self._name("outlets"), fields.get("outlet", _NONE), -1)
        queued = 0
        for offset, entry in enumerate(entries):
            number = first + offset + 1
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
            self._append(args=[postings, _packed(number), _key_bytes(entry.keys)], client=pipe)
            queued += len(entry.keys)
            if queued >= _POSTINGS_PER_TRANSACTION:
                self._call(pipe.execute)
                queued = 0
        if len(pipe):
            self._call(pipe.execute)

    def _old_fields(self, numbers: Sequence[int]) -> dict[int, dict[str, str]]:
        pipe = self._client.pipeline(transaction=False)
        for number in numbers:
            pipe.hmget(self._name(f"doc:{number}"), ["id", "outlet"])
        rows = self._call(pipe.execute) if numbers else []
        return {
            number: {"id": (row[0] or b"").decode(), "outlet": (row[1] or b"").decode()}
            for number, row in zip(numbers, rows, strict=True)
        }

    def find(self, keys: np.ndarray, max_size: int) -> tuple[np.ndarray, np.ndarray]:
        unique = np.unique(np.asarray(keys, dtype=np.uint64))
        if len(unique) == 0:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        values = self._call(self._find, [], [self._name("p:"), max_size, _key_bytes(unique)])
        sizes = np.fromiter(
            (len(value) // 4 for value in values), dtype=np.int64, count=len(values)
        )
        numbers = np.frombuffer(b"".join(values), dtype=">u4").astype(np.int64)
        return np.repeat(unique, sizes), numbers

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
                published=fields.get("published") or None,
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
            "postings": None,
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

    def close(self) -> None:
        self._client.close()


def _packed(number: int) -> bytes:
    return int(number).to_bytes(4, "big")


def _key_bytes(keys: np.ndarray) -> bytes:
    return np.asarray(keys, dtype=np.uint64).astype(">u8").tobytes()
