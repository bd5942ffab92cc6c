"""Placing an upload with a misspelt gene column: the page names the gene it lacks and the
column it did not know, not only "459 of the model's 460 genes present"."""

from __future__ import annotations

import base64

import pandas as pd
import pytest

from dashboard import placement
from dashboard.context import AppContext, DashboardConfig, ModelSettings


def _data_url(raw: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(raw).decode()


def _model_symbols(context) -> list[str]:
    model = context.require_state().model
    return [str(g) for g in getattr(model, "gene_symbols_", model.gene_ids_)]


def test_a_misspelt_gene_column_is_named(context, sepira_file):
    rows = pd.read_csv(sepira_file).iloc[[0, 25, 260]].drop(columns=["tissue"])
    gene = next(g for g in rows.columns[1:] if g in set(_model_symbols(context)))
    rows = rows.rename(columns={gene: f"{gene}X"})
    raw = rows.to_csv(index=False).encode()
    placed, _, info, _ = placement.place_from_upload(context, _data_url(raw), "typo.csv", False)
    assert len(placed) == 3
    total = len(_model_symbols(context))
    assert f"{total - 1} of the model's {total} genes present (absent: {gene})" in info
    assert f"1 column of typo.csv names no gene of the map's data: {gene}X" in info


def test_many_absent_genes_are_counted_beyond_the_first_five(context, sepira_file):
    rows = pd.read_csv(sepira_file).iloc[[0, 25, 260]].drop(columns=["tissue"])
    model_genes = set(_model_symbols(context))
    kept = [g for g in rows.columns[1:] if g in model_genes][:100]
    raw = rows[["sample", *kept]].to_csv(index=False).encode()
    info = placement.place_from_upload(context, _data_url(raw), "part.csv", False)[2]
    total = len(model_genes)
    assert f"100 of the model's {total} genes present (absent: " in info
    assert ", ...)" in info
    assert "column of part.csv" not in info  # every column it has is a gene of the model
    # every gene present: nothing more is said
    full = rows.to_csv(index=False).encode()
    info = placement.place_from_upload(context, _data_url(full), "full.csv", False)[2]
    assert f"{total} of the model's {total} genes present;" in info and "absent" not in info


@pytest.fixture(scope="module")
def served_context(sepira_es, tmp_path_factory):
    """A context on the data as a served model directory reloads it: without the genes 0 in
    every sample, which the model's record names as left out before training."""
    cfg = DashboardConfig(
        cache_dir=tmp_path_factory.mktemp("fe-cache-served"),
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(sepira_es.drop_zero_genes(), cfg)
    ctx.train()
    return ctx


def test_genes_left_out_before_training_are_not_called_unknown(served_context, sepira_file):
    rows = pd.read_csv(sepira_file).iloc[[0, 25, 260]].drop(columns=["tissue"])
    symbols = set(_model_symbols(served_context))
    left_out = [g for g in rows.columns[1:] if g not in symbols]
    assert left_out  # the file's genes 0 in every sample (MIR4692, ...)
    gene = next(g for g in rows.columns[1:] if g in symbols)
    raw = rows.drop(columns=[gene]).to_csv(index=False).encode()
    info = placement.place_from_upload(served_context, _data_url(raw), "part.csv", False)[2]
    assert f"(absent: {gene})" in info
    assert "no gene of the map's data" not in info
    assert not any(g in info for g in left_out)


def test_a_gene_column_without_any_value_is_not_called_absent(context, sepira_file):
    """A column of a model gene, empty in every sample: the page said "absent: TBX4" of a
    column the file has (embed counts it as present with missing values)."""
    rows = pd.read_csv(sepira_file).iloc[[0, 25, 260]].drop(columns=["tissue"])
    gene = next(g for g in rows.columns[1:] if g in set(_model_symbols(context)))
    rows[gene] = float("nan")
    raw = rows.to_csv(index=False).encode()
    info = placement.place_from_upload(context, _data_url(raw), "empty.csv", False)[2]
    total = len(_model_symbols(context))
    assert (
        f"{total - 1} of the model's {total} genes present (given without any value: {gene})"
        in (info)
    )
    assert "absent" not in info
