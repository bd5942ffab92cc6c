"""The journal sizes' text at print size: laid out with the screen's fonts, an 85 mm file's
numbers were 5.8 pt on paper, its legend 4.8 pt and its panels' measures 5.4 pt (journals ask
for 7 pt, 5 pt at the very least). Every text of an exported journal-size SVG is now at least
6 pt; the screen's and the slide's files keep their fonts."""

from __future__ import annotations

import base64
import re

import pytest

from dashboard import export, figures
from dashboard.figure_export import PRINT_TEXT_PT, print_fonts, print_text_px
from dashboard.render import browser_path

JOURNAL = list(figures.JOURNAL_SIZES)
#: Millimetres in a point.
POINT_MM = 25.4 / 72


def _font_sizes(svg: str) -> list[float]:
    """Every font size (pixels) of ``svg``'s texts, a ``<tspan>``'s share of its text's font
    (plotly's ``<sup>``: ``font-size:70%``) resolved."""
    sizes = []
    for attrs, body in re.findall(r"<text([^>]*)>(.*?)</text>", svg, re.DOTALL):
        own = re.search(r"font-size:\s*([\d.]+)px", attrs)
        assert own, attrs
        size = float(own.group(1))
        sizes.append(size)
        for value, unit in re.findall(r"font-size:\s*([\d.]+)(px|%)", body):
            sizes.append(float(value) * (size / 100 if unit == "%" else 1))
    return sizes


def _views(context) -> dict[str, tuple[str, dict]]:
    gene = f"obs:{context.gene_symbols[0]}"
    return {
        "sample map by tissue": ("sample-map", {"color": "ann:tissue"}),
        "sample map by a gene": ("sample-map", {"color": gene}),
        "gene map": ("gene-map", {"focus": "GATA4", "k": 30, "gene_color": "go:GO:0007507"}),
        "baseline maps": ("baselines", {"color": "ann:tissue"}),
    }


def _svg(context, which: str, size: str, view: dict) -> str:
    out = export.export_figure(context, which, "svg", size, view)
    return base64.b64decode(out["content"]).decode()


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
@pytest.mark.parametrize("size", JOURNAL)
def test_every_text_of_a_journal_size_file_is_at_least_6_pt(context, size):
    context.compute_baselines()
    width_px = figures.EXPORT_SIZES[size][0]
    width_mm = figures.EXPORT_WIDTH_MM[size]
    for name, (which, view) in _views(context).items():
        sizes = _font_sizes(_svg(context, which, size, view))
        assert sizes, name
        points = [px * width_mm / width_px / POINT_MM for px in sizes]
        assert min(points) >= 6.0, (name, min(points))
        assert max(points) <= 10.0, (name, max(points))  # the title: 9 pt, no larger than 10


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_the_screen_size_keeps_its_fonts(context):
    which, view = _views(context)["sample map by tissue"]
    sizes = set(_font_sizes(_svg(context, which, "screen", view)))
    # ticks 12, title 15, dataset line 11, legend 11 and its title 13, axis titles 14
    assert sizes == {11.0, 12.0, 13.0, 14.0, 15.0}, sorted(sizes)


def test_print_sizes_are_those_of_the_journal_columns_only():
    assert print_text_px("screen") is None and print_text_px("slide 16:9") is None
    for size in JOURNAL:
        text, title = print_text_px(size)
        px_per_pt = figures.EXPORT_SIZES[size][0] / figures.EXPORT_WIDTH_MM[size] * POINT_MM
        assert text / px_per_pt == pytest.approx(PRINT_TEXT_PT["text"], abs=0.05)
        assert title / px_per_pt == pytest.approx(PRINT_TEXT_PT["title"], abs=0.05)


def test_print_fonts_raise_every_small_text_and_make_room_for_the_title():
    data = [{"type": "scatter", "marker": {"colorbar": {"tickfont": {"size": 9}}}}]
    layout = {
        "title": {"text": "a<br><span style='font-size:11px'>b</span>", "font": {"size": 15}},
        "margin": {"t": 60},
        "legend": {"font": {"size": 10}},
        "annotations": [{"text": "PCA<br><sup>1-NN 0.37</sup>", "font": {"size": 16}}],
        "xaxis": {"tickfont": {"size": 20}},
    }
    print_fonts(data, layout, 14.6, 18.8)
    assert data[0]["marker"]["colorbar"]["tickfont"]["size"] == 14.6
    assert layout["legend"]["font"]["size"] == 14.6
    assert layout["font"]["size"] == 14.6  # plotly's defaults follow it
    assert layout["xaxis"]["tickfont"]["size"] == 20  # larger fonts kept
    assert layout["title"]["font"]["size"] == 18.8
    assert "font-size:14.6px" in layout["title"]["text"]
    # two lines, each 1.25 of the 3.8 pixels the title grew by, more at the top
    assert layout["margin"]["t"] == 60 + 10
    # a <sup> is 70% of its text's font (11.2 pixels): set in the smallest font instead
    assert layout["annotations"][0]["text"] == (
        "PCA<br><span style='font-size:14.6px'>1-NN 0.37</span>"
    )
