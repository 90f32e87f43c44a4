"""Renderers: render_*(report) -> str, one module per output format."""

from wiretrace.report.csv import render_csv
from wiretrace.report.html import render_html
from wiretrace.report.json import SCHEMA, render_json, render_stats_json, report_to_dict
from wiretrace.report.text import render_stats_text, render_text

__all__ = [
    "SCHEMA",
    "render_csv",
    "render_html",
    "render_json",
    "render_stats_json",
    "render_stats_text",
    "render_text",
    "report_to_dict",
]
