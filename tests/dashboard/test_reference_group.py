"""A selection compared with a reference group of samples, not with all others: the heart
samples against the muscle samples (or one heart chamber against the other on GTEx), where
"all other samples" held both groups' neighbours and the genes they share topped the list."""

from __future__ import annotations

import numpy as np
import pytest
from dash import no_update
from scipy import stats

from core.errors import DataError
from dashboard import ids
from dashboard.export import LINK_PARAMS, view_query
from dashboard.gene_space import specific_source
from dashboard.selection import (
    describe_selection,
    keep_reference,
    reference_view,
    selection_from_inputs,
)
from tests.dashboard.callback_post import post_callback


def _rows(context, tissue: str) -> list[int]:
    return np.flatnonzero(context.samples["tissue"].to_numpy() == tissue).tolist()


def test_the_scores_are_welchs_t_against_the_reference_alone(context, sepira_es):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    table = context.specific_genes(heart, top=500, reference=muscle, min_score=-np.inf, max_p=1)
    values = np.asarray(sepira_es.values, dtype=np.float64)
    for _, gene in table.head(20).iterrows():
        j = list(sepira_es.gene_ids).index(gene["gene_id"])
        t = stats.ttest_ind(values[heart, j], values[muscle, j], equal_var=False).statistic
        assert gene["score"] == pytest.approx(t, abs=0.01)
        assert gene["mean_rest"] == pytest.approx(values[muscle, j].mean(), abs=1e-3)
    # the genes both striated muscles share are specific to the heart against all others,
    # not against the muscle samples
    against_all = context.specific_genes(heart, top=500)
    against_muscle = context.specific_genes(heart, top=500, reference=muscle)
    shared = set(against_all["symbol"]) - set(against_muscle["symbol"])
    assert shared and set(against_muscle["symbol"]) != set(against_all["symbol"])


def test_samples_in_both_groups_are_left_out_of_the_reference(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    overlapping = context.specific_genes(heart, top=500, reference=muscle + heart[:5])
    assert overlapping.equals(context.specific_genes(heart, top=500, reference=muscle))
    with pytest.raises(DataError, match="reference group holds 1 sample outside the selection"):
        context.specific_genes(heart, reference=heart + muscle[:1])


def test_the_line_names_the_reference_and_a_selection_of_it_says_so(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    text, rows, symbols, alert = describe_selection(context, {"rows": heart, "reference": muscle})
    assert alert is None and rows and symbols
    assert "20 samples selected (Heart 20), against the reference group of 20 samples" in text
    assert "(Muscle 20)" in text
    # the reference itself selected: nothing to compare, said
    text, rows, _, alert = describe_selection(context, {"rows": muscle, "reference": muscle})
    assert rows == [] and alert is None and "they are the reference group;" in text
    assert text.count("Muscle 20") == 1  # (the counts said once)
    # no selection yet: the line asks for one, to compare with the reference
    text, *_ = describe_selection(context, {"rows": [], "reference": muscle})
    assert text.startswith("No selection") and "reference group of 20 samples" in text


def test_the_table_head_and_buttons_follow_the_reference(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    head, columns, tips, keep_off, clear_off = reference_view(context, {"rows": heart})
    assert "all other samples" in head and not keep_off and clear_off
    names = {c["id"]: c["name"] for c in columns}
    assert names["mean_rest"] == "mean, others"
    head, columns, tips, keep_off, clear_off = reference_view(
        context, {"rows": heart, "reference": muscle}
    )
    assert "the reference group (20 samples)" in head and not clear_off and not keep_off
    assert {c["id"]: c["name"] for c in columns}["mean_rest"] == "mean, reference"
    assert "reference group's 20 samples" in tips["mean_rest"]
    # the reference selected again: keeping it once more does nothing
    assert reference_view(context, {"rows": muscle, "reference": muscle})[3]


def test_keeping_and_dropping_the_reference_and_a_new_selection_keeps_it(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    kept = keep_reference({"rows": muscle}, ids.REFERENCE_KEEP)
    assert kept["reference"] == sorted(muscle) and kept["rows"] == muscle and kept["drawn"]
    # a box drawn next keeps the reference
    points = [{"customdata": [i]} for i in heart]
    store, _ = selection_from_inputs(
        context, ids.SAMPLE_MAP, {"points": points, "range": {"x": [0, 1]}}, None, kept
    )
    assert store["rows"] == sorted(heart) and store["reference"] == sorted(muscle)
    dropped = keep_reference(store, ids.REFERENCE_CLEAR)
    assert "reference" not in dropped and dropped["rows"] == store["rows"]
    # one sample is no group to compare with; nothing to drop without one
    assert keep_reference({"rows": heart[:1]}, ids.REFERENCE_KEEP) is no_update
    assert keep_reference({"rows": heart}, ids.REFERENCE_CLEAR) is no_update
    # the gene tables' label of the listed genes names the reference
    assert specific_source(store).endswith("against the reference group of 20 samples")


def test_the_link_keeps_the_reference(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    query = view_query(None, None, {"rows": heart, "reference": muscle}, None)
    assert "ref=" in query and "ref" in LINK_PARAMS
    store, alert = selection_from_inputs(context, ids.URL, None, query, None)
    assert alert is None
    assert store["rows"] == sorted(heart) and store["reference"] == sorted(muscle)
    store, alert = selection_from_inputs(context, ids.URL, None, "?ref=zz!", None)
    assert "reference" not in store and "link's ref" in str(alert)


def test_the_button_keeps_the_selection_on_the_page(app, context):
    muscle = _rows(context, "Muscle")
    out = post_callback(
        app,
        f"{ids.SELECTION}.data",
        {(ids.REFERENCE_KEEP, "n_clicks"): 1, (ids.SELECTION, "data"): {"rows": muscle}},
        f"{ids.REFERENCE_KEEP}.n_clicks",
        input=(ids.REFERENCE_KEEP, "n_clicks"),
    )
    assert out[ids.SELECTION]["data"]["reference"] == sorted(muscle)


def test_the_csv_says_what_the_selection_was_compared_with(context):
    import io

    import pandas as pd

    from dashboard import export

    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    store = {"rows": heart, "reference": muscle}
    out = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, store, None)
    table = pd.read_csv(io.StringIO(out["content"]))
    assert out["filename"].endswith("_specific_genes_vs_reference.csv")
    # the reference's tissues too: "reference group of 20 samples" did not say which
    assert set(table["compared_with"]) == {"reference group of 20 samples (Muscle 20)"}
    # the selected samples of the reference are left out of it, and of its counts
    store = {"rows": heart, "reference": muscle + heart[:5]}
    out = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, store, None)
    compared = pd.read_csv(io.StringIO(out["content"]))["compared_with"]
    assert set(compared) == {"reference group of 20 samples (Muscle 20)"}
    saved = context.specific_genes(heart, top=200, reference=muscle)
    assert table["symbol"].tolist() == saved["symbol"].tolist()
    out = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": heart}, None)
    assert set(pd.read_csv(io.StringIO(out["content"]))["compared_with"]) == {"all other samples"}


def test_a_links_specific_genes_name_its_reference_and_give_way_when_it_is_dropped(context):
    """A link (or Back, Forward) to the genes the button listed against a reference group: the
    gene tables said "Genes specific to the selection of 20 samples", as if against all others;
    and once the page compared with all others again they stayed listed, still so labelled,
    beside the table of the genes specific against all others (and in a link shared then)."""
    from dashboard import gene_space

    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    page = {"rows": heart, "reference": muscle}
    genes = context.specific_genes(heart, reference=muscle)["symbol"].tolist()[:3]
    listed = {"genes": genes, "source": specific_source(page)}
    query = view_query(None, None, page, None, gene_selection=listed)
    store = gene_space.link_gene_selection(context, query)
    assert gene_space.selection_source(store) == specific_source(page)
    assert gene_space.selection_source(store).endswith("against the reference group of 20 samples")
    update = gene_space.gene_selection_update
    # the link's own selection and reference, read as the page opens: its genes stay
    opened, _ = selection_from_inputs(context, ids.URL, None, query, None)
    assert store["genes"] == genes
    assert update(ids.SELECTION_GENES_STORE, None, genes, opened, store) is no_update
    # the reference dropped, or another kept, the same samples selected: they give way
    for other in ({"rows": heart}, {"rows": heart, "reference": muscle[:5]}):
        assert update(ids.SELECTION_GENES_STORE, None, genes, other, store) is None


def test_the_heading_counts_the_reference_as_the_csv_and_the_label_do(context):
    # a reference of 25 samples, 5 of them selected: 20 are compared with, everywhere
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    store = {"rows": heart, "reference": muscle + heart[:5]}
    head, _, tips, _, _ = reference_view(context, store)
    assert "the reference group (20 samples)" in head
    assert "reference group's 20 samples (those not also selected)" in tips["mean_rest"]
    assert specific_source(store).endswith("against the reference group of 20 samples")
    # the reference all selected: the heading still names it, whole
    assert (
        "the reference group (20 samples)"
        in reference_view(context, {"rows": muscle + heart, "reference": muscle})[0]
    )


def test_a_malformed_ref_leaves_the_links_selection(context):
    heart = _rows(context, "Heart")
    query = view_query(None, None, {"rows": heart}, None) + "&ref=zz!"
    store, alert = selection_from_inputs(context, ids.URL, None, query, None)
    assert store["rows"] == sorted(heart) and "reference" not in store
    assert "link's ref" in str(alert) and "reference group" in str(alert)


def test_a_links_specific_genes_name_the_reference_and_go_with_it(context):
    from dashboard.gene_space import gene_selection_update, link_gene_selection

    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    store = {"rows": heart, "reference": muscle}
    _, _, symbols, _ = describe_selection(context, store)
    listed = gene_selection_update(ids.SELECTION_GENES_GO, None, symbols, store, None)
    query = view_query(None, None, store, None, gene_selection=listed)
    opened = link_gene_selection(context, query)
    # the link's genes are labelled as the button labelled them
    assert opened["label"] == listed["source"]
    # the link read: its selection and reference are the page's, its genes stay
    page = selection_from_inputs(context, ids.URL, None, query, None)[0]
    assert gene_selection_update(ids.SELECTION_GENES_STORE, None, [], page, opened) is no_update
    # the reference dropped: the table lists the genes against all others; the link's go
    dropped = keep_reference(page, ids.REFERENCE_CLEAR)
    _, _, others, _ = describe_selection(context, dropped)
    assert others != symbols
    assert gene_selection_update(ids.SELECTION_GENES_STORE, None, others, dropped, opened) is None


def test_the_link_leaves_out_reference_rows_beyond_this_dataset(app, context):
    # a page left open while the server restarted on other data: a reference row beyond it
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    stale = {"rows": heart, "reference": muscle + [context.n_samples + 3]}
    assert "reference group of 20 samples" in describe_selection(context, stale)[0]
    out = post_callback(
        app,
        f"{ids.SHARE_LINK}.href",
        {(ids.SELECTION, "data"): stale},
        f"{ids.SELECTION}.data",
    )
    href = out[ids.SHARE_LINK]["href"]
    store, alert = selection_from_inputs(context, ids.URL, None, href, None)
    assert alert is None
    assert store["rows"] == sorted(heart) and store["reference"] == sorted(muscle)
