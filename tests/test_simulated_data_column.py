"""A simulated model whose samples carry an annotation named "data" (a batch, a source): the
column "data" = SIMULATED that marks its tables must not collide with it."""

from __future__ import annotations

import pandas as pd
import pytest

from core.estimator import FactorizedEmbeddings
from tests.cli_run import run_cli as _run


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A small model of the simulated demo whose sample annotations have a "data" column."""
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)
    es.samples["data"] = ["batch A" if i % 2 else "batch B" for i in range(es.n_samples)]
    model = FactorizedEmbeddings(epochs=1, hidden=(8,), gene_dim=4, device="cpu", seed=0)
    model.fit(es)
    assert model.simulated_ is True
    folder = tmp_path_factory.mktemp("model") / "sim"
    model.save(folder)
    return folder


def test_export_keeps_an_annotation_named_data(model_dir, tmp_path, capsys):
    """`export` raised ValueError ("cannot insert data, already exists")."""
    out = tmp_path / "tables"
    code, _, err = _run(["export", "--model", model_dir, "--out", out, "--no-gene-types"], capsys)
    assert code == 0, err
    samples = pd.read_csv(out / "samples.csv")
    assert samples.columns[0] == "data" and set(samples["data"]) == {"SIMULATED"}
    assert set(samples["sample_data"]) == {"batch A", "batch B"}
    genes = pd.read_csv(out / "genes.csv")
    assert genes.columns[0] == "data" and set(genes["data"]) == {"SIMULATED"}


def test_the_mark_renames_a_column_of_its_name():
    """The one way every table of simulated data is marked: the mark first, a column that had
    its name kept under another (``sample_data``; ``sample_sample_data`` when that is taken)."""
    from core.data import mark_simulated

    table = pd.DataFrame({"data": [1, 2], "sample_data": [3, 4], "x": [5, 6]})
    mark_simulated(table)
    assert list(table.columns) == ["data", "sample_sample_data", "sample_data", "x"]
    assert table["data"].tolist() == ["SIMULATED"] * 2
    assert table["sample_sample_data"].tolist() == [1, 2]
    assert table["sample_data"].tolist() == [3, 4]
