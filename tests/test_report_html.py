"""Tests for render_html without a browser: one self-contained page, escaped, with a strict CSP.

The page in a real browser is tested in test_html_report.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

import hostile
import wiretrace
import wiretrace.report.html as html_report
from strategies import LATIN, PROPERTY
from wiretrace import BoilerplateSpan, Document, Pair, Passage, Report
from wiretrace.corpus import Corpus
from wiretrace.report.html import embed_json, format_size, safe_href, source_shares, utf16_offsets


class Page(HTMLParser):
    """The elements of a page, with their attributes, and the text of each <script>."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


@pytest.fixture(scope="module")
def demo_report() -> Report:
    """The report on the bundled demo corpus."""
    return wiretrace.find_reuse_in([str(wiretrace.demo_corpus_path())], jobs=1)


@pytest.fixture(scope="module")
def demo_page(demo_report: Report) -> str:
    """The demo report as HTML."""
    return wiretrace.render_html(demo_report)


@pytest.fixture(scope="module")
def hostile_page() -> str:
    """The hostile corpus's report as HTML."""
    return wiretrace.render_html(hostile.hostile_report())


def page_data(page: str) -> dict[str, Any]:
    """The JSON data block the page's script renders."""
    (data,) = [
        text for attrs, text in Page(page).scripts if attrs.get("type") == "application/json"
    ]
    return json.loads(data)


def csp(page: str) -> dict[str, list[str]]:
    (meta,) = [
        attrs
        for attrs in Page(page).tags("meta")
        if attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    directives = [part.split() for part in (meta["content"] or "").split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_page_is_one_document_with_inline_style_and_script(demo_page: str) -> None:
    """The page links no stylesheet, script, font or image: all of it is inline."""
    page = Page(demo_page)
    assert demo_page.startswith("<!DOCTYPE html>")
    assert page.tags("link") == []
    assert all("src" not in attrs for attrs in page.tags("script"))
    assert len(page.tags("style")) == 1
    assert [attrs.get("type") for attrs in page.tags("script")] == ["application/json", None]


def test_csp_allows_only_the_page_own_style_and_script(demo_page: str) -> None:
    """The CSP denies everything by default and allows the inline script and style by hash."""
    policy = csp(demo_page)
    (script,) = [text for attrs, text in Page(demo_page).scripts if "type" not in attrs]
    style = demo_page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [sha256(script)]
    assert policy["style-src"] == [sha256(style)]
    assert policy["img-src"] == ["data:"]
    assert policy["connect-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]


def test_csp_meta_comes_before_any_style_or_script(demo_page: str) -> None:
    """The policy is in force before the first style or script is read."""
    position = demo_page.index("Content-Security-Policy")
    assert position < demo_page.index("<style>") < demo_page.index("<script")


def test_no_address_leads_off_the_page_but_the_article_links(demo_report: Report) -> None:
    """Every src/href is an in-page anchor or an article's own http(s) URL."""
    page = Page(wiretrace.render_html(demo_report))
    urls = {doc.url for doc in demo_report.documents}
    for tag, attrs in page.elements:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith("#") or value in urls, (tag, name, value)


def test_the_script_holds_no_url_to_fetch(demo_page: str) -> None:
    """The page's own script and style name no host (only the SVG namespace URI)."""
    (script,) = [text for attrs, text in Page(demo_page).scripts if "type" not in attrs]
    assert re.findall(r"https?://[^\s\"']+", script) == ["http://www.w3.org/2000/svg"]
    assert "fetch(" not in script and "XMLHttpRequest" not in script
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script and "eval(" not in script
    assert not re.search(r"https?://", demo_page.split("<style>", 1)[1].split("</style>")[0])


@pytest.mark.parametrize("payload", hostile.PAYLOADS)
def test_hostile_text_never_becomes_markup(hostile_page: str, payload: str) -> None:
    """A payload's markup does not appear unescaped anywhere in the page."""
    if "<" in payload:
        assert payload not in hostile_page


def test_hostile_fields_make_no_elements_or_handlers(hostile_page: str) -> None:
    """The page has only its own elements: no img, iframe or svg, no on* attribute."""
    page = Page(hostile_page)
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"img", "iframe", "svg", "object", "embed", "base", "link"}
    assert len(page.tags("script")) == 2
    for tag, attrs in page.elements:
        assert not [name for name in attrs if name.startswith("on")], tag


def test_hostile_overview_shows_the_text_escaped(hostile_page: str) -> None:
    """Ids and outlets in the overview are shown as text (escaped), not dropped."""
    assert "&lt;img src=x onerror=&quot;window.__wiretracePwned=&#x27;id&#x27;&quot;&gt;" in (
        hostile_page
    )
    assert "&lt;script&gt;window.__wiretracePwned=&#x27;outlet&#x27;&lt;/script&gt; Wire" in (
        hostile_page
    )


def test_data_block_cannot_end_its_script_element(hostile_page: str) -> None:
    """The JSON block has no <, >, & or line separators, and parses back to the texts as read."""
    block = hostile_page.split('id="wiretrace-data">', 1)[1].split("</script>", 1)[0]
    for character in "<>&\u2028\u2029":
        assert character not in block
    data = json.loads(block)
    records = hostile.hostile_records()
    assert [doc["id"] for doc in data["documents"]] == [r["id"] for r in records]
    assert [doc["text"] for doc in data["documents"]] == [r["text"] for r in records]
    assert data["documents"][0]["title"] == hostile.HOSTILE_TITLE


def test_only_http_urls_become_links(hostile_page: str) -> None:
    """javascript: and data: URLs get no href; an http(s) URL does, exactly as given."""
    documents = page_data(hostile_page)["documents"]
    assert [doc["href"] for doc in documents] == [None, hostile.QUOTE_URL, None]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a?b=1#c", "https://news.example/a?b=1#c"),
        ("HTTP://NEWS.EXAMPLE/", "HTTP://NEWS.EXAMPLE/"),
        ("javascript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("//news.example/a", None),
        ("/relative/path", None),
        ("https:///no-host", None),
        ("https://news.example/a b", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_href(url: str | None, expected: str | None) -> None:
    """Only absolute http(s) URLs with a host and no spaces or controls may be links."""
    assert safe_href(url) == expected


def test_embed_json_escapes_what_could_end_a_script() -> None:
    """<, >, &, U+2028 and U+2029 become \\u escapes; the JSON still parses to the same data."""
    value = {"text": "</script><!-- & \u2028\u2029 -->"}
    embedded = embed_json(value)
    assert embedded == (
        '{"text":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029 --\\u003e"}'
    )
    assert json.loads(embedded) == value


def test_footer_states_the_page_own_size(demo_page: str) -> None:
    """The size in the footer is the page's size in UTF-8 bytes."""
    shown = re.search(r'id="file-size">([\d,]+) bytes', demo_page)
    assert shown is not None
    assert int(shown.group(1).replace(",", "")) == len(demo_page.encode("utf-8"))


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1000, "1.0 KB"),
        (126_493, "126.5 KB"),
        (12_300_000, "12.3 MB"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    """Sizes are shown in bytes, KB or MB (powers of 1000)."""
    assert format_size(size) == text


def test_overview_counts(demo_page: str) -> None:
    """The overview states documents, outlets, time span and how many documents reuse."""
    assert '<div class="card-label">Documents</div><div class="card-value">13</div>' in demo_page
    assert '<div class="card-label">Outlets</div><div class="card-value">12</div>' in demo_page
    assert '<div class="card-value">49 hours</div>' in demo_page
    assert "2026-03-14 07:12 UTC to 2026-03-16 08:00 UTC" in demo_page
    assert '<div class="card-value">10 of 13 documents</div>' in demo_page


def test_overview_top_source_is_the_wire(demo_page: str) -> None:
    """The wire, with the most lineage children, heads the top sources."""
    table = demo_page.split('<table class="top">', 1)[1].split("</table>", 1)[0]
    first_row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert ">wire-ndx-0412</a>" in first_row


def test_source_shares_sum_to_one(demo_report: Report) -> None:
    """Each document's shares by source and its own share sum to 1."""
    data = page_data(wiretrace.render_html(demo_report))
    for doc in data["documents"]:
        assert sum(share for _, share, _ in doc["sources"]) + doc["own"] == pytest.approx(
            1, abs=1e-3
        )


def test_largest_source_share_is_its_pair_coverage(demo_report: Report) -> None:
    """The first source's share is the pair's target coverage (the same word rule)."""
    courier = demo_report.document("svcourier-2210")
    pairs = [(n, p) for n, p in enumerate(demo_report.pairs) if p.target == courier.id]
    shares, own = source_shares(courier, pairs)
    best = max(pairs, key=lambda item: item[1].target_coverage)[1]
    assert shares[0][1] == pytest.approx(best.target_coverage)
    assert own == pytest.approx(1 - best.target_coverage, abs=0.01)


def test_own_share_of_a_traced_article_matches_the_trace(tmp_path) -> None:
    """For a traced article, the page's own share is the trace's own share."""
    story = " ".join(f"word{k}" for k in range(60))
    with wiretrace.Index.open(tmp_path / "news.db", jobs=1) as index:
        index.add([Document(id="wire", text=story, outlet="Wire")])
        article = Document(id="article", text=" ".join(f"own{k}" for k in range(30)) + " " + story)
        report = index.trace_files([article])
    (trace,) = report.traces
    documents = page_data(wiretrace.render_html(report))["documents"]
    (shown,) = [doc for doc in documents if doc["id"] == "article"]
    assert shown["own"] == pytest.approx(trace.own_share, abs=1e-4)


@PROPERTY
@given(
    st.text(alphabet=st.sampled_from(list(LATIN + "0123456789.,:'’ 中文かな-\n📰𝐁é")), max_size=300)
)
def test_word_bounds_are_the_token_patterns(text: str) -> None:
    """The words the page counts shares over are TOKEN_PATTERN's, found by the pipeline's
    tokenizer (the reference: the pattern's matches one by one)."""
    fast, plain = html_report._word_bounds(text), html_report._word_bounds_plain(text)
    assert fast[0].tolist() == plain[0].tolist() and fast[1].tolist() == plain[1].tolist()


@pytest.mark.parametrize(
    "url", ["https://news.example/a\x7fb", "https://news.example/a\\b", "https://x.example/\x00"]
)
def test_safe_href_refuses_a_backslash_del_or_nul(url: str) -> None:
    """A backslash, DEL or NUL in a URL keeps it from being a link."""
    assert safe_href(url) is None


def test_a_corpus_report_reads_each_text_once(tmp_path) -> None:
    """The page reads each text it needs from a corpus's file once, and no other: those of the
    documents in a pair (before: it made every document from the corpus several times over, the
    one in no pair too, each text read from the file unless among the few the corpus keeps)."""
    story = (
        "The harbour board said on Monday that the old ferry pier will close for a year of "
        "repairs, and that the morning boats will leave from the north quay until then. "
    )
    path = tmp_path / "news.jsonl"
    rows = [
        {"id": "wire", "text": story * 3},
        {"id": "copy", "text": story * 3 + "Local traders were not asked."},
        {"id": "alone", "text": "A quiet day at the market, with apples cheap and pears dear."},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    report = wiretrace.find_reuse_in([path], jobs=1)
    assert isinstance(report.documents, Corpus)
    read: list[int] = []
    text, corpus_type = Corpus._read_text, type(report.documents)

    def counted(corpus: Corpus, position: int) -> str:
        read.append(position)
        return text(corpus, position)

    try:
        corpus_type._read_text = counted  # type: ignore[method-assign]
        page = wiretrace.render_html(report)
    finally:
        corpus_type._read_text = text  # type: ignore[method-assign]
    assert sorted(read) == [0, 1]
    assert "Local traders were not asked." in page


def test_utf16_offsets_count_astral_characters_twice() -> None:
    """Offsets after a character outside the BMP move by one more UTF-16 unit."""
    convert = utf16_offsets("a📰b𝐁c")
    assert [convert(k) for k in range(6)] == [0, 1, 3, 4, 6, 7]
    assert utf16_offsets("plain")(3) == 3


def test_passage_offsets_in_the_page_index_javascript_strings(hostile_page: str) -> None:
    """Passage offsets are UTF-16 offsets; the report's code point offsets travel along as `cp`."""
    data = page_data(hostile_page)
    pair = data["pairs"][0]
    passage = pair["passages"][0]
    text16 = data["documents"][pair["s"]]["text"].encode("utf-16-le")
    source = text16[2 * passage["ss"] : 2 * passage["se"]].decode("utf-16-le")
    start, end = passage["cp"][:2]
    assert source == data["documents"][pair["s"]]["text"][start:end]


def test_boilerplate_spans_are_in_the_page_data_and_overview() -> None:
    """Each document lists its boilerplate spans (UTF-16 offsets, code points when they differ)
    and a shared text is embedded once; the overview counts the spans."""
    footer = "Read more 📰 stories at the Harbour Post"
    documents = (Document("a", "Fire at the docks. " + footer), Document("b", footer))
    spans = (
        BoilerplateSpan("a", 19, 19 + len(footer), footer),
        BoilerplateSpan("b", 0, len(footer), footer),
    )
    page = wiretrace.render_html(Report(documents, (), boilerplate=spans))
    data = page_data(page)
    assert data["boilerplate"] == [footer]
    end = 19 + len(footer)
    assert data["documents"][0]["boilerplate"] == [[19, end + 1, 0, 19, end]]
    assert data["documents"][1]["boilerplate"] == [[0, len(footer) + 1, 0, 0, len(footer)]]
    assert '<div class="card-label">Boilerplate</div><div class="card-value">2 spans</div>' in page


def test_documents_without_boilerplate_carry_no_boilerplate_key(demo_page: str) -> None:
    """The page stays small: no boilerplate key where there is none."""
    data = page_data(demo_page)
    assert data["boilerplate"] == []
    assert not any("boilerplate" in doc for doc in data["documents"])


def test_empty_report_renders() -> None:
    """A report with no documents or pairs is still a page that says so."""
    page = wiretrace.render_html(Report(documents=(), pairs=()))
    assert "No document reuses another." in page
    assert page_data(page)["pairs"] == []


def test_report_without_clusters_renders() -> None:
    """Pairs without lineage (a hand-made report) render; the overview says no cluster."""
    text = "one two three four five six"
    report = Report(
        documents=(Document(id="a", text=text), Document(id="b", text=text)),
        pairs=(Pair("a", "b", "unknown", 1.0, 1.0, 1.0, (Passage(0, 27, 0, 27, 1.0, 6, 6, 6),)),),
    )
    page = wiretrace.render_html(report)
    assert "No passage is carried by several documents." in page
    assert page_data(page)["pairs"][0]["edge"] is None


def test_trace_command_writes_html(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`wiretrace trace --format html -o FILE` writes the page with the article and its source."""
    from click.testing import CliRunner

    from wiretrace.cli import cli

    monkeypatch.chdir(tmp_path)
    story = " ".join(f"word{k}" for k in range(60))
    (tmp_path / "corpus.jsonl").write_text(
        json.dumps({"id": "wire", "text": story, "outlet": "Wire"}) + "\n", encoding="utf-8"
    )
    (tmp_path / "article.txt").write_text("Our own lead. " + story, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", "add", "news.db", "corpus.jsonl", "-j", "1"]).exit_code == 0
    result = runner.invoke(
        cli, ["trace", "article.txt", "--index", "news.db", "--format", "html", "-o", "t.html"]
    )
    assert result.exit_code == 0, result.output
    data = page_data((tmp_path / "t.html").read_text(encoding="utf-8"))
    assert [doc["id"] for doc in data["documents"]] == ["article.txt", "wire"]
    assert [
        (data["documents"][p["s"]]["id"], data["documents"][p["t"]]["id"]) for p in data["pairs"]
    ] == [("wire", "article.txt")]


def test_nul_characters_do_not_reach_the_page() -> None:
    """A NUL in an id is shown as U+FFFD and cannot stand in for the footer's size mark."""
    text = "one two three four five six"
    name = "a\x00size\x00"
    report = Report(
        documents=(Document(id=name, text=text), Document(id="b", text=text)),
        pairs=(Pair(name, "b", "unknown", 1.0, 1.0, 1.0, (Passage(0, 27, 0, 27, 1.0, 6, 6, 6),)),),
    )
    page = wiretrace.render_html(report)
    assert "\x00" not in page
    assert "a\ufffdsize\ufffd" in page
    shown = re.search(r'id="file-size">([\d,]+) bytes', page)
    assert shown is not None and int(shown.group(1).replace(",", "")) == len(page.encode())


@pytest.mark.parametrize("items_per_task", [1, 2, 4])
def test_page_made_by_worker_processes_is_the_same(
    demo_report: Report, monkeypatch: pytest.MonkeyPatch, items_per_task: int
) -> None:
    """With several jobs, worker processes make the page data's documents, clusters and pairs a
    few items a task (one task, or many, some shorter): the page is the one made in one
    process, with texts outside the BMP (UTF-16 offsets) and boilerplate spans numbered as one
    process numbers them."""
    footers = ("Read more 📰 stories at the Harbour Post", "Subscribe to the Post")
    hostile_report = hostile.hostile_report()
    spans = tuple(
        BoilerplateSpan(document.id, 0, 3, footers[k % 3 == 0])
        for k, document in enumerate(demo_report.documents)
    )
    # The hostile corpus's three documents: split into tasks when a task is one item.
    reports = [
        (evolve(demo_report, clusters=demo_report.clusters * 9, boilerplate=spans), 2),
        (evolve(hostile_report, clusters=hostile_report.clusters * 5), 2 / items_per_task),
    ]
    for report, tasks in reports:
        alone = wiretrace.render_html(report)
        monkeypatch.setattr(html_report, "ITEMS_PER_TASK", items_per_task)
        for section in (report.documents, report.pairs, report.clusters):
            assert len(section) > tasks * items_per_task
        assert wiretrace.render_html(report, jobs=2) == alone
        assert "".join(html_report.iter_html(report, jobs=2)) == alone
        assert html_report._PAGE is None
        monkeypatch.undo()


def test_page_data_of_an_astral_text_made_by_workers_reads_no_other_text_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workers that make the pairs and clusters know which texts hold characters outside
    the BMP: they read those again for their UTF-16 offsets, no other (each made here, in one
    process, is read once)."""
    story = "The harbour board said on Monday that the old ferry pier will close for repairs. "
    documents = [
        Document("plain", story * 4),
        Document("copy", story * 4 + "No comment."),
        Document("emoji", "📰 " + story * 4),
        Document("alone", "A quiet day at the market, with apples cheap and pears dear."),
    ]
    report = wiretrace.find_reuse(documents, jobs=1)
    assert {side for pair in report.pairs for side in (pair.source, pair.target)} == {
        "plain",
        "copy",
        "emoji",
    }
    page = html_report._page(report)
    items, astral = html_report._documents_data(page, 0, len(documents))
    assert astral == ["emoji"]
    read: list[str] = []
    monkeypatch.setattr(html_report, "text_by_id", lambda by_id, doc: read.append(doc) or "")
    known = evolve(page, js={}, astral=set(astral))
    assert known.offsets("plain") is html_report._same_offset
    assert read == []
    known.offsets("emoji")
    known.offsets("emoji")
    assert read == ["emoji"]


@pytest.mark.parametrize(
    "text",
    ["", "plain", "caf\u00e9", "a\U0001f4f0b", "x\ud800y", "\ud83d\udcf0", "\U0001d401" * 3],
)
def test_utf16_offsets_are_javascript_string_indices(text: str) -> None:
    """Each code point offset maps to the index JavaScript gives that place of the string (lone
    surrogates one unit each, as in a JavaScript string)."""
    convert = utf16_offsets(text)
    units = [len(char.encode("utf-16-le", "surrogatepass")) // 2 for char in text]
    assert [convert(k) for k in range(len(text) + 1)] == [
        sum(units[:k]) for k in range(len(text) + 1)
    ]
