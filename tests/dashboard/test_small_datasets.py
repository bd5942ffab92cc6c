"""The dashboard on small and oddly shaped cuts of the real 26-tissue GTEx set: every panel
shows what can be computed and says what cannot (it raised deep in the figure code, or failed
the baseline maps for the sake of their scores)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.data import load_table
from core.errors import DataError
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.gene_space import build_gene_figure, neighbor_tables
from dashboard.model_state import gene_layout_2d


def _context(sepira_file, tmp_path, per_tissue: int, n_tissues: int, n_genes: int):
    table = pd.read_csv(sepira_file)
    tissues = table["tissue"].drop_duplicates().iloc[:n_tissues]
    cut = pd.concat([table[table["tissue"] == t].head(per_tissue) for t in tissues])
    # the most variable genes: none is 0 in every sample of the cut
    genes = cut.iloc[:, 2:].var().sort_values(ascending=False).index[:n_genes]
    path = tmp_path / "cut.csv"
    cut[["sample", "tissue", *genes]].to_csv(path, index=False)
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=min(4, n_genes), standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(load_table(path), cfg)
    ctx.train()
    return ctx


def test_gene_layout_of_one_gene_has_two_axes():
    import numpy as np

    layout, _ = gene_layout_2d(np.ones((1, 8), dtype=np.float32), method="pca")
    assert layout.shape == (1, 2)


def test_one_gene_model_draws_its_gene_map_and_says_there_are_no_neighbours(sepira_file, tmp_path):
    ctx = _context(sepira_file, tmp_path, 10, 3, 1)
    gene = str(ctx.gene_symbols[0])
    fig, _ = build_gene_figure(ctx, None, gene, 5, None)  # IndexError in gene_map_figure
    assert len(fig.data) >= 1
    rows, terms, alert = neighbor_tables(ctx, gene, 5)
    assert rows == [] and "trained on 1 gene" in str(alert.children)
    out = ctx.compute_baselines()  # PCA, NMF and t-SNE need 2 genes; UMAP is drawn
    assert list(out["maps"]) == ["UMAP"]


def test_baseline_maps_of_8_samples_are_scored_from_a_share_that_draws_some(sepira_file, tmp_path):
    """2% of 8 samples is none to train 1-NN on: the job failed, maps and all; then the maps
    were shown unscored. The page starts at 50% (4 samples, two per tissue), and 2%, chosen,
    says that it draws none."""
    ctx = _context(sepira_file, tmp_path, 4, 2, 30)
    assert ctx.default_accuracy_fraction() == 0.5
    out = ctx.compute_baselines()
    assert set(out["maps"]) == {"PCA", "NMF", "t-SNE", "UMAP"} == set(out["accuracy"])
    assert out["fraction"] == 0.5 and ctx.model_accuracy("tissue", 0.5) is not None
    assert ctx.model_accuracy("tissue", 0.02) is None
    assert ctx.baseline_accuracies(out, 0.02) == {}
    note = ctx.accuracy_note(0.02)
    assert note.startswith("The maps are not scored") and "2% of 8 is none" in note
    assert "choose a larger share" in note


def test_baseline_maps_of_3_samples_are_refused_in_words(sepira_file, tmp_path):
    ctx = _context(sepira_file, tmp_path, 1, 3, 30)
    with pytest.raises(DataError, match=r"^3 samples: too few for the baseline maps"):
        ctx.compute_baselines()
