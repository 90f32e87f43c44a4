"""The machine a benchmark ran on: CPU model and memory, for the header of every table."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_and_memory() -> tuple[str, float]:
    """(CPU model name, physical memory in GiB)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return cpu, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
