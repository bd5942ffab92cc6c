"""Messages of the command line met on the real 26-tissue GTEx set: the report's progress over
its baseline maps, and the hint of a text cell among the numbers."""

from __future__ import annotations

import argparse
import re

import numpy as np
import pandas as pd
import pytest

from core.estimator import FactorizedEmbeddings


@pytest.fixture(scope="module")
def small_real_model(sepira_file, tmp_path_factory):
    """A one-epoch model of 130 real GTEx samples (5 per tissue) x 40 genes."""
    from core.data import load_table

    es = load_table(sepira_file)
    es = es.subset(samples=np.arange(0, es.n_samples, 4), genes=np.arange(40))
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0)
    return model.fit(es).save(tmp_path_factory.mktemp("models") / "real")


def test_report_counts_its_baseline_maps_as_one_progress(small_real_model, capsys):
    """The report timed each map by a call of its own, so each said "(0 of 1 done)": the
    progress counts the maps together, and each map keeps its own time."""
    from core.analysis_cli import _Loaded
    from core.report_cli import _timed_baselines

    loaded = _Loaded(str(small_real_model), None)
    args = argparse.Namespace(seed=0, center_samples=False)
    maps, times = _timed_baselines(loaded, ["pca", "nmf"], args, None)
    lines = [line for line in capsys.readouterr().err.splitlines() if "baseline maps" in line]
    counts = [re.search(r"\((\d+) of (\d+) done", line).groups() for line in lines]
    assert counts == [("0", "2"), ("1", "2")], lines
    assert sorted(maps) == ["nmf", "pca"]
    assert [t.name for t in times] == ["PCA", "NMF"]
    assert all(t.seconds > 0 for t in times), times  # each map's own time, never left at 0


def test_a_text_cell_names_the_flag_that_reads_it_as_missing(sepira_file, tmp_path, capsys):
    """'high' among the numbers was refused with its line, without naming --text-values
    missing, which reads such cells as missing values."""
    from core.cli import main

    table = pd.read_csv(sepira_file, nrows=12).astype(object)
    table.iloc[4, 10] = "high"
    path = tmp_path / "text.csv"
    table.to_csv(path, index=False)
    code = main(["train", "--matrix", str(path), "--out", str(tmp_path / "m"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"line 6: non-numeric value 'high' in column '{table.columns[10]}'" in err
    assert "--text-values missing" in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    # (a decimal comma keeps its own advice, without the flag)
    table.iloc[4, 10] = "0,25"
    table.to_csv(path, index=False)
    assert main(["train", "--matrix", str(path), "--out", str(tmp_path / "m2")]) == 2
    assert "--text-values" not in capsys.readouterr().err


def test_h5ad_readme_colours_by_the_models_own_label(small_real_model, tmp_path, capsys):
    """README.txt of an .h5ad export told sc.pl.embedding(..., color="SMTS") for a model whose
    samples carry "tissue" (the 26-tissue table): the call it gives names a column of obs."""
    import anndata

    from core.cli import main

    out = tmp_path / "h5ad"
    args = ["export", "--model", str(small_real_model), "--out", str(out), "--format", "h5ad"]
    assert main(args) == 0, capsys.readouterr().err
    readme = (out / "README.txt").read_text()
    colours = re.findall(r'sc\.pl\.embedding\(adata, basis="fe", color="([^"]+)"\)', readme)
    adata = anndata.read_h5ad(out / "factorized_embeddings.h5ad")
    assert colours == ["tissue"] and "tissue" in adata.obs.columns
