"""Tests for the compiled kernels' dispatch: each declared signature compiled when first used."""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit, types

from strategies import PROPERTY
from wiretrace import _kernels
from wiretrace._kernels import _OPTIONS, _Kernel
from wiretrace.index import bucket_pairs, lsh
from wiretrace.index.lsh import bucket_pairs_plain

_DECLARED = [
    (types.Array(types.int64, 1, "C", readonly=readonly), types.int64) for readonly in (False, True)
]


def _shifted_sum(values, shift):
    total = 0
    for value in values:
        total += value + shift
    return total


def _kernel() -> _Kernel:
    """A fresh kernel (not cached on disk) declared for writable and read-only int64 arrays."""
    return _Kernel(_shifted_sum, targetoptions=dict(_OPTIONS), declared=_DECLARED)


def test_nothing_is_compiled_before_a_call() -> None:
    """A kernel is not compiled when it is made."""
    assert _kernel().signatures == []


def test_a_call_compiles_only_its_declared_signature() -> None:
    """A call with a declared signature's exact types compiles that one alone."""
    kernel = _kernel()
    assert kernel(np.arange(4, dtype=np.int64), 1) == 10
    assert kernel.signatures == [_DECLARED[0]]
    values = np.arange(4, dtype=np.int64)
    values.flags.writeable = False
    assert kernel(values, 1) == 10
    assert kernel.signatures == _DECLARED


def test_converted_arguments_give_what_eager_njit_gives() -> None:
    """Arguments no declared signature takes exactly are converted as njit with the same
    signatures converts them (then every signature is compiled and no other one is)."""
    eager = njit(_DECLARED, nogil=True)(_shifted_sum)
    kernel = _kernel()
    values = np.arange(5, dtype=np.int64)
    for shift in (np.int32(3), True, 2.0):
        assert kernel(values, shift) == eager(values, shift)
    assert sorted(map(str, kernel.signatures)) == sorted(map(str, _DECLARED))
    assert not kernel._can_compile


def test_undeclared_types_are_refused() -> None:
    """Arguments that fit no declared signature raise TypeError, as with njit."""
    with pytest.raises(TypeError):
        _kernel()(np.arange(4, dtype=np.float64), 1)


def test_a_compiled_caller_uses_a_declared_signature() -> None:
    """A kernel called from compiled code is compiled for the declared signature it fits."""
    kernel = _kernel()

    @njit
    def caller(values):
        return kernel(values, np.int32(1))

    assert caller(np.arange(3, dtype=np.int64)) == 6
    assert all(signature in _DECLARED for signature in kernel.signatures)


def test_a_kernel_pickles_to_itself() -> None:
    """Pickling a kernel in its own process gives the same kernel back."""
    assert pickle.loads(pickle.dumps(_kernels.shingle_hashes)) is _kernels.shingle_hashes


def test_importing_the_pipeline_compiles_few_kernels() -> None:
    """Importing the pipeline compiles or loads at most the one kernel align uses at import
    (its stop-word table), not every declared signature."""
    code = (
        "import sys, wiretrace.pipeline\n"
        "from wiretrace._kernels import _Kernel\n"
        "modules = [module for name, module in sys.modules.items() if name.startswith('wiretrace')]\n"
        "print(sum(len(kernel.signatures) for module in modules\n"
        "          for kernel in vars(module).values() if isinstance(kernel, _Kernel)))\n"
    )
    assert int(_in_new_process(code)) <= 1


def _in_new_process(code: str) -> str:
    """What the Python `code` prints, run in a new process."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_kernel_loads_load_every_declared_signature_a_step_at_a_time() -> None:
    """In a new process, taking every step of `kernel_loads` leaves each kernel with all its
    declared signatures, as `load_kernels` does, and a second pass has no step left."""
    code = (
        "import wiretrace.pipeline, wiretrace.cli\n"
        "from wiretrace import _kernels\n"
        "steps = 0\n"
        "for load in _kernels.kernel_loads():\n"
        "    load(); steps += 1\n"
        "assert next(_kernels.kernel_loads(), None) is None\n"
        "for kernel in _kernels._KERNELS:\n"
        "    assert sorted(map(str, kernel.signatures)) == sorted(map(str, kernel.declared))\n"
        "print(steps)\n"
    )
    assert int(_in_new_process(code)) > 0


def test_load_kernels_compiles_every_declared_signature() -> None:
    """After load_kernels every kernel has all its declared signatures, and takes no others."""
    _kernels.load_kernels()
    assert _kernels._KERNELS
    for kernel in _kernels._KERNELS:
        assert sorted(map(str, kernel.signatures)) == sorted(map(str, kernel.declared))
        assert not kernel._can_compile


_STAGE_KERNELS = """
import numpy as np
from numba import types

from wiretrace._kernels import _compiled


@_compiled([(types.int64[::1],)])
def total(values):
    return values.sum() + {shift}
"""

_CACHE_RUN = """
import sys

import numpy as np

sys.path.insert(0, {folder!r})
from wiretrace import _kernels

_kernels._HELPERS = {helpers!r}
import stage_kernels

assert stage_kernels.total(np.arange(4, dtype=np.int64)) == {expected}
kernel = stage_kernels.total
print(sum(kernel._cache_hits.values()), sum(kernel._cache_misses.values()))
"""


def test_a_kernels_cached_code_is_used_while_its_file_and_the_helpers_file_are_unchanged(
    tmp_path,
) -> None:
    """A stage's kernel cached on disk by one run is loaded by the next; after a change to the
    helpers file it builds in (a stand-in for `_kernels.py`, as after a `git pull` that changed
    only that file) or to its own file, it is compiled afresh, then loaded again."""
    helpers = tmp_path / "helpers.py"
    helpers.write_text("SHIFT = 1\n")
    module = tmp_path / "stage_kernels.py"
    module.write_text(_STAGE_KERNELS.format(shift=0))

    def run(expected: int) -> tuple[int, int]:
        code = _CACHE_RUN.format(folder=str(tmp_path), helpers=str(helpers), expected=expected)
        hits, misses = _in_new_process(code).split()
        return int(hits), int(misses)

    assert run(6) == (0, 1)  # compiled and saved
    assert run(6) == (1, 0)  # loaded
    helpers.write_text("SHIFT = 2\n")
    assert run(6) == (0, 1)
    assert run(6) == (1, 0)
    module.write_text(_STAGE_KERNELS.format(shift=1))
    assert run(7) == (0, 1)
    assert run(7) == (1, 0)


def test_the_stage_kernel_modules_import_only_the_helpers_file_of_wiretrace() -> None:
    """What `_kernels._KernelCache` relies on: the stages' kernel modules build in code of no
    other wiretrace module than `_kernels` (whose changes their cached code is checked against)."""
    folder = Path(_kernels.__file__).parent
    modules = sorted(folder.glob("_*kernels.py"))
    assert len(modules) > 1
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
                if node.level:
                    names = ["wiretrace.(relative)"]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == "wiretrace" or name.startswith("wiretrace."):
                    assert name == "wiretrace._kernels" or name.startswith("wiretrace._kernels."), (
                        path.name,
                        name,
                    )


@PROPERTY
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=400),
    st.lists(st.tuples(st.integers(0, 399), st.integers(0, 30)), max_size=200),
    st.sampled_from([1, 7, 50, lsh.PART_KEYS]),
    st.integers(2, 6),
)
def test_bucket_pairs_of_mostly_lone_keys_equal_the_numpy_reference(
    distinct: list[int], repeats: list[tuple[int, int]], part_keys: int, max_bucket: int
) -> None:
    """With most keys alone in their bucket (as a corpus's window keys are), the compiled bucket
    pass, whose filter rounds then leave out most keys, gives exactly the codes and hits of
    the sort-based numpy one."""
    keys = distinct + [distinct[k % len(distinct)] for k, _ in repeats]
    owners = list(range(len(distinct))) + [owner for _, owner in repeats]
    key_array = np.array(keys, dtype=np.uint64)
    owner_array = np.array(owners, dtype=np.int64) % 41
    plain_codes, plain_hits = bucket_pairs_plain(key_array, owner_array, max_bucket, 41)
    codes, hits = bucket_pairs(
        key_array, owner_array.astype(np.int32), max_bucket, 41, part_keys=part_keys
    )
    assert codes.tolist() == plain_codes.tolist()
    assert hits.tolist() == plain_hits.tolist()


@PROPERTY
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=400),
    st.integers(1, 4),
    st.lists(st.booleans(), max_size=400),
)
def test_a_texts_gram_filter_lets_each_of_its_grams_through(
    values: list[int], size: int, flags: list[bool]
) -> None:
    """Each n-gram hash of a text (a masked n-gram's: the sentinel 1) has both its bits set in
    the text's filter: the filter may let other hashes through, never drops one of its own."""
    ids = np.array(values, dtype=np.uint64)
    mask = np.array(flags[: len(ids)] if len(flags) >= len(ids) else [], dtype=bool)
    bits = _kernels._gram_parts(_kernels.text_grams(ids, size, mask, 12))[2]
    for k, key in enumerate(_kernels.shingle_hashes(ids, size).tolist()):
        if len(mask) and len(ids) >= size and mask[k : k + size].all():
            key = 1
        word, pattern = _kernels._filter_bits(np.uint64(key), len(bits))
        assert bits[word] & pattern == pattern


@PROPERTY
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=4),
    st.integers(1, 6),
    st.booleans(),
    st.integers(0, 3),
)
def test_a_text_shorter_than_its_grams_is_one_gram(
    values: list[int], size: int, masked: bool, most: int
) -> None:
    """A text of fewer words than `size` has the one n-gram `shingle_hashes` makes of all its
    words (none when it has no words), never masked (it is not `size` masked words), and an
    anchor when `most` allows one."""
    ids = np.array(values, dtype=np.uint64)
    if len(ids) >= size:
        return
    mask = np.full(len(ids) if masked else 0, True)
    anchors, hashes, _, _, keys, first, order = _kernels._gram_parts(
        _kernels.text_grams(ids, size, mask, most)
    )
    grams = _kernels.shingle_hashes(ids, size).tolist()
    assert keys.tolist() == grams
    assert order.tolist() == list(range(len(grams)))
    assert first.tolist() == ([0, 1] if grams else [0])
    assert anchors.tolist() == ([0] if grams and most >= 1 else [])
    assert hashes.tolist() == (grams if grams and most >= 1 else [])


@PROPERTY
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=300),
    st.integers(1, 3),
    st.lists(st.booleans(), max_size=300),
)
def test_a_texts_gram_table_numbers_each_distinct_hash_once(
    values: list[int], size: int, flags: list[bool]
) -> None:
    """`text_grams`' buffer's int32 table finds each distinct n-gram hash (a masked n-gram's: the
    sentinel 1) under its number, hash m's n-gram starts at first[m]:first[m + 1] of `order`,
    in text order, as sorting the hashes groups them; the anchors are the n-grams that are not
    masked and occur at most `most` times, with their hashes."""
    ids = np.array(values, dtype=np.uint64)
    if len(ids) < size:
        return
    mask = np.array(flags[: len(ids)] if len(flags) >= len(ids) else [], dtype=bool)
    most = 4
    buffer = _kernels.text_grams(ids, size, mask, most)
    anchors, hashes, bits, slots, keys, first, order = _kernels._gram_parts(buffer)
    parts = (anchors, hashes, bits, slots, keys, first, order)
    assert all(np.shares_memory(part, buffer) for part in parts if len(part))
    assert {part.dtype for part in (anchors, slots, first, order)} == {np.dtype(np.int32)}
    grams = _kernels.shingle_hashes(ids, size)
    masked = np.array(
        [len(mask) > 0 and bool(mask[k : k + size].all()) for k in range(len(grams))], dtype=bool
    )
    target = np.where(masked, np.uint64(1), grams)
    assert sorted(keys.tolist()) == sorted(set(target.tolist()))
    assert first[0] == 0 and first[-1] == len(grams) and len(first) == len(keys) + 1
    for number, key in enumerate(keys.tolist()):
        slot = key % len(slots)
        while slots[slot] != number:
            assert slots[slot] >= 0
            slot = (slot + 1) % len(slots)
        starts = order[first[number] : first[number + 1]].tolist()
        assert starts == np.flatnonzero(target == key).tolist()
    source = np.where(masked, np.uint64(0), grams)
    occurrences = {key: source.tolist().count(key) for key in set(source.tolist())}
    expected = [
        k for k in range(len(grams)) if not masked[k] and occurrences[int(grams[k])] <= most
    ]
    assert anchors.tolist() == expected
    assert hashes.tolist() == grams[expected].tolist()
