"""Spread simulator: wire stories spreading through fictional outlets, with known parents and
known planted mutations, run through the real pipeline (`wiretrace.find_reuse`).

Usage: python benchmarks/spread.py [--seeds 101-105] [--stories 6] [--part spread,rewrites,real]
       [--real-limit N]

Base texts are real English articles from ../shared/data/news/allsides (read in place, never
copied). Each story is a wire dispatch (a real article with an agency dateline) that fictional
outlets copy, sometimes from each other (copies of copies), sometimes from a wire UPDATE; every
copy plants 1-4 known mutations against its parent: a number changed, words inside a quotation
changed, an attribution added, dropped or changed, a hedge added, words swapped, a sentence added
or removed, the end trimmed. Dates carry jitter; some copies carry a clock earlier than their
parent's; some have no date. Measured (per seed set, on the pipeline's report):

- parent accuracy: a copy's lineage parent (in the largest cluster holding it) is its true parent;
- planted number/quote/attribution recall: the child's edge reports a mutation of that type at
  the planted place (overlapping it, on the child side); precision: reported mutations (of those
  three types, and of all types) on edges with the right parent that match a planted one;
- direction without dates (all dates removed): for every found pair of an ancestor and its
  descendant, the pipeline's pair names the ancestor as source ("pair"), and the lineage tree puts
  the ancestor above the descendant ("tree": the first of the two on the path to the root).

Short re-writes (no dates): a run of 60-220 words of a long real article, re-written light
(5% of the words replaced), medium (15%, a sentence moved, one added) or heavy (25%, sentences
moved, dropped and added, words dropped), among same-topic articles (hard negatives); reuse
detected (F1 over pairs that involve a re-write) and the longer source named as the pair's
source and as the re-write's lineage parent.

Real pairs (tgcontest, Reuters-21578 re-sends): pairs the pipeline finds between documents with
distinct publication times; with the dates removed, how often the text-only direction agrees
with the time order (pair source, lineage tree), and how often it cannot tell.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import json
import os
import platform
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _machine import cpu_and_memory

import wiretrace

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news"
if not DATA.is_dir():
    DATA = Path(os.environ.get("WIRETRACE_SHARED_DATA", "/work/shared/data")) / "news"

AGENCIES = [
    ("Northwind Press", "NWP"),
    ("Continental Wire Service", "CWS"),
    ("Meridian News Agency", "MNA"),
    ("Baltic Ledger Service", "BLS"),
]
OUTLETS = [
    "Harbor Gazette", "Lakeside Chronicle", "Red Valley Sentinel", "Pinecrest Daily",
    "Eastbrook Bulletin", "Granite Coast Mail", "Silverton Dispatch", "Morrow County Voice",
    "Westmarch Tribune", "Oldfield Examiner", "Clearwater Record", "Stonebridge Monitor",
    "Highmoor Herald", "Ashford Telegraph", "Blue Ridge Courant", "Fennick Post",
    "Tidewater Journal", "Marlow Standard", "Northgate Reporter", "Juniper Times",
]  # fmt: skip
UPDATE_NOTES = [
    "(Adds details, background)",
    "(Updates with new figures)",
    "(Adds comment from officials)",
    "(Recasts with latest developments)",
]
CITIES = ["WASHINGTON", "NEW YORK", "CHICAGO", "LONDON", "LOS ANGELES", "BRUSSELS", "DENVER"]
KEY_TYPES = ("number", "quote", "attribution")
OP_WEIGHTS = {
    "number": 0.2,
    "quote": 0.16,
    "attribution": 0.2,
    "hedge": 0.1,
    "substitution": 0.14,
    "sentence_added": 0.1,
    "sentence_removed": 0.05,
    "trim": 0.05,
}
MARGIN = 60  # characters kept between two planted mutations of one copy

_DATELINE = re.compile(r"(?m)^[A-Z ]+ \((\w+)\) - ")
# Quotations, paired left to right (a short quotation is skipped whole, never paired across).
_QUOTE = re.compile(r"“[^”\n]{1,600}”|\"[^\"\n]{1,600}\"")
_NUMBER = re.compile(r"(?<![\w.,$])\d{1,6}(?![\w.,%])")
_SENTENCE = re.compile(r"[A-Z][^.!?\n\"“”]{30,300}[.!?](?=\s)")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]{4,12}(?![\w'’-])")
_HEDGE_SLOT = re.compile(r"\b(?:has|have|had|was|were|is|are|will|would)\s+(?=[a-z]{4,}\b)")
_AVOID = re.compile(
    r"report|said|says|told|according|source|allege|claim|possibl|believ|rumou?r|apparent"
    r"|confirm|quot|cit|via|agenc|wire|news|press",
    re.IGNORECASE,
)


# --- real articles ----------------------------------------------------------------------------


def read_pool(limit: int) -> list[dict]:
    """English allsides articles with quotations and figures (the first `limit` lines)."""
    pool, seen = [], set()
    with gzip.open(DATA / "allsides" / "articles.jsonl.gz", "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= limit:
                break
            record = json.loads(line)
            text = (record.get("text") or "").strip()
            words = len(text.split())
            if words < 200 or words > 1500 or "\n\n" not in text:
                continue
            text = re.sub(r"\n{3,}", "\n\n", text)
            if text[:200] in seen:  # the same wire story run by several outlets: once
                continue
            seen.add(text[:200])
            pool.append(
                {
                    "text": text,
                    "words": words,
                    "topic": record.get("topic") or "",
                    "quotes": len(_quotes(text)),
                    "numbers": len(_NUMBER.findall(text)),
                }
            )
    return pool


def vocabulary(pool: list[dict]) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for record in pool[:500]:
        for word in _LOWER_WORD.findall(record["text"]):
            counts[word] += 1
    return sorted(w for w, c in counts.items() if c >= 3 and not _AVOID.search(w))


def filler_sentences(pool: list[dict]) -> list[str]:
    out = []
    for record in pool[-400:]:
        for match in _SENTENCE.finditer(record["text"]):
            sentence = match.group()
            if (
                10 <= len(sentence.split()) <= 30
                and not re.search(r"\d", sentence)
                and not _AVOID.search(sentence)
            ):
                out.append(sentence)
    return out


# --- planting mutations -----------------------------------------------------------------------


@dataclass
class Planted:
    type: str
    start: int  # in the child's text (empty span at the place for removals)
    end: int


@dataclass
class Draft:
    text: str
    planted: list[Planted] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end + MARGIN <= p.start or p.end + MARGIN <= start for p in self.planted)

    def replace(self, start: int, end: int, new: str, kind: str, mark: tuple[int, int]) -> None:
        """text[start:end] -> new; the planted mutation covers `mark` (offsets into `new`)."""
        delta = len(new) - (end - start)
        for p in self.planted:
            if p.start >= end:
                p.start += delta
                p.end += delta
        self.text = self.text[:start] + new + self.text[end:]
        self.planted.append(Planted(kind, start + mark[0], start + mark[1]))


def _quotes(text: str) -> list[tuple[int, int]]:
    """Spans of the quotations (marks included); the quote mutations go into those of 15+."""
    return [m.span() for m in _QUOTE.finditer(text)]


def _long_quotes(text: str) -> list[tuple[int, int]]:
    return [(a, b) for a, b in _quotes(text) if b - a >= 17]


def _outside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or b <= start for a, b in spans)


def plant(op: str, draft: Draft, rng: random.Random, story: Story) -> bool:
    """Apply one mutation of kind `op` to the draft; False when the text offers no place."""
    text = draft.text
    quotes = _quotes(text)
    body = story.body_start(text)
    if op == "number":
        places = [
            m
            for m in _NUMBER.finditer(text)
            if m.start() >= body and _outside(quotes, *m.span()) and draft.free(*m.span())
        ]
        if not places:
            return False
        m = rng.choice(places)
        value = int(m.group())
        new = str(value + rng.randint(1, 60) if value < 1000 else value + rng.randint(1, 200))
        draft.replace(m.start(), m.end(), new, "number", (0, len(new)))
        return True
    if op == "quote":
        places = []
        for a, b in _long_quotes(text):
            for m in _LOWER_WORD.finditer(text, a + 1, b - 1):
                if draft.free(*m.span()) and not _AVOID.search(m.group()):
                    places.append(m)
        if not places:
            return False
        m = rng.choice(places)
        new = rng.choice(story.vocabulary)
        draft.replace(m.start(), m.end(), new, "quote", (0, len(new)))
        return True
    if op == "attribution":
        return _plant_attribution(draft, rng, story, quotes)
    if op == "hedge":
        places = [
            m
            for m in _HEDGE_SLOT.finditer(text)
            if m.start() >= body and _outside(quotes, *m.span()) and draft.free(*m.span())
        ]
        if not places:
            return False
        m = rng.choice(places)
        word = rng.choice(["reportedly ", "allegedly ", "apparently "])
        draft.replace(m.end(), m.end(), word, "hedge", (0, len(word) - 1))
        return True
    if op == "substitution":
        places = [
            m
            for m in _LOWER_WORD.finditer(text)
            if m.start() >= body
            and _outside(quotes, m.start() - 2, m.end() + 2)
            and draft.free(*m.span())
            and not _AVOID.search(m.group())
            and not re.search(r"\d", text[max(0, m.start() - 12) : m.end() + 12])
        ]
        if not places:
            return False
        m = rng.choice(places)
        new = rng.choice([w for w in story.vocabulary if w != m.group()])
        draft.replace(m.start(), m.end(), new, "substitution", (0, len(new)))
        return True
    if op == "sentence_added":
        ends = [
            m.end()
            for m in re.finditer(r"[.!?](?= [A-Z])", text)
            if m.start() > body and _outside(quotes, m.start() - 1, m.end() + 1)
        ]
        ends = [e for e in ends if draft.free(e, e)]
        if not ends:
            return False
        place = rng.choice(ends)
        sentence = " " + rng.choice(story.fillers)
        draft.replace(place, place, sentence, "sentence_added", (1, len(sentence)))
        return True
    if op == "sentence_removed":
        places = [
            m
            for m in _SENTENCE.finditer(text)
            if m.start() > body
            and len(m.group().split()) >= 8
            and _outside(quotes, m.start() - 1, m.end() + 1)
            and draft.free(*m.span())
            and text[m.end() : m.end() + 1] == " "
        ]
        if not places:
            return False
        m = rng.choice(places)
        draft.replace(m.start(), m.end() + 1, "", "sentence_removed", (0, 0))
        return True
    if op == "trim":
        breaks = [m.start() for m in re.finditer(r"\n\n", text)]
        if len(breaks) < 5:
            return False
        cut = breaks[-rng.randint(1, min(3, len(breaks) // 3))]
        if not draft.free(cut, len(text)):
            return False
        draft.replace(cut, len(text), "", "sentence_removed", (0, 0))
        return True
    raise ValueError(op)


def _plant_attribution(
    draft: Draft, rng: random.Random, story: Story, quotes: list[tuple[int, int]]
) -> bool:
    text = draft.text
    dateline = _DATELINE.search(text[:300])
    credit = re.search(r", according to (?:the )?([A-Z][\w ]+?)(?=\.)", text)
    choices = ["add"]
    if dateline and draft.free(0, dateline.end()):
        choices += ["drop_dateline", "change_dateline"]
    if credit and draft.free(*credit.span()):
        choices += ["drop_credit"]
    choice = rng.choice(choices)
    if choice == "drop_dateline":
        draft.replace(dateline.start(), dateline.end(), "", "attribution", (0, 0))
        return True
    if choice == "change_dateline":
        other = dateline.group(1)
        while other == dateline.group(1):  # another agency's credit, rarely the same twice
            other = "".join(rng.choice("ABCDEFGHIKLMNPRSTUW") for _ in range(rng.choice((2, 3, 4))))
        draft.replace(dateline.start(1), dateline.end(1), other, "attribution", (0, len(other)))
        return True
    if choice == "drop_credit":
        draft.replace(credit.start(), credit.end(), "", "attribution", (0, 0))
        return True
    ends = [
        m
        for m in re.finditer(r"(?<=[a-z])\.(?= [A-Z]|\n)", text)
        if m.start() > story.body_start(text) + 40
        and _outside(quotes, m.start() - 1, m.end() + 1)
        and draft.free(m.start(), m.end())
    ]
    if not ends:
        return False
    m = rng.choice(ends)
    name = rng.choice([story.agency, story.acronym])
    new = rng.choice([f", according to {name}.", f", {name} reported."])
    draft.replace(m.start(), m.end(), new, "attribution", (0, len(new) - 1))
    return True


# --- stories ----------------------------------------------------------------------------------


@dataclass
class Story:
    agency: str
    acronym: str
    vocabulary: list[str]
    fillers: list[str]

    def body_start(self, text: str) -> int:
        dateline = _DATELINE.search(text[:300])
        return dateline.end() if dateline else 0


@dataclass
class Copy:
    id: str
    outlet: str
    text: str
    parent: str | None
    time: datetime  # the true time
    published: datetime | None  # the clock's
    planted: list[Planted]
    early_clock: bool = False


def make_story(
    number: int, article: dict, rng: random.Random, vocab: list[str], fillers: list[str]
) -> list[Copy]:
    agency, acronym = rng.choice(AGENCIES)
    story = Story(agency, acronym, vocab, fillers)
    start = datetime(2024, 3, 1, 6, tzinfo=UTC) + timedelta(days=number, hours=rng.random() * 6)
    wire_text = f"{rng.choice(CITIES)} ({acronym}) - {article['text']}"
    wire = Copy(_new_id(rng), agency, wire_text, None, start, start, [])
    copies = [wire]
    if rng.random() < 0.5:  # a wire UPDATE: a figure changed and a paragraph added
        draft = Draft(wire_text)
        plant("number", draft, rng, story)
        paragraph = " ".join(rng.sample(fillers, 2))
        place = draft.text.find("\n\n", len(draft.text) // 2)
        if place > 0:
            draft.replace(
                place, place, "\n\n" + paragraph, "sentence_added", (2, 2 + len(paragraph))
            )
        if rng.random() < 0.7:  # most wire updates say so on top, as agencies do
            note = rng.choice(UPDATE_NOTES)
            draft.replace(0, 0, note + "\n\n", "insertion", (0, len(note)))
        moment = start + timedelta(hours=1 + 2 * rng.random())
        copies.append(
            Copy(_new_id(rng), agency, draft.text, wire.id, moment, moment, draft.planted)
        )
    outlets = rng.sample(OUTLETS, rng.randint(6, 9))
    for outlet in outlets:
        roll = rng.random()
        earlier = [c for c in copies if c.parent is not None and c.outlet != agency]
        if roll < 0.3 and earlier:
            parent = rng.choice(earlier)
        elif roll < 0.45 and len(copies) > 1 and copies[1].outlet == agency:
            parent = copies[1]
        else:
            parent = wire
        draft = Draft(parent.text)
        note = re.match(r"\(.{5,60}?\)\n\n", draft.text)
        if note and rng.random() < 0.5:  # copies of a wire update often drop its note
            draft.replace(0, note.end(), "", "deletion", (0, 0))
        wanted = rng.randint(1, 4)
        ops = []
        tries = 0
        while len(ops) < wanted and tries < 30:
            tries += 1
            op = rng.choices(list(OP_WEIGHTS), weights=list(OP_WEIGHTS.values()))[0]
            if op == "trim" and not ops and wanted == 1:
                continue
            if plant(op, draft, rng, story):
                ops.append(op)
        if not ops:
            continue
        moment = parent.time + timedelta(hours=0.3 + 5.7 * rng.random())
        copy = Copy(_new_id(rng), outlet, draft.text, parent.id, moment, moment, draft.planted)
        clock = rng.random()
        if clock < 0.15 and parent.published is not None:
            copy.published = parent.published - timedelta(hours=0.25 + 2.75 * rng.random())
            copy.early_clock = True
        elif clock < 0.25:
            copy.published = None
        else:
            copy.published = moment + timedelta(hours=rng.gauss(0, 0.2))
        copies.append(copy)
    return copies


def _new_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08x}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- measuring --------------------------------------------------------------------------------


def lineage_parents(report: wiretrace.Report) -> tuple[dict[str, str], dict[str, object]]:
    """Each document's parent (and edge) in the largest cluster that holds it as a child."""
    best: dict[str, tuple[int, object]] = {}
    for cluster in report.clusters:
        size = len(cluster.documents)
        for edge in cluster.edges:
            if edge.child not in best or size > best[edge.child][0]:
                best[edge.child] = (size, edge)
    edges = {child: item[1] for child, item in best.items()}
    return {child: edge.parent for child, edge in edges.items()}, edges


def _overlaps(planted: Planted, start: int, end: int, slack: int = 3) -> bool:
    return start <= planted.end + slack and planted.start <= end + slack


def ancestors(copies: dict[str, Copy], doc: str) -> list[str]:
    out = []
    while copies[doc].parent is not None:
        doc = copies[doc].parent
        out.append(doc)
    return out


def run_spread(seeds: list[int], stories: int, pool: list[dict], settings: dict) -> dict:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    elapsed = 0.0
    for seed in seeds:
        rng = random.Random(seed)
        vocab = vocabulary(pool)
        fillers = filler_sentences(pool)
        chosen = rng.sample(
            [
                r
                for r in pool[:-400]
                if r["quotes"] >= 1 and r["numbers"] >= 2 and r["words"] <= 900
            ],
            stories + 10,
        )
        copies: dict[str, Copy] = {}
        for number in range(stories):
            for copy in make_story(number, chosen[number], rng, vocab, fillers):
                copies[copy.id] = copy
        distractors = [
            {"id": _new_id(rng), "text": r["text"], "outlet": rng.choice(OUTLETS)}
            for r in chosen[stories:]
        ]
        for dated in (True, False):
            records = [
                {
                    "id": c.id,
                    "text": c.text,
                    "outlet": c.outlet,
                    "published": _iso(c.published) if dated else None,
                }
                for c in copies.values()
            ] + distractors
            rng.shuffle(records)
            began = time.perf_counter()
            report = wiretrace.find_reuse(records, jobs=1, **settings)
            elapsed += time.perf_counter() - began
            parents, edges = lineage_parents(report)
            if dated:
                _score_dated(copies, parents, edges, totals)
            else:
                _score_direction(copies, report, parents, totals)
    return {"totals": totals, "seconds": elapsed}


def _score_dated(copies, parents, edges, totals) -> None:
    for doc, copy in copies.items():
        if copy.parent is None:
            continue
        right = parents.get(doc) == copy.parent
        totals["parent"][0] += right
        totals["parent"][1] += 1
        if copy.early_clock:
            totals["parent (clock before parent)"][0] += right
            totals["parent (clock before parent)"][1] += 1
        if copy.published is None:
            totals["parent (no date)"][0] += right
            totals["parent (no date)"][1] += 1
        edge = edges.get(doc)
        reported = list(edge.mutations) if edge is not None and right else []
        for planted in copy.planted:
            hit = any(
                m.type == planted.type and _overlaps(planted, m.target_start, m.target_end)
                for m in reported
            )
            group = planted.type if planted.type in KEY_TYPES else "other"
            totals[f"recall {group}"][0] += hit
            totals[f"recall {group}"][1] += 1
            if planted.type in KEY_TYPES:
                totals["recall number/quote/attribution"][0] += hit
                totals["recall number/quote/attribution"][1] += 1
                if copy.early_clock:
                    totals["recall n/q/a (clock before parent)"][0] += hit
                    totals["recall n/q/a (clock before parent)"][1] += 1
        for m in reported:
            hit = any(
                m.type == p.type and _overlaps(p, m.target_start, m.target_end)
                for p in copy.planted
            )
            if m.type in KEY_TYPES:
                totals["precision number/quote/attribution"][0] += hit
                totals["precision number/quote/attribution"][1] += 1
            totals["precision all types"][0] += hit
            totals["precision all types"][1] += 1


def _score_direction(copies, report, parents, totals) -> None:
    for pair in report.pairs:
        a, b = pair.source, pair.target
        if a not in copies or b not in copies:
            continue
        if a in ancestors(copies, b):
            ancestor, descendant = a, b
        elif b in ancestors(copies, a):
            ancestor, descendant = b, a
        else:
            continue
        totals["direction, pair source (no dates)"][0] += pair.source == ancestor
        totals["direction, pair source (no dates)"][1] += 1
        tree = _tree_order(parents, ancestor, descendant)
        totals["direction, lineage tree (no dates)"][0] += tree == ancestor
        totals["direction, lineage tree (no dates)"][1] += 1
    for doc, copy in copies.items():
        if copy.parent is not None:
            totals["parent (no dates)"][0] += parents.get(doc) == copy.parent
            totals["parent (no dates)"][1] += 1


def _tree_order(parents: dict[str, str], first: str, second: str) -> str | None:
    """Which of the two is above the other in the lineage tree (None: neither)."""
    for upper, lower in ((first, second), (second, first)):
        node, seen = lower, set()
        while node in parents and node not in seen:
            seen.add(node)
            node = parents[node]
            if node == upper:
                return upper
    return None


# --- short re-writes --------------------------------------------------------------------------


def rewrite(text: str, level: str, rng: random.Random, vocab: list[str], fillers: list[str]) -> str:
    sentences = [m.group() for m in re.finditer(r"[^.!?\n]+[.!?]+[\"”’]?", text)]
    sentences = [s.strip() for s in sentences if len(s.split()) >= 5]
    size = rng.randint(60, 220)
    start = rng.randrange(max(1, len(sentences) - 4))
    chosen, words = [], 0
    for sentence in sentences[start:]:
        chosen.append(sentence)
        words += len(sentence.split())
        if words >= size:
            break
    rate, moves, drops, adds, word_drops = {
        "light": (0.05, 0, 0, 0, 0.0),
        "medium": (0.15, 1, 0, 1, 0.0),
        "heavy": (0.25, 2, 1, 2, 0.05),
    }[level]
    for _ in range(moves):
        if len(chosen) > 2:
            i = rng.randrange(len(chosen) - 1)
            chosen[i], chosen[i + 1] = chosen[i + 1], chosen[i]
    for _ in range(drops):
        if len(chosen) > 3:
            chosen.pop(rng.randrange(1, len(chosen)))
    for _ in range(adds):
        chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(fillers))
    out = []
    for word in " ".join(chosen).split(" "):
        roll = rng.random()
        if roll < word_drops:
            continue
        if roll < word_drops + rate and word.isalpha():
            word = rng.choice(vocab)
        out.append(word)
    return " ".join(out)


def run_rewrites(seeds: list[int], pool: list[dict], per_seed: int, settings: dict) -> dict:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    counts = defaultdict(int)
    elapsed = 0.0
    by_topic: dict[str, list[dict]] = defaultdict(list)
    for record in pool:
        by_topic[record["topic"]].append(record)
    for seed in seeds:
        rng = random.Random(seed * 7919)
        vocab = vocabulary(pool)
        fillers = filler_sentences(pool)
        longs = [r for r in pool[:-400] if r["words"] >= 500 and r["topic"]]
        sources = rng.sample(longs, per_seed)
        records, truth, level_of = [], {}, {}
        used = {id(r) for r in sources}
        for number, source in enumerate(sources):
            level = ("light", "medium", "heavy")[number % 3]
            source_id, rewrite_id = _new_id(rng), _new_id(rng)
            records.append({"id": source_id, "text": source["text"], "outlet": rng.choice(OUTLETS)})
            text = rewrite(source["text"], level, rng, vocab, fillers)
            records.append({"id": rewrite_id, "text": text, "outlet": rng.choice(OUTLETS)})
            truth[rewrite_id] = source_id
            level_of[rewrite_id] = level
            # A same-topic article (a hard negative: same story, other words, mostly).
            others = [r for r in by_topic[source["topic"]] if id(r) not in used]
            if others:
                other = rng.choice(others)
                used.add(id(other))
                records.append({"id": _new_id(rng), "text": other["text"], "outlet": "Other"})
        rng.shuffle(records)
        began = time.perf_counter()
        report = wiretrace.find_reuse(records, jobs=1, **settings)
        elapsed += time.perf_counter() - began
        parents, _ = lineage_parents(report)
        found = set()
        for pair in report.pairs:
            ends = {pair.source, pair.target}
            rewrites = ends & set(truth)
            if not rewrites:
                continue
            (rewritten,) = rewrites if len(rewrites) == 1 else (sorted(rewrites)[0],)
            if ends == {rewritten, truth[rewritten]}:
                found.add(rewritten)
                level = level_of[rewritten]
                totals[f"source named, pair ({level})"][0] += pair.source == truth[rewritten]
                totals[f"source named, pair ({level})"][1] += 1
                totals["source named, pair"][0] += pair.source == truth[rewritten]
                totals["source named, pair"][1] += 1
                totals["source named, lineage parent"][0] += (
                    parents.get(rewritten) == truth[rewritten]
                )
                totals["source named, lineage parent"][1] += 1
            else:
                counts["false positive"] += 1
        for rewritten, level in level_of.items():
            totals[f"detected ({level})"][0] += rewritten in found
            totals[f"detected ({level})"][1] += 1
        counts["true positive"] += len(found)
        counts["false negative"] += len(truth) - len(found)
    tp, fp, fn = counts["true positive"], counts["false positive"], counts["false negative"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"totals": totals, "counts": dict(counts), "f1": f1, "precision": precision,
            "recall": recall, "seconds": elapsed}  # fmt: skip


# --- real pairs with publication times --------------------------------------------------------


def read_real(name: str, limit: int) -> list[dict]:
    path = {"tgcontest": DATA / "tgcontest" / "articles.jsonl.gz",
            "reuters21578": DATA / "reuters21578" / "articles.jsonl.gz"}[name]  # fmt: skip
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit and number >= limit:
                break
            record = json.loads(line)
            published = record.get("published_time") or record.get("datetime")
            if not (record.get("text") or "").strip() or not published:
                continue
            out.append(
                {
                    "id": str(record["id"]),
                    "text": record["text"],
                    "outlet": record.get("site_name")
                    or record.get("domain")
                    or record.get("source"),
                    "published": published,
                }
            )
    return out


def run_real(name: str, limit: int, settings: dict) -> dict:
    records = read_real(name, limit)
    report = wiretrace.find_reuse(records, jobs=1, **settings)
    docs = {d.id: d for d in report.documents}
    timed = []
    for pair in report.pairs:
        first, second = docs[pair.source], docs[pair.target]
        if first.published_at is None or second.published_at is None:
            continue
        if first.published_at == second.published_at:
            continue
        earlier = pair.source if first.published_at < second.published_at else pair.target
        timed.append((pair.source, pair.target, earlier))
    involved = {doc for a, b, _ in timed for doc in (a, b)}
    undated = [{**r, "published": None} for r in records if r["id"] in involved]
    text_report = wiretrace.find_reuse(undated, jobs=1, **settings)
    parents, _ = lineage_parents(text_report)
    by_pair = {frozenset((p.source, p.target)): p for p in text_report.pairs}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    identical = 0
    for a, b, earlier in timed:
        pair = by_pair.get(frozenset((a, b)))
        if pair is None:
            continue
        if docs[a].text.strip() == docs[b].text.strip():
            identical += 1
            continue
        # Near-copies (half the words or more align) against any shared passage; one outlet's
        # versions against copies across outlets.
        groups = ["all pairs", "similarity >= 0.5" if pair.similarity >= 0.5 else None]
        groups.append("same outlet" if docs[a].outlet == docs[b].outlet else "across outlets")
        tree = _tree_order(parents, a, b)
        decided = pair.direction != "unknown"
        for group in filter(None, groups):
            totals[f"{group}: pair source agrees (text decided)"][0] += (
                decided and pair.source == earlier
            )
            totals[f"{group}: pair source agrees (text decided)"][1] += decided
            totals[f"{group}: pair, text cannot tell"][0] += not decided
            totals[f"{group}: pair, text cannot tell"][1] += 1
            if tree is not None:
                totals[f"{group}: lineage tree agrees"][0] += tree == earlier
                totals[f"{group}: lineage tree agrees"][1] += 1
    return {"totals": totals, "pairs": len(timed), "identical": identical,
            "documents": len(records)}  # fmt: skip


# --- main ---------------------------------------------------------------------------------------


def parse_seeds(text: str) -> list[int]:
    seeds = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds += range(int(low), int(high) + 1)
        elif part:
            seeds.append(int(part))
    return seeds


def _row(name: str, hits: int, total: int) -> str:
    share = f"{hits / total:.3f}" if total else "-"
    return f"| {name} | {hits} / {total} | {share} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="101-105", help="seeds, e.g. 101-105 or 1,2,3")
    parser.add_argument("--stories", type=int, default=6, help="wire stories per seed")
    parser.add_argument("--rewrites", type=int, default=12, help="re-written sources per seed")
    parser.add_argument("--part", default="spread,rewrites", help="spread,rewrites,real")
    parser.add_argument(
        "--real-limit", type=int, default=0, help="first N articles of each real set"
    )
    parser.add_argument(
        "--pool", type=int, default=12000, help="allsides lines read for base texts"
    )
    args = parser.parse_args()
    if not (DATA / "allsides" / "articles.jsonl.gz").is_file():
        print(f"{DATA}: shared news data not found (set WIRETRACE_SHARED_DATA)", file=sys.stderr)
        return 1
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        print(
            f"--seeds {args.seeds!r}: give numbers and ranges, e.g. 101-105 or 1,2,3",
            file=sys.stderr,
        )
        return 2
    parts = set(args.part.split(","))
    if not parts or not parts <= {"spread", "rewrites", "real"}:
        print(f"--part {args.part!r}: name parts among spread, rewrites, real", file=sys.stderr)
        return 2
    cpu, memory = cpu_and_memory()
    print(f"machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()}")
    print(
        f"python {platform.python_version()}, wiretrace {importlib.metadata.version('wiretrace')}, "
        f"rapidfuzz {importlib.metadata.version('rapidfuzz')}, seeds {args.seeds}"
    )
    settings: dict = {}
    pool = read_pool(args.pool) if parts & {"spread", "rewrites"} else []
    if "spread" in parts:
        result = run_spread(seeds, args.stories, pool, settings)
        print()
        print(f"Spread: {args.stories} stories per seed, {result['seconds']:.1f} s in find_reuse")
        print()
        print("| measure | count | share |")
        print("|---|---:|---:|")
        for name in sorted(result["totals"]):
            print(_row(name, *result["totals"][name]))
    if "rewrites" in parts:
        result = run_rewrites(seeds, pool, args.rewrites, settings)
        print()
        print(
            f"Short re-writes, no dates: {args.rewrites} per seed; reuse detected "
            f"F1 {result['f1']:.3f} (precision {result['precision']:.3f}, recall "
            f"{result['recall']:.3f}; {result['counts']}), {result['seconds']:.1f} s"
        )
        print()
        print("| measure | count | share |")
        print("|---|---:|---:|")
        for name in sorted(result["totals"]):
            print(_row(name, *result["totals"][name]))
    if "real" in parts:
        for name in ("tgcontest", "reuters21578"):
            began = time.perf_counter()
            result = run_real(name, args.real_limit, settings)
            print()
            print(
                f"Real pairs, {name}: {result['documents']} documents, {result['pairs']} pairs "
                f"with distinct times, {result['identical']} of them identical texts (left out), "
                f"{time.perf_counter() - began:.0f} s"
            )
            print()
            print("| measure | count | share |")
            print("|---|---:|---:|")
            for key in sorted(result["totals"]):
                print(_row(key, *result["totals"][key]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
