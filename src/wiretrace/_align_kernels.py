"""Compiled inner loops (numba) of align.py's sentence seeds: a text's content stems and its
sentences as bags of stems, and a pair's sentence seeds, each in one call.

They compute exactly what align.py's plain numpy references compute, and tests compare the two
(`tests/test_align.py`). Compiled like `wiretrace._kernels` (eagerly, for C-ordered arrays, the
machine code cached on disk), but kept apart from it: its kernels need not be compiled again
when these change.
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import (
    _HASH_BASE,
    _LENGTH_SALT,
    _array,
    _compiled,
    _mix64,
    _slot,
)

_I64, _U64, _F64, _BOOL = types.int64[::1], types.uint64[::1], types.float64[::1], types.bool_[::1]
_TEXT_SENTENCES = [
    (points, types.uint8[::1], _I64, _I64, _U64, _U64, _U64, _U64, types.int64, _U64, _I64, _BOOL)
    + (_U64,)
    + (types.int64,) * 3
    for points in _array(types.uint8) + _array(types.uint32)
]
_SENTENCE_ENTRIES = [(_I64, _I64)]
_SENTENCE_SEEDS = [(_I64, _BOOL, _I64, _BOOL, _F64, types.float64)]
_BOILERPLATE_SENTENCES = [(mask, _I64) for mask in _array(types.bool_)]

# Stems are hashed as `_kernels.tokenize` hashes tokens (a polynomial of the normalized code
# points in _HASH_BASE, salted with the length by _LENGTH_SALT, mixed by `_mix64`).
_BASIC_PLANE = 0x10000


@_compiled()
def _sentence_starts(points, kinds, token_starts, token_ends, min_words, max_words):
    """align.split_sentences_plain: the word index where each sentence starts. Only the gaps
    between words are read: a mark inside a word ("3.5", "U.S.") or before the first or after
    the last word is no boundary, and several marks in one gap are one. `kinds` are the basic
    plane's sentence mark kinds (align._MARK_KIND: 1 end punctuation, 2 blank, 3 newline); a
    blank line is two newlines with nothing but blanks between them."""
    count = len(token_starts)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    sentences = np.empty(count, dtype=np.int64)
    sentences[0] = 0
    found = 1
    for k in range(1, count):
        if k - sentences[found - 1] < min_words:
            continue  # a mark here would start too short a sentence
        blank = False  # whether only blanks came since the last newline of the gap
        for position in range(token_ends[k - 1], token_starts[k]):
            kind = kinds[min(points[position], 0xFFFF)]
            if kind == 1 or (kind == 3 and blank):
                sentences[found] = k
                found += 1
                break
            if kind != 2:
                blank = kind == 3
    if count - sentences[found - 1] < min_words and found > 1:
        found -= 1
    total = 0
    for k in range(found):
        last = sentences[k + 1] if k + 1 < found else count
        total += (last - sentences[k] + max_words - 1) // max_words
    out = np.empty(total, dtype=np.int64)
    at = 0
    for k in range(found):
        last = sentences[k + 1] if k + 1 < found else count
        for first in range(sentences[k], last, max_words):
            out[at] = first
            at += 1
    return out


# The stop table's ids are multiplied by this (odd: no two ids give one product) before their
# slot is taken from the product's bits (see align._stop_table). Of the odd multiples of 2**64
# over the golden ratio, the first that parts the stop words' ids in 1,024 slots (8 KB).
STOP_MULTIPLIER = 0xD5B13338C9C69115


@_compiled()
def _stem_ids(
    ids,
    token_starts,
    token_ends,
    points,
    codes,
    stem_codes,
    stop_keys,
    stop_shift,
    keys,
    values,
    filled,
    recent,
    letters,
):
    """(stem ids, missing) of the words of a text (align._stem_ids): -1 for a stop word (its id
    in the stop table: align._stop_table's `stop_keys` and `stop_shift`, of the id times
    STOP_MULTIPLIER); for a word whose
    characters each have a simple normal form (`codes`, shingle's table: the one code point a
    basic-plane character normalizes to inside any word, 0 for none), the `token_id` of its
    first `letters` normalized characters, halved, hashed
    here as the tokenizer hashes a word (`stem_codes`: each character's code normalized twice,
    as token_id normalizes the normalized stem again, 0 where either is not simple); else the
    stem id the table (`keys`, `values`, `filled`) holds for the word id, and `missing` marks
    the words not in it (their stem ids are still to be made).

    A word's stem id depends on its id alone (the id hashes the normalized word, the stem is
    made from it), so the stem ids found are also kept in `recent` (align._RECENT_STEMS: word id
    and stem id side by side at the slot of the id's low bits, the last word seen there kept),
    which is looked in first: most words of a text are common words met in earlier texts, and
    one load of a slot takes fewer unpredictable branches than the stop table and the stem."""
    out = np.empty(len(ids), dtype=np.int64)
    missing = np.zeros(len(ids), dtype=np.bool_)
    stop_mask = np.uint64(len(stop_keys) - 1)
    recent_mask = np.uint64(len(recent) // 2 - 1)
    recent_stems = recent.view(np.int64)
    for k in range(len(ids)):
        word = ids[k]
        at = 2 * np.int64(word & recent_mask)
        if recent[at] == word:
            out[k] = recent_stems[at + 1]
            continue
        slot = ((word * np.uint64(STOP_MULTIPLIER)) >> np.uint64(stop_shift)) & stop_mask
        if stop_keys[np.int64(slot)] == word:
            out[k] = recent_stems[at + 1] = -1
            recent[at] = word
            continue
        start, end = token_starts[k], token_ends[k]
        stem_end = min(end, start + letters)
        total = np.uint64(0)
        power = np.uint64(1)
        simple = True
        # The stem's characters, then the rest (only checked): two loops, no test of the
        # position inside them.
        for position in range(start, stem_end):
            point = points[position]
            code = stem_codes[point] if point < _BASIC_PLANE else np.uint64(0)
            if code == 0:
                simple = False
                break
            total += code * power
            power *= _HASH_BASE
        if simple:
            for position in range(stem_end, end):
                point = points[position]
                if point >= _BASIC_PLANE or codes[point] == 0:
                    simple = False
                    break
        if simple:
            length = np.uint64(stem_end - start)
            out[k] = recent_stems[at + 1] = np.int64(
                _mix64(total + length * _LENGTH_SALT) >> np.uint64(1)
            )
            recent[at] = word
            continue
        slot = _slot(keys, filled, word)
        if filled[slot]:
            out[k] = recent_stems[at + 1] = values[slot]
            recent[at] = word
        else:
            missing[k] = True
    return out, missing


@_compiled()
def _unpack(packed):
    """The arrays packed by `sentence_entries` (views): (terms, offsets, stems, frequency,
    stem_offsets, sentence, sentence_local, sentence_count), all int32 but the stems."""
    sentences, stems, entries = packed[0], packed[1], packed[2]
    small = packed[3 + stems :].view(np.int32)
    offsets = sentences
    frequency = offsets + sentences + 1
    stem_offsets = frequency + stems
    sentence = stem_offsets + stems + 1
    sentence_local = sentence + entries
    sentence_count = sentence_local + entries
    return (
        small[:offsets],
        small[offsets:frequency],
        packed[3 : 3 + stems],
        small[frequency:stem_offsets],
        small[stem_offsets:sentence],
        small[sentence:sentence_local],
        small[sentence_local:sentence_count],
        small[sentence_count : sentence_count + entries],
    )


@_compiled(_SENTENCE_ENTRIES)
def sentence_entries(stems, starts):
    """align.sentence_entries_plain without a general sort: one entry per distinct content stem
    (stem id >= 0) of each sentence (sentences start at the word indices `starts`, the first at
    0), ordered by stem, then sentence, packed in one array (see align.sentence_entries). The
    content words are gathered with their sentences (without a branch: which words are function
    words is unpredictable), then placed by the top bits of their stems (stem ids are hashes,
    spread evenly over 63 bits, so each place holds about one stem), in text order, then sorted
    by insertion, which has little left to move and keeps each stem's words in text order (so
    in sentence order). The entries by sentence are written as the entries by stem are found,
    each sentence's from its offset on."""
    sentences, words = len(starts), len(stems)
    gathered = np.empty(words, dtype=np.int64)
    gathered_sentence = np.empty(words, dtype=np.int64)
    kept = 0
    for owner in range(sentences):
        last = starts[owner + 1] if owner + 1 < sentences else words
        for k in range(starts[owner], last):
            stem = stems[k]
            gathered[kept], gathered_sentence[kept] = stem, owner
            kept += stem >= 0
    places = 1
    while places < kept:
        places *= 2
    shift = 63
    while (1 << (63 - shift)) < places:
        shift -= 1
    placed = np.zeros(places + 1, dtype=np.int64)
    for k in range(kept):
        placed[(gathered[k] >> shift) + 1] += 1
    for place in range(places):
        placed[place + 1] += placed[place]
    value = np.empty(kept, dtype=np.int64)  # the content words' stems and sentences, by place
    owners = np.empty(kept, dtype=np.int64)
    for k in range(kept):
        place = gathered[k] >> shift
        at = placed[place]
        value[at], owners[at] = gathered[k], gathered_sentence[k]
        placed[place] = at + 1
    for k in range(1, kept):
        item, item_owner = value[k], owners[k]
        m = k
        while m > 0 and value[m - 1] > item:
            value[m], owners[m] = value[m - 1], owners[m - 1]
            m -= 1
        value[m], owners[m] = item, item_owner
    # Counted first (the parts' places depend on the counts), with each sentence's terms.
    terms = np.zeros(sentences, dtype=np.int64)
    found = entries = 0
    for k in range(kept):
        new_stem = k == 0 or value[k] != value[k - 1]
        if new_stem or owners[k] != owners[k - 1]:
            found += new_stem
            entries += 1
            terms[owners[k]] += 1
    packed = np.empty(3 + found + (2 * sentences + 2 * found + 3 * entries + 3) // 2, np.int64)
    packed[0], packed[1], packed[2] = sentences, found, entries
    packed[-1] = 0  # (the int32 parts may leave its second half unused)
    (
        terms_out,
        offsets,
        stems_out,
        frequency,
        stem_offsets,
        sentence,
        sentence_local,
        sentence_count,
    ) = _unpack(packed)
    terms_out[:] = terms
    frequency[:] = 0
    offsets[0] = stem_offsets[0] = 0
    for k in range(sentences):
        offsets[k + 1] = offsets[k] + terms[k]
    # Each sentence's next entry (stems come in order, so each sentence's entries do too).
    filled = offsets[:-1].copy()
    stem = -1
    entry = slot = 0
    for k in range(kept):
        if k == 0 or value[k] != value[k - 1]:
            stem += 1
            stems_out[stem] = value[k]
        elif owners[k] == owners[k - 1]:
            sentence_count[slot] += 1
            continue
        owner = owners[k]
        slot = filled[owner]
        filled[owner] = slot + 1
        sentence_local[slot], sentence_count[slot] = stem, 1
        sentence[entry] = owner
        frequency[stem] += 1
        entry += 1
    for k in range(found):
        stem_offsets[k + 1] = stem_offsets[k] + frequency[k]
    return packed


@_compiled(_TEXT_SENTENCES)
def text_sentences(
    points,
    kinds,
    token_starts,
    token_ends,
    ids,
    codes,
    stem_codes,
    stop_keys,
    stop_shift,
    keys,
    values,
    filled,
    recent,
    letters,
    min_words,
    max_words,
):
    """(starts, stem ids, missing, packed) of one text: its sentences' first words
    (`_sentence_starts`), its words' stem ids (`_stem_ids`, `missing` marking those still to be
    made) and, when none is missing, its sentences' stem entries packed as `sentence_entries`
    packs them (else an empty array)."""
    starts = _sentence_starts(points, kinds, token_starts, token_ends, min_words, max_words)
    stems, missing = _stem_ids(
        ids,
        token_starts,
        token_ends,
        points,
        codes,
        stem_codes,
        stop_keys,
        stop_shift,
        keys,
        values,
        filled,
        recent,
        letters,
    )
    if missing.any():
        return starts, stems, missing, np.zeros(0, dtype=np.int64)
    return starts, stems, missing, sentence_entries(stems, starts)


@_compiled()
def _shared_stems(source, target, idf_table, source_shared, target_shared):
    """(source_at, target_at, idf) of two texts' packed sentence entries: `source_at[k]` is the
    target's index of source stem k (-1: the target has no such stem), and the same from the
    target; `idf` holds the idf of the source's stems, then of the target's (`idf_table` at a
    stem's frequency in both texts). How many shared stems each sentence has is added to
    `source_shared` and `target_shared` (from the shared stems' entries: far fewer than all)."""
    _, _, source_stems, source_frequency, source_stem_offsets, source_sentence, _, _ = _unpack(
        source
    )
    _, _, target_stems, target_frequency, target_stem_offsets, target_sentence, _, _ = _unpack(
        target
    )
    sources, targets = len(source_stems), len(target_stems)
    source_at = np.full(sources, -1, dtype=np.int64)
    target_at = np.full(targets, -1, dtype=np.int64)
    idf = np.empty(sources + targets, dtype=np.float64)
    for k in range(sources):
        idf[k] = idf_table[source_frequency[k]]
    for m in range(targets):
        idf[sources + m] = idf_table[target_frequency[m]]
    k = m = 0
    while k < sources and m < targets:
        source, target = source_stems[k], target_stems[m]
        if source == target:
            source_at[k], target_at[m] = m, k
            idf[k] = idf[sources + m] = idf_table[source_frequency[k] + target_frequency[m]]
            for entry in range(source_stem_offsets[k], source_stem_offsets[k + 1]):
                source_shared[source_sentence[entry]] += 1
            for entry in range(target_stem_offsets[m], target_stem_offsets[m + 1]):
                target_shared[target_sentence[entry]] += 1
        # Stepped by the comparisons, not branched on: which side moves is unpredictable (the
        # merge took a third longer with an if/elif).
        k += source <= target
        m += target <= source
    return source_at, target_at, idf


@_compiled()
def _may_pair(shared, terms, boilerplate, threshold):
    """Whether each sentence may reach `threshold` in Dice with some sentence of the other text:
    not boilerplate, and with s `shared` stems (stems the other text has) among its t `terms`,
    2s / (t + s) reaches it (a pair shares s stems at most, and the other sentence has as many
    terms). Pair Dice values are divisions no larger than this bound's, so they round no
    higher."""
    may = np.zeros(len(terms), dtype=np.bool_)
    for sentence in range(len(terms)):
        count = shared[sentence]
        if count and not boilerplate[sentence]:
            may[sentence] = 2.0 * count / (terms[sentence] + count) >= threshold
    return may


@_compiled()
def _sentence_norm(local, count, idf, first, end):
    """The length of a sentence's tf-idf vector (its entries, by stem, at [first, end)), the
    squares summed in stem order, as align.similar_sentences_plain sums them."""
    square = 0.0
    for entry in range(first, end):
        weight = count[entry] * idf[local[entry]]
        square += weight * weight
    return np.sqrt(square)


@_compiled()
def _sentence_dot(
    source_local,
    source_count,
    source_idf,
    source_first,
    source_end,
    target_local,
    target_count,
    target_idf,
    target_first,
    target_end,
    target_at,
):
    """The dot product of the tf-idf vectors of a source and a target sentence (their entries,
    by stem, at [first, end)), its terms added in the source's stem order."""
    dot = 0.0
    match = target_first
    for entry in range(source_first, source_end):
        stem = source_local[entry]
        other = target_at[stem]
        if other < 0:
            continue
        # Shared stems are in the same order on both sides.
        while match < target_end and target_local[match] < other:
            match += 1
        if match < target_end and target_local[match] == other:
            weight = source_count[entry] * source_idf[stem]
            dot += weight * (target_count[match] * target_idf[other])
    return dot


@_compiled(_SENTENCE_SEEDS)
def sentence_seeds(source, source_boilerplate, target, target_boilerplate, idf_table, threshold):
    """align.sentence_seeds_plain in one call: (seeds, source_at, target_at, idf). The shared
    stems of two texts (`source_at[k]`: source stem k's index among the target's stems, -1:
    none; `target_at` the same from the target), every stem's idf over the sentences of both
    texts (`idf_table` at its frequency in both; the source's stems, then the target's), and
    the (i, j) sentence pairs, in order, whose tf-idf cosine and Dice of shared stems both reach
    `threshold`, bit for bit (each dot product adds its terms in stem order, as the plain sums
    do), boilerplate sentences left out.

    `source` and `target` are the texts' packed sentence entries (`sentence_entries`). Only
    pairs of sentences that may reach the threshold in Dice (`_may_pair`) are counted; of those,
    the shared stems of each pair are counted first, and only pairs whose Dice reaches the
    threshold get a cosine (and their sentences a length)."""
    (
        source_terms,
        source_offsets,
        _,
        _,
        _,
        _,
        source_by_sentence,
        source_by_sentence_count,
    ) = _unpack(source)
    (
        target_terms,
        target_offsets,
        _,
        _,
        target_stem_offsets,
        target_sentence,
        target_by_sentence,
        target_by_sentence_count,
    ) = _unpack(target)
    sources, targets = len(source_terms), len(target_terms)
    source_shared = np.zeros(sources, dtype=np.int64)
    shared = np.zeros(targets, dtype=np.int64)  # the target's; then each pair's, by j
    source_at, target_at, idf = _shared_stems(source, target, idf_table, source_shared, shared)
    source_idf = idf[: len(source_at)]
    target_idf = idf[len(source_at) :]
    out = np.empty((0, 2), dtype=np.int64)
    source_may = _may_pair(source_shared, source_terms, source_boilerplate, threshold)
    target_may = _may_pair(shared, target_terms, target_boilerplate, threshold)
    shared[:] = 0
    if not source_may.any() or not target_may.any():
        return out, source_at, target_at, idf
    # Each sentence's length is found when a pair of it first needs one (-1: not yet).
    source_norm = np.full(sources, -1.0)
    target_norm = np.full(targets, -1.0)
    # One place more than the targets: each j met is written in the next place (see below).
    touched = np.empty(targets + 1, dtype=np.int64)
    out = np.empty((sources + targets, 2), dtype=np.int64)
    found = 0
    for i in range(sources):
        if not source_may[i]:
            continue
        touching = 0
        for entry in range(source_offsets[i], source_offsets[i + 1]):
            other = source_at[source_by_sentence[entry]]
            if other < 0:
                continue
            for match in range(target_stem_offsets[other], target_stem_offsets[other + 1]):
                j = target_sentence[match]
                # Counted without branches (whether j may pair and is new is unpredictable):
                # j is written in the next place, which is kept only if j is new.
                may = target_may[j]
                touched[touching] = j
                touching += may & (shared[j] == 0)
                shared[j] += may
        # The touched sentences are tested in the order met (a pair's test does not depend on
        # it); the few seeds found are put in j order as they come.
        first = found
        for k in range(touching):
            j = touched[k]
            dice = 2.0 * shared[j] / (source_terms[i] + target_terms[j])
            shared[j] = 0
            if dice < threshold:
                continue
            dot = _sentence_dot(
                source_by_sentence,
                source_by_sentence_count,
                source_idf,
                source_offsets[i],
                source_offsets[i + 1],
                target_by_sentence,
                target_by_sentence_count,
                target_idf,
                target_offsets[j],
                target_offsets[j + 1],
                source_at,
            )
            if source_norm[i] < 0:
                source_norm[i] = _sentence_norm(
                    source_by_sentence,
                    source_by_sentence_count,
                    source_idf,
                    source_offsets[i],
                    source_offsets[i + 1],
                )
            if target_norm[j] < 0:
                target_norm[j] = _sentence_norm(
                    target_by_sentence,
                    target_by_sentence_count,
                    target_idf,
                    target_offsets[j],
                    target_offsets[j + 1],
                )
            denominator = source_norm[i] * target_norm[j]
            if (dot / denominator if denominator > 0 else 0.0) >= threshold:
                if found == len(out):
                    out = np.concatenate((out, np.empty_like(out)))
                place = found
                while place > first and out[place - 1, 1] > j:
                    out[place, 1] = out[place - 1, 1]
                    place -= 1
                out[place, 1] = j
                out[found, 0] = i
                found += 1
    return out[:found].copy(), source_at, target_at, idf


@_compiled(_BOILERPLATE_SENTENCES)
def boilerplate_sentences(mask, starts):
    """align._boilerplate_sentences: whether more than half of each sentence's words (sentence k
    from word `starts[k]` to the next sentence's first word, the last to the end of `mask`) are
    masked."""
    out = np.zeros(len(starts), dtype=np.bool_)
    for k in range(len(starts)):
        last = starts[k + 1] if k + 1 < len(starts) else len(mask)
        masked = 0
        for word in range(starts[k], last):
            if mask[word]:
                masked += 1
        out[k] = masked * 2 > last - starts[k]
    return out
