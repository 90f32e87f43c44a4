"""Lineage: reuse clusters, who took each passage from whom, and the typed mutations of every hop.

- Direction of one pair (`orient_pair`): publication times where known, else the texts.
- Clusters (`find_clusters`): the passages of all pairs, joined wherever they overlap in a
  document, so one cluster is one family of reused text across every document carrying it.
- Lineage (`infer_lineage`): within a cluster, each document's most likely parent. Candidate
  parents are the documents it shares the cluster's text with; each is scored by parsimony over
  edit events (every change between the two copies counts once, so a copy that inherits its
  parent's edits is explained most cheaply by that parent, not by the wire; cluster text the
  child has and the parent lacks counts word by word; dropping the parent's opening or end is
  cheap, as copies do it on their own all the time, so it is weak evidence of shared ancestry and
  the fuller text is the likelier origin), by publication time (strong between one outlet's
  versions, and there update markers too; weaker across outlets, where a few hours of clock error
  are outweighed by one inherited edit), and by credit (a text naming the other's outlet took
  from it; the document other members credit, the agency, is the likelier origin, and the likelier
  parent where the texts cannot tell). The tree is the maximum spanning arborescence of
  those scores (no cycles, by construction); a document no parent explains well is a root. An
  edge's confidence weighs its parent against the other candidates and against the hop turned
  round (two copies nothing tells apart get 0.5). `infer_lineage_and_directions` also orients the
  pairs the two texts alone could not (direction "unknown") by their cluster's tree, where the
  tree has evidence for the order. `taken_version` links a derived document to the version of an
  updated story it took.
- Mutations (`classify_change`): every edit along a hop, typed as number, name, quote,
  attribution, hedge, sentence_added/removed, or plain substitution/insertion/deletion.
"""

from __future__ import annotations

import gc
import math
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import chain, islice, repeat
from operator import attrgetter
from typing import TypeVar, overload

import attrs
import numpy as np

from wiretrace import _kernels, _lineage_kernels
from wiretrace._workers import worker_pool
from wiretrace.align import common_ends
from wiretrace.corpus import Corpus, documents_by_id, openings
from wiretrace.models import (
    ClusterMember,
    Direction,
    Document,
    LineageEdge,
    Mutation,
    MutationType,
    Pair,
    Passage,
    PassageKind,
    ReuseCluster,
    parse_published,
)
from wiretrace.shingle import BLOCK_CHARS, TOKEN_PATTERN, char_tables, code_points, tokenize

# Coverage must differ by more than this for the texts alone to decide a pair's direction.
TEXT_DIRECTION_MARGIN = 0.05
# A pair the texts alone cannot orient takes the order of its cluster's lineage tree when turning
# any hop between the two round would cost the tree more than this: one edit event's evidence.
LINEAGE_DIRECTION_MARGIN = 1.0

# Weights of the evidence for "child took it from parent" (see the module docstring), summed
# into one score per candidate parent; the unit is one edit event.
# Text (parsimony, see _change_cost): every change between the parent's and the child's copy of
# the cluster's text is one event (a word or a few replaced, a sentence added or dropped), so a
# copy that inherits its parent's edits is explained most cheaply by that parent, and a copy of a
# copy sits between its source and the wire. Small changes cost COST_EDIT plus COST_WORD a word
# and cost the same either way round. A whole sentence (SENTENCE_WORDS or more) the child adds
# costs COST_ADD, one it drops from the middle COST_DROP: a deliberate edit, telling more than a
# word replaced, so a copy that lacks the sentence its parent dropped is not taken for the
# wire's. Words count up to EVENT_WORDS per event.
COST_EDIT = 1.0
COST_WORD = 0.1
COST_ADD = 1.0
COST_ADD_WORD = 0.02
COST_DROP = 1.2
COST_DROP_WORD = 0.002
COST_SHARED_WORD = 0.06
# Changes copies make on their own all the time (the parent's opening, a dateline or an update
# note, dropped; its end trimmed; see `_dropped_cost`) cost COST_COMMON, plus COST_DROP_WORD a
# word:
# two copies that both made one are as likely siblings as copy and copy of copy (the change is
# weak evidence of shared ancestry), and as the child lacking text is cheap and the child having
# text its parent lacks is not, the fuller text is the likelier origin.
COST_COMMON = 0.2
EVENT_WORDS = 40
# Time: WEIGHT_TIME * tanh(hours / TIME_SCALE_HOURS): being published first matters, being
# published much earlier does not. Across outlets it weighs less than one inherited edit on each
# side (a copy that carries its parent's edits outweighs a few hours of clock error); one
# outlet's versions of a story share one clock, so there the times decide
# (SAME_OUTLET_TIME_FACTOR).
WEIGHT_TIME = 0.3
TIME_SCALE_HOURS = 1.0
SAME_OUTLET_TIME_FACTOR = 20.0
# A "parent" published more than LATE_HOURS after the child needs clocks wrong by a day or more.
LATE_HOURS = 12.0
WEIGHT_LATE = 3.0
# Credit (direction): the parent names the child's outlet as its source. Being credited by
# another member makes a document the likelier origin of the cluster (WEIGHT_ROOT_CREDIT).
WEIGHT_CREDIT = 1.0
WEIGHT_ROOT_CREDIT = 5.0
# Where the text cannot tell two candidate parents apart, the one the child credits is likelier
# (weaker than any edit or trim: a copy of a copy keeps the agency's credit too).
WEIGHT_CREDIT_PARENT = 0.3
# One outlet's versions of a story: the one marked as a later update ("UPDATE 2", "(Adds ...)")
# came later, whatever the texts say (an update adds text, so it is the fuller one).
WEIGHT_VERSION = 10.0
# Containment of whole texts (direction, weak: a tie-breaker where nothing else tells): the
# text 5% or more longer is the likelier origin.
WEIGHT_FULLER = 0.2
# A document is a root (of its own) unless some parent accounts for more than ROOT_SHARE of its
# reused text: explaining it costs less than ROOT_EVENT_SHARE events a word of it.
ROOT_SHARE = 0.4
ROOT_EVENT_SHARE = 0.5
# A change of at least this many words that adds or removes whole sentences is typed as such.
SENTENCE_WORDS = 8
# Edits of a moved sentence with at most this many words between them are one (see `_moves`).
MOVE_JOIN_WORDS = 2
CONFIDENCE_SHARPNESS = 1.0
# Candidate parents per child kept for the tree (the best by score).
MAX_CANDIDATE_PARENTS = 8

# Share of a passage inside quotation marks above which it is a shared quote, not copying.
QUOTE_SHARE = 0.8

# Every alternative starts with its quotation mark (the "not after a letter" test of single
# quotes comes after the mark, as a lookbehind over both), so that the regex engine skips to the
# next quotation mark at C speed: ten times faster than with the lookbehind first.
_QUOTED = re.compile(
    r"\"[^\"\n]{1,1500}\"|“[^”\n]{1,1500}”|„[^“”\n]{1,1500}[“”]|«[^»\n]{1,1500}»"
    r"|‘(?<!\w‘)[^’\n]{1,1500}’(?!\w)|'(?<!\w')[^'\n]{1,1500}'(?!\w)"
)
# The marks a match of _QUOTED starts with.
_OPENING_MARK = re.compile("[\"“„«‘']")
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
# A web address: a scheme or "www.", then up to a space, a quotation mark or a bracket; the
# punctuation that ends a sentence after it is not part of it.
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}«»“”‘’„]+(?<![.,;:!?…])", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?。！？…](?:[\"'”’»)\]]*)(?:\s|$)")
_ATTRIBUTION = re.compile(
    r"\baccording to\b|\breport(?:ed|s|ing)?\b|\btold\b|\bquot(?:ed|ing)\b|\bcit(?:ed|ing)\b"
    r"|\bsaid in a statement\b|\bsources?\b|\bvia\b|\bcontributed to this report\b"
    r"|\bwire services?\b|\bnews agenc(?:y|ies)\b|\(\s*[A-Z][A-Za-z]{1,15}\s*\)"
    r"|\bсообщ\w*|\bпо данным\b|\bпередает\b|\bпередаёт\b|\bсогласно\b"
    r"|\bsegún\b|\bselon\b|\blaut\b",
    re.IGNORECASE,
)
# A core of every alternative of _ATTRIBUTION, under the same flags: every match of it holds a
# match of this, which the regex engine finds several times faster (its alternatives start
# with plain letters, not word boundaries), and most changes hold none.
_ATTRIBUTION_CORE_WORDS = (
    "according to", "report", "told", "quot", "cit", "said in a statement", "source", "via",
    "wire service", "news agenc", "(", "сообщ", "по данным", "передает", "передаёт", "согласно",
    "según", "selon", "laut",
)  # fmt: skip
_ATTRIBUTION_CORES = re.compile("|".join(map(re.escape, _ATTRIBUTION_CORE_WORDS)), re.IGNORECASE)
_ATTRIBUTION_ASCII_CORES = tuple(word for word in _ATTRIBUTION_CORE_WORDS if word.isascii())
_HEDGE = re.compile(
    r"\breportedly\b|\ballegedly\b|\balleged\b|\bpurportedly\b|\bapparently\b|\bunconfirmed\b"
    r"|\bunverified\b|\brumou?red\b|\bsupposedly\b|\bpresumably\b|\bpossibly\b|\bclaimed\b"
    r"|\b(?:is|are|was|were) said to\b|\bit is (?:believed|thought|understood)\b"
    r"|\bbelieved to\b|\bmay have\b|\bmight have\b|\bsources say\b|\breports suggest\b"
    r"|\bякобы\b|\bпредположительно\b|\bпо неподтвержденным\b|\bвозможно\b",
    re.IGNORECASE,
)
# A core of every alternative of _HEDGE, under the same flags (see _ATTRIBUTION_CORES).
_HEDGE_CORE_WORDS = (
    "report", "alleged", "purportedly", "apparently", "unconfirmed", "unverified", "rumo",
    "supposedly", "presumably", "possibly", "claimed", "said to", "it is", "believed to",
    "may have", "might have", "sources say", "якобы", "предположительно", "по неподтвержденным",
    "возможно",
)  # fmt: skip
_HEDGE_CORES = re.compile("|".join(map(re.escape, _HEDGE_CORE_WORDS)), re.IGNORECASE)
_HEDGE_ASCII_CORES = tuple(word for word in _HEDGE_CORE_WORDS if word.isascii())
# The ASCII cores of attribution and of hedges, searched at once in a change's `_plain_lowered`
# form: most changes hold none of either.
_ASCII_CORES = re.compile("|".join(map(re.escape, _ATTRIBUTION_ASCII_CORES + _HEDGE_ASCII_CORES)))
# The marks that make most texts of other characters than ASCII's (quotation marks, dashes, an
# ellipsis): none is a letter, nor matches one however its case is ignored.
_PLAIN_MARKS = ("\u2019", "\u201c", "\u201d", "\u2014", "\u2013", "\u2018", "\u2026")
_UPDATE = re.compile(
    r"\bUPDATE\s*\d+\b|\bCORRECTED\b|\bREFILE\b|\bWRAPUP\b|\(\s*(?:Adds|Updates|Recasts|Corrects)\b"
)
# Every match of _UPDATE holds one of these as written: for "(Adds ..." the word, not "(", which
# most openings hold (searching those cost more than all the rest of a document's version rank).
_UPDATE_MARKS = (
    "UPDATE", "CORRECTED", "REFILE", "WRAPUP", "Adds", "Updates", "Recasts", "Corrects",
)  # fmt: skip
_GENERIC_OUTLET_WORDS = {
    "the", "news", "daily", "post", "times", "wire", "agency", "press", "service", "services",
    "radio", "online", "herald", "review", "journal", "tribune", "courier", "observer", "star",
    "ledger", "media", "network", "channel", "group", "report", "weekly", "evening", "morning",
    "broadcasting", "international", "national", "world", "today", "com", "www", "net", "org",
}  # fmt: skip
_ACRONYM = re.compile(r"\(\s*([A-Z][A-Za-z]{1,10})\s*\)")


def orient_pair(
    first: Document, second: Document, first_coverage: float, second_coverage: float
) -> tuple[Document, Document, Direction]:
    """(source, target, direction) for two documents that share passages.

    Publication times decide when both are known and differ (a bare date only decides against a
    different date). Otherwise the texts decide: of one outlet's versions, the one marked as a later
    update ("UPDATE 2", "(Adds ...)") is the target; a text that credits the other's outlet ("(NDX)",
    "according to Northdesk") took it from the other; failing that, the copy is the text more
    covered by the shared passages (a trimmed or excerpted copy derives from the fuller text).
    Where neither decides, the given order stands and the direction is "unknown".
    """
    earlier = _earlier(first, second)
    if earlier is not None:
        return (first, second, "published") if earlier is first else (second, first, "published")
    if _same_outlet(first, second):
        later = _version_rank(second) - _version_rank(first)
        if later:
            return (first, second, "text") if later > 0 else (second, first, "text")
    first_credits, second_credits = _credits_outlet(first, second), _credits_outlet(second, first)
    # An agency's own dispatch names its own outlet in the dateline; a copy often drops it.
    if not (first_credits or second_credits):
        first_credits, second_credits = _names_itself(second), _names_itself(first)
    if second_credits and not first_credits:
        return first, second, "text"
    if first_credits and not second_credits:
        return second, first, "text"
    if second_coverage > first_coverage + TEXT_DIRECTION_MARGIN:
        return first, second, "text"
    if first_coverage > second_coverage + TEXT_DIRECTION_MARGIN:
        return second, first, "text"
    return first, second, "unknown"


def _names_itself(document: Document) -> bool:
    """Whether a document's opening credits its own outlet ("LONDON (NWP) -" by Northwind Press)."""
    if not document.outlet:
        return False
    return any(_acronym_names(a, document.outlet) for a in _ACRONYM.findall(document.text[:400]))


def _credits_outlet(document: Document, other: Document) -> bool:
    """Whether `document` credits `other`'s outlet: by name, or by an agency acronym in its
    opening that abbreviates the outlet's name ("(NWP)" for Northwind Press). `other` of no
    known outlet goes by the agency its opening dateline names, if any (see `_names_of`)."""
    if not other.outlet:
        agency = _dateline_agency(other.text)
        return agency is not None and _find_credit_lowered(document.text, (agency,)) is not None
    if _same_outlet(document, other):
        return False
    if _find_credit_lowered(document.text, _outlet_names(other.outlet)):
        return True
    return any(_acronym_names(a, other.outlet) for a in _ACRONYM.findall(document.text[:400]))


@lru_cache(maxsize=1024)
def _outlet_names(outlet: str) -> tuple[str, ...]:
    """`outlet_names(outlet)`, remembered: a corpus has few outlets, and orienting a pair asked
    for them anew each time."""
    return tuple(outlet_names(outlet))


def _earlier(first: Document, second: Document) -> Document | None:
    """The document published first, or None when the dates are missing or cannot tell: the
    sign of `_hours_between`, told by comparing the two times (or days) instead of subtracting
    them (tests compare the two)."""
    first_time, second_time = _published_at(first.published), _published_at(second.published)
    if first_time is None or second_time is None:
        return None
    if first.published_has_time and second.published_has_time:
        if first_time == second_time:
            return None
        return first if first_time < second_time else second
    # Both times are UTC (see `Document.published_at`): their `_day`s compare as their dates,
    # which take a fraction of the time to make.
    first_day, second_day = first_time.date(), second_time.date()
    if first_day == second_day:
        return None
    return first if first_day < second_day else second


# A document's `published_at`, by its `published` string: a corpus has few distinct ones (most
# are bare dates), and parsing them was three quarters of `_earlier`'s time.
_published_at = lru_cache(maxsize=4096)(parse_published)


def _hours_between(first: Document, second: Document) -> float | None:
    """Hours from `first`'s publication to `second`'s (negative if second is earlier).

    Bare dates compare by day only; None when either date is unknown.
    """
    first_time, second_time = first.published_at, second.published_at
    if first_time is None or second_time is None:
        return None
    if not (first.published_has_time and second.published_has_time):
        first_time = _day(first_time)
        second_time = _day(second_time)
    return (second_time - first_time).total_seconds() / 3600.0


# A document's publication as `_hours_between` compares it: `published_at`, its day, and
# whether it has a time of day; (None, None, False) when unknown.
_Moment = tuple[datetime | None, datetime | None, bool]


def _moment(document: Document) -> _Moment:
    """The document's `_Moment`."""
    published = document.published_at
    if published is None:
        return None, None, False
    return published, _day(published), document.published_has_time


def _hours_from(first: _Moment, second: _Moment) -> float | None:
    """`_hours_between` two documents of these moments (lineage keeps each document's moment
    for the run: making the days every time its documents were compared was 2% of its time)."""
    if first[0] is None or second[0] is None:
        return None
    if first[2] and second[2]:
        return (second[0] - first[0]).total_seconds() / 3600.0
    assert first[1] is not None and second[1] is not None
    return (second[1] - first[1]).total_seconds() / 3600.0


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


# --- quotes -------------------------------------------------------------------------------


def quote_spans(text: str) -> list[tuple[int, int]]:
    """The spans of `text` inside quotation marks (marks included), in order."""
    return [match.span() for match in _QUOTED.finditer(text)]


def _share_inside(spans: Sequence[tuple[int, int]], start: int, end: int) -> float:
    if end <= start:
        return 0.0
    inside = sum(max(0, min(end, b) - max(start, a)) for a, b in spans)
    return inside / (end - start)


def passage_kind(source_text: str, passage: Passage) -> PassageKind:
    """ "quote" when the passage is mostly inside quotation marks in its source, else "narration"."""
    if passage.source_end <= passage.source_start:
        return "narration"
    # `_share_inside` of the `quote_spans` of the text around the passage, the spans taken in
    # order only up to the first that starts past the passage (none after it overlaps it): by
    # a compiled loop over the text's code points (the regex took 2% of the align stage). Of
    # the window, only the lines of the passage: no span crosses a line break, so the spans
    # over them are the same, and the window's code points take a fraction of the time.
    offset = max(0, passage.source_start - 1500)
    opens_after = max(offset, source_text.rfind("\n", offset, passage.source_start) + 1)
    stop = source_text.find("\n", passage.source_end, passage.source_end + 1500)
    window = source_text[opens_after : passage.source_end + 1500 if stop < 0 else stop]
    start, end = passage.source_start - opens_after, passage.source_end - opens_after
    points = _code_points(window)
    if points is not None:
        inside = int(_lineage_kernels.quote_inside(points, _word_characters(), start, end))
    else:
        inside = 0
        for match in _QUOTED.finditer(window):
            a, b = match.span()
            if a >= end:
                break
            inside += max(0, min(end, b) - max(start, a))
    return "quote" if inside / (end - start) >= QUOTE_SHARE else "narration"


def _passage_kind_plain(source_text: str, passage: Passage) -> PassageKind:
    """`passage_kind` from all the quote spans around the passage: the reference it is tested
    against."""
    offset = max(0, passage.source_start - 1500)
    spans = quote_spans(source_text[offset : passage.source_end + 1500])
    share = _share_inside(spans, passage.source_start - offset, passage.source_end - offset)
    return "quote" if share >= QUOTE_SHARE else "narration"


# --- clusters -------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


# A passage's spans: source start and end, target start and end.
_PASSAGE_BOUNDS = attrgetter("source_start", "source_end", "target_start", "target_end")
_PASSAGES = attrgetter("passages")
_SOURCE = attrgetter("source")
_TARGET = attrgetter("target")


def find_clusters(
    pairs: Sequence[Pair],
) -> list[tuple[list[tuple[str, int, int]], list[tuple[int, int]]]]:
    """Group passages into clusters of the same reused text.

    Returns, per cluster, its spans [(document, start, end)] (overlapping spans of one document
    merged) and the (pair index, passage index) of every passage in it. Clusters are ordered by
    their first passage.
    """
    # Every passage's two spans (items 2k and 2k + 1), then by arrays: the runs of overlapping
    # spans in each document, the clusters those runs and the passages linking them make, and
    # each cluster's spans merged. Span by span (`_find_clusters_plain`) it took 0.6 s at 20k
    # articles, in the parent before any worker starts; this takes a sixth of that. (Spans and
    # ids are read by C loops over all the passages at once: a Python loop over the pairs, each
    # document numbered as it came, took 0.04 s more.)
    groups = list(map(_PASSAGES, pairs))
    counts = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
    total = int(counts.sum())
    if not total:
        return []
    sources = list(map(_SOURCE, pairs))
    targets = list(map(_TARGET, pairs))
    # Documents numbered in the order of their ids (the order of a cluster's spans).
    names = sorted(set(sources).union(targets))
    number = {name: k for k, name in enumerate(names)}
    ends_of_pairs = np.array(
        [list(map(number.__getitem__, sources)), list(map(number.__getitem__, targets))],
        dtype=np.int64,
    ).T
    doc = np.repeat(ends_of_pairs, counts, axis=0).reshape(-1)
    bounds = chain.from_iterable(map(_PASSAGE_BOUNDS, chain.from_iterable(groups)))
    starts, ends = np.fromiter(bounds, dtype=np.int64, count=4 * total).reshape(-1, 2).T
    # Each passage's (pair index, passage index).
    pair_of = np.repeat(np.arange(len(groups)), counts)
    owners = list(
        zip(
            pair_of.tolist(),
            (np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)).tolist(),
            strict=True,
        )
    )
    # A span joins the run of the spans before it in its document (by start, then end) when it
    # starts before the furthest end among them.
    order = np.lexsort((ends, starts, doc))
    first = _run_firsts(doc[order], starts[order], ends[order])
    run = np.empty(len(order), dtype=np.int64)
    run[order] = np.cumsum(first) - 1
    # Runs numbered by their first item, so that the union-find's root (the least number) of
    # a cluster is the run of its first item: clusters are numbered in the order of that item.
    lowest = np.minimum.reduceat(order, np.flatnonzero(first))
    renumber = np.empty(len(lowest), dtype=np.int64)
    renumber[np.argsort(lowest)] = np.arange(len(lowest))
    run = renumber[run]
    roots = _linked_roots(len(lowest), run[0::2].tolist(), run[1::2].tolist())
    cluster = np.unique(roots, return_inverse=True)[1].reshape(-1)[run]
    # Each cluster's spans by document and start (ties in the order of the items), merged
    # where one starts before the furthest end of the ones before it.
    order = np.lexsort((starts, doc, cluster))
    keys = cluster[order] * len(names) + doc[order]
    first = _run_firsts(keys, starts[order], ends[order])
    heads = np.flatnonzero(first)
    member_docs = doc[order][heads].tolist()
    member_starts = starts[order][heads].tolist()
    member_ends = np.maximum.reduceat(ends[order], heads).tolist()
    member_clusters = cluster[order][heads]
    clusters_count = int(cluster.max()) + 1
    member_cuts = np.searchsorted(member_clusters, np.arange(clusters_count + 1)).tolist()
    # A passage's two spans are in one cluster: its passages in order.
    passage_clusters = cluster[0::2]
    passage_order = np.argsort(passage_clusters, kind="stable").tolist()
    passage_cuts = np.searchsorted(
        passage_clusters[passage_order], np.arange(clusters_count + 1)
    ).tolist()
    members = [
        (names[d], start, end)
        for d, start, end in zip(member_docs, member_starts, member_ends, strict=True)
    ]
    return [
        (
            members[member_cuts[k] : member_cuts[k + 1]],
            [owners[item] for item in passage_order[passage_cuts[k] : passage_cuts[k + 1]]],
        )
        for k in range(clusters_count)
    ]


def _linked_roots(size: int, firsts: list[int], seconds: list[int]) -> np.ndarray:
    """The root of each of `size` items once each item of `firsts` is joined with the one of
    `seconds` beside it: the least item it is joined with (`_UnionFind`, inlined)."""
    parent = list(range(size))
    for a, b in zip(firsts, seconds, strict=True):
        while parent[a] != a:
            parent[a] = a = parent[parent[a]]
        while parent[b] != b:
            parent[b] = b = parent[parent[b]]
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    for item in range(size):
        parent[item] = parent[parent[item]]
    return np.array(parent, dtype=np.int64)


def _run_firsts(keys: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each span (sorted by `keys`, then start) begins a run: its key differs from the
    span's before it, or it starts at or after the furthest end of its key's spans before it
    (the spans of one key overlapping, each one the ones before it, are a run)."""
    first = np.ones(len(keys), dtype=bool)
    if len(keys) > 1:
        # Keys numbered in order, each one's spans shifted past the ends of the ones before, so
        # that the furthest end so far is one running maximum.
        group = np.cumsum(np.concatenate(([0], keys[1:] != keys[:-1])))
        shift = group * (int(ends.max()) + 1)
        furthest = np.maximum.accumulate(ends + shift)
        first[1:] = starts[1:] + shift[1:] >= furthest[:-1]
    return first


def _find_clusters_plain(
    pairs: Sequence[Pair],
) -> list[tuple[list[tuple[str, int, int]], list[tuple[int, int]]]]:
    """`find_clusters` span by span, by a union-find: the reference the array path is tested
    against."""
    spans: list[tuple[str, int, int]] = []
    owners: list[tuple[int, int]] = []
    for pair_index, pair in enumerate(pairs):
        for passage_index, passage in enumerate(pair.passages):
            spans.append((pair.source, passage.source_start, passage.source_end))
            spans.append((pair.target, passage.target_start, passage.target_end))
            owners.append((pair_index, passage_index))
    union = _UnionFind(len(spans))
    for item in range(0, len(spans), 2):
        union.union(item, item + 1)
    by_document: dict[str, list[int]] = defaultdict(list)
    for item, (document, _, _) in enumerate(spans):
        by_document[document].append(item)
    for items in by_document.values():
        items.sort(key=lambda k: (spans[k][1], spans[k][2]))
        current, current_end = items[0], spans[items[0]][2]
        for item in items[1:]:
            start, end = spans[item][1], spans[item][2]
            if start < current_end:
                union.union(current, item)
                current_end = max(current_end, end)
            else:
                current, current_end = item, end
    groups: dict[int, list[int]] = defaultdict(list)
    for item in range(len(spans)):
        groups[union.find(item)].append(item)
    clusters = []
    for root in sorted(groups):
        items = groups[root]
        merged: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for item in sorted(items, key=lambda k: (spans[k][0], spans[k][1])):
            document, start, end = spans[item]
            runs = merged[document]
            if runs and start < runs[-1][1]:
                runs[-1] = (runs[-1][0], max(runs[-1][1], end))
            else:
                runs.append((start, end))
        members = [(doc, start, end) for doc, runs in merged.items() for start, end in runs]
        passages = sorted({owners[item // 2] for item in items})
        clusters.append((members, passages))
    return clusters


# --- mutations --------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _looks_like_name(text: str, full_text: str, start: int) -> bool:
    words = text.split()
    if not words or len(words) > 4:
        return False
    if not all(word[:1].isupper() for word in words):
        return False
    before = full_text[max(0, start - 3) : start].strip()
    return not (before == "" or before.endswith((".", "!", "?", "\n")))


def _inside_quote(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is inside one of the `quote_spans` of the text around it."""
    lookback = max(0, start - 1500)
    # A quotation holding it opens at or before `start`, after the last line break before it
    # (no quotation holds one): where no mark there opens one, none holds it. So three changes
    # in five are told apart by one search of the text, without the text's code points and
    # the compiled scan of the 1500 characters before them (the two were a third of the time
    # typing a hop's changes took).
    opens_after = max(lookback, text.rfind("\n", lookback, start) + 1)
    if _OPENING_MARK.search(text, opens_after, start + 1) is None:
        return False
    points = _text_points(text)
    if points is None:
        return _inside_quote_plain(text, start, end)
    window = points[lookback : min(len(text), end + 1500)]
    return bool(_kernels.quote_holds(window, _word_characters(), start - lookback, end - lookback))


@lru_cache(maxsize=8)
def _text_points(text: str) -> np.ndarray | None:
    """`_code_points` of a text whose changes are being classified (a hop's two texts: each
    is looked at once for every change between them)."""
    return _code_points(text)


def _inside_quote_plain(text: str, start: int, end: int) -> bool:
    """`_inside_quote` by the regex: the reference the compiled loop is tested against."""
    lookback = max(0, start - 1500)
    window = text[lookback : min(len(text), end + 1500)]
    # The spans come in order: none after the first that starts past `start` can hold it.
    for match in _QUOTED.finditer(window):
        if match.start() > start - lookback:
            return False
        if end - lookback <= match.end():
            return True
    return False


def _is_sentence(text: str, words: int = 5) -> bool:
    """Whether `text` has `words` words or more (5 unless given) and a sentence's end."""
    return _has_words(text, words) and bool(_SENTENCE_END.search(text.strip() + " "))


def _has_words(text: str, count: int) -> bool:
    """`len(_words(text)) >= count`, by a regex that stops at the count-th word: a change may be
    a whole stretch of a text, and listing all its words cost more than the rest of classifying
    it."""
    return _at_least_words(count).search(text) is not None


@lru_cache(maxsize=4)
def _at_least_words(count: int) -> re.Pattern[str]:
    """What `_has_words(text, count)` searches for: `count` runs of word characters. Each run is
    taken whole, from its start only (no backtracking into a long run, as of a text without
    spaces, tried from every character of it)."""
    if count < 1:
        return re.compile("")
    return re.compile(rf"(?<!\w)\w++(?:\W++\w++){{{count - 1}}}")


def _in_dateline_parens(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is an agency's name in a credit's parentheses: "(NDX)"."""
    inner = text[start:end].strip()
    return (
        0 < len(inner) <= 20
        and inner[:1].isupper()
        and " " not in inner
        and text[max(0, start - 2) : start].rstrip().endswith("(")
        and text[end : end + 2].lstrip().startswith(")")
    )


def classify_change(
    source_text: str,
    target_text: str,
    source_span: tuple[int, int],
    target_span: tuple[int, int],
    names: Iterable[str] = (),
) -> MutationType:
    """The type of one change: the source span (in source_text) became the target span.

    In order of precedence: sentence_added/sentence_removed (a whole sentence of 8+ words),
    quote (inside quotation marks), attribution (a credit or "according to" changed, or an outlet
    credited by one of `names`), hedge ("reportedly", "allegedly", ...), number,
    name (capitalized words, not at a sentence start), sentence_added/sentence_removed (a shorter
    sentence), else substitution/insertion/deletion. A web address is neither words of a
    sentence nor figures nor a name: a changed link ("https://t.me/s/news/1204" ->
    ".../1207") is a substitution, one added or dropped an insertion or deletion.
    """
    old = source_text[source_span[0] : source_span[1]]
    new = target_text[target_span[0] : target_span[1]]
    # The two sides with their web addresses left out, for the sentence, number and name tests.
    old_words, new_words = _without_links(old), _without_links(new)
    sides: tuple[tuple[str, str, MutationType], ...] = (
        (new_words, old, "sentence_added"),
        (old_words, new, "sentence_removed"),
    )
    for added, removed, kind in sides:
        if not removed.strip() and _is_sentence(added, SENTENCE_WORDS):
            # A sentence that credits the source ("a Reuters reporter saw ...") is attribution.
            return "attribution" if find_credit(added, names) else kind
    if (not old.strip() or _inside_quote(source_text, *source_span)) and (
        not new.strip() or _inside_quote(target_text, *target_span)
    ):
        return "quote"
    linked = old_words != old or new_words != new
    changed = f"{old}\n{new}"
    # The words of a link's path ("/report/", "?via=") are no attribution or hedge (credits are
    # looked for in the whole change, as before).
    words = f"{old_words}\n{new_words}" if linked else changed
    lowered = _plain_lowered(words)
    # Where a change of ASCII and marks holds no core, it has neither an attribution nor a
    # hedge (see `_has_attribution`, `_has_core`): one search tells, for most changes (the two
    # checks took a fifth of typing a hop's changes).
    cores = lowered is None or _ASCII_CORES.search(lowered) is not None
    if (
        (cores and _has_attribution(words, lowered))
        or find_credit(changed, names)
        or _in_dateline_parens(source_text, *source_span)
        or _in_dateline_parens(target_text, *target_span)
    ):
        return "attribution"
    # Every hedge holds a core word (no core word holds a line break): where the change holds
    # none, both sides have the same hedges, none.
    if (
        cores
        and _has_core(words, lowered, _HEDGE_CORES, _HEDGE_ASCII_CORES)
        and _hedges(old_words) != _hedges(new_words)
    ):
        return "hedge"
    if _DIGITS.findall(old_words) != _DIGITS.findall(new_words):
        return "number"
    if old.strip() and new.strip():
        if (
            not linked
            and _looks_like_name(old.strip(), source_text, source_span[0])
            and _looks_like_name(new.strip(), target_text, target_span[0])
        ):
            return "name"
        return "substitution"
    if new.strip():
        return "sentence_added" if _is_sentence(new_words) else "insertion"
    return "sentence_removed" if _is_sentence(old_words) else "deletion"


def _may_hold_link(text: str) -> bool:
    """Whether `text` may hold a web address (`_LINK`): most texts are told by two searches."""
    return "://" in text or "www." in text.lower()


def _without_links(text: str) -> str:
    """`text` with each web address in it (`_LINK`) made a space; `text` itself when it holds
    none."""
    return _LINK.sub(" ", text) if _may_hold_link(text) else text


def _links(text: str) -> list[tuple[int, int]]:
    """The spans of the web addresses in `text` (`_LINK`), in order."""
    return [match.span() for match in _LINK.finditer(text)] if _may_hold_link(text) else []


def _widened(links: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The span [start, end) widened to the whole of each of `links` (in order, disjoint) it
    overlaps; an empty span to the link it lies strictly inside."""
    # From the last link that starts at or before `start`, the only one that can hold it.
    for link_start, link_end in links[max(0, bisect_right(links, (start, math.inf)) - 1) :]:
        if start == end:
            if link_start < start < link_end:
                return link_start, link_end
            if link_start >= start:
                break
        elif link_start >= end:
            break
        elif link_end > start:
            start, end = min(start, link_start), max(end, link_end)
    return start, end


def _whole_links(
    edits: Sequence[tuple[int, int, int, int]],
    parent_links: Sequence[tuple[int, int]],
    child_links: Sequence[tuple[int, int]],
) -> list[tuple[int, int, int, int]]:
    """A passage's edits (parent start, end, child start, end; in order) with each that touches
    a web address widened to the whole address on that side, and edits that then overlap on
    either side made one: the word alignment splits a changed link into its pieces (path parts,
    percent-escapes such as "%D0%B1"), each of which was typed on its own ("B1" -> "BA", a
    "number")."""
    out: list[tuple[int, int, int, int]] = []
    for a, b, c, d in edits:
        a, b = _widened(parent_links, a, b)
        c, d = _widened(child_links, c, d)
        if out and (a < out[-1][1] or c < out[-1][3]):
            pa, pb, pc, pd = out[-1]
            out[-1] = (min(a, pa), max(b, pb), min(c, pc), max(d, pd))
        else:
            out.append((a, b, c, d))
    return out


def _has_attribution(changed: str, lowered: str | None) -> bool:
    """Whether `_ATTRIBUTION` matches in a change, given its `_plain_lowered`.

    In a text of ASCII (and `_PLAIN_MARKS`), the pattern is tried only where one of its ASCII
    cores starts, case ignored: every alternative starts with its core but "contributed to this
    report", and where that matches, "report" matches too. Tried at every position, its many
    alternatives, case ignored, cost half a microsecond a character (a tenth of the mutations'
    time, for the few long changes holding a core such as "cit")."""
    if lowered is None:
        return _ATTRIBUTION_CORES.search(changed) is not None and bool(_ATTRIBUTION.search(changed))
    match = _ATTRIBUTION.match
    for word in _ATTRIBUTION_ASCII_CORES:
        at = lowered.find(word)
        while at >= 0:
            if match(changed, at):
                return True
            at = lowered.find(word, at + 1)
    return False


def _hedges(text: str) -> set[str]:
    """The hedges ("reportedly", "allegedly", ...) in a text, lowercased."""
    if not _holds_core(text, _HEDGE_CORES, _HEDGE_ASCII_CORES):
        return set()
    return {match.group().lower() for match in _HEDGE.finditer(text)}


def _holds_core(text: str, cores: re.Pattern[str], ascii_words: Sequence[str]) -> bool:
    """Whether `cores`, alternatives of plain lowercase words (case ignored), matches in `text`;
    `ascii_words` are its words of ASCII.

    A text of ASCII and `_PLAIN_MARKS` is searched for those by `in`, lowercased: a word of
    ASCII matches ASCII letters only (no other character matches one, case ignored, but "ſ",
    "ı", "İ" and the Kelvin sign), and the other words none of them. Many times faster than the
    regex, whose alternatives are tried at every position."""
    return _has_core(text, _plain_lowered(text), cores, ascii_words)


def _plain_lowered(text: str) -> str | None:
    """A text of ASCII and `_PLAIN_MARKS` lowercased, the marks made spaces; None for another
    text (see `_holds_core`)."""
    plain = text
    if not plain.isascii():
        for mark in _PLAIN_MARKS:
            plain = plain.replace(mark, " ")
        if not plain.isascii():
            return None
    return plain.lower()


def _has_core(
    text: str, lowered: str | None, cores: re.Pattern[str], ascii_words: Sequence[str]
) -> bool:
    """`_holds_core(text, cores, ascii_words)`, given the text's `_plain_lowered` (a change's,
    made once for the cores of attribution and of hedges)."""
    if lowered is None:
        return cores.search(text) is not None
    return any(word in lowered for word in ascii_words)


def _trim_common(
    source_text: str, target_text: str, source_span: tuple[int, int], target_span: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Narrow two spans to where they differ: drop common leading and trailing punctuation and
    whitespace (never part of a word, so "11" -> "17" stays whole)."""
    (a, b), (c, d) = source_span, target_span
    while a < b and c < d and source_text[a] == target_text[c] and not source_text[a].isalnum():
        a, c = a + 1, c + 1
    while (
        a < b
        and c < d
        and source_text[b - 1] == target_text[d - 1]
        and not source_text[b - 1].isalnum()
    ):
        b, d = b - 1, d - 1
    return (a, b), (c, d)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The paragraphs of text[start:end] as spans (whitespace between them left out)."""
    spans, position = [], start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


# One typed mutation as a plain tuple: Mutation's fields in order (worker processes send
# these back; unpickling them is several times faster than unpickling the records).
_Change = tuple[MutationType, str, str, int, int, int, int]


def _changes(
    source: Document,
    target: Document,
    source_span: tuple[int, int],
    target_span: tuple[int, int],
    names: Sequence[str],
) -> list[_Change]:
    """The typed mutations of one change; a pure insertion or deletion of several paragraphs
    gives one mutation per paragraph (a dropped credit line is not a dropped sentence)."""
    source_span, target_span = _trim_common(source.text, target.text, source_span, target_span)
    old = source.text[source_span[0] : source_span[1]]
    new = target.text[target_span[0] : target_span[1]]
    old_words, new_words = _WORD.search(old) is not None, _WORD.search(new) is not None
    if not old_words and not new_words:
        return []
    if not old_words or not new_words:
        side_text = target.text if new_words else source.text
        span = target_span if new_words else source_span
        pieces = _paragraphs(side_text, *span)
        if len(pieces) > 1:
            out = []
            for piece in pieces:
                if new_words:
                    out += _changes(source, target, (source_span[0], source_span[0]), piece, names)
                else:
                    out += _changes(source, target, piece, (target_span[0], target_span[0]), names)
            return out
    kind = classify_change(source.text, target.text, source_span, target_span, names)
    return [(kind, old, new, source_span[0], source_span[1], target_span[0], target_span[1])]


def hop_mutations(
    parent: Document,
    child: Document,
    passages: Sequence[Passage],
    names: Sequence[str] = (),
    whole: bool = True,
) -> tuple[Mutation, ...]:
    """Typed mutations from `parent` to `child`, given their passages (oriented parent -> child).

    Every edit inside a passage, the text between consecutive passages, and (when `whole`) the
    text before the first and after the last passage on either side.
    """
    spans = [_passage_spans(passage, turned=False) for passage in passages]
    return tuple(Mutation(*change) for change in _hop_changes(parent, child, spans, names, whole))


# A passage as a hop looks at it, oriented parent -> child: its source start and end, target
# start and end, and those of each of its edits, in order. (A hop from a pair's target to its
# source turns the pair's passages round: turned as records, edits and all, they cost a tenth
# as much as typing the hop's changes.)
_Spans = tuple[int, int, int, int, tuple[tuple[int, int, int, int], ...]]


def _passage_spans(passage: Passage, *, turned: bool) -> _Spans:
    """The `_Spans` of a passage, or (`turned`) of `passage.reversed()`."""
    spans = [
        (edit.source_start, edit.source_end, edit.target_start, edit.target_end)
        for edit in passage.edits
    ]
    if turned:
        return (
            passage.target_start,
            passage.target_end,
            passage.source_start,
            passage.source_end,
            tuple((c, d, a, b) for a, b, c, d in spans),
        )
    return (
        passage.source_start,
        passage.source_end,
        passage.target_start,
        passage.target_end,
        tuple(spans),
    )


def _hop_changes(
    parent: Document,
    child: Document,
    passages: Sequence[_Spans],
    names: Sequence[str],
    whole: bool,
    links: tuple[Sequence[tuple[int, int]], Sequence[tuple[int, int]]] | None = None,
) -> list[_Change]:
    """`hop_mutations` as plain tuples (see `_Change`), of the passages' `_Spans`; `links` are
    the parent's and the child's `_links` (found here when None).

    Not `whole` (the cluster's text is less than half of the child: a re-telling, or a text
    that took a passage), the text before the first passage and after the last is the child's
    own, not changes; but an opening or ending of the parent's up to EVENT_WORDS words that the
    child simply lacks there (its text starts with the first passage, or ends with the last) is
    a change too: the dropped dateline or credit line of an embellished re-telling."""
    ordered = sorted(passages, key=lambda p: (p[0], p[2]))
    mutations: list[_Change] = []
    if not ordered:
        return mutations
    parent_links, child_links = (
        (_links(parent.text), _links(child.text)) if links is None else links
    )
    opening = (0, ordered[0][0]), (0, ordered[0][2])
    if whole or _dropped_end(parent.text, child.text, *opening):
        mutations += _changes(
            parent, child, *_differing(parent, child, *opening, parent_links, child_links), names
        )
    for index, (_, source_end, _, target_end, edits) in enumerate(ordered):
        if parent_links or child_links:
            edits = tuple(_whole_links(edits, parent_links, child_links))
        for edit_source_start, edit_source_end, edit_target_start, edit_target_end in edits:
            mutations += _changes(
                parent,
                child,
                (edit_source_start, edit_source_end),
                (edit_target_start, edit_target_end),
                names,
            )
        if index + 1 < len(ordered):
            following = ordered[index + 1]
            if following[2] >= target_end:
                between = (source_end, following[0]), (target_end, following[2])
                mutations += _changes(
                    parent,
                    child,
                    *_differing(parent, child, *between, parent_links, child_links),
                    names,
                )
    ending = (ordered[-1][1], len(parent.text)), (max(p[3] for p in ordered), len(child.text))
    if whole or _dropped_end(parent.text, child.text, *ending):
        mutations += _changes(
            parent, child, *_differing(parent, child, *ending, parent_links, child_links), names
        )
    return mutations


def _differing(
    parent: Document,
    child: Document,
    parent_span: tuple[int, int],
    child_span: tuple[int, int],
    parent_links: Sequence[tuple[int, int]],
    child_links: Sequence[tuple[int, int]],
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The two sides of a stretch outside the passages (before the first, between two, after
    the last) narrowed to where they differ: the words both sides have at its start, and then at
    its end, are left out (a web address either side keeps whole: see `_widened`).

    The word alignment leaves out of a passage a shared word or two next to an edit (or the
    texts' first words, next to an edit within a seed's length of them): text both copies have
    is no change, as `_pair_costs` counts it (`common_ends`). Reported whole, the stretch was a
    change between two identical texts ("contributed to this report" -> the same), or was typed
    by a word both sides have ("said": an attribution)."""
    (a, b), (c, d) = _trim_common(parent.text, child.text, parent_span, child_span)
    first, second = parent.text, child.text
    if a == b or c == d or not _may_share_ends(first, a, b, second, c, d):
        return parent_span, child_span
    parent_starts, parent_ends = _words_between(first, *_stretch_bounds(first, a, b)[:2], a, b)
    child_starts, child_ends = _words_between(second, *_stretch_bounds(second, c, d)[:2], c, d)
    head, tail = common_ends(
        _Words(first, parent_starts, parent_ends), _Words(second, child_starts, child_ends)
    )
    if not head and not tail:
        return parent_span, child_span
    if head:
        a, c = parent_ends[head - 1], child_ends[head - 1]
    if tail:
        b, d = parent_starts[len(parent_starts) - tail], child_starts[len(child_starts) - tail]
    return _widened(parent_links, a, b), _widened(child_links, c, d)


# The last run of word characters before the end of a text (or of the stretch searched).
_LAST_WORD = re.compile(r"\w+(?=\W*\Z)")


def _may_share_ends(first: str, a: int, b: int, second: str, c: int, d: int) -> bool:
    """Whether first[a:b] and second[c:d] may start, or end, with the same word: whether their
    first, or their last, runs of word characters are the same (two regex searches; tokenizing
    both sides, long endings too, for every hop cost more)."""
    for pattern in (_WORD, _LAST_WORD):
        one, other = pattern.search(first, a, b), pattern.search(second, c, d)
        if one is not None and other is not None and one.group() == other.group():
            return True
    return False


def _dropped_end(
    parent: str, child: str, parent_span: tuple[int, int], child_span: tuple[int, int]
) -> bool:
    """Whether the child has no words in `child_span` (before its first passage, or after its
    last) and the parent has 1 to EVENT_WORDS words in `parent_span` there."""
    if _WORD.search(child, *child_span) is not None:
        return False
    words = 0
    for _ in _WORD.finditer(parent, *parent_span):
        words += 1
        if words > EVENT_WORDS:
            return False
    return words > 0


# --- credit -----------------------------------------------------------------------------------


def outlet_names(outlet: str | None) -> list[str]:
    """Names by which an outlet is credited: its name and its distinctive words."""
    if not outlet:
        return []
    words = [
        word
        for word in re.findall(r"[^\W\d_]{4,}", outlet)
        if word.casefold() not in _GENERIC_OUTLET_WORDS
    ]
    return list(dict.fromkeys([outlet, *words]))


def _initials(outlet: str) -> str:
    return "".join(word[0] for word in re.findall(r"[^\W\d_]+", outlet)).upper()


def _acronym_names(acronym: str, outlet: str) -> bool:
    """Whether an acronym ("AFP", "NWP") abbreviates an outlet's name ("Northwind Press"): its
    initials, the name itself, or every word's initial in order with letters inside the words."""
    if _initials(outlet) == acronym.upper() or re.search(
        rf"(?<!\w){re.escape(acronym)}(?!\w)", outlet, re.IGNORECASE
    ):
        return True
    words = re.findall(r"[^\W\d_]+", outlet.casefold())
    letters = acronym.casefold()
    if len(letters) < 2:
        return False
    position = 0
    for word in words:
        if position >= len(letters) or word[0] != letters[position]:
            return False
        position += 1
        for char in word[1:]:  # letters inside a word: "NWP" for NorthWind Press
            if position < len(letters) and char == letters[position]:
                position += 1
    return position == len(letters)


def _acronym_owners(documents: Sequence[Document]) -> dict[str, str]:
    """Agency acronyms in datelines ("(AP)", "(NDX)") and the outlet each one names.

    An acronym names the outlet whose initials or name it matches; failing that, the outlet that
    uses it in most of its own documents' openings (copies carry the agency's acronym too, but
    the agency carries it in every one of its documents).
    """
    return _owners_of(_opening_acronyms(documents, 0, len(documents)))


def _owners_of(found: Iterable[tuple[str, list[str]]]) -> dict[str, str]:
    """`_acronym_owners` of the documents' `_opening_acronyms` (`found`, in document order)."""
    uses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for outlet, acronyms in found:
        # In order (a set's order changes with the run's string hashes, and so would the order
        # of an outlet's acronyms among its names, and the name a credit is found by).
        for acronym in dict.fromkeys(acronyms):
            uses[acronym][outlet] += 1
    owners: dict[str, str] = {}
    for acronym, by_outlet in uses.items():
        named = [o for o in by_outlet if _acronym_names(acronym, o)]
        if len(named) == 1:
            owners[acronym] = named[0]
            continue
        ranked = sorted(by_outlet.items(), key=lambda item: (-item[1], item[0]))
        if ranked[0][1] >= 2 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            owners[acronym] = ranked[0][0]
    return owners


def _opening_acronyms(
    documents: Sequence[Document], start: int, end: int
) -> Iterator[tuple[str, list[str]]]:
    """The outlet of each document (from position `start` to `end`) with an outlet and agency
    acronyms in its opening (its first 400 characters, see `openings`), and those acronyms, in
    order. Of a corpus, only the openings are read, and only the documents with acronyms in
    theirs are made (most have none: making every document took most of the time here)."""
    if not isinstance(documents, Corpus):
        for doc, opening in islice(openings(documents, 400), start, end):
            if doc.outlet:
                found = _ACRONYM.findall(opening)
                if found:
                    yield doc.outlet, found
        return
    for position in range(start, end):
        found = _ACRONYM.findall(documents.prefix(position, 400))
        if found:
            outlet = documents.header(position).outlet
            if outlet:
                yield outlet, found


_CREDIT_BEFORE = (
    r"(?:according to|reported by|told|cited by|quoted by|via|by|from|source:|courtesy of"
    r"|сообщает|сообщил[аи]?|передает|передаёт|пишет|по данным|по информации|со ссылкой на"
    r"|según|selon|laut)\s+(?:(?:a|an|the)\s+)?"
)
_CREDIT_AFTER = (
    r"(?:'s|’s)?\s+(?:reported|reports|reporter|reporters|correspondent|review|news agency"
    r"|agency|said|says|contributed|сообщает|сообщил[аи]?|передает|передаёт)"
)


def find_credit(text: str, names: Iterable[str]) -> str | None:
    """The first of `names` that `text` credits, or None.

    A credit is the name in parentheses ("(Reuters)"), or next to a reporting word ("according
    to Reuters", "Interfax reported", "a Reuters reporter", "сообщает Интерфакс"); a full
    multi-word outlet name counts anywhere. A bare mention does not: an outlet named after a city
    is not credited by every story about that city.
    """
    folded = _casefold(text)
    return next((name for name in names if _credits_name(text, None, lambda: folded, name)), None)


def _find_credit_lowered(text: str, names: Iterable[str]) -> str | None:
    """`find_credit(text, names)`, a name of ASCII looked for in the text's `_plain_lowered`
    form where it has one (see `_credits_name`): made several times faster than the casefold
    of a text with marks, which was most of orienting a pair by its credits."""
    plain = _plain_lowered(text)
    folds: list[str] = []

    def folded() -> str:
        # Made on first need only: most texts have a plain form, searched for every name. (A
        # `functools.cache` of a lambda took longer to make than most searches.)
        if not folds:
            folds.append(_casefold(text))
        return folds[0]

    return next((name for name in names if _credits_name(text, plain, folded, name)), None)


def _credits_name(text: str, plain: str | None, folded: Callable[[], str], name: str) -> bool:
    """Whether `text` credits `name` (see `find_credit`): a name of ASCII is looked for in the
    text's `_plain_lowered` form `plain` where it has one (None: none), made and searched
    several times faster than a casefold of the whole text (see `_credited_at`); another in
    its casefold, `folded()`."""
    key = name.casefold()
    form = plain if plain is not None and key.isascii() else folded()
    position = form.find(key)  # cheap test first: most texts never name it
    return (
        position >= 0
        and _may_credit(text, name)
        and _credited_at(text, form, len(form) == len(text), name, key, position)
    )


def _casefold(text: str) -> str:
    """`text.casefold()`, by `str.lower` for an ASCII text: the two agree on ASCII, and only
    `lower` has a fast path for it (casefolding a long text was a tenth of lineage's time). A
    long text of other characters is folded by a table, character by character (as
    `str.casefold` folds it), several times faster; where a character folds into several (as
    "ß" does) or lies outside the Basic Multilingual Plane, by `str.casefold` itself."""
    if text.isascii():
        return text.lower()
    if len(text) < _TABLE_FOLD_CHARS:
        return text.casefold()
    try:
        # (Strict encoding is a third faster than passing surrogates, which no table folds.)
        units = np.frombuffer(text.encode("utf-16-le"), dtype=np.uint16)
    except UnicodeEncodeError:
        return text.casefold()
    folded, whole = _lineage_kernels.fold_units(units, _fold_table())
    return folded.tobytes().decode("utf-16-le") if whole else text.casefold()


# A document is in several clusters, often in ones that come close after each other.
_casefold_recent = lru_cache(maxsize=64)(_casefold)

# Texts shorter than this are casefolded by `str.casefold`: the compiled loop's call costs more.
_TABLE_FOLD_CHARS = 1000


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """Each character of the Basic Multilingual Plane casefolded (`str.casefold`), where it folds
    into one character of the plane; 0 where it folds into several, and for the surrogates."""
    points = [*range(0xD800), *range(0xE000, 0x10000)]
    folds = [chr(point).casefold() for point in points]
    table = np.zeros(0x10000, dtype=np.uint16)
    table[points] = [
        ord(folded) if len(folded) == 1 and ord(folded) < 0x10000 else 0 for folded in folds
    ]
    return table


def _credited_at(text: str, folded: str, aligned: bool, name: str, key: str, position: int) -> bool:
    """Whether `text` credits `name` (see `find_credit`), given its casefolded form `folded`
    (`aligned`: of the text's length), the name's casefold `key`, and the first `position` of
    the key in `folded`.

    `folded` may also be a text's `_plain_lowered` form where `key` is of ASCII: it has the key
    wherever the casefold has it (it differs only where the casefold has a mark, which no key of
    ASCII holds), and elsewhere only where the key has a space, a mark's stand-in; a window
    around such a place holds no credit the text lacks (see `_credit_in_windows`)."""
    pattern = _credit_search(name)
    if not aligned:
        return bool(pattern.search(text))
    # Search only around each mention: the pattern's many alternatives are slow to try at every
    # position of a long text. The window reaches the next whitespace so that no word is cut;
    # lookbehinds still see the text before it. A short name's pattern is case-sensitive: only
    # a window holding the name as written can match ("Al", "IS": their casefolded forms are in
    # almost every text).
    exact = len(name) <= _CASED_NAME_CHARS  # (`pattern.flags`, as an enum, costs more)
    return any(
        _credit_in_windows(pattern, text, group)
        for group in _overlapping(_mention_windows(text, folded, name, key, position, exact))
    )


def _mention_windows(
    text: str, folded: str, name: str, key: str, position: int, exact: bool
) -> Iterator[tuple[int, int]]:
    """The windows around each mention of `key` in `folded` from `position` on (see
    `_credited_at`; with `exact`, those holding `name` as written), in order: found as they are
    searched, so that a credit at the first mentions (most often the only place it is) spares
    finding the rest."""
    while position >= 0:
        end = text.find(" ", position + len(key) + _CREDIT_REACH)
        start, end = max(0, position - _CREDIT_REACH), len(text) if end < 0 else end
        if not exact or text.find(name, start, end) >= 0:
            yield start, end
        position = folded.find(key, position + 1)


def _may_credit(text: str, name: str) -> bool:
    """False where `text` cannot credit `name`, whatever its casefold holds: a short name's
    credit pattern is case-sensitive (see `_credit_pattern`), so only a text holding the name
    as written can match it. Most texts lack the short names ("AP", "Al") as written, but hold
    them casefolded ("ap" in "happen"): this spares looking around each of those."""
    return len(name) > _CASED_NAME_CHARS or name in text


def _overlapping(windows: Iterable[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """Runs of overlapping windows, of windows whose starts and ends both never decrease."""
    group: list[tuple[int, int]] = []
    for window in windows:
        if group and window[0] >= group[-1][1]:
            yield group
            group = [window]
        else:
            group.append(window)
    if group:
        yield group


def _credit_in_windows(
    pattern: re.Pattern[str] | _CreditSearch, text: str, windows: Sequence[tuple[int, int]]
) -> bool:
    """Whether `pattern` matches inside one of the overlapping windows of `text`.

    Their union is searched first: a match inside one window is one inside the union (each
    window ends at a space or at the text's end, so no match in a window leans on where it
    ends), and most unions have none; only where the union has one are the windows searched
    one by one."""
    if not pattern.search(text, windows[0][0], windows[-1][1]):
        return False
    return len(windows) == 1 or any(pattern.search(text, start, end) for start, end in windows)


# Characters around a mention that a credit's reporting words can span ("according to the ").
_CREDIT_REACH = 80
# A name of at most this many characters is credited only as written (its credit pattern is
# case-sensitive): "Al" and "IS" casefolded are in almost every text.
_CASED_NAME_CHARS = 3


@lru_cache(maxsize=4096)
def _credit_pattern(name: str) -> re.Pattern[str]:
    escaped = re.escape(name)
    if " " in name.strip():
        pattern = rf"(?<!\w){escaped}(?!\w)"
    else:
        pattern = (
            rf"\(\s*{escaped}\s*\)|{_CREDIT_BEFORE}{escaped}(?!\w)"
            rf"|(?<!\w){escaped}{_CREDIT_AFTER}(?!\w)"
        )
    return re.compile(pattern, flags=re.IGNORECASE if len(name) > _CASED_NAME_CHARS else 0)


@lru_cache(maxsize=4096)
def _credit_search(name: str) -> re.Pattern[str] | _CreditSearch:
    """What finds `_credit_pattern(name)` in a text: the pattern itself for a name of several
    words, else a `_CreditSearch` (compiling every name's whole pattern took a few percent of
    lineage's time, in every worker process, and searching it more)."""
    if " " in name.strip():
        return _credit_pattern(name)
    return _CreditSearch(name)


# The words of _CREDIT_BEFORE, each written out, reversed, and what follows them reversed too:
# a credit before a mention is matched backwards from the mention, in the text before it
# reversed (a regex of words, spaces and a few quantifiers matches a text just where the
# regex reversed matches the text reversed).
_CREDIT_BEFORE_WORDS = (
    "according to", "reported by", "told", "cited by", "quoted by", "via", "by", "from",
    "source:", "courtesy of", "сообщает", "сообщил", "сообщила", "сообщили", "передает",
    "передаёт", "пишет", "по данным", "по информации", "со ссылкой на", "según", "selon", "laut",
)  # fmt: skip
_CREDIT_BEFORE_REVERSED = (
    r"(?:\s+(?:a|na|eht))?\s+(?:"
    + "|".join(re.escape(word[::-1]) for word in _CREDIT_BEFORE_WORDS)
    + ")"
)
_NO_WORD_BEFORE = re.compile(r"(?<!\w)")
_NO_WORD_AFTER = re.compile(r"(?!\w)")


@lru_cache(maxsize=2)
def _credit_forms(flags: int) -> tuple[re.Pattern[str], ...]:
    """The parts of `_credit_pattern` around a one-word name, compiled once for its `flags`:
    before the name "(" (reversed), after it ")", before it a reporting word (reversed), after
    it one (`_CREDIT_AFTER`, then no word character)."""
    return (
        re.compile(r"\s*\(", flags),
        re.compile(r"\s*\)", flags),
        re.compile(_CREDIT_BEFORE_REVERSED, flags),
        re.compile(rf"{_CREDIT_AFTER}(?!\w)", flags),
    )


class _CreditSearch:
    """`_credit_pattern` of a one-word name, searched mention by mention: the name's every
    mention, then around each the pattern's three forms ("(Name)", a reporting word before it,
    one after it), each by a regex compiled once for all names. Only the regex of the mentions
    is the name's own, and it compiles in a fraction of the time the whole pattern takes.

    `search(text, pos, endpos)` is whether `_credit_pattern(name).search(text, pos, endpos)`
    finds a match (tests/test_lineage.py compares the two on generated texts)."""

    __slots__ = ("flags", "_length", "_mentions", "_forms")

    def __init__(self, name: str) -> None:
        self.flags = re.IGNORECASE if len(name) > _CASED_NAME_CHARS else 0
        self._length = len(name)
        # Case ignored or not, the name matches as many characters as it has.
        self._mentions = re.compile(f"(?={re.escape(name)})", self.flags)
        self._forms = _credit_forms(self.flags)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> bool:
        """Whether the name's credit pattern matches inside text[pos:endpos]."""
        endpos = len(text) if endpos is None else min(endpos, len(text))
        opening, closing, before, after = self._forms
        for mention in self._mentions.finditer(text, pos, endpos):
            start = mention.start()
            end = start + self._length
            preceding = text[pos:start][::-1]
            if closing.match(text, end, endpos) and opening.match(preceding):
                return True
            if _NO_WORD_AFTER.match(text, end, endpos) and before.match(preceding):
                return True
            if _NO_WORD_BEFORE.match(text, start) and after.match(text, end, endpos):
                return True
        return False


# --- lineage ----------------------------------------------------------------------------------


def _words_between(
    text: str, starts: array[int], ends: array[int], start: int, end: int
) -> tuple[array[int], array[int]]:
    """The starts and ends of the words TOKEN_PATTERN finds in text[start:end].

    Taken from the text's tokens (`starts`, `ends`: `shingle.tokenize` finds exactly
    TOKEN_PATTERN's words) unless a word or a percent-escape crosses `start` or `end`: the
    pattern finds a cut word's piece then, so it runs on the stretch itself. Arrays like the tokens' (slices of them are
    copies of memory: lists made an object of every offset, millions of them at 20k articles)."""
    first, last = _tokens_within(starts, ends, start, end)
    if first < 0 or _escape_cut(text, start, end):
        matches = list(TOKEN_PATTERN.finditer(text, start, end))
        return (
            array("q", [match.start() for match in matches]),
            array("q", [match.end() for match in matches]),
        )
    return starts[first:last], ends[first:last]


def _count_words_between(
    text: str, starts: array[int], ends: array[int], start: int, end: int
) -> int:
    """`len(_words_between(...)[0])`, without listing the words (none in an empty span)."""
    if start >= end:
        return 0
    first, last = _tokens_within(starts, ends, start, end)
    if first < 0 or _escape_cut(text, start, end):
        return len(TOKEN_PATTERN.findall(text, start, end))
    return last - first


def _escape_cut(text: str, start: int, end: int) -> bool:
    """Whether a percent-escape ("%D0", whose digits are no token in the whole text) may be cut
    at `start` or `end`: a "%" in the two characters before either. The pattern then finds the
    cut escape's digits as words, as for a cut word."""
    return (
        text.find("%", max(0, start - 2), start) >= 0 or text.find("%", max(0, end - 2), end) >= 0
    )


def _tokens_within(starts: array[int], ends: array[int], start: int, end: int) -> tuple[int, int]:
    """The tokens (sorted `starts` and `ends`) inside [start, end): (first, last) of them, or
    (-1, -1) where a token crosses `start` or `end`."""
    first, last = bisect_left(starts, start), bisect_right(ends, end)
    if (first > 0 and ends[first - 1] > start) or (last < len(starts) and starts[last] < end):
        return -1, -1
    return first, last


@lru_cache(maxsize=1)
def _word_characters() -> np.ndarray:
    """1 for each code point of the Basic Multilingual Plane that is one of `_WORD`'s (`\\w`)."""
    every = (
        "".join(map(chr, range(0xD800))) + " " * 0x800 + "".join(map(chr, range(0xE000, 0x10000)))
    )
    table = np.zeros(0x10000, dtype=np.uint8)
    table[[match.start() for match in re.finditer(r"\w", every)]] = 1
    return table


def _code_points(text: str) -> np.ndarray | None:
    """The text's code points for the compiled loops (uint8 for an ASCII text, else uint32), or
    None when it has any outside the Basic Multilingual Plane or is longer than a tokenizer's
    block (rare: the plain ways take those)."""
    if len(text) > BLOCK_CHARS:
        return None
    points = code_points(text)
    return None if points.dtype == np.uint32 and int(points.max()) >= 0x10000 else points


def _token_bounds(text: str, points: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The starts and ends of `shingle.tokenize`'s tokens of `text` (`points`: its
    `_code_points`)."""
    if points is None:
        tokens = tokenize(text)
        return tokens.starts, tokens.ends
    starts, ends = _kernels.token_bounds(points, char_tables()[0])
    return starts, ends


def _stretch_bounds(text: str, low: int, high: int) -> tuple[array[int], array[int], int, int]:
    """(starts, ends, first, last): the tokens of text[first:last], a stretch that holds
    text[low:high] and runs from just after a space (or the text's start) to just after a space
    (or its end). No token holds a space, and the tokenizer starts afresh after one, so these
    are exactly the whole text's tokens there."""
    first = text.rfind(" ", 0, low) + 1
    last = text.find(" ", high)
    last = len(text) if last < 0 else last + 1
    stretch = text[first:last]
    if len(stretch) <= BLOCK_CHARS:
        # By one compiled call, which also tells whether the stretch is of the Basic
        # Multilingual Plane, and places the tokens in the text (a quarter of the time here
        # went to that check and to moving them, by numpy, around the tokenizer's call).
        bounds = _lineage_kernels.stretch_tokens(code_points(stretch), char_tables()[0], first)
        if bounds is not None:
            # Kept as arrays of machine integers: a list of them all cost more than all the
            # rest here. (Both from the kernel's one array: two arrays handed back cost more.)
            half = len(bounds) // 2
            return _int_array(bounds[:half]), _int_array(bounds[half:]), first, last
    # (A stretch longer than a block, or with a code point outside the plane: rare.)
    tokens = tokenize(stretch)
    return _int_array(tokens.starts + first), _int_array(tokens.ends + first), first, last


def _stretch_bounds_plain(
    text: str, low: int, high: int
) -> tuple[array[int], array[int], int, int]:
    """`_stretch_bounds` by `_token_bounds`: the reference it is tested against."""
    first = text.rfind(" ", 0, low) + 1
    last = text.find(" ", high)
    last = len(text) if last < 0 else last + 1
    stretch = text[first:last]
    starts, ends = _token_bounds(stretch, _code_points(stretch))
    return _int_array(starts + first), _int_array(ends + first), first, last


def _int_array(values: np.ndarray) -> array[int]:
    """The integers as an `array.array` (bisected as fast as a list, made as fast as a copy)."""
    return array("q", values.astype(np.int64, copy=False).tobytes())


def _count_regex_words(text: str) -> int:
    """`len(_words(text))`: the runs of word characters, counted by a compiled loop. (Lineage
    counts a hop's child: its code points are kept for classifying the hop's changes next.)"""
    points = _text_points(text)
    if points is None:
        return len(_words(text))
    return int(_kernels.word_runs(points, _word_characters()))


class _Members:
    """One cluster's documents, each read once, and what lineage computes of each one: kept for
    this cluster only (a document is in few clusters; kept for the whole run, the token bounds
    would hold the corpus's tokens)."""

    def __init__(
        self, documents: Mapping[str, Document], spans: Mapping[str, list[tuple[int, int]]]
    ) -> None:
        self.by_id = {doc: documents[doc] for doc in spans}
        self.spans = spans
        self._bounds: dict[str, tuple[array[int], array[int], int, int]] = {}
        self._folded: dict[str, str] = {}
        self._plain: dict[str, str | None] = {}
        self._texts: dict[str, tuple[list[int], list[int]]] = {}
        self._gaps: dict[
            tuple[str, tuple[tuple[int, int], ...]], dict[int, tuple[array[int], array[int]]]
        ] = {}

    def words_between(self, doc: str, start: int, end: int) -> tuple[array[int], array[int]]:
        """The starts and ends of the words in the document's text[start:end]."""
        text = self.by_id[doc].text
        bounds = self._stretch(doc, start, end)
        return _words_between(text, bounds[0], bounds[1], start, end)

    def _stretch(self, doc: str, start: int, end: int) -> tuple[array[int], array[int], int, int]:
        """The `_stretch_bounds` of the document that hold text[start:end]."""
        text = self.by_id[doc].text
        bounds = self._bounds.get(doc)
        if bounds is None:
            # Only the stretch of the text the cluster covers (a few percent of it, on
            # average), from the space before it to the space after it: no token holds a
            # space, so its tokens are the whole text's there.
            low = min(start for start, _ in self.spans[doc])
            high = max(end for _, end in self.spans[doc])
            bounds = self._bounds[doc] = _stretch_bounds(text, low, high)
        if start < bounds[2] or end > bounds[3]:
            bounds = self._bounds[doc] = _stretch_bounds(text, 0, len(text))
        return bounds

    def tokens_over(self, doc: str, start: int, end: int) -> tuple[array[int], array[int]]:
        """The starts and ends of the document's tokens over a stretch that holds
        text[start:end] (see `_stretch_bounds`)."""
        starts, ends, _, _ = self._stretch(doc, start, end)
        return starts, ends

    def count_words(self, doc: str) -> int:
        """Words in the document's spans of the cluster, counted as alignment counts them."""
        return sum(self.count_between(doc, start, end) for start, end in self.spans[doc])

    def count_between(self, doc: str, start: int, end: int) -> int:
        """TOKEN_PATTERN's words in the document's text[start:end] (a span of the cluster, or
        a side of an edit: counted from the stretch's tokens, a regex on every edit's text was
        a twentieth of lineage's time)."""
        if start == end:  # (no stretch to find)
            return 0
        starts, ends, _, _ = self._stretch(doc, start, end)
        return _count_words_between(self.by_id[doc].text, starts, ends, start, end)

    def gaps(
        self, doc: str, covered: tuple[tuple[int, int], ...]
    ) -> dict[int, tuple[array[int], array[int]]]:
        """The `_gaps` of the document outside the sorted `covered` spans, remembered for the
        cluster: in a big cluster, the pairs of a document with many others often cover the same
        spans of it (two in five of `_gaps`' calls asked again). The same dict each time: not to
        be changed."""
        key = (doc, covered)
        found = self._gaps.get(key)
        if found is None:
            found = self._gaps[key] = _gaps(self, doc, covered)
        return found

    def cluster_text(self, doc: str) -> tuple[list[int], list[int]]:
        """The document's spans of the cluster as a `_union`."""
        union = self._texts.get(doc)
        if union is None:
            union = self._texts[doc] = _union(self.spans[doc])
        return union

    def credit_in(self, doc: str, names: Sequence[str]) -> str | None:
        """`find_credit(text, names)` of the document, remembered for the run (a document is in
        many of its cluster's pairs)."""
        assert _STATE is not None
        credits, found_names = _STATE[4], _STATE[6]
        key = (doc, tuple(names))
        if key in credits:
            return credits[key]
        credit = None
        # The lists of names a document is searched for share most of their names: each name's
        # finding is remembered for the run too (looked up here, a call less for most).
        for name in names:
            found = found_names.get((doc, name))
            if found is None:
                found = found_names[doc, name] = self._credits(doc, name)
            if found:
                credit = name
                break
        credits[key] = credit
        return credit

    def _credits(self, doc: str, name: str) -> bool:
        """Whether the document credits `name` (see `find_credit`)."""
        text = self.by_id[doc].text
        # Most texts are of ASCII and a few marks (curly quotes, dashes): see `_credits_name`.
        # The plain form is made for this cluster only: kept for the next few, it was found again
        # for one document in thirty, and hashing a text read again to look it up costs half as
        # much as making it.
        if doc not in self._plain:
            self._plain[doc] = _plain_lowered(text)

        def folded() -> str:
            if doc not in self._folded:
                self._folded[doc] = _casefold_recent(text)
            return self._folded[doc]

        return _credits_name(text, self._plain[doc], folded, name)

    def text_words(self, doc: str) -> int:
        """The document's `_count_regex_words`, remembered for the run (a document is in
        several clusters)."""
        assert _STATE is not None
        return _remembered(_STATE[5], doc, lambda: _count_regex_words(self.by_id[doc].text))

    def moment(self, doc: str) -> _Moment:
        """The document's `_moment`, remembered for the run."""
        assert _STATE is not None
        return _remembered(_STATE[7], doc, lambda: _moment(self.by_id[doc]))

    def version_rank(self, doc: str) -> int:
        """The document's `_version_rank`, remembered for the run."""
        assert _STATE is not None
        return _remembered(_STATE[8], doc, lambda: _version_rank(self.by_id[doc]))

    def links(self, doc: str) -> list[tuple[int, int]]:
        """The spans of the document's web addresses (`_links`), remembered for the run: hops
        looked for them in both texts each time, a tenth of the stage's time."""
        assert _STATE is not None
        return _remembered(_STATE[10], doc, lambda: _links(self.by_id[doc].text))


_Value = TypeVar("_Value")


def _remembered(kept: dict[str, _Value], doc: str, make: Callable[[], _Value]) -> _Value:
    """`kept[doc]`, made by `make()` the first time."""
    value = kept.get(doc)
    if value is None:
        value = kept[doc] = make()
    return value


# Shared with forked worker processes while `infer_lineage` runs: (documents by id, pairs,
# agency acronyms and their outlets, and caches each process fills for itself: each outlet's
# names, the credits found in a document (for a list of names, and for one name), a document's
# `_count_regex_words`, its `_moment` and its `_version_rank`; the documents; and each
# document's `_links`).
_STATE: (
    tuple[
        Mapping[str, Document],
        Sequence[Pair],
        dict[str, str],
        dict[str | None, list[str]],
        dict[tuple[str, tuple[str, ...]], str | None],
        dict[str, int],
        dict[tuple[str, str], bool],
        dict[str, _Moment],
        dict[str, int],
        Sequence[Document],
        dict[str, list[tuple[int, int]]],
    ]
    | None
) = None
# The clusters' tasks, found before the worker processes fork: they inherit them and are sent
# where a run of CHUNK_CLUSTERS of them starts (pickling the tasks took the parent's time).
_TASKS: Sequence[_Task] = ()
# Clusters are spread over worker processes when there are at least this many.
PARALLEL_CLUSTERS = 64
# Clusters per worker's task.
CHUNK_CLUSTERS = 16


def infer_lineage(
    documents: Sequence[Document], pairs: Sequence[Pair], *, jobs: int = 1
) -> tuple[ReuseCluster, ...]:
    """Reuse clusters with a lineage tree and typed mutations on every edge.

    Each cluster's tree is inferred on its own, in `jobs` worker processes when there are many
    clusters; the result does not depend on `jobs`.
    """
    return infer_lineage_and_directions(documents, pairs, jobs=jobs)[0]


def infer_lineage_and_directions(
    documents: Sequence[Document], pairs: Sequence[Pair], *, jobs: int = 1
) -> tuple[tuple[ReuseCluster, ...], tuple[Pair, ...]]:
    """The reuse clusters (see `infer_lineage`), and the pairs, where the two texts alone could
    not tell the direction ("unknown"), oriented by the lineage tree of their cluster.

    The tree orders two documents from the evidence of the whole cluster (edits the others
    share, credit, the agency at the root); a pair takes that order, with direction "text", when
    one document is above the other and turning any hop between them round would cost the tree
    more than LINEAGE_DIRECTION_MARGIN. Other pairs are returned as given.
    """
    global _STATE, _TASKS
    # The agency acronyms are added once found (in the worker processes, where there are some).
    _STATE = (documents_by_id(documents), pairs, {}, {}, {}, {}, {}, {}, {}, documents, {})
    # No cyclic garbage collection while the trees are built (in the workers too, which inherit
    # the setting): the stage makes little garbage, none of it cyclic, and every full collection
    # walked the run's documents and pairs again (a seventh of the stage's time).
    collecting = gc.isenabled()
    gc.disable()
    clusters: list[ReuseCluster] = []
    # A pair in several clusters takes the order its clearest tree gives.
    upper: dict[int, tuple[float, str]] = {}
    try:
        # The clusters are found before any worker forks: found after, while a worker read the
        # openings, every pair this process read was copied from the workers' pages first (it
        # took twice as long).
        tasks = _tasks(pairs)
        if jobs > 1 and len(tasks) >= PARALLEL_CLUSTERS:
            # The compiled loops, their tables and the credit regexes, loaded once for all workers.
            load_compiled()
            _TASKS = tasks
            with worker_pool(jobs) as pool:
                # Each worker reads the openings of a share of the documents for the agency
                # acronyms (in document order, as one process would).
                found = pool.map(_run_opening_acronyms, _shares(len(documents), jobs))
                _STATE[2].update(_owners_of(chain.from_iterable(found)))
                # Each cluster built as its tree comes, while the workers make the next ones
                # (built after the last, they kept the parent alone for a tenth of the stage).
                lineages = chain.from_iterable(
                    pool.map(
                        _cluster_lineages,
                        range(0, len(tasks), CHUNK_CLUSTERS),
                        repeat(_STATE[2]),
                    )
                )
                _take_lineages(tasks, lineages, clusters, upper)
        else:
            _STATE[2].update(_acronym_owners(documents))
            _take_lineages(tasks, map(_cluster_lineage, tasks), clusters, upper)
    finally:
        _STATE = None
        _TASKS = ()
        _casefold_recent.cache_clear()
        if collecting:
            gc.enable()
    oriented = list(pairs)
    for pair_index, (margin, ancestor) in upper.items():
        pair = pairs[pair_index]
        if pair.direction == "unknown" and margin > LINEAGE_DIRECTION_MARGIN:
            oriented[pair_index] = _turned(pair, ancestor)
    return tuple(clusters), tuple(oriented)


def _tasks(pairs: Sequence[Pair]) -> list[_Task]:
    """The `find_clusters` of the pairs as tasks, numbered from 1."""
    return [
        (number, spans, passage_refs)
        for number, (spans, passage_refs) in enumerate(find_clusters(pairs), 1)
    ]


def _shares(count: int, parts: int) -> list[tuple[int, int]]:
    """`count` positions cut into `parts` runs [start, end) of about equal length, in order."""
    return [(count * k // parts, count * (k + 1) // parts) for k in range(parts)]


def _run_opening_acronyms(share: tuple[int, int]) -> list[tuple[str, list[str]]]:
    """`_opening_acronyms` of a share [start, end) of the run's documents (in a worker)."""
    assert _STATE is not None
    return list(_opening_acronyms(_STATE[9], *share))


def _cluster_lineages(
    start: int, acronyms: dict[str, str]
) -> list[tuple[_Lineage, dict[int, tuple[float, str]]]]:
    """`_cluster_lineage` of the CHUNK_CLUSTERS tasks from `start` (of `_TASKS`), in a worker
    process forked before the agency acronyms were found: they come with every call, and the
    first one a worker takes sets its own (in their order)."""
    assert _STATE is not None
    if len(_STATE[2]) != len(acronyms):
        _STATE[2].update(acronyms)
    return [_cluster_lineage(task) for task in _TASKS[start : start + CHUNK_CLUSTERS]]


def _take_lineages(
    tasks: Sequence[_Task],
    lineages: Iterable[tuple[_Lineage, dict[int, tuple[float, str]]]],
    clusters: list[ReuseCluster],
    upper: dict[int, tuple[float, str]],
) -> None:
    """Add to `clusters` the cluster of each task and its `_cluster_lineage` (`lineages`, in task
    order), and to `upper` the order each pair takes from the clearest tree among its clusters'
    (pair index -> (margin, the document above the other)): of equal margins, the first."""
    for task, (lineage, orders) in zip(tasks, lineages, strict=True):
        clusters.append(_built_cluster(task, lineage))
        for pair_index, (margin, ancestor) in orders.items():
            if pair_index not in upper or margin > upper[pair_index][0]:
                upper[pair_index] = (margin, ancestor)


def load_compiled() -> None:
    """Build the tables of the compiled loops and the credit regexes, and load the loops, in the
    parent process: forked workers inherit them instead of each loading its own (the lineage
    stage's workers, and the align stage's, which orient pairs by their credits)."""
    char_tables()
    _word_characters()
    _fold_table()
    _credit_forms(0)
    _credit_forms(re.IGNORECASE)
    _lineage_kernels.fold_units(np.frombuffer(b"a\x00", dtype=np.uint16), _fold_table())
    for text in ("a", "\u00e9"):
        _stretch_bounds(text, 0, 1)
        _count_regex_words(text)
        _inside_quote(f'"{text}"', 1, 2)  # (a quotation mark before it: the compiled scan)
        _lineage_kernels.quote_inside(_code_points(text), _word_characters(), 0, 1)


def _turned(pair: Pair, source: str) -> Pair:
    """`pair` with `source` as its source and direction "text" (its passages turned round when
    `source` was the target)."""
    if source == pair.source:
        return attrs.evolve(pair, direction="text")
    return Pair(
        source=pair.target,
        target=pair.source,
        direction="text",
        similarity=pair.similarity,
        source_coverage=pair.target_coverage,
        target_coverage=pair.source_coverage,
        passages=sorted(
            (p.reversed() for p in pair.passages), key=lambda p: (p.source_start, p.target_start)
        ),
    )


# A dateline naming its agency: "MOSCOW, Dec 1 (Interfax) -", "WASHINGTON (AP) —".
_DATELINE = re.compile(
    r"\s*(?P<city>[^\W\d_](?:[^\W\d_]|[ .'-])*?)(?:,[^()\n]{1,40})?\s*"
    r"\(\s*(?P<agency>[^\W\d_]{2,12}(?: [^\W\d_]{2,12})?)\s*\)\s*[-\u2013\u2014]"
)


def _dateline_agency(text: str) -> str | None:
    """The agency named by the dateline that opens the text (an upper-case place, perhaps a
    date, the agency in brackets, a dash), else None."""
    dateline = _DATELINE.match(text, 0, 200)
    if dateline is None or not dateline["city"].isupper() or not dateline["agency"][0].isupper():
        return None
    return dateline["agency"]


def _names_of(document: Document) -> list[str]:
    """The names a text may credit `document`'s outlet by, its agency acronyms included. A
    document of no known outlet (a text file) whose opening is an agency's dateline ("MOSCOW,
    Dec 1 (Interfax) -") is that agency's dispatch, or a copy of it as sent: it goes by the
    agency's name (a text crediting Interfax took from it)."""
    assert _STATE is not None
    acronyms, cache = _STATE[2], _STATE[3]
    if not document.outlet:
        agency = _dateline_agency(document.text)
        return [] if agency is None else [agency]
    if document.outlet not in cache:
        cache[document.outlet] = outlet_names(document.outlet) + [
            acronym for acronym, owner in acronyms.items() if owner == document.outlet
        ]
    return cache[document.outlet]


# One cluster's task: its number, member spans [(document, start, end)] and the (pair index,
# passage index) of its passages.
_Task = tuple[int, Sequence[tuple[str, int, int]], Sequence[tuple[int, int]]]
# What a cluster's tree adds to its task, as plain tuples (worker processes send these back):
# kind, root, edges (parent, child, confidence, mutations, credit), roots, versions.
_Lineage = tuple[
    PassageKind,
    str,
    tuple[tuple[str, str, float, tuple[_Change, ...], str | None], ...],
    tuple[str, ...],
    tuple[str, ...],
]


def _built_cluster(task: _Task, lineage: _Lineage) -> ReuseCluster:
    """The ReuseCluster of a task and its `_cluster_lineage`."""
    number, spans, _ = task
    kind, root, edges, roots, versions = lineage
    return ReuseCluster(
        f"c{number}",
        kind,
        tuple(ClusterMember(doc, start, end) for doc, start, end in spans),
        root,
        tuple(
            LineageEdge(
                parent,
                child,
                confidence,
                tuple(Mutation(*change) for change in changes),
                credited=credit is not None,
                credit=credit,
            )
            for parent, child, confidence, changes, credit in edges
        ),
        roots,
        versions,
    )


def _cluster_lineage(task: _Task) -> tuple[_Lineage, dict[int, tuple[float, str]]]:
    """One reuse cluster's tree (see `_Lineage`), and the order the tree gives its pairs: pair
    index -> (margin, the document above the other), the margin being the least the tree loses
    with a hop between the two turned round."""
    assert _STATE is not None
    pairs = _STATE[1]
    names_of = _names_of
    _, spans, passage_refs = task
    member_spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for doc, start, end in spans:
        member_spans[doc].append((start, end))
    per_pair: dict[int, list[Passage]] = defaultdict(list)
    for pair_index, passage_index in passage_refs:
        per_pair[pair_index].append(pairs[pair_index].passages[passage_index])
    kinds = {p.kind for group in per_pair.values() for p in group}
    # A cluster is a quotation (or a summary) when every passage of it is one.
    kind: PassageKind = kinds.pop() if len(kinds) == 1 else "narration"
    documents_in = list(member_spans)
    if kind == "quote":
        # Outlets quoting the same statement: nobody copied anybody.
        return (kind, documents_in[0], (), tuple(documents_in), ()), {}
    # The members' documents, read once (the run's corpus keeps only its latest few).
    texts = _Members(_STATE[0], member_spans)
    by_id = texts.by_id
    counts = {doc: texts.count_words(doc) for doc in member_spans}
    words = {doc: max(1, count) for doc, count in counts.items()}
    root_node = "\x00root"
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    credited: set[str] = set()
    evidence = []
    for pair_index, group in per_pair.items():
        pair = pairs[pair_index]
        costs = _pair_costs(group, pair.source, pair.target, texts)
        source_doc, target_doc = by_id[pair.source], by_id[pair.target]
        # Does each name the other's outlet as its source? (Asked once for both directions.)
        names_target = bool(texts.credit_in(pair.source, names_of(target_doc)))
        names_source = bool(texts.credit_in(pair.target, names_of(source_doc)))
        same = _same_outlet(source_doc, target_doc)
        for (parent, child), cost, credits_child, credits_parent in zip(
            ((pair.source, pair.target), (pair.target, pair.source)),
            costs,
            (names_target and not same, names_source and not same),
            (names_source, names_target),
            strict=True,
        ):
            if credits_child:
                credited.add(child)
            evidence.append((parent, child, cost, credits_child, credits_parent))
    moments = {doc: texts.moment(doc) for doc in documents_in}
    for parent, child, cost, credits_child, credits_parent in evidence:
        # Copies take from the agency (the document other members credit) more often than from
        # each other: where the text cannot tell, the agency is the likelier parent.
        parent_doc, child_doc = by_id[parent], by_id[child]
        later = (
            texts.version_rank(child) - texts.version_rank(parent)
            if _same_outlet(parent_doc, child_doc)
            else 0
        )
        scores[child][parent] = _parent_score(
            parent_doc,
            child_doc,
            cost,
            credits_child,
            credits_parent or parent in credited,
            later,
            _hours_from(moments[parent], moments[child]),
        )
    # Being a root costs as much as a parent leaving (1 - ROOT_SHARE) of a typical member
    # unexplained: the same for every member, so it never favours a short text as origin.
    typical = sorted(words.values())[len(words) // 2]
    root_weight = -ROOT_EVENT_SHARE * (1.0 - ROOT_SHARE) * typical - COST_EDIT
    # A document whose outlet other members credit (the agency) is the likelier origin.
    graph: list[tuple[str, str, float]] = []
    for doc in documents_in:
        weight = root_weight + (WEIGHT_ROOT_CREDIT if doc in credited else 0.0)
        graph.append((root_node, doc, weight))
        scores[doc][root_node] = weight
    # Only each child's best few candidate parents enter the graph: Edmonds' algorithm on a
    # dense graph of a big cluster (a story re-run by hundreds of outlets) is too slow, and
    # a parent outside a child's top few never wins. The edges go in parent by parent, in the
    # order of the nodes (the order networkx would give them, and so its choice between ties).
    children: dict[str, list[tuple[str, str, float]]] = {doc: [] for doc in documents_in}
    for child, candidates in scores.items():
        best = sorted(
            (item for item in candidates.items() if item[0] != root_node),
            key=lambda item: (-item[1], item[0]),
        )[:MAX_CANDIDATE_PARENTS]
        for parent, weight in best:
            children[parent].append((parent, child, weight))
    for doc in documents_in:
        graph += children[doc]
    tree = _two_document_tree(graph) if len(documents_in) == 2 else None
    if tree is None:
        tree = _maximum_spanning_arborescence(graph)
    pair_of = {frozenset((pairs[k].source, pairs[k].target)): k for k in per_pair}
    roots = [child for child, parent in tree.items() if parent == root_node]
    descendants = _descendants(tree)
    roots.sort(key=lambda r: (-descendants[r], _time_key(by_id[r]), r))
    margins = {
        child: _turn_margin(scores, tree, parent, child)
        for child, parent in tree.items()
        if parent != root_node
    }
    edges = []
    for parent, child in sorted(
        ((parent, child) for child, parent in tree.items()), key=lambda e: (str(e[0]), str(e[1]))
    ):
        if parent == root_node:
            continue
        pair_index = pair_of[frozenset((parent, child))]
        turned = pairs[pair_index].source != parent
        passages = [_passage_spans(p, turned=turned) for p in per_pair[pair_index]]
        parent_doc, child_doc = by_id[parent], by_id[child]
        # Credit to the direct source, or to the agency at the root of the tree.
        origin = _origin(tree, child, root_node)
        credit_names = list(dict.fromkeys(names_of(parent_doc) + names_of(by_id[origin])))
        whole = counts[child] >= 0.5 * max(1, texts.text_words(child))
        changes = _hop_changes(
            parent_doc,
            child_doc,
            passages,
            credit_names,
            whole,
            (texts.links(parent), texts.links(child)),
        )
        credit = texts.credit_in(child, credit_names)
        confidence = _confidence(scores[child], parent, margins[child])
        edges.append((parent, child, confidence, tuple(changes), credit))
    versions = _versions(by_id, documents_in)
    lineage: _Lineage = (kind, roots[0], tuple(edges), tuple(roots), versions)
    return lineage, _tree_orders(tree, margins, pair_of, root_node)


def _descendants(tree: Mapping[str, str]) -> dict[str, int]:
    """How many nodes lie below each node of the tree (child -> parent)."""
    below = dict.fromkeys(tree, 0)
    for node in tree:
        parent = tree[node]
        while parent in tree:
            below[parent] += 1
            parent = tree[parent]
    return below


def _turn_margin(
    scores: dict[str, dict[str, float]], tree: Mapping[str, str], parent: str, child: str
) -> float:
    """What the tree loses with the hop parent -> child turned round: the child in the parent's
    place (under the parent's parent, or wherever it fits best), the parent under the child.
    Zero for two copies nothing tells apart."""
    grand = tree[parent]
    kept = scores[child][parent] + scores[parent][grand]
    elsewhere = max(score for candidate, score in scores[child].items() if candidate != parent)
    turned = scores[parent][child] + scores[child].get(grand, elsewhere)
    return kept - turned


def _tree_orders(
    tree: Mapping[str, str],
    margins: dict[str, float],
    pair_of: dict[frozenset[str], int],
    root_node: str,
) -> dict[int, tuple[float, str]]:
    """For each pair of the cluster whose documents the tree (child -> parent) puts one above
    the other: pair index -> (the least margin of the hops between them, the upper document)."""
    orders: dict[int, tuple[float, str]] = {}
    for node in margins:
        margin, upper = margins[node], node
        while True:
            upper = tree[upper]
            if upper == root_node:
                break
            pair_index = pair_of.get(frozenset((node, upper)))
            if pair_index is not None:
                orders[pair_index] = (margin, upper)
            if upper in margins:
                margin = min(margin, margins[upper])
    return orders


def _origin(tree: Mapping[str, str], node: str, root_node: str) -> str:
    """The root of the lineage tree (child -> parent) above `node`."""
    while True:
        parent = tree[node]
        if parent == root_node:
            return node
        node = parent


def _two_document_tree(edges: Sequence[tuple[str, str, float]]) -> dict[str, str] | None:
    """`_maximum_spanning_arborescence` of a cluster of two documents (`edges`: the root to
    each, then each to the other), by weighing its three trees; None where the best leads the
    next by too little for rounding not to blur it (ties go to Edmonds' own order).

    Most clusters have two documents, and Edmonds' contraction is costly for so small a graph;
    the best tree, when it is the only best, is what any maximum spanning arborescence is.
    """
    (root, first, to_first), (_, second, to_second) = edges[:2]
    between = {(parent, child): weight for parent, child, weight in edges[2:]}
    trees = sorted(
        [
            (to_first + to_second, {first: root, second: root}),
            (to_first + between[first, second], {first: root, second: first}),
            (to_second + between[second, first], {first: second, second: root}),
        ],
        key=lambda item: -item[0],
    )
    scale = 1.0 + max(abs(weight) for _, _, weight in edges)
    return trees[0][1] if trees[0][0] - trees[1][0] > 1e-9 * scale else None


def _maximum_spanning_arborescence(edges: Sequence[tuple[str, str, float]]) -> dict[str, str]:
    """Each node's parent in the maximum spanning arborescence of the directed graph of `edges`
    (parent, child, weight): exactly networkx's `maximum_spanning_arborescence` of a DiGraph
    whose edges iterate in this order (parent by parent, in the order of the nodes), ties
    included. Raises ValueError when the graph has none.

    A port of networkx's Edmonds (`maximum_branching`) step for step, on plain dicts: the same
    weights (shifted as networkx shifts them), the same order of nodes, of candidate edges and of
    contracted circuits, so it makes the same choice between equal weights. Without the graph
    objects, and their copies at every contraction, it is many times faster on lineage's graphs
    (tests/test_lineage.py compares the two on generated graphs full of ties). networkx is
    under the 3-clause BSD license, kept in LICENSES/networkx-BSD-3-Clause.txt.
    """
    index: dict[str, int] = {}
    for parent, child, _ in edges:
        index.setdefault(parent, len(index))
        index.setdefault(child, len(index))
    low, high = math.inf, -math.inf
    for _, _, weight in edges:
        if weight < low:
            low = weight
        if weight > high:
            high = weight
    # The graph being contracted: nodes in order (and their places in it), each node's edges by
    # neighbour (a list of edge keys shared by both ends, in order, as networkx's MultiDiGraph
    # keeps them), each edge's ends and weight.
    order: dict[int, None] = dict.fromkeys(range(len(index)))
    place = {node: node for node in order}
    succ: dict[int, dict[int, list[int]]] = {node: {} for node in order}
    pred: dict[int, dict[int, list[int]]] = {node: {} for node in order}
    ends: dict[int, tuple[int, int]] = {}
    weights: dict[int, float] = {}
    for key, (parent, child, weight) in enumerate(edges):
        u, v = index[parent], index[child]
        ends[key] = (u, v)
        weights[key] = weight - low + 1 - (low - high)
        keys = succ[u].get(v)
        if keys is None:
            keys = succ[u][v] = pred[v][u] = []
        keys.append(key)
    original = dict(ends)
    # The branching: each node's edge in it, the edges by tail, their (tail, head, weight); and
    # the union-find of its components.
    chosen: dict[int, int] = {}
    chosen_out: dict[int, list[int]] = {}
    branching: dict[int, tuple[int, int, float]] = {}
    candidate: set[int] = set()
    union: dict[int, int] = {}

    def find(node: int) -> int:
        root = node
        while union.get(root, root) != root:
            root = union[root]
        while node != root:
            union[node], node = root, union[node]
        return root

    def add_branch(u: int, v: int, key: int, weight: float) -> None:
        if v in chosen:
            raise AssertionError("two edges into one node of the branching")
        chosen[v] = key
        chosen_out.setdefault(u, []).append(key)
        branching[key] = (u, v, weight)
        a, b = find(u), find(v)
        if a != b:
            union[a] = b

    def in_keys(node: int) -> list[int]:
        # A node's edges in, as a copy of the graph lists them (by tail in the order of nodes).
        tails = sorted(pred[node], key=place.__getitem__)
        return [key for tail in tails for key in pred[node][tail]]

    # Per contraction: the circuit's edges and the node each enters, its lightest edge, the node
    # of the circuit each edge into it entered, and the contracted node's edges in when the next
    # contraction (or the end) comes.
    circuits: list[list[tuple[int, int]]] = []
    lightest: list[int | None] = []
    entered: list[dict[int, int]] = []
    merged_in: list[list[int]] = []
    merged: list[int] = []
    selected: set[int] = set()
    next_node = len(order)
    queue = list(order)
    at = 0
    while at < len(queue):
        v = queue[at]
        at += 1
        if v in selected:
            continue
        selected.add(v)
        best_key, best = -1, -math.inf
        for keys in pred[v].values():
            for key in keys:
                if weights[key] > best:
                    best, best_key = weights[key], key
        if best_key < 0 or not best > 0:
            continue
        u = ends[best_key][0]
        circuit = find(u) == find(v)
        add_branch(u, v, best_key, best)
        candidate.add(best_key)
        if not circuit:
            continue
        # Contract the circuit: the branching's path from v to u, and the new edge u -> v.
        path, circuit_keys, node = [u], [best_key], u
        while node != v:
            key = chosen[node]
            circuit_keys.append(key)
            node = branching[key][0]
            path.append(node)
        circuit_keys = circuit_keys[:0:-1] + circuit_keys[:1]
        minimum, minimum_key = math.inf, None
        incoming: dict[int, float] = {}
        for key in circuit_keys:
            _, head, weight = branching[key]
            incoming[head] = weight
            if weight < minimum:
                minimum, minimum_key = weight, key
        circuits.append([(key, branching[key][1]) for key in circuit_keys])
        lightest.append(minimum_key)
        merged_in.append(in_keys(merged[-1]) if merged else [])
        new = next_node
        next_node += 1
        merged.append(new)
        order[new] = None
        place[new] = new
        succ[new], pred[new] = {}, {}
        # The edges out of and into the circuit, in the graph's order of edges: by tail, in
        # the order of the nodes.
        tails = set(incoming)
        for head in incoming:
            tails.update(pred[head])
        moved: list[tuple[int, int, int, float]] = []
        into: dict[int, int] = {}
        for tail in sorted(tails, key=place.__getitem__):
            for head, keys in succ[tail].items():
                for key in keys:
                    if tail in incoming:
                        if head not in incoming:
                            moved.append((new, head, key, weights[key]))
                    elif head in incoming:
                        weight = weights[key]
                        weight += minimum - incoming[head]
                        moved.append((tail, new, key, weight))
                        into[key] = head
        entered.append(into)
        for node in path:
            for head, keys in succ.pop(node).items():
                for key in keys:
                    del ends[key]
                del pred[head][node]
            for tail, keys in pred.pop(node).items():
                for key in keys:
                    del ends[key]
                del succ[tail][node]
            del order[node]
            if node in chosen:
                key = chosen.pop(node)
                chosen_out[branching.pop(key)[0]].remove(key)
            for key in chosen_out.pop(node, ()):
                del chosen[branching.pop(key)[1]]
        selected.difference_update(path)
        for tail, head, key, weight in moved:
            ends[key] = (tail, head)
            weights[key] = weight
            keys = succ[tail].get(head)
            if keys is None:
                keys = succ[tail][head] = pred[head][tail] = []
            keys.append(key)
            if key in candidate:
                add_branch(tail, head, key, weight)
        queue = list(order)
        at = 0
    merged_in.append(in_keys(merged[-1]) if merged else [])
    # Expand the circuits again, last first: each loses its edge into the node that the edge
    # into its contracted node entered, or its lightest edge where no edge enters it.
    kept = set(branching)
    for level in range(len(circuits) - 1, -1, -1):
        entering = next((key for key in merged_in[level + 1] if key in kept), None)
        kept.update(key for key, _ in circuits[level])
        if entering is None:
            drop = lightest[level]
            if drop is None:
                raise AssertionError("a circuit with no edge to drop")
            kept.remove(drop)
        else:
            target = entered[level][entering]
            kept.remove(next(key for key, head in circuits[level] if head == target))
    names = list(index)
    parents = {names[original[key][1]]: names[original[key][0]] for key in kept}
    if len(parents) != len(names) - 1 or len(kept) != len(parents):
        raise ValueError("the graph has no spanning arborescence")
    return parents


@lru_cache(maxsize=4096)
def _event_cost(old: int, new: int) -> float:
    """The cost of one change of `old` parent words into `new` child words (see COST_EDIT).

    A change that mostly adds (or drops) a sentence or more costs as the sentence added (or
    dropped), however the alignment split it from a word or two next to it. Remembered: a few
    small counts make most changes, and looking one up costs a third of working it out (it is
    asked for every edit of every pair twice)."""
    if old == 0 and new == 0:
        return 0.0
    if new >= SENTENCE_WORDS and 4 * old <= new:
        return COST_ADD + COST_ADD_WORD * min(new - old, EVENT_WORDS)
    if old >= SENTENCE_WORDS and 4 * new <= old:
        return COST_DROP + COST_DROP_WORD * min(old - new, EVENT_WORDS)
    return COST_EDIT + COST_WORD * min(max(old, new), EVENT_WORDS)


def _uncovered(
    spans: Sequence[tuple[int, int]], covered: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The stretches of `spans` outside the `covered` spans."""
    covered = sorted(covered)
    out = []
    for start, end in spans:
        position = start
        for a, b in [*covered, (end, end)]:
            if b <= position or a > end:
                continue
            if a > position:
                out.append((position, min(a, end)))
            position = max(position, b)
            if position >= end:
                break
    return out


def _pair_costs(
    passages: Sequence[Passage], source: str, target: str, texts: _Members
) -> tuple[float, float]:
    """The text's cost of "target copied source" and of "source copied target", given the
    pair's passages of the cluster (oriented source -> target): parsimony over the change events
    between the two copies of the cluster's text (see COST_EDIT)."""
    counts: list[tuple[int, int]] = []
    forward, backward = _edit_costs(passages, source, target, texts, counts)
    source_gaps = texts.gaps(
        source, tuple(sorted((p.source_start, p.source_end) for p in passages))
    )
    target_gaps = texts.gaps(
        target, tuple(sorted((p.target_start, p.target_end) for p in passages))
    )
    if not source_gaps and not target_gaps:
        # (Two pairs in three: their passages cover all their cluster text, and leave no gap.)
        return forward, backward
    # The words both sides have at either end of a gap, the same either way round.
    shared_ends = {
        gap: common_ends(
            _Words(texts.by_id[source].text, *source_gaps[gap]),
            _Words(texts.by_id[target].text, *target_gaps[gap]),
        )
        for gap in source_gaps.keys() & target_gaps.keys()
    }
    target_span = (min(p.target_start for p in passages), max(p.target_end for p in passages))
    source_span = (min(p.source_start for p in passages), max(p.source_end for p in passages))
    moved, forward_fix, backward_fix = _moves(
        passages, counts, (source, target), texts, (source_gaps, target_gaps), shared_ends
    )
    forward = _gap_cost(
        forward + forward_fix,
        len(passages),
        texts,
        (target, source),
        target_span,
        target_gaps,
        source_gaps,
        shared_ends,
        moved,
    )
    backward = _gap_cost(
        backward + backward_fix,
        len(passages),
        texts,
        (source, target),
        source_span,
        source_gaps,
        target_gaps,
        shared_ends,
        moved,
    )
    return forward, backward


def _edit_costs(
    passages: Sequence[Passage],
    source: str,
    target: str,
    texts: _Members,
    counts: list[tuple[int, int]] | None = None,
) -> tuple[float, float]:
    """The cost of the passages' edits (see `_event_cost`), forward (source -> target) and
    backward: `_edit_costs_plain`, each side's words counted from the tokens of one stretch of
    its text that holds all the passages, and so their edits (looked up once per pair, not per
    edit side). Each edit's (source words, target words), in order, are added to `counts`."""
    forward = backward = 0.0
    if not any(passage.edits for passage in passages):
        return forward, backward
    source_text, target_text = texts.by_id[source].text, texts.by_id[target].text
    source_starts, source_ends = texts.tokens_over(
        source, min(p.source_start for p in passages), max(p.source_end for p in passages)
    )
    target_starts, target_ends = texts.tokens_over(
        target, min(p.target_start for p in passages), max(p.target_end for p in passages)
    )
    for passage in passages:
        for edit in passage.edits:
            old = _count_words_between(
                source_text, source_starts, source_ends, edit.source_start, edit.source_end
            )
            new = _count_words_between(
                target_text, target_starts, target_ends, edit.target_start, edit.target_end
            )
            forward += _event_cost(old, new)
            backward += _event_cost(new, old)
            if counts is not None:
                counts.append((old, new))
    return forward, backward


def _edit_costs_plain(
    passages: Sequence[Passage], source: str, target: str, texts: _Members
) -> tuple[float, float]:
    """`_edit_costs` edit by edit: the reference it is tested against."""
    forward = backward = 0.0
    for passage in passages:
        for edit in passage.edits:
            old = texts.count_between(source, edit.source_start, edit.source_end)
            new = texts.count_between(target, edit.target_start, edit.target_end)
            forward += _event_cost(old, new)
            backward += _event_cost(new, old)
    return forward, backward


def _moves(
    passages: Sequence[Passage],
    counts: Sequence[tuple[int, int]],
    docs: tuple[str, str],
    texts: _Members,
    gaps: tuple[dict[int, tuple[array[int], array[int]]], dict[int, tuple[array[int], array[int]]]],
    shared_ends: dict[int, tuple[int, int]],
) -> tuple[frozenset[tuple[str, int]], float, float]:
    """Sentences one copy moved to its opening or its end: (the (document, gap) of each, what to
    add to the forward and to the backward cost).

    A sentence moved to a copy's start is text of that copy's opening gap which the other copy
    lacks there, and, inside a passage, an edit that has it on the other side only. Counted as
    it comes (an opening or end the other side lacks, `_gap_cost`, and a sentence the edit adds
    or drops, `_edit_costs`), it is two changes, which cost more one way round than the other (an
    opening dropped is cheap): the copy that moved it looked like the origin. A gap's own words
    (SENTENCE_WORDS at least, the other side having none there) and a one-sided edit of the
    other side (SENTENCE_WORDS at least), four in five of whose words (casefolded, counted with
    repeats) are the gap's and half of the gap's the edit's, are one move: one event, the cost
    of the sentence added, either way round. `counts`: the (source words, target words) of each
    edit of the passages, in order (none when the passages have no edits)."""
    moved: set[tuple[str, int]] = set()
    forward = backward = 0.0
    ends = {0, len(passages)}
    for side, doc in enumerate(docs):
        other = 1 - side
        own_gaps, other_gaps = gaps[side], gaps[other]
        for gap in ends & own_gaps.keys():
            head, tail = shared_ends.get(gap, (0, 0))
            starts, stops = own_gaps[gap]
            if len(starts) - head - tail < SENTENCE_WORDS or (
                len(other_gaps.get(gap, _NO_WORDS)[0]) - head - tail > 0
            ):
                continue
            # (A run of edits has four times the words on the other side only if one has.)
            if not any(count[other] and 4 * count[side] <= count[other] for count in counts):
                continue
            found = _moved_edit(
                passages,
                counts,
                docs,
                side,
                texts,
                (texts.by_id[doc].text, starts, stops, head, len(starts) - tail),
            )
            if found is None:
                continue
            moved.add((doc, gap))
            move = _event_cost(0, len(starts) - head - tail)
            forward += move - sum(_event_cost(old, new) for old, new in found)
            backward += move - sum(_event_cost(new, old) for old, new in found)
    return frozenset(moved), forward, backward


def _casefolded(
    text: str, starts: Sequence[int], ends: Sequence[int], first: int, last: int
) -> Counter[str]:
    """The casefolded words first..last - 1 of the text's words at `starts`/`ends`, counted."""
    return Counter(text[starts[k] : ends[k]].casefold() for k in range(first, last))


def _moved_edit(
    passages: Sequence[Passage],
    counts: Sequence[tuple[int, int]],
    docs: tuple[str, str],
    side: int,
    texts: _Members,
    gap: tuple[str, Sequence[int], Sequence[int], int, int],
) -> list[tuple[int, int]] | None:
    """The (source words, target words) of each edit of the passages' first run of edits that
    has, on the side other than `side` (0: source), the words of a gap of `side`'s document
    (`gap`: its text, its words' starts and ends, the first and last + 1 of them; see
    `_moves`), else None. A run is one edit with words on the other side or several, with at
    most MOVE_JOIN_WORDS words between each and the next there (the alignment splits a dropped
    sentence where a word of it happens to match). `counts`: each edit's (source words, target
    words)."""
    other = docs[1 - side]
    runs: list[list[tuple[int, int, tuple[int, int]]]] = []
    place = 0
    for passage in passages:
        last = None
        for edit in passage.edits:
            count = counts[place]
            place += 1
            if not count[1 - side]:
                last = None
                continue
            spans = ((edit.source_start, edit.source_end), (edit.target_start, edit.target_end))
            start, end = spans[1 - side]
            if last is not None and texts.count_between(other, last, start) <= MOVE_JOIN_WORDS:
                runs[-1].append((start, end, count))
            else:
                runs.append([(start, end, count)])
            last = end
    words: Counter[str] | None = None
    size = gap[4] - gap[3]
    for run in runs:
        mine = sum(item[2][side] for item in run)
        theirs = sum(item[2][1 - side] for item in run)
        if theirs < SENTENCE_WORDS or 4 * mine > theirs:
            continue
        starts, ends = texts.words_between(other, run[0][0], run[-1][1])
        if 2 * len(starts) < size:  # (too few to hold half the gap's words)
            continue
        if words is None:
            words = _casefolded(*gap)
        found = _casefolded(texts.by_id[other].text, starts, ends, 0, len(starts))
        shared = sum((found & words).values())
        if 5 * shared >= 4 * sum(found.values()) and 2 * shared >= size:
            return [item[2] for item in run]
    return None


# The words of a gap one side lacks (never changed).
_NO_WORDS: tuple[array[int], array[int]] = (array("q"), array("q"))


def _gap_cost(
    cost: float,
    passages: int,
    texts: _Members,
    child_parent: tuple[str, str],
    child_span: tuple[int, int],
    child_gaps: dict[int, tuple[array[int], array[int]]],
    parent_gaps: dict[int, tuple[array[int], array[int]]],
    shared_ends: dict[int, tuple[int, int]],
    moved: frozenset[tuple[str, int]] = frozenset(),
) -> float:
    """`cost` plus the cost of the text outside the `passages` passages, gap by gap (before the
    first passage, between two, after the last), that one side has and the other lacks.

    Words both have at either end of the gap (`shared_ends`: the `common_ends` of the two sides'
    words, by gap, where both have some) are text the alignment left out, not a change.
    Text the parent alone has, the child dropped; text the child alone has is its own addition,
    one event; cluster text the child has and this parent lacks came from elsewhere: every word of
    it counts (COST_SHARED_WORD). `child_span`: where the passages start and end in the
    child. A side's own words of a gap in `moved` (document, gap) are a moved sentence, counted
    by `_moves`."""
    child, parent = child_parent
    for gap in child_gaps.keys() | parent_gaps.keys():
        new_starts = child_gaps.get(gap, _NO_WORDS)[0]
        old_starts, old_ends = parent_gaps.get(gap, _NO_WORDS)
        head, tail = shared_ends.get(gap, (0, 0))
        old, new = len(old_starts) - head - tail, len(new_starts) - head - tail
        if (parent, gap) in moved:
            old = 0
        if (child, gap) in moved:
            new = 0
        if old and not new and gap in (0, passages):
            opening = gap == 0
            cost += _dropped_cost(
                texts.by_id[parent].text,
                (old_starts, old_ends, head, len(old_starts) - tail),
                texts.by_id[child].text,
                child_span[0] if opening else child_span[1],
                opening,
            )
        elif old:
            cost += _event_cost(old, 0)
        if new:
            # The child's words here inside the cluster's text (the starts are in order).
            shared, last = 0, len(new_starts) - tail
            for start, end in zip(*texts.cluster_text(child), strict=True):
                shared += bisect_left(new_starts, end, head, last) - bisect_left(
                    new_starts, start, head, last
                )
            cost += _event_cost(0, new) + COST_SHARED_WORD * shared
    return cost


# What cuts an opening or an end from the text that follows or comes before it: the end of a
# sentence (also in CJK and Arabic script) or a line, or a dateline's dash, colon or closing
# bracket ("LONDON (Reuters) -").
_BOUNDARY = re.compile(r"[.!?\u2026\u3002\uff01\uff1f\u061f\u06d4\n\r\u2014\u2013\-:|)\]]")
# How far beyond its passages a child's own words are looked at (`_dropped_cost`).
_OWN_CHARS = 400


def _dropped_cost(
    parent: str,
    words: tuple[Sequence[int], Sequence[int], int, int],
    child: str,
    kept: int,
    opening: bool,
) -> float:
    """The cost of the parent's opening (`words`: starts, ends, first, last: its words first to
    last - 1, ending where its passages start) or its end (from where they end) that the child
    lacks, its passages starting (else ending) at `kept`.

    Copies drop a dateline, an update note or closing paragraphs all the time: that costs
    COST_COMMON (plus COST_DROP_WORD a word), where the dropped text is cut from the rest at a
    `_BOUNDARY` (a word or two before a sentence's first, else after its last, is an edit like
    any other: one word a copy put before its parent's first made the copy the likelier
    origin), or where the child's text goes on beyond its passages: the same words (the
    alignment often starts a passage a word late) or text of its own, SENTENCE_WORDS or more
    words. Fewer words of its own there, the child replaced the parent's: an edit (before, the
    words of the copy outside its cluster text were not counted, and the change cost more one
    way round than the other)."""
    starts, ends, first, last = words
    old = last - first
    common = COST_COMMON + COST_DROP_WORD * min(old, EVENT_WORDS)
    window = child[max(0, kept - _OWN_CHARS) : kept] if opening else child[kept : kept + _OWN_CHARS]
    if TOKEN_PATTERN.search(window) is not None:
        if old >= SENTENCE_WORDS:
            return common
        own = TOKEN_PATTERN.findall(window)
        if len(own) >= SENTENCE_WORDS:
            return common
        near = min(len(own), old)
        mine = own[len(own) - near :] if opening else own[:near]
        places = range(last - near, last) if opening else range(first, first + near)
        dropped = [parent[starts[k] : ends[k]] for k in places]
        if [word.casefold() for word in mine] == [word.casefold() for word in dropped]:
            return common
        return _event_cost(old, len(own))
    if opening:
        end = ends[last - 1]
        while end < len(parent) and not (parent[end].isalnum() or parent[end] == "_"):
            end += 1  # (what \W matches)
        between = parent[ends[last - 1] : end]
    else:
        start = starts[first]
        while start > 0 and not (parent[start - 1].isalnum() or parent[start - 1] == "_"):
            start -= 1  # (what \W matches)
        between = parent[start : starts[first]]
    return common if _BOUNDARY.search(between) else _event_cost(old, 0)


class _Words(Sequence[str]):
    """The words of a text at the given starts and ends, each sliced when it is looked at."""

    __slots__ = ("_text", "_starts", "_ends")

    def __init__(self, text: str, starts: Sequence[int], ends: Sequence[int]) -> None:
        self._text, self._starts, self._ends = text, starts, ends

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [
                self._text[a:b] for a, b in zip(self._starts[index], self._ends[index], strict=True)
            ]
        return self._text[self._starts[index] : self._ends[index]]


def _gaps(
    texts: _Members, doc: str, covered: Sequence[tuple[int, int]]
) -> dict[int, tuple[array[int], array[int]]]:
    """The starts and ends of the words of the document's cluster text (and of the stretch from
    the first to the last covered span) outside the sorted `covered` spans, by gap: 0 before the
    first covered span, k after the k-th."""
    gaps: dict[int, tuple[array[int], array[int]]] = {}
    if len(covered) == 1:
        # Most often one passage covers all the document's cluster text: no gap.
        low, high = covered[0]
        if all(low <= start and end <= high for start, end in texts.spans[doc]):
            return gaps
    for start, end in _uncovered(_with_hull(texts.spans[doc], covered), covered):
        gap = sum(1 for _, b in covered if b <= start)
        starts, ends = gaps.setdefault(gap, (array("q"), array("q")))
        found_starts, found_ends = texts.words_between(doc, start, end)
        starts += found_starts
        ends += found_ends
    return {gap: item for gap, item in gaps.items() if item[0]}


def _union(spans: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """The union of the spans as sorted, disjoint spans: (starts, ends)."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(span for span in spans if span[0] < span[1]):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _with_hull(
    spans: Sequence[tuple[int, int]], covered: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """`spans` joined with the stretch from the first to the last covered span, merged."""
    if not covered:
        return list(spans)
    hull = (min(a for a, _ in covered), max(b for _, b in covered))
    merged: list[tuple[int, int]] = []
    for start, end in sorted([*spans, hull]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _parent_score(
    parent: Document,
    child: Document,
    cost: float,
    credits_child: bool,
    credits_parent: bool,
    later: int,
    hours: float | None,
) -> float:
    """How strongly the evidence says `child` took the cluster's text from `parent`; `later` is
    how much later a version of the story the child says it is (see `_version_rank`), `hours`
    their `_hours_between`."""
    time_term = 0.0
    if hours is not None:
        # One outlet's versions of a story share one clock: there the times are reliable.
        weight = WEIGHT_TIME * (SAME_OUTLET_TIME_FACTOR if _same_outlet(parent, child) else 1.0)
        time_term = weight * math.tanh(hours / TIME_SCALE_HOURS)
        if hours < -LATE_HOURS:
            time_term -= WEIGHT_LATE * min(1.0, (-hours - LATE_HOURS) / 24.0)
    # Credit tells direction, not distance: a text that names the other's outlet as its source
    # took the text from it (directly or not), so it is not that one's parent. (A child naming the
    # parent's outlet says nothing between the agency and a copy that kept the agency's credit.)
    credit = (-WEIGHT_CREDIT if credits_child else 0.0) + (
        WEIGHT_CREDIT_PARENT if credits_parent else 0.0
    )
    # One outlet's versions: an update marker ("UPDATE 2", "(Adds ...)") says which came later.
    if _same_outlet(parent, child):
        credit += WEIGHT_VERSION * ((later > 0) - (later < 0))
    # Whole texts: the shorter, edited text usually derives from the fuller one.
    parent_length, child_length = len(parent.text), len(child.text)
    fuller = 0.0
    if abs(parent_length - child_length) > 0.05 * max(parent_length, child_length):
        fuller = 1.0 if parent_length > child_length else -1.0
    return -cost + time_term + credit + WEIGHT_FULLER * fuller


def _same_outlet(first: Document, second: Document) -> bool:
    return bool(first.outlet) and first.outlet == second.outlet


def _confidence(candidates: dict[str, float], chosen: str, margin: float) -> float:
    """Softmax share of the chosen parent's score among all candidate parents (root included)
    and the hop turned round (scored `margin` below the chosen one, see `_turn_margin`): two
    copies nothing tells apart get 0.5 at most, however alike they are."""
    top = max(*candidates.values(), candidates[chosen] - margin)
    exps = {k: math.exp(CONFIDENCE_SHARPNESS * (v - top)) for k, v in candidates.items()}
    turned = math.exp(CONFIDENCE_SHARPNESS * (candidates[chosen] - margin - top))
    return min(1.0, max(0.0, exps[chosen] / (sum(exps.values()) + turned)))


def _time_key(document: Document) -> str:
    return document.published or "9999"


def _versions(by_id: Mapping[str, Document], documents: Sequence[str]) -> tuple[str, ...]:
    """Documents of one outlet in one cluster: versions of one story (updates, corrections)."""
    by_outlet: dict[str, list[str]] = defaultdict(list)
    for doc in documents:
        outlet = by_id[doc].outlet
        if outlet:
            by_outlet[outlet].append(doc)
    versions: list[str] = []
    for docs in by_outlet.values():
        if len(docs) < 2:
            continue
        versions += sorted(docs, key=lambda d: (_time_key(by_id[d]), d))
    return tuple(versions)


def taken_version(cluster: ReuseCluster, document: str) -> str | None:
    """The version of an updated story (one of `cluster.versions`) that a derived document took:
    its nearest ancestor in the lineage tree that is a version. None for the versions themselves
    and for documents that descend from none."""
    return _nearest_version(document, set(cluster.versions), _parents(cluster))


def taken_versions(cluster: ReuseCluster) -> dict[str, str | None]:
    """`taken_version` of the child of every edge of the cluster, at once."""
    if not cluster.versions:  # most clusters: no updated story
        return {edge.child: None for edge in cluster.edges}
    versions, parents = set(cluster.versions), _parents(cluster)
    return {edge.child: _nearest_version(edge.child, versions, parents) for edge in cluster.edges}


def _parents(cluster: ReuseCluster) -> dict[str, str]:
    return {edge.child: edge.parent for edge in cluster.edges}


def _nearest_version(document: str, versions: set[str], parents: Mapping[str, str]) -> str | None:
    """`taken_version` given the cluster's versions and its tree (child -> parent)."""
    if document in versions:
        return None
    node, seen = document, {document}
    while node in parents:
        node = parents[node]
        if node in versions:
            return node
        if node in seen:
            return None
        seen.add(node)
    return None


def _version_rank(document: Document) -> int:
    """How late a version of a story says it is: n for "UPDATE n", 1 for another update marker
    ("(Adds ...)", "CORRECTED", ...), 0 for none."""
    label = version_label(document)
    if label is None:
        return 0
    number = re.search(r"\d+", label)
    return int(number.group()) if number else 1


def version_label(document: Document) -> str | None:
    """The update marker of a wire version ("UPDATE 1", "CORRECTED", ...), if it has one."""
    opening = (document.title or "") + " " + document.text[:300]
    # Every marker holds one of these as written: most texts hold none, so no search.
    if not any(mark in opening for mark in _UPDATE_MARKS):
        return None
    match = _UPDATE.search(opening)
    return match.group().strip("( ") if match else None


__all__ = [
    "classify_change",
    "find_clusters",
    "find_credit",
    "hop_mutations",
    "infer_lineage",
    "infer_lineage_and_directions",
    "orient_pair",
    "outlet_names",
    "passage_kind",
    "quote_spans",
    "taken_version",
    "taken_versions",
    "version_label",
]
