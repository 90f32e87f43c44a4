"""Tests for the persistent index (`wiretrace.Index`) on real SQLite files and a real Redis server."""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wiretrace
from redis_server import redis_index, redis_url  # noqa: F401 - fixtures
from strategies import LATIN
from wiretrace import ConfigError, Document, Index, InputError, Settings, StoreError, find_reuse
from wiretrace.archive import _document_keys
from wiretrace.index.sqlite import SQLiteStore
from wiretrace.index.store import open_store
from wiretrace.ingest import load_documents

RNG_WORDS = random.Random(23)
WORDS = tuple(
    sorted({"".join(RNG_WORDS.choices(LATIN, k=RNG_WORDS.randint(3, 9))) for _ in range(5_000)})
)


def words(seed: int, count: int) -> str:
    """`count` seeded random words: text that shares nothing with other seeds."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(count))


WIRE = words(1, 120)
OWN = words(2, 120)


def stored_postings(path: Path) -> list[tuple[int, str]]:
    """Every (key, document id) posting of a SQLite index, sorted."""
    store = SQLiteStore(str(path), create=False)
    try:
        keys, numbers = store.postings()
        ids = dict(store.fetch(np.unique(numbers).tolist()))
    finally:
        store.close()
    return sorted(zip(keys.tolist(), [ids[n].id for n in numbers.tolist()], strict=True))


def runs_of_each_kind(location: str) -> list[list[tuple[int, int]]]:
    """The runs of each kind (postings, counts) in an index: (run, entries), oldest first."""
    from wiretrace.index import runs as lsm

    store: Any = open_store(location, create=False)
    try:
        return [store._runs(kind) for kind in (lsm.POSTINGS, lsm.COUNTS)]
    finally:
        store.close()


def corpus() -> list[Document]:
    """A wire story, two unrelated articles, and a dated follow-up that quotes half the wire."""
    return [
        Document("wire", WIRE, outlet="Wire", published="2024-05-01"),
        Document("other", words(3, 150), outlet="Daily", published="2024-05-02"),
        Document("third", words(4, 90), outlet="Daily", published="2024-06-01"),
        Document(
            "follow",
            " ".join(WIRE.split()[:60]) + " " + words(5, 60),
            outlet="Post",
            published="2024-07-01",
        ),
    ]


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty index location: a SQLite file, or a Redis server under a fresh prefix."""
    if request.param == "sqlite":
        return str(tmp_path / "index.db")
    return request.getfixturevalue("redis_index")


@pytest.fixture
def filled(location: str) -> str:
    """An index holding `corpus()`."""
    with Index.open(location, jobs=1) as index:
        index.add(corpus())
    return location


# Adding


def test_add_counts_documents(location: str) -> None:
    """Adding four new documents reports four added and an index of four."""
    with Index.open(location, jobs=1) as index:
        result = index.add(corpus())
        assert (result.added, result.replaced, result.unchanged, result.documents) == (4, 0, 0, 4)
        assert len(index) == 4
        assert "wire" in index and "nope" not in index


def test_adding_again_skips_unchanged_documents(filled: str) -> None:
    """Re-adding the same documents stores nothing twice: all are unchanged."""
    with Index.open(filled) as index:
        result = index.add(corpus())
        assert (result.added, result.unchanged, result.documents) == (0, 4, 4)


def test_adding_a_changed_document_replaces_it(filled: str) -> None:
    """A known id with new text replaces the old version and its keys."""
    new_text = words(9, 120)
    with Index.open(filled) as index:
        result = index.add([Document("wire", new_text, outlet="Wire", published="2024-05-01")])
        assert (result.added, result.replaced, result.documents) == (0, 1, 4)
        assert index.get("wire").text == new_text
        assert not [p for p in index.trace(WIRE).pairs if p.source == "wire"]
        assert [p.source for p in index.trace(new_text).pairs] == ["wire"]


def test_duplicate_ids_in_one_add_are_refused(location: str) -> None:
    """Two documents with one id in one add raise InputError naming the id."""
    with Index.open(location) as index, pytest.raises(InputError, match="'a'"):
        index.add([Document("a", WIRE), Document("a", OWN)])


@pytest.mark.parametrize("batch_size", [0, 10**9 + 1, 10**20])
def test_batch_size_out_of_range_is_refused(tmp_path: Path, batch_size: int) -> None:
    """A batch_size below 1 or above a billion raises ConfigError showing it, adding nothing."""
    with Index.open(tmp_path / "i.db") as index:
        with pytest.raises(ConfigError, match=rf"^batch_size must be .* got {batch_size}$"):
            index.add([Document("a", WIRE)], batch_size=batch_size)
        assert len(index) == 0


@pytest.mark.parametrize("call", ["add", "trace_all"])
def test_documents_that_are_not_a_list_are_refused(tmp_path: Path, call: str) -> None:
    """add and trace_all given one text or None raise TypeError naming the argument (before:
    an error per character, or Python's "'NoneType' object is not iterable")."""
    with Index.open(tmp_path / "i.db") as index:
        for documents in (WIRE, None):
            with pytest.raises(TypeError, match=r"^(documents|articles) must be a list of "):
                getattr(index, call)(documents)
        assert len(index) == 0


@pytest.mark.parametrize("call", ["add_from", "trace_files"])
def test_inputs_that_are_not_a_list_of_paths_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    """add_from and trace_files given one path as a str (before: each character read as a path,
    "/" the whole file system) or a None input raise TypeError naming them."""
    (tmp_path / "a.txt").write_text(WIRE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with Index.open(tmp_path / "i.db") as index:
        with pytest.raises(TypeError, match=r"^inputs must be a list of paths, got a str "):
            getattr(index, call)("a.txt")
        with pytest.raises(TypeError, match=r"^inputs\[0\] must be a path .* got NoneType None$"):
            getattr(index, call)([None])
        assert len(index) == 0


def test_bad_arguments_of_an_index_raise_clear_errors(tmp_path: Path) -> None:
    """A trace of bytes, a numpy batch size, an id that is not a str, a negative top, fields
    that are not a mapping and a progress that cannot be called raise errors naming them
    (before: 'documents[0]', a refused np.int64, sqlite3's errors, AttributeError, TypeError)."""
    with Index.open(tmp_path / "i.db", jobs=1) as index:
        assert index.add([Document("a", WIRE)], batch_size=np.int64(5)).added == 1
        with pytest.raises(InputError, match=r"^article: expected a str, a wiretrace\.Document"):
            index.trace(WIRE.encode())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^document_id must be a str, got list \['a'\]$"):
            index.get(["a"])  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match=r"^top must be >= 0, got -1$"):
            index.stats(top=-1)
        with pytest.raises(ConfigError, match=r"^fields must be a mapping of field options"):
            index.add_from([], fields="text")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^progress must be a function"):
            index.add([Document("b", OWN)], progress=3)  # type: ignore[arg-type]
        assert len(index) == 1


def test_parallel_add_stores_the_same_keys(tmp_path: Path) -> None:
    """Keys computed by worker processes equal those computed in process."""
    docs = [Document(f"d{k}", words(k, 200)) for k in range(40)]
    for jobs in (1, 2):
        with Index.open(tmp_path / f"j{jobs}.db", jobs=jobs) as index:
            index.add(docs, batch_size=7)
    rows = [stored_postings(tmp_path / f"j{jobs}.db") for jobs in (1, 2)]
    assert rows[0] == rows[1] and rows[0]


def test_sqlite_stores_the_sketch_keys(tmp_path: Path) -> None:
    """The postings of a document are its `sketch_tokens` keys, each once."""
    document = Document("a", words(7, 300))
    with Index.open(tmp_path / "i.db") as index:
        index.add([document])
        expected = _document_keys((document, index.settings))
    stored = stored_postings(tmp_path / "i.db")
    assert stored == [(key, "a") for key in sorted(expected.tolist())]
    assert any(key >= 2**63 for key, _ in stored)


def test_add_from_reads_files_and_lists_skipped(tmp_path: Path) -> None:
    """`add_from` streams JSON Lines; empty records are skipped and listed."""
    path = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": WIRE}, {"id": "b", "text": " "}, {"id": "c", "text": OWN}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with Index.open(tmp_path / "i.db") as index:
        result = index.add_from([path])
    assert (result.added, len(result.skipped), result.skipped[0].reason) == (2, 1, "empty")


# Settings


def test_a_new_index_records_its_settings(location: str) -> None:
    """Settings given to a new index are used again when it is reopened without them."""
    with Index.open(location, num_perm=32, window_size=12) as index:
        index.add(corpus())
    with Index.open(location) as index:
        assert (index.settings.num_perm, index.settings.window_size) == (32, 12)
        assert index.stats()["settings"]["num_perm"] == 32
        assert {p.source for p in index.trace(WIRE).pairs} == {"wire", "follow"}


@pytest.mark.parametrize(
    ("option", "value"),
    [("num_perm", 128), ("seed", 7), ("shingle_size", 4), ("window_size", 20), ("threshold", 0.6)],
)
def test_mismatched_settings_are_refused(filled: str, option: str, value: float) -> None:
    """Opening an index with other key settings raises ConfigError naming both values."""
    with pytest.raises(ConfigError, match=rf"built with {option}=\S+, not {value}") as caught:
        Index.open(filled, **{option: value})
    assert "--" + option.replace("_", "-") in str(caught.value)


def test_alignment_settings_may_differ(filled: str) -> None:
    """Settings that do not make keys (min_length) can change from one trace to the next."""
    with Index.open(filled, min_length=200) as index:
        assert index.trace(WIRE).pairs == ()


def test_other_tokenizer_version_is_refused(tmp_path: Path) -> None:
    """An index made by another tokenizer version is refused with a message to rebuild."""
    with Index.open(tmp_path / "i.db"):
        pass
    with sqlite3.connect(tmp_path / "i.db") as connection:
        connection.execute("UPDATE meta SET value = '0' WHERE name = 'tokens'")
    with pytest.raises(ConfigError, match="tokenizer version '0'.*build a new index"):
        Index.open(tmp_path / "i.db")


def test_index_recording_an_invalid_seed_is_refused(tmp_path: Path) -> None:
    """An index recording a seed of 2**32 (earlier versions made one) is refused with a message to
    rebuild it, for adding and tracing alike."""
    with Index.open(tmp_path / "i.db"):
        pass
    with sqlite3.connect(tmp_path / "i.db") as connection:
        connection.execute("UPDATE meta SET value = '4294967296' WHERE name = 'seed'")
    message = (
        r"i\.db: the index was built with an invalid setting \(seed must be <= 4294967295, got "
        r"4294967296\); its keys cannot be used, so build a new index from the same inputs$"
    )
    with pytest.raises(ConfigError, match=message):
        Index.open(tmp_path / "i.db")
    with pytest.raises(ConfigError, match=message):
        Index.open(tmp_path / "i.db", create=False, seed=1)


# Opening


def test_missing_index_is_an_error_when_not_creating(tmp_path: Path) -> None:
    """Opening a missing index without create raises StoreError saying how to build one."""
    with pytest.raises(StoreError, match="no index here; build one with `wiretrace index add"):
        Index.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_missing_redis_index_is_an_error_when_not_creating(request: pytest.FixtureRequest) -> None:
    """A Redis prefix with no index in it is refused without create."""
    with pytest.raises(StoreError, match="no index here"):
        Index.open(request.getfixturevalue("redis_index"), create=False)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    """A file that is not a SQLite database raises StoreError naming it."""
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages you are looking for" * 100)
    with pytest.raises(StoreError, match="notes.db: cannot be opened as a wiretrace index"):
        Index.open(path)


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    """A SQLite database of something else is refused, not written into."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(StoreError, match="not a wiretrace index \\(tables: people\\)"):
        Index.open(path)


def test_unreachable_redis_is_an_error() -> None:
    """A Redis URL where no server answers raises StoreError saying to start one."""
    pytest.importorskip("redis")
    with pytest.raises(StoreError, match="cannot reach the Redis server"):
        Index.open("redis://127.0.0.1:1/0")


# Tracing


def test_trace_finds_the_source_with_its_passage(filled: str) -> None:
    """An article copying the wire story has the wire as source, the article as target."""
    article = Document("new", OWN + " " + WIRE)
    with Index.open(filled) as index:
        report = index.trace(article)
    sources = [pair.source for pair in report.pairs]
    assert sources[0] == "wire" and set(sources) == {"wire", "follow"}
    pair = report.pairs[0]
    assert pair.target == "new" and len(pair.passages) == 1
    passage = pair.passages[0]
    assert article.text[passage.target_start : passage.target_end] == WIRE
    assert report.document("wire").text[passage.source_start : passage.source_end] == WIRE
    assert pair.target_coverage == pytest.approx(0.5, abs=0.01)


def test_trace_reports_what_changed(filled: str) -> None:
    """Edits replay the source passage into the article's passage."""
    changed = WIRE.split()
    changed[50] = "CHANGED"
    article = " ".join(changed)
    with Index.open(filled) as index:
        report = index.trace(article)
    pair = next(pair for pair in report.pairs if pair.source == "wire")
    edits = [edit for passage in pair.passages for edit in passage.edits]
    assert [(edit.op, edit.target_text.strip()) for edit in edits] == [("replace", "CHANGED")]
    for passage in pair.passages:
        replayed = wiretrace.replay_edits(WIRE, passage)
        assert replayed == article[passage.target_start : passage.target_end]


def test_trace_sums_up_shares_and_own_text(filled: str) -> None:
    """The trace summary gives each source's share of the article and the article's own share."""
    with Index.open(filled) as index:
        report = index.trace(Document("new", " ".join(WIRE.split()[:60]) + " " + OWN))
    (trace,) = report.traces
    shares = {item.source: round(item.share, 2) for item in trace.sources}
    assert trace.article == "new"
    assert shares == {"wire": 0.33, "follow": 0.33}
    assert trace.own_share == pytest.approx(2 / 3, abs=0.01)
    assert [item.outlet for item in trace.sources] == ["Wire", "Post"] or [
        item.outlet for item in trace.sources
    ] == ["Post", "Wire"]


def test_trace_of_unrelated_text_finds_nothing(filled: str) -> None:
    """An article that reuses nothing has no pairs and is all its own."""
    with Index.open(filled) as index:
        report = index.trace(words(77, 150))
    assert report.pairs == ()
    assert report.traces[0].own_share == 1.0 and report.traces[0].sources == ()


def test_trace_leaves_out_the_article_itself(filled: str) -> None:
    """Tracing an indexed document by its own id does not list it as its own source."""
    with Index.open(filled) as index:
        report = index.trace(index.get("wire"))
    assert [pair.source for pair in report.pairs] == ["follow"]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, {"wire", "follow"}),
        ("2024-06-01", None, {"follow"}),
        (None, "2024-05-01", {"wire"}),
        ("2024-05-02", "2024-06-30", set()),
        ("2024-07-01T00:00:00Z", "2024-07-01T00:00:00Z", {"follow"}),
    ],
)
def test_time_window_restricts_sources(
    filled: str, since: str | None, until: str | None, expected: set[str]
) -> None:
    """--since/--until keep only sources published in the window (a bare until covers its day)."""
    with Index.open(filled) as index:
        report = index.trace(WIRE + " " + OWN, since=since, until=until)
    assert {pair.source for pair in report.pairs} == expected


def test_bad_dates_are_refused(filled: str) -> None:
    """A time window bound that is not a date raises ConfigError showing it."""
    with Index.open(filled) as index, pytest.raises(ConfigError, match="since: 'last week'"):
        index.trace(WIRE, since="last week")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(5, "int 5"), (2019, "int 2019"), (1.5e9, "float 1500000000.0"), (True, "bool True")],
)
@pytest.mark.parametrize("bound", ["since", "until"])
def test_a_time_window_bound_that_is_a_number_is_a_type_error(
    filled: str, bound: str, value: object, shown: str
) -> None:
    """A bound given as a number raises TypeError saying what to give (5 and 2019 were taken as
    seconds after 1970, a window that kept every source)."""
    with Index.open(filled) as index, pytest.raises(TypeError) as caught:
        index.trace(WIRE, **{bound: value})  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"{bound} must be a date or time: an ISO 8601 str (2019-11-01, 2019-11-01T12:00:00Z), a "
        f"date or a datetime, got {shown}; for epoch seconds, give "
        "datetime.fromtimestamp(seconds, timezone.utc)"
    )


def test_direction_is_published_when_the_source_is_older(filled: str) -> None:
    """A dated article after its source gets direction "published", else "unknown"."""
    with Index.open(filled) as index:
        dated = index.trace(Document("new", WIRE, published="2025-01-01"))
        undated = index.trace(Document("new", WIRE))
    assert {pair.direction for pair in dated.pairs} == {"published"}
    assert {pair.direction for pair in undated.pairs} == {"unknown"}


@pytest.mark.parametrize("outlet", [None, "Northdesk"])
def test_direction_is_text_when_the_article_credits_the_source(
    location: str, outlet: str | None
) -> None:
    """An undated article that credits a source's outlet, or the agency whose dateline opens a
    source of no known outlet (a text file), gets direction "text" from it (it was "unknown")."""
    dispatch = f"WASHINGTON (Northdesk) - {WIRE}" if outlet is None else WIRE
    with Index.open(location, jobs=1) as index:
        index.add([Document("dispatch", dispatch, outlet=outlet), Document("own", OWN)])
        credited = index.trace(Document("new", f"{WIRE} Northdesk reported the figures."))
        silent = index.trace(Document("new", WIRE))
    assert [(pair.source, pair.direction) for pair in credited.pairs] == [("dispatch", "text")]
    assert [(pair.source, pair.direction) for pair in silent.pairs] == [("dispatch", "unknown")]


def test_trace_all_puts_articles_then_sources_in_one_report(filled: str) -> None:
    """Several articles give one report: the articles first, then each source once."""
    with Index.open(filled) as index:
        report = index.trace_all([Document("x", WIRE), Document("y", WIRE + " " + OWN)])
    assert [doc.id for doc in report.documents] == ["x", "y", "wire", "follow"]
    assert [trace.article for trace in report.traces] == ["x", "y"]


def test_trace_report_renders_the_json_contract(filled: str) -> None:
    """The trace report is a wiretrace.report/1 document with a "sources" section."""
    with Index.open(filled) as index:
        data = json.loads(wiretrace.render_json(index.trace(Document("new", WIRE))))
    assert data["schema"] == "wiretrace.report/1"
    assert data["sources"][0]["article"] == "new"
    assert {item["id"] for item in data["sources"][0]["sources"]} == {"wire", "follow"}
    assert data["sources"][0]["own_share"] == 0.0
    assert all(pair["target"] == "new" for pair in data["pairs"])


def test_outlet_boilerplate_is_not_a_source(location: str) -> None:
    """A footer one outlet repeats in many articles makes neither candidates nor passages."""
    footer = words(50, 40)
    docs = [
        Document(f"d{k}", words(100 + k, 80) + " " + footer, outlet="Gazette") for k in range(25)
    ]
    with Index.open(location, jobs=1) as index:
        index.add(docs)
        report = index.trace(Document("new", words(999, 80) + " " + footer, outlet="Gazette"))
    assert report.pairs == ()
    (span,) = report.boilerplate
    assert (span.document, span.text) == ("new", footer)


def test_trace_agrees_with_find_reuse_on_the_demo_corpus(tmp_path: Path) -> None:
    """Each demo article traced against an index of the others finds its find_reuse partners."""
    documents = load_documents([str(wiretrace.demo_corpus_path())]).documents
    pairs = find_reuse(documents, jobs=1).pairs
    with Index.open(tmp_path / "demo.db", jobs=1) as index:
        index.add(documents)
        for document in documents:
            partners = {p.source for p in pairs if p.target == document.id} | {
                p.target for p in pairs if p.source == document.id
            }
            traced = {pair.source for pair in index.trace(document).pairs}
            assert traced == partners, document.id


# Stats


def test_stats_describe_the_index(filled: str) -> None:
    """Stats give documents, settings, size, date range and top outlets."""
    with Index.open(filled) as index:
        stats = index.stats()
    assert stats["documents"] == 4
    assert stats["settings"]["minhash"] == "datasketch affine32"
    assert (stats["settings"]["bands"], stats["settings"]["rows"]) == (21, 3)
    assert stats["bytes"] > 0
    assert stats["published"] == {"first": "2024-05-01T00:00:00Z", "last": "2024-07-01T00:00:00Z"}
    assert stats["outlets"] == 3
    assert stats["top_outlets"][0] == {"outlet": "Daily", "documents": 2}


def test_sqlite_index_passes_integrity_check(tmp_path: Path) -> None:
    """A SQLite index is in WAL mode and passes SQLite's integrity check."""
    with Index.open(tmp_path / "i.db", jobs=1) as index:
        index.add(corpus())
    with sqlite3.connect(tmp_path / "i.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_trace_masks_outlet_boilerplate_like_report(location: str) -> None:
    """A source sharing both news and its outlet's footer with the article: the footer, counted
    in the index over all the outlet's documents, is masked as `find_reuse` masks it."""
    footer = words(50, 40)
    news = words(7, 80)
    docs = [
        Document(f"d{k}", words(100 + k, 80) + " " + footer, outlet="Gazette") for k in range(25)
    ]
    docs.append(Document("source", news + " " + footer, outlet="Gazette"))
    article = Document("new", words(8, 40) + " " + news + " " + footer, outlet="gazette")
    expected = [
        [
            (p.target_start, p.target_end)
            if pair.target == "new"
            else (p.source_start, p.source_end)
            for p in pair.passages
        ]
        for pair in find_reuse([*docs, article], jobs=1).pairs
        if {pair.source, pair.target} == {"source", "new"}
    ]
    with Index.open(location, jobs=1) as index:
        index.add(docs, batch_size=10)
        report = index.trace(article)
    traced = [[(p.target_start, p.target_end) for p in pair.passages] for pair in report.pairs]
    assert [pair.source for pair in report.pairs] == ["source"]
    assert traced == expected
    # Unmasked, the passage would run on to the article's end, through the footer.
    assert traced[0][-1][1] < article.text.index(footer) + len(footer) // 4
    # The footer is flagged as boilerplate in the article and in its source, in document order.
    assert [(span.document, span.text) for span in report.boilerplate] == [
        ("new", footer),
        ("source", footer),
    ]


def test_trace_masks_an_outlets_own_boilerplate_like_report(location: str) -> None:
    """In an index made with `own_boilerplate_docs`, a footer only its outlet carries, in fewer
    than `boilerplate_docs` of its documents, is masked in the article and in its source as
    `find_reuse` masks it; traced without the setting, it is not."""
    footer = words(50, 40)
    news = words(7, 80)
    docs = [
        Document(f"d{k}", words(100 + k, 80) + " " + footer, outlet="Gazette") for k in range(4)
    ]
    docs.append(Document("source", news + " " + footer, outlet="Gazette"))
    docs.append(Document("wire", news, outlet="Wire"))
    article = Document("new", words(8, 40) + " " + news + " " + footer, outlet="gazette")
    found = find_reuse([*docs, article], jobs=1, own_boilerplate_docs=3)
    expected = {
        pair.source if pair.target == "new" else pair.target: [
            (p.target_start, p.target_end)
            if pair.target == "new"
            else (p.source_start, p.source_end)
            for p in pair.passages
        ]
        for pair in found.pairs
        if "new" in (pair.source, pair.target)
    }
    assert set(expected) == {"source", "wire"}
    with Index.open(location, jobs=1, own_boilerplate_docs=3) as index:
        index.add(docs, batch_size=2)
        report = index.trace(article)
    traced = {
        pair.source: [(p.target_start, p.target_end) for p in pair.passages]
        for pair in report.pairs
    }
    assert traced == expected
    assert [(span.document, span.text) for span in report.boilerplate] == [
        ("new", footer),
        ("source", footer),
    ]
    # Opened with the setting off, the same index traces with boilerplate_docs alone: the
    # footer pairs the article with every Gazette document.
    with Index.open(location, own_boilerplate_docs=0) as index:
        plain = index.trace(article)
    assert {pair.source for pair in plain.pairs} >= {f"d{k}" for k in range(4)}
    assert plain.boilerplate == ()


def test_an_index_made_without_own_boilerplate_refuses_it(location: str) -> None:
    """It counts each outlet's holders of a shingle, not all of them: asked for the setting, it
    says to build a new index with it; with the setting left at its default (on), it traces
    without it, as it did when the default was off."""
    with Index.open(location, jobs=1, own_boilerplate_docs=0) as index:
        index.add(corpus())
        made = index.trace(corpus()[0]).pairs
    with pytest.raises(ConfigError, match="made without it"):
        Index.open(location, own_boilerplate_docs=3)
    with Index.open(location, jobs=1) as index:
        assert index.settings.own_boilerplate_docs == 0
        assert index.stats()["settings"]["own_boilerplate"] is False
        assert index.trace(corpus()[0]).pairs == made
    with pytest.raises(ConfigError, match="made without it"):
        Index.open(location, settings=Settings(own_boilerplate_docs=3))


def test_own_boilerplate_counts_follow_replaced_documents(location: str) -> None:
    """A footer stops being an outlet's own boilerplate when its documents drop it, and a story
    other outlets carry too never is."""
    footer = words(50, 40)
    docs = [
        Document(f"d{k}", words(100 + k, 80) + " " + footer, outlet="Gazette") for k in range(4)
    ]
    article = Document("new", words(8, 80) + " " + footer, outlet="Gazette")
    with Index.open(location, jobs=1, own_boilerplate_docs=3) as index:
        index.add(docs, batch_size=2)
        assert index.trace(article).pairs == ()
        # Two other outlets carry the footer too: 5 of 7 holders are no longer nine in ten.
        index.add(
            [Document(f"o{k}", words(200 + k, 80) + " " + footer, outlet=f"O{k}") for k in range(2)]
        )
        assert {pair.source for pair in index.trace(article).pairs} >= {"o0", "o1", "d0"}
        index.add([Document(f"o{k}", words(200 + k, 80), outlet=f"O{k}") for k in range(2)])
        assert index.trace(article).pairs == ()
        index.add([Document(f"d{k}", words(100 + k, 80), outlet="Gazette") for k in range(3)])
        sources = {pair.source for pair in index.trace(article).pairs}
    assert sources == {"d3"}


def test_replacing_documents_updates_the_shingle_counts(location: str) -> None:
    """A footer stops being boilerplate when enough of the outlet's documents drop it."""
    footer = words(50, 40)
    docs = [
        Document(f"d{k}", words(100 + k, 80) + " " + footer, outlet="Gazette") for k in range(25)
    ]
    article = Document("new", words(8, 80) + " " + footer, outlet="Gazette")
    # (boilerplate_docs alone: with own_boilerplate_docs the 15 left would still be its own.)
    with Index.open(location, jobs=1, own_boilerplate_docs=0) as index:
        index.add(docs, batch_size=4)
        assert index.trace(article).pairs == ()
        index.add([Document(f"d{k}", words(100 + k, 80), outlet="Gazette") for k in range(10)])
        sources = {pair.source for pair in index.trace(article).pairs}
    assert sources == {f"d{k}" for k in range(10, 25)}


def test_merged_runs_keep_every_posting_once(tmp_path: Path) -> None:
    """Many small batches, some replacing documents, are merged into at most MAX_RUNS runs per
    kind, holding exactly the keys of the documents stored last."""
    from wiretrace.index.runs import MAX_RUNS

    first = [Document(f"d{k}", words(k, 150)) for k in range(40)]
    second = [Document(f"d{k}", words(1000 + k, 150)) for k in range(0, 40, 3)]
    with Index.open(tmp_path / "i.db", jobs=1) as index:
        index.add(first, batch_size=3)
        index.add(second, batch_size=2)
        latest = {doc.id: doc for doc in [*first, *second]}
        expected = sorted(
            (key, doc_id)
            for doc_id, doc in latest.items()
            for key in _document_keys((doc, index.settings)).tolist()
        )
        assert [pair.source for pair in index.trace(second[0].text).pairs] == ["d0"]
        assert index.trace(first[0].text).pairs == ()
    assert stored_postings(tmp_path / "i.db") == expected
    with sqlite3.connect(tmp_path / "i.db") as connection:
        runs = dict(connection.execute("SELECT kind, count(*) FROM runs GROUP BY kind").fetchall())
    assert max(runs.values()) <= MAX_RUNS


def _merged(batches: list[int]) -> tuple[float, list[int], int]:
    """Runs kept by `runs.to_merge` over batches of these entries: (entries written in all over
    the entries kept, the runs' entries, the most runs held after a batch's merges)."""
    from wiretrace.index.runs import to_merge

    runs: list[tuple[int, int]] = []
    written, made, most = 0, 0, 0
    for batch in batches:
        made += 1
        runs.append((made, batch))
        written += batch
        while merging := to_merge(runs, batch):
            assert merging == [runs[-2][0], runs[-1][0]]  # the newest two, oldest first
            made += 1
            runs[-2:] = [(made, runs[-2][1] + runs[-1][1])]
            written += runs[-1][1]
        most = max(most, len(runs))
    return written / sum(batches), [entries for _, entries in runs], most


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=300))
def test_merges_keep_at_most_max_runs_sizes_falling(batches: list[int]) -> None:
    """Whatever the batches, at most MAX_RUNS runs are kept after each write, none is larger
    than the total over the ratio, and every entry is kept once."""
    from wiretrace.index.runs import MAX_RUNS

    _, sizes, most = _merged(batches)
    assert most <= MAX_RUNS
    assert sum(sizes) == sum(batches)
    assert all(size > 0 for size in sizes)


def test_merges_rewrite_each_entry_a_few_times_however_many_batches() -> None:
    """Writing stays about as cheap per batch as the index grows: an entry is rewritten about
    1.5 * batches ** (1 / 3) times (16 in 1,000 equal batches, 27 in 5,000), where merging the
    newest two whenever the older was no larger rewrote the newest large run with every batch
    (56 and 215 times)."""
    for batches, most in ((89, 9), (1000, 20), (5000, 33)):
        amplification, sizes, _ = _merged([1000] * batches)
        assert amplification <= most, (batches, amplification, sizes)
        assert sizes[0] >= sum(sizes) / 2  # the oldest run holds most entries


def test_an_add_merges_its_runs_a_fanout_at_a_time() -> None:
    """While more batches of an add follow, its runs count its batches in base FANOUT: the
    newest FANOUT runs are merged after every FANOUT-th run, again after every FANOUT**2-th."""
    from wiretrace.index.runs import FANOUT, adding_merges

    assert [adding_merges(k) for k in range(1, FANOUT + 1)] == [0] * (FANOUT - 1) + [1]
    assert adding_merges(FANOUT**3) == 3
    assert adding_merges(FANOUT**2 + FANOUT) == 1
    assert adding_merges(0) == 0


def test_one_add_of_many_batches_rewrites_each_entry_a_few_times(
    location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An add of 256 one-document batches writes each posting and count about 6 times in all
    (its runs merged FANOUT at a time while it goes on, then by the leveled rule), where the
    leveled rule alone, batch after batch, wrote each 10.6 times; it ends with at most
    MAX_RUNS runs of each kind, every document findable."""
    from wiretrace.index import runs as lsm

    packed = []
    pack = lsm.pack

    def counted(kind: int, keys: np.ndarray, values: np.ndarray) -> lsm.Packed:
        packed.append(len(keys))
        return pack(kind, keys, values)

    monkeypatch.setattr(lsm, "pack", counted)
    docs = [Document(f"d{k}", words(k, 150)) for k in range(256)]
    with Index.open(location, jobs=1) as index:
        index.add(docs, batch_size=1)
        assert [pair.source for pair in index.trace(docs[100].text + " More.").pairs] == ["d100"]
    listed = runs_of_each_kind(location)
    assert all(len(runs) <= lsm.MAX_RUNS for runs in listed)
    kept = sum(entries for runs in listed for _, entries in runs)
    assert sum(packed) / kept < 8


def test_an_add_stopped_midway_leaves_runs_the_next_add_merges(location: str) -> None:
    """An add that stops with an error after 40 one-document batches keeps them, in more than
    MAX_RUNS runs (merged four at a time while it went on); an add of the documents stored
    (nothing to write) ends with at most MAX_RUNS runs of each kind, every document traced."""
    from wiretrace.index import runs as lsm

    docs = [Document(f"d{k}", words(k, 150)) for k in range(40)]

    def stopping() -> Iterator[Document]:
        yield from docs
        raise RuntimeError("the input broke")

    with Index.open(location, jobs=1) as index, pytest.raises(RuntimeError):
        index.add(stopping(), batch_size=1)
    assert min(map(len, runs_of_each_kind(location))) > lsm.MAX_RUNS
    with Index.open(location, jobs=1) as index:
        # The batch sketched while the input broke was not written; the rest are unchanged, and
        # an add with nothing to write still merges the runs.
        result = index.add(docs[:39], batch_size=1)
        assert (result.added, result.unchanged) == (0, 39)
        assert [pair.source for pair in index.trace(docs[7].text + " More.").pairs] == ["d7"]
    assert max(map(len, runs_of_each_kind(location))) <= lsm.MAX_RUNS


def test_an_index_of_the_previous_format_is_refused(tmp_path: Path) -> None:
    """A SQLite index of format 1 (postings one row each) is refused, saying to rebuild it."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE documents (number INTEGER PRIMARY KEY, id TEXT);"
            "CREATE TABLE postings (key INTEGER, number INTEGER);"
            "INSERT INTO meta VALUES ('format', 'wiretrace.index/1');"
        )
    with pytest.raises(StoreError, match="older format.*build it again from the same inputs"):
        Index.open(path, create=False)


def test_a_stored_date_that_is_no_date_reads_as_unknown(tmp_path: Path) -> None:
    """An index made before Documents checked their dates may hold a `published` that is none
    ("yesterday"): its document reads back with no date, as it did then, rather than failing
    the read now that a Document refuses such a date."""
    location = str(tmp_path / "index.db")
    with Index.open(location, jobs=1) as index:
        index.add(corpus())
    with contextlib.closing(sqlite3.connect(location)) as connection, connection:
        connection.execute("UPDATE documents SET published = 'yesterday' WHERE id = 'wire'")
    with Index.open(location, create=False) as index:
        wire = index.get("wire")
        assert (wire.published, wire.text) == (None, WIRE)
        assert [p.source for p in index.trace(WIRE).pairs if p.source == "wire"] == ["wire"]


def test_a_closed_index_says_so(location: str) -> None:
    """Using an index after `close()` raises StoreError saying it is closed (before: sqlite3's
    ProgrammingError, or a Redis client that quietly connected again); closing it twice is
    fine."""
    index = Index.open(location, jobs=1)
    index.add(corpus())
    index.close()
    index.close()
    closed = r"^the index .+ is closed; open it again with Index.open to use it$"
    for use in (
        lambda: len(index),
        lambda: index.get("wire"),
        lambda: "wire" in index,
        lambda: index.trace(WIRE),
        lambda: index.add(corpus()),
        lambda: index.stats(),
    ):
        with pytest.raises(StoreError, match=closed):
            use()
