"""The report and Table 1 as a reader of a paper takes them: every class in the map's legend in
its own colour, chance level and classifier settings stated, numbers at sensible precision,
tables with one header row, figures sharp in print, the page printable and reproducible."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shlex
import shutil
from pathlib import Path
from types import SimpleNamespace

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


def _fit(es, path: Path, seed: int = 0) -> Path:
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=seed)
    return model.fit(es).save(path)


@pytest.fixture(scope="module")
def real_models(sepira_file, tmp_path_factory):
    """Two one-epoch models (seeds 0 and 1) of 130 real GTEx samples (5 per tissue) x 40 genes."""
    from core.data import load_table

    es = load_table(sepira_file)
    es = es.subset(samples=np.arange(0, es.n_samples, 4), genes=np.arange(40))
    folder = tmp_path_factory.mktemp("models")
    return _fit(es, folder / "run_a"), _fit(es, folder / "run_b", seed=1)


@pytest.fixture(scope="module")
def report(real_models, tmp_path_factory):
    """One report of the first model, the second compared with it."""
    out = tmp_path_factory.mktemp("report") / "report"
    argv = ["report", "--model", str(real_models[0]), "--out", str(out), "--methods", "pca"]
    argv += [*FAST, "--k", "3", "--no-cache", "--markers", "TBX5,NOTAGENE1"]
    argv += ["--compare-models", str(real_models[1])]
    if not (shutil.which("chromium") or os.environ.get("BROWSER_PATH")):
        pytest.skip("figure export needs Chromium (or BROWSER_PATH)")
    assert main(argv) == 0
    return out


# ----------------------------------------------------------------------------- Figure 2
def _lab(hex_colour: str) -> np.ndarray:
    """CIELAB of an sRGB colour (D65)."""
    c = np.array([int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ c / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _map_figure(n_classes: int):
    from core.report_figures import _fig_maps

    rng = np.random.default_rng(0)
    labels = np.array([f"Tissue number {i:02d}" for i in range(n_classes)] * 3, dtype=object)
    maps = {k: rng.normal(size=(labels.size, 2)) for k in ("fe", "pca", "nmf", "tsne", "umap")}
    return _fig_maps(maps, labels, "tissue")


def test_map_classes_have_colours_told_apart():
    """26 GTEx tissues: the old palette gave two blues (Adipose Tissue, Pituitary) and two
    greens (Blood, Salivary Gland) that read as one."""
    fig = _map_figure(26)
    shown = [t for t in fig.data if t.showlegend]
    colours = [t.marker.color for t in shown]
    assert len(set(colours)) == 26
    closest = min(np.linalg.norm(_lab(a) - _lab(b)) for a, b in itertools.combinations(colours, 2))
    # CIELAB distance; the old palette's closest pair was 5. The palette kept apart for normal
    # and colour-deficient vision alike (tests/test_palette.py) has 16.1 for its first 26.
    assert closest > 15, closest
    # unlabelled grey is apart from every class colour
    from core.palette import UNLABELLED_COLOR

    assert min(np.linalg.norm(_lab(UNLABELLED_COLOR) - _lab(c)) for c in colours) > 20
    # beyond the palette a class takes another symbol: no two classes look the same
    many = [(t.marker.color, t.marker.symbol) for t in _map_figure(40).data if t.showlegend]
    assert len(set(many)) == 40


@needs_chromium
@pytest.mark.parametrize("n_classes", [26, 40])
def test_map_legend_shows_every_class(n_classes):
    """The 26th tissue (Vagina) fell below the legend's edge of the exported figure."""
    svg = _map_figure(n_classes).to_image(format="svg").decode()
    legend = svg[svg.index('class="legend"') :]
    box = float(re.search(r'class="bg"[^>]*height="([\d.]+)"', legend).group(1))
    entries = re.findall(
        r'class="groups" transform="(?:translate\(0,([\d.]+)\))?">'
        r'<g class="traces" transform="translate\(0,([\d.]+)\)"',
        legend,
    )
    offsets = [float(g or 0) + float(t) for g, t in entries]
    assert len(offsets) == n_classes
    assert max(offsets) + 8 < box, (max(offsets), box)  # the last entry inside the legend box


def test_map_has_no_zero_lines():
    """The maps' coordinates have no origin: a zero line suggests one."""
    fig = _map_figure(3)
    assert all(ax.zeroline is False for ax in (fig.layout.xaxis, fig.layout.yaxis))


# ----------------------------------------------------------------------------- Table 1
def test_evaluate_states_chance_settings_and_keys(real_models, tmp_path):
    out = tmp_path / "t1.json"
    argv = ["evaluate", "--model", str(real_models[0]), "--out", str(out), "--no-cache"]
    argv += ["--methods", "pca,tsne", "--classifiers", "1-NN,AdaBoost", "--splits", "3"]
    argv += ["--fraction", "0.3"]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    protocol = result["protocol"]
    # 5 samples of each of 26 tissues: always guessing one tissue is right 1 time in 26
    assert protocol["chance_accuracy"] == pytest.approx(1 / 26)
    assert protocol["classifiers"] == ["1-NN", "AdaBoost"]  # a list, as before
    assert protocol["classifier_settings"]["AdaBoost"].startswith("50 boosted decision stumps")
    assert "weak with many classes" in protocol["classifier_settings"]["AdaBoost"]
    assert protocol["baselines"]["tsne"].startswith("t-SNE (perplexity")
    assert result["map_names"]["fe"] == "Factorized Embeddings"
    assert {"results", "fe_minus_other", "protocol.chance_accuracy"} <= set(result["definitions"])
    md = out.with_suffix(".md").read_text()
    # every tissue has as many samples: "the most frequent tissue" meant nothing
    assert "Chance level: 1/26 = 0.038 (every tissue has as many samples" in md
    # the highest accuracy these splits allow: test samples of tissues with a training sample
    assert 0.5 < protocol["ceiling"] < 1.0 and "protocol.ceiling" in result["definitions"]
    assert f"no classifier can score above {protocol['ceiling']:.3f}" in md
    assert "Classifiers: 1-NN: the label of the nearest training sample" in md
    # FE's defaults were tuned on GTEx's 59 genes by this 1-NN: said beside its column
    assert "were chosen by this 1-NN from 2% of labels on GTEx's 59-gene set" in md
    assert "t-SNE (perplexity" in md.split("Baselines computed on")[1].split("\n")[0]
    # split-by-split differences at 3 decimals (a few hundred test samples), not 4
    paired = md.split("split by split")[-1]
    assert re.search(r"[+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\], \d+%", paired)
    assert not re.search(r"\d\.\d{4}", paired)


@needs_chromium
def test_table1_figure_draws_chance_without_covering_bars():
    from core.analysis import semi_supervised_table
    from core.report_figures import _fig_table1

    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c", "d"], 10)
    table = semi_supervised_table(
        {"fe": rng.normal(size=(40, 2)), "pca": rng.normal(size=(40, 2))},
        labels,
        fraction=0.5,
        n_splits=2,
        classifiers=["1-NN"],
    )
    fig = _fig_table1(table, 0.25, "tissue")
    assert "tissue" in fig.layout.title.text
    assert [s.y0 for s in fig.layout.shapes] == [0.25]  # the chance line
    # its words in the legend, not written over the bars
    assert not fig.layout.annotations
    assert any(t.name.startswith("chance") for t in fig.data)
    # the classifiers' axis is named, and the legend lies below the bars in rows: at the side
    # it took half the width and pressed the names together ("Gaussian NB Random Forest")
    assert fig.layout.xaxis.title.text == "classifier"
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0


# ----------------------------------------------------------------------------- tables
def test_tables_have_one_header_row_words_left_numbers_right():
    from core.report_sections import _html_table

    frame = pd.DataFrame(
        {"n_genes": [3, 0], "genes": ["KRT5, KRT14", ""], "FE": [0.9512, np.nan]},
        index=pd.Index(["KRT[0-9]*", "MYH6"], name="marker"),
    )
    page = _html_table(frame)
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert head.count("<tr") == 1  # the index's name had a header row of its own
    assert "<th>marker</th>" in head and '<th class="num">n_genes</th>' in head
    assert "<td>KRT5, KRT14</td>" in page and '<td class="num">0.951</td>' in page
    assert '<td class="num">–</td>' in page  # missing: a dash
    # numbers written out as text (Table 1's "0.62 ± 0.02") are numbers too
    text = _html_table(pd.DataFrame({"classifier": ["1-NN"], "FE": ["0.62 ± 0.02"]}), False)
    assert '<td class="num">0.62 ± 0.02</td>' in text and "<td>1-NN</td>" in text


def test_absent_markers_make_no_empty_table():
    from core.report_sections import _section_markers

    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 6))
    values[:, 2] *= 10  # the most variable gene
    symbols = np.array(["G1", "G2", "WIDE", "G4", "G5", "G6"], dtype=object)
    es = SimpleNamespace(values=values, gene_symbols=symbols, gene_ids=symbols, n_genes=6)
    loaded = SimpleNamespace(es=es, symbols=symbols)
    figures: dict = {}
    maps = {"fe": rng.normal(size=(30, 2))}
    page = _section_markers(loaded, maps, ["MYH6", "XIST"], figures)
    assert "<table" in page  # the smoothness of all genes
    assert "MYH6</td>" not in page
    assert page.count("None of the markers") == 1
    # shown instead of an empty figure (whose colours the text described): the most variable
    assert "Shown instead: the 5 most variable genes here" in page and "--markers WIDE," in page
    assert "<td>WIDE</td>" in page and "markers" in figures
    # the figure, also saved alone, says what its genes are: it called them markers
    title = figures["markers"].layout.title.text
    assert title.startswith("The 5 most variable genes over the sample maps")
    assert "none of the markers is in the data" in title and "Marker" not in title
    figures.clear()
    # one marker found, one not: a table of the found one, the other named
    page = _section_markers(loaded, maps, ["G1", "XIST"], figures)
    assert "<td>G1</td>" in page and "XIST</td>" not in page
    assert "Not among this dataset's 6 genes: XIST." in page and "markers" in figures
    assert figures["markers"].layout.title.text.startswith("Marker expression over the sample")


def test_stand_in_genes_are_counted_when_the_model_has_fewer_than_five():
    """A model of 3 genes, none of them a marker: the page and the console said "the 5 most
    variable genes" were shown instead; they are its 3."""
    from core.report_sections import _section_markers

    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 3))
    symbols = np.array(["G1", "G2", "G3"], dtype=object)
    es = SimpleNamespace(values=values, gene_symbols=symbols, gene_ids=symbols, n_genes=3)
    loaded = SimpleNamespace(es=es, symbols=symbols)
    page = _section_markers(loaded, {"fe": rng.normal(size=(30, 2))}, ["MYH6"], {})
    assert "Shown instead: the 3 most variable genes here" in page, page
    assert "5 most variable" not in page
    from core.report_sections import stand_in_words

    assert stand_in_words(3) == "the 3 most variable genes"
    assert stand_in_words(5000) == "the 5 most variable genes"
    assert stand_in_words(1) == "the dataset's one gene"


def test_markers_of_data_keyed_by_ensembl_ids_are_found_by_their_symbols():
    """A matrix keyed by Ensembl ids alone has its ids as symbols: the report said "None of the
    markers is among this dataset's genes: MYH7" and showed ENSG00000092054.12 (MYH7) as a
    most variable gene instead. GO's symbols now name such genes, and a marker may be an id."""
    from core.analysis_cli import readable_symbols
    from core.annotations import GeneOntology
    from core.report_sections import _section_markers

    ids = np.array(
        ["ENSG00000092054.12", "ENSG00000186081.11", "ENSG00000205420", "ENSG00000229320.1",
         "ENSG00000229807.10", "ENSG99999999999"],
        dtype=object,
    )  # fmt: skip  # MYH7, KRT5, KRT6A, KRT8P12, XIST, none
    es = SimpleNamespace(gene_ids=ids, gene_symbols=ids.copy(), n_genes=6)
    symbols = readable_symbols(es, GeneOntology.load())
    assert list(symbols) == ["MYH7", "KRT5", "KRT6A", "KRT8P12", "XIST", "ENSG99999999999"]
    assert list(readable_symbols(es, None)) == list(ids)  # --no-go: the ids as they are
    rng = np.random.default_rng(0)
    es.values = rng.normal(size=(30, 6))
    maps = {"fe": rng.normal(size=(30, 2))}
    figures: dict = {}
    markers = ["keratins", "MYH7", "ENSG00000229807", "MYH6"]
    page = _section_markers(SimpleNamespace(es=es, symbols=symbols), maps, markers, figures)
    assert "None of the markers" not in page and "Not among this dataset's 6 genes: MYH6." in page
    assert "<td>KRT5, KRT6A</td>" in page  # the keratins, not the pseudogene
    assert "<td>MYH7</td>" in page and "<td>XIST</td>" in page and "markers" in figures


# ----------------------------------------------------------------------------- the page
@needs_chromium
def test_report_tables_csv_and_command(report, real_models):
    page = (report / "index.html").read_text()
    for head in re.findall(r"<thead>(.*?)</thead>", page, flags=re.S):
        assert head.count("<tr") == 1, head
    assert not re.search(r"\d\.\d+e-\d", page)  # no 7.58e-05 in a table
    # chance counted over every pair of the 40 genes, not drawn
    assert "every pair of two distinct genes of this dataset's 40 (780 pairs, counted" in page
    import html as html_module

    assert '<th class="num">random_pairs</th>' not in page  # the same on every row: said
    assert '<th class="num">go_pairs</th>' not in page  # n_pairs again: left out
    # headers in words (go_ratio, n_pairs, type_a, min_detection were the code's names)
    gene_space_part = page.split("Gene space against references")[1]
    headers = [
        html_module.unescape(h) for h in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", gene_space_part)
    ]
    assert headers and not [h for h in headers if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h)]
    for said in ("pairs", "share with a GO term in common", "ratio to random (co-expression)"):
        assert said in headers, said
    assert {"gene A", "type of B", "detected in (the rarer gene)", "expected share"} <= set(headers)
    # while the files keep their column names, and their rows' (scripts read them)
    gene_space = pd.read_csv(report / "tables" / "gene_space.csv")
    assert list(gene_space.columns[:8]) == [
        "neighbours_from",
        "n_pairs",
        "go_fraction",
        "go_random",
        "go_ratio",
        "coexp_fraction",
        "coexp_random",
        "coexp_ratio",
    ]
    assert "FE run_a, gene_dim 4" in set(gene_space["neighbours_from"])
    # the data source in words, not as a JSON dump
    assert "&quot;loader&quot;" not in page and '"loader"' not in page
    assert "orientation as read: " in page and "dataset.source" in page
    # the command that makes this page again
    command = re.search(r"<code class='command'>(.*?)</code>", page).group(1)
    words = shlex.split(html_module.unescape(command))
    assert words[:4] == ["python", "-m", "core", "report"]
    for flag, value in (("--splits", "2"), ("--fraction", "0.3"), ("--k", "3")):
        assert words[words.index(flag) + 1] == value
    assert words[words.index("--markers") + 1] == "TBX5,NOTAGENE1"
    assert words[words.index("--compare-models") + 1] == str(real_models[1])
    # every close pair: the two genes first, then what was found about them
    close = pd.read_csv(report / "tables" / "close_pairs.csv")
    assert list(close.columns[:7]) == [
        "symbol_a",
        "symbol_b",
        "type_a",
        "type_b",
        "distance",
        "correlation",
        "novel",
    ]
    assert "runs" in close.columns
    assert list(close.columns[-4:]) == ["id_a", "id_b", "dataset", "model"]
    np.testing.assert_array_equal(close["correlation"], close["correlation"].round(4))
    # the numbers behind the page, beside it (a reader could check no cell of Table 1, and
    # could not count Figure 4's shares again from close_pairs.csv)
    assert (close["novel"] == ~(close["shares_go"] | close["coexp_edge"])).all()
    cells = pd.read_csv(report / "tables" / "table1.csv")
    splits = pd.read_csv(report / "tables" / "table1_splits.csv")
    assert set(cells.columns) >= {"classifier", "map", "mean", "sd", "n_splits"}
    again = splits.groupby(["classifier", "map"])["accuracy"].mean()
    for row in cells.itertuples():
        assert row.n_splits == 2 and again[(row.classifier, row.map)] == pytest.approx(row.mean)
    gene_space = pd.read_csv(report / "tables" / "gene_space.csv")
    assert "expression correlation" in set(gene_space["neighbours_from"])
    # where training started (the PCA loadings): what training added is read against it
    start = gene_space[gene_space["neighbours_from"].str.startswith("PCA loadings gene_dim ")]
    assert len(start) == 1 and np.isfinite(start["coexp_ratio"]).all()
    fe_model = gene_space.loc[gene_space["neighbours_from"].str.startswith("FE"), "model"]
    assert start["model"].iloc[0] == fe_model.iloc[0]
    assert "row is where training began: the model's gene vectors start at these" in page
    markers = pd.read_csv(report / "tables" / "marker_smoothness.csv")
    # where each marker is highest, to check against the biology: TBX5 (heart, lung)
    highest = markers.set_index("marker").loc["TBX5", "highest in (tissue)"]
    assert re.fullmatch(r"[A-Z][\w ]+ \([+-]\d+\.\d\), [A-Z][\w ]+ \([+-]\d+\.\d\)", highest)
    assert "Heart" in highest or "Lung" in highest, highest
    # each gene's smoothness on every map (only the summary and the histogram were given)
    genes = pd.read_csv(report / "tables" / "gene_smoothness.csv")
    assert list(genes.columns[:2]) == ["symbol", "gene_id"]
    assert {"smoothness_fe", "smoothness_pca"} <= set(genes.columns)
    assert genes["smoothness_fe"].notna().all() and genes["symbol"].is_unique
    linked_files = ("table1.csv", "table1_splits.csv", "gene_space.csv", "marker_smoothness.csv")
    for linked in (*linked_files, "gene_smoothness.csv"):
        assert f'href="tables/{linked}"' in page


@needs_chromium
def test_report_figures_are_sharp_and_sized(report):
    page = (report / "index.html").read_text()
    for name in ("maps", "table1", "gene_space"):
        width = int(re.search(rf'src="figures/{name}.png" width="(\d+)"', page).group(1))
        header = (report / "figures" / f"{name}.png").read_bytes()[:24]
        png_width = int.from_bytes(header[16:20], "big")  # the PNG's IHDR chunk
        assert png_width == 2 * width, name  # twice the shown size: sharp in print
    assert 'Download: <a href="figures/maps.svg">SVG</a>' in page


@needs_chromium
def test_report_prints_its_settings(report):
    """In print, the collapsed model settings open, and figures are not cut across pages."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    page = (report / "index.html").read_text()
    assert re.search(r"@media print \{[^}]*\}[^@]*figure[^{]*\{ *break-inside: avoid", page, re.S)
    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"):
        options.add_argument(flag)
    if Path("/usr/bin/chromium").exists():
        options.binary_location = "/usr/bin/chromium"
    if shutil.which("chromedriver") is None:
        pytest.skip("no Chromium driver (apt-get install chromium chromium-driver)")
    driver = webdriver.Chrome(options=options)  # any other failure fails the test
    try:
        driver.set_window_size(794, 1000)  # A4 at 96 dpi
        driver.get((report / "index.html").as_uri())
        assert driver.execute_script("return document.querySelector('details').open") is False
        driver.execute_script("window.dispatchEvent(new Event('beforeprint'))")
        assert driver.execute_script("return document.querySelector('details').open") is True
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
    finally:
        driver.quit()


def test_report_command_quotes_words_with_spaces():
    """The command the report gives to make its page again: words with spaces quoted, and
    every setting of Table 1 kept (``--stratify``)."""
    from core.report_cli import _report_command

    args = argparse.Namespace(
        model="models/gtex",
        label="SMTS",
        methods="pca,tsne",
        fraction=0.02,
        splits=100,
        classifiers="1-NN,Random Forest",
        seed=0,
        markers="KRT[0-9]*,MYH6",
        k=5,
        center_samples=True,
        compare_models=["models/s1"],
        no_go=False,
        go_gaf=None,
        go_obo=None,
        go_exclude_evidence="IEA",
        go_term_size="3-500",
        out="report",
    )
    words = shlex.split(_report_command(args))
    assert words[words.index("--classifiers") + 1] == "1-NN,Random Forest"
    assert words[words.index("--markers") + 1] == "KRT[0-9]*,MYH6"
    assert "--center-samples" in words and words[words.index("--label") + 1] == "SMTS"
    assert words[words.index("--go-exclude-evidence") + 1] == "IEA"
    assert "--go-gaf" not in words and words[-2:] == ["--out", "report"]
    assert "--stratify" not in words
    # a Table 1 drawn per class is drawn so again (without it: at random, another table)
    args.stratify = True
    assert "--stratify" in shlex.split(_report_command(args))


# ----------------------------------------------------------------------------- more models
def test_compared_models_are_named_by_directory():
    from core.report_sections import _run_names

    def run(folder: str, dim: int = 50) -> SimpleNamespace:
        return SimpleNamespace(dir=Path(folder), model=SimpleNamespace(gene_dim=dim))

    assert _run_names([run("m/gtex")]) == ["FE gene_dim 50"]
    # the report's own model was the one row without a name: "FE gene_dim 50" beside
    # "FE gene_dim 50 (gtex_s1)"
    assert _run_names([run("m/gtex"), run("m/gtex_s1"), run("other/gtex", 20)]) == [
        "FE gtex, gene_dim 50",
        "FE gtex_s1, gene_dim 50",
        "FE gtex, gene_dim 20",
    ]
    names = _run_names([run("a/gtex"), run("b/gtex")])
    assert len(set(names)) == 2
    # the page's names in words; the file's as above (scripts select rows by them)
    assert _run_names([run("m/gtex")], words=True) == ["FE, 50-D gene vectors"]
    assert _run_names([run("m/gtex"), run("other/gtex", 20)], words=True) == [
        "FE gtex, 50-D gene vectors",
        "FE gtex, 20-D gene vectors",
    ]


@needs_chromium
def test_report_with_other_runs_names_and_describes_them(report, real_models):
    page = (report / "index.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "FE run_a, 4-D gene vectors" in text and "FE run_b, 4-D gene vectors" in text
    # each run's own settings: runs may differ in more than the seed
    listed = text.split("Models compared")[1].split("Each row takes")[0]
    assert "seed 0" in listed and "seed 1" in listed and listed.count("1 epoch") == 2
    assert "the pairs close in all 2 runs" in text


@needs_chromium
def test_gene_space_row_names_read_level():
    """Long row names (the runs together) were slanted under the bars into the next panel."""
    from core.report_figures import _fig_agreement

    rows = ["FE gtex, gene_dim 50", "FE, together: the neighbours found in all 3 runs"]
    table = pd.DataFrame(
        {"go_fraction": [0.2, 0.3], "go_random": [0.1, 0.1]},
        index=pd.Index(rows, name="neighbours from"),
    )
    table["coexp_fraction"], table["coexp_random"] = [0.1, 0.2], [0.01, 0.01]
    svg = _fig_agreement(table).to_image(format="svg").decode()
    for name in rows:
        tag = re.search(rf"<text[^>]*>{re.escape(name)}</text>", svg)
        assert tag and "rotate" not in tag.group(0), name


def test_gene_space_bars_say_their_ratio_to_chance():
    """The bars showed shares alone: the section's measure, the ratio, was in the table only."""
    from core.report_figures import _fig_agreement

    table = pd.DataFrame(
        {"go_fraction": [0.159, 0.157], "go_random": [0.077, 0.077], "go_ratio": [2.061, 2.033]},
        index=pd.Index(["FE gene vectors", "expression correlation"], name="neighbours from"),
    )
    table["coexp_fraction"], table["coexp_random"] = [0.132, 0.155], [0.01, 0.01]
    table["coexp_ratio"] = [13.17, np.nan]
    texts = {(t.name, t.xaxis): list(t.text or []) for t in _fig_agreement(table).data}
    assert texts[("neighbour pairs", "x")] == ["2.06x chance", "2.03x chance"]
    assert texts[("neighbour pairs", "x2")] == ["13.2x chance", ""]
    assert texts[("all gene pairs (chance)", "x")] == []


def test_maps_are_coloured_alike_in_every_figure():
    from core.analysis import semi_supervised_table
    from core.report_figures import _fig_smoothness, _fig_table1

    rng = np.random.default_rng(0)
    table = semi_supervised_table(
        {"fe": rng.normal(size=(40, 2)), "tsne": rng.normal(size=(40, 2))},
        np.repeat(["a", "b", "c", "d"], 10),
        fraction=0.5,
        n_splits=2,
        classifiers=["1-NN"],
    )
    bars = {t.name: t.marker.color for t in _fig_table1(table).data}
    smooth = pd.DataFrame({"fe": rng.uniform(size=20), "tsne": rng.uniform(size=20)})
    lines = {t.name: t.line.color for t in _fig_smoothness(smooth).data}
    assert bars == lines and len(set(bars.values())) == 2


def test_marker_table_says_its_numbers_are_smoothness():
    from core.report_sections import _section_markers

    rng = np.random.default_rng(0)
    es = SimpleNamespace(
        values=rng.normal(size=(30, 3)), gene_symbols=np.array(["A", "B", "C"]), n_genes=3
    )
    es.gene_ids = es.gene_symbols
    maps = {"fe": rng.normal(size=(30, 2)), "tsne": rng.normal(size=(30, 2))}
    figures: dict = {}
    page = _section_markers(SimpleNamespace(es=es, symbols=es.gene_symbols), maps, ["A"], figures)
    assert '<th class="num">smoothness on Factorized Embeddings</th>' in page
    assert '<th class="num">smoothness on t-SNE</th>' in page
    layout = figures["markers"].layout
    assert layout.xaxis.zeroline is False and layout.yaxis.zeroline is False


def test_figure_2_caption_speaks_of_unlabelled_samples_only_when_there_are_some():
    from core.report_cli import _maps_caption

    every = _maps_caption(["pca"], 520, "tissue", False, 0)
    assert "coloured by tissue." in every and "grey" not in every
    some = _maps_caption(["pca"], 16877, "SMTS", False, 3585)
    assert (
        "coloured by SMTS (the 3,585 samples without one drawn grey, under the labelled ones)"
        in some
    )
    # the map is said to be more than the paper's objective when it is
    assert "plus a neighbour-graph term of weight 3" in _maps_caption(
        ["pca"], 9, "t", False, 0, 3.0
    )
    assert "paper's objective alone" in _maps_caption(["pca"], 9, "t", False, 0, 0.0)


def test_loss_ticks_do_not_overlap():
    """Over a decade and a half (3 to 0.18), plotly labelled 0.6, 0.7, 0.8, 0.9 and 1 a few
    pixels apart, on top of each other."""
    from core.report_figures import _fig_loss

    fig = _fig_loss(list(np.geomspace(2.9, 0.18, 100)))
    assert tuple(fig.layout.yaxis.tickvals) == (0.2, 0.5, 1.0, 2.0)


def test_loss_line_keeps_off_the_plots_edges():
    """A line's autorange has no margin: the first epoch's error touched the top edge."""
    from core.report_figures import _fig_loss

    fig = _fig_loss(list(np.geomspace(2.9, 0.18, 100)))
    low, high = fig.layout.yaxis.range  # (log10 on a log axis)
    assert high > np.log10(2.9) + 0.03 and low < np.log10(0.18) - 0.03
    assert high - low < 1.5 * np.log10(2.9 / 0.18)  # (a margin, not a wider scale)


def test_novel_pairs_are_set_against_the_papers_gene_types():
    """The paper found its novel pairs mostly among pseudogenes, snoRNA and miRNA; the page
    did not say how the pairs here compare."""
    from core.report_sections import _paper_types_text

    novel = pd.DataFrame(
        {
            "type_a": ["protein-coding", "miRNA", "protein-coding", "lncRNA"],
            "type_b": ["protein-coding", "protein-coding", "pseudogene", "lncRNA"],
        }
    )
    text = _paper_types_text(novel)
    assert "Here 2 of the 4 novel pairs (50%) have a gene of one of these types" in text
    assert "and 1 (25%) join two protein-coding genes" in text
    assert _paper_types_text(novel.iloc[:0]) == ""


def test_sample_maps_name_their_classes_without_covering_names():
    """26 tissues in 26 colours could not be told apart on maps.png: each class is named on its
    samples, and a name that would cover another is left to the legend."""
    from core.report_figures import _fig_maps

    rng = np.random.default_rng(0)
    labels = np.repeat([f"tissue {i}" for i in range(6)], 10)
    apart = rng.normal(scale=0.1, size=(60, 2)) + np.repeat(np.arange(6), 10)[:, None] * 10.0
    fig = _fig_maps({"fe": apart}, labels, "tissue")
    assert sorted(a.text for a in fig.layout.annotations if a.text.startswith("tissue ")) == [
        f"tissue {i}" for i in range(6)
    ]
    together = rng.normal(scale=0.01, size=(60, 2))
    together[0] = [5.0, 5.0]  # the map's span, so that the crowd is a few pixels wide
    fig = _fig_maps({"fe": together}, labels, "tissue")
    # six classes mixed in one crowd: none is named there (a name would say the crowd is that
    # tissue), nor on its one sample away from it; the legend has them
    names = [a for a in fig.layout.annotations if a.text.startswith("tissue ")]
    assert names == [], names
    # two classes side by side, one crowd each: each named, one name above, one below
    pair = np.vstack([rng.normal(scale=0.01, size=(30, 2)), rng.normal(scale=0.01, size=(30, 2))])
    pair[30:, 0] += 0.05
    pair[0] = [5.0, 5.0]
    fig = _fig_maps({"fe": pair}, np.repeat(["tissue a", "tissue b"], 30), "tissue")
    names = [a for a in fig.layout.annotations if a.text.startswith("tissue ")]
    assert len(names) == 2 and sorted(a.yanchor for a in names) == ["bottom", "top"], names


def test_report_says_what_its_numbers_can_tell(report):
    """A referee's reading: the ceiling of Figure 4's columns (59 genes: the co-expression
    column at its maximum for every row), sampling intervals, the departures from the paper's
    protocol, what FE's column of Table 1 was trained with, and the software behind it."""
    import html as html_module

    text = html_module.unescape(re.sub(r"<[^>]+>", "", (report / "index.html").read_text()))
    # said in the words of the table's headers (the page read coexp_ratio, go_fraction)
    assert "The highest ratios any neighbours could reach here: ratio to random (co-exp" in text
    # the GO ceiling counts the genes with a term (12.99 was "every pair sharing a term",
    # out of reach where a quarter of the genes have none)
    found = re.search(
        r"ratio to random \(GO\) ([\d.]+) \(share with a GO term in common ([\d.]+): every pair "
        "sharing a term",
        text,
    )
    assert found, text[text.find("The highest ratios") :][:600]
    table = pd.read_csv(report / "tables" / "gene_space.csv")
    top = float(found.group(2))
    assert (table["go_fraction"] <= top + 1e-9).all()
    assert float(found.group(1)) == pytest.approx(top / table["go_random"].iloc[0], rel=0.01)
    if top < 1:  # counted by each gene's partners (the share of annotated genes overstated it)
        assert re.search(r"as far as each gene has \d+ genes sharing one of its terms \(the ", text)
        # below the share of annotated genes: not every one has k partners
        annotated = re.search(r"terms \(the (\d+) of (\d+) genes with a term", text)
        assert top <= int(annotated.group(1)) / int(annotated.group(2))
    # intervals by drawing the genes (Wilson's over the pairs took a gene's k pairs as
    # independent: narrower than the truth), in the file as go_ratio_low and go_ratio_high
    assert "Binomial (Wilson)" not in text
    assert (
        "95% intervals of the ratio to random (GO) by a bootstrap over the genes (the 40 genes "
        "drawn with replacement 1,000 times, by a fixed seed (0: a rerun gives the same "
        "intervals)" in text
    )
    assert "The genes' neighbourhoods overlap" in text and "so these are still somewhat" in text
    assert "over the seeds recorded for the default 100-epoch model" in text
    assert (table["go_ratio_low"] <= table["go_ratio"] + 1e-9).all()
    assert (table["go_ratio"] <= table["go_ratio_high"] + 1e-9).all()
    for row in table.itertuples():
        assert f" {row.go_ratio_low:.2f}–{row.go_ratio_high:.2f}" in text, row
    assert "go_ratio_low for “ratio to random (GO), 95% low”" in text
    assert "go_ratio_high for “ratio to random (GO), 95% high”" in text
    # FE against the correlation reference on the same draws, in words the interval allows
    paired = re.search(
        r"“FE run_a, 4-D gene vectors” minus “expression correlation”, ([+-][\d.]+) \(95% "
        r"interval ([+-][\d.]+) to ([+-][\d.]+)\): (FE is not told apart|FE's ratio is above|"
        r"FE's ratio is below)",
        text,
    )
    assert paired, text[text.find("The difference of the ratio") :][:600]
    low, high = float(paired.group(2)), float(paired.group(3))
    assert low <= float(paired.group(1)) <= high
    verdict = paired.group(4)
    assert verdict == (
        "FE's ratio is above"
        if low > 0
        else "FE's ratio is below"
        if high < 0
        else "FE is not told apart"
    )
    # the network is of signed r: "most correlated" read as |r|
    assert "the top 1% of gene pairs by Pearson r, the most positively correlated" in text
    for code in ("go_ratio", "go_fraction", "coexp_ratio", "coexp_fraction"):
        assert f"{code} " not in text.split("In tables/gene_space.csv")[0], code
    assert "Where this departs from the paper's Figure 4: neighbours by cosine distance" in text
    assert "column is the model's map as trained: the paper's objective plus the neighbour" in text
    assert re.search(r"Software: Python 3\.\d+\.\d+, numpy [\d.]+, scipy", text)
    # the novel pairs by what makes them novel, each counted once (the heading's count read
    # as that many discoveries)
    close = pd.read_csv(report / "tables" / "close_pairs.csv")
    novel = close[close["novel"]]
    said = re.search(
        r"Of the ([\d,]+) novel pairs, ([\d,]+) have a gene without a GO term; "
        r"([\d,]+) more have a correlation of 0\.8 or more.*?; ([\d,]+) more have a "
        r"gene detected in fewer than 10% of the samples; the other ([\d,]+) have "
        r"none of these reasons",
        text,
    )
    assert said, text
    counts = [int(g.replace(",", "")) for g in said.groups()]
    # the file's columns are said on the page (both_annotated was nowhere defined)
    assert "both_annotated: both genes have a biological-process term" in text
    assert counts[0] == len(novel) == sum(counts[1:])
    assert counts[1] == int((~novel["both_annotated"]).sum())
    # the second list of novel pairs only when it differs from the first
    first = close[close["novel"]].sort_values("distance", kind="stable").head(30)
    rare_among_first = bool((first["min_detection"] < 0.1).any())
    assert ("rarely detected genes included" in text) == rare_among_first


def test_close_pairs_read_as_shares_and_powers_of_ten():
    """A close-pair table read distance 0.0000598, expected 0.000265 and fraction 0.00222
    beside correlations to 4 decimals, under the code's column names."""
    from core.report_sections import _pairs_for_page

    pairs = pd.DataFrame(
        {
            "symbol_a": ["A1", "B1"],
            "type_a": ["lncRNA", "miRNA"],
            "distance": [0.0000598, 0.00261],
            "correlation": [0.76758, float("nan")],
            "min_detection": [0.00222, 0.35],
            "expected": [0.000265, 1.0],
        }
    )
    shown = _pairs_for_page(pairs)
    assert list(shown.columns) == [
        "gene A",
        "type of A",
        "distance",
        "correlation",
        "detected in (the rarer gene)",
        "expected share",
    ]
    assert list(shown["distance"]) == ["5.98 × 10⁻⁵", "2.61 × 10⁻³"]  # one form per column
    assert shown["correlation"].iloc[0] == "0.7676" and pd.isna(shown["correlation"].iloc[1])
    assert list(shown["detected in (the rarer gene)"]) == ["0.222%", "35.0%"]
    assert list(shown["expected share"]) == ["0.0265%", "100%"]
    assert list(pairs.columns)[0] == "symbol_a" and pairs["distance"].iloc[0] == 0.0000598
    # without a distance that small: 3 significant digits
    assert list(_pairs_for_page(pairs.iloc[1:])["distance"]) == ["0.00261"]


def test_data_source_fields_are_listed_in_words():
    """The settings box dumped the source as JSON ({"loader": "table", "path": ...})."""
    from core.report_cli import _source_fields_html

    source = {"loader": "table", "path": "/d/m.csv", "annotations": "/d/a.tsv"}
    source |= {"orientation": "genes_x_samples", "transform": "log2p1", "sample_column": None}
    source |= {"label_columns": ["tissue", "sex"], "steps": [{"op": "drop_zero_genes"}]}
    import html as html_module

    words = html_module.unescape(re.sub(r"<[^>]+>", "", _source_fields_html(source, "m")))
    assert "{" not in words and '"' not in words
    for said in (
        "annotations file: /d/a.tsv",
        "orientation as read: genes in rows",
        "sample id column of the annotations: the column whose values match the matrix's "
        "sample ids (found as read)",
        "annotation columns: tissue; sex",
        "dataset.source in m/config.json",
    ):
        assert said in words, said
    # "none" read as if the annotations had not been joined; without a file, none were
    unnamed = {**source, "label_columns": None}
    words = html_module.unescape(re.sub(r"<[^>]+>", "", _source_fields_html(unnamed, "m")))
    # (the field names the matrix's columns --annotation-columns named, not the file's: a
    # matrix's own tissue column is an annotation beside them)
    said = "annotation columns: none named (--annotation-columns); the annotations file's "
    assert said + "columns are all read" in words, words
    alone = {"loader": "table", "path": "/d/m.csv", "annotations": None, "sample_column": None}
    words = html_module.unescape(re.sub(r"<[^>]+>", "", _source_fields_html(alone, "m")))
    assert "sample id column of the annotations: none" in words
    assert "/d/m.csv" not in words and "log2p1" not in words  # on the Data line already
    # a gene list the Data line shortens is given in full
    dropped = [f"MIR{i}" for i in range(10)]
    step = {"op": "drop_zero_genes", "n_dropped": 10, "dropped": dropped}
    assert "MIR9" in _source_fields_html({"loader": "table", "steps": [step]}, "m")
    assert "says the whole data source" in _source_fields_html({"loader": "array"}, "m")


def test_coexp_ceiling_and_the_one_sample_classes_note():
    from scipy import sparse

    from core.analysis import coexp_ceiling
    from core.report_sections import one_sample_classes_note

    # 4 genes, one edge (0, 1): at most 2 of the 4 x 2 (gene, neighbour) pairs are edges
    edges = sparse.csr_matrix(([1, 1], ([0, 1], [1, 0])), shape=(4, 4))
    assert coexp_ceiling(edges, 2) == pytest.approx(2 / 8)
    protocol = {"n_splits": 2, "splits_one_sample": 2, "splits_one_each": 0}
    assert "read the 1-NN row" in one_sample_classes_note(protocol, ["Gaussian NB"])
    assert one_sample_classes_note(protocol, ["1-NN"]) == ""
    none = {**protocol, "splits_one_sample": 0}
    assert one_sample_classes_note(none, ["Gaussian NB"]) == ""


def test_the_data_line_names_the_tissues_left_out():
    """Brain and Fallopian Tube left out (17,382 -> 16,877 samples) was only in a collapsed
    JSON block of the page."""
    from core.report_cli import _source_html

    source = {"loader": "gtex", "gct": "/d/a.gct.gz", "transform": "log10p1"}
    source |= {"exclude_tissues": ["Brain", "Fallopian Tube"]}
    source |= {"samples_in_file": 17382, "samples_excluded": 505, "samples_unlisted": 3585}
    import html as html_module

    words = html_module.unescape(_source_html(source))
    assert "Brain, Fallopian Tube left out (505 of the file's 17,382 samples)" in words
    # the shared attributes file lacks 3,585 samples, brain ones among them: said beside it
    assert "3,585 samples the attributes file does not list are kept, unlabelled, and " in words
    assert "left out" not in _source_html({"loader": "table", "path": "/d/m.csv"})


def test_the_report_and_the_dashboard_describe_a_source_in_the_same_words():
    """The report's Data line and the dashboard's said the same things in other words (the
    report "values transformed by log10p1"): both now say what ``core.data.source_words`` says
    after the file, the report with the file's path and loader before it."""
    import html as html_module
    import types

    from core.report_cli import _source_html
    from dashboard.context import AppContext

    step = {"op": "drop_zero_genes", "n_dropped": 2, "dropped": ["MIR1", "MIR2"]}
    source = {"loader": "gtex", "gct": "/d/a.gct.gz", "transform": "log10p1", "steps": [step]}
    source |= {"exclude_tissues": ["Brain"], "samples_in_file": 100, "samples_excluded": 9}
    page = types.SimpleNamespace(source=source, value_scale=lambda: None)
    dashboard = AppContext.source_text(page)
    report = html_module.unescape(_source_html(source))
    assert dashboard.startswith("a.gct.gz; values transformed by log10(x+1); Brain left out (9 ")
    assert dashboard.endswith("then the 2 genes 0 in every sample left out (MIR1, MIR2)")
    assert report.endswith(dashboard.removeprefix("a.gct.gz"))
    assert report.startswith("file <code>/d/a.gct.gz</code>; loader gtex; values transformed ")


@needs_chromium
def test_figure3_reads_the_papers_claim_against_its_numbers(real_models, tmp_path):
    """The paper says expression is organised over FE's map and not over t-SNE's; the page
    showed the smoothness of both and said nothing of the claim."""
    import html as html_module

    out = tmp_path / "r"
    argv = ["report", "--model", str(real_models[0]), "--out", str(out), "--methods", "tsne"]
    assert main([*argv, *FAST, "--k", "3", "--no-cache", "--no-go"]) == 0
    text = html_module.unescape(re.sub(r"<[^>]+>", "", (out / "index.html").read_text()))
    said = re.search(
        r"Here FE's map is the smoother for (\d+) of the 40 genes \(mean ([\d.]+) against "
        r"t-SNE's ([\d.]+): a difference of ([+-][\d.]+), per gene sd ([\d.]+)\): "
        r"(in line with that claim|the claim is not reproduced)",
        text,
    )
    assert said, text[text.find("The paper reports gene") :][:300]
    smoother, fe, tsne = int(said.group(1)), float(said.group(2)), float(said.group(3))
    # the size of the difference, and its spread over the genes, beside the verdict
    # the difference of the means as shown (0.748 against 0.752 read "-0.003")
    digits = len(said.group(2).split(".")[1])
    assert digits == (4 if abs(fe - tsne) < 0.01 else 3) == len(said.group(4).split(".")[1])
    assert float(said.group(4)) == pytest.approx(fe - tsne, abs=1e-9)
    assert float(said.group(5)) > 0
    # the conclusion first, then how it was measured (it came after the table and figure)
    assert text.find("The paper reports gene") < text.find("mean and quartiles over the genes")
    said = re.search(r"(in line with that claim|the claim is not reproduced)", said.group(0))
    in_line = said.group(1) == "in line with that claim"
    assert in_line == (fe > tsne and smoother > 20)


def test_table1_leads_with_its_result():
    """Table 1's section opened with its protocol and left the reader to read the result off
    30 cells; it now says first how the model's 1-NN accuracy stands against each map, with
    "higher" or "lower" only where the split-by-split interval leaves out 0, and how few
    splits there were."""
    from core.analysis import semi_supervised_table
    from core.report_sections import _section_table1, _table1_lead

    rng = np.random.default_rng(0)
    labels = np.repeat(list("abcdefgh"), 10)
    good = np.c_[np.repeat(np.arange(8), 10) * 3.0, np.zeros(80)] + rng.normal(size=(80, 2)) / 3
    maps = {"fe": good, "pca": rng.normal(size=(80, 2)), "tsne": good + 0.01}
    table = semi_supervised_table(
        maps, labels, fraction=0.3, n_splits=5, classifiers=["Gaussian NB", "1-NN"]
    )
    lead = _table1_lead(table, 0.125)
    assert lead.startswith("In short (1-NN): Factorized Embeddings ")
    assert "higher than PCA (" in lead and "level with t-SNE (" in lead, lead
    assert "lower than" not in lead
    assert "Chance is 0.125" in lead and "only 5 splits (the default is 100)" in lead
    args = SimpleNamespace(seed=0, center_samples=False)
    section = _section_table1(table, "tissue", args, chance=0.125)
    assert section.index("In short (1-NN)") < section.index("Classify <b>tissue</b>")
    # one split: no interval, so no "higher" nor "level", only the accuracies
    one = semi_supervised_table(maps, labels, fraction=0.3, n_splits=1, classifiers=["1-NN"])
    lead = _table1_lead(one)
    assert "higher" not in lead and "level" not in lead and "PCA 0." in lead, lead
    assert "Only 1 split (the default is 100)" in lead


def test_table1_lead_shows_the_decimals_a_difference_needs(monkeypatch):
    """On the 26-tissue set the page read "Factorized Embeddings 0.29, higher than ... t-SNE
    (0.29)": the split-by-split interval left out 0, but two decimals hid the difference."""
    from core import report_sections
    from core.analysis import semi_supervised_table

    rng = np.random.default_rng(0)
    labels = np.repeat(list("abcd"), 10)
    maps = {"fe": rng.normal(size=(40, 2)), "tsne": rng.normal(size=(40, 2))}
    maps["pca"] = rng.normal(size=(40, 2))
    table = semi_supervised_table(maps, labels, fraction=0.3, n_splits=5, classifiers=["1-NN"])
    for name, value in {"fe": 0.2914, "tsne": 0.2886, "pca": 0.18}.items():
        table.loc["1-NN", (name, "mean")] = value
    ci = pd.DataFrame(
        {"ci_low": [0.002, 0.1], "ci_high": [0.004, 0.12]},
        index=pd.MultiIndex.from_tuples([("1-NN", "tsne"), ("1-NN", "pca")]),
    )
    monkeypatch.setattr(report_sections.analysis, "paired_differences", lambda *a: ci)
    lead = report_sections._table1_lead(table)
    assert "Factorized Embeddings 0.291, higher than t-SNE (0.289) and PCA (0.180)" in lead, lead
    # a level pair shown equal needs no more decimals
    ci.loc[("1-NN", "tsne"), "ci_low"] = -0.001
    lead = report_sections._table1_lead(table)
    assert "Factorized Embeddings 0.29, higher than PCA (0.18); level with t-SNE (0.29)" in lead


def test_a_short_training_is_said(report):
    """A model trained with --epochs below what train chooses for the matrix: the page said
    "1 epoch" in its settings line and nothing of what that does to every score below."""
    from core.report_cli import _short_training_note

    assert _short_training_note(None, 30, 100, "cpu") == ""  # chosen by train itself
    assert _short_training_note(100, 100, 100, "cpu") == ""
    assert _short_training_note(300, 300, 100, "cpu") == ""
    note = _short_training_note(30, 30, 100, "cpu")
    assert "30 epochs (--epochs 30), fewer than the 100" in note and "on a CPU" in note
    assert "on a GPU" in _short_training_note(2, 2, 100, "cuda:0")
    page = (report / "index.html").read_text()
    said = page.find("Short training: 1 epoch (--epochs 1), fewer than the 100")
    assert said > 0 and said < page.find("Sample maps (Figure 2)")
