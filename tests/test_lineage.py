"""Lineage: clusters, parents, typed mutations, credit, shared quotes and wire versions."""

from __future__ import annotations

import json
import random
import re
import string
import sys
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import wiretrace
from strategies import _build_vocabulary, mutate_text
from wiretrace.lineage import classify_change, find_credit, infer_lineage
from wiretrace.models import Document

VOCABULARY = _build_vocabulary()

# The demo corpus's ground truth (src/wiretrace/demo/README.md): child -> parent.
DEMO_PARENTS = {
    "hpost-1187": "wire-ndx-0412",
    "evestar-0931": "wire-ndx-0412",
    "svcourier-2210": "wire-ndx-0412",
    "observer-3316": "wire-ndx-0412",
    "quill-0226": "wire-ndx-0412",
    "wire-ndx-0412u1": "wire-ndx-0412",
    "sradio-0415": "wire-ndx-0412u1",
    "talkline-9048": "wire-ndx-0412u1",
    "ledger-5540": "svcourier-2210",
    "kestrel-7702": "svcourier-2210",
}


@pytest.fixture(scope="module")
def demo_report() -> wiretrace.Report:
    return wiretrace.find_reuse_in([str(wiretrace.demo_corpus_path())], jobs=1)


def _article(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(8, 16))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def _parents(report: wiretrace.Report) -> dict[str, str]:
    return {edge.child: edge.parent for c in report.clusters for edge in c.edges}


def test_demo_parents_match_ground_truth(demo_report: wiretrace.Report) -> None:
    """Every demo copy gets the parent it was written from, including copies of copies."""
    assert _parents(demo_report) == DEMO_PARENTS


def test_demo_root_is_the_wire_despite_a_clock_error(demo_report: wiretrace.Report) -> None:
    """hpost-1187 is stamped 2 hours before the wire it copied; the wire is still the origin."""
    (cluster,) = demo_report.clusters
    assert cluster.root == "wire-ndx-0412"
    assert cluster.roots == ("wire-ndx-0412",)


def test_demo_own_words_and_unrelated_articles_are_in_no_cluster(
    demo_report: wiretrace.Report,
) -> None:
    """The same story in other words, and an unrelated story, carry no reused text."""
    members = {m.document for c in demo_report.clusters for m in c.members}
    assert "fbs-6123" not in members
    assert "tribune-4471" not in members


def test_demo_wire_update_is_a_version(demo_report: wiretrace.Report) -> None:
    """The wire and its UPDATE 1 are recognised as versions of one story, oldest first."""
    (cluster,) = demo_report.clusters
    assert cluster.versions == ("wire-ndx-0412", "wire-ndx-0412u1")
    assert wiretrace.lineage.version_label(demo_report.document("wire-ndx-0412u1")) == "UPDATE 1"


def _mutations(report: wiretrace.Report, child: str) -> list[tuple[str, str, str]]:
    (edge,) = [e for c in report.clusters for e in c.edges if e.child == child]
    return [(m.type, m.source_text.strip(), m.target_text.strip()) for m in edge.mutations]


def test_demo_number_change_is_typed(demo_report: wiretrace.Report) -> None:
    """B's "42 people" -> "24 people" is a number mutation with both texts."""
    assert ("number", "42", "24") in _mutations(demo_report, "svcourier-2210")


def test_demo_quote_change_is_typed(demo_report: wiretrace.Report) -> None:
    """Kestrel's changed words inside the mayor's quotation are quote mutations."""
    mutations = _mutations(demo_report, "kestrel-7702")
    assert ("quote", "fall down", "collapse") in mutations
    assert ("quote", "answer", "pay") in mutations


def test_demo_hedges_are_typed(demo_report: wiretrace.Report) -> None:
    """Talkline's added "reportedly"/"allegedly" are hedge mutations."""
    hedges = [m for m in _mutations(demo_report, "talkline-9048") if m[0] == "hedge"]
    assert {target for _, _, target in hedges} == {"reportedly", "allegedly"}
    assert len(hedges) == 4


def test_demo_dropped_attribution_is_typed_and_uncredited(demo_report: wiretrace.Report) -> None:
    """The Observer drops every credit: attribution mutations, and the edge is not credited."""
    mutations = _mutations(demo_report, "observer-3316")
    assert sum(1 for m in mutations if m[0] == "attribution") >= 3
    (edge,) = [e for c in demo_report.clusters for e in c.edges if e.child == "observer-3316"]
    assert not edge.credited


def test_demo_added_sentence_is_typed(demo_report: wiretrace.Report) -> None:
    """B's added engineer sentence is a sentence_added mutation."""
    added = [m for m in _mutations(demo_report, "svcourier-2210") if m[0] == "sentence_added"]
    assert len(added) == 1
    assert added[0][2].startswith("A city engineer who asked not to be named")


def test_demo_mutation_offsets_slice_both_texts(demo_report: wiretrace.Report) -> None:
    """Every mutation's offsets slice its texts out of the parent and the child."""
    for cluster in demo_report.clusters:
        for edge in cluster.edges:
            parent, child = demo_report.document(edge.parent), demo_report.document(edge.child)
            for m in edge.mutations:
                assert parent.text[m.source_start : m.source_end] == m.source_text
                assert child.text[m.target_start : m.target_end] == m.target_text


def test_demo_hops_on_turned_spans_are_hops_on_reversed_passages(
    demo_report: wiretrace.Report,
) -> None:
    """A hop from a pair's target to its source, typed from the passages' spans turned round,
    has the mutations of the passages reversed as records."""
    from wiretrace.lineage import _hop_changes, _passage_spans, hop_mutations
    from wiretrace.models import Mutation

    names = ["Northdesk", "NDX"]
    assert demo_report.pairs
    for pair in demo_report.pairs:
        source, target = demo_report.document(pair.source), demo_report.document(pair.target)
        spans = [_passage_spans(p, turned=True) for p in pair.passages]
        for whole in (True, False):
            expected = hop_mutations(
                target, source, [p.reversed() for p in pair.passages], names, whole
            )
            changes = _hop_changes(target, source, spans, names, whole)
            assert tuple(Mutation(*change) for change in changes) == expected


def _hop(parent_text: str, child_text: str, passage: tuple[int, int, int, int]) -> list[Any]:
    """The typed mutations (type, parent's text, child's text) of a hop over one passage with
    no edits, given as (parent start, end, child start, end)."""
    from wiretrace.lineage import hop_mutations
    from wiretrace.models import Passage

    a, b, c, d = passage
    mutations = hop_mutations(
        Document(id="p", text=parent_text),
        Document(id="c", text=child_text),
        [Passage(a, b, c, d, 1.0, 1, 1, 1, [])],
    )
    return [(m.type, m.source_text, m.target_text) for m in mutations]


def test_words_both_sides_have_outside_the_passages_are_no_mutation() -> None:
    """The alignment left the texts' shared first word out of the passage (an edit came within a
    seed's length of it): no "substitution" of that word by itself (the same text both sides),
    and where only the words around the passage differ, only those are the change."""
    passage = "the council approved the new budget on Monday night after a long debate"
    parent = f"Rimbq {passage} in the hall."
    child = f"Rimbq {passage} in the town hall."
    start, end = parent.index(passage), parent.index(passage) + len(passage)
    assert _hop(parent, child, (start, end, start, end)) == [("insertion", "", "town ")]
    same = f"Rimbq {passage}."
    assert _hop(same, same, (start, end, start, end)) == []


def test_a_dateline_added_before_shared_words_is_the_change() -> None:
    """A copy that put a dateline before words its parent also has, outside the passage: the
    dateline is the change (an attribution), not the words both have."""
    passage = "said on Tuesday that the inquiry would continue into next year at least"
    parent = f"U.S. Special Counsel Robert Mueller {passage}."
    child = f"WASHINGTON (Reuters) - U.S. Special Counsel Robert Mueller {passage}."
    a, c = parent.index(passage), child.index(passage)
    assert _hop(parent, child, (a, a + len(passage), c, c + len(passage))) == [
        ("attribution", "", "WASHINGTON (Reuters) - ")
    ]


def test_punctuation_alone_outside_the_passages_is_no_mutation() -> None:
    """Outside the passages, two sides with the same words and other punctuation are no change
    (as inside them, where words are aligned)."""
    passage = "the council approved the new budget on Monday night after a long debate"
    parent = f"{passage}, Mayor Lee said."
    child = f"{passage} - Mayor Lee said"
    end = len(passage)
    assert _hop(parent, child, (0, end, 0, end)) == []


def test_a_link_outside_the_passages_stays_whole() -> None:
    """Words both sides have at the start of a web address are not cut from it: a changed link
    is one substitution of the whole address."""
    passage = "the council approved the new budget on Monday night after a long debate"
    parent = f"{passage}. More at https://example.com/news/1204"
    child = f"{passage}. More at https://example.com/news/1207"
    end = len(passage)
    assert _hop(parent, child, (0, end, 0, end)) == [
        ("substitution", "https://example.com/news/1204", "https://example.com/news/1207")
    ]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), generations=st.integers(2, 4))
def test_no_mutation_is_between_identical_texts(seed: int, generations: int) -> None:
    """In chains of copies of copies, every typed mutation changes something: its two texts
    differ."""
    report = wiretrace.find_reuse(_copy_chain(seed, generations), jobs=1)
    for cluster in report.clusters:
        for edge in cluster.edges:
            for mutation in edge.mutations:
                assert mutation.source_text != mutation.target_text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(0, 50)] * 4), max_size=4),
    st.tuples(*[st.integers(0, 50)] * 4),
)
def test_turned_passage_spans_are_the_reversed_passages(
    edits: list[tuple[int, int, int, int]], bounds: tuple[int, int, int, int]
) -> None:
    """A passage's spans turned round are the spans of the passage reversed."""
    from wiretrace.lineage import _passage_spans
    from wiretrace.models import Edit, Passage

    a, b, c, d = bounds
    passage = Passage(
        a,
        a + b,
        c,
        c + d,
        1.0,
        1,
        1,
        1,
        [Edit("replace", e, e + f, g, g + h, "x", "y") for e, f, g, h in edits],
    )
    assert _passage_spans(passage, turned=True) == _passage_spans(passage.reversed(), turned=False)
    assert _passage_spans(passage.reversed(), turned=True) == _passage_spans(passage, turned=False)


def test_demo_json_has_the_cluster_contract(demo_report: wiretrace.Report) -> None:
    """The JSON clusters carry id, members, root and edges with typed mutations."""
    data = json.loads(wiretrace.render_json(demo_report))
    cluster = data["clusters"][0]
    assert {"id", "members", "root", "edges"} <= set(cluster)
    assert set(cluster["members"][0]) == {"document", "start", "end"}
    edge = cluster["edges"][0]
    assert {"parent", "child", "confidence", "mutations"} <= set(edge)
    assert set(edge["mutations"][0]) == {
        "type",
        "source_text",
        "target_text",
        "source_start",
        "source_end",
        "target_start",
        "target_end",
    }
    assert 0.0 <= edge["confidence"] <= 1.0


def test_text_report_shows_the_tree(demo_report: wiretrace.Report) -> None:
    """The text report shows the cluster as a tree with mutations under each child."""
    text = wiretrace.render_text(demo_report)
    assert "Cluster c1" in text
    assert "(origin)" in text
    assert 'number: "42" -> "24"' in text


def _copy_chain(seed: int, generations: int) -> list[Document]:
    """A wire story (g0) and copies of copies, each an hour after its parent with 4% of its words
    changed (and a sentence moved in one in three)."""
    rng = random.Random(seed)
    text = _article(rng, 12)
    docs = [Document(id="g0", text=text, published="2024-01-01T00:00:00Z")]
    for generation in range(1, generations):
        text = mutate_text(text, 0.04, rng)
        docs.append(
            Document(
                id=f"g{generation}", text=text, published=f"2024-01-01T{generation:02d}:00:00Z"
            )
        )
    return docs


@pytest.mark.xfail(
    reason="KNOWN LIMITATION: parsimony holds the fuller text the likelier origin (text of the "
    "cluster a copy has and its parent lacks costs word by word, a dropped opening or end is "
    "cheap); a change near a copy's start or end that the passage found does not reach can "
    "make that outweigh an hour's lead in publication time between two near-identical copies",
    strict=False,
)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), generations=st.integers(2, 5))
def test_lineage_is_a_tree_with_parents_first(seed: int, generations: int) -> None:
    """A chain of copies of copies gives a tree (no cycles) in which each parent came first."""
    docs = _copy_chain(seed, generations)
    report = wiretrace.find_reuse(docs, jobs=1)
    times = {doc.id: doc.published for doc in docs}
    parents = _parents(report)
    for child, parent in parents.items():
        assert times[parent] < times[child]
    for doc in docs:  # walking up always ends at a root: no cycles
        seen, node = set(), doc.id
        while node in parents:
            assert node not in seen
            seen.add(node)
            node = parents[node]


@pytest.mark.parametrize("to_end", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_a_sentence_moved_to_the_start_or_end_is_one_change(seed: int, to_end: bool) -> None:
    """A copy that moved a sentence of the wire to its start (or end), and a copy of that copy:
    the move is one change, the same either way round, so the times tell who came first (taken
    for a sentence the wire added plus an opening it dropped, which costs little, the mover
    looked like the origin)."""
    rng = random.Random(seed)
    sentences = _article(rng, 12).split(". ")
    moved = sentences.pop(5).rstrip(".")
    copy = sentences + [moved] if to_end else [moved, *sentences]
    copy_text = ". ".join(part.rstrip(".") for part in copy) + "."
    words = copy_text.split(" ")
    words[len(words) // 2] = "harbour"  # the copy of the copy changes a word
    docs = [
        Document(
            id="wire", text=_article(random.Random(seed), 12), published="2024-01-01T08:00:00Z"
        ),
        Document(id="copy", text=copy_text, published="2024-01-01T09:00:00Z"),
        Document(id="recopy", text=" ".join(words), published="2024-01-01T10:00:00Z"),
    ]
    assert _parents(wiretrace.find_reuse(docs, jobs=1)) == {"copy": "wire", "recopy": "copy"}


@pytest.mark.parametrize(
    "seed",
    [
        *(pytest.param(seed, id=f"word-before-first-{seed}") for seed in (12, 15, 175, 289)),
        *(pytest.param(seed, id=f"sentence-moved-{seed}") for seed in (17, 37, 78, 108, 158)),
        *(pytest.param(seed, id=f"end-word-replaced-{seed}") for seed in (20, 90, 141, 194)),
        *(pytest.param(seed, id=f"first-word-left-out-{seed}") for seed in (16, 40, 48, 51, 58)),
    ],
)
def test_chains_of_copies_keep_parents_first(seed: int) -> None:
    """Chains of copies (of `test_lineage_is_a_tree_with_parents_first`, three generations) in
    which a copy an hour later put a word before its parent's first in the same sentence (taken
    for an opening the parent dropped, which costs little), moved a sentence to its start or end
    (counted as two changes that cost more one way round), replaced its parent's first or last
    word (the parent's word, outside the passages, was not counted), or dropped a word among the
    first few (the passage then left out the first word both have, taken for an opening the
    copy dropped): each parent still came first."""
    parents = _parents(wiretrace.find_reuse(_copy_chain(seed, 3), jobs=1))
    assert parents and all(int(parent[1:]) < int(child[1:]) for child, parent in parents.items())


@pytest.mark.parametrize("at_start", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_a_word_replaced_at_either_end_is_one_edit(seed: int, at_start: bool) -> None:
    """A copy that replaced the wire's first (or last) word, and a copy of that copy: the
    replacement is one edit either way round (the wire's word, outside every passage, was not
    counted, so the copy seemed to have a word the wire dropped, which costs little)."""
    wire = _article(random.Random(seed), 12)
    words = wire.split(" ")
    if at_start:
        words[0] = "Harbour"
    else:
        words[-1] = "harbour"
    copy = " ".join(words)
    words[len(words) // 2] = "station"  # the copy of the copy changes a word
    docs = [
        Document(id="wire", text=wire, published="2024-01-01T08:00:00Z"),
        Document(id="copy", text=copy, published="2024-01-01T09:00:00Z"),
        Document(id="recopy", text=" ".join(words), published="2024-01-01T10:00:00Z"),
    ]
    assert _parents(wiretrace.find_reuse(docs, jobs=1)) == {"copy": "wire", "recopy": "copy"}


@pytest.mark.parametrize("intro", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_a_text_file_with_an_agency_dateline_is_the_origin_of_a_copy_crediting_the_agency(
    seed: int, intro: bool
) -> None:
    """Two text files (no outlets, no dates): the agency's dispatch, opening with its dateline,
    and an article that re-tells it with paragraphs of its own (after it, or also before it)
    and credits the agency. The dispatch is the origin and the pair's source (the fuller text
    was taken for the origin); a re-telling that starts with the dispatch's text dropped its
    dateline, a change (though most of the re-telling is its own text)."""
    rng = random.Random(seed)
    body = _article(rng, 8)
    wire = f"MOSCOW, Dec 1 (Northdesk) - {body}"
    before = f"{_article(rng, 4)}\n\n" if intro else ""
    retold = f"{before}{body} The statement was carried by Northdesk.\n\n{_article(rng, 10)}"
    report = wiretrace.find_reuse(
        [Document(id="wire.txt", text=wire), Document(id="retold.txt", text=retold)], jobs=1
    )
    assert _parents(report) == {"retold.txt": "wire.txt"}
    ((pair),) = report.pairs
    assert (pair.source, pair.direction) == ("wire.txt", "text")
    ((edge,),) = [cluster.edges for cluster in report.clusters]
    changes = {(m.type, m.source_text, m.target_text) for m in edge.mutations}
    assert (("attribution", "MOSCOW, Dec 1 (Northdesk) - ", "") in changes) is not intro


@pytest.mark.parametrize(
    ("opening", "agency"),
    [
        ("MOSCOW, Dec 1 (Interfax) - The", "Interfax"),
        ("WASHINGTON (AP) \u2014 The", "AP"),
        ("LOS ANGELES, Nov. 3 (AFP) \u2013 The", "AFP"),
        ("ST. PETERSBURG (RIA Novosti) - The", "RIA Novosti"),
        (
            "МОСКВА, 1 дек (ТАСС) - Т",
            "ТАСС",
        ),
        ("The minister (AP) - said", None),
        ("Speaking (today) - the", None),
        ("LONDON - The (AP) said", None),
    ],
)
def test_dateline_agency(opening: str, agency: str | None) -> None:
    """The agency an opening dateline names: an upper-case place, perhaps a date, the agency in
    brackets, a dash."""
    assert wiretrace.lineage._dateline_agency(opening) == agency


def test_inherited_edits_outweigh_a_small_clock_error() -> None:
    """C carries B's edits and is stamped before B (clock error): C's parent is still B."""
    rng = random.Random(7)
    words = _article(rng, 14).split(" ")

    def substitute(source: list[str], positions: list[int], tag: str) -> list[str]:
        out = list(source)
        for position in positions:  # one new word (letters only) per replaced word
            out[position] = tag + "".join(chr(97 + int(digit)) for digit in str(position))
        return out

    positions = rng.sample(range(len(words)), 12)
    b_words = substitute(words, positions[:10], "edited")  # B's edits to the wire
    c_words = substitute(b_words, positions[10:], "again")  # C copies B, edits a little more
    wire, b, c = " ".join(words), " ".join(b_words), " ".join(c_words)
    docs = [
        Document(id="wire", text=wire, outlet="Wire", published="2024-01-01T08:00:00Z"),
        Document(id="b", text=b, outlet="B", published="2024-01-01T12:00:00Z"),
        Document(id="c", text=c, outlet="C", published="2024-01-01T11:00:00Z"),
    ]
    assert _parents(wiretrace.find_reuse(docs, jobs=1))["c"] == "b"


def test_shared_quote_is_not_copying() -> None:
    """Two outlets quoting one statement in their own narration share a quote, not a copy."""
    quote = (
        "“We will rebuild every bridge in this province before the winter storms arrive, and "
        "nobody will be left without a safe crossing,” "
    )
    first = (
        "The governor spoke on Monday in the capital. " + quote + "she told a crowd of supporters."
    )
    second = (
        "Speaking to farmers near the river, the governor repeated her promise. "
        + quote
        + "she said."
    )
    report = wiretrace.find_reuse(
        [{"id": "one", "text": first}, {"id": "two", "text": second}], jobs=1
    )
    (pair,) = report.pairs
    assert {p.kind for p in pair.passages} == {"quote"}
    (cluster,) = report.clusters
    assert cluster.kind == "quote"
    assert cluster.edges == ()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("killing 11 people", "killing 17 people", "number"),
        ("the minister said", "the minister reportedly said", "hedge"),
        ("(Reuters) - The", "The", "attribution"),
        ("according to Interfax. ", "", "attribution"),
        ("Mayor Teodor Vashek said", "Mayor Teodor Vasek said", "name"),
        ("the bridge was closed", "the bridge was shut", "substitution"),
        ("the bridge was closed", "the old bridge was closed", "insertion"),
        ("the old bridge was closed", "the bridge was closed", "deletion"),
        # A web address is not figures, a name or a sentence's words: a changed link is a
        # substitution (before: "number" for its digits), a dropped one a deletion.
        (
            "see https://t.me/s/news/1204 first",
            "see https://t.me/s/news/1207 first",
            "substitution",
        ),
        (
            "at www.example.org/2019/Report now",
            "at www.example.org/2020/Report now",
            "substitution",
        ),
        ("at https://vk.cc/Ab1 now", "at https://vk.cc/Cd2 now", "substitution"),
        ("Subscribe: https://t.me/+Mud3sy2 today", "Subscribe: today", "deletion"),
        ("killing 11 (https://x.io/1) people", "killing 17 (https://x.io/2) people", "number"),
    ],
)
def test_classify_change(old: str, new: str, expected: str) -> None:
    """A change is typed by what it touches (the differing words are compared)."""
    prefix = "Officials met on Monday. "
    source, target = prefix + old, prefix + new
    # The differing words, as the word-level alignment gives them.
    old_words, new_words = source.split(" "), target.split(" ")
    head = 0
    while head < min(len(old_words), len(new_words)) and old_words[head] == new_words[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old_words), len(new_words)) - head
        and old_words[-1 - tail] == new_words[-1 - tail]
    ):
        tail += 1
    a = len(" ".join(old_words[:head])) + (1 if head else 0)
    c = len(" ".join(new_words[:head])) + (1 if head else 0)
    b = a + len(" ".join(old_words[head : len(old_words) - tail]))
    d = c + len(" ".join(new_words[head : len(new_words) - tail]))
    assert classify_change(source, target, (a, b), (c, d)) == expected


def test_a_changed_link_is_one_change_not_one_per_piece() -> None:
    """The word alignment splits a link into pieces (path parts, percent-escapes): a hop whose
    child changed a link has one mutation for it, the whole link on both sides, a substitution
    (before: a mutation per piece, "B1" -> "BA" typed number, "BC" -> "BB" name)."""
    story = (
        "The city council voted on Tuesday to close the old ferry pier for a year of repairs, "
        "and the morning boats will leave from the north quay until the work is done, the "
        "harbour master said after the meeting. Traders on the quay said they welcomed the "
        "plan but asked for more parking near the new landing. "
    )
    old_link = "https://example.org/%D0%B1%D0%B8%D0%B1%D0%BB%D0%B8/42"
    new_link = "https://example.org/%D0%BF%D0%B8%D0%BE%D0%BD%D0%B5/43"
    parent = Document(
        "parent", f"{story}Read more: [here]({old_link}). {story}", published="2024-05-01T10:00:00Z"
    )
    child = Document(
        "child", f"{story}Read more: [here]({new_link}). {story}", published="2024-05-01T12:00:00Z"
    )
    report = wiretrace.find_reuse([parent, child], jobs=1)
    (cluster,) = report.clusters
    (edge,) = cluster.edges
    assert (edge.parent, edge.child) == ("parent", "child")
    links = [m for m in edge.mutations if "example.org" in m.source_text + m.target_text]
    assert [(m.type, m.source_text, m.target_text) for m in links] == [
        ("substitution", old_link, new_link)
    ]
    (link,) = links
    assert parent.text[link.source_start : link.source_end] == old_link
    assert child.text[link.target_start : link.target_end] == new_link


def test_classify_sentence_added() -> None:
    """A whole inserted sentence of eight or more words is sentence_added."""
    source = "The bridge fell. Crews searched the river."
    target = "The bridge fell. Witnesses heard loud cracks shortly before the span folded. Crews searched the river."
    start = source.index("Crews")
    insert_end = target.index("Crews")
    assert classify_change(source, target, (start, start), (start, insert_end)) == "sentence_added"
    assert (
        classify_change(target, source, (start, insert_end), (start, start)) == "sentence_removed"
    )


def test_classify_quote_change() -> None:
    """Words changed inside quotation marks are a quote mutation."""
    source = 'She said: "We will keep searching through the night," and left.'
    target = 'She said: "We will keep looking through the night," and left.'
    start = source.index("searching")
    assert classify_change(source, target, (start, start + 9), (start, start + 7)) == "quote"


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        ("MOSCOW (Reuters) - The minister said", True),
        ("the minister said, Interfax reported.", True),
        ("the minister told Interfax on Monday", True),
        ("сообщает Интерфакс", True),
        ("a Northdesk reporter at the scene saw", True),
        ("the port city of Halvergate on Saturday", False),
        ("Halvergate City Transit said one of its trams", False),
    ],
)
def test_find_credit(text: str, credited: bool) -> None:
    """A credit is a name in a reporting position, not a bare mention of a same-named city."""
    names = ["Reuters", "Interfax", "Интерфакс", "Northdesk", "Halvergate"]
    assert (find_credit(text, names) is not None) is credited


def test_identical_copies_get_an_even_confidence() -> None:
    """Two identical undated texts are clearly related, but which came first is a coin toss."""
    text = _article(random.Random(11), 12)
    report = wiretrace.find_reuse([{"id": "a", "text": text}, {"id": "b", "text": text}], jobs=1)
    (cluster,) = report.clusters
    (edge,) = cluster.edges
    assert edge.confidence == pytest.approx(0.5)
    (pair,) = report.pairs
    assert pair.direction == "unknown"


def test_pair_the_texts_cannot_orient_follows_the_lineage_tree() -> None:
    """Undated, A and B differ by one word each way, but B carries A's edit to the wire: A is
    B's source, as the cluster's tree says."""
    rng = random.Random(5)
    words = _article(rng, 14).split(" ")
    first, second = rng.sample(range(3, len(words)), 2)
    a_words = list(words)
    a_words[first] = "editedfirst"
    b_words = list(a_words)
    b_words[second] = "editedsecond"
    docs = [
        {"id": "wire", "text": "LONDON (NWP) - " + " ".join(words), "outlet": "Northwind Press"},
        {"id": "b", "text": "LONDON (NWP) - " + " ".join(b_words), "outlet": "Courier"},
        {"id": "a", "text": "LONDON (NWP) - " + " ".join(a_words), "outlet": "Gazette"},
    ]
    report = wiretrace.find_reuse(docs, jobs=1)
    assert _parents(report) == {"a": "wire", "b": "a"}
    (pair,) = [p for p in report.pairs if {p.source, p.target} == {"a", "b"}]
    assert (pair.source, pair.target, pair.direction) == ("a", "b", "text")


def test_infer_lineage_without_pairs_is_empty() -> None:
    """No pairs, no clusters."""
    assert infer_lineage([Document(id="a", text="alone")], []) == ()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), generations=st.integers(2, 5))
def test_lineage_has_no_cycles(seed: int, generations: int) -> None:
    """However the evidence falls, every member has at most one parent and no cycle forms."""
    rng = random.Random(seed)
    text = _article(rng, 12)
    docs = [Document(id="g0", text=text, published="2024-01-01T00:00:00Z")]
    for generation in range(1, generations):
        text = mutate_text(text, 0.04, rng)
        docs.append(
            Document(
                id=f"g{generation}", text=text, published=f"2024-01-01T{generation:02d}:00:00Z"
            )
        )
    report = wiretrace.find_reuse(docs, jobs=1)
    for cluster in report.clusters:
        children = [edge.child for edge in cluster.edges]
        assert len(children) == len(set(children))
        assert set(cluster.roots).isdisjoint(children)
        assert len(children) + len(cluster.roots) == len(cluster.documents)


def test_orient_pair_without_dates_follows_the_credit() -> None:
    """Undated, the text that carries the other outlet's agency dateline is the copy."""
    body = "The council approved the new budget on Monday after a long debate. " * 3
    wire = Document(id="w", text="LONDON (NWP) - " + body, outlet="Northwind Press")
    copy = Document(id="c", text="LONDON (NWP) - " + body + "More on page two.", outlet="Gazette")
    source, target, direction = wiretrace.lineage.orient_pair(copy, wire, 1.0, 1.0)
    assert (source.id, target.id, direction) == ("w", "c", "text")


# Publication strings: dates, times of day in UTC and at other offsets, none.
_PUBLISHED = st.one_of(
    st.none(),
    st.sampled_from(["2024-01-01", "2024-01-02", "2023-12-31"]),
    st.builds(
        "2024-01-{:02d}T{:02d}:{:02d}:00{}".format,
        st.integers(1, 2),
        st.integers(0, 23),
        st.sampled_from([0, 30]),
        st.sampled_from(["Z", "+00:00", "+05:30", "-08:00", ".000001Z"]),
    ),
)


@settings(max_examples=500, deadline=None)
@given(_PUBLISHED, _PUBLISHED)
def test_earlier_is_the_sign_of_the_hours_between(first: str | None, second: str | None) -> None:
    """The document published first, found by comparing times (dates where either has none),
    is the one `_hours_between` puts first, and none where it finds no hours between them."""
    from wiretrace.lineage import _earlier, _hours_between

    a = Document(id="a", text="x", published=first)
    b = Document(id="b", text="x", published=second)
    hours = _hours_between(a, b)
    expected = None if hours is None or hours == 0 else a if hours > 0 else b
    assert _earlier(a, b) is expected


def test_orient_pair_without_dates_puts_the_update_last() -> None:
    """Undated versions of one outlet's story: the one marked as an update came later."""
    body = "The council approved the new budget on Monday after a long debate. " * 3
    first = Document(id="v1", text=body, outlet="Wire")
    update = Document(
        id="v2", text="(Adds reaction)\n\n" + body + " Critics objected.", outlet="Wire"
    )
    source, target, _ = wiretrace.lineage.orient_pair(update, first, 0.9, 1.0)
    assert (source.id, target.id) == ("v1", "v2")


TRICKY_TEXT = "ab 1,200 don't x'y 3.5. Co-op “q” ‘z’ éé\u0301 東京 a1b2 ,. : %D0%b1F"


@settings(deadline=None)  # the first example may load compiled code
@given(
    st.text(alphabet=TRICKY_TEXT, max_size=60),
    st.integers(0, 70),
    st.integers(0, 70),
    st.integers(0, 70),
    st.integers(0, 70),
)
@example("ab%D0 x", 3, 7, 0, 7)  # a percent-escape cut at the start: its digits are words
@example("x %D0", 0, 4, 0, 5)  # ... and at the end
def test_words_between_two_offsets_are_the_patterns(
    text: str, start: int, end: int, low: int, high: int
) -> None:
    """The words of text[start:end] taken from the tokens of a stretch of the text around it
    are exactly the ones TOKEN_PATTERN finds in that stretch, also where a word is cut at
    either end."""
    from wiretrace import lineage
    from wiretrace.shingle import TOKEN_PATTERN

    start, end = sorted((min(start, len(text)), min(end, len(text))))
    low, high = min(low, start), max(min(high, len(text)), end)
    starts, ends, first, last = lineage._stretch_bounds(text, low, high)
    assert first <= low and high <= last
    found = lineage._words_between(text, starts, ends, start, end)
    matches = list(TOKEN_PATTERN.finditer(text, start, end))
    assert (list(found[0]), list(found[1])) == (
        [m.start() for m in matches],
        [m.end() for m in matches],
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=TRICKY_TEXT + "\U0001f600_\u2019\n", max_size=80) | st.text(max_size=40))
def test_token_bounds_are_the_tokenizers(text: str) -> None:
    """The compiled token bounds (no ids) are exactly `tokenize`'s starts and ends."""
    from wiretrace import lineage
    from wiretrace.shingle import tokenize

    starts, ends = lineage._token_bounds(text, lineage._code_points(text))
    tokens = tokenize(text)
    assert starts.tolist() == tokens.starts.tolist()
    assert ends.tolist() == tokens.ends.tolist()


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=TRICKY_TEXT + "\U0001f600_\u2019\n\ud800", max_size=80) | st.text(max_size=40),
    st.integers(0, 90),
    st.integers(0, 90),
)
def test_stretch_bounds_are_the_plain_ones(text: str, low: int, high: int) -> None:
    """The tokens of a stretch, found and placed in the text by one compiled call, are the ones
    `_token_bounds` finds, also in a stretch with a code point outside the Basic Multilingual
    Plane (tokenized the plain way) or a lone surrogate."""
    from wiretrace import lineage

    low, high = sorted((min(low, len(text)), min(high, len(text))))
    assert lineage._stretch_bounds(text, low, high) == lineage._stretch_bounds_plain(
        text, low, high
    )


def test_stretch_bounds_of_a_stretch_longer_than_a_block_are_the_plain_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stretch longer than a tokenizer's block is tokenized the plain way."""
    from wiretrace import lineage

    monkeypatch.setattr(lineage, "BLOCK_CHARS", 8)
    text = "Ab 1,200 don't x\u00e9y \U0001f600 z " * 3
    for low, high in ((0, len(text)), (3, 9), (20, 40)):
        found = lineage._stretch_bounds(text, low, high)
        assert found == lineage._stretch_bounds_plain(text, low, high)
        assert len(found[0]) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=TRICKY_TEXT + "\U0001f600_\u0301\u00b2\u2167\n", max_size=80) | st.text())
def test_word_runs_are_the_word_pattern(text: str) -> None:
    """The compiled count of word-character runs is `len(re.findall(r"\\w+", text))`."""
    import re

    from wiretrace import lineage

    assert lineage._count_regex_words(text) == len(re.findall(r"\w+", text))


def test_taken_versions_are_taken_version(demo_report: wiretrace.Report) -> None:
    """taken_versions gives the child of every edge the version taken_version gives it."""
    from wiretrace.lineage import taken_version, taken_versions

    found = []
    for cluster in demo_report.clusters:
        expected = {edge.child: taken_version(cluster, edge.child) for edge in cluster.edges}
        assert taken_versions(cluster) == expected
        found += [version for version in expected.values() if version is not None]
    assert found


QUOTE_MARKS = "\"“”„«»‘’'"
# Quotations with a word character or a space or nothing on either side, and runs of a letter
# around the pattern's limit of 1500 characters between two marks.
_QUOTED_TEXTS = st.lists(
    st.text(alphabet=QUOTE_MARKS + "ab_1 \n\u00e9", max_size=12)
    | st.builds(
        "{0}{1[0]}{2}{1[1]}{3}".format,
        st.sampled_from(["", "a", " "]),
        st.sampled_from(['""', "“”", "„“", "„”", "«»", "‘’", "''", "“\n"]),
        st.text(alphabet="ab_1 \u00e9", max_size=10)
        | st.integers(1498, 1502).map(lambda size: "x" * size),
        st.sampled_from(["", "a", " "]),
    )
    | st.integers(1497, 1502).map(lambda size: "x" * size),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_QUOTED_TEXTS, st.integers(0, 3100), st.integers(0, 12))
def test_inside_quote_is_the_quote_pattern(text: str, start: int, length: int) -> None:
    """The compiled quotation test agrees with the regex's matches, limits and lookarounds."""
    from wiretrace import lineage

    start %= len(text) + 1
    end = min(start + length, len(text))
    assert lineage._inside_quote(text, start, end) == lineage._inside_quote_plain(text, start, end)


# Quotation marks of every kind, opening and closing, among line breaks and stretches of text.
_LINED_QUOTED_TEXTS = st.lists(
    st.sampled_from(
        ['"', "“", "”", "„", "«", "»", "‘", "’", "'", "\n", "a", " ", "\u00e9", "ab c", "x" * 700]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_LINED_QUOTED_TEXTS, st.integers(0, 25000), st.integers(0, 12))
def test_inside_quote_after_line_breaks_is_the_quote_pattern(
    text: str, start: int, length: int
) -> None:
    """Looking first for a mark that opens a quotation, after the last line break before the
    text, tells exactly what the regex tells, wherever the marks and line breaks are."""
    from wiretrace import lineage

    start %= len(text) + 1
    end = min(start + length, len(text))
    assert lineage._inside_quote(text, start, end) == lineage._inside_quote_plain(text, start, end)


def _find_credit_plain(text: str, names: list[str]) -> str | None:
    """find_credit searching each mention's window on its own, the way it was first written."""
    from wiretrace.lineage import _CREDIT_REACH, _credit_pattern

    folded = text.casefold()
    for name in names:
        key = name.casefold()
        pattern = _credit_pattern(name)
        if len(folded) != len(text):
            if pattern.search(text):
                return name
            continue
        position = folded.find(key)
        while position >= 0:
            end = text.find(" ", position + len(key) + _CREDIT_REACH)
            if pattern.search(
                text, max(0, position - _CREDIT_REACH), len(text) if end < 0 else end
            ):
                return name
            position = folded.find(key, position + 1)
    return None


CREDIT_NAMES = ["AP", "Al", "IS", "Ted", "Reuters", "Northwind Press", "Straße", "CNN"]
CREDIT_WORDS = [
    "AP", "ap", "Al", "al", "also", "IS", "is", "Ted", "ted", "Reuters", "REUTERS", "reuters's",
    "Northwind", "Press", "Straße", "STRASSE", "CNN", "cnn", "(", ")", "according", "to", "the",
    "said", "reported", "by", "via", "’s", "'s", "\n", ",", "x" * 30, "y" * 50,
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(CREDIT_WORDS), max_size=60),
    st.lists(st.sampled_from(CREDIT_NAMES), min_size=1, max_size=4),
)
def test_find_credit_is_the_plain_search(words: list[str], names: list[str]) -> None:
    """Searching overlapping windows together, and a short name's windows only where it is
    written as is, credits exactly what searching every mention's window does."""
    text = " ".join(words)
    assert find_credit(text, names) == _find_credit_plain(text, names)


# Words of texts of ASCII and the marks (curly quotes, dashes) most texts also hold, and of
# texts holding characters that casefold to ASCII ("K", the Kelvin sign) or into several ("ß").
CREDIT_MARKED_WORDS = [
    *CREDIT_WORDS, "\u2019", "\u201c", "\u201d", "\u2014", "\u2026", "\u201cReuters\u201d",
    "Reuters\u2019", "CNN\u2019s", "Northwind\u2019Press", "(\u2014AP)", "\u212a", "\u017f", "ß",
    "é", "Northwind Pre\u017fs", "(Reuter\u017f)", "by Reuter\u017f", "(\u212aansas)",
    "by Press\u2019",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(CREDIT_MARKED_WORDS), max_size=50),
    st.sampled_from([*CREDIT_NAMES, "Press\u2019", "\u212aansas", "Kansas", "é", "By"]),
    st.sampled_from(["", "{}", "{}\u2019s", "by {}", "({})", "\u201c{}\u201d reported", "{} said"]),
    st.integers(0, 50),
)
def test_credits_of_a_document_are_find_credit(
    words: list[str], name: str, mention: str, at: int
) -> None:
    """A document's credits, looked for in its lowered form where it is of ASCII and marks,
    are the ones `find_credit` finds in its casefold."""
    from wiretrace import lineage

    text = " ".join([*words[:at], mention.format(name), *words[at:]])
    members = lineage._Members({"d": Document(id="d", text=text)}, {"d": [(0, len(text))]})
    assert members._credits("d", name) == (find_credit(text, [name]) is not None)
    assert members._credits("d", name) == (_find_credit_plain(text, [name]) is not None)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(CREDIT_MARKED_WORDS), max_size=40),
    st.lists(st.sampled_from([*CREDIT_NAMES, "Press\u2019", "\u212aansas", "By"]), max_size=6),
)
def test_find_credit_of_any_names_is_the_plain_search(words: list[str], names: list[str]) -> None:
    """`find_credit` credits what searching every mention's window does, in texts with marks
    too, and takes its names from any iterable (one read once as well)."""
    text = " ".join(words)
    expected = _find_credit_plain(text, names)
    assert find_credit(text, iter(names)) == expected
    assert find_credit(text, names) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(CREDIT_MARKED_WORDS), max_size=50),
    st.lists(
        st.sampled_from([*CREDIT_NAMES, "Press\u2019", "\u212aansas", "Kansas", "é", "By"]),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["", "{}", "{}\u2019s", "by {}", "({})", "\u201c{}\u201d reported", "{} said"]),
    st.integers(0, 50),
)
def test_credit_in_the_lowered_text_is_find_credit(
    words: list[str], names: list[str], mention: str, at: int
) -> None:
    """The names a text credits, those of ASCII looked for in its lowered form where it is of
    ASCII and marks (as orienting a pair looks for its outlets), are the ones `find_credit` and
    the plain search find, first one first."""
    from wiretrace.lineage import _find_credit_lowered

    text = " ".join([*words[:at], mention.format(names[-1]), *words[at:]])
    assert _find_credit_lowered(text, names) == find_credit(text, names)
    assert _find_credit_lowered(text, names) == _find_credit_plain(text, names)


CREDIT_SEARCH_WORDS = [
    *CREDIT_WORDS, "according to the", "cited by a", "an", "A", "THE", "Source:", "courtesy of",
    "сообщила", "сообщили", "СООБЩИЛ", "со ссылкой на", "según", "laut", "Interfax", "ИТАР",
    "reporters", "agency", "contributed", "says", "Reuters(", "(AP)", "\t", "  ", "_", "é",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(CREDIT_SEARCH_WORDS), max_size=40),
    st.sampled_from([*CREDIT_NAMES, "Interfax", "ИТАР", "a", "by"]),
    st.sampled_from([" ", "", "\n", "  "]),
    st.integers(0, 400),
    st.integers(0, 400),
)
def test_credit_search_is_the_credit_pattern(
    words: list[str], name: str, separator: str, pos: int, endpos: int
) -> None:
    """Searching a name's credit mention by mention finds a match in a stretch of a text
    exactly where the name's whole credit pattern does."""
    from wiretrace.lineage import _credit_pattern, _credit_search

    text = separator.join(words)
    pos, endpos = sorted((min(pos, len(text)), min(endpos, len(text))))
    expected = _credit_pattern(name).search(text, pos, endpos) is not None
    assert bool(_credit_search(name).search(text, pos, endpos)) == expected
    assert bool(_credit_search(name).search(text)) == (
        _credit_pattern(name).search(text) is not None
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=TRICKY_TEXT + "ßẞſıİK\u212a\U0001f600ΣσςﬁḞ", max_size=1500))
def test_casefold_by_table_is_str_casefold(text: str) -> None:
    """Casefolding a long text by the table gives exactly `str.casefold`."""
    from wiretrace.lineage import _casefold

    longer = text * (1 + 1200 // (len(text) + 1))
    assert _casefold(text) == text.casefold()
    assert _casefold(longer) == longer.casefold()


def test_casefold_of_a_text_with_a_lone_surrogate_is_str_casefold() -> None:
    """A long text holding a lone surrogate (which strict encoding refuses) is casefolded as
    `str.casefold` folds it."""
    from wiretrace.lineage import _casefold

    for text in ("Ab\u00e9 " * 300 + "\ud800", "\udfff" + "ÄB\u00df " * 300):
        assert _casefold(text) == text.casefold()


def test_only_four_other_characters_match_an_ascii_letter() -> None:
    """No character outside ASCII matches an ASCII letter, case ignored, but the four that
    `_holds_core` names ("İ", "ı", "ſ" and the Kelvin sign)."""
    letters = re.compile("|".join(string.ascii_lowercase), re.IGNORECASE)
    found = [point for point in range(128, sys.maxunicode + 1) if letters.fullmatch(chr(point))]
    assert found == [0x130, 0x131, 0x17F, 0x212A]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            CREDIT_SEARCH_WORDS
            + [
                "said in a",
                "statement",
                "It is",
                "may have",
                "Reportedly",
                "rumored",
                "ſource",
                "İt",
                "\u2019",
                "\u201c",
                "\u2014",
            ]
        ),
        max_size=30,
    )
)
def test_holds_core_is_the_core_pattern(words: list[str]) -> None:
    """The quick test for the cores of the attribution and hedge patterns agrees with their
    regexes."""
    from wiretrace import lineage

    text = " ".join(words)
    for cores, ascii_words in (
        (lineage._ATTRIBUTION_CORES, lineage._ATTRIBUTION_ASCII_CORES),
        (lineage._HEDGE_CORES, lineage._HEDGE_ASCII_CORES),
    ):
        assert lineage._holds_core(text, cores, ascii_words) == (cores.search(text) is not None)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=TRICKY_TEXT, max_size=60),
    st.integers(0, 70),
    st.integers(0, 70),
    st.integers(0, 70),
    st.integers(0, 70),
)
def test_count_words_between_is_the_words_between(
    text: str, start: int, end: int, low: int, high: int
) -> None:
    """Counting the words between two offsets counts exactly the words listed there."""
    from wiretrace import lineage

    start, end = sorted((min(start, len(text)), min(end, len(text))))
    low, high = min(low, start), max(min(high, len(text)), end)
    starts, ends, _, _ = lineage._stretch_bounds(text, low, high)
    found = lineage._words_between(text, starts, ends, start, end)
    assert lineage._count_words_between(text, starts, ends, start, end) == len(found[0])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_edit_words_counted_from_the_tokens_are_the_patterns(seed: int) -> None:
    """The words of each side of an edit, counted from its document's tokens, are the ones
    TOKEN_PATTERN finds in the edit's text."""
    from wiretrace import lineage
    from wiretrace.shingle import TOKEN_PATTERN

    rng = random.Random(seed)
    tricky = ("1,200", "don't", "x'y", "3.5.", "Co-op", "“q”", "éé\u0301", "東京", "a1b2", ",.")
    text = _article(rng, 10)
    docs = [Document(id="a", text=text)]
    for copy in range(2):
        docs.append(Document(id=f"b{copy}", text=mutate_text(text, 0.1, rng, tricky)))
    report = wiretrace.find_reuse(docs, jobs=1)
    by_id = {doc.id: doc for doc in docs}
    assert report.pairs
    for pair in report.pairs:
        spans = {
            pair.source: [(p.source_start, p.source_end) for p in pair.passages],
            pair.target: [(p.target_start, p.target_end) for p in pair.passages],
        }
        members = lineage._Members(by_id, spans)
        for passage in pair.passages:
            for edit in passage.edits:
                for doc, start, end, edit_text in (
                    (pair.source, edit.source_start, edit.source_end, edit.source_text),
                    (pair.target, edit.target_start, edit.target_end, edit.target_text),
                ):
                    found = len(TOKEN_PATTERN.findall(edit_text))
                    assert members.count_between(doc, start, end) == found


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), copies=st.integers(1, 3))
def test_pair_costs_from_one_stretch_are_the_plain_ones(seed: int, copies: int) -> None:
    """A pair's edits cost the same counted from the tokens of one stretch of each side as
    counted edit by edit, and its gaps remembered for the cluster are the ones found afresh."""
    from wiretrace import lineage

    rng = random.Random(seed)
    tricky = ("1,200", "don't", "x'y", "3.5.", "Co-op", "“q”", "éé\u0301", "東京", "a1b2", ",.")
    text = _article(rng, 10)
    docs = [Document(id="a", text=text)]
    for copy in range(copies):
        docs.append(Document(id=f"b{copy}", text=mutate_text(text, 0.15, rng, tricky)))
    report = wiretrace.find_reuse(docs, jobs=1)
    by_id = {doc.id: doc for doc in docs}
    assert report.pairs
    spans: dict[str, list[tuple[int, int]]] = {}
    for pair in report.pairs:
        spans.setdefault(pair.source, []).extend(
            (p.source_start, p.source_end) for p in pair.passages
        )
        spans.setdefault(pair.target, []).extend(
            (p.target_start, p.target_end) for p in pair.passages
        )
    members = lineage._Members(by_id, spans)
    for pair in report.pairs:
        passages = pair.passages
        assert lineage._edit_costs(passages, pair.source, pair.target, members) == (
            lineage._edit_costs_plain(passages, pair.source, pair.target, members)
        )
        for doc, covered in (
            (pair.source, sorted((p.source_start, p.source_end) for p in passages)),
            (pair.target, sorted((p.target_start, p.target_end) for p in passages)),
        ):
            for _ in range(2):  # found, then remembered
                assert members.gaps(doc, tuple(covered)) == lineage._gaps(
                    lineage._Members(by_id, spans), doc, covered
                )


@given(st.lists(st.sampled_from("abc"), max_size=8), st.lists(st.sampled_from("abc"), max_size=8))
def test_common_ends_are_the_same_either_way_round(first: list[str], second: list[str]) -> None:
    """The words two sides share at a gap's ends are the same either way round (a pair's two
    orientations share them)."""
    from wiretrace.align import common_ends

    assert common_ends(first, second) == common_ends(second, first)


def _arborescence_reference(edges: list[tuple[str, str, float]]) -> dict[str, str]:
    import networkx as nx

    graph = nx.DiGraph()
    for parent, child, weight in edges:
        graph.add_edge(parent, child, weight=weight)
    # The edges go in parent by parent, in the order of the nodes, as networkx lists them.
    assert [(a, b, data["weight"]) for a, b, data in graph.edges(data=True)] == edges
    tree = nx.maximum_spanning_arborescence(graph, attr="weight", preserve_attrs=True)
    return {child: parent for parent, child in tree.edges()}


@st.composite
def lineage_graphs(draw: st.DrawFn) -> list[tuple[str, str, float]]:
    """Graphs as lineage builds them: a root with an edge to every document, then candidate
    parents child by child, with weights drawn from a few values so that ties abound."""
    documents = [f"d{k}" for k in draw(st.permutations(range(draw(st.integers(1, 9)))))]
    weights = st.sampled_from([0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.30000000000000004, -3.7, 2.0])
    root = draw(weights)
    edges = [("\x00root", doc, draw(st.one_of(st.just(root), weights))) for doc in documents]
    by_parent: dict[str, list[tuple[str, str, float]]] = {doc: [] for doc in documents}
    for child in documents:
        others = [doc for doc in documents if doc != child]
        for parent in draw(st.lists(st.sampled_from(others), unique=True)) if others else []:
            by_parent[parent].append((parent, child, draw(weights)))
    return edges + [edge for doc in documents for edge in by_parent[doc]]


@settings(max_examples=600, deadline=None)
@given(lineage_graphs())
def test_spanning_arborescence_is_networkxs(edges: list[tuple[str, str, float]]) -> None:
    """The plain-dict Edmonds picks exactly networkx's maximum spanning arborescence, ties
    included (networkx is the reference; lineage no longer builds its graphs)."""
    from wiretrace.lineage import _maximum_spanning_arborescence

    assert _maximum_spanning_arborescence(edges) == _arborescence_reference(edges)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(2, 7).flatmap(
        lambda n: st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 1e-9, 1e16]),
            ),
            min_size=1,
            max_size=25,
        )
    )
)
def test_spanning_arborescence_of_any_graph_is_networkxs(
    raw: list[tuple[int, int, float]],
) -> None:
    """On any small directed graph: networkx's arborescence, or an error where it has none."""
    import networkx as nx

    from wiretrace.lineage import _maximum_spanning_arborescence

    graph = nx.DiGraph()
    for a, b, weight in raw:
        if a != b:
            graph.add_edge(f"n{a}", f"n{b}", weight=weight)
    # In the graph's order of edges (parent by parent), as lineage lists them.
    graph_edges = [(a, b, data["weight"]) for a, b, data in graph.edges(data=True)]
    if not graph_edges:
        return
    try:
        tree = nx.maximum_spanning_arborescence(graph, attr="weight", preserve_attrs=True)
        expected: dict[str, str] | None = {child: parent for parent, child in tree.edges()}
    except nx.NetworkXException:
        expected = None
    try:
        found: dict[str, str] | None = _maximum_spanning_arborescence(graph_edges)
    except ValueError:
        found = None
    assert found == expected


# quote_spans' pattern written plainly, with the "not after a letter" lookbehind first.
PLAIN_QUOTED = (
    r"\"[^\"\n]{1,1500}\"|“[^”\n]{1,1500}”|„[^“”\n]{1,1500}[“”]|«[^»\n]{1,1500}»"
    r"|(?<!\w)‘[^’\n]{1,1500}’(?!\w)|(?<!\w)'[^'\n]{1,1500}'(?!\w)"
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab1 '‘’\"“”„«»\n.", max_size=40))
def test_quote_spans_are_the_plain_patterns(text: str) -> None:
    """The quotation-mark-first pattern finds exactly the plainly written one's spans."""
    import re

    from wiretrace.lineage import quote_spans

    assert quote_spans(text) == [match.span() for match in re.finditer(PLAIN_QUOTED, text)]


ATTRIBUTION_WORDS = [
    "according", "ACCORDING", "to", "reported", "REPORTS", "ſource", "sources", "Source",
    "cıted", "cİted", "citing", "told", "quoted", "said", "in", "a", "statement", "via",
    "contributed", "this", "report", "wire", "service", "news", "agencies", "(", ")", "NDX",
    "сообщает", "по", "данным", "передаёт", "согласно", "según", "selon", "laut", "K", "x",
    "reportedly", "ALLEGEDLY", "alleged", "rumoured", "rumored", "is", "was", "it", "believed",
    "thought", "may", "might", "have", "say", "suggest", "якобы", "возможно", "ſupposedly",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(ATTRIBUTION_WORDS), max_size=12).flatmap(
        lambda words: st.lists(
            st.sampled_from([" ", "", "\n", "-", "  "]),
            min_size=len(words),
            max_size=len(words),
        ).map(lambda gaps: "".join(g + w for g, w in zip(gaps, words, strict=True)))
    )
    | st.text(max_size=30)
)
def test_pattern_cores_are_in_every_match(text: str) -> None:
    """Every match of the attribution and hedge patterns holds a match of their cores (the
    quick tests that rule a change out before the full patterns run)."""
    from wiretrace.lineage import _ATTRIBUTION, _ATTRIBUTION_CORES, _HEDGE, _HEDGE_CORES

    if _ATTRIBUTION.search(text):
        assert _ATTRIBUTION_CORES.search(text)
    if _HEDGE.search(text):
        assert _HEDGE_CORES.search(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["UPDATE", "UPDATE 2", "update 3", "CORRECTED", "REFILE", "WRAPUP", "(",
                         "( Adds", "(Updates", "Recasts", "(Corrects", "( Recasts", "Adds",
                         "(\nAdds", "(Addsx", "x", "1"]),
        max_size=8,
    ).map(" ".join),
    st.sampled_from([None, "", "UPDATE 1-Story", "Story"]),
)  # fmt: skip
def test_version_label_is_the_plain_search(text: str, title: str | None) -> None:
    """The version label is what the update pattern finds in the title and opening."""
    from wiretrace.lineage import _UPDATE, version_label

    match = _UPDATE.search((title or "") + " " + text[:300])
    expected = match.group().strip("( ") if match else None
    assert version_label(Document(id="d", text=text, title=title)) == expected


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.sampled_from([0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.30000000000000004, -3.7, 2.0])
        | st.floats(-50, 50),
        min_size=4,
        max_size=4,
    ),
    st.booleans(),
)
def test_two_document_tree_is_the_spanning_arborescence(weights: list[float], swap: bool) -> None:
    """A two-document cluster's tree, where the quick comparison decides, is the one Edmonds
    (and networkx) picks; it leaves only near-ties to Edmonds."""
    from wiretrace.lineage import _maximum_spanning_arborescence, _two_document_tree

    first, second = ("d1", "d0") if swap else ("d0", "d1")
    to_first, to_second, forward, backward = weights
    edges = [
        ("\x00root", first, to_first),
        ("\x00root", second, to_second),
        (first, second, forward),
        (second, first, backward),
    ]
    tree = _two_document_tree(edges)
    totals = sorted([to_first + to_second, to_first + forward, to_second + backward])
    assert (tree is None) == (totals[2] - totals[1] <= 1e-9 * (1 + max(map(abs, weights))))
    if tree is not None:
        assert tree == _maximum_spanning_arborescence(edges) == _arborescence_reference(edges)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aZß İıK\u212a\u0130ﬁΣσς’“é\n", max_size=30) | st.text(max_size=30))
def test_casefold_is_str_casefold(text: str) -> None:
    """The quick casefold (str.lower on ASCII) is str.casefold on every text."""
    from wiretrace.lineage import _casefold

    assert _casefold(text) == text.casefold()


def test_infer_lineage_restores_garbage_collection() -> None:
    """The collector paused while trees are built runs again afterwards (and stays off if it
    was off)."""
    import gc

    rng = random.Random(3)
    text = _article(rng, 10)
    docs = [{"id": "a", "text": text}, {"id": "b", "text": text + " More."}]
    assert gc.isenabled()
    wiretrace.find_reuse(docs, jobs=1)
    assert gc.isenabled()
    gc.disable()
    try:
        wiretrace.find_reuse(docs, jobs=1)
        assert not gc.isenabled()
    finally:
        gc.enable()


@st.composite
def passage_pairs(draw: st.DrawFn) -> list[wiretrace.Pair]:
    """Pairs of a few documents whose passages overlap, touch, repeat or are empty, so that
    clusters join and split in every way (the texts are never read)."""
    from wiretrace.models import Pair, Passage

    documents = [f"d{k}" for k in draw(st.permutations(range(draw(st.integers(2, 6)))))]
    spans = st.tuples(st.integers(0, 30), st.integers(0, 8)).map(lambda s: (s[0], s[0] + s[1]))
    pairs = []
    for _ in range(draw(st.integers(0, 8))):
        source, target = draw(st.lists(st.sampled_from(documents), min_size=2, max_size=2))
        passages = []
        for _ in range(draw(st.integers(0, 3))):
            (a, b), (c, d) = draw(spans), draw(spans)
            passages.append(Passage(a, b, c, d, 1.0, 1, 1, 1))
        pairs.append(Pair(source, target, "unknown", 1.0, 1.0, 1.0, passages))
    return pairs


@settings(max_examples=400, deadline=None)
@given(passage_pairs())
def test_find_clusters_is_the_plain_union_find(pairs: list[wiretrace.Pair]) -> None:
    """The clusters found by arrays are the span-by-span union-find's, in its order, with its
    merged spans (empty and touching spans included)."""
    from wiretrace.lineage import _find_clusters_plain, find_clusters

    found = find_clusters(pairs)
    assert found == _find_clusters_plain(pairs)
    assert all(
        type(value) is int for members, _ in found for _, *bounds in members for value in bounds
    )


@settings(max_examples=300, deadline=None)
@given(
    _QUOTED_TEXTS | _QUOTED_TEXTS.map(lambda text: text + "\U0001f600"),
    st.integers(0, 3100),
    st.integers(0, 40),
)
def test_passage_kind_is_the_share_of_the_quote_spans(text: str, start: int, length: int) -> None:
    """The compiled share of a passage inside quotation marks (and the regex's, for a text
    outside the Basic Multilingual Plane) types it as all the quote spans around it do."""
    from wiretrace.lineage import _passage_kind_plain, passage_kind
    from wiretrace.models import Passage

    start %= len(text) + 1
    end = min(start + length, len(text))
    passage = Passage(start, end, 0, 0, 1.0, 1, 1, 1)
    assert passage_kind(text, passage) == _passage_kind_plain(text, passage)


@settings(max_examples=500, deadline=None)
@given(
    _LINED_QUOTED_TEXTS | _LINED_QUOTED_TEXTS.map(lambda text: text + "\U0001f600"),
    st.integers(0, 25000),
    st.integers(0, 2500),
)
def test_passage_kind_over_its_lines_is_the_share_of_the_quote_spans(
    text: str, start: int, length: int
) -> None:
    """Scanning only the lines of a passage (its window cut at the line breaks around it)
    types it as all the quote spans of its whole window do, wherever the marks and line breaks
    are, for passages of a few characters to more than the window's reach."""
    from wiretrace.lineage import _passage_kind_plain, passage_kind
    from wiretrace.models import Passage

    start %= len(text) + 1
    end = min(start + length, len(text))
    passage = Passage(start, end, 0, 0, 1.0, 1, 1, 1)
    assert passage_kind(text, passage) == _passage_kind_plain(text, passage)


def test_acronym_owners_of_a_corpus_are_of_its_documents() -> None:
    """Agency acronyms found in a corpus's openings (only documents with one are made) name the
    outlets they name in the same documents in memory, in the same order."""
    from wiretrace.corpus import Corpus
    from wiretrace.lineage import _acronym_owners

    rng = random.Random(5)
    documents = []
    for k in range(40):
        acronym = rng.choice(["NWP", "AP", "ÉFE", "XYZ", "Zed"])
        opening = rng.choice([f"LONDON ({acronym}) - ", "", f"({acronym}) ", "é’ "])
        outlet = rng.choice(["Northwind Press", "Associated Press", "Zed News", None, ""])
        text = opening + _article(rng, 3)
        documents.append(Document(id=f"d{k}", text=text, outlet=outlet))
    with Corpus.collect(documents) as corpus:
        owners = _acronym_owners(corpus)
    assert list(owners.items()) == list(_acronym_owners(documents).items())
    assert owners


@pytest.mark.parametrize("first, second", [("NWP", "NP"), ("NP", "NWP")])
def test_acronym_owners_keep_the_order_of_the_openings(first: str, second: str) -> None:
    """Two acronyms first found in one opening are listed in the order written there (not a
    set's, which changes with each run's string hashes)."""
    from wiretrace.lineage import _acronym_owners

    text = f"LONDON ({first}) - A report ({second}) said. " + "More words follow here. " * 5
    documents = [Document(id=f"d{k}", text=text, outlet="Northwind Press") for k in range(3)]
    assert list(_acronym_owners(documents).items()) == [
        (first, "Northwind Press"),
        (second, "Northwind Press"),
    ]


_PUBLISHED = st.none() | st.sampled_from(
    [
        "2024-01-01", "2024-01-02", "2024-01-01T00:00:00Z", "2024-01-01T23:30:00Z",
        "2024-01-02T00:15:00Z", "2023-12-31T23:59:59Z", "2024-01-01T12:00:00.500000Z",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_PUBLISHED, _PUBLISHED)
def test_hours_from_moments_are_hours_between(first: str | None, second: str | None) -> None:
    """The hours between two documents' remembered moments are `_hours_between` the two."""
    from wiretrace.lineage import _hours_between, _hours_from, _moment

    a = Document(id="a", text="x", published=first)
    b = Document(id="b", text="y", published=second)
    assert _hours_from(_moment(a), _moment(b)) == _hours_between(a, b)


@pytest.mark.parametrize("name", ["A", "AP", "Al", "CNN", "Tass", "Reuters", "Fox News", "Б Б"])
def test_only_short_names_are_credited_as_written(name: str) -> None:
    """A name `_may_credit` looks for as written is one whose credit pattern is case-sensitive;
    the others it never rules out."""
    from wiretrace.lineage import _credit_pattern, _credit_search, _may_credit

    cased = not _credit_pattern(name).flags & re.IGNORECASE
    assert cased == (not _credit_search(name).flags & re.IGNORECASE)
    assert _may_credit("nothing here", name) == (not cased)
    assert _may_credit(f"by {name}", name)


_CHANGE_SIDES = st.lists(
    st.sampled_from([*ATTRIBUTION_WORDS, "\u2019", "\u201c", "\u2014", "é", "said", "to", "be"]),
    max_size=8,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(_CHANGE_SIDES, _CHANGE_SIDES)
def test_a_change_without_ascii_cores_has_no_attribution_and_no_hedge(old: str, new: str) -> None:
    """Where the lowered form of a change of ASCII and marks holds none of the ASCII cores of
    attribution and of hedges (one search, `classify_change`'s first), it has no attribution,
    and no hedge core: the two checks it then skips would find nothing."""
    from wiretrace import lineage

    changed = f"{old}\n{new}"
    lowered = lineage._plain_lowered(changed)
    if lowered is not None and lineage._ASCII_CORES.search(lowered) is None:
        assert not lineage._has_attribution(changed, lowered)
        assert lineage._ATTRIBUTION.search(changed) is None
        assert not lineage._has_core(
            changed, lowered, lineage._HEDGE_CORES, lineage._HEDGE_ASCII_CORES
        )


@settings(max_examples=400, deadline=None)
@given(_CHANGE_SIDES, _CHANGE_SIDES)
def test_a_change_without_hedge_cores_changes_no_hedge(old: str, new: str) -> None:
    """Where a change (both sides, a line break between) holds no core of the hedges, the two
    sides have the same hedges (`classify_change` then skips them); one lowering of the change
    serves both quick tests."""
    from wiretrace import lineage

    changed = f"{old}\n{new}"
    lowered = lineage._plain_lowered(changed)
    for cores, ascii_words in (
        (lineage._ATTRIBUTION_CORES, lineage._ATTRIBUTION_ASCII_CORES),
        (lineage._HEDGE_CORES, lineage._HEDGE_ASCII_CORES),
    ):
        assert lineage._has_core(changed, lowered, cores, ascii_words) == lineage._holds_core(
            changed, cores, ascii_words
        )
    if lineage._hedges(old) != lineage._hedges(new):
        assert lineage._has_core(changed, lowered, lineage._HEDGE_CORES, lineage._HEDGE_ASCII_CORES)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*ATTRIBUTION_WORDS, "contributed to this report", "\u2019", "\u201c", "city", "ä"]
        ),
        max_size=12,
    ).flatmap(
        lambda words: st.lists(
            st.sampled_from([" ", "", "\n", "(", "  ", "\u201c"]),
            min_size=len(words),
            max_size=len(words),
        ).map(lambda gaps: "".join(g + w for g, w in zip(gaps, words, strict=True)))
    )
)
def test_attribution_tried_at_its_starts_is_its_search(changed: str) -> None:
    """Trying the attribution pattern only where a match can start finds one exactly where
    searching the whole change does."""
    from wiretrace import lineage

    found = lineage._has_attribution(changed, lineage._plain_lowered(changed))
    assert found == (lineage._ATTRIBUTION.search(changed) is not None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=TRICKY_TEXT + "\n_-", max_size=80), st.integers(0, 10))
def test_has_words_counts_as_the_word_list(text: str, count: int) -> None:
    """The regex that stops at the count-th word agrees with counting every word."""
    from wiretrace import lineage

    assert lineage._has_words(text, count) == (len(lineage._words(text)) >= count)


def _agency_stories(rng: random.Random, stories: int) -> list[Document]:
    """Each story by Northwind Press ("LONDON (NWP) -") and two copies crediting "(NWP)"."""
    documents = []
    for story in range(stories):
        body = _article(rng, 8)
        documents.append(
            Document(id=f"w{story}", text=f"LONDON (NWP) - {body}", outlet="Northwind Press")
        )
        for copy in range(2):
            text = f"(NWP) {body} Our own closing words, number {copy}."
            documents.append(Document(id=f"c{story}{copy}", text=text, outlet=f"Copy {copy}"))
    return documents


def test_lineage_in_workers_knows_the_agency_acronyms(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes forked while the agency acronyms are still being found get them with
    their tasks: they credit the agency by its acronym as one process does."""
    from wiretrace import lineage

    monkeypatch.setattr(lineage, "PARALLEL_CLUSTERS", 2)
    documents = _agency_stories(random.Random(7), 6)
    report = wiretrace.find_reuse(documents, jobs=1)
    alone = infer_lineage(report.documents, report.pairs, jobs=1)
    assert len(alone) >= 2
    assert infer_lineage(report.documents, report.pairs, jobs=2) == alone
    assert any(edge.credit == "NWP" for cluster in alone for edge in cluster.edges)


def test_lineage_in_workers_by_runs_of_inherited_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clusters found before the workers fork, handed out a run at a time by where it starts
    (one cluster a run here), and agency acronyms read from the corpus's openings in shares, one
    per worker: the clusters and pairs of one process, in its order."""
    from wiretrace import lineage
    from wiretrace.corpus import Corpus

    monkeypatch.setattr(lineage, "PARALLEL_CLUSTERS", 2)
    monkeypatch.setattr(lineage, "CHUNK_CLUSTERS", 1)
    documents = _agency_stories(random.Random(11), 5)
    report = wiretrace.find_reuse(documents, jobs=1)
    pairs = list(report.pairs)
    alone = lineage.infer_lineage_and_directions(documents, pairs, jobs=1)
    assert len(alone[0]) >= 3
    with Corpus.collect(documents) as corpus:
        assert lineage.infer_lineage_and_directions(corpus, pairs, jobs=2) == alone
        assert lineage.infer_lineage_and_directions(corpus, pairs, jobs=3) == alone


class _LaterFuture(Future[Any]):
    """A task's future that is never done before its output is asked for: then it runs."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__()
        self._call = call

    def result(self, timeout: float | None = None) -> Any:
        if not self.done():
            self.set_result(self._call())
        return super().result(timeout)


class _HerePool(Executor):
    """Runs the tasks submitted in this process: at once (`later` False), or only when their
    outputs are asked for, in the order asked."""

    def __init__(self, later: bool) -> None:
        self.later = later

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = _LaterFuture(lambda: fn(*args, **kwargs))
        if not self.later:
            future.result()
        return future


@pytest.mark.parametrize("later", [False, True])
@pytest.mark.parametrize("chunk", [1, 2, 16])
def test_lineage_in_runs_keeps_the_task_order(
    monkeypatch: pytest.MonkeyPatch, later: bool, chunk: int
) -> None:
    """Runs of clusters handed out by where they start, of any length (the last one shorter),
    made as they are sent or only when their outputs are taken: the clusters and pairs are one
    process's, in its order."""
    from wiretrace import lineage

    monkeypatch.setattr(lineage, "PARALLEL_CLUSTERS", 2)
    monkeypatch.setattr(lineage, "CHUNK_CLUSTERS", chunk)
    rng = random.Random(13)
    documents = []
    for story in range(7):
        body = _article(rng, 6)
        documents.append(Document(id=f"s{story}", text=f"(NWP) {body}", outlet="Northwind Press"))
        for copy in range(story % 3 + 1):
            text = f"{body} Closing words of copy {copy}."
            documents.append(Document(id=f"s{story}c{copy}", text=text, outlet=f"Copy {copy}"))
    pairs = list(wiretrace.find_reuse(documents, jobs=1).pairs)
    alone = lineage.infer_lineage_and_directions(documents, pairs, jobs=1)
    assert len(alone[0]) >= 5
    monkeypatch.setattr(lineage, "worker_pool", lambda workers: _HerePool(later))
    for jobs in (2, 3):
        assert lineage.infer_lineage_and_directions(documents, pairs, jobs=jobs) == alone


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 45])
def test_opening_acronyms_in_shares_are_the_whole_ones(parts: int) -> None:
    """The openings' acronyms of the shares of a run's documents, one after the other, are the
    whole run's (in a corpus and in memory), and so give the same owners in the same order."""
    from wiretrace.corpus import Corpus
    from wiretrace.lineage import _acronym_owners, _opening_acronyms, _owners_of, _shares

    rng = random.Random(parts)
    documents = []
    for k in range(40):
        acronym = rng.choice(["NWP", "AP", "ÉFE", "XYZ", "Zed"])
        opening = rng.choice([f"LONDON ({acronym}) - ", "", f"({acronym}) (AP) ", "é’ "])
        outlet = rng.choice(["Northwind Press", "Associated Press", "Zed News", None, ""])
        documents.append(Document(id=f"d{k}", text=opening + _article(rng, 2), outlet=outlet))
    shares = _shares(len(documents), parts)
    assert [start for start, _ in shares[1:]] == [end for _, end in shares[:-1]]
    assert (shares[0][0], shares[-1][1]) == (0, len(documents))
    whole = list(_opening_acronyms(documents, 0, len(documents)))
    with Corpus.collect(documents) as corpus:
        for source in (documents, corpus):
            found = [item for share in shares for item in _opening_acronyms(source, *share)]
            assert found == whole
            owners = _owners_of(found)
            assert list(owners.items()) == list(_acronym_owners(documents).items())
    assert whole


@pytest.mark.parametrize(
    "outlet", ["Northwind Press", "The New York Times", "Fox News", "Интерфакс", "AP", ""]
)
def test_remembered_outlet_names_are_outlet_names(outlet: str) -> None:
    """Orienting a pair takes an outlet's names from `_outlet_names`, which remembers them:
    the names `outlet_names` gives, in its order."""
    from wiretrace.lineage import _outlet_names, outlet_names

    names = _outlet_names(outlet)
    assert names == tuple(outlet_names(outlet))
    assert _outlet_names(outlet) == names  # asked again: remembered


@pytest.mark.parametrize(
    ("span", "widened"),
    [
        ((0, 3), (0, 3)),  # before the links
        ((0, 6), (0, 10)),  # into the first
        ((6, 7), (5, 10)),  # inside it
        ((7, 7), (5, 10)),  # a point inside it
        ((5, 5), (5, 5)),  # a point at its start: not inside
        ((10, 10), (10, 10)),  # ... at its end
        ((12, 15), (12, 15)),  # between the links
        ((9, 21), (5, 30)),  # over the end of one and the start of the next
        ((29, 35), (20, 35)),
        ((0, 40), (0, 40)),
    ],
)
def test_a_span_widened_to_the_links_it_touches(
    span: tuple[int, int], widened: tuple[int, int]
) -> None:
    from wiretrace.lineage import _widened

    assert _widened([(5, 10), (20, 30)], *span) == widened


def test_links_end_before_a_sentence_end() -> None:
    """A link is taken up to a space, quotation mark or bracket, without the sentence's end."""
    from wiretrace.lineage import _links

    text = 'See https://vk.com/wall-1_2%D0%B1, "www.example.org." and (http://x.io/a?b=1).'
    assert [text[a:b] for a, b in _links(text)] == [
        "https://vk.com/wall-1_2%D0%B1",
        "www.example.org",
        "http://x.io/a?b=1",
    ]
    assert _links("No address here, only www and http.") == []
