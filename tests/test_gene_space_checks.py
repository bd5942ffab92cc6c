"""Gene-space answers against independent counts: the k nearest genes by cosine distance when a
gene vector is 0, and the background of a neighbourhood's GO enrichment in the dashboard (the
genes a neighbourhood is drawn from), on the real 26-tissue GTEx set and the bundled GO."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom

from core.analysis import gene_neighbors, neighbor_agreement


def _cosine_distances(emb: np.ndarray) -> np.ndarray:
    """1 - cos between rows, a row of 0 at cosine 0 from every row; the diagonal at inf."""
    norm = np.linalg.norm(emb, axis=1)
    units = emb / np.where(norm > 0, norm, 1.0)[:, None]
    d = 1.0 - units @ units.T
    np.fill_diagonal(d, np.inf)
    return d


def test_a_gene_vector_of_zero_is_not_everyones_neighbour():
    """A gene of vector 0 has no direction: cosine 0 (distance 1) to every gene, as the
    neighbours command and the dashboard count it. The Euclidean distance between unit rows put
    it at 0.5 from every gene: it was among the 10 nearest of 298 of 300 genes."""
    emb = np.random.default_rng(0).normal(size=(300, 20))
    emb[[7, 9]] = 0.0
    idx, dist = gene_neighbors(emb, 10)
    d = _cosine_distances(emb)
    expected = np.argsort(d, axis=1, kind="stable")[:, :10]
    others = np.setdiff1d(np.arange(300), [7, 9])
    assert not np.isin(idx[others], [7, 9]).any()
    assert (idx[others] == expected[others]).all()
    assert np.abs(dist - np.take_along_axis(d, expected, axis=1)).max() < 1e-5
    # the genes of 0: every gene at distance 1, the lower indices first (as the command)
    assert np.abs(dist[[7, 9]] - 1.0).max() < 1e-6
    assert idx[7].tolist() == list(range(7)) + [8, 9, 10]
    # Figure 4's pairs do not fill up with the gene of 0
    go = np.zeros((300, 1), dtype=bool)
    go[[7, 9]] = True
    pairs = np.column_stack([np.repeat(np.arange(300), 10), idx.ravel()])
    from scipy import sparse

    share = neighbor_agreement(pairs, sparse.csr_matrix(go))["go_fraction"]
    assert share < 0.01


@pytest.fixture(scope="module")
def context(sepira_file, tmp_path_factory):
    """The dashboard on all 467 genes of the data, serving a model trained on its first 120."""
    from core.cli import main
    from core.data import load_table
    from dashboard.context import AppContext, DashboardConfig

    folder = tmp_path_factory.mktemp("gene_space_checks")
    matrix = folder / "first_genes.csv"
    pd.read_csv(sepira_file).iloc[:, : 2 + 120].to_csv(matrix, index=False)
    args = ["train", "--matrix", matrix, "--out", folder / "m", "--epochs", "2"]
    assert main([str(a) for a in [*args, "--hidden", "16", "--gene-dim", "4"]]) == 0
    cfg = DashboardConfig(cache_dir=folder / "cache", model_dir=folder / "m")
    return AppContext(load_table(sepira_file), cfg)


def test_neighbourhood_enrichment_is_against_the_model_genes(context, shared_data, monkeypatch):
    """A gene's neighbours are drawn from the model's genes only: their enrichment was tested
    against every annotated gene of the data (368 of 467), most of which the model (120 genes)
    could never list, as if its genes were drawn from all of them."""
    from dashboard.gene_space import neighbor_tables

    symbols = np.asarray(context.gene_symbols).astype(str)
    model_cols = context.require_state().gene_es_index
    in_model = set(symbols[model_cols[model_cols >= 0]])
    assert len(in_model) == 120
    go = pd.read_csv(shared_data / "go" / "human_symbol_go_direct.tsv.gz", sep="\t")
    annotated = set(go.loc[go["ontology"] == "BP", "symbol"])
    expected = len(in_model & annotated)

    every_term = context.enrichment
    monkeypatch.setattr(context, "enrichment", lambda *a, **kw: every_term(*a, max_fdr=1.0, **kw))
    neighbours, enrichment, _ = neighbor_tables(context, "FOXA2", 20)
    assert len(neighbours) == 20 and len(enrichment) > 0
    enr = pd.DataFrame(enrichment)
    assert (enr["n_background"] == expected).all()
    # the test's own numbers give its p-values
    p = hypergeom.sf(
        enr["n_overlap"] - 1, enr["n_background"], enr["n_term"], enr["n_list_annotated"]
    )
    assert np.allclose(enr["p_value"], p, rtol=1e-9, atol=0)
    # a list of genes (not a neighbourhood) stays tested against every gene of the data
    liver = [context.gene_index(g) for g in ["FOXA2", "HNF1A", "HNF4A", "APOA5"]]
    whole = every_term(liver, max_fdr=1.0)
    assert len(whole) and (whole["n_background"] == len(set(symbols) & annotated)).all()
