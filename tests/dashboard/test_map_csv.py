"""The whole sample map and the whole gene space as CSV files ("Sample map as CSV", "Gene space
as CSV"), and selections' files named by their majority label.

A biologist found no way to save the sample map's rows but a select-all, nor the gene space's
coordinates but the command line; two selections of 20 samples (Liver, then Lung) were both
saved as ``selection-20.csv``."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dashboard import export, figures, ids
from dashboard.figure_samples import MISSING_TRACE
from dashboard.gene_space import build_gene_figure
from dashboard.layout import build_layout
from dashboard.sample_map import build_sample_figure
from tests.dashboard.callback_post import post_callback
from tests.dashboard.layout_tree import components

HEART = "GO:0007507"  # heart development


def _read(payload: dict) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(payload["content"]), keep_default_na=False, na_values=[""])


def _sample_csv(context, color):
    return export.csv_download(context, ids.EXPORT_SAMPLE_MAP_CSV, None, None, None, color=color)


def _gene_csv(context, gene_color):
    out = export.csv_download(
        context, ids.EXPORT_GENE_MAP_CSV, None, None, None, gene_color=gene_color
    )
    return out


def _rows_of(context, tissue: str) -> list[int]:
    return [int(r) for r in np.flatnonzero(context.samples["tissue"].to_numpy() == tissue)]


@pytest.mark.parametrize(
    ("color", "column", "stem"),
    [
        ("obs:HNF4A", "HNF4A_observed", "sample_map_obs-HNF4A"),
        ("res:GATA4", "GATA4_residual", "sample_map_res-GATA4"),
        (f"go:{HEART}", f"{HEART}_mean_z", "sample_map_go-GO-0007507"),
        ("list:GATA4, TBX5", "gene_list_mean_z", "sample_map_list_GATA4_TBX5"),
    ],
)
def test_the_sample_map_csv_holds_every_sample_as_the_figure_colours_it(
    context, color, column, stem
):
    out = _sample_csv(context, color)
    assert out["filename"] == f"{stem}.csv"
    table = _read(out)
    n = context.n_samples
    assert len(table) == n and list(table["sample_id"]) == list(context.sample_ids)
    # the selection CSV's columns, the dataset and model first, then the colouring's values
    assert list(table.columns[:5]) == ["dataset", "model", "sample_id", "x", "y"]
    assert [c for c in context.annotation_columns if c not in table.columns] == []
    assert table.columns[-1] == column and "n_selected" not in table.columns
    assert context.state().key in table["model"][0]
    fig, _ = build_sample_figure(context, color, webgl=False)
    trace = fig.data[figures.COLOR_TRACE]
    rows = np.asarray(trace.customdata, dtype=int)
    assert len(rows) + len(fig.data[MISSING_TRACE].x) == n
    values = table[column].to_numpy(dtype=np.float32)
    np.testing.assert_array_equal(values[rows], np.asarray(trace.marker.color, np.float32))
    np.testing.assert_array_equal(table["x"].to_numpy(np.float32)[rows], trace.x)
    np.testing.assert_array_equal(table["y"].to_numpy(np.float32)[rows], trace.y)
    missing = np.setdiff1d(np.arange(n), rows)
    assert np.isnan(values[missing]).all()


def test_a_map_coloured_by_an_annotation_saves_its_column_once(context):
    out = _sample_csv(context, "ann:tissue")
    table = _read(out)
    assert out["filename"] == "sample_map_ann-tissue.csv"
    assert list(table.columns) == ["dataset", "model", "sample_id", "x", "y", "tissue"]
    assert list(table["tissue"]) == list(context.samples["tissue"])
    fig, _ = build_sample_figure(context, "ann:tissue", webgl=False)
    drawn = 0
    for trace in fig.data:
        if trace.customdata is None or not len(trace.customdata) or trace.name == "probe grid":
            continue
        rows = np.asarray(trace.customdata, dtype=int)
        np.testing.assert_array_equal(table["x"].to_numpy(np.float32)[rows], trace.x)
        np.testing.assert_array_equal(table["y"].to_numpy(np.float32)[rows], trace.y)
        drawn += len(rows)
    assert drawn == context.n_samples
    # no colouring chosen yet: the page's default
    assert _sample_csv(context, None)["filename"].startswith("sample_map_")


@pytest.mark.parametrize("gene_color", ["type", f"go:{HEART}"])
def test_the_gene_space_csv_holds_every_gene_as_the_map_draws_it(context, gene_color):
    out = _gene_csv(context, gene_color)
    table = _read(out)
    st = context.state()
    assert out["filename"] == (
        "gene_space_type.csv" if gene_color == "type" else "gene_space_go-GO-0007507.csv"
    )
    assert len(table) == len(st.gene_layout)
    # symbols alone in this dataset: no gene_id column repeating them
    assert not export.has_gene_ids(context) and "gene_id" not in table.columns
    expected = ["dataset", "model", "layout", "symbol", "gene_type", "x", "y"]
    assert list(table.columns[:7]) == expected
    assert "gene vectors" in table["model"][0] and st.key in table["model"][0]
    fig, _ = build_gene_figure(context, gene_color, None, 10, None, webgl=False)
    drawn = {}
    for trace in fig.data:  # the categories' traces: every gene once
        for sym, x, y in zip(trace.customdata, trace.x, trace.y, strict=True):
            drawn[str(sym)] = (np.float32(x), np.float32(y), trace.name.rsplit(" (", 1)[0])
    assert len(drawn) == len(table)
    saved = {
        s: (np.float32(x), np.float32(y))
        for s, x, y in zip(table["symbol"], table["x"], table["y"], strict=True)
    }
    assert saved == {s: d[:2] for s, d in drawn.items()}
    if gene_color == "type":
        assert dict(zip(table["symbol"], table["gene_type"], strict=True)) == {
            s: d[2] for s, d in drawn.items()
        }
        assert not any(c.endswith("_annotated") for c in table.columns)
    else:
        member = table[f"{HEART}_annotated"]
        assert set(member) == {0, 1} and member.sum() > 0
        annotated = {s for s, d in drawn.items() if d[2] == "annotated"}
        assert set(table["symbol"][member == 1]) == annotated


def test_the_gene_space_csv_keeps_gene_ids_when_the_data_have_them(context, monkeypatch):
    ids_ = np.array([f"ENSG{i:011d}" for i in range(context.n_genes)], dtype=object)
    monkeypatch.setattr(context, "gene_ids", ids_)
    table = _read(_gene_csv(context, "type"))
    assert list(table.columns[3:5]) == ["gene_id", "symbol"]
    cols = np.asarray(context.state().gene_es_index)
    assert list(table["gene_id"]) == list(ids_[cols])


def test_the_maps_csv_files_say_simulated_and_guard_formulas(context, monkeypatch):
    sample_ids = context.sample_ids.copy()
    sample_ids[0] = "=HYPERLINK(1)"
    symbols = np.asarray(context.gene_symbols, dtype=object).copy()
    first = int(context.state().gene_es_index[0])
    symbols[first] = "@SUM(A1)"
    monkeypatch.setattr(context, "sample_ids", sample_ids)
    monkeypatch.setattr(context, "gene_symbols", symbols)
    monkeypatch.setattr(context, "simulated", True)
    samples = _sample_csv(context, "obs:HNF4A")
    genes = _gene_csv(context, "type")
    assert samples["filename"] == "SIMULATED_sample_map_obs-HNF4A.csv"
    assert genes["filename"] == "SIMULATED_gene_space_type.csv"
    for payload in (samples, genes):
        header, row = payload["content"].splitlines()[:2]
        assert header.startswith("data,") and row.startswith("SIMULATED,")
    assert _read(samples)["sample_id"][0] == "'=HYPERLINK(1)"
    assert _read(genes)["symbol"][0] == "'@SUM(A1)"


def test_selections_files_are_named_by_their_majority_label(context):
    liver, lung = _rows_of(context, "Liver")[:20], _rows_of(context, "Lung")[:20]
    mixed = liver[:10] + lung[:10]
    mostly = liver[:15] + lung[:5]

    def names(rows):
        selection = {"rows": rows}
        return [
            export.csv_download(context, which, None, selection, None)["filename"]
            for which in (ids.EXPORT_SELECTION_CSV, ids.EXPORT_SELECTION_GENES_CSV)
        ]

    assert names(liver) == ["selection-20-Liver.csv", "selection-20-Liver_specific_genes.csv"]
    assert names(lung) == ["selection-20-Lung.csv", "selection-20-Lung_specific_genes.csv"]
    # no majority: 2 or 3 labels named, the largest first (the three endocrine tissues' file
    # was "selection-60-mixed"), 4 or more "mixed"
    assert names(mixed)[0] == "selection-20-Liver_Lung.csv"
    endocrine = [_rows_of(context, t)[:n] for t, n in (("Thyroid", 5), ("Adrenal Gland", 7))]
    three = endocrine[0] + endocrine[1] + lung[:6]
    assert names(three) == [
        "selection-18-Adrenal-Gland_Lung_Thyroid.csv",
        "selection-18-Adrenal-Gland_Lung_Thyroid_specific_genes.csv",
    ]
    assert names(three + liver[:4])[0] == "selection-22-mixed.csv"
    assert names(mostly)[0] == "selection-20-Liver.csv"
    adipose = _rows_of(context, "Adipose Tissue")[:3]  # a label's space: file-name safe
    assert names(adipose)[0] == "selection-3-Adipose-Tissue.csv"


def test_the_page_has_the_buttons_and_they_download_the_maps(context, sepira_es):
    from dashboard.factory import create_app

    buttons = {
        c.id: c
        for c in components(build_layout(context))
        if getattr(c, "id", None) in (ids.EXPORT_SAMPLE_MAP_CSV, ids.EXPORT_GENE_MAP_CSV)
    }
    assert {i: b.children for i, b in buttons.items()} == {
        ids.EXPORT_SAMPLE_MAP_CSV: "Sample map as CSV",
        ids.EXPORT_GENE_MAP_CSV: "Gene space as CSV",
    }
    assert {b.className for b in buttons.values()} == {"button small"}
    app = create_app(sepira_es, context.config)

    def click(button: str) -> dict:
        values = {
            (button, "n_clicks"): 1,
            (ids.COLOR_BY, "value"): "obs:HNF4A",
            (ids.GENE_COLOR, "value"): f"go:{HEART}",
        }
        output = f"{ids.EXPORT_CSV_DOWNLOAD}.data"
        response = post_callback(app, output, values, f"{button}.n_clicks")
        return response[ids.EXPORT_CSV_DOWNLOAD]["data"]

    samples = click(ids.EXPORT_SAMPLE_MAP_CSV)
    assert samples["filename"] == "sample_map_obs-HNF4A.csv"
    assert len(_read(samples)) == context.n_samples and "HNF4A_observed" in samples["content"]
    genes = click(ids.EXPORT_GENE_MAP_CSV)
    assert genes["filename"] == "gene_space_go-GO-0007507.csv"
    assert f"{HEART}_annotated" in genes["content"].splitlines()[0]


@pytest.mark.parametrize("color", ["obs:HNF4A", "pred:HNF4A", "res:GATA4"])
def test_the_sample_map_csv_states_the_scale_of_a_genes_values(context, monkeypatch, color):
    # GTEx read counts shown as log10(x+1): the file's MYH7_observed column held 5.589 with
    # nothing saying on what scale, where the colour bar and the specific genes' file say it
    monkeypatch.setattr(context, "value_scale", lambda: "log10(x+1)")
    table = _read(_sample_csv(context, color))
    assert table.columns[-2] == "value_scale" and set(table["value_scale"]) == {"log10(x+1)"}
    monkeypatch.setattr(context, "value_scale", lambda: None)
    table = _read(_sample_csv(context, color))
    assert set(table["value_scale"]) == {"the scale of the data file"}


@pytest.mark.parametrize("color", ["ann:tissue", "list:GATA4, TBX5", f"go:{HEART}"])
def test_mean_z_and_annotations_carry_no_value_scale(context, monkeypatch, color):
    monkeypatch.setattr(context, "value_scale", lambda: "log10(x+1)")
    assert "value_scale" not in _read(_sample_csv(context, color)).columns
