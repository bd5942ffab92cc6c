"""A dense sample map (more than 5,000 samples) draws its points translucent, its legend
swatches fully opaque: plotly drew each swatch at its trace's marker opacity (0.6), and the
tissues' colours looked washed out in the legend."""

from __future__ import annotations

import numpy as np

from dashboard import sample_map
from dashboard.figure_samples import sample_map_categorical
from dashboard.figure_style import DENSE_OPACITY, DENSE_SAMPLES

_RNG = np.random.default_rng(5)


def _map(n: int):
    coords = _RNG.normal(size=(n, 2))
    labels = _RNG.choice(["Lung", "Liver", "Heart"], size=n).astype(object)
    labels[::50] = None  # some samples without a tissue
    return sample_map_categorical(coords, labels, [f"s{i}" for i in range(n)], "tissue"), labels


def _legend(fig) -> dict[str, dict]:
    """Each legend entry as plotly draws it: name -> the marker of the trace that shows it."""
    shown = [t for t in fig.data if t.showlegend is not False and t.name]
    names = [t.name for t in shown]
    assert len(names) == len(set(names)), names
    return {t.name: t for t in shown}


def _drawn(trace) -> bool:
    """Whether ``trace`` draws samples (a legend entry of its own draws none)."""
    return any(v is not None for v in trace.x)


def test_a_dense_maps_legend_swatches_are_opaque_and_its_points_translucent():
    n = DENSE_SAMPLES + 1000
    fig, labels = _map(n)
    points = [t for t in fig.data[1:] if _drawn(t)]
    # every sample drawn once, translucent
    assert sum(len(t.x) for t in points) == n
    assert {t.marker.opacity for t in points} == {DENSE_OPACITY}
    legend = _legend(fig)
    counts = {str(c): int((labels == c).sum()) for c in ("Heart", "Liver", "Lung")}
    expected = {f"{c} ({k:,})" for c, k in counts.items()}
    expected.add(f"unlabelled ({sum(v is None for v in labels):,})")
    assert set(legend) == expected
    for name, entry in legend.items():
        assert entry.marker.opacity == 1.0, name
        # drawn nowhere (no point, no hover), the same colour and size as its category's points,
        # and in its group: a click on it hides or shows them
        assert [v for v in entry.x if v is not None] == [] and entry.hoverinfo == "skip"
        (drawn,) = [t for t in points if t.name == name]
        assert entry.marker.color == drawn.marker.color and entry.marker.size == drawn.marker.size
        assert entry.legendgroup == drawn.legendgroup and entry.legendgroup
        assert entry.legendrank == drawn.legendrank
    assert all(t.showlegend is False for t in points)  # (each category's entry is apart)
    # the page's sample rows (selection, clicks): each point's own, none for a legend entry
    sample_map._add_rows(fig, labels)
    assert sorted(r for t in points for r in t.customdata) == list(range(n))
    assert all(t.customdata is None for t in legend.values())


def test_a_smaller_maps_categories_are_their_own_legend_entries():
    fig, _ = _map(DENSE_SAMPLES)
    assert all(_drawn(t) for t in fig.data[1:])
    for name, trace in _legend(fig).items():
        assert len(trace.x) > 0, name  # the category's own points
