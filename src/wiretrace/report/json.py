"""The JSON report: the documented contract other tools read (schema "wiretrace.report/1")."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from wiretrace._workers import in_order
from wiretrace.config import Settings, whole_number
from wiretrace.corpus import Metadata, documents_by_id, metadata, text_by_id
from wiretrace.lineage import taken_versions, version_label
from wiretrace.models import (
    BoilerplateSpan,
    Document,
    Edit,
    LineageEdge,
    Mutation,
    Notice,
    Pair,
    Passage,
    Report,
    ReuseCluster,
    Skipped,
    Trace,
    check_report,
)

SCHEMA = "wiretrace.report/1"
MAX_INDENT = 32
"""The widest indent of `render_json`, in spaces: each list item's line starts with two."""
# Pairs whose passage texts are read together: each of their documents is read once, not once
# for every pair it is in (a corpus keeps only its latest few texts), and no more than these
# pairs' passage texts are held at once.
PAIRS_PER_READ = 4096
# Items of a top-level list written as one piece.
ITEMS_PER_PIECE = 256


def document_to_dict(document: Document, length: int | None = None) -> dict[str, Any]:
    """A document's metadata (not its text) as the report lists it; `length` is its text's
    length, when known without the text."""
    return _document_dict(
        (
            document.id,
            document.outlet,
            document.published,
            document.title,
            document.url,
            len(document.text) if length is None else length,
        )
    )


def _document_dict(fields: Metadata) -> dict[str, Any]:
    """`document_to_dict` from a document's `metadata`."""
    document_id, outlet, published, title, url, length = fields
    return {
        "id": document_id,
        "outlet": outlet,
        "published": published,
        "title": title,
        "url": url,
        "length": length,
    }


def edit_to_dict(edit: Edit) -> dict[str, Any]:
    """One word-level edit with offsets on both sides."""
    return {
        "op": edit.op,
        "source_start": edit.source_start,
        "source_end": edit.source_end,
        "target_start": edit.target_start,
        "target_end": edit.target_end,
        "source_text": edit.source_text,
        "target_text": edit.target_text,
    }


def passage_to_dict(passage: Passage, source: Document, target: Document) -> dict[str, Any]:
    """One passage, with its text on both sides and its edits."""
    return _passage_dict(
        passage,
        source.text[passage.source_start : passage.source_end],
        target.text[passage.target_start : passage.target_end],
    )


def _passage_dict(passage: Passage, source_text: str, target_text: str) -> dict[str, Any]:
    """`passage_to_dict`, given the passage's text on both sides."""
    return {
        "source_start": passage.source_start,
        "source_end": passage.source_end,
        "target_start": passage.target_start,
        "target_end": passage.target_end,
        "similarity": round(passage.similarity, 4),
        "kind": passage.kind,
        "matched_words": passage.matched_words,
        "source_words": passage.source_words,
        "target_words": passage.target_words,
        "source_text": source_text,
        "target_text": target_text,
        "edits": [edit_to_dict(edit) for edit in passage.edits],
    }


def pair_to_dict(pair: Pair, documents: Mapping[str, Document]) -> dict[str, Any]:
    """One pair of documents and all its passages."""
    return _pair_dict(pair, _passage_texts((pair,), documents))


def _pair_dict(pair: Pair, texts: Mapping[tuple[str, int, int], str]) -> dict[str, Any]:
    """`pair_to_dict`, given the texts of its passages (see `_passage_texts`)."""
    source, target = pair.source, pair.target
    return {
        "source": pair.source,
        "target": pair.target,
        "direction": pair.direction,
        "similarity": round(pair.similarity, 4),
        "source_coverage": round(pair.source_coverage, 4),
        "target_coverage": round(pair.target_coverage, 4),
        "passages": [
            _passage_dict(
                p,
                texts[source, p.source_start, p.source_end],
                texts[target, p.target_start, p.target_end],
            )
            for p in pair.passages
        ],
    }


def _passage_texts(
    pairs: Iterable[Pair], documents: Mapping[str, Document]
) -> dict[tuple[str, int, int], str]:
    """The text of every passage of the pairs on both sides, by (document, start, end): each
    document is read once."""
    spans: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for pair in pairs:
        source, target = spans[pair.source], spans[pair.target]
        for passage in pair.passages:
            source.add((passage.source_start, passage.source_end))
            target.add((passage.target_start, passage.target_end))
    texts = {}
    for document, wanted in spans.items():
        text = text_by_id(documents, document)
        for start, end in wanted:
            texts[document, start, end] = text[start:end]
    return texts


def _pairs_to_dicts(
    pairs: Sequence[Pair], documents: Mapping[str, Document]
) -> Iterator[dict[str, Any]]:
    """`pair_to_dict` of each pair, in order, with the passage texts of PAIRS_PER_READ pairs
    read at a time."""
    for first in range(0, len(pairs), PAIRS_PER_READ):
        some = pairs[first : first + PAIRS_PER_READ]
        texts = _passage_texts(some, documents)
        for pair in some:
            yield _pair_dict(pair, texts)


def mutation_to_dict(mutation: Mutation) -> dict[str, Any]:
    """One typed change along a lineage hop."""
    return {
        "type": mutation.type,
        "source_text": mutation.source_text,
        "target_text": mutation.target_text,
        "source_start": mutation.source_start,
        "source_end": mutation.source_end,
        "target_start": mutation.target_start,
        "target_end": mutation.target_end,
    }


def cluster_to_dict(cluster: ReuseCluster, documents: Mapping[str, Document]) -> dict[str, Any]:
    """One reuse cluster: its members, its lineage tree and the mutations on every edge."""
    taken = taken_versions(cluster)
    return {
        "id": cluster.id,
        "kind": cluster.kind,
        "members": [
            {"document": m.document, "start": m.start, "end": m.end} for m in cluster.members
        ],
        "root": cluster.root,
        "roots": list(cluster.roots),
        "versions": [
            {"document": doc, "label": version_label(documents[doc])} for doc in cluster.versions
        ],
        "edges": [
            {
                "parent": edge.parent,
                "child": edge.child,
                "confidence": round(edge.confidence, 4),
                "credited": edge.credited,
                "credit": edge.credit,
                "version": taken[edge.child],
                "mutations": [mutation_to_dict(m) for m in edge.mutations],
            }
            for edge in cluster.edges
        ],
    }


def credits_to_list(report: Report) -> list[dict[str, Any]]:
    """For each document that took text from another: whether it credits that source."""
    return list(_credit_dicts(report.clusters))


def _credit_dicts(clusters: Iterable[ReuseCluster]) -> Iterator[dict[str, Any]]:
    """`credits_to_list` of these clusters, one by one."""
    for cluster in clusters:
        for edge in cluster.edges:
            yield _credit_dict(cluster, edge)


def _credit_dict(cluster: ReuseCluster, edge: LineageEdge) -> dict[str, Any]:
    """Whether the child of one edge of the cluster credits its parent."""
    return {
        "document": edge.child,
        "source": edge.parent,
        "cluster": cluster.id,
        "origin": cluster.root,
        "credited": edge.credited,
        "credit": edge.credit,
    }


def boilerplate_to_dict(span: BoilerplateSpan) -> dict[str, Any]:
    """A span of text its outlet repeats across many of its documents (not news reuse)."""
    return {"document": span.document, "start": span.start, "end": span.end, "text": span.text}


def skipped_to_dict(skipped: Skipped) -> dict[str, Any]:
    """An input that was not read, and why."""
    return {"input": skipped.input, "line": skipped.line, "reason": skipped.reason}


def notice_to_dict(notice: Notice) -> dict[str, Any]:
    """Something worth knowing about an input that was read."""
    return {"input": notice.input, "line": notice.line, "message": notice.message}


def _top_level(report: Report) -> Iterator[tuple[str, Any]]:
    """The report's top-level keys in order, each with its value; the long lists (documents,
    pairs, clusters, ...) as iterators, so a writer need not hold them all as data at once."""
    documents = documents_by_id(report.documents)
    yield "schema", SCHEMA
    yield (
        "summary",
        {
            "documents": len(report.documents),
            "pairs": len(report.pairs),
            "passages": sum(len(pair.passages) for pair in report.pairs),
            "skipped": len(report.skipped),
            "clusters": len(report.clusters),
            "notices": len(report.notices),
            "boilerplate": len(report.boilerplate),
            "boilerplate_documents": len({span.document for span in report.boilerplate}),
        },
    )
    yield "settings", report.settings.to_dict() if report.settings is not None else None
    yield (
        "documents",
        map(_document_dict, metadata(report.documents)),
    )
    yield "pairs", _pairs_to_dicts(report.pairs, documents)
    yield "clusters", (cluster_to_dict(cluster, documents) for cluster in report.clusters)
    yield "credits", _credit_dicts(report.clusters)
    yield "boilerplate", (boilerplate_to_dict(span) for span in report.boilerplate)
    yield "skipped", (skipped_to_dict(item) for item in report.skipped)
    yield "notices", (notice_to_dict(item) for item in report.notices)
    if report.traces:  # only a trace (`wiretrace trace`, `Index.trace`) has this section
        yield "sources", (trace_to_dict(trace) for trace in report.traces)


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as plain data, following the documented contract."""
    return {
        key: list(value) if isinstance(value, Iterator) else value
        for key, value in _top_level(report)
    }


def trace_to_dict(trace: Trace) -> dict[str, Any]:
    """Where one traced article's words come from: each source's share and its own share."""
    return {
        "article": trace.article,
        "own_share": round(trace.own_share, 4),
        "sources": [
            {"id": item.source, "outlet": item.outlet, "share": round(item.share, 4)}
            for item in trace.sources
        ],
    }


def iter_json(report: Report, *, indent: int = 2, jobs: int | None = 1) -> Iterator[str]:
    """The pieces of `render_json(report, indent=indent)`, made a few hundred list items at a
    time: write them to a file as they come and a large report is never held whole as JSON text
    or data. With `jobs` above 1 (None: all cores), worker processes make the pieces of the
    long lists (see `_parallel_pieces`); the text is the same. `indent` is checked as
    `render_json` checks it, when the first piece is made."""
    pad = " " * whole_number("indent", indent, 0, MAX_INDENT)
    separator = f",\n{pad}{pad}"
    workers = Settings(jobs=jobs).workers
    parallel = {
        key: len(range(0, len(getattr(report, key)), ITEMS_PER_TASK))
        for key in _PARALLEL_SECTIONS
        if workers > 1 and len(getattr(report, key)) > ITEMS_PER_TASK
    }
    # One pool of workers for all the sections, started when the first is reached: they work
    # ahead on the next section while this process writes one out.
    made = _parallel_pieces(report, parallel, separator, workers)
    documents = documents_by_id(report.documents)
    try:
        yield "{\n"
        for number, (key, value) in enumerate(_top_level(report)):
            head = f"{',' + chr(10) if number else ''}{pad}{_encode(key)}: "
            pieces: Iterator[str]
            if key in parallel:
                pieces = islice(made, parallel[key])
            elif key in _JSON_SECTIONS:
                pieces = _pieces(_items_json(report, key, documents), separator)
            elif isinstance(value, (list, Iterator)):
                pieces = _pieces(map(_encode, value), separator)
            else:
                yield head + _encode(value)
                continue
            first = next(pieces, None)
            if first is None:
                yield head + "[]"
                continue
            # Pieces are given as they are (a worker's is a few megabytes), not copied into
            # one string with their separator.
            yield f"{head}[\n{pad}{pad}"
            yield first
            for piece in pieces:
                yield separator
                yield piece
            yield f"\n{pad}]"
        yield "\n}\n"
    finally:
        made.close()


def _pieces(items: Iterator[str], separator: str) -> Iterator[str]:
    """The items' JSON, ITEMS_PER_PIECE at a time joined by `separator`."""
    while piece := list(islice(items, ITEMS_PER_PIECE)):
        yield separator.join(piece)


# The report's lists whose items `_items_json` makes into JSON, and those of them that worker
# processes make with several jobs, ITEMS_PER_TASK items a task.
_JSON_SECTIONS = ("documents", "pairs", "clusters", "credits", "boilerplate")
_PARALLEL_SECTIONS = ("documents", "pairs", "clusters", "boilerplate")
ITEMS_PER_TASK = 1024
# The report being rendered, shared with the worker processes forked for it.
_RENDERING: tuple[Report, Mapping[str, Document], str] | None = None


def _parallel_pieces(
    report: Report, tasks: Mapping[str, int], separator: str, workers: int
) -> Generator[str, None, None]:
    """The JSON of the items of `report.<key>` for each key of `tasks` (of _PARALLEL_SECTIONS,
    in their order), ITEMS_PER_TASK at a time (`tasks[key]` pieces) joined by `separator`, made
    in `workers` forked worker processes and given in order."""
    global _RENDERING
    if not tasks:
        return
    _RENDERING = (report, documents_by_id(report.documents), separator)
    try:
        yield from in_order(
            _encoded_items,
            [(key, task * ITEMS_PER_TASK) for key, count in tasks.items() for task in range(count)],
            workers,
        )
    finally:
        _RENDERING = None


def _encoded_items(task: tuple[str, int]) -> str:
    """In a worker process: the JSON of ITEMS_PER_TASK items of a section from `start`."""
    assert _RENDERING is not None
    report, documents, separator = _RENDERING
    key, start = task
    return separator.join(_items_json(report, key, documents, start, start + ITEMS_PER_TASK))


def _items_json(
    report: Report,
    key: str,
    documents: Mapping[str, Document],
    start: int = 0,
    stop: int | None = None,
) -> Iterator[str]:
    """The JSON of each item of `report.<key>` (one of _JSON_SECTIONS) from `start` to `stop`:
    `_encode` of its `*_to_dict` (of `credits_to_list`'s items for "credits")."""
    if key == "documents":
        return map(_document_json, metadata(report.documents, start, stop))
    if key == "pairs":
        return _pairs_json(report.pairs[start:stop], documents)
    if key == "clusters":
        return _clusters_json(report.clusters[start:stop], documents)
    if key == "credits":
        return _credits_json(report.clusters[start:stop])
    return (
        _exactly(_boilerplate_json, boilerplate_to_dict, span)
        for span in report.boilerplate[start:stop]
    )


def _pairs_json(pairs: Sequence[Pair], documents: Mapping[str, Document]) -> Iterator[str]:
    """`_pairs_to_dicts` as JSON, pair by pair."""
    for first in range(0, len(pairs), PAIRS_PER_READ):
        some = pairs[first : first + PAIRS_PER_READ]
        texts = _passage_texts(some, documents)
        for pair in some:
            yield _exactly(_pair_json, _pair_dict, pair, texts)


# The JSON of the long lists' items is written here with f-strings, the text `_encode` gives
# for their dicts (the json module's separators, texts not ASCII-escaped by `_string`, its C
# function) in a third of the time: its C encoder writes every key of every dict afresh, and
# each call costs ~2 us more. An int field is written by `format`, as the encoder writes an int;
# so is a score, rounded as in the dicts (a float in [0, 1], never NaN, or an int). A str field
# holding another type makes `_string` raise TypeError: that item is then made by the encoder
# (`_exactly`).
_string = json.encoder.encode_basestring


def _exactly(to_json: Callable[..., str], to_dict: Callable[..., Any], *fields: Any) -> str:
    """`to_json(*fields)`, or `_encode(to_dict(*fields))` where a field is of another type than
    the record says (TypeError): the text is that of `to_dict` always."""
    try:
        return to_json(*fields)
    except TypeError:
        return _encode(to_dict(*fields))


def _optional(value: str | None) -> str:
    """An optional str field's JSON."""
    return "null" if value is None else _string(value)


def _boolean(value: bool) -> str:
    """A bool field's JSON."""
    if value is True:
        return "true"
    return "false" if value is False else _encode(value)


def _document_json(fields: Metadata) -> str:
    """`document_to_dict` as JSON, from a document's `metadata` (str or None: Document
    converts them so)."""
    document_id, outlet, published, title, url, length = fields
    return (
        f'{{"id": {_string(document_id)}, "outlet": {_optional(outlet)}, '
        f'"published": {_optional(published)}, "title": {_optional(title)}, '
        f'"url": {_optional(url)}, "length": {length}}}'
    )


def _edit_json(edit: Edit) -> str:
    """`edit_to_dict` as JSON."""
    return (
        f'{{"op": {_string(edit.op)}, "source_start": {edit.source_start}, '
        f'"source_end": {edit.source_end}, "target_start": {edit.target_start}, '
        f'"target_end": {edit.target_end}, "source_text": {_string(edit.source_text)}, '
        f'"target_text": {_string(edit.target_text)}}}'
    )


def _passage_json(passage: Passage, source_text: str, target_text: str) -> str:
    """`_passage_dict` as JSON."""
    return (
        f'{{"source_start": {passage.source_start}, "source_end": {passage.source_end}, '
        f'"target_start": {passage.target_start}, "target_end": {passage.target_end}, '
        f'"similarity": {round(passage.similarity, 4)}, "kind": {_string(passage.kind)}, '
        f'"matched_words": {passage.matched_words}, "source_words": {passage.source_words}, '
        f'"target_words": {passage.target_words}, "source_text": {_string(source_text)}, '
        f'"target_text": {_string(target_text)}, '
        f'"edits": [{", ".join(map(_edit_json, passage.edits))}]}}'
    )


def _pair_json(pair: Pair, texts: Mapping[tuple[str, int, int], str]) -> str:
    """`_pair_dict` as JSON."""
    source, target = pair.source, pair.target
    passages = ", ".join(
        [
            _passage_json(
                p,
                texts[source, p.source_start, p.source_end],
                texts[target, p.target_start, p.target_end],
            )
            for p in pair.passages
        ]
    )
    return (
        f'{{"source": {_string(source)}, "target": {_string(target)}, '
        f'"direction": {_string(pair.direction)}, "similarity": {round(pair.similarity, 4)}, '
        f'"source_coverage": {round(pair.source_coverage, 4)}, '
        f'"target_coverage": {round(pair.target_coverage, 4)}, "passages": [{passages}]}}'
    )


def _mutation_json(mutation: Mutation) -> str:
    """`mutation_to_dict` as JSON."""
    return (
        f'{{"type": {_string(mutation.type)}, "source_text": {_string(mutation.source_text)}, '
        f'"target_text": {_string(mutation.target_text)}, '
        f'"source_start": {mutation.source_start}, "source_end": {mutation.source_end}, '
        f'"target_start": {mutation.target_start}, "target_end": {mutation.target_end}}}'
    )


def _clusters_json(
    clusters: Sequence[ReuseCluster], documents: Mapping[str, Document]
) -> Iterator[str]:
    """`cluster_to_dict` of each cluster as JSON, the version label of a document found once
    (a document is a version in several clusters, and finding its label reads its text)."""
    wanted = dict.fromkeys(doc for cluster in clusters for doc in cluster.versions)
    labels = {doc: version_label(documents[doc]) for doc in wanted}
    for cluster in clusters:
        try:
            yield _cluster_json(cluster, labels)
        except TypeError:  # see `_exactly`
            yield _encode(cluster_to_dict(cluster, documents))


def _cluster_json(cluster: ReuseCluster, labels: Mapping[str, str | None]) -> str:
    """`cluster_to_dict` as JSON, given the `version_label` of each of its versions."""
    taken = taken_versions(cluster)
    members = ", ".join(
        [
            f'{{"document": {_string(m.document)}, "start": {m.start}, "end": {m.end}}}'
            for m in cluster.members
        ]
    )
    versions = ", ".join(
        [
            f'{{"document": {_string(doc)}, "label": {_optional(labels[doc])}}}'
            for doc in cluster.versions
        ]
    )
    edges = ", ".join(
        [
            f'{{"parent": {_string(edge.parent)}, "child": {_string(edge.child)}, '
            f'"confidence": {round(edge.confidence, 4)}, "credited": {_boolean(edge.credited)}, '
            f'"credit": {_optional(edge.credit)}, "version": {_optional(taken[edge.child])}, '
            f'"mutations": [{", ".join(map(_mutation_json, edge.mutations))}]}}'
            for edge in cluster.edges
        ]
    )
    return (
        f'{{"id": {_string(cluster.id)}, "kind": {_string(cluster.kind)}, '
        f'"members": [{members}], "root": {_string(cluster.root)}, '
        f'"roots": [{", ".join(map(_string, cluster.roots))}], "versions": [{versions}], '
        f'"edges": [{edges}]}}'
    )


def _credits_json(clusters: Sequence[ReuseCluster]) -> Iterator[str]:
    """`credits_to_list` of these clusters, each item as JSON."""
    for cluster in clusters:
        for edge in cluster.edges:
            yield _exactly(_credit_json, _credit_dict, cluster, edge)


def _credit_json(cluster: ReuseCluster, edge: LineageEdge) -> str:
    """`_credit_dict` as JSON."""
    return (
        f'{{"document": {_string(edge.child)}, "source": {_string(edge.parent)}, '
        f'"cluster": {_string(cluster.id)}, "origin": {_string(cluster.root)}, '
        f'"credited": {_boolean(edge.credited)}, "credit": {_optional(edge.credit)}}}'
    )


def _boilerplate_json(span: BoilerplateSpan) -> str:
    """`boilerplate_to_dict` as JSON."""
    return (
        f'{{"document": {_string(span.document)}, "start": {span.start}, "end": {span.end}, '
        f'"text": {_string(span.text)}}}'
    )


# `json.dumps(value, ensure_ascii=False)`, with one encoder for every value (the report's data
# is made afresh for each item, so it holds no cycles to check for).
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def render_json(report: Report, *, indent: int | None = 2) -> str:
    """The report as a JSON document (UTF-8 text, not ASCII-escaped).

    With `indent`, each top-level key is on its own line and each item of a top-level list
    (a document, a pair with its passages, a cluster, ...) on one line of its own, indented:
    readable, and written by the json module's C encoder (a fully indented dump of a large
    report uses its pure-Python encoder, many times slower). `indent=None` gives one line;
    else it is a whole number of spaces, 0 to `MAX_INDENT` (32); another value raises
    ConfigError. Anything but a Report raises TypeError.
    """
    check_report(report, "render_json")
    if indent is None:
        return _encode(report_to_dict(report)) + "\n"
    return "".join(iter_json(report, indent=indent))


def render_stats_json(stats: Mapping[str, Any]) -> str:
    """An index's statistics (`Index.stats`) as a JSON document."""
    return json.dumps(stats, ensure_ascii=False, indent=2) + "\n"
