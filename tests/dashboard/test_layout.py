"""The page's structure as a biologist reads it: numbers in tables, sizes of empty figures."""

from __future__ import annotations

from dash import dash_table, dcc

from dashboard import ids
from dashboard.layout import build_layout
from tests.dashboard.layout_tree import components


def _formats(page, table_id: str) -> dict[str, str | None]:
    """Column id -> the d3 format specifier the table shows its numbers with (None: as sent)."""
    table = next(
        c for c in components(page) if isinstance(c, dash_table.DataTable) and c.id == table_id
    )
    return {c["id"]: (c.get("format") or {}).get("specifier") for c in table.columns}


def test_table_numbers_keep_their_decimals(context):
    """A column shows its numbers with the same decimals (``5.19`` stood above ``4.809``, as the
    table dropped trailing zeros), and shares of samples as percentages."""
    page = build_layout(context)
    genes = _formats(page, ids.SELECTION_GENES)
    assert genes["mean_selected"] == genes["mean_rest"] == genes["difference"] == ".2f"
    assert genes["score"] == ".1f"
    neighbours = _formats(page, ids.GENE_NEIGHBORS)
    # (one decimal: genes in 518 of 520 samples read 100% without it)
    assert neighbours["distance"] == ".3f" and neighbours["detected"] == ".1%"
    probe = _formats(page, ids.PROBE_GENES)
    assert probe["predicted"] == probe["z"] == ".2f"
    assert _formats(page, ids.PROBE_SAMPLES)["distance"] == ".3f"
    placed = _formats(page, ids.PLACED_TABLE)
    assert placed["x"] == placed["y"] == ".3f"
    assert placed.get("majority_share") in (None, ".0%")  # (only with a label column)
    baselines = _formats(page, ids.BASELINES_TABLE)
    assert set(baselines.values()) - {None} == {".3f"}
    # the enrichment's p and FDR stay in scientific notation
    enrichment = _formats(page, ids.GENE_ENRICHMENT)
    assert enrichment["p_value"] == enrichment["fdr"] == ".1e"


def test_detected_is_explained_as_a_percentage(context):
    """The header's explanation speaks of the percentage the column shows."""
    page = build_layout(context)
    table = next(
        c
        for c in components(page)
        if isinstance(c, dash_table.DataTable) and c.id == ids.GENE_NEIGHBORS
    )
    assert "100.0%" in table.tooltip_header["detected"]


def test_the_sample_and_gene_maps_offer_a_box_or_lasso(context):
    """A box or lasso on the sample map lists the selection's specific genes, on the gene map
    its genes and their GO terms; the baseline maps offered both too, and a box there dimmed
    the points outside it and did nothing else."""
    page = build_layout(context)
    graphs = {c.id: c.config for c in components(page) if isinstance(c, dcc.Graph)}
    select = {"lasso2d", "select2d"}
    for graph in (ids.SAMPLE_MAP, ids.GENE_MAP):
        config = graphs[graph]
        assert select <= set(config.get("modeBarButtonsToAdd", [])), (graph, config)
        assert not select & set(config.get("modeBarButtonsToRemove", [])), (graph, config)
    config = graphs[ids.BASELINES_GRAPH]
    assert select <= set(config.get("modeBarButtonsToRemove", [])), config
    assert not select & set(config.get("modeBarButtonsToAdd", [])), config


def test_baseline_maps_wait_in_a_low_box(context):
    """Before the baseline maps are computed their figure is low: at plotly's default 450
    pixels its one-line message sat in a large blank box."""
    page = build_layout(context)
    graph = next(
        c for c in components(page) if isinstance(c, dcc.Graph) and c.id == ids.BASELINES_GRAPH
    )
    height = graph.figure.layout.height
    assert height is not None and 100 <= height <= 200, height
    assert "computed on demand" in graph.figure.layout.annotations[0].text


def test_gtex_coded_annotations_are_said_in_words():
    """The probe's and the placed samples' tables headed GTEx's columns by their codes
    ("SMTS", "majority SMTS (of 15)"): a biologist reads "tissue"."""
    from dashboard import layout

    assert layout.annotation_header("SMTS")[0] == "tissue (SMTS)"
    assert layout.annotation_header("SMTSD")[0] == "detailed tissue (SMTSD)"
    assert layout.annotation_header("sex")[0] == "sex"
    table = layout._placed_table("SMTS", 15)
    names = {c["id"]: c["name"] for c in table.columns}
    assert names["nearest_label"] == "nearest tissue"
    assert names["majority_label"] == "majority tissue (of 15)"
    assert "SMTS" in table.tooltip_header["majority_label"]  # the code is still said on hover
