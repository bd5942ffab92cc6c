"""The line once a reference group is kept names both ways to select the samples compared
with it, as the line without a selection does: the map's lasso or box, and the label box under
it (a thyroid against the adrenal gland and the pituitary is chosen there by its label)."""

from __future__ import annotations

import numpy as np

from dashboard.layout import NO_SELECTION
from dashboard.selection import describe_selection


def test_the_kept_reference_line_names_the_label_box(context):
    tissue = context.samples["tissue"].to_numpy()
    reference = np.flatnonzero(np.isin(tissue, ["Adrenal Gland", "Pituitary"])).tolist()
    text, rows, _, alert = describe_selection(context, {"rows": reference, "reference": reference})
    assert rows == [] and alert is None and "they are the reference group" in text
    assert "lasso or box" in text and "labels above" in text, text
    assert "labels above" in NO_SELECTION  # (the words of the line without a selection)
