"""Samples selected by a label of theirs (a tissue, or the category the map is coloured by):
a box around one heart chamber caught the other's neighbours, and one sex among a tissue's
samples could not be selected at all."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from dash import no_update

from dashboard import ids
from dashboard.layout import alert_id
from dashboard.selection import describe_selection, label_choices, select_by_label
from tests.dashboard.callback_post import post_callback


def _text(label) -> str:
    """An option's label as the box shows it (a component, or its JSON from the server)."""
    if isinstance(label, str):
        return label
    if isinstance(label, list):
        return "".join(_text(part) for part in label)
    if isinstance(label, dict):
        return _text(label.get("props", {}).get("children", ""))
    return _text(getattr(label, "children", ""))


def _shown(options) -> list[tuple[str, str, str]]:
    """(label text, value, search text) of each option."""
    return [(_text(o["label"]), o["value"], o.get("search")) for o in options]


def _rows(context, tissue: str) -> list[int]:
    return np.flatnonzero(context.samples["tissue"].to_numpy() == tissue).tolist()


def test_the_choices_are_the_tissues_counted_while_a_gene_colours_the_map(context):
    by_tissue, placeholder, disabled = label_choices(context, "ann:tissue")
    assert not disabled and placeholder == "select samples by tissue…"
    assert len(by_tissue) == 26
    # the box searches the name alone, not the count beside it ("60" chose "50-59 (5,460)")
    assert ("Heart (20)", "Heart", "Heart") in _shown(by_tissue)
    assert [o["value"] for o in by_tissue] == sorted(o["value"] for o in by_tissue)
    # a gene colours the map: the tissues still
    gene = f"obs:{context.gene_symbols[0]}"
    options, *rest = label_choices(context, gene)
    assert _shown(options) == _shown(by_tissue) and rest == [placeholder, False]


def test_the_samples_of_the_labels_chosen_are_selected(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    store, alert = select_by_label(context, ["Heart", "Muscle"], [], "ann:tissue", None)
    assert alert is None and store == {"rows": sorted(heart + muscle)}
    assert "drawn" not in store  # (the map is drawn again with it, as a link's)
    text, genes, *_ = describe_selection(context, store, "ann:tissue")
    assert text.startswith("40 samples selected (Heart 20, Muscle 20)") and genes
    # nothing chosen: nothing changes
    assert select_by_label(context, [], [], "ann:tissue", {"rows": heart}) == (no_update, None)


def test_only_among_those_selected_keeps_the_selected_samples_of_the_labels(context):
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    box = {"rows": heart[:5] + muscle[:7], "drawn": True, "reference": _rows(context, "Lung")}
    store, alert = select_by_label(context, ["Muscle"], ["within"], "ann:tissue", box)
    assert alert is None
    # the reference group kept stays
    assert store == {"rows": sorted(muscle[:7]), "reference": _rows(context, "Lung")}
    # none of them has the label: said, the selection stays
    store, alert = select_by_label(context, ["Liver"], ["within"], "ann:tissue", box)
    assert store is no_update
    assert "none of the 12 samples selected has the tissue Liver" in str(alert)
    # nothing selected to choose among: said
    store, alert = select_by_label(context, ["Liver"], ["within"], "ann:tissue", {"rows": []})
    assert store is no_update and "no samples are selected to choose among" in str(alert)


def test_a_label_no_sample_has_is_said(context):
    store, alert = select_by_label(context, ["Hart"], [], "ann:tissue", None)
    assert store is no_update and "no sample has the tissue 'Hart'" in str(alert)


def test_the_page_selects_and_clears_the_labels_chosen(app, context):
    values = {
        (ids.LABEL_SELECT_APPLY, "n_clicks"): 1,
        (ids.LABEL_SELECT, "value"): ["Liver"],
        (ids.LABEL_SELECT_WITHIN, "value"): [],
        (ids.COLOR_BY, "value"): "ann:tissue",
        (ids.SELECTION, "data"): {"rows": [0, 1]},
    }
    out = post_callback(app, alert_id("label") + ".children", values, "label-select-apply.n_clicks")
    assert out[ids.SELECTION]["data"] == {"rows": _rows(context, "Liver")}
    assert out[ids.LABEL_SELECT]["value"] == []
    assert ids.LABEL_SELECT_WITHIN not in out  # (not ticked: left as it is)
    # "only among those selected" is unticked once used: left ticked, the next choice was
    # quietly kept to the samples selected then
    values[(ids.LABEL_SELECT_WITHIN, "value")] = ["within"]
    values[(ids.SELECTION, "data")] = {"rows": _rows(context, "Liver")[:5] + [0]}
    out = post_callback(app, alert_id("label") + ".children", values, "label-select-apply.n_clicks")
    assert out[ids.SELECTION]["data"] == {"rows": _rows(context, "Liver")[:5]}
    assert out[ids.LABEL_SELECT_WITHIN]["value"] == []
    # the choices follow the colouring; a choice no longer offered is taken out
    values = {(ids.COLOR_BY, "value"): "ann:tissue", (ids.LABEL_SELECT, "value"): ["Liver", "x"]}
    out = post_callback(app, ids.LABEL_SELECT + ".options", values, "color-by.value")
    assert ("Liver (20)", "Liver", "Liver") in _shown(out[ids.LABEL_SELECT]["options"])
    assert out[ids.LABEL_SELECT]["value"] == ["Liver"]
    assert out[ids.LABEL_SELECT]["disabled"] is False
    # the button waits for a choice
    out = post_callback(
        app, ids.LABEL_SELECT_APPLY + ".disabled", {(ids.LABEL_SELECT, "value"): []},
        "label-select.value",
    )  # fmt: skip
    assert out[ids.LABEL_SELECT_APPLY]["disabled"] is True


def test_only_among_those_selected_is_disabled_with_the_box(app, monkeypatch):
    """With no category to choose among, the labels' box is disabled: "only among those
    selected" beside it could be ticked all the same, for nothing."""
    import dashboard.selection as selection

    values = {(ids.COLOR_BY, "value"): "ann:tissue", (ids.LABEL_SELECT, "value"): []}
    out = post_callback(app, ids.LABEL_SELECT + ".options", values, "color-by.value")
    (option,) = out[ids.LABEL_SELECT_WITHIN]["options"]
    assert option["disabled"] is False and option["value"] == "within"
    monkeypatch.setattr(selection, "label_choices", lambda *_: ([], "nothing to choose", True))
    out = post_callback(app, ids.LABEL_SELECT + ".options", values, "color-by.value")
    assert out[ids.LABEL_SELECT]["disabled"] is True
    (option,) = out[ids.LABEL_SELECT_WITHIN]["options"]
    assert option["disabled"] is True and option["label"] == "only among those selected"


def _annotated(columns: dict) -> SimpleNamespace:
    """A dataset's samples with these annotations alone (what the labels are read from)."""
    samples = pd.DataFrame(columns)
    return SimpleNamespace(
        samples=samples,
        annotation_columns=list(samples.columns),
        annotation_values=lambda c: samples[c],
        n_samples=len(samples),
    )


def test_the_choices_are_in_the_legends_order_numbers_by_their_value():
    # a batch numbered 1 to 12, and names in either case: a plain sort put 10 before 2
    batch = [float(b) for b in range(12, 0, -1)] + [np.nan]
    context = _annotated({"batch": batch, "site": ["b", "A", "c", "Zoo"] * 3 + ["apple"]})
    options, _, _ = label_choices(context, "ann:batch")
    values = [o["value"] for o in options]
    assert values == [str(b) for b in range(1, 13)] + ["unlabelled"]
    # the legend's order (dashboard.figures), for names too
    options, _, _ = label_choices(context, "ann:site")
    assert [o["value"] for o in options] == sorted(set(context.samples["site"]), key=str.lower)
    # a label chosen selects its samples, whatever its place
    store, _ = select_by_label(context, ["10"], [], "ann:batch", None)
    assert store == {"rows": [batch.index(10.0)]}


def test_a_dataset_of_continuous_annotations_alone_says_so():
    context = _annotated({"age": np.linspace(20, 79, 40), "score": np.arange(40.0)})
    options, placeholder, disabled = label_choices(context, "ann:age")
    assert options == [] and disabled
    assert "categories" in placeholder and "age, score: continuous" in placeholder
    # none at all
    bare = _annotated({})
    assert label_choices(bare, None) == ([], "no sample annotation to select samples by", True)


def test_none_of_several_labels_among_the_selected_is_said_with_or(context):
    box = {"rows": _rows(context, "Heart"), "drawn": True}
    store, alert = select_by_label(context, ["Liver", "Lung"], ["within"], "ann:tissue", box)
    assert store is no_update
    assert "has the tissue Liver or Lung: the selection stays" in str(alert)


def test_a_name_another_holds_comes_first():
    """The box lists what matches the text typed in the options' order: "male" typed, and
    Enter, chose "female"."""
    context = _annotated(
        {"sex": ["female"] * 3 + ["male"] * 2, "site": ["Colon - x", "Colon"] * 2 + ["B"]}
    )
    options, _, _ = label_choices(context, "ann:sex")
    assert _shown(options) == [("male (2)", "male", "male"), ("female (3)", "female", "female")]
    options, _, _ = label_choices(context, "ann:site")
    assert [o["value"] for o in options] == ["B", "Colon", "Colon - x"]


def test_samples_the_map_draws_unlabelled_are_one_choice_as_in_its_legend():
    """A blank, "nan" or "None" label is drawn grey and counted "unlabelled (4)" by the map's
    legend: the box listed " (1)", "nan (1)" and "unlabelled (1)" beside it, and "unlabelled"
    selected 1 of the 4 grey samples."""
    from dashboard.figure_samples import merge_categories
    from dashboard.sample_map import resolve_color

    site = ["Lung", "Liver", "", "Lung", " ", "nan", None]
    context = _annotated({"site": site})
    drawn, _, _ = merge_categories(resolve_color(context, "ann:site").values)
    grey = np.flatnonzero(drawn == "").tolist()
    options, _, _ = label_choices(context, "ann:site")
    assert _shown(options) == [
        ("Liver (1)", "Liver", "Liver"),
        ("Lung (2)", "Lung", "Lung"),
        (f"unlabelled ({len(grey)})", "unlabelled", "unlabelled"),
    ]
    store, alert = select_by_label(context, ["unlabelled"], [], "ann:site", None)
    assert alert is None and store == {"rows": grey}
    # the selection line counts them so too
    from dashboard.selection import group_counts

    assert group_counts(context, grey, "ann:site") == f" (site: unlabelled {len(grey)})"


def test_the_line_names_the_labels_only_where_there_are_some_to_choose():
    """A dataset without a categorical annotation: the box is disabled and says so, and the
    line said "or choose labels above" all the same."""
    for columns in ({}, {"age": np.linspace(20, 79, 40)}):
        context = _annotated(columns)
        assert label_choices(context, None)[2]  # the box disabled
        text = describe_selection(context, None, None)[0]
        assert text == "No selection: draw a lasso or box on the map.", text
    context = _annotated({"site": ["a", "b"] * 3})
    text = describe_selection(context, None, "ann:site")[0]
    assert text == "No selection: draw a lasso or box on the map, or choose labels above.", text
