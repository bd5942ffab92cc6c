"""The report at GTEx's scale: Figure 2's legend in opaque colours over translucent points, and
each section's time on the page (t-SNE and Table 1 took most of a 445-s report), said as read
from the result cache when it was."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.cli import main

FAST = ["--classifiers", "1-NN", "--splits", "2", "--fraction", "0.3"]


def _dense_map(n: int = 6000):
    rng = np.random.default_rng(0)
    labels = rng.choice(
        np.array(["Skin", "Muscle", "Testis", None], dtype=object), n, p=[0.5, 0.25, 0.05, 0.2]
    )
    xy = rng.normal(size=(n, 2))
    return {"fe": xy, "pca": xy[:, ::-1].copy()}, labels


def test_dense_map_legend_is_opaque_and_still_hides_its_points():
    """Above DENSE_SAMPLES the points are at 60% opacity; the legend took it, and GTEx's
    tissue colours there were too pale to match with the maps."""
    from core.report_figures import DENSE_SAMPLES, _fig_maps

    maps, labels = _dense_map(DENSE_SAMPLES + 1000)
    fig = _fig_maps(maps, labels, "SMTS")
    legend = sorted((t for t in fig.data if t.showlegend), key=lambda t: t.legendrank)
    points = [t for t in fig.data if not t.showlegend]
    # one entry per class, in the classes' order, unlabelled last
    assert [t.name for t in legend] == ["Muscle", "Skin", "Testis", "unlabelled"]
    assert all(t.marker.opacity is None or t.marker.opacity >= 0.99 for t in legend)
    # the points themselves stay small and translucent, each panel every class
    assert len(points) == 8
    assert all(t.marker.opacity is not None and t.marker.opacity <= 0.8 for t in points)
    # an entry draws nothing on the maps, and has its points' colour and symbol
    for entry in legend:
        assert all(x is None for x in entry.x)
        mine = [t for t in points if t.name == entry.name]
        assert len(mine) == 2
        for t in mine:
            assert (t.marker.color, t.marker.symbol) == (entry.marker.color, entry.marker.symbol)
            # one legend group: a click on the name hides the class on every panel (HTML)
            assert t.legendgroup == entry.legendgroup == entry.name
    assert fig.layout.legend.groupclick in (None, "togglegroup")


def test_no_legend_entries_beyond_the_legends_limit():
    from core.report_figures import MAX_LEGEND_CLASSES, _fig_maps

    labels = np.array([f"donor {i}" for i in range(MAX_LEGEND_CLASSES + 1)] * 2, dtype=object)
    maps = {"fe": np.random.default_rng(0).normal(size=(labels.size, 2))}
    fig = _fig_maps(maps, labels, "SUBJID")
    assert not any(t.showlegend for t in fig.data)
    assert all(len(t.x) and t.x[0] is not None for t in fig.data)  # no empty entries


def test_section_times_in_words():
    from core.report_sections import SectionTime, _cache_words, _section_times_text

    text = _section_times_text(
        [
            SectionTime("reading the model and data", 3.2),
            SectionTime(
                "the maps",
                230.4,
                parts=(
                    SectionTime("PCA", 0.2),
                    SectionTime("t-SNE", 162.0),
                    SectionTime("UMAP", 0.6, _cache_words(1, 1)),
                ),
            ),
            SectionTime("Table 1", 150.0, _cache_words(12, 30, "cells")),
            SectionTime("gene space", 1.0, _cache_words(1, 1, "gene correlations")),
        ]
    )
    assert text == (
        "reading the model and data 3 s; the maps 230 s, of which PCA under 1 s, t-SNE 162 s, "
        "UMAP 1 s (read from the result cache); Table 1 150 s (12 of 30 cells read from the "
        "result cache); gene space 1 s (its gene correlations read from the result cache)"
    )
    assert _cache_words(0, 30, "cells") == "" and _cache_words(0, 0) == ""


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A model of the simulated data (80 samples of 4 tissues x 300 genes), one epoch."""
    from core.estimator import FactorizedEmbeddings
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=80, n_genes=300, n_tissues=4, seed=0)
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0)
    return model.fit(es).save(tmp_path_factory.mktemp("models") / "sim")


def _times(page: str) -> str:
    found = re.search(r"<li>Time by section: (.*?)</li>", page)
    assert found, "no section times on the page"
    return found.group(1)


def test_report_states_each_sections_time_and_what_came_from_the_cache(
    small_model, tmp_path, monkeypatch
):
    # figures as interactive HTML (no browser to drive): seconds, not the test, per report
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-browser"))
    cache = str(tmp_path / "cache")
    argv = ["report", "--model", str(small_model), "--methods", "pca", "--no-go", *FAST]
    argv += ["--markers", "MYH7", "--k", "3", "--cache-dir", cache]
    assert main([*argv, "--out", str(tmp_path / "first")]) == 0
    first = _times((tmp_path / "first" / "index.html").read_text())
    seconds = r"(\d+ s|under 1 s)"
    for section in (
        "reading the model and data",
        "the maps",
        "Table 1",
        "markers",
        "gene space",
        "writing the figures and tables",
    ):
        assert re.search(rf"{section} {seconds}", first), (section, first)
    assert re.search(rf"the maps {seconds}, of which PCA {seconds}", first), first
    assert "cache" not in first  # all computed the first time
    # again with the same cache: the map, Table 1's cells and the correlations are read
    assert main([*argv, "--out", str(tmp_path / "again")]) == 0
    again = _times((tmp_path / "again" / "index.html").read_text())
    assert re.search(rf"PCA {seconds} \(read from the result cache\)", again), again
    assert re.search(rf"Table 1 {seconds} \(its cells read from the result cache\)", again)
    assert re.search(
        rf"gene space {seconds} \(its gene correlations read from the result cache\)", again
    ), again
    assert re.search(rf"markers {seconds};", again) and "markers under 1 s (" not in again
