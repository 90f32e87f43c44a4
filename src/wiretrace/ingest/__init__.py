"""Ingest: read folders of text files, JSON Lines and CSV files into `Document` records."""

from wiretrace.ingest.fields import FieldMap
from wiretrace.ingest.readers import Loaded, load_documents, read_inputs

__all__ = ["FieldMap", "Loaded", "load_documents", "read_inputs"]
