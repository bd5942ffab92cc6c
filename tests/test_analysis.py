"""core.analysis and the evaluate/report commands, on small real data (GTEx 26 tissues, acmg59)."""

from __future__ import annotations

import json
import logging
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from core import analysis
from core.cache import ResultCache
from core.errors import CoreError, DataError


@pytest.fixture(scope="module")
def sepira(sepira_file):
    """GTEx, 520 samples x 467 genes (mostly transcription factors), 26 tissues; log scale."""
    from core.data import load_table

    return load_table(sepira_file)


@pytest.fixture(scope="module")
def sepira_labels(sepira):
    return sepira.samples["tissue"].to_numpy(dtype=object)


@pytest.fixture(scope="module")
def sepira_maps(sepira, tmp_path_factory):
    cache = ResultCache(tmp_path_factory.mktemp("cache"))
    maps = analysis.baseline_embeddings(sepira.values, methods=("pca", "nmf", "tsne"), cache=cache)
    yield maps, cache
    cache.close()


@pytest.fixture(scope="module")
def go_bp(sepira):
    from core.annotations import GeneOntology

    go = GeneOntology.load()
    matrix, _ = go.annotation_matrix(sepira.gene_ids, ontology="BP", min_size=3, max_size=500)
    types = go.gene_type(sepira.gene_ids).to_numpy()
    return matrix, types


# ----------------------------------------------------------------------------- Figure 2
def test_baseline_maps_shapes_and_cache(sepira, sepira_maps):
    maps, cache = sepira_maps
    assert list(maps) == ["pca", "nmf", "tsne"]
    for coords in maps.values():
        assert coords.shape == (sepira.n_samples, 2) and coords.dtype == np.float32
        assert np.isfinite(coords).all()
    assert (maps["nmf"] >= 0).all()  # NMF factors of clipped data are non-negative
    # second call: served from the cache (identical t-SNE without recomputing)
    n_before = len(cache)
    again = analysis.baseline_embeddings(sepira.values, methods=("tsne",), cache=cache)
    assert len(cache) == n_before
    np.testing.assert_array_equal(again["tsne"], maps["tsne"])
    with pytest.raises(CoreError, match="unknown baseline"):
        analysis.baseline_embeddings(sepira.values, methods=("ica",))


def test_nmf_of_negative_values_is_the_map_of_the_values_shifted(sepira):
    """Log values below 0 (log fractions, a pseudo-count under 1) keep their differences: NMF
    gets them shifted up by the lowest, not cut at 0 (which, all negative, left no map at all)."""
    values = np.nan_to_num(sepira.values).astype(np.float32)[:200, :80]
    labels = sepira.samples["tissue"].to_numpy(dtype=object)[:200]
    as_is = analysis.baseline_embeddings(values, methods=("nmf",))["nmf"]
    lowered = analysis.baseline_embeddings(values - 6.0, methods=("nmf",))["nmf"]
    np.testing.assert_allclose(lowered, as_is, rtol=1e-3, atol=1e-3 * float(np.abs(as_is).max()))
    all_negative = analysis.baseline_embeddings(values - 20.0, methods=("nmf",))["nmf"]
    assert np.ptp(all_negative, axis=0).min() > 0  # a map, not every sample at one point
    shifted = analysis.one_nn_accuracy(all_negative, labels, fraction=0.1, n_splits=20)
    assert shifted.mean > 0.2


def test_wide_matrix_distances_match_float64(sepira):
    """The blocked float32 search used for wide matrices gives float64's distances."""
    values = np.nan_to_num(sepira.values).astype(np.float32)
    x64 = values.astype(np.float64)
    exact = ((x64[:, None, :] - x64[None, :50, :]) ** 2).sum(axis=2)
    cols = np.arange(50)
    blocks = list(analysis._sq_distance_blocks(values, cols, block_bytes=8 * 50 * 97, chunk=100))
    assert [b[0] for b in blocks] == list(range(0, 520, 97))  # several row blocks
    d2 = np.vstack([b[2] for b in blocks])
    np.testing.assert_allclose(d2, exact, rtol=1e-5, atol=1e-3)
    # the neighbour lists: same as the float64 path, which small matrices take
    idx64, dist64 = analysis._knn_excluding_self(values, 20)
    idx32, dist32 = analysis._knn_excluding_self(values, 20, max_float64_bytes=0)
    assert (idx32 == idx64).mean() > 0.999
    np.testing.assert_allclose(dist32, dist64, rtol=1e-5)


def test_wide_matrix_distances_of_float64_input(sepira):
    """The blocked search of a float64 matrix (a cosine gene space of many genes, joined runs)
    gives the float64 path's neighbours and leaves the matrix as it was."""
    values = np.nan_to_num(sepira.values).astype(np.float64)
    given = values.copy()
    idx64, dist64 = analysis._knn_excluding_self(values, 15)
    idx_blocks, dist_blocks = analysis._knn_excluding_self(values, 15, max_float64_bytes=0)
    np.testing.assert_array_equal(values, given)
    assert (idx_blocks == idx64).mean() > 0.999
    np.testing.assert_allclose(dist_blocks, dist64, rtol=1e-5)


def test_tsne_and_umap_on_shared_neighbours_match_their_own_search(sepira, sepira_labels):
    """A wide matrix: one exact neighbour search serves t-SNE (and UMAP from 4,096 samples),
    equivalent to their own."""
    import umap
    from sklearn.manifold import TSNE
    from sklearn.neighbors import NearestNeighbors
    from threadpoolctl import threadpool_limits

    values = analysis.impute_gene_mean(sepira.values)
    assert values.shape[1] > analysis._WIDE
    # the neighbours searched are scikit-learn's
    shared = analysis._SharedNeighbours(values, ("tsne", "umap"))
    idx, dist = shared.get(91)
    graph = NearestNeighbors(n_neighbors=91).fit(values).kneighbors_graph(mode="distance")
    order = np.argsort(graph.data.reshape(520, 91), axis=1, kind="stable")
    np.testing.assert_array_equal(idx, np.take_along_axis(graph.indices.reshape(520, 91), order, 1))
    np.testing.assert_allclose(
        dist, np.take_along_axis(graph.data.reshape(520, 91), order, 1), rtol=1e-5
    )
    maps = analysis.baseline_embeddings(values, methods=("tsne", "umap"), seed=3)
    with threadpool_limits(1):
        tsne = TSNE(perplexity=30, init="pca", random_state=3).fit_transform(values)
        own = umap.UMAP(n_neighbors=15, random_state=3, n_jobs=1).fit_transform(values)
    # t-SNE: the same map up to float rounding (float64 input instead of float32 moves it as
    # much); UMAP of fewer than 4,096 samples takes its own search, the same map (from 4,096,
    # the shared neighbours: tests/test_figure2_checks.py)
    ours, _ = analysis._knn_excluding_self(maps["tsne"], 10)
    theirs, _ = analysis._knn_excluding_self(tsne, 10)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ours, theirs, strict=True)])
    assert overlap > 0.95, overlap
    for mine, reference in ((maps["tsne"], tsne), (maps["umap"], own)):
        a = analysis.one_nn_accuracy(mine, sepira_labels, 0.1, 20).mean
        b = analysis.one_nn_accuracy(reference, sepira_labels, 0.1, 20).mean
        assert abs(a - b) < 0.03 and a > 0.7, (a, b)


def test_missing_values_are_imputed_by_gene_mean(sepira):
    values = sepira.values[:40, :6].copy()
    values[3, 2] = np.nan
    out = analysis.impute_gene_mean(values)
    assert out[3, 2] == pytest.approx(np.nanmean(values[:, 2]))
    coords = analysis.baseline_embeddings(values, methods=("pca",))["pca"]
    assert np.isfinite(coords).all()


# ----------------------------------------------------------------------------- Table 1
def test_a_splits_mlp_score_does_not_hang_on_the_number_of_splits(sepira_labels, sepira_maps):
    """The MLP's starting weights were drawn for a batch of splits at once: the same split
    scored 0.93214 of 10 splits and 0.93152 of 100 (GTEx, FE). Every other classifier's split
    scores are the same whatever the number of splits; the MLP's now too."""
    maps, _ = sepira_maps
    kw = {"fraction": 0.1, "classifiers": ["MLP"], "seed": 3}
    few = analysis.semi_supervised_table({"pca": maps["pca"]}, sepira_labels, n_splits=2, **kw)
    more = analysis.semi_supervised_table({"pca": maps["pca"]}, sepira_labels, n_splits=27, **kw)
    first = more.attrs["split_scores"]["pca"]["MLP"][:2]
    assert few.attrs["split_scores"]["pca"]["MLP"] == first
    assert len(set(more.attrs["split_scores"]["pca"]["MLP"])) > 1  # (the splits differ)


def test_one_nn_thresholds_on_real_tissues(sepira, sepira_labels, sepira_maps):
    maps, _ = sepira_maps
    pca = analysis.one_nn_accuracy(maps["pca"], sepira_labels, fraction=0.1, n_splits=20)
    raw = analysis.one_nn_accuracy(sepira.values, sepira_labels, fraction=0.1, n_splits=20)
    tsne = analysis.one_nn_accuracy(maps["tsne"], sepira_labels, fraction=0.1, n_splits=20)
    assert pca.mean >= 0.3 and raw.mean >= 0.6 and tsne.mean >= 0.65, (pca, raw, tsne)
    assert tsne.mean > pca.mean + 0.2
    assert 0 < pca.sd < 0.1
    # labels shuffled over samples: chance level (26 tissues)
    shuffled = np.random.default_rng(0).permutation(sepira_labels)
    chance = analysis.one_nn_accuracy(sepira.values, shuffled, fraction=0.1, n_splits=20)
    assert chance.mean < 0.1
    # same seed, same splits, same result
    assert analysis.one_nn_accuracy(maps["pca"], sepira_labels, 0.1, 20) == pca


def test_one_nn_from_shared_distances_matches_split_by_split(sepira, sepira_labels):
    """Wide matrices: 1-NN of all splits from one distance pass gives the same accuracies."""
    x = analysis.impute_gene_mean(sepira.values)
    codes, _ = analysis.label_codes(sepira_labels, x.shape[0])
    n_train, splits = analysis._splits(x.shape[0], 0.1, 30, 0)
    assert analysis._shared_distances_pay(x, n_train, splits)
    assert not analysis._shared_distances_pay(x[:, :20], n_train, splits)  # narrow: per split
    shared = analysis._nn1_scores_shared(x, codes, n_train, splits)
    one_by_one = [
        np.mean(
            analysis._nn1_predict(x[p[:n_train]], codes[p[:n_train]], x[p[n_train:]])
            == codes[p[n_train:]]
        )
        for p in splits
    ]
    np.testing.assert_allclose(shared, one_by_one, atol=1.5 / (x.shape[0] - n_train))
    assert 0.6 < shared.mean() < 1.0


def test_semi_supervised_table_protocol(sepira, sepira_labels, sepira_maps):
    maps, _ = sepira_maps
    labels = sepira_labels.copy()
    labels[::5] = None  # unlabelled samples are excluded from training and testing
    table = analysis.semi_supervised_table(
        {"pca": maps["pca"], "raw": sepira.values}, labels, fraction=0.1, n_splits=2
    )
    assert list(table.index) == list(analysis.CLASSIFIERS)
    assert list(table.columns) == [
        ("pca", "mean"),
        ("pca", "sd"),
        ("raw", "mean"),
        ("raw", "sd"),
    ]
    assert table.attrs["n_train"] == 42 and table.attrs["n_train"] + table.attrs["n_test"] == 416
    assert table.attrs["n_classes"] == 26 and table.attrs["runtime_s"] > 0
    means = table.xs("mean", axis=1, level="stat")
    assert ((means >= 0) & (means <= 1)).all().all()
    assert means.loc["1-NN", "raw"] >= 0.55 and means.loc["MLP", "raw"] >= 0.5
    assert means.loc["1-NN", "raw"] > means.loc["1-NN", "pca"]
    # formatted and Markdown forms
    fmt = analysis.format_table(table)
    assert fmt.loc["1-NN", "pca"].count("±") == 1
    md = analysis.table_to_markdown(table)
    assert md.startswith("| classifier | PCA | raw data |") and md.count("\n") == 8
    scores = table.attrs["split_scores"]
    assert len(scores["raw"]["1-NN"]) == 2
    assert np.mean(scores["raw"]["1-NN"]) == pytest.approx(means.loc["1-NN", "raw"])
    with pytest.raises(DataError, match="leaves 0"):
        analysis.semi_supervised_table({"pca": maps["pca"]}, labels, fraction=0.0001, n_splits=2)
    with pytest.raises(CoreError, match="unknown classifier"):
        analysis.semi_supervised_table({"pca": maps["pca"]}, labels, classifiers=("SVM",))
    with pytest.raises(DataError, match="labels has"):
        analysis.one_nn_accuracy(maps["pca"], labels[:10])


def test_paired_differences_read_maps_split_by_split(sepira, sepira_labels, sepira_maps):
    maps, _ = sepira_maps
    # the same map under another name differs by exactly 0 on every split; t-SNE beats PCA
    table = analysis.semi_supervised_table(
        {"tsne": maps["tsne"], "copy": maps["tsne"].copy(), "pca": maps["pca"]},
        sepira_labels,
        fraction=0.1,
        n_splits=20,
        classifiers=("1-NN", "Gaussian NB"),
    )
    paired = analysis.paired_differences(table, "tsne")
    assert list(paired.index) == [
        ("1-NN", "copy"), ("1-NN", "pca"), ("Gaussian NB", "copy"), ("Gaussian NB", "pca")
    ]  # fmt: skip
    same = paired.loc[("1-NN", "copy")]
    assert same["difference"] == 0 and same["sd"] == 0 and same["share_ge"] == 1
    assert same["share_tie"] == 1  # a copy ties every split: "at least as accurate" said so
    better = paired.loc[("1-NN", "pca")]
    means = table.xs("mean", axis=1, level="stat")
    gap = means.loc["1-NN", "tsne"] - means.loc["1-NN", "pca"]
    assert better["difference"] == pytest.approx(gap)
    assert better["ci_low"] > 0.2 and better["share_ge"] == 1 and better["n_splits"] == 20
    assert better["se"] == pytest.approx(better["sd"] / np.sqrt(20))
    # the other way round, the differences change sign
    back = analysis.paired_differences(table, "pca").loc[("1-NN", "tsne")]
    assert back["difference"] == pytest.approx(-better["difference"]) and back["share_ge"] == 0
    assert better["share_tie"] == 0
    fmt = analysis.format_paired(paired)
    assert list(fmt.columns) == ["copy", "PCA"] and fmt.loc["1-NN", "copy"].startswith(
        "0.0000 [0.0000, 0.0000]"
    )
    assert fmt.loc["1-NN", "copy"].endswith("100% (100% tied)")
    assert fmt.loc["1-NN", "PCA"].endswith(", 100%")
    tiny = paired.copy()
    tiny.loc[("1-NN", "copy"), ["difference", "ci_low"]] = [-0.00001, -0.00002]
    assert analysis.format_paired(tiny, 3).loc["1-NN", "copy"].startswith("0.000 [0.000, 0.000]")
    assert analysis.paired_to_markdown(paired).startswith("| classifier | copy | PCA |")
    with pytest.raises(CoreError, match="no embedding 'fe'"):
        analysis.paired_differences(table, "fe")
    with pytest.raises(CoreError, match="no per-split scores"):
        analysis.paired_differences(pd.DataFrame(), "tsne")


def test_table1_on_gtex_samples(gtex_acmg59_files):
    """1-NN from 2% labels on GTEx acmg59 (27 tissues): raw 59-D >> PCA, as measured at scale
    (its time over 100 splits: benchmarks/baselines.py --table1)."""
    from core.data import load_gtex

    es = load_gtex(
        gtex_acmg59_files["gct"],
        gtex_acmg59_files["attributes"],
        exclude_tissues=("Brain", "Fallopian Tube"),
    )
    labels = es.samples["SMTS"].to_numpy(dtype=object)
    assert pd.Series(labels).nunique() == 27
    pca = analysis.baseline_embeddings(es.values, methods=("pca",))["pca"]
    table = analysis.semi_supervised_table(
        {"pca": pca, "raw": es.values}, labels, fraction=0.02, n_splits=5, classifiers=("1-NN",)
    )
    assert table.attrs["n_train"] + table.attrs["n_test"] == 13292
    assert table.loc["1-NN", ("raw", "mean")] >= 0.85
    assert 0.15 <= table.loc["1-NN", ("pca", "mean")] <= 0.4
    assert table.attrs["runtime_s"] > 0  # recorded


# ----------------------------------------------------------------------------- Figure 3
def test_smoothness_ranks_markers_above_shuffled_genes(sepira, sepira_maps):
    maps, _ = sepira_maps
    genes = sepira.gene_indices(["HNF4A", "NKX2-1", "TBX5"])
    rng = np.random.default_rng(0)
    shuffled = np.column_stack([rng.permutation(sepira.values[:, g]) for g in genes])
    values = np.column_stack([sepira.values[:, genes], shuffled])
    score = analysis.gene_smoothness(maps["tsne"], values, k=15)
    assert score.shape == (6,)
    assert (score[:3] > 0.5).all(), score
    assert (np.abs(score[3:]) < 0.1).all(), score
    # a constant gene has no score
    assert np.isnan(analysis.gene_smoothness(maps["pca"], np.ones((sepira.n_samples, 1))))[0]


def test_markers_and_gene_sets(sepira, sepira_maps):
    maps, _ = sepira_maps
    matches = analysis.match_genes(sepira.gene_symbols, ["HOX*", "hnf4a", "NOPE"])
    assert len(matches["HOX*"]) == 3  # HOXB5, HOXA5 and one more in this panel
    assert all(sepira.gene_symbols[i].startswith("HOX") for i in matches["HOX*"])
    assert sepira.gene_symbols[matches["hnf4a"]].tolist() == ["HNF4A"]
    assert matches["NOPE"].size == 0
    # one gene: its z-score
    g = int(matches["hnf4a"][0])
    x = sepira.values[:, g].astype(float)
    np.testing.assert_allclose(
        analysis.gene_set_score(sepira.values, [g]), (x - x.mean()) / x.std()
    )
    table = analysis.marker_smoothness(
        {"tsne": maps["tsne"], "pca": maps["pca"]},
        sepira.values,
        sepira.gene_symbols,
        ["HOX*", "HNF4A", "XIST"],
    )
    assert table.loc["HNF4A", "n_genes"] == 1 and table.loc["XIST", "n_genes"] == 0
    assert np.isnan(table.loc["XIST", "tsne"])
    assert table.loc["HNF4A", "tsne"] > 0.5 and table.loc["HOX*", "tsne"] > 0.3


# ----------------------------------------------------------------------------- Figure 4
def test_coexpression_edges_are_the_top_percent(sepira):
    values = sepira.values
    edges = analysis.coexpression_edges(values, top_fraction=0.01)
    n = sepira.n_genes
    n_pairs = n * (n - 1) // 2
    assert sparse.issparse(edges) and edges.shape == (n, n)
    assert edges.nnz == 2 * round(0.01 * n_pairs)
    assert (edges != edges.T).nnz == 0 and edges.diagonal().sum() == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(values.T), nan=-1.0)
    iu = np.triu_indices(n, 1)
    is_edge = np.asarray(edges[iu[0], iu[1]]).ravel()
    assert corr[iu][is_edge].min() >= corr[iu][~is_edge].max() - 1e-5


def test_correlation_references_in_one_pass_match_brute_force(sepira):
    """Neighbours and edges from one pass over the pairs, whatever the block size, with NaN."""
    values = sepira.values.copy()
    values[np.random.default_rng(3).random(values.shape) < 0.05] = np.nan
    filled = analysis.impute_gene_mean(values).astype(np.float64)
    n = filled.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(filled.T)
    varies = filled.std(axis=0) > 0
    corr[~varies, :] = 0.0  # a constant gene correlates 0 with every gene (and vice versa)
    corr[:, ~varies] = 0.0
    iu = np.triu_indices(n, 1)
    off = corr.copy()
    np.fill_diagonal(off, -np.inf)
    top = np.sort(off, axis=1)[:, ::-1][:, :5]
    results = []
    for block_genes in (7, 100, None):  # many blocks, a few, and the default (one block here)
        idx, dist, edges = analysis.correlation_references(
            values, k=5, top_fraction=0.01, block_genes=block_genes
        )
        assert idx.shape == dist.shape == (n, 5) and edges.shape == (n, n)
        assert (idx != np.arange(n)[:, None]).all()
        np.testing.assert_allclose(1.0 - dist, top, atol=1e-4)
        np.testing.assert_allclose(np.take_along_axis(corr, idx, axis=1), top, atol=1e-4)
        assert (np.diff(dist, axis=1) >= 0).all()  # most correlated first
        assert edges.nnz == 2 * round(0.01 * n * (n - 1) / 2)
        assert (edges != edges.T).nnz == 0 and edges.diagonal().sum() == 0
        is_edge = np.asarray(edges[iu[0], iu[1]]).ravel()
        assert corr[iu][is_edge].min() >= corr[iu][~is_edge].max() - 1e-5
        results.append((idx, edges))
    for idx, edges in results[1:]:
        assert (edges != results[0][1]).nnz == 0
        assert (idx[varies] == results[0][0][varies]).all()
    # the single-reference functions give the same
    cidx, _ = analysis.correlation_neighbors(values, k=5)
    assert (cidx[varies] == results[0][0][varies]).all()
    assert (analysis.coexpression_edges(values, 0.01) != results[0][1]).nnz == 0
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(CoreError, match="block_genes"):
            analysis.correlation_references(values, block_genes=bad)
    with pytest.raises(CoreError, match="top_fraction"):
        analysis.correlation_references(values, top_fraction=0.0)
    with pytest.raises(CoreError, match="k=0"):
        analysis.correlation_references(values, k=0)


def test_genes_without_variance_are_named_by_the_correlation_references(sepira, caplog):
    """A gene without variance correlates 0 with every gene: its "most correlated" genes were
    the first ones reached, without a word. The references now name such genes."""
    values = sepira.values[:, :40].astype(np.float64)
    with caplog.at_level(logging.WARNING, logger="core.analysis"):
        analysis.correlation_neighbors(values, k=5)
        analysis.correlation_references(values, k=5)
    assert "no variance" not in caplog.text
    values[:, 7] = 2.5  # constant, not zero
    values[:, 30] = np.nan  # nothing measured
    for compute in (analysis.correlation_neighbors, analysis.correlation_references):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="core.analysis"):
            compute(values, k=5)
        assert "2 of 40 genes have no variance over the samples (columns 7, 30)" in caplog.text


def test_report_caches_both_correlation_references(sepira, tmp_path, monkeypatch):
    from core import report_sections

    with ResultCache(tmp_path / "cache") as cache:
        idx, coexp = report_sections._correlation_references(sepira, cache, 5)
        ref_idx, _, ref_edges = analysis.correlation_references(sepira.values, 5, 0.01)
        assert (idx == ref_idx).all() and (coexp != ref_edges).nnz == 0

        def fail(*args, **kwargs):
            raise AssertionError("recomputed although cached")

        monkeypatch.setattr(analysis, "correlation_references", fail)
        idx2, coexp2 = report_sections._correlation_references(sepira, cache, 5)
        assert (idx2 == idx).all() and (coexp2 != coexp).nnz == 0
        with pytest.raises(AssertionError, match="recomputed"):  # another k is another entry
            report_sections._correlation_references(sepira, cache, 3)


def test_results_cached_by_another_version_of_the_code_are_computed_again(tmp_path, monkeypatch):
    """Table-1 cells, baseline maps and gene correlations were keyed by version numbers raised by
    hand, and never raised: a report read Table 1's MLP as computed before its start changed
    (0.7496 read, 0.7515 computed). The keys now hold a digest of the code and its libraries."""
    from importlib import metadata

    from core.analysis import classification, maps

    original = analysis.CODE_VERSION
    assert analysis._code_version() == original
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), np.repeat(["a", "b"], 20)
    args = dict(fraction=0.5, n_splits=2, classifiers=["1-NN"])
    with ResultCache(tmp_path / "cache") as cache:
        analysis.semi_supervised_table({"m": x}, y, cache=cache, **args)
        analysis.baseline_embeddings(x, methods=("pca",), cache=cache)
        stored = len(cache)
        analysis.semi_supervised_table({"m": x}, y, cache=cache, **args)
        analysis.baseline_embeddings(x, methods=("pca",), cache=cache)
        assert len(cache) == stored  # the same code: read back
        for module in (classification, maps):  # where the two read it
            monkeypatch.setattr(module, "CODE_VERSION", "another")
        analysis.semi_supervised_table({"m": x}, y, cache=cache, **args)
        analysis.baseline_embeddings(x, methods=("pca",), cache=cache)
        assert len(cache) == 2 * stored  # another code: computed and stored again
    # the digest follows the libraries' versions as well as the code
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda d: "0.0" if d == "scikit-learn" else real(d))
    assert analysis._code_version() != original
    monkeypatch.setattr(metadata, "version", real)
    assert analysis._code_version() == original and len(original) == 16


def test_the_code_version_follows_every_module_of_the_analyses(monkeypatch):
    """The analyses are a package of modules: a change to any of them (not only to the one that
    computes the digest) changes the version in the cache keys."""
    from pathlib import Path

    original = analysis._code_version()
    real = Path.read_bytes
    for name in ("common.py", "classification.py", "close_pairs.py"):
        # the module's file read with one byte more, as after an edit
        monkeypatch.setattr(Path, "read_bytes", lambda p, n=name: real(p) + b"#" * (p.name == n))
        assert analysis._code_version() != original, name
    monkeypatch.setattr(Path, "read_bytes", real)
    assert analysis._code_version() == original


def test_consensus_gene_space_averages_cosine_distances():
    rng = np.random.default_rng(0)
    embs = [rng.standard_normal((60, 8)), rng.standard_normal((60, 3)), rng.random((60, 5))]
    joined = analysis.consensus_gene_space(embs)
    assert joined.shape == (60, 16)

    def cosine_distance(e):
        u = analysis.unit_rows(e)
        return 1.0 - u @ u.T

    expected = np.mean([cosine_distance(e) for e in embs], axis=0)
    np.testing.assert_allclose(1.0 - joined @ joined.T, expected, atol=1e-12)
    idx, dist = analysis.gene_neighbors(joined, k=4)
    off = expected.copy()
    np.fill_diagonal(off, np.inf)
    np.testing.assert_allclose(dist, np.sort(off, axis=1)[:, :4], atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(expected, idx, axis=1), dist, atol=1e-5)
    with pytest.raises(CoreError, match="different numbers of genes"):
        analysis.consensus_gene_space([embs[0], embs[1][:50]])
    with pytest.raises(CoreError, match="at least one"):
        analysis.consensus_gene_space([])


def test_neighbour_run_support_counts_runs():
    rng = np.random.default_rng(2)
    base = rng.standard_normal((80, 6))
    embs = [base, base + 0.3 * rng.standard_normal((80, 6)), rng.standard_normal((80, 4))]
    idx, dist, runs = analysis.neighbour_run_support(embs, k=5)
    joined_idx, joined_dist = analysis.gene_neighbors(analysis.consensus_gene_space(embs), 5)
    np.testing.assert_array_equal(idx, joined_idx)
    np.testing.assert_allclose(dist, joined_dist)
    own = [analysis.gene_neighbors(e, 5)[0] for e in embs]
    expected = [[sum(idx[g, r] in set(o[g]) for o in own) for r in range(5)] for g in range(80)]
    np.testing.assert_array_equal(runs, expected)
    assert runs.min() >= 0 and runs.max() == 3 and (runs < 3).any()
    # one run: every neighbour holds in it
    assert (analysis.neighbour_run_support([base], 5)[2] == 1).all()
    # unordered pairs: either gene among the other's nearest, in how many runs
    pairs = np.array([[g, idx[g, 0]] for g in range(80)] + [[idx[g, 0], g] for g in range(5)])
    counts = analysis.pair_run_counts(pairs, embs, 5)
    expected = [sum(b in set(o[a]) or a in set(o[b]) for o in own) for a, b in pairs]
    np.testing.assert_array_equal(counts, expected)
    assert (counts[:80] >= runs[:, 0]).all()
    with pytest.raises(CoreError, match="out of range"):
        analysis.pair_run_counts(np.array([[0, 80]]), embs, 5)


def test_neighbors_match_brute_force(sepira):
    rng = np.random.default_rng(1)
    for dim in (3, 16):  # KD-tree and blocked brute-force paths
        emb = sepira.values[rng.choice(sepira.n_samples, dim, replace=False)].T  # genes x dim
        idx, dist = analysis.gene_neighbors(emb, k=5, metric="euclidean")
        d = np.linalg.norm(emb[:, None, :] - emb[None, :, :], axis=2)
        np.fill_diagonal(d, np.inf)
        np.testing.assert_allclose(dist, np.sort(d, axis=1)[:, :5], rtol=1e-4, atol=1e-4)
        assert (idx != np.arange(len(emb))[:, None]).all()
        # cosine (the default): 1 - cos of the angle between gene vectors
        emb = emb[np.linalg.norm(emb, axis=1) > 0]
        idx, dist = analysis.gene_neighbors(emb, k=5)
        unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        d = 1.0 - unit @ unit.T
        np.fill_diagonal(d, np.inf)
        np.testing.assert_allclose(dist, np.sort(d, axis=1)[:, :5], rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(np.take_along_axis(d, idx, 1), dist, rtol=1e-3, atol=1e-4)
    with pytest.raises(CoreError, match="metric"):
        analysis.gene_neighbors(emb, k=5, metric="manhattan")
    cidx, cdist = analysis.correlation_neighbors(sepira.values, k=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(sepira.values.T), nan=-np.inf)
    np.fill_diagonal(corr, -np.inf)
    top = np.sort(corr, axis=1)[:, ::-1][:, :3]
    ok = np.isfinite(top).all(axis=1)
    np.testing.assert_allclose(1 - cdist[ok], top[ok], atol=1e-4)


def test_go_agreement_of_correlation_neighbours(sepira, go_bp):
    """The 5 most correlated genes of a gene share a GO BP term (3-500 genes) >= 2x random."""
    go_matrix, _ = go_bp
    idx, _ = analysis.correlation_neighbors(sepira.values, k=5)
    pairs = analysis.pairs_from_neighbors(idx)
    assert pairs.shape == (5 * sepira.n_genes, 2)
    coexp = analysis.coexpression_edges(sepira.values)
    result = analysis.neighbor_agreement(pairs, go_matrix, coexp, seed=0, n_random=100_000)
    assert result["go_ratio"] >= 2.0, result
    assert result["coexp_ratio"] >= 10, result
    assert result["coexp_random"] == pytest.approx(0.01, abs=0.002)
    # random "neighbours" agree at chance level
    rand = analysis.random_pairs(sepira.n_genes, len(pairs), seed=5)
    chance = analysis.neighbor_agreement(rand, go_matrix, coexp, n_random=100_000)
    assert 0.7 < chance["go_ratio"] < 1.3 and 0.5 < chance["coexp_ratio"] < 1.5


def test_agreement_by_size_and_novel_pairs(sepira, go_bp):
    go_matrix, types = go_bp
    # gene coordinates from the samples (principal components of genes across samples)
    from sklearn.decomposition import PCA

    genes_x_samples = analysis.impute_gene_mean(sepira.values).T
    pcs = PCA(n_components=20, random_state=0).fit_transform(genes_x_samples)
    coexp = analysis.coexpression_edges(sepira.values)
    table = analysis.neighbor_agreement_by_size(
        {2: pcs[:, :2], 20: pcs}, go_matrix, coexp, k=5, seed=0
    )
    assert list(table.index) == [2, 20]
    assert {"go_fraction", "go_random", "go_ratio", "coexp_ratio"} <= set(table.columns)
    assert (table["coexp_ratio"] > 2).all()
    idx, dist = analysis.gene_neighbors(pcs, k=5)
    novel = analysis.novel_close_pairs(
        idx, go_matrix, coexp, sepira.gene_symbols, types, dist, sepira.gene_ids
    )
    assert len(novel) > 0
    pairs = novel[["gene_a", "gene_b"]].to_numpy()
    assert len({frozenset(p) for p in pairs.tolist()}) == len(pairs)  # each unordered pair once
    # each type is its own gene's, and the two types are in order within the pair
    types_arr = np.asarray(types, dtype=object)
    assert (novel["type_a"].to_numpy() == types_arr[pairs[:, 0]]).all()
    assert (novel["type_b"].to_numpy() == types_arr[pairs[:, 1]]).all()
    assert (novel["type_a"] <= novel["type_b"]).all()
    symbols = np.asarray(sepira.gene_symbols, dtype=object)
    assert (novel["symbol_a"].to_numpy() == symbols[pairs[:, 0]]).all()
    assert (novel["type_a"] != novel["type_b"]).any()  # the check above is not vacuous
    assert not analysis._share_term(go_matrix, pairs).any()
    assert not analysis.is_edge(coexp, pairs).any()
    assert novel["distance"].is_monotonic_increasing
    summary = analysis.summarize_novel_pairs(novel, types)
    assert summary["n_pairs"].sum() == len(novel)
    assert summary["fraction"].sum() == pytest.approx(1.0)
    assert (summary["expected"] > 0).all()
    # every close pair, with its novelty: the novel ones are the rows above
    close = analysis.novel_close_pairs(
        idx, go_matrix, coexp, sepira.gene_symbols, types, dist, return_all=True
    )
    assert len(close) > len(novel) and int(close["novel"].sum()) == len(novel)
    assert close.loc[close["novel"], ["gene_a", "gene_b"]].to_numpy().tolist() == pairs.tolist()
    annotated = np.asarray(go_matrix.getnnz(axis=1) > 0).ravel()
    a, b = close["gene_a"].to_numpy(), close["gene_b"].to_numpy()
    assert (close["both_annotated"].to_numpy() == (annotated[a] & annotated[b])).all()
    # a pair with an unannotated gene shares no term: novel unless it is a co-expression edge
    unannotated = close[~close["both_annotated"]]
    edge = analysis.is_edge(coexp, unannotated[["gene_a", "gene_b"]].to_numpy())
    assert (unannotated["novel"].to_numpy() == ~edge).all()
    full = analysis.summarize_novel_pairs(close, types, close=close)
    assert full["n_pairs"].sum() == len(novel)  # rows not novel are left out
    assert (full["n_close"] >= full["n_pairs"]).all()
    assert full["novel_rate"].between(0, 1).all()
    assert full["unannotated"].sum() == int((~novel["both_annotated"]).sum())
    pc = full.loc[("protein-coding", "protein-coding")]
    assert pc["novel_rate"] == pytest.approx(pc["n_pairs"] / pc["n_close"])
    # detection: the pair's lower share of samples with the gene above 0
    det = analysis.detection_rate(sepira.values)
    assert det.shape == (sepira.n_genes,) and det.min() >= 0 and det.max() <= 1
    flagged = analysis.novel_close_pairs(idx, go_matrix, coexp, sepira.gene_symbols, detection=det)
    a, b = flagged["gene_a"].to_numpy(), flagged["gene_b"].to_numpy()
    assert np.allclose(flagged["min_detection"], np.minimum(det[a], det[b]))
    with pytest.raises(CoreError, match="one value per gene"):
        analysis.novel_close_pairs(idx, go_matrix, coexp, sepira.gene_symbols, detection=det[:3])


def test_detection_rate_counts_observed_values_only():
    x = np.array([[0.0, 1.0, np.nan], [2.0, 0.0, np.nan], [3.0, 0.5, np.nan], [np.nan, 0.0, 0.0]])
    assert np.allclose(analysis.detection_rate(x), [2 / 3, 2 / 4, 0.0])
    assert np.allclose(analysis.detection_rate(x, chunk=2), [2 / 3, 2 / 4, 0.0])  # in blocks
    with pytest.raises(CoreError, match="matrix"):
        analysis.detection_rate(np.zeros(3))


# ----------------------------------------------------------------------------- bad and edge inputs
def test_infinite_values_are_refused_by_name():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 6)).astype(np.float32)
    x[4, 2] = np.inf
    labels = np.repeat(["a", "b", "c"], 10)
    with pytest.raises(DataError, match="embedding holds infinite values.*row 4"):
        analysis.one_nn_accuracy(x, labels, 0.5, 3)
    # the correlations of an infinite gene were NaN: neighbour -1 at distance inf, silently
    with pytest.raises(DataError, match="values holds infinite"):
        analysis.correlation_neighbors(x, 2)
    with pytest.raises(DataError, match="values holds infinite"):
        analysis.coexpression_edges(-x)
    with pytest.raises(DataError, match="values holds infinite"):
        analysis.baseline_embeddings(x, ("pca",))
    with pytest.raises(DataError, match="values holds infinite"):
        analysis.gene_smoothness(rng.normal(size=(30, 2)), x, 5)
    with pytest.raises(DataError, match="gene_embedding holds infinite"):
        analysis.gene_neighbors(x, 2)
    with pytest.raises(DataError, match="numeric"):
        analysis.one_nn_accuracy(np.full((30, 2), "x"), labels, 0.5, 3)
    # +inf is not a detected value of an observed sample
    assert analysis.detection_rate(np.array([[np.inf], [np.inf], [0.0], [1.0]])).tolist() == [0.5]


def test_maps_of_identical_samples_are_refused():
    """All samples alike (e.g. every value missing): t-SNE's start was NaN and scikit-learn's
    Barnes-Hut code crashed the process (segmentation fault)."""
    same = np.tile(np.arange(6, dtype=np.float32), (12, 1))
    with pytest.raises(DataError, match="identical in every gene"):
        analysis.baseline_embeddings(same, ("pca",))
    missing = np.full((12, 80), np.nan)
    missing[0, 0] = 1.0
    with pytest.raises(DataError, match="identical in every gene"):
        analysis.baseline_embeddings(missing, ("tsne",))
    # one method named alone (its letters were taken for three unknown methods)
    assert list(analysis.baseline_embeddings(same + np.eye(12, 6), "pca")) == ["pca"]


def test_one_nn_on_wide_matrix_matches_float64_brute_force(sepira, sepira_labels):
    """1-NN is blind to a shift of every gene; float32 products of uncentred values were not."""
    values = sepira.values + np.float32(300.0)
    labels = pd.Series(sepira_labels).to_numpy(dtype=object)
    acc = analysis.one_nn_accuracy(values, labels, fraction=0.1, n_splits=1, seed=0)
    codes, _ = analysis.label_codes(labels, len(labels))
    n_train, (perm,) = analysis._splits(len(labels), 0.1, 1, 0)
    train, test = perm[:n_train], perm[n_train:]
    x = sepira.values.astype(np.float64)
    d2 = ((x[test, None, :] - x[None, train, :]) ** 2).sum(axis=2)
    exact = np.mean(codes[train][np.argmin(d2, axis=1)] == codes[test])
    assert acc.mean == pytest.approx(exact)


def test_labels_written_as_numbers_or_text_are_one_class():
    """Labels from mixed files: 1, 1.0, "1" and " 1 " name one class, "1.5" another."""
    labels = np.array([1, 1.0, "1", " 1 ", 2, np.float32(2.0), "Lung", " Lung", 1.5, None], object)
    codes, classes = analysis.label_codes(labels, len(labels))
    assert list(classes) == ["1", "1.5", "2", "Lung"]
    assert list(codes) == [0, 0, 0, 0, 2, 2, 3, 3, 1, -1]
    assert analysis.label_codes(np.array([True, False, True]), 3)[1].tolist() == [
        "False",
        "True",
    ]


def test_missing_labels_turned_to_text_stay_missing():
    """``astype(str)`` writes NaN, None and pd.NA as "nan", "None" and "<NA>": they were
    classes of their own, scored in Table 1 as if a tissue."""
    labels = pd.Series(["Lung", np.nan, "Liver", None, pd.NA, "Lung"], dtype=object).astype(str)
    codes, classes = analysis.label_codes(labels.to_numpy(), len(labels))
    assert list(classes) == ["Liver", "Lung"]
    assert list(codes) == [1, -1, 0, -1, -1, 1]
    assert list(analysis.label_classes(labels)) == ["Liver", "Lung"]


def test_labels_given_by_sample_id_are_read_by_id(sepira, caplog):
    """A tissue Series in another order than the map was used by position: 1-NN read near
    chance with nothing said. With ``sample_ids`` (or a map indexed by sample id) it is read by
    id; ids without a label are unlabelled, with a warning."""
    ids = sepira.sample_ids
    tissue = sepira.samples["tissue"]
    shuffled = tissue.sample(frac=1.0, random_state=3)
    in_order = analysis.one_nn_accuracy(sepira.values, tissue, 0.1, 5)
    assert in_order.mean > 0.7
    by_position = analysis.one_nn_accuracy(sepira.values, shuffled, 0.1, 5)
    assert by_position.mean < 0.2  # the hazard: shuffled labels, used in their order
    by_id = analysis.one_nn_accuracy(sepira.values, shuffled, 0.1, 5, sample_ids=ids)
    assert by_id == in_order
    framed = pd.DataFrame(sepira.values, index=ids)
    assert analysis.one_nn_accuracy(framed, shuffled, 0.1, 5) == in_order
    table = analysis.semi_supervised_table({"raw": framed}, shuffled, 0.1, 5, classifiers=("1-NN",))
    assert table.loc["1-NN", ("raw", "mean")] == pytest.approx(in_order.mean)
    # a map filtered by a mask keeps row numbers (1, 3, 5...), not ids: read in order
    by_number = framed.reset_index(drop=True)
    odd = by_number[np.arange(len(by_number)) % 2 == 1]  # an index of numbers, not a range
    assert not isinstance(odd.index, pd.RangeIndex)
    odd_labels = pd.Series(tissue.to_numpy()[1::2])
    expected = analysis.one_nn_accuracy(odd.to_numpy(), odd_labels, 0.1, 5)
    assert analysis.one_nn_accuracy(odd, odd_labels, 0.1, 5) == expected
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.analysis"):
        analysis.one_nn_accuracy(sepira.values, shuffled.iloc[20:], 0.1, 5, sample_ids=ids)
    said = [r.getMessage() for r in caplog.records if "no label entry" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("20 of 520 samples have no label entry")
    with pytest.raises(CoreError, match="Series indexed by sample id"):
        analysis.one_nn_accuracy(sepira.values, tissue.to_numpy(), 0.1, 5, sample_ids=ids)
    with pytest.raises(DataError, match="is in the labels' index"):
        analysis.one_nn_accuracy(
            sepira.values, tissue.reset_index(drop=True), 0.1, 5, sample_ids=ids
        )
    with pytest.raises(DataError, match="repeats sample id"):
        repeated = pd.Series(tissue.to_numpy(), index=np.r_[ids[:-1], ids[:1]])
        analysis.one_nn_accuracy(sepira.values, repeated, 0.1, 5, sample_ids=ids)
    with pytest.raises(DataError, match="sample_ids has 519 ids"):
        analysis.one_nn_accuracy(sepira.values, tissue, 0.1, 5, sample_ids=ids[1:])
    with pytest.raises(DataError, match="different orders"):
        analysis.semi_supervised_table(
            {"a": framed, "b": framed.iloc[::-1]}, tissue, 0.1, 2, classifiers=("1-NN",)
        )


def test_paired_interval_is_student_t_over_the_splits():
    from scipy import stats

    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 2))
    labels = np.repeat(["a", "b", "c"], 20)
    table = analysis.semi_supervised_table(
        {"x": x, "noise": rng.normal(size=(60, 2))}, labels, 0.2, 5, classifiers=("1-NN",)
    )
    row = analysis.paired_differences(table, "x").loc[("1-NN", "noise")]
    diff = np.subtract(*(table.attrs["split_scores"][n]["1-NN"] for n in ("x", "noise")))
    low, high = stats.t.interval(0.95, 4, loc=diff.mean(), scale=stats.sem(diff))
    assert row["ci_low"] == pytest.approx(low) and row["ci_high"] == pytest.approx(high)


def test_one_split_states_no_spread():
    """With --splits 1, Table 1 read "0.70 ± 0.00" and the paired table "[+nan, +nan]"."""
    rng = np.random.default_rng(0)
    maps = {"fe": rng.normal(size=(40, 2)), "pca": rng.normal(size=(40, 2))}
    labels = np.repeat(["a", "b"], 20)
    one = analysis.semi_supervised_table(maps, labels, 0.5, 1, classifiers=["1-NN"])
    text = analysis.format_table(one).loc["1-NN", "fe"]
    assert text.endswith("(1 split)") and "±" not in text
    paired = analysis.format_paired(analysis.paired_differences(one, "fe")).iloc[0, 0]
    assert "nan" not in paired and "no interval from 1 split" in paired
    # maps named by numbers (runs 0, 1, ...): the Markdown stopped with a TypeError
    numbered = analysis.semi_supervised_table(
        {0: maps["fe"], 1: maps["pca"]}, labels, 0.5, 2, classifiers=["1-NN"]
    )
    assert analysis.table_to_markdown(numbered).startswith("| classifier | 0 | 1 |")
    two = analysis.semi_supervised_table(maps, labels, 0.5, 2, classifiers=["1-NN"])
    assert " ± " in analysis.format_table(two).loc["1-NN", "fe"]
    assert "nan" not in analysis.format_paired(analysis.paired_differences(two, "fe")).iloc[0, 0]


def test_smoothness_of_shuffled_genes_is_zero_with_missing_values():
    """Neighbour means over fewer samples are noisier: scored as such, missing values do not
    lower a gene's smoothness (it was -0.12 for genes missing in 60% of the samples)."""
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(400, 2))
    values = rng.normal(size=(400, 300))
    for share in (0.0, 0.6):
        holey = np.where(rng.random(values.shape) < share, np.nan, values)
        score = analysis.gene_smoothness(emb, holey, k=15)
        assert abs(score.mean()) < 0.015, (share, score.mean())
    # a smooth gene keeps its score when a third of its values go missing
    smooth = np.column_stack([emb[:, 0], np.where(rng.random(400) < 0.33, np.nan, emb[:, 0])])
    full, holey = analysis.gene_smoothness(emb, smooth, k=15)
    assert holey == pytest.approx(full, abs=0.02)


def test_smoothness_of_shuffled_values_is_zero_on_a_small_map():
    """Shuffled over a map of 40 samples, a gene scores 0 on average: the variance is taken with
    ddof=1 (a sample and its neighbours are drawn without replacement). With ddof=0 the mean
    was -1/(n-1) = -0.026."""
    rng = np.random.default_rng(2)
    emb = rng.normal(size=(40, 2))
    gene = rng.normal(size=40)
    shuffles = np.column_stack([rng.permutation(gene) for _ in range(4000)])
    score = analysis.gene_smoothness(emb, shuffles, k=15)
    assert abs(score.mean()) < 0.004, score.mean()  # se of the mean ~0.001


def test_labels_and_protocol_arguments_are_checked():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    labels = np.repeat(["a", "b", "c"], 10)
    as_column = analysis.one_nn_accuracy(x, pd.DataFrame({"tissue": labels}), 0.5, 3)
    assert as_column == analysis.one_nn_accuracy(x, labels, 0.5, 3)
    with pytest.raises(DataError, match="one label per sample"):
        analysis.one_nn_accuracy(x, np.stack([labels, labels], axis=1), 0.5, 3)
    with pytest.raises(CoreError, match="n_splits must be at most 1,000"):
        analysis.one_nn_accuracy(x, labels, 0.5, 10**8)
    with pytest.raises(CoreError, match="n_splits must be an integer"):
        analysis.one_nn_accuracy(x, labels, 0.5, 2.5)
    with pytest.raises(CoreError, match="k \\(neighbours\\) must be an integer"):
        analysis.gene_neighbors(x, 2.5)
    one = analysis.semi_supervised_table({"x": x}, labels, 0.5, 3, classifiers="1-NN")
    assert list(one.index) == ["1-NN"]
    with pytest.raises(CoreError, match="at least one classifier"):
        analysis.semi_supervised_table({"x": x}, labels, 0.5, 3, classifiers=())


def test_map_neighbours_treat_empty_and_na_labels_as_unlabelled():
    train = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [0.3, 0.0], [9.0, 9.0]])
    labels = np.array(["", pd.NA, "  ", np.float32("nan"), "lung"], dtype=object)
    out = analysis.map_neighbours(train, np.array([[0.0, 0.0]]), labels, k=5)
    assert out["nearest_label"].tolist() == [None]
    assert out["majority_label"].tolist() == ["lung"]
    assert out["majority_share"].tolist() == [pytest.approx(1 / 5)]
    with pytest.raises(DataError, match="train_coords has NaN"):
        analysis.map_neighbours(np.where(train > 5, np.nan, train), train[:1])


def test_gene_space_inputs_are_checked():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(20, 3))
    with pytest.raises(DataError, match="gene_embedding has NaN in 1 of its 20 rows"):
        analysis.gene_neighbors(np.where(np.arange(20)[:, None] == 7, np.nan, emb), 3)
    with pytest.raises(DataError, match="gene_embedding has NaN"):
        analysis.consensus_gene_space([emb, np.full((20, 2), np.nan)])
    # the runs of an iterator of models (it was spent by the joined space: 0 runs)
    _, _, runs = analysis.neighbour_run_support(iter([emb, emb]), 3)
    assert (runs == 2).all()
    # a negative index counted the last gene, silently; no pair is no count
    with pytest.raises(CoreError, match="index -1 out of range"):
        analysis.pair_run_counts(np.array([[0, -1]]), [emb], 3)
    assert analysis.pair_run_counts(np.zeros((0, 2), dtype=int), [emb], 3).shape == (0,)
    adjacency = sparse.eye(20, k=1, format="csr") + sparse.eye(20, k=-1, format="csr")
    assert analysis.is_edge(adjacency, np.array([[0, 1], [0, 2]])).tolist() == [True, False]
    assert analysis.is_edge(adjacency, np.zeros((0, 2), dtype=int)).shape == (0,)
    with pytest.raises(CoreError, match="out of range"):
        analysis.is_edge(adjacency, np.array([[19, -1]]))
    with pytest.raises(CoreError, match="n_pairs must be >= 0"):
        analysis.random_pairs(20, -1)


def test_neighbor_agreement_checks_references_and_counts_no_pair():
    go = sparse.csr_matrix(np.eye(20, 4, dtype=bool))
    coexp = sparse.csr_matrix((20, 20), dtype=bool)
    pairs = np.array([[0, 1], [2, 3]])
    # a co-expression network of other genes was read by index (or raised IndexError)
    with pytest.raises(DataError, match="go_matrix has 20 genes but coexp has 10"):
        analysis.neighbor_agreement(pairs, go, coexp[:10, :10])
    with pytest.raises(DataError, match="square"):
        analysis.neighbor_agreement(pairs, None, coexp[:, :10])
    with pytest.raises(CoreError, match="n_random must be >= 1"):
        analysis.neighbor_agreement(pairs, go, coexp, n_random=0)
    none = analysis.neighbor_agreement(np.zeros((0, 2), dtype=int), go, coexp)
    assert none["n_pairs"] == 0 and np.isnan(none["go_fraction"])
    assert np.isnan(none["coexp_fraction"])
    some = analysis.neighbor_agreement(np.zeros((0, 2), dtype=int), go, coexp, n_random=50)
    assert some["coexp_random"] == 0.0 and np.isnan(some["coexp_fraction"])


def test_novel_close_pairs_check_their_inputs():
    rng = np.random.default_rng(0)
    idx, dist = analysis.gene_neighbors(rng.normal(size=(12, 3)), 2)
    go = np.eye(12, 3, dtype=bool)  # dense annotations are taken as well
    coexp = sparse.csr_matrix((12, 12), dtype=bool)
    symbols = np.array([f"G{i}" for i in range(12)], dtype=object)
    out = analysis.novel_close_pairs(idx, go, coexp, symbols, distances=dist)
    assert len(out) > 0 and out["distance"].is_monotonic_increasing
    with pytest.raises(DataError, match="gene_symbols has 5 entries for 12 genes"):
        analysis.novel_close_pairs(idx, go, coexp, symbols[:5], distances=dist)
    with pytest.raises(DataError, match="distances has shape"):
        analysis.novel_close_pairs(idx, go, coexp, symbols, distances=dist[:4])
    with pytest.raises(DataError, match="go_matrix has 4 genes"):
        analysis.novel_close_pairs(idx, go[:4], coexp, symbols)
    with pytest.raises(DataError, match="coexp has shape"):
        analysis.novel_close_pairs(idx, go, coexp[:6, :6], symbols)


def test_expected_type_pairs_are_those_of_distinct_genes():
    """The share of each type pair among all pairs of two distinct genes, counted one by one
    (drawn with replacement, a type of 2 genes among 6 was 0.11 instead of 1/15)."""
    from itertools import combinations

    types = np.array(["snoRNA", "snoRNA", "lncRNA", "pc", "pc", "pc"], dtype=object)
    truth = pd.Series(
        [tuple(sorted((types[i], types[j]))) for i, j in combinations(range(6), 2)]
    ).value_counts(normalize=True)
    novel = pd.DataFrame(
        {"type_a": ["snoRNA", "lncRNA", "pc"], "type_b": ["snoRNA", "snoRNA", "pc"]}
    )
    summary = analysis.summarize_novel_pairs(novel, types)
    # every type pair of the novel pairs is counted (not only the rows the loop below sees)
    assert sorted(summary.index) == [("lncRNA", "snoRNA"), ("pc", "pc"), ("snoRNA", "snoRNA")]
    assert list(summary["n_pairs"]) == [1, 1, 1]
    for (ta, tb), expected in summary["expected"].items():
        assert expected == pytest.approx(truth[(ta, tb)]), (ta, tb)


def test_default_keratins_are_keratins():
    """Figure 3's keratins: KRT5, KRT14, KRT6A, KRT222; not the keratin pseudogenes (KRT8P12,
    KRT121P: 111 of the 179 symbols that KRT[0-9]* matched genome-wide), the antisense
    KRT10-AS1, nor KRTAP13-4, KRTCAP2, KRTDAP. A pattern still matches what it says."""
    symbols = ["KRT5", "KRT14", "KRTAP13-4", "KRTCAP2", "KRTDAP", "KRT8P12", "MYH6", "krt6a"]
    symbols += ["KRT10-AS1", "KRT121P", "KRT222"]
    hits = analysis.match_genes(symbols, [*analysis.DEFAULT_MARKERS, "KRT[0-9]*", "Keratins"])
    assert [symbols[i] for i in hits["keratins"]] == ["KRT5", "KRT14", "krt6a", "KRT222"]
    assert [symbols[i] for i in hits["Keratins"]] == [symbols[i] for i in hits["keratins"]]
    assert [symbols[i] for i in hits["KRT[0-9]*"]] == [
        "KRT5", "KRT14", "KRT8P12", "krt6a", "KRT10-AS1", "KRT121P", "KRT222",
    ]  # fmt: skip
    assert [symbols[i] for i in hits["MYH6"]] == ["MYH6"]
    # a symbol not here is looked for among the ids, an Ensembl id's version ignored
    ids = [f"ENSG{i:011d}.{i % 3 + 1}" for i in range(len(symbols))]
    found = analysis.match_genes(symbols, ["ENSG00000000006", "MYH6", "NOPE"], ids=ids)
    assert [len(found[m]) for m in ("ENSG00000000006", "MYH6", "NOPE")] == [1, 1, 0]
    assert found["ENSG00000000006"][0] == 6


def test_marker_smoothness_checks_values_against_symbols():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 3))
    emb = {"m": rng.normal(size=(30, 2))}
    as_list = analysis.marker_smoothness(emb, values.tolist(), ["KRT1", "KRT2", "MYH6"], k=5)
    assert as_list.loc["keratins", "n_genes"] == 2
    with pytest.raises(DataError, match="one column per gene symbol"):
        analysis.marker_smoothness(emb, values, ["KRT1", "KRT2", "MYH6", "XIST"], k=5)


# ----------------------------------------------------------------------------- CLI
def _main(argv):
    from core.cli import main

    return main(argv)


def test_cli_errors(tmp_path, capsys):
    code = _main(["evaluate", "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and "no such model directory" in err
    (tmp_path / "empty").mkdir()
    code = _main(["report", "--model", str(tmp_path / "empty"), "--out", str(tmp_path / "rep")])
    assert code == 2 and "not a model directory" in capsys.readouterr().err
    code = _main(
        [
            "evaluate",
            "--model",
            str(tmp_path),
            "--out",
            str(tmp_path / "r.json"),
            "--methods",
            "ica",
        ]
    )
    assert code == 2 and "--methods: unknown ica" in capsys.readouterr().err
    code = _main(["evaluate", "--model", str(tmp_path), "--out", str(tmp_path / "r.txt")])
    assert code == 2 and ".json" in capsys.readouterr().err
    # the report's GO options are checked before anything is loaded or computed
    report = ["report", "--model", str(tmp_path / "empty"), "--out", str(tmp_path / "rep")]
    table = tmp_path / "samples.tsv"
    table.write_text("sample\ttissue\nS1\tLiver\n")
    gaf = tmp_path / "ok.gaf"
    gaf.write_text("!gaf-version: 2.2\n")
    obo = tmp_path / "ok.obo"
    obo.write_text("format-version: 1.2\n\n[Term]\nid: GO:0008150\n")
    for extra, message in (
        (["--go-exclude-evidence", "IEA,XYZ"], "--go-exclude-evidence: unknown GO evidence"),
        (["--go-term-size", "500-3"], "--go-term-size 500-3: expected MIN-MAX"),
        (["--go-term-size", "many"], "--go-term-size many: expected MIN-MAX"),
        (["--go-gaf", str(tmp_path / "a.gaf")], "--go-gaf and --go-obo go together"),
        (
            ["--go-gaf", str(tmp_path / "a.gaf"), "--go-obo", str(tmp_path / "b.obo")],
            "no such file",
        ),
        # files that are there but are not GO's (a sample table given twice): found at once,
        # not after the maps and Table 1
        (["--go-gaf", str(table), "--go-obo", str(obo)], "line 1 is not a GAF annotation line"),
        (["--go-gaf", str(gaf), "--go-obo", str(table)], "no 'format-version:' line or [Term]"),
    ):
        assert _main([*report, *extra]) == 2
        assert message in capsys.readouterr().err, extra
    assert not (tmp_path / "rep").exists()


@pytest.fixture(scope="module")
def tiny_model(sepira, tmp_path_factory):
    """A one-epoch model on 130 real samples (5 per tissue) x 40 genes: glue, not quality."""
    return _tiny(sepira, tmp_path_factory, 0)


@pytest.fixture(scope="module")
def tiny_model_seed1(sepira, tmp_path_factory):
    """:func:`tiny_model` with another seed: a second run of the same data."""
    return _tiny(sepira, tmp_path_factory, 1)


def _tiny(sepira, tmp_path_factory, seed: int):
    from core.estimator import FactorizedEmbeddings

    es = sepira.subset(samples=np.arange(0, sepira.n_samples, 4), genes=np.arange(40))
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=seed)
    model.fit(es)
    return model.save(tmp_path_factory.mktemp("models") / f"tiny_seed{seed}")


def test_evaluate_progress_lines_give_time_spent_and_left(monkeypatch, capsys):
    """In a log, evaluate's step lines say how long it has run and about how long is left once
    there is enough to go by (it said only "4 of 6 done" through an hour of Table 1)."""
    from core import analysis_cli

    clock = iter([100.0, 100.0, 160.0, 220.0])
    monkeypatch.setattr(analysis_cli.time, "monotonic", lambda: next(clock))
    bar = analysis_cli._LineProgress(4, "Table 1")  # started at 100 s
    bar.set_postfix_str("PCA / 1-NN")  # at 100 s: nothing done, nothing to go by
    bar.update(1)
    bar.set_postfix_str("t-SNE / 1-NN")  # at 160 s: 1 of 4 done in 60 s
    bar.update(2)
    bar.set_postfix_str("UMAP / 1-NN")  # at 220 s: 3 of 4 done in 120 s
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "Table 1: PCA (0 of 4 done)",
        "Table 1: t-SNE (1 of 4 done, 60 s so far, about 3 min left)",
        "Table 1: UMAP (3 of 4 done, 2 min so far, about 40 s left)",
    ]


def test_cli_evaluate_stratify_trains_on_every_tissue(tiny_model, tmp_path, capsys):
    """--stratify: 2% of each of the 26 tissues of 5 samples is one sample each, where 2% of
    the 130 samples is 3 (and every split leaves 23 tissues out, which evaluate warns of)."""
    argv = ["evaluate", "--model", str(tiny_model), "--fraction", "0.02", "--splits", "3"]
    argv += ["--methods", "pca", "--classifiers", "1-NN", "--no-cache"]
    out = tmp_path / "plain.json"
    assert _main([*argv, "--out", str(out)]) == 0
    assert "Fewer training samples (3) than classes (26)" in capsys.readouterr().err
    plain = json.loads(out.read_text())
    out = tmp_path / "strat.json"
    assert _main([*argv, "--out", str(out), "--stratify"]) == 0
    err = capsys.readouterr().err
    strat = json.loads(out.read_text())
    assert plain["protocol"]["stratified"] is False and strat["protocol"]["stratified"] is True
    assert strat["protocol"]["n_train"] == 26 and strat["protocol"]["n_test"] == 104
    assert strat["protocol"]["ceiling"] == 1.0 and strat["protocol"]["splits_short"] == 0
    assert "Fewer training samples" not in err and "no training sample" not in err
    assert "trained on 2% of each class's labelled samples" in err
    md = out.with_suffix(".md").read_text()
    assert "Train on 2% of each class's labelled samples, at least one of each (26)" in md


def test_report_stratified_keeps_the_papers_share(tiny_model, tmp_path, capsys):
    """report --stratify without --fraction trains on the paper's 2% of each tissue (one of
    each of the 26), not the larger share it takes when 2% drawn at random misses tissues."""
    argv = ["report", "--model", str(tiny_model), "--splits", "2", "--methods", "pca"]
    argv += ["--classifiers", "1-NN", "--no-cache", "--no-go", "--markers", "HNF4A"]
    assert _main([*argv, "--out", str(tmp_path / "plain")]) == 0
    plain = (tmp_path / "plain" / "index.html").read_text()
    assert "--fraction not given" in plain
    assert _main([*argv, "--out", str(tmp_path / "strat"), "--stratify"]) == 0
    capsys.readouterr()
    page = (tmp_path / "strat" / "index.html").read_text()
    assert "--fraction not given" not in page
    assert "train on 2% of each class&#x27;s labelled samples, at least one of each (26)" in page


def test_cli_evaluate_writes_json_and_markdown(tiny_model, tmp_path, capsys):
    out = tmp_path / "eval" / "table.json"
    argv = ["evaluate", "--model", str(tiny_model), "--fraction", "0.2", "--splits", "3"]
    argv += ["--out", str(out), "--methods", "pca,raw", "--classifiers", "1-NN,Gaussian NB"]
    argv += ["--cache-dir", str(tmp_path / "cache")]
    assert _main(argv) == 0
    err = capsys.readouterr().err
    # in a log (not a terminal): a plain line per step, no bar redrawn with carriage returns
    assert "\r" not in err
    assert "Table 1: Factorized Embeddings (0 of 6 done)" in err
    assert "Table 1: raw data (4 of 6 done)" in err
    # maps named as people know them (it said "pca", "fe"), and the table printed says what
    # its numbers are
    assert "baseline maps: PCA (0 of 1 done)" in err
    assert "Accuracy (share of the test samples whose tissue is predicted right)" in err
    assert "mean ± sd over 3 random splits" in err and "Factorized Embeddings minus" in err
    result = json.loads(out.read_text())
    assert set(result["results"]) == {"fe", "pca", "raw"}
    assert set(result["results"]["raw"]) == {"1-NN", "Gaussian NB"}
    assert result["protocol"]["n_train"] == 26 and result["protocol"]["label"] == "tissue"
    assert result["dataset"]["n_samples"] == 130 and result["dataset"]["n_genes"] == 40
    assert result["results"]["raw"]["1-NN"]["mean"] > 0.3
    md = out.with_suffix(".md").read_text()
    assert "| 1-NN |" in md and "Factorized Embeddings" in md
    # FE against each map on the same splits
    assert set(result["fe_minus_other"]["1-NN"]) == {"pca", "raw"}
    fe, raw = (result["split_scores"][n]["1-NN"] for n in ("fe", "raw"))
    assert result["fe_minus_other"]["1-NN"]["raw"]["difference"] == pytest.approx(
        np.mean(np.subtract(fe, raw))
    )
    assert "minus each map, split by split" in md and "| 1-NN | " in md.split("split by split")[-1]
    assert result["protocol"]["baselines_on"] == "the values as they are"
    # baselines on sample-centred values: another input, so other raw-data scores
    centred = tmp_path / "eval" / "centred.json"
    argv2 = ["evaluate", "--model", str(tiny_model), "--fraction", "0.2", "--splits", "3"]
    argv2 += ["--out", str(centred), "--methods", "pca,raw", "--classifiers", "1-NN,Gaussian NB"]
    assert _main([*argv2, "--no-cache", "--center-samples"]) == 0
    again = json.loads(centred.read_text())
    assert again["protocol"]["baselines_on"].endswith("(--center-samples)")
    assert again["results"]["fe"] == result["results"]["fe"]
    assert again["split_scores"]["raw"] != result["split_scores"]["raw"]
    code = _main([*argv[:-2], "--no-cache", "--label", "nope", "--force"])
    assert code == 2 and "--label nope" in capsys.readouterr().err
    before = out.read_bytes()
    code = _main([*argv[:-2], "--no-cache", "--model", str(tmp_path / "no_model")])
    err = capsys.readouterr().err  # an existing --out is refused before the model is read
    assert code == 2 and "already exists" in err and out.read_bytes() == before
    assert "Fewer training samples" not in md  # 26 training samples for 26 tissues
    # fewer labelled samples than classes: said in the log and in the Markdown
    few = tmp_path / "eval" / "few.json"
    argv3 = ["evaluate", "--model", str(tiny_model), "--fraction", "0.1", "--splits", "2"]
    argv3 += ["--out", str(few), "--methods", "pca", "--classifiers", "1-NN", "--no-cache"]
    assert _main(argv3) == 0
    err = capsys.readouterr().err
    assert "warning: Fewer training samples (13) than classes (26)" in err
    assert "at least 13 classes have no training sample" in few.with_suffix(".md").read_text()


def test_few_labels_note():
    from core.analysis_cli import few_labels_note

    def note(n_train, **extra):
        return few_labels_note({"n_train": n_train, "n_classes": 26, **extra})

    assert note(26) == ""
    assert "at least 16 classes" in note(10, fraction_all_classes=0.18)
    assert "--fraction 0.18 leaves fewer than 0.5 classes" in note(10, fraction_all_classes=0.18)
    assert "too small for even --fraction 0.50" in note(10, fraction_all_classes=None)
    assert "no classifier can score above 0.330" in note(10, ceiling=0.33)
    # enough samples, yet classes left out of some splits: how many of them, said
    text = note(52, ceiling=0.95, splits_short=20, n_splits=20, fraction_all_classes=0.18)
    assert text.startswith("In every split, some classes have no training sample")
    assert "0.950" in text
    text = note(78, ceiling=0.98, splits_short=12, n_splits=20, fraction_all_classes=0.18)
    assert text.startswith("In 12 of the 20 splits, some classes")
    # the ceiling is the mean over all 20 splits, not over the 12 (it read "on these splits")
    assert "above 0.980 on average over all the splits" in text
    assert note(60, ceiling=0.999) == ""
    # a ceiling below the chance level (the most frequent class's share) is explained
    text = note(1, ceiling=0.036, chance_accuracy=0.046)
    assert "above 0.036" in text and "below the chance level (0.046)" in text
    assert "counts the most frequent class as known" in text
    # 26 classes of one size (the 26-tissue set), 1 training sample: no class is the most
    # frequent, and the training sample's class is always known; its 19 of 519 test samples
    # (0.037) fall below 1/26 (0.038) because that sample is not tested
    text = note(1, ceiling=19 / 519, chance_accuracy=1 / 26)
    assert "below the chance level (0.038): every class has as many samples" in text
    assert "most frequent" not in text and "often has none" not in text
    assert "below the chance" in few_labels_note(
        {"n_train": 1, "n_classes": 26, "ceiling": 0.036}, 0.046
    )
    assert "below the chance" not in note(10, ceiling=0.33, chance_accuracy=0.046)


def test_the_fraction_suggested_for_few_labels_gives_most_classes_a_training_sample():
    """With 26 tissues x 20 samples, 10% of the labels left 1-6 tissues without a training sample
    in each of 20 splits, and the note suggested --fraction 0.10, the fraction just used."""
    from core.analysis import expected_missing_classes, fraction_for_all_classes

    counts = np.full(26, 20)
    # the hypergeometric expectation against random draws
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(26), 20)
    drawn = [26 - len(np.unique(rng.permutation(y)[:52])) for _ in range(4000)]
    assert abs(expected_missing_classes(counts, 52) - np.mean(drawn)) < 0.1
    assert 2.9 < expected_missing_classes(counts, 52) < 3.2
    suggested = fraction_for_all_classes(counts, 0.10)
    assert suggested is not None and suggested > 0.10
    assert expected_missing_classes(counts, round(suggested * 520)) < 0.5
    assert expected_missing_classes(counts, round((suggested - 0.01) * 520)) >= 0.5
    assert fraction_for_all_classes(np.array([1000, 1]), 0.02) is None  # a class of one sample
    labels = y.astype(str)
    table = analysis.semi_supervised_table(
        {"x": rng.normal(size=(520, 2))}, labels, 0.1, 20, classifiers=("1-NN",)
    )
    assert table.attrs["fraction_all_classes"] == suggested
    assert 15 <= table.attrs["splits_short"] <= 20


def test_the_share_taken_when_none_is_asked_for():
    """The dashboard's first 1-NN share and the report's Table 1 without --fraction: the paper's
    2% where it draws a sample per class, else the smallest offered share that draws about
    two per class (2% of 26 tissues x 20 samples drew 10 samples, and every map sat near the
    0.33 that leaves)."""
    from core.analysis import PAPER_FRACTION, suggested_fraction

    assert suggested_fraction(13_292, 27) == PAPER_FRACTION  # GTEx acmg59: 266 samples
    assert suggested_fraction(520, 26) == 0.10  # 52 samples, 2 per class (5%: 26)
    # 51 samples: about two per class (it took 25% for a set of 508 labelled samples)
    assert suggested_fraction(508, 26) == 0.10
    assert suggested_fraction(480, 26) == 0.25  # 48 samples: 1.8 per class
    assert suggested_fraction(8, 2) == 0.50  # 4 samples
    assert suggested_fraction(3, 3) == 0.50  # none draws two per class: the largest usable
    assert suggested_fraction(1, 1) == PAPER_FRACTION  # none usable: said by the protocol
    assert suggested_fraction(520, 26, choices=(0.02, 0.05)) == 0.05


def test_table1_says_the_highest_accuracy_its_splits_allow():
    """With 10 training samples for 26 tissues every map sat near 0.33, and nothing said that
    no classifier could do better on those splits."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(26), 20).astype(str)
    coords = rng.normal(size=(520, 2)) + np.repeat(np.arange(26), 20)[:, None] * 10.0
    table = analysis.semi_supervised_table({"m": coords}, labels, 0.02, 20, ("1-NN",), seed=0)
    ceiling = table.attrs["ceiling"]
    assert 0.25 < ceiling < 0.45  # 10 of 26 tissues drawn, at most
    assert table.loc["1-NN", ("m", "mean")] == pytest.approx(ceiling, abs=1e-9)  # separable
    full = analysis.semi_supervised_table({"m": coords}, labels, 0.5, 5, ("1-NN",), seed=0)
    assert full.attrs["ceiling"] == 1.0


@pytest.mark.browser
@pytest.mark.skipif(
    not (shutil.which("chromium") or os.environ.get("BROWSER_PATH")),
    reason="figure export needs Chromium (or BROWSER_PATH)",
)
def test_cli_report_writes_page_and_figures(tiny_model, tiny_model_seed1, tmp_path):
    out = tmp_path / "report"
    argv = ["report", "--model", str(tiny_model), "--out", str(out), "--splits", "2"]
    argv += ["--classifiers", "1-NN", "--methods", "pca", "--markers", "HNF*,TBX5"]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--k", "3"]
    argv += ["--go-exclude-evidence", "iea", "--go-term-size", "3-300"]
    argv += ["--compare-models", str(tiny_model_seed1)]
    assert _main(argv) == 0
    page = (out / "index.html").read_text()
    assert "terms of 3–300 genes" in page and "evidence IEA left out" in page
    close = pd.read_csv(out / "tables" / "close_pairs.csv")
    assert {"symbol_a", "symbol_b", "novel", "both_annotated", "min_detection"} <= set(close)
    assert close["min_detection"].between(0, 1).all() and "tables/close_pairs.csv" in page
    # each pair's own correlation, and the network's cut: "novel" can be a cut missed narrowly
    assert close["correlation"].between(-1, 1).all() and list(close.columns)[5] == "correlation"
    assert "the co-expression network holds the top 1% of gene pairs: r ≥ 0." in page
    # the cut and the pairs' correlations to 4 decimals: to 3, a pair just under the cut
    # (0.76758 < 0.76813) read as on it
    import re

    assert re.search(r"top 1% of gene pairs: r ≥ 0\.\d{4} ", page)
    assert re.search(r'<td class="num">-?\d\.\d{4}</td>', page)
    np.testing.assert_array_equal(close["correlation"], close["correlation"].round(4))
    assert (close["correlation"] != close["correlation"].round(3)).any()
    for name in ("maps", "table1", "markers", "smoothness", "gene_space"):
        for fmt in ("png", "svg"):
            path = out / "figures" / f"{name}.{fmt}"
            assert path.is_file() and path.stat().st_size > 1000, path
        assert f"figures/{name}.png" in page
    assert "Table 1" in page and "GO biological-process" in page and "computed in" in page
    assert "expression correlation" in page and "FE, the 2 models together" in page
    assert "FE, together: the neighbours found in all 2 runs" in page
    assert "the pairs close in all 2 runs" in page
    assert close["runs"].isin([1, 2]).all() and (close["runs"] == 2).any()
    # the same model twice would count one run as two: refused
    argv[argv.index(str(tiny_model_seed1))] = str(tiny_model)
    assert _main([*argv, "--force"]) == 2


def test_map_neighbours_names_nearest_and_majority():
    train = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [5.0, 5.0], [5.1, 5.0]])
    labels = np.array(["liver", "lung", "lung", "heart", None], dtype=object)
    new = np.array([[0.01, 0.0], [5.0, 5.01], [0.14, 0.0]])
    out = analysis.map_neighbours(train, new, labels, k=3)
    assert list(out["nearest"]) == [0, 3, 1]
    np.testing.assert_allclose(out["distance_on_map"], [0.01, 0.01, 0.04], atol=1e-6)
    assert list(out["nearest_label"]) == ["liver", "heart", "lung"]
    assert list(out["majority_label"]) == ["lung", "heart", "lung"]
    # the second sample: heart, the unlabelled sample, then lung at distance ~7: a tie of one
    # each among the labelled ones goes to the nearer
    np.testing.assert_allclose(out["majority_share"], [2 / 3, 1 / 3, 2 / 3])
    plain = analysis.map_neighbours(train, new, k=50)  # k capped at the map's size
    assert list(plain.columns) == ["nearest", "distance_on_map"]
    one = analysis.map_neighbours(train, new[:1], labels, k=3)  # a single new sample
    assert one["majority_label"].tolist() == ["lung"]
    with pytest.raises(CoreError, match="NaN"):
        analysis.map_neighbours(train, np.array([[np.nan, 0.0]]))
    with pytest.raises(CoreError, match="one label per training sample"):
        analysis.map_neighbours(train, new, labels[:3])


def test_one_nn_ties_go_to_the_first_training_sample_on_both_paths():
    """Duplicated training points of different classes: the KD-tree (up to 10 columns) and the
    brute-force path (above) both predict the class of the first duplicate."""
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 2)).astype(np.float32)
    train = np.vstack([points, points[::-1]])  # each point twice, the second copy of class 1
    labels = np.r_[np.zeros(50, dtype=int), np.ones(50, dtype=int)]
    assert (analysis._nn1_predict(train, labels, points) == 0).all()
    wide = np.hstack([train, np.zeros((100, 12), dtype=np.float32)])
    wide_test = np.hstack([points, np.zeros((50, 12), dtype=np.float32)])
    assert (analysis._nn1_predict(wide, labels, wide_test) == 0).all()


def test_pair_correlations_are_pearson():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 6))
    values[:, 1] = values[:, 0] * 2 + rng.normal(scale=0.1, size=40)
    values[:, 5] = 3.0  # no variance
    values[3, 2] = np.nan
    r = analysis.pair_correlations(values, np.array([0, 0, 5, 2]), np.array([1, 3, 0, 4]))
    expect = [np.corrcoef(values[:, 0], values[:, j])[0, 1] for j in (1, 3)]
    np.testing.assert_allclose(r[:2], expect, atol=1e-5)
    assert r[2] == 0.0
    filled = values[:, 2].copy()
    filled[3] = np.nanmean(filled)  # NaN read as the gene's mean, as in the network
    np.testing.assert_allclose(r[3], np.corrcoef(filled, values[:, 4])[0, 1], atol=1e-5)
    assert analysis.pair_correlations(values, np.array([], int), np.array([], int)).size == 0


def test_chance_shares_are_exact_and_match_random_pairs(sepira, go_bp):
    """The chance level was one draw of 100,000 random pairs (on these 467 genes 0.0728, 2.3
    standard errors under the exact 0.0747: every ratio read 2.6% high). It is now counted
    over every pair of two distinct genes; random pairs drawn in numbers converge on it."""
    from core.annotations import share_term

    go_matrix, _ = go_bp
    coexp = analysis.coexpression_edges(sepira.values)
    exact = analysis.chance_shares(go_matrix, coexp)
    n = sepira.n_genes
    a, b = np.triu_indices(n, k=1)
    assert exact["go_random_pairs"] == len(a) == n * (n - 1) // 2
    assert exact["go_random"] == pytest.approx(share_term(a, b, go_matrix).mean(), rel=1e-12)
    assert exact["coexp_random"] == pytest.approx(analysis.is_edge(coexp, np.c_[a, b]).mean())
    # in small blocks (a genome-wide set is counted so) the same count
    small = analysis.chance_shares(go_matrix, None, block_values=1000)
    assert small["go_random"] == exact["go_random"]
    # over annotated genes only
    annotated = np.flatnonzero(go_matrix.getnnz(axis=1) > 0)
    sub = go_matrix[annotated]
    a, b = np.triu_indices(len(annotated), k=1)
    only = analysis.chance_shares(go_matrix, None, annotated_only=True)
    assert only["go_random"] == pytest.approx(share_term(a, b, sub).mean(), rel=1e-12)
    # neighbor_agreement uses the exact shares unless random pairs are asked for
    pairs = analysis.pairs_from_neighbors(analysis.correlation_neighbors(sepira.values, 5)[0])
    result = analysis.neighbor_agreement(pairs, go_matrix, coexp)
    assert result["go_random"] == exact["go_random"] and result["random_pairs"] == len(
        np.triu_indices(n, k=1)[0]
    )
    drawn = analysis.neighbor_agreement(pairs, go_matrix, coexp, n_random=400_000, seed=3)
    assert drawn["random_pairs"] == 400_000
    assert drawn["go_random"] == pytest.approx(exact["go_random"], abs=4 * 0.00042)


def test_analyses_say_what_they_take(sepira):
    """Found by a notebook walk-through: one marker given as a string was read letter by
    letter ("HOX*" -> H, O, X and *, the last matching every gene, smoothness 0.89); a bare
    array raised "The truth value of an array ... is ambiguous"; an ExpressionSet as values a
    bare TypeError; one class scored 1.0 without a word."""
    symbols = np.asarray(sepira.gene_symbols)
    assert list(analysis.match_genes(symbols, "GATA4")) == ["GATA4"]
    coords = np.random.default_rng(0).normal(size=(sepira.n_samples, 2))
    table = analysis.marker_smoothness({"FE": coords}, sepira, symbols, markers="GATA*")
    assert list(table.index) == ["GATA*"] and table.loc["GATA*", "n_genes"] >= 1
    with pytest.raises(CoreError, match=r"takes a dict of name -> \(n_samples, dim\) array"):
        analysis.semi_supervised_table(coords, sepira.samples["tissue"])
    with pytest.raises(CoreError, match="takes a dict"):
        analysis.marker_smoothness(coords, sepira.values, symbols)
    with pytest.raises(DataError, match=r"labels have 1 class \(Liver\): nothing to classify"):
        analysis.semi_supervised_table({"FE": coords}, ["Liver"] * sepira.n_samples)


def test_a_chance_of_other_references_is_refused(sepira, go_bp):
    """``chance=`` was trusted: counted over all genes and passed for annotated_only, it made
    a GO ratio of 3.57 out of 1.85 without a word; one without GO raised KeyError; a
    co-expression matrix that is not square gave a share above 1."""
    go_matrix, _ = go_bp
    pairs = analysis.pairs_from_neighbors(analysis.correlation_neighbors(sepira.values, 5)[0])
    right = analysis.neighbor_agreement(pairs, go_matrix, annotated_only=True)
    with pytest.raises(CoreError, match="annotated_only=False, asked annotated_only=True"):
        analysis.neighbor_agreement(
            pairs, go_matrix, annotated_only=True, chance=analysis.chance_shares(go_matrix)
        )
    same = analysis.neighbor_agreement(
        pairs,
        go_matrix,
        annotated_only=True,
        chance=analysis.chance_shares(go_matrix, annotated_only=True),
    )
    assert same["go_ratio"] == right["go_ratio"]
    coexp = analysis.coexpression_edges(sepira.values)
    with pytest.raises(CoreError, match="chance holds no go_random"):
        analysis.neighbor_agreement(pairs, go_matrix, chance=analysis.chance_shares(None, coexp))
    with pytest.raises(CoreError, match="counted over 40 genes, not 467"):
        analysis.neighbor_agreement(pairs, go_matrix, chance=analysis.chance_shares(go_matrix[:40]))
    with pytest.raises(DataError, match="square"):
        analysis.chance_shares(None, sparse.csr_matrix(np.ones((4, 6), dtype=bool)))


def test_the_go_ceiling_counts_each_gene_s_partners():
    """The report's GO ceiling was the share of annotated genes (336 of 460 on the 26-tissue
    set: 0.730), as if each had k genes sharing a term with it: 0.709 counted by partners."""
    from scipy import sparse

    from core.analysis import go_ceiling

    # genes 0-2 share term 0, genes 3-4 term 1, gene 5 none
    go = sparse.csr_matrix(np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 0]], bool))
    assert go_ceiling(go, 1) == pytest.approx(5 / 6)  # every annotated gene has a partner
    assert go_ceiling(go, 2) == pytest.approx((2 + 2 + 2 + 1 + 1 + 0) / 12)
    assert go_ceiling(go, 2, block=4) == pytest.approx((2 + 2 + 2 + 1 + 1 + 0) / 12)
    with pytest.raises(CoreError):
        go_ceiling(go, 0)


def _grouped_go(n_groups: int, size: int = 4):
    """GO of ``n_groups`` groups of ``size`` genes, one term per group; and for each gene its
    ``size - 1`` group mates, and ``size - 1`` genes of the next group."""
    n = n_groups * size
    genes = np.arange(n)
    go = sparse.csr_matrix((np.ones(n, bool), (genes, genes // size)), shape=(n, n_groups))
    group = genes // size
    mates = np.array(
        [
            [j for j in range(g * size, (g + 1) * size) if j != i]
            for i, g in zip(genes, group, strict=True)
        ]
    )
    others = (mates + size) % n
    return go, mates, others


def test_go_ratio_bootstrap_agreement_of_constructed_rows():
    """The GO ratio's interval by drawing genes (Wilson's over the pairs took the k pairs of a
    gene as independent): a row whose neighbours all share a term has the ratio 1 / chance in
    every draw, one whose neighbours share none 0; a mixed row's interval holds its ratio and
    is wider with fewer genes; the same seed gives the same intervals."""
    go, mates, others = _grouped_go(10)
    chance = analysis.chance_shares(go)
    assert chance["go_random"] == pytest.approx(3 / 39)
    half = np.where((np.arange(40) // 4 % 2 == 0)[:, None], mates, others)
    rows = {
        name: analysis.pairs_from_neighbors(idx)
        for name, idx in (("all", mates), ("none", others), ("half", half))
    }
    intervals, diffs = analysis.go_ratio_bootstrap(
        rows, go, chance, n_boot=500, seed=3, compare=[("all", "none"), ("half", "all")]
    )
    top = 39 / 3
    assert intervals.loc["all"].tolist() == pytest.approx([top, top, top, 40])
    assert intervals.loc["none", ["go_ratio", "go_ratio_low", "go_ratio_high"]].tolist() == [
        0,
        0,
        0,
    ]
    half_row = intervals.loc["half"]
    assert half_row["go_ratio"] == pytest.approx(top / 2)
    assert half_row["go_ratio_low"] < half_row["go_ratio"] < half_row["go_ratio_high"]
    assert diffs[["a", "b"]].values.tolist() == [["all", "none"], ["half", "all"]]
    assert diffs.iloc[0][["difference", "low", "high"]].tolist() == pytest.approx([top] * 3)
    assert diffs.iloc[1]["low"] < diffs.iloc[1]["difference"] < diffs.iloc[1]["high"] <= 0
    # the same seed, the same draws
    again, again_diffs = analysis.go_ratio_bootstrap(
        rows, go, chance, n_boot=500, seed=3, compare=[("all", "none"), ("half", "all")]
    )
    pd.testing.assert_frame_equal(intervals, again)
    pd.testing.assert_frame_equal(diffs, again_diffs)
    # ten times the genes: a narrower interval around the same ratio
    go_big, mates_big, others_big = _grouped_go(100)
    half_big = np.where((np.arange(400) // 4 % 2 == 0)[:, None], mates_big, others_big)
    big, _ = analysis.go_ratio_bootstrap(
        {"half": analysis.pairs_from_neighbors(half_big)}, go_big, n_boot=500, seed=3
    )
    top_big = 399 / 3
    width = (half_row["go_ratio_high"] - half_row["go_ratio_low"]) / top
    width_big = (big.loc["half", "go_ratio_high"] - big.loc["half", "go_ratio_low"]) / top_big
    assert big.loc["half", "go_ratio"] == pytest.approx(top_big / 2)
    assert width_big < width / 2
    # a subset of pairs (the neighbours found in all runs): genes without a pair count none
    few = analysis.go_ratio_bootstrap({"few": rows["all"][:12]}, go, chance, n_boot=50)[0]
    assert few.loc["few", "n_genes"] == 4 and few.loc["few", "go_ratio_low"] == pytest.approx(top)
    with pytest.raises(CoreError, match="no row of neighbor_pairs"):
        analysis.go_ratio_bootstrap(rows, go, chance, compare=[("all", "nothing")])
    with pytest.raises(CoreError, match="dict of row name"):
        analysis.go_ratio_bootstrap(rows["all"], go, chance)


def test_go_ratio_bootstrap_refuses_bad_settings_in_one_line_and_a_row_without_pairs_is_nan():
    """A level or a compare entry of the wrong kind escaped as numpy's or Python's TypeError
    and ValueError; a row left without any pair warned of an all-NaN slice."""
    import warnings

    go, mates, _ = _grouped_go(10)
    rows = {"all": analysis.pairs_from_neighbors(mates), "none": np.zeros((0, 2), np.int64)}
    with pytest.raises(CoreError, match="level must be a number between 0 and 1"):
        analysis.go_ratio_bootstrap(rows, go, level="0.9")
    for pair in (("all",), "ab", ("all", "none", "all")):
        with pytest.raises(CoreError, match="compare takes pairs"):
            analysis.go_ratio_bootstrap(rows, go, compare=[pair])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        intervals, diffs = analysis.go_ratio_bootstrap(
            rows, go, n_boot=20, compare=[("all", "none")]
        )
    assert intervals.loc["none", "n_genes"] == 0
    assert intervals.loc["none", ["go_ratio", "go_ratio_low", "go_ratio_high"]].isna().all()
    assert intervals.loc["all", "go_ratio_low"] == pytest.approx(13)
    assert diffs.iloc[0][["difference", "low", "high"]].isna().all()
