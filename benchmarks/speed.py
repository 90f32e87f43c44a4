"""Speed and scale: signatures against datasketch and rensa, the full report against datasketch's
candidates-only loop, and a scaling curve with peak memory, all in one run on one machine.

Reads ../shared/data/news in place (never copied into the repository; subsets are written to a
temporary folder and deleted). Three parts:

1. signatures: articles per second from text to MinHash signature (128 permutations, word
   5-grams). datasketch as its README shows it (per article `MinHash.update_batch` on the encoded
   5-grams), datasketch fed wiretrace's 32-bit shingle hashes (the byte-identical check runs on
   these), rensa's RMinHash if installed, and `wiretrace.minhash_signatures` on one core and on
   every core.
2. report: `wiretrace report ARTICLES --format json` (candidates, passages, alignment, lineage,
   JSON) on the first 20,000 AllSides articles, against the baseline of the issue: datasketch
   used as its README suggests (MinHash of word 5-grams per article, `MinHashLSH` insert and
   query, threshold 0.5), which finds near-duplicate whole articles only. Both run as separate
   processes on the same input file; peak memory is the largest sum of the proportional set size
   (PSS, which counts pages shared by forked workers once) over the process and its children,
   sampled every 0.5 s. Run in `--rounds` rounds (default 3), the two taking turns to go first;
   the median of the rounds' ratios is the result (one round's ratio moves by a tenth from run
   to run on a shared machine).
3. scaling: the full report on the first 1k, 5k, 20k and all 37.5k AllSides articles and on all
   of ../shared/data/news (~90k), with time and peak memory.
4. memory: the full report on corpora of made-up text (random words, no reuse) of growing size
   (`--text-mib`): texts are kept on disk, so peak memory should not follow the size of the text.
5. stages: where the time of `wiretrace.find_reuse_in` goes on the first 20,000 AllSides
   articles (`--report-articles`), stage by stage, from the `progress` callback's first and last
   call of each stage, with the CPU of the process and its workers. Not in the default parts.
6. first-run: `wiretrace demo` on a new machine (an empty kernel cache), with and without the
   helper that compiles kernels on another core, in `--rounds` rounds. Not in the default parts.

    python benchmarks/speed.py                       # everything (~20 minutes on 2 cores)
    python benchmarks/speed.py --parts signatures    # one part
    python benchmarks/speed.py --parts scaling --sizes 1000,5000,news
    python benchmarks/speed.py --parts memory --text-mib 100,400
    python benchmarks/speed.py --parts stages        # where the time goes, stage by stage
    python benchmarks/speed.py --parts first-run     # a new machine's first demo run
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import itertools
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _machine import cpu_and_memory

NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "news"
ALLSIDES = NEWS / "allsides" / "articles.jsonl.gz"
NUM_PERM = 128
SHINGLE = 5
BASELINE_THRESHOLD = 0.5


def machine_header() -> str:
    cpu, memory = cpu_and_memory()
    versions = []
    for name in ("wiretrace", "numpy", "datasketch", "rapidfuzz", "rensa"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python "
        f"{platform.python_version()}; {', '.join(versions)}; load average at start {load}"
    )


def read_texts(path: Path, limit: int | None) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        records = (json.loads(line) for line in lines if line.strip())
        return [
            r["text"] for r in itertools.islice(records, limit) if (r.get("text") or "").strip()
        ]


def five_grams(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[k : k + SHINGLE]) for k in range(max(1, len(words) - SHINGLE + 1))]


# 1. signatures -------------------------------------------------------------------------------


def signatures(count: int) -> list[str]:
    from datasketch import MinHash

    import wiretrace
    from wiretrace.shingle import hash32, shingle_hashes, tokenize

    texts = read_texts(ALLSIDES, count)
    rows = []

    def timed(name: str, function) -> float:
        started = time.perf_counter()
        function()
        seconds = time.perf_counter() - started
        rows.append((name, len(texts) / seconds, seconds))
        return seconds

    def datasketch_readme() -> None:
        for text in texts:
            minhash = MinHash(num_perm=NUM_PERM)
            minhash.update_batch([gram.encode("utf-8") for gram in five_grams(text)])

    reference: list[np.ndarray] = []

    def datasketch_ours() -> None:
        for text in texts:
            minhash = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=lambda value: value)
            minhash.update_batch(hash32(shingle_hashes(tokenize(text).ids, SHINGLE)).tolist())
            reference.append(minhash.hashvalues)

    baseline = timed(
        "datasketch MinHash per article (README: encoded 5-grams, sha1)", datasketch_readme
    )
    timed("datasketch MinHash per article, fed wiretrace's 32-bit shingle hashes", datasketch_ours)
    try:
        from rensa import RMinHash

        def rensa_loop() -> None:
            for text in texts:
                minhash = RMinHash(num_perm=NUM_PERM, seed=1)
                minhash.update(five_grams(text))
                minhash.digest()

        timed("rensa RMinHash per article (5-gram strings)", rensa_loop)
    except ImportError:
        rows.append(("rensa: not installed (pip install rensa)", float("nan"), float("nan")))
    results: dict[int, np.ndarray] = {}
    for jobs in (1, os.cpu_count() or 1):
        timed(
            f"wiretrace.minhash_signatures, {jobs} process{'es' if jobs > 1 else ''}",
            lambda jobs=jobs: results.__setitem__(
                jobs,
                wiretrace.minhash_signatures(
                    texts, shingle_size=SHINGLE, num_perm=NUM_PERM, seed=1, jobs=jobs
                ),
            ),
        )
    identical = all(
        row.tobytes() == ref.astype(np.uint32).tobytes()
        for row, ref in zip(results[1], reference, strict=True)
    ) and all(np.array_equal(results[1], other) for other in results.values())
    # The MinHash step alone: both sides get the same precomputed 32-bit shingle hashes.
    from wiretrace.sketch import compute_signatures

    hashes = [hash32(shingle_hashes(tokenize(text).ids, SHINGLE)) for text in texts]
    values = [h.tolist() for h in hashes]
    alone = []

    def datasketch_from_hashes() -> None:
        for items in values:
            minhash = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=lambda value: value)
            minhash.update_batch(items)

    def wiretrace_from_hashes() -> None:
        compute_signatures(hashes, NUM_PERM, 1)

    for name, function in (
        ("datasketch MinHash.update_batch per article", datasketch_from_hashes),
        ("wiretrace compute_signatures, all articles at once, 1 process", wiretrace_from_hashes),
    ):
        started = time.perf_counter()
        function()
        alone.append((name, time.perf_counter() - started))
    lines = [
        f"### Signatures: {len(texts):,} AllSides articles, {NUM_PERM} permutations, word {SHINGLE}-grams",
        "",
        "From text (tokenizing and shingle hashing included):",
        "",
        "| method | articles/s | seconds | vs datasketch README loop |",
        "|---|---:|---:|---:|",
    ]
    for name, rate, seconds in rows:
        ratio = baseline / seconds if seconds == seconds else float("nan")
        lines.append(f"| {name} | {rate:,.0f} | {seconds:.2f} | {ratio:.1f}x |")
    lines += [
        "",
        "The MinHash step alone (both given the same precomputed 32-bit shingle hashes):",
        "",
        "| method | articles/s | seconds | vs datasketch |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in alone:
        lines.append(
            f"| {name} | {len(texts) / seconds:,.0f} | {seconds:.2f} | {alone[0][1] / seconds:.1f}x |"
        )
    lines += [
        "",
        "wiretrace's signatures byte-identical to datasketch's MinHash of the same 32-bit shingle "
        f"hashes, for every article and any number of processes: **{identical}**",
    ]
    return lines


# 2 and 3. full report, baseline, peak memory -----------------------------------------------


def _tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                queue.extend(int(child) for child in children)
        except OSError:
            continue
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_measured(command: list[str]) -> tuple[float, float, str]:
    """(seconds, peak PSS of the process tree in MiB, stdout) of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_pss_kib(pid) for pid in _tree(process.pid)))
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err[-2000:]}")
    return seconds, peak / 1024, out


def baseline_main(path: str) -> None:
    """The datasketch candidates-only baseline (run in its own process by `report`)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=NUM_PERM)
    minhashes = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            text = json.loads(line)["text"]
            minhash = MinHash(num_perm=NUM_PERM)
            minhash.update_batch([gram.encode("utf-8") for gram in five_grams(text)])
            lsh.insert(str(number), minhash)
            minhashes[str(number)] = minhash
    pairs = set()
    for key, minhash in minhashes.items():
        for other in lsh.query(minhash):
            if other != key:
                pairs.add((min(key, other), max(key, other)))
    print(len(pairs))


def write_subset(path: Path, limit: int | None, folder: Path) -> Path:
    target = folder / f"allsides-{limit or 'all'}.jsonl"
    with (
        gzip.open(path, "rt", encoding="utf-8") as lines,
        open(target, "w", encoding="utf-8") as out,
    ):
        for line in itertools.islice((line for line in lines if line.strip()), limit):
            out.write(line)
    return target


def wiretrace_report(inputs: list[Path], folder: Path) -> tuple[float, float, int, int]:
    output = folder / "report.json"
    command = [sys.executable, "-m", "wiretrace", "report", *map(str, inputs), "--format", "json"]
    command += ["-o", str(output), "--on-error", "skip"]
    seconds, peak, _ = run_measured(command)
    data = json.loads(output.read_text(encoding="utf-8"))
    output.unlink()
    return seconds, peak, data["summary"]["documents"], data["summary"]["pairs"]


def report(size: int, folder: Path, rounds: int) -> list[str]:
    """The report part: `rounds` side-by-side rounds of the baseline and wiretrace, in turn
    first (so a drift of the machine's speed during the run does not favour either), and the
    median of the rounds' ratios (a single round's ratio moved by 0.1 from run to run on these
    shared machines)."""
    subset = write_subset(ALLSIDES, size, folder)
    baseline_command = [sys.executable, __file__, "--baseline", str(subset)]
    runs = []
    for number in range(rounds):
        if number % 2:
            ours = wiretrace_report([subset], folder)
            base = run_measured(baseline_command)
        else:
            base = run_measured(baseline_command)
            ours = wiretrace_report([subset], folder)
        runs.append((base, ours))
    ratios = [ours[0] / base[0] for base, ours in runs]
    base_seconds = statistics.median(base[0] for base, _ in runs)
    base_peak = max(base[1] for base, _ in runs)
    ours_seconds = statistics.median(ours[0] for _, ours in runs)
    ours_peak = max(ours[1] for _, ours in runs)
    candidates = {int(base[2].strip()) for base, _ in runs}
    documents = {ours[2] for _, ours in runs}
    found = {ours[3] for _, ours in runs}
    if len(candidates) != 1 or len(documents) != 1 or len(found) != 1:
        raise SystemExit(f"rounds disagree: {candidates} {documents} {found}")
    articles = documents.pop()
    each = ", ".join(
        f"{base[0]:.1f} s / {ours[0]:.1f} s = {ratio:.2f}"
        for (base, ours), ratio in zip(runs, ratios, strict=True)
    )
    return [
        f"### Full report on the first {size:,} AllSides articles against datasketch candidates-only",
        "",
        f"Medians of {rounds} side-by-side rounds; peak memory is the largest of the rounds.",
        "",
        "| run | articles | seconds | articles/s | peak memory MiB | found | time vs baseline |",
        "|---|---:|---:|---:|---:|---|---:|",
        f"| datasketch MinHash + MinHashLSH (5-grams, {NUM_PERM} perm, threshold "
        f"{BASELINE_THRESHOLD}): candidates only | {size:,} | {base_seconds:.1f} | "
        f"{size / base_seconds:,.0f} | {base_peak:,.0f} | {candidates.pop():,} candidate pairs "
        "| 1.00 |",
        f"| `wiretrace report --format json`: candidates, passages, alignment, lineage, JSON | "
        f"{articles:,} | {ours_seconds:.1f} | {articles / ours_seconds:,.0f} | {ours_peak:,.0f} | "
        f"{found.pop():,} pairs with passages | {statistics.median(ratios):.2f} |",
        "",
        f"Rounds (baseline / wiretrace = ratio): {each}.",
    ]


def scaling(sizes: list[str], folder: Path) -> list[str]:
    lines = [
        "### Scaling: the full report (`wiretrace report --format json`)",
        "",
        "| corpus | articles | seconds | ms per article | peak memory MiB | pairs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    runs: list[tuple[str, list[Path]]] = []
    for size in sizes:
        if size == "news":
            runs.append(("all of ../shared/data/news", sorted(NEWS.glob("*/*.jsonl.gz"))))
        elif size == "all":
            runs.append(("AllSides, all", [write_subset(ALLSIDES, None, folder)]))
        else:
            count = int(size)
            runs.append((f"AllSides, first {count:,}", [write_subset(ALLSIDES, count, folder)]))
    for name, inputs in runs:
        seconds, peak, documents, pairs = wiretrace_report(inputs, folder)
        lines.append(
            f"| {name} | {documents:,} | {seconds:.1f} | {1000 * seconds / documents:.2f} | "
            f"{peak:,.0f} | {pairs:,} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def write_made_up(mib: int, folder: Path, seed: int = 7) -> Path:
    """A JSON Lines corpus of ~`mib` MiB of made-up text: 6,000-word documents of pseudo-words
    drawn at random from a 60,000-word vocabulary (no reuse to find, no candidate pairs: what is
    measured is the cost of the corpus's size alone)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlucmfwypvbgkqjxz"))
    lengths = rng.integers(2, 11, size=60_000)
    vocabulary = np.array(["".join(rng.choice(letters, size=n)) for n in lengths])
    target = folder / f"made-up-{mib}.jsonl"
    written, number = 0, 0
    with open(target, "w", encoding="utf-8") as out:
        while written < mib * 2**20:
            words = vocabulary[rng.integers(0, len(vocabulary), size=6000)]
            text = " ".join(words.tolist())
            line = json.dumps({"id": f"m{number}", "text": text, "outlet": f"o{number % 50}"})
            out.write(line + "\n")
            written += len(line) + 1
            number += 1
    return target


def memory(sizes: list[int], folder: Path) -> list[str]:
    lines = [
        "### Peak memory against the size of the text (made-up text, no reuse)",
        "",
        "| text MiB | articles | seconds | peak memory MiB | peak / text |",
        "|---:|---:|---:|---:|---:|",
    ]
    for mib in sizes:
        path = write_made_up(mib, folder)
        text_mib = path.stat().st_size / 2**20
        seconds, peak, documents, _ = wiretrace_report([path], folder)
        path.unlink()
        lines.append(
            f"| {text_mib:,.0f} | {documents:,} | {seconds:.1f} | {peak:,.0f} | "
            f"{peak / text_mib:.2f} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


# 5. stages ----------------------------------------------------------------------------------

# (name, the event that ends it): events are (stage, "first" or "last") progress calls, "start"
# and "end" the call and return of `find_reuse_in`.
_STAGES = [
    ("start-up, the first chunk read and tokenized", ("read", "first")),
    ("reading the rest while the workers tokenize and count shingles", ("read", "last")),
    ("the boilerplate set (and kernels left to load)", ("sketch", "first")),
    ("window sketches and LSH keys", ("sketch", "last")),
    ("candidate pairs, loading tables for alignment", ("align", "first")),
    ("alignment of the candidate pairs", ("align", "last")),
    ("lineage and the report's records", "end"),
]


def stages_main(path: str) -> None:
    """Run `find_reuse_in` on `path` here, print the time of each progress event since the call,
    and the CPU of this process and its (finished) workers, as JSON (run in its own process)."""
    import wiretrace

    seen: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        seen.setdefault(f"{stage} first", now)
        seen[f"{stage} last"] = now

    before = os.times()
    report = wiretrace.find_reuse_in([path], progress=progress)
    seen["end"] = time.perf_counter() - started
    after = os.times()
    cpu = sum(after[k] - before[k] for k in range(4))
    print(json.dumps({"events": seen, "cpu": cpu, "pairs": len(report.pairs)}))


def stages(size: int, folder: Path) -> list[str]:
    subset = write_subset(ALLSIDES, size, folder)
    seconds, peak, out = run_measured([sys.executable, __file__, "--stages", str(subset)])
    found = json.loads(out)
    events = found["events"]
    lines = [
        f"### Where the time goes: `find_reuse_in` on the first {size:,} AllSides articles",
        "",
        "| stage | seconds | share |",
        "|---|---:|---:|",
    ]
    previous = 0.0
    for name, event in _STAGES:
        key = event if isinstance(event, str) else " ".join(event)
        if key not in events:  # a stage with nothing to do (no candidate pairs: no align)
            continue
        lines.append(
            f"| {name} | {events[key] - previous:.1f} | "
            f"{(events[key] - previous) / events['end']:.0%} |"
        )
        previous = events[key]
    lines += [
        f"| **in all** ({found['pairs']:,} pairs) | **{events['end']:.1f}** | |",
        "",
        f"CPU of the process and its workers: {found['cpu']:.1f} s; the process ran "
        f"{seconds:.1f} s (imports and exit included), peak memory {peak:,.0f} MiB.",
    ]
    return lines


def first_run(rounds: int, folder: Path) -> list[str]:
    """The first-run part: `wiretrace demo` with an empty kernel cache (a new NUMBA_CACHE_DIR
    each time, as on a new machine), with the first-run helper (`wiretrace._warm`) and without
    it (WIRETRACE_WARMING set, as in the helper itself: the command compiles alone, as before
    session 22), taking turns to go first; then once more with the cache the last run left."""
    runs: dict[str, list[float]] = {"without": [], "with": []}
    for number in range(rounds):
        order = ["without", "with"] if number % 2 == 0 else ["with", "without"]
        for kind in order:
            cache = folder / f"numba-{number}-{kind}"
            env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
            env.pop("WIRETRACE_WARMING", None)
            if kind == "without":
                env["WIRETRACE_WARMING"] = "0"
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "wiretrace", "demo", "-o", str(folder / "demo.html")],
                env=env,
                check=True,
                capture_output=True,
            )
            runs[kind].append(time.perf_counter() - started)
    started = time.perf_counter()
    subprocess.run(  # with the cache the last run left
        [sys.executable, "-m", "wiretrace", "demo", "-o", str(folder / "demo.html")],
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
        check=True,
        capture_output=True,
    )
    warm = time.perf_counter() - started

    def each(values: list[float]) -> str:
        return ", ".join(f"{value:.1f}" for value in values)

    return [
        "### First run: `wiretrace demo` with an empty kernel cache",
        "",
        f"Medians of {rounds} rounds, the two taking turns to go first.",
        "",
        "| run | seconds | rounds |",
        "|---|---:|---|",
        f"| compiling alone (no helper) | {statistics.median(runs['without']):.1f} | "
        f"{each(runs['without'])} |",
        f"| with the first-run helper on another core | {statistics.median(runs['with']):.1f} | "
        f"{each(runs['with'])} |",
        f"| the next run (kernels cached) | {warm:.1f} | |",
    ]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--baseline":
        baseline_main(sys.argv[2])
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--stages":
        stages_main(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="signatures,report,scaling,memory")
    parser.add_argument("--signature-articles", type=int, default=20000)
    parser.add_argument("--report-articles", type=int, default=20000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="side-by-side rounds of the report part (the median ratio is reported)",
    )
    parser.add_argument(
        "--sizes",
        default="1000,5000,20000,all,news",
        help="runs of the scaling curve: first N AllSides articles, 'all' of AllSides, "
        "'news' (every corpus of ../shared/data/news, ~90k)",
    )
    parser.add_argument(
        "--text-mib", default="100,400", help="sizes of the made-up corpora of the memory part"
    )
    args = parser.parse_args()
    if not ALLSIDES.exists():
        print(f"{ALLSIDES}: not found (../shared/data/news is needed)", file=sys.stderr)
        return 2
    parts = set(args.parts.split(","))
    print(machine_header())
    print()
    with tempfile.TemporaryDirectory(prefix="wiretrace-bench-") as name:
        folder = Path(name)
        if "signatures" in parts:
            print("\n".join(signatures(args.signature_articles)), "\n", flush=True)
        if "report" in parts:
            print("\n".join(report(args.report_articles, folder, args.rounds)), "\n", flush=True)
        if "scaling" in parts:
            sizes = [size for size in re.split(r"[,\s]+", args.sizes) if size]
            print("\n".join(scaling(sizes, folder)), "\n", flush=True)
        if "memory" in parts:
            mibs = [int(size) for size in re.split(r"[,\s]+", args.text_mib) if size]
            print("\n".join(memory(mibs, folder)), "\n", flush=True)
        if "first-run" in parts:
            print("\n".join(first_run(args.rounds, folder)), "\n", flush=True)
        if "stages" in parts:
            print("\n".join(stages(args.report_articles, folder)), flush=True)
    print(f"\nload average at end {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
