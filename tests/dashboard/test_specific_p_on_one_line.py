"""The specific-genes table keeps a p on one line: at 1280 pixels, with the gene-id column, the
browser broke "7.6e-8" after its minus ("7.6e-" over "8"), as a wrapping table cell does."""

from __future__ import annotations

from dash import dash_table

from dashboard import ids
from dashboard.layout import build_layout
from tests.dashboard.layout_tree import find


def _as_list(column_id) -> list:
    return column_id if isinstance(column_id, list) else [column_id]


def test_the_specific_genes_p_column_does_not_wrap(context):
    table = find(build_layout(context), ids.SELECTION_GENES)
    assert isinstance(table, dash_table.DataTable)
    assert table.style_cell["whiteSpace"] == "normal"  # (the other cells wrap)
    p_styles = [
        c
        for c in table.style_cell_conditional or []
        if "p_value" in _as_list(c["if"].get("column_id"))
    ]
    assert any(c.get("whiteSpace") == "nowrap" for c in p_styles), table.style_cell_conditional
    # the wide texts keep their widths
    assert {"if": {"column_id": "name"}, "minWidth": "130px"} in table.style_cell_conditional
