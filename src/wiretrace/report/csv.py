"""The CSV report: one row per reused passage, with its pair's facts, for spreadsheets.

Every pair has at least one passage, so every pair is in the table. Cells that a spreadsheet
would run as a formula (text starting with =, +, -, @, a tab or a carriage return) get a
leading apostrophe, which spreadsheets show as text; the JSON report keeps the text as read.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from wiretrace.corpus import documents_by_id
from wiretrace.models import Report, check_report

COLUMNS = (
    "source",
    "target",
    "source_outlet",
    "target_outlet",
    "source_published",
    "target_published",
    "direction",
    "pair_similarity",
    "source_coverage",
    "target_coverage",
    "passage",
    "source_start",
    "source_end",
    "target_start",
    "target_end",
    "passage_similarity",
    "kind",
    "matched_words",
    "edits",
    "source_text",
    "target_text",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def spreadsheet_safe(value: Any) -> Any:
    """`value`, with a leading apostrophe when a spreadsheet would read the text as a formula."""
    if isinstance(value, str) and len(value) > 1 and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(report: Report, *, bom: bool = False) -> str:
    """The report's passages as CSV (a header row, then one row per passage; CRLF line ends).

    With `bom`, the text starts with a byte-order mark: Excel then reads the file as UTF-8
    (without it, Excel assumes the system's legacy code page and garbles non-ASCII text).
    Anything but a Report raises TypeError.
    """
    check_report(report, "render_csv")
    documents = documents_by_id(report.documents)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for pair in report.pairs:
        source, target = documents[pair.source], documents[pair.target]
        for number, passage in enumerate(pair.passages, 1):
            row = (
                pair.source,
                pair.target,
                source.outlet or "",
                target.outlet or "",
                source.published or "",
                target.published or "",
                pair.direction,
                round(pair.similarity, 4),
                round(pair.source_coverage, 4),
                round(pair.target_coverage, 4),
                number,
                passage.source_start,
                passage.source_end,
                passage.target_start,
                passage.target_end,
                round(passage.similarity, 4),
                passage.kind,
                passage.matched_words,
                len(passage.edits),
                source.text[passage.source_start : passage.source_end],
                target.text[passage.target_start : passage.target_end],
            )
            writer.writerow([spreadsheet_safe(value) for value in row])
    return (BOM if bom else "") + buffer.getvalue()
