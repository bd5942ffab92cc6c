"""The report's figures at GTEx's scale (16,877 samples, 27 tissues, 3,585 unlabelled):
readable maps and SVG files an editor can open."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") or os.environ.get("BROWSER_PATH")),
    reason="needs Chromium to render figures",
)


def _labelled_map(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.normal(size=(n, 2))
    labels = rng.choice(
        np.array(["Skin", "Muscle", "Testis", None], dtype=object), n, p=[0.5, 0.25, 0.05, 0.2]
    )
    return {"fe": xy, "pca": xy[:, ::-1].copy()}, labels


def test_unlabelled_drawn_under_the_classes_and_small_classes_on_top():
    from core.report_figures import _fig_maps

    maps, labels = _labelled_map(3000)
    fig = _fig_maps(maps, labels, "SMTS")
    panel = [t for t in fig.data if t.xaxis == "x"]
    # drawn first (under the others), the largest class next, the smallest last
    assert [t.name for t in panel] == ["unlabelled", "Skin", "Muscle", "Testis"]
    # the legend keeps the classes' names in order, unlabelled last
    legend = sorted((t for t in fig.data if t.showlegend), key=lambda t: t.legendrank)
    assert [t.name for t in legend] == ["Muscle", "Skin", "Testis", "unlabelled"]


def test_dense_maps_draw_smaller_translucent_points():
    from core.report_figures import _fig_maps, _fig_markers

    maps, labels = _labelled_map(12000)
    fig = _fig_maps(maps, labels, "SMTS")
    drawn = [t for t in fig.data if not t.showlegend]  # (the legend's symbols stay opaque)
    assert len(drawn) == 8
    assert all(t.marker.size <= 2 for t in drawn)
    assert all(t.marker.opacity is not None and t.marker.opacity <= 0.8 for t in drawn)
    import pandas as pd

    z = {"MYH7": np.random.default_rng(1).normal(size=12000)}
    smooth = pd.DataFrame({"fe": [0.9], "pca": [0.8]}, index=["MYH7"])
    assert all(t.marker.size <= 2 for t in _fig_markers(maps, z, smooth).data)
    # a few hundred samples keep their 3-px opaque points
    small, small_labels = _labelled_map(500)
    assert all(t.marker.size >= 3 for t in _fig_maps(small, small_labels, "SMTS").data)


@needs_chromium
def test_svg_of_many_points_has_them_as_one_image(tmp_path):
    from core.report_figures import _fig_maps, _write_static_figures

    maps, labels = _labelled_map(15000)  # 30,000 points on two panels
    written = _write_static_figures({"maps": _fig_maps(maps, labels, "SMTS")}, tmp_path)
    svg = (tmp_path / "maps.svg").read_text()
    size = (tmp_path / "maps.svg").stat().st_size
    # about 6 MB with one element per point; with them as an image, well under 2 MB
    assert size < 2_000_000, size
    assert svg.count('class="point"') == 0 and "<image" in svg
    assert "SMTS" in svg and "Skin" in svg  # the legend stays text
    assert int(written["maps"]["svg_points"]) == 30000
    # the PNG keeps every point drawn as before
    assert (tmp_path / "maps.png").stat().st_size > 10_000


@needs_chromium
def test_svg_without_webgl_keeps_its_points_as_vector(tmp_path, monkeypatch):
    """The points become an image through WebGL: a browser that draws none must not leave a
    figure without its points. Imitated by a figure whose points stay vector: its SVG has no
    image, so it is written as vector and not said to have its points as an image."""
    from core import report_figures
    from core.report_figures import _fig_maps, _write_static_figures

    monkeypatch.setattr(report_figures, "_points_as_image", lambda fig: fig)
    maps, labels = _labelled_map(11000)  # 22,000 points on two panels
    written = _write_static_figures({"maps": _fig_maps(maps, labels, "SMTS")}, tmp_path)
    svg = (tmp_path / "maps.svg").read_text()
    assert svg.count('class="point"') == 22000
    assert "svg_points" not in written["maps"]
