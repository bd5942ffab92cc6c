"""Bad input from the page (typed text, links, uploads, export buttons): a one-line message
naming the problem, never a traceback, an empty map without a word or a file without data."""

from __future__ import annotations

import base64
import gzip
import io
import zipfile

import numpy as np
import pytest
from dash import no_update

from core.errors import DataError
from dashboard import export, ids, sample_map
from dashboard.uploads import parse_gene_list, quoted
from tests.dashboard.layout_tree import alert_text as _text


def _data_url(raw: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(raw).decode()


# ----------------------------------------------------------------------------- typed genes
LONG = "X" * 5000


def test_a_very_long_unknown_gene_is_named_in_a_short_message(context):
    """A paste of 5,000 characters in the gene box (or a link's ``gene``) came back whole in the
    message, and in the dropdown's greyed entry, hundreds of lines tall."""
    out = sample_map.sync_all(
        context, f"{ids.GENE_SEARCH}.value", None, None, LONG, "ann:tissue", None, None, None
    )
    message = _text(out[5])
    assert message.startswith("unknown gene 'XXX") and len(message) < 300, len(message)
    assert "5,000 characters" in message
    link = f"?gene={LONG}"
    color, _, _, alert = sample_map.sync_focus(context, ids.URL, link, None, None, None, None)
    assert "unknown gene" in _text(alert) and len(_text(alert)) < 300
    options = sample_map.color_options(context, LONG, None)
    assert len(options[-1]["label"]) < 300
    # a gene list of one long word, and of many long words
    for text in (LONG, " ".join(["Y" * 400] * 20)):
        color, _, _, alert = sample_map.sync_focus(
            context, ids.GENE_LIST_APPLY, None, None, None, None, text
        )
        assert color is no_update and len(_text(alert)) < 400, len(_text(alert))
    with pytest.raises(DataError) as err:
        parse_gene_list("GATA4 " + "<" * 3000)
    assert len(str(err.value)) < 400


# ----------------------------------------------------------------------------- links
def test_a_link_zoomed_where_the_map_has_no_sample_says_so(context):
    """``zoom=100,200,100,200`` (a map far from there, or a link of another model) drew an
    empty plot without a word; the map is shown whole, and the page says why."""
    emb = context.state().sample_embedding
    far = float(abs(emb).max()) * 100
    link = f"?zoom={far},{far * 2},{far},{far * 2}"
    _, _, alert = export.view_settings(context, link)
    assert "zoom=" in _text(alert) and "no sample" in _text(alert), _text(alert)
    assert sample_map.link_zoom(link, ids.SAMPLE_MAP, context) == {}
    assert export.figure_zoom(context, None, ids.SAMPLE_MAP, link) == {}  # nor in a file
    link = f"?gzoom={far},{far * 2},{far},{far * 2}"
    _, _, alert = export.view_settings(context, link)
    assert "gzoom=" in _text(alert) and "no gene" in _text(alert), _text(alert)
    assert sample_map.link_zoom(link, ids.GENE_MAP, context) == {}
    # a zoom that holds samples is kept, without a word
    lo, hi = emb.min(axis=0), emb.max(axis=0)
    link = f"?zoom={lo[0]},{hi[0]},{lo[1]},{hi[1]}"
    assert export.view_settings(context, link)[2] is None
    assert sample_map.link_zoom(link, ids.SAMPLE_MAP, context)


def test_a_link_with_parts_the_page_does_not_know_says_them(context):
    """``?colour=obs:GATA4`` (a typo) or ``?tissue=Brain`` was dropped without a word."""
    _, _, alert = export.view_settings(context, "?colour=obs:GATA4&tissue=Brain&k=20")
    text = _text(alert)
    assert "colour" in text and "tissue" in text and "ignored" in text, text
    assert export.view_settings(context, "?color=obs:GATA4&k=20")[2] is None
    # the parts that mail and chat add to links are no mistake of the user's
    tracked = "?color=obs:GATA4&utm_source=newsletter&utm_medium=email&fbclid=IwAR0x"
    assert export.view_settings(context, tracked)[2] is None


# ----------------------------------------------------------------------------- exports
def test_selection_csv_of_samples_not_in_this_dataset_is_refused(context):
    """A page left open while the server was restarted on another dataset kept its selection:
    rows beyond the samples here raised IndexError, and row -1 saved the last sample."""
    for rows in ([0, context.n_samples + 5], [-1]):
        with pytest.raises(DataError, match="not in this dataset"):
            export.csv_download(context, ids.EXPORT_SELECTION_CSV, None, {"rows": rows}, None)


def test_specific_genes_csv_of_one_sample_says_why_it_is_empty(context):
    """A selection of one sample saved a file of column names only, without a word (the page
    says that genes are scored from 2 selected samples on)."""
    with pytest.raises(DataError, match="2 selected samples"):
        export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": [3]}, None)


# ----------------------------------------------------------------------------- uploads
def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, raw, said",
    [
        ("samples.xlsx", _xlsx(), "Excel workbook"),
        ("samples.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Excel 97-2003"),
        ("samples.xlsx", b"sample,GATA4\nS1,1\n", "Excel workbook"),  # named so, whatever it is
        ("samples.dat", b"sample,GATA4\nS1,1\n", "name it .csv"),
        ("samples.zip", _xlsx()[:0] + b"PK\x03\x04" + bytes(40), "zip archive"),
    ],
)
def test_an_upload_of_another_kind_is_named(context, name, raw, said):
    """An Excel workbook (the usual mistake) was answered "give a CSV, TSV, GCT (optionally .gz)
    or parquet matrix", without saying what the file is or how to save it as CSV."""
    from dashboard import placement

    placed, _, _, alert = placement.place_from_upload(context, _data_url(raw), name, False)
    assert placed is no_update
    assert said in _text(alert), _text(alert)
    assert _text(alert).startswith(name)


def test_an_upload_of_one_long_line_is_said(context):
    """One line of 1 MB without a separator: csv's "field larger than field limit (131072)"
    came out as "placing the samples failed: Error: ..." (and a traceback in the log)."""
    from dashboard import placement

    raw = b"sample," + b"A" * 1_000_000 + b"\n"
    placed, _, _, alert = placement.place_from_upload(context, _data_url(raw), "line.csv", False)
    assert placed is no_update
    said = "matrix file line.csv cannot be read as a table: a field of more than 131,072"
    assert _text(alert).startswith(said), _text(alert)


def test_an_upload_of_millions_of_columns_is_refused_before_it_is_read(context):
    """A 14 MB file of one sample x 1.4 million columns was within the byte limits and took
    150 s and 3.8 GB to read; the columns of its first lines are counted first."""
    from dashboard import placement

    header = ",".join(f"g{i}" for i in range(250_000)).encode()
    raw = b"sample," + header + b"\ns1," + b",".join([b"1"] * 250_000) + b"\n"
    placed, _, _, alert = placement.place_from_upload(context, _data_url(raw), "wide.csv", False)
    assert placed is no_update
    said = "wide.csv: a line of 250,001 columns; up to 200,000 are read here"
    assert _text(alert).startswith(said), _text(alert)


def test_a_gene_list_in_windows_latin_encoding_or_gzipped_is_read(context):
    """A list saved by Excel as "CSV" on Windows (cp1252: an accent in a note) was "not a text
    file"; a gzipped list was "a binary file"."""
    raw = "symbol,note\nGATA4,cœur\nTBX5,µ\n".encode("cp1252")
    for upload in ((_data_url(raw), "genes.csv"), (_data_url(gzip.compress(raw)), "genes.csv.gz")):
        color, _, _, alert = sample_map.sync_focus(
            context, ids.GENE_LIST_UPLOAD, None, None, None, None, None, upload
        )
        assert color == "list:GATA4, TBX5", (upload[1], _text(alert))


GENE_LIST_SUMMARY = "Score a list of genes"


def test_a_pattern_or_a_list_typed_in_a_gene_box_points_to_the_gene_list(context):
    """``KRT*`` or ``GATA4, TBX5`` typed in "Find a gene" or the colouring's box was only an
    unknown gene: patterns and lists are read by the gene-list box, which the entry now names."""
    from dashboard.gene_space import search_options

    for typed in ("KRT*", "GATA4, TBX5", "GATA4 TBX5"):
        for options in (
            sample_map.color_options(context, typed, None),
            search_options(context, typed, None),
        ):
            label = options[-1]["label"]
            assert label.startswith("unknown gene") and GENE_LIST_SUMMARY in label, label
    label = sample_map.color_options(context, "NOTAGENE", None)[-1]["label"]
    assert label.startswith("unknown gene") and GENE_LIST_SUMMARY not in label


def test_a_preset_without_genes_here_typed_in_the_colourings_box_is_said(context):
    """A gene-set preset with no gene in the dataset is not offered: its name typed in the
    colouring's box (``Keratins``, as the colour bar names it, or its full name) answered an
    unknown gene alone, as if the page had no such set (GTEx acmg59: no keratin, XIST, MYH6
    or CD8B)."""
    from dashboard.context import GENE_SET_PRESETS

    empty = [n for n in GENE_SET_PRESETS if n not in sample_map.available_presets(context)]
    assert empty, "every preset has a gene in the test data"
    for name in empty:
        for typed in (name, name.split(" (")[0].lower()):
            label = sample_map.color_options(context, typed, None)[-1]["label"]
            assert f"the gene set {quoted(name)} has no gene here" in label, (typed, label)
    label = sample_map.color_options(context, "NOTAGENE", None)[-1]["label"]
    assert label.startswith("unknown gene") and "gene set" not in label


def test_a_single_tissue_dataset_gets_its_baseline_maps(sepira_es, tmp_path):
    """A dataset of one tissue (all Liver): 1-NN has nothing to tell apart and refuses labels
    of one class, which would have failed the baseline maps' job; the maps come without a
    score."""
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    liver = np.flatnonzero(sepira_es.samples["tissue"].to_numpy() == "Liver")
    lung = np.flatnonzero(sepira_es.samples["tissue"].to_numpy() == "Lung")
    es = sepira_es.subset(samples=np.concatenate([liver, lung]))
    es.samples["tissue"] = "Liver"  # (one tissue, as a user's single-tissue study)
    cfg = DashboardConfig(
        cache_dir=tmp_path, settings=ModelSettings(gene_dim=8, standin=True), gene_layout="pca"
    )
    ctx = AppContext(es, cfg)
    ctx.train()
    assert ctx.baseline_label() is None
    out = ctx.compute_baselines()
    assert set(out["maps"]) >= {"PCA", "NMF", "t-SNE", "UMAP"}
    assert out["accuracy"] == {} and out["label"] == ""
    assert all(np.isfinite(m).all() and m.shape == (es.n_samples, 2) for m in out["maps"].values())


@pytest.mark.parametrize("others", ["", "  ", 1])
def test_one_tissue_and_blanks_or_a_number_are_one_class(sepira_es, tmp_path, others):
    """Blank labels are missing and 1 is "1" to 1-NN, but pandas counted them as a second
    class: the baseline maps' job failed on "labels have 1 class", and the page said the data
    had no tissue annotation."""
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    es = sepira_es.subset(samples=np.arange(40))
    tissue = np.full(es.n_samples, "1" if others == 1 else "Liver", dtype=object)
    tissue[:5] = others
    es.samples["tissue"] = tissue
    cfg = DashboardConfig(
        cache_dir=tmp_path, settings=ModelSettings(gene_dim=8, standin=True), gene_layout="pca"
    )
    ctx = AppContext(es, cfg)
    assert ctx.baseline_label() is None
    note = ctx.accuracy_note()
    assert "same tissue" in note and "not scored" in note and "No tissue annotation" not in note
    ctx.train()
    out = ctx.compute_baselines()
    assert out["accuracy"] == {} and out["label"] == ""


def test_a_link_zoomed_onto_placed_samples_alone_keeps_its_zoom(context):
    """A link's zoom over a region that holds only placed (uploaded) samples was judged empty
    and dropped (only the training samples were counted): the placed samples count too."""
    emb = context.state().sample_embedding
    far = float(abs(emb).max()) * 10
    placed = [{"sample_id": "mine", "x": far * 1.5, "y": far * 1.5, "majority_label": "Liver"}]
    link = f"?zoom={far},{far * 2},{far},{far * 2}"
    want = {"x": [far, far * 2], "y": [far, far * 2]}
    assert sample_map.link_zoom(link, ids.SAMPLE_MAP, context, placed) == want
    assert export.figure_zoom(context, None, ids.SAMPLE_MAP, link, placed) == want  # a file's
    assert export.view_settings(context, link, placed)[2] is None  # no word of an empty zoom
    zoom = sample_map.link_zoom(link, ids.SAMPLE_MAP, context, placed)
    fig, _ = sample_map.build_sample_figure(context, "ann:tissue", placed=placed, zoom=zoom)
    assert list(fig.layout.xaxis.range) == pytest.approx([far, far * 2])
    # without placed samples there, the region is still empty
    assert sample_map.link_zoom(link, ids.SAMPLE_MAP, context) == {}
    elsewhere = [{**placed[0], "x": -far * 1.5}, {"sample_id": "odd", "x": "?", "y": None}]
    assert sample_map.link_zoom(link, ids.SAMPLE_MAP, context, elsewhere) == {}
    assert "no sample" in _text(export.view_settings(context, link, elsewhere)[2])
    # the gene map's zoom counts genes only
    glink = f"?gzoom={far},{far * 2},{far},{far * 2}"
    assert sample_map.link_zoom(glink, ids.GENE_MAP, context, placed) == {}
