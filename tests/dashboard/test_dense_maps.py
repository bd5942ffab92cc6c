"""Maps of many samples (GTEx: 16,877, 3,585 without a tissue): the drawing order of the sample
map and of the baseline maps, and their points' size and opacity."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard import figures, sample_map
from dashboard.figure_baselines import baselines_figure


def _dense_labels(rng: np.random.Generator) -> np.ndarray:
    """8,000 samples: a large tissue, a middling one, a small one, 1,500 unlabelled, mixed."""
    labels = np.array(
        ["Muscle"] * 4000 + ["Heart"] * 2000 + ["Adrenal"] * 500 + [None] * 1500, dtype=object
    )
    return labels[rng.permutation(len(labels))]


@pytest.fixture(scope="module")
def dense() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = _dense_labels(rng)
    return rng.normal(size=(len(labels), 2)).astype(np.float32), labels


def _legend_order(fig: go.Figure) -> list[str]:
    """Legend entries as plotly orders them: by legendrank (1000 unless set), then by trace."""
    shown = [(i, t) for i, t in enumerate(fig.data) if t.showlegend is not False and t.name]
    shown.sort(key=lambda it: (1000 if it[1].legendrank is None else it[1].legendrank, it[0]))
    return [t.name for _, t in shown if t.name != "probe grid"]


def _drawn(traces) -> list[str]:
    """Category of each trace, in the order they are drawn."""
    return [str(t.name).split(" (")[0] for t in _points(traces)]


def _points(traces) -> list:
    """The traces of samples: neither the probe grid nor a legend entry of a dense sample map
    (a trace of no point, opaque: figures.LEGEND_ENTRY)."""
    return [t for t in traces if t.name != "probe grid" and t.meta != figures.LEGEND_ENTRY]


def test_dense_sample_map_draws_unlabelled_first_then_largest_first(dense):
    """GTEx's grey unlabelled samples, drawn last, covered the tissues they lie among."""
    coords, labels = dense
    fig = figures.sample_map_categorical(coords, labels, ["s"] * len(labels), "tissue")
    assert _drawn(fig.data) == ["unlabelled", "Muscle", "Heart", "Adrenal"]
    # the legend keeps its order: categories in natural order, unlabelled last
    assert _legend_order(fig) == [
        "Adrenal (500)",
        "Heart (2,000)",
        "Muscle (4,000)",
        "unlabelled (1,500)",
    ]
    # the rows of each trace still are its category's (selection and click read them)
    sample_map._add_rows(fig, labels)
    for tr in _points(fig.data):
        got = {
            str(v) if v is not None else "unlabelled"
            for v in labels[np.asarray(tr.customdata, dtype=int)]
        }
        assert got == {_drawn([tr])[0]}


def test_dense_sample_map_points_are_small_and_translucent(dense):
    coords, labels = dense
    assert len(coords) > 5000  # figure_style.DENSE_SAMPLES
    fig = figures.sample_map_categorical(coords, labels, ["s"] * len(labels), "tissue")
    for tr in _points(fig.data):
        assert tr.marker.size <= 3.0
        assert tr.marker.opacity <= 0.65
    # a small map keeps its points as they were
    small = figures.sample_map_categorical(coords[:300], labels[:300], ["s"] * 300, "tissue")
    for tr in small.data[1:]:
        if not tr.name.startswith("unlabelled"):
            assert tr.marker.size >= 5.0 and tr.marker.opacity >= 0.8


def test_dense_baseline_maps_draw_unlabelled_first_and_keep_the_legend(dense):
    coords, labels = dense
    maps = {"FE": coords, "PCA": coords[:, ::-1]}
    fig = baselines_figure(maps, labels)
    points = _points(fig.data)  # (the legend's opaque entries drawn apart, no point)
    per_panel = len(points) // 2
    for panel in range(2):
        traces = points[panel * per_panel : (panel + 1) * per_panel]
        assert _drawn(traces) == ["unlabelled", "Muscle", "Heart", "Adrenal"]
        for tr in traces:
            assert tr.marker.size <= 3.0 and tr.marker.opacity <= 0.65
    assert _legend_order(fig) == [
        "Adrenal (500)",
        "Heart (2,000)",
        "Muscle (4,000)",
        "unlabelled (1,500)",
    ]
