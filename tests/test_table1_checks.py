"""Table 1 and Figure 3's marker scores recomputed independently (scikit-learn, numpy) on the
real 26-tissue GTEx set, and what the evaluate Markdown says of the samples in no split and of
its sd."""

from __future__ import annotations

import re
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core import analysis


@pytest.fixture(scope="module")
def sepira(sepira_file):
    """GTEx, 520 samples x 467 genes, 26 tissues of 20 samples; log scale."""
    from core.data import load_table

    return load_table(sepira_file)


def test_table1_cells_match_scikit_learn_on_the_same_splits(sepira):
    """Every split's accuracy is that of scikit-learn's classifier on the stated split: a
    random ``fraction`` of the labelled samples (seeded permutations), tested on the others;
    the unlabelled samples in none; sd with n - 1 in the denominator."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    values = np.asarray(sepira.values, dtype=np.float64)[:, :40]
    labels = sepira.samples["tissue"].to_numpy(dtype=object).copy()
    labels[::7] = np.nan  # unlabelled: neither trained nor tested on
    seed, fraction, n_splits = 3, 0.1, 4
    table = analysis.semi_supervised_table(
        {"raw": values},
        labels,
        fraction=fraction,
        n_splits=n_splits,
        classifiers=("1-NN", "Decision Tree"),
        seed=seed,
    )
    known = pd.notna(labels)
    x = values[known]
    y = pd.factorize(labels[known], sort=True)[0]
    n_train = round(fraction * known.sum())
    assert table.attrs["n_train"] == n_train and table.attrs["n_test"] == known.sum() - n_train
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(known.sum()) for _ in range(n_splits)]
    for clf, make in (
        ("1-NN", lambda s: KNeighborsClassifier(n_neighbors=1)),
        ("Decision Tree", lambda s: DecisionTreeClassifier(random_state=seed + s)),
    ):
        mine = np.array(
            [
                make(s).fit(x[p[:n_train]], y[p[:n_train]]).score(x[p[n_train:]], y[p[n_train:]])
                for s, p in enumerate(perms)
            ]
        )
        got = np.asarray(table.attrs["split_scores"]["raw"][clf])
        assert np.abs(got - mine).max() < 1e-9, clf
        assert table.loc[clf, ("raw", "sd")] == pytest.approx(mine.std(ddof=1), abs=1e-9)


def test_stratified_sizes_give_every_class_a_share_and_one_to_test():
    """Each class's share of a stratified split, rounded, at least 1 and at most all but 1;
    a class of one sample is trained on (nothing of it to test)."""
    codes = np.repeat([0, 1, 2, 3], [20, 3, 1, 2])
    assert analysis.stratified_sizes(codes, 0.5).tolist() == [10, 2, 1, 1]
    assert analysis.stratified_sizes(codes, 0.02).tolist() == [1, 1, 1, 1]
    assert analysis.stratified_sizes(codes, 0.9).tolist() == [18, 2, 1, 1]


def test_stratified_table_1_trains_on_every_class_in_every_split(sepira):
    """With ``stratify``, every split trains on each class's share (where the paper's random
    draw of 2% leaves most classes out) and tests on the rest; the default draw is unchanged."""
    from core.analysis.classification import _splits

    values = np.asarray(sepira.values, dtype=np.float64)[:, :40]
    labels = sepira.samples["tissue"].to_numpy(dtype=object).copy()
    tissues = sorted(set(labels))
    for i, tissue in enumerate(tissues[:10]):  # classes of 20 down to 11 samples
        labels[np.flatnonzero(labels == tissue)[: i + 1]] = np.nan
    kw = dict(fraction=0.1, n_splits=5, classifiers=("1-NN",), seed=2)
    plain = analysis.semi_supervised_table({"raw": values}, labels, **kw)
    strat = analysis.semi_supervised_table({"raw": values}, labels, stratify=True, **kw)
    known = pd.notna(labels)
    codes = pd.factorize(labels[known], sort=True)[0]
    counts = np.bincount(codes)
    sizes = np.rint(0.1 * counts).astype(int)
    assert plain.attrs["stratified"] is False and strat.attrs["stratified"] is True
    assert plain.attrs["n_train"] == round(0.1 * known.sum())
    assert (
        strat.attrs["n_train"] == sizes.sum() and strat.attrs["n_test"] == known.sum() - sizes.sum()
    )
    assert plain.attrs["splits_short"] > 0 and plain.attrs["ceiling"] < 1
    assert strat.attrs["splits_short"] == 0 and strat.attrs["ceiling"] == 1.0
    n_train, perms = _splits(int(known.sum()), 0.1, 5, 2, codes)
    assert n_train == sizes.sum() and len({tuple(p[:n_train]) for p in perms}) == 5
    for perm in perms:
        assert sorted(perm.tolist()) == list(range(known.sum()))
        assert np.bincount(codes[perm[:n_train]], minlength=counts.size).tolist() == sizes.tolist()
    # the default draw is the seeded permutations, as before
    rng = np.random.default_rng(2)
    assert [p.tolist() for p in _splits(int(known.sum()), 0.1, 5, 2)[1]] == [
        rng.permutation(known.sum()).tolist() for _ in range(5)
    ]


def test_marker_smoothness_matches_its_definition(sepira):
    """1 - mean((s_i - m_i)^2) / ((1 + 1/k) var(s)), s the mean z-score of the matching genes,
    m_i the mean over sample i's k nearest other samples, var with n - 1."""
    from sklearn.neighbors import NearestNeighbors

    values = np.asarray(sepira.values, dtype=np.float64)
    symbols = np.asarray(sepira.gene_symbols, dtype=object)
    emb = analysis.baseline_embeddings(values, methods=("pca",))["pca"]
    k = 15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = analysis.marker_smoothness(
            {"pca": emb}, values, symbols, ["HOX*", "HNF4A", "keratins", "KRT*"], k=k
        )
    hox = [i for i, s in enumerate(symbols) if str(s).upper().startswith("HOX")]
    assert table.loc["HOX*", "n_genes"] == len(hox) == 3
    # the keratin family leaves out KRTAP13-4, the only KRT* symbol of this panel
    assert table.loc["keratins", "n_genes"] == 0 and np.isnan(table.loc["keratins", "pca"])
    assert table.loc["KRT*", "genes"] == "KRTAP13-4"
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(emb).kneighbors(emb)
    near = np.array([[j for j in row if j != i][:k] for i, row in enumerate(idx)])
    for marker, cols in (("HOX*", hox), ("HNF4A", [list(symbols).index("HNF4A")])):
        sub = values[:, cols]
        score = ((sub - sub.mean(0)) / sub.std(0)).mean(1)
        err = np.mean((score - score[near].mean(1)) ** 2)
        expected = 1 - err / ((1 + 1 / k) * score.var(ddof=1))
        assert table.loc[marker, "pca"] == pytest.approx(expected, abs=1e-9), marker


def _markdown_of(dataset: dict, labels: np.ndarray, n_splits: int = 3) -> str:
    """The evaluate Markdown of a small table over ``labels`` with the given dataset summary."""
    from core.analysis_cli import _evaluation_markdown, chance_accuracy

    rng = np.random.default_rng(0)
    table = analysis.semi_supervised_table(
        {"fe": rng.normal(size=(len(labels), 2))},
        labels,
        fraction=0.25,
        n_splits=n_splits,
        classifiers=("1-NN",),
    )
    a = table.attrs
    protocol = {
        "label": "SMTS",
        "fraction": 0.25,
        "n_splits": n_splits,
        "n_train": a["n_train"],
        "n_test": a["n_test"],
        "n_classes": a["n_classes"],
        "chance_accuracy": chance_accuracy(labels),
        "ceiling": a["ceiling"],
        "splits_short": a["splits_short"],
        "fraction_all_classes": a["fraction_all_classes"],
        "seed": 0,
        "baselines_on": "the values as they are",
        "baselines": {},
        "classifiers": ["1-NN"],
    }
    result = {
        "dataset": dataset,
        "protocol": protocol,
        "model": {"directory": "m", "key": "k", "params": {}},
        "runtime_s": 1.0,
        "baseline_maps_s": 0.0,
        "table1_s": 1.0,
    }
    return _evaluation_markdown(result, table)


def test_evaluate_markdown_names_the_samples_in_no_split_and_its_sd():
    """GTEx acmg59: 3,585 of the 16,877 samples have no SMTS and were in no split, and the 505
    of Brain and Fallopian Tube were left out when read; the Markdown said neither (266 + 13,026
    of the 16,877 samples), nor how its sd is taken."""
    labels = np.array(["Heart", "Heart", "Lung", None] * 10, dtype=object)
    source = {"loader": "gtex", "gct": "/d/a.gct.gz", "transform": "log10p1"}
    source |= {"exclude_tissues": ["Brain", "Fallopian Tube"]}
    source |= {"samples_in_file": 545, "samples_excluded": 505, "samples_unlisted": 10}
    dataset = {"name": "GTEx", "n_samples": 40, "n_genes": 5, "source": source}
    dataset |= {"label": "SMTS", "n_labelled": 30, "n_classes": 2}
    md = _markdown_of(dataset, labels)
    assert "30 of the 40 samples have a SMTS; the other 10 (no label) are in no split" in md
    assert "Brain, Fallopian Tube left out (505 of the file's 545 samples)" in md
    assert re.search(r"mean ± sd \([^)]*n − 1 in the denominator\) over 3 random splits", md)
    assert "to 2 decimals" in md
    assert "right for 66.7% of the labelled samples" in md
    # every sample labelled, no tissue left out: nothing said of either
    plain = {"name": "t", "n_samples": 40, "n_genes": 5, "source": {"loader": "table"}}
    plain |= {"label": "SMTS", "n_labelled": 40, "n_classes": 4}
    md = _markdown_of(plain, np.array(["Heart", "Lung", "Liver", "Skin"] * 10, dtype=object))
    assert "in no split" not in md and "left out (" not in md


def test_evaluate_markdown_and_report_write_counts_with_separators():
    """GTEx acmg59's evaluate Markdown read "16877 samples x 59 genes ... test on the other
    13026" (and the report page the same split) beside its own "3,585 of the 16,877"."""
    from argparse import Namespace

    from core.report_sections import _section_table1

    labels = np.array(["Heart", "Lung", "Liver", None] * 1500, dtype=object)
    dataset = {"name": "t", "n_samples": 6000, "n_genes": 1200, "source": {"loader": "table"}}
    dataset |= {"label": "SMTS", "n_labelled": 4500, "n_classes": 3}
    md = _markdown_of(dataset, labels, n_splits=1)
    assert "6,000 samples x 1,200 genes; 3 classes." in md
    assert "4,500 of the 6,000 samples have a SMTS; the other 1,500 (no label)" in md
    assert "of the labelled samples (1,125), test on the other 3,375;" in md
    rng = np.random.default_rng(0)
    table = analysis.semi_supervised_table(
        {"fe": rng.normal(size=(len(labels), 2))},
        labels,
        fraction=0.25,
        n_splits=1,
        classifiers=("1-NN",),
    )
    table.attrs["runtime_s"] = 1.0
    page = _section_table1(table, "SMTS", Namespace(seed=0, center_samples=False), n_samples=6000)
    assert "(1,125), test on the other 3,375, over 1 random split" in page
    assert "The other 1,500 of the 6,000 samples have no SMTS" in page


def test_evaluate_json_defines_its_sd_and_the_samples_in_no_split():
    from core.analysis_cli import EVALUATION_DEFINITIONS

    assert "n - 1 in the denominator" in EVALUATION_DEFINITIONS["results"]
    assert "in no split" in EVALUATION_DEFINITIONS["protocol.n_train"]


def test_marker_caption_states_the_variance_it_divides_by():
    from core.report_sections import _section_markers

    rng = np.random.default_rng(0)
    symbols = np.array(["MYH6", "G2", "G3"], dtype=object)
    es = SimpleNamespace(values=rng.normal(size=(30, 3)), gene_symbols=symbols, n_genes=3)
    es.gene_ids = symbols
    page = _section_markers(
        SimpleNamespace(es=es, symbols=symbols), {"fe": rng.normal(size=(30, 2))}, ["MYH6"], {}
    )
    assert "× variance (n − 1 in its denominator)" in page


def test_report_table1_names_the_samples_in_no_split_and_its_sd():
    """The report's Table 1 paragraph, as the evaluate Markdown: how the sd is taken, and the
    samples without a label that are in no split (GTEx: 3,585 of 16,877)."""
    from argparse import Namespace

    from core.report_sections import _section_table1

    labels = np.array(["Heart", "Heart", "Lung", None] * 10, dtype=object)
    rng = np.random.default_rng(0)
    table = analysis.semi_supervised_table(
        {"fe": rng.normal(size=(len(labels), 2))},
        labels,
        fraction=0.25,
        n_splits=3,
        classifiers=("1-NN",),
    )
    table.attrs["runtime_s"] = 1.0
    args = Namespace(seed=0, center_samples=False)
    page = _section_table1(table, "SMTS", args, n_samples=len(labels))
    assert "The other 10 of the 40 samples have no SMTS and are in no split" in page
    assert re.search(r"mean ± sd \([^)]*n − 1 in the denominator\) over the splits", page)
    every = _section_table1(table, "SMTS", args, n_samples=30)
    assert "in no split" not in every
