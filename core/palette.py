"""Colours shared by the report's figures and the dashboard: one tissue has one colour in both.

No plotting code here (``core`` stays free of plotly); only the colour values.
"""

from __future__ import annotations

#: Class colours: 30 colours picked one by one (tests/benchmarks/pick_palette.py), each with the
#: largest CIEDE2000 difference to those before it, to the grey of unlabelled samples and to the
#: white background, the smallest over three views: normal vision, deuteranopia and protanopia
#: (Machado 2009), plus a quarter of the normal-vision one. The palette before, picked for
#: normal vision alone, made Testis and Pancreas of a GTEx map one colour (2.3) for a deutan
#: viewer. Lightness 30-80 and chroma 30 or more: a point reads on white, apart from black and
#: from the grey. The first two (a map of two classes, sex: purple and olive) are 50 or more
#: apart in every view; the first 27 are 10.8 or more apart for normal vision (the near twins of
#: plotly's 20 colours, two blues and two greens of a map of 26 tissues, were 5 apart), 6.8 for
#: a deutan viewer and 7.2 for a protan one: no 27 colours are all far apart for them.
CLASS_COLORS: tuple[str, ...] = tuple(
    (
        "#5a2d96 #5a4b00 #2db400 #b478ff #008778 #d20f5a #ffb496 #3c78a5 #d2b4f0 #001eff "
        "#b45a1e #d287a5 #1e694b #e1c300 #782d5a #96965a #e100b4 #e19696 #00c3c3 #785af0 "
        "#e15a87 #b41e2d #875a87 #5aa5d2 #ff7800 #d2a55a #a55a69 #a5a5ff #a5003c #00d278"
    ).split()
)

#: Samples without a label.
UNLABELLED_COLOR = "#d0d0d0"

#: One colour per map in every figure that compares maps (Table 1's bars, smoothness).
METHOD_COLORS: dict[str, str] = {
    "fe": "#1f4e9c",
    "pca": "#e45756",
    "nmf": "#54a24b",
    "tsne": "#b279a2",
    "umap": "#f58518",
    "raw": "#7f7f7f",
}
