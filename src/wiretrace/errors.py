"""The WiretraceError family: every error the library raises on purpose."""

from __future__ import annotations


class WiretraceError(Exception):
    """Base class of every error wiretrace raises on purpose."""


class InputError(WiretraceError, ValueError):
    """Raised when an input file or record cannot be read as a document.

    The message names the file (and the 1-based line for JSONL/CSV), shows what is wrong and says
    what to do. With ``on_error="skip"`` the readers record a `Skipped` entry instead.
    """

    def __init__(self, reason: str, *, input: str = "", line: int | None = None) -> None:
        self.input = input
        self.line = line
        self.reason = reason
        where = input + (f" line {line}" if line is not None else "")
        super().__init__(f"{where}: {reason}" if where else reason)


class ConfigError(WiretraceError, ValueError):
    """Raised when a setting is out of range or settings contradict each other."""
