"""The share of labelled samples the baseline maps' 1-NN accuracy learns from: chosen on the
page, started where it measures something, scored again for each share without computing the
maps again, and said wrongly in a link."""

from __future__ import annotations

import numpy as np
import pytest
from dash import dcc, no_update

from dashboard import baselines, export, ids
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.layout import build_layout
from tests.dashboard.layout_tree import components

READY = {"ready": True}
ACCURACY_COLUMN = "1-NN accuracy"  # (dashboard.baseline_maps.ACCURACY_COLUMN)


def _share_control(page) -> dcc.Dropdown:
    return next(c for c in components(page) if getattr(c, "id", None) == ids.BASELINES_SHARE)


def _header(columns: list[dict]) -> str:
    return next(c["name"] for c in columns if c["id"] == ACCURACY_COLUMN)


def test_26_tissues_of_20_samples_start_at_10_percent_and_say_why(context):
    """2% of 520 samples is 10 labelled samples for 26 tissues: every map scored near the
    ceiling of 0.38, and the note said to compare the maps with each other."""
    assert context.default_accuracy_fraction() == pytest.approx(0.10)
    page = build_layout(context)
    control = _share_control(page)
    assert control.value == pytest.approx(0.10)
    offered = [o["value"] for o in control.options]
    assert offered == pytest.approx([0.02, 0.05, 0.10, 0.25, 0.50])
    assert "the paper's Table 1" in control.options[0]["label"]
    assert "52 samples" in control.options[2]["label"]
    table = next(c for c in components(page) if getattr(c, "id", None) == ids.BASELINES_TABLE)
    assert _header(table.columns) == "1-NN accuracy (10% labelled)"
    note = context.accuracy_note()
    assert note in str(page)
    assert "10% of 520 labelled samples (52 samples)" in note
    assert "the paper's 2% (Table 1) would give 10 labelled samples for 26 classes" in note
    # 52 samples cover the 26 classes: no ceiling, and no advice to compare at one
    assert "cannot cover" not in note and "compare the maps" not in note
    # what the maps are computed of and with (the panel said neither)
    assert "The maps are of all 467 genes of the data, their values as loaded" in note
    assert "t-SNE of perplexity 30, UMAP of 15 neighbours, seed 0" in note


def test_the_maps_note_says_the_genes_of_the_maps_and_of_the_model(context):
    """The model's line said "trained on 460 of the 467 genes" and the maps' note "the 467
    genes": the maps are of all 467, and the note says which genes the model left out."""
    from dashboard.status import model_summary

    assert "trained on 460 of the 467 genes" in model_summary(context.state().info)
    note = context.accuracy_note()
    assert "The maps are of all 467 genes of the data" in note, note
    assert (
        "The model was trained on 460 of them: the 7 genes 0 in every sample left out "
        "(MIR4692, MIR1233-1, MIR3132, MIR3135B, MIR876, MIR4283-1, MIR4515), which alter no "
        "distance between samples." in note
    ), note


def test_the_maps_note_says_nothing_of_a_model_of_every_gene(tmp_path):
    """No gene left out (nor a model yet): no word of the model's genes."""
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=120, n_genes=300, n_tissues=3, seed=0)
    cfg = DashboardConfig(
        cache_dir=tmp_path, settings=ModelSettings(gene_dim=4, standin=True), gene_layout="pca"
    )
    small = AppContext(es, cfg)
    assert small.model_genes_words() == ""  # (training)
    small.train()
    assert small.state().info["n_model_genes"] == 300
    assert small.model_genes_words() == ""
    assert "The maps are of all 300 genes of the data" in small.accuracy_note()


def test_the_paper_share_stays_where_it_draws_a_sample_per_class(tmp_path):
    """A large set (3,000 samples of 26 tissues): 2% draws 60 samples, the paper's protocol."""
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=3000, n_genes=300, n_tissues=26, seed=0)
    cfg = DashboardConfig(
        cache_dir=tmp_path, settings=ModelSettings(gene_dim=4, standin=True), gene_layout="pca"
    )
    large = AppContext(es, cfg)
    label, n_labelled, n_classes = large.accuracy_counts()
    assert n_labelled == 3000 and n_classes == 26
    assert large.default_accuracy_fraction() == pytest.approx(0.02)
    note = large.accuracy_note()
    # (simulated data: the note says so first)
    start = "SIMULATED data (the demo), not the paper's GTEx: 1-NN accuracy from 2% of 3,000"
    assert note.startswith(f"{start} labelled samples (60 samples)"), note
    assert "as in the paper's Table 1" in note and "cannot cover" not in note


def test_changing_the_share_scores_the_maps_again_without_computing_them(context, monkeypatch):
    """The table and the panel titles follow the share chosen; the maps are the cached ones."""
    import core.analysis

    job = context.compute_baselines()
    assert job["fraction"] == pytest.approx(0.10)  # the job scores the page's first share

    def no_maps(*args, **kwargs):
        raise AssertionError("the maps were computed again")

    monkeypatch.setattr(core.analysis, "baseline_embeddings", no_maps)
    rows, titles, headers, notes = {}, {}, {}, {}
    for share in (0.02, 0.25, 0.10):
        out = baselines.share_view(context, share, READY, None, ids.BASELINES_SHARE)
        fig, table, columns, note = out[0], out[1], out[5], out[6]
        rows[share] = {r["map"]: r[ACCURACY_COLUMN] for r in table}
        titles[share] = [a.text for a in fig.layout.annotations]
        headers[share], notes[share] = _header(columns), note
    assert set(rows[0.25]) == {"model", "PCA", "NMF", "t-SNE", "UMAP"}
    # t-SNE from 10 labelled samples sits at the ceiling (0.29 measured), from 130 it is 0.94
    assert rows[0.02]["t-SNE"] < 0.4 < 0.8 < rows[0.25]["t-SNE"]
    assert rows[0.25]["model"] > rows[0.02]["model"]
    assert headers == {
        0.02: "1-NN accuracy (2% labelled)",
        0.25: "1-NN accuracy (25% labelled)",
        0.10: "1-NN accuracy (10% labelled)",
    }
    assert f"{rows[0.25]['t-SNE']:.2f}" in next(t for t in titles[0.25] if t.startswith("t-SNE"))
    assert "cannot cover the 26 classes" in notes[0.02] and "0.38" in notes[0.02]
    assert "10% or more tells the maps apart" in notes[0.02]  # (not "compare the maps")
    assert "as chosen" in notes[0.25] and "the page starts at 10%" in notes[0.25]
    # the job's own scores (10%) are the ones shown for 10%
    assert rows[0.10]["PCA"] == round(job["accuracy"]["PCA"]["mean"], 3)
    # the model becoming ready: the header and note are already the share's
    out = baselines.share_view(context, 0.25, READY, None, ids.MODEL_STATUS)
    assert out[5] is no_update and out[6] is no_update


def test_scores_of_one_share_are_never_shown_as_anothers(context):
    """Scores cached with the maps were computed from one share (2% in results cached before
    the share could be chosen): shown for that share only."""
    rng = np.random.default_rng(1)
    result = {  # as cached before: no "fraction", scored from 2%
        "maps": {"PCA": rng.normal(size=(520, 2)).astype(np.float32)},
        "accuracy": {"PCA": {"mean": 0.99, "sd": 0.0}},
        "label": "tissue",
    }
    assert context.baseline_accuracies(result, 0.02)["PCA"]["mean"] == 0.99
    at_quarter = context.baseline_accuracies(result, 0.25)["PCA"]["mean"]
    assert at_quarter < 0.2  # random points: about 1/26, not the 0.99 cached for 2%
    assert context.baseline_accuracies(result, 0.25)["PCA"]["mean"] == at_quarter  # cached
    _, rows = baselines.baseline_view(context, result, fraction=0.5)
    assert next(r for r in rows if r["map"] == "PCA")[ACCURACY_COLUMN] < 0.2
    right = context.model_accuracy("tissue", 0.5)
    assert next(r for r in rows if r["map"] == "model")[ACCURACY_COLUMN] == round(right["mean"], 3)
    assert right != context.model_accuracy("tissue", 0.02)


@pytest.mark.parametrize("text", ["abc", "1.5", "0", "-0.1", "1", "nan", "inf", "150%"])
def test_a_link_share_that_is_not_a_share_is_said_and_the_default_used(context, text):
    value, options, message = baselines.link_share(context, f"?labelled={text}")
    assert value == pytest.approx(0.10) and options is no_update
    said = str(message.children)
    assert said.startswith(f"link: labelled='{text}' is not a")
    assert "the default, 10%, is used" in said and message.className == "alert alert-warning"
    # the page's callback reads a bad value as the default, without a traceback
    out = baselines.share_view(context, text, None, None, ids.BASELINES_SHARE)
    assert _header(out[5]) == "1-NN accuracy (10% labelled)"


def test_a_link_holds_the_share_chosen(context):
    assert baselines.link_share(context, "?color=ann:tissue") == (no_update,) * 3
    value, options, message = baselines.link_share(context, "?labelled=25%")
    assert value == pytest.approx(0.25) and message is no_update
    value, options, _ = baselines.link_share(context, "?labelled=0.15")  # not a choice offered
    assert value == pytest.approx(0.15) and 0.15 in [o["value"] for o in options]
    query = export.view_query(None, None, None, None, labelled=0.25, default_labelled=0.1)
    assert "labelled=0.25" in query
    assert "labelled" not in export.view_query(
        None, None, None, None, labelled=0.1, default_labelled=0.1
    )
    # the page's own links are not said to hold an unknown part
    assert export.view_settings(context, "?labelled=0.25")[2] is None


def test_the_exported_baseline_maps_are_scored_from_the_share_chosen(context, kept_figures):
    figs = kept_figures
    context.compute_baselines()
    export.export_figure(context, "baselines", "svg", "screen", {"labelled": 0.25})
    export.export_figure(context, "baselines", "svg", "screen", {})
    quarter, default = figs
    assert "nearest of 25% labelled ones" in quarter.layout.title.text
    assert "nearest of 10% labelled ones" in default.layout.title.text
    _, rows = baselines.baseline_view(context, context.cached_baselines(), fraction=0.25)
    tsne = next(r for r in rows if r["map"] == "t-SNE")[ACCURACY_COLUMN]
    texts = [a.text for a in quarter.layout.annotations if str(a.text).startswith("t-SNE")]
    assert f"{tsne:.2f}" in texts[0]


def scores_through_the_page(context, sepira_es, share, per_class, changed) -> dict:
    """The response of the app's own callback of the maps' scores (as the page sends it) to
    the share ``share`` and the per-class box's value ``per_class``, ``changed`` being the
    control's id that changed: output id -> property -> value."""
    from dashboard.factory import create_app

    context.compute_baselines()
    app = create_app(sepira_es, context.config)  # (the same cache: the maps are found there)
    key = next(k for k in app.callback_map if f"{ids.BASELINES_TABLE}.columns" in k)
    outputs = [
        {"id": i, "property": p}
        for i, p in (
            (ids.BASELINES_GRAPH, "figure"),
            (ids.BASELINES_TABLE, "data"),
            (ids.BASELINES_PROGRESS, "children"),
            (ids.BASELINES_POLL, "disabled"),
            (ids.BASELINES_BUTTON, "disabled"),
            (ids.BASELINES_TABLE, "columns"),
            (ids.BASELINES_NOTE, "children"),
            (ids.BASELINES_SHARE, "disabled"),
            (ids.BASELINES_PER_CLASS, "options"),
        )
    ]
    body = {
        "output": key,
        "outputs": outputs,
        "inputs": [
            {"id": ids.MODEL_STATUS, "property": "data", "value": READY},
            {"id": ids.BASELINES_SHARE, "property": "value", "value": share},
            {"id": ids.BASELINES_PER_CLASS, "property": "value", "value": per_class},
        ],
        "state": [
            {"id": ids.BASELINES_RUNNING, "property": "data", "value": False},
            # the sample map's colouring, which colours the maps (none: by the tissue)
            {"id": ids.COLOR_BY, "property": "value", "value": None},
            {"id": ids.CLIP, "property": "value", "value": None},
        ],
        "changedPropIds": [f"{changed}.value"],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_json()["response"]


def test_the_page_scores_the_maps_again_when_the_share_changes(context, sepira_es):
    """Through the app's own callback (as the page sends it): the header, the rows and the
    note follow the share chosen."""
    response = scores_through_the_page(context, sepira_es, 0.5, [], ids.BASELINES_SHARE)
    assert _header(response[ids.BASELINES_TABLE]["columns"]) == "1-NN accuracy (50% labelled)"
    rows = {r["map"]: r[ACCURACY_COLUMN] for r in response[ids.BASELINES_TABLE]["data"]}
    assert rows["t-SNE"] > 0.9  # 0.97 measured from 260 labelled samples
    assert "50% of 520 labelled samples (260 samples), as chosen" in str(
        response[ids.BASELINES_NOTE]["children"]
    )


def test_the_classes_are_counted_once_for_the_links(context, monkeypatch):
    """The link's callback asks for the default share at every change of the view; counting
    the classes of every annotation each time took 26 ms on 17,382 samples."""
    first = context.default_accuracy_fraction()
    calls = []
    counting = type(context)._label_classes
    monkeypatch.setattr(
        type(context), "_label_classes", lambda self, c: calls.append(c) or counting(self, c)
    )
    assert [context.default_accuracy_fraction() for _ in range(3)] == [first] * 3
    assert calls == []
    # another samples' table is counted anew
    monkeypatch.setattr(context, "samples", context.samples.copy())
    assert context.default_accuracy_fraction() == first and calls
