"""Gene tables that must agree: the dashboard's neighbours and ``python -m core neighbours`` where
distances tie; the stand-in's gene space without the genes that are 0 in every sample (as the
trained model leaves them out); the report's gene-space table naming the model of each row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.cli import main
from core.data import load_table
from core.estimator import FactorizedEmbeddings
from dashboard.context import AppContext, DashboardConfig, ModelSettings

N_GENES = 24


def _tied_space(seed: int) -> np.ndarray:
    """Gene vectors where every gene but G01 is at exactly cosine distance 1 from G00 (first
    coordinate 0: the dot product is exactly 0), each in its own direction."""
    rng = np.random.default_rng(seed)
    space = rng.normal(size=(N_GENES, 4)).astype(np.float32)
    space[:, 0] = 0.0
    space[0] = [1.0, 0.0, 0.0, 0.0]
    space[1] = [1.0, 0.3 + 0.1 * seed, 0.0, 0.0]  # the one gene nearer than the ties
    return space


@pytest.fixture(scope="module")
def tied_models(tmp_path_factory):
    """A made-up matrix of 30 samples x 24 genes and two models of it whose gene vectors are
    replaced by :func:`_tied_space` (two runs: other directions, the same ties)."""
    folder = tmp_path_factory.mktemp("ties")
    rng = np.random.default_rng(0)
    values = rng.uniform(0.5, 8.0, size=(30, N_GENES)).round(3)
    genes = [f"G{i:02d}" for i in range(N_GENES)]
    matrix = pd.DataFrame(values, columns=genes)
    matrix.insert(0, "sample", [f"S{i:02d}" for i in range(30)])
    path = folder / "made_up.csv"
    matrix.to_csv(path, index=False)
    models = []
    for seed in (0, 1):
        out = folder / f"run{seed}"
        args = ["train", "--matrix", path, "--out", out, "--epochs", "1", "--seed", seed]
        assert main([str(a) for a in [*args, "--hidden", "8", "--gene-dim", "4"]]) == 0
        model = FactorizedEmbeddings.load(out)
        with torch.no_grad():
            model._check_fitted().gene_embedding.copy_(torch.from_numpy(_tied_space(seed)))
        model.save(out, overwrite=True)
        models.append(out)
    return path, models


def _command_table(model, k, tmp_path, compare=None) -> pd.DataFrame:
    out = tmp_path / f"nb-{k}-{compare is not None}.csv"
    args = ["neighbours", "--model", str(model), "--genes", "G00", "--k", str(k), "--out", str(out)]
    if compare is not None:
        args += ["--compare-models", str(compare)]
    assert main(args) == 0
    return pd.read_csv(out)


@pytest.mark.parametrize("k", [3, 5, 12])
def test_dashboard_breaks_distance_ties_as_the_neighbours_command(tied_models, tmp_path, k):
    """Ties at the k-th place went to any of the tied genes in the page (argpartition), to the
    lower gene index in the command (a stable sort): other genes were listed."""
    path, (model, other) = tied_models
    es = load_table(path)
    page = AppContext(es, DashboardConfig(cache_dir=tmp_path / "one", model_dir=model))
    table = page.neighbors(page.gene_index("G00"), k)
    command = _command_table(model, k, tmp_path)
    # G01, then the tied genes by their index
    assert list(command["neighbour"]) == [f"G{i:02d}" for i in range(1, k + 1)]
    assert list(table["symbol"]) == list(command["neighbour"])
    assert np.abs(table["distance"].to_numpy() - command["distance"].to_numpy()).max() < 1e-4
    # joined with a second run: the same order, and each neighbour counted in both runs
    cfg = DashboardConfig(cache_dir=tmp_path / "two", model_dir=model, join_models=(other,))
    joined = AppContext(es, cfg)
    table = joined.neighbors(joined.gene_index("G00"), k)
    command = _command_table(model, k, tmp_path, compare=other)
    assert list(table["symbol"]) == list(command["neighbour"])
    assert list(table["runs"]) == list(command["runs"]) == ["2/2"] * k
    # each run alone takes the tied genes as the command does (argpartition took G06 for G05)
    from core.analysis import unit_rows
    from dashboard.context import _runs

    units = [unit_rows(_tied_space(seed)).astype(np.float32) for seed in (0, 1)]
    assert (_runs(units, 0, np.arange(1, k + 1), k) == 2).all()


def test_neighbours_of_joined_models_say_the_distance_is_a_mean(tied_models, capsys):
    """The line above a joined table said "distance: cosine distance between gene vectors",
    though each is the mean over the models."""
    _, (model, other) = tied_models
    args = ["neighbours", "--model", str(model), "--genes", "G00", "--k", "3"]
    assert main([*args, "--compare-models", str(other)]) == 0
    assert "(distance: mean over the 2 models of the cosine distance" in capsys.readouterr().err
    assert main(args) == 0
    assert "(distance: cosine distance between gene vectors" in capsys.readouterr().err


@pytest.fixture(scope="module")
def standin(sepira_file, tmp_path_factory):
    cfg = DashboardConfig(
        cache_dir=tmp_path_factory.mktemp("standin"),
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(load_table(sepira_file), cfg)
    said: list[str] = []
    ctx.train(progress=lambda fraction, message: said.append(message))
    return ctx, said


def test_standin_leaves_out_the_genes_that_are_0_everywhere(standin):
    """The 7 genes 0 in every sample of the 26-tissue set had a vector of 0 in the stand-in's
    gene space: at distance 1 from every gene, listed as neighbours at that distance (and the
    first genes of the data as theirs), and a cluster of their own on the gene map."""
    from dashboard.gene_space import neighbor_tables
    from dashboard.status import model_summary

    ctx, said = standin
    zero = np.flatnonzero((np.nan_to_num(ctx.values) == 0).all(axis=0))
    assert len(zero) == 7 and "MIR876" in {str(ctx.gene_symbols[j]) for j in zero}
    st = ctx.state()
    assert len(st.gene_es_index) == 460 and not np.isin(st.gene_es_index, zero).any()
    assert (np.linalg.norm(st.gene_unit, axis=1) > 0.5).all()  # no gene without a direction
    assert said[0].endswith("520 samples x 460 genes")
    # said as the page says it of a trained model's left-out genes
    assert "trained on 460 of the 467 genes" in model_summary(st.info)
    rows, _, alert = neighbor_tables(ctx, "MIR876", 5)
    assert rows == [] and alert.children.startswith(
        "MIR876 is not among the 460 genes the model was trained on (of the 467 here): it has "
        "no place in gene space and no neighbours"
    )
    # and the model records the step, as `python -m core train` does
    steps = st.model.data_source_.get("steps") or []
    assert [s["n_dropped"] for s in steps if s["op"] == "drop_zero_genes"] == [7]
    # no gene has one of them among its neighbours, however many are listed
    j = ctx.gene_index("GATA4")
    listed = set(ctx.neighbors(j, 300)["symbol"])
    assert len(listed) == 300 and not listed & {str(ctx.gene_symbols[z]) for z in zero}


def test_report_gene_space_table_names_the_model_of_each_row(sepira_file, tmp_path):
    """tables/gene_space.csv named --model on every row, the compared models' rows too; its
    first column is neighbours_from (R's read.csv read "neighbours from" as neighbours.from)."""
    es = load_table(sepira_file)
    es = es.subset(samples=np.arange(0, es.n_samples, 4), genes=np.arange(40))
    models = []
    for seed in (0, 1):
        fe = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=seed)
        models.append(fe.fit(es).save(tmp_path / f"run_{'ab'[seed]}"))
    out = tmp_path / "report"
    argv = ["report", "--model", str(models[0]), "--out", str(out), "--methods", "pca"]
    argv += ["--classifiers", "1-NN", "--splits", "2", "--fraction", "0.3", "--k", "3"]
    argv += ["--no-cache", "--no-go", "--compare-models", str(models[1])]
    assert main(argv) == 0
    table = pd.read_csv(out / "tables" / "gene_space.csv", keep_default_na=False)
    assert table.columns[0] == "neighbours_from" and " " not in "".join(table.columns)
    assert list(table.columns[-2:]) == ["dataset", "model"]
    loaded = [FactorizedEmbeddings.load(m) for m in models]
    words = [f"FactorizedEmbeddings ({m.key()})" for m in loaded]  # as every table names it
    assert words[0] != words[1]
    own = dict(zip(table["neighbours_from"], table["model"], strict=True))
    assert own["FE run_a, gene_dim 4"] == words[0]
    assert own["FE run_b, gene_dim 4"] == words[1]
    assert own["FE, the 2 models together"] == f"{words[0]}; {words[1]}"
    assert own["expression correlation"] == words[0]  # from the data of --model
    # the other tables still name --model
    markers = pd.read_csv(out / "tables" / "table1.csv")
    assert (markers["model"] == words[0]).all()
