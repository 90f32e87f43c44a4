"""Compiled inner loops (numba) of lineage.py: casefolding a long text of the Basic Multilingual
Plane by a table, how much of a passage lies inside quotation marks, and the tokens of a stretch
of a text.

They compute exactly what the plain Python they replace computes, and tests compare the two
(`tests/test_lineage.py`). Compiled like `wiretrace._kernels` (for one signature, on first use,
the machine code cached on disk), but kept apart from it: its kernels need not be compiled again
when these change.
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import _compiled, _leave_out_escapes, _token_spans, next_quote

_FOLD_UNITS = [(types.Array(types.uint16, 1, "C", readonly=True), types.uint16[::1])]


@_compiled(_FOLD_UNITS)
def fold_units(units, folds):
    """A text's UTF-16 code units (`units`), each replaced by its casefolded character
    (`folds[unit]`, 0 where casefolding gives several characters, one outside the Basic
    Multilingual Plane, or the unit is a surrogate), and whether every unit had one: where one
    had none, the folded units are not the text's casefold."""
    out = np.empty(len(units), dtype=np.uint16)
    for at in range(len(units)):
        unit = units[at]
        folded = folds[unit]
        if folded == 0 and unit != 0:
            return out[:at], False
        out[at] = folded
    return out, True


_QUOTE_INSIDE = [
    (points, types.uint8[::1], types.int64, types.int64)
    for points in [
        types.Array(dtype, 1, "C", readonly=readonly)
        for dtype in (types.uint8, types.uint32)
        for readonly in (False, True)
    ]
]


@_compiled(_QUOTE_INSIDE)
def quote_inside(points, word, start, end):
    """How many characters of [start, end) lie inside the matches of lineage._QUOTED, found in
    order as `finditer` finds them (`_kernels.next_quote`), in a text of the Basic Multilingual
    Plane (`points`, its code points; `word[p]` is 1 for a word character), up to the first
    that starts at or after `end`."""
    inside = 0
    at = 0
    while True:
        first, after = next_quote(points, word, at, end)
        if first < 0:
            return inside
        inside += max(0, min(end, after) - max(start, first))
        at = after


_STRETCH_TOKENS = [
    (points, types.uint8[::1], types.int64)
    for points in [
        types.Array(dtype, 1, "C", readonly=readonly)
        for dtype in (types.uint8, types.uint32)
        for readonly in (False, True)
    ]
]


@_compiled(_STRETCH_TOKENS)
def stretch_tokens(points, classes, offset):
    """The starts and then the ends of the tokens of a stretch of a text (`points`, its code
    points; see `_kernels.token_bounds`), each moved by `offset` (where the stretch starts in
    the text), in one array (one array handed to Python costs less than two); None where a code
    point is outside the Basic Multilingual Plane (the plain tokenizer finds those tokens)."""
    kinds = np.empty(len(points), dtype=np.uint8)
    for at in range(len(points)):
        point = points[at]
        if point >= 0x10000:
            return None
        kinds[at] = classes[point]
    _leave_out_escapes(points, kinds)
    starts, ends, found = _token_spans(kinds)
    out = np.empty(2 * found, dtype=np.int64)
    for k in range(found):
        out[k] = starts[k] + offset
        out[found + k] = ends[k] + offset
    return out
