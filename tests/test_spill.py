"""Tests for the partitioned temporary files that hold corpus-wide working sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import PROPERTY
from wiretrace.spill import Spill

keys = st.lists(st.integers(0, 2**64 - 1), max_size=200)


@PROPERTY
@given(st.lists(keys, max_size=5), st.sampled_from([1, 2, 4, 16]))
def test_partitions_hold_every_key_once_with_its_column(
    batches: list[list[int]], parts: int
) -> None:
    """Every added key comes back once, with its own column value, in a partition of its top bits."""
    added: list[tuple[int, int]] = []
    with Spill({"owners": np.dtype(np.int32)}, partitions=parts) as spill:
        for number, batch in enumerate(batches):
            spill.add(np.array(batch, dtype=np.uint64), owners=np.full(len(batch), number))
            added += [(key, number) for key in batch]
        seen: list[tuple[int, int]] = []
        previous_top = -1
        for part in spill:
            tops = (part["keys"] >> np.uint64(64 - max(parts.bit_length() - 1, 1))).tolist()
            if parts > 1:
                assert len(set(tops)) == 1
                assert tops[0] > previous_top
                previous_top = tops[0]
            seen += list(zip(part["keys"].tolist(), part["owners"].tolist(), strict=True))
    assert sorted(seen) == sorted(added)
    assert spill.count == len(added)


def test_files_are_deleted_on_exit(tmp_path: Path) -> None:
    """Leaving the context removes the temporary folder and its files."""
    with Spill(partitions=4, directory=str(tmp_path)) as spill:
        spill.add(np.arange(1000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        assert any(tmp_path.iterdir())
    assert not any(tmp_path.iterdir())


def test_partitions_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        Spill(partitions=3)


def test_columns_must_match() -> None:
    with (
        Spill({"owners": np.dtype(np.int32)}, partitions=2) as spill,
        pytest.raises(ValueError, match="columns"),
    ):
        spill.add(np.arange(3, dtype=np.uint64))
