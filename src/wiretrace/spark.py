"""The pipeline's stages on Spark DataFrames, for corpora that outgrow one machine.

The stages are the ones `wiretrace.find_reuse` runs, called per document or per pair on the
executors: `pipeline.read_tokens` (tokens and outlet-salted shingle hashes) in a map stage,
boilerplate found by a distributed count and broadcast, `pipeline.sketch_tokens` (window LSH keys)
in a second map stage, LSH buckets grouped in a shuffle into candidate pairs with the rule of
`index.candidate_pairs`, and `pipeline.align_documents` on the executors. The pairs, passages
and boilerplate spans are the same as the local engine's for the same documents in the same order
and the same settings; every hash is blake2b- or numpy-based, so keys agree across processes and
machines.

This is the only module that imports pyspark (`pip install 'wiretrace[spark]'`), and only when
one of its functions is called, so ``import wiretrace.spark`` works without it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from wiretrace._arrays import distinct
from wiretrace.boilerplate import OWN_SHARE, boilerplate_spans, listed_words, outlet_salt
from wiretrace.config import Settings
from wiretrace.corpus import Corpus
from wiretrace.errors import InputError, MissingDependencyError
from wiretrace.ingest import (
    DEFAULT_MAX_DOCUMENT_CHARS,
    FieldMap,
    Input,
    read_inputs,
    sort_out,
)
from wiretrace.ingest.fields import document_from_mapping
from wiretrace.ingest.readers import OnError
from wiretrace.models import BoilerplateSpan, Document, Edit, Notice, Pair, Passage, Report, Skipped
from wiretrace.pipeline import Progress, align_documents, build_report, read_tokens, sketch_tokens
from wiretrace.shingle import tokenize

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

DEFAULT_MASTER = "local[*]"
INSTALL_HINT = "pip install 'wiretrace[spark]'"

DOCUMENT_COLUMNS = ("id", "text", "outlet", "published", "title", "url")
"""The columns of the documents DataFrame; `id` and `text` are required, the others optional."""

_READ = (
    "struct<id:string,text:string,outlet:string,published:string,title:string,url:string,"
    "problem:string,hashes:array<bigint>>"
)
_SKETCH = (
    "struct<keys:array<bigint>,mask:binary,"
    "boilerplate:array<struct<start:int,end:int,text:string>>>"
)
_EDIT = (
    "struct<op:string,source_start:int,source_end:int,target_start:int,target_end:int,"
    "source_text:string,target_text:string>"
)
_PASSAGE = (
    "struct<source_start:int,source_end:int,target_start:int,target_end:int,"
    "similarity:double,matched_words:int,source_words:int,target_words:int,kind:string,"
    f"source_text:string,target_text:string,edits:array<{_EDIT}>>"
)
_PAIR = (
    "struct<source:string,target:string,direction:string,similarity:double,"
    f"source_coverage:double,target_coverage:double,passages:array<{_PASSAGE}>>"
)
# Every pair (members[i], members[j]), i < j, of a bucket's sorted, distinct members.
_BUCKET_PAIRS = (
    "flatten(transform(sequence(1, size(members) - 1), i -> "
    "transform(slice(members, i + 1, size(members) - i), "
    "other -> named_struct('first', members[i - 1], 'second', other))))"
)


@attrs.frozen
class ReuseTables:
    """What `find_reuse` found, as Spark DataFrames (cached; call `unpersist` when done).

    - `pairs`: source, target, direction, similarity, source_coverage, target_coverage, passages
      (the number of passages) -- one row per `wiretrace.Pair`.
    - `passages`: source, target, passage (its 1-based number within the pair, as in the CSV
      report), source_start, source_end, target_start, target_end, similarity, matched_words,
      source_words, target_words, kind, source_text, target_text, edits (an array of structs:
      op, source_start, source_end, target_start, target_end, source_text, target_text) -- one
      row per `wiretrace.Passage`, with the text of both spans.
    - `clusters`: cluster (the smallest member id), size, documents (sorted member ids): groups
      of documents connected by reuse (the connected components of the pair graph); None when
      `find_reuse` was asked for none.
    - `skipped`: id, reason -- documents left out (empty text, or bad records with
      ``on_error="skip"``).
    - `boilerplate`: document, start, end, text -- one row per `wiretrace.BoilerplateSpan`: text
      the document's outlet repeats across `boilerplate_docs` or more of its documents.
    """

    pairs: DataFrame
    passages: DataFrame
    clusters: DataFrame | None
    skipped: DataFrame
    boilerplate: DataFrame
    settings: Settings

    def unpersist(self) -> None:
        """Release the cached results."""
        for frame in (self.pairs, self.passages, self.clusters, self.skipped, self.boilerplate):
            if frame is not None:
                frame.unpersist()


def _pyspark() -> Any:
    """The pyspark.sql.functions module, or MissingDependencyError saying how to install it."""
    try:
        from pyspark.sql import functions
    except ImportError as error:
        raise MissingDependencyError(
            f"the Spark engine needs PySpark, which is not installed ({error}); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    return functions


# Executor side: plain functions of plain values, each a stage of `wiretrace.pipeline`.


def _document(row: Any) -> Document:
    return Document(
        id=row.id,
        text=row.text,
        outlet=row.outlet,
        published=row.published,
        title=row.title,
        url=row.url,
    )


def _as_signed(values: np.ndarray) -> list[int]:
    """uint64 values as the int64 Spark's bigint holds (the same 64 bits)."""
    return values.astype(np.uint64, copy=False).view(np.int64).tolist()


def _read(row: Any, settings: Settings) -> tuple[Any, ...]:
    """Stage 1: the document's fields as `Document.from_record` reads them, and its unique
    outlet-salted shingle hashes; or, for a row that is not a document, why."""
    record = {name: getattr(row, name) for name in DOCUMENT_COLUMNS}
    try:
        doc = document_from_mapping(record)
    except InputError as error:
        known = None if record["id"] is None else str(record["id"])
        return (known, None, None, None, None, None, error.reason, None)
    _, hashes = read_tokens(doc, settings)
    fields = (doc.id, doc.text, doc.outlet, doc.published, doc.title, doc.url)
    return (*fields, None, _as_signed(hashes))


def _sketch(
    row: Any, settings: Settings, boilerplate: Any
) -> tuple[list[int], bytes | None, list[tuple[int, int, str]]]:
    """Stage 2: the document's distinct LSH keys, its boilerplate word mask (packed bits), and its
    boilerplate spans. `boilerplate` is broadcast: the boilerplate set, and the set without the
    outlets' own for `own_boilerplate_cover` (None without it)."""
    doc = _document(row)
    tokens = tokenize(doc.text)
    whole, fallback = boilerplate.value
    keys, mask = sketch_tokens(doc, tokens, settings, whole, fallback)
    spans = [
        (span.start, span.end, span.text)
        for span in boilerplate_spans(doc, tokens, mask, listed_words(settings.shingle_size))
    ]
    packed = None if mask is None else np.packbits(mask).tobytes()
    return _as_signed(distinct(keys)), packed, spans


@functools.lru_cache(maxsize=64)
def _tokens_of(text: str) -> Any:
    # Candidate pairs reach the aligner sorted by their first document: tokenize it once.
    return tokenize(text)


def _mask(packed: bytes | None, count: int) -> np.ndarray | None:
    if packed is None:
        return None
    return np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=count).astype(bool)


def _align(first: Any, second: Any, settings: Settings) -> tuple[Any, ...] | None:
    """Stage 3: one candidate pair aligned (first is the earlier row), as a pair row or None."""
    first_doc, second_doc = _document(first), _document(second)
    first_tokens, second_tokens = _tokens_of(first_doc.text), _tokens_of(second_doc.text)
    pair = align_documents(
        first_doc,
        first_tokens,
        second_doc,
        second_tokens,
        settings,
        _mask(first.mask, len(first_tokens)),
        _mask(second.mask, len(second_tokens)),
    )
    if pair is None:
        return None
    source, target = (
        (first_doc, second_doc) if pair.source == first_doc.id else (second_doc, first_doc)
    )
    passages = [
        (
            p.source_start,
            p.source_end,
            p.target_start,
            p.target_end,
            p.similarity,
            p.matched_words,
            p.source_words,
            p.target_words,
            p.kind,
            source.text[p.source_start : p.source_end],
            target.text[p.target_start : p.target_end],
            [attrs.astuple(edit) for edit in p.edits],
        )
        for p in pair.passages
    ]
    return (
        pair.source,
        pair.target,
        pair.direction,
        pair.similarity,
        pair.source_coverage,
        pair.target_coverage,
        passages,
    )


# Driver side: DataFrame plans.


def _prepare(documents: DataFrame) -> DataFrame:
    """The documents' columns in `DOCUMENT_COLUMNS` order (missing optional ones null)."""
    functions = _pyspark()
    from pyspark.sql.types import StringType, TimestampType

    fields = {field.name: field for field in documents.schema.fields}
    for required in ("id", "text"):
        if required not in fields:
            raise InputError(
                f"the documents DataFrame has no column {required!r} (columns: "
                f"{', '.join(fields) or 'none'}); select or rename the columns to "
                f"{', '.join(DOCUMENT_COLUMNS)}",
                input="documents",
            )
    if not isinstance(fields["text"].dataType, StringType):
        raise InputError(
            f"column 'text' must be a string column, got {fields['text'].dataType.simpleString()}",
            input="documents",
        )
    columns: list[Column] = []
    for name in DOCUMENT_COLUMNS:
        if name not in fields:
            columns.append(functions.lit(None).cast("string").alias(name))
        elif isinstance(fields[name].dataType, TimestampType):
            # Epoch seconds: Python would get a naive local time, which the reader takes as UTC.
            columns.append(functions.col(name).cast("long").alias(name))
        else:
            columns.append(functions.col(name))
    return documents.select(*columns)


def _udf(function: Any, return_type: str) -> Any:
    return _pyspark().udf(function, return_type, useArrow=False)


def _spark_of(frame: DataFrame) -> SparkSession:
    return frame.sparkSession


def _read_documents(documents: DataFrame, settings: Settings, partitions: int) -> DataFrame:
    """Stage 1 on every row, numbered in row order first and spread over `partitions` tasks.

    Columns: position, the document columns, problem (null, or why the row is not a document)
    and hashes.
    """
    functions = _pyspark()
    numbered = _prepare(documents).withColumn("position", functions.monotonically_increasing_id())
    if numbered.rdd.getNumPartitions() < partitions:
        # One gzipped JSON file is one partition: spread the Python work over the cores.
        numbered = numbered.repartition(partitions)
    read = _udf(functools.partial(_read, settings=settings), _READ)
    return numbered.select("position", read(functions.struct(*DOCUMENT_COLUMNS)).alias("read"))


def _check_documents(numbered: DataFrame, on_error: str) -> None:
    """InputError for duplicate ids, and for unreadable rows with on_error "fail" (one job)."""
    functions = _pyspark()
    col = functions.col
    readable = col("problem").isNull()
    unreadable = col("problem").isNotNull() & (col("problem") != "empty")
    found = (
        numbered.groupBy("id")
        .agg(
            functions.count(functions.when(readable, 1)).alias("rows"),
            functions.count(functions.when(unreadable, 1)).alias("bad"),
            functions.first(functions.when(unreadable, col("problem")), ignorenulls=True).alias(
                "problem"
            ),
        )
        .where((col("rows") > 1) | (col("bad") > 0 if on_error == "fail" else functions.lit(False)))
        .limit(20)
        .collect()
    )
    bad = sorted((row for row in found if row.bad), key=lambda row: str(row.id))
    if bad:
        shown = "; ".join(f"id {row.id!r}: {row.problem}" for row in bad[:3])
        raise InputError(
            f"document rows cannot be read ({shown}); fix them, or pass on_error='skip' to leave "
            "them out and list them in `skipped`",
            input="documents",
        )
    repeated = sorted((row for row in found if row.rows > 1), key=lambda row: row.id)
    if repeated:
        shown = ", ".join(f"{row.id!r} ({row.rows} rows)" for row in repeated[:3])
        raise InputError(f"duplicate document id(s) {shown}; ids must be unique", input="documents")


def _find_boilerplate(
    hashes: DataFrame, min_documents: int, own_documents: int = 0, cover: float = 1.0
) -> tuple[np.ndarray, np.ndarray | None]:
    """`boilerplate.find_boilerplate` as a distributed count: salted hashes in enough documents
    (`boilerplate.find_own_boilerplate` with `own_documents`); and, for `own_boilerplate_cover`
    (`cover` under 1), the set without the outlets' own (else None), as the local engine has
    them."""
    functions = _pyspark()
    if own_documents:
        held, own = _find_own_boilerplate(hashes, min_documents, own_documents)
        fallback = held if len(own) and cover < 1.0 else None
        return np.union1d(held, own), fallback
    counted = (
        hashes.select(functions.explode("hashes").alias("hash"))
        .groupBy("hash")
        .count()
        .where(functions.col("count") >= min_documents)
    )
    values = np.array([row.hash for row in counted.collect()], dtype=np.int64)
    return np.sort(values.view(np.uint64)), None


def _find_own_boilerplate(
    hashes: DataFrame, min_documents: int, own_documents: int
) -> tuple[np.ndarray, np.ndarray]:
    """`boilerplate.own_boilerplate_parts` as distributed counts: each shingle un-salted (its
    outlet's salt, made here for each of the few distinct outlets, undone), counted per outlet
    and in all."""
    functions = _pyspark()
    from pyspark.sql.window import Window

    col = functions.col
    outlets = [row.outlet for row in hashes.select("outlet").distinct().collect()]
    salts = hashes.sparkSession.createDataFrame(
        [(outlet, _as_signed(np.array([outlet_salt(outlet)]))[0]) for outlet in outlets],
        "salt_outlet string, salt bigint",
    )
    rows = (
        hashes.select("outlet", functions.explode("hashes").alias("hash"))
        .join(functions.broadcast(salts), col("outlet").eqNullSafe(col("salt_outlet")))
        .select(col("hash").bitwiseXOR(col("salt")).alias("key"), "salt")
    )
    part, whole = OWN_SHARE
    none = _as_signed(np.array([outlet_salt(None)]))[0]
    counted = (
        rows.groupBy("key", "salt")
        .count()
        .withColumn("total", functions.sum("count").over(Window.partitionBy("key")))
        .where(
            (col("count") >= min_documents)
            | (
                (col("salt") != none)
                & (col("count") >= own_documents)
                & (col("count") * whole >= col("total") * part)
            )
        )
    )
    found = counted.select("key", "salt", (col("count") >= min_documents).alias("held")).collect()
    keys = np.array([row.key for row in found], dtype=np.int64).view(np.uint64)
    salt_values = np.array([row.salt for row in found], dtype=np.int64).view(np.uint64)
    held = np.array([row.held for row in found], dtype=bool)
    salted_keys = keys ^ salt_values
    return np.unique(salted_keys[held]), np.unique(salted_keys[~held])


def _candidate_pairs(sketches: DataFrame, max_bucket: int, min_hits: int) -> DataFrame:
    """`index.candidate_pairs` as a shuffle: (first, second) positions sharing min_hits buckets.

    Keys are distinct per document already. Most keys are one document's only: they are counted
    (cheap) before the shared ones are grouped into buckets (an array per key).
    """
    functions = _pyspark()
    col = functions.col
    keys = sketches.select("position", functions.explode("keys").alias("key"))
    shared = keys.groupBy("key").count().where(col("count").between(2, max_bucket))
    buckets = (
        keys.join(shared.select("key"), "key", "left_semi")
        .groupBy("key")
        .agg(functions.array_sort(functions.collect_list("position")).alias("members"))
    )
    return (
        buckets.select(functions.explode(functions.expr(_BUCKET_PAIRS)).alias("pair"))
        .groupBy("pair.first", "pair.second")
        .count()
        .where(col("count") >= min_hits)
        .select("first", "second")
    )


def find_reuse(
    documents: DataFrame,
    *,
    on_error: str = "fail",
    clusters: bool = True,
    partitions: int | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> ReuseTables:
    """`wiretrace.find_reuse` on a Spark DataFrame of documents, with DataFrames out.

    `documents` has the columns `id` and `text`, and optionally `outlet`, `published`, `title`
    and `url` (values are read as `Document.from_record` reads them). Row order plays the part of
    input order: where neither dates nor texts tell the direction of a pair, the earlier row is
    the source. Documents with an empty text are skipped; other bad rows raise InputError
    (``on_error="fail"``) or are skipped (``"skip"``); duplicate ids raise InputError.

    Runs the job (the results are cached, so reading them does not run it again);
    `clusters=False` leaves out the connected components. `partitions` is the number of tasks of
    the Python stages (default: twice `spark.default.parallelism`, i.e. the cluster's cores).
    Settings are keyword arguments or a `Settings`, as for `wiretrace.find_reuse`.
    """
    if on_error not in ("fail", "skip"):
        raise InputError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    settings = Settings.from_options(options, base=settings)
    functions = _pyspark()
    from pyspark import StorageLevel

    col, keep = functions.col, StorageLevel.MEMORY_AND_DISK
    context = _spark_of(documents).sparkContext
    partitions = partitions or 2 * context.defaultParallelism
    cached: list[Any] = []
    try:
        context.setJobDescription("wiretrace: read documents (tokens, shingle hashes)")
        numbered = _read_documents(documents, settings, partitions).select("position", "read.*")
        numbered = numbered.persist(keep)
        cached.append(numbered)
        _check_documents(numbered, on_error)
        read = numbered.where(col("problem").isNull())
        context.setJobDescription("wiretrace: find boilerplate")
        boilerplate = context.broadcast(
            _find_boilerplate(
                read,
                settings.boilerplate_docs,
                settings.own_boilerplate_docs,
                settings.own_boilerplate_cover,
            )
        )
        cached.append(boilerplate)
        sketch = _udf(
            functools.partial(_sketch, settings=settings, boilerplate=boilerplate), _SKETCH
        )
        sketches = read.select(
            "position",
            functions.struct(*DOCUMENT_COLUMNS).alias("doc"),
            sketch(functions.struct(*DOCUMENT_COLUMNS)).alias("sketch"),
        ).select(
            "position",
            "sketch.keys",
            "sketch.boilerplate",
            functions.struct("doc.*", "sketch.mask").alias("doc"),
        )
        sketches = sketches.persist(keep)
        cached.append(sketches)
        context.setJobDescription("wiretrace: sketch documents (LSH keys)")
        sketches.count()
        boilerplate_table = (
            sketches.select(col("doc.id").alias("document"), functions.explode("boilerplate"))
            .select("document", "col.start", "col.end", "col.text")
            .persist(keep)
        )
        boilerplate_table.count()
        skipped = numbered.where(col("problem").isNotNull()).select(
            "id", col("problem").alias("reason")
        )
        skipped = skipped.persist(keep)
        skipped.count()
        numbered.unpersist()
        candidates = _candidate_pairs(sketches, settings.max_bucket, settings.min_hits)
        first = sketches.select(col("position").alias("first"), col("doc").alias("first_doc"))
        second = sketches.select(col("position").alias("second"), col("doc").alias("second_doc"))
        align = _udf(functools.partial(_align, settings=settings), _PAIR)
        aligned = (
            candidates.join(first, "first")
            .join(second, "second")
            # Alignment is CPU work on small rows: spread it whatever the shuffle's byte size,
            # with each document's pairs side by side (its tokens are then made once).
            .repartition(partitions, "first")
            .sortWithinPartitions("first")
            .select(align("first_doc", "second_doc").alias("pair"))
            .where(col("pair").isNotNull())
            .select("pair.*")
            .persist(keep)
        )
        context.setJobDescription("wiretrace: LSH candidates, align pairs")
        aligned.count()
    finally:
        # The results are cached; what they were computed from is not needed any more.
        for item in cached:
            item.unpersist()
        context.setJobDescription(None)  # type: ignore[arg-type]
    pairs = aligned.select(
        "source",
        "target",
        "direction",
        "similarity",
        "source_coverage",
        "target_coverage",
        functions.size("passages").alias("passages"),
    )
    passages = aligned.select(
        "source", "target", functions.posexplode("passages").alias("number", "found")
    ).select("source", "target", (col("number") + 1).alias("passage"), "found.*")
    return ReuseTables(
        pairs=pairs,
        passages=passages,
        clusters=find_clusters(pairs) if clusters else None,
        skipped=skipped,
        boilerplate=boilerplate_table,
        settings=settings,
    )


def find_clusters(pairs: DataFrame, *, max_iterations: int = 100) -> DataFrame:
    """The connected components of a pair table (columns `source`, `target`) as clusters.

    Columns: cluster (the smallest document id in it), size, documents (sorted ids). Computed in
    DataFrames by min-label propagation with pointer jumping, never collected to the driver; each
    round is checkpointed locally on the executors.
    """
    functions = _pyspark()
    col = functions.col
    edges = pairs.select(col("source").alias("node"), col("target").alias("neighbor"))
    edges = edges.union(edges.select(col("neighbor").alias("node"), col("node").alias("neighbor")))
    edges = edges.distinct().localCheckpoint()
    labels = (
        edges.groupBy("node")
        .agg(functions.least(functions.min("neighbor"), functions.first("node")).alias("label"))
        .localCheckpoint()
    )
    for _ in range(max_iterations):
        offered = edges.join(labels.withColumnRenamed("node", "neighbor"), "neighbor").select(
            "node", "label"
        )
        lowest = offered.union(labels).groupBy("node").agg(functions.min("label").alias("label"))
        # Pointer jumping: a node takes its label's label, so long chains close in few rounds.
        step = (
            lowest.alias("own")
            .join(lowest.alias("via"), col("own.label") == col("via.node"))
            .select(
                col("own.node").alias("node"),
                functions.least(col("own.label"), col("via.label")).alias("label"),
            )
            .join(labels.withColumnRenamed("label", "before"), "node")
            .localCheckpoint()
        )
        labels = step.select("node", "label")
        if not step.where(col("label") != col("before")).limit(1).count():
            break
    else:  # pragma: no cover - a pair graph converges in O(log n) rounds
        raise RuntimeError(f"clusters did not converge in {max_iterations} rounds")
    return (
        labels.groupBy(col("label").alias("cluster"))
        .agg(
            functions.count("node").alias("size"),
            functions.array_sort(functions.collect_list("node")).alias("documents"),
        )
        .persist()
    )


def _passage(row: Any) -> Passage:
    return Passage(
        source_start=row.source_start,
        source_end=row.source_end,
        target_start=row.target_start,
        target_end=row.target_end,
        similarity=row.similarity,
        matched_words=row.matched_words,
        source_words=row.source_words,
        target_words=row.target_words,
        edits=tuple(Edit(*edit) for edit in row.edits),
        kind=row.kind,
    )


def _wanted(spark: SparkSession, ids: set[str]) -> DataFrame:
    """A one-column DataFrame (`id`) of the given ids, for a broadcast semi-join."""
    return _pyspark().broadcast(
        spark.createDataFrame([(item,) for item in sorted(ids)], "id string")
    )


def _paired_documents(documents: DataFrame, ids: set[str]) -> list[Document]:
    """The documents named in `ids`, in row order (only these rows reach the driver)."""
    functions = _pyspark()
    prepared = _prepare(documents).withColumn("position", functions.monotonically_increasing_id())
    rows = (
        prepared.withColumn("id", functions.col("id").cast("string"))
        .join(_wanted(_spark_of(documents), ids), "id", "left_semi")
        .orderBy("position")
        .collect()
    )
    return [document_from_mapping({name: row[name] for name in DOCUMENT_COLUMNS}) for row in rows]


def collect_report(
    tables: ReuseTables,
    documents: Iterable[Document] | DataFrame,
    *,
    skipped: Iterable[Skipped] | None = None,
    notices: Iterable[Notice] = (),
) -> Report:
    """A `wiretrace.Report` of the pairs and passages in `tables` (collected to the driver).

    `documents` are the documents as `Document` records (the report lists them all, as the local
    engine does), or the documents DataFrame (then only the documents in some pair are collected
    and listed). `skipped` defaults to the rows `find_reuse` skipped. The report's boilerplate
    spans are those of the documents it lists.
    """
    from pyspark.sql import DataFrame

    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in tables.passages.collect():
        grouped[(row.source, row.target)].append(row)
    pairs = [
        Pair(
            source=row.source,
            target=row.target,
            direction=row.direction,
            similarity=row.similarity,
            source_coverage=row.source_coverage,
            target_coverage=row.target_coverage,
            passages=tuple(
                _passage(found)
                for found in sorted(grouped[(row.source, row.target)], key=lambda r: r.passage)
            ),
        )
        for row in tables.pairs.collect()
    ]
    boilerplate = tables.boilerplate
    docs: Sequence[Document]
    if isinstance(documents, DataFrame):
        docs = _paired_documents(documents, {p.source for p in pairs} | {p.target for p in pairs})
        wanted = _wanted(_spark_of(documents), {doc.id for doc in docs})
        boilerplate = boilerplate.join(
            wanted.withColumnRenamed("id", "document"), "document", "left_semi"
        )
    elif isinstance(documents, Corpus):
        docs = documents  # texts stay on disk
    else:
        docs = list(documents)
    if isinstance(docs, Corpus):
        position = {doc_id: docs.position(doc_id) for doc_id in docs.by_id()}
    else:
        position = {doc.id: number for number, doc in enumerate(docs)}
    spans = sorted(
        (
            BoilerplateSpan(row.document, row.start, row.end, row.text)
            for row in boilerplate.collect()
            if row.document in position
        ),
        key=lambda span: (position[span.document], span.start),
    )
    if skipped is None:
        skipped = [
            Skipped(input=f"documents[id={row.id!r}]", line=None, reason=row.reason)
            for row in tables.skipped.collect()
        ]
    return build_report(
        docs,
        pairs,
        skipped=skipped,
        notices=notices,
        settings=tables.settings,
        boilerplate=spans,
    )


@contextlib.contextmanager
def spark_session(master: str = DEFAULT_MASTER) -> Iterator[SparkSession]:
    """The active SparkSession, or a new one on `master` that is stopped on leaving."""
    _pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    # Executors run this interpreter (with wiretrace installed), not whatever `python3` is first
    # on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(master)
        .appName("wiretrace")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


# Documents handed to Spark per batch by `find_reuse_in` (each batch's rows go to the JVM before
# the next batch is read back from the corpus).
HANDOVER_BATCH = 2000


def _corpus_frame(spark: SparkSession, corpus: Corpus) -> DataFrame:
    """The corpus as a documents DataFrame in corpus order, handed over in batches: Python never
    holds more than HANDOVER_BATCH texts at once."""
    schema = ", ".join(f"{name} string" for name in DOCUMENT_COLUMNS)
    context = spark.sparkContext
    parts = []
    for start in range(0, len(corpus), HANDOVER_BATCH):
        rows = [
            tuple(getattr(doc, name) for name in DOCUMENT_COLUMNS)
            for doc in corpus[start : start + HANDOVER_BATCH]
        ]
        parts.append(context.parallelize(rows, max(1, context.defaultParallelism)))
    if not parts:
        return spark.createDataFrame([], schema)
    # One flat union of the batches (not nested DataFrame unions), partitions in corpus order.
    return spark.createDataFrame(context.union(parts), schema)


def find_reuse_in(
    inputs: Iterable[Input],
    *,
    master: str = DEFAULT_MASTER,
    fields: Mapping[str, str | None] | None = None,
    on_error: OnError = "fail",
    encoding: str = "utf-8",
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
    progress: Progress | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> Report:
    """`wiretrace.find_reuse_in` with the work done on Spark (`master`, or the active session).

    The inputs are read here, as the local engine reads them: texts go to a temporary file (a
    `wiretrace.Corpus`, as in the local engine) and reach Spark in batches, so this process holds
    only the documents' ids and metadata; the report reads texts back as it needs them. The
    report equals the local engine's. Corpora kept where the executors can read them (HDFS, S3)
    are better read by Spark itself and passed to `find_reuse` as a DataFrame. Arguments are those
    of `wiretrace.find_reuse_in`; `progress` hears of the stages "read" and "align" once each,
    when they are done.
    """
    settings = Settings.from_options(options, base=settings)
    _pyspark()
    field_map = FieldMap.from_fields(fields)
    skipped: list[Skipped] = []
    notices: list[Notice] = []
    stream = read_inputs(
        list(inputs),
        field_map=field_map,
        on_error=on_error,
        encoding=encoding,
        max_document_chars=max_document_chars,
    )
    corpus = Corpus.collect(sort_out(stream, skipped, notices))
    count = len(corpus)
    if progress:
        progress("read", count, count)
    with spark_session(master) as spark:
        tables = find_reuse(_corpus_frame(spark, corpus), clusters=False, settings=settings)
        if progress:
            progress("align", 1, 1)
        try:
            return collect_report(tables, corpus, skipped=skipped, notices=notices)
        finally:
            tables.unpersist()
