"""Persistent index benchmark: add throughput and trace latency, SQLite against Redis.

Builds an index of every corpus in ../shared/data/news (about 90k articles, read in place,
never copied), holding out a seeded sample of articles; then traces the held-out articles (new
articles, most with no source in the index) and edited copies of indexed articles (each has at
least one source). The baseline, measured in the same run, is the sketching alone (tokens,
bucket keys and salted shingle hashes, one process, no storage): the add rate's ratio to it is
the cost of storage. The add rate is also given per fifth of the corpus: flat when the cost of a
document does not grow with the index.

    python benchmarks/index_bench.py                      # SQLite and Redis, full corpus
    python benchmarks/index_bench.py --limit 5000         # a quick run: the first 5000 articles
    python benchmarks/index_bench.py --every 6            # a sample: every 6th article
    python benchmarks/index_bench.py --backends sqlite    # SQLite only
    python benchmarks/index_bench.py --trace-only         # trace again, indexes built before
    python benchmarks/index_bench.py --shuffle            # add in a seeded random order

Redis: --redis URL, else $WIRETRACE_REDIS_URL, else redis://127.0.0.1:6390/0 (the index is
written under the prefix --redis-prefix, "wtbench" by default, which is cleared first).
"""

from __future__ import annotations

import argparse
import glob
import importlib.metadata
import itertools
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from _machine import cpu_and_memory

from wiretrace.archive import Index, _document_sketch
from wiretrace.config import Settings
from wiretrace.ingest import read_inputs
from wiretrace.models import Document

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news"


def machine() -> list[str]:
    cpu, memory = cpu_and_memory()
    try:
        redis_server = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=False
        ).stdout.split()[2]
    except (OSError, IndexError):
        redis_server = "not found"
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("wiretrace", "numpy", "datasketch", "rapidfuzz", "redis")
    )
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()}",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"redis-server {redis_server}, {versions}",
    ]


def read_corpus(limit: int | None) -> list[Document]:
    paths = sorted(glob.glob(str(DATA / "*" / "*.jsonl.gz")))
    stream = (item for item in read_inputs(paths, on_error="skip") if isinstance(item, Document))
    return list(itertools.islice(stream, limit))


def edited(document: Document, rng: random.Random) -> Document:
    """A new article built on an indexed one: a lead of its own, some words dropped."""
    words = document.text.split()
    kept = [word for word in words if rng.random() > 0.05]
    lead = "In a statement on Tuesday, officials described the situation as developing."
    return Document(id=f"edited:{document.id}", text=lead + " " + " ".join(kept))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sketching_rate(sample: list[Document]) -> tuple[float, float]:
    """Documents per second that one process sketches (what a worker of `Index.add` does), and
    the CPU seconds it spends per document."""
    settings = Settings()
    # Warmed first, on the whole sample (a fraction of a second): the first documents load the
    # compiled kernels (a second or more), which would be counted against the first measurement
    # only (3,414 docs/s before an add of the full corpus, 14,620 after, in session 28).
    for document in sample:
        _document_sketch((document, settings))
    began, cpu = time.perf_counter(), time.process_time()
    for document in sample:
        _document_sketch((document, settings))
    return (
        len(sample) / (time.perf_counter() - began),
        (time.process_time() - cpu) / len(sample),
    )


def cpu_seconds(location: str) -> float:
    """CPU seconds used so far by this process, its finished children (the add's workers) and,
    for a Redis index, the server: what an add costs whatever else the machine runs."""
    used = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    if location.startswith("redis://"):
        import redis

        info = redis.Redis.from_url(location.split("?")[0]).info("cpu")
        used += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return used


def add_all(location: str, corpus: list[Document], args: argparse.Namespace) -> dict[str, Any]:
    """Build the index from scratch; the add rate (overall and per fifth), and the size."""
    started, cpu = time.perf_counter(), cpu_seconds(location)
    marks: list[tuple[int, float]] = [(0, 0.0)]

    def progress(stage: str, done: int, total: object) -> None:
        marks.append((done, time.perf_counter() - started))

    with Index.open(location, jobs=args.jobs) as index:
        result = index.add(corpus, batch_size=args.batch_size, progress=progress)
        seconds = time.perf_counter() - started
    cpu = cpu_seconds(location) - cpu
    with Index.open(location, create=False) as index:
        stats = index.stats()
    # Documents differ in length from one corpus to the next (long articles first, then wire
    # stories and short posts), so the rate per fifth is also given in characters per second.
    chars = list(itertools.accumulate((len(doc.text) for doc in corpus), initial=0))
    fifths = []
    for k in range(5):
        low, high = len(corpus) * k // 5, len(corpus) * (k + 1) // 5
        inside = [mark for mark in marks if low <= mark[0] <= high]
        if len(inside) >= 2:
            (first, began), (last, ended) = inside[0], inside[-1]
            seconds_inside = max(ended - began, 1e-9)
            fifths.append(
                ((last - first) / seconds_inside, (chars[last] - chars[first]) / seconds_inside)
            )
    print(
        f"{location}: added {result.added} in {seconds:.0f} s; {stats['bytes'] / 2**20:.0f} MiB; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return {
        "documents": stats["documents"],
        "add_rate": result.added / seconds,
        "seconds": seconds,
        "cpu_per_document": cpu / max(result.added, 1),
        "bytes": stats["bytes"],
        "fifths": fifths,
    }


def trace_all(location: str, queries: list[Document]) -> dict[str, float]:
    """Trace each query on its own; latency percentiles and the share that found a source."""
    with Index.open(location, create=False) as index:
        for query in queries[:5]:  # warm the caches a little, as a running service would be
            index.trace(query)
        latencies, found = [], 0
        for query in queries:
            began = time.perf_counter()
            report = index.trace(query)
            latencies.append((time.perf_counter() - began) * 1000)
            found += bool(report.pairs)
    return {
        "p50": statistics.median(latencies),
        "p90": percentile(latencies, 0.90),
        "p99": percentile(latencies, 0.99),
        "mean": statistics.fmean(latencies),
        "with_sources": found / len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="index only the first N articles")
    parser.add_argument("--every", type=int, default=1, help="take every k-th article (a sample)")
    parser.add_argument("--queries", type=int, default=200, help="held-out and edited, each")
    parser.add_argument("--backends", default="sqlite,redis")
    parser.add_argument("--index-dir", default="/tmp/wiretrace-bench")
    parser.add_argument(
        "--redis", default=os.environ.get("WIRETRACE_REDIS_URL", "redis://127.0.0.1:6390/0")
    )
    parser.add_argument("--redis-prefix", default="wtbench")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--trace-only", action="store_true", help="trace against the indexes built before"
    )
    parser.add_argument(
        "--shuffle",
        action="store_true",
        help="add in a seeded random order (each fifth then holds the same mix of corpora, so "
        "the rate per fifth shows whether adding slows as the index grows)",
    )
    args = parser.parse_args()
    print("\n".join(machine()))
    print(f"load average at start: {os.getloadavg()[0]:.1f} (other work on the machine slows it)")
    began = time.perf_counter()
    corpus = read_corpus(args.limit)[:: args.every]
    print(f"read {len(corpus)} articles in {time.perf_counter() - began:.0f} s", flush=True)
    rng = random.Random(5)
    held = set(rng.sample(range(len(corpus)), args.queries))
    held_out = [doc for position, doc in enumerate(corpus) if position in held]
    indexed = [doc for position, doc in enumerate(corpus) if position not in held]
    copies = [edited(indexed[k], rng) for k in rng.sample(range(len(indexed)), args.queries)]
    if args.shuffle:
        random.Random(6).shuffle(indexed)

    sample = indexed[:: max(1, len(indexed) // 2000)]
    sketch_rate, sketch_cpu = sketching_rate(sample)
    print(f"baseline: sketching alone, one process: {sketch_rate:.0f} docs/s", flush=True)

    added: dict[str, dict[str, Any]] = {}
    traced: dict[str, dict[str, dict[str, float]]] = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            location = str(Path(args.index_dir) / "news.db")
        else:
            separator = "&" if "?" in args.redis else "?"
            location = f"{args.redis}{separator}prefix={args.redis_prefix}"
        if not args.trace_only:
            if backend == "sqlite":
                Path(args.index_dir).mkdir(parents=True, exist_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    Path(location + suffix).unlink(missing_ok=True)
            else:
                from wiretrace.index.redis import RedisStore

                store = RedisStore(location, create=True)
                store.clear()
                store.close()
            print(f"{backend}: adding {len(indexed)} articles ...", flush=True)
            before = sketching_rate(sample)[0] if added else sketch_rate
            added[backend] = add_all(location, indexed, args)
            # The load of a shared machine changes while an add runs: the baseline is measured
            # before and after it, and the add is compared with their mean.
            after, after_cpu = sketching_rate(sample)
            added[backend]["sketch_cpu"] = (sketch_cpu + after_cpu) / 2
            added[backend]["baseline"] = (before + after) / 2
            print(f"baseline before / after the add: {before:.0f} / {after:.0f} docs/s", flush=True)
        traced[backend] = {"held-out": trace_all(location, held_out)}
        traced[backend]["edited copies"] = trace_all(location, copies)
        print(f"{backend}: traced; load average {os.getloadavg()[0]:.1f}", flush=True)

    print()
    print(
        f"corpus: {len(indexed)} articles indexed, {args.queries} held out, {args.queries} edited"
    )
    print(f"baseline (sketching alone, one process) at the start: {sketch_rate:.0f} docs/s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if added:
        print()
        print(
            "CPU per document (all processes; Redis: with the server's), whatever the load: "
            "the add's against sketching's alone. On an idle machine with 2 cores, the add "
            "keeps up with one process sketching (1x) while this ratio is at most 2."
        )
        print()
        print("| backend | add CPU ms/doc | sketching CPU ms/doc | add / sketching CPU |")
        print("|---|---|---|---|")
        for backend, row in added.items():
            print(
                f"| {backend} | {row['cpu_per_document'] * 1000:.2f} | "
                f"{row['sketch_cpu'] * 1000:.2f} | "
                f"{row['cpu_per_document'] / row['sketch_cpu']:.2f}x |"
            )
        print()
        print(
            "| backend | documents | add s | add docs/s | sketching docs/s (before/after mean) | "
            "add vs sketching | docs/s per fifth of the corpus | k chars/s per fifth | "
            "size MiB | KiB per document |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for backend, row in added.items():
            fifths = " / ".join(f"{docs:.0f}" for docs, _ in row["fifths"])
            fifths += " | " + " / ".join(f"{chars / 1000:.0f}" for _, chars in row["fifths"])
            print(
                f"| {backend} | {row['documents']} | {row['seconds']:.0f} | "
                f"{row['add_rate']:.0f} | {row['baseline']:.0f} | "
                f"{row['add_rate'] / row['baseline']:.2f}x | {fifths} | "
                f"{row['bytes'] / 2**20:.0f} | {row['bytes'] / 1024 / row['documents']:.1f} |"
            )
    print()
    print("| backend | queries | p50 ms | p90 ms | p99 ms | mean ms | with a source |")
    print("|---|---|---|---|---|---|---|")
    for backend, kinds in traced.items():
        for kind, row in kinds.items():
            print(
                f"| {backend} | {kind} | {row['p50']:.1f} | {row['p90']:.1f} | {row['p99']:.1f} | "
                f"{row['mean']:.1f} | {row['with_sources']:.0%} |"
            )
    if len(traced) == 2:
        print()
        print(
            "redis / sqlite trace p50: "
            f"{traced['redis']['held-out']['p50'] / traced['sqlite']['held-out']['p50']:.2f}x "
            "(held-out), "
            f"{traced['redis']['edited copies']['p50'] / traced['sqlite']['edited copies']['p50']:.2f}x"
            " (edited)"
        )


if __name__ == "__main__":
    main()
