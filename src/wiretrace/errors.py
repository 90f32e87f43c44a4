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


class EmptyInputError(InputError):
    """Raised when an input holds no article text: an empty file or record, or a web page with no
    article in it.

    Real exports are full of these, so readers never stop on one: in both ``on_error`` modes they
    become `Skipped` entries (reason ``"empty"``, or ``"no article text found"`` for a page).
    """


class ConfigError(WiretraceError, ValueError):
    """Raised when a setting is out of range or settings contradict each other."""


class StoreError(WiretraceError, RuntimeError):
    """Raised when a persistent index cannot be opened, read or written: a missing index, a file
    that is not a wiretrace index, a Redis server that does not answer. The message names the
    index and says what to do."""


class MissingDependencyError(WiretraceError, ImportError):
    """Raised when a feature needs an optional extra that is not installed; the message names
    the install command (for example ``pip install 'wiretrace[spark]'``)."""


class WorkspaceError(WiretraceError, OSError):
    """Raised when a run's temporary files (its texts and the working sets it keeps on disk)
    cannot be written, most often because the disk holding ``TMPDIR`` is full. The message names
    the folder and says what to do."""


def workspace_error(error: OSError, directory: str) -> WorkspaceError:
    """A WorkspaceError for an OSError met writing temporary files in `directory`."""
    return WorkspaceError(
        f"cannot write the run's temporary files in {directory} "
        f"({error.strerror or error}); they need room for the input texts and a few times that "
        "for working sets: set TMPDIR to a folder on a disk with more room"
    )
