"""Candidate search: which documents may share text (LSH over MinHash window signatures)."""

from wiretrace.index.lsh import (
    band_keys,
    bucket_pairs,
    candidate_pairs,
    lsh_bands,
    merge_pair_counts,
)

__all__ = ["band_keys", "bucket_pairs", "candidate_pairs", "lsh_bands", "merge_pair_counts"]
