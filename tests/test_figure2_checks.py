"""Figure 2's baseline maps against umap-learn's own, on real data (GTEx 26 tissues, 520 x 467).

The maps of a wide matrix share one exact neighbour search; UMAP takes it only where its own
search is approximate (from 4,096 samples): below, given neighbours, umap-learn left its exact
path and a seed gave another layout than ``umap.UMAP`` of the same seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from core import analysis
from core.analysis import maps as maps_module


@pytest.fixture(scope="module")
def sepira(sepira_file):
    from core.data import load_table

    return load_table(sepira_file)


@pytest.fixture(scope="module")
def values(sepira):
    out = analysis.impute_gene_mean(sepira.values)
    assert out.shape[1] > analysis._WIDE  # the shared-neighbour path
    return out


@pytest.fixture(scope="module")
def umap_learn(values):
    """umap-learn's own map of the values, seed 3, one thread (as the project runs 520 samples)."""
    import warnings

    import umap
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return umap.UMAP(n_neighbors=15, random_state=3, n_jobs=1).fit_transform(values)


def test_umap_of_a_seed_is_umap_learns_map_of_that_seed(values, umap_learn):
    """Beside t-SNE (which shares its neighbour search), the UMAP of 520 samples is the one
    ``umap.UMAP(n_neighbors=15, random_state=seed)`` draws, not another layout (disparity 0.99
    when it was given the shared neighbours)."""
    from scipy.spatial import procrustes

    ours = analysis.baseline_embeddings(values, methods=("tsne", "umap"), seed=3)["umap"]
    disparity = procrustes(umap_learn, ours.astype(np.float64))[2]
    assert disparity < 1e-3, disparity


def test_umap_alone_below_4096_samples_searches_no_shared_neighbours(values, monkeypatch):
    """UMAP of fewer than 4,096 samples computes its own exact distances: the shared search
    would be work thrown away."""

    def no_search(*args, **kwargs):
        raise AssertionError("the shared neighbour search ran for UMAP alone")

    monkeypatch.setattr(maps_module, "_knn_excluding_self", no_search)
    coords = analysis.baseline_embeddings(values[:200], methods=("umap",), seed=0)["umap"]
    assert coords.shape == (200, 2) and np.isfinite(coords).all()


def test_umap_from_4096_samples_takes_the_shared_neighbours(
    sepira, values, umap_learn, monkeypatch
):
    """Where umap-learn's own search is approximate (lowered here to 100 samples), UMAP is
    drawn on the shared exact neighbours: a layout of the same quality (1-NN within the split
    noise of umap-learn's own)."""
    calls = []
    search = maps_module._knn_excluding_self

    def counted(points, k, *args, **kwargs):
        calls.append(k)
        return search(points, k, *args, **kwargs)

    monkeypatch.setattr(maps_module, "_UMAP_APPROXIMATE_FROM", 100)
    monkeypatch.setattr(maps_module, "_knn_excluding_self", counted)
    shared = analysis.baseline_embeddings(values, methods=("umap",), seed=3)["umap"]
    assert calls == [analysis.UMAP_NEIGHBORS - 1]
    labels = sepira.samples["tissue"].to_numpy(dtype=object)
    a = analysis.one_nn_accuracy(shared, labels, fraction=0.1, n_splits=20).mean
    b = analysis.one_nn_accuracy(umap_learn, labels, fraction=0.1, n_splits=20).mean
    assert a > 0.7 and abs(a - b) < 0.03, (a, b)


def test_evaluate_says_nmf_ran_on_shifted_values(sepira_file, tmp_path, capsys):
    """NMF needs values of 0 or more and runs on the values plus their lowest when some are
    negative (log10 of fractions): the report's caption said so, evaluate said "the values as
    they are"."""
    import json

    import numpy as np
    import pandas as pd

    from tests.cli_run import TINY, run_cli

    table = pd.read_csv(sepira_file).iloc[::4, :22]  # 130 samples of 26 tissues, 20 genes
    genes = table.columns[2:]
    table[genes] = np.log10((10 ** table[genes].to_numpy() + 0.5) / 1e4)  # all below 0
    matrix = tmp_path / "fractions.csv"
    table.to_csv(matrix, index=False)
    model = tmp_path / "m"
    code, _, err = run_cli(
        ["train", "--matrix", matrix, "--out", model, "--epochs", "1", *TINY], capsys
    )
    assert code == 0, err
    out = tmp_path / "t1.json"
    args = ["evaluate", "--model", model, "--out", out, "--fraction", "0.5", "--splits", "2"]
    code, _, err = run_cli([*args, "--methods", "pca,nmf", "--no-cache"], capsys)
    assert code == 0, err
    lowest = float(table[genes].to_numpy().min())
    said = json.loads(out.read_text())["protocol"]["baselines"]["nmf"]
    assert said == (
        f"NMF (on the values plus {-lowest:.4g}: it needs values of 0 or more, and the "
        f"lowest is {lowest:.4g})"
    )
    assert said in out.with_suffix(".md").read_text()
