"""The JSON report: the documented contract other tools read (schema "wiretrace.report/1")."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from wiretrace._workers import in_order
from wiretrace.config import Settings
from wiretrace.corpus import documents_by_id, headers
from wiretrace.lineage import taken_versions, version_label
from wiretrace.models import (
    BoilerplateSpan,
    Document,
    Edit,
    Mutation,
    Notice,
    Pair,
    Passage,
    Report,
    ReuseCluster,
    Skipped,
    Trace,
)

SCHEMA = "wiretrace.report/1"
# Pairs whose passage texts are read together: each of their documents is read once, not once
# for every pair it is in (a corpus keeps only its latest few texts), and no more than these
# pairs' passage texts are held at once.
PAIRS_PER_READ = 4096
# Items of a top-level list written as one piece.
ITEMS_PER_PIECE = 256


def document_to_dict(document: Document, length: int | None = None) -> dict[str, Any]:
    """A document's metadata (not its text) as the report lists it; `length` is its text's
    length, when known without the text."""
    return {
        "id": document.id,
        "outlet": document.outlet,
        "published": document.published,
        "title": document.title,
        "url": document.url,
        "length": len(document.text) if length is None else length,
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
        text = documents[document].text
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
    return [
        {
            "document": edge.child,
            "source": edge.parent,
            "cluster": cluster.id,
            "origin": cluster.root,
            "credited": edge.credited,
            "credit": edge.credit,
        }
        for cluster in report.clusters
        for edge in cluster.edges
    ]


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
        (document_to_dict(document, length) for document, length in headers(report.documents)),
    )
    yield "pairs", _pairs_to_dicts(report.pairs, documents)
    yield "clusters", (cluster_to_dict(cluster, documents) for cluster in report.clusters)
    yield "credits", credits_to_list(report)
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
    long lists (see `_parallel_pieces`); the text is the same."""
    pad = " " * indent
    workers = Settings(jobs=jobs).workers
    yield "{\n"
    for number, (key, value) in enumerate(_top_level(report)):
        head = f"{',' + chr(10) if number else ''}{pad}{_encode(key)}: "
        separator = f",\n{pad}{pad}"
        if workers > 1 and key in _PARALLEL_SECTIONS:
            section = getattr(report, key)
            if len(section) > ITEMS_PER_TASK:
                yield f"{head}[\n{pad}{pad}"
                for task, encoded in enumerate(_parallel_pieces(report, key, separator, workers)):
                    yield separator + encoded if task else encoded
                yield f"\n{pad}]"
                continue
        if isinstance(value, (list, Iterator)):
            items = iter(value)
            first = next(items, _END)
            if first is _END:
                yield head + "[]"
                continue
            yield f"{head}[\n{pad}{pad}{_encode(first)}"
            while piece := list(islice(items, ITEMS_PER_PIECE)):
                yield separator + separator.join(map(_encode, piece))
            yield f"\n{pad}]"
        else:
            yield head + _encode(value)
    yield "\n}\n"


# The report's lists whose items worker processes make into JSON, and how many items a task.
_PARALLEL_SECTIONS = ("documents", "pairs", "clusters", "boilerplate")
ITEMS_PER_TASK = 1024
# The report being rendered, shared with the worker processes forked for it.
_RENDERING: tuple[Report, Mapping[str, Document], str] | None = None


def _parallel_pieces(report: Report, key: str, separator: str, workers: int) -> Iterator[str]:
    """The JSON of the items of `report.<key>` (see _PARALLEL_SECTIONS), ITEMS_PER_TASK at a time,
    joined by `separator`, made in `workers` forked worker processes and given in order."""
    global _RENDERING
    tasks = [(key, start) for start in range(0, len(getattr(report, key)), ITEMS_PER_TASK)]
    _RENDERING = (report, documents_by_id(report.documents), separator)
    try:
        yield from in_order(_encoded_items, tasks, workers)
    finally:
        _RENDERING = None


def _encoded_items(task: tuple[str, int]) -> str:
    """In a worker process: the JSON of ITEMS_PER_TASK items of a section from `start`."""
    assert _RENDERING is not None
    report, documents, separator = _RENDERING
    key, start = task
    stop = start + ITEMS_PER_TASK
    items: Iterable[dict[str, Any]]
    if key == "documents":
        items = (document_to_dict(*header) for header in headers(report.documents, start, stop))
    elif key == "pairs":
        items = _pairs_to_dicts(report.pairs[start:stop], documents)
    elif key == "clusters":
        items = (cluster_to_dict(cluster, documents) for cluster in report.clusters[start:stop])
    else:
        items = map(boilerplate_to_dict, report.boilerplate[start:stop])
    return separator.join(map(_encode, items))


_END = object()
# `json.dumps(value, ensure_ascii=False)`, with one encoder for every value (the report's data
# is made afresh for each item, so it holds no cycles to check for).
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def render_json(report: Report, *, indent: int | None = 2) -> str:
    """The report as a JSON document (UTF-8 text, not ASCII-escaped).

    With `indent`, each top-level key is on its own line and each item of a top-level list
    (a document, a pair with its passages, a cluster, ...) on one line of its own, indented:
    readable, and written by the json module's C encoder (a fully indented dump of a large
    report uses its pure-Python encoder, many times slower). `indent=None` gives one line.
    """
    if indent is None:
        return _encode(report_to_dict(report)) + "\n"
    return "".join(iter_json(report, indent=indent))


def render_stats_json(stats: Mapping[str, Any]) -> str:
    """An index's statistics (`Index.stats`) as a JSON document."""
    return json.dumps(stats, ensure_ascii=False, indent=2) + "\n"
