"""The page's 1-NN scores of the maps drawn per class: the share of each tissue's labelled
samples (at least one of each, one left to test), as ``python -m core evaluate --stratify``.
2% of the 520 samples of 26 tissues is 10 samples at random (every map near 0.29), and 26 when
drawn per class."""

from __future__ import annotations

import numpy as np
import pytest
from dash import no_update

import core.analysis
from dashboard import baselines, export, figures, ids
from dashboard.baseline_maps import PER_CLASS_VALUE
from dashboard.figure_style import DENSE_OPACITY, DENSE_SAMPLES
from tests.dashboard.test_accuracy_share import scores_through_the_page

READY = {"ready": True}
ACCURACY_COLUMN = "1-NN accuracy"  # (dashboard.baseline_maps.ACCURACY_COLUMN)
ON = [PER_CLASS_VALUE]


def _header(columns: list[dict]) -> str:
    return next(c["name"] for c in columns if c["id"] == ACCURACY_COLUMN)


def _labels(context) -> np.ndarray:
    return context.samples[context.baseline_label()].to_numpy(dtype=object)


def test_per_class_scores_are_core_stratified_1nn_on_the_same_maps(context):
    """The model's map and each baseline map scored per class equal
    core.analysis.one_nn_accuracy(..., stratify=True) on the same map, and differ from the
    random draw of 10 samples."""
    labels = _labels(context)
    label = context.baseline_label()
    kw = dict(fraction=0.02, n_splits=context.ACCURACY_SPLITS, seed=0)
    model = context.model_accuracy(label, 0.02, per_class=True)
    want = core.analysis.one_nn_accuracy(
        context.state().sample_embedding, labels, stratify=True, **kw
    )
    assert model == pytest.approx({"mean": want.mean, "sd": want.sd})
    plain = context.model_accuracy(label, 0.02)
    assert plain["mean"] < model["mean"]  # (10 samples for 26 tissues: near the ceiling)
    result = context.compute_baselines()
    scored = context.baseline_accuracies(result, 0.02, per_class=True)
    assert set(scored) == {"PCA", "NMF", "t-SNE", "UMAP"}
    for name, acc in scored.items():
        coords = np.asarray(result["maps"][name])
        want = core.analysis.one_nn_accuracy(coords, labels, stratify=True, **kw)
        assert acc == pytest.approx({"mean": want.mean, "sd": want.sd}), name
    # and the page's table shows them (the model's map first)
    _, rows = baselines.baseline_view(context, result, fraction=0.02, per_class=True)
    assert {r["map"]: r[ACCURACY_COLUMN] for r in rows} == {
        "model": round(model["mean"], 3),
        **{k: round(v["mean"], 3) for k, v in scored.items()},
    }


def test_per_class_scores_are_cached_apart_and_the_earlier_keys_stay(context, monkeypatch):
    """A per-class score is never read as the random draw's: its cache key differs; the
    random draw's key is the one it had before the choice came (no new part)."""
    keys: list[tuple] = []
    key = context.results.key

    def recorded(*parts):
        keys.append(parts)
        return key(*parts)

    monkeypatch.setattr(context.results, "key", recorded)
    label = context.baseline_label()
    result = context.compute_baselines()
    for per_class in (False, True):
        context.model_accuracy(label, 0.05, per_class=per_class)
        context.baseline_accuracies(result, 0.05, per_class=per_class)
    model = [k for k in keys if k[0] == "dashboard-model-1nn"]
    maps = [k for k in keys if k[0] == "dashboard-baselines-1nn"]
    assert len(model) == len(maps) == 2
    for plain, each in (model, maps):
        assert plain != each and key(*plain) != key(*each)
        assert "per-class" not in plain and each[: len(plain)] == plain


def test_the_page_says_the_per_class_draw_in_its_header_note_and_options(context):
    """Ticked, the table's header says "from 2% of each tissue", the note how many samples
    it draws (one of each of the 26 tissues: 26), the options their counts per class."""
    out = baselines.share_view(context, 0.02, READY, None, ids.BASELINES_PER_CLASS, ON)
    columns, note = out[5], out[6]
    assert _header(columns) == "1-NN accuracy (from 2% of each tissue)"
    n_each = int(
        core.analysis.stratified_sizes(
            core.analysis.label_codes(_labels(context), context.n_samples)[0], 0.02
        ).sum()
    )
    assert n_each == 26
    assert "2% of each tissue's labelled samples" in note
    assert f"({n_each} of 520 labelled samples, 26 classes)" in note
    assert "cannot cover" not in note
    rows = {r["map"]: r[ACCURACY_COLUMN] for r in out[1]}
    assert max(rows.values()) > 0.4  # (above the ceiling of 10 samples, 0.38)
    # unticked: the header and note of the random draw, whose ceiling note suggests the
    # per-class draw and what it would draw
    off = baselines.share_view(context, 0.02, READY, None, ids.BASELINES_PER_CLASS, [])
    assert _header(off[5]) == "1-NN accuracy (2% labelled)"
    assert "cannot cover the 26 classes" in off[6]
    assert "and so does “per class: at least one of each tissue” (26 samples" in off[6]
    # the shares offered count the draw per class
    options = baselines.share_options_view(context, ON, None)
    assert options[0]["label"] == "2% of each (26 samples)"
    plain = baselines.share_options_view(context, [], None)
    assert plain[0]["label"] == "2% (10 samples; the paper's Table 1)"


def test_the_exported_baseline_maps_say_the_per_class_draw(context):
    title = export.baselines_title(context, 5, "SMTS", 0.02, per_class=True)
    assert "2% of each tissue (at least one)" in title
    assert "of each" not in export.baselines_title(context, 5, "SMTS", 0.02)


def test_a_link_holds_the_per_class_draw_and_reads_it_back(context):
    """``perclass=1`` in the share link, read back by the page; a link without it (made before
    the choice) leaves the box as it is; a wrong value is said."""
    query = export.view_query(
        None, None, None, None, labelled=0.15, default_labelled=0.1, per_class=ON
    )
    assert "perclass=1" in query and "labelled=0.15" in query
    # (the default share is left out of the link; the per-class draw is not)
    alone = export.view_query(
        None, None, None, None, labelled=0.1, default_labelled=0.1, per_class=ON
    )
    assert alone == "?perclass=1"
    assert "perclass" not in export.view_query(None, None, None, None, per_class=[])
    assert export.view_settings(context, query)[2] is None  # (a part of the page's links)
    assert baselines.link_per_class(query) == (ON, no_update)
    share, options, warning = baselines.link_share(context, query)
    assert share == pytest.approx(0.15) and warning is no_update
    assert options[0]["label"] == "2% of each (26 samples)"  # (the link's draw counted)
    assert baselines.link_per_class(alone) == (ON, no_update)
    assert baselines.link_per_class("?perclass=0") == ([], no_update)
    # a link made before the choice leaves the box as it is (unticked at first)
    assert baselines.link_per_class("?labelled=0.05") == (no_update, no_update)
    assert "of each" not in baselines.link_share(context, "?labelled=0.05")[1][0]["label"]
    value, warning = baselines.link_per_class("?perclass=yes")
    assert value == [] and "link: perclass='yes' is not 1 or 0" in str(warning.children)
    # the shares' counts follow the box, and a link's own share stays offered
    offered = baselines.share_options_view(context, ON, None, 0.15)
    assert [o["value"] for o in offered] == [o["value"] for o in options]
    assert 0.15 in [o["value"] for o in offered]


def test_dense_baseline_maps_have_opaque_legend_entries_apart(context):
    """Above DENSE_SAMPLES the points are at 0.6 opacity, and the legend swatches took it."""
    rng = np.random.default_rng(3)
    n = DENSE_SAMPLES + 500
    labels = rng.choice(["Lung", "Liver", "Heart"], size=n).astype(object)
    labels[::40] = None
    coords = rng.normal(size=(n, 2))
    fig = figures.baselines_figure({"FE": coords, "PCA": coords[:, ::-1]}, labels)
    entries = [t for t in fig.data if t.meta == figures.LEGEND_ENTRY]
    points = [t for t in fig.data if t.meta != figures.LEGEND_ENTRY]
    assert {t.marker.opacity for t in points} == {DENSE_OPACITY}
    assert sum(len(t.x) for t in points) == 2 * n  # every sample on each map, none in entries
    assert all(t.showlegend is False for t in points)
    shown = [t for t in fig.data if t.showlegend is not False]
    assert shown == entries and len(entries) == 4  # three tissues and the unlabelled
    for entry in entries:
        assert entry.marker.opacity == 1.0 and entry.hoverinfo == "skip"
        assert [v for v in entry.x if v is not None] == []
        first = next(t for t in points if t.name == entry.name)  # (the first map's)
        assert entry.legendgroup == first.legendgroup and entry.legendrank == first.legendrank
        assert entry.marker.color == first.marker.color
    # a file keeps one legend entry per category
    out = figures.for_export(fig, 1000, 700, 700)
    assert sorted(t.name for t in out.data if t.showlegend is not False) == sorted(
        t.name for t in entries
    )


def test_the_page_callback_scores_per_class_when_the_box_is_ticked(context, sepira_es):
    """Through the app's own callback (as the page sends it): ticking the box changes the
    header, the rows and the note."""
    response = scores_through_the_page(context, sepira_es, 0.02, ON, ids.BASELINES_PER_CLASS)
    header = _header(response[ids.BASELINES_TABLE]["columns"])
    assert header == "1-NN accuracy (from 2% of each tissue)"
    assert "(26 of 520 labelled samples, 26 classes)" in response[ids.BASELINES_NOTE]["children"]
    rows = {r["map"]: r[ACCURACY_COLUMN] for r in response[ids.BASELINES_TABLE]["data"]}
    want = context.baseline_accuracies(context.cached_baselines(), 0.02, per_class=True)
    assert rows["t-SNE"] == round(want["t-SNE"]["mean"], 3)
