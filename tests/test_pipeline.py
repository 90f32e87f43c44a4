"""Tests for the pipeline: inputs, ids, direction, workers, settings, progress."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import platform
import random
import re
import resource
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wiretrace
from strategies import LATIN
from wiretrace import (
    ConfigError,
    Document,
    InputError,
    Settings,
    Skipped,
    WiretraceError,
    boilerplate,
    compare,
    find_reuse,
    find_reuse_in,
    pipeline,
    render_json,
    replay_edits,
)
from wiretrace.config import MAX_COUNT, MAX_NUM_PERM, MAX_SEED
from wiretrace.ingest import TextStream
from wiretrace.shingle import tokenize
from wiretrace.spill import TokenStore

RNG_WORDS = random.Random(11)
WORDS = tuple(
    sorted({"".join(RNG_WORDS.choices(LATIN, k=RNG_WORDS.randint(3, 9))) for _ in range(5_000)})
)


def words(seed: int, count: int) -> str:
    """`count` seeded random words: text that shares nothing with other seeds."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(count))


STORY = words(1, 120)
EXCERPT = " ".join(STORY.split()[:60])


def story_docs() -> list[dict[str, str]]:
    """A story, a copy with extra text, and an unrelated article, as dicts."""
    return [
        {"id": "story", "text": STORY},
        {"id": "copy", "text": words(2, 40) + " " + STORY},
        {"id": "other", "text": words(3, 150)},
    ]


def pair_ids(report: wiretrace.Report) -> list[tuple[str, str]]:
    return [(pair.source, pair.target) for pair in report.pairs]


# Inputs


def test_find_reuse_accepts_dicts() -> None:
    """Dicts with the usual field names are read as documents."""
    report = find_reuse(story_docs(), jobs=1)
    assert [doc.id for doc in report.documents] == ["story", "copy", "other"]
    assert len(report.pairs) == 1


def test_find_reuse_accepts_documents_with_the_same_result_as_dicts() -> None:
    """Document records and the equivalent dicts give the same report."""
    documents = [Document(id=item["id"], text=item["text"]) for item in story_docs()]
    assert render_json(find_reuse(documents, jobs=1)) == render_json(
        find_reuse(story_docs(), jobs=1)
    )


def test_find_reuse_accepts_a_mix_of_dicts_and_documents() -> None:
    """Dicts and Documents can be mixed in one call."""
    items = story_docs()
    mixed = [items[0], Document(id=items[1]["id"], text=items[1]["text"]), items[2]]
    assert pair_ids(find_reuse(mixed, jobs=1)) == pair_ids(find_reuse(items, jobs=1))


def test_find_reuse_accepts_a_generator() -> None:
    """Any iterable of documents works, read once."""
    assert len(find_reuse((item for item in story_docs()), jobs=1).pairs) == 1


def test_find_reuse_of_no_documents_is_an_empty_report() -> None:
    """No input gives no documents and no pairs."""
    report = find_reuse([], jobs=1)
    assert (report.documents, report.pairs, report.skipped) == ((), (), ())


def test_duplicate_ids_raise_input_error() -> None:
    """Two documents with one id raise InputError naming the id and both positions."""
    docs = [*story_docs(), {"id": "story", "text": "another text"}]
    with pytest.raises(InputError, match=r"documents\[3\].*'story'.*documents\[0\]"):
        find_reuse(docs, jobs=1)


def test_record_without_text_raises_input_error_naming_its_position() -> None:
    """A dict with no text field raises InputError that names documents[i]."""
    with pytest.raises(InputError, match=r"documents\[1\]"):
        find_reuse([{"id": "a", "text": STORY}, {"id": "b", "body_text": STORY}], jobs=1)


@pytest.mark.parametrize("documents", [STORY, STORY.encode(), None, {"story": STORY}, 5])
def test_documents_that_are_not_a_list_raise_type_error(documents: object) -> None:
    """One text, bytes, a mapping (its keys are not documents), None or a number given as the
    documents raises TypeError naming `documents` (before: an error per character, or
    Python's "'NoneType' object is not iterable")."""
    with pytest.raises(
        TypeError, match=r"^documents must be a list of wiretrace\.Documents or dicts"
    ):
        find_reuse(documents, jobs=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("skipped", "bad.txt", r"^skipped must be a list of wiretrace\.Skipped records, got a str"),
        ("skipped", [1], r"^skipped\[0\] must be a wiretrace\.Skipped, got int 1$"),
        ("notices", [None], r"^notices\[0\] must be a wiretrace\.Notice, got NoneType None$"),
        ("progress", "bar", r"^progress must be a function progress\(stage, done, total\)"),
    ],
)
def test_find_reuse_refuses_bad_records_and_progress(
    option: str, value: object, message: str
) -> None:
    """A skipped or notices item of another type (before: carried into the report, where the
    renderers failed on it) and a progress that cannot be called (before: a TypeError once the
    run had begun) raise TypeError naming them."""
    with pytest.raises(TypeError, match=message):
        find_reuse(story_docs(), jobs=1, **{option: value})


@pytest.mark.parametrize(
    ("partitions", "message"),
    [
        (0, "spill_partitions must be >= 1, got 0"),
        (3, "spill_partitions must be a power of two (1, 2, 4, ... 256), got 3"),
        (2**40, "spill_partitions must be <= 256, got 1099511627776"),
        (1.5, "spill_partitions must be a whole number, got 1.5"),
    ],
)
def test_spill_partitions_out_of_range_raise_config_error(partitions: object, message: str) -> None:
    """spill_partitions of 0 (before: taken as None), 3 (a ValueError once the run had begun),
    2**40 (MemoryError) or 1.5 raise ConfigError before any work."""
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        find_reuse(story_docs(), jobs=1, spill_partitions=partitions)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (STORY.encode(), "source: expected a str, a wiretrace.Document or a dict, got bytes"),
        (None, "source: expected a str, a wiretrace.Document or a dict, got NoneType"),
        ({"id": "a"}, "source: field 'text' is missing"),
    ],
)
def test_compare_names_a_bad_text_as_source_or_target(item: object, message: str) -> None:
    """compare given bytes, None or a dict without text raises InputError naming `source` (it
    named documents[0] and left out that a str is taken)."""
    with pytest.raises(InputError, match=f"^{re.escape(message)}"):
        compare(item, STORY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ("articles.jsonl", r"^inputs must be a list of paths, got a str 'articles\.jsonl'"),
        (None, r"^inputs must be a list of paths, got None$"),
        ([None], r"^inputs\[0\] must be a path \(a str or os\.PathLike\), got NoneType None$"),
        ([3], r"^inputs\[0\] must be a path \(a str or os\.PathLike\), got int 3$"),
    ],
)
def test_inputs_that_are_not_a_list_of_paths_raise_type_error(inputs: object, message: str) -> None:
    """One path given as a str (before: read a character at a time as paths, "/" the whole
    file system) and inputs that are not paths raise TypeError naming them."""
    with pytest.raises(TypeError, match=message):
        find_reuse_in(inputs, jobs=1)  # type: ignore[arg-type]


def test_inputs_given_as_bytes_are_read_as_their_paths(tmp_path: Path) -> None:
    """A path given as bytes is read as the path it names (before: "b'...': no such file")."""
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    report = find_reuse_in([os.fsencode(tmp_path / "a.txt")], jobs=1)
    assert [document.id for document in report.documents] == ["a.txt"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("text", r"^fields must be a mapping of field options \(id_field, text_field, "),
        ({"text": "body"}, r"^unknown field option\(s\) text; known field options: id_field, "),
    ],
)
def test_fields_that_are_not_field_options_raise_config_error(fields: object, message: str) -> None:
    """fields given as a str or naming an unknown option raise ConfigError listing the options
    (before: AttributeError, or TypeError from FieldMap's constructor)."""
    with pytest.raises(ConfigError, match=message):
        find_reuse_in([], fields=fields, jobs=1)  # type: ignore[arg-type]


def test_wrong_item_type_raises_input_error() -> None:
    """An item that is neither a Document nor a dict raises InputError naming its type."""
    with pytest.raises(InputError, match=r"documents\[0\].*str"):
        find_reuse([STORY], jobs=1)  # type: ignore[list-item]


def test_skipped_records_are_carried_into_the_report() -> None:
    """`skipped` passed to find_reuse appears unchanged in the report."""
    skipped = (Skipped(input="feed.jsonl", line=3, reason="empty"),)
    assert find_reuse(story_docs(), skipped=skipped, jobs=1).skipped == skipped


def test_skipped_records_added_while_the_documents_are_read_are_kept() -> None:
    """A `skipped` list that the documents' own reader adds to as it goes (as `find_reuse_in`'s
    does) is carried into the report with what was added while reading; a record of another
    type added then is still refused."""
    skipped: list[Any] = []

    def documents(extra: Any) -> Iterator[dict[str, str]]:
        yield from story_docs()
        skipped.append(extra)

    late = Skipped(input="feed.jsonl", line=9, reason="not JSON")
    assert find_reuse(documents(late), skipped=skipped, jobs=1).skipped == (late,)
    skipped.clear()
    with pytest.raises(TypeError, match=r"skipped\[0\] must be a wiretrace.Skipped"):
        find_reuse(documents("not a record"), skipped=skipped, jobs=1)


def test_find_reuse_in_reads_a_folder(tmp_path: Path) -> None:
    """find_reuse_in reads .txt files of a folder, ids being their relative paths."""
    for item in story_docs():
        (tmp_path / f"{item['id']}.txt").write_text(item["text"], encoding="utf-8")
    report = find_reuse_in([tmp_path], jobs=1)
    assert sorted(doc.id for doc in report.documents) == ["copy.txt", "other.txt", "story.txt"]
    assert {pair_ids(report)[0][0], pair_ids(report)[0][1]} == {"story.txt", "copy.txt"}


# Direction


@pytest.mark.parametrize("order", [1, -1])
def test_published_direction_orients_earlier_to_later(order: int) -> None:
    """With both times known, the earlier document is the source, whatever the input order."""
    docs = [
        {"id": "late", "text": STORY, "published": "2026-03-14T12:00:00Z"},
        {"id": "early", "text": words(2, 40) + " " + STORY, "published": "2026-03-14T09:00:00Z"},
    ][::order]
    (pair,) = find_reuse(docs, jobs=1).pairs
    assert (pair.source, pair.target, pair.direction) == ("early", "late", "published")


def test_published_dates_on_different_days_decide_direction() -> None:
    """Bare dates decide when they differ."""
    docs = [
        {"id": "second", "text": STORY, "published": "2026-03-15"},
        {"id": "first", "text": STORY, "published": "2026-03-14"},
    ]
    (pair,) = find_reuse(docs, jobs=1).pairs
    assert (pair.source, pair.direction) == ("first", "published")


def test_same_day_dates_fall_back_to_the_texts() -> None:
    """A bare date equal to the other's day does not decide: the texts do."""
    docs = [
        {"id": "excerpt", "text": EXCERPT, "published": "2026-03-14"},
        {"id": "full", "text": STORY, "published": "2026-03-14T18:00:00Z"},
    ]
    (pair,) = find_reuse(docs, jobs=1).pairs
    assert (pair.source, pair.target, pair.direction) == ("full", "excerpt", "text")


@pytest.mark.parametrize("order", [1, -1])
def test_text_direction_puts_the_fuller_text_first_when_dates_are_missing(order: int) -> None:
    """Without dates, the excerpt (more covered by the passages) is the target."""
    docs = [{"id": "excerpt", "text": EXCERPT}, {"id": "full", "text": STORY}][::order]
    (pair,) = find_reuse(docs, jobs=1).pairs
    assert (pair.source, pair.target, pair.direction) == ("full", "excerpt", "text")
    assert pair.target_coverage == 1.0
    assert pair.source_coverage == pytest.approx(0.5)


def test_text_direction_is_used_when_only_one_date_is_known() -> None:
    """One missing date means the texts decide."""
    docs = [
        {"id": "excerpt", "text": EXCERPT, "published": "2026-03-13T00:00:00Z"},
        {"id": "full", "text": STORY},
    ]
    (pair,) = find_reuse(docs, jobs=1).pairs
    assert (pair.source, pair.direction) == ("full", "text")


def test_equal_coverage_without_dates_is_unknown_in_input_order() -> None:
    """Identical texts with no dates: direction unknown, the first given is the source."""
    docs = [{"id": "b", "text": STORY}, {"id": "a", "text": STORY}]
    (pair,) = find_reuse(docs, jobs=1).pairs
    assert (pair.source, pair.target, pair.direction) == ("b", "a", "unknown")


def test_edits_replay_after_the_pair_is_turned_around() -> None:
    """When orientation swaps the sides, passages and edits are swapped with them."""
    rng = random.Random(3)
    changed = " ".join(rng.choice(WORDS) if rng.random() < 0.05 else word for word in STORY.split())
    docs = [
        {"id": "copy", "text": changed, "published": "2026-03-15"},
        {"id": "origin", "text": STORY, "published": "2026-03-14"},
    ]
    report = find_reuse(docs, jobs=1)
    (pair,) = report.pairs
    assert (pair.source, pair.target) == ("origin", "copy")
    assert any(passage.edits for passage in pair.passages)
    for passage in pair.passages:
        assert replay_edits(STORY, passage) == changed[passage.target_start : passage.target_end]


def test_compare_keeps_the_given_order_for_plain_strings() -> None:
    """compare(str, str) names them source and target, direction unknown."""
    (pair,) = compare(EXCERPT, STORY).pairs
    assert (pair.source, pair.target, pair.direction) == ("source", "target", "unknown")


def test_compare_orients_dated_documents_by_date() -> None:
    """compare of two dated documents orients them like find_reuse."""
    later = Document(id="later", text=STORY, published="2026-03-15")
    earlier = Document(id="earlier", text=STORY, published="2026-03-14")
    (pair,) = compare(later, earlier).pairs
    assert (pair.source, pair.direction) == ("earlier", "published")


def test_compare_renames_a_repeated_id() -> None:
    """Comparing a document with itself gives the second side the id 'x (2)'."""
    doc = Document(id="x", text=STORY)
    report = compare(doc, doc)
    assert [d.id for d in report.documents] == ["x", "x (2)"]


def test_compare_finds_no_boilerplate() -> None:
    """Two texts are no corpus: compare's report lists no boilerplate, even for shared text."""
    report = compare(STORY, words(2, 40) + " " + STORY)
    assert report.pairs
    assert report.boilerplate == ()


def test_compare_of_unrelated_texts_has_no_pairs() -> None:
    """Texts sharing nothing give an empty pair list, both documents listed."""
    report = compare(words(4, 100), words(5, 100))
    assert report.pairs == ()
    assert len(report.documents) == 2


# Workers


def many_docs() -> list[dict[str, str]]:
    """Over 64 documents and 64 candidate pairs, so both stages use several chunks."""
    docs = []
    for family in range(24):
        base = words(100 + family, 80)
        for member in range(4):
            docs.append(
                {
                    "id": f"f{family}-m{member}",
                    "text": words(1000 + 10 * family + member, 20) + " " + base,
                    "published": f"2026-03-{10 + member:02d}",
                }
            )
    return docs


def test_one_and_two_workers_give_identical_reports() -> None:
    """jobs=1 and jobs=2 render to the same JSON, boilerplate spans included."""
    docs = many_docs()
    for number in range(24):  # one outlet's footer in 24 documents: boilerplate
        docs[number * 4]["outlet"] = "Daily Footer"
        docs[number * 4]["text"] += " " + words(7, 25)
    one = find_reuse(docs, jobs=1)
    two = find_reuse(docs, jobs=2)
    assert len(one.pairs) == 24 * 6
    assert [span.document for span in one.boilerplate] == [doc["id"] for doc in docs[::4]]
    assert render_json(one).replace('"jobs": 1', "") == render_json(two).replace('"jobs": 2', "")


def test_two_workers_loading_kernels_while_they_wait_give_the_same_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the kernels and tables loaded while the first stages' workers work (as from
    _LOAD_KERNELS_FROM characters of text), jobs=2 renders the same JSON as jobs=1."""
    docs = many_docs()
    one = render_json(find_reuse(docs, jobs=1))
    monkeypatch.setattr(pipeline, "_LOAD_KERNELS_FROM", 1)
    two = render_json(find_reuse(docs, jobs=2))
    assert one.replace('"jobs": 1', "") == two.replace('"jobs": 2', "")


def _write_jsonl(path: Path, docs: list[dict[str, str]], bad_at: int | None = None) -> None:
    import json

    lines = [json.dumps(doc) for doc in docs]
    if bad_at is not None:
        lines.insert(bad_at, '{"id": "broken", "text": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("gzipped", [False, True])
def test_files_tokenized_as_they_are_read_give_the_report_of_the_list(
    tmp_path: Path, gzipped: bool
) -> None:
    """find_reuse_in with two workers (which tokenize a file's documents while it is still
    being read) renders the same JSON as find_reuse of the same documents as a list, and as a
    generator (read whole before the workers start)."""
    import gzip

    docs = many_docs() * 2
    docs = [dict(doc, id=f"{doc['id']}-{k}") for k, doc in enumerate(docs)]
    path = tmp_path / "docs.jsonl"
    _write_jsonl(path, docs)
    if gzipped:
        path = tmp_path / "docs.jsonl.gz"
        path.write_bytes(gzip.compress((tmp_path / "docs.jsonl").read_bytes()))
        (tmp_path / "docs.jsonl").unlink()
    listed = render_json(find_reuse(docs, jobs=1)).replace('"jobs": 1', "")
    streamed = render_json(find_reuse_in([path], jobs=2)).replace('"jobs": 2', "")
    generated = render_json(find_reuse(iter(docs), jobs=2)).replace('"jobs": 2', "")
    assert streamed == listed
    assert generated == listed


def test_a_bad_line_while_workers_tokenize_is_a_clear_error_or_skipped(tmp_path: Path) -> None:
    """A bad line deep in a file whose first documents the workers are already tokenizing
    stops the run with an InputError naming the line (no worker left behind); with
    on_error="skip" it is listed and the report is that of the good lines."""
    docs = many_docs()
    path = tmp_path / "docs.jsonl"
    _write_jsonl(path, docs, bad_at=90)
    with pytest.raises(InputError, match=r"docs\.jsonl.*line 91"):
        find_reuse_in([path], jobs=2)
    assert multiprocessing.active_children() == []
    report = find_reuse_in([path], jobs=2, on_error="skip")
    assert [(item.input, item.line) for item in report.skipped] == [(str(path), 91)]
    good = find_reuse(docs, jobs=1)
    assert render_json(attrs.evolve(report, skipped=())).replace('"jobs": 2', "") == render_json(
        good
    ).replace('"jobs": 1', "")


def test_input_chars_are_estimated_from_the_files(tmp_path: Path) -> None:
    """The size of the inputs (folders walked, gzip files counted _GZIP_RATIO characters a
    byte) is the estimate; an input that is not there gives none (reading reports it)."""
    (tmp_path / "a.txt").write_text("x" * 100, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.jsonl.gz").write_bytes(b"y" * 10)
    assert pipeline._input_chars([str(tmp_path)]) == 100 + int(10 * pipeline._GZIP_RATIO)
    assert pipeline._input_chars([str(tmp_path / "a.txt")]) == 100
    assert pipeline._input_chars([str(tmp_path / "gone.txt")]) is None


@pytest.mark.parametrize("partitions", [1, 2, 64])
def test_reports_do_not_depend_on_how_the_working_sets_are_split_on_disk(partitions: int) -> None:
    """The boilerplate counts and LSH buckets spilled to 1, 2 or 64 files give the same report
    as the default 16, with some boilerplate in play."""
    docs = many_docs()
    for number in range(24):  # one outlet's footer in 24 documents: boilerplate
        docs[number * 4]["outlet"] = "Daily Footer"
        docs[number * 4]["text"] += " " + words(7, 25)
    default = render_json(find_reuse(docs, jobs=1))
    assert render_json(find_reuse(docs, jobs=1, spill_partitions=partitions)) == default


def test_reports_do_not_depend_on_reading_the_working_sets_in_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Partitions read back in pieces (as on a corpus too large to hold one partition) give the
    same report."""
    docs = many_docs()
    for number in range(24):
        docs[number * 4]["outlet"] = "Daily Footer"
        docs[number * 4]["text"] += " " + words(7, 25)
    default = render_json(find_reuse(docs, jobs=1))
    monkeypatch.setattr("wiretrace.spill.MAX_KEYS", 64)
    assert render_json(find_reuse(docs, jobs=1)) == default


def test_progress_reports_each_stage_up_to_its_total() -> None:
    """progress reaches done == total for every stage, 'sketch' ending before 'align' starts."""
    calls: list[tuple[str, int, int]] = []
    docs = many_docs()
    report = find_reuse(docs, jobs=1, progress=lambda *call: calls.append(call))
    stages = [stage for stage, _, _ in calls]
    last = {stage: (done, total) for stage, done, total in calls}
    assert all(done == total for done, total in last.values())
    assert last["sketch"] == (len(docs), len(docs))
    assert last["align"][1] >= len(report.pairs)
    assert len(stages) - stages[::-1].index("sketch") <= stages.index("align")


def test_documents_kept_for_many_pairs_give_the_report_of_documents_made_per_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The align stage keeping prepared documents (and their seed n-grams and sentences) across
    pairs gives the report of keeping only the pair at hand, boilerplate masks included."""
    docs = many_docs()
    for number in range(24):
        docs[number * 4]["outlet"] = "Daily Footer"
        docs[number * 4]["text"] += " " + words(7, 25)
    kept = render_json(find_reuse(docs, jobs=1))
    monkeypatch.setattr(pipeline, "_PREPARED", pipeline._PreparedDocuments(limit=1))
    assert render_json(find_reuse(docs, jobs=1)) == kept


def test_locality_order_is_an_order_of_all_pairs() -> None:
    """`locality_order` gives every candidate pair once, and nothing for no pairs."""
    rng = random.Random(5)
    pairs = np.array(
        sorted({tuple(sorted(rng.sample(range(300), 2))) for _ in range(1_000)}), dtype=np.int64
    )
    assert sorted(pipeline.locality_order(pairs).tolist()) == list(range(len(pairs)))
    assert pipeline.locality_order(np.zeros((0, 2), dtype=np.int64)).tolist() == []


# Settings


def test_report_carries_the_settings_used() -> None:
    """Keyword settings end up in report.settings."""
    report = find_reuse(story_docs(), jobs=1, min_length=20, threshold=0.5)
    assert (report.settings.min_length, report.settings.threshold) == (20, 0.5)


def test_settings_record_is_used_as_given() -> None:
    """A Settings passed as settings= is the report's settings."""
    settings = Settings(min_length=25, jobs=1)
    assert find_reuse(story_docs(), settings=settings).settings is settings


def test_min_length_above_the_passage_length_removes_the_pair() -> None:
    """A 120-word passage is not reported with min_length=200."""
    assert find_reuse(story_docs(), jobs=1, min_length=200).pairs == ()


@pytest.mark.parametrize(
    "options",
    [
        {"shingle_size": 0},
        {"window_size": 1},
        {"num_perm": 1},
        {"threshold": 0},
        {"threshold": 1.5},
        {"threshold": float("nan")},
        {"seed": -1},
        {"max_bucket": 1},
        {"seed_size": 0},
        {"max_gap": -1},
        {"min_length": 0},
        {"min_similarity": 0},
        {"min_similarity": 1.01},
        {"jobs": 0},
        {"jobs": 1025},
        {"num_perm": 2049},
        {"seed": 2**32},
        {"shingle_size": 10**20},
        {"window_size": 10**20},
        {"boilerplate_docs": 10**20},
        {"seed_size": 10**20},
        {"max_gap": 10**20},
        {"min_length": 10**20},
        {"sentence_gap": 10**9 + 1},
        {"summary_bigrams": 10**20},
    ],
)
def test_bad_setting_values_raise_config_error(options: dict[str, object]) -> None:
    """An out-of-range setting raises ConfigError naming the setting."""
    with pytest.raises(ConfigError, match=next(iter(options))):
        find_reuse(story_docs(), **options)


def test_too_large_setting_error_shows_the_maximum() -> None:
    """A setting over its maximum raises ConfigError showing the maximum and the value."""
    with pytest.raises(ConfigError, match=r"^seed must be <= 4294967295, got 4294967296$"):
        Settings(seed=2**32)


def test_every_setting_at_its_maximum_runs() -> None:
    """Each whole-number setting at its maximum runs (the compiled loops take it)."""
    maxima = {field.name: MAX_COUNT for field in attrs.fields(Settings) if field.type == "int"}
    maxima.update(num_perm=MAX_NUM_PERM, seed=MAX_SEED)
    for name, value in maxima.items():
        report = find_reuse(story_docs(), jobs=1, **{name: value})
        assert getattr(report.settings, name) == value


def test_wrongly_typed_setting_raises_config_error() -> None:
    """A string where a number is expected raises ConfigError, not TypeError."""
    with pytest.raises(ConfigError):
        find_reuse(story_docs(), threshold="high")


def test_wrongly_typed_setting_error_names_the_setting() -> None:
    """The ConfigError for a wrongly typed value names the setting and shows the value."""
    with pytest.raises(ConfigError, match=r"threshold.*'high'"):
        find_reuse(story_docs(), threshold="high")


def test_unknown_setting_raises_config_error_listing_the_known_ones() -> None:
    """find_reuse(docs, bogus=1) raises ConfigError naming 'bogus' and the known settings."""
    with pytest.raises(ConfigError, match=r"bogus.*known settings: .*min_length"):
        find_reuse(story_docs(), bogus=1)


def test_compare_rejects_unknown_settings() -> None:
    """compare(a, b, bogus=1) raises ConfigError too."""
    with pytest.raises(ConfigError, match="bogus"):
        compare(STORY, STORY, bogus=1)


def test_config_error_is_a_value_error_and_a_wiretrace_error() -> None:
    """ConfigError can be caught as ValueError or WiretraceError."""
    with pytest.raises(ValueError):
        Settings(num_perm=1)
    with pytest.raises(WiretraceError):
        Settings(num_perm=1)


def test_none_options_mean_the_defaults() -> None:
    """Settings.from_options ignores None values (CLI options left unset)."""
    assert Settings.from_options({"num_perm": None, "min_length": None}) == Settings()


@pytest.mark.parametrize("options", [{"shingle_size": 2.5}, {"window_size": 4.5}])
def test_non_integer_setting_raises_config_error(options: dict[str, object]) -> None:
    """A float where an integer setting is expected raises ConfigError."""
    with pytest.raises(ConfigError):
        find_reuse(story_docs(), jobs=1, **options)


def test_numpy_numbers_are_taken_as_the_settings_they_are() -> None:
    """numpy integers and floats (values read from arrays) are taken as ints and floats."""
    settings = Settings(num_perm=np.int64(64), seed=np.uint32(1), jobs=np.int32(1))
    assert settings == Settings(num_perm=64, seed=1, jobs=1)
    assert type(settings.num_perm) is int and type(settings.jobs) is int
    assert Settings(threshold=np.float32(0.5)).threshold == 0.5
    assert type(Settings(threshold=np.float32(0.5)).threshold) is float


@pytest.mark.parametrize("value", [np.bool_(True), np.float64(64.0)])
def test_numpy_bools_and_floats_are_not_whole_number_settings(value: object) -> None:
    """A numpy bool or float where a whole number is expected raises ConfigError showing it."""
    message = f"num_perm must be a whole number, got {value!r}"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        Settings(num_perm=value)


@pytest.mark.parametrize("run", [find_reuse, lambda docs, **k: compare(*docs[:2], **k)])
@pytest.mark.parametrize("settings", ["fast", {"num_perm": 32}, 5])
def test_a_settings_argument_that_is_not_settings_raises_config_error(run, settings) -> None:
    """settings= given something other than a Settings raises ConfigError naming it."""
    with pytest.raises(ConfigError, match=r"^settings must be a wiretrace\.Settings, got "):
        run(story_docs(), settings=settings)


@pytest.mark.parametrize("options", ["num_perm=32", [("num_perm", 32)]])
def test_settings_options_that_are_not_a_mapping_raise_config_error(options: object) -> None:
    """Settings.from_options given options that are not a mapping raises ConfigError."""
    with pytest.raises(ConfigError, match=r"^settings options must be a mapping"):
        Settings.from_options(options)  # type: ignore[arg-type]


def test_an_unknown_setting_name_that_is_not_a_string_is_listed() -> None:
    """A setting name that is not a string is listed among the unknown ones."""
    with pytest.raises(ConfigError, match=r"^unknown setting\(s\) 1; known settings: "):
        Settings.from_options({1: 2})  # type: ignore[dict-item]


def test_keyword_settings_next_to_a_settings_record_are_not_ignored() -> None:
    """Keywords given with settings= are applied or rejected, never silently dropped."""
    try:
        report = find_reuse(story_docs(), settings=Settings(jobs=1), min_length=1000)
    except ConfigError:
        return
    assert report.settings.min_length == 1000


def test_lineage_in_worker_processes_equals_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clusters' lineage inferred in two worker processes equals one process's."""
    from wiretrace import lineage

    monkeypatch.setattr(lineage, "PARALLEL_CLUSTERS", 2)
    report = find_reuse(many_docs(), jobs=1)
    assert len(report.clusters) >= 20
    alone = lineage.infer_lineage(report.documents, report.pairs, jobs=1)
    assert lineage.infer_lineage(report.documents, report.pairs, jobs=2) == alone
    assert alone == report.clusters


def test_a_huge_document_is_tokenized_and_sketched_in_pieces_with_exact_offsets() -> None:
    """A document of ~3.5 million characters (tokenized in blocks, sketched in segments) and a
    short article that copies 80 of its words from the middle: the passage is found at its
    exact offsets in the huge text."""
    huge = words(11, 500_000)
    tokens = huge.split(" ")
    copied = " ".join(tokens[250_000:250_080])
    start = huge.index(copied)
    small = f"An opening of our own here. {copied} And an ending of our own."
    report = find_reuse([{"id": "huge", "text": huge}, {"id": "small", "text": small}], jobs=1)
    assert len(huge) > 3_000_000
    [pair] = report.pairs
    [passage] = pair.passages
    if pair.source == "small":
        passage = passage.reversed()
    assert (passage.source_start, passage.source_end) == (start, start + len(copied))
    assert small[passage.target_start : passage.target_end] == copied


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=60))
def test_a_boilerplate_mask_comes_back_from_its_runs(mask: list[bool]) -> None:
    """The align stage rebuilds each document's boilerplate word mask from the runs the sketch
    stage kept: the same mask."""
    words = np.array(mask, dtype=bool)
    runs = boilerplate.mask_runs(words)
    assert runs.dtype == np.int32 and runs.shape[1] == 2
    assert np.array_equal(boilerplate.mask_from_runs(runs, len(words)), words)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab .,'-\u00e9", max_size=80),
    st.lists(st.tuples(st.integers(-2, 85), st.integers(-2, 85)), max_size=4),
)
def test_coverage_counts_the_words_inside_the_spans(
    text: str, spans: list[tuple[int, int]]
) -> None:
    """A text's coverage is the share of its words lying wholly inside one of the spans (the
    plain way: every word checked against every span)."""
    tokens = tokenize(text)
    inside = [
        any(start <= word_start and word_end <= end for start, end in spans)
        for word_start, word_end in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True)
    ]
    expected = sum(inside) / len(inside) if inside else 0.0
    assert pipeline._coverage(tokens, spans) == expected


def _chunk_sum(chunk: np.ndarray) -> int:
    return int(chunk.sum())


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_spread_gives_every_chunk_once_and_reports_progress(workers: int) -> None:
    """The align stage's scheduler (each worker a run of the chunks, stealing from the far end of
    the longest run left) gives each chunk's output once, with its number, and counts progress
    up to every pair."""
    chunks = [np.arange(k, k + 1 + k % 4) for k in range(23)]
    seen: list[tuple[str, int, int]] = []
    outputs = dict(
        pipeline._spread(_chunk_sum, chunks, workers, "align", lambda *args: seen.append(args))
    )
    assert outputs == {k: int(chunk.sum()) for k, chunk in enumerate(chunks)}
    total = sum(len(chunk) for chunk in chunks)
    assert seen[-1] == ("align", total, total) and len(seen) == len(chunks)


def _chunk_rows(chunk: np.ndarray) -> list[int]:
    return chunk.tolist()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_spread_hands_a_worker_going_backward_the_backward_form_of_its_chunks(workers: int) -> None:
    """With the chunks' backward forms given, each chunk's output is of one of its forms; one
    worker goes forward only, and with two the second starts from the last chunk, backward."""
    chunks = [np.arange(k, k + 1 + k % 4) for k in range(23)]
    backward = [chunk[::-1] for chunk in chunks]
    outputs = dict(pipeline._spread(_chunk_rows, chunks, workers, "align", None, backward))
    assert sorted(outputs) == list(range(len(chunks)))
    assert all(
        outputs[k] in (chunk.tolist(), backward[k].tolist()) for k, chunk in enumerate(chunks)
    )
    if workers == 1:
        assert outputs == {k: chunk.tolist() for k, chunk in enumerate(chunks)}
    if workers == 2:
        assert outputs[0] == chunks[0].tolist() and outputs[22] == backward[22].tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=2, max_size=2, unique=True), max_size=40))
def test_next_pairs_finds_the_next_pair_of_each_document(pairs: list[list[int]]) -> None:
    """`next_pairs` gives, for each pair and each of its documents, the first later pair that
    holds that document, or the number of pairs when none does (the plain way: a scan ahead)."""
    expected = [
        [next((q for q in range(p + 1, len(pairs)) if d in pairs[q]), len(pairs)) for d in pair]
        for p, pair in enumerate(pairs)
    ]
    array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    assert pipeline.next_pairs(array).tolist() == expected


def test_walks_give_each_pair_once_each_way_with_when_its_documents_come_next() -> None:
    """The align tasks hold each candidate pair once, in the order given, forward and (each
    task's rows reversed) backward, with the place in that walk where each of the pair's
    documents comes next (NEVER: not again)."""
    rng = random.Random(3)
    pairs = np.array(
        sorted({tuple(sorted(rng.sample(range(40), 2))) for _ in range(300)}), dtype=np.int64
    )
    order = pipeline.locality_order(pairs)
    forward, backward = pipeline._walks(pairs, order, 16)
    assert len(forward) == len(backward) == -(-len(pairs) // 16)
    assert np.array_equal(np.concatenate(forward)[:, 0], order)
    for ahead, behind in zip(forward, backward, strict=True):
        assert np.array_equal(behind[::-1, :3], ahead[:, :3])
    for walk in (np.concatenate(forward), np.concatenate(backward[::-1])):
        assert np.array_equal(walk[:, 1:3], pairs[walk[:, 0]])
        for place, (_, first, second, first_due, second_due) in enumerate(walk.tolist()):
            for document, due in ((first, first_due), (second, second_due)):
                later = [q for q in range(place + 1, len(walk)) if document in walk[q, 1:3]]
                assert due == (later[0] if later else pipeline.NEVER)
    assert [len(part) for part in pipeline._walks(pairs[:0], order[:0], 16)] == [0, 0]


def test_prepared_documents_keep_the_ones_needed_soonest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A worker's prepared documents: one that no other pair needs goes once its pair is
    aligned; past the limit, the one needed last goes (never one of the pair at hand); a kept
    document comes back as the same objects; masks are made from the sketch stage's runs."""
    docs = [Document(id=str(k), text=words(k, 10)) for k in range(5)]
    tokens = [tokenize(document.text) for document in docs]
    store = TokenStore(len(docs), directory=str(tmp_path))
    store.locate(0, store.write(0, tokens))
    runs = boilerplate.mask_runs(np.arange(10) % 4 == 1)
    monkeypatch.setattr(pipeline, "_DOCUMENTS", docs)
    monkeypatch.setattr(pipeline, "_TOKENS", store)
    monkeypatch.setattr(pipeline, "_MASK_RUNS", {2: runs})
    prepared = pipeline._PreparedDocuments(limit=30)
    first = prepared.get(0, 5)
    assert first[0] == docs[0] and np.array_equal(first[1].ids, tokens[0].ids) and first[2] is None
    prepared.get(1, pipeline.NEVER)
    prepared.release(0, 1)
    assert sorted(prepared.entries) == [0] and prepared.words == 10
    mask = prepared.get(2, 8)[2]
    assert mask is not None and np.array_equal(mask, np.arange(10) % 4 == 1)
    prepared.get(3, 9)
    prepared.release(2, 3)
    assert sorted(prepared.entries) == [0, 2, 3]
    prepared.get(4, 4)
    prepared.get(3, 12)
    prepared.release(4, 3)
    # 3 is needed last but is in the pair at hand: 2 goes (needed after 0).
    assert sorted(prepared.entries) == [0, 3, 4] and prepared.words == 30
    assert prepared.get(0, 6) is first
    store.close()


def test_documents_prepared_ahead_are_the_ones_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Documents prepared ahead are held apart (neither counted nor dropped) until their first
    use, which takes the same objects; one held already, or ready, is not prepared again."""
    docs = [Document(id=str(k), text=words(k, 10)) for k in range(4)]
    store = TokenStore(len(docs), directory=str(tmp_path))
    store.locate(0, store.write(0, [tokenize(document.text) for document in docs]))
    monkeypatch.setattr(pipeline, "_DOCUMENTS", docs)
    monkeypatch.setattr(pipeline, "_TOKENS", store)
    monkeypatch.setattr(pipeline, "_MASK_RUNS", {1: boilerplate.mask_runs(np.arange(10) < 3)})
    prepared = pipeline._PreparedDocuments(limit=10)
    held = prepared.get(0, 1)
    prepared.prepare([0, 1, 2, 1])
    assert sorted(prepared.ready) == [1, 2] and list(prepared.entries) == [0]
    ready = prepared.ready[1]
    prepared.prepare([1])
    assert prepared.ready[1] is ready and prepared.words == 10
    assert prepared.get(1, 2) is ready and prepared.get(0, 3) is held
    assert sorted(prepared.ready) == [2] and prepared.words == 20
    prepared.release(1, 0)
    assert sorted(prepared.entries) == [0, 1] and sorted(prepared.ready) == [2]
    assert ready[2] is not None and ready[2].tolist() == [True] * 3 + [False] * 7
    prepared.clear()
    assert not prepared.ready and not prepared.entries
    store.close()


def test_a_chunk_gives_the_pairs_of_aligning_each_pair_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`_align_chunk` (documents prepared ahead and kept, pairs built at the chunk's end) gives
    each pair with passages as `align_documents` gives it for that pair alone, in walk order."""
    docs = [Document.from_record(item) for item in many_docs()[:12]]
    tokens = [tokenize(document.text) for document in docs]
    store = TokenStore(len(docs), directory=str(tmp_path))
    store.locate(0, store.write(0, tokens))
    settings = Settings()
    monkeypatch.setattr(pipeline, "_DOCUMENTS", docs)
    monkeypatch.setattr(pipeline, "_TOKENS", store)
    monkeypatch.setattr(pipeline, "_MASK_RUNS", {})
    monkeypatch.setattr(pipeline, "_SETTINGS", settings)
    monkeypatch.setattr(pipeline, "_PREPARED", pipeline._PreparedDocuments(limit=100))
    pairs = np.array([(a, b) for a in range(12) for b in range(a + 1, 12)], dtype=np.int64)
    order = pipeline.locality_order(pairs)
    found = [
        found
        for chunk in pipeline._walks(pairs, order, 16)[0]
        for found in pipeline._align_chunk(chunk)
    ]
    expected = []
    for number in order.tolist():
        a, b = pairs[number].tolist()
        pair = pipeline.align_documents(docs[a], tokens[a], docs[b], tokens[b], settings)
        if pair is not None:
            expected.append((number, pair))
    assert len(expected) >= 18 and found == expected
    store.close()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "bb", "ccc", "  ", ", "]), max_size=30),
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80)), max_size=5),
)
def test_coverage_counts_the_words_inside_any_span_once(
    pieces: list[str], spans: list[tuple[int, int]]
) -> None:
    """A pair's coverage is the share of words lying wholly inside some passage span, each
    counted once where spans overlap or nest."""
    from wiretrace.pipeline import _coverage

    text = "".join(pieces)
    tokens = tokenize(text)
    spans = [(min(a, b), max(a, b)) for a, b in spans]
    inside = [
        any(start <= word_start and word_end <= end for start, end in spans)
        for word_start, word_end in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True)
    ]
    expected = sum(inside) / len(inside) if inside else 0.0
    assert _coverage(tokens, spans) == expected


def test_a_run_hands_the_objects_it_froze_back_to_the_collector() -> None:
    """find_reuse keeps its long-lived objects out of the cyclic collector's walks while it runs
    (gc.freeze) and leaves nothing frozen when it returns or raises; a caller's own frozen
    objects stay frozen, and the report is the same either way."""
    import gc

    docs = many_docs()[:12]
    seen: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        seen.append(gc.get_freeze_count())

    report = find_reuse(docs, jobs=1, progress=progress)
    assert max(seen) > 0
    assert gc.get_freeze_count() == 0
    with pytest.raises(InputError):
        find_reuse([*docs, docs[0]], jobs=1)  # a repeated id
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        again = find_reuse(docs, jobs=1)
        # Not handed back (that would leave none frozen); a few may have been freed since.
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()
    assert render_json(again) == render_json(report)


_STEPS_SEEN: list[int] = []


def _slow_square(value: int) -> int:
    import time

    time.sleep(0.05)
    return value * value


def test_in_order_takes_idle_steps_here_while_workers_work() -> None:
    """`in_order`'s idle steps run in the calling process while it waits (so workers forked
    before them do not see their effects), outputs are unchanged, and the steps the run left
    are still the caller's to take."""
    from wiretrace._workers import in_order

    _STEPS_SEEN.clear()
    steps = iter([lambda k=k: _STEPS_SEEN.append(k) for k in range(10_000)])
    outputs = list(in_order(_slow_square, range(8), 2, steps))
    assert outputs == [k * k for k in range(8)]
    taken = list(_STEPS_SEEN)
    assert taken and taken == list(range(len(taken)))  # here, in order
    left = list(steps)
    assert len(taken) + len(left) == 10_000  # none lost: the rest are left


def test_in_order_queues_more_tasks_while_it_takes_an_idle_step() -> None:
    """Before an idle step (which may take longer than AHEAD tasks), the workers are sent up to
    IDLE_AHEAD tasks each: they went without work while a step of a tenth of a second ran."""
    from wiretrace._workers import AHEAD, IDLE_AHEAD, in_order

    drawn: list[int] = []
    seen_at_step: list[int] = []

    def tasks() -> Iterator[int]:
        for k in range(200):
            drawn.append(k)
            yield k

    steps = iter([lambda: seen_at_step.append(len(drawn))])
    assert list(in_order(_slow_square, tasks(), 2, steps)) == [k * k for k in range(200)]
    assert seen_at_step == [IDLE_AHEAD * 2] and IDLE_AHEAD > AHEAD


def test_worker_pool_holds_the_stops_once_when_it_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stop signals are held while the pool forks its workers, once: `submit` asks to start
    the pool each time, and setting the handlers and back per task cost a tenth of a second on
    20,000 articles."""
    import wiretrace._workers as workers

    held = []
    real = workers.stops_held

    @contextlib.contextmanager
    def counted() -> Iterator[None]:
        held.append(1)
        with real():
            yield

    monkeypatch.setattr(workers, "stops_held", counted)
    with workers.worker_pool(2) as pool:
        futures = [pool.submit(_slow_square, k) for k in range(10)]
        assert [future.result() for future in futures] == [k * k for k in range(10)]
    assert held == [1]


@pytest.mark.skipif(platform.system() != "Linux", reason="pipe sizes are set on Linux only")
def test_worker_pool_pipes_hold_a_megabyte() -> None:
    """A pool's task and output pipes ask for PIPE_BYTES of room (64 KiB by default: a worker
    whose output did not fit waited until the parent read it), and work through them as
    before, outputs of over a megabyte included."""
    import fcntl

    import wiretrace._workers as workers

    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    with workers.worker_pool(2) as pool:
        ends = [
            getattr(queue, end)
            for queue in (pool._call_queue, pool._result_queue)  # type: ignore[attr-defined]
            for end in ("_reader", "_writer")
        ]
        sizes = {fcntl.fcntl(end.fileno(), fcntl.F_GETPIPE_SZ) for end in ends}
        if limit >= workers.PIPE_BYTES or os.geteuid() == 0:  # (else the system refuses)
            assert sizes == {workers.PIPE_BYTES}
        outputs = list(pool.map(_bytes_of, [10, 3 << 20, 70_000]))
    assert [len(output) for output in outputs] == [10, 3 << 20, 70_000]


def _bytes_of(size: int) -> bytes:
    return bytes(size)


def _pid_and_square(value: int) -> tuple[int, int]:
    import os

    return os.getpid(), value * value


@pytest.mark.parametrize("workers", [1, 2])
def test_in_order_does_the_first_task_here_when_asked(workers: int) -> None:
    """With first_here, the first task runs in this process (before workers are forked), the
    others in the workers when there are several; outputs come in task order all the same."""
    import os

    from wiretrace._workers import in_order

    outputs = list(in_order(_pid_and_square, iter(range(9)), workers, first_here=True))
    assert [square for _, square in outputs] == [k * k for k in range(9)]
    assert outputs[0][0] == os.getpid()
    assert all((pid == os.getpid()) == (workers == 1) for pid, _ in outputs[1:])


def test_in_order_runs_out_of_idle_steps_quietly() -> None:
    """Fewer idle steps than the wait has room for: all are taken, outputs unchanged."""
    from wiretrace._workers import in_order

    _STEPS_SEEN.clear()
    steps = iter([lambda k=k: _STEPS_SEEN.append(k) for k in range(3)])
    assert list(in_order(_slow_square, range(6), 2, steps)) == [k * k for k in range(6)]
    assert _STEPS_SEEN == [0, 1, 2] and next(steps, None) is None


def _faults_of_fresh_arrays(seed: int) -> int:
    """Minor page faults taken while making numpy arrays of 128 KiB to 8 MiB, a few held at a
    time (as the stages' workers do), the second time round: the first takes the memory (and
    the pages a forked process copies as it first writes to them)."""
    faults = 0
    for _ in range(2):
        rng = random.Random(seed)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        held = []
        for _ in range(200):
            held.append(np.ones(rng.randrange(1 << 14, 1 << 20)))
            if len(held) > 3:
                held.pop(rng.randrange(4))
        held.clear()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    return faults


_FRESH_FAULTS = """
import sys
sys.path.insert(0, {tests!r})
from test_pipeline import _faults_of_fresh_arrays
from wiretrace._workers import keep_freed_memory
if {tuned}:
    keep_freed_memory()
print(_faults_of_fresh_arrays(1))
"""


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="keep_freed_memory tunes glibc's allocator (Linux only)",
)
def test_worker_processes_reuse_freed_memory() -> None:
    """A process that called `keep_freed_memory` keeps freed arrays' memory for the next ones,
    where glibc's default hands much of it back and takes it anew (a page fault per page each
    time); `worker_pool`'s workers call it."""
    import subprocess

    from wiretrace._workers import worker_pool

    def fresh(tuned: bool) -> int:
        code = _FRESH_FAULTS.format(tests=str(Path(__file__).parent), tuned=tuned)
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return int(done.stdout)

    plain, tuned = fresh(False), fresh(True)
    with worker_pool(1) as pool:
        worker = pool.submit(_faults_of_fresh_arrays, 1).result()
    assert tuned * 3 < plain
    assert worker * 3 < plain


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab .,'-\u00e9", max_size=80),
    st.tuples(st.integers(-2, 85), st.integers(-2, 85)),
)
def test_coverage_of_one_span_is_that_of_the_span_given_twice(
    text: str, span: tuple[int, int]
) -> None:
    """One span's coverage (two searches) is what the way for several spans (all searched at
    once, their runs' union counted) finds for it given twice."""
    tokens = tokenize(text)
    assert pipeline._coverage(tokens, [span]) == pipeline._coverage(tokens, [span, span])


class _Stopped(Exception):
    """What the test's stop signal handler raises (the command's raises `cli._Terminated`)."""


def _stop(number: int, _: object) -> None:
    raise _Stopped(number)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_while_a_pool_forks_its_workers_leaves_none_running(
    monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    """A stop that comes just after a worker pool forked its workers, before the thread that
    stops them at shutdown is started, ends the block with the stop itself (not a failed
    shutdown), and no worker is left waiting for work (they were, for ever, holding the run's
    deleted files and its caller's pipes)."""
    from wiretrace import _workers

    forked: list[multiprocessing.Process] = []
    previous = signal.signal(number, _stop)
    try:
        with pytest.raises(_Stopped), _workers.worker_pool(2) as pool:
            launch = pool._launch_processes  # type: ignore[attr-defined]

            def launched_then_stopped() -> None:
                launch()
                forked.extend(pool._processes.values())  # type: ignore[attr-defined]
                signal.raise_signal(number)

            monkeypatch.setattr(pool, "_launch_processes", launched_then_stopped)
            pool.submit(abs, -1)
    finally:
        signal.signal(number, previous)
    assert len(forked) == 2
    for process in forked:
        process.join(timeout=30)
        assert not process.is_alive()


_ABANDONED_POOL = """
import os, sys, time
from wiretrace._workers import worker_pool
pool = worker_pool(2)
pool.submit(time.sleep, 60)
print(" ".join(str(pid) for pid in pool._processes), flush=True)
os._exit(0)  # gone without a shutdown, as when killed
"""


@pytest.mark.skipif(sys.platform != "linux", reason="workers end with their parent on Linux")
def test_workers_end_with_the_process_that_forked_them(tmp_path: Path) -> None:
    """Worker processes are killed when the process that forked them ends without shutting
    its pool down (killed, or ended at once): none is left running, busy or idle."""
    import subprocess

    # To a file: workers left running would hold a pipe open, and the run would not end.
    with open(tmp_path / "pids", "w+", encoding="ascii") as pids:
        subprocess.run([sys.executable, "-c", _ABANDONED_POOL], stdout=pids, check=True)
        pids.seek(0)
        workers = [int(pid) for pid in pids.read().split()]
    assert len(workers) == 2
    alive = workers
    try:
        for _ in range(300):
            alive = [pid for pid in alive if _running(pid)]
            if not alive:
                break
            time.sleep(0.1)
        assert alive == []
    finally:
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("encoding", [None, 5, b"utf-8"])
def test_an_encoding_that_is_no_name_is_refused(encoding: object, tmp_path: Path) -> None:
    """find_reuse_in given an encoding that is not a codec name raises ConfigError saying what
    to pass (before: TypeError from inside the codec lookup)."""
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^encoding must be a codec name \(a str\) such as"):
        find_reuse_in([tmp_path / "a.txt"], encoding=encoding, jobs=1)  # type: ignore[arg-type]


def test_find_reuse_in_reads_records_from_a_stream() -> None:
    """A TextStream with format "jsonl" is read as a JSON Lines file is (records, their ids);
    a format it does not know raises ConfigError naming the formats."""
    records = "".join(json.dumps(item) + "\n" for item in story_docs()).encode("utf-8")
    streamed = find_reuse_in([TextStream(io.BytesIO(records), format="jsonl")], jobs=1)
    assert streamed.documents == find_reuse(story_docs(), jobs=1).documents
    assert streamed.pairs
    with pytest.raises(ConfigError, match=r"^a stream's format must be one of text, jsonl, csv"):
        TextStream(io.BytesIO(records), format="json")


@pytest.mark.parametrize("times", [13, 40])
def test_two_copies_of_a_repeated_sentence_are_one_passage(times: int) -> None:
    """Two copies of a text made of one sentence repeated more than MAX_SEED_OCCURRENCES times:
    few or no n-grams anchor a seed and no sentence stands out, yet they are one passage, the
    whole text (they shared none, or, at 13 times, a passage of the middle)."""
    text = "The committee met again on Monday and agreed to review the budget. " * times
    report = wiretrace.find_reuse(
        [Document(id="a", text=text), Document(id="b", text=text)], jobs=1
    )
    ((pair),) = report.pairs
    ((passage),) = pair.passages
    end = len(text.rstrip(". "))
    assert (passage.source_start, passage.source_end) == (0, end)
    assert (passage.target_start, passage.target_end) == (0, end)
    assert passage.similarity == 1.0 and not passage.edits
