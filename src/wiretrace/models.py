"""Frozen records shared by every pipeline stage: documents in, pairs and passages out."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

import attrs

Direction = Literal["published", "text", "unknown"]
EditOp = Literal["replace", "insert", "delete"]
PassageKind = Literal["narration", "quote", "summary"]
MutationType = Literal[
    "substitution",
    "insertion",
    "deletion",
    "number",
    "name",
    "quote",
    "attribution",
    "hedge",
    "sentence_added",
    "sentence_removed",
]


def _non_negative(instance: Any, attribute: attrs.Attribute, value: int) -> None:
    # A bool is an int to Python but not a count or an offset (the JSON report would write it
    # as neither).
    if isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be an integer, got {value}")
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value}")


def _unit_interval(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be in [0, 1], got {value}")


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _document_id(value: Any) -> str:
    """attrs converter: a document id, a str or a whole number (as records give them) as a str;
    TypeError for anything else (None or bytes would become the ids "None" and "b'...'")."""
    if isinstance(value, str):
        return value
    if not isinstance(value, bool):
        try:
            return str(operator.index(value))
        except TypeError:
            pass
    raise TypeError(f"a Document's id must be a str or an integer, got {_shown(value)}")


def _document_text(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str):
        decode = "; decode bytes to str first" if isinstance(value, bytes | bytearray) else ""
        raise TypeError(f"a Document's text must be a str, got {_shown(value)}{decode}")


def _published(value: Any) -> str | None:
    """attrs converter: a publication date or time as the readers give it (``2019-11-01``, UTC
    ``2019-11-01T12:00:46Z``: `ingest.fields.normalize_date`, which also takes a datetime, a
    date and epoch seconds); None for None or a blank string. ValueError for anything else (a
    datetime was kept as its str, which `published_at` could not read: no time, silently)."""
    if value is None or (type(value) is str and not value.strip()):
        return None
    normalized = _normalize_date()(value)
    if normalized is None:
        raise ValueError(
            f"a Document's published must be a date or time, got {_shown(value)}: give an ISO "
            "8601 date or time (2019-11-01, 2019-11-01T12:00:46Z), a datetime, a date or epoch "
            "seconds (from 1973) or milliseconds, or None when unknown"
        )
    return normalized


@functools.cache
def _normalize_date() -> Callable[[Any], str | None]:
    """`ingest.fields.normalize_date`, imported once it is first needed (that module imports
    this one; an import in the converter would cost more than the normalizing)."""
    from wiretrace.ingest.fields import normalize_date

    return normalize_date


def _shown(value: Any) -> str:
    """A value's type and a short repr, for a message."""
    from wiretrace.ingest.fields import shorten

    return f"{type(value).__name__} {shorten(value)}"


def _tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """attrs converter: any iterable to a tuple (typed for mypy, unlike the `tuple` builtin)."""
    return tuple(values)


# Per attrs class: a function from a record to its fields' values, in the order its
# `__init__` takes them.
_FIELD_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _reduce_to_fields(record: Any) -> tuple[type, tuple[Any, ...]]:
    """`__reduce__` of a record: its class called on its fields' values (so unpickling checks
    them as making one does). attrs pickles a dict of the fields instead, twice the time to
    pickle: worker processes send every pair they find, its passages and edits, this way.
    Pickles made with that dict still load (attrs's `__setstate__` is kept)."""
    cls = type(record)
    values = _FIELD_VALUES.get(cls)
    if values is None:
        fields = attrs.fields(cls)
        assert len(fields) > 1 and all(field.init and not field.kw_only for field in fields)
        values = _FIELD_VALUES[cls] = operator.attrgetter(*(field.name for field in fields))
    return cls, values(record)


@attrs.frozen
class Document:
    """One article: its id, its text exactly as read, and what is known of where it came from.

    `published` is an ISO 8601 string: a date (``2019-11-01``) or a UTC time
    (``2019-11-01T12:00:46Z``); None when unknown. It may be given as any date or time the
    readers understand (a datetime, a date, epoch seconds, ISO 8601 with an offset, RFC 2822:
    see `wiretrace.ingest.fields.normalize_date`) and is kept in that form; anything else
    raises ValueError. `id` is a str, or a whole number kept as its str.
    """

    id: str = attrs.field(converter=_document_id)
    text: str = attrs.field(validator=_document_text, repr=False)
    outlet: str | None = attrs.field(default=None, converter=_optional_str)
    published: str | None = attrs.field(default=None, converter=_published)
    title: str | None = attrs.field(default=None, converter=_optional_str)
    url: str | None = attrs.field(default=None, converter=_optional_str)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Document:
        """Build a document from a mapping with the canonical field names.

        Unknown keys are ignored; `id` and `text` are required.
        """
        from wiretrace.ingest.fields import document_from_mapping

        return document_from_mapping(record)

    @property
    def published_at(self) -> datetime | None:
        """`published` as an aware UTC datetime (a bare date means its midnight UTC)."""
        return parse_published(self.published)

    @property
    def published_has_time(self) -> bool:
        """True when `published` carries a time of day, not only a date."""
        return self.published is not None and "T" in self.published


def parse_published(value: str | None) -> datetime | None:
    """Parse a normalized `published` string back to an aware UTC datetime."""
    if value is None:
        return None
    try:
        if "T" not in value:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@attrs.frozen
class Edit:
    """One word-level change inside a passage: source[source_start:source_end] became target_text.

    Offsets are code points into the original texts; `insert` has an empty source span,
    `delete` an empty target span.
    """

    __reduce__ = _reduce_to_fields

    op: EditOp
    source_start: int = attrs.field(validator=_non_negative)
    source_end: int = attrs.field(validator=_non_negative)
    target_start: int = attrs.field(validator=_non_negative)
    target_end: int = attrs.field(validator=_non_negative)
    source_text: str
    target_text: str

    @source_end.validator
    def _check_source(self, attribute: attrs.Attribute, value: int) -> None:
        if value < self.source_start:
            raise ValueError(f"source_end {value} < source_start {self.source_start}")

    @target_end.validator
    def _check_target(self, attribute: attrs.Attribute, value: int) -> None:
        if value < self.target_start:
            raise ValueError(f"target_end {value} < target_start {self.target_start}")


@attrs.frozen
class Passage:
    """A reused passage: an aligned span of the source and of the target, with the edits between.

    Applying `edits` to the source span gives the target span exactly (see `replay_edits`).
    `kind` is "quote" when the source span is mostly inside quotation marks, "summary" when the
    summary model found it (the target carries the source's names and terms, not its wording:
    weaker evidence than shared wording), else "narration".
    """

    __reduce__ = _reduce_to_fields

    source_start: int = attrs.field(validator=_non_negative)
    source_end: int = attrs.field(validator=_non_negative)
    target_start: int = attrs.field(validator=_non_negative)
    target_end: int = attrs.field(validator=_non_negative)
    similarity: float = attrs.field(validator=_unit_interval)
    matched_words: int = attrs.field(validator=_non_negative)
    source_words: int = attrs.field(validator=_non_negative)
    target_words: int = attrs.field(validator=_non_negative)
    edits: tuple[Edit, ...] = attrs.field(default=(), converter=_tuple)
    kind: PassageKind = "narration"

    @source_end.validator
    def _check_source(self, attribute: attrs.Attribute, value: int) -> None:
        if value < self.source_start:
            raise ValueError(f"source_end {value} < source_start {self.source_start}")

    @target_end.validator
    def _check_target(self, attribute: attrs.Attribute, value: int) -> None:
        if value < self.target_start:
            raise ValueError(f"target_end {value} < target_start {self.target_start}")

    def reversed(self) -> Passage:
        """The same passage seen from the other side: target becomes source, edits inverted."""
        flipped: dict[str, EditOp] = {"insert": "delete", "delete": "insert", "replace": "replace"}
        return Passage(
            source_start=self.target_start,
            source_end=self.target_end,
            target_start=self.source_start,
            target_end=self.source_end,
            similarity=self.similarity,
            matched_words=self.matched_words,
            source_words=self.target_words,
            target_words=self.source_words,
            edits=tuple(
                Edit(
                    flipped[e.op],
                    e.target_start,
                    e.target_end,
                    e.source_start,
                    e.source_end,
                    e.target_text,
                    e.source_text,
                )
                for e in self.edits
            ),
            kind=self.kind,
        )


def replay_edits(source_text: str, passage: Passage) -> str:
    """Apply a passage's edits to its span of `source_text`; the result is the target span.

    `source_text` is the text of the passage's source document: a text that is not a str, or
    too short to hold the passage, raises TypeError or ValueError (a shorter text would give
    the edits' words without the source's), as does a `passage` that is not a Passage.
    """
    if not isinstance(source_text, str):
        raise TypeError(
            f"source_text must be a str (the source document's text), got {type(source_text).__name__}"
        )
    if not isinstance(passage, Passage):
        raise TypeError(f"passage must be a wiretrace.Passage, got {type(passage).__name__}")
    if len(source_text) < passage.source_end:
        raise ValueError(
            f"source_text has {len(source_text)} characters but the passage ends at "
            f"{passage.source_end}; pass the text of the passage's source document"
        )
    out: list[str] = []
    position = passage.source_start
    for edit in sorted(passage.edits, key=lambda e: (e.source_start, e.source_end)):
        out.append(source_text[position : edit.source_start])
        out.append(edit.target_text)
        position = edit.source_end
    out.append(source_text[position : passage.source_end])
    return "".join(out)


@attrs.frozen
class Pair:
    """Two documents that share reused text; `source` is the inferred origin, `target` the copy.

    `direction` says how the origin was chosen: "published" (earlier publication time),
    "text" (inferred from the texts: an update marker, a credit, the fuller text, or where the two
    texts cannot tell, the lineage tree of their cluster), or "unknown".
    `source_coverage`/`target_coverage` are the shares of each text's characters inside passages;
    `similarity` is the share of both texts' words that align (2 * matched / total).
    """

    __reduce__ = _reduce_to_fields

    source: str
    target: str
    direction: Direction
    similarity: float = attrs.field(validator=_unit_interval)
    source_coverage: float = attrs.field(validator=_unit_interval)
    target_coverage: float = attrs.field(validator=_unit_interval)
    passages: tuple[Passage, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class Mutation:
    """A typed change along one lineage hop: parent text source_text became child text target_text.

    Offsets are code points into the parent's (source_*) and the child's (target_*) original text.
    """

    type: MutationType
    source_text: str
    target_text: str
    source_start: int = attrs.field(validator=_non_negative)
    source_end: int = attrs.field(validator=_non_negative)
    target_start: int = attrs.field(validator=_non_negative)
    target_end: int = attrs.field(validator=_non_negative)


@attrs.frozen
class LineageEdge:
    """`child` most likely took the cluster's text from `parent` (document ids).

    `confidence` in [0, 1]; `credited` says whether the child names the parent's outlet (or the
    agency at the root) in its text, and `credit` is the name found.
    """

    parent: str
    child: str
    confidence: float = attrs.field(validator=_unit_interval)
    mutations: tuple[Mutation, ...] = attrs.field(converter=_tuple)
    credited: bool = False
    credit: str | None = None


@attrs.frozen
class ClusterMember:
    """Where one document carries a cluster's text: [start, end) in its original text."""

    document: str
    start: int = attrs.field(validator=_non_negative)
    end: int = attrs.field(validator=_non_negative)


@attrs.frozen
class ReuseCluster:
    """Passages that are the same reused text, across every document that carries it.

    `kind` is "quote" when the shared text is a quotation that outlets carry independently,
    "summary" when every passage of it was found by the summary model (shared names and terms,
    not wording), "narration" otherwise. `root` is the inferred origin; `edges` form a tree (no cycles) over the
    members. `versions` lists documents of one outlet that are versions of one story (updates,
    corrections), oldest first.
    """

    id: str
    kind: PassageKind
    members: tuple[ClusterMember, ...] = attrs.field(converter=_tuple)
    root: str
    edges: tuple[LineageEdge, ...] = attrs.field(converter=_tuple)
    roots: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    versions: tuple[str, ...] = attrs.field(default=(), converter=_tuple)

    @property
    def documents(self) -> tuple[str, ...]:
        """The ids of the documents carrying this cluster's text, each once, in member order."""
        return tuple(dict.fromkeys(member.document for member in self.members))


@attrs.frozen
class BoilerplateSpan:
    """Text that `document`'s outlet repeats across many of its documents (a newsletter blurb, a
    footer, a bio): [start, end) in the document's original text, and that text.

    A span runs from the first to the last word of a run of boilerplate words; it makes neither
    candidates nor passages (see `wiretrace.boilerplate`).
    """

    document: str
    start: int = attrs.field(validator=_non_negative)
    end: int = attrs.field(validator=_non_negative)
    text: str

    @end.validator
    def _check_end(self, attribute: attrs.Attribute, value: int) -> None:
        if value < self.start:
            raise ValueError(f"end {value} < start {self.start}")


@attrs.frozen
class Skipped:
    """An input that was not read as a document, and why (`line` is 1-based for JSONL/CSV)."""

    input: str
    line: int | None
    reason: str


@attrs.frozen
class Notice:
    """Something worth knowing about an input that was still read: a date that could not be parsed
    (the document has none), records of an archive that are not articles, files passed over.

    `line` is 1-based for JSONL/CSV, else None.
    """

    input: str
    line: int | None
    message: str


@attrs.frozen
class SourceShare:
    """One indexed document a traced article reuses: `share` of the article's words lie inside
    passages taken from it (the pair's `target_coverage`)."""

    source: str
    outlet: str | None
    share: float = attrs.field(validator=_unit_interval)


@attrs.frozen
class Trace:
    """Where one traced article's words come from: its sources, largest share first, and
    `own_share`, the share of its words found in none of them."""

    article: str
    sources: tuple[SourceShare, ...] = attrs.field(converter=_tuple)
    own_share: float = attrs.field(validator=_unit_interval)


def _as_documents(documents: Iterable[Document]) -> Sequence[Document]:
    from wiretrace.corpus import Corpus

    return documents if isinstance(documents, Corpus) else tuple(documents)


def check_report(report: Any, caller: str) -> Report:
    """`report` when it is a Report; TypeError naming `caller` (a renderer) otherwise."""
    if not isinstance(report, Report):
        raise TypeError(
            f"{caller} takes a wiretrace.Report (what compare, find_reuse and Index.trace "
            f"return), got {type(report).__name__}"
        )
    return report


@attrs.frozen
class Report:
    """Everything one run found: the documents read, the reusing pairs, what was skipped,
    notices about the inputs read, and the boilerplate found in the documents (sorted by document
    order, then start)."""

    documents: Sequence[Document] = attrs.field(converter=_as_documents)
    """A tuple, or a `wiretrace.corpus.Corpus` (texts on disk) from `find_reuse`."""
    pairs: tuple[Pair, ...] = attrs.field(converter=_tuple)
    skipped: tuple[Skipped, ...] = attrs.field(default=(), converter=_tuple)
    settings: Any = None
    clusters: tuple[ReuseCluster, ...] = attrs.field(default=(), converter=_tuple)
    notices: tuple[Notice, ...] = attrs.field(default=(), converter=_tuple)
    traces: tuple[Trace, ...] = attrs.field(default=(), converter=_tuple)
    boilerplate: tuple[BoilerplateSpan, ...] = attrs.field(default=(), converter=_tuple)

    def document(self, document_id: str) -> Document:
        """The document with this id (KeyError if it is not in the report)."""
        from wiretrace.corpus import documents_by_id

        return documents_by_id(self.documents)[document_id]
