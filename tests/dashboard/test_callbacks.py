"""Callback functions called directly (no browser): colouring, linking, selection, probe, links."""

from __future__ import annotations

import base64
import os
import time
import zlib
from urllib.parse import parse_qs

import numpy as np
import plotly.graph_objects as go
import pytest
from dash import no_update

from core.errors import DataError
from dashboard import export, figures, ids, sample_map, selection
from dashboard.gene_space import build_gene_figure, gene_color_options, neighbor_tables
from dashboard.layout import build_layout
from dashboard.render import ImageRenderer, browser_path
from tests.dashboard.layout_tree import components


def _text(alert) -> str:
    return "" if alert is None else str(alert.children)


def test_colour_by_annotation_then_gene_uses_patch(context):
    fig, kind, alert = sample_map.recolor(context, "ann:tissue", (1, 99), None)
    assert alert is None and isinstance(fig, go.Figure)
    assert kind["kind"] == "categorical"
    assert len(fig.data) == 1 + 26  # probe grid + one trace per tissue
    fig2, kind2, _ = sample_map.recolor(context, "obs:GATA4", (1, 99), kind)
    assert isinstance(fig2, go.Figure)  # categorical -> continuous: new figure
    title = fig2.data[figures.COLOR_TRACE].marker.colorbar.title.text
    assert title.startswith(
        "GATA4 (observed, as in the file)<br><sup>clipped at percentiles 1–99 of values "
    )
    # continuous -> continuous: a recolouring of the colour trace, made in the page (timed in
    # benchmarks/dashboard_speed)
    recolour, kind3, _ = sample_map.recolor(context, "res:TBX5", (1, 99), kind2)
    assert isinstance(recolour, sample_map.Recolour) and kind3 == kind2
    assert "clipped at percentiles 1–99" in recolour["colorbar_title"]


def test_unknown_gene_gives_alert_not_error(context):
    fig, kind, alert = sample_map.recolor(context, "obs:NOTAGENE", (1, 99), None)
    assert fig is no_update and kind is no_update
    assert "unknown gene 'NOTAGENE'" in _text(alert)
    fig, _, alert = sample_map.recolor(context, "weird", (1, 99), None)
    assert fig is no_update and "unknown colouring" in _text(alert)
    # a link typed by hand (gene:XIST) is told the forms a colouring takes
    fig, _, alert = sample_map.recolor(context, "gene:XIST", (1, 99), None)
    assert fig is no_update and "'gene:XIST'" in _text(alert)
    assert "obs:GENE" in _text(alert) and "?gene=GENE" in _text(alert)


def test_colour_options_follow_search(context):
    opts = sample_map.color_options(context, "GATA4", None)
    values = [o["value"] for o in opts]
    assert {"obs:GATA4", "pred:GATA4", "res:GATA4"} <= set(values)
    assert "ann:tissue" in values
    # no preset has a gene in this dataset (no KRT*, MYH6, CD8B, XIST): none is offered
    assert not any(v.startswith("set:") for v in values)
    # the current value is always offered (else the dropdown would drop it)
    assert "list:GATA4,TBX5" in [
        o["value"] for o in sample_map.color_options(context, "", "list:GATA4,TBX5")
    ]


def test_gene_set_presets_and_lists(context):
    spec = sample_map.resolve_color(context, "list:GATA4,TBX5,NKX2-5")
    assert spec.kind == "continuous" and spec.diverging
    assert spec.values.shape == (520,)
    assert (
        sample_map.option_for(context, "list:GATA4,TBX5")["label"] == "gene list (2): GATA4, TBX5"
    )
    # a pattern names the genes it stands for (it read "gene list (1): GATA*")
    gata = sorted(str(s) for s in context.gene_symbols if str(s).startswith("GATA"))
    label = sample_map.option_for(context, "list:GATA*")["label"]
    assert label.startswith(f"gene list GATA* ({len(gata)} genes): ") and len(gata) >= 2
    assert set(label.split(": ", 1)[1].split(", ")) == set(gata)


def test_click_in_gene_map_recolours_and_focuses(context):
    click = {"points": [{"x": 0, "y": 0, "customdata": "TBX5"}]}
    color, search, focus, alert = sample_map.sync_focus(
        context, ids.GENE_MAP, None, click, None, "res:GATA4", None
    )
    assert (color, search, focus, alert) == ("res:TBX5", "TBX5", "TBX5", None)  # keeps the mode


def test_choosing_a_gene_in_color_by_focuses_gene_space(context):
    color, search, focus, _ = sample_map.sync_focus(
        context, ids.COLOR_BY, None, None, None, "obs:gata4", None
    )
    assert color is no_update and search == "GATA4" and focus == "GATA4"


def test_a_link_names_its_gene_as_the_page_does(context):
    """``color=res:ENSG...`` or ``color=obs:gata4`` in a link stayed as typed: an option of its
    own, and the gene in focus an id ("among ENSG00000136574 and its 15 neighbours")."""
    j = context.gene_index("GATA4")
    gene_id = str(context.gene_ids[j]).split(".")[0]
    for typed in (f"res:{gene_id}", "res:gata4"):
        color, search, focus, alert = sample_map.sync_focus(
            context, ids.URL, f"?color={typed}", None, None, None, None
        )
        assert (color, search, focus, alert) == ("res:GATA4", "GATA4", "GATA4", None)
    # a preset under its former name still opens, under its current one
    assert sample_map.canonical_color(context, "set:Keratins (KRT*)") == (
        "set:Keratins (KRT + a number)"
    )
    assert sample_map.canonical_color(context, "ann:tissue") == "ann:tissue"


def test_sync_all_sets_values_with_options(context):
    out = sample_map.sync_all(
        context, f"{ids.GENE_SEARCH}.value", None, None, "tbx5", "ann:tissue", None, None, None
    )
    color, color_opts, gene, gene_opts, focus, alert = out
    assert color == "obs:TBX5" and focus == "TBX5"
    assert color in [o["value"] for o in color_opts]
    assert gene in [o["value"] for o in gene_opts]
    # typing in a dropdown changes only the options
    out = sample_map.sync_all(
        context, f"{ids.COLOR_BY}.search_value", None, None, None, "ann:tissue", None, "NKX", None
    )
    assert out[0] is no_update and out[4] is no_update
    assert any(o["value"] == "obs:NKX2-1" for o in out[1])


def test_gene_list_input_errors(context):
    color, _, _, alert = sample_map.sync_focus(
        context, ids.GENE_LIST_APPLY, None, None, None, None, "GATA4, NOPE1, TBX5"
    )
    assert color == "list:GATA4, TBX5" and "NOPE1" in _text(alert)
    color, _, _, alert = sample_map.sync_focus(
        context, ids.GENE_LIST_APPLY, None, None, None, None, "NOPE1 NOPE2"
    )
    assert color is no_update and "none of the listed genes" in _text(alert)
    color, _, _, alert = sample_map.sync_focus(
        context, ids.GENE_LIST_APPLY, None, None, None, None, "GATA4; DROP TABLE;--"
    )
    assert color is no_update and "not gene symbols" in _text(alert)


def test_link_restores_view_and_reports_bad_parts(context):
    color, search, focus, alert = sample_map.sync_focus(
        context, ids.URL, "?color=pred:GATA4&gene=TBX5", None, None, None, None
    )
    assert (color, search, focus, alert) == ("pred:GATA4", "TBX5", "TBX5", None)
    color, _, _, alert = sample_map.sync_focus(
        context, ids.URL, "?color=obs:NOPE", None, None, None, None
    )
    assert color == "ann:tissue" and "NOPE" in _text(alert)
    # the page's own link to a gene not here (colour and focus both name it): said once
    color, _, focus, alert = sample_map.sync_focus(
        context, ids.URL, "?color=obs:MYH6&gene=MYH6", None, None, None, None
    )
    assert color == "ann:tissue" and focus is None
    assert _text(alert).count("unknown gene 'MYH6'") == 1


def test_a_link_naming_only_a_gene_colours_the_samples_by_it(context):
    """``?gene=GATA4`` focused GATA4 and left the samples coloured by tissue, while choosing
    GATA4 in "Find a gene" colours them by it; a link's own colouring still wins."""
    color, search, focus, alert = sample_map.sync_focus(
        context, ids.URL, "?gene=gata4", None, None, "ann:tissue", None
    )
    assert (color, search, focus, alert) == ("obs:GATA4", "GATA4", "GATA4", None)
    color, *_ = sample_map.sync_focus(
        context, ids.URL, "?color=ann:tissue&gene=GATA4", None, None, None, None
    )
    assert color == "ann:tissue"
    # an unknown gene: the default colouring and one message
    color, _, focus, alert = sample_map.sync_focus(
        context, ids.URL, "?gene=NOPE1", None, None, None, None
    )
    assert color == "ann:tissue" and focus is None and "NOPE1" in _text(alert)


def test_a_link_made_on_another_model_of_the_data_says_so(context):
    """The link named the dataset only: one made on a seed-7 model opened on the seed-0 model
    of the same data without a word, its zoom and neighbours placed differently."""
    key = context.state().key
    query = export.view_query("obs:GATA4", "GATA4", None, None, context.fingerprint, model=key)
    assert f"m={key[:12]}" in query and f"ds={context.fingerprint}" in query
    *_, alert = sample_map.sync_focus(context, ids.URL, query, None, None, None, None)
    assert alert is None
    other = query.replace(f"m={key[:12]}", "m=0123456789ab")
    *_, alert = sample_map.sync_focus(context, ids.URL, other, None, None, None, None)
    assert "another model of this dataset (model 0123456789ab" in _text(alert)


def test_gene_search_offers_an_example_from_this_dataset(context):
    from dashboard.layout import gene_search_placeholder

    text = gene_search_placeholder(context)
    assert text.startswith("e.g. ")
    # no Figure 3 marker among these 467 genes: the first gene, which the search finds
    assert "MYH6" not in text
    example = text.removeprefix("e.g. ").split(" or ")[0]
    assert context.gene_symbols[context.gene_index(example)] == example


def test_selection_round_trip_through_the_link(context):
    rows = [0, 1, 2, 3, 10, 12, 13]
    assert selection.encode_rows(rows) == "0-3.10.12-13"
    assert selection.decode_rows("0-3.10.12-13", 520) == rows
    query = export.view_query("obs:GATA4", "GATA4", {"rows": rows}, "go:GO:0007507")
    store, alert = selection.selection_from_inputs(context, ids.URL, None, query)
    assert store == {"rows": rows} and alert is None
    store, alert = selection.selection_from_inputs(context, ids.URL, None, "?sel=5-x")
    assert store == {"rows": []} and "malformed" in _text(alert)
    store, alert = selection.selection_from_inputs(context, ids.URL, None, "?sel=900")
    assert "beyond" in _text(alert)
    for bad in ("3-1", "-5", "1--2", "0-1.x"):
        with pytest.raises(DataError, match="malformed"):
            selection.decode_rows(bad, 520)
    assert selection.decode_rows("519.0-0.5-6.6", 520) == [0, 5, 6, 519]


def test_a_link_too_long_for_the_server_leaves_out_what_it_cannot_hold_and_says_so():
    """A selection of 1,000 scattered samples made a 5,394-character link, which gunicorn
    refuses (414: request lines over 4,094 characters), and the address bar held it, so a
    reload failed too; a longer selection was left out of the link without a word."""
    rng = np.random.default_rng(0)
    scattered = {"rows": np.flatnonzero(rng.random(200_000) < 0.5).tolist()}
    left_out: list[str] = []
    query = export.view_query("obs:GATA4", "GATA4", scattered, None, left_out=left_out)
    assert len(query) <= export.MAX_URL_QUERY_CHARS and "sel=" not in query
    assert "gene=GATA4" in query and "color=obs:GATA4" in query
    assert left_out == [f"the selection ({len(scattered['rows']):,} samples)"]
    genes = "list:" + ",".join(f"GENE{i}" for i in range(700))
    left_out = []
    query = export.view_query(genes, None, {"rows": [1, 2, 3]}, None, left_out=left_out)
    assert len(query) <= export.MAX_URL_QUERY_CHARS and "sel=1-3" in query
    assert left_out == ["the colouring"]
    # a selection that fits stays
    left_out = []
    query = export.view_query(
        "obs:GATA4", None, {"rows": list(range(0, 600, 2))}, None, left_out=left_out
    )
    assert "sel=" in query and len(query) <= export.MAX_URL_QUERY_CHARS and not left_out


def test_a_selection_of_thousands_of_scattered_samples_fits_in_a_link(context):
    """A lasso takes rows from all over the matrix; written as ranges, selections of more
    than about 600 samples were left out of the link. A compressed bitmap holds any
    selection of a GTEx-sized map (17,382 samples)."""
    rng = np.random.default_rng(1)
    for n_samples, n_chosen in ((8_000, 2_000), (17_382, 3_000), (17_382, 16_000)):
        rows = np.sort(rng.choice(n_samples, n_chosen, replace=False)).tolist()
        left_out: list[str] = []
        query = export.view_query("obs:GATA4", "GATA4", {"rows": rows}, None, left_out=left_out)
        assert not left_out and len(query) <= export.MAX_URL_QUERY_CHARS, len(query)
        text = parse_qs(query[1:])["sel"][0]
        assert text.startswith(selection.BITMAP_PREFIX)
        assert selection.decode_rows(text, n_samples) == rows
    rows = [3, 17, 30, 101, 250, 251, 252, 400, 519]
    text = selection.encode_rows(rows)
    store, alert = selection.selection_from_inputs(context, ids.URL, None, f"?sel={text}")
    assert store == {"rows": rows} and alert is None
    # a link's bitmap is read within the samples here: rows beyond them, a bomb, bad text
    beyond = selection.encode_rows(list(range(0, 1_000, 7)))
    with pytest.raises(DataError, match="beyond the 520"):
        selection.decode_rows(beyond, 520)
    bomb = base64.urlsafe_b64encode(zlib.compress(bytes(10**8))).decode()
    with pytest.raises(DataError, match="beyond the 520"):
        selection.decode_rows("z" + bomb, 520)
    within = selection.encode_rows(list(range(0, 520, 3)))
    assert within.startswith("z") and selection.decode_rows(within, 520) == list(range(0, 520, 3))
    for bad in ("z", "z@@", "zeJw", within[:-6]):
        with pytest.raises(DataError, match="malformed"):
            selection.decode_rows(bad, 520)


def test_a_short_link_naming_millions_of_samples_is_refused_at_once(context):
    """``?sel=0-10000000.0-10000000...`` (54 characters) took 11 s and 2 GB of a server
    holding 520 samples: every range was spelt out before it was checked."""
    import tracemalloc

    link = "?sel=" + ".".join(["0-10000000"] * 200)
    tracemalloc.start()
    store, alert = selection.selection_from_inputs(context, ids.URL, None, link)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert store == {"rows": []} and "beyond the 520" in _text(alert)
    assert peak < 5e6, peak


def test_lasso_selection_gives_specific_genes(context):
    fig, _ = sample_map.build_sample_figure(context, "ann:tissue")
    heart = next(t for t in fig.data if t.name.startswith("Heart"))
    selected = {
        "points": [{"x": 0, "y": 0, "customdata": int(r)} for r in heart.customdata]
        + [{"x": 1, "y": 1}]
    }  # a probe-grid point: ignored
    store, _ = selection.selection_from_inputs(context, ids.SAMPLE_MAP, selected, None)
    assert len(store["rows"]) == 20
    assert (context.samples["tissue"].to_numpy()[store["rows"]] == "Heart").all()
    info, rows, symbols, alert = selection.describe_selection(context, store)
    assert alert is None and info.startswith("20 samples selected (Heart 20)")
    assert rows[0]["difference"] > 1 and symbols[0] == rows[0]["symbol"]
    # the page lists every gene the CSV saves (25 a page), and says how many
    saved = context.specific_genes(store["rows"], top=200)
    assert len(rows) == len(symbols) == len(saved) > 25
    assert f"{len(saved)} genes clearly higher in them" in info
    assert "all listed, 25 a page; sorting a column sorts them all" in info
    assert [r["symbol"] for r in rows] == saved["symbol"].tolist()
    # gene space highlights them
    gfig, _ = build_gene_figure(context, "type", None, 10, symbols)
    # (the genes listed, every one saved: the legend counts them)
    assert f"specific to the selection ({len(saved)} genes)" in [t.name for t in gfig.data]


def test_an_empty_box_taken_away_by_the_page_keeps_its_message(context):
    """The page takes an empty box away (it faded every sample); the deselection that follows
    left "No selection" and lost the message that the box had caught no sample."""
    from dash import no_update

    empty = {"points": [{"x": 1, "y": 1}], "range": {"x": [0, 1], "y": [0, 1]}}
    store, _ = selection.selection_from_inputs(context, ids.SAMPLE_MAP, empty, None)
    assert store == {"rows": [], "empty": True}
    info, _, _, alert = selection.describe_selection(context, store)
    assert "the selection is empty" in str(alert.children)
    store2, _ = selection.selection_from_inputs(context, ids.SAMPLE_MAP, None, None, store)
    assert store2 is no_update  # the message stays
    # a deselection after a real selection clears it, as before
    store3, _ = selection.selection_from_inputs(
        context, ids.SAMPLE_MAP, None, None, {"rows": [1, 2], "drawn": True}
    )
    assert store3 == {"rows": []}


def test_a_selection_of_many_tissues_says_how_many_more_it_holds(context):
    """171 samples of 12 tissues read "(Adipose Tissue 20, Blood Vessel 20, Breast 20, Lung
    20)": 80 of them, and nothing said of the other 8 tissues."""
    tissues = context.samples["tissue"].to_numpy()
    rows = [int(r) for r in np.flatnonzero(np.isin(tissues, ["Lung", "Liver", "Heart"]))]
    rows += [int(r) for r in np.flatnonzero(tissues == "Testis")[:5]]
    rows += [int(r) for r in np.flatnonzero(tissues == "Spleen")[:3]]
    rows += [int(r) for r in np.flatnonzero(tissues == "Thyroid")[:1]]
    info, _, _, _ = selection.describe_selection(context, {"rows": rows})
    assert info.startswith("69 samples selected (Heart 20, Liver 20, Lung 20, Testis 5, "), info
    assert "and 2 more (4 samples)" in info


def test_selection_summary_names_unlabelled_samples_and_no_specific_gene():
    """Samples without a tissue were counted as "nan"; a selection without a gene clearly
    higher in it said nothing of the empty table."""
    import types

    import pandas as pd

    fake = types.SimpleNamespace(
        samples=pd.DataFrame({"SMTS": ["Lung", None, None, "Heart"]}),
        specific_genes=lambda rows, top, reference=None, lower=False: pd.DataFrame(
            columns=["symbol", "gene_id", "mean_selected", "mean_rest", "difference", "score"]
        ),
    )
    info, rows, symbols, alert = selection.describe_selection(fake, {"rows": [0, 1, 2]})
    assert info.startswith("3 samples selected (unlabelled 2, Lung 1)"), info
    assert "nan" not in info and "no gene is clearly higher" in info
    assert rows == [] and symbols == [] and alert is None
    # thousands are separated in the counts as in the totals ("unlabelled 2915 ... (1,239")
    fake.samples = pd.DataFrame({"SMTS": ["Skin"] * 1300 + [None] * 2915})
    info, *_ = selection.describe_selection(fake, {"rows": list(range(4215))})
    assert info.startswith("4,215 samples selected (unlabelled 2,915, Skin 1,300)"), info


def test_probe_names_samples_without_a_tissue_unlabelled(context, monkeypatch):
    samples = context.samples.copy()
    samples["tissue"] = None
    monkeypatch.setattr(context, "samples", samples)
    res = context.probe(0.0, 0.0)
    assert set(res["samples"]["tissue"]) == {"unlabelled"}


def test_empty_selection_shows_message(context):
    box = {"points": [{"x": 1, "y": 1}], "range": {"x": [0.5, 1.5], "y": [0.5, 1.5]}}
    store, _ = selection.selection_from_inputs(context, ids.SAMPLE_MAP, box, None)
    info, rows, _, alert = selection.describe_selection(context, store)
    assert rows == [] and "empty" in _text(alert)


def test_a_selection_of_one_sample_scores_no_gene(context):
    """One sample has no spread: Welch's t is undefined, and the page listed 144 genes with
    scores up to 119 ("1 samples selected")."""
    info, rows, symbols, alert = selection.describe_selection(context, {"rows": [5]})
    assert rows == [] and symbols == [] and alert is None
    assert info.startswith("1 sample selected (") and "from 2 selected samples on" in info
    assert context.specific_genes([5]).empty
    assert not context.specific_genes([5, 6]).empty  # (two samples of one tissue)


def test_probe_on_empty_space(context):
    """Far from every sample the network extrapolates (genes off almost everywhere came first,
    decoded above any value observed): said; at a sample, nothing is said."""
    text, genes, samples, alert = selection.probe_at(
        context, {"points": [{"x": 100.0, "y": -100.0}]}
    )
    assert "empty space" in text and len(genes) == 15 and len(samples) == 10
    said = _text(alert)
    assert "from the nearest sample" in said and "extrapolates" in said
    xy = context.state().sample_embedding
    spacing = context.map_spacing()
    gaps = np.sort(np.linalg.norm(xy[:, None] - xy[None], axis=2), axis=1)[:, 1]
    assert spacing == pytest.approx(np.quantile(gaps, 0.99))
    x, y = map(float, xy[7])
    text, _, _, alert = selection.probe_at(context, {"points": [{"x": x, "y": y, "customdata": 7}]})
    assert alert is None and "a sample" in text
    assert selection.probe_at(context, {"points": [{}]})[3] is not None


def test_probe_decodes_at_the_place_clicked(context):
    """The page sends the place clicked away from the samples (``probe-click``): the profile is
    decoded there, not at the nearest point of the probe grid, and a click plotly reports on the
    grid (trace 0) decodes nothing more (one click, one answer)."""
    xy = context.state().sample_embedding.astype(np.float64)
    # between two samples, off every point of the grid
    x, y = (xy[7] + xy[8]) / 2 + np.array([0.0123, -0.0071])
    gx, gy = figures.probe_grid(xy)
    assert np.hypot(gx - x, gy - y).min() > 1e-3
    text, genes, samples, alert = selection.probe_at_place(context, {"x": x, "y": y, "n": 3})
    # shown to a ten-thousandth of the map's span
    k = selection.place_digits(xy)
    assert 10.0**-k <= np.ptp(xy, axis=0).max() / 1e4 < 10.0 ** (1 - k) or k == 2
    assert text.startswith(f"Decoded at ({x:.{k}f}, {y:.{k}f}) — empty space; nearest sample: ")
    res = context.probe(float(x), float(y))
    assert [g["symbol"] for g in genes] == res["genes"]["symbol"].tolist()
    d = np.hypot(*(xy - [x, y]).T)
    assert samples[0]["distance"] == pytest.approx(d.min(), abs=1e-3)
    assert alert is None or "extrapolates" in _text(alert)
    assert selection.probe_at_place(context, None)[:3] == (no_update,) * 3
    # the grid's point of the same click: left to the place
    grid_click = {"points": [{"x": float(gx[0]), "y": float(gy[0]), "curveNumber": 0}]}
    assert selection.probe_at(context, grid_click) == (no_update, no_update, no_update, None)
    # a sample's click keeps its meaning: decoded at the sample
    sx, sy = map(float, xy[7])
    sample_click = {"points": [{"x": sx, "y": sy, "curveNumber": 3, "customdata": 7}]}
    text, _, samples, _ = selection.probe_at(context, sample_click)
    assert text.startswith(f"Decoded at ({sx:.{k}f}, {sy:.{k}f}) — a sample;")
    assert samples[0]["distance"] == pytest.approx(0.0, abs=1e-3)
    # a placed sample's star (no sample row, not the grid)
    star = {"points": [{"x": sx, "y": sy, "curveNumber": 5}]}
    assert "— a placed sample;" in selection.probe_at(context, star)[0]


@pytest.mark.parametrize(
    ("place", "said"),
    [
        ("1,2", "is not a place"),
        ({"x": "1.5", "y": 0.0}, "must be two numbers"),
        ({"x": True, "y": 0.0}, "must be two numbers"),
        ({"x": 1.0}, "must be two numbers"),
        ({"x": [1.0], "y": {"a": 1}}, "must be two numbers"),
        ({"x": float("nan"), "y": 0.0}, "not a finite coordinate"),
        ({"x": 0.0, "y": float("-inf")}, "not a finite coordinate"),
        ({"x": 1e308, "y": 0.0}, "lies off the map"),
        ({"x": 10**400, "y": 0.0}, "lies off the map"),
    ],
)
def test_probe_place_that_does_not_read_is_said(context, place, said):
    """A place in the ``probe-click`` store that is no place on the map gets one line, and the
    probe's panel stays as it was."""
    out = selection.probe_at_place(context, place)
    assert out[:3] == (no_update,) * 3
    message = _text(out[3])
    assert message.startswith("the probe: ") and said in message and "\n" not in message


def test_probe_place_off_the_map_says_where_the_map_is(context):
    xy = context.state().sample_embedding.astype(np.float64)
    lo, hi = figures.probe_reach(xy)
    gx, gy = figures.probe_grid(xy)
    # the grid lies within the reach, the samples' box well inside it
    assert gx.min() > lo[0] and gx.max() < hi[0] and gy.min() > lo[1] and gy.max() < hi[1]
    assert (xy.min(axis=0) > lo).all() and (xy.max(axis=0) < hi).all()
    inside = selection.probe_at_place(context, {"x": float(gx[0]), "y": float(gy[0])})
    assert inside[0].startswith("Decoded at (")
    out = selection.probe_at_place(context, {"x": float(hi[0]) + 1.0, "y": float(lo[1])})
    assert out[:3] == (no_update,) * 3
    assert f"a click decodes within x {lo[0]:.2f} to {hi[0]:.2f}" in _text(out[3])


def test_the_page_reports_clicks_into_the_probe_store(context):
    """The script that reports the place clicked writes the store the layout holds."""
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "assets" / "probe.js").read_text()
    assert f'var STORE = "{ids.PROBE_CLICK}";' in script
    assert f'var GRAPH = "{ids.SAMPLE_MAP}";' in script
    assert 'var GRID = "probe grid";' in script
    found = [getattr(c, "id", None) for c in components(build_layout(context))]
    assert ids.PROBE_CLICK in found


def test_neighbor_tables_and_gene_map(context):
    nb, enr, alert = neighbor_tables(context, "GATA4", 10)
    assert len(nb) == 10 and nb[0]["rank"] == 1
    assert neighbor_tables(context, "NOPE", 10)[2] is not None
    fig, alert = build_gene_figure(context, "type", "GATA4", 10, None)
    assert fig.data[-1].name == "GATA4" and alert is None
    names = [t.name for t in fig.data]
    assert "nearest neighbours" in names


def test_the_enrichment_line_says_how_many_terms(context):
    """An empty enrichment table said nothing once the message "no GO term is enriched" had
    gone (messages go after 8 seconds): it looked like a table still loading."""
    from dashboard.gene_space import enrichment_info

    caption = context.ontology_caption()
    assert enrichment_info(context, None, [], []) == caption
    nb, enr, _ = neighbor_tables(context, "GATA4", 10)
    said = enrichment_info(context, "GATA4", nb, enr)
    n = len(enr)
    counted = f"{n} term{' is' if n == 1 else 's are'} enriched" if n else "No term is enriched"
    assert said == f"{caption}. {counted} among GATA4 and its 10 neighbours (FDR ≤ 0.25).", said
    assert enrichment_info(context, "GATA4", nb, []).endswith(
        "No term is enriched among GATA4 and its 10 neighbours (FDR ≤ 0.25)."
    )


def test_gene_map_coloured_by_go_term(context):
    opts = gene_color_options(context, "heart development", None)
    assert any(o["value"] == "go:GO:0007507" for o in opts)
    fig, alert = build_gene_figure(context, "go:GO:0007507", None, 10, None)
    names = [t.name for t in fig.data]
    assert alert is None
    assert any(n.startswith("annotated (") for n in names)
    fig, alert = build_gene_figure(context, "go:GO:9999999", None, 10, None)
    assert alert is not None  # unknown term: message, gene types shown instead


def test_csv_downloads(context):
    rows = list(range(20))
    out = export.csv_download(context, ids.EXPORT_SELECTION_CSV, None, {"rows": rows}, None)
    # named by its size and majority tissue (the first 20 samples: adipose tissue)
    assert out["filename"] == "selection-20-Adipose-Tissue.csv"
    assert out["content"].count("\n") == 21
    # the file says what it was drawn from, as the neighbour files do
    import io

    import pandas as pd

    table = pd.read_csv(io.StringIO(out["content"]))
    assert list(table.columns[:3]) == ["dataset", "model", "n_selected"]
    assert set(table["dataset"]) == {context.name} and set(table["n_selected"]) == {20}
    assert context.state().key in table["model"][0]
    # the map the samples were selected on, not the gene vectors of a neighbour table
    assert "2-D sample map" in table["model"][0] and "gene vectors" not in table["model"][0]
    rows = [int(r) for r in np.flatnonzero(context.samples["tissue"].to_numpy() == "Liver")]
    out = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": rows}, None)
    table = pd.read_csv(io.StringIO(out["content"]))
    assert list(table.columns[:3]) == ["dataset", "model", "n_selected"] and len(table) > 0
    with pytest.raises(Exception, match="empty"):
        export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": []}, None)
    with pytest.raises(Exception, match="no neighbour table"):
        export.csv_download(context, ids.EXPORT_NEIGHBORS_CSV, [], None, None)


def test_exports_fetch_nothing_and_leave_the_environment_alone(tmp_path, monkeypatch):
    """kaleido's page loaded MathJax from cdnjs for every export (its default), and the
    renderers and the gunicorn entry wrote BROWSER_PATH into the process environment."""
    import kaleido
    from kaleido._page_generator import PageGenerator

    import core.report_figures as report_figures
    from dashboard import entry, render

    seen: list[dict] = []
    fake = tmp_path / "chromium"
    monkeypatch.setenv("BROWSER_PATH", str(fake))

    def calc(spec, opts=None, kopts=None):
        seen.append(kopts)
        return b"<svg/>"

    monkeypatch.setattr(kaleido, "calc_fig_sync", calc)
    assert render.render_image(go.Figure(), "svg", 10, 10, 1) == b"<svg/>"

    class Browser:
        def __init__(self, **kwargs):
            seen.append(kwargs)
            raise RuntimeError("no browser here")

    monkeypatch.setattr(kaleido, "Kaleido", Browser)
    with pytest.raises(Exception, match="could not start Chromium"):
        ImageRenderer().render(go.Figure(), "svg", 10, 10, 1)

    def write(jobs, kopts=None, **kwargs):
        seen.append(kopts)
        raise RuntimeError("no browser here")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", write)
    report_figures._write_figures({"map": go.Figure()}, tmp_path / "figures")
    assert len(seen) == 3
    for options in seen:
        assert options["mathjax"] is False and options["path"] == str(fake)
    assert "cdnjs" not in PageGenerator(mathjax=False).generate_index()
    monkeypatch.delenv("BROWSER_PATH")
    monkeypatch.setattr(entry, "app_from_args", lambda argv: (object(), None))
    entry.app_from_env({})
    assert "BROWSER_PATH" not in os.environ


def test_export_refuses_unknown_choices(context):
    with pytest.raises(Exception, match="unknown export size"):
        export.export_figure(context, "sample-map", "svg", "huge", {})
    with pytest.raises(Exception, match="unknown figure"):
        export.export_figure(context, "nothing", "svg", "screen", {})
    with pytest.raises(Exception, match="unknown export format"):
        export.render_image(go.Figure(), "bmp", 10, 10, 1)
    renderer = ImageRenderer()
    with pytest.raises(Exception, match="unknown export format"):
        renderer.render(go.Figure(), "bmp", 10, 10, 1)
    assert not renderer.running  # no browser started for a refused request


def test_export_goes_through_the_contexts_renderer(context, monkeypatch):
    calls = []

    class Recorder:
        def render(self, fig, fmt, width, height, scale):
            calls.append((type(fig).__name__, fmt, width, height, scale))
            return b"<svg>recorded</svg>"

    monkeypatch.setattr(context, "image_renderer", Recorder())
    payload = export.export_figure(context, "gene-map", "svg", "slide 16:9", {})
    assert calls == [("Figure", "svg", 1280, 720, 1.5)]
    assert payload["filename"].endswith(".svg") and payload["type"] == "image/svg+xml"
    assert base64.b64decode(payload["content"]) == b"<svg>recorded</svg>"


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_image_renderer_keeps_one_browser_between_figures():
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1], mode="markers"))
    renderer = ImageRenderer(timeout=120)
    try:
        svg = renderer.render(fig, "svg", 300, 200, 1)
        assert svg.startswith(b"<svg") and renderer.running
        browser = renderer._browser
        png = renderer.render(fig.to_dict(), "png", 300, 200, 2)
        assert png.startswith(b"\x89PNG") and renderer._browser is browser  # the same Chromium
        renderer.close()
        assert not renderer.running
        assert renderer.render(fig, "pdf", 300, 200, 1).startswith(b"%PDF")  # starts anew
    finally:
        renderer.close()


class _FakeKaleido:
    """Stands in for ``kaleido.Kaleido``: records browsers; ``calc_fig`` hangs or answers."""

    browsers: list = []
    open_fails = False
    hang = False

    def __init__(self, n=1, timeout=None, **options):
        assert options.get("mathjax") is False  # nothing fetched from a CDN
        self.closed = False
        _FakeKaleido.browsers.append(self)

    async def open(self):
        if _FakeKaleido.open_fails:
            raise RuntimeError("browser would not start")

    async def calc_fig(self, spec, opts):
        import asyncio

        if _FakeKaleido.hang:
            await asyncio.sleep(30)
        return b"<svg>" + opts["format"].encode() + b"</svg>"

    async def close(self):
        self.closed = True


def test_image_renderer_recovers_from_a_hung_or_failed_browser(monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "kaleido", types.SimpleNamespace(Kaleido=_FakeKaleido))
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")  # never started: kaleido is fake
    monkeypatch.setattr(_FakeKaleido, "browsers", [])
    fig = go.Figure()
    renderer = ImageRenderer(timeout=0.5)
    try:
        monkeypatch.setattr(_FakeKaleido, "hang", True)
        t0 = time.perf_counter()
        with pytest.raises(Exception, match="figure export failed .*Timeout"):
            renderer.render(fig, "svg", 10, 10, 1)
        assert time.perf_counter() - t0 < 10  # bounded by the timeout, not by the hung figure
        assert not renderer.running and _FakeKaleido.browsers[0].closed  # the hung one is closed
        monkeypatch.setattr(_FakeKaleido, "hang", False)
        assert renderer.render(fig, "png", 10, 10, 1) == b"<svg>png</svg>"  # a new browser
        assert len(_FakeKaleido.browsers) == 2 and renderer.running
        renderer.close()
        assert _FakeKaleido.browsers[1].closed and not renderer.running
        monkeypatch.setattr(_FakeKaleido, "open_fails", True)
        with pytest.raises(Exception, match="could not start Chromium .*would not start"):
            renderer.render(fig, "svg", 10, 10, 1)
        assert not renderer.running and _FakeKaleido.browsers[2].closed
    finally:
        renderer.close()


def test_hover_text_names_sample_and_tissue(context):
    text = sample_map.hover_text(context)
    assert text.shape == (520,)
    assert context.sample_ids[0] in text[0] and "tissue: " in text[0]
    assert np.all([t.count("<br>") >= 1 for t in text[:5]])


def test_baseline_view_puts_the_model_first(context):
    from dashboard.baselines import baseline_view

    rng = np.random.default_rng(0)
    result = {
        "maps": {"PCA": rng.normal(size=(520, 2)).astype(np.float32)},
        "accuracy": {"PCA": {"mean": 0.4, "sd": 0.02}, "model": {"mean": 0.9, "sd": 0.01}},
        "label": "tissue",
    }
    fig, rows = baseline_view(context, result)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("model") and titles[1].startswith("PCA") and "0.40" in titles[1]
    assert {r["map"] for r in rows} == {"PCA", "model"}
    assert baseline_view(context, None)[1] == []


def _data_url(raw: bytes) -> str:
    import base64

    return "data:text/csv;base64," + base64.b64encode(raw).decode()


def test_a_long_gene_list_is_a_value_of_short_words(context):
    """The dropdown indexes every substring of each word of its options' values: one word of
    440 symbols run together crashed the browser tab (V8 out of memory). The value now has a
    space after each comma; links written the old way are read alike."""
    genes = list(context.gene_symbols[:467])
    color, _, _, _ = sample_map.sync_focus(
        context, ids.GENE_LIST_APPLY, None, None, None, None, "\n".join(genes)
    )
    assert max(len(word) for word in color.split()) < 40
    options = sample_map.color_options(context, "", color)
    assert options[0]["value"] == color and "gene list (" in options[0]["label"]
    new = sample_map.resolve_color(context, color)
    old = sample_map.resolve_color(context, "list:" + ",".join(genes))
    np.testing.assert_array_equal(new.values, old.values)
    assert new.title == old.title
    assert (
        sample_map.option_for(context, "list:GATA4,TBX5")["label"]
        == (sample_map.option_for(context, "list:GATA4, TBX5")["label"])
    )


def test_gene_list_upload(context):
    upload = (_data_url(b"symbol,score\nGATA4,1\nTBX5,2\n# comment\nNOPE3,0\n"), "genes.csv")
    color, _, _, alert = sample_map.sync_focus(
        context, ids.GENE_LIST_UPLOAD, None, None, None, None, None, upload
    )
    assert color == "list:GATA4, TBX5"
    # the header line is left out; an unknown gene is reported
    assert "symbol" not in _text(alert) and "NOPE3" in _text(alert)
    upload = (_data_url(b"GATA4\nTBX5\n"), "genes.txt")  # no header: the first line is a gene
    assert (
        sample_map.sync_focus(context, ids.GENE_LIST_UPLOAD, None, None, None, None, None, upload)[
            0
        ]
        == "list:GATA4, TBX5"
    )


def test_malformed_uploads_give_messages(context):
    cases = [
        ((_data_url(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"), "image.png"), "it is a PNG image"),
        ((_data_url(b"\x00\x01\x02binary"), "odd.txt"), "it is a binary file, not a text"),
        ((_data_url(b"PK\x03\x04\x14\x00[Content_Types].xml"), "genes.csv"), "Excel workbook"),
        ((_data_url(b"\n\n# only comments\n"), "empty.txt"), "no gene symbol"),
        (("garbage", "x.txt"), "could not read"),
        (("", "x.txt"), "could not read"),
    ]
    for upload, message in cases:
        color, _, _, alert = sample_map.sync_focus(
            context, ids.GENE_LIST_UPLOAD, None, None, None, None, None, upload
        )
        assert color is no_update
        assert message in _text(alert), (upload[1], _text(alert))


def test_a_gene_list_in_utf16_is_read(context):
    """Excel's "Unicode Text" is UTF-16: it was "not a text file"."""
    upload = (_data_url("GATA4\r\nTBX5\r\n".encode("utf-16")), "genes.txt")
    color, _, _, alert = sample_map.sync_focus(
        context, ids.GENE_LIST_UPLOAD, None, None, None, None, None, upload
    )
    assert color == "list:GATA4, TBX5" and alert is None


def test_emptied_gene_list_upload_is_ignored_and_a_read_one_is_emptied(context):
    """The drop zone is emptied once its file is read (so that the same file can be read again);
    its contents then become None, which must change nothing."""
    prop = f"{ids.GENE_LIST_UPLOAD}.contents"
    out = sample_map.sync_focus(
        context, ids.GENE_LIST_UPLOAD, None, None, None, "list:TBX5", None, (None, "genes.txt")
    )
    assert all(o is no_update for o in out)  # no colouring, no "could not read" message
    out = sample_map.sync_all(
        context, prop, None, None, None, "list:TBX5", None, None, None, (None, None)
    )
    assert out[0] is no_update and out[4] is no_update and out[5] is no_update
    assert sample_map.upload_reset([prop], None) is no_update
    assert sample_map.upload_reset([prop], _data_url(b"GATA4\n")) is None  # read: emptied
    # the box shows the file's genes (it kept the list typed before, and "Colour by this
    # list" went back to that one); a list applied from the box leaves the box alone
    assert sample_map.list_text_after([prop], "list:GATA4, TBX5") == "GATA4, TBX5"
    assert sample_map.list_text_after([prop], no_update) is no_update  # the file was not read
    applied = f"{ids.GENE_LIST_APPLY}.n_clicks"
    assert sample_map.list_text_after([applied], "list:GATA4, TBX5") is no_update
    # a link coloured by a list: its genes in the box, to change one of them
    link = f"{ids.URL}.search"
    assert sample_map.list_text_after([link], "list:GATA4, TBX5") == "GATA4, TBX5"
    assert sample_map.list_text_after([link], "obs:GATA4") is no_update
    assert sample_map.list_text_after([link], "not a colouring") is no_update
    assert sample_map.upload_reset([f"{ids.COLOR_BY}.value"], None) is no_update


def test_link_names_its_dataset(context):
    query = export.view_query("obs:GATA4", None, None, None, context.fingerprint)
    assert f"ds={context.fingerprint}" in query
    _, _, _, alert = sample_map.sync_focus(context, ids.URL, query, None, None, None, None)
    assert alert is None
    other = query.replace(context.fingerprint, "0123456789abcdef")
    color, _, _, alert = sample_map.sync_focus(context, ids.URL, other, None, None, None, None)
    assert color == "obs:GATA4" and "another dataset" in _text(alert)
    # a gene the link names that is not here: both messages (the second hid the first)
    other = export.view_query("obs:NOPE1", "XYZ1", None, None, "0123456789abcdef")
    color, _, _, alert = sample_map.sync_focus(context, ids.URL, other, None, None, None, None)
    assert color == "ann:tissue"
    text = _text(alert)
    assert "another dataset" in text and "'NOPE1'" in text and "'XYZ1'" in text


def test_place_uploaded_samples_on_the_map(context, sepira_file, monkeypatch):
    """Real samples uploaded again land on themselves; errors are messages, not tracebacks."""
    import gzip

    import pandas as pd

    from dashboard import placement

    rows = pd.read_csv(sepira_file).iloc[[0, 25, 260, 500]]
    raw = gzip.compress(rows.drop(columns=["tissue"]).to_csv(index=False).encode())
    placed, table, info, alert = placement.place_from_upload(
        context, _data_url(raw), "mine.csv.gz", apply_transform=False
    )
    assert alert is None and placed == table and len(placed) == 4
    assert [r["sample_id"] for r in placed] == list(rows["sample"])
    # the stand-in projects linearly: a training sample lands on its own place
    assert [r["nearest_sample"] for r in placed] == list(rows["sample"])
    assert all(r["distance_on_map"] < 1e-3 for r in placed)
    assert [r["nearest_label"] for r in placed] == list(rows["tissue"])
    assert "4 samples from mine.csv.gz placed" in info
    assert "new samples by the tissue of most of their nearest samples: " in info
    assert "460 of the model's 460 genes present" in info
    part = rows.drop(columns=["tissue"]).iloc[:, :101].to_csv(index=False).encode()  # 100 genes
    info = placement.place_from_upload(context, _data_url(part), "part.csv", False)[2]
    assert "100 of the model's 460 genes present" in info
    # symbols cased otherwise (Gata4), a few unchanged by the casing (F2): every gene is used,
    # and counted as used (the page said 467 while 7 were placed on)
    recased = rows.drop(columns=["tissue"])
    recased.columns = ["sample", *(c.capitalize() for c in recased.columns[1:])]
    again, _, info, _ = placement.place_from_upload(
        context, _data_url(recased.to_csv(index=False).encode()), "recased.csv", False
    )
    assert "460 of the model's 460 genes present" in info
    assert [r["nearest_sample"] for r in again] == list(rows["sample"])
    # log values logged again: what the loader noticed reaches the page
    alert = placement.place_from_upload(context, _data_url(raw), "mine.csv.gz", True)[3]
    assert "look already log-transformed" in _text(alert) and "untick it" in _text(alert)
    assert "--transform none" not in _text(alert)  # the page's remedy is its box, not a flag
    assert "/tmp" not in _text(alert) and "mine.csv.gz" in _text(alert)
    fig, _, _ = sample_map.recolor(context, "ann:tissue", (1, 99), None, placed)
    stars = fig.data[-1]
    assert stars.name == "your samples (4)" and stars.customdata is None
    np.testing.assert_allclose(stars.x, [r["x"] for r in placed])
    assert "placed from your upload" in stars.text[0]
    # colour by a gene: a recolouring of the colour trace keeps the stars, a new figure redraws
    # them
    fig, kind, _ = sample_map.recolor(context, "obs:GATA4", (1, 99), None, placed)
    assert fig.data[-1].name == "your samples (4)"
    recolour, _, _ = sample_map.recolor(context, "obs:TBX5", (1, 99), kind, placed)
    assert isinstance(recolour, sample_map.Recolour)
    download, alert = placement.placed_csv(placed)
    assert alert is None and download["filename"] == "placed_samples.csv"
    # the CSV names the nearest sample as embed's table does (the page's records keep the id)
    assert "nearest_training_sample" in download["content"].splitlines()[0].split(",")
    assert placement.placed_csv(None)[0] is no_update
    # sample names a spreadsheet would run as formulas: written as text
    names = ["=1+2", "@SUM(A1)", "-1.5e3", "+x"]
    named = [{**r, "sample_id": n} for r, n in zip(placed, names, strict=True)]
    download, _ = placement.placed_csv(named)
    first = [line.split(",")[0] for line in download["content"].splitlines()[1:]]
    assert first == ["'=1+2", "'@SUM(A1)", "-1.5e3", "'+x"]
    # (the file rounds x to 4 decimals; the page's rows hold it unrounded)
    assert float(download["content"].splitlines()[1].split(",")[1]) == round(placed[0]["x"], 4)
    # genotypes and placeholders stay as they are; a column name is guarded too
    table = pd.DataFrame({"=cmd|' /C calc'!A0": ["-/-", "+/-", "-", "-2"]}, dtype="category")
    out = export.labelled_table(None, table)
    assert list(out.columns) == ["'=cmd|' /C calc'!A0"]
    assert out.iloc[:, 0].tolist() == ["-/-", "+/-", "-", "-2"]

    bad = [
        ((_data_url(raw), "mine.png"), "give a CSV, TSV"),
        ((_data_url(b"a,b\nx,y\n"), "words.csv"), "words.csv: no numeric gene column"),
        ((_data_url(b"\x89PNG\x00\x00"), "pic.csv"), "pic.csv: it is a PNG image, not a text"),
        ((_data_url(b"sample,NOTAGENE1,NOTAGENE2\ns1,1,2\ns2,3,4\n"), "odd.csv"), "none of its"),
        (("garbage", "x.csv"), "could not read"),
    ]
    for (contents, name), message in bad:
        out = placement.place_from_upload(context, contents, name, apply_transform=False)
        assert out[0] is no_update and message in _text(out[3]), (name, _text(out[3]))
    monkeypatch.setattr(type(context), "MAX_PLACE_BYTES", 100)
    out = placement.place_from_upload(context, _data_url(raw), "mine.csv.gz", False)
    assert out[0] is no_update and "100 bytes" in _text(out[3])


def test_placement_names_samples_placed_from_few_genes(context, sepira_file):
    """A sample with values for 3 of the model's 460 genes (NaN elsewhere) was placed without
    a word, its fit error low: the page now names it, as `embed` does."""
    import pandas as pd

    from dashboard import placement

    rows = pd.read_csv(sepira_file).iloc[[0, 25]].drop(columns=["tissue"])
    genes = list(rows.columns[1:])
    rows.loc[rows.index[1], genes[3:]] = np.nan  # the second sample: 3 genes
    placed, _, _, alert = placement.place_from_upload(
        context, _data_url(rows.to_csv(index=False).encode()), "few.csv", False
    )
    assert len(placed) == 2
    text = _text(alert)
    assert (
        f"1 sample placed from fewer than 20 of the model's genes ({rows['sample'].iloc[1]})"
        in text
    )
    # the table and its CSV say how many genes each place rests on
    assert [r["genes_used"] for r in placed] == [460, 3]
    download, _ = placement.placed_csv(placed)
    header, *lines = download["content"].splitlines()
    column = header.split(",").index("genes_used")
    assert [line.split(",")[column] for line in lines] == ["460", "3"]
    # stars beyond the map: the whole view reaches them
    far = [{**placed[0], "x": 40.0, "y": -40.0}]
    fig, _, _ = sample_map.recolor(context, "ann:tissue", (1, 99), None, far)
    assert fig.layout.xaxis.autorangeoptions.clipmax > 40
    assert fig.layout.yaxis.autorangeoptions.clipmin < -40
    alert = placement.place_from_upload(
        context, _data_url(rows.iloc[:1].to_csv(index=False).encode()), "all.csv", False
    )[3]
    assert "placed from fewer" not in _text(alert)


def test_placement_says_when_samples_fit_far_worse(context, monkeypatch):
    """A fit error far above training (values in other units) is a warning beside the places."""
    import pandas as pd

    from dashboard import placement

    table = pd.DataFrame({"sample_id": ["a"], "x": [0.0], "y": [0.0], "fit_error": [6.7]})
    table.attrs["fit_warning"] = "the new samples fit the model far worse than its training"

    def fake_place(raw, name, transform="none"):
        assert transform == "log10p1"  # the data shown were log-transformed on load
        return table

    monkeypatch.setattr(context, "place_samples", fake_place)
    monkeypatch.setattr(context, "training_transform", lambda: "log10p1")
    text = _text(placement.place_from_upload(context, _data_url(b"x"), "mine.csv", True)[3])
    assert "fit the model far worse" in text
    # values that looked raw (no word from the loader): the box was right for them
    assert "log10p1 was applied to values that look raw" in text and "untick" not in text
    assert "Read counts against a model of TPM" in text
    # values that looked logged already (the loader said so): untick the box
    table.attrs["load_warnings"] = [
        "mine.csv: values are at most 4.2 before the log10p1 transform and not whole numbers: "
        "they look already log-transformed; if so, load them without a transform"
    ]
    text = _text(placement.place_from_upload(context, _data_url(b"x"), "mine.csv", True)[3])
    assert "log10p1 was applied: untick it for values already transformed" in text


def test_a_poor_fit_of_raw_values_is_not_told_to_untick_the_box(context):
    """The line above the table named "untick the box" for counts or TPM placed with the box
    ticked, as they should be; it names the units instead."""
    from dashboard.placement import poor_fit_fix

    assert "untick" in poor_fit_fix(context, "log10p1", logged=True)
    raw = poor_fit_fix(context, "log10p1", logged=False)
    assert "untick" not in raw and "units" in raw
    assert "tick" in poor_fit_fix(context, "none")


def test_a_scale_warning_still_names_the_samples_that_fit_far_worse(context, monkeypatch):
    """Single samples far off were said only when no batch warning was given: a warning of the
    batch's scale (log values of another base) hid them, though it says nothing of them."""
    import pandas as pd

    from dashboard import placement

    table = pd.DataFrame({"sample_id": ["a", "b"], "x": [0.0, 1.0], "y": [0.0, 1.0]})
    table["fit_error"] = [0.2, 6.7]
    table.attrs.update(
        fit_warning="the new samples' values are about 0.69x what the model predicts",
        fit_far=False,
        poor_fit=["b"],
        trained_error=0.2,
    )
    monkeypatch.setattr(context, "place_samples", lambda raw, name, transform="none": table)
    text = _text(placement.place_from_upload(context, _data_url(b"x"), "mine.csv", False)[3])
    assert "about 0.69x" in text and "1 sample fits the model far worse than its training" in text
    table.attrs["fit_far"] = True  # the batch's fit error said it of them all
    text = _text(placement.place_from_upload(context, _data_url(b"x"), "mine.csv", False)[3])
    assert "1 sample fit the model far worse" not in text


def test_placed_samples_are_drawn_above_the_samples(context):
    """Plotly draws WebGL traces above SVG ones: the stars of placed samples must be WebGL on
    screen like the samples (an SVG star hid under the samples it landed among), and last."""
    placed = [{"sample_id": "mine", "x": 0.1, "y": 0.2, "majority_label": "Liver"}]
    for value in ("ann:tissue", "obs:GATA4"):
        fig, _ = sample_map.build_sample_figure(context, value, placed=placed)
        assert fig.data[-1].name == "your samples (1)"
        assert isinstance(fig.data[-1], go.Scattergl)
    fig, _ = sample_map.build_sample_figure(context, "ann:tissue", placed=placed, webgl=False)
    assert isinstance(fig.data[-1], go.Scatter)


def test_every_tissue_shows_in_the_sample_maps_legend(context):
    """26 GTEx tissues: plotly bounds a vertical legend to the plot area's height, and the
    entries from "Testis" on hid behind a scroll bar (at 1024 x 768 and 1440 x 900). The legend
    now has room for every entry (the placed samples' too) inside the figure, which grows for
    it, the map keeping at least its size."""
    placed = [{"sample_id": "mine", "x": 0.1, "y": 0.2, "majority_label": "Liver"}]
    for stars in (None, placed):
        fig, _ = sample_map.build_sample_figure(context, "ann:tissue", placed=stars)
        lay = fig.layout
        names = [str(t.name) for t in fig.data if t.showlegend is not False and t.name]
        assert len(names) == 26 + (1 if stars else 0)
        font = lay.legend.font.size
        # plotly's rows: max(1.3 font x lines, 16) + 3 each, the title's, 10 pixels of gaps
        rows = sum(max(1.3 * font * (n.count("<br>") + 1), 16) + 3 for n in names)
        need = rows + 1.3 * font * (str(lay.legend.title.text).count("<br>") + 1) + 3 + 10
        plot_h = lay.height - lay.margin.t - lay.margin.b
        most = lay.legend.maxheight
        room = most if most and most > 1 else (most or 1) * plot_h  # px above 1, else a share
        assert room >= need, (room, need)
        assert lay.margin.t + room <= lay.height  # inside the figure
        assert plot_h >= figures.MAP_HEIGHT_PX - 62 - 40  # the map as large as before
        # a file sizes its own legend
        assert figures.for_export(fig, 1000, 700).layout.legend.maxheight is None
    # a colour scale has no legend to fit: the map keeps the page's height
    fig, _ = sample_map.build_sample_figure(context, "obs:GATA4")
    assert fig.layout.height == figures.MAP_HEIGHT_PX


def test_gene_colouring_of_a_link_comes_with_its_option(context):
    from dashboard.gene_space import gene_color_state

    value, options = gene_color_state(context, ids.URL, "?gcolor=go:GO:0001889", None, "type")
    assert value == "go:GO:0001889"
    assert "go:GO:0001889" in [o["value"] for o in options]
    assert "liver development" in next(o["label"] for o in options if o["value"] == value)
    # typing in the dropdown: only its options change
    value, options = gene_color_state(context, ids.GENE_COLOR, "?gcolor=type", "liver", "type")
    assert value is no_update and len(options) > 1


def test_neighbours_csv_holds_every_go_term(context):
    """The page lists the first 3 GO terms of a neighbour and ``(+n)``; the CSV holds them all."""
    import io

    import pandas as pd

    rows, _, _ = neighbor_tables(context, "HNF4A", 15)
    assert any("(+" in r["go_terms"] for r in rows)
    out = export.csv_download(context, ids.EXPORT_NEIGHBORS_CSV, rows, None, "HNF4A")
    table = pd.read_csv(io.StringIO(out["content"])).fillna("")
    assert out["filename"] == "neighbors_HNF4A_k15.csv"
    assert list(table["symbol"]) == [r["symbol"] for r in rows]
    assert not any("(+" in t for t in table["go_terms"])
    for page, full in zip(rows, table["go_terms"], strict=True):
        shown = page["go_terms"].split(" (+")[0]
        assert full.startswith(shown)
        if "(+" in page["go_terms"]:
            more = int(page["go_terms"].rsplit("(+", 1)[1].rstrip(")"))
            assert full.count("; ") == shown.count("; ") + more


def test_enrichment_table_is_saved_as_csv_with_its_query(context):
    """The GO enrichment among a gene's neighbours could be read but not saved."""
    import io

    import pandas as pd

    rows, enriched, _ = neighbor_tables(context, "HNF4A", 15)
    assert enriched
    out = export.csv_download(context, ids.EXPORT_ENRICHMENT_CSV, rows, None, "HNF4A", enriched)
    table = pd.read_csv(io.StringIO(out["content"]))
    assert out["filename"] == "go_enrichment_HNF4A_k15.csv"
    assert list(table["go_id"]) == [r["go_id"] for r in enriched]
    assert set(table["query"]) == {"HNF4A"} and set(table["k"]) == {15}
    # the list tested is the gene and its 15 neighbours (the page's heading says so)
    assert set(table["genes_in_list"]) == {16}
    # the file holds the test's four numbers: its p-values can be computed again from it (the
    # list's annotated genes and the annotated background were not in it, and 16 and 467 gave
    # other p-values)
    from scipy.stats import hypergeom

    again = hypergeom.sf(
        table["n_overlap"] - 1, table["n_background"], table["n_term"], table["n_list_annotated"]
    )
    np.testing.assert_allclose(table["p_value"], again, rtol=1e-6)
    assert (table["n_list_annotated"] <= 16).all() and (table["n_background"] <= 467).all()
    assert "enriched among the gene and its neighbours" in str(build_layout(context))


def test_tables_saved_for_the_number_of_neighbours_in_the_box(context):
    """A number typed in "Neighbours" is entered when the box loses focus, here by the click
    on a download, after the page sent the table it showed: 20 rows saved, then 5 shown."""
    import io

    import pandas as pd

    rows, enriched, _ = neighbor_tables(context, "HNF4A", 20)  # the table the page sent
    out = export.csv_download(context, ids.EXPORT_NEIGHBORS_CSV, rows, None, "HNF4A", enriched, 5)
    table = pd.read_csv(io.StringIO(out["content"]))
    five, five_terms, _ = neighbor_tables(context, "HNF4A", 5)
    assert len(table) == 5 and set(table["k"]) == {5} and out["filename"].endswith("_k5.csv")
    assert list(table["symbol"]) == [r["symbol"] for r in five]
    if five_terms:
        out = export.csv_download(
            context, ids.EXPORT_ENRICHMENT_CSV, rows, None, "HNF4A", enriched, 5
        )
        terms = pd.read_csv(io.StringIO(out["content"]))
        assert set(terms["k"]) == {5} and list(terms["go_id"]) == [r["go_id"] for r in five_terms]
    with pytest.raises(DataError, match="no GO process is enriched"):
        export.csv_download(context, ids.EXPORT_ENRICHMENT_CSV, rows, None, "HNF4A", [])


def test_exported_gene_map_labels_are_spaced_for_the_file(context, monkeypatch):
    """The neighbours' labels of an exported gene map are placed for the file's plot area
    (a single-column file is smaller than the page's map, a slide larger): no label lies on
    another or on a highlighted marker there, and the larger file labels at least as many."""
    from tests.dashboard.test_figures import _label_and_marker_boxes, _overlaps

    figs = {}

    class Recorder:
        def render(self, fig, fmt, width, height, scale):
            figs[width] = fig
            return b"<svg/>"

    monkeypatch.setattr(context, "image_renderer", Recorder())
    view = {"focus": "GATA4", "k": 30}
    for size in ("single column (85 mm, 300 dpi)", "slide 16:9"):
        export.export_figure(context, "gene-map", "svg", size, view)
    shown = {}
    for width, fig in figs.items():
        points = np.vstack([np.column_stack([t.x, t.y]) for t in fig.data if t.x is not None])
        area = figures.export_plot_area(fig)
        plot_px = (area["width"], area["height"])
        assert plot_px != figures._PLOT_PX
        labels, markers = _label_and_marker_boxes(fig, points.astype(float), plot_px)
        assert _overlaps(labels, markers) == [], width
        shown[width] = len(labels)
    assert shown[1280] >= shown[502] >= 1


def test_exported_files_of_one_view_at_several_sizes_have_their_own_names(context, monkeypatch):
    """Every size was saved as sample-map_ann-tissue.pdf: the browser added " (1)", " (2)"; the
    message named "the gene map" and "the baselines", the menu "gene space", "baseline maps"."""

    class Keep:
        def render(self, fig, fmt, width, height, scale):
            return b"<svg/>"

    monkeypatch.setattr(context, "image_renderer", Keep())
    names = [
        export.export_figure(context, "sample-map", "pdf", size, {"color": "ann:tissue"})[
            "filename"
        ]
        for size in figures.EXPORT_SIZES
    ]
    assert names == [
        "sample-map_ann-tissue.pdf",
        "sample-map_ann-tissue_85mm.pdf",
        "sample-map_ann-tissue_180mm.pdf",
        "sample-map_ann-tissue_slide.pdf",
    ]
    _, alert = export.export_view(context, "gene-map", "svg", "screen", {})
    assert str(alert.children).startswith("exported the gene space as gene-map_type")


def test_the_sample_map_exports_the_selection_the_page_shows(context, monkeypatch):
    """The page dimmed all but the 20 selected samples; the exported map showed every sample
    alike, and its name said nothing of a selection."""
    figs = []

    class Keep:
        def render(self, fig, fmt, width, height, scale):
            figs.append(fig)
            return b"<svg/>"

    monkeypatch.setattr(context, "image_renderer", Keep())
    rows = [3, 1, 2, context.n_samples + 5]  # a row of another dataset is left out
    view = {"color": "obs:GATA4", "selection": rows}
    payload, alert = export.export_view(context, "sample-map", "svg", "screen", view)
    assert "selection-3" in payload["filename"]
    assert "with the 3 selected samples (the others dimmed)" in str(alert.children)
    chosen = {
        int(tr.customdata[i])
        for tr in figs[-1].data
        if tr.customdata is not None and tr.selectedpoints is not None
        for i in tr.selectedpoints
    }
    assert chosen == {1, 2, 3}
    payload, alert = export.export_view(context, "sample-map", "svg", "screen", {"color": None})
    assert "selection" not in payload["filename"] and "selected" not in str(alert.children)
    assert all(tr.selectedpoints is None for tr in figs[-1].data)


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_export_plot_area_is_what_plotly_draws(context):
    """The estimate the exported labels are spaced for is at most, and close to, the plot area
    plotly draws in the file (its clip rectangle in the SVG)."""
    import re

    figs = {}

    class Keep:
        def render(self, fig, fmt, width, height, scale):
            figs["fig"] = fig
            return export.render_image(fig, fmt, width, height, scale)

    context.image_renderer, before = Keep(), context.image_renderer
    try:
        view = {"focus": "GATA4", "k": 30, "gene_color": "go:GO:0007507"}
        out = export.export_figure(
            context, "gene-map", "svg", "single column (85 mm, 300 dpi)", view
        )
    finally:
        context.image_renderer = before
    svg = base64.b64decode(out["content"]).decode()
    drawn = re.search(r'<clipPath[^>]*xyplot[^>]*><rect width="([\d.]+)" height="([\d.]+)"', svg)
    assert drawn is not None
    area = figures.export_plot_area(figs["fig"])
    for key, real in zip(("width", "height"), map(float, drawn.groups()), strict=True):
        assert 0.9 * real <= area[key] <= real, (key, area[key], real)


def test_a_search_that_finds_no_gene_says_why(context):
    """The dropdowns answered "No results found" alike for a typo and for a gene the dataset
    lacks; a disabled option now says which, with close symbols."""
    from dashboard.gene_space import search_options

    for options in (
        sample_map.color_options(context, "GATA44", None),
        search_options(context, "GATA44", None),
    ):
        note = options[-1]
        assert note["disabled"] and note["value"] == sample_map.NOT_FOUND
        assert "unknown gene 'GATA44': not among the 467 genes" in note["label"]
        assert "GATA4" in note["label"]  # did you mean
    # nothing said while something is listed: a gene, or an annotation
    for typed in ("GATA", "tissu", "G"):
        values = [o["value"] for o in sample_map.color_options(context, typed, None)]
        assert sample_map.NOT_FOUND not in values, typed


def test_the_entry_of_an_unknown_gene_gets_a_row_tall_enough(context, sepira_es):
    """In color-by's rows of 30 pixels the greyed entry of an unknown gene with its close
    symbols wrapped onto two or three lines and was cut off; the dropdowns' rows grow for it,
    only while it is listed (then the only row shown)."""
    from dashboard.factory import create_app
    from dashboard.gene_space import search_options
    from dashboard.layout import COLOR_OPTION_HEIGHT, GENE_SEARCH_OPTION_HEIGHT

    for options, base in (
        (sample_map.color_options(context, "ZNF9999", None), COLOR_OPTION_HEIGHT),
        (search_options(context, "ZNF9999", None), GENE_SEARCH_OPTION_HEIGHT),
    ):
        label = options[-1]["label"]
        assert label.startswith("unknown gene 'ZNF9999'") and len(label) > 90  # 5 symbols
        # three lines of it in a dropdown 300 pixels wide (a window of 420 pixels)
        assert sample_map.option_height(options, base) >= 3 * sample_map.NOT_FOUND_LINE_PX
    for typed in ("ZNF", "tissu", ""):  # genes or annotations listed: the usual rows
        options = sample_map.color_options(context, typed, None)
        assert sample_map.option_height(options, COLOR_OPTION_HEIGHT) == COLOR_OPTION_HEIGHT
    app = create_app(sepira_es, context.config)
    sync = next(key for key in app.callback_map if f"{ids.COLOR_BY}.options" in key)
    assert f"{ids.COLOR_BY}.optionHeight" in sync and f"{ids.GENE_SEARCH}.optionHeight" in sync


def test_gene_lists_take_patterns_and_count_what_is_not_here(context):
    from dashboard.uploads import parse_gene_list

    assert parse_gene_list("TBX*, GATA4") == ["TBX*", "GATA4"]
    tbx = [j for j, s in enumerate(context.gene_symbols) if s.upper().startswith("TBX")]
    assert len(tbx) > 3
    cols, unknown = context.gene_list_columns(["tbx*", "TBX5", "NOPE*", "NOTAGENE"])
    assert cols == tbx and unknown == ["NOPE*", "NOTAGENE"]
    spec = sample_map.resolve_color(context, "list:TBX*")
    assert spec.title == f"gene list: mean z ({len(tbx)} genes)"
    np.testing.assert_allclose(spec.values, context.gene_set_score(tbx))
    # a link's entry that is not here is counted in the title, not dropped unsaid
    spec = sample_map.resolve_color(context, "list:GATA4,NOTAGENE")
    assert spec.title == "gene list: mean z (1 gene; 1 not here)"
    # a pattern that matched a handful of genes names them (KRT* read "mean z (1 gene)")
    gata = [str(context.gene_symbols[j]) for j in context.gene_list_columns(["GATA*"])[0]]
    assert 1 <= len(gata) <= 3
    spec = sample_map.resolve_color(context, "list:GATA*")
    assert spec.title.startswith(f"gene list: mean z ({len(gata)} gene")
    assert spec.title.endswith(f": {', '.join(gata)})"), spec.title


def test_genes_go_terms_leave_out_the_root_term(context):
    """GO:0008150 itself ("biological_process", evidence ND) says the process is unknown;
    it was listed as one of the gene's processes."""
    listed = context.go_terms_of(list(context.gene_symbols), max_terms=None)
    assert any(listed)
    assert not any("biological_process" in t.split("; ") for t in listed)


def test_the_share_link_says_it_leaves_placed_samples_out():
    assert export.share_link_note([]) == ""
    text = export.share_link_note(["the selection"], 3)
    assert "without the selection: too long for a link" in text
    assert "without your 3 placed samples: upload them again there" in text


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_exported_files_state_the_size_their_name_says(context):
    """The 85 mm PDF's page was 265 mm wide, the SVG was in pixels and the PNG had no dpi: a
    journal's system or an image editor read them at another size."""
    import re
    import struct

    context.compute_baselines()
    size = "single column (85 mm, 300 dpi)"
    for which in ("sample-map", "baselines"):
        files = {
            fmt: base64.b64decode(
                export.export_figure(context, which, fmt, size, {"color": "ann:tissue"})["content"]
            )
            for fmt in ("png", "svg", "pdf")
        }
        png = files["png"]
        width_px, height_px = struct.unpack(">II", png[16:24])
        assert width_px == 1004  # 85 mm at 300 dpi
        at = png.index(b"pHYs")
        per_metre_x, per_metre_y, unit = struct.unpack(">IIB", png[at + 4 : at + 13])
        assert unit == 1 and per_metre_x == per_metre_y
        assert per_metre_x * 0.0254 == pytest.approx(300, abs=0.1)  # dpi
        height_mm = height_px / per_metre_x * 1000
        svg = re.match(rb"<svg[^>]*>", files["svg"]).group(0).decode()
        assert 'width="85.00mm"' in svg and "viewBox" in svg
        assert float(re.search(r'height="([\d.]+)mm"', svg).group(1)) == pytest.approx(
            height_mm, abs=0.2
        )
        pdf = files["pdf"]
        # its title is the figure's (kaleido's own was "Kaleido-fier"), and every object is
        # where the cross-reference table says it is after the title grew
        title = re.search(rb"/Title <FEFF([0-9A-F]*)>", pdf).group(1)
        name = {"sample-map": "sample map", "baselines": "baseline maps"}[which]
        assert bytes.fromhex(title.decode()).decode("utf-16-be") == (
            f"{name}, {export.dataset_line(context)}"
        )
        assert b"Kaleido-fier" not in pdf
        table = pdf[pdf.rindex(b"\nxref\n") + 1 :].split(b"\n")
        entries = table[2 : 2 + int(table[1].split()[1])]
        for number, entry in enumerate(entries):
            offset, _, kind = entry.split()[:3]
            assert kind == b"f" or pdf.startswith(b"%d 0 obj" % number, int(offset)), number
        assert int(table[table.index(b"startxref") + 1]) == pdf.rindex(b"\nxref\n") + 1
        box = re.search(rb"/MediaBox \[([^\]]*)\]", files["pdf"]).group(1).split()
        width_pt, height_pt = float(box[2]), float(box[3])
        assert width_pt / 72 * 25.4 == pytest.approx(85, abs=0.3)
        assert height_pt / 72 * 25.4 == pytest.approx(height_mm, abs=0.5)


def test_a_legend_under_a_narrow_figure_leaves_the_plot_its_room(context, monkeypatch):
    """In the single-column size, 26 tissues went under the map and took its room: the map
    was 50-130 pixels tall, the panel titles of the baseline maps overlapped the row above."""
    figs = []

    class Keep:
        def render(self, fig, fmt, width, height, scale):
            figs.append((fig, width, height))
            return b"<svg/>"

    monkeypatch.setattr(context, "image_renderer", Keep())
    context.compute_baselines()
    size = "single column (85 mm, 300 dpi)"
    export.export_figure(context, "sample-map", "svg", size, {"color": "ann:tissue"})
    export.export_figure(context, "baselines", "svg", size, {})
    for (fig, width, height), bottom in zip(figs, (40, 10), strict=True):
        layout = fig.layout
        assert layout.legend.orientation == "h"  # 26 tissues do not fit beside the map
        assert (width, height) == (layout.width, layout.height) and height > 400  # grown
        # the legend's rows are added under what the nominal 400 pixels hold, less the
        # figure's own bottom margin (40 under the sample map, 10 under the baseline maps)
        assert height - layout.margin.b >= 400 - bottom, (height, layout.margin.b)
    base = figs[1][0]
    # the maps have the file's width (no room kept for a legend beside them): 3 per row
    assert len({tuple(base.layout[a].domain) for a in base.layout if a.startswith("xaxis")}) == 3
    assert base.layout.title.text.startswith("The same 520 samples in 5 maps")
    # and near-square panels: the file grew for them (at 85 mm they were 139 x 107 pixels)
    lay, (_, width, height) = base.layout, figs[1]
    plot_w = width - lay.margin.l - lay.margin.r
    plot_h = height - lay.margin.t - lay.margin.b
    ratios = [
        (lay[x].domain[1] - lay[x].domain[0])
        * plot_w
        / ((lay[y].domain[1] - lay[y].domain[0]) * plot_h)
        for x, y in (("xaxis", "yaxis"), ("xaxis5", "yaxis5"))
    ]
    assert all(0.8 < r < 1.2 for r in ratios), ratios
    assert all("<br>" in t.name or t.name.endswith("(20)") for t in base.data if t.showlegend)


def test_the_no_baseline_maps_message_goes_once_they_are_shown():
    """The message "no baseline maps yet: compute them first" stayed after the maps came."""
    from dash import no_update

    stale = {"props": {"children": export.NO_BASELINES, "className": "alert alert-error"}}
    rows = [{"map": "PCA", "1-NN accuracy": 0.2, "sd": 0.01}]
    assert export.stale_export_alert(rows, stale) is None
    other = {"props": {"children": "exported the sample map as sample-map.svg (screen)"}}
    assert export.stale_export_alert(rows, other) is no_update  # another message stays
    assert export.stale_export_alert([], stale) is no_update  # no maps yet: it is still true


def test_a_legend_under_the_plot_grows_a_journal_file_only_so_far():
    """With no bound, 1,000 long names made a single-column file 29,000 pixels tall; a slide
    grew out of 16:9."""
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(3000, 2))
    names = np.array([f"a rather long category name number {i % 300}" for i in range(3000)])
    fig = figures.sample_map_categorical(xy, names, ["s"] * 3000, "site", max_categories=400)
    page = int(figures.JOURNAL_PAGE_MM / 85 * 502)
    column = figures.for_export(fig, 502, 400, max_height=page)
    assert 400 < column.layout.height <= page
    slide = figures.for_export(fig, 1280, 720)  # no growth: the legend takes its room
    assert slide.layout.height == 720 and slide.layout.margin.b <= 0.7 * 720


def test_physical_size_replaces_a_dpi_already_there():
    import struct
    import zlib

    def chunk(kind, body):
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", 1004, 10, 8, 2, 0, 0, 0)
    old_dpi = struct.pack(">IIB", 2835, 2835, 1)  # 72 dpi
    raw = zlib.compress(b"".join(b"\x00" + b"\xff" * 3 * 1004 for _ in range(10)))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"pHYs", old_dpi)
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )
    out = export.physical_size(png, "png", 85.0, 0.85)
    kinds, pos = [], 8
    while pos < len(out):
        (length,) = struct.unpack(">I", out[pos : pos + 4])
        kind, body = out[pos + 4 : pos + 8], out[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", out[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        kinds.append(kind)
        if kind == b"pHYs":
            per_metre = struct.unpack(">IIB", body)[0]
        pos += 12 + length
    assert kinds == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]
    assert per_metre * 0.0254 == pytest.approx(300, abs=0.1)
    assert export.physical_size(b"<svg/>", "png", 85, 85) == b"<svg/>"  # not a PNG: as it was
    assert export.pdf_title(b"%PDF-1.4\n1 0 obj", "a title") == b"%PDF-1.4\n1 0 obj"


def test_page_words_name_things_not_code(context):
    """The map's title said "FactorizedEmbeddings sample embedding", the model line "pca
    init", the baseline legend "SMTS", and "no placed samples" was shown as an error."""
    from dashboard import placement
    from dashboard.baselines import baseline_view
    from dashboard.sample_map import _map_name
    from dashboard.status import model_summary

    assert _map_name("FactorizedEmbeddings") == "factorized-embedding map"
    line = model_summary({"class": "FactorizedEmbeddings", "config": {"init": "pca"}})
    assert "started from PCA" in line and "pca init" not in line
    result = {
        "maps": {"PCA": np.zeros((context.n_samples, 2), np.float32)},
        "accuracy": {"PCA": {"mean": 0.4, "sd": 0.02}},
        "label": "SMTS",
    }
    fig, _ = baseline_view(context, result)
    assert fig.layout.legend.title.text == "tissue"
    assert placement.placed_csv(None)[1].className == "alert alert-info"
