"""Spark engine benchmark: Spark's local mode against the one-machine engine, on real news.

Reads the first N articles of ../shared/data/news/tgcontest (read in place, never copied), runs
the local engine (`wiretrace.find_reuse`, worker processes on every core) and the Spark engine
(`wiretrace.spark.find_reuse` on a DataFrame of the same documents, then `collect_report`) on
them in the same run, and checks that both render to the same JSON report. The local engine is
the baseline: the ratio is Spark's time over it. "Engine" is the time to the pairs and passages
(local: until the last pair is aligned; Spark: `find_reuse` and collecting both tables); "whole
report" adds `build_report` (sorting and lineage inference, the same driver-side work for both).
Spark's session start is timed apart; the first Spark run of a session also pays for starting
the Python workers, so a warm-up run on a small sample goes first.

    python benchmarks/spark_bench.py                          # 2,000 and 8,000 articles
    python benchmarks/spark_bench.py --sizes 500              # a quick run
    python benchmarks/spark_bench.py --master 'local[2]' --partitions 8
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from _machine import cpu_and_memory

import wiretrace
from wiretrace import spark as engine
from wiretrace.ingest import read_inputs
from wiretrace.models import Document

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news" / "tgcontest"


def machine() -> list[str]:
    cpu, memory = cpu_and_memory()
    try:
        java = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, check=False
        ).stderr.splitlines()[0]
    except (OSError, IndexError):
        java = "java not found"
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("wiretrace", "pyspark", "numpy", "datasketch", "rapidfuzz")
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()}"
        f" (load average at start: {load})",
        f"python {platform.python_version()}, {java}, {versions}",
    ]


def read_articles(path: Path, count: int) -> list[Document]:
    stream = (item for item in read_inputs([str(path)], on_error="skip"))
    return list(itertools.islice((i for i in stream if isinstance(i, Document)), count))


def frame_of(spark: object, documents: list[Document]) -> object:
    columns = engine.DOCUMENT_COLUMNS
    return spark.createDataFrame(  # type: ignore[attr-defined]
        [tuple(getattr(doc, name) for name in columns) for doc in documents],
        ", ".join(f"{name} string" for name in columns),
    )


def run_local(
    documents: list[Document], settings: wiretrace.Settings
) -> tuple[wiretrace.Report, float, float]:
    """(report, engine seconds: until the last pair is aligned, total seconds)."""
    aligned = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "align":
            aligned[0] = time.perf_counter()

    started = time.perf_counter()
    report = wiretrace.find_reuse(documents, settings=settings, progress=progress)
    finished = time.perf_counter()
    return report, (aligned[0] or finished) - started, finished - started


def run_spark(
    spark: object, documents: list[Document], settings: wiretrace.Settings, partitions: int | None
) -> tuple[wiretrace.Report, float, float]:
    """(report, engine seconds: pairs and passages on the driver, total seconds)."""
    started = time.perf_counter()
    tables = engine.find_reuse(
        frame_of(spark, documents),  # type: ignore[arg-type]
        clusters=False,
        partitions=partitions,
        settings=settings,
    )
    tables.pairs.collect()
    tables.passages.collect()
    found = time.perf_counter()
    report = engine.collect_report(tables, documents)
    finished = time.perf_counter()
    tables.unpersist()
    return report, found - started, finished - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "articles.jsonl.gz")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--master", default="local[*]", help="Spark master [local[*]]")
    parser.add_argument("--partitions", type=int, help="tasks per Python stage [2 x cores]")
    parser.add_argument("--jobs", type=int, help="local engine worker processes [all cores]")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found; put the shared corpora beside the repository")

    from pyspark.sql import SparkSession

    print("\n".join(machine()))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .appName("wiretrace-bench")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    session = time.perf_counter() - started
    shuffle = spark.conf.get("spark.sql.shuffle.partitions")
    print(
        f"spark {spark.version}, master {args.master}, default parallelism "
        f"{spark.sparkContext.defaultParallelism}, shuffle partitions {shuffle}; "
        f"session start {session:.1f} s"
    )
    settings = wiretrace.Settings(jobs=args.jobs)
    articles = read_articles(args.data, max(args.sizes))
    started = time.perf_counter()
    run_spark(spark, articles[:100], settings, args.partitions)
    print(
        f"warm-up (100 articles, starts the Python workers): {time.perf_counter() - started:.1f} s"
    )
    print(
        f"corpus: {args.data.parent.name}, first N articles; default settings, jobs={settings.workers}"
    )
    print()
    print(
        "| articles | pairs | passages | local engine (s) | Spark engine (s) | Spark / local "
        "| whole report: local / Spark (s) | same report |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for size in args.sizes:
        documents = articles[:size]
        local, local_engine, local_total = run_local(documents, settings)
        on_spark, spark_engine, spark_total = run_spark(spark, documents, settings, args.partitions)
        same = wiretrace.render_json(on_spark) == wiretrace.render_json(local)
        passages = sum(len(pair.passages) for pair in local.pairs)
        print(
            f"| {len(documents):,} | {len(local.pairs):,} | {passages:,} | {local_engine:.1f} "
            f"| {spark_engine:.1f} | {spark_engine / local_engine:.1f}x "
            f"| {local_total:.1f} / {spark_total:.1f} | {'yes' if same else 'NO'} |",
            flush=True,
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nload average at the end: {load}")
    spark.stop()


if __name__ == "__main__":
    main()
