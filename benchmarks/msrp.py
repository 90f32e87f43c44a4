"""Sentence paraphrase on MSRP: accuracy of `wiretrace.compare(a, b)` similarity at its best threshold.

Usage: python benchmarks/msrp.py [--data ../shared/data/paraphrase/msrp-train.tsv] [--limit N]
       python benchmarks/msrp.py --fit     # refit text_similarity's weights on the first half

Each pair of sentences is compared with `wiretrace.compare(sentence1, sentence2)`; its similarity
is the reported pair's `similarity` (0 when no pair is reported). The benchmark prints the
accuracy at the best threshold on all pairs, and, as a check that the threshold carries over to
sentences it was not chosen on, the accuracy on the second half at the best threshold of the
first half (and the other way round). Baselines measured in the same run: the majority class,
and word-bag Dice (2 x shared words / all words) at its best threshold.

`--fit` fits the weights of `wiretrace.align.text_similarity` (a logistic model over
`short_features`) on the FIRST half of the pairs only and prints them with the accuracy on the
second half at the first half's best threshold; paste them into align.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy
import pan13

import wiretrace
from wiretrace.align import SHORT_FEATURES, short_features
from wiretrace.shingle import tokenize

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "paraphrase" / "msrp-train.tsv"
)


def read_pairs(path: Path) -> list[tuple[int, str, str]]:
    """(label, sentence1, sentence2) from the MSRP tab-separated file (BOM, no header)."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5 or fields[0] not in ("0", "1"):
            raise ValueError(
                f"{path} line {number}: expected label, id1, id2, sentence1, sentence2"
            )
        pairs.append((int(fields[0]), fields[3], fields[4]))
    return pairs


def best_threshold(scores: list[float], labels: list[int]) -> tuple[float, float]:
    """(accuracy, threshold) of the best rule "paraphrase when score >= threshold"."""
    ranked = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    best = (positives / len(labels), ranked[0][0])  # everything called a paraphrase
    negatives_below, positives_below = 0, 0
    for k, (score, label) in enumerate(ranked):
        negatives_below += 1 - label
        positives_below += label
        following = ranked[k + 1][0] if k + 1 < len(ranked) else score + 1.0
        if following == score:
            continue
        accuracy = (negatives_below + positives - positives_below) / len(labels)
        if accuracy > best[0]:
            best = (accuracy, (score + following) / 2)
    return best


def accuracy_at(scores: list[float], labels: list[int], threshold: float) -> float:
    hits = sum(
        (score >= threshold) == bool(label) for score, label in zip(scores, labels, strict=True)
    )
    return hits / len(labels)


def word_dice(first: str, second: str) -> float:
    a, b = Counter(tokenize(first).ids.tolist()), Counter(tokenize(second).ids.tolist())
    total = sum(a.values()) + sum(b.values())
    return 2 * sum((a & b).values()) / total if total else 0.0


def similarity(first: str, second: str) -> float:
    report = wiretrace.compare(first, second)
    return report.pairs[0].similarity if report.pairs else 0.0


def fit_logistic(features: numpy.ndarray, labels: numpy.ndarray, ridge: float = 1e-3):
    """Logistic regression by Newton's method: (weights, bias)."""
    design = numpy.hstack([features, numpy.ones((len(features), 1))])
    weights = numpy.zeros(design.shape[1])
    for _ in range(50):
        chance = 1.0 / (1.0 + numpy.exp(-design @ weights))
        gradient = design.T @ (chance - labels) + ridge * weights
        hessian = (design * (chance * (1 - chance))[:, None]).T @ design
        weights -= numpy.linalg.solve(hessian + ridge * numpy.eye(len(weights)), gradient)
    return weights[:-1], weights[-1]


def fit(pairs: list[tuple[int, str, str]]) -> None:
    """Fit text_similarity's weights on the first half; report the second half."""
    features = numpy.array(
        [
            short_features(first, tokenize(first), second, tokenize(second))
            for _, first, second in pairs
        ]
    )
    labels = numpy.array([label for label, _, _ in pairs], dtype=float)
    half = len(pairs) // 2
    weights, bias = fit_logistic(features[:half], labels[:half])
    scores = 1.0 / (1.0 + numpy.exp(-(features @ weights + bias)))
    accuracy, threshold = best_threshold(scores[:half].tolist(), labels[:half].astype(int).tolist())
    held_out = accuracy_at(scores[half:].tolist(), labels[half:].astype(int).tolist(), threshold)
    for name, weight in zip(SHORT_FEATURES, weights, strict=True):
        print(f"{weight:9.4f}  {name}")
    print(f"{bias:9.4f}  bias")
    print(f"_SHORT_WEIGHTS = ({', '.join(f'{w:.4f}' for w in weights)})")
    print(f"_SHORT_BIAS = {bias:.4f}")
    print(
        f"first half (fit): {accuracy:.3f} at {threshold:.3f}; "
        f"second half (held out) at that threshold: {held_out:.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="first N pairs")
    parser.add_argument("--fit", action="store_true", help="refit text_similarity's weights")
    args = parser.parse_args()
    try:
        pairs = read_pairs(args.data)[: args.limit]
    except (OSError, ValueError) as error:
        print(f"Error: {error}; pass --data", file=sys.stderr)
        return 2
    if args.fit:
        fit(pairs)
        return 0
    labels = [label for label, _, _ in pairs]
    started = time.perf_counter()
    scores = [similarity(first, second) for _, first, second in pairs]
    elapsed = time.perf_counter() - started
    baseline = [word_dice(first, second) for _, first, second in pairs]
    half = len(pairs) // 2
    print(pan13.machine_header())
    print(
        f"corpus: {args.data.name}, {len(pairs)} pairs ({sum(labels)} paraphrases), "
        f"compare in {elapsed:.1f} s ({elapsed / len(pairs) * 1000:.2f} ms a pair)"
    )
    print(f"settings: {wiretrace.Settings().to_dict()}")
    print()
    print(
        "| score | accuracy at best threshold | threshold | half 2 at half 1's threshold | half 1 at half 2's threshold |"
    )
    print("|---|---:|---:|---:|---:|")
    majority = max(sum(labels), len(labels) - sum(labels)) / len(labels)
    print(f"| majority class | {majority:.3f} | | | |")
    for name, values in (
        ("word-bag Dice (baseline)", baseline),
        ("wiretrace.compare similarity", scores),
    ):
        accuracy, threshold = best_threshold(values, labels)
        _, first_threshold = best_threshold(values[:half], labels[:half])
        _, second_threshold = best_threshold(values[half:], labels[half:])
        print(
            f"| {name} | {accuracy:.3f} | {threshold:.3f} | "
            f"{accuracy_at(values[half:], labels[half:], first_threshold):.3f} | "
            f"{accuracy_at(values[:half], labels[:half], second_threshold):.3f} |"
        )
    default = wiretrace.Settings().short_similarity
    print(
        f"\naccuracy at the default short_similarity ({default}): {accuracy_at(scores, labels, default):.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
