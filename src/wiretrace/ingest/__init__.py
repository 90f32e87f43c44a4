"""Ingest: read folders, text files, web pages (HTML), web archives (WARC), JSON Lines and CSV files
into `Document` records."""

from wiretrace.ingest.decode import DEFAULT_MAX_DOCUMENT_CHARS
from wiretrace.ingest.fields import FieldMap
from wiretrace.ingest.html import Article, extract_article
from wiretrace.ingest.readers import (
    Input,
    Loaded,
    TextStream,
    load_documents,
    read_inputs,
    sort_out,
)

__all__ = [
    "DEFAULT_MAX_DOCUMENT_CHARS",
    "Article",
    "FieldMap",
    "Input",
    "Loaded",
    "TextStream",
    "extract_article",
    "load_documents",
    "read_inputs",
    "sort_out",
]
