"""Compiled inner loops (numba) of the tokenizer, the shingle hashes and MinHash.

Each kernel is one pass over its input with no temporary arrays, where the numpy versions took
tens of passes (the tokenizer) or a (shingles x permutations) matrix (MinHash). They compute
exactly what the plain versions compute, and tests compare the two (`tests/test_shingle.py`,
`tests/test_sketch.py`); MinHash is byte-identical to datasketch's.

Each kernel is compiled only for the argument types it declares, each when first called
(`_Kernel`), and the machine code is cached on disk (numba's `cache=True`: next to this file, or
in numba's user cache folder when that is read-only): the first run on a machine compiles what
it uses, and a later run loads only what it uses.
The stages' own kernel modules (`_sketch_kernels`, `_align_kernels`, `_summary_kernels`) reuse
the small helpers here (`_compiled`, `_mix64`, `_slot`, `_sort_few`, the hash constants).
numba keeps a kernel's cached code while the kernel's own file is unchanged; the stages' kernels
also build in the helpers of this file, so theirs is kept while both files are unchanged
(`_KernelCache`): after an edit or a `git pull` that changes a helper, each kernel compiles
afresh instead of running its old copy.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from numba import config, njit, types
from numba.core import caching, sigutils
from numba.core.compiler_lock import global_compiler_lock
from numba.core.registry import CPUDispatcher

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: each process compiles for itself
    fcntl = None  # type: ignore[assignment]


# The file of the helpers that the stages' kernel modules import from here (and only from here:
# `tests/test_kernels.py` checks), which their compiled code builds in.
_HELPERS = os.path.abspath(__file__)


@functools.cache
def _file_digest(path: str, modified: float, size: int) -> bytes:
    """The sha256 of a file's bytes, made again whenever its time or size changes."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).digest()


def _helpers_stamp() -> bytes | None:
    """The `_HELPERS` file's digest (None: it cannot be read)."""
    try:
        status = os.stat(_HELPERS)
        return _file_digest(_HELPERS, status.st_mtime, status.st_size)
    except OSError:
        return None


class _WithHelpers:
    """A numba cache locator whose source stamp (what a cache index is valid for) is the
    kernel's own file's and, for a kernel in another file, the helpers file's too."""

    def get_source_stamp(self) -> Any:
        own = super().get_source_stamp()  # type: ignore[misc]
        py_file = getattr(self, "_py_file", None)
        if py_file is None or os.path.abspath(py_file) == _HELPERS:
            return own
        return own, _helpers_stamp()


class _KernelCacheImpl(caching.CompileResultCacheImpl):
    _locator_classes: list[type[Any]] = [
        type(f"_WithHelpers{locator.__name__}", (_WithHelpers, locator), {})
        for locator in caching.CompileResultCacheImpl._locator_classes
    ]


class _KernelCache(caching.FunctionCache):
    """numba's on-disk cache of a function's machine code, valid while the function's file and
    the helpers it builds in (`_WithHelpers`) are unchanged."""

    _impl_class = _KernelCacheImpl


def _enable_caching(dispatcher: Any) -> None:
    """Cache `dispatcher`'s machine code on disk as `_KernelCache` does (RuntimeError: no
    writable place found, as numba's own `enable_caching`)."""
    dispatcher._cache = _KernelCache(dispatcher.py_func)


class _Kernel(CPUDispatcher):
    """A numba dispatcher compiled only for its declared signatures, each when first needed.

    numba's njit with signatures compiles (or loads from its cache) every one of them when the
    module is imported, which costs a short run more than the loops it calls. Here a call (or a
    compiled caller) with exactly a declared signature's argument types compiles or loads just
    that one. Other argument types, which njit would convert to one of its signatures, make
    this compile them all and then refuse new ones, as njit does, so numba converts and chooses
    as it would have; arguments that fit none are refused.

    Worker processes forked before a kernel's first use each need it: a lock file next to its
    cached code lets one compile it while the others wait, then load what it saved.
    """

    def __init__(self, py_func, locals=None, targetoptions=None, declared=()):
        super().__init__(py_func, locals, targetoptions)
        self.declared = [tuple(sigutils.normalize_signature(sig)[0]) for sig in declared]

    def compile(self, sig):
        args = tuple(sigutils.normalize_signature(sig)[0])
        if args in self.declared:
            chosen = args
            needed = [args]
        else:
            cases = [types.none(*declared) for declared in self.declared]
            found = self.typingctx.resolve_overload(
                self.py_func, cases, args, {}, allow_ambiguous=False
            )
            if found is None:
                raise TypeError(
                    f"{self.py_func.__name__}: no declared signature takes argument type(s) "
                    f"{', '.join(map(str, args))}"
                )
            chosen = tuple(found.args)
            needed = self.declared
        for declared in needed:
            if declared not in self.overloads:
                with self._compiling():
                    if declared not in self.overloads:  # (unless another thread just did)
                        super().compile(declared)
        if all(declared in self.overloads for declared in self.declared):
            self.disable_compile()
        return self.overloads[chosen].entry_point

    @contextlib.contextmanager
    def _compiling(self) -> Iterator[None]:
        """Hold this kernel's lock file (when its code is cached on disk) while it compiles or
        loads a signature it has not got. numba's compiler lock is taken first, so that threads
        of one process never wait for each other's lock file; callers lock before their callees,
        so processes never wait for each other in a circle."""
        folder = self._cache.cache_path  # type: ignore[attr-defined]
        if folder is None or fcntl is None:
            yield
            return
        name = f"{self.py_func.__module__}.{self.py_func.__qualname__}.lock"
        with global_compiler_lock:
            try:
                handle = os.open(os.path.join(folder, name), os.O_RDWR | os.O_CREAT, 0o666)
            except OSError:  # a folder numba may write its files to but not this one
                handle = -1
            try:
                if handle >= 0:
                    fcntl.flock(handle, fcntl.LOCK_EX)
                yield
            finally:
                if handle >= 0:
                    os.close(handle)

    def _reduce_states(self):
        return {**super()._reduce_states(), "declared": self.declared}

    @classmethod
    def _rebuild(cls, uuid, py_func, locals, targetoptions, can_compile, sigs, declared):
        try:
            return cls._memo[uuid]
        except KeyError:
            pass
        kernel = cls(py_func, locals, targetoptions, declared)
        kernel._set_uuid(uuid)
        for sig in sigs:
            kernel.compile(sig)
        kernel._can_compile = can_compile
        return kernel


# What numba's njit(nogil=True) gives its dispatchers.
_OPTIONS = {"nopython": True, "nogil": True, "boundscheck": None}
# Every kernel made so far (by every kernel module imported).
_KERNELS: list[_Kernel] = []


def load_kernels() -> None:
    """Compile, or load from the cache, every declared signature of every kernel made so far.

    For a process about to fork workers that will call most kernels (a large corpus): they then
    inherit them all, where each would load what it uses (about 15 ms a signature) again."""
    for load in kernel_loads():
        load()


def kernel_loads(
    signatures: Iterable[tuple[_Kernel, tuple[Any, ...]]] | None = None,
) -> Iterator[Callable[[], Any]]:
    """`load_kernels` a step at a time: a call that loads one signature, for each one not loaded
    when its turn comes (for a process that has other things to do between the steps); of the
    (kernel, declared argument types) `signatures` given, in their order, or of every one."""
    if signatures is None:
        signatures = ((kernel, declared) for kernel in _KERNELS for declared in kernel.declared)
    for kernel, declared in signatures:
        if declared not in kernel.overloads:
            yield functools.partial(kernel.compile, declared)


def _eager(signatures, function):
    """numba's njit (with `signatures`: all compiled now), cached on disk where it can be."""
    if config.DISABLE_JIT:  # (njit gives back the function itself)
        return njit(signatures, nogil=True)(function)
    dispatcher = njit(nogil=True)(function)
    with contextlib.suppress(RuntimeError):  # "cannot cache function ...: no locator available"
        _enable_caching(dispatcher)
    if signatures is not None:
        for signature in signatures:
            dispatcher.compile(signature)
        dispatcher.disable_compile()
    return dispatcher


def _compiled(signatures=None):
    """numba's njit, with the machine code cached on disk where numba finds a writable place
    (next to this file, or its user cache folder, or NUMBA_CACHE_DIR); compiled in memory for
    each process where it finds none. With `signatures`, compiled only for those (see
    `_Kernel`), on first use."""

    def decorate(function):
        if signatures is None or config.DISABLE_JIT:
            return _eager(signatures, function)
        try:
            kernel = _Kernel(function, targetoptions=dict(_OPTIONS), declared=signatures)
        except (TypeError, AttributeError):  # pragma: no cover - a numba whose dispatcher differs
            return _eager(signatures, function)
        with contextlib.suppress(RuntimeError):  # no locator: compiled in memory
            _enable_caching(kernel)
        _KERNELS.append(kernel)
        return kernel

    return decorate


# The argument types each kernel is compiled for (each when first used): C-ordered arrays,
# read-only or not.


def _array(dtype: types.Type, dims: int = 1) -> list[types.Array]:
    return [types.Array(dtype, dims, "C", readonly=readonly) for readonly in (False, True)]


_CLASSES, _CODES = types.uint8[::1], types.uint64[::1]
_TOKENIZE = [
    (points, _CLASSES, _CODES, _CLASSES) for points in _array(types.uint8) + _array(types.uint32)
]
_SHINGLES = [(ids, types.int64) for ids in _array(types.uint64)]
_PERMUTATIONS = types.uint32[::1]
_SIGNATURES = [
    (values, types.int64[::1], _PERMUTATIONS, _PERMUTATIONS) for values in _array(types.uint32)
]
_WINDOWS = [
    (values, types.int64[::1], types.int64, types.int64, _PERMUTATIONS, _PERMUTATIONS)
    for values in _array(types.uint32)
]

# Character classes of the tokenizer (shingle.char_tables).
OTHER, LETTER, MARK, DIGIT, CJK, APOSTROPHE, SEPARATOR = range(7)

_U32 = np.uint64(0xFFFFFFFF)
_HASH_BASE = np.uint64(0x100000001B3)
_LENGTH_SALT = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_FMIX1 = np.uint64(0x85EBCA6B)
_FMIX2 = np.uint64(0xC2B2AE35)


@_compiled()
def _mix64(value):
    """splitmix64's finalizer (shingle._mix64) of one uint64."""
    value = value ^ (value >> np.uint64(30))
    value = value * _MIX1
    value = value ^ (value >> np.uint64(27))
    value = value * _MIX2
    return value ^ (value >> np.uint64(31))


@_compiled()
def _fmix32(value):
    """MurmurHash3's 32-bit finalizer (sketch._fmix32), on a uint64 holding a 32-bit value."""
    value = value ^ (value >> np.uint64(16))
    value = (value * _FMIX1) & _U32
    value = value ^ (value >> np.uint64(13))
    value = (value * _FMIX2) & _U32
    return value ^ (value >> np.uint64(16))


@_compiled()
def _is_hex(point):
    """Whether a code point is an ASCII hexadecimal digit."""
    return (48 <= point <= 57) or (65 <= point <= 70) or (97 <= point <= 102)


@_compiled()
def _leave_out_escapes(points, kinds):
    """Class the two hexadecimal digits of each percent-escape ("%D0", a byte of an encoded web
    address) OTHER: no token holds them (shingle.TOKEN_PATTERN's escapes). An escape is "%"
    and two hexadecimal digits, taken from the left as a regex scan takes them."""
    at = 0
    while at + 2 < len(points):
        if points[at] == 37 and _is_hex(points[at + 1]) and _is_hex(points[at + 2]):
            kinds[at + 1] = OTHER
            kinds[at + 2] = OTHER
            at += 3
        else:
            at += 1


@_compiled()
def _token_spans(kinds):
    """(starts, ends, found): the first `found` entries are the tokens' spans, from each
    character's class (see `tokenize`)."""
    count = len(kinds)
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    found = 0
    at = 0
    while at < count:
        kind = kinds[at]
        if kind == CJK:
            end = at + 1
        elif kind == DIGIT:
            end = at + 1
            while True:
                while end < count and kinds[end] == DIGIT:
                    end += 1
                if end + 1 < count and kinds[end] == SEPARATOR and kinds[end + 1] == DIGIT:
                    end += 2
                else:
                    break
        elif kind == LETTER:
            end = at + 1
            while True:
                while end < count and (kinds[end] == LETTER or kinds[end] == MARK):
                    end += 1
                if end + 1 < count and kinds[end] == APOSTROPHE and kinds[end + 1] == LETTER:
                    end += 2
                else:
                    break
        else:
            at += 1
            continue
        starts[found] = at
        ends[found] = end
        found += 1
        at = end
    return starts, ends, found


def _token_steps() -> np.ndarray:
    """`tokenize`'s transitions: for each (class of a character, class of the next one), one
    byte per state (out of a token, in a word, in a number, in a CJK character), which says the
    state after the character (times 8, the byte's place for the next character), whether the
    character is in a token (4), whether the token before it ends there (2), whether one starts
    there (1). The rules of `_token_spans`: a word goes on over letters and marks, and over an
    apostrophe before a letter; a number over digits, and over a separator before a digit."""
    steps = np.zeros(64, dtype=np.uint32)
    opened = {LETTER: 1, DIGIT: 2, CJK: 3}
    for state in range(4):
        for kind in range(8):
            for after in range(8):
                if state == 1:
                    going = kind in (LETTER, MARK) or (kind == APOSTROPHE and after == LETTER)
                elif state == 2:
                    going = kind == DIGIT or (kind == SEPARATOR and after == DIGIT)
                else:
                    going = False
                new = state if going else opened.get(kind, 0)
                step = new * 8 | (new != 0) << 2 | (state != 0 and not going) << 1
                step |= not going and kind in opened
                steps[kind << 3 | after] |= step << (8 * state)
    return steps


_TOKEN_STEPS = _token_steps()


@_compiled(_TOKENIZE)
def tokenize(points, classes, codes, astral):
    """(starts, ends, ids, complex) of the tokens of one text.

    `points` are the text's code points (uint8 for an ASCII text, else uint32), `classes` and
    `codes` the tables of the BMP's character classes and simple normalized code points (0: it
    depends on the context), and `astral` the classes of the characters outside the BMP, by
    position (any array when the text has none). Words are runs of letters and marks that start
    at a letter, joined by an apostrophe between a letter or mark and a letter; numbers are runs
    of digits joined by one separator between two digits; each CJK character is a token. A
    token's id is the mixed polynomial hash of its normalized code points; `complex[k]` says
    token k has a character with no simple normal form, so its id must come from
    `shingle.token_id` instead.

    The spans are `_token_spans`'s, found by a table of transitions (`_token_steps`) with no
    branch per character: a token's end, about one character in six, would be a branch the
    processor cannot predict. Each character writes where a token would start and end, and
    moves the counts on only where one does.
    """
    count = len(points)
    kinds = np.empty(count + 1, dtype=np.uint8)
    percent = False
    for at in range(count):
        point = points[at]
        kinds[at] = classes[point] if point < 0x10000 else astral[at]
        percent |= point == 37
    kinds[count] = OTHER
    if percent:
        _leave_out_escapes(points, kinds)
    starts = np.empty(count + 1, dtype=np.int64)
    ends = np.empty(count + 1, dtype=np.int64)
    sums = np.empty(count + 1, dtype=np.uint64)
    complex_ = np.empty(count + 1, dtype=np.bool_)
    place = np.uint32(0)  # the current state's byte in a transition: 8 * state
    opened = closed = 0
    total = hard = np.uint64(0)
    power = np.uint64(1)
    for at in range(count):
        step = (_TOKEN_STEPS[np.int64(kinds[at]) << 3 | np.int64(kinds[at + 1])] >> place) & 0xFF
        place = step & np.uint32(0x18)
        start = np.uint64(step & np.uint32(1))
        ends[closed] = at
        sums[closed] = total
        complex_[closed] = hard != 0
        closed += np.int64((step >> np.uint32(1)) & np.uint32(1))
        starts[opened] = at
        opened += np.int64(start)
        point = points[at]
        code = codes[point] if point < 0x10000 else np.uint64(0)
        # All ones while a token goes on, 0 where one starts: its sums start again.
        going = start - np.uint64(1)
        power = (power & going) | start
        total = (total & going) + code * power
        inside = np.uint64((step >> np.uint32(2)) & np.uint32(1))
        hard = (hard & going) | (inside & np.uint64(code == 0))
        power *= _HASH_BASE
    if place != 0:
        ends[closed] = count
        sums[closed] = total
        complex_[closed] = hard != 0
        closed += 1
    ids = np.empty(closed, dtype=np.uint64)
    for k in range(closed):
        ids[k] = _mix64(sums[k] + np.uint64(ends[k] - starts[k]) * _LENGTH_SALT)
    return starts[:closed].copy(), ends[:closed].copy(), ids, complex_[:closed].copy()


@_compiled(_SHINGLES)
def shingle_hashes(ids, size):
    """shingle.shingle_hashes: the 64-bit hash of every run of `size` consecutive ids."""
    count = len(ids)
    if count == 0:
        return np.zeros(0, dtype=np.uint64)
    size = min(size, count)
    width = count - size + 1
    out = np.zeros(width, dtype=np.uint64)
    # One word of every run at a time: the runs' hashes are then independent steps the compiler
    # vectorizes (a run's own steps are a chain of multiplications, each waiting for the last).
    for k in range(size):
        for start in range(width):
            out[start] = _mix64(out[start] * _HASH_BASE + ids[start + k])
    return out


@_compiled()
def _permute_min(value, a, b, row):
    """Lower `row` to the permuted values of one 32-bit hash where they are smaller (`a` and
    `b`: uint32 permutation parameters)."""
    mixed = np.uint32(_fmix32(np.uint64(value)))
    for p in range(len(a)):  # a branch-free min: vectorized by the compiler, ~8x a branch
        row[p] = min(row[p], np.uint32(mixed * a[p] + b[p]))


@_compiled(_SIGNATURES)
def signatures(values, offsets, a, b):
    """MinHash signatures of many sets: set k is values[offsets[k]:offsets[k + 1]] (uint32).

    datasketch's affine32 scheme: each value through fmix32, then (a * x + b) mod 2**32 for every
    permutation, and the minimum over the set (0xFFFFFFFF for an empty set)."""
    sets = len(offsets) - 1
    out = np.full((sets, len(a)), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    for k in range(sets):
        row = out[k]
        for at in range(offsets[k], offsets[k + 1]):
            _permute_min(values[at], a, b, row)
    return out


@_compiled(_WINDOWS)
def window_signatures(values, offsets, window, stride, a, b):
    """Signatures of overlapping windows of many documents (sketch.compute_window_signatures
    of each): document k's values are values[offsets[k]:offsets[k + 1]].

    Window j of a document covers values [j * stride, j * stride + window), cut at its end;
    windows continue until one reaches the end, and a document with at most `window` values
    has one. Returns (signatures, owners, starts) in document order."""
    documents = len(offsets) - 1
    total = 0
    for k in range(documents):
        count = offsets[k + 1] - offsets[k]
        if count > 0:
            total += (max(count - window + stride, 1) + stride - 1) // stride
    out = np.full((total, len(a)), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    owners = np.empty(total, dtype=np.int64)
    starts = np.empty(total, dtype=np.int64)
    # Windows are made of blocks of gcd(window, stride) values. Each block's minima are taken
    # once, into a ring of the last `per_window` blocks (all a window needs, as windows only move
    # forward), so a long document needs no more memory than a short one.
    block = window
    rest = stride
    while rest:
        block, rest = rest, block % rest
    per_window = window // block
    ring = np.empty((per_window, len(a)), dtype=np.uint32)
    mixed = np.empty(len(values), dtype=np.uint32)
    for at in range(len(values)):
        mixed[at] = np.uint32(_fmix32(np.uint64(values[at])))
    row = 0
    for k in range(documents):
        first = offsets[k]
        count = offsets[k + 1] - first
        if count == 0:
            continue
        blocks = (count + block - 1) // block
        done = 0
        windows = (max(count - window + stride, 1) + stride - 1) // stride
        for j in range(windows):
            start = j * stride
            if start >= count:
                break
            first_block = start // block
            last_block = min(first_block + per_window, blocks)
            while done < last_block:
                low = first + done * block
                _block_minima(
                    mixed, low, min(low + block, first + count), a, b, ring[done % per_window]
                )
                done += 1
            target = out[row]
            for m in range(first_block, last_block):
                source = ring[m % per_window]
                for p in range(len(a)):
                    target[p] = min(target[p], source[p])
            owners[row] = k
            starts[row] = start
            row += 1
    return out[:row], owners[:row], starts[:row]


@_compiled()
def _block_minima(mixed, low, high, a, b, row):
    """Set `row` to the permuted minima of mixed[low:high] (values through fmix32, at least
    one). Four values a pass over the permutations: each permutation's parameters and minimum
    are loaded and stored once for the four."""
    first = mixed[low]
    for p in range(len(a)):
        row[p] = np.uint32(first * a[p] + b[p])
    at = low + 1
    while at + 4 <= high:
        x0, x1, x2, x3 = mixed[at], mixed[at + 1], mixed[at + 2], mixed[at + 3]
        for p in range(len(a)):
            ap, bp = a[p], b[p]
            low_pair = min(np.uint32(x0 * ap + bp), np.uint32(x1 * ap + bp))
            high_pair = min(np.uint32(x2 * ap + bp), np.uint32(x3 * ap + bp))
            row[p] = min(row[p], min(low_pair, high_pair))
        at += 4
    for rest in range(at, high):
        x = mixed[rest]
        for p in range(len(a)):
            row[p] = min(row[p], np.uint32(x * a[p] + b[p]))


# The align stage's loops (align.py): each text's n-gram table; per pair, seed matching, seed
# clustering and the validation of sentence clusters (its sentence loops: _align_kernels).

_I64, _U64, _F64, _BOOL = types.int64[::1], types.uint64[::1], types.float64[::1], types.bool_[::1]
_MATCH_GRAMS = [(_U64, _U64, types.int64)]
_TEXT_GRAMS = [(_U64, types.int64, _BOOL, types.int64)]
_CLUSTER = [
    (seeds, _I64, types.int64, types.int64, types.int64, types.int64)
    for seeds in _array(types.int64, 2)
]
_I32 = types.int32[::1]
_RANGES = (_I32, _I32, _I32, _F64)
_VALIDATED = [
    (types.int64[:, ::1], types.int64, *_RANGES, _I64, *_RANGES, types.float64, types.float64)
]


@_compiled()
def _filter_bits(key, words):
    """(word, pattern) of a hash in a filter of `words` 64-bit words (a power of two): the word
    from the hash's bits 32 and up (its slot in a table is from its low bits), two bits of it
    from its top twelve bits. One bit a hash let about 3% of the other text's hashes through
    (each then looked up in the table: a cache miss or two); two bits of one word let under
    1% through, and still take one load."""
    word = np.int64((key >> np.uint64(32)) & np.uint64(words - 1))
    pattern = (np.uint64(1) << ((key >> np.uint64(52)) & np.uint64(63))) | (
        np.uint64(1) << (key >> np.uint64(58))
    )
    return word, pattern


# A text's n-gram buffer (`text_grams`) starts with four numbers: its anchors, table slots,
# distinct hashes and n-grams.
_GRAM_HEADER = 4


@_compiled()
def _gram_parts(grams):
    """(anchors, hashes, bits, slots, keys, first, order): the parts of a text's n-gram buffer
    (views; see `text_grams`)."""
    anchored, table = np.int64(grams[0]), np.int64(grams[1])
    found, count = np.int64(grams[2]), np.int64(grams[3])
    words = max(table // 8, 1)
    at = _GRAM_HEADER
    bits = grams[at : at + words]
    at += words
    hashes = grams[at : at + anchored]
    at += count
    keys = grams[at : at + found]
    at += count
    small = grams[at:].view(np.int32)
    slots = small[:table]
    order = small[table : table + count]
    anchors = small[table + count : table + count + anchored]
    first = small[table + 2 * count : table + 2 * count + found + 1]
    return anchors, hashes, bits, slots, keys, first, order


@_compiled(_TEXT_GRAMS)
def text_grams(ids, size, mask, most):
    """align._grams' buffer of one text's `size`-word n-grams (at least one), made in one pass
    and without sorting (`_gram_parts` gives its parts: anchors, hashes, bits, slots, keys,
    first, order).

    An n-gram all of whose words are in `mask` (empty: no mask) is masked. On the target side a
    masked n-gram's hash is 1: the distinct hashes are numbered in order of first use (hash m is
    `keys[m]`), found by an open-addressing table of their numbers (`slots`, -1: empty; linear
    probing from a hash's low bits, at most half full); `order` holds the n-gram starts grouped
    by hash, hash m's starts (in text order) at first[m]:first[m + 1]; `bits`, a filter of 8
    bits per slot (small enough to stay in cache), has each hash's two bits set (see
    `_filter_bits`). On the source side a masked n-gram's hash is 0: `anchors` are the n-grams
    that are not masked and occur at most `most` times, with their `hashes`.

    One buffer, as small as it can be: a text is kept while its pairs come, so its memory is
    mostly out of cache when it is made and again when it is freed, and each array costs an
    allocation, a Python object and a free there. All parts but the hashes are int32 (a text
    has far fewer than 2**31 words), and the table holds numbers only (the hashes are in `keys`
    once each). Each part has room for one per n-gram, at places known before the n-grams are
    counted; the room left unused is never touched."""
    hashes = shingle_hashes(ids, size)
    count = len(hashes)
    masked = np.zeros(count, dtype=np.bool_)
    masked_total = 0
    run = 0
    for k in range(len(mask)):
        run = run + 1 if mask[k] else 0
        if run >= size and k - size + 1 < count:
            masked[k - size + 1] = True
            masked_total += 1
    table = 2
    while table < 2 * count:
        table *= 2
    words = max(table // 8, 1)
    # The parts as `_gram_parts` finds them, each with room for one per n-gram (slots, order,
    # anchors and first: int32s after the uint64 parts).
    grams = np.empty(_GRAM_HEADER + words + 2 * count + (table + 3 * count + 2) // 2, np.uint64)
    at = _GRAM_HEADER + words
    bits = grams[_GRAM_HEADER:at]
    anchor_hashes = grams[at : at + count]
    keys = grams[at + count : at + 2 * count]
    small = grams[at + 2 * count :].view(np.int32)
    slots = small[:table]
    order = small[table : table + count]
    anchors = small[table + count : table + 2 * count]
    first = small[table + 2 * count : table + 3 * count + 1]
    bits[:] = 0
    slots[:] = -1
    uses = np.zeros(count, dtype=np.int32)
    which = np.empty(count, dtype=np.int32)
    found = 0
    for k in range(count):
        key = np.uint64(1) if masked[k] else hashes[k]
        slot = np.int64(key & np.uint64(table - 1))
        number = slots[slot]
        while number >= 0 and keys[number] != key:
            slot = (slot + 1) & (table - 1)
            number = slots[slot]
        if number < 0:
            number = found
            slots[slot] = found
            keys[found] = key
            found += 1
            word, pattern = _filter_bits(key, words)
            bits[word] |= pattern
        which[k] = number
        uses[number] += 1
    first[0] = 0
    for m in range(found):
        first[m + 1] = first[m] + uses[m]
    filled = first[:found].copy()
    usable = 0
    for k in range(count):
        m = which[k]
        order[filled[m]] = k
        filled[m] += 1
        if masked[k]:
            continue
        # Counted among the source hashes: masked n-grams are 0 there, not 1.
        occurrences = uses[m]
        if hashes[k] == np.uint64(1):
            occurrences -= masked_total
        elif hashes[k] == np.uint64(0):
            occurrences += masked_total
        if occurrences <= most:
            anchors[usable] = k
            anchor_hashes[usable] = hashes[k]
            usable += 1
    grams[0], grams[1], grams[2], grams[3] = usable, table, found, count
    return grams


@_compiled(_MATCH_GRAMS)
def match_grams(source, target, most):
    """(i, j) rows of every source n-gram `anchors[k]` (hash `hashes[k]`) with every target
    n-gram of the same hash, where the target has it at most `most` times (`source` and
    `target`: the texts' n-gram buffers, see `text_grams`). The target's n-grams are `order`
    (n-gram starts by hash): distinct hashes (found through their filter `bits` and table of
    numbers `slots`, hash m being `keys[m]`), hash m's run at first[m]:first[m + 1]. Rows in
    source order, then in `order`."""
    anchors, hashes, _, _, _, _, _ = _gram_parts(source)
    _, _, bits, slots, keys, first, order = _gram_parts(target)
    # The hashes that may be the target's (their filter bits set), found without a branch:
    # most are not, and one load of the filter tells.
    kept = np.empty(len(hashes), dtype=np.int64)
    candidates = 0
    for k in range(len(hashes)):
        word, pattern = _filter_bits(hashes[k], len(bits))
        kept[candidates] = k
        candidates += (bits[word] & pattern) == pattern
    # Then each looked up in the table, in a loop of its own (its cache misses overlap).
    found_at = np.empty(candidates, dtype=np.int64)
    mask = np.uint64(len(slots) - 1)
    matched = total = 0
    for candidate in range(candidates):
        k = kept[candidate]
        slot = np.int64(hashes[k] & mask)
        found = slots[slot]
        while found >= 0 and keys[found] != hashes[k]:
            slot = (slot + 1) & (len(slots) - 1)
            found = slots[slot]
        if found >= 0:
            runs = first[found + 1] - first[found]
            if runs <= most:
                kept[matched], found_at[matched] = k, found
                matched += 1
                total += runs
    out = np.empty((total, 2), dtype=np.int64)
    row = 0
    for m in range(matched):
        found = found_at[m]
        for r in range(first[found], first[found + 1]):
            out[row, 0] = anchors[kept[m]]
            out[row, 1] = order[r]
            row += 1
    return out


# Up to this many items, sorting by insertion is several times faster than numba's sorts (which
# set up a stack or buffers on every call).
_FEW = 24


@_compiled()
def _sort_few(values, count):
    """Sort values[:count] in place."""
    if count > _FEW:
        values[:count] = values[:count][_stable_order(values[:count])]
        return
    for k in range(1, count):
        value = values[k]
        m = k
        while m > 0 and values[m - 1] > value:
            values[m] = values[m - 1]
            m -= 1
        values[m] = value


@_compiled()
def _stable_order(values):
    """np.argsort(values, kind="mergesort"): the order that sorts the values, ties in place."""
    order = np.empty(len(values), dtype=np.int64)
    _stable_order_into(values, order)
    return order


@_compiled()
def _stable_order_into(values, order):
    """`_stable_order(values)` written to order[: len(values)] (no array made for a few)."""
    count = len(values)
    if count > _FEW:
        order[:count] = np.argsort(values, kind="mergesort")
        return
    for k in range(count):
        m = k
        while m > 0 and values[order[m - 1]] > values[k]:
            order[m] = order[m - 1]
            m -= 1
        order[m] = k


@_compiled()
def _split_segment(seeds, members, start, end, axis, limit, parts, values, order):
    """Order members[start:end] by seeds[., axis] (stably) and cut it wherever consecutive
    values are more than `limit` apart: the cut positions go to `parts` (after `start`, up to
    `end`), and their number is returned. With no cut the members keep their order. `values`
    and `order` are scratch space of at least end - start items (no array made per call: the
    segments are mostly a few seeds)."""
    count = end - start
    for k in range(count):
        values[k] = seeds[members[start + k], axis]
    _stable_order_into(values[:count], order)
    cuts = 0
    for k in range(1, count):
        if values[order[k]] - values[order[k - 1]] > limit:
            parts[cuts] = start + k
            cuts += 1
    if cuts:
        for k in range(count):
            values[k] = members[start + order[k]]
        members[start:end] = values[:count]
    parts[cuts] = end
    return cuts


@_compiled(_CLUSTER)
def cluster_seeds(seeds, subset, limit, lowest, min_seeds, size):
    """align.cluster_seeds_plain's groups of the seeds `subset` (row numbers) in its order, each
    a slice of the returned members (row numbers): (members, starts, ends, ranges, covered,
    limit). Pending groups are disjoint slices of one array, each split in place and its parts
    pushed on a stack in order (the last popped first).

    While the seeds stay one whole group and `limit` is above `lowest`, they are clustered again
    with `limit` one less; the limit of the groups is returned. `ranges[k]` holds group k's
    lowest and highest seed in the source, then in the target; `covered[k]` how many source
    words its seeds cover, `size` words each."""
    count = len(subset)
    # One scratch array for the stacks and the segment sorts (the seeds are mostly a few).
    scratch = np.empty(7 * count + 3, dtype=np.int64)
    pending_start = scratch[: count + 1]
    pending_end = scratch[count + 1 : 2 * count + 2]
    done_start = scratch[2 * count + 2 : 3 * count + 2]
    done_end = scratch[3 * count + 2 : 4 * count + 2]
    parts = scratch[4 * count + 2 : 5 * count + 3]
    values = scratch[5 * count + 3 : 6 * count + 3]
    order = scratch[6 * count + 3 :]
    members = np.empty(count, dtype=np.int64)
    while True:
        members[:] = subset
        pending_start[0], pending_end[0] = 0, count
        pending = 1
        done = 0
        while pending:
            pending -= 1
            start, end = pending_start[pending], pending_end[pending]
            if end - start < min_seeds:
                continue
            cuts = _split_segment(seeds, members, start, end, 0, limit, parts, values, order)
            if cuts == 0:
                cuts = _split_segment(seeds, members, start, end, 1, limit, parts, values, order)
            if cuts == 0:
                done_start[done], done_end[done] = start, end
                done += 1
                continue
            for k in range(cuts + 1):
                pending_start[pending] = start if k == 0 else parts[k - 1]
                pending_end[pending] = parts[k]
                pending += 1
        if done == 1 and done_end[0] - done_start[0] == count and limit > lowest:
            limit -= 1
            continue
        break
    ranges = np.empty((done, 4), dtype=np.int64)
    covered = np.zeros(done, dtype=np.int64)
    for group in range(done):
        positions = values[: done_end[group] - done_start[group]]
        for k in range(len(positions)):
            positions[k] = seeds[members[done_start[group] + k], 0]
        _sort_few(positions, len(positions))
        for axis in range(2):
            low = high = seeds[members[done_start[group]], axis]
            for k in range(done_start[group] + 1, done_end[group]):
                value = seeds[members[k], axis]
                low, high = min(low, value), max(high, value)
            ranges[group, 2 * axis], ranges[group, 2 * axis + 1] = low, high
        for k in range(1, len(positions)):
            covered[group] += min(positions[k] - positions[k - 1], size)
        covered[group] += size
    return members, done_start[:done].copy(), done_end[:done].copy(), ranges, covered, limit


@_compiled()
def _range_weights(local, count, offsets, first, last, totals):
    """Add the stem counts of sentences first..last to `totals`."""
    for entry in range(offsets[first], offsets[last + 1]):
        totals[local[entry]] += count[entry]


@_compiled()
def _range_cosine(source, target, at, a, b, c, d):
    """The tf-idf cosine of source sentences a..b and target sentences c..d, each as one text,
    as align._range_cosine computes it but with its sums in another order (all their terms are
    positive, so it differs from that by a few parts in 1e16 at most; exactly 0.0 when either
    side has no weight). `source` and `target` are (local, count, offsets, idf, totals) with
    `totals` all zero, and left so."""
    local, count, offsets, idf, totals = source
    other_local, other_count, other_offsets, other_idf, other_totals = target
    _range_weights(local, count, offsets, a, b, totals)
    _range_weights(other_local, other_count, other_offsets, c, d, other_totals)
    dot = first = second = 0.0
    for entry in range(offsets[a], offsets[b + 1]):
        stem = local[entry]
        if totals[stem] == 0:
            continue  # seen already
        weight = totals[stem] * idf[stem]
        first += weight * weight
        other = at[stem]
        if other >= 0 and other_totals[other] > 0:
            dot += weight * (other_totals[other] * other_idf[other])
        totals[stem] = 0
    for entry in range(other_offsets[c], other_offsets[d + 1]):
        stem = other_local[entry]
        if other_totals[stem] == 0:
            continue
        weight = other_totals[stem] * other_idf[stem]
        second += weight * weight
        other_totals[stem] = 0
    norm = np.sqrt(first) * np.sqrt(second)
    return dot / norm if norm else 0.0


@_compiled(_VALIDATED)
def validated_clusters(
    seeds,
    gap,
    source_local,
    source_count,
    source_offsets,
    source_idf,
    source_at,
    target_local,
    target_count,
    target_offsets,
    target_idf,
    threshold,
    margin,
):
    """align._validated_clusters_plain's sentence ranges (a, b, c, d), in its order, and True;
    or False (and no ranges) as soon as a cosine it tests comes within `margin` of `threshold`,
    where its sums, added in another order than numpy's, might decide otherwise.

    The sentences' entries (int32 `local`, `count`, sentence k's at `offsets[k]:offsets[k + 1]`)
    and `idf` are each side's (align._SentenceSide); `source_at[k]` is source stem k's stem in
    the target (-1: none). Seeds that stay one group when clustered again with a smaller gap keep
    their ranges, so their cosine, and fail again: they are clustered again with the next
    smaller gap at once."""
    totals = np.zeros(len(source_idf) + len(target_idf), dtype=np.int64)  # one array for two
    source = (source_local, source_count, source_offsets, source_idf, totals[: len(source_idf)])
    target = (target_local, target_count, target_offsets, target_idf, totals[len(source_idf) :])
    members, starts, ends, bounds, _, _ = cluster_seeds(
        seeds, np.arange(len(seeds)), gap + 1, gap + 1, 1, 1
    )
    # Pending groups: their members are buffer[offset:offset + size]; with their ranges and gap.
    buffer = members
    used = len(members)
    pending = np.empty((len(starts) + 16, 7), dtype=np.int64)
    waiting = 0
    for group in range(len(starts)):
        pending[waiting, 0], pending[waiting, 1] = starts[group], ends[group] - starts[group]
        pending[waiting, 2:6] = bounds[group]
        pending[waiting, 6] = gap
        waiting += 1
    found = np.empty((4, 4), dtype=np.int64)
    kept = 0
    while waiting:
        waiting -= 1
        row = pending[waiting]
        offset, size, a, b, c, d, current = row[0], row[1], row[2], row[3], row[4], row[5], row[6]
        cosine = _range_cosine(source, target, source_at, a, b, c, d)
        if cosine != 0.0 and abs(cosine - threshold) <= margin:
            return found[:0].copy(), False
        if cosine >= threshold:
            if kept == len(found):
                found = np.concatenate((found, np.empty_like(found)))
            found[kept, 0], found[kept, 1], found[kept, 2], found[kept, 3] = a, b, c, d
            kept += 1
        elif current > 0 and size > 1:
            members, starts, ends, bounds, _, limit = cluster_seeds(
                seeds, buffer[offset : offset + size], current, 1, 1, 1
            )
            if len(starts) == 1:
                continue
            if used + len(members) > len(buffer):
                grown = np.empty(2 * (used + len(members)), dtype=np.int64)
                grown[:used] = buffer[:used]
                buffer = grown
            buffer[used : used + len(members)] = members
            if waiting + len(starts) > len(pending):
                more = np.empty((2 * (waiting + len(starts)), 7), dtype=np.int64)
                more[:waiting] = pending[:waiting]
                pending = more
            for group in range(len(starts)):
                pending[waiting, 0] = used + starts[group]
                pending[waiting, 1] = ends[group] - starts[group]
                pending[waiting, 2:6] = bounds[group]
                pending[waiting, 6] = limit - 1
                waiting += 1
            used += len(members)
    return found[:kept].copy(), True


# Stem ids of known words (align's and summary's tables): one open-addressing table.

_STEM_TABLE = (_U64, _I64, _BOOL)
_STEM_INSERT = [(*_STEM_TABLE, _U64, _I64)]


@_compiled()
def _slot(keys, filled, key):
    """The slot of `key` in an open-addressing table (linear probing), or the free slot where it
    would go."""
    mask = len(keys) - 1
    slot = np.int64(key & np.uint64(mask))
    while filled[slot] and keys[slot] != key:
        slot = (slot + 1) & mask
    return slot


@_compiled(_STEM_INSERT)
def stem_insert(keys, values, filled, ids, stems):
    """Put word ids (not in the table yet) with their stem ids into the table."""
    for k in range(len(ids)):
        slot = _slot(keys, filled, ids[k])
        keys[slot], values[slot], filled[slot] = ids[k], stems[k], True


_TOKEN_BOUNDS = [(points, _CLASSES) for points in _array(types.uint8) + _array(types.uint32)]


@_compiled(_TOKEN_BOUNDS)
def token_bounds(points, classes):
    """(starts, ends) of the tokens of one text of the Basic Multilingual Plane: `tokenize`'s,
    by the same scan without the ids (lineage places and counts words, it does not compare
    them)."""
    kinds = np.empty(len(points), dtype=np.uint8)
    for at in range(len(points)):
        kinds[at] = classes[points[at]]
    _leave_out_escapes(points, kinds)
    starts, ends, found = _token_spans(kinds)
    return starts[:found].copy(), ends[:found].copy()


_WORD_RUNS = [(points, _CLASSES) for points in _array(types.uint8) + _array(types.uint32)]


@_compiled(_WORD_RUNS)
def word_runs(points, word):
    """How many runs of word characters a text of the Basic Multilingual Plane has (`word[p]`
    is 1 for a word character): what `len(re.findall(r"\\w+", text))` counts."""
    runs = 0
    inside = False
    for at in range(len(points)):
        if word[points[at]]:
            if not inside:
                runs += 1
                inside = True
        else:
            inside = False
    return runs


# LSH buckets (index.lsh.bucket_pairs): which keys occur more than once.

_BAND_KEYS = [(signatures, types.int64, types.int64) for signatures in _array(types.uint32, 2)]


@_compiled(_BAND_KEYS)
def band_keys(signatures, bands, rows):
    """index.lsh.band_keys: one key per (window, band), the band's `rows` values folded in."""
    out = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    seeds = np.empty(bands, dtype=np.uint64)
    for band in range(bands):
        seeds[band] = _LENGTH_SALT * np.uint64(band + 1)
    # A row of every band at a time: the bands' chains of multiplications are independent, so
    # the processor runs them side by side (one band after another waits on each product).
    for window in range(signatures.shape[0]):
        keys = out[window]
        values = signatures[window]
        for band in range(bands):
            keys[band] = seeds[band]
        for row in range(rows):
            for band in range(bands):
                key = (keys[band] ^ np.uint64(values[band * rows + row])) * _HASH_BASE
                keys[band] = key ^ (key >> np.uint64(29))
    return out


# Quotation marks (lineage._QUOTED): does one hold a stretch of text?


@_compiled()
def next_quote(points, word, at, stop):
    """The first match of lineage._QUOTED that starts at `at` or after and before `stop`, as
    `finditer` finds it when it has looked at every position before `at` (from a match's end
    on), in a text of the Basic Multilingual Plane (`points`, its code points): (its start, the
    position after its end), or (-1, -1). `word[p]` is 1 for a word character (`\\w`). Each
    alternative of the pattern is an opening mark, 1 to 1500 characters without its closing
    marks or a newline, and a closing mark (single quotes: not after a word character, and
    their closing mark not before one); none can backtrack into a shorter match."""
    size = len(points)
    while at < stop and at < size:
        mark = np.int64(points[at])
        single = mark == 0x2018 or mark == 0x27
        if mark == 0x22 or mark == 0x27:
            close = other = mark
        elif mark == 0x201C:
            close = other = 0x201D
        elif mark == 0x201E:
            close, other = 0x201C, 0x201D
        elif mark == 0xAB:
            close = other = 0xBB
        elif mark == 0x2018:
            close = other = 0x2019
        else:
            at += 1
            continue
        if single and at > 0 and word[points[at - 1]]:
            at += 1
            continue
        limit = min(size, at + 1502)
        k = at + 1
        while k < limit and points[k] != close and points[k] != other and points[k] != 10:
            k += 1
        if (
            at + 1 < k < limit
            and points[k] != 10
            and not (single and k + 1 < size and word[points[k + 1]])
        ):
            return at, k + 1
        at += 1
    return -1, -1


_QUOTE_HOLDS = [
    (points, _CLASSES, types.int64, types.int64)
    for points in _array(types.uint8) + _array(types.uint32)
]


@_compiled(_QUOTE_HOLDS)
def quote_holds(points, word, start, end):
    """lineage._inside_quote_plain on a text of the Basic Multilingual Plane: whether one of
    the matches of lineage._QUOTED, found in order as `finditer` finds them (`next_quote`),
    starts at or before `start` and ends at or after `end`."""
    at = 0
    while True:
        first, after = next_quote(points, word, at, start + 1)
        if first < 0:
            return False
        if end <= after:
            return True
        at = after


_TABLE_LOOKUP = [(*_STEM_TABLE, ids) for ids in _array(types.uint64)]


@_compiled(_TABLE_LOOKUP)
def table_lookup(keys, values, filled, ids):
    """(values, found): each id's value in an open-addressing table (see `_slot`; 0 and False
    where the table does not hold it)."""
    out = np.zeros(len(ids), dtype=np.int64)
    found = np.zeros(len(ids), dtype=np.bool_)
    for k in range(len(ids)):
        slot = _slot(keys, filled, ids[k])
        if filled[slot]:
            out[k], found[k] = values[slot], True
    return out, found
