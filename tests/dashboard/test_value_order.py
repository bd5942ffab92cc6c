"""The sample map draws a continuous colouring from the lowest value to the highest (high values
on top), in a new figure and after a recolouring to another gene (made in the page from the trace
it shows, ``assets/recolour.js``); every per-point array of the colour trace (x, y, hover text,
sample rows, colours, selected points) follows that order."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from dashboard import figures, sample_map
from dashboard.figure_samples import MISSING_TRACE

FIRST, SECOND = "obs:GATA4", "obs:TBX5"


def _array(value) -> np.ndarray:
    """A trace's array as sent to the page: a plain list or a typed array (base64)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value)


def _sent(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def _apply(recolour: sample_map.Recolour, sent: dict) -> dict:
    """``sent`` (a figure as JSON) recoloured by ``recolour`` as ``assets/recolour.js`` makes it
    in the page: each point's x, y and hover text moved to its sample's new place through the
    trace's sample rows (``customdata``), the rest as sent."""
    r = json.loads(to_json_plotly(recolour))
    trace = sent["data"][r["trace"]]
    at = {row: i for i, row in enumerate(trace["customdata"])}
    moved = [at[row] for row in r["order"]]
    for key in ("x", "y"):
        trace[key] = _array(trace[key])[moved].tolist()
    trace["text"] = [trace["text"][i] for i in moved]
    trace["customdata"] = r["order"]
    trace["selectedpoints"] = r["selectedpoints"]
    trace["name"], trace["hovertemplate"] = r["name"], r["hovertemplate"]
    marker = trace["marker"]
    marker["color"], marker["cmin"], marker["cmax"] = r["color"], r["cmin"], r["cmax"]
    marker["colorscale"] = r["colorscale"]
    marker["colorbar"]["title"]["text"] = r["colorbar_title"]
    return sent


def _check_order(context, trace: dict, value: str) -> np.ndarray:
    """The colour trace ``trace`` (as sent) draws the samples of ``value`` lowest first, each
    point at its sample's place, with its hover text and value; returns its sample rows."""
    values = sample_map.resolve_color(context, value).values.astype(np.float32)
    rows = np.asarray(trace["customdata"], dtype=int)
    assert sorted(rows.tolist()) == list(range(context.n_samples))  # every sample, once
    colours = _array(trace["marker"]["color"]).astype(np.float32)
    np.testing.assert_array_equal(colours, values[rows])  # each point's value is its sample's
    assert (np.diff(colours) >= 0).all()  # lowest first: the highest drawn on top
    coords = np.asarray(context.require_state().sample_embedding, dtype=np.float32)
    np.testing.assert_array_equal(_array(trace["x"]), coords[rows, 0])
    np.testing.assert_array_equal(_array(trace["y"]), coords[rows, 1])
    hover = sample_map.hover_text(context)
    assert list(trace["text"]) == [str(hover[r]) for r in rows]
    ids = np.asarray(context.sample_ids).astype(str)
    assert all(f"<b>{ids[r]}</b>" in t for r, t in zip(rows, trace["text"], strict=True))
    return rows


def test_value_order_is_lowest_first_ties_in_sample_order_nan_left_out():
    from dashboard.figure_samples import value_order

    values = np.array([3.0, np.nan, 1.0, 3.0, -np.inf, 2.0, 1.0, np.inf, np.nan])
    assert value_order(values).tolist() == [2, 6, 5, 0, 3]
    assert value_order(np.array([np.nan])).tolist() == []


def test_the_values_are_not_already_in_sample_order(context):
    """(What the tests below need to tell the orders apart.)"""
    for value in (FIRST, SECOND):
        v = sample_map.resolve_color(context, value).values
        assert np.isfinite(v).all() and (np.diff(v) < 0).sum() > 100
    first = np.argsort(sample_map.resolve_color(context, FIRST).values, kind="stable")
    second = np.argsort(sample_map.resolve_color(context, SECOND).values, kind="stable")
    assert (first != second).mean() > 0.5


@pytest.mark.parametrize("webgl", [True, False])  # the page's map, and a figure file's
def test_colour_trace_is_drawn_lowest_value_first(context, webgl):
    fig, kind = sample_map.build_sample_figure(context, FIRST, webgl=webgl)
    assert kind["kind"] == "continuous" and kind["all_finite"]
    trace = _sent(fig)["data"][figures.COLOR_TRACE]
    rows = _check_order(context, trace, FIRST)
    values = sample_map.resolve_color(context, FIRST).values
    assert values[rows[-1]] == pytest.approx(np.max(values), rel=1e-6)  # drawn last, on top


def test_missing_values_stay_grey_and_the_others_are_sorted():
    coords = np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)
    values = np.random.default_rng(2).normal(size=50).astype(np.float32)
    values[[3, 10, 40]] = np.nan
    text = [f"s{i}" for i in range(50)]
    fig = figures.sample_map_continuous(coords, values, text, "v")
    tr = fig.data[figures.COLOR_TRACE]
    assert (np.diff(np.asarray(tr.marker.color)) >= 0).all()
    rows = [int(t[1:]) for t in tr.text]
    np.testing.assert_array_equal(np.asarray(tr.marker.color), values[rows])
    np.testing.assert_array_equal(np.asarray(tr.x), coords[rows, 0])
    grey = fig.data[MISSING_TRACE]  # drawn first, under the values
    assert list(grey.text) == ["s3", "s10", "s40"]  # in sample order, as before


def test_a_recolour_puts_every_point_in_the_new_order(context):
    fig, kind, _ = sample_map.recolor(context, FIRST, (1, 99), None)
    recolour, kind2, _ = sample_map.recolor(context, SECOND, (1, 99), kind)
    assert isinstance(recolour, sample_map.Recolour) and kind2 == kind
    page = _apply(recolour, _sent(fig))
    trace = page["data"][figures.COLOR_TRACE]
    _check_order(context, trace, SECOND)
    # the same points as a new figure of that colouring
    new = _sent(sample_map.recolor(context, SECOND, (1, 99), None)[0])["data"][figures.COLOR_TRACE]
    for key in ("x", "y"):
        np.testing.assert_array_equal(_array(trace[key]), _array(new[key]))
    np.testing.assert_array_equal(
        _array(trace["marker"]["color"]).astype(np.float32),
        _array(new["marker"]["color"]).astype(np.float32),
    )
    assert trace["customdata"] == new["customdata"] and trace["text"] == new["text"]
    moved = {"x": trace["x"], "y": trace["y"], "selectedpoints": None}
    assert trace == {**new, **moved}  # nothing else differs either
    assert trace.get("selectedpoints") is None  # nothing selected


def test_a_recolour_sends_neither_the_points_nor_their_hover_text(context):
    """The page holds the hover text and the places of the points: a recolouring sends the
    new order and the colours, a small part of what a Patch of every per-point array sent."""
    fig, kind, _ = sample_map.recolor(context, FIRST, (1, 99), None)
    recolour, _, _ = sample_map.recolor(context, SECOND, (1, 99), kind)
    sent = to_json_plotly(recolour)
    trace = _sent(fig)["data"][figures.COLOR_TRACE]
    assert trace["text"][0] not in sent and "<b>" not in sent
    assert set(recolour) >= {"order", "color"} and not set(recolour) & {"x", "y", "text"}
    per_point = len(json.dumps({k: trace[k] for k in ("x", "y", "text", "customdata")}))
    per_point += len(json.dumps(trace["marker"]["color"]))
    assert len(sent) < per_point / 4, (len(sent), per_point)


def test_a_selection_survives_a_recolour(context):
    heart = np.flatnonzero(context.samples["tissue"].to_numpy() == "Heart").tolist()
    rows = sorted([*heart, 0, 519])
    fig, kind, _ = sample_map.recolor(context, FIRST, (1, 99), None, None, rows)
    before = _sent(fig)["data"][figures.COLOR_TRACE]
    assert sorted(before["customdata"][i] for i in before["selectedpoints"]) == rows
    recolour, _, _ = sample_map.recolor(context, SECOND, (1, 99), kind, None, rows)
    trace = _apply(recolour, _sent(fig))["data"][figures.COLOR_TRACE]
    order = _check_order(context, trace, SECOND)
    # the selected points are the same samples, now at their places in the new order
    assert sorted(int(order[i]) for i in trace["selectedpoints"]) == rows
    new = sample_map.recolor(context, SECOND, (1, 99), None, None, rows)[0]
    assert list(trace["selectedpoints"]) == list(new.data[figures.COLOR_TRACE].selectedpoints)
