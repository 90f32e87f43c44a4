"""A persistent index to add articles to and trace new articles against: where did this come from?

`Index` composes the pipeline stages over a store (`wiretrace.index.store`): adding a document
stores it with its LSH bucket keys (`pipeline.sketch_tokens`) and counts its outlet-salted
shingles (`pipeline.read_tokens`); tracing an article tells the boilerplate of its outlet and of
its candidates' outlets from those counts (as `find_reuse` does over its corpus), looks its other
keys up, aligns it with the indexed documents that share enough of them, and reports, for the
article, each source (the indexed document) with its passages and edits, and how much of it is
its own.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import attrs
import numpy as np

from wiretrace._arrays import distinct
from wiretrace._workers import worker_pool
from wiretrace.align import align_pair
from wiretrace.boilerplate import (
    ALL_OUTLETS_SALT,
    OWN_SHARE,
    boilerplate_mask,
    boilerplate_spans,
    listed_words,
    outlet_salt,
    salted,
)
from wiretrace.config import Settings, whole_number
from wiretrace.errors import ConfigError, InputError, StoreError
from wiretrace.index import lsh_bands
from wiretrace.index.store import Entry, Removed, Store, content_hash, open_store
from wiretrace.ingest import DEFAULT_MAX_DOCUMENT_CHARS, FieldMap, Input, read_inputs
from wiretrace.ingest.fields import normalize_date, shorten
from wiretrace.lineage import orient_pair
from wiretrace.models import (
    BoilerplateSpan,
    Document,
    Notice,
    Pair,
    Report,
    Skipped,
    SourceShare,
    Trace,
    parse_published,
)
from wiretrace.pipeline import (
    as_article,
    as_document,
    build_pair,
    check_many,
    check_progress,
    check_records,
    input_path,
    read_tokens,
    sketch_tokens,
)
from wiretrace.shingle import TOKENS_VERSION, Tokens, shingle_hashes
from wiretrace.sketch import SCHEME

FORMAT = "wiretrace.index/2"
INDEX_SETTINGS = ("shingle_size", "window_size", "num_perm", "threshold", "seed")
"""The settings that make bucket keys: an index is built with one value of each, for good."""
# The default of `own_boilerplate_docs`, which an index made without it traces with 0 instead.
_DEFAULT_OWN = Settings().own_boilerplate_docs

AddProgress = Callable[[str, int, Any], None]
"""progress(stage, done, total): "add" with documents read so far (total None: not known)."""

_TOP_OUTLETS = 10
# A trace is done at most this many times while writes keep coming in between its reads (a store
# that holds one state for them never needs a second).
SNAPSHOT_TRIES = 5


@attrs.frozen
class AddResult:
    """What one `Index.add` did: documents added, replaced (same id, new content), unchanged
    (same id and content, so skipped: this is how an interrupted add resumes), inputs skipped,
    the documents in the index afterwards, and notices about the inputs read."""

    added: int
    replaced: int
    unchanged: int
    skipped: tuple[Skipped, ...]
    documents: int
    notices: tuple[Notice, ...] = ()


def index_meta(settings: Settings) -> dict[str, str]:
    """The metadata an index records: the key-making settings and the versions of the code."""
    bands, rows = lsh_bands(settings.threshold, settings.num_perm)
    meta = {name: str(getattr(settings, name)) for name in INDEX_SETTINGS}
    meta.update(
        format=FORMAT,
        bands=str(bands),
        rows=str(rows),
        tokens=str(TOKENS_VERSION),
        minhash=f"datasketch {SCHEME}",
    )
    return meta


def _stored_value(name: str, text: str) -> int | float:
    return float(text) if name == "threshold" else int(text)


def _check_meta(
    location: str, meta: Mapping[str, str], settings: Settings, explicit: set[str]
) -> Settings:
    """The settings to use with an existing index: its own key-making settings, after checking
    that none given explicitly differs from them."""
    current = index_meta(settings)
    for name, label in (("format", "format"), ("tokens", "tokenizer version"), ("minhash", "")):
        if meta.get(name) != current[name]:
            what = label or "MinHash scheme"
            raise ConfigError(
                f"{location}: the index was built with {what} {meta.get(name)!r}, this wiretrace "
                f"uses {current[name]!r}; its keys cannot be compared, so build a new index "
                "from the same inputs"
            )
    stored: dict[str, Any] = {name: _stored_value(name, meta[name]) for name in INDEX_SETTINGS}
    try:
        checked = attrs.evolve(settings, **stored)
    except ConfigError as error:
        # Earlier versions recorded settings they could not use (a seed of 2**32 or more).
        raise ConfigError(
            f"{location}: the index was built with an invalid setting ({error}); its keys cannot "
            "be used, so build a new index from the same inputs"
        ) from None
    for name in INDEX_SETTINGS:
        asked = getattr(settings, name)
        if name in explicit and asked != stored[name]:
            option = "--" + name.replace("_", "-")
            raise ConfigError(
                f"{location}: the index was built with {name}={stored[name]}, not {asked}; bucket "
                f"keys made with other settings never match, so nothing would be found. Leave out "
                f"{option} to use the index's settings, or build a new index with {option} {asked}"
            )
    return checked


def _document_sketch(
    item: tuple[Document, Settings] | tuple[Document, Settings, bool],
) -> tuple[np.ndarray, np.ndarray]:
    """The unique bucket keys of one document (none masked: its outlet's boilerplate is not
    known when it is added) and its unique outlet-salted shingle hashes (to count), with, when
    the item's third value is True (an index that counts shingles' holders in all), the same
    shingles salted with ALL_OUTLETS_SALT (sorted together)."""
    document, settings = item[0], item[1]
    tokens, shingles = read_tokens(document, settings)
    keys, _ = sketch_tokens(document, tokens, settings)
    if len(item) > 2 and item[2]:
        shingles = np.union1d(shingles, _all_outlets(shingles, document.outlet))
    return distinct(keys), shingles


def _all_outlets(hashes: np.ndarray, outlet: str | None) -> np.ndarray:
    """Shingle hashes salted for `outlet` as the same shingles salted for every outlet at once."""
    return hashes ^ outlet_salt(outlet) ^ ALL_OUTLETS_SALT


def _document_keys(item: tuple[Document, Settings]) -> np.ndarray:
    """The unique bucket keys of one document, as the index stores them."""
    return _document_sketch(item)[0]


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _to_seconds(value: str | date | datetime | None, option: str, *, end: bool) -> float | None:
    """A --since/--until bound as POSIX seconds; a bare date --until covers its whole day.

    A bound of another type than documented is a TypeError: normalize_date would read a number
    as epoch seconds, so that 2019 (a year) was a moment of 1970 and kept every source.
    """
    if value is None:
        return None
    if not isinstance(value, str | date):
        raise TypeError(
            f"{option} must be a date or time: an ISO 8601 str (2019-11-01, "
            f"2019-11-01T12:00:00Z), a date or a datetime, got {type(value).__name__} "
            f"{shorten(value)}; for epoch seconds, give datetime.fromtimestamp(seconds, "
            "timezone.utc)"
        )
    normalized = normalize_date(value)
    moment = parse_published(normalized)
    if normalized is None or moment is None:
        raise ConfigError(
            f"{option}: {value!r} is not a date; give an ISO 8601 date or time, "
            "such as 2019-11-01 or 2019-11-01T12:00:00Z"
        )
    if end and "T" not in normalized:
        return (moment + timedelta(days=1)).timestamp() - 1e-6
    return moment.timestamp()


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _inside(tokens: Tokens, spans: Iterable[tuple[int, int]]) -> np.ndarray:
    """Which of a text's words lie inside the given character spans."""
    inside = np.zeros(len(tokens), dtype=bool)
    for start, end in spans:
        inside |= (tokens.starts >= start) & (tokens.ends <= end)
    return inside


class _ClosedStore:
    """Stands in for the store of a closed index: any use of it raises StoreError."""

    def __init__(self, location: str) -> None:
        self._location = location

    def close(self) -> None:
        """Closing a closed index does nothing."""

    def __getattr__(self, name: str) -> Any:
        raise StoreError(
            f"the index {self._location} is closed; open it again with Index.open to use it"
        )


class Index:
    """A persistent index of documents to trace articles against (SQLite file or Redis server).

    Open one with `Index.open`; use it as a context manager to close it. One writer at a time;
    any number of readers, also while the writer adds.
    """

    def __init__(self, store: Store, settings: Settings, *, totals: bool = False) -> None:
        self._store = store
        self.settings = settings
        self.location = store.location
        # Whether the store counts each shingle's holders in all too (`own_boilerplate_docs`).
        self._totals = totals

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str],
        *,
        create: bool = True,
        settings: Settings | None = None,
        **options: Any,
    ) -> Index:
        """Open the index at `location`: a SQLite file path, or ``redis://host:port/db``.

        A new index records the key-making settings (`INDEX_SETTINGS`) given as keyword options
        or in `settings`; an existing one uses its own, and raises ConfigError when one given
        explicitly differs. Without `create`, a missing index raises StoreError.

        An index made with `own_boilerplate_docs` (on by default) counts, besides each outlet's
        documents holding a shingle, all the documents holding it, so that traces can tell an
        outlet's own boilerplate (with any `own_boilerplate_docs`); one made without cannot: it
        traces with `own_boilerplate_docs` 0 when the setting is left at its default, and raises
        ConfigError when it is asked for.
        """
        resolved = Settings.from_options(options, base=settings)
        explicit = {name for name, value in options.items() if value is not None}
        if settings is not None:
            explicit |= set(INDEX_SETTINGS)
            if settings.own_boilerplate_docs != _DEFAULT_OWN:
                explicit.add("own_boilerplate_docs")
        store = open_store(location, create=create)
        try:
            meta = store.read_meta()
            if meta:
                resolved = _check_meta(store.location, meta, resolved, explicit)
                totals = meta.get("totals") == "1"
                if not totals and "own_boilerplate_docs" not in explicit:
                    # Made without the counts (with it off, as it was by default before).
                    resolved = attrs.evolve(resolved, own_boilerplate_docs=0)
                if resolved.own_boilerplate_docs and not totals:
                    raise ConfigError(
                        f"{store.location}: own_boilerplate_docs="
                        f"{resolved.own_boilerplate_docs}, but the index was made without it, "
                        "so it counts each outlet's documents holding a shingle, not all of "
                        "them; leave it out (0), or build a new index with "
                        "--own-boilerplate-docs from the same inputs"
                    )
            else:
                totals = bool(resolved.own_boilerplate_docs)
                store.write_meta({**index_meta(resolved), **({"totals": "1"} if totals else {})})
        except BaseException:
            store.close()
            raise
        return cls(store, resolved, totals=totals)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection to the store; using the index after raises StoreError (closing
        it again does nothing)."""
        self._store.close()
        self._store = cast(Store, _ClosedStore(self.location))

    def __len__(self) -> int:
        return self._store.count()

    def __contains__(self, document_id: object) -> bool:
        return isinstance(document_id, str) and bool(self._store.lookup_ids([document_id]))

    def get(self, document_id: str) -> Document | None:
        """The indexed document with this id, or None; TypeError for an id that is not a str."""
        if not isinstance(document_id, str):
            raise TypeError(
                f"document_id must be a str, got {type(document_id).__name__} {document_id!r}"
            )
        return self._store.get(document_id)

    # Adding

    def add(
        self,
        documents: Iterable[Document | Mapping[str, Any]],
        *,
        batch_size: int = 1000,
        progress: AddProgress | None = None,
    ) -> AddResult:
        """Add documents (records or dicts with the usual field names).

        A document whose id is indexed already replaces it when its content differs and is
        skipped when it is the same, so an interrupted add, run again, resumes. Documents are
        written in transactions of `batch_size` (1 to `config.MAX_COUNT`, a billion); ids must be
        unique within one call. Arguments are checked as in `find_reuse`.
        """
        documents = check_many(documents, "documents", "a list of wiretrace.Documents or dicts")
        docs = (as_document(item, position) for position, item in enumerate(documents))
        return self._add_stream(docs, batch_size=batch_size, progress=progress)

    def add_from(
        self,
        inputs: Iterable[Input],
        *,
        fields: Mapping[str, str | None] | None = None,
        on_error: str = "fail",
        encoding: str = "utf-8",
        max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
        batch_size: int = 1000,
        progress: AddProgress | None = None,
    ) -> AddResult:
        """`add` the documents read from files and folders (and a `TextStream`, such as standard
        input; see `wiretrace.ingest`), streamed.

        `inputs`, `fields`, `on_error` and `max_document_chars` are as in `find_reuse_in`;
        skipped inputs are in the result.
        """
        field_map = FieldMap.from_fields(fields)
        paths = [
            input_path(path, f"inputs[{position}]")
            for position, path in enumerate(check_many(inputs, "inputs", "a list of paths"))
        ]
        stream = read_inputs(
            paths,
            field_map=field_map,
            on_error=on_error,  # type: ignore[arg-type]
            encoding=encoding,
            max_document_chars=max_document_chars,
        )
        return self._add_stream(stream, batch_size=batch_size, progress=progress)

    def _add_stream(
        self,
        stream: Iterable[Document | Skipped | Any],
        *,
        batch_size: int,
        progress: AddProgress | None,
    ) -> AddResult:
        batch_size = whole_number("batch_size", batch_size, 1)
        check_progress(progress)
        counts = {"added": 0, "replaced": 0, "unchanged": 0, "read": 0}
        skipped: list[Skipped] = []
        notices: list[Notice] = []
        seen: set[str] = set()
        workers = self.settings.workers
        pool = worker_pool(workers) if workers > 1 else None
        pending: tuple[list[tuple[Document, str]], list[int | None], Any] | None = None
        try:
            for batch in _batched(stream, batch_size):
                docs: list[Document] = []
                for item in batch:
                    if isinstance(item, Skipped):
                        skipped.append(item)
                    elif isinstance(item, Notice):
                        notices.append(item)
                    elif isinstance(item, Document):
                        if item.id in seen:
                            raise InputError(
                                f"duplicate document id {item.id!r} in one add; ids must be unique",
                                input=item.id,
                            )
                        seen.add(item.id)
                        docs.append(item)
                counts["read"] += len(docs)
                # Workers sketch this batch while the previous one is written (ids are unique
                # within one add, so this batch's lookups do not depend on that write).
                prepared = self._prepare(docs, counts, pool)
                if pending is not None:
                    self._finish(*pending, more=True)
                    if progress:
                        progress("add", counts["read"] - len(docs), None)
                pending = prepared
            if pending is not None:
                self._finish(*pending)
                if progress:
                    progress("add", counts["read"], None)
            # Runs merged back to at most MAX_RUNS (done by the last batch's write, unless it
            # had nothing to write).
            self._store.compact()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        return AddResult(
            added=counts["added"],
            replaced=counts["replaced"],
            unchanged=counts["unchanged"],
            skipped=tuple(skipped),
            documents=self._store.count(),
            notices=tuple(notices),
        )

    def _prepare(
        self, docs: list[Document], counts: dict[str, int], pool: ProcessPoolExecutor | None
    ) -> tuple[list[tuple[Document, str]], list[int | None], Any]:
        """Choose the documents of a batch to write and start computing their keys."""
        digests = [content_hash(doc) for doc in docs]
        stored = self._store.lookup_ids([doc.id for doc in docs])
        todo: list[tuple[Document, str]] = []
        old_numbers: list[int | None] = []
        for doc, digest in zip(docs, digests, strict=True):
            known = stored.get(doc.id)
            if known is not None and known.content_hash == digest:
                counts["unchanged"] += 1
                continue
            todo.append((doc, digest))
            old_numbers.append(known.number if known is not None else None)
            counts["replaced" if known is not None else "added"] += 1
        work = [(doc, self.settings, self._totals) for doc, _ in todo]
        keys: Any
        if pool is not None and len(work) > 1:
            chunk = max(1, len(work) // (4 * self.settings.workers))
            keys = pool.map(_document_sketch, work, chunksize=chunk)
        else:
            keys = map(_document_sketch, work)
        return todo, old_numbers, keys

    def _finish(
        self,
        todo: list[tuple[Document, str]],
        old_numbers: list[int | None],
        keys: Any,
        *,
        more: bool = False,
    ) -> None:
        """Write a prepared batch in one transaction, replacing the old versions it names
        (`more`: more batches of this add follow)."""
        entries = [
            Entry(doc, digest, doc_keys, shingles)
            for (doc, digest), (doc_keys, shingles) in zip(todo, keys, strict=True)
        ]
        replaced = [number for number in old_numbers if number is not None]
        removed = [
            Removed(number, *_document_sketch((old, self.settings, self._totals)))
            for number, old in self._store.fetch(replaced)
        ]
        if entries or removed:
            self._store.write(entries, removed, more=more)

    # Tracing

    def trace(
        self,
        article: str | Document | Mapping[str, Any],
        *,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
    ) -> Report:
        """The report of the indexed documents `article` reuses (a text, Document or dict).

        Each pair has an indexed document as `source` and the article as `target`, with the
        passages and their edits (direction "published" where dates say the source came first,
        "text" where the article credits the source's outlet or agency, else "unknown");
        `target_coverage` is the share of the article's words taken from that source, and
        `Report.traces` sums it up per article. `since`/`until` (ISO dates or times as str,
        dates or datetimes; a bare `until` date covers its day) keep only sources published
        then; a bound that is not a date raises ConfigError, one of another type (a number)
        TypeError. A plain string gets the id "article"; anything else but a Document or a dict raises
        InputError naming ``article``.
        """
        return self.trace_all([as_article(article, "article")], since=since, until=until)

    def trace_all(
        self,
        articles: Iterable[Document | Mapping[str, Any]],
        *,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        skipped: Iterable[Skipped] = (),
    ) -> Report:
        """`trace` several articles into one report (documents: the articles, then sources).

        `articles` and `skipped` are checked as `documents` and `skipped` are in `find_reuse`.
        """
        start = _to_seconds(since, "since", end=False)
        end = _to_seconds(until, "until", end=True)
        articles = check_many(articles, "articles", "a list of wiretrace.Documents or dicts")
        skipped = check_records(skipped, "skipped", Skipped)
        docs = [
            as_document(item, position, name="articles") for position, item in enumerate(articles)
        ]
        documents: dict[str, Document] = {doc.id: doc for doc in docs}
        pairs: list[Pair] = []
        traces: list[Trace] = []
        spans: dict[str, list[BoilerplateSpan]] = {}
        for doc in docs:
            # One state of the index, whatever a writer does: where the store cannot hold one,
            # the trace is done again when a write came in between its reads.
            for _ in range(SNAPSHOT_TRIES):
                with self._store.snapshot() as snapshot:
                    found, trace, found_spans = self._trace_one(doc, start, end)
                if not snapshot.changed:
                    break
            for source, pair in found:
                documents.setdefault(source.id, source)
                pairs.append(pair)
            traces.append(trace)
            for document_id, listed in found_spans.items():
                spans.setdefault(document_id, listed)
        return Report(
            documents=tuple(documents.values()),
            pairs=pairs,
            skipped=tuple(skipped),
            settings=self.settings,
            traces=traces,
            boilerplate=[span for doc_id in documents for span in spans.get(doc_id, ())],
        )

    def trace_files(
        self,
        inputs: Iterable[Input | Document | Skipped],
        *,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        encoding: str = "utf-8",
        on_error: str = "fail",
    ) -> Report:
        """`trace_all` the articles read from files (any input `wiretrace.ingest` reads; a
        text file is one article, its id the path as given; a `TextStream` one article, its id
        the stream's name) and documents given as such; a `Skipped` given (an input read
        elsewhere) is reported as skipped, in its place.

        `inputs` given as one path (a str) or None, and an input that is none of these, raise
        TypeError."""
        articles: list[Document] = []
        skipped: list[Skipped] = []
        inputs = check_many(inputs, "inputs", "a list of paths")
        for position, item in enumerate(inputs):
            if isinstance(item, Document):
                articles.append(item)
                continue
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            path = input_path(item, f"inputs[{position}]")
            for read in read_inputs([path], on_error=on_error, encoding=encoding):  # type: ignore[arg-type]
                if isinstance(read, Skipped):
                    skipped.append(read)
                elif isinstance(read, Document):
                    single = isinstance(path, str) and path.lower().endswith((".txt", ".md"))
                    articles.append(attrs.evolve(read, id=path) if single else read)
        return self.trace_all(articles, since=since, until=until, skipped=skipped)

    def _trace_one(
        self, article: Document, since: float | None, until: float | None
    ) -> tuple[list[tuple[Document, Pair]], Trace, dict[str, list[BoilerplateSpan]]]:
        """The article's sources with their pairs, its Trace, and the boilerplate spans of the
        article and of its sources (by document id)."""
        settings = self.settings
        tokens, article_salted = read_tokens(article, settings)
        # Boilerplate as in find_reuse over the index and the article: an outlet-salted shingle
        # held by `boilerplate_docs` documents (the article counted once) makes neither
        # candidates nor passages. The article's own first, so that its outlet's footers and
        # bios find no candidates.
        stored = self._store.lookup_ids([article.id]).get(article.id)
        itself = 0 if stored is not None and stored.content_hash == content_hash(article) else 1
        salts = np.full(len(article_salted), outlet_salt(article.outlet), dtype=np.uint64)
        held, own = self._boilerplate_parts(
            article_salted, salts, article_salted, article.outlet, itself
        )
        # `held`: the boilerplate without the outlets' own, for the documents their own would
        # cover more than `own_boilerplate_cover` of (a story sent again: see `mask_flat`).
        boilerplate, held = article_salted[held | own], article_salted[held]
        cover_rule = bool(own.any()) and settings.own_boilerplate_cover < 1.0
        article_over = cover_rule and self._covers(article, tokens, boilerplate)
        keys, article_mask = sketch_tokens(
            article, tokens, settings, held if article_over else boilerplate
        )
        keys = distinct(keys)
        # A bucket holds the article too: at most max_bucket documents in all.
        found_keys, found_numbers = self._store.find(keys, settings.max_bucket - 1)
        useful = self._outlet_boilerplate(
            article, found_keys, found_numbers, own_rule=not article_over
        )
        found_keys, found_numbers = found_keys[useful], found_numbers[useful]
        numbers, hits = np.unique(found_numbers, return_counts=True)
        candidates = numbers[hits >= settings.min_hits]
        sources = [
            (number, doc)
            for number, doc in self._store.fetch(candidates.tolist(), since, until)
            if doc.id != article.id
        ]
        if not sources:
            spans = {
                article.id: boilerplate_spans(
                    article, tokens, article_mask, listed_words(settings.shingle_size)
                )
            }
            return [], Trace(article=article.id, sources=(), own_share=1.0), spans
        read = [read_tokens(doc, settings)[0] for _, doc in sources]
        source_boilerplate, source_held, over = self._sources_boilerplate(
            tokens, article_salted, article.outlet, [doc for _, doc in sources], read, itself
        )
        if len(source_boilerplate):
            boilerplate = np.union1d(boilerplate, source_boilerplate)
            held = np.union1d(held, source_held)
            _, article_mask = sketch_tokens(
                article, tokens, settings, held if article_over else boilerplate
            )
        found: list[tuple[Document, Pair]] = []
        spans = {
            article.id: boilerplate_spans(
                article, tokens, article_mask, listed_words(settings.shingle_size)
            )
        }
        for (number, source), source_tokens in zip(sources, read, strict=True):
            masking = held if source.id in over else boilerplate
            mask = self._mask(source, source_tokens, masking)
            if mask is not None:
                # Its stored keys include windows of its outlet's boilerplate: count only the
                # keys it has without them, as find_reuse would.
                kept, _ = sketch_tokens(source, source_tokens, settings, masking)
                shared = np.intersect1d(found_keys[found_numbers == number], kept)
                if len(shared) < settings.min_hits:
                    continue
            passages = align_pair(
                source.text, source_tokens, article.text, tokens, settings, mask, article_mask
            )
            if not passages:
                continue
            pair = build_pair(source, source_tokens, article, tokens, passages, orient=False)
            # Dates, else credit or an update marker (the coverages do not count here): the
            # direction they give is kept where it agrees with source -> article.
            origin, _, direction = orient_pair(source, article, 0.0, 0.0)
            if direction != "unknown" and origin is source:
                pair = attrs.evolve(pair, direction=direction)
            found.append((source, pair))
            spans[source.id] = boilerplate_spans(
                source, source_tokens, mask, listed_words(settings.shingle_size)
            )
        found.sort(key=lambda item: (-item[1].target_coverage, -item[1].similarity, item[0].id))
        return found, self._summarize(article, tokens, found), spans

    def _sources_boilerplate(
        self,
        tokens: Tokens,
        article_salted: np.ndarray,
        article_outlet: str | None,
        sources: Sequence[Document],
        read: Sequence[Tokens],
        itself: int,
    ) -> tuple[np.ndarray, np.ndarray, set[str]]:
        """The boilerplate of the sources' outlets near the text they share with the article, the
        part of it held by `boilerplate_docs` documents (without the outlets' own), and the ids
        of the sources their outlets' own boilerplate, with the rest, would cover more than
        `own_boilerplate_cover` of (masked with `boilerplate_docs`' alone, as `mask_flat` does).

        A mask only keeps a passage from being seeded, and a seed is text both hold: so for the
        masks only the shingles that overlap a shingle the article also has count (with the
        article counted when it is of the source's outlet). The cover test needs all the
        shingles of a source of a known outlet (only those can have an outlet's own): each
        shingle is looked up once for both.
        """
        settings = self.settings
        size = settings.shingle_size
        cover_rule = bool(settings.own_boilerplate_docs) and settings.own_boilerplate_cover < 1.0
        article_hashes = distinct(shingle_hashes(tokens.ids, size))
        nears: list[np.ndarray] = []
        wholes: dict[str, np.ndarray] = {}
        looked: list[np.ndarray] = []
        looked_salts: list[np.ndarray] = []
        for source, source_tokens in zip(sources, read, strict=True):
            hashes = shingle_hashes(source_tokens.ids, size)
            salt = outlet_salt(source.outlet)
            whole = salted(hashes, source.outlet)
            shared = np.isin(hashes, article_hashes)
            if shared.any():
                near = shared.copy()
                for offset in range(1, size):
                    near[offset:] |= shared[:-offset]
                    near[:-offset] |= shared[offset:]
                nears.append(whole[near])
            if cover_rule and salt != outlet_salt(None):
                wholes[source.id] = whole
                looked.append(whole)
            elif shared.any():
                looked.append(nears[-1])
            else:
                continue
            looked_salts.append(np.full(len(looked[-1]), salt, dtype=np.uint64))
        nothing = np.zeros(0, dtype=np.uint64)
        if not looked:
            return nothing, nothing, set()
        unique, first = np.unique(np.concatenate(looked), return_index=True)
        held, own = self._boilerplate_parts(
            unique, np.concatenate(looked_salts)[first], article_salted, article_outlet, itself
        )
        over: set[str] = set()
        if wholes and own.any():
            masked = unique[held | own]
            over = {
                doc.id
                for doc, doc_tokens in zip(sources, read, strict=True)
                if doc.id in wholes and self._covers(doc, doc_tokens, masked, wholes[doc.id])
            }
        if not nears:
            return nothing, nothing, over
        near_hashes = distinct(np.concatenate(nears))
        at = np.searchsorted(unique, near_hashes)
        return near_hashes[held[at] | own[at]], near_hashes[held[at]], over

    def _covers(
        self,
        document: Document,
        tokens: Tokens,
        boilerplate: np.ndarray,
        hashes: np.ndarray | None = None,
    ) -> bool:
        """Whether `boilerplate` (with an outlet's own) covers more than `own_boilerplate_cover`
        of the document's words (`hashes`: its salted shingle hashes, if made already)."""
        size = self.settings.shingle_size
        if hashes is None:
            hashes = salted(shingle_hashes(tokens.ids, size), document.outlet)
        _, words = boilerplate_mask(hashes, boilerplate, tokens, size)
        return bool(words.sum() > self.settings.own_boilerplate_cover * len(tokens))

    def _boilerplate_parts(
        self,
        hashes: np.ndarray,
        salts: np.ndarray,
        article_salted: np.ndarray,
        article_outlet: str | None,
        itself: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which of these outlet-salted shingle hashes (each salted with `salts`, its outlet's)
        are boilerplate over the index and the article (counted when `itself` is 1 and it holds
        the shingle: for that outlet, its `article_salted` for its `article_outlet`; in all, any
        of them): held by `boilerplate_docs` documents of the outlet, or with
        `own_boilerplate_docs` by that many of them and nine in ten of all that hold it (see
        `boilerplate.own_boilerplate`): as two masks, held by `boilerplate_docs` documents and
        only by the `own_boilerplate_docs` rule (see `boilerplate.own_boilerplate_parts`)."""
        settings = self.settings
        own = settings.own_boilerplate_docs
        least = min(settings.boilerplate_docs, own) if own else settings.boilerplate_docs
        counts = self._store.shingle_counts(hashes, least - 1)
        counts += itself * np.isin(hashes, article_salted)
        held = counts >= settings.boilerplate_docs
        mine = np.zeros(len(hashes), dtype=bool)
        if own:
            # Counted over all outlets only where the outlet's count may make it its own (a
            # lookup of every hash took half of a trace's time against an index of 3 runs,
            # where the runs' frequent keys cannot narrow counts of 4 or more down).
            may = np.flatnonzero(~held & (salts != outlet_salt(None)) & (counts >= own))
            everyone = hashes[may] ^ salts[may] ^ ALL_OUTLETS_SALT
            totals = self._store.shingle_counts(everyone, own - 1)
            totals += itself * np.isin(everyone, _all_outlets(article_salted, article_outlet))
            part, whole = OWN_SHARE
            mine[may] = counts[may] * whole >= part * totals
        return held, mine

    def _outlet_boilerplate(
        self, article: Document, keys: np.ndarray, numbers: np.ndarray, *, own_rule: bool = True
    ) -> np.ndarray:
        """Which postings to count as hits: not those of a bucket that holds `boilerplate_docs`
        documents of the posting's own outlet (a footer or bio that outlet repeats), counting
        the article when it is of that outlet too, nor, with `own_boilerplate_docs`, those of a
        bucket that many of whose documents, and nine in ten of all, are of the posting's known
        outlet. Buckets too small for that are not looked at. Without `own_rule` (an article
        its outlet's own boilerplate covers more than `own_boilerplate_cover` of), the second
        test is left out for postings of the article's outlet: a story sent again is in buckets
        of its outlet's sendings, which `find_reuse` keeps (they are not masked there).
        """
        useful = np.ones(len(keys), dtype=bool)
        if len(keys) == 0:
            return useful
        limit = self.settings.boilerplate_docs
        mine = self.settings.own_boilerplate_docs
        _, inverse, sizes = np.unique(keys, return_inverse=True, return_counts=True)
        large = sizes[inverse] >= (min(limit, mine) if mine else limit) - 1
        if not large.any():
            return useful
        outlets = self._store.outlets(distinct(numbers[large]).tolist())
        own = (article.outlet or "").casefold()
        groups: dict[tuple[int, str], list[int]] = {}
        for position in np.flatnonzero(large).tolist():
            outlet = (outlets.get(int(numbers[position])) or "").casefold()
            groups.setdefault((int(keys[position]), outlet), []).append(position)
        part, whole = OWN_SHARE
        for (_, outlet), positions in groups.items():
            held = len(positions) + (outlet == own)
            # With `own_boilerplate_docs`: that many of a known outlet's documents, nine in ten
            # of the bucket's (the article holds every key looked up).
            everyone = int(sizes[inverse[positions[0]]]) + 1
            if held >= limit or (
                mine
                and outlet
                and (own_rule or outlet != own)
                and held >= mine
                and held * whole >= part * everyone
            ):
                useful[positions] = False
        return useful

    def _mask(
        self, document: Document, tokens: Tokens, boilerplate: np.ndarray
    ) -> np.ndarray | None:
        hashes = salted(shingle_hashes(tokens.ids, self.settings.shingle_size), document.outlet)
        _, words = boilerplate_mask(hashes, boilerplate, tokens, self.settings.shingle_size)
        return words if words.any() else None

    @staticmethod
    def _summarize(
        article: Document, tokens: Tokens, found: Sequence[tuple[Document, Pair]]
    ) -> Trace:
        spans = [(p.target_start, p.target_end) for _, pair in found for p in pair.passages]
        taken = float(_inside(tokens, spans).mean()) if len(tokens) else 0.0
        shares = [
            SourceShare(source=source.id, outlet=source.outlet, share=pair.target_coverage)
            for source, pair in found
        ]
        return Trace(article=article.id, sources=shares, own_share=max(0.0, 1.0 - taken))

    # Stats

    def stats(self, *, top: int = _TOP_OUTLETS) -> dict[str, Any]:
        """What the index holds, as plain data: documents, settings, size, dates, outlets (the
        `top` commonest, 0 to `config.MAX_COUNT`)."""
        described = self._store.describe(whole_number("top", top, 0))
        meta = self._store.read_meta()
        return {
            "documents": self._store.count(),
            "location": self.location,
            "backend": described["backend"],
            "settings": {
                **{name: _stored_value(name, meta[name]) for name in INDEX_SETTINGS},
                "bands": int(meta["bands"]),
                "rows": int(meta["rows"]),
                "tokens": int(meta["tokens"]),
                "minhash": meta["minhash"],
                "format": meta["format"],
                # Whether it counts every shingle's holders in all (`own_boilerplate_docs`).
                "own_boilerplate": meta.get("totals") == "1",
            },
            "bytes": described["bytes"],
            "published": {
                "first": _iso(described["first_published"]),
                "last": _iso(described["last_published"]),
            },
            "outlets": described["outlets"],
            "top_outlets": described["top_outlets"],
        }
