"""The genes lower in a sample selection, beside those higher: "which genes are down in the
atrium" took swapping the two groups, as the page listed the higher genes alone."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from dash import no_update
from scipy import stats

from dashboard import export, gene_space, ids
from dashboard.context import MAX_SPECIFIC_P, MIN_SPECIFIC_SCORE
from dashboard.export import LINK_PARAMS, view_query, view_settings
from dashboard.selection import (
    describe_selection,
    reference_view,
    selection_from_inputs,
    selection_genes_update,
)
from tests.dashboard.callback_post import post_callback


def _rows(context, tissue: str) -> list[int]:
    return np.flatnonzero(context.samples["tissue"].to_numpy() == tissue).tolist()


def _welch(values: np.ndarray, rows: list[int], others: list[int], j: int):
    """scipy's Welch t and its one-sided p of "lower in the selection" for gene column j."""
    res = stats.ttest_ind(values[rows, j], values[others, j], equal_var=False)
    return res.statistic, stats.t.cdf(res.statistic, res.df)


def test_the_lower_genes_are_welchs_t_of_lower_in_the_selection(context, sepira_es):
    brain = _rows(context, "Brain")
    others = sorted(set(range(context.n_samples)) - set(brain))
    values = np.asarray(sepira_es.values, dtype=np.float64)
    lower = context.specific_genes(brain, top=500, lower=True)
    assert len(lower) > 20
    # the signed t, the most negative first, each clearly lower, the difference negative
    assert (lower["score"] <= -MIN_SPECIFIC_SCORE).all() and (lower["difference"] < 0).all()
    assert (lower["p_value"] <= MAX_SPECIFIC_P).all()
    assert lower["score"].tolist() == sorted(lower["score"])
    gene_ids = list(sepira_es.gene_ids)
    for _, gene in lower.head(20).iterrows():
        t, p = _welch(values, brain, others, gene_ids.index(gene["gene_id"]))
        assert gene["score"] == pytest.approx(t, abs=0.01)
        assert gene["p_value"] == pytest.approx(max(p, 1e-300), rel=0.01)
    # every gene scipy finds clearly lower in the brain is listed, none higher in it
    measured = np.isfinite(values).sum(axis=0) == len(values)
    expected = set()
    for j in np.flatnonzero(measured):
        t, p = _welch(values, brain, others, j)
        if t <= -MIN_SPECIFIC_SCORE and p <= MAX_SPECIFIC_P:
            expected.add(gene_ids[j])
    listed = set(lower["gene_id"])
    assert expected & set(np.asarray(gene_ids)[measured]) <= listed
    assert not listed & set(context.specific_genes(brain, top=500)["gene_id"])


def test_the_line_and_the_heading_say_lower(context, monkeypatch):
    brain, heart = _rows(context, "Brain"), _rows(context, "Heart")
    text, rows, symbols, alert = describe_selection(context, {"rows": brain}, lower=True)
    assert alert is None and rows and symbols
    expected = context.specific_genes(brain, top=200, lower=True)
    assert symbols == expected["symbol"].tolist()
    assert f"{len(expected)} genes clearly lower in them (score t of -2 or less" in text
    assert "the 200 lowest" in text or "all listed" in text
    assert "higher" not in text
    # no gene lower in the selection: said so, as "lower"
    # (the genes of the line's table taken away: the words of a selection without any)
    found = context.specific_genes
    monkeypatch.setattr(context, "specific_genes", lambda *a, **k: found(*a, **k).iloc[:0])
    store = {"rows": heart, "reference": brain}
    same = describe_selection(context, store, lower=True)[0]
    monkeypatch.undo()
    assert "no gene is clearly lower in them than in the reference group" in same
    assert "(score t of -2 or less" in same and "more negative t" in same
    head, columns, tips, _, _ = reference_view(context, {"rows": brain}, lower=True)
    assert "Genes most clearly lower in the selection than in all other samples" in head
    assert "score t of -2 or less" in head
    assert "negative for one lower in it" in tips["score"]
    assert "lower mean in the selection" in tips["p_value"] and "negative" in tips["difference"]
    head, *_ = reference_view(context, {"rows": brain})
    assert "higher than in all other samples" in head


def test_the_csv_and_the_gene_tables_label_say_lower(context):
    brain = _rows(context, "Brain")
    store = {"rows": brain}
    out = export.csv_download(
        context, ids.EXPORT_SELECTION_GENES_CSV, None, store, None, lower=True
    )
    table = pd.read_csv(io.StringIO(out["content"]))
    assert out["filename"].endswith("_specific_genes_lower.csv")
    assert set(table["direction"]) == {"lower"} and (table["score"] < 0).all()
    assert "lower mean in the selection" in table["p_value_note"].iloc[0]
    expected = context.specific_genes(brain, top=200, lower=True)["symbol"].tolist()
    assert table["symbol"].tolist() == expected
    higher = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, store, None)
    assert higher["filename"].endswith("_specific_genes.csv")
    assert set(pd.read_csv(io.StringIO(higher["content"]))["direction"]) == {"higher"}
    # the GO button lists the lower genes, labelled so
    listed = gene_space.gene_selection_update(
        ids.SELECTION_GENES_GO, None, expected, store, None, lower=True
    )
    assert listed["genes"] == expected[: len(listed["genes"])]
    assert listed["source"] == "lower in the selection of 20 samples"
    assert gene_space.specific_source(store) == "specific to the selection of 20 samples"


def test_the_link_keeps_the_direction_and_a_bad_one_is_said(context):
    brain = _rows(context, "Brain")
    query = view_query(None, None, {"rows": brain}, None, lower=True)
    assert "dir=lower" in query and "dir" in LINK_PARAMS
    assert "dir=" not in view_query(None, None, {"rows": brain}, None)
    # the link read: the page's choice is lower, its selection the link's, nothing said
    store, alert = selection_from_inputs(context, ids.URL, None, query, None)
    assert alert is None and store["rows"] == sorted(brain)
    assert view_settings(context, query)[2] is None
    # a dir that does not read is said, and the higher genes listed
    said = str(view_settings(context, "?dir=down")[2])
    assert "dir='down'" in said and "higher" in said


def test_the_link_round_trip_through_the_page(app, context):
    brain = _rows(context, "Brain")
    out = post_callback(
        app,
        f"{ids.SHARE_LINK}.href",
        {(ids.SELECTION, "data"): {"rows": brain}, (ids.SPECIFIC_DIRECTION, "value"): "lower"},
        f"{ids.SPECIFIC_DIRECTION}.value",
    )
    href = out[ids.SHARE_LINK]["href"]
    assert "dir=lower" in href
    # opened: the choice is lower; a link without dir brings back higher; the same, no update
    restore = f"{ids.SPECIFIC_DIRECTION}.value"
    opened = post_callback(
        app, restore, {(ids.URL, "search"): href, (ids.SPECIFIC_DIRECTION, "value"): "higher"},
        f"{ids.URL}.search",
    )  # fmt: skip
    assert opened[ids.SPECIFIC_DIRECTION]["value"] == "lower"
    back = post_callback(
        app, restore, {(ids.URL, "search"): "?sel=0-3", (ids.SPECIFIC_DIRECTION, "value"): "lower"},
        f"{ids.URL}.search",
    )  # fmt: skip
    assert back[ids.SPECIFIC_DIRECTION]["value"] == "higher"
    kept = post_callback(
        app, restore, {(ids.URL, "search"): href, (ids.SPECIFIC_DIRECTION, "value"): "lower"},
        f"{ids.URL}.search",
    )  # fmt: skip
    assert kept == {}
    # a link's lower genes listed in the gene tables are labelled so, and go when the table
    # lists the higher ones
    genes = context.specific_genes(brain, lower=True)["symbol"].tolist()[:3]
    listed = {"genes": genes, "source": gene_space.specific_source({"rows": brain}, True)}
    query = view_query(None, None, {"rows": brain}, None, gene_selection=listed, lower=True)
    linked = gene_space.link_gene_selection(context, query)
    assert gene_space.selection_source(linked) == "lower in the selection of 20 samples"
    update = gene_space.gene_selection_update
    page = {"rows": brain}
    assert update(ids.SELECTION_GENES_STORE, None, genes, page, linked, lower=True) is no_update
    assert update(ids.SELECTION_GENES_STORE, None, genes, page, linked) is None


def test_a_change_of_direction_lists_the_table_again_on_its_first_page(app, context):
    brain = _rows(context, "Brain")
    out = post_callback(
        app,
        f"{ids.SELECTION_INFO}.children",
        {(ids.SELECTION, "data"): {"rows": brain}, (ids.SPECIFIC_DIRECTION, "value"): "lower"},
        f"{ids.SPECIFIC_DIRECTION}.value",
    )
    lower = context.specific_genes(brain, top=200, lower=True)["symbol"].tolist()
    assert out[ids.SELECTION_GENES_STORE]["data"] == lower
    assert out[ids.SELECTION_GENES]["page_current"] == 0
    assert "clearly lower in them" in out[ids.SELECTION_INFO]["children"]
    assert selection_genes_update(context, {"rows": brain}, None, ids.SPECIFIC_DIRECTION)[-1] == 0


def _diamonds(figure) -> list[str]:
    """The legend names of the gene map's traces that mark the selection's genes (diamonds)."""
    data = figure["data"] if isinstance(figure, dict) else [t.to_plotly_json() for t in figure.data]
    return [t["name"] for t in data if (t.get("marker") or {}).get("symbol") == "diamond"]


def test_the_gene_map_names_the_lower_genes_lower_in_the_page_and_its_file(
    app, context, kept_figures, monkeypatch
):
    # the gene map marked the genes lower in the brain as "specific to the selection"
    lower = context.specific_genes(_rows(context, "Brain"), lower=True)["symbol"].tolist()
    values = {
        (ids.SELECTION_GENES_STORE, "data"): lower,
        (ids.SPECIFIC_DIRECTION, "value"): "lower",
        (ids.GENE_COLOR, "value"): "type",
    }
    out = post_callback(app, f"{ids.GENE_MAP}.figure", values, f"{ids.SELECTION_GENES_STORE}.data")
    names = _diamonds(out[ids.GENE_MAP]["figure"])
    assert names == [f"lower in the selection ({len(lower)} genes)"]
    values[(ids.SPECIFIC_DIRECTION, "value")] = "higher"
    higher = context.specific_genes(_rows(context, "Brain"))["symbol"].tolist()
    values[(ids.SELECTION_GENES_STORE, "data")] = higher
    out = post_callback(app, f"{ids.GENE_MAP}.figure", values, f"{ids.SELECTION_GENES_STORE}.data")
    assert _diamonds(out[ids.GENE_MAP]["figure"]) == [
        f"specific to the selection ({len(higher)} genes)"
    ]
    # the exported gene map too, the export button reading the choice as the page posts it
    # (the page's app has a context of its own: its renderer keeps the figures)
    monkeypatch.setattr(app.fe_context, "image_renderer", context.image_renderer)
    for direction in ("lower", "higher"):
        exported = {
            (ids.EXPORT_BUTTON, "n_clicks"): 1,
            (ids.EXPORT_FIGURE, "value"): "gene-map",
            (ids.EXPORT_FORMAT, "value"): "svg",
            (ids.EXPORT_SIZE, "value"): "screen",
            (ids.GENE_COLOR, "value"): "type",
            (ids.NEIGHBORS_K, "value"): 15,
            (ids.SELECTION_GENES_STORE, "data"): lower,
            (ids.SPECIFIC_DIRECTION, "value"): direction,
        }
        post_callback(app, f"{ids.EXPORT_DOWNLOAD}.data", exported, f"{ids.EXPORT_BUTTON}.n_clicks")
    assert [_diamonds(fig) for fig in kept_figures[-2:]] == [
        [f"lower in the selection ({len(lower)} genes)"],
        [f"specific to the selection ({len(lower)} genes)"],
    ]


def test_the_gene_tables_csv_of_the_lower_genes_is_not_named_specific(context):
    brain = _rows(context, "Brain")
    lower = context.specific_genes(brain, lower=True)["symbol"].tolist()[:5]
    source = gene_space.specific_source({"rows": brain}, lower=True)
    out = export.gene_selection_download(context, ids.EXPORT_NEIGHBORS_CSV, lower, source)
    assert out["filename"].startswith("specific_genes_lower-5_"), out["filename"]
    assert f"5 genes {source}" in out["content"]
    higher = context.specific_genes(brain)["symbol"].tolist()[:5]
    out = export.gene_selection_download(
        context, ids.EXPORT_NEIGHBORS_CSV, higher, gene_space.specific_source({"rows": brain})
    )
    assert out["filename"].startswith("specific_genes-5_")
