"""The specific-genes table of a sample selection lists every gene "Specific genes as CSV"
saves, a page at a time: it listed the 25 highest by t alone, and sorting it by difference
ordered those 25; SFTPC (30th by t of the 20 lung samples, the second-largest difference) was
never in it, and read as not specific to lung."""

from __future__ import annotations

import numpy as np
from dash import dash_table

from dashboard import ids, selection
from dashboard.context import SPECIFIC_PAGE, SPECIFIC_SAVED
from dashboard.layout import build_layout
from tests.dashboard.layout_tree import find


def test_a_selection_lists_all_its_specific_genes_a_page_at_a_time(context):
    lung = np.flatnonzero(context.samples["tissue"].astype(str) == "Lung").tolist()
    store = {"rows": lung, "drawn": True}
    info, rows, symbols, alert = selection.describe_selection(context, store)
    saved = context.specific_genes(lung, top=SPECIFIC_SAVED)
    assert alert is None and SPECIFIC_PAGE < len(saved) < SPECIFIC_SAVED  # (more than a page)
    # the table's rows and the genes the gene tables get: every gene saved, the highest t first
    assert [r["symbol"] for r in rows] == symbols == saved["symbol"].tolist()
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    # a gene past the first page is in the table, for a sort to find it
    by_difference = saved.sort_values("difference", ascending=False)["symbol"].tolist()
    past = [g for g in by_difference[:SPECIFIC_PAGE] if g not in symbols[:SPECIFIC_PAGE]]
    assert past and set(past) <= set(symbols)
    # the line says how many are listed, and that sorting orders them all
    assert f"{len(saved)} genes clearly higher in them" in info
    assert f"all listed, {SPECIFIC_PAGE} a page; sorting a column sorts them all" in info
    # the page's table pages them and sorts them all
    table = find(build_layout(context), ids.SELECTION_GENES)
    assert isinstance(table, dash_table.DataTable)
    assert table.page_action == "native" and table.page_size == SPECIFIC_PAGE
    assert table.sort_action == "native"
    # the button takes all of them, and says so
    text, disabled, title = selection.go_button(symbols)
    assert not disabled and text == f"GO processes of these {len(saved)} genes"
    assert "every page of the table" in title


def test_a_selection_of_more_than_the_saved_genes_says_they_are_the_highest(context, monkeypatch):
    """Past ``SPECIFIC_SAVED`` the table lists the highest alone, and the line says so."""
    monkeypatch.setattr(selection, "SPECIFIC_SAVED", 40)
    lung = np.flatnonzero(context.samples["tissue"].astype(str) == "Lung").tolist()
    info, rows, symbols, _ = selection.describe_selection(context, {"rows": lung})
    saved = context.specific_genes(lung, top=40)
    assert len(rows) == len(symbols) == 40 and symbols == saved["symbol"].tolist()
    assert "at least 40 genes clearly higher in them" in info
    assert f"the 40 highest listed, {SPECIFIC_PAGE} a page" in info
