"""Compiled loops (numba) of the summary model: a pair's measures, and each word's rarity.

Most pairs `summary.find_summary` scores are far under its threshold. These loops make a pair's
measures in a few passes over the two texts, with each text's distinct words, content stems,
stem pairs and names in small hash tables made once per text (`text_side`); the numpy version
(`summary.summary_features`, the reference they are tested against) takes a hundred array
operations, sorts and set operations. Every measure made here is numpy's bit for bit but one, a
sum of rarities added in another order (it may differ in its last bits): for a pair that comes
near the threshold, numpy adds it again from the terms `other_stems` gives, and
`summary_window` finds the pair's target window. A text's word rarities (`rarities`, and those
a side is rated with) are numpy's bit for bit. A side is made (`text_side`) with its name marks,
from the text's code points as `shingle.code_points` gives them (one byte each for an ASCII
text), and only its names' words looked up in the background: most pairs are let go on the
measures it gives, and only a side in a pair that may reach the threshold is rated
(`rate_side`: each word looked up, for its rarity and the text's background coverage).

A text's side is three arrays, its indices (int32), ids (int64) and reals, each a header of
offsets followed by the parts named below (`_part`): three arrays cross into compiled code much
faster than thirty, and 32-bit indices keep a side small (it is kept while its text lives).

Compiled code is cached on disk as `_kernels`' is.
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import _compiled

# A pair of adjacent content stems (a, b) is known by the hash a * PAIR_FACTOR ^ b (uint64).
PAIR_FACTOR = np.uint64(1_000_003)
# Fibonacci hashing: a key's slot is the top bits of key * _GOLDEN (stem and word ids are hashes
# already, but a pair's hash keeps the low bits of its second stem).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

# A side's index parts (int32). Per word: its distinct word, its content stem (-1: none), its
# pair of content stems with the next word (-1: none; the last word has none). Per distinct word
# (in order of first use, as all distinct values): its uses and name (-1: none); the tables
# (`_index`) of the stems and pairs; per content stem: its uses; per name: its word, its
# uses as a name, and its uses' words (name j's at USED_AT[USE_STARTS[j]:USE_STARTS[j + 1]]);
# the most used names and a table of the names; per distinct word with a content stem (a word
# masked in one place and not in another has it once): its word, stem and first use. The parts
# whose lengths are known before the words are read come first (`_side` writes the indices in
# place).
(
    _WORD_AT,
    _STEM_AT,
    _PAIR_AT,
    _WORD_USES,
    _WORD_NAME,
    _STEM_SLOTS,
    _PAIR_SLOTS,
    _COUNTS,
    _NAME_WORD,
    _USES,
    _USE_STARTS,
    _USED_AT,
    _TOP,
    _NAME_SLOTS,
    _STEMMED_WORD,
    _STEMMED_STEM,
    _STEMMED_FIRST,
) = range(17)
# Its id parts (int64): the distinct words' ids, content stems' ids and pairs' hashes (int64
# bits), and the names' word ids.
_WORDS, _VOCABULARY, _PAIRS, _NAMES = range(4)
# Its real parts: each word's rarity, each name's rarity at its first use as a name.
_RARITY, _NAME_RARITY = range(2)

_I32, _I64, _F64, _BOOL = (
    types.int32[::1],
    types.int64[::1],
    types.float64[::1],
    types.bool_[::1],
)
# Word ids and stem ids come from the caller (read-only or not); `text_side` makes the arrays
# that `pair_features` takes.
# One signature each (writable C arrays: the callers make them so): every signature is compiled
# on a machine's first use.
_ZIPF_TABLE = types.uint64[:, ::1]
_ZIPF_INSERT = [(_ZIPF_TABLE, types.uint64[::1], _F64)]
_ZIPF_LOOKUP = [(_ZIPF_TABLE, types.uint64[::1])]
# A text's code points as `shingle.code_points` gives them (uint8 for an ASCII text, else
# uint32; read-only or not).
_POINTS = [
    types.Array(dtype, 1, "C", readonly=readonly)
    for dtype in (types.uint8, types.uint32)
    for readonly in (False, True)
]
_NAME_MARKS = [(points, _I64, _I64, _BOOL, _BOOL) for points in _POINTS]
_TEXT_SIDE = [
    (
        types.uint64[::1],
        _I64,
        points,
        _I64,
        _I64,
        _BOOL,
        _BOOL,
        _BOOL,
        _ZIPF_TABLE,
        types.float64,
        types.int64,
    )
    for points in _POINTS
]
_SIDE = (_I32, _I64, _F64)
_PAIR_FEATURES = [
    (
        *_SIDE,
        *_SIDE,
        types.int64,
        types.int64,
        types.int64,
        types.int64,
        _F64,
        types.float64,
        types.float64,
    )
]
_PAIR_PARTS = [(_I32, _I64, _I32, _I64)]
_NAME_RARITIES = [(_F64, _I64, _F64, types.float64)]
_RATE_SIDE = [(*_SIDE, _ZIPF_TABLE, types.float64)]
_SUMMARY_WINDOW = [(_I32, _I64, _I32, _I64, types.int64)]
_RARITIES = [(types.uint64[::1], _ZIPF_TABLE, types.float64)]


@_compiled()
def _part(side, part):
    """Part `part` of a side's indices, ids or reals (the header holds each part's start)."""
    return side[np.int64(side[part]) : np.int64(side[part + 1])]


@_compiled()
def _copy_into(packed, at, part):
    """Copy `part` into `packed` from `at` on; where it ends there."""
    for k in range(len(part)):
        packed[at + k] = part[k]
    return at + len(part)


@_compiled()
def _home(key, mask):
    """The first slot probed for `key` (int64 bits) in a table of mask + 1 slots."""
    return np.int64(((np.uint64(key) * _GOLDEN) >> np.uint64(32)) & np.uint64(mask))


@_compiled()
def _index(slots, values, key):
    """The index in `values` of `key`, through `slots` (each slot an index in `values`, -1:
    free; linear probing), or -1 when `values` does not hold it."""
    mask = len(slots) - 1
    slot = _home(key, mask)
    while slots[slot] >= 0:
        if values[slots[slot]] == key:
            return slots[slot]
        slot = (slot + 1) & mask
    return -1


@_compiled()
def _probe(slots, values, key):
    """The slot of `key` in a table of indices in `values` (each slot an index, -1: free; linear
    probing from `_home`): the one holding it, or the free one where it goes."""
    mask = len(slots) - 1
    slot = _home(key, mask)
    while slots[slot] >= 0 and values[slots[slot]] != key:
        slot = (slot + 1) & mask
    return slot


@_compiled()
def _number(values):
    """(distinct, at): the distinct values in order of first use, and each value's number among
    them (in 32 bits, as a side keeps them)."""
    size = 4
    while size < 2 * len(values):
        size *= 2
    slots = np.full(size, -1, dtype=np.int32)
    distinct = np.empty(len(values), dtype=np.int64)
    at = np.empty(len(values), dtype=np.int32)
    found = 0
    for k in range(len(values)):
        slot = _probe(slots, distinct, values[k])
        if slots[slot] < 0:
            slots[slot] = found
            distinct[found] = values[k]
            found += 1
        at[k] = slots[slot]
    return distinct[:found].copy(), at


# The Zipf frequencies' table (summary._ZipfTable): open addressing (linear probing, a word id's
# first slot its low bits), each slot a word id and its frequency's float64 bits side by side
# (a lookup reads one cache line of a table of tens of megabytes, not one in each of three
# arrays), FREE in a free slot's second. FREE is a NaN: `zipf_insert` stores every NaN
# frequency as NAN, so no slot in use holds FREE.
FREE = np.uint64(0xFFFFFFFFFFFFFFFF)
NAN = np.uint64(0x7FF8000000000000)


@_compiled()
def _zipf_slot(table, key):
    """The slot of word id `key` in a Zipf table, or the free slot where it would go."""
    mask = len(table) - 1
    slot = np.int64(key & np.uint64(mask))
    while table[slot, 1] != FREE and table[slot, 0] != key:
        slot = (slot + 1) & mask
    return slot


@_compiled(_ZIPF_INSERT)
def zipf_insert(table, ids, zipfs):
    """Put word ids (not in the table yet) with their Zipf frequencies into a Zipf table."""
    bits = zipfs.view(np.uint64)
    for k in range(len(ids)):
        slot = _zipf_slot(table, ids[k])
        table[slot, 0] = ids[k]
        table[slot, 1] = NAN if np.isnan(zipfs[k]) else bits[k]


@_compiled(_ZIPF_LOOKUP)
def zipf_lookup(table, ids):
    """(zipfs, found): each word id's Zipf frequency in a Zipf table (0 and False where the
    table does not hold it)."""
    zipfs = np.zeros(len(ids), dtype=np.float64)
    found = np.zeros(len(ids), dtype=np.bool_)
    bits = zipfs.view(np.uint64)
    for k in range(len(ids)):
        slot = _zipf_slot(table, ids[k])
        if table[slot, 1] != FREE:
            bits[k], found[k] = table[slot, 1], True
    return zipfs, found


@_compiled()
def _zipfs(distinct, table):
    """(zipfs, missing): the Zipf frequency of each distinct word id (int64 bits) in a Zipf
    table, and the indices of those the table does not hold (their frequencies left unset)."""
    zipfs = np.empty(len(distinct), dtype=np.float64)
    bits = zipfs.view(np.uint64)
    missing = np.empty(len(distinct), dtype=np.int64)
    found = 0
    for word in range(len(distinct)):
        slot = _zipf_slot(table, np.uint64(distinct[word]))
        if table[slot, 1] != FREE:
            bits[word] = table[slot, 1]
        else:
            missing[found] = word
            found += 1
    return zipfs, missing[:found]


@_compiled()
def _firsts(word_at, size, words):
    """The first place of each of `words` (indices among `size` distinct words) among a text's
    words (`word_at`: each one's distinct word)."""
    firsts = np.full(size, -1, dtype=np.int64)
    for k in range(len(word_at) - 1, -1, -1):
        firsts[word_at[k]] = k
    return firsts[words]


@_compiled(_RARITIES)
def rarities(ids, table, cap):
    """(rarity, lettered, listed, missing): summary._rarities_plain's of a text's word ids,
    their Zipf frequencies in a Zipf table (each distinct id looked up once): each word's rarity (`cap` minus its frequency, 0 for a word at least
    that common or with no letter: a NaN frequency), how many words have a letter and how many
    of those the background lists; `missing` holds the first word of each id the table does not
    hold (nothing else is then meant), for the caller to add."""
    distinct, word_at = _number(ids.view(np.int64))
    zipfs, missing = _zipfs(distinct, table)
    if len(missing):
        return np.zeros(0, dtype=np.float64), 0, 0, _firsts(word_at, len(distinct), missing)
    rarity, lettered, listed = _rarity(word_at, zipfs, cap)
    return rarity, lettered, listed, missing


@_compiled()
def _rarity(word_at, zipfs, cap):
    """(rarity, lettered, listed) of `rarities` from each distinct word's Zipf frequency."""
    rarity = np.empty(len(word_at), dtype=np.float64)
    lettered, listed = _rarity_into(rarity, word_at, zipfs, cap)
    return rarity, lettered, listed


@_compiled()
def _rarity_into(rarity, word_at, zipfs, cap):
    """`_rarity`'s, its rarities written into `rarity`: (lettered, listed)."""
    lettered = listed = 0
    for k in range(len(word_at)):
        zipf = zipfs[word_at[k]]
        lettered += not np.isnan(zipf)
        listed += zipf > 0
        rarity[k] = _rarity_of(zipf, cap)
    return lettered, listed


@_compiled()
def _rarity_of(zipf, cap):
    """The rarity of a word of Zipf frequency `zipf`: `cap` minus it, 0 when that is not above
    0 (NaN too)."""
    return cap - zipf if cap - zipf > 0.0 else 0.0


@_compiled(_NAME_MARKS)
def name_marks(points, starts, ends, upper, openers):
    """(marks, decided): summary.name_marks of a text's words, `upper` and `openers` telling
    the basic plane's upper-case letters and sentence openers. `decided` is False when a word
    starts with a character past the basic plane (the caller decides then)."""
    return _name_marks(points, starts, ends, upper, openers)


@_compiled()
def _name_marks(points, starts, ends, upper, openers):
    """`name_marks`, for `text_side` to call."""
    count = len(starts)
    marks = np.zeros(count, dtype=np.bool_)
    for k in range(count):
        first = np.uint32(points[starts[k]])
        second = np.uint32(points[min(starts[k] + 1, len(points) - 1)])
        if first > 0xFFFF or (ends[k] - starts[k] > 1 and second > 0xFFFF):
            return marks, False
        if not upper[first] or (ends[k] - starts[k] > 1 and upper[second]):
            continue
        if k == 0:
            continue  # the first word opens the text
        opened = False
        for at in range(ends[k - 1], starts[k]):
            point = np.uint32(points[at])
            if point <= 0xFFFF and openers[point]:
                opened = True
                break
        marks[k] = not opened
    return marks, True


@_compiled(_TEXT_SIDE)
def text_side(ids, stems, points, starts, ends, upper, openers, marks, table, cap, top):
    """(indices, ids, reals, missing, firsts, decided): one text's side of a pair as
    `pair_features` takes it (the parts named above), not rated yet (`rate_side`: its `_RARITY`
    part empty), from its word ids, stem ids (-1: none), name marks (summary.name_marks; when
    none are given, an empty array, made here as `name_marks` makes them from the text's code
    points and words' starts and ends) and how many most used names to keep (the first used
    first among equals). Its names' rarities (`cap` as in `rarities`) are looked up in the Zipf
    table; `missing` holds the names whose word it does not hold (their rarities left for
    `name_rarities`) and `firsts` each one's word's first use, for the caller to add.

    No side is made (empty arrays) when the name marks are not decided here (`decided` False:
    the caller gives them)."""
    nothing = np.zeros(0, dtype=np.int64)
    if len(marks) != len(ids):
        marks, decided = _name_marks(points, starts, ends, upper, openers)
        if not decided:
            return np.zeros(0, dtype=np.int32), nothing, np.zeros(0), nothing, nothing, False
    words, word_at = _number(ids.view(np.int64))
    indices, side_ids, reals = _side(words, word_at, stems, marks, top)
    names, name_word = _part(side_ids, _NAMES), _part(indices, _NAME_WORD)
    name_rarity = _part(reals, _NAME_RARITY)
    zipfs, missing = _zipfs(names, table)
    for name in range(len(names)):
        # (The missing names' frequencies are not set: `name_rarities` writes theirs again.)
        name_rarity[name] = _rarity_of(zipfs[name], cap)
    if not len(missing):
        return indices, side_ids, reals, missing, nothing, True
    firsts = _firsts(word_at, len(words), name_word[missing].astype(np.int64))
    return indices, side_ids, reals, missing, firsts, True


@_compiled(_NAME_RARITIES)
def name_rarities(reals, names, zipfs, cap):
    """Write the rarities of a side's names `names` into its reals, from their words' Zipf
    frequencies `zipfs` (`cap` as in `rarities`)."""
    name_rarity = _part(reals, _NAME_RARITY)
    for k in range(len(names)):
        name_rarity[names[k]] = _rarity_of(zipfs[k], cap)


@_compiled(_RATE_SIDE)
def rate_side(indices, ids, reals, table, cap):
    """(reals, lettered, listed, missing): a side's reals with its `_RARITY` part (each word's
    rarity, `cap` as in `rarities`), from its words' Zipf frequencies in the Zipf table, and
    `rarities`' measures; `missing` holds the first use of each word the table does not hold
    (nothing else is then meant), for the caller to add."""
    words, word_at = _part(ids, _WORDS), _part(indices, _WORD_AT)
    zipfs, missing = _zipfs(words, table)
    if len(missing):
        return reals, 0, 0, _firsts(word_at, len(words), missing)
    count = len(word_at)
    name_rarity = _part(reals, _NAME_RARITY)
    rated = np.empty(_NAME_RARITY + 2 + count + len(name_rarity), dtype=np.float64)
    rated[_RARITY] = _NAME_RARITY + 2
    rated[_NAME_RARITY] = _NAME_RARITY + 2 + count
    rated[_NAME_RARITY + 1] = len(rated)
    lettered, listed = _rarity_into(
        rated[_NAME_RARITY + 2 : _NAME_RARITY + 2 + count], word_at, zipfs, cap
    )
    _copy_into(rated, _NAME_RARITY + 2 + count, name_rarity)
    return rated, lettered, listed, missing


@_compiled()
def _side(words, word_at, stems, marks, top):
    """`text_side`'s side (its names' rarities not written yet), from its distinct words, each
    word's among them, stem ids and name marks."""
    count = len(stems)
    # How many content words, pairs of content stems and name uses there are: each table's
    # size (a pass of its own: counted without a branch).
    contents = paired = marked = 0
    previous = False
    for k in range(count):
        content = stems[k] >= 0
        contents += content
        paired += previous & content
        previous = content
        marked += marks[k]
    size = 4
    while size < 2 * contents:
        size *= 2
    pair_size = 4
    while pair_size < 2 * paired:
        pair_size *= 2
    # The indices are written in place: the parts of known length first, then the others (at
    # most as long as their bounds here), each moved up behind the one before when made.
    header = _STEMMED_FIRST + 2
    bound = (
        header
        + 3 * count  # per word
        + 2 * len(words)  # per distinct word
        + size
        + pair_size
        + 4 * contents  # counts, and the three parts per distinct (word, stem)
        + (4 * marked + 1)  # names' words, uses, use starts and uses' words
        + min(top, marked)
        + (4 * marked + 4)  # the names' table (at most half full: under 4 slots a name)
    )
    indices = np.empty(bound, dtype=np.int32)
    at = header
    for part, length in (
        (_WORD_AT, count),
        (_STEM_AT, count),
        (_PAIR_AT, count),
        (_WORD_USES, len(words)),
        (_WORD_NAME, len(words)),
        (_STEM_SLOTS, size),
        (_PAIR_SLOTS, pair_size),
    ):
        indices[part] = at
        at += length
    indices[_COUNTS] = at
    _copy_into(indices, indices[_WORD_AT], word_at)
    stem_at = indices[indices[_STEM_AT] : indices[_STEM_AT] + count]
    pair_at = indices[indices[_PAIR_AT] : indices[_PAIR_AT] + count]
    word_uses = indices[indices[_WORD_USES] : indices[_WORD_USES] + len(words)]
    word_name = indices[indices[_WORD_NAME] : indices[_WORD_NAME] + len(words)]
    slots = indices[indices[_STEM_SLOTS] : indices[_STEM_SLOTS] + size]
    pair_slots = indices[indices[_PAIR_SLOTS] : indices[_PAIR_SLOTS] + pair_size]
    counts = indices[indices[_COUNTS] : indices[_COUNTS] + contents]
    word_uses[:] = 0
    word_name[:] = -1
    slots[:] = -1
    pair_slots[:] = -1
    counts[:] = 0
    # A word's content stem is its stem whenever it is not left out (masked words have none):
    # each word's first stem is numbered once and its later uses take that number, other stems
    # are looked up (numbered in order of first use all the same).
    vocabulary = np.empty(contents, dtype=np.int64)
    known = 0
    word_stem = np.full(len(words), -1, dtype=np.int32)
    # The distinct (word, stem) of content words in order of first use with each one's first
    # word: each word's first stem here, numbered again below if a word has another.
    stemmed_word = np.empty(contents, dtype=np.int32)
    stemmed_stem = np.empty(contents, dtype=np.int32)
    stemmed_first = np.empty(contents, dtype=np.int32)
    stemmed = 0
    single = True
    # Each pair of adjacent content stems (by its hash), numbered at its first word.
    pairs = np.empty(paired, dtype=np.int64)
    pairs_known = 0
    name_word = np.empty(marked, dtype=np.int32)
    uses = np.zeros(marked, dtype=np.int32)
    # Each name use's word and name, in order.
    use_word = np.empty(marked, dtype=np.int32)
    use_name = np.empty(marked, dtype=np.int32)
    named = used = 0
    last = np.int64(-1)  # the previous word's stem id (-1: none)
    for k in range(count):
        word = word_at[k]
        word_uses[word] += 1
        value = stems[k]
        pair_at[k] = -1
        stem = np.int32(-1)
        if value >= 0:
            stem = word_stem[word]
            if stem < 0 or vocabulary[stem] != value:
                slot = _probe(slots, vocabulary, value)
                if slots[slot] < 0:
                    slots[slot] = known
                    vocabulary[known] = value
                    known += 1
                if stem < 0:
                    word_stem[word] = slots[slot]
                    stemmed_word[stemmed], stemmed_stem[stemmed] = word, slots[slot]
                    stemmed_first[stemmed] = k
                    stemmed += 1
                else:
                    single = False
                stem = slots[slot]
            counts[stem] += 1
            if last >= 0:
                key = np.int64((np.uint64(last) * PAIR_FACTOR) ^ np.uint64(value))
                slot = _probe(pair_slots, pairs, key)
                if pair_slots[slot] < 0:
                    pair_slots[slot] = pairs_known
                    pairs[pairs_known] = key
                    pairs_known += 1
                pair_at[k - 1] = pair_slots[slot]
        stem_at[k] = stem
        last = value
        if marks[k]:
            name = word_name[word]
            if name < 0:
                name = word_name[word] = named
                name_word[named] = word
                named += 1
            uses[name] += 1
            use_word[used], use_name[used] = k, name
            used += 1
    if not single:
        content = np.flatnonzero(stems >= 0)
        keys = np.empty(len(content), dtype=np.int64)
        for j in range(len(content)):
            keys[j] = np.int64(word_at[content[j]]) * known + stem_at[content[j]]
        keys, stemmed_at = _number(keys)
        stemmed = len(keys)
        for j in range(stemmed):
            stemmed_word[j] = keys[j] // known
            stemmed_stem[j] = keys[j] % known
        for j in range(len(content) - 1, -1, -1):
            stemmed_first[stemmed_at[j]] = content[j]
    at = indices[_COUNTS] + known
    indices[_NAME_WORD] = at
    at = _copy_into(indices, at, name_word[:named])
    indices[_USES] = at
    at = _copy_into(indices, at, uses[:named])
    # Each name's uses (in order) from its first.
    indices[_USE_STARTS] = at
    filled = np.empty(named, dtype=np.int64)
    total = 0
    for name in range(named):
        indices[at + name] = total
        filled[name] = total
        total += uses[name]
    indices[at + named] = total
    at += named + 1
    indices[_USED_AT] = at
    for use in range(used):
        name = use_name[use]
        indices[at + filled[name]] = use_word[use]
        filled[name] += 1
    at += used
    # The most used names. Names are numbered in order of first use: among equals, the lower
    # number comes first.
    indices[_TOP] = at
    taken = np.zeros(named, dtype=np.bool_)
    for _ in range(min(top, named)):
        best = -1
        for name in range(named):
            if not taken[name] and (best < 0 or uses[name] > uses[best]):
                best = name
        taken[best] = True
        indices[at] = best
        at += 1
    # The names' table (at most half full, as `_index` reads it: the names are distinct words).
    indices[_NAME_SLOTS] = at
    name_size = 4
    while name_size < 2 * named:
        name_size *= 2
    name_slots = indices[at : at + name_size]
    name_slots[:] = -1
    for name in range(named):
        slot = _home(words[name_word[name]], name_size - 1)
        while name_slots[slot] >= 0:
            slot = (slot + 1) & (name_size - 1)
        name_slots[slot] = name
    at += name_size
    indices[_STEMMED_WORD] = at
    at = _copy_into(indices, at, stemmed_word[:stemmed])
    indices[_STEMMED_STEM] = at
    at = _copy_into(indices, at, stemmed_stem[:stemmed])
    indices[_STEMMED_FIRST] = at
    end = _copy_into(indices, at, stemmed_first[:stemmed])
    indices[_STEMMED_FIRST + 1] = end
    # Not rated: no rarity part, the names' rarities for `text_side` to write.
    reals = np.empty(_NAME_RARITY + 2 + named, dtype=np.float64)
    reals[_RARITY] = reals[_NAME_RARITY] = _NAME_RARITY + 2
    reals[_NAME_RARITY + 1] = len(reals)
    ids = np.empty(_NAMES + 2 + len(words) + known + pairs_known + named, dtype=np.int64)
    at = _NAMES + 2
    ids[_WORDS] = at
    at = _copy_into(ids, at, words)
    ids[_VOCABULARY] = at
    at = _copy_into(ids, at, vocabulary[:known])
    ids[_PAIRS] = at
    at = _copy_into(ids, at, pairs[:pairs_known])
    ids[_NAMES] = at
    for name in range(named):
        ids[at + name] = words[name_word[name]]
    ids[_NAMES + 1] = at + named
    return indices[:end], ids, reals


@_compiled()
def _norm(counts):
    """The length of a vector of counts."""
    total = 0.0
    for value in counts:
        total += float(value) * float(value)
    return np.sqrt(total)


@_compiled()
def _match(values, slots, other_values, other_slots):
    """(at, other_at): where each of two sets of distinct values (each with its table) has
    each value in the other (-1: nowhere), the smaller set looked up in the larger."""
    at = np.full(len(values), -1, dtype=np.int64)
    other_at = np.full(len(other_values), -1, dtype=np.int64)
    if len(values) <= len(other_values):
        for k in range(len(values)):
            m = _index(other_slots, other_values, values[k])
            if m >= 0:
                at[k], other_at[m] = m, k
    else:
        for m in range(len(other_values)):
            k = _index(slots, values, other_values[m])
            if k >= 0:
                at[k], other_at[m] = m, k
    return at, other_at


@_compiled()
def _other_stems(side, named, vocabulary_size):
    """Whether each of a text's content stems is one of its other content stems (a word that is
    a name in either text, `named` of its word, left out), and each one's first word."""
    other = np.zeros(vocabulary_size, dtype=np.bool_)
    first = np.full(vocabulary_size, np.iinfo(np.int64).max, dtype=np.int64)
    words, stems = _part(side, _STEMMED_WORD), _part(side, _STEMMED_STEM)
    firsts = _part(side, _STEMMED_FIRST)
    for k in range(len(words)):
        if not named[words[k]]:
            other[stems[k]] = True
            first[stems[k]] = min(first[stems[k]], firsts[k])
    return other, first


@_compiled()
def _named(side, ids, other, other_ids):
    """Whether each distinct word of a text is a name in it or in the other text (looked up in
    the other text's table of names). Only a word with a content stem is looked up, the only
    words asked about: another is told only whether it is a name in this text."""
    named = _part(side, _WORD_NAME) >= 0
    words, stemmed = _part(ids, _WORDS), _part(side, _STEMMED_WORD)
    other_names, other_slots = _part(other_ids, _NAMES), _part(other, _NAME_SLOTS)
    if len(other_names):
        for k in range(len(stemmed)):
            word = stemmed[k]
            if not named[word] and _index(other_slots, other_names, words[word]) >= 0:
                named[word] = True
    return named


@_compiled()
def _others(source, source_ids, target, target_ids):
    """(source_named, target_named, source_other, target_other, target_first): whether each
    distinct word of either text with a content stem is a name in either text (`_named`),
    whether each content stem of either is one of its other content stems (`_other_stems`), and
    the first word of each of the target's."""
    source_named = _named(source, source_ids, target, target_ids)
    target_named = _named(target, target_ids, source, source_ids)
    source_other = _other_stems(source, source_named, len(_part(source_ids, _VOCABULARY)))[0]
    target_other, target_first = _other_stems(
        target, target_named, len(_part(target_ids, _VOCABULARY))
    )
    return source_named, target_named, source_other, target_other, target_first


@_compiled(_PAIR_PARTS)
def other_stems(source, source_ids, target, target_ids):
    """(stems, firsts, shared): the target's other content stems (a word that is a name in
    either text left out) as their stem ids, in no set order, with each one's first word and
    whether the source has it among its own other content stems; from the two texts' sides
    (`text_side`)."""
    source_vocabulary, target_vocabulary = (
        _part(source_ids, _VOCABULARY),
        _part(target_ids, _VOCABULARY),
    )
    target_match = _match(
        source_vocabulary,
        _part(source, _STEM_SLOTS),
        target_vocabulary,
        _part(target, _STEM_SLOTS),
    )[1]
    _, _, source_other, target_other, target_first = _others(source, source_ids, target, target_ids)
    stems = np.empty(len(target_vocabulary), dtype=np.int64)
    firsts = np.empty(len(target_vocabulary), dtype=np.int64)
    shared = np.empty(len(target_vocabulary), dtype=np.bool_)
    found = 0
    for m in range(len(target_vocabulary)):
        if target_other[m]:
            stems[found], firsts[found] = target_vocabulary[m], target_first[m]
            shared[found] = target_match[m] >= 0 and source_other[target_match[m]]
            found += 1
    return stems[:found], firsts[:found], shared[:found]


@_compiled()
def _pairs_in_source(source, source_ids, target, target_ids):
    """Each of the target's distinct pairs of content stems' place among the source's (-1:
    the source has no such pair), from the two texts' sides."""
    return _match(
        _part(target_ids, _PAIRS),
        _part(target, _PAIR_SLOTS),
        _part(source_ids, _PAIRS),
        _part(source, _PAIR_SLOTS),
    )[0]


@_compiled(_SUMMARY_WINDOW)
def summary_window(source, source_ids, target, target_ids, window):
    """(start, end): summary._text_measures' target window of a pair in words, from the two
    texts' sides (`text_side`): the `window` words holding the most target pairs of content
    stems the source has (the first such), trimmed to its first and last such pair; when the
    source has none, the same with target content words whose stem the source has."""
    target_pair_at = _part(target, _PAIR_AT)
    count = len(target_pair_at)
    pair_in_source = _pairs_in_source(source, source_ids, target, target_ids)
    marked = np.zeros(max(0, count - 1), dtype=np.bool_)
    found = False
    for k in range(count - 1):
        pair = target_pair_at[k]
        marked[k] = pair >= 0 and pair_in_source[pair] >= 0
        found |= marked[k]
    width = 2
    if not found:
        stem_in_source = _match(
            _part(target_ids, _VOCABULARY),
            _part(target, _STEM_SLOTS),
            _part(source_ids, _VOCABULARY),
            _part(source, _STEM_SLOTS),
        )[0]
        target_stem_at = _part(target, _STEM_AT)
        marked = np.zeros(count, dtype=np.bool_)
        for k in range(count):
            stem = target_stem_at[k]
            marked[k] = stem >= 0 and stem_in_source[stem] >= 0
        width = 1
    # The first window holding the most marked words (numpy's argmax: the first of equals).
    start = 0
    if len(marked) > window:
        running = 0
        for k in range(window):
            running += marked[k]
        best = running
        for at in range(1, len(marked) - window + 1):
            running += np.int64(marked[at + window - 1]) - np.int64(marked[at - 1])
            if running > best:
                best, start = running, at
    first = last = -1
    for k in range(start, min(start + window, len(marked))):
        if marked[k]:
            if first < 0:
                first = k
            last = k
    return (first, last + width) if first >= 0 else (start, start)


# What `pair_features` made of a pair.
LET_GO, WHOLE, UNRATED = 0, 1, 2


@_compiled()
def _score(features, weights, bias):
    """The model's linear score of `features` (`weights`, `bias`: the model's)."""
    total = bias
    for k in range(len(features)):
        total += weights[k] * features[k]
    return total


@_compiled()
def _favoured(weight, low, high):
    """Of a measure's least and greatest values, the one that makes the score highest."""
    return high if weight > 0.0 else low


@_compiled(_PAIR_FEATURES)
def pair_features(
    source,
    source_ids,
    source_reals,
    target,
    target_ids,
    target_reals,
    window,
    prior,
    radius,
    agreement,
    weights,
    bias,
    floor,
):
    """(features, made): summary.summary_features' measures of a pair (in SUMMARY_FEATURES
    order) from the two texts' sides (`text_side`); `window`, `prior`, `radius` and `agreement`
    are SUMMARY_WINDOW, NAME_PRIOR, CONTEXT_RADIUS and CONTEXT_AGREEMENT. `made` is WHOLE when
    all are made.

    The costliest measures are made last: as soon as the model's score (`weights`, `bias`),
    added here, cannot reach `floor` whatever they turn out to be, the pair is let go (`made`
    LET_GO; the measures not made yet hold values as high as the score can take from them).
    A target side not rated yet (`rate_side`) gives all but its rarities' measures: a pair
    that may reach `floor` then stops there (`made` UNRATED).
    """
    features = np.empty(14, dtype=np.float64)
    source_vocabulary, target_vocabulary = (
        _part(source_ids, _VOCABULARY),
        _part(target_ids, _VOCABULARY),
    )
    source_counts, target_counts = _part(source, _COUNTS), _part(target, _COUNTS)
    # The content stems both texts have: `source_match[k]` is source stem k's target stem (-1:
    # none), and the same from the target.
    source_match, target_match = _match(
        source_vocabulary,
        _part(source, _STEM_SLOTS),
        target_vocabulary,
        _part(target, _STEM_SLOTS),
    )
    shared = shared_words = once = 0
    dot = 0.0
    for m in range(len(target_vocabulary)):
        k = target_match[m]
        if k >= 0:
            shared += 1
            shared_words += target_counts[m]
            once += target_counts[m] == 1
            dot += float(source_counts[k]) * float(target_counts[m])
    norms = _norm(source_counts) * _norm(target_counts)
    features[0] = shared_words / max(1, target_counts.sum()) - shared / max(
        1, len(target_vocabulary)
    )
    features[2] = dot / norms if norms else 0.0
    features[4] = np.log1p(once)
    target_pair_at = _part(target, _PAIR_AT)
    count = len(target_pair_at)
    features[5] = window / max(window, count)

    # The most pairs the source has among `window` adjacent pairs of target words.
    pair_in_source = _pairs_in_source(source, source_ids, target, target_ids)
    # Whether the source has each target pair, at the pair's number + 1 (0: no pair), so that
    # a word counts without a branch: which words have a pair is as good as random.
    in_source_at = np.zeros(len(pair_in_source) + 1, dtype=np.int64)
    for pair in range(len(pair_in_source)):
        in_source_at[pair + 1] = pair_in_source[pair] >= 0
    running = inside = 0
    for k in range(count - 1):
        running += in_source_at[target_pair_at[k] + 1]
        if k >= window:
            running -= in_source_at[target_pair_at[k - window] + 1]
        if k >= window - 1 or k == count - 2:
            inside = max(inside, running)
    features[1] = np.log1p(inside)

    # The names both texts have: `in_source[m]` is target name m's source name (-1: none),
    # looked up in the source's table of names.
    source_names, target_names = _part(source_ids, _NAMES), _part(target_ids, _NAMES)
    source_uses, target_uses = _part(source, _USES), _part(target, _USES)
    target_name_rarity = _part(target_reals, _NAME_RARITY)
    in_source = np.full(len(target_names), -1, dtype=np.int64)
    names = once_named = source_shared_uses = target_shared_uses = 0
    rarest = 0.0
    for m in range(len(target_names)):
        k = _index(_part(source, _NAME_SLOTS), source_names, target_names[m])
        if k < 0:
            continue
        in_source[m] = k
        names += 1
        once_named += target_uses[m] == 1
        rarest = max(rarest, target_name_rarity[m])
        source_shared_uses += source_uses[k]
        target_shared_uses += target_uses[m]
    features[3] = once_named / (names + prior)
    target_top = _part(target, _TOP)
    top_found = 0
    for k in range(len(target_top)):
        top_found += in_source[target_top[k]] >= 0
    features[10] = top_found / len(target_top) if len(target_top) else 0.0
    features[11] = source_shared_uses / max(1, source_uses.sum()) - target_shared_uses / max(
        1, target_uses.sum()
    )
    features[12] = rarest

    # The shared names' uses in the target as any word.
    target_word_uses, target_name_word = _part(target, _WORD_USES), _part(target, _NAME_WORD)
    once_any = any_uses = 0
    for m in range(len(target_names)):
        if in_source[m] >= 0:
            once_any += target_word_uses[target_name_word[m]] == 1
            any_uses += target_word_uses[target_name_word[m]]
    features[6] = np.log1p(once_any)
    features[7] = np.log(max(1.0, any_uses / names)) if names else 0.0

    # Not made yet: features 8 (names' share minus the other stems' share, a share in [0, 1]),
    # 9 (at most one agreement per shared name) and 13 (a share).
    name_share = names / (len(target_names) + prior)
    features[8] = _favoured(weights[8], name_share - 1.0, name_share)
    features[9] = _favoured(weights[9], 0.0, np.log1p(names))
    features[13] = _favoured(weights[13], 0.0, 1.0)
    if _score(features, weights, bias) < floor:
        return features, LET_GO

    # The other content stems (looked up only now: most pairs are let go before), and how rare
    # the target's are (at each one's first word; only once rated: most pairs are let go on
    # the other measures).
    source_named, target_named, source_other, target_other, target_first = _others(
        source, source_ids, target, target_ids
    )
    others = other_shared = 0
    for m in range(len(target_vocabulary)):
        if target_other[m]:
            others += 1
            other_shared += target_match[m] >= 0 and source_other[target_match[m]]
    features[8] = name_share - other_shared / max(1, others)
    if _score(features, weights, bias) < floor:
        return features, LET_GO
    target_rarity = _part(target_reals, _RARITY)
    if len(target_rarity) != count:
        return features, UNRATED
    shared_rarity = total_rarity = 0.0
    for m in range(len(target_vocabulary)):
        if not target_other[m]:
            continue
        rarity = target_rarity[target_first[m]]
        total_rarity += rarity
        if target_match[m] >= 0 and source_other[target_match[m]]:
            shared_rarity += rarity
    features[13] = shared_rarity / max(1e-9, total_rarity)
    if _score(features, weights, bias) < floor:
        return features, LET_GO

    # Shared names whose contexts (the other stems within `radius` words of their uses as names)
    # in the two texts share `agreement` stems: each name's target context stems are stamped
    # with its target number, then its source context stems found stamped are counted (and
    # unstamped).
    stamp = np.full(len(target_vocabulary), -1, dtype=np.int64)
    source_starts, source_used_at = _part(source, _USE_STARTS), _part(source, _USED_AT)
    target_starts, target_used_at = _part(target, _USE_STARTS), _part(target, _USED_AT)
    source_word_at, source_stem_at = _part(source, _WORD_AT), _part(source, _STEM_AT)
    target_word_at, target_stem_at = _part(target, _WORD_AT), _part(target, _STEM_AT)
    agreeing = 0
    for m in range(len(target_names)):
        name = in_source[m]
        if name < 0:
            continue
        for use in range(target_starts[m], target_starts[m + 1]):
            k = target_used_at[use]
            for near in range(max(0, k - radius), min(count - 1, k + radius) + 1):
                stem = target_stem_at[near]
                if stem >= 0 and not target_named[target_word_at[near]]:
                    stamp[stem] = m
        common = 0
        for use in range(source_starts[name], source_starts[name + 1]):
            k = source_used_at[use]
            for near in range(max(0, k - radius), min(len(source_stem_at) - 1, k + radius) + 1):
                stem = source_stem_at[near]
                if stem < 0 or source_named[source_word_at[near]]:
                    continue
                key = source_match[stem]
                if key >= 0 and stamp[key] == m:
                    stamp[key] = -1
                    common += 1
        agreeing += common >= agreement
    features[9] = np.log1p(agreeing)
    return features, WHOLE
