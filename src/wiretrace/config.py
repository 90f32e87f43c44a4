"""One validated, documented settings record for the whole pipeline."""

from __future__ import annotations

import numbers
import operator
import os
from collections.abc import Mapping
from typing import Any

import attrs

from wiretrace.errors import ConfigError

MAX_COUNT = 1_000_000_000
"""The largest count setting (words, shingles, sentences, documents): above any document's or
outlet's, and small enough that sums of settings fit the compiled loops' 64-bit integers."""
MAX_NUM_PERM = 2048
"""The most MinHash permutations per window (datasketch users take 64 to 512): choosing the LSH
bands takes about 2 seconds for 2048 and ever longer beyond (10 million never finished), and each
permutation costs every window's sketch."""
MAX_SEED = 2**32 - 1
"""The largest MinHash seed: datasketch draws its permutations with numpy's 32-bit seeds."""
MAX_JOBS = 1024
"""The most worker processes: more than any machine's cores; each is a forked process."""


def whole_number(name: str, value: Any, minimum: int, maximum: int = MAX_COUNT) -> int:
    """`value` as an int when it is a whole number (a Python or numpy integer, not a bool) from
    `minimum` to `maximum`; else a ConfigError naming `name` and showing the value.

    The one check of whole-number settings and arguments: `Settings` checks its fields with it,
    and functions that take a few of them as arguments (`pipeline.minhash_signatures`) too.
    """
    # numpy integers (from arrays, pandas) are whole numbers; bools and floats are not.
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    number = operator.index(value)
    if number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value!r}")
    if number > maximum:
        raise ConfigError(f"{name} must be <= {maximum}, got {value!r}")
    return number


def _as_int(value: Any) -> Any:
    """attrs converter: a numpy integer as the int it is (the JSON report and an index's
    metadata write ints); anything else as given, for the validator to judge."""
    if isinstance(value, int) or not hasattr(type(value), "__index__"):
        return value
    return operator.index(value)


def _as_float(value: Any) -> Any:
    """attrs converter: a numpy float or integer as a Python float; anything else as given."""
    if isinstance(value, bool | int | float) or not isinstance(value, numbers.Real):
        return value
    return float(value)


def _at_least(minimum: int, maximum: int = MAX_COUNT):
    """An integer setting of at least `minimum` and at most `maximum`."""

    def check(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        whole_number(attribute.name, value, minimum, maximum)

    return check


def _count(default: int, minimum: int, maximum: int = MAX_COUNT) -> Any:
    """A whole-number setting field from `minimum` to `maximum`."""
    return attrs.field(default=default, converter=_as_int, validator=_at_least(minimum, maximum))


def _in_unit_interval(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{attribute.name} must be a number in (0, 1], got {value!r}")
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"{attribute.name} must be in (0, 1], got {value!r}")


def _fraction(default: float) -> Any:
    """A setting field that is a number in (0, 1]."""
    return attrs.field(default=default, converter=_as_float, validator=_in_unit_interval)


@attrs.frozen(kw_only=True)
class Settings:
    """How wiretrace finds and aligns reuse. Every field has a measured default.

    Candidate search (MinHash + LSH over overlapping windows of each document):

    - `shingle_size`: words per shingle (word n-gram) hashed into the sketches.
    - `window_size`: shingles per sketched window; a reused passage about twice this long
      is found even inside two long, otherwise unrelated articles.
    - `num_perm`: MinHash permutations per window (at most `MAX_NUM_PERM`, 2048).
    - `threshold`: the window Jaccard similarity the LSH bands are tuned to catch.
    - `seed`: MinHash seed (datasketch's meaning, 0 to 2**32 - 1); signatures with the same seed
      interoperate.
    - `max_bucket`: LSH buckets holding more documents than this are treated as boilerplate
      and not expanded into pairs.
    - `min_hits`: a pair of documents becomes a candidate when their windows share at least this
      many LSH buckets (one shared bucket is mostly chance; a reused passage gives several).
    - `boilerplate_docs`: a shingle found in this many documents of one outlet is that outlet's
      boilerplate (footers, newsletter blurbs, bios): it makes neither candidates nor passages.
    - `own_boilerplate_docs`: a shingle found in this many documents of one outlet, where nine in
      ten or more of all the documents holding it are that outlet's, is that outlet's boilerplate
      too: text only the outlet carries, again and again (a site's footer, paywall notice or
      photo gallery in a crawl with a few of its pages), not a story others carry. Documents of
      no known outlet are never this boilerplate. 0: off; else at least 2 (default 5, see the
      README). Both engines tell it, and so does an index made with it (an index made without
      it, before it was on by default, traces without it, and refuses it asked for).
    - `own_boilerplate_cover`: with `own_boilerplate_docs`, a document that text only its outlet
      carries would cover more than this share of (a re-send or update of one story, a templated
      report) keeps that text: only its `boilerplate_docs` boilerplate is masked. A footer covers
      a small part of the page it is on; a story sent again is nearly all text its outlet ran
      before. 1.0: no exception.

    Alignment (seed-and-extend, then rapidfuzz on the words):

    - `seed_size`: words per exact seed match between the two texts.
    - `max_gap`: matches at most this many words apart on both sides join one passage
      (so passages split by a short gap are merged).
    - `min_length`: a passage must have at least this many matched words to be reported.
    - `min_similarity`: a passage's word similarity must reach this to be reported.
    - `sentence_similarity`: two sentences whose content-word tf-idf cosine and Dice both reach
      this are a sentence seed, for re-worded passages that share few exact n-grams (1.0: off).
    - `sentence_gap`: sentence seeds at most this many sentences apart join one passage.
    - `summary_gap`: the wider gap tried for summaries (one side 3x the other's sentences).
    - `passage_similarity`: a sentence-seeded passage's two sides, as wholes, must reach this
      tf-idf cosine (min_similarity applies to word-seeded passages only).
    - `summary_bigrams`: where no other passage is found, windows of the two texts that share at
      least this many distinct pairs of adjacent content words (names, terms) are reported as a
      summary passage (0: off).
    - `summary_probability`: where no other passage is found, a pair is reported as a summary
      (the target's window densest in the source's names and terms, against the source words it
      draws on) when the summary model of `wiretrace.summary` gives at least this probability
      (default 0.55: finds 0.74 of PAN's summaries, and adds a little false reuse between news
      articles naming the same rare names, see benchmarks/README.md; 1.0: off; English pairs
      only).
    - `short_similarity`: `compare` on two short texts (a sentence each) reports them as one
      passage when their text similarity reaches this.

    Running:

    - `jobs`: worker processes (None: all cores; at most `MAX_JOBS`, 1024).

    The other whole-number settings are at most `MAX_COUNT` (a billion). Whole numbers are
    Python or numpy integers (not bools or floats: ``2.0`` is refused), kept as ints; the
    fractions are any real numbers, numpy's too, kept as floats. A value out of range or of
    another type raises ConfigError naming the setting and showing the value.
    """

    shingle_size: int = _count(3, 1)
    window_size: int = _count(16, 2)
    num_perm: int = _count(64, 2, MAX_NUM_PERM)
    threshold: float = _fraction(0.4)
    seed: int = _count(1, 0, MAX_SEED)
    max_bucket: int = _count(200, 2)
    min_hits: int = _count(2, 1)
    boilerplate_docs: int = _count(20, 2)
    own_boilerplate_docs: int = attrs.field(default=5, converter=_as_int)
    own_boilerplate_cover: float = _fraction(0.5)
    seed_size: int = _count(3, 1)
    max_gap: int = _count(12, 0)
    min_length: int = _count(15, 1)
    min_similarity: float = _fraction(0.5)
    sentence_similarity: float = _fraction(0.35)
    sentence_gap: int = _count(4, 0)
    summary_gap: int = _count(24, 0)
    passage_similarity: float = _fraction(0.34)
    summary_bigrams: int = _count(0, 0)
    summary_probability: float = _fraction(0.55)
    short_similarity: float = _fraction(0.5)
    jobs: int | None = attrs.field(default=None, converter=attrs.converters.optional(_as_int))

    @own_boilerplate_docs.validator
    def _check_own(self, attribute: attrs.Attribute, value: Any) -> None:
        whole_number(attribute.name, value, 0)
        if value == 1:
            raise ConfigError(
                f"{attribute.name} must be 0 (off) or >= 2, got 1: every text only one outlet "
                "carries would be its boilerplate"
            )

    @jobs.validator
    def _check_jobs(self, attribute: attrs.Attribute, value: int | None) -> None:
        if value is not None:
            _at_least(1, MAX_JOBS)(self, attribute, value)

    @property
    def workers(self) -> int:
        """The number of worker processes to use."""
        return self.jobs or os.cpu_count() or 1

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any] | None = None,
        *,
        base: Settings | None = None,
        **overrides: Any,
    ) -> Settings:
        """Settings from keyword options (over `base`, if given, else the defaults).

        Unknown names raise ConfigError listing the known ones. None values mean "keep the
        default", so CLI options can be passed straight through. `options` that are not a
        mapping, and a `base` that is not a Settings, raise ConfigError too.
        """
        if options is not None and not isinstance(options, Mapping):
            raise ConfigError(
                "settings options must be a mapping of setting names to values, got "
                f"{type(options).__name__} {options!r}"
            )
        if base is not None and not isinstance(base, Settings):
            raise ConfigError(
                f"settings must be a wiretrace.Settings, got {type(base).__name__} {base!r}; "
                "make one with wiretrace.Settings(...), or pass the settings as keyword arguments"
            )
        merged = {**(options or {}), **overrides}
        known = {field.name for field in attrs.fields(cls)}
        unknown = sorted(map(str, set(merged) - known))
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)}; known settings: {', '.join(sorted(known))}"
            )
        values = {name: value for name, value in merged.items() if value is not None}
        if base is None:
            return cls(**values)
        return attrs.evolve(base, **values) if values else base

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (for reports and index metadata)."""
        return attrs.asdict(self)
