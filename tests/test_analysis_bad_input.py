"""core.analysis called as in a notebook, with the usual mistakes: each is refused with an error
of the project's kinds that names the argument and the problem (GTEx 26 tissues, a small model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from core import analysis
from core.errors import CoreError, DataError


@pytest.fixture(scope="module")
def sepira(sepira_file):
    """GTEx, 520 samples x 467 genes, 26 tissues; log scale."""
    from core.data import load_table

    return load_table(sepira_file)


@pytest.fixture(scope="module")
def model(sepira):
    from core.estimator import FactorizedEmbeddings

    return FactorizedEmbeddings(epochs=3, device="cpu", seed=0).fit(sepira)


@pytest.fixture(scope="module")
def tissues(sepira):
    return sepira.samples["tissue"].to_numpy(dtype=object)


# ------------------------------------------------------------------------------ Table 1
def test_one_nn_refuses_labels_of_one_class(model):
    """It scored 1.0 +- 0.0 (every test sample is of the one class), as if the map were perfect;
    semi_supervised_table already refused such labels."""
    one_class = ["Liver"] * model.sample_embedding_.shape[0]
    with pytest.raises(DataError, match=r"labels have 1 class \(Liver\): nothing to classify"):
        analysis.one_nn_accuracy(model.sample_embedding_, one_class, n_splits=3)


def test_one_nn_names_labels_that_are_all_missing(model):
    """It spoke of 'a training fraction of 0.02 of 0 labelled samples', not of the labels."""
    with pytest.raises(DataError, match="labels have no class: every label is missing"):
        analysis.one_nn_accuracy(model.sample_embedding_, [None] * 520, n_splits=3)


def test_one_nn_keeps_a_class_of_one_sample(model, tissues):
    labels = tissues.copy()
    labels[:19] = None  # the first tissue keeps one sample
    acc = analysis.one_nn_accuracy(model.sample_embedding_, labels, n_splits=3)
    # the lone sample stays a labelled sample of its class: 501 samples of 26 tissues
    table = analysis.semi_supervised_table(
        {"m": model.sample_embedding_}, labels, 0.02, 3, classifiers=("1-NN",)
    )
    assert table.attrs["n_classes"] == 26
    assert table.attrs["n_train"] + table.attrs["n_test"] == 501
    assert table.loc["1-NN", ("m", "mean")] == pytest.approx(acc.mean)
    assert acc.mean > 2 / 26  # twice what labels drawn at random score


@pytest.mark.parametrize("fraction", ["0.02", None])
def test_a_fraction_that_is_not_a_number_is_named(model, tissues, fraction):
    """Text from a widget raised TypeError: '<' not supported between 'float' and 'str'."""
    with pytest.raises(CoreError, match="fraction must be a number in"):
        analysis.one_nn_accuracy(model.sample_embedding_, tissues, fraction=fraction, n_splits=3)
    with pytest.raises(CoreError, match="fraction must be a number in"):
        analysis.semi_supervised_table(
            {"fe": model.sample_embedding_}, tissues, fraction=fraction, n_splits=2
        )


def test_class_count_helpers_refuse_impossible_input():
    """A negative fraction answered 0.18, no class 0.03, more training samples than samples 0."""
    with pytest.raises(CoreError, match=r"fraction must be in \(0, 1\)"):
        analysis.fraction_for_all_classes(np.full(26, 20), -1)
    with pytest.raises(CoreError, match="class_counts must be"):
        analysis.fraction_for_all_classes(np.array([]), 0.02)
    with pytest.raises(CoreError, match="n_train=10 is more than the 5 samples"):
        analysis.expected_missing_classes(np.array([2, 3]), 10)
    with pytest.raises(CoreError, match="class_counts must be whole numbers >= 0"):
        analysis.expected_missing_classes(np.array([-2, 3]), 1)


def test_format_table_names_a_table_of_another_kind():
    """A plain DataFrame raised KeyError: ('a', 'mean')."""
    with pytest.raises(CoreError, match="format_table takes a semi_supervised_table result"):
        analysis.format_table(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(CoreError, match="takes a semi_supervised_table result"):
        analysis.table_to_markdown(pd.DataFrame({"a": [1.0]}))


# ------------------------------------------------------------------------------ Figure 3
def test_gene_set_score_reads_a_boolean_mask_as_the_genes_it_selects(sepira):
    """A mask of one entry per gene was cast to the indices 0 and 1: the score of genes 0 and 1
    whichever genes the mask selected."""
    mask = np.zeros(sepira.n_genes, dtype=bool)
    mask[[5, 10]] = True
    np.testing.assert_allclose(
        analysis.gene_set_score(sepira.values, mask),
        analysis.gene_set_score(sepira.values, [5, 10]),
    )
    with pytest.raises(CoreError, match="gene_indices is a boolean mask of shape"):
        analysis.gene_set_score(sepira.values, mask[:-1])


@pytest.mark.parametrize(
    ("indices", "message"),
    [
        (["TBX4", "TFEC"], "gene_indices must be column indices .* match_genes"),
        ([1.5], "gene_indices must be whole column indices, got 1.5"),
        ([0, 467], "gene_indices: 467 is out of range 0..466"),
    ],
)
def test_gene_set_score_names_bad_indices(sepira, indices, message):
    """Symbols raised numpy's "invalid literal for int()"; 1.5 was read as column 1."""
    with pytest.raises(CoreError, match=message):
        analysis.gene_set_score(sepira.values, indices)


def test_gene_set_score_names_bad_values(sepira):
    """A 1-D column raised IndexError, text a numpy ValueError, inf gave NaN for every sample."""
    with pytest.raises(DataError, match=r"values must be a \(n_samples, n_genes\) array"):
        analysis.gene_set_score(sepira.values[:, 0], [0])
    with pytest.raises(DataError, match="values must be a numeric array"):
        analysis.gene_set_score(np.array([["a", "b"]] * 3), [0])
    values = sepira.values.copy()
    values[3, 0] = np.inf
    with pytest.raises(DataError, match="values holds infinite values"):
        analysis.gene_set_score(values, [0, 1])


def test_gene_smoothness_names_a_table_with_text(model):
    """A table with a text column raised pandas' 'could not convert string to float'."""
    table = pd.DataFrame({"tissue": ["x"] * 520})
    with pytest.raises(DataError, match="values must be a numeric array"):
        analysis.gene_smoothness(model.sample_embedding_, table)


def test_match_genes_refuses_ids_of_other_genes(sepira):
    """ids shorter than the symbols answered with the column of another gene."""
    with pytest.raises(DataError, match="ids has 3 entries but gene_symbols 467"):
        analysis.match_genes(sepira.gene_symbols, ["ENSG00000141510"], ids=sepira.gene_ids[:3])
    with pytest.raises(CoreError, match="patterns must be gene symbols or patterns"):
        analysis.match_genes(sepira.gene_symbols, None)


def test_baseline_maps_take_an_expression_set(sepira):
    """An ExpressionSet gives its values, as marker_smoothness takes it (it raised "float()
    argument must be ... not 'ExpressionSet'")."""
    maps = analysis.baseline_embeddings(sepira, methods=("pca",))
    assert maps["pca"].shape == (sepira.n_samples, 2)


# ------------------------------------------------------------------------------ Figure 4
def test_pair_correlations_refuse_pairs_that_do_not_pair(sepira):
    """Out of range raised IndexError; a negative index counted from the end; lists of two
    lengths were broadcast into pairs nobody asked for."""
    with pytest.raises(CoreError, match="gene index 500 out of range 0..466"):
        analysis.pair_correlations(sepira.values, [0], [500])
    with pytest.raises(CoreError, match="gene index -1 out of range"):
        analysis.pair_correlations(sepira.values, [-1], [2])
    with pytest.raises(CoreError, match="gene_a has 2 genes and gene_b 1"):
        analysis.pair_correlations(sepira.values, [0, 1], [2])


def test_chance_shares_refuse_references_of_other_genes(sepira):
    """A GO matrix of 100 genes beside a network of 467 gave shares of two gene sets, and
    n_genes said 467."""
    coexp = analysis.coexpression_edges(sepira.values)
    go_matrix = sparse.random(100, 30, density=0.1, format="csr", random_state=0).astype(bool)
    with pytest.raises(DataError, match="go_matrix has 100 genes but coexp has 467"):
        analysis.chance_shares(go_matrix, coexp)


def test_small_gene_space_helpers_name_their_argument(model):
    """k=0 gave NaN; a float n_genes drew pairs; a 1-D vector raised AxisError; names shorter
    than the runs raised IndexError; no model counted every pair in 0 runs."""
    with pytest.raises(CoreError, match="k .neighbours. must be an integer >= 1, got 0"):
        analysis.coexp_ceiling(sparse.eye(10, format="csr"), 0)
    with pytest.raises(CoreError, match="n_genes must be an integer, got 10.5"):
        analysis.random_pairs(10.5, 3)
    with pytest.raises(DataError, match=r"points must be a \(n_points, dim\) array"):
        analysis.unit_rows(model.gene_embedding_[0])
    g = model.gene_embedding_
    with pytest.raises(CoreError, match="names has 1 entries for 2 gene embeddings"):
        analysis.check_distinct_runs([g, g], ["a"])
    with pytest.raises(CoreError, match="pair_run_counts needs at least one gene embedding"):
        analysis.pair_run_counts(np.array([[0, 5]]), [], k=3)


def test_summarize_novel_pairs_names_a_table_of_another_kind():
    """A table without type columns raised KeyError: 'type_a'."""
    with pytest.raises(CoreError, match="takes a novel_close_pairs result; it lacks columns"):
        analysis.summarize_novel_pairs(pd.DataFrame({"a": [1]}))
