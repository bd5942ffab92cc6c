"""gene_smoothness from a map's neighbours searched once (core.analysis.smoothness_neighbours):
the same scores, missing values included; neighbours of another map are refused."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import gene_smoothness, smoothness_neighbours
from core.errors import DataError


def _map_and_values(n: int = 300):
    rng = np.random.default_rng(3)
    emb = rng.normal(size=(n, 2))
    values = np.column_stack([emb[:, 0] + 0.3 * rng.normal(size=n), rng.normal(size=n)])
    values[::7, 0] = np.nan
    return emb, values


@pytest.mark.parametrize("k", [5, 15])
def test_kept_neighbours_give_the_same_scores(k):
    emb, values = _map_and_values()
    near = smoothness_neighbours(emb, k=k)
    assert near.shape == (len(emb), k) and near.dtype == np.int32
    np.testing.assert_array_equal(
        gene_smoothness(emb, values, k=k, neighbours=near), gene_smoothness(emb, values, k=k)
    )
    assert gene_smoothness(emb, values, k=k, neighbours=near)[0] > 0.5


def test_neighbours_of_another_map_are_refused():
    emb, values = _map_and_values()
    near = smoothness_neighbours(emb, k=15)
    with pytest.raises(DataError, match="neighbours must be"):
        gene_smoothness(emb, values, k=10, neighbours=near)
    with pytest.raises(DataError, match="neighbours must be"):
        gene_smoothness(emb[:-1], values[:-1], neighbours=near[:-1] + 1)
