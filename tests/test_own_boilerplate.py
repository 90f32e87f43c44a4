"""An outlet's own boilerplate (`own_boilerplate_docs`): text only one outlet carries, in a few
of its documents (a site's footer or paywall notice in a crawl holding a few of its pages), is
its boilerplate too, below `boilerplate_docs`; text other outlets carry as well is not."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import wiretrace
from shared_data import needed, shared_data
from strategies import _build_vocabulary
from test_boilerplate import BLURB, READ_MORE, blurb_corpus
from wiretrace import ConfigError, Document
from wiretrace.boilerplate import find_boilerplate, find_own_boilerplate, salted
from wiretrace.cli import cli

VOCABULARY = _build_vocabulary()
TGCONTEST = shared_data() / "news" / "tgcontest" / "articles.jsonl.gz"


def _own_plain(
    per_document: list[np.ndarray], outlets: list[str | None], least: int, own: int
) -> np.ndarray:
    """`find_own_boilerplate` counted the obvious way, shingle by shingle."""
    by_outlet: Counter[tuple[int, str]] = Counter()
    everywhere: Counter[int] = Counter()
    for values, outlet in zip(per_document, outlets, strict=True):
        for value in {int(v) for v in values}:
            # Outlets are told apart as the salt tells them: case folded, None as "".
            by_outlet[value, (outlet or "").casefold()] += 1
            everywhere[value] += 1
    chosen = set()
    for (value, outlet), count in by_outlet.items():
        if count >= least or (
            own and outlet and count >= own and count * 10 >= 9 * everywhere[value]
        ):
            chosen.add(int(salted(np.array([value], dtype=np.uint64), outlet or None)[0]))
    return np.array(sorted(chosen), dtype=np.uint64)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 40), max_size=25),
            st.sampled_from(["Post", "post", "Wire", "Echo", None]),
        ),
        max_size=40,
    ),
    st.integers(2, 6),
    st.sampled_from([0, 2, 3, 5]),
)
def test_own_boilerplate_is_the_plain_count(
    documents: list[tuple[list[int], str | None]], least: int, own: int
) -> None:
    """The salted boilerplate hashes are those a plain count per outlet and in all gives."""
    mixed = [
        np.array(values, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) for values, _ in documents
    ]
    outlets = [outlet for _, outlet in documents]
    found = find_own_boilerplate(mixed, outlets, least, own)
    assert np.array_equal(found, _own_plain(mixed, outlets, least, own))
    if own == 0:
        expected = find_boilerplate(
            [salted(v, o) for v, o in zip(mixed, outlets, strict=True)], least
        )
        assert np.array_equal(found, expected)


def test_a_footer_only_its_outlet_carries_is_its_boilerplate() -> None:
    """Four articles of one outlet share a newsletter blurb and a footer, below boilerplate_docs
    (20): without `own_boilerplate_docs` they are paired on them; with it at 3 the two are
    listed as boilerplate and only the wire story's re-run is a pair."""
    plain = wiretrace.find_reuse(blurb_corpus(), jobs=1)
    daily = {f"daily-{k}" for k in range(4)}
    assert [p for p in plain.pairs if {p.source, p.target} <= daily]
    assert plain.boilerplate == ()
    report = wiretrace.find_reuse(blurb_corpus(), jobs=1, own_boilerplate_docs=3)
    (pair,) = report.pairs
    assert {pair.source, pair.target} == {"wire", "daily-2"}
    assert Counter(span.text for span in report.boilerplate) == {BLURB: 4, READ_MORE: 4}
    # The same spans as boilerplate_docs at 3 lists.
    assert (
        report.boilerplate
        == wiretrace.find_reuse(blurb_corpus(), jobs=1, boilerplate_docs=3).boilerplate
    )


def _words(seed: int, count: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(count))


STORY = _words(1, 90) + "."


def _carriers(own_outlet: int, others: int) -> list[Document]:
    """A story carried by `own_outlet` articles of The Daily Example and `others` of other
    outlets, each around text of its own."""
    docs = [
        Document(
            f"daily-{k}",
            f"{_words(10 + k, 60)}. {STORY} {_words(40 + k, 60)}.",
            outlet="The Daily Example",
        )
        for k in range(own_outlet)
    ]
    docs += [
        Document(f"other-{k}", f"{_words(70 + k, 60)}. {STORY}", outlet=f"Other {k}")
        for k in range(others)
    ]
    return docs


@pytest.mark.parametrize(
    ("own_outlet", "others", "masked"),
    [(3, 1, False), (8, 1, False), (9, 1, True), (3, 0, True)],
)
def test_text_others_carry_too_is_not_an_outlets_own(
    own_outlet: int, others: int, masked: bool
) -> None:
    """A story one outlet ran in several articles is its own boilerplate only where nine in ten
    of the articles holding it are that outlet's: 3 of 4 and 8 of 9 are not (the story stays
    reuse, with the other outlet too), 9 of 10 and 3 of 3 are."""
    docs = _carriers(own_outlet, others)
    report = wiretrace.find_reuse(docs, jobs=1, own_boilerplate_docs=3)
    listed = {span.document for span in report.boilerplate if STORY[:40] in span.text}
    if masked:
        assert listed == {doc.id for doc in docs if doc.outlet == "The Daily Example"}
        assert not [
            p for p in report.pairs if p.source.startswith("daily") and p.target.startswith("daily")
        ]
    else:
        assert listed == set()
        assert report.pairs == wiretrace.find_reuse(docs, jobs=1).pairs
        assert any("other-0" in (p.source, p.target) for p in report.pairs)


def test_documents_of_no_known_outlet_have_no_own_boilerplate() -> None:
    """Articles without an outlet are not one outlet: three sharing a story stay reuse."""
    docs = [Document(doc.id, doc.text) for doc in _carriers(3, 0)]
    report = wiretrace.find_reuse(docs, jobs=1, own_boilerplate_docs=2)
    assert report.boilerplate == ()
    assert len(report.pairs) == 3
    assert report.pairs == wiretrace.find_reuse(docs, jobs=1).pairs


def test_a_threshold_above_every_outlet_changes_nothing() -> None:
    """Turned on at more documents than any outlet has, the report is the one without it."""
    for docs in (blurb_corpus(), _carriers(9, 1)):
        off = wiretrace.find_reuse(docs, jobs=1, boilerplate_docs=3)
        on = wiretrace.find_reuse(docs, jobs=1, boilerplate_docs=3, own_boilerplate_docs=50)
        assert (on.pairs, on.boilerplate, on.clusters) == (off.pairs, off.boilerplate, off.clusters)


@pytest.mark.parametrize("value", [1, -1, True, 2.5])
def test_own_boilerplate_docs_is_zero_or_at_least_two(value: object) -> None:
    """1 would make all of an outlet's own text boilerplate; the others are not counts."""
    with pytest.raises(ConfigError, match="own_boilerplate_docs"):
        wiretrace.Settings(own_boilerplate_docs=value)


def test_an_index_made_with_it_records_it(tmp_path: Path) -> None:
    """A new index made with the setting counts shingles' holders in all (its metadata says
    so); one made without refuses it later, before touching its file."""
    with_totals, without = tmp_path / "with.db", tmp_path / "without.db"
    with wiretrace.Index.open(with_totals, own_boilerplate_docs=3) as index:
        assert index.stats()["settings"]["own_boilerplate"] is True
    with wiretrace.Index.open(without, own_boilerplate_docs=0) as index:
        assert index.stats()["settings"]["own_boilerplate"] is False
    # On by default: a new index made with the defaults counts them.
    with wiretrace.Index.open(tmp_path / "default.db") as index:
        assert index.stats()["settings"]["own_boilerplate"] is True
    before = without.read_bytes()
    with pytest.raises(ConfigError, match="own_boilerplate_docs=3, but the index was made"):
        wiretrace.Index.open(without, own_boilerplate_docs=3)
    assert without.read_bytes() == before


def _blurb_jsonl(path: Path) -> Path:
    """`blurb_corpus` written as JSONL records at `path`."""
    path.write_text(
        "".join(
            json.dumps({"id": d.id, "text": d.text, "outlet": d.outlet}) + "\n"
            for d in blurb_corpus()
        ),
        encoding="utf-8",
    )
    return path


def test_report_takes_own_boilerplate_docs(tmp_path: Path) -> None:
    """`wiretrace report --own-boilerplate-docs 3` drops the pairs of the outlet's footer; 1 is
    refused with the setting's message and no traceback."""
    path = _blurb_jsonl(tmp_path / "daily.jsonl")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["report", str(path), "--format", "json", "-j", "1", "--own-boilerplate-docs", "3"]
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [(p["source"], p["target"]) for p in found["pairs"]] in (
        [("wire", "daily-2")],
        [("daily-2", "wire")],
    )
    assert found["settings"]["own_boilerplate_docs"] == 3
    refused = runner.invoke(cli, ["report", str(path), "--own-boilerplate-docs", "1"])
    assert refused.exit_code != 0
    assert "own_boilerplate_docs must be 0 (off) or >= 2" in refused.output
    assert "Traceback" not in refused.output


def test_trace_on_an_index_made_without_it_says_so(tmp_path: Path) -> None:
    """An index made with `--own-boilerplate-docs 0` (or by a wiretrace from before the setting
    was on by default) traces without it, and `trace` says so on stderr, with what to do; asked
    for the setting, it is refused with a message and no traceback."""
    inputs = _blurb_jsonl(tmp_path / "docs.jsonl")
    article = tmp_path / "new.txt"
    article.write_text(blurb_corpus()[3].text, encoding="utf-8")
    index = str(tmp_path / "old.db")
    runner = CliRunner()
    made = runner.invoke(
        cli, ["index", "add", index, str(inputs), "-j", "1"] + ["--own-boilerplate-docs", "0"]
    )
    assert made.exit_code == 0, made.output
    assert "Note:" not in made.stderr  # (asked for: no note)
    again = runner.invoke(cli, ["index", "add", index, str(article), "-j", "1"])
    assert again.exit_code == 0, again.output
    assert "was made without counting each shingle's holders in all" in again.stderr
    traced = runner.invoke(cli, ["trace", "--index", index, str(article), "--format", "json"])
    assert traced.exit_code == 0, traced.output
    assert "was made without counting each shingle's holders in all" in traced.stderr
    assert "wiretrace index add" in traced.stderr
    assert json.loads(traced.stdout)["settings"]["own_boilerplate_docs"] == 0
    asked = runner.invoke(
        cli, ["trace", "--index", index, str(article), "--own-boilerplate-docs", "5"]
    )
    assert asked.exit_code != 0
    assert "but the index was made without it" in asked.stderr
    assert "Traceback" not in asked.output
    # Made with the defaults, it says nothing.
    fresh = str(tmp_path / "new.db")
    assert runner.invoke(cli, ["index", "add", fresh, str(inputs), "-j", "1"]).exit_code == 0
    quiet = runner.invoke(cli, ["trace", "--index", fresh, str(article), "--format", "json"])
    assert quiet.exit_code == 0 and "Note:" not in quiet.stderr


def test_index_add_and_trace_take_own_boilerplate_docs(tmp_path: Path) -> None:
    """`wiretrace index add --own-boilerplate-docs 3` makes an index that traces with it: an
    article of the outlet sharing only its footer has no sources with the setting, and the
    outlet's articles without it."""

    def jsonl(path: Path, docs: list[Document]) -> str:
        path.write_text(
            "".join(
                json.dumps({"id": d.id, "text": d.text, "outlet": d.outlet}) + "\n" for d in docs
            ),
            encoding="utf-8",
        )
        return str(path)

    docs = [d for d in blurb_corpus() if d.id != "daily-3"]
    article = next(d for d in blurb_corpus() if d.id == "daily-3")
    inputs, wanted = jsonl(tmp_path / "docs.jsonl", docs), jsonl(tmp_path / "new.jsonl", [article])
    index = str(tmp_path / "index.db")
    runner = CliRunner()
    made = runner.invoke(
        cli, ["index", "add", index, inputs, "-j", "1", "--own-boilerplate-docs", "3"]
    )
    assert made.exit_code == 0, made.output
    traced = {}
    for own in ("3", "0"):
        result = runner.invoke(
            cli,
            ["trace", "--index", index, wanted, "--format", "json", "--own-boilerplate-docs", own],
        )
        assert result.exit_code == 0, result.output
        traced[own] = {p["source"] for p in json.loads(result.stdout)["pairs"]}
    assert traced["3"] == set()
    assert traced["0"] == {"daily-0", "daily-1", "daily-2"}


@pytest.mark.slow
def test_sites_footers_in_a_crawl_are_boilerplate() -> None:
    """The Telegram contest's 8,255 articles of 915 sites (a median of 3 each): without it, most
    pairs are one site's pages sharing a footer, a paywall notice or a menu; with
    `own_boilerplate_docs` at 5, fewer than half of those same-site pairs are left, and every
    pair of two sites with similarity 0.5 or more is still found. The same pairs with one job
    and with two."""
    needed(TGCONTEST)
    with gzip.open(TGCONTEST, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    documents = [
        Document(
            str(r["id"]), r["text"], outlet=r.get("site_name"), published=r.get("published_time")
        )
        for r in records
        if (r.get("text") or "").strip()
    ]
    outlet = {doc.id: doc.outlet for doc in documents}

    def same_site(pair: wiretrace.Pair) -> bool:
        return outlet[pair.source] == outlet[pair.target]

    before = wiretrace.find_reuse(documents, jobs=2, own_boilerplate_docs=0)
    after = wiretrace.find_reuse(documents, jobs=2)
    assert after.settings.own_boilerplate_docs == 5
    same_before = [p for p in before.pairs if same_site(p)]
    same_after = [p for p in after.pairs if same_site(p)]
    assert len(same_before) > len(before.pairs) / 2
    assert len(same_after) < len(same_before) / 2
    kept = {frozenset((p.source, p.target)) for p in after.pairs}
    close = [p for p in before.pairs if not same_site(p) and p.similarity >= 0.5]
    assert len(close) >= 50
    assert all(frozenset((p.source, p.target)) in kept for p in close)
    one_job = wiretrace.find_reuse(documents[:3000], jobs=1, own_boilerplate_docs=5)
    two_jobs = wiretrace.find_reuse(documents[:3000], jobs=2, own_boilerplate_docs=5)
    assert (one_job.pairs, one_job.boilerplate) == (two_jobs.pairs, two_jobs.boilerplate)


def _resends(count: int) -> list[Document]:
    """One outlet's feed: a story sent `count` times (each sending with a line of its own, as an
    update), and as many other articles with a footer only the outlet carries."""
    footer = (
        "Sign up for The Daily Example's morning briefing and never miss a story again. Our "
        "reporters cover the city, the courts and the council every day of the week for you."
    )
    docs = [
        Document(
            f"sent-{k}",
            f"{STORY} {_words(200 + k, 12)}.\n\n{footer}",
            outlet="The Daily Example",
        )
        for k in range(count)
    ]
    docs += [
        Document(f"page-{k}", f"{_words(300 + k, 120)}.\n\n{footer}", outlet="The Daily Example")
        for k in range(count)
    ]
    return docs


def test_a_story_sent_again_is_not_boilerplate_a_footer_is() -> None:
    """A story one outlet sent five times is nearly all of each sending: with
    `own_boilerplate_cover` (0.5 by default) it stays reuse between the sendings, while the
    footer on the outlet's other pages is still its boilerplate (those pages make no pair). At
    1.0 (no exception) the sendings are masked whole, as before the setting."""
    docs = _resends(5)
    sent = {doc.id for doc in docs if doc.id.startswith("sent")}
    plain = wiretrace.find_reuse(docs, jobs=1, own_boilerplate_docs=0)
    # Without the setting, the outlet's pages are paired on the footer alone.
    assert [p for p in plain.pairs if p.source.startswith("page") and p.target.startswith("page")]
    report = wiretrace.find_reuse(docs, jobs=1, own_boilerplate_docs=3)
    assert {frozenset((p.source, p.target)) for p in report.pairs} == {
        frozenset((a, b)) for a in sent for b in sent if a < b
    }
    # The sendings' pairs are the story itself, as without the setting.
    by_pair = {frozenset((p.source, p.target)): p for p in plain.pairs}
    for pair in report.pairs:
        assert pair.passages == by_pair[frozenset((pair.source, pair.target))].passages
    listed = {span.document for span in report.boilerplate}
    assert listed == {doc.id for doc in docs if doc.id.startswith("page")}
    strict = wiretrace.find_reuse(docs, jobs=1, own_boilerplate_docs=3, own_boilerplate_cover=1.0)
    assert strict.pairs == ()
    assert {span.document for span in strict.boilerplate} == {doc.id for doc in docs}


def test_the_cover_rule_is_the_same_with_any_jobs() -> None:
    """Two worker processes give the one-process report with the cover rule."""
    docs = _resends(6) + blurb_corpus()
    one = wiretrace.find_reuse(docs, jobs=1, own_boilerplate_docs=3)
    two = wiretrace.find_reuse(docs, jobs=2, own_boilerplate_docs=3, spill_partitions=4)
    assert (one.pairs, one.boilerplate) == (two.pairs, two.boilerplate)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.integers(0, 12), max_size=40), st.sampled_from(["a", "b", None])),
        min_size=1,
        max_size=8,
    ),
    st.sets(st.integers(0, 12 * 13 * 13), max_size=60),
    st.sets(st.integers(0, 12 * 13 * 13), max_size=60),
    st.sampled_from([0.1, 0.3, 0.5, 0.9, 1.0]),
)
def test_mask_flat_with_a_fallback_is_the_plain_choice(
    documents: list[tuple[list[int], str | None]],
    held: set[int],
    own: set[int],
    cover: float,
) -> None:
    """`mask_flat` with a fallback set masks each document with the whole set, or, where that
    covers more than `cover` of its words, with the fallback: the same as choosing document by
    document with `boilerplate_mask`."""
    from wiretrace.boilerplate import boilerplate_mask, mask_flat, mask_runs
    from wiretrace.shingle import Tokens, shingle_hashes

    size = 3
    token_ids = [np.array(ids, dtype=np.uint64) + np.uint64(1) for ids, _ in documents]
    outlets = [outlet for _, outlet in documents]
    # The sets hold the salted hashes of shingles of the words 0-12 (as 3 digits base 13).
    universe = {}
    for outlet in ("a", "b", None):
        for value in range(13**3):
            words = np.array(
                [value // 169 + 1, value // 13 % 13 + 1, value % 13 + 1], dtype=np.uint64
            )
            universe[outlet, value] = salted(shingle_hashes(words, size), outlet)[0]
    fallback = np.unique(
        np.array([universe[o, v] for o in ("a", "b", None) for v in held], dtype=np.uint64)
    )
    extra = np.array([universe[o, v] for o in ("a", "b") for v in own], dtype=np.uint64)
    whole = np.union1d(fallback, extra)
    offsets = np.concatenate(([0], np.cumsum([len(ids) for ids in token_ids]))).astype(np.int64)
    ids = np.concatenate([np.zeros(0, dtype=np.uint64), *token_ids])
    _, _, runs, run_offsets = mask_flat(ids, offsets, outlets, whole, size, fallback, cover)
    for k, (values, outlet) in enumerate(zip(token_ids, outlets, strict=True)):
        tokens = Tokens(np.zeros(len(values), np.int64), np.zeros(len(values), np.int64), values)
        hashes = salted(shingle_hashes(values, size), outlet)
        _, words = boilerplate_mask(hashes, whole, tokens, size)
        if words.sum() > cover * len(values):
            _, words = boilerplate_mask(hashes, fallback, tokens, size)
        assert np.array_equal(runs[run_offsets[k] : run_offsets[k + 1]], mask_runs(words))


@pytest.mark.parametrize("cover", [0.5, 1.0])
def test_traces_keep_a_story_sent_again_as_report_does(tmp_path: Path, cover: float) -> None:
    """Traced against an index made with `own_boilerplate_docs`, a fifth sending of a story its
    outlet sent four times finds the four, as `report` pairs them (the cover rule); the
    outlet's page sharing only the footer finds none. At cover 1.0 neither finds any, as
    `report` pairs none of them."""
    docs = _resends(5)
    kept = [d for d in docs if d.id not in ("sent-4", "page-4")]
    options = {"own_boilerplate_docs": 3, "own_boilerplate_cover": cover, "jobs": 1}
    report = wiretrace.find_reuse(docs, **options)

    def partners(doc_id: str) -> set[str]:
        return {
            other
            for p in report.pairs
            for one, other in ((p.source, p.target), (p.target, p.source))
            if one == doc_id and other in {d.id for d in kept}
        }

    with wiretrace.Index.open(tmp_path / "index.db", **options) as index:
        index.add(kept)
        for doc_id in ("sent-4", "page-4"):
            article = next(d for d in docs if d.id == doc_id)
            traced = index.trace(article)
            assert {pair.source for pair in traced.pairs} == partners(doc_id)
    assert partners("sent-4") == ({"sent-0", "sent-1", "sent-2", "sent-3"} if cover < 1 else set())
    assert partners("page-4") == set()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 30), max_size=300),
    st.sets(st.integers(0, 40), max_size=30),
    st.integers(1, 6),
    st.sampled_from([0, 59]),
)
def test_the_counting_kernels_are_the_plain_counts(
    values: list[int], wanted: set[int], least: int, top: int
) -> None:
    """`count_among` counts each wanted value as Counter does, and `frequent_rows` keeps every
    place of every value found `least` times (all places of a value or none), also for values
    sharing their top bits (as a spill partition's do)."""
    from wiretrace import _sketch_kernels

    mix = np.uint64(0x9E3779B97F4A7C15)
    high = np.uint64(top) << np.uint64(59) if top else np.uint64(0)
    array = (np.array(values, dtype=np.uint64) * mix >> np.uint64(5 if top else 0)) | high
    asked = np.unique(
        (np.array(sorted(wanted), dtype=np.uint64) * mix >> np.uint64(5 if top else 0)) | high
    )
    counted = Counter(array.tolist())
    assert _sketch_kernels.count_among(array, asked).tolist() == [
        counted[v] for v in asked.tolist()
    ]
    rows = _sketch_kernels.frequent_rows(array, least)
    assert list(rows) == sorted(rows)
    kept = Counter(array[rows].tolist())
    for value, count in counted.items():
        if count >= least:
            assert kept[value] == count
        else:
            assert kept[value] in (0, count)
