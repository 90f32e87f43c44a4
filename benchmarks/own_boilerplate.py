"""An outlet's own boilerplate (`own_boilerplate_docs`) on real news: the pairs it removes.

Usage: python benchmarks/own_boilerplate.py [--own 5] [--cover 0.5] [--allsides 20000]

Reads ../shared/data/news in place (never copied into the repository): the Telegram contest's
articles (many sites, a few pages each), the first N AllSides articles, the Russian Telegram
posts and Reuters-21578 (one agency's wire: its re-sends and updates are all one outlet's). Each corpus is run with `wiretrace.find_reuse_in` (all cores) without the setting and
with it, and the pairs are counted: all, those of one outlet, those of two outlets with
similarity 0.5 or more (near-copies across outlets, which should all stay), and the pairs of two
outlets lost and found, and the pairs of one outlet with similarity 0.8 or more (near-copies:
before and after, and how many of those before are no longer paired at all; a pair still found
can fall under 0.8 when text its outlet ran five times or more is masked in it;
in Reuters-21578, re-sends and updates, which the setting's cover rule, `own_boilerplate_cover`,
is there to keep; `--cover 1.0` turns it off). Seconds are the two runs' wall times, the same machine, one after the
other (a ratio, not a target: the run with the setting aligns fewer pairs).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import wiretrace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_and_memory  # noqa: E402
from speed import write_subset  # noqa: E402

NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "news"
if not NEWS.is_dir():
    NEWS = Path(os.environ.get("WIRETRACE_SHARED_DATA", "/work/shared/data")) / "news"


def _counts(report: wiretrace.Report) -> dict[str, set[frozenset[str]]]:
    outlet = {doc.id: (doc.outlet or "").casefold() for doc in report.documents}
    found: dict[str, set[frozenset[str]]] = {
        "all": set(),
        "one": set(),
        "two": set(),
        "close": set(),
        "resent": set(),
    }
    for pair in report.pairs:
        key = frozenset((pair.source, pair.target))
        found["all"].add(key)
        if outlet[pair.source] == outlet[pair.target]:
            found["one"].add(key)
            if pair.similarity >= 0.8:
                found["resent"].add(key)
        else:
            found["two"].add(key)
            if pair.similarity >= 0.5:
                found["close"].add(key)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--own", type=int, default=5, help="own_boilerplate_docs [5]")
    parser.add_argument(
        "--cover", type=float, default=None, help="own_boilerplate_cover [the default, 0.5]"
    )
    parser.add_argument("--allsides", type=int, default=20000, help="AllSides articles [20000]")
    args = parser.parse_args()
    cpu, memory = cpu_and_memory()
    print(
        f"machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python "
        f"{sys.version.split()[0]}, wiretrace {wiretrace.__version__}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        corpora = [
            ("Telegram contest (tgcontest)", NEWS / "tgcontest" / "articles.jsonl.gz"),
            (
                f"first {args.allsides:,} AllSides articles",
                write_subset(NEWS / "allsides" / "articles.jsonl.gz", args.allsides, Path(folder)),
            ),
            ("Russian Telegram posts", NEWS / "ru-telegram" / "posts.jsonl.gz"),
            ("Reuters-21578 (one agency)", NEWS / "reuters21578" / "articles.jsonl.gz"),
        ]
        rows = []
        for name, path in corpora:
            if not path.is_file():
                raise SystemExit(f"{path} is missing: put the shared data in {NEWS.parent}")
            started = time.perf_counter()
            before = wiretrace.find_reuse_in([path], on_error="skip", own_boilerplate_docs=0)
            middle = time.perf_counter()
            after = wiretrace.find_reuse_in(
                [path],
                on_error="skip",
                own_boilerplate_docs=args.own,
                own_boilerplate_cover=args.cover,
            )
            ended = time.perf_counter()
            old, new = _counts(before), _counts(after)
            rows.append(
                f"| {name} ({len(before.documents):,} documents) "
                + " ".join(
                    f"| {len(old[k]):,} -> {len(new[k]):,}" for k in ("all", "one", "two", "close")
                )
                + f" | {len(old['close'] - new['all']):,} | {len(old['two'] - new['all']):,} "
                f"| {len(new['two'] - old['all']):,} "
                f"| {len(old['resent']):,} -> {len(new['resent']):,} "
                f"| {len(old['resent'] - new['all']):,} "
                f"| {middle - started:.1f} -> {ended - middle:.1f} |"
            )
    cover = wiretrace.Settings.from_options(
        {"own_boilerplate_cover": args.cover}
    ).own_boilerplate_cover
    print(f"\n`own_boilerplate_docs` 0 -> {args.own}, `own_boilerplate_cover` {cover}\n")
    print(
        "| corpus | pairs | of one outlet | of two outlets | two outlets, similarity >= 0.5 "
        "| of those lost | two outlets' pairs lost | found | one outlet, similarity >= 0.8 "
        "| of those no longer paired | seconds |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
