"""A file that is not what it was taken for, refused with a line that says what it is: an
export's own table given as an expression matrix, and a header split by another separator than
the rows below it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import load_table
from core.errors import DataError
from core.estimator import FactorizedEmbeddings
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


@pytest.fixture(scope="module")
def exported(sepira_file, tmp_path_factory):
    """A one-epoch model of 104 real GTEx samples x 30 genes, and its training matrix."""
    es = load_table(sepira_file)
    es = es.subset(samples=np.arange(0, es.n_samples, 5), genes=np.arange(30))
    root = tmp_path_factory.mktemp("exported")
    matrix = root / "matrix.csv"
    pd.DataFrame(es.values, index=es.sample_ids, columns=es.gene_symbols).rename_axis(
        "sample"
    ).to_csv(matrix)
    model_dir = root / "model"
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0)
    model.fit(es).save(model_dir)
    return model_dir, matrix


def _export(model_dir, out, capsys, *extra):
    code, _, err = _run(["export", "--model", model_dir, "--out", out, *extra], capsys)
    assert code == 0, err
    return out


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_an_exports_tables_given_as_the_matrix_are_named(exported, tmp_path, capsys, fmt):
    """genes.csv of an export given to train or embed was read as a matrix of 4 samples (its
    g1..g4 columns), with only a warning of a bad fit; samples.csv as 2 genes (x, y)."""
    model_dir, matrix = exported
    out = _export(model_dir, tmp_path / "e", capsys, "--format", fmt)
    genes, samples = out / f"genes.{fmt}", out / f"samples.{fmt}"
    with pytest.raises(DataError) as caught:
        load_table(genes)
    said = str(caught.value)
    assert "\n" not in said and str(genes) in said
    assert "gene-vector table written by `python -m core export`" in said
    assert "(columns symbol, gene_type, g1..g4)" in said and "not an expression matrix" in said
    with pytest.raises(DataError) as caught:
        load_table(samples)
    said = str(caught.value)
    assert "sample-map table written by `python -m core export`" in said
    assert "(columns sample_id, x, y, tissue)" in said

    # the command line says it in one line, for train and for embed, and writes nothing
    for command in (
        ["train", "--matrix", genes, "--out", tmp_path / "m", "--epochs", "1", "--device", "cpu"]
        + TINY,
        ["embed", "--model", model_dir, "--matrix", samples, "--out", tmp_path / "p.csv"],
    ):
        code, _, err = _run([*command, "--transform", "none"], capsys)
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert code != 0 and len(lines) == 1, err
        assert "written by `python -m core export`" in lines[0]
        assert "the file the model was trained on" in lines[0]
    assert not (tmp_path / "m").exists() and not (tmp_path / "p.csv").exists()
    # the matrix the model was trained on is read as before
    assert load_table(matrix).n_samples == 104


def test_a_simulated_models_tables_are_named_and_coordinates_beside_genes_are_read(
    tmp_path, capsys
):
    """A model of simulated data: a first column ``data`` = SIMULATED, and gene ids beside the
    symbols (gene_id, symbol, gene_type, g1..gD). Names alone tell them: a table of
    coordinates beside genes is a matrix."""
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=40, n_genes=300, n_tissues=2, seed=0)
    model = FactorizedEmbeddings(gene_dim=3, hidden=(8,), epochs=1, device="cpu", seed=0)
    model.fit(es).save(tmp_path / "sim")
    out = _export(tmp_path / "sim", tmp_path / "e", capsys)
    assert pd.read_csv(out / "genes.csv", nrows=1).columns[0] == "data"
    with pytest.raises(DataError, match=r"\(columns gene_id, symbol, gene_type, g1\.\.g3\)"):
        load_table(out / "genes.csv")
    with pytest.raises(DataError, match=r"sample-map table .*\(columns sample_id, x, y"):
        load_table(out / "samples.csv")
    # a spatial table (sample_id, x, y, then genes) is an expression matrix: its names say
    # genes; samples named g1, g3 beside a symbol column are samples (not g1..gD)
    rng = np.random.default_rng(0)
    spatial = pd.DataFrame(rng.random((4, 3)), columns=["GATA4", "TP53", "MYC"])
    spatial.insert(0, "y", [1.0, 2.0, 3.0, 4.0])
    spatial.insert(0, "x", [0.5, 1.5, 2.5, 3.5])
    spatial.insert(0, "sample_id", ["s1", "s2", "s3", "s4"])
    spatial.to_csv(tmp_path / "spatial.csv", index=False)
    es = load_table(tmp_path / "spatial.csv")
    assert es.n_samples == 4 and "GATA4" in list(es.gene_ids)
    genes = pd.DataFrame(rng.random((3, 2)), columns=["g1", "g3"])
    genes.insert(0, "symbol", ["GATA4", "TP53", "MYC"])
    genes.to_csv(tmp_path / "genes.csv", index=False)
    assert load_table(tmp_path / "genes.csv").n_samples == 2


def test_an_export_given_as_an_upload_on_the_page_is_named(exported, tmp_path, capsys):
    """The page's upload box reads with the same reader: the message names the uploaded file
    (not the temporary copy) and what it is."""
    from dashboard.uploads import _load_upload

    model_dir, _ = exported
    out = _export(model_dir, tmp_path / "e", capsys)
    copy = tmp_path / "upload-1234.csv"
    copy.write_bytes((out / "genes.csv").read_bytes())
    with pytest.raises(DataError) as caught:
        _load_upload(copy, "genes.csv", "none", {"GATA4"})
    said = str(caught.value)
    assert said.startswith("matrix file genes.csv looks like a gene-vector table"), said
    assert str(copy) not in said


# ----------------------------------------------------------------------------- separators
ROWS = [["S1", "1.0", "2.0", "3.0", "4.5"], ["S2", "1.5", "2.5", "3.5", "4.0"]]
NAMES = ["sample", "GATA4", "TP53", "MYC", "ACTB"]


@pytest.mark.parametrize(
    "name, header_sep, row_sep, said",
    [
        ("m.tsv", " ", "\t", "the header has 5 fields split by spaces but the rows below have 5 "),
        ("m.txt", " ", "\t", "split by spaces but the rows below have 5 fields split by tabs"),
        ("m.csv", " ", "\t", "split by spaces but the rows below have 5 fields split by tabs"),
        ("m.tsv", "\t", " ", "split by tabs but the rows below have 5 fields split by spaces"),
        ("m.csv", ",", "\t", "split by commas but the rows below have 5 fields split by tabs"),
        ("m.csv", ",", ";", "split by commas but the rows below have 5 fields split by semicolons"),
    ],
)
def test_a_header_split_otherwise_than_its_rows_is_refused(
    tmp_path, name, header_sep, row_sep, said
):
    """A space-separated header above tab-separated rows was taken for a title and left out
    ("column names expected, found numbers"); the reverse read every row as one sample id
    without values ("S1 1.0 2.0 ..."), with warnings only."""
    path = tmp_path / name
    lines = [header_sep.join(NAMES), *(row_sep.join(r) for r in ROWS)]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        load_table(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"matrix file {path}, line 1:")
    assert said in message and "use different separators" in message


def test_a_space_header_above_tab_rows_is_refused_not_a_title_above_a_header(tmp_path):
    """A line of names split by spaces above rows of values is a header, refused; a title of
    as many words as the table has columns is still a title (the line below it is a header of
    names, not a row of values); R's space-separated tables are read."""
    path = tmp_path / "spaces.tsv"
    rows = "\n".join("\t".join(r) for r in ROWS)
    path.write_text(" ".join(NAMES) + "\n" + rows + "\n")
    with pytest.raises(DataError, match="the header has 5 fields split by spaces"):
        load_table(path)
    path = tmp_path / "titled.tsv"
    path.write_text("Expression values for my samples\n" + "\t".join(NAMES) + "\n" + rows + "\n")
    es = load_table(path)
    assert list(es.sample_ids) == ["S1", "S2"] and list(es.gene_ids) == NAMES[1:]
    # R's write.table: names in quotes, one field fewer in the header (row names)
    path = tmp_path / "r.txt"
    quoted = " ".join(f'"{n}"' for n in NAMES[1:])
    path.write_text(quoted + "\n" + "\n".join(" ".join(r) for r in ROWS) + "\n")
    es = load_table(path)
    assert list(es.sample_ids) == ["S1", "S2"] and list(es.gene_ids) == NAMES[1:]
    np.testing.assert_allclose(es.values[0], [1.0, 2.0, 3.0, 4.5])


def test_a_title_above_a_header_of_numbers_is_still_a_title(tmp_path):
    """A title of as many words as the table has columns, above a header whose sample names
    are numbers (patients 1001.., hours 0, 2, 6, 12), was read as a header split by spaces
    and refused; the title is left out and the header of numbers read, as before."""
    rows = "".join(f"{g},1.0,2.0,3.0,4.5\n" for g in ("GATA4", "TP53", "MYC"))
    for title, header in [
        ("Cohort expression export 2024", "gene,1001,1002,1003,1004"),
        ("Time course log2 TPM hours", "gene,0,2,6,12"),
    ]:
        path = tmp_path / "titled.csv"
        path.write_text(f"{title}\n{header}\n{rows}")
        es = load_table(path)
        assert list(es.sample_ids) == header.split(",")[1:], title
        assert list(es.gene_ids) == ["GATA4", "TP53", "MYC"]


def test_rows_short_of_fields_with_spaces_in_their_text_are_no_other_separator(tmp_path):
    """A tab-separated annotation table whose rows leave out an empty last field, with text of
    three words (``S1<TAB>heart left ventricle``), was refused as rows split by spaces."""
    from core.data.sample_annotations import _read_annotations

    path = tmp_path / "ann.tsv"
    path.write_text(
        "sample\ttissue\tnotes\nS1\theart left ventricle\nS2\tliver right lobe\n"
        "S3\tlung upper lobe\n"
    )
    frame = _read_annotations(path)
    assert list(frame.columns) == ["sample", "tissue", "notes"]
    assert frame["tissue"].tolist() == [
        "heart left ventricle",
        "liver right lobe",
        "lung upper lobe",
    ]


@pytest.mark.parametrize("what", ["matrix", "annotations"])
def test_a_field_too_long_for_csv_is_said(sepira_file, tmp_path, what):
    """A line of 10 MB with no separator (or a quote left open) ended in csv's traceback
    "field larger than field limit (131072)"."""
    long = tmp_path / "long.csv"
    long.write_text('sample,TBX4\nS1,"' + "a" * 200_000 + ",1\n")
    if what == "matrix":
        args = {"path": long}
    else:
        args = {"path": sepira_file, "annotations": long, "transform": "none"}
    with pytest.raises(DataError, match=r"long\.csv cannot be read as a table: a field of more"):
        load_table(**args)
