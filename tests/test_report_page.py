"""What `python -m core report` and `evaluate` tell their reader: every number said on what data and
how, simulated data said as such everywhere (page, figures, tables, Markdown, JSON), stored results
said as stored, figures readable, links that work."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.estimator import FactorizedEmbeddings

needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") or os.environ.get("BROWSER_PATH")),
    reason="figure export needs Chromium (or BROWSER_PATH)",
)
FAST = ["--classifiers", "1-NN", "--splits", "2", "--fraction", "0.3"]


def _fit(es, path: Path, epochs: int = 1) -> Path:
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=epochs, device="cpu", seed=0)
    return model.fit(es).save(path)


@pytest.fixture(scope="module")
def sim_model(tmp_path_factory):
    """A model of the simulated demo data (120 samples of 4 tissues x 300 genes)."""
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=120, n_genes=300, n_tissues=4, seed=0)
    return _fit(es, tmp_path_factory.mktemp("models") / "sim", epochs=2)


@pytest.fixture(scope="module")
def real_model(sepira_file, tmp_path_factory):
    """A one-epoch model of 130 real GTEx samples (5 per tissue) x 40 genes."""
    from core.data import load_table

    es = load_table(sepira_file)
    es = es.subset(samples=np.arange(0, es.n_samples, 4), genes=np.arange(40))
    return _fit(es, tmp_path_factory.mktemp("models") / "real")


def _links(page: str) -> list[str]:
    class Links(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.found += [v for k, v in attrs if k in ("href", "src") and v]

    parser = Links()
    parser.found = []
    parser.feed(page)
    return parser.found


def _text(page: str) -> str:
    """The page's words, without tags and style sheet."""
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", body)))


def test_evaluate_says_simulated_settings_and_stored_results(sim_model, tmp_path):
    out = tmp_path / "t1.json"
    argv = ["evaluate", "--model", str(sim_model), "--out", str(out), "--methods", "pca", *FAST]
    argv += ["--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    md = out.with_suffix(".md").read_text()
    assert result["simulated"] is True
    assert "**SIMULATED DATA.**" in md and "Nothing here is a measurement" in md
    assert "2 epochs, gene vectors of 4 dimensions, hidden layers 8" in md  # the model's settings
    assert "result cache" not in md  # all computed by this run
    # again, from the cache: the (tiny) run times are said to be those of reading stored results
    assert main([*argv, "--force"]) == 0
    again = json.loads(out.read_text())
    md = out.with_suffix(".md").read_text()
    assert again["cached"] == {
        "baseline_maps": 1,
        "n_baseline_maps": 1,
        "table1_cells": 2,
        "n_table1_cells": 2,
    }
    assert "Read from the result cache" in md and "1 of 1 baseline maps, 2 of 2 Table-1 cells" in md
    assert "these times are mostly those of reading them" in md
    # the maps read, Table 1 computed (other splits): the times are not said to be reading
    assert main([*argv, "--force", "--splits", "3"]) == 0
    md = out.with_suffix(".md").read_text()
    assert "computed: 1 of 1 baseline maps." in md and "Table-1 cells" not in md
    assert "mostly those of reading" not in md


def test_evaluate_markdown_keeps_the_warning_apart(real_model, tmp_path):
    out = tmp_path / "few.json"
    argv = ["evaluate", "--model", str(real_model), "--out", str(out), "--methods", "pca"]
    argv += ["--classifiers", "1-NN", "--splits", "2", "--fraction", "0.1", "--no-cache"]
    assert main(argv) == 0
    md = out.with_suffix(".md").read_text()
    assert json.loads(out.read_text())["simulated"] is False and "SIMULATED" not in md
    # a paragraph of its own (a single newline would join it to the protocol's sentence)
    assert "\n\n**Note.** Fewer training samples (13) than classes (26)" in md
    assert "share of the test samples whose tissue is predicted right" in md
    assert "1 epoch, gene vectors of 4 dimensions" in md


@needs_chromium
def test_loss_figure_ticks_read_as_numbers():
    from core.report_figures import _fig_loss

    history = list(np.geomspace(3.3, 0.14, 300))  # as a 300-epoch run on GTEx
    svg = _fig_loss(history).to_image(format="svg").decode()
    ticks = re.findall(r'class="ytick".*?>([^<]*)</text>', svg)
    values = [float(t) for t in ticks]
    # plotly's default log axis labels 2, 0.5, 0.2 as "2", "5", "2": not readable as values
    assert len(values) >= 3 and values == sorted(values) and values[0] < 1 < values[-1], ticks


@needs_chromium
def test_simulated_report_says_so_everywhere(sim_model, tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["report", "--model", str(sim_model), "--out", str(out), "--methods", "pca", *FAST]
    argv += ["--markers", "KRT*,NOTAGENE1", "--k", "3", "--no-cache"]
    assert main(argv) == 0
    # a marker asked for that is not there: said in the shell too, not only in the page
    err = capsys.readouterr().err
    assert "warning: --markers: not among the model's 300 genes, left out: NOTAGENE1" in err
    page = (out / "index.html").read_text()
    text = _text(page)
    assert '<p class="simulated"><b>SIMULATED DATA.</b>' in page
    assert "<title>SIMULATED DATA:" in page
    assert "agreement with GO here is built into the data" in text
    # a figure or the table taken out of the page still says it
    svgs = sorted((out / "figures").glob("*.svg"))
    assert len(svgs) >= 5
    for svg in svgs:
        assert "SIMULATED DATA" in svg.read_text(), svg.name
    close = pd.read_csv(out / "tables" / "close_pairs.csv")
    assert close.columns[0] == "data" and (close["data"] == "SIMULATED").all()
    # Figure 2's caption names only the maps drawn
    caption = text.split("Sample maps (Figure 2)")[1].split("SVG")[0]
    assert "PCA" in caption and "t-SNE" not in caption and "UMAP" not in caption
    assert "Not among this dataset's 300 genes: NOTAGENE1" in text
    # every link and image is a relative path to a file of the report
    links = _links(page)
    assert len(links) >= 10
    for link in links:
        assert not link.startswith(("/", "file:", "http")) and (out / link).is_file(), link


@needs_chromium
def test_report_explains_its_numbers(real_model, tmp_path):
    cache = str(tmp_path / "cache")
    json_out = tmp_path / "t1.json"  # stores the PCA map and the Table-1 cells the report reuses
    argv = ["evaluate", "--model", str(real_model), "--out", str(json_out), "--methods", "pca"]
    assert main([*argv, *FAST, "--cache-dir", cache, "--center-samples"]) == 0
    out = tmp_path / "report"
    argv = ["report", "--model", str(real_model), "--out", str(out), "--methods", "pca", *FAST]
    argv += ["--k", "3", "--cache-dir", cache, "--center-samples", "--markers", "TBX5"]
    assert main(argv) == 0
    page = (out / "index.html").read_text()
    text = _text(page)
    assert 'class="simulated"' not in page and "simulated" not in text.lower()
    # the baselines' input, as computed
    caption = text.split("Sample maps (Figure 2)")[1].split("SVG")[0]
    assert "computed on each sample's values minus its mean over genes" in caption
    # stored results are said to be stored, not computed in 0 s
    assert re.search(r"Computed in \d+ s \(2 of 2 cells read from the result cache", text)
    assert "baseline maps 1 of 1, Table-1 cells 2 of 2, gene correlations 0 of 1" in text
    # what the gene-space columns and the close-pair columns are
    for said in (
        "pairs: (gene, neighbour) pairs, 40 genes × 3 neighbours",
        "ratio to random (GO): the first divided by the second (1: no better than chance)",
        "a reference point, not a test, for the co-expression columns",
        "enrichment: the share of the novel pairs divided by it",
        "detected in (the rarer gene): the lower of the two genes' shares of samples with a "
        "value above 0",
        "accuracy (share of the test samples whose tissue is predicted right)",
        "1 epoch, gene vectors of 4 dimensions",
    ):
        assert said in text, said
    close = pd.read_csv(out / "tables" / "close_pairs.csv")
    assert "data" not in close.columns
    # the tests' values, as the file holds them (the page said "yes", the file has True)
    for column in ("shares_go", "coexp_edge", "novel"):
        assert set(close[column].astype(str)) <= {"True", "False"}, column
    assert "shares_go, coexp_edge: the two tests (True: shares a GO term" in text
    # the markers' table: its header in words on the page, its CSV column as scripts read it
    assert '<th class="num">matching genes</th>' in page and "n_genes</th>" not in page
    markers = pd.read_csv(out / "tables" / "marker_smoothness.csv")
    assert "n_genes" in markers.columns and not markers["stand_in"].any()


def test_loading_steps_are_said_in_words():
    from core.data import step_words

    assert step_words({"op": "drop_zero_genes"}) == "genes that are 0 in every sample left out"
    # how many, and which: the 26-tissue set's 7 are all miRNAs
    seven = {"op": "drop_zero_genes", "n_dropped": 7, "dropped": ["MIR4692", "MIR876"]}
    assert step_words(seven) == "the 7 genes 0 in every sample left out (MIR4692, MIR876, ...)"
    assert step_words({"op": "drop_zero_genes", "n_dropped": 0}) == "no gene is 0 in every sample"
    assert step_words({"op": "detected_genes", "min_fraction": 0.1}) == (
        "genes above 0 in fewer than 10% of the samples left out"
    )
    assert (
        step_words({"op": "top_variable_genes", "n": 5000}) == "the 5,000 most variable genes kept"
    )
    assert (
        step_words({"op": "subset", "samples": ["a", "b"], "genes": None}) == "a subset (2 samples)"
    )


def test_table_numbers_keep_three_significant_digits():
    from core.report_sections import _number

    # an expected share of a rare gene-type pair read 0.000 beside its enrichment of 38.1;
    # trailing zeros stay (0.350 beside 0.761), and a tiny share is written out, not 7.58e-05
    values = (0.000123, 0.1544, 13.64, 2.0, 0.0, 123456.7, 0.35, 7.58e-05, 999.96, -0.0256)
    assert [_number(v) for v in values] == [
        "0.000123",
        "0.154",
        "13.6",
        "2.00",
        "0",
        "123,457",
        "0.350",
        "0.0000758",
        "1,000",
        "-0.0256",
    ]
    # a value that rounds up to the next power of ten keeps 3 digits: min_detection 0.99994
    # read "1.000" beside "1.00"
    assert [_number(v) for v in (0.99994, 9.9996, 99.96, 0.9994)] == [
        "1.00",
        "10.0",
        "100",
        "0.999",
    ]


def test_classifier_tables_have_one_header_row():
    from core.report_sections import _html_table, _index_as_column

    table = pd.DataFrame({"FE": ["0.62 ± 0.02"]}, index=pd.Index(["1-NN"], name="classifier"))
    page = _html_table(_index_as_column(table, "classifier"), index=False)
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert head.count("<tr") == 1 and "<th>classifier</th>" in head


def test_nmf_keeps_the_log_values_when_the_baselines_are_centred(real_model):
    """Centred values are half negative; NMF, which needs values of 0 or more, is computed on
    the values as they are (not on centred values with the negatives set to 0), and says so."""
    from core.analysis_cli import _baselines, _Loaded
    from core.report_cli import _maps_caption

    loaded = _Loaded(str(real_model), None)
    centred = _baselines(loaded, ["nmf", "pca"], 0, None, centered=True)
    plain = _baselines(loaded, ["nmf", "pca"], 0, None, centered=False)
    np.testing.assert_array_equal(centred["nmf"], plain["nmf"])
    assert not np.allclose(np.abs(centred["pca"]), np.abs(plain["pca"]), atol=1e-3)
    caption = _maps_caption(["nmf", "pca"], 130, "tissue", centered=True)
    assert "NMF on the values as they are" in caption
    assert "NMF on the values" not in _maps_caption(["nmf"], 130, "tissue", centered=False)
    # GTEx's broad tissue merges sub-sites, which can lie apart on a map: said, with SMTSD
    assert "merges sub-sites" in _maps_caption(["pca"], 130, "SMTS", centered=False)
    assert "--label SMTSD" in _maps_caption(["pca"], 130, "SMTS", centered=False)
    assert "merges sub-sites" not in _maps_caption(["pca"], 130, "SMTSD", centered=False)


def test_nmf_caption_states_the_shift_of_negative_values():
    """Values below 0 are shifted up for NMF: the caption says by how much, and only then."""
    from core.report_cli import _lowest_value, _maps_caption

    values = np.array([[np.nan, 1.0], [-2.5, 0.5], [3.0, np.nan]], dtype=np.float32)
    assert _lowest_value(values, rows=2) == -2.5
    assert _lowest_value(np.full((2, 2), np.nan)) == 0.0
    shifted = _maps_caption(["pca", "nmf"], 130, "tissue", centered=False, lowest=-2.5)
    assert "NMF (on the values plus 2.5" in shifted and "lowest is -2.5" in shifted
    plain = _maps_caption(["pca", "nmf"], 130, "tissue", centered=False, lowest=0.0)
    assert "NMF" in plain and "plus" not in plain


def test_json_and_markdown_are_replaced_together(tmp_path, monkeypatch):
    """evaluate writes table1.json and table1.md: a write that fails on the second file (a
    full disk) leaves both earlier files as they were."""
    from pathlib import Path

    from core.analysis_cli import _write_texts

    json_path, md_path = tmp_path / "t.json", tmp_path / "t.md"
    json_path.write_text("old json")
    md_path.write_text("old md")
    real = Path.write_text

    def full_disk(self, text, *args, **kwargs):
        if self.name.startswith(".t.md"):
            raise OSError(28, "No space left on device")
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError):
        _write_texts([(json_path, "new json"), (md_path, "new md")])
    monkeypatch.undo()
    assert json_path.read_text() == "old json" and md_path.read_text() == "old md"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json", "t.md"]
    _write_texts([(json_path, "new json"), (md_path, "new md")])
    assert json_path.read_text() == "new json" and md_path.read_text() == "new md"


def test_report_of_a_model_of_twelve_samples(sepira_file, tmp_path, capsys):
    """The smoothness took 15 neighbours whatever the data: a model of 15 samples or fewer
    failed after the maps and Table 1 (k=15 neighbours needs 1 <= k < n_points=12). It takes
    all the other samples, and says how many."""
    from core.data import load_table

    es = load_table(sepira_file)
    tissues = es.samples["tissue"].to_numpy()
    first = [int(np.flatnonzero(tissues == t)[0]) for t in pd.unique(tissues)[:12]]
    model = _fit(es.subset(samples=first, genes=np.arange(40)), tmp_path / "m12")
    out = tmp_path / "report"
    argv = ["report", "--model", str(model), "--out", str(out), "--methods", "pca", "--no-go"]
    assert main([*argv, *FAST, "--k", "3", "--no-cache"]) == 0
    assert "its 11 nearest samples on the map" in _text((out / "index.html").read_text())
    # none of the default markers among its 40 genes: the console says so, as the page does,
    # and the CSV's rows are marked as the stand-in genes they are
    err = capsys.readouterr().err
    assert "note: none of the default markers (keratins, MYH6, CD8B, XIST) is among" in err
    markers = pd.read_csv(out / "tables" / "marker_smoothness.csv")
    assert len(markers) == 5 and markers["stand_in"].all()


def test_class_names_sit_above_their_samples():
    """Each name sat on its class's median sample in a 60% white box: on UMAP, where 20
    samples make a clump smaller than the name, 92% of a named class's samples were under it."""
    import plotly.graph_objects as go

    from core.report_figures import _name_classes

    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 100, size=(26, 2))
    labels = np.repeat([f"tissue {i}" for i in range(26)], 20)
    xy = np.repeat(centres, 20, axis=0) + rng.normal(0, 0.4, size=(520, 2))
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1]))
    _name_classes(fig, xy, pd.Series(labels), sorted(set(labels)), None, None)
    notes = fig.layout.annotations
    assert len(notes) >= 10
    px = (xy - xy.min(axis=0)) / np.ptp(xy, axis=0) * np.array([370.0, 330.0])
    for note in notes:
        assert note.yanchor in ("bottom", "top") and note.bgcolor is None
        own = px[labels == note.text]
        x0 = (note.x - xy[:, 0].min()) / np.ptp(xy[:, 0]) * 370.0
        y0 = (note.y - xy[:, 1].min()) / np.ptp(xy[:, 1]) * 330.0 + note.yshift
        if note.yanchor == "top":  # written below its samples
            y0 -= 14
        half_w = 2.4 * len(note.text) + 3
        under = (np.abs(own[:, 0] - x0) < half_w) & (own[:, 1] > y0) & (own[:, 1] < y0 + 14)
        assert under.mean() < 0.1, (note.text, under.mean())


def test_a_class_whose_first_place_is_taken_is_named_elsewhere():
    """A name that would cover one already written was left out: two classes on the same
    samples' stretch (9 of 26 tissues unnamed on FE's map of the 26-tissue set)."""
    import plotly.graph_objects as go

    from core.report_figures import _name_classes

    x = np.linspace(0, 100, 40)
    xy = np.vstack([np.c_[x, np.zeros(40)], np.c_[x, np.full(40, 0.5)], [[0, 100], [100, 100]]])
    labels = pd.Series(["Lung"] * 40 + ["Liver"] * 40 + ["far"] * 2)
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1]))
    _name_classes(fig, xy, labels, ["Lung", "Liver"], None, None)
    assert sorted(n.text for n in fig.layout.annotations) == ["Liver", "Lung"]


def test_a_class_is_named_on_its_own_clump_not_on_strays_in_another(tmp_path):
    """The name went above the class's sample nearest its median: on t-SNE, a few Small
    Intestine samples inside Spleen's cluster put "Small Intestine" on Spleen."""
    import plotly.graph_objects as go

    from core.report_figures import _name_classes

    rng = np.random.default_rng(0)
    gut = rng.normal((0, 0), 0.3, (12, 2))  # the class's own clump
    spleen = rng.normal((6, 6), 0.3, (30, 2))
    strays = rng.normal((6, 6), 0.3, (10, 2))  # samples of the class among Spleen's
    # the class's median lies between its clump and its strays, where 3 of its samples are
    xy = np.vstack([gut, spleen, strays, rng.normal((3, 3), 0.2, (3, 2))])
    labels = pd.Series(["Gut"] * 12 + ["Spleen"] * 30 + ["Gut"] * 13)
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1]))
    _name_classes(fig, xy, labels, ["Gut", "Spleen"], None, None)
    notes = {n.text: (n.x, n.y) for n in fig.layout.annotations}
    assert set(notes) == {"Gut", "Spleen"}
    assert np.hypot(*np.subtract(notes["Gut"], gut.mean(axis=0))) < 1.5, notes
    assert np.hypot(*np.subtract(notes["Spleen"], spleen.mean(axis=0))) < 1.5, notes


def test_a_name_is_not_written_on_another_class_s_samples():
    """On UMAP of the 26-tissue set (the report's map, tests/data/sepira_umap_tissues.csv),
    "Breast", above its samples among Adipose's, lay on Blood Vessel's cluster (read as its
    name): a name goes where no 3 samples of other classes lie under it, or nowhere (the legend
    names the class)."""
    import plotly.graph_objects as go

    from core.report_figures import _name_classes

    umap = pd.read_csv(Path(__file__).parent / "data" / "sepira_umap_tissues.csv")
    xy, labels = umap[["x", "y"]].to_numpy(), umap["tissue"]
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1]))
    _name_classes(fig, xy, labels, sorted(set(labels)), None, None)
    assert len(fig.layout.annotations) >= 18  # (of 26; 21 before)
    span = np.ptp(xy, axis=0)
    scale = min(370.0 / span[0], 330.0 / span[1])
    px = (xy - xy.min(axis=0)) * scale
    for note in fig.layout.annotations:
        x0 = (note.x - xy[:, 0].min()) * scale
        y0 = (note.y - xy[:, 1].min()) * scale + note.yshift - (14 if note.yanchor == "top" else 0)
        half_w = 2.4 * len(note.text) + 3
        under = (np.abs(px[:, 0] - x0) < half_w) & (px[:, 1] > y0) & (px[:, 1] < y0 + 14)
        others = labels[under & (labels != note.text).to_numpy()]
        assert len(others) < 3, (note.text, others.value_counts().to_dict())


def test_a_full_disk_while_figures_are_written_is_said_as_such(tmp_path, monkeypatch):
    """A full disk was said as "could not render figures with kaleido/Chromium ...; set
    BROWSER_PATH to a Chrome/Chromium binary", which would not help."""
    import errno

    import kaleido
    import plotly.graph_objects as go

    from core.errors import CoreError
    from core.report_figures import _write_figures

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", full)
    with pytest.raises(CoreError) as err:
        _write_figures({"map": go.Figure()}, tmp_path / "figures")
    assert "No space left on device" in str(err.value) and "BROWSER_PATH" not in str(err.value)

    def broken(*args, **kwargs):
        raise RuntimeError("no browser")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", broken)
    written, problem = _write_figures({"map": go.Figure()}, tmp_path / "figures")
    assert "set BROWSER_PATH" in problem and "no browser" in problem
    assert written["map"]["html"] == "figures/map.html"  # drawn interactively instead


def test_a_report_without_chromium_keeps_its_results_with_interactive_figures(
    sim_model, tmp_path, monkeypatch, capsys
):
    """Without a Chromium, `report` computed everything, then exited 2 at the last step
    ("could not render figures with kaleido/Chromium") and wrote nothing. It now writes the
    page, its tables and every figure as an interactive HTML page, and says why."""
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium-here"))
    out = tmp_path / "report"
    argv = ["report", "--model", str(sim_model), "--out", str(out), "--methods", "pca", *FAST]
    assert main([*argv, "--cache-dir", str(tmp_path / "cache")]) == 0
    err = capsys.readouterr().err
    assert "warning: could not render figures as PNG and SVG" in err
    assert "install Chromium" in err and "--force" in err
    assert "(the results are cached)" in err
    page = (out / "index.html").read_text()
    assert "Figures drawn interactively, without PNG or SVG files." in _text(page)
    assert "(its results are cached)" in _text(page)
    framed = [link for link in _links(page) if link.endswith(".html")]
    assert "figures/maps.html" in framed and len(set(framed)) >= 4
    for link in set(framed):
        assert "Plotly.newPlot" in (out / link).read_text()
    assert (out / "figures" / "plotly.min.js").stat().st_size > 1e6  # no network needed
    assert not list((out / "figures").glob("*.png")) and not list((out / "figures").glob("*.svg"))
    assert (out / "tables" / "close_pairs.csv").is_file()


def test_a_report_whose_cache_cannot_be_written_does_not_say_its_results_are_cached(
    sim_model, tmp_path, monkeypatch, capsys
):
    """A cache on a full or read-only disk no longer stops a report (its results are computed
    unkept); without a Chromium, the report then said to run it again with --force, "(the
    results are cached)", and a second run computed everything again."""
    from core.cache import _FileStore
    from core.errors import CoreError

    def full(self, key, data):
        raise CoreError(
            f"cannot write to the cache directory {self.directory}: [Errno 28] No space"
        )

    monkeypatch.setattr(_FileStore, "set", full)
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium-here"))
    out = tmp_path / "report"
    argv = ["report", "--model", str(sim_model), "--out", str(out), "--methods", "pca", *FAST]
    assert main([*argv, "--cache-dir", str(tmp_path / "cache")]) == 0
    err = capsys.readouterr().err
    assert "warning: could not render figures as PNG and SVG" in err and "--force" in err
    assert "cached" not in err.split("could not render figures", 1)[1], err
    page = _text((out / "index.html").read_text())
    assert "Figures drawn interactively, without PNG or SVG files." in page
    assert "results are cached" not in page


def test_the_settings_table_says_when_the_grid_search_ran():
    """``reassign_until 0.0`` (the default with the neighbour graph) read as no grid search,
    while every run of 3 epochs or more searches twice."""
    from core.report_cli import _setting_text
    from core.train import grid_search_epochs

    params = {"epochs": 80, "reassign_every": 10, "reassign_until": 0.0}
    assert grid_search_epochs(80, 10, 0.0) == [10, 20]
    assert _setting_text("reassign_until", 0.0, params) == (
        "0.0 (grid searches after epochs 10, 20: 2 in all)"
    )
    params = {"epochs": 300, "reassign_every": 10, "reassign_until": 0.7}
    assert _setting_text("reassign_until", 0.7, params).endswith("…: 20 in all)")
    assert _setting_text("reassign_until", 0.7, {**params, "reassign_every": 0}).endswith(
        "(no grid search)"
    )
    assert _setting_text("hidden", [100, 50], params) == "[100, 50]"


def test_the_reports_maps_are_drawn_at_one_to_one():
    """A unit-variance FE map beside PCA's, each stretched to its panel: 1-NN and smoothness
    read distances that the figure did not show."""
    from core.report_figures import _fig_maps, _fig_markers

    rng = np.random.default_rng(0)
    maps = {m: rng.normal(size=(40, 2)) for m in ("fe", "pca", "tsne", "umap")}
    labels = np.array(["a", "b"] * 20)
    smooth = pd.DataFrame({m: [0.5] for m in maps}, index=["MYH6"])
    for fig in (
        _fig_maps(maps, labels, "tissue"),
        _fig_markers(maps, {"MYH6": rng.normal(size=40)}, smooth),
    ):
        y_axes = [fig.layout[k] for k in fig.layout if k.startswith("yaxis")]
        assert len(y_axes) >= 4  # (a grid of 3 columns: 6 axes for 4 maps)
        assert all(ax.scaleanchor == ax.anchor and ax.scaleratio == 1 for ax in y_axes)


def test_figure_3_names_where_each_marker_is_highest():
    """Figure 3's maps carried no tissue names: a reader could not tell which bright cluster
    was the skin. Each panel names the marker's three classes of highest mean score, on that
    panel's map, and no other class."""
    from core.report_figures import _fig_markers

    rng = np.random.default_rng(1)
    classes = ["Skin", "Heart", "Liver", "Lung", "Spleen"]
    centres = {c: (4.0 * i, 4.0 * (i % 2)) for i, c in enumerate(classes)}
    labels = np.repeat(classes, 20).astype(object)
    fe = np.array([centres[c] for c in labels]) + rng.normal(0, 0.3, (100, 2))
    maps = {"fe": fe, "tsne": fe[:, ::-1] * 2.0}
    order = {"Skin": 5.0, "Lung": 3.0, "Heart": 2.0, "Liver": 0.0, "Spleen": -1.0}
    krt = np.array([order[c] for c in labels]) + rng.normal(0, 0.1, 100)
    smooth = pd.DataFrame({m: [0.9] for m in maps}, index=["keratins"])
    fig = _fig_markers(maps, {"keratins": krt}, smooth, labels)
    named = [a for a in fig.layout.annotations if a.text in classes]
    assert {a.text for a in named} == {"Skin", "Lung", "Heart"}
    for a in named:  # on its own panel, beside its own samples
        xy = maps["fe" if a.xref == "x" else "tsne"][labels == a.text]
        assert a.xref in ("x", "x2") and np.isclose(a.x, xy[:, 0]).any()
    assert sorted(a.xref for a in named) == ["x"] * 3 + ["x2"] * 3
    # without classes, no names (and the figure as before)
    plain = _fig_markers(maps, {"keratins": krt}, smooth)
    assert not [a for a in plain.layout.annotations if a.text in classes]


def test_class_names_on_a_one_to_one_map_do_not_cover_each_other():
    """The names' overlap test stretched each axis to the panel while the maps are drawn at
    1:1: on an elongated map (PCA) two classes 0.05 apart on the short axis were named one
    over the other."""
    from plotly.subplots import make_subplots

    from core.report_figures import _name_classes

    rng = np.random.default_rng(0)
    a = np.c_[rng.normal(0, 0.01, 10), rng.normal(0.0, 0.001, 10)]
    b = np.c_[rng.normal(0, 0.01, 10), rng.normal(0.05, 0.001, 10)]
    far = np.array([[10.0, 0.5]] * 3 + [[-0.0, 1.0]])  # the map 10 wide and 1 high
    xy = np.vstack([a, b, far])
    lab = pd.Series(["Liver"] * 10 + ["Lung"] * 10 + ["x"] * 4)
    fig = make_subplots(rows=1, cols=1)
    _name_classes(fig, xy, lab, ["Liver", "Lung"], 1, 1)
    # 1.85 px apart at 1:1: both above covered each other, before; one name below its class
    # lay on the other class's samples: one class named, the legend names the other
    notes = fig.layout.annotations
    assert len(notes) == 1 or sorted(a.yanchor for a in notes) == ["bottom", "top"], notes


def test_markers_none_of_which_is_found_are_said_to_be_replaced(real_model, tmp_path, capsys):
    """Markers given with --markers, none of them in the data: the console named them left out
    but not that the section then shows the 5 most variable genes (the page said so)."""
    out = tmp_path / "report"
    argv = ["report", "--model", str(real_model), "--out", str(out), "--methods", "pca"]
    argv += [*FAST, "--k", "3", "--no-cache", "--no-go", "--markers", "NOTAGENE1,NOTAGENE2"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert (
        "left out: NOTAGENE1, NOTAGENE2; the marker section shows the 5 most variable genes "
        "instead" in err
    ), err
    assert pd.read_csv(out / "tables" / "marker_smoothness.csv")["stand_in"].all()


def test_a_full_disk_while_a_report_is_written_names_its_out(
    sim_model, tmp_path, monkeypatch, capsys
):
    """A full disk while the figures were written named the hidden folder the report is built
    in (.report.tmp-PID/figures), which is gone once the command ends; it names --out."""
    import errno

    import kaleido

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", full)
    out = tmp_path / "report"
    argv = ["report", "--model", str(sim_model), "--out", str(out), "--methods", "pca", *FAST]
    assert main([*argv, "--no-go", "--no-cache"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == f"error: cannot write the report to {out}: [Errno 28] No space left on device"
    assert sorted(tmp_path.iterdir()) == []
