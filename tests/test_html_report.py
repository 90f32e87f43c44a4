"""The HTML report in a real browser: headless Chromium driven by playwright.

The page opens from a file:// URL with no console error and no request but its own file; shows
the demo's passages, edits and typed mutations; draws the lineage graph; filters, searches and
pages; and a corpus of hostile text runs nothing and is shown as text.

Chromium is the Debian package (/usr/bin/chromium, or $WIRETRACE_CHROMIUM); playwright's own
browser download is not used. Without them these tests skip, saying how to install them; with
CI=true they fail instead.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import hostile
import wiretrace
from wiretrace import Document, Pair, Passage, Report

CHROMIUM = Path(os.environ.get("WIRETRACE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOW_TO = (
    "the HTML report tests need Chromium and playwright: `apt-get install -y chromium` and "
    "`pip install -e '.[test]'` (playwright drives /usr/bin/chromium; `playwright install` is "
    "not needed)"
)
IN_CI = os.environ.get("CI") == "true"

# The demo corpus's lineage (src/wiretrace/demo/README.md): parent -> child.
DEMO_EDGES = {
    ("wire-ndx-0412", "hpost-1187"),
    ("wire-ndx-0412", "evestar-0931"),
    ("wire-ndx-0412", "svcourier-2210"),
    ("wire-ndx-0412", "observer-3316"),
    ("wire-ndx-0412", "quill-0226"),
    ("wire-ndx-0412", "wire-ndx-0412u1"),
    ("wire-ndx-0412u1", "sradio-0415"),
    ("wire-ndx-0412u1", "talkline-9048"),
    ("svcourier-2210", "ledger-5540"),
    ("svcourier-2210", "kestrel-7702"),
}


def css_string(value: str) -> str:
    """`value` as a quoted CSS string, for attribute selectors."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expect(locator: Any) -> Any:
    """playwright's waiting assertions (imported here: playwright may be missing)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI, where the browser tests must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A context (a fresh profile) of headless Chromium for this module's tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable(f"playwright is not installed; {HOW_TO}")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing; {HOW_TO}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = launched.new_context(viewport={"width": 1280, "height": 900})
        yield context
        context.close()
        launched.close()


@attrs.define
class Opened:
    """A report open in a browser tab, with what the tab did."""

    page: Any
    url: str
    console: list[tuple[str, str]] = attrs.Factory(list)
    errors: list[str] = attrs.Factory(list)
    requests: list[str] = attrs.Factory(list)
    dialogs: list[str] = attrs.Factory(list)

    def visible(self, selector: str, attribute: str) -> list[str]:
        """The attribute of every element matching `selector` that is on the page now."""
        return self.page.eval_on_selector_all(
            selector, f"nodes => nodes.map(node => node.getAttribute({json.dumps(attribute)}))"
        )

    def pair(self, source: str, target: str) -> Any:
        return self.page.locator(
            f"details.pair[data-source={css_string(source)}][data-target={css_string(target)}]"
        )

    def node_xs(self) -> dict[str, float]:
        """The x position of each lineage graph node, by document id."""
        return dict(
            self.page.eval_on_selector_all(
                "svg.lineage g.node",
                "nodes => nodes.map(node => [node.getAttribute('data-doc'),"
                " Number(node.querySelector('circle').getAttribute('cx'))])",
            )
        )

    def open_pair(self, source: str, target: str) -> Any:
        pair = self.pair(source, target)
        pair.locator("summary").click()
        pair.locator("table.sbs").wait_for()
        return pair

    def set_range(self, selector: str, value: str) -> None:
        self.page.eval_on_selector(
            selector,
            "(node, value) => { node.value = value;"
            " node.dispatchEvent(new Event('input', {bubbles: true})); }",
            value,
        )


def open_report(browser: Any, path: Path) -> Iterator[Opened]:
    page = browser.new_page()
    opened = Opened(page=page, url=path.as_uri())

    def route(route: Any) -> None:
        opened.requests.append(route.request.url)
        if route.request.url == opened.url:
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: opened.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: opened.errors.append(str(error)))

    def dialog(dialog: Any) -> None:
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dialog)
    page.goto(opened.url)
    page.wait_for_selector("html[data-ready]")
    yield opened
    page.close()


@pytest.fixture(scope="module")
def demo_report() -> Report:
    """The report on the bundled demo corpus."""
    return wiretrace.find_reuse_in([str(wiretrace.demo_corpus_path())], jobs=1)


@pytest.fixture(scope="module")
def demo_file(demo_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo report written as an HTML file."""
    path = tmp_path_factory.mktemp("html") / "demo.html"
    path.write_text(wiretrace.render_html(demo_report), encoding="utf-8")
    return path


@pytest.fixture
def demo(browser: Any, demo_file: Path) -> Iterator[Opened]:
    """The demo report open in a fresh tab."""
    yield from open_report(browser, demo_file)


@pytest.fixture(scope="module")
def hostile_report() -> Report:
    """The report on the hostile corpus."""
    return hostile.hostile_report()


@pytest.fixture(scope="module")
def hostile_file(hostile_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile corpus's report written as an HTML file."""
    path = tmp_path_factory.mktemp("html") / "hostile.html"
    path.write_text(wiretrace.render_html(hostile_report), encoding="utf-8")
    return path


@pytest.fixture
def attacked(browser: Any, hostile_file: Path) -> Iterator[Opened]:
    """The hostile corpus's report open in a fresh tab."""
    yield from open_report(browser, hostile_file)


# Opening


def test_report_opens_from_a_file_with_no_error_and_no_request(demo: Opened) -> None:
    """The page loads from file://, logs nothing, and requests nothing but itself."""
    assert demo.page.title() == "wiretrace report"
    assert demo.console == []
    assert demo.errors == []
    assert demo.requests == [demo.url]
    assert demo.page.locator("#f-count").text_content() == (
        "Showing 13 of 13 documents, 55 of 55 pairs, 1 of 1 cluster"
    )


def test_footer_shows_the_file_size(demo: Opened, demo_file: Path) -> None:
    """The footer states the file's size in bytes."""
    size = demo.page.locator("#file-size").text_content()
    assert size.startswith(f"{demo_file.stat().st_size:,} bytes")


def test_opening_every_pair_logs_no_error(demo: Opened) -> None:
    """Rendering all 55 side-by-side views raises no error and fetches nothing."""
    demo.page.evaluate(
        "() => document.querySelectorAll('details.pair').forEach(d => { d.open = true; })"
    )
    expect(demo.page.locator("details.pair[open] table.sbs")).to_have_count(50)
    assert demo.console == []
    assert demo.errors == []
    assert demo.requests == [demo.url]


# Passages, edits and mutations


def test_pair_shows_its_passages_side_by_side(demo: Opened, demo_report: Report) -> None:
    """wire -> Courier shows each passage as a row: source text left, target text right."""
    pair = demo.open_pair("wire-ndx-0412", "svcourier-2210")
    (expected,) = [
        p for p in demo_report.pairs if (p.source, p.target) == ("wire-ndx-0412", "svcourier-2210")
    ]
    assert pair.locator("tr.passage-head").count() == len(expected.passages)
    heads = pair.locator("tr.passage-head").all_text_contents()
    assert heads[0].startswith("Passage 1: source 0–1604, target 0–1604 · similarity 1.00")
    first_row = pair.locator("table.sbs tbody tr:not(.passage-head)").first
    assert first_row.locator("td.src").text_content().startswith("HALVERGATE, Osterand, March 14")
    assert first_row.locator("td.tgt").text_content().startswith("HALVERGATE, Osterand, March 14")


def test_number_mutation_is_highlighted_with_its_type(demo: Opened) -> None:
    """The Courier's "42" -> "24" is marked as a number change on both sides, tagged NUM."""
    pair = demo.open_pair("wire-ndx-0412", "svcourier-2210")
    source = pair.locator("td.src .mut-number")
    target = pair.locator("td.tgt .mut-number")
    assert source.all_text_contents() == ["42"]
    assert target.all_text_contents() == ["24"]
    assert target.first.get_attribute("data-tag") == "NUM"
    assert "ed-tgt" in (target.first.get_attribute("class") or "")


def test_added_sentence_is_highlighted_between_passages(demo: Opened) -> None:
    """The Courier's added sentence shows in the target's text between passages, tagged +SENT."""
    pair = demo.open_pair("wire-ndx-0412", "svcourier-2210")
    added = pair.locator("tr.gap-row td .mut-sentence_added").all_text_contents()
    assert any(text.strip().startswith("A city engineer who asked not to") for text in added)


def test_hedges_are_highlighted(demo: Opened) -> None:
    """Talkline24's added "reportedly" is marked as a hedge in its side-by-side view."""
    pair = demo.open_pair("wire-ndx-0412u1", "talkline-9048")
    hedges = [text.strip() for text in pair.locator("td.tgt .mut-hedge").all_text_contents()]
    assert "reportedly" in hedges
    assert "allegedly" in hedges
    assert pair.locator("td.src .mut-hedge").count() == 0


def test_every_edit_is_marked(demo: Opened, demo_report: Report) -> None:
    """Each replaced or deleted source span and each inserted target span is highlighted."""
    pair = demo.open_pair("svcourier-2210", "ledger-5540")
    (expected,) = [
        p for p in demo_report.pairs if (p.source, p.target) == ("svcourier-2210", "ledger-5540")
    ]
    edits = [edit for passage in expected.passages for edit in passage.edits]
    marked_source = "".join(pair.locator("td.src .ed-src").all_text_contents())
    marked_target = "".join(pair.locator("td.tgt .ed-tgt").all_text_contents())
    assert marked_source == "".join(edit.source_text for edit in edits)
    assert marked_target == "".join(edit.target_text for edit in edits)


def test_legend_lists_every_mutation_type(demo: Opened) -> None:
    """The legend shows each mutation type with its tag."""
    tags = demo.visible(".legend .mut", "data-tag")
    assert tags == ["NUM", "NAME", "QUOTE", "ATTR", "HEDGE", "SUB", "INS", "DEL", "+SENT", "-SENT"]


def test_hop_list_shows_the_number_change(demo: Opened) -> None:
    """The cluster's hop list shows wire -> Courier's number mutation as "42" -> "24"."""
    hop = demo.page.locator(
        'li.edge-item[data-parent="wire-ndx-0412"][data-child="svcourier-2210"]'
    )
    number = hop.locator('ul.mutations li[data-type="number"]')
    assert number.locator(".was").text_content() == "42"
    assert number.locator(".now").text_content() == "24"


def test_side_by_side_button_opens_the_pair(demo: Opened) -> None:
    """A hop's "side by side" button opens that pair's view and scrolls to it."""
    hop = demo.page.locator('li.edge-item[data-parent="svcourier-2210"][data-child="kestrel-7702"]')
    hop.locator("button", has_text="side by side").first.click()
    pair = demo.pair("svcourier-2210", "kestrel-7702")
    assert pair.get_attribute("open") is not None
    assert pair.locator("td.tgt .mut-quote").count() >= 3
    assert pair.is_visible()


# Lineage graph


def test_lineage_graph_has_the_demo_nodes_and_edges(demo: Opened, demo_report: Report) -> None:
    """The SVG graph has a node per cluster document and an edge per lineage hop."""
    (cluster,) = demo_report.clusters
    assert set(demo.visible("svg.lineage g.node", "data-doc")) == set(cluster.documents)
    parents = demo.visible("svg.lineage g.edge", "data-parent")
    children = demo.visible("svg.lineage g.edge", "data-child")
    assert set(zip(parents, children, strict=True)) == DEMO_EDGES
    assert demo.visible("svg.lineage g.node.root", "data-doc") == ["wire-ndx-0412"]


def test_lineage_edges_are_labelled_with_mutation_types(demo: Opened) -> None:
    """Each edge's label counts its mutation types: the Courier's hop has NUM 1."""
    edge = demo.page.locator('svg.lineage g.edge[data-child="svcourier-2210"]')
    label = edge.locator("text.edge-label").text_content()
    assert "NUM 1" in label
    assert "+SENT 1" in label
    talkline = demo.page.locator('svg.lineage g.edge[data-child="talkline-9048"] text.edge-label')
    assert "HEDGE 4" in talkline.text_content()


def test_lineage_nodes_follow_publication_time(demo: Opened) -> None:
    """Later documents are further right: the wire left of its update, the update of Talkline."""

    x = demo.node_xs()
    assert x["hpost-1187"] < x["wire-ndx-0412"] < x["wire-ndx-0412u1"] < x["talkline-9048"]


def test_undated_documents_are_in_their_own_lane(attacked: Opened) -> None:
    """A document without a date sits in the undated lane, right of every dated one."""
    assert attacked.page.locator("svg.lineage .lane-label").text_content() == "undated"
    xs = attacked.node_xs()
    undated = xs.pop("copy-of-copy\u2028")
    assert len(xs) == 2
    assert all(undated > other for other in xs.values())


# Filters, search, paging


def test_outlet_filter_shows_only_that_outlet(demo: Opened) -> None:
    """Choosing Talkline24 leaves its document and only pairs that involve it."""
    demo.page.select_option("#f-outlet", label="Talkline24")
    assert demo.visible("#document-list article.item", "data-doc") == ["talkline-9048"]
    sources = demo.visible("details.pair", "data-source")
    targets = demo.visible("details.pair", "data-target")
    assert sources
    assert all("talkline-9048" in pair for pair in zip(sources, targets, strict=True))
    assert demo.page.locator("#f-count").text_content().startswith("Showing 1 of 13 documents")
    dimmed = demo.visible("svg.lineage g.node.dim", "data-doc")
    assert "talkline-9048" not in dimmed and len(dimmed) == 10


def test_min_similarity_slider_hides_weaker_pairs(demo: Opened, demo_report: Report) -> None:
    """At 0.90 only pairs with similarity >= 0.90 stay."""
    demo.set_range("#f-sim", "0.9")
    expected = sum(1 for pair in demo_report.pairs if round(pair.similarity, 4) >= 0.9)
    shown = demo.page.locator("details.pair .sim").all_text_contents()
    assert 0 < len(shown) == expected < 55
    assert all(float(text.split()[-1]) >= 0.9 for text in shown)
    assert demo.page.locator("#f-sim-value").text_content() == "0.90"


def test_date_filter_keeps_documents_of_those_days(demo: Opened) -> None:
    """From 2026-03-15 on: only the documents published on 15 and 16 March."""
    demo.page.fill("#f-from", "2026-03-15")
    demo.page.dispatch_event("#f-from", "change")
    assert demo.visible("#document-list article.item", "data-doc") == [
        "kestrel-7702",
        "quill-0226",
        "tribune-4471",
    ]


def test_search_finds_the_hedged_copy(demo: Opened) -> None:
    """Searching "reportedly" leaves Talkline24 and the pairs whose text has the word."""
    demo.page.fill("#f-search", "reportedly")
    expect(demo.page.locator("#document-list article.item")).to_have_count(1)
    assert demo.visible("#document-list article.item", "data-doc") == ["talkline-9048"]
    sources = demo.visible("details.pair", "data-source")
    targets = demo.visible("details.pair", "data-target")
    assert sources
    assert all("talkline-9048" in pair for pair in zip(sources, targets, strict=True))


def test_reset_shows_everything_again(demo: Opened) -> None:
    """Reset clears outlet, slider and search."""
    demo.page.select_option("#f-outlet", label="Talkline24")
    demo.set_range("#f-sim", "0.5")
    demo.page.click("#f-reset")
    expect(demo.page.locator("#f-count")).to_contain_text("Showing 13 of 13 documents")
    assert demo.page.locator("details.pair").count() == 50


def test_pairs_are_paged_fifty_at_a_time(browser: Any, tmp_path: Path) -> None:
    """A report with 120 pairs shows 50 pair views a page, and Next turns the page."""
    text = " ".join(f"word{k}" for k in range(20))
    documents = [Document(id=f"d{k}", text=text, outlet=f"Outlet {k % 3}") for k in range(121)]
    passage = Passage(0, len(text), 0, len(text), 1.0, 20, 20, 20)
    pairs = [Pair("d0", f"d{k}", "unknown", 1.0, 1.0, 1.0, (passage,)) for k in range(1, 121)]
    path = tmp_path / "large.html"
    path.write_text(wiretrace.render_html(Report(documents, pairs)), encoding="utf-8")
    for opened in open_report(browser, path):
        pair_list = opened.page.locator("#pair-list")
        assert pair_list.locator("details.pair").count() == 50
        assert pair_list.locator(".page-label").first.text_content() == "Page 1 of 3 (1–50 of 120)"
        pair_list.locator("button", has_text="Next").first.click()
        assert pair_list.locator("details.pair").first.get_attribute("data-target") == "d51"
        assert opened.page.locator("#document-list article.item").count() == 50
        assert opened.errors == []


def test_boilerplate_is_greyed_in_pairs_and_listed_in_documents(
    browser: Any, tmp_path: Path
) -> None:
    """An outlet's newsletter blurb inside a copied wire story is greyed, with a title saying it
    is boilerplate, and each document of the outlet lists it."""
    rng = random.Random(2)
    vocabulary = ["".join(rng.choices("abcdefghijklmnoprstuvwy", k=7)) for _ in range(4000)]

    def article(count: int) -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(count)) + "."

    blurb = "Sign up for the Daily Example newsletter and get the morning briefing in your inbox"
    first, second = article(70), article(70)
    documents = [Document("wire", f"{first} {second}", outlet="Wire", published="2026-03-14")]
    documents += [
        Document(
            f"daily-{k}",
            f"{first}\n\n{blurb}.\n\n{second}" if k == 0 else f"{article(80)}\n\n{blurb}.",
            outlet="Daily Example",
            published="2026-03-15",
        )
        for k in range(3)
    ]
    report = wiretrace.find_reuse(documents, jobs=1, boilerplate_docs=3)
    assert [span.document for span in report.boilerplate] == ["daily-0", "daily-1", "daily-2"]
    path = tmp_path / "boilerplate.html"
    path.write_text(wiretrace.render_html(report), encoding="utf-8")
    for opened in open_report(browser, path):
        pair = opened.open_pair("wire", "daily-0")
        greyed = pair.locator("tr.gap-row td:nth-child(2) .bp")
        assert "".join(greyed.all_text_contents()) == blurb
        assert "boilerplate" in (greyed.first.get_attribute("title") or "")
        assert pair.locator(".bp").count() == greyed.count()
        for number in (1, 2, 3):
            listed = opened.page.locator(f"#doc-{number} details.boilerplate")
            assert listed.locator("summary").text_content().startswith("Boilerplate: 1 span ")
            assert listed.locator(".bp").text_content() == blurb
        assert opened.page.locator("#doc-0 details.boilerplate").count() == 0
        assert opened.errors == []
        assert opened.console == []


# Hostile input


def test_hostile_report_runs_nothing(attacked: Opened) -> None:
    """No payload runs: the flag stays unset, no dialog opens, no error or request happens."""
    for summary in attacked.page.locator("details.pair > summary").all():
        summary.click()
    attacked.page.locator("svg.lineage g.node").first.click()
    assert attacked.page.evaluate(f"typeof window.{hostile.FLAG}") == "undefined"
    assert attacked.dialogs == []
    assert attacked.errors == []
    assert attacked.console == []
    assert attacked.requests == [attacked.url]


def test_hostile_report_makes_no_elements(attacked: Opened) -> None:
    """The payloads make no img, iframe or extra script, and no element has an on* handler."""
    for summary in attacked.page.locator("details.pair > summary").all():
        summary.click()
    counts = attacked.page.evaluate(
        """() => ({
            img: document.querySelectorAll('img').length,
            iframe: document.querySelectorAll('iframe').length,
            script: document.querySelectorAll('script').length,
            handlers: [...document.querySelectorAll('*')].filter(
                node => [...node.attributes].some(a => a.name.startsWith('on'))).length,
        })"""
    )
    assert counts == {"img": 0, "iframe": 0, "script": 2, "handlers": 0}


def test_hostile_text_is_shown_literally(attacked: Opened, hostile_report: Report) -> None:
    """Ids, titles and article text with markup are shown as the characters they are."""
    attacked.open_pair(hostile_report.pairs[1].source, hostile_report.pairs[1].target)
    body = attacked.page.locator("body").inner_text()
    assert hostile.HOSTILE_ID in body
    assert hostile.HOSTILE_OUTLET in body
    assert hostile.SCRIPT_TAG in body
    assert hostile.IMG_ONERROR in body
    assert hostile.CLOSE_SCRIPT in body


def test_only_http_urls_are_links(attacked: Opened) -> None:
    """The javascript: and data: URLs are shown as text; the https URL is a safe link."""
    hrefs = [href for href in attacked.visible("a[href]", "href") if not href.startswith("#")]
    assert hrefs == [hostile.QUOTE_URL]
    link = attacked.page.locator("a[target=_blank]")
    assert link.get_attribute("rel") == "noopener noreferrer"
    body = attacked.page.locator("#document-list").inner_text()
    assert hostile.JAVASCRIPT_URL in body
    assert hostile.DATA_URL in body


def test_astral_characters_keep_highlights_in_place(
    attacked: Opened, hostile_report: Report
) -> None:
    """After emoji and math letters (two UTF-16 units each) the number change still marks 24."""
    (pair,) = [p for p in hostile_report.pairs if p.source == hostile.HOSTILE_ID]
    opened = attacked.open_pair(pair.source, pair.target)
    assert opened.locator("td.tgt .mut-number").all_text_contents() == ["24"]
    assert opened.locator("td.src .mut-number").all_text_contents() == ["42"]
    assert opened.locator("td.src").first.text_content().startswith(hostile.ASTRAL.split()[1])
