"""Labels given as a column's name (``one_nn_accuracy(emb, "tissue")``), as a notebook writes
it: said as such, not as "got shape ()"."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import one_nn_accuracy, semi_supervised_table
from core.data import load_table
from core.errors import DataError


@pytest.fixture(scope="module")
def real_set(sepira_file):
    es = load_table(sepira_file, transform="none")
    return es.subset(samples=np.arange(0, es.n_samples, 2), genes=np.arange(30))


def test_a_column_name_as_labels_is_named(real_set):
    points = real_set.values[:, :2]
    with pytest.raises(DataError, match=r"labels is the text 'tissue'.*samples\['tissue'\]"):
        one_nn_accuracy(points, "tissue", n_splits=2)
    with pytest.raises(DataError, match="labels is the text 'tissue'"):
        semi_supervised_table({"two genes": points}, "tissue", n_splits=2, classifiers=("1-NN",))
    # the column itself is read, each label with its own sample: the 30 genes tell the tissues
    # apart (labels paired with the next sample's row score 0.61; at random, 0.03)
    column = real_set.samples["tissue"]
    acc = one_nn_accuracy(real_set.values, column, fraction=0.2, n_splits=2)
    assert acc.mean > 0.7, acc
    assert acc == one_nn_accuracy(real_set.values, column.to_numpy(), fraction=0.2, n_splits=2)
