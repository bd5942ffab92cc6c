"""Simulated data say so in whatever is made from them, however they reach the model: the demo
written to files and trained by the command line, a model loaded from Python; real data never
do."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.data import is_simulated, load_table
from core.estimator import FactorizedEmbeddings
from tests.cli_run import run_cli as _run

SMALL = ["--epochs", "1", "--device", "cpu", "--hidden", "8", "--gene-dim", "4"]


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The simulated demo written as a user writes it: a matrix and its annotations (no word
    "simulated" in the file names)."""
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)
    folder = tmp_path_factory.mktemp("demo")
    matrix = pd.DataFrame(es.values, index=es.sample_ids, columns=es.gene_symbols)
    matrix.index.name = "sample_id"
    matrix.to_csv(folder / "expression.csv")
    es.samples.to_csv(folder / "annotations.csv")
    return folder / "expression.csv", folder / "annotations.csv"


def test_the_demo_read_back_from_files_is_simulated(demo_files, sepira_file):
    """Read from files, the demo lost every mark (its source a table, its name the file's)."""
    matrix, annotations = demo_files
    assert is_simulated(load_table(matrix, annotations=annotations))
    assert is_simulated(load_table(matrix))  # its sample ids alone (SIM-...-SM-...)
    assert not is_simulated(load_table(sepira_file))


def test_a_model_trained_by_the_cli_on_the_demo_files_says_so(demo_files, tmp_path, capsys):
    """`train --matrix --annotations` on the demo's files wrote a model that named no
    simulation: its evaluate Markdown, export README and neighbour table read as findings."""
    matrix, annotations = demo_files
    model_dir = tmp_path / "model"
    args = ["train", "--matrix", matrix, "--annotations", annotations, "--out", model_dir]
    code, _, err = _run([*args, *SMALL], capsys)
    assert code == 0, err
    config = json.loads((model_dir / "config.json").read_text())
    assert config["dataset"]["simulated"] is True
    model = FactorizedEmbeddings.load(model_dir)
    assert model.simulated_ is True and "SIMULATED" in repr(model)
    code, _, err = _run(["export", "--model", model_dir, "--out", tmp_path / "tables"], capsys)
    assert code == 0, err
    assert (tmp_path / "tables" / "README.txt").read_text().startswith("SIMULATED DATA")
    genes = pd.read_csv(tmp_path / "tables" / "genes.csv")
    assert genes.columns[0] == "data" and set(genes["data"]) == {"SIMULATED"}
    gene = str(model.gene_symbols_[0])
    args = ["neighbours", "--model", model_dir, "--genes", gene, "--k", "2"]
    code, out, err = _run(args, capsys)
    assert code == 0 and out.split()[0] == "data" and "SIMULATED data" in err
    out_json = tmp_path / "t1.json"
    args = ["evaluate", "--model", model_dir, "--out", out_json, "--splits", "3"]
    code, _, err = _run([*args, "--methods", "pca", "--cache-dir", tmp_path / "cache"], capsys)
    assert code == 0, err
    assert json.loads(out_json.read_text())["simulated"] is True
    assert "SIMULATED DATA" in out_json.with_suffix(".md").read_text()
    # Table 1 as printed in the terminal, copied from there, says so too
    table = err[err.index("| ") :]
    assert "SIMULATED DATA" in err[: err.index("| ")] and "SIMULATED DATA: wrote" in table


def test_a_model_of_real_data_never_says_simulated(sepira_file, tmp_path, capsys):
    from core.estimator import saved_model_is_simulated

    es = load_table(sepira_file)
    es = es.subset(samples=np.arange(0, es.n_samples, 4), genes=np.arange(40))
    model_dir = tmp_path / "real"
    FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0).fit(es).save(
        model_dir
    )
    model = FactorizedEmbeddings.load(model_dir)
    assert model.simulated_ is False and "SIMULATED" not in repr(model)
    assert json.loads((model_dir / "config.json").read_text())["dataset"]["simulated"] is False
    assert not saved_model_is_simulated(model_dir)
    out_json = tmp_path / "t1.json"
    args = ["evaluate", "--model", model_dir, "--out", out_json, "--splits", "3"]
    code, out, err = _run([*args, "--methods", "pca", "--cache-dir", tmp_path / "cache"], capsys)
    assert code == 0, err
    assert json.loads(out_json.read_text())["simulated"] is False
    assert "SIMULATED" not in out_json.with_suffix(".md").read_text() + out + err


def test_a_model_loaded_from_python_says_it_is_of_simulated_data(tmp_path):
    """Loaded with FactorizedEmbeddings.load, a model of the demo showed nothing of it; a model
    saved before the record was kept is told from its data source."""
    from core.estimator import saved_model_is_simulated
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)
    model_dir = tmp_path / "sim"
    FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0).fit(es).save(
        model_dir
    )
    model = FactorizedEmbeddings.load(model_dir)
    assert model.simulated_ is True and repr(model).endswith("# fitted on SIMULATED data")
    assert saved_model_is_simulated(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    del config["dataset"]["simulated"]  # as saved before it was recorded
    (model_dir / "config.json").write_text(json.dumps(config))
    assert FactorizedEmbeddings.load(model_dir).simulated_ is True
    assert saved_model_is_simulated(model_dir)
