"""``core.analysis.neighbour_table``: a fitted model's nearest genes of some genes as a table, from
Python, with the gene lookup of ``python -m core neighbours`` (one implementation for both), on
a small model of the real 26-tissue GTEx set."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.analysis import gene_neighbors, neighbour_table
from core.cli import main
from core.errors import CoreError, DataError, ModelError
from core.estimator import FactorizedEmbeddings

COLUMNS = ["gene", "gene_id", "rank", "neighbour", "neighbour_id", "distance"]


@pytest.fixture(scope="module")
def tiny_model(sepira_file, tmp_path_factory):
    """A model of 60 real samples x 30 genes (TBX4, TBX5, ... named by symbol), as
    tests/test_cli_commands.py trains it."""
    folder = tmp_path_factory.mktemp("neighbour_table")
    matrix = folder / "small.csv"
    pd.read_csv(sepira_file).iloc[:60, :32].to_csv(matrix, index=False)
    out = folder / "tiny"
    args = ["train", "--matrix", matrix, "--out", out, "--epochs", "2"]
    assert main([str(a) for a in [*args, "--hidden", "16", "--gene-dim", "4"]]) == 0
    return out


@pytest.fixture(scope="module")
def fe(tiny_model):
    return FactorizedEmbeddings.load(tiny_model)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_rows_are_gene_neighbors_of_the_genes_asked(fe, metric, capsys):
    symbols = [str(s) for s in fe.gene_symbols_]
    asked = [symbols[7], symbols[0], symbols[21]]
    table = neighbour_table(fe, asked, k=6, metric=metric)
    assert list(table.columns) == COLUMNS and len(table) == 3 * 6
    idx, dist = gene_neighbors(fe.gene_embedding_, 6, metric=metric)
    for n, row in enumerate([7, 0, 21]):
        part = table.iloc[6 * n : 6 * n + 6]
        assert (part["gene"] == symbols[row]).all() and (part["gene_id"] == fe.gene_ids_[row]).all()
        assert part["rank"].tolist() == [1, 2, 3, 4, 5, 6]
        assert part["neighbour"].tolist() == [symbols[j] for j in idx[row]]
        assert part["neighbour_id"].tolist() == [str(fe.gene_ids_[j]) for j in idx[row]]
        assert np.abs(part["distance"].to_numpy() - dist[row]).max() < 1e-5
        assert part["distance"].is_monotonic_increasing
    assert capsys.readouterr() == ("", "")  # library code prints nothing


def test_a_gene_is_found_by_symbol_in_any_case_and_by_ensembl_id(fe, caplog):
    table = neighbour_table(fe, "tbx4", k=3)  # one name, not a list
    assert (table["gene"] == "TBX4").all() and len(table) == 3
    # the 26-tissue set names genes by symbol: an Ensembl id through the GO snapshot's table
    with caplog.at_level(logging.INFO, logger="core.analysis"):
        by_id = neighbour_table(fe, ["ENSG00000121075.7"], k=3)
    pd.testing.assert_frame_equal(by_id, table)
    assert "ENSG00000121075.7 is TBX4 in the GO snapshot's gene table" in caplog.text
    # one gene under three names is listed once
    assert len(neighbour_table(fe, ["TBX4", "tbx4", "ENSG00000121075"], k=3)) == 3
    # a model named by Ensembl ids: an id in any case, without its version
    ids = [f"ENSG{n:011d}.{n % 7 + 1}" for n in range(len(fe.gene_ids_))]
    model = SimpleNamespace(
        gene_embedding_=fe.gene_embedding_, gene_ids_=ids, gene_symbols_=fe.gene_symbols_
    )
    table = neighbour_table(model, ["ensg00000000005"], k=2)
    assert (table["gene_id"] == ids[5]).all() and (table["gene"] == fe.gene_symbols_[5]).all()
    assert set(table["neighbour_id"]) <= set(ids)
    # a model of simulated data says so, as the command's table does
    table = neighbour_table(SimpleNamespace(**vars(model), simulated_=True), "TBX4", k=2)
    assert list(table.columns) == ["data", *COLUMNS] and (table["data"] == "SIMULATED").all()


def test_unknown_genes_are_named(fe, caplog, capsys):
    with pytest.raises(DataError, match=r"unknown gene\(s\) NOTAGENE, TBX5X: .*did you mean TBX5"):
        neighbour_table(fe, ["NOTAGENE", "TBX5X"])
    with caplog.at_level(logging.WARNING, logger="core.analysis"):
        table = neighbour_table(fe, ["NOTAGENE", "TBX5"], k=4)
    assert (table["gene"] == "TBX5").all() and len(table) == 4
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and warned[0].getMessage().startswith("NOTAGENE left out: not among")
    assert capsys.readouterr() == ("", "")


def test_bad_arguments_are_refused_in_a_line():
    model = SimpleNamespace(
        gene_embedding_=np.random.default_rng(0).normal(size=(5, 3)),
        gene_ids_=list("ABCDE"),
        gene_symbols_=list("ABCDE"),
    )
    for kwargs, message in [
        ({"k": 5}, "k must be between 1 and 4"),
        ({"k": 0}, "k must be between 1 and 4"),
        ({"k": 2.5}, "k (neighbours) must be an integer"),
        ({"metric": "manhattan"}, "metric must be one of"),
    ]:
        with pytest.raises(CoreError) as exc:
            neighbour_table(model, "A", **kwargs)
        assert message in str(exc.value)
    with pytest.raises(CoreError, match="give at least one gene"):
        neighbour_table(model, [" "], k=2)
    with pytest.raises(CoreError, match="genes must be a gene symbol or id, or a list"):
        neighbour_table(model, None, k=2)
    with pytest.raises(ModelError, match="not fitted yet"):
        neighbour_table(FactorizedEmbeddings(), "A", k=2)
    with pytest.raises(ModelError, match="give a fitted FactorizedEmbeddings, got ndarray"):
        neighbour_table(model.gene_embedding_, "A", k=2)
    with pytest.raises(ModelError, match="5 gene vectors for 4 gene_ids_"):
        neighbour_table(SimpleNamespace(**{**vars(model), "gene_ids_": list("ABCD")}), "A", k=2)


def test_the_command_lists_what_the_function_returns(fe, tiny_model, tmp_path, capsys, caplog):
    """``neighbours`` and ``neighbour_table`` find the same genes, and say the same of those
    not found; the command rounds distances to 4 decimals."""
    out = tmp_path / "nb.tsv"
    args = ["neighbours", "--model", tiny_model, "--genes", "tbx4,NOTAGENE,TBX5", "--k", "5"]
    assert main([str(a) for a in [*args, "--out", out]]) == 0
    err = capsys.readouterr().err
    cli = pd.read_csv(out, sep="\t")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.analysis"):
        table = neighbour_table(fe, ["tbx4", "NOTAGENE", "TBX5"], k=5)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # the model's genes are named by symbols alone: the command leaves out the id columns
    # that repeat them (as export does); the function keeps its columns
    assert (table["gene_id"] == table["gene"]).all()
    assert list(cli.columns) == [c for c in COLUMNS if not c.endswith("_id")]
    for column in ["gene", "rank", "neighbour"]:
        assert cli[column].astype(str).tolist() == table[column].astype(str).tolist()
    assert np.abs(cli["distance"] - table["distance"]).max() <= 5.1e-5
    assert len(warned) == 1 and "NOTAGENE" in warned[0] and f"warning: {warned[0]}\n" in err
