"""Figure builders: arrays in, figures out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard import figures


@pytest.fixture()
def coords() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0, 0.3, (100, 2)), rng.normal(5, 0.3, (100, 2))]).astype(
        np.float32
    )


def test_categorical_map_one_trace_per_category(coords):
    labels = np.array(["Heart"] * 100 + ["Liver"] * 90 + [None] * 10, dtype=object)
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 200, "tissue")
    names = [t.name for t in fig.data]
    assert names[0] == "probe grid"
    # the unlabelled samples drawn first, under the categories (listed last: legendrank)
    assert names[1:] == ["unlabelled (10)", "Heart (100)", "Liver (90)"]
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    assert sum(len(t.x) for t in fig.data[1:]) == 200
    assert fig.layout.legend.title.text == "tissue"


def test_categorical_map_merges_rare_categories(coords):
    labels = np.array([f"c{i % 80}" for i in range(200)], dtype=object)
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 200, "x", max_categories=10)
    assert len(fig.data) == 1 + 10
    assert any(t.name.startswith("other") for t in fig.data)


def test_continuous_map_clips_colour_scale(coords):
    values = np.linspace(0, 100, 200).astype(np.float32)
    fig = figures.sample_map_continuous(
        coords, values, ["s"] * 200, "MYH6 (observed)", clip=(5, 95)
    )
    tr = fig.data[figures.COLOR_TRACE]
    # the bar says that values lie beyond its ends (an exported file did not)
    assert tr.marker.colorbar.title.text == (
        "MYH6 (observed)<br><sup>clipped at percentiles 5–95 of values 0 to 100</sup>"
    )
    unclipped = figures.sample_map_continuous(
        coords, values, ["s"] * 200, "MYH6 (observed)", clip=(0, 100)
    )
    assert unclipped.data[figures.COLOR_TRACE].marker.colorbar.title.text == "MYH6 (observed)"
    assert tr.marker.cmin == pytest.approx(5, abs=0.6)
    assert tr.marker.cmax == pytest.approx(95, abs=0.6)
    assert len(tr.marker.color) == 200


def test_continuous_map_draws_missing_values_grey(coords):
    values = np.ones(200, dtype=np.float32)
    values[:7] = np.nan
    fig = figures.sample_map_continuous(coords, values, ["s"] * 200, "v", diverging=True)
    assert len(fig.data[figures.COLOR_TRACE].x) == 193
    grey = [t for t in fig.data if t.name == "no value (7)"]
    assert len(grey) == 1 and len(grey[0].x) == 7
    tr = fig.data[figures.COLOR_TRACE]
    assert tr.marker.cmin == -tr.marker.cmax  # diverging scale centred at 0
    # samples without a value are open circles: a filled grey one read as the scale's centre
    assert grey[0].marker.symbol == "circle-open"


@pytest.mark.parametrize("webgl", [True, False])
def test_samples_without_a_value_are_drawn_under_the_coloured_ones(coords, webgl):
    """Drawn after the colour trace, the grey circles of GTEx's samples without a value lay
    over the coloured samples among them; plotly draws traces in their order (Scattergl has no
    zorder), so the grey trace comes first, as scanpy and the report's maps draw them."""
    values = np.linspace(0.0, 1.0, 200, dtype=np.float32)
    values[::3] = np.nan
    fig = figures.sample_map_continuous(coords, values, ["s"] * 200, "v", webgl=webgl)
    names = [t.name for t in fig.data]
    assert names.count("no value (67)") == 1
    grey = names.index("no value (67)")
    assert grey < figures.COLOR_TRACE  # drawn first, under the coloured samples
    assert fig.data[grey].showlegend is not False and len(fig.data[grey].x) == 67
    colour = fig.data[figures.COLOR_TRACE]
    assert len(colour.x) == 133 and colour.marker.showscale
    expected = figures.continuous_marker(values, "v")  # the colour bar of every value
    assert colour.marker.colorbar.title.text == expected["colorbar"]["title"]["text"]
    assert (colour.marker.cmin, colour.marker.cmax) == (expected["cmin"], expected["cmax"])
    # every sample with a value: the colour trace keeps its index, no legend entry
    full = figures.sample_map_continuous(coords, np.arange(200.0), ["s"] * 200, "v", webgl=webgl)
    assert len(full.data[figures.COLOR_TRACE].x) == 200
    assert [t.name for t in full.data if t.showlegend is not False and t.name] == []
    assert len(full.data[grey].x) == 0  # the same trace order


def test_values_at_the_centre_of_a_diverging_scale_show_on_the_white_plot(coords):
    """RdBu's centre (247, 247, 247) vanished on the white plot: a gene list's mean z, near
    0 in most samples, left the map almost blank, and an exported selection looked empty."""
    scale = figures.colorscale(diverging=True)
    centre = next(colour for position, colour in scale if position == 0.5)
    rgb = [int(v) for v in centre.removeprefix("rgb(").removesuffix(")").split(",")]
    assert max(rgb) <= 225 and max(rgb) - min(rgb) < 10  # a visible, neutral grey
    ends = [colour for position, colour in scale if position in (0.0, 1.0)]
    assert ends[0] != ends[1] and len(scale) >= 5
    fig = figures.sample_map_continuous(coords, np.zeros(200), ["s"] * 200, "z", diverging=True)
    assert [list(c) for c in fig.data[figures.COLOR_TRACE].marker.colorscale] == scale


def test_probe_grid_covers_only_empty_space(coords):
    gx, gy = figures.probe_grid(coords, n=20)
    assert len(gx) > 0
    pts = np.column_stack([gx, gy])
    d = np.sqrt(((pts[:, None, :] - coords[None, :, :]) ** 2).sum(-1)).min(axis=1)
    cell = (coords.max(0) - coords.min(0)).max() * 1.1 / 20
    assert (d > cell * 0.3).all()  # no grid point sits on a sample
    assert len(gx) < 46**2  # 2.5 x 1.1 sides of 20 cells, squared


def test_the_empty_space_a_one_to_one_map_adds_can_be_clicked(coords):
    """Drawn at 1:1 on a wide window the map shows about twice the samples' width; the probe
    grid covered only their box, so a click beside it did nothing (browser helper: x -4.03 to
    6.11 shown, the grid -1.57 to 3.64). The grid now reaches 2.5 times the box's longer side,
    and the autorange stops at the samples (else the invisible grid would zoom the map out)."""
    gx, gy = figures.probe_grid(coords)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    side = (hi - lo).max()
    centre = (lo + hi) / 2
    assert gx.min() < centre[0] - 1.2 * side and gx.max() > centre[0] + 1.2 * side
    assert gy.min() < centre[1] - 1.2 * side and gy.max() > centre[1] + 1.2 * side
    steps = np.diff(np.unique(np.round(gx, 9)))
    assert np.allclose(steps, 1.1 * side / 36)  # square cells, 36 along the box
    fig = figures.sample_map_categorical(coords, ["a"] * len(coords), [""] * len(coords), "t")
    xa, ya = fig.layout.xaxis.autorangeoptions, fig.layout.yaxis.autorangeoptions
    margin = 0.05 * (hi - lo)
    assert (xa.clipmin, xa.clipmax) == pytest.approx((lo[0] - margin[0], hi[0] + margin[0]))
    assert (ya.clipmin, ya.clipmax) == pytest.approx((lo[1] - margin[1], hi[1] + margin[1]))


def test_gene_map_highlights(coords):
    symbols = np.array([f"G{i}" for i in range(200)])
    labels = np.array(["protein-coding"] * 150 + ["snoRNA"] * 50)
    fig = figures.gene_map_figure(
        coords, symbols, labels, focus=3, neighbors=[4, 5], selected=[10, 11, 12]
    )
    names = [t.name for t in fig.data]
    assert names[:2] == ["protein-coding (150)", "snoRNA (50)"]
    assert "nearest neighbours" in names and "specific to the selection (3 genes)" in names
    assert names[-1] == "G3"
    # clicking any point gives its symbol
    assert list(fig.data[0].customdata[:2]) == ["G0", "G1"]


def test_baselines_figure_titles_carry_accuracy(coords):
    labels = np.array(["a"] * 100 + ["b"] * 100)
    fig = figures.baselines_figure(
        {"PCA": coords, "UMAP": coords[::-1]}, labels, {"PCA": {"mean": 0.5, "sd": 0.01}}
    )
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("PCA") and "0.50" in titles[0]
    assert titles[1] == "UMAP"
    assert len(fig.data) == 4


def test_for_export_is_vector_and_sized(coords):
    fig = figures.sample_map_continuous(coords, np.arange(200.0), ["s"] * 200, "v")
    out = figures.for_export(fig, 500, 400)
    assert all(isinstance(t, go.Scatter) for t in out.data)
    assert "probe grid" not in [t.name for t in out.data]
    assert (out.layout.width, out.layout.height) == (500, 400)


def test_exported_x_numbers_stand_off_the_axis_on_every_map():
    """On the 85 mm file of a zoomed map, the x axis' first number and the y axis' (both "−1")
    were drawn over each other at the corner; every x axis of a file (the baseline maps' grid
    too) now sets its numbers apart."""
    from plotly.subplots import make_subplots

    grid = make_subplots(rows=1, cols=2)
    grid.add_trace(go.Scatter(x=[-1, 2], y=[-1, 2]), row=1, col=1)
    grid.add_trace(go.Scatter(x=[-1, 2], y=[-1, 2]), row=1, col=2)
    out = figures.for_export(grid, 500, 400)
    standoffs = [out.layout[a].ticklabelstandoff for a in ("xaxis", "xaxis2")]
    assert standoffs == [figures.X_TICK_STANDOFF] * 2 and figures.X_TICK_STANDOFF >= 4
    assert grid.layout.xaxis.ticklabelstandoff is None  # the page's figure is left as it was


def test_clip_range_handles_constant_and_empty():
    assert figures.clip_range(np.array([np.nan, np.nan])) == (0.0, 1.0)
    lo, hi = figures.clip_range(np.full(10, 3.0))
    assert hi > lo


def test_exported_legend_keeps_every_entry(coords):
    """On screen a long legend scrolls; in a file it would be cut: it is made to fit."""
    coords = np.vstack([coords, coords, coords])  # 600 samples
    labels = np.array([f"tissue {i % 26}" for i in range(600)], dtype=object)
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 600, "tissue")
    few = figures.for_export(fig, 1000, 700)
    assert few.layout.legend.orientation is None  # fits at the right: unchanged
    small = figures.for_export(fig, 500, 400, max_height=900)  # 26 entries do not fit
    assert small.layout.legend.orientation == "h"
    assert small.layout.legend.entrywidthmode == "pixels"
    # under the plot, in a figure grown by the legend's height: the plot keeps its room
    assert small.layout.margin.b > 100 and 400 < small.layout.height <= 900
    assert small.layout.height - small.layout.margin.b >= 400 - (fig.layout.margin.b or 80)
    # a figure that may not grow (a slide's shape): the legend takes its room from the plot
    fixed = figures.for_export(fig, 500, 400)
    assert fixed.layout.height == 400 and 100 < fixed.layout.margin.b <= 0.7 * 400
    fig = figures.baselines_figure({"PCA": coords}, labels, label_name="tissue")
    assert fig.layout.legend.tracegroupgap == 0  # no gap between the entries of each group


def test_a_legend_under_a_journal_map_sits_under_the_plot(coords):
    """An 85 mm file of GTEx's detailed tissues (a few names on two lines) had a band of 54 mm
    blank between the plot and the legend: every row was charged the tallest entry's lines."""
    import re

    from dashboard.render import browser_path, render_image

    if browser_path() is None:
        pytest.skip("no Chromium for kaleido")
    rng = np.random.default_rng(0)
    names = [f"Tissue site {i}" for i in range(46)]
    names += ["Brain - Nucleus accumbens (basal ganglia)", "Cells - EBV-transformed lymphocytes"]
    labels = np.array([names[i % len(names)] for i in range(600)], dtype=object)
    fig = figures.sample_map_categorical(rng.normal(size=(600, 2)), labels, ["s"] * 600, "SMTSD")
    width, height, _ = figures.EXPORT_SIZES["single column (85 mm, 300 dpi)"]
    page = int(figures.JOURNAL_PAGE_MM / 85.0 * width)  # as the export grows a journal file
    out = figures.for_export(fig, width, height, max_height=page)
    assert out.layout.legend.orientation == "h" and out.layout.height > height
    svg = render_image(out, "svg", width, int(out.layout.height), 1).decode()
    legend = re.search(r'<g class="legend"[^>]*translate\([\d.]+,\s*([\d.]+)\)', svg)
    plot = re.search(r'<clipPath[^>]*xyplot[^>]*><rect width="[\d.]+" height="([\d.]+)"', svg)
    top = re.search(r'<clipPath class="axesclip" id="[^"]*y"><rect x="0" y="([\d.]+)"', svg)
    gap = float(legend.group(1)) - float(top.group(1)) - float(plot.group(1))
    # the x axis' numbers and title lie between (about 60 px); 330 px before
    assert 40 < gap < 130, gap


def test_the_dataset_line_is_broken_for_a_narrow_file(coords):
    """On an 85 mm file the dataset line ran past the right edge: the model's key was cut off.
    It is now broken into lines, with the room they take; a line added under the title (the
    genes of a gene list) takes its room too, instead of lying over the dataset line."""
    line = "GTEx 2017-06-05_v8_RNASeQCv1.1.9_gene_reads.acmg_59: 16,877 samples × 59 genes; "
    line += "model 15ea50652bde"
    fig = figures.sample_map_continuous(coords, np.arange(200.0), ["s"] * 200, "v")
    narrow = figures.name_dataset(figures.for_export(fig, 502, 400), line)
    wide = figures.name_dataset(figures.for_export(fig, 1280, 720), line)
    sub = narrow.layout.title.subtitle.text
    assert sub.count("<br>") >= 1 and sub.replace("<br>", " ") == line
    assert max(map(len, sub.split("<br>"))) <= (502 - 30) / (0.55 * 11)
    assert "<br>" not in wide.layout.title.subtitle.text
    assert narrow.layout.margin.t > wide.layout.margin.t
    grid = figures.name_dataset(go.Figure(layout=dict(width=502)), line)  # the baseline maps
    assert grid.layout.title.text.count("<br>") >= 1
    top = fig.layout.margin.t
    figures.add_title_line(fig, "mean z of A, B")
    assert fig.layout.title.text.endswith("<br>mean z of A, B") and fig.layout.margin.t > top


def test_long_category_names_are_wrapped_in_the_legend(coords):
    """GTEx's detailed tissue names (SMTSD, up to 45 characters) made the legend beside the map
    as wide as the map: they are wrapped at spaces, whole, and hover still names them whole."""
    long = "Brain - Nucleus accumbens (basal ganglia)"
    labels = np.array([long] * 100 + ["Liver"] * 100, dtype=object)
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 200, "SMTSD")
    names = [t.name for t in fig.data[1:]]
    assert names[1] == "Liver (100)"  # short names stay on one line
    lines = names[0].split("<br>")
    assert len(lines) == 2 and max(map(len, lines)) <= figures.LEGEND_TITLE_WIDTH
    assert " ".join(lines) == f"{long} (100)"
    assert long in fig.data[1].hovertemplate
    assert fig.data[1].legendgroup == long  # what the selection reads
    # the plot area left beside the legend counts its longest line, not the whole name
    wide = figures.export_plot_area(figures.for_export(fig, 900, 600))["width"]
    one_line = go.Figure(fig)
    one_line.data[1].name = f"{long} (100)"
    assert wide > figures.export_plot_area(figures.for_export(one_line, 900, 600))["width"] + 50
    # an exported legend of wrapped entries counts each line: 20 such entries need 40 rows
    labels = np.array([f"{long} {i % 20}" for i in range(200)], dtype=object)
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 200, "SMTSD")
    assert all(t.name.count("<br>") == 1 for t in fig.data[1:])
    out = figures.for_export(fig, 1000, 700)  # 20 one-line entries would fit at 11 px
    assert out.layout.legend.font.size < 11 or out.layout.legend.orientation == "h"


def test_neighbour_labels_do_not_overlap():
    """Neighbours lie close together: labels that would overlap are left out (the nearest
    kept), instead of a blot of red text; hover still names every ring."""
    rng = np.random.default_rng(1)
    layout = np.vstack([rng.uniform(0, 10, (200, 2)), rng.normal(8, 0.05, (15, 2))])
    symbols = np.array([f"GENE{i}-AS1" for i in range(215)])
    nb = list(range(200, 215))
    fig = figures.gene_map_figure(layout, symbols, ["protein-coding"] * 215, focus=0, neighbors=nb)
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    shown = [t for t in ring.text if t]
    assert ring.text[0] == "GENE200-AS1"  # the nearest is labelled
    assert 1 <= len(shown) < len(nb)
    assert list(ring.customdata) == list(symbols[nb]) and "customdata" in ring.hovertemplate
    # spread-out neighbours are all labelled
    far = list(range(0, 200, 20))
    keep = figures.spaced_labels(np.array([[i, i] for i in range(200)], float), far, symbols[far])
    assert keep.all()


def _label_and_marker_boxes(fig, layout, plot_px=figures._PLOT_PX, view=None):
    """Boxes (plot pixels, as :func:`figures.place_labels` sees the map on a plot of
    ``plot_px`` pixels, zoomed to ``view`` if given) of the written labels of the rings and the
    star, and of the highlighted markers (rings, star, diamonds)."""
    px = figures.plot_pixels(layout, plot_px, view=view)
    index = {(round(float(x), 5), round(float(y), 5)): i for i, (x, y) in enumerate(layout)}
    labels, markers = [], []
    for tr in fig.data:
        if tr.name.endswith(")") and tr.name != "nearest neighbours":  # a category: small dots
            continue
        radius = tr.marker.size / 2 + (1 if tr.name == "nearest neighbours" else 0)
        # the rings' labels are drawn as annotations (figure_genes.neighbour_labels) from the text
        # and positions their trace keeps
        written = "text" in (tr.mode or "") or tr.name == "nearest neighbours"
        texts = list(tr.text) if tr.text is not None and written else []
        positions = tr.textposition
        for j, (x, y) in enumerate(zip(tr.x, tr.y, strict=True)):
            point = px[index[(round(float(x), 5), round(float(y), 5))]]
            markers.append((tr.name, figures.marker_box(point, radius)))
            if texts and texts[j]:
                pos = positions if isinstance(positions, str) else positions[j]
                font = tr.textfont.size
                labels.append((texts[j], figures.label_box(point, texts[j], font, pos, radius)))
    for note in fig.layout.annotations:  # a label further out, with an arrow
        if note.name == "neighbour label":  # counted with its ring above
            continue
        point = px[index[(round(float(note.x), 5), round(float(note.y), 5))]]
        offset = (note.ax, -note.ay)
        labels.append((note.text, figures.annotation_box(point, note.text, note.font.size, offset)))
    return labels, markers


def test_neighbour_labels_sit_off_the_rings_and_the_star():
    """Labels above their rings lay on the neighbouring rings and on the star of the gene in
    focus: each is now written on the side away from the gene in focus, off every highlighted
    marker and every other label, or left out."""
    layout, symbols, focus, nb, selected = _crowded_neighbours()
    fig = figures.gene_map_figure(
        layout,
        symbols,
        ["protein-coding"] * len(layout),
        focus=focus,
        neighbors=nb,
        selected=selected,
    )
    labels, markers = _label_and_marker_boxes(fig, layout)
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    assert sum(bool(t) for t in ring.text) >= 3  # some labels are written
    assert any(text == "GENE300" for text, _ in labels)  # the gene in focus always
    assert _overlaps(labels, markers) == []
    # hover still names every ring
    assert list(ring.customdata) == list(symbols[nb])


def test_labels_at_the_edge_of_the_map_are_whole_or_left_out():
    """Neighbours crowded at the left edge: a label with no room inside the plot was written
    across its edge anyway, and the cut name read as another gene (ONECUT1 as "CUT1")."""
    layout, symbols, focus, nb, selected = _crowded_neighbours()
    layout[300:] -= [5.0, 0.0]  # the gene in focus and its neighbours at the left edge
    layout[:300, 0] = np.abs(layout[:300, 0])
    fig = figures.gene_map_figure(
        layout, symbols, ["protein-coding"] * len(layout), focus=focus, neighbors=nb
    )
    labels, _ = _label_and_marker_boxes(fig, layout)
    width, height = figures._PLOT_PX
    assert len(labels) >= 4
    cut = [t for t, (x0, x1, y0, y1) in labels if x0 < -4 or x1 > width + 4 or y0 < -4]
    assert cut == [] and all(y1 <= height + 4 for _, (_, _, _, y1) in labels)


#: Pixels a label's backing reaches beyond its text: plotly's default padding and (clear)
#: border of an annotation, 1 pixel each.
_BACKING_PAD = 2.0


def _backing_box(note, point):
    """Box (plot pixels, y up) of the backing of a label written as an annotation without an
    arrow at ``point``, from its anchors and shifts (the text as plotly draws it, with its
    padding)."""
    w, h = figures.text_width(note.text, note.font.size), 1.25 * note.font.size
    x, y = point[0] + (note.xshift or 0), point[1] + (note.yshift or 0)
    x0 = {"left": x, "right": x - w, "center": x - w / 2}[note.xanchor or "center"]
    y0 = {"bottom": y, "top": y - h, "middle": y - h / 2}[note.yanchor or "middle"]
    pad = _BACKING_PAD
    return x0 - pad, x0 + w + pad, y0 - pad, y0 + h + pad


def test_neighbour_labels_have_a_backing_off_the_rings():
    """Over a dense cluster of points the black labels of the rings were hard to read: each
    written label now lies on a white semi-opaque backing, where the trace's text would have
    been, and the backing covers no ring, no star and no other label."""
    layout, symbols, focus, nb, selected = _crowded_neighbours()
    fig = figures.gene_map_figure(
        layout,
        symbols,
        ["protein-coding"] * len(layout),
        focus=focus,
        neighbors=nb,
        selected=selected,
    )
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    written = [str(t) for t in ring.text if t]
    notes = [a for a in fig.layout.annotations if a.name == "neighbour label"]
    assert len(written) >= 3 and sorted(a.text for a in notes) == sorted(written)
    px = figures.plot_pixels(layout, figures._PLOT_PX)
    _, markers = _label_and_marker_boxes(fig, layout)
    radius = ring.marker.size / 2 + 1
    backings = []
    for note in notes:
        j = list(ring.text).index(note.text)
        row = nb[j]
        assert (note.x, note.y) == pytest.approx((layout[row, 0], layout[row, 1]), abs=1e-5)
        assert note.showarrow is False and note.font.size == ring.textfont.size
        r, g, b, alpha = (float(v) for v in note.bgcolor[5:-1].split(","))
        assert min(r, g, b) >= 250 and 0.5 <= alpha < 1.0  # white, the points still show
        box = _backing_box(note, px[row])
        want = figures.label_box(px[row], note.text, note.font.size, ring.textposition[j], radius)
        assert np.allclose(box[:2], want[:2], atol=_BACKING_PAD + 0.5)
        assert np.allclose(box[2:], want[2:], atol=_BACKING_PAD + 0.5)
        backings.append((note.text, box))
    assert _overlaps(backings, markers) == []


def _crowded_neighbours():
    """300 genes, one in focus with 25 neighbours crowded around it, 3 of them selected."""
    rng = np.random.default_rng(3)
    focus_xy = np.array([[5.0, 5.0]])
    around = focus_xy + rng.normal(0, 0.35, (25, 2))
    layout = np.vstack([rng.uniform(0, 10, (300, 2)), focus_xy, around])
    symbols = np.array([f"GENE{i}" for i in range(len(layout))])
    return layout, symbols, 300, list(range(301, 326)), [305, 310, 315]


def _overlaps(labels, markers) -> list[tuple[str, str]]:
    """Pairs (label, marker or other label) whose boxes overlap."""
    out = [(t, n) for t, box in labels for n, m in markers if figures.boxes_overlap(box, m, 0.0)]
    out += [
        (t, u)
        for i, (t, box) in enumerate(labels)
        for u, box2 in labels[i + 1 :]
        if figures.boxes_overlap(box, box2, margin=0.0)
    ]
    return out


def test_labels_are_spaced_for_the_plot_size_of_the_page():
    """Labels were spaced for a 430 x 330 plot whatever the window: on a larger map the labels
    left out "for lack of room" stayed out, on a smaller one they overlapped. Spaced for the
    plot area the page draws, a larger map shows at least as many, and none overlaps."""
    layout, symbols, focus, nb, sel = _crowded_neighbours()
    sizes = [(250.0, 200.0), figures._PLOT_PX, (650.0, 460.0), (1300.0, 900.0)]
    counts = []
    for plot_px in sizes:
        fig = figures.gene_map_figure(
            layout,
            symbols,
            ["protein-coding"] * len(layout),
            focus=focus,
            neighbors=nb,
            selected=sel,
            plot_px=plot_px,
        )
        labels, markers = _label_and_marker_boxes(fig, layout, plot_px)
        assert not _overlaps(labels, markers), plot_px
        assert any(text == "GENE300" for text, _ in labels)  # the gene in focus always
        ring = next(t for t in fig.data if t.name == "nearest neighbours")
        assert list(ring.customdata) == list(symbols[nb])  # hover names every ring
        counts.append(sum(bool(t) for t in ring.text))
    assert counts == sorted(counts), counts
    assert counts[-1] > counts[1] >= 1, counts  # more room, more labels
    # the default is the size assumed before (callers that measure nothing: exports)
    default = figures.place_labels(layout, nb, symbols[nb], focus=focus, focus_text="GENE300")
    spaced = figures.place_labels(
        layout, nb, symbols[nb], focus=focus, focus_text="GENE300", plot_px=figures._PLOT_PX
    )
    assert default[0].tolist() == spaced[0].tolist() and default[1] == spaced[1]
    assert figures.spaced_labels(layout, nb, symbols[nb], plot_px=(1300.0, 900.0)).sum() >= (
        figures.spaced_labels(layout, nb, symbols[nb]).sum()
    )


def test_labels_spaced_for_the_default_size_overlap_on_a_small_map():
    """Why the size matters: placed for 430 x 330 pixels, labels overlap once the map is drawn
    in 250 x 200; placed for 250 x 200, they do not."""
    layout, symbols, focus, nb, _ = _crowded_neighbours()
    small = (250.0, 200.0)

    def boxes(placed_for):
        fig = figures.gene_map_figure(
            layout, symbols, ["a"] * len(layout), focus=focus, neighbors=nb, plot_px=placed_for
        )
        return _label_and_marker_boxes(fig, layout, small)

    assert _overlaps(*boxes(figures._PLOT_PX))
    assert not _overlaps(*boxes(small))


def test_zoomed_into_crowded_neighbours_their_labels_get_the_room():
    """Labels were spaced for the whole map whatever the zoom: a neighbour left unlabelled for
    lack of room stayed so after zooming into the crowd. Spaced for the view, the zoom shows
    more of them, whole, off each other and the markers, and none for rings out of view."""
    layout, symbols, focus, nb, sel = _crowded_neighbours()

    def labelled(view):
        fig = figures.gene_map_figure(
            layout, symbols, ["a"] * len(layout), focus=focus, neighbors=nb, view=view
        )
        ring = next(t for t in fig.data if t.name == "nearest neighbours")
        return fig, [t for t in ring.text if t]

    _, whole = labelled(None)
    view = ((4.0, 6.0), (4.2, 5.8))  # around the gene in focus at (5, 5)
    fig, zoomed = labelled(view)
    assert len(zoomed) > len(whole) >= 1, (whole, zoomed)
    labels, markers = _label_and_marker_boxes(fig, layout, view=view)
    assert not _overlaps(labels, markers)
    width, height = figures._PLOT_PX
    for text, (x0, x1, y0, y1) in labels:
        assert -4 <= x0 and x1 <= width + 4 and -4 <= y0 and y1 <= height + 4, text
    in_view = {
        str(symbols[r]) for r in nb if 4.0 <= layout[r, 0] <= 6.0 and 4.2 <= layout[r, 1] <= 5.8
    }
    assert set(zoomed) <= in_view and len(in_view) < len(nb)


def test_more_than_30_neighbours_are_labelled_once_a_zoom_leaves_30_in_view():
    """60 neighbours: too many to label on the whole map (hover names them); zoomed into a
    region with at most 30 of them, those get labels, as they would with 30 neighbours."""
    rng = np.random.default_rng(5)
    layout = np.vstack([rng.uniform(0, 10, (300, 2)), [[5.0, 5.0]], rng.uniform(0, 10, (60, 2))])
    symbols = np.array([f"GENE{i}" for i in range(len(layout))])
    nb = list(range(301, 361))

    def ring(view):
        fig = figures.gene_map_figure(
            layout, symbols, ["a"] * len(layout), focus=300, neighbors=nb, view=view
        )
        return fig, next(t for t in fig.data if t.name == "nearest neighbours")

    fig, whole = ring(None)
    assert whole.mode == "markers" and not any(whole.text)
    assert list(whole.customdata) == list(symbols[nb])  # hover names every ring
    labels, markers = _label_and_marker_boxes(fig, layout)
    assert labels and not _overlaps(labels, markers)  # the star's label is off the rings
    view = ((2.5, 7.5), (2.5, 7.5))
    in_view = {
        str(symbols[r]) for r in nb if 2.5 <= layout[r, 0] <= 7.5 and 2.5 <= layout[r, 1] <= 7.5
    }
    assert 5 <= len(in_view) <= figures.MAX_LABELLED_RINGS
    _, zoomed = ring(view)
    shown = {str(t) for t in zoomed.text if t}
    assert shown and shown <= in_view
    drawn = [a for a in ring(view)[0].layout.annotations if a.name == "neighbour label"]
    assert {a.text for a in drawn} == shown
    assert not [a for a in fig.layout.annotations if a.name == "neighbour label"]


def test_plot_view_takes_the_zoomed_ranges_else_none():
    size = {"width": 500, "height": 400}
    assert figures.plot_view(size) is None  # autorange: the whole map
    assert figures.plot_view({**size, "x": [-1, 2.5], "y": [0, 3]}) == ((-1.0, 2.5), (0.0, 3.0))
    for bad in (
        None,
        [1, 2],
        {**size, "x": [0, 1]},
        {**size, "x": [1, 0], "y": [0, 1]},
        {**size, "x": [0, 0], "y": [0, 1]},
        {**size, "x": ["0", 1], "y": [0, 1]},
        {**size, "x": [True, 1], "y": [0, 1]},
        {**size, "x": [0, float("nan")], "y": [0, 1]},
        {**size, "x": [0, 1, 2], "y": [0, 1]},
        {**size, "x": 3, "y": [0, 1]},
    ):
        assert figures.plot_view(bad) is None, bad


def test_plot_area_takes_a_plausible_measured_size_else_the_default():
    assert figures.plot_area({"width": 812, "height": 458.4}) == (812.0, 458.4)
    for bad in (
        None,
        {},
        [800, 600],
        "800x600",
        {"width": 800},
        {"width": "800", "height": 600},
        {"width": True, "height": 600},
        {"width": float("nan"), "height": 600},
        {"width": float("inf"), "height": 600},
        {"width": -800, "height": 600},
        {"width": 0, "height": 0},
        {"width": 1e9, "height": 600},
    ):
        assert figures.plot_area(bad) == figures._PLOT_PX, bad


def test_neighbour_labels_point_away_from_the_gene_in_focus():
    layout = np.array([[0.0, 0.0], [10.0, 10.0], [5.0, 5.0], [6.0, 5.0], [5.0, 3.5], [3.8, 6.2]])
    symbols = np.array(["corner", "other", "FOCUS", "RIGHT", "BELOW", "UPLEFT"])
    fig = figures.gene_map_figure(layout, symbols, ["a"] * 6, focus=2, neighbors=[3, 4, 5])
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    assert list(ring.text) == ["RIGHT", "BELOW", "UPLEFT"]
    assert list(ring.textposition) == ["middle right", "bottom center", "top left"]


def test_placed_stars_are_drawn_above_selected_samples():
    """While samples are selected, plotly draws the selected points of every trace last: a star
    that was not selected itself lay under the selected samples it landed among."""
    placed = [{"sample_id": f"new{i}", "x": float(i), "y": 0.0} for i in range(3)]
    for webgl in (True, False):
        star = figures.placed_samples_trace(placed, "tissue", webgl=webgl)
        assert list(star.selectedpoints) == [0, 1, 2]
        # a lasso that leaves a star out does not dim it
        assert star.unselected.marker.opacity == 1.0 and star.selected.marker.opacity == 1.0


def _legend_order(fig: go.Figure) -> list[str]:
    """The legend's entries as plotly orders them: by legendrank (1000 unless set), then by
    trace."""
    shown = [(i, t) for i, t in enumerate(fig.data) if t.showlegend is not False]
    shown.sort(key=lambda it: (1000 if it[1].legendrank is None else it[1].legendrank, it[0]))
    return [t.name for _, t in shown if t.name != "probe grid"]


def test_unlabelled_samples_and_placed_stars_do_not_split_the_tissues_in_the_legend(coords):
    """The unlabelled samples' entry, and the placed samples' stars, had plotly's default
    legend rank, the first tissue's: each sat between the first tissue and the second."""
    labels = np.array(["Heart"] * 100 + ["Liver"] * 90 + [None] * 10, dtype=object)
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 200, "tissue")
    assert _legend_order(fig) == ["Heart (100)", "Liver (90)", "unlabelled (10)"]
    placed = [{"sample_id": f"new{i}", "x": float(i), "y": 0.0} for i in range(3)]
    fig.add_trace(figures.placed_samples_trace(placed, "tissue"))
    assert _legend_order(fig) == [
        "your samples (3)",
        "Heart (100)",
        "Liver (90)",
        "unlabelled (10)",
    ]


def test_long_legend_titles_wrap(coords):
    """A GO term's name as the gene map's legend title took half the map's width (on the page
    and in exported files)."""
    title = "positive regulation of transcription by RNA polymerase II (GO:0045944)"
    fig = figures.gene_map_figure(
        coords, [f"G{i}" for i in range(200)], ["a"] * 200, color_title=title
    )
    lines = fig.layout.legend.title.text.split("<br>")
    assert len(lines) > 1 and max(len(line) for line in lines) <= figures.LEGEND_TITLE_WIDTH
    assert " ".join(lines) == title
    cat = figures.sample_map_categorical(coords, ["a"] * 200, ["s"] * 200, title)
    assert cat.layout.legend.title.text == fig.layout.legend.title.text
    assert figures.wrap_title("tissue") == "tissue"


def test_baseline_maps_in_a_file_are_a_grid_of_near_square_panels(coords):
    """In one row, five maps in a 1000 x 700 file were each 170 x 580 pixels: every map was
    stretched to three times its height."""
    maps = {name: coords for name in ("FE", "PCA", "NMF", "t-SNE", "UMAP")}
    cols = figures.panel_columns(5, 1000, 700)
    assert cols == 3
    fig = figures.baselines_figure(maps, ["a"] * 100 + ["b"] * 100, columns=cols)
    xs = {tuple(fig.layout[a].domain) for a in fig.layout if a.startswith("xaxis")}
    ys = {tuple(fig.layout[a].domain) for a in fig.layout if a.startswith("yaxis")}
    assert len(xs) == 3 and len(ys) == 2
    assert sum(t.showlegend is not False for t in fig.data) == 2  # one legend entry per label
    # the page keeps its single row
    row = figures.baselines_figure(maps, ["a"] * 200).layout
    assert len({tuple(row[a].domain) for a in row if a.startswith("yaxis")}) == 1
    assert figures.panel_columns(5, 950, 360) >= 4
    # a slide: 3 + 2 (310 px squares), not 4 + 1 with the second row three-quarters empty
    assert figures.panel_columns(5, 1280, 720) == 3


def test_tissues_have_the_reports_colours():
    """A tissue has the same colour in the dashboard as in the report's figures (both follow
    the class order), and there are colours for GTEx's 54 sites."""
    from core.palette import CLASS_COLORS
    from dashboard.figures import PALETTE

    assert PALETTE[: len(CLASS_COLORS)] == [c.lower() for c in CLASS_COLORS]
    assert len(set(PALETTE)) == len(PALETTE) >= 54


def test_sample_hover_names_missing_annotations_as_the_legend_does():
    """A sample without a tissue hovered as "SMTS: nan"; markup in an id or value is text."""
    text = figures.sample_hover_text(
        ["S1", "S<2>"], {"SMTS": ["Lung", None], "age": [np.nan, "60-69"]}
    )
    assert text[0] == "<b>S1</b><br>SMTS: Lung<br>age: unlabelled"
    assert text[1] == "<b>S&lt;2&gt;</b><br>SMTS: unlabelled<br>age: 60-69"


def test_a_title_too_long_for_the_file_is_broken_into_lines():
    """A long title (a gene's colouring, the SIMULATED label) was cut at the file's edge."""
    label = "<span style='color:#b45309'><b>SIMULATED DATA</b></span>"
    title = (
        f"{label} · Samples (1,200) — coloured by a rather long gene list name<br><sup>"
        + ("what the colours mean, said at length " * 3)
        + "</sup>"
    )
    fig = go.Figure(layout=dict(title=dict(text=title, font=dict(size=15)), margin=dict(t=60)))
    figures.fit_title(fig, 502)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) > 2 and fig.layout.margin.t > 60
    assert lines[0].startswith(label)  # the tags of a word are kept whole
    for line in lines:  # each line at most the width, and its tags balanced
        assert figures._visible_length(line) <= (502 - 30) / (0.55 * 15)
        assert line.count("<sup>") == line.count("</sup>")
    assert " ".join(lines).replace("</sup> <sup>", " ").count("said at length") == 3
    short = go.Figure(layout=dict(title=dict(text="Samples (520)"), margin=dict(t=60)))
    figures.fit_title(short, 502)
    assert short.layout.title.text == "Samples (520)" and short.layout.margin.t == 60


def test_a_label_takes_the_clear_place_that_covers_the_fewest_dots():
    """Labels kept off rings, the star and each other, not off the other genes' dots: at 85 mm
    "TBX4" sat on dots."""
    layout = np.array([[0.0, 0.0], [10.0, 10.0], [5.0, 5.0]])
    # dots right above the neighbour (row 2), where its first choice, away from the focus, is
    cloud = np.column_stack([np.linspace(5.0, 5.6, 40), np.full(40, 5.35)])
    layout = np.vstack([layout, cloud])
    plot_px = (400.0, 400.0)
    shown, positions, _ = figures.place_labels(
        layout, [2], ["TBX4"], focus=0, focus_text="TBX5", plot_px=plot_px
    )
    px = figures.plot_pixels(layout, plot_px)

    def under(pos):
        box = figures.label_box(px[2], "TBX4", 10.0, pos, 9.0)
        x, y = px[3:, 0], px[3:, 1]
        return int(((x >= box[0]) & (x <= box[1]) & (y >= box[2]) & (y <= box[3])).sum())

    assert shown[0] and under("top right") > 0 and under("top center") > 0
    assert under(positions[0]) == 0, positions[0]


def test_labels_at_the_edge_stay_inside_the_plot():
    """plotly cuts text at the plot's edge: a label allowed 4 pixels past it lost its last
    letter ("UGT1A‹")."""
    rng = np.random.default_rng(3)
    layout = np.vstack([rng.uniform(0, 10, (100, 2)), [[10.0, 5.0], [10.0, 0.0], [0.0, 10.0]]])
    rows = [100, 101, 102]
    texts = ["UGT1A4", "SERPINA7", "WWOX"]
    plot_px = (600.0, 400.0)
    shown, positions, _ = figures.place_labels(layout, rows, texts, plot_px=plot_px)
    px = figures.plot_pixels(layout, plot_px)
    for r, t, ok, pos in zip(rows, texts, shown, positions, strict=True):
        if ok:
            x0, x1, y0, y1 = figures.label_box(px[r], t, 10.0, pos, 9.0)
            assert 0 <= x0 and x1 <= plot_px[0] and 0 <= y0 and y1 <= plot_px[1], (t, pos)
    assert shown.all()  # (each has a side that stays inside)


def test_small_categories_are_drawn_over_large_ones_in_colours_apart(coords):
    """Sex on GTEx: 5,648 female samples drawn under 11,229 male ones, in steel blue and blue,
    were nearly invisible. The largest category is drawn first; the legend keeps its order."""
    labels = np.array(["male"] * 150 + ["female"] * 50, dtype=object)
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 200, "sex")
    drawn = [t.name for t in fig.data[1:]]
    assert drawn == ["male (150)", "female (50)"]  # the small one on top
    ranks = {t.name: t.legendrank for t in fig.data[1:]}
    assert ranks["female (50)"] < ranks["male (150)"]  # the legend: female, male
    colours = {t.name: t.marker.color for t in fig.data[1:]}
    assert colours["female (50)"] == "#5a2d96" and colours["male (150)"] == "#5a4b00"


def test_baseline_maps_colour_a_tissue_as_the_sample_map_does(coords):
    """With unlabelled samples, the baseline maps sorted "unlabelled" among the tissues and
    shifted every later tissue's colour: Uterus was green on one map and purple on the other."""
    labels = np.array(["Thyroid"] * 80 + ["Uterus"] * 60 + [None] * 30 + ["Vagina"] * 30)
    one = figures.sample_map_categorical(coords, labels, ["s"] * 200, "tissue")
    grid = figures.baselines_figure({"PCA": coords}, labels)

    def colours(fig):
        return {t.name.split(" (")[0]: t.marker.color for t in fig.data if t.name}

    sample_map, baselines = colours(one), colours(grid)
    for tissue in ("Thyroid", "Uterus", "Vagina"):
        assert sample_map[tissue] == baselines[tissue], tissue


def test_sample_maps_are_drawn_at_one_to_one(coords):
    """A 16:9 export stretched a unit-variance FE map about 2.5 times sideways, while the
    neighbour tables, 1-NN and smoothness read distances on it; the gene map is a layout of
    its own and keeps the room it is given."""
    labels = ["a", "b"] * (len(coords) // 2)
    hover = [""] * len(coords)
    values = np.arange(len(coords), dtype=float)
    for fig in (
        figures.sample_map_categorical(coords, labels, hover, "tissue"),
        figures.sample_map_continuous(coords, values, hover, "MYH6"),
        figures.for_export(figures.sample_map_categorical(coords, labels, hover, "t"), 1600, 900),
    ):
        assert (fig.layout.yaxis.scaleanchor, fig.layout.yaxis.scaleratio) == ("x", 1)
    panels = figures.baselines_figure({"FE": coords, "PCA": coords, "UMAP": coords}, labels)
    y_axes = [panels.layout[k] for k in panels.layout if k.startswith("yaxis")]
    assert len(y_axes) == 3
    assert all(ax.scaleanchor == ax.anchor and ax.scaleratio == 1 for ax in y_axes)
    symbols = np.array([f"G{i}" for i in range(len(coords))])
    gene_map = figures.gene_map_figure(coords, symbols, np.array(["protein-coding"] * len(coords)))
    assert gene_map.layout.yaxis.scaleanchor is None


def test_the_pages_baseline_maps_are_rows_of_three(context):
    """At 1:1, five maps in one row were squares of about 150 px in a 900-pixel window."""
    from dashboard.baselines import PAGE_COLUMNS, baseline_view

    rng = np.random.default_rng(0)
    names = ("PCA", "NMF", "t-SNE", "UMAP")
    result = {
        "maps": {n: rng.normal(size=(520, 2)).astype(np.float32) for n in names},
        "accuracy": {},
        "label": "tissue",
    }
    fig, _ = baseline_view(context, result)
    assert PAGE_COLUMNS == 3
    xs = {tuple(fig.layout[a].domain) for a in fig.layout if a.startswith("xaxis")}
    ys = {tuple(fig.layout[a].domain) for a in fig.layout if a.startswith("yaxis")}
    assert len(xs) == 3 and len(ys) == 2 and fig.layout.height == 720


def test_baseline_panels_say_in_words_what_their_accuracy_scores(coords):
    """A panel's subtitle names the score and the annotation it is about ("1-NN 0.50 ± 0.01"
    did not say that the tissue is what is guessed)."""
    labels = np.array(["a"] * 100 + ["b"] * 100)
    fig = figures.baselines_figure(
        {"PCA": coords}, labels, {"PCA": {"mean": 0.5, "sd": 0.01}}, label_name="tissue"
    )
    title = fig.layout.annotations[0].text
    assert "1-NN tissue accuracy 0.50 ± 0.01" in title
    # short enough for the three panels a row of a journal column's file holds
    subtitle = title.split("<br>")[1].replace("<sup>", "").replace("</sup>", "")
    assert figures.text_width(subtitle, 11 * 0.7) < 140


def test_legend_counts_are_written_as_numbers_are_elsewhere(coords):
    """Counts in every legend carry thousands separators, as the page's other counts (the
    unlabelled samples and the gene types read ``3797`` beside ``Lung (1,234)``)."""
    rng = np.random.default_rng(1)
    many = rng.normal(size=(1500, 2)).astype(np.float32)
    labels = np.array(["Lung"] * 100 + [None] * 1400, dtype=object)
    fig = figures.sample_map_categorical(many, labels, ["s"] * 1500, "tissue")
    # (the unlabelled samples drawn first, under the categories)
    assert [t.name for t in fig.data[1:]] == ["unlabelled (1,400)", "Lung (100)"]
    types = ["protein-coding"] * 1200 + ["lncRNA"] * 300
    genes = figures.gene_map_figure(many, [f"G{i}" for i in range(1500)], types)
    assert [t.name for t in genes.data] == ["protein-coding (1,200)", "lncRNA (300)"]


def test_neighbour_rings_take_no_colour_of_the_palette():
    """The rings were red (#d62728), near the palette's second class (#ff0000: pseudogenes in
    the demo, lncRNA in the 26 tissues, the genes of a GO term): a ring on such a gene was
    hard to see."""
    from core.palette import CLASS_COLORS

    def rgb(color: str) -> np.ndarray:
        return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)

    rng = np.random.default_rng(0)
    layout = rng.uniform(0, 10, (30, 2))
    symbols = np.array([f"G{i}" for i in range(30)])
    fig = figures.gene_map_figure(
        layout, symbols, ["protein-coding", "pseudogene"] * 15, focus=0, neighbors=[1, 2, 3]
    )
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    nearest = min(np.linalg.norm(rgb(ring.marker.color) - rgb(c)) for c in CLASS_COLORS)
    assert nearest > 80, nearest  # (the red rings: 69 from #ff0000)


@pytest.mark.parametrize("size", list(figures.EXPORT_SIZES))
def test_a_label_of_one_long_word_is_broken_in_the_legend(coords, size):
    """A tissue named by 300 letters without a space kept them on one legend line, on the page
    and in a file: the legend, wider than the map, covered it. Its lines now fit the legend."""
    long = "Tissue" + "x" * 294
    labels = [long] * 100 + ["Liver"] * 100
    fig = figures.sample_map_categorical(coords, labels, ["s"] * 200, "tissue", webgl=False)
    name = next(str(t.name) for t in fig.data if str(t.name).startswith("Tissue"))
    lines = name.split("<br>")
    assert max(len(line) for line in lines) <= figures.LEGEND_TITLE_WIDTH, lines
    assert "".join(lines).replace(" ", "") == f"{long}(100)"  # every letter kept, in order
    width, height, _ = figures.EXPORT_SIZES[size]
    out = figures.for_export(fig, width, height, height)
    names = [str(t.name) for t in out.data if t.showlegend is not False]
    assert max(len(line) for n in names for line in n.split("<br>")) <= figures.LEGEND_TITLE_WIDTH
