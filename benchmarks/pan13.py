"""Accuracy on the PAN 2013 text-alignment training pairs: detection per category and plagdet.

Usage: python benchmarks/pan13.py [--data ../shared/data/alignment/pan13-train] [--limit N]
       [--every N] [--setting name=value ...] [--jobs N] [--json results.json]

Each pair (suspicious, source) is aligned with `wiretrace.compare(source, suspicious)`.
- "detected": the share of pairs of a category with at least one reported passage
  (for no-plagiarism pairs this is the false-positive rate).
- plagdet (Potthast et al. 2010) on every category whose truth carries offsets (in this copy
  only the no-obfuscation pairs do; obfuscated pairs have a document-level label only):
  character precision and recall over both documents, divided by log2(1 + granularity).
  This copy's offsets are shifted by a few characters, so ~0.93 is the ceiling here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy
import rapidfuzz
from _machine import cpu_and_memory

import wiretrace

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "alignment" / "pan13-train"
CATEGORIES = (
    "no-plagiarism",
    "no-obfuscation",
    "random-obfuscation",
    "translation-obfuscation",
    "summary-obfuscation",
)


def read_pairs(data: Path) -> list[dict[str, str]]:
    rows = (data / "pairs.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    return [dict(zip(header, row.split("\t"), strict=True)) for row in rows[1:] if row.strip()]


def read_truth(
    data: Path, suspicious: str, source: str
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    path = data / "truth" / f"{suspicious[:-4]}-{source[:-4]}.xml"
    if not path.exists():
        return []
    cases = []
    for feature in ElementTree.parse(path).getroot().iter("feature"):
        if feature.get("name") != "plagiarism":
            continue
        this_offset, this_length = int(feature.get("this_offset")), int(feature.get("this_length"))
        source_offset, source_length = (
            int(feature.get("source_offset")),
            int(feature.get("source_length")),
        )
        cases.append(
            (
                (this_offset, this_offset + this_length),
                (source_offset, source_offset + source_length),
            )
        )
    return cases


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int] | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start < end else None


def _union_length(ranges: list[tuple[int, int]]) -> int:
    total, current_start, current_end = 0, None, None
    for start, end in sorted(ranges):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def plagdet(cases, detections) -> dict[str, float]:
    """PAN's plagdet over lists of (susp_range, src_range) for cases and detections (per pair)."""

    # cases, detections: lists of (pair_key, (susp range), (src range))
    def detected_by(case, detection):
        if case[0] != detection[0]:
            return None
        susp, src = _overlap(case[1], detection[1]), _overlap(case[2], detection[2])
        return (susp, src) if susp and src else None

    recall_terms, precision_terms, granularity = [], [], []
    by_pair: dict[str, list] = {}
    for detection in detections:
        by_pair.setdefault(detection[0], []).append(detection)
    case_pairs: dict[str, list] = {}
    for case in cases:
        case_pairs.setdefault(case[0], []).append(case)
    for case in cases:
        hits = [o for d in by_pair.get(case[0], []) if (o := detected_by(case, d))]
        size = (case[1][1] - case[1][0]) + (case[2][1] - case[2][0])
        covered = _union_length([h[0] for h in hits]) + _union_length([h[1] for h in hits])
        recall_terms.append(covered / size if size else 0.0)
        if hits:
            granularity.append(len(hits))
    for detection in detections:
        hits = [o for c in case_pairs.get(detection[0], []) if (o := detected_by(c, detection))]
        size = (detection[1][1] - detection[1][0]) + (detection[2][1] - detection[2][0])
        covered = _union_length([h[0] for h in hits]) + _union_length([h[1] for h in hits])
        precision_terms.append(covered / size if size else 0.0)
    recall = sum(recall_terms) / len(recall_terms) if recall_terms else 0.0
    precision = sum(precision_terms) / len(precision_terms) if precision_terms else 0.0
    gran = sum(granularity) / len(granularity) if granularity else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "plagdet": f1 / math.log2(1 + gran),
        "precision": precision,
        "recall": recall,
        "granularity": gran,
    }


_OPTIONS: dict = {}
_DATA = DEFAULT_DATA


def _init(options: dict, data: Path) -> None:
    global _OPTIONS, _DATA
    _OPTIONS, _DATA = options, data


def run_pair(row: dict[str, str]) -> dict:
    source_text = (_DATA / "src" / row["source"]).read_text(encoding="utf-8", errors="replace")
    suspicious_text = (_DATA / "susp" / row["suspicious"]).read_text(
        encoding="utf-8", errors="replace"
    )
    report = wiretrace.compare(source_text, suspicious_text, **_OPTIONS)
    passages = [
        ((p.target_start, p.target_end), (p.source_start, p.source_end))
        for pair in report.pairs
        for p in pair.passages
    ]
    return {**row, "passages": passages}


def sample(rows: list[dict[str, str]], limit: int | None, every: int = 1) -> list[dict[str, str]]:
    """Every `every`-th pair of each category, at most `limit` of each."""
    picked = []
    for category in CATEGORIES:
        in_category = [r for r in rows if r["category"] == category][::every]
        picked += in_category[:limit] if limit else in_category
    return picked


def run_pairs(
    rows: list[dict[str, str]], options: dict, data: Path, jobs: int | None
) -> list[dict]:
    """Align every pair with `options` in `jobs` worker processes."""
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(options, data)) as pool:
        return list(pool.map(run_pair, rows, chunksize=4))


def evaluate(results: list[dict], data: Path) -> dict:
    table: dict[str, dict] = {}
    for category in CATEGORIES:
        rows = [r for r in results if r["category"] == category]
        if rows:
            table[category] = {
                "pairs": len(rows),
                "detected": sum(1 for r in rows if r["passages"]) / len(rows),
            }
    # plagdet wherever the truth carries offsets (in this copy: the no-obfuscation pairs only).
    for category in table:
        cases, detections = [], []
        for r in results:
            if r["category"] != category:
                continue
            key = f"{r['suspicious']}|{r['source']}"
            cases += [(key, *case) for case in read_truth(data, r["suspicious"], r["source"])]
            detections += [(key, *d) for d in r["passages"]]
        if cases:
            table[category].update(plagdet(cases, detections))
    return table


def machine_header() -> str:
    cpu, memory = cpu_and_memory()
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} "
        f"(load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())})\n"
        f"python {platform.python_version()}, wiretrace {wiretrace.__version__}, "
        f"numpy {numpy.__version__}, rapidfuzz {rapidfuzz.__version__}"
    )


def parse_settings(items: list[str]) -> dict:
    options = {}
    for item in items:
        name, _, value = item.partition("=")
        options[name] = float(value) if "." in value else int(value)
    return options


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="first N pairs per category")
    parser.add_argument("--every", type=int, default=1, help="every Nth pair of each category")
    parser.add_argument("--setting", action="append", default=[], help="name=value")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (args.data / "pairs.tsv").exists():
        print(f"{args.data}: PAN 2013 data not found; pass --data", file=sys.stderr)
        return 2
    try:
        options = parse_settings(args.setting)
        settings = wiretrace.Settings.from_options(options)
    except (ValueError, wiretrace.WiretraceError) as error:
        print(f"Error: --setting: {error}", file=sys.stderr)
        return 2
    rows = sample(read_pairs(args.data), args.limit, args.every)
    started = time.perf_counter()
    results = run_pairs(rows, options, args.data, args.jobs)
    elapsed = time.perf_counter() - started
    table = evaluate(results, args.data)
    print(machine_header())
    print(f"corpus: {args.data.name}, {len(rows)} pairs in {elapsed:.1f} s ({args.jobs} processes)")
    print(f"settings: {settings.to_dict()}")
    print()
    print("| category | pairs | detected | plagdet | precision | recall | granularity |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for category, row in table.items():
        extra = (
            f"{row['plagdet']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} | "
            f"{row['granularity']:.3f}"
            if "plagdet" in row
            else " | | | "
        )
        print(f"| {category} | {row['pairs']} | {row['detected']:.3f} | {extra} |")
    if args.json:
        args.json.write_text(json.dumps({"settings": settings.to_dict(), "table": table}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
