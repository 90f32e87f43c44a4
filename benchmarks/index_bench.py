"""Persistent index benchmark: add throughput and trace latency, SQLite against Redis.

Builds an index of every corpus in ../shared/data/news (about 90k articles, read in place,
never copied), holding out a seeded sample of articles; then traces the held-out articles (new
articles, most with no source in the index) and edited copies of indexed articles (each has at
least one source). The baseline, measured in the same run, is the sketching alone (tokens and
bucket keys, no storage): the add rate's ratio to it is the cost of storage.

    python benchmarks/index_bench.py                      # SQLite and Redis, full corpus
    python benchmarks/index_bench.py --limit 5000         # a quick run: the first 5000 articles
    python benchmarks/index_bench.py --every 6            # a sample: every 6th article
    python benchmarks/index_bench.py --backends sqlite    # SQLite only
    python benchmarks/index_bench.py --trace-only         # trace again, indexes built before

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
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path

from _machine import cpu_and_memory

from wiretrace.archive import Index, _document_keys
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


def add_all(location: str, corpus: list[Document], args: argparse.Namespace) -> dict[str, float]:
    """Build the index from scratch; the add rate and the size."""
    started = time.perf_counter()
    with Index.open(location, jobs=args.jobs) as index:
        result = index.add(corpus, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        stats = index.stats()
    print(
        f"{location}: added {result.added} in {seconds:.0f} s; {stats['bytes'] / 2**20:.0f} MiB; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return {
        "documents": stats["documents"],
        "add_rate": result.added / seconds,
        "bytes": stats["bytes"],
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

    settings = Settings()
    sample = indexed[:: max(1, len(indexed) // 2000)]
    began = time.perf_counter()
    for document in sample:
        _document_keys((document, settings))
    sketch_rate = len(sample) / (time.perf_counter() - began)
    print(f"baseline: sketching alone, one process: {sketch_rate:.0f} docs/s", flush=True)

    added: dict[str, dict[str, float]] = {}
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
            added[backend] = add_all(location, indexed, args)
        traced[backend] = {"held-out": trace_all(location, held_out)}
        traced[backend]["edited copies"] = trace_all(location, copies)
        print(f"{backend}: traced; load average {os.getloadavg()[0]:.1f}", flush=True)

    print()
    print(
        f"corpus: {len(indexed)} articles indexed, {args.queries} held out, {args.queries} edited"
    )
    print(f"baseline (sketching alone, one process): {sketch_rate:.0f} docs/s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if added:
        print()
        print("| backend | documents | add docs/s | add vs sketching | size MiB |")
        print("|---|---|---|---|---|")
        for backend, row in added.items():
            print(
                f"| {backend} | {row['documents']} | {row['add_rate']:.0f} | "
                f"{row['add_rate'] / sketch_rate:.2f}x | {row['bytes'] / 2**20:.0f} |"
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
