"""Tests for the JSON contract (schema wiretrace.report/1) and the text report."""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

import wiretrace
from wiretrace import (
    BoilerplateSpan,
    ConfigError,
    Report,
    Skipped,
    compare,
    render_csv,
    render_html,
    render_json,
    render_text,
)
from wiretrace.corpus import Corpus
from wiretrace.models import (
    ClusterMember,
    Document,
    Edit,
    LineageEdge,
    Mutation,
    Pair,
    Passage,
    ReuseCluster,
)
from wiretrace.report import report_to_dict
from wiretrace.report import text as text_report

ANSI = re.compile(r"\x1b\[")

TOP_KEYS = {
    "schema",
    "summary",
    "settings",
    "documents",
    "pairs",
    "clusters",
    "credits",
    "boilerplate",
    "skipped",
    "notices",
}
DOCUMENT_KEYS = {"id", "outlet", "published", "title", "url", "length"}
PAIR_KEYS = {
    "source",
    "target",
    "direction",
    "similarity",
    "source_coverage",
    "target_coverage",
    "passages",
}
PASSAGE_KEYS = {
    "source_start",
    "source_end",
    "target_start",
    "target_end",
    "similarity",
    "kind",
    "matched_words",
    "source_words",
    "target_words",
    "source_text",
    "target_text",
    "edits",
}
EDIT_KEYS = {
    "op",
    "source_start",
    "source_end",
    "target_start",
    "target_end",
    "source_text",
    "target_text",
}

WIRE = (
    "Rescue crews had pulled 42 people from the water and the wreckage by mid-morning, and 27 "
    "of them were taken to hospital, said Marta Olvany, head of the Lower Senna emergency "
    "directorate. “We will keep searching through the night,” Olvany told reporters."
)
COPY = WIRE.replace("42", "24").replace("were taken", "were reportedly taken")


@pytest.fixture(scope="module")
def demo_report() -> Report:
    """The report on the bundled demo corpus (13 articles)."""
    return wiretrace.find_reuse_in([wiretrace.demo_corpus_path()], jobs=1)


@pytest.fixture(scope="module")
def demo_json(demo_report: Report) -> dict[str, Any]:
    return json.loads(render_json(demo_report))


BLURB = "Sign up for the Harbour Post newsletter and get the morning briefing in your inbox"


@pytest.fixture(scope="module")
def blurb_report() -> Report:
    """Three Harbour Post articles with one newsletter blurb: boilerplate at 3 documents."""
    rng = random.Random(4)
    vocabulary = [f"w{number}" for number in range(3000)]
    docs = [
        {
            "id": f"harbour-{k}",
            "outlet": "Harbour Post",
            "text": " ".join(rng.choice(vocabulary) for _ in range(60)) + f".\n\n{BLURB}.",
        }
        for k in range(3)
    ]
    return wiretrace.find_reuse(docs, jobs=1, boilerplate_docs=3)


@pytest.fixture(scope="module")
def pair_report() -> Report:
    """One pair with a replaced number and an inserted word, and a skipped input."""
    report = compare(WIRE, COPY)
    return Report(
        documents=report.documents,
        pairs=report.pairs,
        skipped=(Skipped(input="feed.jsonl", line=7, reason="field 'text' is missing"),),
        settings=report.settings,
    )


# JSON


def test_json_is_valid_and_ends_with_a_newline(demo_report: Report) -> None:
    """render_json gives parseable JSON text with a final newline."""
    rendered = render_json(demo_report)
    assert rendered.endswith("}\n")
    assert isinstance(json.loads(rendered), dict)


def test_json_has_the_schema_version(demo_json: dict[str, Any]) -> None:
    """The top level says schema 'wiretrace.report/1'."""
    assert demo_json["schema"] == "wiretrace.report/1"
    assert wiretrace.report.SCHEMA == "wiretrace.report/1"


def test_json_top_level_keys(demo_json: dict[str, Any]) -> None:
    """The top level has exactly the documented keys."""
    assert set(demo_json) == TOP_KEYS


def test_json_documents_follow_the_contract(demo_json: dict[str, Any], demo_report: Report) -> None:
    """Each document has id, outlet, published, title, url, length (no text), in input order."""
    assert [doc["id"] for doc in demo_json["documents"]] == [d.id for d in demo_report.documents]
    for entry, document in zip(demo_json["documents"], demo_report.documents, strict=True):
        assert set(entry) == DOCUMENT_KEYS
        assert entry["length"] == len(document.text)
        assert (entry["outlet"], entry["published"], entry["title"], entry["url"]) == (
            document.outlet,
            document.published,
            document.title,
            document.url,
        )


def test_json_pairs_follow_the_contract(demo_json: dict[str, Any]) -> None:
    """Each pair has source, target, direction, similarity, both coverages, passages."""
    assert demo_json["pairs"]
    for pair in demo_json["pairs"]:
        assert set(pair) == PAIR_KEYS
        assert pair["direction"] in {"published", "text", "unknown"}
        for score in ("similarity", "source_coverage", "target_coverage"):
            assert isinstance(pair[score], float)
            assert 0.0 <= pair[score] <= 1.0
            assert round(pair[score], 4) == pair[score]


def test_json_passages_and_edits_follow_the_contract(demo_json: dict[str, Any]) -> None:
    """Each passage has its offsets, similarity, word counts, texts and edits; each edit its op."""
    for pair in demo_json["pairs"]:
        assert pair["passages"]
        for passage in pair["passages"]:
            assert set(passage) == PASSAGE_KEYS
            assert all(
                isinstance(passage[key], int)
                for key in PASSAGE_KEYS
                - {"similarity", "kind", "source_text", "target_text", "edits"}
            )
            for edit in passage["edits"]:
                assert set(edit) == EDIT_KEYS
                assert edit["op"] in {"replace", "insert", "delete"}


def test_json_passage_texts_are_the_document_slices(
    demo_json: dict[str, Any], demo_report: Report
) -> None:
    """source_text and target_text equal the documents' text between the offsets."""
    for pair in demo_json["pairs"]:
        source = demo_report.document(pair["source"]).text
        target = demo_report.document(pair["target"]).text
        for passage in pair["passages"]:
            assert passage["source_text"] == source[passage["source_start"] : passage["source_end"]]
            assert passage["target_text"] == target[passage["target_start"] : passage["target_end"]]
            for edit in passage["edits"]:
                assert edit["source_text"] == source[edit["source_start"] : edit["source_end"]]
                assert edit["target_text"] == target[edit["target_start"] : edit["target_end"]]


def test_json_summary_counts_match_the_lists(demo_json: dict[str, Any]) -> None:
    """summary counts documents, pairs, passages, skipped inputs, notices and clusters."""
    assert demo_json["summary"] == {
        "documents": len(demo_json["documents"]),
        "pairs": len(demo_json["pairs"]),
        "passages": sum(len(pair["passages"]) for pair in demo_json["pairs"]),
        "skipped": len(demo_json["skipped"]),
        "notices": len(demo_json["notices"]),
        "clusters": len(demo_json["clusters"]),
        "boilerplate": len(demo_json["boilerplate"]),
        "boilerplate_documents": len({span["document"] for span in demo_json["boilerplate"]}),
    }


def test_json_edges_link_derived_articles_to_the_version_they_took(
    demo_json: dict[str, Any],
) -> None:
    """Each edge names the wire version its child took; the versions themselves have none."""
    (cluster,) = demo_json["clusters"]
    taken = {edge["child"]: edge["version"] for edge in cluster["edges"]}
    assert taken["sradio-0415"] == "wire-ndx-0412u1"
    assert taken["talkline-9048"] == "wire-ndx-0412u1"
    assert taken["kestrel-7702"] == "wire-ndx-0412"  # via the Senna Valley Courier
    assert taken["hpost-1187"] == "wire-ndx-0412"
    assert taken["wire-ndx-0412u1"] is None


def test_json_settings_are_the_settings_used(
    demo_json: dict[str, Any], demo_report: Report
) -> None:
    """settings is the run's Settings as a plain dict."""
    assert demo_json["settings"] == demo_report.settings.to_dict()


def test_json_lists_skipped_inputs(pair_report: Report) -> None:
    """skipped entries have input, line and reason."""
    data = json.loads(render_json(pair_report))
    assert data["skipped"] == [
        {"input": "feed.jsonl", "line": 7, "reason": "field 'text' is missing"}
    ]


def test_json_keeps_non_ascii_text_unescaped(pair_report: Report) -> None:
    """Typographic quotes are written as themselves, not \\u escapes."""
    rendered = render_json(pair_report)
    assert "“We will keep searching" in rendered
    assert "\\u201c" not in rendered


def test_json_exact_edits_of_a_known_pair(pair_report: Report) -> None:
    """The 42 -> 24 change and the inserted 'reportedly' are the two edits, with offsets."""
    (pair,) = json.loads(render_json(pair_report))["pairs"]
    (passage,) = pair["passages"]
    number, hedge = passage["edits"]
    assert (number["op"], number["source_text"], number["target_text"]) == ("replace", "42 ", "24 ")
    assert number["source_start"] == WIRE.index("42")
    assert number["target_start"] == COPY.index("24")
    assert (hedge["op"], hedge["source_text"], hedge["target_text"]) == (
        "insert",
        "",
        "reportedly ",
    )
    assert hedge["source_start"] == hedge["source_end"] == WIRE.index("taken to hospital")


def test_json_written_in_pieces_is_the_rendered_json(demo_report: Report) -> None:
    """iter_json's pieces (what the CLI writes to a file as they come) join to render_json, and
    put each document, pair and cluster on a line of its own."""
    from wiretrace.report.json import iter_json

    rendered = render_json(demo_report)
    assert "".join(iter_json(demo_report)) == rendered
    lines = rendered.splitlines()
    data = json.loads(rendered)
    for key in ("documents", "pairs", "clusters"):
        opening = lines.index(f'  "{key}": [')
        assert len(data[key]) > 0
        for offset, item in enumerate(data[key], 1):
            assert json.loads(lines[opening + offset].strip().rstrip(",")) == item


def test_json_read_and_written_in_batches_is_item_by_item(
    demo_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the passage texts of a few pairs at a time and writing a few items a piece change
    nothing: the pairs are `pair_to_dict`'s, one by one."""
    from wiretrace.corpus import documents_by_id
    from wiretrace.report import json as report_json

    rendered = render_json(demo_report)
    monkeypatch.setattr(report_json, "PAIRS_PER_READ", 2)
    monkeypatch.setattr(report_json, "ITEMS_PER_PIECE", 3)
    assert render_json(demo_report) == rendered
    documents = documents_by_id(demo_report.documents)
    pairs = [report_json.pair_to_dict(pair, documents) for pair in demo_report.pairs]
    assert len(pairs) > 3
    assert json.loads(rendered)["pairs"] == pairs


@pytest.mark.parametrize("items_per_task", [1, 2, 4])
def test_json_made_by_worker_processes_is_the_same(
    demo_report: Report, monkeypatch: pytest.MonkeyPatch, items_per_task: int
) -> None:
    """With several jobs, worker processes make the JSON of the documents, pairs, clusters and
    boilerplate spans a few items a task (one task, or many, some of them shorter), and the text
    is the one made in one process."""
    from wiretrace.report import json as report_json

    # The demo has one cluster and no boilerplate: copies of a cluster, and made-up spans, make
    # lists long enough to split.
    spans = tuple(
        BoilerplateSpan(document=document.id, start=k, end=k + 5, text=f"span {k}")
        for k, document in enumerate(demo_report.documents)
    )
    report = attrs.evolve(demo_report, clusters=demo_report.clusters * 9, boilerplate=spans)
    rendered = render_json(report)
    monkeypatch.setattr(report_json, "ITEMS_PER_TASK", items_per_task)
    for section in (report.documents, report.pairs, report.clusters, report.boilerplate):
        assert len(section) > 2 * items_per_task
    assert "".join(report_json.iter_json(report, jobs=2)) == rendered
    assert report_json._RENDERING is None


def plain_json(report: Report) -> str:
    """The reference writer of `render_json`'s text: `report_to_dict` with each top-level key
    on a line and each item of a top-level list on a line, each item by `json.dumps`."""
    lines = []
    for key, value in report_to_dict(report).items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            lines.append(f'  "{key}": [\n    {items}\n  ]')
        else:
            lines.append(f'  "{key}": {json.dumps(value, ensure_ascii=False)}')
    return "{\n" + ",\n".join(lines) + "\n}\n"


ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
OFFSET = st.integers(0, 30)
SCORE = st.floats(0.0, 1.0)


@st.composite
def made_up_reports(draw: st.DrawFn) -> Report:
    """A report of made-up records with any texts and values: its pairs, clusters and spans
    name its documents (a cluster's versions get the update marker version_label finds)."""
    documents = [
        Document(
            id=draw(ANY_TEXT) + f"#{k}",
            text=draw(st.sampled_from(["", "UPDATE 2-", "(Adds quote) "])) + draw(ANY_TEXT),
            outlet=draw(st.none() | ANY_TEXT),
            published=draw(st.none() | st.just("2020-01-02")),
            title=draw(st.none() | ANY_TEXT),
            url=draw(st.none() | ANY_TEXT),
        )
        for k in range(draw(st.integers(1, 4)))
    ]
    ids = st.sampled_from([document.id for document in documents])

    def spans() -> st.SearchStrategy[tuple[int, int]]:
        return st.tuples(OFFSET, OFFSET).map(lambda ends: (min(ends), max(ends)))

    def edit() -> Edit:
        (source_start, source_end), (target_start, target_end) = draw(spans()), draw(spans())
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        text = (draw(ANY_TEXT), draw(ANY_TEXT))
        return Edit(op, source_start, source_end, target_start, target_end, *text)

    def passage() -> Passage:
        (source_start, source_end), (target_start, target_end) = draw(spans()), draw(spans())
        words = draw(st.lists(st.integers(0, 99), min_size=3, max_size=3))
        return Passage(
            source_start,
            source_end,
            target_start,
            target_end,
            draw(SCORE),
            *words,
            edits=[edit() for _ in range(draw(st.integers(0, 3)))],
            kind=draw(st.sampled_from(["narration", "quote", "summary"])),
        )

    pairs = [
        Pair(
            draw(ids),
            draw(ids),
            draw(st.sampled_from(["published", "text", "unknown"])),
            draw(SCORE),
            draw(SCORE),
            draw(SCORE),
            [passage() for _ in range(draw(st.integers(0, 3)))],
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    mutation = st.builds(
        Mutation, st.sampled_from(["substitution", "quote"]), ANY_TEXT, ANY_TEXT, *[OFFSET] * 4
    )
    edges = st.lists(
        st.builds(
            LineageEdge,
            ids,
            ids,
            SCORE,
            st.lists(mutation, max_size=3),
            st.booleans(),
            st.none() | ANY_TEXT,
        ),
        max_size=3,
    )
    clusters = [
        ReuseCluster(
            id=draw(ANY_TEXT),
            kind=draw(st.sampled_from(["narration", "quote", "summary"])),
            members=draw(st.lists(st.builds(ClusterMember, ids, OFFSET, OFFSET), max_size=3)),
            root=draw(ids),
            edges=draw(edges),
            roots=draw(st.lists(ids, max_size=2)),
            versions=draw(st.lists(ids, max_size=3)),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    boilerplate = draw(
        st.lists(st.builds(BoilerplateSpan, ids, st.just(0), OFFSET, ANY_TEXT), max_size=4)
    )
    return Report(documents=documents, pairs=pairs, clusters=clusters, boilerplate=boilerplate)


@settings(max_examples=150)
@given(made_up_reports(), st.booleans())
def test_json_is_that_of_the_json_module(report: Report, in_a_corpus: bool) -> None:
    """The JSON of the documents, pairs, clusters, credits and boilerplate, written directly, is
    the json module's text of their dicts, for any texts and values (the documents in a list or
    in a corpus, their texts read back from disk)."""
    if not in_a_corpus:
        assert render_json(report) == plain_json(report)
        return
    with Corpus.collect(report.documents) as corpus:
        report = attrs.evolve(report, documents=corpus)
        assert render_json(report) == plain_json(report)


def test_json_of_a_field_of_another_type_is_that_of_the_json_module(
    demo_report: Report,
) -> None:
    """A record given an id that is not a str (records do not check their types) is written
    as the json module writes its dict, in every section and with worker processes too."""
    from wiretrace.report import json as report_json

    cluster = demo_report.clusters[0]
    edge = attrs.evolve(cluster.edges[0], parent=7, credit=8)
    odd = (
        attrs.evolve(cluster, root=4, edges=(edge, *cluster.edges[1:])),
        attrs.evolve(cluster, id=5),
    )
    pair = attrs.evolve(demo_report.pairs[0], direction=6)
    report = attrs.evolve(
        demo_report,
        pairs=(*demo_report.pairs, pair),
        clusters=(*demo_report.clusters, *odd),
        boilerplate=(BoilerplateSpan(document=3, start=0, end=1, text="x"),),
    )
    rendered = render_json(report)
    assert rendered == plain_json(report)
    for written in ('"direction": 6', '"parent": 7', '"credit": 8', '"id": 5', '"document": 3'):
        assert written in rendered
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_json, "ITEMS_PER_TASK", 1)
        assert "".join(report_json.iter_json(report, jobs=2)) == rendered


def test_json_without_indent_is_one_line(pair_report: Report) -> None:
    """indent=None gives compact single-line JSON."""
    rendered = render_json(pair_report, indent=None)
    assert rendered.count("\n") == 1
    assert json.loads(rendered) == json.loads(render_json(pair_report))


def test_json_lists_boilerplate_spans_with_their_text(blurb_report: Report) -> None:
    """ "boilerplate" lists each span as document, start, end and the text at those offsets."""
    data = json.loads(render_json(blurb_report))
    assert data["boilerplate"] == [
        {
            "document": doc.id,
            "start": doc.text.index(BLURB),
            "end": doc.text.index(BLURB) + len(BLURB),
            "text": BLURB,
        }
        for doc in blurb_report.documents
    ]
    assert (data["summary"]["boilerplate"], data["summary"]["boilerplate_documents"]) == (3, 3)
    assert data["pairs"] == []


def test_json_of_an_empty_report(pair_report: Report) -> None:
    """A report without pairs still has every top-level key."""
    empty = compare("one two three", "four five six")
    data = json.loads(render_json(empty))
    assert set(data) == TOP_KEYS
    assert (data["pairs"], data["skipped"], data["boilerplate"]) == ([], [], [])


# Text


def test_text_mentions_every_pair(demo_report: Report) -> None:
    """Each pair appears as 'Pair N: source -> target'."""
    rendered = render_text(demo_report)
    for number, pair in enumerate(demo_report.pairs, 1):
        assert f"Pair {number}: {pair.source} -> {pair.target}" in rendered


def test_text_starts_with_a_summary_line(demo_report: Report) -> None:
    """The first line counts documents, pairs, passages and skipped inputs."""
    passages = sum(len(pair.passages) for pair in demo_report.pairs)
    first_line = render_text(demo_report).splitlines()[0]
    assert first_line == (
        f"wiretrace: 13 documents, {len(demo_report.pairs)} pairs with reuse, "
        f"{passages} passages, 0 skipped"
    )


def test_text_shows_boilerplate_per_outlet(blurb_report: Report) -> None:
    """The text report counts boilerplate spans and shows the outlet's blurb once, counted."""
    rendered = render_text(blurb_report, width=200)
    assert rendered.splitlines()[0].endswith(", 3 boilerplate spans")
    assert "Boilerplate: 3 spans in 3 documents" in rendered
    assert "  Harbour Post: 3 spans in 3 documents" in rendered
    assert f'    3 x "{BLURB}"' in rendered


def test_text_marks_edits_as_removed_and_added(pair_report: Report) -> None:
    """A replaced word shows as [-old-]{+new+}, an inserted one as {+new+}."""
    rendered = render_text(pair_report, width=400)
    assert "pulled [-42-]{+24+} people" in rendered
    assert "were {+reportedly+} taken to hospital" in rendered


def test_text_without_color_has_no_ansi_escapes(demo_report: Report) -> None:
    """color=False output is plain text."""
    assert not ANSI.search(render_text(demo_report, color=False))


def test_text_with_color_has_ansi_escapes(pair_report: Report) -> None:
    """color=True output styles the diff with ANSI escapes."""
    assert ANSI.search(render_text(pair_report, color=True))


@pytest.mark.parametrize("color", [False, True])
def test_text_shows_control_characters_of_the_input_escaped(color: bool) -> None:
    """Control characters in ids, outlets, texts and skipped inputs (a terminal would clear the
    screen, set its title, move the cursor) are shown escaped (\\x1b), and a name stays on its
    line; the report's own colours are kept."""
    wire = (
        "The regional water authority announced on Tuesday that the northern reservoir had "
        "fallen to its lowest level in thirty years, prompting emergency restrictions \x1b[2J on "
        "garden irrigation and car washing across four districts of the valley."
    )
    source = wiretrace.Document(id="evil\x1b[2J\nnewline\r", text=wire, outlet="Out\x1b]0;t\x07let")
    target = wiretrace.Document(id="copy", text="Breaking: " + wire)
    report = attrs.evolve(
        compare(source, target),
        skipped=(Skipped(input="bad\x1b[31m.txt", line=None, reason="empty"),),
    )
    rendered = render_text(report, color=color)
    shown = ANSI.sub("", rendered) if color else rendered
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown)
    assert "evil\\x1b[2J\\x0anewline\\x0d" in shown
    assert "Out\\x1b]0;t\\x07let" in shown
    assert "restrictions \\x1b[2J on" in shown
    assert "bad\\x1b[31m.txt: empty" in shown
    assert bool(ANSI.search(rendered)) == color


def test_text_shows_passage_offsets_and_coverage(pair_report: Report) -> None:
    """Each passage line gives its offsets; each side its share reused."""
    rendered = render_text(pair_report)
    (passage,) = pair_report.pairs[0].passages
    assert (
        f"Passage 1: source {passage.source_start}-{passage.source_end}, "
        f"target {passage.target_start}-{passage.target_end}"
    ) in rendered
    assert "  source  source: 100% of it reused" in rendered
    assert "  target  target: 100% of it reused" in rendered


def test_a_summary_passage_is_marked_in_every_format() -> None:
    """A passage found by the summary model (the golden summary case) is kind "summary" in the
    JSON report, and so is its cluster; the text report says what that means."""
    golden = Path(__file__).parent / "golden" / "summary-inserted.json"
    case = json.loads(golden.read_text(encoding="utf-8"))
    report = compare(case["source"], case["target"])
    data = json.loads(render_json(report))
    (pair,) = data["pairs"]
    assert [passage["kind"] for passage in pair["passages"]] == ["summary"]
    assert [cluster["kind"] for cluster in data["clusters"]] == ["summary"]
    assert "Passage 1 (summary: the source's names and terms, not its wording)" in render_text(
        report
    )


def test_text_says_when_nothing_was_found() -> None:
    """A report without pairs says so."""
    assert "No reused passages found." in render_text(compare("one two three", "four five six"))


def test_text_lists_skipped_inputs(pair_report: Report) -> None:
    """Skipped inputs are listed with file, line and reason."""
    assert "feed.jsonl line 7: field 'text' is missing" in render_text(pair_report)


@pytest.mark.parametrize("render", [render_text, render_json, render_csv, render_html])
@pytest.mark.parametrize("report", ["report", None, {"pairs": []}])
def test_renderers_refuse_what_is_not_a_report(render: Any, report: object) -> None:
    """A renderer given something other than a Report raises TypeError naming itself (before:
    AttributeError from deep inside)."""
    with pytest.raises(TypeError, match=rf"^{render.__name__} takes a wiretrace\.Report "):
        render(report)


@pytest.mark.parametrize(
    ("render", "option", "value", "message"),
    [
        (render_text, "width", 0, "width must be >= 1, got 0"),
        (render_text, "width", -5, "width must be >= 1, got -5"),
        (render_text, "width", "80", "width must be a whole number, got '80'"),
        (render_json, "indent", -1, "indent must be >= 0, got -1"),
        (render_json, "indent", "  ", "indent must be a whole number, got '  '"),
        (render_json, "indent", 1.5, "indent must be a whole number, got 1.5"),
        (render_json, "indent", 33, "indent must be <= 32, got 33"),
        (render_json, "indent", 10**9, "indent must be <= 32, got 1000000000"),
    ],
)
def test_renderers_refuse_bad_options(
    render: Any, option: str, value: object, message: str
) -> None:
    """A width below 1 (before: an empty rendering) or an indent that is negative (taken as 0),
    not a whole number (TypeError from inside) or over 32 spaces (a billion made lines of
    gigabytes) raises ConfigError naming it."""
    report = compare("The river rose after the storm.", "The river rose after the storm.")
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        render(report, **{option: value})


def test_json_pieces_refuse_an_indent_over_the_cap() -> None:
    """`iter_json` checks its indent as `render_json` does (it took any, a negative one as 0)."""
    report = compare("The river rose after the storm.", "The river rose after the storm.")
    with pytest.raises(ConfigError, match=r"^indent must be <= 32, got 33$"):
        next(wiretrace.report.json.iter_json(report, indent=33))


def test_the_html_title_must_be_text() -> None:
    """render_html with a title that is not a str raises TypeError (before: 'None' as title)."""
    report = compare("The river rose after the storm.", "The river rose after the storm.")
    with pytest.raises(TypeError, match=r"^title must be a str, got NoneType None$"):
        render_html(report, title=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("width", [100, 23])
def test_text_report_written_by_several_jobs_is_the_same(
    demo_report: Report, color: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With several jobs, worker processes write the pairs' sections a few pairs at a time (here
    4, so the demo's 55 pairs make 14 tasks): the text is the one written here, colours too."""
    monkeypatch.setattr(text_report, "PAIRS_PER_TASK", 4)
    alone = render_text(demo_report, color=color, width=width, jobs=1)
    assert render_text(demo_report, color=color, width=width, jobs=2) == alone
    headings = re.findall(r"^(?:\x1b\[[0-9;]*m)*Pair (\d+):", alone, re.MULTILINE)
    assert headings == [str(number) for number in range(1, len(demo_report.pairs) + 1)]


def _as_rich_writes(renderable: Any, width: int) -> list[str]:
    """What a colourless console `width` wide writes for `renderable`, line by line, without
    the trailing spaces the text report strips."""
    buffer = io.StringIO()
    Console(file=buffer, no_color=True, width=width, height=25, highlight=False).print(renderable)
    return [line.rstrip(" ") for line in buffer.getvalue().split("\n")[:-1]]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab cdéf\n-—“”.,\u00a0\u2003", "xyzxyzxyzxyz" * 3, "  "]), max_size=80
    ).map("".join),
    st.integers(10, 60),
)
def test_plain_text_lines_are_the_ones_rich_writes(text: str, width: int) -> None:
    """The text report's own line wrapping (used where no colour is wanted) gives rich's lines,
    indented or not, for any text of one-cell characters with spaces, other whitespace, long
    words and line ends; texts it leaves to rich (tabs, wide characters) give None."""
    lines = text_report._plain_lines(text, width)
    assert lines is not None
    assert [line.rstrip(" ") for line in lines] == _as_rich_writes(Text(text), width)
    indented = text_report._plain_lines(text, width - 4, "    ")
    assert (indented is None) == (not text.strip("\n"))
    if indented is not None:
        padded = Padding(Text(text), (0, 0, 0, 4), expand=False)
        assert [line.rstrip(" ") for line in indented] == _as_rich_writes(padded, width)
    others = ("tab\there", "wide 中文", "joined \u200d", "line\u2028separator", "even\u3000\u00ad")
    for other in others:
        assert text_report._plain_lines(text + other, width) is None


@pytest.mark.parametrize("width", [100, 41, 10])
def test_text_report_written_without_rich_is_the_same(
    demo_report: Report, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without colour, the pairs' sections written by the report's own wrapping are the ones
    rich writes (its console takes each section the plain writing leaves to it)."""
    plain = render_text(demo_report, width=width, jobs=1)
    monkeypatch.setattr(text_report, "_plain_section", lambda *_: None)
    assert render_text(demo_report, width=width, jobs=1) == plain
