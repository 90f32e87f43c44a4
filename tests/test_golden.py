"""Golden cases: one data file per kind of obfuscation (tests/golden/*.json), each with a comment.

Each file holds a fictional `source` and `target`, the expected outcome (`"reuse"` or `"none"`),
and for reuse a `source_excerpt` that a reported passage must contain (and optionally a
`target_excerpt` for its target side). A case may name `settings` to compare with; the
others use the defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wiretrace import compare, replay_edits

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_golden_case_has_a_label_and_a_comment() -> None:
    """Every golden file names its kind of obfuscation and says why it expects what it does."""
    assert len(CASES) >= 8
    for path in CASES:
        case = load(path)
        assert case["label"] and case["comment"], path.name
        assert case["expect"] in ("reuse", "none"), path.name


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.stem)
def test_golden_case_outcome(path: Path) -> None:
    """Reuse cases report a passage containing the excerpt (edits replaying); others report none."""
    case = load(path)
    report = compare(case["source"], case["target"], **case.get("settings", {}))
    passages = [passage for pair in report.pairs for passage in pair.passages]
    if case["expect"] == "none":
        assert passages == [], case["comment"]
        return
    assert any(
        case["source_excerpt"] in case["source"][passage.source_start : passage.source_end]
        for passage in passages
    ), case["comment"]
    if "target_excerpt" in case:
        assert any(
            case["target_excerpt"] in case["target"][passage.target_start : passage.target_end]
            for passage in passages
        ), case["comment"]
    for passage in passages:
        assert 0.0 <= passage.similarity <= 1.0
        assert (
            replay_edits(case["source"], passage)
            == case["target"][passage.target_start : passage.target_end]
        )
