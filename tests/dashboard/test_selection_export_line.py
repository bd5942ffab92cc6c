"""A sample map exported with a selection says under its title why most samples are pale: the
selected ones drawn in full colour and the others in grey (only the file's name said it)."""

from __future__ import annotations

import numpy as np

from dashboard.export import export_figure


def test_the_file_of_a_selection_says_the_others_are_in_grey(context, kept_figures):
    rows = np.flatnonzero(context.samples["tissue"].to_numpy() == "Heart").tolist()
    view = {"color": "ann:tissue", "selection": rows}
    payload = export_figure(context, "sample-map", "svg", "screen", view)
    assert "selection-20" in payload["filename"]
    title = str(kept_figures[-1].layout.title.text)
    assert "20 selected samples (Heart 20) in full colour, the others in grey" in title
    # without a selection, no such line
    export_figure(context, "sample-map", "svg", "screen", {"color": "ann:tissue"})
    assert "in grey" not in str(kept_figures[-1].layout.title.text)


def test_samples_left_out_of_a_selection_are_grey_on_a_map_of_categories(context, kept_figures):
    """Dimmed in their own colours, the samples of a dense map coloured by sex added up to
    clusters as bright as the selected ones: by categories they are drawn grey and faint, on
    the page and in a file. By values (a gene) they keep their colours, dimmed: grey, the
    lung's high NKX2-1 read as absent beside the selected thyroid."""
    from dashboard.figure_style import UNSELECTED
    from dashboard.sample_map import recolor

    rows = np.flatnonzero(context.samples["tissue"].to_numpy() == "Heart").tolist()
    gene = f"obs:{context.gene_symbols[0]}"
    for colour, grey in (("ann:tissue", True), (gene, False)):
        fig = recolor(context, colour, [1, 99], None, None, rows)[0]
        samples = [t for t in fig.data if t.name != "probe grid" and t.x is not None and len(t.x)]
        assert samples, colour
        for trace in samples:
            shown = (trace.unselected.marker.color, trace.unselected.marker.opacity)
            assert shown == ((UNSELECTED["marker"]["color"], 0.25) if grey else (None, None))
        export_figure(context, "sample-map", "svg", "screen", {"color": colour, "selection": rows})
        exported = [
            t
            for t in kept_figures[-1].data
            if t.x is not None and len(t.x) and t.selectedpoints is not None
        ]
        assert exported and all((t.unselected.marker.color is not None) == grey for t in exported)
        title = str(kept_figures[-1].layout.title.text)
        assert f"the others {'in grey' if grey else 'dimmed'}" in title, title
