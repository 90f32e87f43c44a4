"""Tests for the numpy helpers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from strategies import PROPERTY
from wiretrace._arrays import distinct


@PROPERTY
@given(st.lists(st.integers(0, 2**64 - 1), max_size=50), st.sampled_from([np.uint64, np.int64]))
def test_distinct_is_numpy_unique(values: list[int], dtype: type) -> None:
    """distinct gives np.unique's sorted distinct values, dtype kept."""
    array = np.array(values, dtype=np.uint64).astype(dtype)
    found = distinct(array)
    assert found.dtype == array.dtype
    assert found.tolist() == np.unique(array).tolist()
