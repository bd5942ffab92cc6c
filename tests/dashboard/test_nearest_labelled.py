"""Rings crowded round the star: the nearest neighbours are the ones labelled.

On the 26-tissue set (UMAP of the gene embeddings of a model trained by the page), SPI1's 15
neighbours sit under and beside its star at the top of the map. Exported at 85 mm, 4 of them
were labelled (RETN, ABI3, FLI1, LITAF), not the two nearest, MNDA and PIK3R5: each label took
the first clear place beside its ring, the nearest first, and the nearest had none. The layout
(``data/sepira_gene_layout_spi1.csv``) was saved from that model's gene map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dashboard import figures
from dashboard.figure_genes import LINED_LABEL
from tests.dashboard.test_figures import _label_and_marker_boxes, _overlaps

LAYOUT = Path(__file__).resolve().parent / "data" / "sepira_gene_layout_spi1.csv"
#: SPI1's neighbours, the nearest first, in the gene space of that model.
NEIGHBOURS = [
    "MNDA", "PIK3R5", "RETN", "NFE2", "ABI3", "MEFV", "FLI1", "ST8SIA4", "IL18R1", "IRF8",
    "NLRP12", "IRF1", "MS4A4A", "LITAF", "CIITA",
]  # fmt: skip
#: The plot area (pixels) of the gene map exported at "single column (85 mm, 300 dpi)"
#: (``figures.export_plot_area``), and the one assumed before the page measures its map.
SINGLE_COLUMN = (275.29411764705884, 244.0)


def _spi1_map(plot_px):
    table = np.genfromtxt(LAYOUT, delimiter=",", names=True, dtype=None, encoding="utf-8")
    symbols = np.asarray(table["gene"]).astype(str)
    layout = np.column_stack([table["x"], table["y"]]).astype(float)
    row = {s: i for i, s in enumerate(symbols)}
    fig = figures.gene_map_figure(
        layout,
        symbols,
        ["protein-coding"] * len(symbols),
        focus=row["SPI1"],
        neighbors=[row[s] for s in NEIGHBOURS],
        webgl=False,
        plot_px=plot_px,
    )
    return fig, layout


@pytest.mark.parametrize("plot_px", [SINGLE_COLUMN, figures._PLOT_PX])
def test_the_nearest_neighbours_are_labelled_in_a_crowd(plot_px):
    fig, layout = _spi1_map(plot_px)
    notes = fig.layout.annotations
    beside = [a.text for a in notes if a.name == "neighbour label"]
    lined = [a.text for a in notes if a.name == LINED_LABEL]
    labelled = beside + lined
    assert {"MNDA", "PIK3R5"} <= set(labelled), (beside, lined)
    assert len(labelled) >= 5 and len(set(labelled)) == len(labelled)
    # no label on another, on a ring or on the star (a label with a line is counted where
    # it is written, further out)
    labels, markers = _label_and_marker_boxes(fig, layout.astype(np.float32), plot_px)
    assert _overlaps(labels, markers) == []
    assert any(text == "SPI1" for text, _ in labels)
    for note in notes:  # a line from the label to its ring, stopping at the ring's edge
        if note.name == LINED_LABEL:
            assert note.showarrow and note.arrowhead == 0 and note.standoff > 0
            assert np.hypot(note.ax, note.ay) >= 20
