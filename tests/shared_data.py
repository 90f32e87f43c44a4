"""Where the shared research data lives (never copied into the repository).

`WIRETRACE_SHARED_DATA` names it; otherwise `../shared/data` next to the checkout, then
`/work/shared/data` (where the project's machines keep it, also for clones made elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data() -> Path:
    """The shared data folder (it may be missing: callers skip, or fail under CI=true)."""
    if os.environ.get("WIRETRACE_SHARED_DATA"):
        return Path(os.environ["WIRETRACE_SHARED_DATA"])
    for candidate in (_BESIDE_CHECKOUT, Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    return _BESIDE_CHECKOUT


def needed(path: Path) -> None:
    """Go on when the shared data file `path` is there; else skip the test saying where to put
    the data, or fail it under CI=true, where the data must be present."""
    if path.is_file():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{path} is missing; CI needs the shared news data")
    pytest.skip(f"{path} is absent; put the shared data in {shared_data()} to run this test")
