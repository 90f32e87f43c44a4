"""wiretrace: text provenance for the news.

Which articles reuse which, exactly which passages (offsets into the original texts), how the
wording changed, and who most likely took it from whom.
"""

from wiretrace.archive import AddResult, Index
from wiretrace.config import Settings
from wiretrace.corpus import Corpus
from wiretrace.errors import (
    ConfigError,
    InputError,
    MissingDependencyError,
    StoreError,
    WiretraceError,
    WorkspaceError,
)
from wiretrace.models import (
    BoilerplateSpan,
    Document,
    Edit,
    Notice,
    Pair,
    Passage,
    Report,
    Skipped,
    SourceShare,
    Trace,
    replay_edits,
)
from wiretrace.normalize import NormalizedText, normalize_text
from wiretrace.pipeline import (
    compare,
    compare_files,
    demo_corpus_path,
    find_reuse,
    find_reuse_in,
    minhash_signatures,
)
from wiretrace.report import render_csv, render_html, render_json, render_text

__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "BoilerplateSpan",
    "ConfigError",
    "Corpus",
    "Document",
    "Edit",
    "Index",
    "InputError",
    "MissingDependencyError",
    "NormalizedText",
    "Notice",
    "Pair",
    "Passage",
    "Report",
    "Settings",
    "Skipped",
    "SourceShare",
    "StoreError",
    "Trace",
    "WiretraceError",
    "WorkspaceError",
    "__version__",
    "compare",
    "compare_files",
    "demo_corpus_path",
    "find_reuse",
    "find_reuse_in",
    "minhash_signatures",
    "normalize_text",
    "render_csv",
    "render_html",
    "render_json",
    "render_text",
    "replay_edits",
]
