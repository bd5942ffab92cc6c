"""Colours shared by the report's figures and the dashboard: one tissue has one colour in both.

No plotting code here (``core`` stays free of plotly); only the colour values.
"""

from __future__ import annotations

#: Class colours: 30 colours picked one by one, each as far as possible (CIELAB) from those
#: before it and from the grey of unlabelled samples, saturated enough to read on white. Any 26
#: consecutive ones differ more than the near twins of plotly's or d3's 20-colour sets (a map of
#: 26 tissues had two blues and two greens that read as one). The second and third are swapped
#: from the order picked: a map of two classes (sex) was steel blue and blue, and one class was
#: lost in the other.
CLASS_COLORS: tuple[str, ...] = tuple(
    (
        "#1e78b4 #ff0000 #0000ff #00d200 #ff1eb4 #e1b400 #005a1e #872d2d #5a2da5 #00d2b4 "
        "#e1a5ff #ffa578 #e100ff #96c35a #f0005a #785a00 #693c69 #f087a5 #f07800 #4b87ff "
        "#2dc3e1 #a50f69 #784bff #a50000 #008700 #00d278 #d25ae1 #b4a569 #2d8778 #96d200"
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
