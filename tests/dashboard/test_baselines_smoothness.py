"""The baseline maps score a gene colouring's smoothness on each map (the paper's Figure 3
measure, :func:`core.analysis.gene_smoothness`): in each panel's title, what it is said over
the maps; each map's neighbours searched once, whatever the colourings after."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import gene_smoothness
from dashboard import baseline_maps, baselines, export
from dashboard.sample_map import resolve_color
from tests.dashboard.test_baselines_colouring import _gene, _shown_maps


def _titles(fig, n: int) -> list[str]:
    return [a.text for a in fig.layout.annotations][:n]


@pytest.mark.parametrize("kind", ["gene", "list"])
def test_each_panel_says_the_smoothness_of_the_shown_values(context, result, kind):
    gene = _gene(context)
    color = f"obs:{gene}" if kind == "gene" else f"list:{gene}, TBX5, FOXA2"
    fig, _ = baselines.baseline_view(context, result, color=color, clip=(5, 95))
    values = resolve_color(context, color).values
    maps = _shown_maps(context, result)
    scores = context.map_smoothness(maps, values)
    assert list(scores) == list(maps)
    for (name, coords), title in zip(maps.items(), _titles(fig, len(maps)), strict=True):
        expected = gene_smoothness(coords, values, k=15)[0]
        assert scores[name] == pytest.approx(expected, rel=1e-12, abs=1e-12), name
        assert title.startswith(name) and "1-NN tissue accuracy" in title
        assert f"smoothness {expected:.2f}" in title, title
    # the maps tell the gene apart: not every map scores alike, nor as shuffled values
    assert max(scores.values()) > 0.2
    said = fig.layout.title.text
    assert "k = 15 nearest samples on each map" in said and "shuffled" in said


def test_missing_values_score_as_gene_smoothness_scores_them(context, result):
    maps = _shown_maps(context, result)
    values = context.values[:, context.gene_index(_gene(context))].astype(np.float64)
    values[::5] = np.nan
    scores = context.map_smoothness(maps, values)
    for name, coords in maps.items():
        assert scores[name] == pytest.approx(gene_smoothness(coords, values)[0], rel=1e-12)


def test_a_gene_is_scored_and_an_annotation_is_not(context, result):
    n = len(_shown_maps(context, result))
    gene, _ = baselines.baseline_view(context, result, color=f"obs:{_gene(context)}")
    tissue, _ = baselines.baseline_view(context, result, color="ann:tissue")
    assert all("smoothness" in t for t in _titles(gene, n))
    assert not any("smoothness" in t for t in _titles(tissue, n))
    assert "smoothness" not in (tissue.layout.title.text or "")


def test_the_predicted_values_are_scored_as_the_observed_ones_and_both_are_said(context, result):
    gene = _gene(context)
    observed, _ = baselines.baseline_view(context, result, color=f"obs:{gene}")
    predicted, _ = baselines.baseline_view(context, result, color=f"pred:{gene}")
    n = len(_shown_maps(context, result))
    assert _titles(predicted, n) == _titles(observed, n)
    said = predicted.layout.title.text
    assert f"{gene}'s observed values" in said and "nearest samples on each map" in said


def test_each_maps_neighbours_are_searched_once(context, result, monkeypatch):
    searched = []
    search = baseline_maps.smoothness_neighbours

    def counted(coords, k):
        searched.append(coords.shape)
        return search(coords, k=k)

    monkeypatch.setattr(baseline_maps, "smoothness_neighbours", counted)
    monkeypatch.setattr(context, "_neighbour_memo", {}, raising=False)
    gene = _gene(context)
    for color in (f"obs:{gene}", f"list:{gene}, TBX5", f"res:{gene}"):
        fig = baselines.recolour_view(context, color, (1, 99), 0.25, [], None)
        assert "smoothness" in fig.layout.annotations[0].text
    # (the cached maps are read anew at each recolouring: kept by their coordinates)
    assert len(searched) == len(_shown_maps(context, result))


def test_the_exported_maps_say_their_smoothness(context, result, kept_figures):
    figs = kept_figures
    gene = _gene(context)
    export.export_figure(
        context, "baselines", "svg", "screen", {"color": f"obs:{gene}", "clip": (1, 99)}
    )
    (fig,) = figs
    n = len(_shown_maps(context, result))
    assert all("smoothness" in t for t in _titles(fig, n))
    assert "nearest samples on each map" in fig.layout.title.text


def test_each_measure_of_a_panel_is_a_line_of_its_own(context, result):
    # both on one line, a panel's title was wider than its map at 1024 px (cut at the figure's
    # left edge) and in a journal column (over the next panel's title)
    n = len(_shown_maps(context, result))
    fig, _ = baselines.baseline_view(context, result, color=f"obs:{_gene(context)}")
    for title in _titles(fig, n):
        name, accuracy, smoothness = title.split("<br>")
        assert "1-NN tissue accuracy" in accuracy and "smoothness" not in accuracy, title
        assert smoothness.startswith("<sup>smoothness "), title


def test_a_files_title_and_panel_titles_have_room_for_each_line(context, result):
    # the smoothness note is a line more of a file's title, and the smoothness a line more of
    # each panel's title: the top margin grows with both (it did not: the note lay over the
    # dataset line and the first row's panel titles)
    title = "The same samples in 5 maps<br>1-NN: tissue of the other samples"
    tissue, _ = baselines.baseline_view(context, result, title=title, color="ann:tissue")
    gene, _ = baselines.baseline_view(context, result, title=title, color=f"obs:{_gene(context)}")
    assert gene.layout.title.text.count("<br>") == tissue.layout.title.text.count("<br>") + 1
    panel = _titles(gene, 1)[0].count("<br>") - _titles(tissue, 1)[0].count("<br>")
    assert panel == 1
    grown = gene.layout.margin.t - tissue.layout.margin.t
    assert grown >= 14 + 13, (gene.layout.margin.t, tissue.layout.margin.t)
