"""`python -m core report` as a biologist runs it on a model of their own: a label of hundreds of
classes (donors), markers named by Ensembl id, GO annotations that cover none of the genes, a
result cache inside the report folder, the settings table's unset values."""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from core.cli import main

needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") or os.environ.get("BROWSER_PATH")),
    reason="figure export needs Chromium (or BROWSER_PATH)",
)
FAST = ["--methods", "pca", "--classifiers", "1-NN", "--splits", "2", "--fraction", "0.5"]
#: Ensembl id of TBX4, the first gene of the 26-tissue set (GO snapshot's gene table).
TBX4_ENSEMBL = "ENSG00000121075"


@pytest.fixture(scope="module")
def donor_model(sepira_file, tmp_path_factory):
    """A one-epoch model of 130 real GTEx samples x 40 genes (genes keyed by symbol alone),
    with a ``donor`` annotation of 65 classes, two samples each."""
    import pandas as pd

    folder = tmp_path_factory.mktemp("models")
    table = pd.read_csv(sepira_file).iloc[::4, :42].reset_index(drop=True)
    table.insert(2, "donor", [f"donor {i // 2:02d}" for i in range(len(table))])
    table.to_csv(folder / "donors.csv", index=False)
    argv = ["train", "--matrix", folder / "donors.csv", "--out", folder / "donors"]
    argv += ["--epochs", "1", "--gene-dim", "4", "--hidden", "8", "--device", "cpu"]
    assert main([str(a) for a in argv]) == 0
    return folder / "donors"


def _run(args, capsys):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def _png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


@pytest.fixture(scope="module")
def donor_report(donor_model, tmp_path_factory):
    """The report of ``donor_model`` by donor, its markers named by Ensembl id."""
    if not (shutil.which("chromium") or os.environ.get("BROWSER_PATH")):
        pytest.skip("figure export needs Chromium (or BROWSER_PATH)")
    out = tmp_path_factory.mktemp("report") / "report"
    argv = ["report", "--model", donor_model, "--out", out, "--label", "donor", *FAST]
    argv += ["--no-cache", "--markers", f"{TBX4_ENSEMBL},{TBX4_ENSEMBL.lower()}.7,TBX4"]
    assert main([str(a) for a in argv]) == 0
    return out


@needs_chromium
def test_a_label_of_many_classes_keeps_figure_2_its_size(donor_report):
    """--label of 930 donors: every class in the legend made Figure 2 2400 x 37,480 px, the
    maps a strip at its top, and the page still said '(legend)'."""
    width, height = _png_size(donor_report / "figures" / "maps.png")
    assert height < width, (width, height)
    page = (donor_report / "index.html").read_text()
    caption = re.search(r"<figcaption>(Figure 2:[^<]*)", page).group(1)
    assert "65 classes" in caption and "too many to list" in caption, caption


def test_the_legend_stays_for_a_few_dozen_classes():
    from core.report_figures import MAX_LEGEND_CLASSES, _fig_maps

    rng = np.random.default_rng(0)
    for n, shown in ((26, True), (MAX_LEGEND_CLASSES + 5, False)):
        labels = np.array([f"class {i:03d}" for i in range(n)] * 2, dtype=object)
        fig = _fig_maps({"fe": rng.normal(size=(labels.size, 2))}, labels, "donor")
        assert fig.layout.showlegend is shown
        assert fig.layout.height <= (2000 if shown else 500), fig.layout.height
        assert (f"{n} classes" in fig.layout.title.text) is not shown


@needs_chromium
def test_markers_named_by_ensembl_id_are_found_in_data_keyed_by_symbols(donor_report):
    """ENSG00000121075 was 'not among the model's 40 genes' where TBX4 was the first of them."""
    rows = (donor_report / "tables" / "marker_smoothness.csv").read_text().splitlines()
    found = {line.split(",")[0]: line.split(",")[2] for line in rows[1:]}
    assert found == {TBX4_ENSEMBL: "TBX4", f"{TBX4_ENSEMBL.lower()}.7": "TBX4", "TBX4": "TBX4"}
    assert "Not among this dataset" not in (donor_report / "index.html").read_text()


def test_go_annotations_of_none_of_the_genes_are_refused_before_the_work(
    donor_model, tmp_path, capsys
):
    """A GAF of other genes gave shares of 0 and every close pair 'novel', without a word."""
    gaf = tmp_path / "mouse.gaf"
    gaf.write_text(
        "!gaf-version: 2.2\n"
        "MGI\tMGI:1\tTbx4x\t\tGO:0008150\tPMID:1\tIDA\t\tP\t\t\tprotein\ttaxon:10090\t"
        "20200101\tMGI\n"
    )
    obo = tmp_path / "go.obo"
    obo.write_text(
        "format-version: 1.2\n\n[Term]\nid: GO:0008150\nname: biological_process\n"
        "namespace: biological_process\n"
    )
    out = tmp_path / "r"
    argv = ["report", "--model", donor_model, "--out", out, *FAST, "--no-cache"]
    code, err = _run([*argv, "--go-gaf", gaf, "--go-obo", obo], capsys)
    assert code != 0 and f"--go-gaf {gaf}" in err and "none of the model's 40 genes" in err, err
    assert "Traceback" not in err and not out.exists()


def test_go_section_without_annotated_genes_says_so(donor_model, tmp_path, monkeypatch):
    """The bundled snapshot covering none of the genes (another species): the page compares the
    gene space with co-expression alone, and says why, rather than a GO column of zeros."""
    import argparse

    from core.analysis_cli import _Loaded
    from core.report_sections import _section_gene_space

    loaded = _Loaded(donor_model, None)
    loaded.symbols = np.asarray(loaded.es.gene_symbols, dtype=object)
    args = argparse.Namespace(
        k=3,
        no_go=False,
        go=None,
        go_options={"gaf": None, "obo": None, "exclude": [], "sizes": (3, 500)},
        go_unmatched="none of the model's 40 genes has a biological-process term",
    )
    section = html.unescape(_section_gene_space(loaded, [], args, {}, None, {}))
    assert "No GO comparison." in section and "None of the model's 40 genes" in section
    assert "share with a GO term" not in section and "Close pairs in neither" not in section


def test_a_cache_inside_the_report_folder_is_refused(donor_model, tmp_path, capsys, monkeypatch):
    """--cache-dir inside --out: the finished report replaced the folder, cache and all, on
    every run, so nothing stored was ever read back."""
    out = tmp_path / "r"
    argv = ["report", "--model", donor_model, *FAST, "--no-go"]
    code, err = _run([*argv, "--out", out, "--cache-dir", out / "cache"], capsys)
    assert code != 0 and "--cache-dir" in err and "inside --out" in err, err
    assert not out.exists()
    # the default ./cache, with --out .
    monkeypatch.delenv("FE_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    code, err = _run([*argv, "--out", "."], capsys)
    assert code != 0 and "the result cache" in err and "inside --out" in err, err


def test_the_settings_table_says_an_unset_value_in_words():
    """The settings table read 'sample_noise_start | None'."""
    from core.report_cli import _setting_text

    assert _setting_text("sample_noise_start", None, {}) == "not set"
    assert _setting_text("sample_lr_scale", 5.0, {}) == "5.0"


def test_highest_in_never_reads_minus_zero():
    """DTHHRDY's classes read '0 (+0.5), 1 (-0.0)' in the marker table."""
    from core.report_sections import _highest_in

    text = _highest_in(np.array([0.5, 0.5, -0.04, -0.04, -0.6]), np.array(list("aabbc")))
    assert text == "a (+0.5), b (+0.0)", text


def test_a_gct_read_whole_says_so_in_words():
    """The source box read 'genes read at most: none', as if no gene had been read."""
    from core.report_cli import _source_fields_html

    box = _source_fields_html({"gct": "x.gct", "max_genes": None}, "model")
    assert "genes read at most: no limit" in box and ": none" not in box, box


def test_models_of_other_gene_dims_are_not_said_to_be_one_size():
    """--compare-models of a 10-D and a 50-D model: the note still said 'one gene embedding
    size, the model's 50 dimensions (the paper compares several ...)'."""
    from types import SimpleNamespace

    import pandas as pd

    from core.report_sections import _gene_space_limits

    def run(gene_dim):
        model = SimpleNamespace(gene_embedding_=np.zeros((30, gene_dim)))
        return SimpleNamespace(model=model, es=SimpleNamespace(n_genes=30))

    table = pd.DataFrame({"n_pairs": [150]}, index=["FE"])
    alone = html.unescape(_gene_space_limits(table, None, 5, False, run(50)))
    assert "one gene embedding size, the model's 50 dimensions" in alone
    both = html.unescape(_gene_space_limits(table, None, 5, False, run(50), None, [run(10)]))
    assert "one gene embedding size" not in both and "Where this departs" in both


def test_rows_at_a_ceiling_are_told_apart():
    """Two rows at the co-expression ceiling read 'which FE, 50-D gene vectors, expression
    correlation reach': three names for two rows."""
    from types import SimpleNamespace

    import pandas as pd
    from scipy import sparse

    from core.report_sections import _gene_space_limits

    run = SimpleNamespace(
        model=SimpleNamespace(gene_embedding_=np.zeros((4, 8))), es=SimpleNamespace(n_genes=4)
    )
    coexp = sparse.csr_matrix(np.ones((4, 4)) - np.eye(4))  # every pair an edge: ceiling 1
    table = pd.DataFrame(
        {"n_pairs": [4, 4], "coexp_fraction": [1.0, 1.0], "coexp_random": [1.0, 1.0]},
        index=["FE, 8-D gene vectors", "expression correlation"],
    )
    note = html.unescape(_gene_space_limits(table, coexp, 1, False, run))
    assert "which “FE, 8-D gene vectors” and “expression correlation” reach" in note, note
