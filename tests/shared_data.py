"""Where the shared research data lives (never copied into the repository).

`WIRETRACE_SHARED_DATA` names it; otherwise `../shared/data` next to the checkout, then
`/work/shared/data` (where the project's machines keep it, also for clones made elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

_BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data() -> Path:
    """The shared data folder (it may be missing: callers skip, or fail under CI=true)."""
    if os.environ.get("WIRETRACE_SHARED_DATA"):
        return Path(os.environ["WIRETRACE_SHARED_DATA"])
    for candidate in (_BESIDE_CHECKOUT, Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    return _BESIDE_CHECKOUT
