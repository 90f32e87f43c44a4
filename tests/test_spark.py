"""Tests for the Spark engine: the local engine's pairs and passages, from Spark's local mode.

Tests that need Spark use the real thing (PySpark and a Java 17 runtime). Without PySpark they skip
with a message saying how to install it; with CI=true they fail instead.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

import wiretrace
from shared_data import shared_data
from strategies import LATIN
from wiretrace import Document, InputError, Settings, render_json
from wiretrace.cli import cli

NEWS = shared_data() / "news"
TGCONTEST = NEWS / "tgcontest" / "articles.jsonl.gz"
SAMPLE_LINES = 1000
IN_CI = os.environ.get("CI") == "true"
HOW_TO = (
    "PySpark is not installed: pip install -e '.[spark,test]' (it needs a Java 17 runtime) "
    "to run the Spark tests"
)
RNG_WORDS = random.Random(7)
WORDS = tuple(
    sorted({"".join(RNG_WORDS.choices(LATIN, k=RNG_WORDS.randint(3, 9))) for _ in range(5_000)})
)


def words(seed: int, count: int) -> str:
    """`count` seeded random words: text that shares nothing with other seeds."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(count))


STORY = words(1, 120)
FOOTER = " ".join(["Subscribe to the Harbour Post newsletter for the morning briefing"] * 3)


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI, where every service the tests need must be there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the Spark tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One SparkSession in local mode for the whole test run (starting one takes 10-20 s)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        unavailable(HOW_TO)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("wiretrace-tests")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
    except Exception as error:  # no Java runtime, or it cannot start
        unavailable(f"Spark cannot start ({error}); it needs a Java 17 runtime on PATH")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_engine() -> Any:
    """The wiretrace.spark module (imported only by tests that have a session)."""
    from wiretrace import spark as engine

    return engine


def frame_of(spark: Any, documents: list[Document]) -> Any:
    """A documents DataFrame with the columns find_reuse takes, in the order given."""
    engine = spark_engine()
    return spark.createDataFrame(
        [tuple(getattr(doc, name) for name in engine.DOCUMENT_COLUMNS) for doc in documents],
        ", ".join(f"{name} string" for name in engine.DOCUMENT_COLUMNS),
    )


def edited(text: str) -> str:
    """A copy with about one word in twelve replaced."""
    rng = random.Random(5)
    return " ".join(rng.choice(WORDS) if rng.random() < 0.08 else word for word in text.split())


def synthetic_corpus() -> list[Document]:
    """A story and its copies (trimmed, dated, edited, verbatim and undated), an outlet footer
    that is boilerplate, and unrelated articles."""
    excerpt = " ".join(STORY.split()[:70])
    docs = [
        Document("wire", STORY, outlet="Wire", published="2026-03-14T08:00:00Z"),
        Document(
            "post", words(2, 40) + " " + STORY, outlet="Post", published="2026-03-14T10:00:00Z"
        ),
        Document("excerpt", excerpt, outlet="Daily"),
        Document("full", STORY, outlet="Daily"),
        Document("same-b", STORY + " " + words(8, 30), outlet="Echo"),
        Document("same-a", STORY + " " + words(8, 30), outlet="Echo"),
        Document("other", words(3, 150), outlet="Wire"),
        Document("side", words(4, 60) + " " + words(5, 90), outlet="Post"),
        Document("side-copy", " ".join(words(5, 90).split()[:60]), outlet="Gazette"),
        Document("edited", edited(STORY), outlet="Gazette", published="2026-03-15"),
    ]
    # Three Harbour articles share only a footer: boilerplate at boilerplate_docs=3.
    docs += [
        Document(f"harbour-{k}", words(20 + k, 80) + " " + FOOTER, outlet="Harbour Post")
        for k in range(3)
    ]
    return docs


SYNTHETIC_SETTINGS = Settings(boilerplate_docs=3, jobs=1)


@pytest.fixture(scope="module")
def synthetic(spark: Any) -> tuple[wiretrace.Report, wiretrace.Report, Any]:
    """(local report, Spark report, Spark tables) of the synthetic corpus."""
    engine = spark_engine()
    docs = synthetic_corpus()
    local = wiretrace.find_reuse(docs, settings=SYNTHETIC_SETTINGS)
    tables = engine.find_reuse(frame_of(spark, docs), settings=SYNTHETIC_SETTINGS)
    return local, engine.collect_report(tables, docs), tables


def union_find_clusters(report: wiretrace.Report) -> set[tuple[str, ...]]:
    """The connected components of a report's pairs, computed the obvious way."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            node = parent[node]
        return node

    for pair in report.pairs:
        first, second = find(pair.source), find(pair.target)
        parent[max(first, second)] = min(first, second)
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    return {tuple(sorted(members)) for members in groups.values()}


# Without Spark


def test_import_wiretrace_does_not_import_pyspark() -> None:
    """`import wiretrace` and `import wiretrace.spark` leave pyspark unimported."""
    code = "import sys, wiretrace, wiretrace.spark; print('pyspark' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert completed.stdout.strip() == "False"


def test_engine_spark_without_pyspark_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report --engine spark` without PySpark exits 1 naming the install command."""
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(tmp_path), "--engine", "spark"])
    assert result.exit_code == 1
    assert "pip install 'wiretrace[spark]'" in result.output


def test_lsh_keys_are_the_same_in_every_process() -> None:
    """Sketch keys do not depend on Python's per-process string hash seed."""
    code = (
        "import sys, wiretrace.pipeline as p, wiretrace.shingle as s, wiretrace as w;"
        "d = w.Document('x', sys.stdin.read(), outlet='Wire');"
        "k, _ = p.sketch_tokens(d, s.tokenize(d.text), w.Settings());"
        "_, h = p.read_tokens(d, w.Settings());"
        "print(k.tolist(), h.tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            input=STORY,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


# Same results as the local engine


def test_synthetic_corpus_gives_the_local_report(
    synthetic: tuple[wiretrace.Report, wiretrace.Report, Any],
) -> None:
    """Pairs, passages, directions, lineage and boilerplate from Spark render to the local
    engine's JSON."""
    local, from_spark, _ = synthetic
    assert len(local.pairs) >= 4
    assert local.boilerplate
    assert render_json(from_spark) == render_json(local)


def test_boilerplate_spans_are_the_local_engines(
    synthetic: tuple[wiretrace.Report, wiretrace.Report, Any],
) -> None:
    """The Harbour footer is flagged as boilerplate in each Harbour article, as locally."""
    local, from_spark, tables = synthetic
    harbour = [doc for doc in local.documents if doc.outlet == "Harbour Post"]
    assert {span.document for span in local.boilerplate} == {doc.id for doc in harbour}
    for doc in harbour:
        start = doc.text.index(FOOTER)
        assert (doc.id, start, start + len(FOOTER)) in {
            (span.document, span.start, span.end) for span in local.boilerplate
        }
    assert from_spark.boilerplate == local.boilerplate
    rows = sorted(tables.boilerplate.collect(), key=lambda row: (row.document, row.start))
    assert [(row.document, row.start, row.end, row.text) for row in rows] == sorted(
        attrs.astuple(span) for span in local.boilerplate
    )


def test_equal_texts_without_dates_keep_row_order(
    synthetic: tuple[wiretrace.Report, wiretrace.Report, Any],
) -> None:
    """Where nothing tells the direction, the earlier row is the source, as in the local engine."""
    _, from_spark, _ = synthetic
    (pair,) = [p for p in from_spark.pairs if {p.source, p.target} == {"same-a", "same-b"}]
    assert (pair.source, pair.target, pair.direction) == ("same-b", "same-a", "unknown")


def test_outlet_boilerplate_makes_no_pairs(
    synthetic: tuple[wiretrace.Report, wiretrace.Report, Any],
) -> None:
    """Articles of one outlet sharing only a footer are not paired."""
    _, from_spark, _ = synthetic
    harbour = {doc.id for doc in from_spark.documents if doc.outlet == "Harbour Post"}
    assert not [p for p in from_spark.pairs if {p.source, p.target} <= harbour]


def test_an_outlets_own_boilerplate_is_the_local_engines(spark: Any) -> None:
    """With `own_boilerplate_docs`, Spark counts which outlets hold each shingle as the local
    engine does: the Harbour footer (three articles, below boilerplate_docs) is boilerplate, the
    story other outlets carry is not, and the report renders to the local engine's JSON."""
    settings = Settings(own_boilerplate_docs=3, jobs=1)
    docs = synthetic_corpus()
    local = wiretrace.find_reuse(docs, settings=settings)
    engine = spark_engine()
    from_spark = engine.collect_report(
        engine.find_reuse(frame_of(spark, docs), settings=settings), docs
    )
    harbour = {doc.id for doc in docs if doc.outlet == "Harbour Post"}
    assert {span.document for span in local.boilerplate} == harbour
    assert len(local.pairs) >= 4
    assert render_json(from_spark) == render_json(local)


def test_the_own_boilerplate_cover_rule_is_the_local_engines(spark: Any) -> None:
    """With `own_boilerplate_docs` and its cover rule, Spark masks as the local engine does: a
    story one outlet sent five times stays reuse (it covers most of each sending), the footer on
    the outlet's other pages is boilerplate, and the report renders to the local JSON."""
    from test_own_boilerplate import _resends

    settings = Settings(own_boilerplate_docs=3, jobs=1)
    docs = _resends(5) + synthetic_corpus()
    local = wiretrace.find_reuse(docs, settings=settings)
    engine = spark_engine()
    from_spark = engine.collect_report(
        engine.find_reuse(frame_of(spark, docs), settings=settings), docs
    )
    sent = {doc.id for doc in docs if doc.id.startswith("sent-")}
    assert len([p for p in local.pairs if {p.source, p.target} <= sent]) == 10
    assert {span.document for span in local.boilerplate} >= {f"page-{k}" for k in range(5)}
    assert render_json(from_spark) == render_json(local)


def test_clusters_are_the_connected_components_of_the_pairs(
    synthetic: tuple[wiretrace.Report, wiretrace.Report, Any],
) -> None:
    """Each cluster row holds one connected component, named by its smallest id."""
    local, _, tables = synthetic
    rows = tables.clusters.collect()
    assert {tuple(row.documents) for row in rows} == union_find_clusters(local)
    assert all(row.cluster == row.documents[0] and row.size == len(row.documents) for row in rows)


def test_passages_table_has_both_texts_and_replayable_edits(
    synthetic: tuple[wiretrace.Report, wiretrace.Report, Any],
) -> None:
    """A passage row's edits applied to its source text give its target text."""
    _, _, tables = synthetic
    rows = tables.passages.collect()
    assert any(row.edits for row in rows)
    for row in rows:
        replayed, position = [], 0
        for edit in sorted(row.edits, key=lambda e: (e.source_start, e.source_end)):
            replayed.append(row.source_text[position : edit.source_start - row.source_start])
            replayed.append(edit.target_text)
            position = edit.source_end - row.source_start
        replayed.append(row.source_text[position:])
        assert "".join(replayed) == row.target_text


def test_find_clusters_closes_a_long_chain(spark: Any) -> None:
    """A chain of 40 documents is one cluster; a separate pair is another."""
    chain = [(f"d{k:02d}", f"d{k + 1:02d}") for k in range(39)]
    pairs = spark.createDataFrame([*chain, ("x", "y")], "source string, target string")
    rows = spark_engine().find_clusters(pairs).orderBy("cluster").collect()
    assert [(row.cluster, row.size) for row in rows] == [("d00", 40), ("x", 2)]
    assert rows[0].documents == [f"d{k:02d}" for k in range(40)]


# Input checks


def test_empty_texts_and_skipped_bad_rows_are_listed(spark: Any) -> None:
    """Empty texts, and bad rows with on_error="skip", are left out and listed in `skipped`."""
    frame = spark.createDataFrame(
        [("a", STORY), ("b", "  "), (None, STORY), ("c", STORY)], "id string, text string"
    )
    tables = spark_engine().find_reuse(frame, on_error="skip", clusters=False)
    skipped = sorted(tables.skipped.collect(), key=lambda row: str(row.id))
    assert [(row.id, row.reason.split(" (")[0]) for row in skipped] == [
        (None, "field 'id' is missing"),
        ("b", "empty"),
    ]
    assert [(row.source, row.target) for row in tables.pairs.collect()] == [("a", "c")]


def test_a_row_without_id_raises_input_error(spark: Any) -> None:
    """A null id raises InputError saying what is wrong and how to go on."""
    frame = spark.createDataFrame([("a", STORY), (None, STORY)], "id string, text string")
    with pytest.raises(InputError, match="cannot be read.*field 'id' is missing.*on_error='skip'"):
        spark_engine().find_reuse(frame)


def test_duplicate_ids_raise_input_error(spark: Any) -> None:
    """Two rows with one id raise InputError naming the id."""
    frame = spark.createDataFrame([("a", STORY), ("a", STORY)], "id string, text string")
    with pytest.raises(InputError, match=r"duplicate document id.*'a' \(2 rows\)"):
        spark_engine().find_reuse(frame)


def test_a_missing_text_column_raises_input_error(spark: Any) -> None:
    """A DataFrame without a text column raises InputError listing its columns."""
    frame = spark.createDataFrame([("a", STORY)], "id string, body string")
    with pytest.raises(InputError, match=r"no column 'text' \(columns: id, body\)"):
        spark_engine().find_reuse(frame)


# The command line


def test_report_engine_spark_prints_the_local_report(spark: Any) -> None:
    """`report --engine spark --format json` on the demo corpus prints the local engine's JSON."""
    demo = str(wiretrace.demo_corpus_path())
    runner = CliRunner()
    local = runner.invoke(cli, ["report", demo, "--format", "json", "-j", "1"])
    on_spark = runner.invoke(
        cli, ["report", demo, "--format", "json", "-j", "1", "--engine", "spark"]
    )
    assert local.exit_code == 0, local.output
    assert on_spark.exit_code == 0, on_spark.output
    assert on_spark.stdout == local.stdout
    assert json.loads(on_spark.stdout)["summary"]["pairs"] >= 10


def test_find_reuse_in_hands_documents_over_in_batches(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`find_reuse_in` keeps texts on disk (its report's documents are a Corpus) and hands them
    to Spark a few at a time; the report is the local engine's, in the same document order."""
    engine = spark_engine()
    monkeypatch.setattr(engine, "HANDOVER_BATCH", 3)
    demo = wiretrace.demo_corpus_path()
    on_spark = engine.find_reuse_in([demo], jobs=1)
    local = wiretrace.find_reuse_in([demo], jobs=1)
    assert isinstance(on_spark.documents, wiretrace.Corpus)
    assert len(on_spark.documents) > 3 * 3
    assert render_json(on_spark) == render_json(local)


# Real multilingual news


@pytest.fixture(scope="module")
def news_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first SAMPLE_LINES articles of the tgcontest corpus (ru, en, uk, es, ar, ...)."""
    if not TGCONTEST.exists():
        if IN_CI:
            pytest.fail(f"{TGCONTEST} is missing; CI needs the shared news corpora")
        pytest.skip(f"{TGCONTEST} is absent; put the shared corpora in {NEWS} to run this test")
    sample = tmp_path_factory.mktemp("tgcontest") / "sample.jsonl"
    with gzip.open(TGCONTEST, "rb") as stream:
        sample.write_bytes(b"".join(itertools.islice(stream, SAMPLE_LINES)))
    return sample


@pytest.fixture(scope="module")
def news_local(news_sample: Path) -> wiretrace.Report:
    """The local engine's report on the news sample."""
    return wiretrace.find_reuse_in([news_sample], on_error="skip", jobs=2)


@pytest.mark.slow
def test_news_report_from_spark_equals_the_local_report(
    spark: Any, news_sample: Path, news_local: wiretrace.Report
) -> None:
    """On real multilingual news, `report --engine spark` prints the local engine's JSON report."""
    arguments = ["report", str(news_sample), "--on-error", "skip", "-j", "2", "--format", "json"]
    result = CliRunner().invoke(cli, [*arguments, "--engine", "spark"])
    assert result.exit_code == 0, result.output
    assert len(news_local.pairs) > 100
    assert result.stdout == render_json(news_local)


@pytest.mark.slow
def test_news_own_boilerplate_from_spark_equals_the_local_report(
    spark: Any, news_sample: Path
) -> None:
    """With `--own-boilerplate-docs 3` on real news from many sites, `report --engine spark`
    prints the local engine's JSON report, and the setting finds boilerplate there."""
    arguments = ["report", str(news_sample), "--on-error", "skip", "-j", "2", "--format", "json"]
    arguments += ["--own-boilerplate-docs", "3"]
    runner = CliRunner()
    local = runner.invoke(cli, arguments)
    on_spark = runner.invoke(cli, [*arguments, "--engine", "spark"])
    assert local.exit_code == 0, local.output
    assert on_spark.exit_code == 0, on_spark.output
    assert on_spark.stdout == local.stdout
    summary = json.loads(local.stdout)["summary"]
    assert summary["pairs"] > 50 and summary["boilerplate"] > 100


@pytest.mark.slow
def test_news_pairs_from_a_json_dataframe_equal_the_local_pairs(
    spark: Any, news_sample: Path, news_local: wiretrace.Report
) -> None:
    """Documents read by Spark's own JSON reader give the local engine's pairs and passages, and
    its boilerplate spans of the documents listed (those in some pair)."""
    engine = spark_engine()
    raw = spark.read.json(str(news_sample))
    documents = raw.select(
        "id",
        "text",
        raw.site_name.alias("outlet"),
        raw.published_time.alias("published"),
        "title",
        "url",
    )
    tables = engine.find_reuse(documents, on_error="skip", settings=news_local.settings)
    on_spark = engine.collect_report(tables, documents)
    expected, found = json.loads(render_json(news_local)), json.loads(render_json(on_spark))
    assert found["pairs"] == expected["pairs"]
    listed = {doc.id for doc in on_spark.documents}
    assert on_spark.boilerplate == tuple(
        span for span in news_local.boilerplate if span.document in listed
    )
    assert len(on_spark.skipped) == len(news_local.skipped)
    assert tables.clusters.count() == len(union_find_clusters(news_local))
