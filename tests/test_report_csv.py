"""Tests for render_csv and `--format csv`: one row per passage, read back with the csv module."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import hostile
import wiretrace
from wiretrace import Document, Pair, Passage, Report
from wiretrace.cli import cli
from wiretrace.report.csv import COLUMNS, render_csv, spreadsheet_safe


@pytest.fixture(scope="module")
def demo_report() -> Report:
    """The report on the bundled demo corpus."""
    return wiretrace.find_reuse_in([str(wiretrace.demo_corpus_path())], jobs=1)


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_names_every_column(demo_report: Report) -> None:
    """The first row is the header, in the documented column order."""
    header = next(csv.reader(io.StringIO(render_csv(demo_report), newline="")))
    assert tuple(header) == COLUMNS


def test_one_row_per_passage(demo_report: Report) -> None:
    """There are as many rows as passages, pair by pair, numbered from 1 within a pair."""
    rows = read(render_csv(demo_report))
    expected = [
        (pair.source, pair.target, str(number))
        for pair in demo_report.pairs
        for number in range(1, len(pair.passages) + 1)
    ]
    assert [(row["source"], row["target"], row["passage"]) for row in rows] == expected


def test_every_pair_has_a_row(demo_report: Report) -> None:
    """Each pair appears in the table (a pair always has a passage)."""
    rows = read(render_csv(demo_report))
    assert {(r["source"], r["target"]) for r in rows} == {
        (p.source, p.target) for p in demo_report.pairs
    }


def test_rows_read_back_to_the_report(demo_report: Report) -> None:
    """Offsets, scores, counts and both passage texts read back exactly."""
    documents = {doc.id: doc for doc in demo_report.documents}
    rows = iter(read(render_csv(demo_report)))
    for pair in demo_report.pairs:
        for passage in pair.passages:
            row = next(rows)
            assert row["direction"] == pair.direction
            assert float(row["pair_similarity"]) == round(pair.similarity, 4)
            assert float(row["target_coverage"]) == round(pair.target_coverage, 4)
            assert int(row["source_start"]) == passage.source_start
            assert int(row["target_end"]) == passage.target_end
            assert float(row["passage_similarity"]) == round(passage.similarity, 4)
            assert row["kind"] == passage.kind
            assert int(row["edits"]) == len(passage.edits)
            source_text = documents[pair.source].text[passage.source_start : passage.source_end]
            assert row["source_text"] == source_text
            assert (
                row["target_text"]
                == documents[pair.target].text[passage.target_start : passage.target_end]
            )
            assert row["source_outlet"] == (documents[pair.source].outlet or "")


def test_bom_only_when_asked(demo_report: Report) -> None:
    """bom=True starts the text with U+FEFF; otherwise the header comes first."""
    assert render_csv(demo_report, bom=True).startswith("\ufeffsource,target,")
    assert render_csv(demo_report).startswith("source,target,")


def test_hostile_text_reads_back() -> None:
    """Markup, quotes, commas, newlines and line separators survive a round trip."""
    report = hostile.hostile_report()
    rows = read(render_csv(report))
    assert len(rows) == sum(len(pair.passages) for pair in report.pairs)
    assert any(hostile.SCRIPT_TAG in row["source_text"] for row in rows)
    assert any(hostile.SEPARATORS in row["target_text"] for row in rows)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-", "-"),
        ("plain", "plain"),
        (0.5, 0.5),
    ],
)
def test_spreadsheet_formulas_are_shown_as_text(value: object, shown: object) -> None:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    assert spreadsheet_safe(value) == shown


def test_formula_in_an_id_is_neutralised() -> None:
    """A document id starting with = is written with an apostrophe in front."""
    text = "one two three four five six"
    report = Report(
        documents=(Document(id="=cmd|' /C calc'!A0", text=text), Document(id="b", text=text)),
        pairs=(
            Pair(
                "=cmd|' /C calc'!A0",
                "b",
                "unknown",
                1.0,
                1.0,
                1.0,
                (Passage(0, 27, 0, 27, 1.0, 6, 6, 6),),
            ),
        ),
    )
    (row,) = read(render_csv(report))
    assert row["source"] == "'=cmd|' /C calc'!A0"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="wiretrace")


def test_cli_csv_to_stdout_has_no_bom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`demo --format csv` prints the table without a byte-order mark."""
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--format", "csv", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("source,target,")
    assert len(read(result.stdout)) == 124


def test_cli_csv_file_starts_with_a_bom(tmp_path: Path) -> None:
    """`-o report.csv` writes UTF-8 with a byte-order mark (for Excel) and says so on stderr."""
    path = tmp_path / "report.csv"
    result = run("demo", "--format", "csv", "-o", str(path), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"Report written to {path} (" in result.stderr
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfsource,target,")
    assert len(read(data.decode("utf-8-sig"))) == 124
