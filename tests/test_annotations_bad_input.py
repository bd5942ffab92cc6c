"""core.annotations called as in a notebook, with the usual mistakes: each is refused with a
DataError that names the argument or file and the problem, or answered as meant."""

from __future__ import annotations

import gzip
import logging
import shutil

import numpy as np
import pandas as pd
import pytest

from core.annotations import (
    SNAPSHOT_DIR,
    GeneOntology,
    benjamini_hochberg,
    check_evidence_codes,
    hypergeom_sf,
)
from core.errors import DataError

HEART = ["GATA4", "NKX2-5", "TBX5", "HAND2", "MEF2C", "TBX20"]


@pytest.fixture(scope="module")
def go() -> GeneOntology:
    return GeneOntology.load()


@pytest.fixture(scope="module")
def sepira_symbols(sepira_file):
    """The 467 gene symbols of the GTEx 26-tissue set (the background of its enrichments)."""
    return pd.read_csv(sepira_file, nrows=0).columns[2:].to_numpy(dtype=object)


# ------------------------------------------------------------------------------ gene ids
def test_a_one_column_table_of_genes_is_read_as_its_column(go, sepira_symbols):
    """A table was iterated as its column names: map_genes mapped 'gene', and an enrichment of
    a set (or against a background) given as a table was empty."""
    table = go.map_genes(pd.DataFrame({"gene": ["TP53", "GATA4"]}))
    assert table["symbol"].tolist() == ["TP53", "GATA4"]
    res = go.enrich(pd.DataFrame({"gene": HEART}), background=pd.DataFrame({"g": sepira_symbols}))
    assert len(res) > 0 and res.loc[0, "set_size"] >= 2
    assert res.loc[0, "background_size"] > 300


def test_a_table_of_several_columns_is_refused(go, sepira_symbols):
    with pytest.raises(DataError, match=r"genes: a table of 2 columns \(a, b\): give one column"):
        go.annotation_matrix(pd.DataFrame({"a": sepira_symbols[:5], "b": sepira_symbols[5:10]}))


def test_a_boolean_mask_is_not_taken_for_gene_ids(go, sepira_symbols):
    """``results.padj < 0.05`` (True/False by gene) matched no gene and gave an empty table."""
    mask = pd.Series(np.arange(len(sepira_symbols)) < 5, index=sepira_symbols)
    with pytest.raises(DataError, match=r"gene_set: True/False values, not gene ids.*index"):
        go.enrich(mask, background=sepira_symbols)
    with pytest.raises(DataError, match="ids: True/False values"):
        go.map_genes([True, False])


# ------------------------------------------------------------------------------ enrichment
@pytest.mark.parametrize(("argument", "value"), [("min_size", "3"), ("min_size", 2.5)])
def test_term_sizes_must_be_whole_numbers(go, sepira_symbols, argument, value):
    """Text raised numpy's UFuncTypeError; 2.5 was taken as 3."""
    with pytest.raises(DataError, match=f"{argument}={value!r}: must be a whole number"):
        go.annotation_matrix(sepira_symbols, **{argument: value})
    with pytest.raises(DataError, match=f"{argument}={value!r}: must be a whole number"):
        go.enricher(sepira_symbols, **{argument: value})


def test_min_overlap_must_be_a_whole_number(go, sepira_symbols):
    """Text raised "invalid literal for int()"."""
    with pytest.raises(DataError, match="min_overlap='x': must be a whole number"):
        go.enricher(sepira_symbols).enrich(HEART, min_overlap="x")


def test_a_set_outside_the_background_says_why_it_is_empty(go, sepira_symbols, caplog):
    """The warning said only 'no gene of the set is in the annotated background'."""
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        res = go.enrich(["TP53", "BRCA1", "NOTAGENE123"], background=sepira_symbols)
    assert res.empty
    text = caplog.text
    assert "of its 3 ids, 1 are not genes of this GO and 2 genes are outside" in text
    assert "annotated background of" in text


def test_a_background_without_annotated_genes_is_said(go, caplog):
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        enricher = go.enricher(["NOTAGENE1", "NOTAGENE2"])
    assert enricher.background_size == 0
    assert "no gene of the background (2 ids, 0 of them genes of this GO)" in caplog.text


# ------------------------------------------------------------------------------ statistics
def test_hypergeom_sf_refuses_impossible_draws():
    """More draws than the population, or a negative population, raised IndexError; a term
    larger than the population gave p = 0."""
    with pytest.raises(DataError, match=r"need 0 <= n \(draws\) <= big_n"):
        hypergeom_sf([1], 10, [5], 20)
    with pytest.raises(DataError, match=r"need 0 <= n \(draws\) <= big_n"):
        hypergeom_sf([1], -1, [5], 3)
    with pytest.raises(DataError, match="big_k .successes. must lie in 0..big_n=10"):
        hypergeom_sf([1], 10, [50], 3)
    assert hypergeom_sf([5], 100, [10], 3)[0] == 0.0  # more hits than draws: impossible, p = 0


def test_benjamini_hochberg_names_text():
    """Text raised numpy's 'could not convert string to float'."""
    with pytest.raises(DataError, match="benjamini_hochberg: p_values must be numbers"):
        benjamini_hochberg(["a"])


def test_no_evidence_code_is_none():
    """None (no code left out) raised TypeError: 'NoneType' object is not iterable."""
    assert check_evidence_codes(None) == set()


# ------------------------------------------------------------------------------ snapshots
def test_load_names_a_file_given_for_the_folder():
    """It looked for terms.tsv.gz/terms.tsv.gz."""
    with pytest.raises(DataError, match="a file; GeneOntology.load takes the snapshot folder"):
        GeneOntology.load(SNAPSHOT_DIR / "terms.tsv.gz")


def test_load_names_a_snapshot_table_without_its_columns(tmp_path):
    """A genes table without 'entrez' raised KeyError; metadata that is not an object,
    TypeError."""
    snap = tmp_path / "snap"
    shutil.copytree(SNAPSHOT_DIR, snap)
    (snap / "genes.tsv.gz").write_bytes(gzip.compress(b"symbol\nA\n"))
    with pytest.raises(DataError, match=r"genes.tsv.gz: GO snapshot table lacks columns \[.entrez"):
        GeneOntology.load(snap)
    shutil.copy(SNAPSHOT_DIR / "genes.tsv.gz", snap / "genes.tsv.gz")
    (snap / "metadata.json").write_text("[1, 2]")
    with pytest.raises(DataError, match="metadata.json: GO snapshot metadata must be a JSON"):
        GeneOntology.load(snap, exclude_evidence=["IEA"])
