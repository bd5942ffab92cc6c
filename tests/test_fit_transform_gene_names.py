"""Gene names that the estimator read without a word, on the real GTEx table of 26 tissues:
``fit`` trained a DataFrame of genes in rows (its genes learned as samples, ``sample_ids_``
``TBX4, TFEC, ...``); ``transform`` dropped renamed model genes and ignored unknown columns
with only an INFO line, hidden by default, naming none of them."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.estimator import FactorizedEmbeddings
from tests.cli_run import run_cli as _run

SMALL = {"gene_dim": 4, "hidden": (16,), "epochs": 2, "device": "cpu", "seed": 0}


@pytest.fixture(scope="module")
def genes(sepira_file) -> pd.DataFrame:
    """The 520 samples x 467 genes, samples as rows (the tissue column dropped)."""
    return pd.read_csv(sepira_file, index_col="sample").drop(columns="tissue")


@pytest.fixture(scope="module")
def fe(genes) -> FactorizedEmbeddings:
    return FactorizedEmbeddings(**SMALL).fit(genes.iloc[::4])


# ----------------------------------------------------------------------------- fit: genes in rows
def test_fit_refuses_a_dataframe_with_its_genes_in_rows(genes):
    turned = genes.iloc[:60].T  # 467 "samples" named TBX4, TFEC, ... x 60 "genes"
    with pytest.raises(DataError, match=r"^fit: the DataFrame's genes seem to be in rows") as e:
        FactorizedEmbeddings(**SMALL).fit(turned)
    said = str(e.value)
    assert "\n" not in said and "pass df.T" in said
    assert "100% of its row labels read as genes (e.g. 'TBX4', 'TFEC', 'NKX2-1')" in said
    assert "0% of its column labels (e.g. 'Adipose_Tissue_1'" in said
    # a bare array says nothing of its genes: trained as it is given
    fitted = FactorizedEmbeddings(**SMALL).fit(turned.to_numpy())
    assert fitted.n_samples_ == 467 and fitted.sample_ids_[0] == "sample_0"


def test_fit_takes_a_dataframe_of_samples_named_as_genes(genes):
    """Samples named WT1, C3, F8... (gene symbols) with genes as columns are samples all the
    same: the columns read as genes too."""
    some = genes.iloc[:12].copy()
    some.index = ["WT1", "C3", "F8", "KIT", "MET", "RET", "ALB", "APP", "CAT", "GC", "HP", "TF"]
    fitted = FactorizedEmbeddings(**SMALL).fit(some)
    assert fitted.sample_ids_.tolist() == some.index.tolist()


# ----------------------------------------------------------------------------- transform: names
def test_transform_names_the_model_genes_absent_and_the_columns_ignored(fe, genes, caplog):
    new = genes.iloc[1:9].copy()
    new.columns = [c + "_x" if i < 20 else c for i, c in enumerate(new.columns)]
    new["NOTAGENE1"] = 1.0
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        coords = fe.transform(new)
    assert np.isfinite(coords).all()
    said = [r for r in caplog.records if "not in the new samples" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    text = said[0].getMessage()
    first = ", ".join(genes.columns[:5])
    assert (
        f"transform: 20 of the model's 467 genes are not in the new samples, read as missing "
        f"values ({first} and 15 more)" in text
    )
    renamed = ", ".join(c + "_x" for c in genes.columns[:5])
    assert (
        f"21 of the new samples' columns are no gene of the model, ignored ({renamed} and 16 "
        "more)" in text
    )
    assert "\n" not in text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        fe.transform(genes.iloc[1:9].assign(NOTAGENE1=1.0))
    assert "1 of the new samples' columns is no gene of the model, ignored (NOTAGENE1)" in (
        caplog.text
    )
    assert "not in the new samples" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        fe.transform(genes.iloc[1:9])  # every gene, and no other: nothing said
    assert "no gene of the model" not in caplog.text and "not in the new" not in caplog.text


def test_embed_says_the_genes_once_in_its_own_words(fe, genes, tmp_path, capsys, caplog):
    """embed names the genes absent and ignored in its "genes:" line; the estimator's warning
    is not said again below it (nor logged, where a log handler would show it)."""
    fe.save(tmp_path / "model")
    new = genes.iloc[1:9].copy()
    new.columns = [c + "_x" if i < 20 else c for i, c in enumerate(new.columns)]
    new.rename_axis("sample").to_csv(tmp_path / "new.csv")
    args = ["embed", "--model", tmp_path / "model", "--matrix", tmp_path / "new.csv"]
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        code, _, err = _run([*args, "--transform", "none", "--out", tmp_path / "e.csv"], capsys)
    assert code == 0, err
    assert "genes: 447 of the model's 467 genes are in" in err
    assert "20 of its genes are not in the model and are ignored" in err
    assert "not in the new samples" not in err + caplog.text
    assert "no gene of the model, ignored" not in err + caplog.text


def test_the_page_says_the_genes_once_in_its_own_words(fe, sepira_file, tmp_path, caplog):
    """The dashboard names the model genes absent from an upload itself; the estimator's
    warning is not logged again while it places the upload."""
    import base64

    from core.data import load_table
    from dashboard import placement
    from dashboard.context import AppContext, DashboardConfig

    table = pd.read_csv(sepira_file)
    table.iloc[::4].to_csv(tmp_path / "train.csv", index=False)
    fe.save(tmp_path / "model")
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache", model_dir=tmp_path / "model", gene_layout="pca"
    )
    ctx = AppContext(load_table(tmp_path / "train.csv"), cfg)
    ctx.train()
    held = table.iloc[1:9].rename(columns={"TBX4": "TBX4_x"})
    raw = "data:text/csv;base64," + base64.b64encode(held.to_csv(index=False).encode()).decode()
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        result = placement.place_upload(ctx, raw, "held.csv", False)
    assert len(result["records"]) == 8
    assert "466 of the model's 467 genes present (absent: TBX4)" in result["info"]
    assert "names no gene of the map's data: TBX4_x" in result["info"]
    assert "not in the new samples" not in caplog.text
    assert "no gene of the model, ignored" not in caplog.text


def test_fit_refuses_a_gene_by_gene_matrix(genes):
    """A correlation matrix given by mistake (genes on both axes, read as genes on both: the
    check of genes in rows let it by) was trained as 460 samples named TBX4, TFEC, ..."""
    varied = genes.loc[:, genes.std() > 0]  # (a gene of zeros: a row of NaN correlations)
    with pytest.raises(DataError, match=r"^fit: the DataFrame's row labels are its column label"):
        FactorizedEmbeddings(**SMALL).fit(varied.corr())
    # twelve samples named as genes, with the genes as columns: samples all the same
    some = genes.iloc[:12, :12].copy()
    some.index = ["WT1", "C3", "F8", "KIT", "MET", "RET", "ALB", "APP", "CAT", "GC", "HP", "TF"]
    assert FactorizedEmbeddings(**SMALL).fit(some).n_samples_ == 12


def test_transform_names_a_shared_symbol_with_its_id(genes, caplog):
    """Two model genes named alike (GTEx names hundreds Y_RNA): the one left without a column
    was said absent by its symbol alone, "TBX4", beside a column TBX4 that was placed."""
    from core.data import ExpressionSet

    part = genes.iloc[::4, :40]
    symbols = ["TBX4", *part.columns[1:]]
    symbols[1] = "TBX4"  # (the second gene's symbol is the first's)
    ids = [f"ENSG{i:011d}" for i in range(40)]
    train = ExpressionSet.from_array(
        part.to_numpy(), sample_ids=part.index, gene_ids=ids, gene_symbols=symbols
    )
    model = FactorizedEmbeddings(**SMALL).fit(train)
    new = genes.iloc[1:5, :40].drop(columns=genes.columns[1])  # columns by symbol: TBX4 once
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        model.transform(new)
    assert (
        "1 of the model's 40 genes is not in the new samples, read as missing values "
        "(TBX4 (ENSG00000000001))" in caplog.text
    ), caplog.text
