"""Candidate search: which documents may share text (LSH over MinHash window signatures)."""

from wiretrace.index.lsh import band_keys, candidate_pairs, lsh_bands

__all__ = ["band_keys", "candidate_pairs", "lsh_bands"]
