"""wiretrace: text provenance for the news.

Which articles reuse which, exactly which passages (offsets into the original texts), how the
wording changed, and who most likely took it from whom.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Where each public name lives. The package imports a module only when one of its names is first
# used, so `wiretrace --help` and light uses do not pay for the compiled loops or datasketch (scipy).
_HOMES = {
    "AddResult": "archive",
    "Index": "archive",
    "Settings": "config",
    "Corpus": "corpus",
    "ConfigError": "errors",
    "InputError": "errors",
    "MissingDependencyError": "errors",
    "StoreError": "errors",
    "WiretraceError": "errors",
    "WorkspaceError": "errors",
    "BoilerplateSpan": "models",
    "Document": "models",
    "Edit": "models",
    "Notice": "models",
    "Pair": "models",
    "Passage": "models",
    "Report": "models",
    "Skipped": "models",
    "SourceShare": "models",
    "Trace": "models",
    "replay_edits": "models",
    "NormalizedText": "normalize",
    "normalize_text": "normalize",
    "compare": "pipeline",
    "compare_files": "pipeline",
    "demo_corpus_path": "pipeline",
    "find_reuse": "pipeline",
    "find_reuse_in": "pipeline",
    "minhash_signatures": "pipeline",
    "render_csv": "report",
    "render_html": "report",
    "render_json": "report",
    "render_text": "report",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        # A module of the package is an attribute once imported (`wiretrace.report.render_text`).
        try:
            return importlib.import_module(f"wiretrace.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"wiretrace.{name}":
                raise
        raise AttributeError(f"module 'wiretrace' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"wiretrace.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


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
