"""The JSON report: the documented contract other tools read (schema "wiretrace.report/1")."""

from __future__ import annotations

import json
from typing import Any

from wiretrace.models import Document, Edit, Pair, Passage, Report, Skipped

SCHEMA = "wiretrace.report/1"


def document_to_dict(document: Document) -> dict[str, Any]:
    """A document's metadata (not its text) as the report lists it."""
    return {
        "id": document.id,
        "outlet": document.outlet,
        "published": document.published,
        "title": document.title,
        "url": document.url,
        "length": len(document.text),
    }


def edit_to_dict(edit: Edit) -> dict[str, Any]:
    """One word-level edit with offsets on both sides."""
    return {
        "op": edit.op,
        "source_start": edit.source_start,
        "source_end": edit.source_end,
        "target_start": edit.target_start,
        "target_end": edit.target_end,
        "source_text": edit.source_text,
        "target_text": edit.target_text,
    }


def passage_to_dict(passage: Passage, source: Document, target: Document) -> dict[str, Any]:
    """One passage, with its text on both sides and its edits."""
    return {
        "source_start": passage.source_start,
        "source_end": passage.source_end,
        "target_start": passage.target_start,
        "target_end": passage.target_end,
        "similarity": round(passage.similarity, 4),
        "matched_words": passage.matched_words,
        "source_words": passage.source_words,
        "target_words": passage.target_words,
        "source_text": source.text[passage.source_start : passage.source_end],
        "target_text": target.text[passage.target_start : passage.target_end],
        "edits": [edit_to_dict(edit) for edit in passage.edits],
    }


def pair_to_dict(pair: Pair, documents: dict[str, Document]) -> dict[str, Any]:
    """One pair of documents and all its passages."""
    source, target = documents[pair.source], documents[pair.target]
    return {
        "source": pair.source,
        "target": pair.target,
        "direction": pair.direction,
        "similarity": round(pair.similarity, 4),
        "source_coverage": round(pair.source_coverage, 4),
        "target_coverage": round(pair.target_coverage, 4),
        "passages": [passage_to_dict(p, source, target) for p in pair.passages],
    }


def skipped_to_dict(skipped: Skipped) -> dict[str, Any]:
    """An input that was not read, and why."""
    return {"input": skipped.input, "line": skipped.line, "reason": skipped.reason}


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as plain data, following the documented contract."""
    documents = {doc.id: doc for doc in report.documents}
    return {
        "schema": SCHEMA,
        "summary": {
            "documents": len(report.documents),
            "pairs": len(report.pairs),
            "passages": sum(len(pair.passages) for pair in report.pairs),
            "skipped": len(report.skipped),
        },
        "settings": report.settings.to_dict() if report.settings is not None else None,
        "documents": [document_to_dict(doc) for doc in report.documents],
        "pairs": [pair_to_dict(pair, documents) for pair in report.pairs],
        "skipped": [skipped_to_dict(item) for item in report.skipped],
    }


def render_json(report: Report, *, indent: int | None = 2) -> str:
    """The report as a JSON document (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=indent) + "\n"
