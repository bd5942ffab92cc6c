"""The journal sizes' text at print size: laid out with the screen's fonts, an 85 mm file's
numbers were 5.8 pt on paper, its legend 4.8 pt and its panels' measures 5.4 pt (journals ask
for 7 pt, 5 pt at the very least). Every text of an exported journal-size SVG is now at least
7 pt; the screen's and the slide's files keep their fonts."""

from __future__ import annotations

import base64
import inspect
import re

import pytest

from dashboard import export, figures
from dashboard.figure_export import PRINT_TEXT_PT, print_fonts, print_text_px
from dashboard.figure_labels import LABEL_FONT_PX, place_labels
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
        # the lines under the title: a gene list's genes, the selection and its reference
        "sample map by a gene list, with a selection": (
            "sample-map",
            {
                "color": "list:GATA4, TBX5, FOXA2",
                "selection": list(range(20, 40)),
                "reference": [0],
            },
        ),
        "gene map": ("gene-map", {"focus": "GATA4", "k": 30, "gene_color": "go:GO:0007507"}),
        "baseline maps": ("baselines", {"color": "ann:tissue"}),
    }


def _svg(context, which: str, size: str, view: dict) -> str:
    out = export.export_figure(context, which, "svg", size, view)
    return base64.b64decode(out["content"]).decode()


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
@pytest.mark.parametrize("size", JOURNAL)
def test_every_text_of_a_journal_size_file_is_at_least_7_pt(context, size):
    context.compute_baselines()
    width_px = figures.EXPORT_SIZES[size][0]
    width_mm = figures.EXPORT_WIDTH_MM[size]
    for name, (which, view) in _views(context).items():
        sizes = _font_sizes(_svg(context, which, size, view))
        assert sizes, name
        points = [px * width_mm / width_px / POINT_MM for px in sizes]
        assert min(points) >= PRINT_TEXT_PT["text"], (name, min(points))
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


def test_the_gene_maps_labels_are_spaced_for_the_font_they_are_drawn_in(context, kept_figures):
    """The labels are placed for LABEL_FONT_PX and drawn in it (a journal size sets them off
    their rings by its print font over that one): one value, not copies that could drift."""
    assert inspect.signature(place_labels).parameters["font"].default == LABEL_FONT_PX
    names = ("neighbour label", "neighbour label with a line")
    export.export_figure(context, "gene-map", "svg", "screen", {"focus": "GATA4", "k": 30})
    notes = [a for a in kept_figures[-1].layout.annotations if a.name in names]
    assert notes and {a.font.size for a in notes} == {LABEL_FONT_PX}


def test_a_long_legend_in_print_keeps_two_entries_a_row(gtex_acmg59_files):
    """At 85 mm in 7 pt, entries broken at the screen's 28 characters left room for one a row:
    GTEx's 40 detailed tissues stood in one column, the file reached the page's 230 mm and the
    map was left 19 mm tall. They are broken shorter, two a row, and the file stays under it."""
    import pandas as pd
    import plotly.graph_objects as go

    from dashboard.figure_export import for_export
    from dashboard.figure_style import wrap_title

    size = JOURNAL[0]
    width, height, _ = figures.EXPORT_SIZES[size]
    page = int(figures.JOURNAL_PAGE_MM / figures.EXPORT_WIDTH_MM[size] * width)
    tissues = pd.read_csv(gtex_acmg59_files["attributes"], sep="\t", usecols=["SMTSD"])["SMTSD"]
    names = [wrap_title(f"{name} (100)") for name in sorted(tissues.dropna().unique())]
    assert len(names) == 40
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], mode="markers", name=n) for n in names])
    fig.update_layout(title="Samples", xaxis_title="PC 1", yaxis_title="PC 2")
    out = for_export(fig, width, height, page, text=print_text_px(size))
    assert out.layout.height < 0.95 * page, (out.layout.height, page)
    assert out.layout.legend.font.size == print_text_px(size)[0]
    # every entry's words kept, in lines short enough for two a row
    assert [" ".join(t.name.split("<br>")) for t in out.data] == [
        " ".join(n.split("<br>")) for n in names
    ]
    longest = max(len(line) for t in out.data for line in t.name.split("<br>"))
    assert 2 * (0.5 * print_text_px(size)[0] * longest + 45) <= width - 60, longest
