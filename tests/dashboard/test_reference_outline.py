"""The sample map outlines the reference group kept: its samples were drawn as every other
sample left out of the selection (grey by categories, dimmed by values), on the page and in a
file, and a reader of the map could not see what the selection was compared with."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import ids
from dashboard.export import export_figure
from dashboard.figure_samples import PLACED_META
from dashboard.sample_map import Recolour, recolor
from dashboard.selection import keep_reference, reference_view
from tests.dashboard.callback_post import post_callback


def _rows(context, tissue: str) -> list[int]:
    return np.flatnonzero(context.samples["tissue"].to_numpy() == tissue).tolist()


def _outlines(fig) -> list:
    """The traces named as the reference group's outline in the legend."""
    data = fig["data"] if isinstance(fig, dict) else fig.data
    return [t for t in data if str(t["name"] or "").startswith("reference group (")]


def _points(trace) -> set[tuple[float, float]]:
    return {(round(float(x), 5), round(float(y), 5)) for x, y in zip(trace.x, trace.y, strict=True)}


def _places(context, rows) -> set[tuple[float, float]]:
    xy = np.asarray(context.require_state().sample_embedding, dtype=np.float32)[rows]
    return {(round(float(x), 5), round(float(y), 5)) for x, y in xy[:, :2]}


@pytest.mark.parametrize("colour", ["ann:tissue", "gene"])
def test_the_reference_group_is_outlined_over_the_samples_under_the_stars(context, colour):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    colour = f"obs:{context.gene_symbols[0]}" if colour == "gene" else colour
    placed = [{"sample_id": "mine", "x": 0.0, "y": 0.0}]
    fig = recolor(context, colour, [1, 99], None, placed, heart, reference=muscle)[0]
    (outline,) = _outlines(fig)
    assert outline.name == f"reference group ({len(muscle)})"
    assert _points(outline) == _places(context, muscle)
    # open circles, a little larger than the points, no hover, no sample row
    samples = [t for t in fig.data if t.customdata is not None and t.name != "probe grid"]
    assert outline.marker.symbol == "circle-open" and outline.hoverinfo == "skip"
    assert outline.marker.size > max(t.marker.size for t in samples)
    assert outline.customdata is None
    # never dimmed by a selection
    assert list(outline.selectedpoints) == list(range(len(muscle)))
    assert outline.unselected.marker.opacity == 1.0
    # drawn over every sample trace, and under the stars, still last
    at = list(fig.data).index(outline)
    assert at > max(list(fig.data).index(t) for t in samples)
    assert fig.data[-1].meta == PLACED_META
    # no reference: no outline
    assert not _outlines(recolor(context, colour, [1, 99], None, placed, heart)[0])


def test_the_outline_counts_the_samples_compared_with(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    store = {"rows": heart + muscle[:5], "reference": muscle}
    fig = recolor(context, "ann:tissue", [1, 99], None, None, store["rows"], reference=muscle)[0]
    (outline,) = _outlines(fig)
    compared = len(muscle) - 5
    assert outline.name == f"reference group ({compared})"
    assert _points(outline) == _places(context, muscle[5:])
    # as the specific-genes table's heading counts them
    assert f"the reference group ({compared} samples)" in reference_view(context, store)[0]


def test_a_new_colouring_keeps_the_outline_or_draws_it_again(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    genes = [f"obs:{g}" for g in context.gene_symbols[:2]]
    fig, kind, _ = recolor(context, genes[0], [1, 99], None, None, heart, reference=muscle)
    assert _outlines(fig) and kind["outline"]
    # the same outline: the page recolours the colour trace alone (the outline trace stays)
    again, kept, _ = recolor(context, genes[1], [1, 99], kind, None, heart, reference=muscle)
    assert isinstance(again, Recolour) and kept["outline"] == kind["outline"]
    # another reference group (or none): a new figure, outlining it
    new, new_kind, _ = recolor(context, genes[1], [1, 99], kind, None, heart, reference=heart[:3])
    assert not isinstance(new, Recolour)
    assert _points(_outlines(new)[0]) == _places(context, heart[:3])
    plain, plain_kind, _ = recolor(context, genes[1], [1, 99], kind, None, heart)
    assert not isinstance(plain, Recolour) and not _outlines(plain)
    assert plain_kind["outline"] is None


def _map_after(app, store, previous):
    return post_callback(
        app,
        f"{ids.SAMPLE_MAP}.figure",
        {
            (ids.COLOR_BY, "value"): "ann:tissue",
            (ids.CLIP, "value"): [1, 99],
            (ids.SELECTION, "data"): store,
            (ids.SAMPLE_MAP_KIND, "data"): previous,
        },
        f"{ids.SELECTION}.data",
        input=(ids.SELECTION, "data"),
    )


def test_keeping_or_dropping_the_reference_draws_the_map_again(app, context):
    muscle = _rows(context, "Muscle")
    shown = recolor(context, "ann:tissue", [1, 99], None, None, muscle)[1]
    kept = keep_reference({"rows": muscle, "drawn": True}, ids.REFERENCE_KEEP)
    out = _map_after(app, kept, shown)
    figure = out[ids.SAMPLE_MAP]["figure"]
    outline = _outlines(figure)
    assert outline and outline[0]["name"] == f"reference group ({len(muscle)})"
    drawn = out[ids.SAMPLE_MAP_KIND]["data"]
    # a drawn selection that leaves the outline as it is: the map is left alone
    assert _map_after(app, {**kept, "rows": muscle[:3] + muscle, "drawn": True}, drawn) == {}
    # dropped: drawn again, without it
    dropped = keep_reference(kept, ids.REFERENCE_CLEAR)
    figure = _map_after(app, dropped, drawn)[ids.SAMPLE_MAP]["figure"]
    assert not _outlines(figure)


def test_the_exported_map_outlines_the_reference_and_says_so(context, kept_figures):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    view = {"color": "ann:tissue", "selection": heart, "reference": muscle}
    export_figure(context, "sample-map", "svg", "screen", view)
    fig = kept_figures[-1]
    (outline,) = _outlines(fig)
    assert outline.type == "scatter" and _points(outline) == _places(context, muscle)
    title = str(fig.layout.title.text)
    assert "the reference group of 20 samples (Muscle 20) outlined" in title, title
    assert "20 selected samples (Heart 20) in full colour" in title
    export_figure(context, "sample-map", "svg", "screen", {"color": "ann:tissue"})
    assert not _outlines(kept_figures[-1])
    assert "outlined" not in str(kept_figures[-1].layout.title.text)
