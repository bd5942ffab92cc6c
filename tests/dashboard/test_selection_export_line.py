"""A sample map exported with a selection says under its title why most samples are pale: the
selected ones drawn in full colour and the others dimmed (only the file's name said it)."""

from __future__ import annotations

import numpy as np

from dashboard.export import export_figure


def test_the_file_of_a_selection_says_the_others_are_dimmed(context, kept_figures):
    rows = np.flatnonzero(context.samples["tissue"].to_numpy() == "Heart").tolist()
    view = {"color": "ann:tissue", "selection": rows}
    payload = export_figure(context, "sample-map", "svg", "screen", view)
    assert "selection-20" in payload["filename"]
    title = str(kept_figures[-1].layout.title.text)
    assert "20 selected samples in full colour, the others dimmed" in title
    # without a selection, no such line
    export_figure(context, "sample-map", "svg", "screen", {"color": "ann:tissue"})
    assert "dimmed" not in str(kept_figures[-1].layout.title.text)
