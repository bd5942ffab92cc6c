"""Tables as people have them: numbers as column names (time points, doses), ids that are not
gene symbols (probe sets, Ensembl ids of other species, Entrez numbers), and the mistakes of
spreadsheets (empty rows, unnamed columns, dates for gene names, a matrix given as the sample
annotations). Small files cut from the real SEPIRA GTEx table; fast."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import load_source, load_table
from core.errors import DataError

#: Affymetrix HG-U133 probe set ids as GEO writes them (first rows of GPL570)
PROBES = ["1007_s_at", "1053_at", "117_at", "121_at", "1255_g_at", "1294_at"]


@pytest.fixture(scope="module")
def real(sepira_file) -> pd.DataFrame:
    """40 real samples x 12 genes (symbols as columns), log-scale values, indexed by sample."""
    frame = pd.read_csv(sepira_file).iloc[:40, :14].drop(columns="tissue")
    return frame.set_index("sample")


def _genes_rows(real: pd.DataFrame, gene_ids: list[str], n_samples: int) -> pd.DataFrame:
    """``len(gene_ids)`` genes (rows, the first real genes renamed) x ``n_samples`` samples."""
    block = real.iloc[:n_samples, : len(gene_ids)].T.copy()
    block.index = pd.Index(gene_ids)
    return block


# ----------------------------------------------------------------------------- numeric headers
def test_genes_named_by_ensembl_ids_alone_get_their_symbols(tmp_path, gtex_acmg59_files):
    """A featureCounts-like table keyed by Ensembl ids alone kept its ids as symbols: the model
    then knew no MYH7 (``neighbours``, the report's markers, an upload named by symbols)."""
    from core.cli import main

    gct = pd.read_csv(gtex_acmg59_files["gct"], sep="\t", skiprows=2, nrows=59)
    counts = gct.drop(columns="Description").iloc[:, :41].rename(columns={"Name": "gene_id"})
    counts.loc[len(counts)] = ["ENSG99999999999.1", *counts.iloc[0, 1:]]  # known to no table
    path = tmp_path / "counts.csv"
    counts.to_csv(path, index=False)
    es = load_table(path, transform="log2p1")
    by_id = dict(zip(es.gene_ids, es.gene_symbols, strict=True))
    described = dict(zip(gct["Name"], gct["Description"], strict=True))
    assert by_id["ENSG00000092054.12"] == "MYH7" == described["ENSG00000092054.12"]
    agree = [by_id[i] == described[i] for i in gct["Name"]]
    assert sum(agree) >= 57, [(i, by_id[i], described[i]) for i in gct["Name"] if not agree]
    assert by_id["ENSG99999999999.1"] == "ENSG99999999999.1"  # not known: the id stands in
    model = tmp_path / "model"
    args = ["train", "--matrix", str(path), "--transform", "log2p1", "--out", str(model)]
    assert main([*args, "--epochs", "1", "--hidden", "8", "--gene-dim", "4"]) == 0
    assert main(["neighbours", "--model", str(model), "--genes", "MYH7", "--k", "2"]) == 0


def test_numbers_as_column_names_with_a_named_id_column(tmp_path, real):
    """Time points as sample names: 'gene,0.5,1.0,1.5,2,4.0' is a header, not a data row."""
    table = _genes_rows(real, list(real.columns[:6]), 5)
    table.columns = ["0.5", "1.0", "1.5", "2", "4.0"]
    table.index.name = "gene"
    path = tmp_path / "time_course.csv"
    table.to_csv(path)
    es = load_table(path)
    assert list(es.sample_ids) == ["0.5", "1.0", "1.5", "2", "4.0"]
    assert list(es.gene_ids) == list(real.columns[:6])
    np.testing.assert_allclose(es.values, table.to_numpy().T, rtol=1e-6)


def test_numbers_as_column_names_as_r_writes_them(tmp_path, real):
    table = _genes_rows(real, list(real.columns[:6]), 4)
    table.columns = ["0.1", "0.25", "0.5", "1.0"]
    # write.csv: an empty first header field, names quoted, numbers not
    lines = ['"","0.1","0.25","0.5","1.0"']
    lines += [f'"{g}",' + ",".join(repr(float(v)) for v in row) for g, row in table.iterrows()]
    (tmp_path / "write_csv.csv").write_text("\n".join(lines) + "\n")
    # write.table(sep="\t", quote=FALSE): no header field above the row names
    body = table.to_csv(sep="\t").splitlines()
    body[0] = body[0].split("\t", 1)[1]
    (tmp_path / "write_table.txt").write_text("\n".join(body) + "\n")
    # a first field that names no id column but is not of the form of the ids ("dose" / TP53)
    (tmp_path / "dose.csv").write_text(table.rename_axis("dose").to_csv())
    for name in ("write_csv.csv", "write_table.txt", "dose.csv"):
        es = load_table(tmp_path / name)
        assert list(es.sample_ids) == ["0.1", "0.25", "0.5", "1.0"], name
        assert list(es.gene_ids) == list(real.columns[:6]), name
        np.testing.assert_allclose(es.values, table.to_numpy().T, rtol=1e-6)


def test_r_write_table_with_its_defaults_space_separated_and_quoted(tmp_path, real):
    """write.table(x, "f.txt"): fields separated by one space, names in quotes, no header field
    above the row names. It was read as one column; the error pasted whole rows (25 KB)."""
    genes = _genes_rows(real, list(real.columns[:6]), 5)
    lines = [" ".join(f'"{s}"' for s in genes.columns)]
    lines += [f'"{g}" ' + " ".join(repr(float(v)) for v in row) for g, row in genes.iterrows()]
    (tmp_path / "genes.txt").write_text("\n".join(lines) + "\n")
    # samples in rows, with a tissue of two words in quotes
    samples = real.iloc[:5, :6].copy()
    samples.insert(0, "tissue", ["Adipose Tissue"] * 5)
    lines = [" ".join(f'"{c}"' for c in samples.columns)]
    for sid, row in samples.iterrows():
        lines.append(f'"{sid}" "{row.iloc[0]}" ' + " ".join(repr(float(v)) for v in row.iloc[1:]))
    (tmp_path / "samples.txt").write_text("\n".join(lines) + "\n")

    es = load_table(tmp_path / "genes.txt")
    assert list(es.sample_ids) == list(genes.columns)
    assert list(es.gene_ids) == list(genes.index)
    np.testing.assert_allclose(es.values, genes.to_numpy().T, rtol=1e-6)
    es = load_table(tmp_path / "samples.txt")
    assert list(es.sample_ids) == list(samples.index) and es.n_genes == 6
    assert list(es.samples["tissue"]) == ["Adipose Tissue"] * 5
    np.testing.assert_allclose(es.values, samples.iloc[:, 1:].to_numpy(), rtol=1e-6)


def test_names_in_a_message_are_cut_short(tmp_path):
    """A row read whole as one name (the separator not found) filled the message."""
    long = "x" * 300
    path = tmp_path / "odd.tsv"
    path.write_text(f"id\tqq1\tqq2\n{long}\t1\t2\nrr2\t3\t4\n")
    with pytest.raises(DataError, match="cannot tell whether its rows") as err:
        load_table(path)
    assert len(str(err.value)) < 1000 and "…" in str(err.value)


def test_gene_symbols_on_both_axes_are_said_as_such(tmp_path):
    """Samples named WT1, C3, F8... against gene columns: the message said neither axis held
    gene symbols."""
    path = tmp_path / "both.csv"
    rows = ["WT1", "C3", "F8", "MYC", "KIT", "RET"]
    table = pd.DataFrame(np.arange(36.0).reshape(6, 6), index=rows,
                         columns=["TP53", "BRCA1", "EGFR", "GATA4", "ALB", "ACTB"])  # fmt: skip
    table.to_csv(path)
    with pytest.raises(DataError, match="cannot tell whether its rows") as err:
        load_table(path)
    assert "both the row names (e.g. 'WT1'" in str(err.value)
    assert "read as gene symbols" in str(err.value) and "neither" not in str(err.value)


def test_a_table_without_header_is_still_refused(tmp_path, real):
    # the first row is a sample like those below it: no header, whatever its numbers
    path = tmp_path / "noheader.csv"
    real.iloc[:10].to_csv(path, header=False)
    with pytest.raises(DataError, match=r"noheader\.csv, line 1: column names expected") as err:
        load_table(path)
    assert "name the first column" in str(err.value)
    # genes in rows by symbol, no header: GAPDH-like ids all of one form
    genes = _genes_rows(real, list(real.columns[:8]), 6)
    genes.to_csv(tmp_path / "genes_noheader.csv", header=False)
    with pytest.raises(DataError, match="column names expected, found numbers"):
        load_table(tmp_path / "genes_noheader.csv")
    # the first gene of another letter case than the ones below (C1orf112 above upper-case
    # symbols) is still a data row: a gene symbol, not a header
    mixed = genes.rename(index={genes.index[0]: "C1orf112"})
    mixed.to_csv(tmp_path / "mixed_noheader.csv", header=False)
    with pytest.raises(DataError, match="column names expected, found numbers"):
        load_table(tmp_path / "mixed_noheader.csv")
    # only numbers, no ids at all
    real.iloc[:10].to_csv(tmp_path / "bare.csv", header=False, index=False)
    with pytest.raises(DataError, match="column names expected, found numbers"):
        load_table(tmp_path / "bare.csv")


# ----------------------------------------------------------------------------- orientation
@pytest.mark.parametrize(
    "ids",
    [
        PROBES,
        ["ENSMUSG00000000001", "ENSMUSG00000000003", "ENSMUSG00000000028",
         "ENSMUSG00000000031", "ENSMUSG00000000037", "ENSMUSG00000000049"],
        ["ILMN_1343291", "ILMN_1343295", "ILMN_1651199", "ILMN_1651209", "ILMN_1651210",
         "ILMN_1651221"],
        ["7157", "2597", "4609", "672", "675", "1956"],  # Entrez: TP53, GAPDH, MYC, BRCA1...
        ["FBgn0000008", "FBgn0000014", "FBgn0000015", "FBgn0000017", "FBgn0000018",
         "FBgn0000022"],
    ],
    ids=["affymetrix", "ensembl_mouse", "illumina", "entrez", "flybase"],
)  # fmt: skip
def test_gene_ids_in_rows_with_more_samples_than_genes(tmp_path, real, ids):
    """6 genes x 30 samples (unnamed id column): the ids, not the shape, say genes are rows."""
    table = _genes_rows(real, ids, 30)
    table.columns = [f"patient{i:02d}" for i in range(30)]
    path = tmp_path / "ids.tsv"
    table.to_csv(path, sep="\t", index_label="")
    es = load_table(path)
    assert es.shape == (30, 6)
    assert list(es.gene_ids) == ids and es.sample_ids[0] == "patient00"
    np.testing.assert_allclose(es.values, table.to_numpy().T, rtol=1e-6)
    # the same, transposed: samples in rows
    table.T.to_csv(tmp_path / "ids_t.tsv", sep="\t", index_label="")
    es_t = load_table(tmp_path / "ids_t.tsv")
    assert es_t.shape == (30, 6) and list(es_t.gene_ids) == ids


def test_sample_ids_decide_when_the_genes_are_not_known(tmp_path, real):
    """Gene names of no known form (another species' symbols), GEO sample ids on the other
    axis: samples are where the GSM ids are."""
    table = _genes_rows(real, [f"Zm{k}d" for k in range(8)], 20)
    table.columns = [f"GSM{1000 + i}" for i in range(20)]
    table.to_csv(tmp_path / "maize.csv", index_label="")
    es = load_table(tmp_path / "maize.csv")
    assert es.shape == (20, 8) and es.sample_ids[0] == "GSM1000"


def test_sample_names_that_are_also_gene_symbols(tmp_path, real):
    """WT1..WT4 are gene symbols too: 16 samples x 12 genes, samples in rows, still read so."""
    block = real.iloc[:16].copy()
    block.index = [f"WT{i}" for i in range(1, 9)] + [f"KO{i}" for i in range(1, 9)]
    block.to_csv(tmp_path / "wt_ko.csv", index_label="")
    es = load_table(tmp_path / "wt_ko.csv")
    assert es.shape == (16, 12) and es.sample_ids[0] == "WT1"
    assert list(es.gene_ids) == list(real.columns)


def test_undecidable_orientation_is_refused_and_can_be_given(tmp_path, real):
    table = _genes_rows(real, [f"feat{k}" for k in "abcdef"], 30)
    table.columns = [f"x{i}" for i in range(30)]
    path = tmp_path / "plain.csv"
    table.to_csv(path, index_label="")
    with pytest.raises(DataError, match=r"plain\.csv: cannot tell whether its rows are") as err:
        load_table(path)
    # (the Python argument, as Python code gives it; the command line says its flag)
    for hint in ("'gene'", "'sample'", 'orientation="genes-in-rows"', 'orientation="samples-'):
        assert hint in str(err.value)
    assert "--orientation" not in str(err.value)
    es = load_table(path, orientation="genes-in-rows")
    assert es.shape == (30, 6) and list(es.gene_ids) == list(table.index)
    np.testing.assert_allclose(es.values, table.to_numpy().T, rtol=1e-6)
    assert load_table(path, orientation="samples-in-rows").shape == (6, 30)
    # the source records it: a saved model finds its data again
    again = load_source(es.source)
    assert again.shape == (30, 6) and list(again.gene_ids) == list(es.gene_ids)
    # naming the id column says it too
    table.to_csv(tmp_path / "named.csv", index_label="gene")
    assert load_table(tmp_path / "named.csv").shape == (30, 6)
    with pytest.raises(DataError, match="unknown orientation 'sideways'"):
        load_table(path, orientation="sideways")


def test_rows_without_ids_are_samples(tmp_path, real):
    # numbers only, under gene names of no known form: rows are unnamed samples
    block = real.iloc[:8, :5].copy()
    block.columns = [f"feat{k}" for k in "abcde"]
    block.to_csv(tmp_path / "no_ids.csv", index=False)
    es = load_table(tmp_path / "no_ids.csv")
    assert es.shape == (8, 5) and list(es.gene_ids) == list(block.columns)


def test_orientation_given_for_a_gct_file_is_ignored_with_a_warning(tmp_path, caplog):
    gct = tmp_path / "m.gct"
    gct.write_text("#1.2\n2\t3\nName\tDescription\tS1\tS2\tS3\nG1\tA\t1\t2\t3\nG2\tB\t4\t5\t6\n")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(gct, orientation="samples-in-rows")
    assert es.shape == (3, 2) and "orientation 'samples-in-rows' ignored" in caplog.text


# ----------------------------------------------------------------------------- spreadsheet mistakes
def test_empty_rows_are_left_out_and_rows_without_id_refused(tmp_path, real, caplog):
    block = real.iloc[:6, :4]
    text = block.to_csv(index_label="sample")
    path = tmp_path / "excel.csv"
    path.write_text(text + ",,,,\n,,,,\n")  # Excel's empty rows below the table
    with caplog.at_level(logging.INFO, logger="core.data"):
        es = load_table(path)
    assert list(es.sample_ids) == list(block.index) and not np.isnan(es.values).any()
    assert "2 empty row(s) left out (first at line 8)" in caplog.text
    lines = text.splitlines()
    lines[3] = "," + lines[3].split(",", 1)[1]  # line 4 lost its sample id
    (tmp_path / "no_id.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"no_id\.csv, line 4: a row with values but no id"):
        load_table(tmp_path / "no_id.csv")
    lines[3] = "NA," + lines[3].split(",", 1)[1]
    (tmp_path / "na_id.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"na_id\.csv, line 4: a row with values but no id"):
        load_table(tmp_path / "na_id.csv")


def test_columns_without_a_name(tmp_path, real, caplog):
    block = real.iloc[:5, :4].copy()
    spaced = block.copy()
    spaced.insert(2, "", np.nan)  # an empty spacer column
    spaced.to_csv(tmp_path / "spacer.csv", index_label="sample")
    with caplog.at_level(logging.INFO, logger="core.data"):
        es = load_table(tmp_path / "spacer.csv")
    assert list(es.gene_ids) == list(block.columns)
    np.testing.assert_allclose(es.values, block.to_numpy(), rtol=1e-6)
    # two empty columns at the end of every line, the header's too (a spreadsheet's leftover):
    # it read "duplicate column names ['']"
    text = block.to_csv(index_label="sample").replace("\n", ",,\n")
    (tmp_path / "two_empty.csv").write_text(text)
    es = load_table(tmp_path / "two_empty.csv")
    assert list(es.gene_ids) == list(block.columns)
    np.testing.assert_allclose(es.values, block.to_numpy(), rtol=1e-6)
    spaced[""] = block.iloc[:, 0].to_numpy()  # a column of values whose name was lost
    spaced.to_csv(tmp_path / "lost_name.csv", index_label="sample")
    with pytest.raises(DataError, match=r"lost_name\.csv, line 1: column 4 has no name"):
        load_table(tmp_path / "lost_name.csv")


def test_duplicate_ids_name_their_lines(tmp_path, real):
    genes = _genes_rows(real, list(real.columns[:5]), 6)
    genes.index = [*genes.index[:3], genes.index[1], genes.index[4]]
    genes.to_csv(tmp_path / "dup.csv", index_label="gene")
    with pytest.raises(
        DataError, match=rf"duplicate gene ids: '{genes.index[1]}' on lines 3 and 5"
    ):
        load_table(tmp_path / "dup.csv")


def test_empty_gene_columns_and_date_names_warn(tmp_path, real, caplog):
    block = real.iloc[:6, :5].copy()
    block.iloc[:, 2] = np.nan
    block.columns = [*block.columns[:3], "7-Sep", "1-Mar"]  # SEPT7, MARCH1 after Excel
    block.to_csv(tmp_path / "sheet.csv", index_label="sample")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "sheet.csv")
    assert es.shape == (6, 5) and np.isnan(es.values[:, 2]).all()
    assert f"1 gene(s) without a value for any sample ({block.columns[2]})" in caplog.text
    assert "empty in the file, or text only?" in caplog.text  # (a column of "low", "high")
    assert "2 gene name(s) look like dates (7-Sep, 1-Mar)" in caplog.text


def test_gene_names_that_differ_only_by_case_warn(tmp_path, real, caplog):
    """TP53 and tp53 stay two genes (mouse and human symbols differ so); a name finds the gene
    written so, another spelling the first: the loader says so."""
    block = real.iloc[:6, :4].copy()
    first = block.columns[0]
    block.columns = [first, block.columns[1], first.lower(), block.columns[3]]
    block.to_csv(tmp_path / "cases.csv", index_label="sample")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "cases.csv")
    assert es.n_genes == 4
    assert f"1 gene name(s) differ from another only by letter case ({first}/{first.lower()})" in (
        caplog.text
    )
    assert es.gene_index(first.lower()) == 2 and es.gene_index(first) == 0  # as written
    assert es.gene_index(first.capitalize()) == 0  # another spelling: the first of the two
    assert "a name finds the gene written so" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        real.iloc[:6, :4].to_csv(tmp_path / "plain.csv", index_label="sample")
        load_table(tmp_path / "plain.csv")
    assert "letter case" not in caplog.text


# ----------------------------------------------------------------------------- text values
def _with_text(real: pd.DataFrame) -> pd.DataFrame:
    """10 real samples x 6 genes with two text cells: 'high' in the first gene column (row 0)
    and '#DIV/0!' in the fourth (row 3)."""
    block = real.iloc[:10, :6].astype(object)
    block.iloc[0, 0] = "high"
    block.iloc[3, 3] = "#DIV/0!"
    return block


@pytest.mark.parametrize("genes_in_rows", [False, True])
def test_text_values_refused_or_read_as_missing(tmp_path, real, caplog, genes_in_rows):
    block = _with_text(real)
    path = tmp_path / "text.csv"
    if genes_in_rows:
        block.T.to_csv(path, index_label="gene")
    else:
        block.to_csv(path, index_label="sample")
    with pytest.raises(DataError, match=r"line 5: non-numeric value '#DIV/0!'"):
        load_table(path)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(path, text_values="missing")
    assert es.shape == (10, 6)  # the first gene column, text and all, holds values
    assert list(es.gene_ids) == list(real.columns[:6])
    missing = np.argwhere(np.isnan(es.values)).tolist()
    assert missing == [[0, 0], [3, 3]]
    expected = np.asarray(real.iloc[:10, :6], dtype=np.float32)
    ok = ~np.isnan(es.values)
    np.testing.assert_allclose(es.values[ok], expected[ok], rtol=1e-6)
    assert es.source["text_cell_count"] == 2
    first = es.source["text_cells"][0]
    assert first["text"] == "high" and first["line"] == 2
    assert {first["row"], first["column"]} == {real.index[0], real.columns[0]}
    assert "2 text value(s) read as missing (line 2," in caplog.text
    again = load_source(es.source)  # the model's data reloads the same way
    np.testing.assert_array_equal(np.isnan(again.values), np.isnan(es.values))


def test_missing_value_markers_with_spaces_are_missing_values(tmp_path, real, caplog):
    """'NA ' and 'n.a.' mark missing values as 'NA' does (pandas reads only the exact forms):
    read as missing whatever text_values says, without a word, and the first gene column
    holding one stays a gene."""
    block = real.iloc[:8, :5].astype(object)
    block.iloc[1, 0] = "NA "
    block.iloc[2, 3] = "n.a."
    block.to_csv(tmp_path / "markers.csv", index_label="sample")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "markers.csv")
    assert list(es.gene_ids) == list(real.columns[:5])
    assert np.argwhere(np.isnan(es.values)).tolist() == [[1, 0], [2, 3]]
    assert caplog.text == ""
    # beside a text value, a marker is still a missing value, not a text cell to report
    block.iloc[5, 3] = "high"
    block.to_csv(tmp_path / "both.csv", index_label="sample")
    es = load_table(tmp_path / "both.csv", text_values="missing")
    assert es.source["text_cell_count"] == 1 and es.source["text_cells"][0]["text"] == "high"
    # an annotation keeps its words: 'none' is a treatment here, not a missing value
    treated = real.iloc[:4, :3].assign(treatment=["none", "drugA", "none", "drugB"])
    treated[["treatment", *real.columns[:3]]].to_csv(tmp_path / "t.csv", index_label="sample")
    es = load_table(tmp_path / "t.csv")
    assert es.samples["treatment"].tolist() == ["none", "drugA", "none", "drugB"]


def test_values_column_taken_for_an_annotation_is_said(tmp_path, real, caplog):
    """Refusing text cells, a first gene column with one is read as a sample annotation (as a
    tissue column would be): the loader says so and names the way out."""
    block = real.iloc[:10, :6].astype(object)
    block.iloc[0, 0] = "high"
    block.to_csv(tmp_path / "first.csv", index_label="sample")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "first.csv")
    assert es.n_genes == 5 and real.columns[0] in es.samples.columns
    assert f"column {real.columns[0]!r} is read as an annotation" in caplog.text
    assert 'text_values="missing"' in caplog.text and "--text-values" not in caplog.text
    # a column of text (tissues) after the id is an annotation either way, without a warning
    caplog.clear()
    tissues = real.iloc[:10, :4].assign(tissue="Lung")[["tissue", *real.columns[:4]]]
    tissues.to_csv(tmp_path / "tissue.csv", index_label="sample")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "tissue.csv", text_values="missing")
    assert es.n_genes == 4 and "tissue" in es.samples.columns
    assert "read as an annotation" not in caplog.text and "text value" not in caplog.text


def test_genes_read_as_annotations_for_their_text_are_said(tmp_path, caplog):
    """A gene's column written with thousands separators (1,234), or of words, was read as a
    sample annotation without a word; a column of samples with separators was said as "text
    among numbers" without naming the separators."""
    rows = ["sample\tGATA4\tMYH6", "S1\t1,234\t2", "S2\t2,500\t3", "S3\t1,000\t1"]
    (tmp_path / "sep.tsv").write_text("\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "sep.tsv")
    assert list(es.gene_ids) == ["MYH6"] and "GATA4" in es.samples.columns
    assert "column 'GATA4' is read as an annotation" in caplog.text
    assert "thousands separator" in caplog.text and "'1,234', line 2" in caplog.text
    caplog.clear()
    words = ["sample\tGATA4\tMYH6", "S1\thigh\t2", "S2\tlow\t3", "S3\tmid\t1"]
    (tmp_path / "words.tsv").write_text("\n".join(words) + "\n")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "words.tsv")
    assert list(es.gene_ids) == ["MYH6"]
    assert "'GATA4' are named as genes but hold text ('high', line 2)" in caplog.text
    caplog.clear()
    # genes in rows: a sample written with separators is named, with the separators
    genes = ["gene\tS1\tS2\tS3", "GATA4\t1,234\t2\t3", "MYH6\t1\t2\t3"]
    (tmp_path / "genes.tsv").write_text("\n".join(genes) + "\n")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "genes.tsv")
    assert list(es.sample_ids) == ["S2", "S3"]
    assert "column 'S1'" in caplog.text and "thousands separator" in caplog.text
    caplog.clear()
    # an annotation of words whose name is a gene only in another case (kit) is no gene
    kits = ["sample\tkit\tMYH6", "S1\tTruSeq\t2", "S2\tNextera\t3", "S3\tTruSeq\t1"]
    (tmp_path / "kits.tsv").write_text("\n".join(kits) + "\n")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "kits.tsv")
    assert "kit" in es.samples.columns and "named as genes" not in caplog.text


def test_columns_with_thousands_separators_are_said_in_one_line(tmp_path, caplog):
    """A table written with thousands separators said a warning per column: 20,000 lines
    before the error of a table of 20,000 genes all written so (the error names the
    separators), and a line per gene read as an annotation where some genes were."""
    rng = np.random.default_rng(0)
    high = pd.DataFrame(rng.integers(1000, 50_000, (12, 30)), columns=[f"G{i}" for i in range(30)])
    high = high.map(lambda x: f"{x:,}")
    low = pd.DataFrame(rng.integers(0, 999, (12, 30)), columns=[f"L{i}" for i in range(30)])
    ids = [f"S{i}" for i in range(12)]
    high.assign(sample=ids).set_index("sample").to_csv(tmp_path / "all.csv")
    pd.concat([high, low], axis=1).assign(sample=ids).set_index("sample").to_csv(
        tmp_path / "some.csv"
    )
    with caplog.at_level(logging.WARNING, logger="core.data"):
        with pytest.raises(DataError, match="thousands separator"):
            load_table(tmp_path / "all.csv")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "some.csv")
    assert list(es.gene_ids) == list(low.columns)
    said = [r.getMessage() for r in caplog.records if "thousands separator" in r.getMessage()]
    assert len(said) == 1, said
    assert "30 columns ('G0', 'G1'," in said[0] and "'G10'" not in said[0], said


def test_numeric_columns_named_as_sample_annotations_are_not_genes(tmp_path, real, caplog):
    """A table of samples with their age, RIN and batch before the genes: those columns of
    numbers were read as three more genes, trained on and shown in the gene space."""
    genes = list(real.columns[:8])
    table = real.iloc[:30, :8].copy()
    table.insert(0, "tissue", ["Lung", "Liver", "Heart"] * 10)
    table.insert(1, "Age", np.arange(30) + 20)
    table.insert(2, "RIN", np.linspace(5.0, 9.0, 30))
    table["batch"] = [1, 2] * 15  # also after the genes
    path = tmp_path / "with_qc.csv"
    table.to_csv(path, index_label="sample")
    with caplog.at_level(logging.INFO, logger="core.data"):
        es = load_table(path)
    assert list(es.gene_ids) == genes
    np.testing.assert_allclose(es.values, table[genes].to_numpy(), rtol=1e-6)
    assert list(es.samples.columns) == ["tissue", "Age", "RIN", "batch"]
    assert es.samples["RIN"].tolist() == pytest.approx(table["RIN"].tolist())
    assert "'Age', 'RIN', 'batch' read as sample annotations" in caplog.text
    # its source says so, and re-loads the same; a source recorded before the rule re-loads
    # the table as its model was trained on it: with those columns as genes
    assert es.source["annotation_names"] is True
    assert list(load_source(es.source).gene_ids) == genes
    before = {k: v for k, v in es.source.items() if k != "annotation_names"}
    assert list(load_source(before).gene_ids) == ["Age", "RIN", *genes, "batch"]
    # a table without such columns records nothing new
    real.iloc[:30, :8].to_csv(tmp_path / "plain.csv", index_label="sample")
    assert "annotation_names" not in load_table(tmp_path / "plain.csv").source
    # reading text as missing: a RIN column with 'unknown' stays an annotation too
    table["RIN"] = table["RIN"].astype(object)
    table.loc[table.index[3], "RIN"] = "unknown"
    table.to_csv(path, index_label="sample")
    es = load_table(path, text_values="missing")
    assert list(es.gene_ids) == genes and es.samples["RIN"].iloc[3] == "unknown"


def test_unknown_numeric_columns_before_the_genes_are_named(tmp_path, real, caplog):
    """A sample annotation under a name the loader does not know (ischemic_time) is read as a
    gene, but no longer silently: ahead of genes named by symbols, it is named."""
    table = real.iloc[:20, :10].copy()
    table.insert(0, "ischemic_time", np.arange(20))
    table.to_csv(tmp_path / "isch.csv", index_label="sample")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "isch.csv")
    assert es.n_genes == 11 and es.gene_ids[0] == "ischemic_time"
    assert "'ischemic_time', before the genes, are neither gene symbols nor gene ids" in caplog.text
    # genes of unknown names throughout (g1, g2, ...), or none ahead: nothing to say
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_table(tmp_path / "isch.csv", label_columns=["ischemic_time"])
        other = real.iloc[:20, :10].set_axis([f"g{i}" for i in range(10)], axis=1)
        other.assign(ischemic_time=1).to_csv(tmp_path / "g.csv", index_label="sample")
        load_table(tmp_path / "g.csv")
    assert "neither gene symbols" not in caplog.text


def test_unknown_text_values_setting(tmp_path, real):
    real.iloc[:5, :3].to_csv(tmp_path / "m.csv", index_label="sample")
    with pytest.raises(DataError, match="unknown text_values 'drop'"):
        load_table(tmp_path / "m.csv", text_values="drop")


def test_a_matrix_given_as_sample_annotations_is_refused(tmp_path, real, sepira_file):
    samples = real.iloc[:20]
    samples.to_csv(tmp_path / "matrix.csv", index_label="sample")
    # genes x samples (the matrix turned) as annotations: would have turned the matrix read
    samples.T.to_csv(tmp_path / "turned.csv", index_label="gene")
    with pytest.raises(DataError, match=r"annotation file .*turned\.csv: its rows are genes"):
        load_table(tmp_path / "matrix.csv", annotations=tmp_path / "turned.csv")
    samples.T.to_csv(tmp_path / "turned_unnamed.csv", index_label="")
    with pytest.raises(
        DataError, match=r"turned_unnamed\.csv: its rows are genes, not samples \(100%"
    ):
        load_table(tmp_path / "matrix.csv", annotations=tmp_path / "turned_unnamed.csv")
    # the samples x genes matrix itself (many numeric columns named by genes)
    wide = pd.read_csv(sepira_file).iloc[:20, :40].drop(columns="tissue")
    wide.to_csv(tmp_path / "wide.csv", index=False)
    with pytest.raises(DataError, match=r"wide\.csv: 38 numeric columns named by genes"):
        load_table(tmp_path / "matrix.csv", annotations=tmp_path / "wide.csv")
    # real sample annotations still join
    tissue = pd.read_csv(sepira_file, usecols=["sample", "tissue"]).iloc[:20]
    tissue.to_csv(tmp_path / "tissue.csv", index=False)
    es = load_table(tmp_path / "matrix.csv", annotations=tmp_path / "tissue.csv")
    assert list(es.samples["tissue"]) == list(tissue["tissue"])


def test_bom_crlf_and_padded_ids_read_like_plain_files(tmp_path, real):
    block = real.iloc[:6, :4]
    plain = tmp_path / "plain.csv"
    block.to_csv(plain, index_label="sample")
    lines = plain.read_text().splitlines()
    padded = [", ".join(f" {f} " if i == 0 else f for i, f in enumerate(line.split(",")))
              for line in lines]  # fmt: skip
    windows = tmp_path / "windows.csv"
    windows.write_bytes(("\ufeff" + "\r\n".join(padded) + "\r\n").encode())
    a, b = load_table(plain), load_table(windows)
    assert list(b.sample_ids) == list(a.sample_ids) and list(b.gene_ids) == list(a.gene_ids)
    np.testing.assert_array_equal(a.values, b.values)


def test_source_records_the_orientation_read(tmp_path, real):
    """A saved model re-loads its data as it was read, whatever the rules of "auto" become."""
    path: Path = tmp_path / "m.csv"
    real.iloc[:5].to_csv(path, index_label="sample")
    for given in ("auto", "samples-in-rows"):
        es = load_table(path, orientation=given)
        assert es.source["orientation"] == "samples_x_genes"
        assert load_source(es.source).shape == es.shape == (5, 12)
    real.iloc[:5].T.to_csv(tmp_path / "t.csv", index_label="")
    assert load_table(tmp_path / "t.csv").source["orientation"] == "genes_x_samples"


def test_a_model_saved_before_the_orientation_was_recorded_reloads_its_data(tmp_path):
    """Sources recorded without "orientation" (older models) are read the way that gives the
    model's samples, even where today's automatic rules cannot tell rows from columns."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.random((30, 10)).round(3),
        index=[f"x{i}" for i in range(30)],
        columns=[f"q{j}" for j in range(10)],
    )
    path = tmp_path / "old.csv"
    frame.to_csv(path)
    source = {"loader": "table", "path": str(path)}  # no "orientation": an older model
    with pytest.raises(DataError, match="cannot tell"):
        load_source(source)
    # the model was trained with the genes in rows (the longer axis, the old rule)
    es = load_source(source, expected_samples=[f"q{j}" for j in range(10)])
    assert list(es.sample_ids) == [f"q{j}" for j in range(10)]
    assert es.values.shape == (10, 30)
    np.testing.assert_allclose(es.values, frame.to_numpy().T, atol=1e-6)
    es = load_source(source, expected_samples=["x3", "x7"])
    assert es.values.shape == (30, 10)
    with pytest.raises(DataError, match="model's samples"):
        load_source(source, expected_samples=["nowhere"])


def test_a_table_cut_short_is_refused(tmp_path, real):
    """A plain CSV cut in the middle of a row (an interrupted download) was read without a
    word: the cut row became a sample with its missing fields as missing values, and was
    trained on or placed as any other."""
    real.iloc[:12].to_csv(tmp_path / "whole.csv", index_label="sample")
    raw = (tmp_path / "whole.csv").read_bytes()
    cut = raw[: raw.rindex(b"\n", 0, len(raw) - 1) + 50]  # 50 bytes into the last row
    (tmp_path / "cut.csv").write_bytes(cut)
    with pytest.raises(DataError, match=r"last line has \d+ of the 13 fields .* cut short"):
        load_table(tmp_path / "cut.csv")
    # the same table whole, with or without a line break at its end, loads
    assert load_table(tmp_path / "whole.csv").n_samples == 12
    (tmp_path / "no_break.csv").write_bytes(raw.rstrip(b"\n"))
    assert load_table(tmp_path / "no_break.csv").n_samples == 12
    # genes in rows, with descriptions holding the separator between quotes
    genes = real.iloc[:6].T
    genes.insert(
        0, "description", ['kinase, "putative", 2' if i % 2 == 0 else "x" for i in range(12)]
    )
    genes.to_csv(tmp_path / "described.csv", index_label="gene")
    text = (tmp_path / "described.csv").read_bytes().rstrip(b"\n")
    (tmp_path / "described.csv").write_bytes(text)
    assert load_table(tmp_path / "described.csv").n_genes == 12


def test_numbered_samples_facing_gene_symbols(tmp_path, real):
    """Samples numbered 1001, 1002, ... under an empty top-left cell were taken for Entrez
    gene ids whichever way the table was laid out (the 12 symbols became samples); ids
    written 0001 became 1, and no longer matched the annotations' 0001."""
    table = real.iloc[:20].copy()
    table.index = [str(1001 + i) for i in range(20)]
    table.to_csv(tmp_path / "rows.csv", index_label="")
    table.T.to_csv(tmp_path / "cols.csv", index_label="")
    for name in ("rows.csv", "cols.csv"):
        es = load_table(tmp_path / name)
        assert (es.n_samples, es.n_genes) == (20, 12), name
        assert list(es.sample_ids[:2]) == ["1001", "1002"] and es.gene_ids[0] == real.columns[0]
        np.testing.assert_allclose(es.values, table.to_numpy(dtype=np.float32))
    table.index = [f"{i + 1:04d}" for i in range(20)]
    table.to_csv(tmp_path / "zeros.csv", index_label="sample")
    table.T.to_csv(tmp_path / "zeros_cols.csv", index_label="gene")
    pd.DataFrame({"sample": table.index, "tissue": ["Lung"] * 20}).to_csv(
        tmp_path / "ann.tsv", sep="\t", index=False
    )
    for name in ("zeros.csv", "zeros_cols.csv"):
        es = load_table(tmp_path / name, annotations=tmp_path / "ann.tsv")
        assert list(es.sample_ids[:2]) == ["0001", "0002"], name
        assert (es.samples["tissue"] == "Lung").all(), name
    # genes in rows by Entrez ids against sample names stay genes in rows
    entrez = table.T.set_axis([str(7157 + i) for i in range(12)], axis=0)
    entrez.columns = [f"S{i}" for i in range(20)]
    entrez.to_csv(tmp_path / "entrez.csv", index_label="")
    assert load_table(tmp_path / "entrez.csv").n_genes == 12


def test_counters_and_sums_are_not_genes_nor_samples(tmp_path, real, caplog):
    """A 'Total' row or column, and HTSeq's or STAR's counters (__no_feature, N_unmapped), were
    read as genes or samples and trained on with the others."""
    genes = real.iloc[:20].T.copy()
    genes.loc["__no_feature"] = 5.0
    genes.loc["N_unmapped"] = 7.0
    genes.loc["Total"] = genes.sum()
    genes.to_csv(tmp_path / "counts.tsv", sep="\t", index_label="gene")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "counts.tsv")
    assert es.n_genes == 12 and "Total" not in set(es.gene_ids)
    assert "'__no_feature', 'N_unmapped', 'Total' left out" in caplog.text
    samples = real.iloc[:20].copy()
    samples.loc["Total"] = samples.sum()
    samples["Sum"] = samples.sum(axis=1)
    samples.to_csv(tmp_path / "samples.csv", index_label="sample")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "samples.csv")
    assert (es.n_samples, es.n_genes) == (20, 12)
    np.testing.assert_allclose(es.values, real.iloc[:20].to_numpy(dtype=np.float32), rtol=1e-6)
    assert "'Total' left out: sums, not samples" in caplog.text


def test_featurecounts_samples_are_named_by_their_files(tmp_path, real):
    """featureCounts names its columns by the alignment files (/data/bam/Liver_1.bam): an
    annotation file naming the samples Liver_1 had no sample in common with the matrix."""
    counts = real.iloc[:6].T.copy()
    files = [f"/data/run{i % 2}/S{i}.sortedByCoord.out.bam" for i in range(6)]
    counts.columns = files
    for col, value in (("Length", 1000), ("Strand", "+"), ("End", 200), ("Start", 100)):
        counts.insert(0, col, value)
    counts.insert(0, "Chr", "chr1")
    path = tmp_path / "counts.txt"
    path.write_text(
        "# Program:featureCounts v2.0.1\n" + counts.to_csv(sep="\t", index_label="Geneid")
    )
    ann = pd.DataFrame({"sample": [f"S{i}" for i in range(6)], "tissue": ["Liver"] * 6})
    ann.to_csv(tmp_path / "ann.tsv", sep="\t", index=False)
    es = load_table(path, annotations=tmp_path / "ann.tsv")
    assert list(es.sample_ids) == [f"S{i}" for i in range(6)]
    assert (es.samples["tissue"] == "Liver").all() and es.n_genes == 12
    # two files of the same name in two folders keep their paths
    counts.columns = [*counts.columns[:5], *[f"/r{i % 2}/S{i // 2}.bam" for i in range(6)]]
    path.write_text(counts.to_csv(sep="\t", index_label="Geneid"))
    assert load_table(path).sample_ids[0] == "/r0/S0.bam"


def test_gene_lengths_positions_and_lanes_are_neither_genes_nor_samples(
    tmp_path, gtex_acmg59_files, real, caplog
):
    """Real read counts with featureCounts' columns (Geneid, Chr, Start, End, Strand, Length,
    then the samples), RSEM's length and effective_length after the samples, and a table of
    samples with its lanes and read length among the genes: those numbers were read as
    samples or genes; they are annotations, said by name. A gene symbol (END is an alias of
    ENG) is never taken for one."""
    gct = pd.read_csv(gtex_acmg59_files["gct"], sep="\t", skiprows=2, nrows=59, usecols=range(10))
    samples = list(gct.columns[2:])
    counts = gct.drop(columns="Description").set_index("Name")
    fc = counts.copy()
    rng = np.random.default_rng(0)
    starts = rng.integers(1_000_000, 90_000_000, len(fc))
    lengths = rng.integers(800, 12_000, len(fc))
    for i, (col, value) in enumerate(
        (("Chr", "chr1"), ("Start", starts), ("End", starts + lengths), ("Strand", "+"))
    ):
        fc.insert(i, col, value)
    fc.insert(4, "Length", lengths)
    path = tmp_path / "featurecounts.txt"
    path.write_text("# Program:featureCounts v2.0.1\n" + fc.to_csv(sep="\t", index_label="Geneid"))
    es = load_table(path, transform="log2p1")  # (the layout as featureCounts writes it)
    assert list(es.sample_ids) == samples and es.n_genes == 59
    assert es.genes["Length"].tolist() == lengths.tolist()
    rsem = counts.assign(length=lengths, effective_length=lengths - 180.5)
    rsem.to_csv(tmp_path / "rsem.tsv", sep="\t", index_label="gene_id")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "rsem.tsv", transform="log2p1")
    assert list(es.sample_ids) == samples, list(es.sample_ids)
    np.testing.assert_allclose(es.values, np.log2(counts.to_numpy(float).T + 1), rtol=1e-5)
    assert es.genes["effective_length"].tolist() == pytest.approx(rsem["effective_length"])
    assert "'length', 'effective_length' hold gene lengths or positions, not samples" in (
        caplog.text
    )
    assert es.source["non_gene_names"] is True  # a source recorded before reads them as then
    old = {k: v for k, v in es.source.items() if k != "non_gene_names"}
    assert list(load_source(old).sample_ids) == [*samples, "length", "effective_length"]
    # samples in rows: the lanes and the read length among the genes are sample annotations
    genes = list(real.columns[:8])
    table = real.iloc[:30, :8].copy()
    table.insert(0, "lanes", [1, 2, 2] * 10)
    table.insert(4, "length", [76, 101] * 15)
    table["END"] = real.iloc[:30, 9]  # a gene's alias: still a gene
    table.to_csv(tmp_path / "samples.csv", index_label="sample")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "samples.csv")
    assert list(es.gene_ids) == [*genes, "END"]
    np.testing.assert_allclose(es.values, table[[*genes, "END"]].to_numpy(), rtol=1e-6)
    assert es.samples["lanes"].tolist() == table["lanes"].tolist()
    assert es.samples["length"].tolist() == table["length"].tolist()
    assert "'lanes', 'length' are no genes" in caplog.text and "'END'" not in caplog.text


def test_an_orientation_given_against_the_names_is_warned_of(tmp_path, real, caplog):
    """Samples in rows read as genes in rows, as asked, trained on the transposed matrix
    without a word; the names (gene symbols as columns) tell."""
    path = tmp_path / "samples_in_rows.csv"
    real.to_csv(path)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(path, orientation="genes_x_samples")
    assert es.n_samples == real.shape[1]  # as asked
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("as asked, but its names say samples in rows" in m for m in warned), warned
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(path, orientation="samples_x_genes")
    assert es.n_samples == len(real)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_text_read_as_pandas_3s_str_dtype_is_text(tmp_path, real):
    """pandas 3 reads text as its "str" dtype, not object: no label column was found (embed
    reported no nearest group), a sample id column after the first was not matched, and
    'NA ' markers stayed text. pandas 2.3's ``future.infer_string`` reads text the same way."""
    from core.data import default_label_column

    block = real.iloc[:8, :5].astype(object)
    block.iloc[1, 0] = "NA "
    block.to_csv(tmp_path / "markers.csv", index_label="sample")
    notes = pd.DataFrame(
        {"batch": ["b1", "b2"] * 4, "id": list(block.index), "age": range(8)}
    ).iloc[::-1]
    notes.to_csv(tmp_path / "notes.csv", index=False)
    with pd.option_context("future.infer_string", True):
        assert isinstance(pd.Series(["a", None]).dtype, pd.StringDtype)  # as pandas 3 does
        es = load_table(tmp_path / "markers.csv", annotations=tmp_path / "notes.csv")
        assert np.argwhere(np.isnan(es.values)).tolist() == [[1, 0]]  # the marker: missing
        assert es.samples["batch"].tolist() == ["b1", "b2"] * 4  # matched by the "id" column
        assert es.label_column() == "batch"
        frame = pd.DataFrame({"age": [30, 40, 50, 60], "group": ["a", "b", "a", "b"]})
        assert default_label_column(frame) == "group"


def test_a_script_without_logging_set_up_sees_the_librarys_warnings(tmp_path, real):
    """The package's NullHandler kept every warning from a notebook or a script that sets up
    no logging (a case twin, raw counts...): they now reach stderr, and nothing goes to stdout."""
    import subprocess
    import sys
    from pathlib import Path

    block = real.iloc[:6, :4].copy()
    block.columns = [block.columns[0], block.columns[1], block.columns[0].lower(), "X"]
    block.to_csv(tmp_path / "cases.csv", index_label="sample")
    script = f"from core.data import load_table; load_table({str(tmp_path / 'cases.csv')!r})"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "differ from another only by letter case" in done.stderr and done.stdout == ""


def test_samples_named_start_and_end_are_samples(tmp_path, gtex_acmg59_files, real, caplog):
    """A time course in genes-in-rows (samples start, mid, end) lost its first and last
    samples to gene coordinates, 'start' without a word. Log values with fractions, or read
    counts where an 'end' lies before its 'start', are samples; whole numbers under 'start'
    alone, with no chromosome column, are still coordinates, and said."""
    logs = real.iloc[:3, :20].T.copy()
    logs.columns = ["start", "mid", "end"]
    logs.to_csv(tmp_path / "logs.csv", index_label="gene")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "logs.csv")
    assert list(es.sample_ids) == ["start", "mid", "end"]
    np.testing.assert_allclose(es.values, logs.to_numpy().T, rtol=1e-6)
    assert "coordinates" not in caplog.text and "positions" not in caplog.text
    gct = pd.read_csv(gtex_acmg59_files["gct"], sep="\t", skiprows=2, nrows=59, usecols=range(5))
    counts = gct.drop(columns="Description").set_index("Name").round()
    counts.columns = ["start", "mid", "end"]
    assert (counts["end"] < counts["start"]).any()  # (real counts: some gene ends before)
    counts.to_csv(tmp_path / "counts.csv", index_label="gene_id")
    es = load_table(tmp_path / "counts.csv", transform="log2p1")
    assert list(es.sample_ids) == ["start", "mid", "end"]
    counts[["start", "mid"]].to_csv(tmp_path / "two.csv", index_label="gene_id")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "two.csv", transform="log2p1")
    assert list(es.sample_ids) == ["mid"]
    assert "'start' read as gene coordinates, not samples" in caplog.text
    # beside a chromosome column (GRanges: seqnames), coordinates without a word
    ranges = counts[["start", "mid"]].copy()
    ranges.insert(0, "end", ranges["start"] + 1_000)
    ranges.insert(0, "seqnames", "chr1")
    ranges.to_csv(tmp_path / "granges.csv", index_label="gene_id")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "granges.csv", transform="log2p1")
    assert list(es.sample_ids) == ["mid"] and "coordinates" not in caplog.text
