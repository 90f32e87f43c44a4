"""The HTML report: one self-contained page (styles, script and data inline) to read a report in.

Nothing from the input can run or inject markup: every string written into the page is escaped
here, the data reach the script as a JSON block that cannot close its ``<script>`` element, the
script builds the page with ``textContent``/``createElement`` only, and a Content-Security-Policy
allows only this page's own style and script (by hash) and no network access at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import attrs
import numpy as np

from wiretrace._workers import in_order
from wiretrace.config import Settings
from wiretrace.corpus import Metadata, documents_by_id, metadata, text_by_id
from wiretrace.lineage import version_label
from wiretrace.models import (
    BoilerplateSpan,
    Document,
    Pair,
    Passage,
    Report,
    ReuseCluster,
    check_report,
    parse_published,
)
from wiretrace.report.json import SCHEMA
from wiretrace.shingle import TOKEN_PATTERN, tokenize

TOP_ITEMS = 5
MAX_LISTED = 100
SNIPPET_CHARS = 240

MUTATION_LABELS = {
    "number": ("NUM", "number changed"),
    "name": ("NAME", "name changed"),
    "quote": ("QUOTE", "quotation changed"),
    "attribution": ("ATTR", "attribution changed or dropped"),
    "hedge": ("HEDGE", "hedge word added or removed"),
    "substitution": ("SUB", "words replaced"),
    "insertion": ("INS", "words inserted"),
    "deletion": ("DEL", "words deleted"),
    "sentence_added": ("+SENT", "sentence added"),
    "sentence_removed": ("-SENT", "sentence removed"),
}


# Characters that no URL made a link may hold: controls, spaces, backslashes and DEL.
_NOT_IN_LINKS = re.compile(r"[\x00-\x20\\\x7f]")


def safe_href(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL that may become a link, else None."""
    if not url or _NOT_IN_LINKS.search(url) is not None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def embed_json(data: Any) -> str:
    """`data` as JSON that is safe inside a <script> element: no <, >, & or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _asset(name: str) -> str:
    return resources.files("wiretrace.report").joinpath("assets", name).read_text(encoding="utf-8")


def _timestamp(published: str | None) -> int | None:
    moment = parse_published(published)
    return int(moment.timestamp() * 1000) if moment is not None else None


def _word_bounds(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The start and end offsets of the text's words, as the pipeline's tokenizer finds them."""
    tokens = tokenize(text)
    return tokens.starts, tokens.ends


def _word_bounds_plain(text: str) -> tuple[np.ndarray, np.ndarray]:
    """`_word_bounds` from TOKEN_PATTERN's matches one by one: the reference it is tested
    against."""
    bounds = np.array(
        [offset for match in TOKEN_PATTERN.finditer(text) for offset in match.span()],
        dtype=np.int64,
    ).reshape(-1, 2)
    return bounds[:, 0], bounds[:, 1]


def _inside(bounds: tuple[np.ndarray, np.ndarray], spans: Iterable[tuple[int, int]]) -> np.ndarray:
    """Which words lie wholly inside the spans (the rule of the pairs' coverage)."""
    starts, ends = bounds
    inside = np.zeros(len(starts), dtype=bool)
    for start, end in spans:
        inside |= (starts >= start) & (ends <= end)
    return inside


def source_shares(
    document: Document | str, pairs: Sequence[tuple[int, Pair]]
) -> tuple[list[tuple[int, float, float]], float]:
    """How much of `document` (or of a text) comes from each source, and how much is its own.

    `pairs` are the (index, pair) where the document is the target. Sources are taken largest
    coverage first; each gets the share of words it covers that no larger source covered, so the
    shares and the own share sum to 1. Returns ([(pair index, share, coverage)], own share).
    """
    if not pairs:
        return [], 1.0
    bounds = _word_bounds(document if isinstance(document, str) else document.text)
    if len(bounds[0]) == 0:
        return [], 1.0
    claimed = np.zeros(len(bounds[0]), dtype=bool)
    shares = []
    ranked = sorted(pairs, key=lambda item: (-item[1].target_coverage, -item[1].similarity))
    for index, pair in ranked:
        covered = _inside(bounds, ((p.target_start, p.target_end) for p in pair.passages))
        fresh = covered & ~claimed
        claimed |= covered
        shares.append((index, float(fresh.mean()), pair.target_coverage))
    return shares, 1.0 - float(claimed.mean())


def _same_offset(offset: int) -> int:
    return offset


def utf16_offsets(text: str) -> Callable[[int], int]:
    """A map from code point offsets into `text` to UTF-16 offsets (JavaScript string indices)."""
    # An ASCII text (known without reading it) has none; else its UTF-16 is longer than two
    # bytes a character only with one (lone surrogates are kept as one unit each): a tenth of
    # the search's time on news texts.
    if text.isascii() or len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text):
        return _same_offset
    astral = np.fromiter((ord(char) > 0xFFFF for char in text), dtype=np.int64, count=len(text))
    before = np.concatenate(([0], np.cumsum(astral)))
    return lambda offset: offset + int(before[offset])


# Items of the page's long lists (documents, pairs, clusters) a worker process makes in one
# task, with several jobs.
ITEMS_PER_TASK = 1024


@attrs.frozen
class _Page:
    """What the page's data are made from, worked out once (by the process rendering the page)
    and shared with the worker processes forked to make the long lists' items."""

    report: Report
    by_id: Mapping[str, Document]
    meta: list[Metadata]
    position: dict[str, int]
    outlet_number: dict[str, int]
    as_target: dict[str, list[tuple[int, Pair]]]
    best: dict[str, float]
    in_use: set[str]
    boilerplate_of: dict[str, list[BoilerplateSpan]]
    boilerplate_number: dict[str, int]
    pair_of: dict[frozenset[str], int]
    edge_of: dict[int, list[int]]
    # The UTF-16 offset maps of the texts read so far (this process's), and the documents known
    # to hold characters outside the BMP (None: not known yet; see `_Page.offsets`).
    js: dict[str, Callable[[int], int]] = attrs.field(factory=dict)
    astral: set[str] | None = None

    def offsets(self, doc_id: str) -> Callable[[int], int]:
        """The UTF-16 offset map of a document's text (`utf16_offsets`): one made here, else,
        where the documents with characters outside the BMP are known, the identity for the
        others (their texts are not read again)."""
        convert = self.js.get(doc_id)
        if convert is None:
            if self.astral is not None and doc_id not in self.astral:
                return _same_offset
            convert = self.js[doc_id] = utf16_offsets(text_by_id(self.by_id, doc_id))
        return convert


# The page being made, shared with the worker processes forked for it.
_PAGE: _Page | None = None


def _page(report: Report) -> _Page:
    """The `_Page` of a report: its documents' metadata, who uses which, the boilerplate texts'
    numbers (in the order the documents list them) and the lineage hop of each pair."""
    meta = list(metadata(report.documents))
    outlets = sorted({fields[1] for fields in meta if fields[1]}, key=str.casefold)
    as_target: dict[str, list[tuple[int, Pair]]] = {}
    for number, pair in enumerate(report.pairs):
        as_target.setdefault(pair.target, []).append((number, pair))
    best: dict[str, float] = {}
    for pair in report.pairs:
        for side in (pair.source, pair.target):
            best[side] = max(best.get(side, 0.0), pair.similarity)
    in_use = {side for pair in report.pairs for side in (pair.source, pair.target)}
    in_use |= {m.document for cluster in report.clusters for m in cluster.members}
    # Boilerplate spans by document; their texts (one outlet's footer repeats) are listed once,
    # numbered in the order the documents list them.
    boilerplate_of: dict[str, list[BoilerplateSpan]] = {}
    for span in report.boilerplate:
        boilerplate_of.setdefault(span.document, []).append(span)
    boilerplate_number: dict[str, int] = {}
    for fields in meta:
        for span in boilerplate_of.get(fields[0], ()):
            boilerplate_number.setdefault(span.text, len(boilerplate_number))
    # Each pair's first hop (cluster number, edge number) in the lineage trees.
    pair_of = {frozenset((p.source, p.target)): n for n, p in enumerate(report.pairs)}
    edge_of: dict[int, list[int]] = {}
    for cluster_number, cluster in enumerate(report.clusters):
        for edge_number, edge in enumerate(cluster.edges):
            pair_number = pair_of.get(frozenset((edge.parent, edge.child)))
            if pair_number is not None:
                edge_of.setdefault(pair_number, [cluster_number, edge_number])
    return _Page(
        report=report,
        by_id=documents_by_id(report.documents),
        meta=meta,
        position={fields[0]: number for number, fields in enumerate(meta)},
        outlet_number={name: number for number, name in enumerate(outlets)},
        as_target=as_target,
        best=best,
        in_use=in_use,
        boilerplate_of=boilerplate_of,
        boilerplate_number=boilerplate_number,
        pair_of=pair_of,
        edge_of=edge_of,
    )


def _documents_data(page: _Page, start: int, stop: int) -> tuple[list[str], list[str]]:
    """The page data of the documents from `start` to `stop` (`embed_json` of each), and the
    ids of those whose text holds a character outside the BMP. Each text is read once, and only
    when the page needs it: the documents in use and those with boilerplate spans."""
    items, astral = [], []
    for doc_id, outlet, published, title, url, length in page.meta[start:stop]:
        text = ""
        if doc_id in page.in_use or doc_id in page.boilerplate_of:
            text = text_by_id(page.by_id, doc_id)
            convert = page.js[doc_id] = utf16_offsets(text)
            if convert is not _same_offset:
                astral.append(doc_id)
        shares, own = source_shares(text, page.as_target.get(doc_id, []))
        # [start, end] in UTF-16, the text's number, and the code point offsets if they differ.
        boilerplate = []
        for span in page.boilerplate_of.get(doc_id, []):
            at = [page.js[doc_id](span.start), page.js[doc_id](span.end)]
            cp = [span.start, span.end]
            boilerplate.append([*at, page.boilerplate_number[span.text], *(cp if cp != at else [])])
        items.append(
            embed_json(
                {
                    "id": doc_id,
                    "outlet": outlet,
                    "o": page.outlet_number.get(outlet, -1) if outlet else -1,
                    "published": published,
                    "time": _timestamp(published),
                    "title": title,
                    "url": url,
                    "href": safe_href(url),
                    "length": length,
                    "text": text if doc_id in page.in_use else None,
                    "best": round(page.best.get(doc_id, 0.0), 4),
                    "sources": [[n, round(share, 4), round(cov, 4)] for n, share, cov in shares],
                    "own": round(own, 4),
                    **({"boilerplate": boilerplate} if boilerplate else {}),
                }
            )
        )
    return items, astral


def _clusters_data(page: _Page, start: int, stop: int) -> list[str]:
    """The page data of the clusters from `start` to `stop` (`embed_json` of each)."""
    report, position, items = page.report, page.position, []
    for cluster in report.clusters[start:stop]:
        edges = []
        for edge in cluster.edges:
            parent, child = page.offsets(edge.parent), page.offsets(edge.child)
            pair_number = page.pair_of.get(frozenset((edge.parent, edge.child)))
            edges.append(
                {
                    "parent": position[edge.parent],
                    "child": position[edge.child],
                    "confidence": round(edge.confidence, 4),
                    "credited": edge.credited,
                    "credit": edge.credit,
                    "pair": pair_number,
                    "mutations": [
                        [
                            m.type,
                            parent(m.source_start),
                            parent(m.source_end),
                            child(m.target_start),
                            child(m.target_end),
                        ]
                        for m in edge.mutations
                    ],
                }
            )
        items.append(
            embed_json(
                {
                    "id": cluster.id,
                    "kind": cluster.kind,
                    "root": position[cluster.root],
                    "roots": [position[root] for root in cluster.roots],
                    "versions": [
                        [position[doc], version_label(report.document(doc))]
                        for doc in cluster.versions
                    ],
                    "members": [
                        [position[m.document], *map(page.offsets(m.document), (m.start, m.end))]
                        for m in cluster.members
                    ],
                    "edges": edges,
                }
            )
        )
    return items


def _pairs_data(page: _Page, start: int, stop: int) -> list[str]:
    """The page data of the pairs from `start` to `stop` (`embed_json` of each)."""
    report, items = page.report, []
    for number, pair in enumerate(report.pairs[start:stop], start):
        hop = page.edge_of.get(number)
        reversed_hop = (
            hop is not None and report.clusters[hop[0]].edges[hop[1]].parent != pair.source
        )
        source, target = page.offsets(pair.source), page.offsets(pair.target)
        items.append(
            embed_json(
                {
                    "s": page.position[pair.source],
                    "t": page.position[pair.target],
                    "direction": pair.direction,
                    "similarity": round(pair.similarity, 4),
                    "source_coverage": round(pair.source_coverage, 4),
                    "target_coverage": round(pair.target_coverage, 4),
                    "edge": hop,
                    "reversed": reversed_hop,
                    "passages": [_passage_data(p, source, target) for p in pair.passages],
                }
            )
        )
    return items


def _made_here(task: tuple[str, int]) -> Any:
    """In a worker process (or here): the page data of ITEMS_PER_TASK items of a list from
    `start` (see `_documents_data`, `_clusters_data`, `_pairs_data`)."""
    assert _PAGE is not None
    key, start = task
    make = {"documents": _documents_data, "clusters": _clusters_data, "pairs": _pairs_data}[key]
    return make(_PAGE, start, start + ITEMS_PER_TASK)


def _page_data(
    report: Report, jobs: int | None = 1, idle: Iterator[Callable[[], Any]] | None = None
) -> list[str]:
    """What the page's script renders: documents (texts once), pairs and clusters by index, as
    pieces of `embed_json` of one object (its items made one at a time: the page's data are never
    held whole as data, only as JSON).

    Offsets here are UTF-16 offsets, as JavaScript indexes strings; a passage whose offsets differ
    from the report's code point offsets also carries those (`cp`) to show them.

    With `jobs` above 1 (None: all cores), worker processes make the items of the long lists,
    ITEMS_PER_TASK a task: the documents' first, then (the documents whose texts hold characters
    outside the BMP known) the clusters' and the pairs'; the data are the same. `idle`: steps for
    this process to take while it waits for them (see `_workers.in_order`).
    """
    global _PAGE
    page = _page(report)
    workers = Settings(jobs=jobs).workers
    sections = {
        "documents": len(page.meta),
        "clusters": len(report.clusters),
        "pairs": len(report.pairs),
    }
    made: dict[str, list[str]] = {key: [] for key in sections}
    _PAGE = page
    try:
        tasks = [("documents", start) for start in range(0, sections["documents"], ITEMS_PER_TASK)]
        astral: set[str] = set()
        for items, some in in_order(_made_here, tasks, workers, idle):
            made["documents"].extend(items)
            astral.update(some)
        # The workers forked next know which texts need an offset map: no other is read again.
        page = _PAGE = attrs.evolve(page, astral=astral)
        tasks = [
            (key, start)
            for key in ("clusters", "pairs")
            for start in range(0, sections[key], ITEMS_PER_TASK)
        ]
        for (key, _), items in zip(tasks, in_order(_made_here, tasks, workers, idle), strict=True):
            made[key].extend(items)
    finally:
        _PAGE = None
    for step in idle or ():
        step()
    labels = {name: list(labels) for name, labels in MUTATION_LABELS.items()}
    outlets = sorted(page.outlet_number, key=page.outlet_number.__getitem__)
    # json.dumps of the object these items make, as its separators join them.
    return [
        '{"outlets":',
        embed_json(outlets),
        ',"documents":[',
        *_joined(made["documents"]),
        '],"pairs":[',
        *_joined(made["pairs"]),
        '],"clusters":[',
        *_joined(made["clusters"]),
        '],"boilerplate":',
        embed_json(list(page.boilerplate_number)),
        ',"mutationLabels":',
        embed_json(labels),
        "}",
    ]


def _joined(items: list[str], size: int = 256) -> Iterator[str]:
    """The items joined by commas, `size` at a time (each piece but the first led by its
    comma)."""
    for start in range(0, len(items), size):
        yield ("," if start else "") + ",".join(items[start : start + size])


def _passage_data(
    passage: Passage, source: Callable[[int], int], target: Callable[[int], int]
) -> dict[str, Any]:
    at = [passage.source_start, passage.source_end, passage.target_start, passage.target_end]
    ss, se, ts, te = source(at[0]), source(at[1]), target(at[2]), target(at[3])
    edits = sorted(passage.edits, key=lambda e: (e.source_start, e.source_end))
    return {
        "ss": ss,
        "se": se,
        "ts": ts,
        "te": te,
        **({"cp": at} if [ss, se, ts, te] != at else {}),
        "similarity": round(passage.similarity, 4),
        "kind": passage.kind,
        "matched": passage.matched_words,
        "edits": [
            [
                e.op,
                source(e.source_start),
                source(e.source_end),
                target(e.target_start),
                target(e.target_end),
            ]
            for e in edits
        ],
    }


# --- the parts rendered here, escaped -------------------------------------------------------


def _e(value: Any) -> str:
    """`value` as HTML text or attribute value (NUL, which HTML forbids, becomes U+FFFD)."""
    return html.escape(str(value), quote=True).replace("\x00", "\ufffd")


def _when(published: str) -> str:
    """A document's `published` as the page shows it (a date, or a UTC time to the minute)."""
    moment = parse_published(published)
    if moment is None:
        return "undated"
    return moment.strftime("%Y-%m-%d %H:%M UTC") if "T" in published else moment.date().isoformat()


def _time_span(dated: list[tuple[datetime, str]]) -> tuple[str, str]:
    """How long the dated documents span, and from when to when (`dated`: each one's moment
    and `published`, in document order)."""
    if not dated:
        return "no dates", ""
    ordered = sorted(dated, key=lambda item: item[0])
    (first, first_published), (last, last_published) = ordered[0], ordered[-1]
    hours = (last - first).total_seconds() / 3600
    length = f"{hours:.0f} hours" if hours < 72 else f"{hours / 24:.0f} days"
    return length, f"{_when(first_published)} to {_when(last_published)}"


def _doc_link(number: int, document: Document) -> str:
    outlet = f' <span class="muted">{_e(document.outlet)}</span>' if document.outlet else ""
    return f'<a href="#doc-{number}" class="goto">{_e(document.id)}</a>{outlet}'


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def _cluster_text(cluster: ReuseCluster, documents: Mapping[str, Document]) -> str:
    for member in cluster.members:
        if member.document == cluster.root:
            return documents[member.document].text[member.start : member.end]
    member = cluster.members[0]
    return documents[member.document].text[member.start : member.end]


def _overview(report: Report) -> str:
    documents = documents_by_id(report.documents)
    meta = list(metadata(report.documents))
    position = {fields[0]: number for number, fields in enumerate(meta)}
    outlets = {fields[1] for fields in meta if fields[1]}
    dated = [
        (moment, published)
        for published in (fields[2] for fields in meta)
        if published is not None and (moment := parse_published(published)) is not None
    ]
    undated = len(report.documents) - len(dated)
    targets = {pair.target for pair in report.pairs}
    passages = sum(len(pair.passages) for pair in report.pairs)
    length, span = _time_span(dated)
    cards = [
        ("Documents", f"{len(report.documents):,}", f"{len(report.skipped):,} inputs skipped"),
        ("Outlets", f"{len(outlets):,}", ""),
        ("Time span", length, span + (f"; {undated:,} undated" if undated else "")),
        (
            "Reuse",
            f"{len(targets):,} of {len(report.documents):,} documents",
            "take text from another document",
        ),
        ("Pairs", f"{len(report.pairs):,}", f"{passages:,} reused passages"),
        ("Clusters", f"{len(report.clusters):,}", "texts carried by several documents"),
    ]
    if report.boilerplate:
        holding = len({span.document for span in report.boilerplate})
        cards.append(
            (
                "Boilerplate",
                f"{len(report.boilerplate):,} spans",
                f"in {holding:,} documents: text their outlet repeats; not counted as reuse",
            )
        )
    parts = [
        '<section id="overview" aria-labelledby="overview-h"><h2 id="overview-h">Overview</h2>'
    ]
    parts.append('<div class="cards">')
    for label, value, note in cards:
        parts.append(
            f'<div class="card"><div class="card-label">{_e(label)}</div>'
            f'<div class="card-value">{_e(value)}</div><div class="muted">{_e(note)}</div></div>'
        )
    parts.append("</div>")

    parts.append('<div class="columns">')
    taken_by = Counter(pair.source for pair in report.pairs)
    children = Counter(edge.parent for cluster in report.clusters for edge in cluster.edges)
    parts.append('<div class="column"><h3>Top sources</h3>')
    if taken_by:
        parts.append(
            '<table class="top"><thead><tr><th scope="col">document</th>'
            '<th scope="col" class="num">reused by</th><th scope="col" class="num">'
            "lineage children</th></tr></thead><tbody>"
        )
        ranked = sorted(taken_by.items(), key=lambda item: (-children[item[0]], -item[1], item[0]))
        for doc_id, count in ranked[:TOP_ITEMS]:
            parts.append(
                f"<tr><td>{_doc_link(position[doc_id], documents[doc_id])}</td>"
                f'<td class="num">{count} documents</td><td class="num">{children[doc_id]}</td></tr>'
            )
        parts.append("</tbody></table>")
    else:
        parts.append('<p class="muted">No document reuses another.</p>')
    parts.append("</div>")

    parts.append('<div class="column"><h3>Most re-used passages</h3>')
    if report.clusters:
        parts.append('<ol class="reused">')
        ranked_clusters = sorted(
            enumerate(report.clusters), key=lambda item: (-len(item[1].documents), item[0])
        )
        for number, cluster in ranked_clusters[:TOP_ITEMS]:
            kind = " (a quotation carried independently)" if cluster.kind == "quote" else ""
            root = documents[cluster.root]
            parts.append(
                f'<li><a href="#cluster-{number}" class="goto">{_e(cluster.id)}</a>: '
                f"carried by {len(cluster.documents)} documents{_e(kind)}, origin "
                f"{_doc_link(position[root.id], root)}"
                f'<blockquote class="snippet">{_e(_snippet(_cluster_text(cluster, documents)))}'
                "</blockquote></li>"
            )
        parts.append("</ol>")
    else:
        parts.append('<p class="muted">No passage is carried by several documents.</p>')
    parts.append("</div>")

    mutations = Counter(
        m.type for cluster in report.clusters for edge in cluster.edges for m in edge.mutations
    )
    parts.append('<div class="column"><h3>Changes along the lineage</h3>')
    if mutations:
        parts.append('<ul class="mutation-counts">')
        for name, count in mutations.most_common():
            tag, description = MUTATION_LABELS.get(name, (name.upper(), name))
            parts.append(
                f'<li><span class="mut mut-{_e(name)}" data-tag="{_e(tag)}">{_e(description)}</span>'
                f' <span class="muted">× {count}</span></li>'
            )
        parts.append("</ul>")
    else:
        parts.append('<p class="muted">No lineage hops.</p>')
    parts.append("</div></div>")
    parts.append(_inputs_lists(report))
    parts.append("</section>")
    return "".join(parts)


def _inputs_lists(report: Report) -> str:
    parts = []
    for title, items in (
        ("Skipped inputs", [(s.input, s.line, s.reason) for s in report.skipped]),
        ("Notices", [(n.input, n.line, n.message) for n in report.notices]),
    ):
        if not items:
            continue
        parts.append(f'<details class="inputs"><summary>{_e(title)} ({len(items):,})</summary><ul>')
        for source, line, message in items[:MAX_LISTED]:
            where = f"{source} line {line}" if line is not None else source
            parts.append(f"<li><code>{_e(where)}</code>: {_e(message)}</li>")
        if len(items) > MAX_LISTED:
            parts.append(f"<li>… and {len(items) - MAX_LISTED:,} more (see the JSON report)</li>")
        parts.append("</ul></details>")
    return "".join(parts)


def _filters(report: Report) -> str:
    meta = list(metadata(report.documents))
    outlets = sorted({fields[1] for fields in meta if fields[1]}, key=str.casefold)
    options = ['<option value="all">all outlets</option>']
    options += [f'<option value="{n}">{_e(name)}</option>' for n, name in enumerate(outlets)]
    if any(fields[1] is None for fields in meta):
        options.append('<option value="-1">(no outlet)</option>')
    dates = sorted(
        moment.date().isoformat()
        for moment in (parse_published(fields[2]) for fields in meta)
        if moment is not None
    )
    bounds = f' min="{dates[0]}" max="{dates[-1]}"' if dates else ""
    return (
        '<form id="filters" class="filters" role="search" aria-label="Filter the report">'
        f'<label>Outlet <select id="f-outlet">{"".join(options)}</select></label>'
        f'<label>From <input type="date" id="f-from"{bounds}></label>'
        f'<label>To <input type="date" id="f-to"{bounds}></label>'
        '<label>Min. similarity <input type="range" id="f-sim" min="0" max="1" step="0.01" '
        'value="0"> <output id="f-sim-value" for="f-sim">0.00</output></label>'
        '<label>Search <input type="search" id="f-search" placeholder="id, outlet, title, text"'
        ' autocomplete="off"></label>'
        '<button type="reset" id="f-reset">Reset</button>'
        '<span id="f-count" class="muted" role="status" aria-live="polite"></span>'
        "</form>"
    )


def _legend() -> str:
    items = [
        '<li><span class="ed ed-src">removed or replaced</span> source words (struck)</li>',
        '<li><span class="ed ed-tgt">inserted or replacing</span> target words (bold)</li>',
        '<li><span class="gap" title="words inserted on the other side">‸</span> '
        "where the other side has words this side lacks</li>",
    ]
    for name, (tag, description) in MUTATION_LABELS.items():
        items.append(
            f'<li><span class="mut mut-{name}" data-tag="{_e(tag)}">{_e(description)}</span></li>'
        )
    return (
        '<details class="legend" open><summary>Legend: edits and mutation types</summary>'
        '<p class="muted">Every changed word is marked. On lineage hops each mutation also gets '
        "its type: a tag, a colour and a line style, so the types stay apart without colour."
        f'</p><ul class="legend-items">{"".join(items)}</ul></details>'
    )


def _settings_table(report: Report) -> str:
    if report.settings is None:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{_e(name)}</th><td>{_e(value)}</td></tr>'
        for name, value in report.settings.to_dict().items()
    )
    return (
        f'<details><summary>Settings used</summary><table class="settings">{rows}</table></details>'
    )


def render_html(report: Report, *, title: str = "wiretrace report", jobs: int | None = 1) -> str:
    """The report as one self-contained HTML page: open it from disk, e-mail it, read it offline.

    `title` is the page's title (a str). Anything but a Report raises TypeError. With `jobs`
    above 1 (None: all cores), worker processes make the page's data (see `iter_html`); the page
    is the same.
    """
    return "".join(iter_html(report, title=title, jobs=jobs))


def iter_html(
    report: Report, *, title: str = "wiretrace report", jobs: int | None = 1
) -> Iterator[str]:
    """The pieces of `render_html(report, title=title)`: write them to a file as they come and
    the page is never held whole (its data are held as JSON, a few hundred items a piece). With
    `jobs` above 1 (None: all cores), forked worker processes make the items of the documents',
    pairs' and clusters' lists, ITEMS_PER_TASK a task, while this process makes the rest; the
    page is the same. `jobs` is checked as Settings checks it, before anything is made."""
    check_report(report, "render_html")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__} {title!r}")
    Settings(jobs=jobs)
    from wiretrace import __version__

    style = _asset("report.css")
    script = _asset("report.js")
    csp = (
        "default-src 'none'; "
        f"style-src {_csp_hash(style)}; "
        f"script-src {_csp_hash(script)}; "
        "img-src data:; font-src 'none'; connect-src 'none'; media-src 'none'; "
        "object-src 'none'; frame-src 'none'; worker-src 'none'; manifest-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    made: dict[str, str] = {}

    def overview() -> None:
        made["overview"] = _overview(report)

    def settings_table() -> None:
        made["settings"] = _settings_table(report)

    # The overview and settings are made here while worker processes make the page's data.
    data = _page_data(report, jobs, iter((overview, settings_table)))
    summary = ", ".join(
        f"{count:,} {noun}{'' if count == 1 else 's'}"
        for count, noun in (
            (len(report.documents), "document"),
            (len(report.pairs), "pair"),
            (len(report.clusters), "cluster"),
        )
    )
    head = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="wiretrace {_e(__version__)}">'
        f"<title>{_e(title)}</title>"
        f"<style>{style}</style></head>\n<body>"
        f'<header class="top"><h1>{_e(title)}</h1><p class="muted">{_e(summary)}</p>'
        '<nav aria-label="Sections"><a href="#overview">Overview</a> '
        '<a href="#lineage">Lineage</a> <a href="#documents">Documents</a> '
        '<a href="#pairs">Pairs</a></nav></header>\n<main>'
        + made["overview"]
        + '<noscript><p class="warning">The lineage graphs, documents and pairs below are drawn '
        "by the page's own script, which is switched off here. The overview above is complete; "
        "open this file in a web browser with JavaScript on to read the rest.</p></noscript>"
        + _filters(report)
        + _legend()
        + '<section id="lineage" aria-labelledby="lineage-h"><h2 id="lineage-h">Lineage</h2>'
        '<p class="muted">Who most likely took each text from whom, over publication time '
        "(UTC); documents without a date are in the undated lane on the right. Each arrow is "
        "labelled with the mutation types on that hop.</p>"
        '<div id="clusters" class="list"></div></section>'
        '<section id="documents" aria-labelledby="documents-h"><h2 id="documents-h">Documents</h2>'
        '<p class="muted">Each bar splits a document\'s words by where they come from: the '
        "source that covers the most first, then what each further source adds, and its own "
        "words (hatched).</p>"
        '<div id="document-list" class="list"></div></section>'
        '<section id="pairs" aria-labelledby="pairs-h"><h2 id="pairs-h">Pairs</h2>'
        '<p class="muted">Open a pair to read its passages side by side, source on the left.</p>'
        '<div id="pair-list" class="list"></div></section>'
        "</main>\n"
        '<footer><p>This file: <span id="file-size">'
    )
    # The footer states the file's size, which the data after it count in.
    footer = (
        "</span>. It is self-contained and fetches nothing: it works offline and when e-mailed."
        f"</p><p>Made by wiretrace {_e(__version__)} (data as in the JSON report "
        f"{_e(SCHEMA)}).</p>{made['settings']}</footer>\n"
        '<script type="application/json" id="wiretrace-data">'
    )
    end = f"</script>\n<script>{script}</script>\n</body></html>\n"
    size = sum(len(piece.encode("utf-8")) for piece in (head, footer, *data, end))
    yield head
    yield _size_text(size)
    yield footer
    yield from data
    yield end


def format_size(size: int) -> str:
    """A byte count as people read it: "812 bytes", "1.4 KB", "12.0 MB" (powers of 1000)."""
    if size < 1000:
        return f"{size:,} bytes"
    value = float(size)
    for unit in ("KB", "MB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} GB"


def _size_text(base: int) -> str:
    """The file size a page states, given the size (UTF-8 bytes) of all of it but that text:
    the written size changes the size."""
    size = base
    for _ in range(5):
        shown = f"{size:,} bytes ({format_size(size)})" if size >= 1000 else format_size(size)
        total = base + len(shown.encode("utf-8"))
        if total == size:
            break
        size = total
    return shown
