"""The first run on a machine: compiling the usual kernels on a second core.

A kernel is compiled (numba) the first time a process on the machine calls it, and its machine
code is cached on disk for later runs (see `wiretrace._kernels`). A first run compiled every
kernel it calls, one after another on one core: ~35 s of the demo's first ~45 s on these
2-core machines. While a command runs on a machine whose cache misses any kernel listed here
(the demo's, then the others a run on news needs), a helper process (`python -m
wiretrace._warm`) compiles them from the other end of each list (the order a run needs them
in); the command, compiling from the front as it goes, finds the ones the helper finished in
the cache (a kernel's lock file makes either wait while the other compiles it). The helper is
stopped when the command ends; none is started where WIRETRACE_WARMING is set (as it is in the
helper). Nothing is computed differently: the same kernels, compiled from the same code, are
loaded from the same cache.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

# The kernels (module, function, index of the declared signature) the demo compiles, in the
# order it first needs them (`python -m wiretrace._warm --order demo` prints the order a run
# needs them in; `tests/test_warm.py` checks the demo needs no other).
DEMO = (
    ("_kernels", "tokenize", 3),
    ("_kernels", "shingle_hashes", 0),
    ("_sketch_kernels", "partition_scatter", 4),
    ("_sketch_kernels", "partition_scatter", 0),
    ("_sketch_kernels", "frequent_rows", 0),
    ("_sketch_kernels", "count_among", 0),
    ("_sketch_kernels", "frequent_sorted", 0),
    ("_sketch_kernels", "unpack_tokens", 0),
    ("_sketch_kernels", "set_table", 0),
    ("_sketch_kernels", "set_filter", 0),
    ("_sketch_kernels", "mask_many", 0),
    ("_kernels", "window_signatures", 0),
    ("_kernels", "band_keys", 0),
    ("_sketch_kernels", "bucket_pair_codes", 0),
    ("_kernels", "text_grams", 0),
    ("_kernels", "match_grams", 0),
    ("_kernels", "cluster_seeds", 0),
    ("_pair_kernels", "word_ranges", 0),
    ("_align_kernels", "sentence_entries", 0),
    ("_align_kernels", "text_sentences", 3),
    ("_align_kernels", "sentence_seeds", 0),
    ("_pair_kernels", "seeds_covered", 0),
    ("_lineage_kernels", "quote_inside", 3),
    ("_lineage_kernels", "quote_inside", 1),
    ("_lineage_kernels", "stretch_tokens", 3),
    ("_kernels", "word_runs", 3),
    ("_kernels", "quote_holds", 3),
)
# The others a corpus of English news (the first 5,000 AllSides articles) compiles, in the order
# it first needs them: compiled by the helper after the demo's.
NEWS = (
    ("_kernels", "tokenize", 1),
    ("_align_kernels", "text_sentences", 1),
    ("_kernels", "cluster_seeds", 1),
    ("_kernels", "validated_clusters", 0),
    ("_pair_kernels", "lopsided", 0),
    ("_summary_kernels", "zipf_insert", 0),
    ("_summary_kernels", "text_side", 1),
    ("_summary_kernels", "pair_features", 0),
    ("_align_kernels", "boilerplate_sentences", 0),
    ("_summary_kernels", "text_side", 3),
    ("_summary_kernels", "name_rarities", 0),
    ("_summary_kernels", "rate_side", 0),
    ("_summary_kernels", "other_stems", 0),
    ("_summary_kernels", "summary_window", 0),
    ("_kernels", "stem_insert", 0),
    ("_lineage_kernels", "fold_units", 0),
    ("_lineage_kernels", "stretch_tokens", 1),
    ("_kernels", "word_runs", 1),
    ("_kernels", "quote_holds", 1),
)
# The kernel modules, imported by the helper (and by `missing`) to make every kernel.
MODULES = (
    "_kernels",
    "_sketch_kernels",
    "_pair_kernels",
    "_align_kernels",
    "_summary_kernels",
    "_lineage_kernels",
)
# Set in the helper's environment: a command started by the helper (none is) never starts one.
_HELPER = "WIRETRACE_WARMING"


def _kernels() -> dict[tuple[str, str], Any]:
    """Every kernel by (module, function)."""
    import importlib

    for module in MODULES:
        importlib.import_module(f"wiretrace.{module}")
    from wiretrace import _kernels

    return {
        (kernel.py_func.__module__.rsplit(".", 1)[-1], kernel.py_func.__name__): kernel
        for kernel in _kernels._KERNELS
    }


def _listed(entries: tuple[tuple[str, str, int], ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(kernel, declared argument types) of each of `entries` that names one, in order."""
    kernels = _kernels()
    for module, name, index in entries:
        kernel = kernels.get((module, name))
        if kernel is not None and index < len(kernel.declared):
            yield kernel, kernel.declared[index]


def usual_loads() -> Iterator[Callable[[], Any]]:
    """A call that loads (or compiles) one listed kernel, the demo's then the others in the order
    a run needs them, for each not loaded when its turn comes: for a process about to fork
    workers that will call them (they inherit them, where each would load its own)."""
    from wiretrace import _kernels

    return _kernels.kernel_loads(_listed((*DEMO, *NEWS)))


def _cached(kernel: Any, declared: tuple[Any, ...]) -> bool | None:
    """Whether the kernel's cache holds `declared` (None: the kernel has no cache on disk, so a
    helper cannot compile it for another process)."""
    cache: Any = getattr(kernel, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if cache_file is None:
        return None
    if declared in kernel.overloads:
        return True
    key = cache._index_key(declared, kernel.targetctx.codegen())
    return key in cache_file._load_index()


def missing() -> bool:
    """Whether the disk cache misses any listed kernel (the demo's, or another a run on news
    needs); False where there is no disk cache, or where numba compiles nothing
    (NUMBA_DISABLE_JIT). Once a machine has them all, no helper is started again."""
    from numba import config

    if getattr(config, "DISABLE_JIT", False):
        return False
    try:
        return any(
            _cached(kernel, declared) is False for kernel, declared in _listed((*DEMO, *NEWS))
        )
    except Exception:  # noqa: BLE001 - a numba whose cache differs: no helper, nothing lost
        return False


@contextlib.contextmanager
def warming() -> Iterator[bool]:
    """Run the block with a helper process compiling the listed kernels when the disk cache
    misses some (and the machine has a core to spare); yields whether it misses some. The
    helper is stopped (killed: a kernel it was saving stays a temporary file numba never reads)
    when the block ends."""
    cold = _HELPER not in os.environ and missing()
    helper = None
    # (-P: the current folder does not come first on the helper's import path.)
    if cold and (os.cpu_count() or 1) > 1 and sys.executable:
        try:
            helper = subprocess.Popen(
                [sys.executable, "-P", "-m", "wiretrace._warm"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, _HELPER: str(os.getpid())},
            )
        except OSError:  # no process to spare: the command compiles as it goes
            helper = None
    try:
        yield cold
    finally:
        if helper is not None:
            helper.kill()
            helper.wait()


def _compile_listed() -> None:
    """The helper: compile (or find cached) each listed kernel in turn, while the command that
    started it runs."""
    parent = int(os.environ.get(_HELPER, "0") or 0)
    # From the end of each list (the command compiles from the front): the demo's, then the
    # others.
    for kernel, declared in _listed((*reversed(DEMO), *reversed(NEWS))):
        if parent and os.getppid() != parent:
            return  # the command is gone (killed before it could stop this)
        kernel.compile(declared)


def _order(argv: list[str]) -> None:
    """Print the kernels a run of `wiretrace` with these arguments compiles or loads, in the order
    it first needs them (for DEMO and NEWS), with no helper: `NUMBA_CACHE_DIR=$(mktemp -d)
    python -m wiretrace._warm --order demo -j 1` (one process: kernels that workers load are
    not seen; an empty cache: a kernel that another builds in is compiled then, not loaded)."""
    from wiretrace import _kernels as kernels_module
    from wiretrace.cli import cli

    os.environ[_HELPER] = "0"

    _kernels()
    first = kernels_module._Kernel.compile
    seen: list[tuple[str, str, int]] = []

    def compile(self: Any, sig: Any) -> Any:
        before = set(self.overloads)
        result = first(self, sig)
        for index, declared in enumerate(self.declared):
            if declared in self.overloads and declared not in before:
                seen.append(
                    (self.py_func.__module__.rsplit(".", 1)[-1], self.py_func.__name__, index)
                )
        return result

    kernels_module._Kernel.compile = compile  # type: ignore[method-assign]
    try:
        cli.main(argv, prog_name="wiretrace", standalone_mode=False)
    finally:
        kernels_module._Kernel.compile = first  # type: ignore[method-assign]
    for entry in seen:
        print(entry)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--order"]:
        _order(sys.argv[2:])
    else:
        _compile_listed()
