"""Placing new samples from Python and from the dashboard as ``python -m core embed`` does: a
sample without any value placed at NaN, not the whole set refused; a text cell named by sample
and gene; the dashboard's CSV named as embed's table, so that the two join."""

from __future__ import annotations

import base64
import io
import logging

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError, ModelError
from core.estimator import FactorizedEmbeddings
from dashboard import placement
from dashboard.context import AppContext, DashboardConfig
from tests.cli_run import run_cli as _run


def _data_url(raw: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def table(sepira_file) -> pd.DataFrame:
    """4 tissues of the real GTEx table, 20 samples each."""
    full = pd.read_csv(sepira_file)
    return full[full["tissue"].isin(full["tissue"].unique()[:4])].reset_index(drop=True)


@pytest.fixture(scope="module")
def model_dir(table, tmp_path_factory):
    """A model of 16 samples of each tissue (the first 4 of each held out), saved."""
    from core.data import load_table

    path = tmp_path_factory.mktemp("map") / "train.csv"
    table.groupby("tissue").tail(16).to_csv(path, index=False)
    fe = FactorizedEmbeddings(gene_dim=4, hidden=(16,), epochs=2, device="cpu", seed=0)
    return fe.fit(load_table(path)).save(path.parent / "model"), path


@pytest.fixture(scope="module")
def fe(model_dir):
    return FactorizedEmbeddings.load(model_dir[0])


def _held(table: pd.DataFrame) -> pd.DataFrame:
    return table.groupby("tissue").head(4).reset_index(drop=True)


def _genes(table: pd.DataFrame) -> pd.DataFrame:
    return _held(table).drop(columns="tissue").set_index("sample")


# ----------------------------------------------------------------------------- 1: empty samples
def test_transform_places_the_others_and_names_a_sample_without_values(fe, table, caplog):
    """One all-NaN sample refused the whole set from Python, where embed and the dashboard
    place the others and name it."""
    new = _genes(table)
    empty = new.index[5]
    holes = new.copy()
    holes.loc[empty] = np.nan
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        coords, err = fe.transform(holes, return_error=True)
    assert coords.shape == (len(new), 2) and err.shape == (len(new),)
    assert np.isnan(coords[5]).all() and np.isnan(err[5])
    assert f"1 sample(s) without any observed model gene ({empty}): not placed" in caplog.text
    # the others placed as they are alone (each sample is placed on its own)
    alone, alone_err = fe.transform(new.drop(index=empty), return_error=True)
    others = np.arange(len(new)) != 5
    np.testing.assert_allclose(coords[others], alone, atol=1e-4)
    np.testing.assert_allclose(err[others], alone_err, rtol=1e-3, atol=1e-6)
    assert np.isfinite(coords[others]).all()


def test_transform_still_refuses_a_set_without_any_value(fe, table):
    new = _genes(table).iloc[:3] * np.nan
    with pytest.raises(ModelError, match=r"3 sample\(s\) without any observed model gene"):
        fe.transform(new)


# ----------------------------------------------------------------------------- 2: text cells
@pytest.mark.parametrize("text", ["NA", "high"])
def test_a_text_cell_is_named_by_sample_and_gene(fe, table, text):
    """A DataFrame of objects holding "NA" said "could not convert string to float: 'NA'",
    without the sample or the gene."""
    new = _genes(table).iloc[:4].astype(object)
    new.iloc[2, 7] = text
    sample, gene = new.index[2], new.columns[7]
    said = rf"sample {sample}, gene {gene}: value '{text}' is not a number"
    with pytest.raises(DataError, match=said):
        fe.transform(new)
    with pytest.raises(DataError, match=said):
        FactorizedEmbeddings(epochs=1, gene_dim=4, hidden=(8,)).fit(new)
    # a bare array of the model's genes: its cell named by the model's gene
    array = new[list(fe.gene_ids_)].to_numpy()
    row, col = 2, list(fe.gene_ids_).index(gene)
    with pytest.raises(DataError, match=rf"sample sample_{row}, gene {fe.gene_ids_[col]}: "):
        fe.transform(array)


def test_a_missing_value_marker_is_said_how_to_give_as_nan(fe, table):
    new = _genes(table).iloc[:3].astype(object)
    new.iloc[1, 0] = "NA"
    with pytest.raises(DataError, match=r"df\.replace\('NA', float\('nan'\)\)"):
        fe.transform(new)
    new.iloc[1, 0] = "high"
    with pytest.raises(DataError, match="must be numbers") as caught:
        fe.transform(new)
    assert "replace" not in str(caught.value)


# ----------------------------------------------------------------------------- 3: column names
def test_the_dashboards_csv_joins_embeds_table(model_dir, table, tmp_path, capsys):
    """The dashboard's CSV wrote nearest_sample, nearest_label, majority_label where embed
    writes nearest_training_sample, nearest_tissue, majority_tissue."""
    from core.data import load_table

    model, train = model_dir
    held = _held(table)
    held.to_csv(tmp_path / "held.csv", index=False)
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", tmp_path / "held.csv", "--out", tmp_path / "e.csv"],
        capsys,
    )
    assert code == 0, err
    embed = pd.read_csv(tmp_path / "e.csv")
    cfg = DashboardConfig(cache_dir=tmp_path / "cache", model_dir=model, gene_layout="pca")
    ctx = AppContext(load_table(train), cfg)
    ctx.train()
    records = placement.place_upload(
        ctx, _data_url(held.to_csv(index=False).encode()), "held.csv", False
    )["records"]
    content = placement.placed_csv(records, ctx)[0]["content"]
    page = pd.read_csv(io.StringIO(content))
    named = ["nearest_training_sample", "nearest_tissue", "majority_tissue", "majority_share"]
    assert set(named) <= set(page.columns)
    assert not {"nearest_sample", "nearest_label", "majority_label"} & set(page.columns)
    assert set(embed.columns) <= set(page.columns), set(embed.columns) - set(page.columns)
    # in the same order, the columns both have
    shared = [c for c in page.columns if c in embed.columns]
    assert shared == list(embed.columns)
    joined = embed.merge(page, on=["sample_id", "tissue"], suffixes=("_embed", "_page"))
    assert len(joined) == len(held)
    for col in ("x", "y"):
        assert (joined[f"{col}_embed"] - joined[f"{col}_page"]).abs().max() < 1e-3
    same = joined["majority_tissue_embed"] == joined["majority_tissue_page"]
    assert same.mean() >= 0.9
    # the page's records keep the short ids its table and stars read
    assert {"nearest_sample", "nearest_label", "majority_label"} <= set(records[0])
    # an annotation named as a column of the CSV is renamed, as embed renames it
    own = held.copy()
    own.insert(2, "nearest_tissue", held["tissue"])  # (annotations before the genes)
    records = placement.place_upload(
        ctx, _data_url(own.to_csv(index=False).encode()), "own.csv", False
    )["records"]
    page = pd.read_csv(io.StringIO(placement.placed_csv(records, ctx)[0]["content"]))
    assert (page["sample_nearest_tissue"] == held["tissue"]).all()
    assert page.columns.tolist().count("nearest_tissue") == 1


# ----------------------------------------------------------------------------- 4: poor fits
def test_a_sample_in_raw_scale_is_marked_poor_fit_by_embed_as_by_the_page(
    model_dir, table, tmp_path, capsys
):
    """One sample of 16 given in raw scale (10**x) among log values: the median fit error was
    fine, and embed's table and warnings said nothing of that sample, where the page marked it
    (poor_fit, the last column of its CSV, and a warning)."""
    from core.data import load_table

    model, train = model_dir
    held = _held(table)
    genes = held.columns[2:]
    raw_id = held["sample"].iloc[5]
    held[genes] = held[genes].astype(float)
    held.loc[5, genes] = 10 ** held.loc[5, genes]
    held.to_csv(tmp_path / "held.csv", index=False)
    args = ["embed", "--model", model, "--matrix", tmp_path / "held.csv", "--transform", "none"]
    code, _, err = _run([*args, "--out", tmp_path / "e.csv"], capsys)
    assert code == 0, err
    embed = pd.read_csv(tmp_path / "e.csv")
    assert embed.columns[-1] == "poor_fit" and embed["poor_fit"].dtype == bool
    assert embed.loc[embed["poor_fit"], "sample_id"].tolist() == [raw_id]
    assert "the new samples fit the model far worse" not in err  # (the median is fine)
    assert "warning: 1 sample fits the model far worse than its training samples (fit error " in err
    assert "above 5 times the training error, " in err and f": {raw_id}): its place" in err
    assert "(column poor_fit)" in err
    # the page marks the same samples, and its CSV has the column in the same place
    cfg = DashboardConfig(cache_dir=tmp_path / "cache", model_dir=model, gene_layout="pca")
    ctx = AppContext(load_table(train), cfg)
    ctx.train()
    result = placement.place_upload(
        ctx, _data_url(held.to_csv(index=False).encode()), "held.csv", False
    )
    page = pd.read_csv(io.StringIO(placement.placed_csv(result["records"], ctx)[0]["content"]))
    assert page.columns[-1] == "poor_fit"
    assert page["poor_fit"].tolist() == embed["poor_fit"].tolist()
    assert any(raw_id in w and "far worse" in w for w in result["warnings"])
    # none marked without the raw sample
    held.loc[5, genes] = table.groupby("tissue").head(4).iloc[5][genes].astype(float).to_numpy()
    held.to_csv(tmp_path / "log.csv", index=False)
    args[4] = tmp_path / "log.csv"
    code, _, err = _run([*args, "--out", tmp_path / "l.csv"], capsys)
    assert code == 0 and "far worse" not in err, err
    assert not pd.read_csv(tmp_path / "l.csv")["poor_fit"].any()
