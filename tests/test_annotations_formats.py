"""GO files as users have them: GAF files not in UTF-8, Sequence Ontology object types in GAF
column 12, GO alt_ids (secondary ids) in queries. Small files written by the tests; fast."""

from __future__ import annotations

import gzip
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from core.annotations import (
    GENE_TYPES,
    SNAPSHOT_DIR,
    GeneOntology,
    _gaf_gene_type,
    _read_snapshot_alt_ids,
)
from core.errors import DataError

BP_ROOT = "GO:0008150"
OBO = """format-version: 1.2
data-version: releases/2024-01-01

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0000001
name: parent A
namespace: biological_process
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0000002
name: child of A
namespace: biological_process
alt_id: GO:0000099
alt_id: GO:0000098
is_a: GO:0000001 ! parent A

[Term]
id: GO:0000006
name: obsolete thing
namespace: biological_process
alt_id: GO:0000097
is_obsolete: true
"""
HEADER = "!gaf-version: 2.2\n!date-generated: 2024-01-01\n!generated-by: test\n"


def _line(
    symbol: str,
    go_id: str = "GO:0000002",
    object_type: str = "protein",
    name: str = "",
    reference: str = "PMID:1",
) -> str:
    cols = ["UniProtKB", f"P_{symbol}", symbol, "involved_in", go_id, reference, "IDA", "",
            "P", name or f"{symbol} protein", symbol, object_type, "taxon:9606", "20240101",
            "UniProt", "", ""]  # fmt: skip
    return "\t".join(cols) + "\n"


@pytest.fixture
def obo(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.obo"
    path.write_text(OBO)
    return path


# ------------------------------------------------------------------------------ encodings
ACCENTED = (
    _line("G1", name="prot\u00e9ine kinase \u00e0 s\u00e9rine", reference="R\u00e9f:1")
    + _line("CAF\u00c9", name="caf\u00e9 protein")
    + _line("G3", "GO:0000001")
)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_latin1_gaf_is_read_with_a_warning(tmp_path, obo, caplog, packed):
    raw = (HEADER + ACCENTED).encode("latin-1")  # "\u00e9" is the single byte 0xE9
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    path = tmp_path / ("latin1.gaf.gz" if packed else "latin1.gaf")
    path.write_bytes(gzip.compress(raw) if packed else raw)
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        g = GeneOntology.from_gaf(path, obo)
    names = dict(zip(g.genes["symbol"], g.genes["name"], strict=True))
    assert names == {
        "G1": "prot\u00e9ine kinase \u00e0 s\u00e9rine",
        "CAF\u00c9": "caf\u00e9 protein",
        "G3": "G3 protein",
    }
    assert list(g.term_genes("GO:0000002")["symbol"]) == ["CAF\u00c9", "G1"]
    assert g.metadata["gaf_encoding"] == "latin-1"
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1
    assert path.name in warned[0].getMessage() and "Latin-1" in warned[0].getMessage()


def test_utf8_gaf_with_accents_reads_without_warning(tmp_path, obo, caplog):
    path = tmp_path / "utf8.gaf.gz"
    path.write_bytes(gzip.compress(("\ufeff" + HEADER + ACCENTED).encode("utf-8")))
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        g = GeneOntology.from_gaf(path, obo)
    assert "caf\u00e9 protein" in set(g.genes["name"])
    assert g.metadata["gaf_encoding"] == "utf-8"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_latin1_gaf_with_a_short_line_names_the_line(tmp_path, obo):
    # the undecodable byte sits in a line short of columns: still read as Latin-1, and the
    # error is about the line, not about the encoding
    short = "\t".join(_line("CAF\u00c9").split("\t")[:14])
    path = tmp_path / "short.gaf"
    path.write_bytes((HEADER + _line("G1") + short).encode("latin-1"))
    with pytest.raises(DataError, match="short\\.gaf: 1 GAF line with fewer than 15 .*CAF\u00c9"):
        GeneOntology.from_gaf(path, obo)


GENE_INFO_HEADER = (
    "#tax_id\tGeneID\tSymbol\tLocusTag\tSynonyms\tdbXrefs\tchromosome\tmap_location\t"
    "description\ttype_of_gene\tSymbol_from_nomenclature_authority\t"
    "Full_name_from_nomenclature_authority\tNomenclature_status\tOther_designations\t"
    "Modification_date\tFeature_type\n"
)
GENE_INFO = GENE_INFO_HEADER + (
    "9606\t1\tG1\t-\t-\tEnsembl:ENSG00000121410\t19\t19q13.43\tprot\u00e9ine G1\t"
    "protein-coding\tG1\tG1\t-\t-\t20240101\t-\n"
    "9606\t2\tCAF\u00c9\t-\t-\t-\t12\t12p13\tcaf\u00e9 RNA\tncRNA\t-\t-\t-\t-\t20240101\t-\n"
)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_latin1_gene_info_is_read_with_a_warning(tmp_path, obo, caplog, packed):
    gaf = tmp_path / "utf8.gaf"
    gaf.write_text(HEADER + ACCENTED, encoding="utf-8")
    raw = GENE_INFO.encode("latin-1")
    path = tmp_path / ("Homo_sapiens.gene_info.gz" if packed else "Homo_sapiens.gene_info")
    path.write_bytes(gzip.compress(raw) if packed else raw)
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        g = GeneOntology.from_gaf(gaf, obo, gene_info=path)
    genes = g.genes.set_index("symbol")
    assert genes.loc["G1", "name"] == "prot\u00e9ine G1"
    assert genes.loc["CAF\u00c9", "entrez"] == 2  # the GAF's symbol found in the gene table
    assert genes.loc["CAF\u00c9", "ncbi_gene_type"] == "ncRNA"
    assert genes.loc["G1", "ensembl"] == "ENSG00000121410"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and path.name in warned[0] and "Latin-1" in warned[0]


def test_gene_info_with_few_columns(tmp_path, obo):
    gaf = tmp_path / "utf8.gaf"
    gaf.write_text(HEADER + ACCENTED, encoding="utf-8")
    short = tmp_path / "short.gene_info"
    short.write_text("#tax_id\tGeneID\tSymbol\n9606\t1\tG1\n")
    g = GeneOntology.from_gaf(gaf, obo, gene_info=short)
    assert g.genes.set_index("symbol").loc["G1", "entrez"] == 1
    no_symbol = tmp_path / "no_symbol.gene_info"
    no_symbol.write_text("#tax_id\tGeneID\tName\n9606\t1\tG1\n")
    with pytest.raises(DataError, match=r"no_symbol\.gene_info, line 1: .*without Symbol"):
        GeneOntology.from_gaf(gaf, obo, gene_info=no_symbol)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_obo_not_in_utf8_is_read_as_latin1_with_a_warning(tmp_path, caplog, packed):
    gaf = tmp_path / "utf8.gaf"
    gaf.write_text(HEADER + ACCENTED, encoding="utf-8")
    raw = OBO.replace("name: parent A", "name: parent \u00e0 A").encode("latin-1")
    path = tmp_path / ("latin1.obo.gz" if packed else "latin1.obo")
    path.write_bytes(gzip.compress(raw) if packed else raw)
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        g = GeneOntology.from_gaf(gaf, path)
    assert g.terms.loc["GO:0000001", "name"] == "parent \u00e0 A"  # not "parent \ufffd A"
    assert g.metadata["obo_encoding"] == "latin-1"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1
    assert path.name in warned[0] and "line 11" in warned[0] and "Latin-1" in warned[0]


def test_utf8_obo_reads_without_warning(tmp_path, caplog):
    gaf = tmp_path / "utf8.gaf"
    gaf.write_text(HEADER + ACCENTED, encoding="utf-8")
    path = tmp_path / "utf8.obo"
    path.write_text("\ufeff" + OBO.replace("parent A", "parent \u00e0 A"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        g = GeneOntology.from_gaf(gaf, path)
    assert g.terms.loc["GO:0000001", "name"] == "parent \u00e0 A"
    assert g.metadata["obo_encoding"] == "utf-8"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_obo_without_is_a_warns(tmp_path, caplog):
    gaf = tmp_path / "utf8.gaf"
    gaf.write_text(HEADER + ACCENTED, encoding="utf-8")
    flat = tmp_path / "flat.obo"
    flat.write_text("".join(line for line in OBO.splitlines(True) if not line.startswith("is_a")))
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        g = GeneOntology.from_gaf(gaf, flat)
    assert g.ancestors("GO:0000002") == []
    assert "flat.obo: no is_a line" in caplog.text and "not propagated" in caplog.text


def test_a_plain_obo_cut_off_is_said_to_be(tmp_path, caplog):
    """A plain-text OBO whose download stopped part way loaded the terms before the cut, with
    not a word: the ontology was smaller than the user's file, silently."""
    gaf = tmp_path / "g.gaf"
    gaf.write_text(HEADER + _line("G1"), encoding="utf-8")
    whole = tmp_path / "whole.obo"
    whole.write_text(OBO)
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        GeneOntology.from_gaf(gaf, whole)
    assert "cut off" not in caplog.text
    # cut inside the last term, before its namespace: that term is lost
    inside = tmp_path / "inside.obo"
    inside.write_text(OBO[: OBO.index("name: obsolete thing")])
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        go = GeneOntology.from_gaf(gaf, inside)
    assert "inside.obo ends inside term GO:0000006" in caplog.text
    assert "cut off" in caplog.text and "download it again" in caplog.text
    assert "GO:0000002" in go.terms.index  # the terms before the cut are kept
    # cut in the middle of a line of a term read whole (its is_a may be lost)
    mid = tmp_path / "mid.obo"
    mid.write_text(OBO[: OBO.index("is_a: GO:0000001") + 8])
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        GeneOntology.from_gaf(gaf, mid)
    assert "mid.obo ends in the middle of a line" in caplog.text


def test_gaf_lines_short_of_columns_name_the_line(tmp_path, obo):
    spaces = tmp_path / "spaces.gaf"
    spaces.write_text(HEADER + _line("G1").replace("\t", "    "))
    with pytest.raises(DataError, match=r"spaces\.gaf, line 4: .*1 tab-separated column,.*tabs"):
        GeneOntology.from_gaf(spaces, obo)
    twelve = tmp_path / "twelve.gaf"
    twelve.write_text(HEADER + "\t".join(_line("G1").split("\t")[:12]) + "\n")
    with pytest.raises(DataError, match=r"twelve\.gaf, line 4: .*12 tab-separated columns"):
        GeneOntology.from_gaf(twelve, obo)
    ragged = tmp_path / "ragged.gaf"
    short = "\t".join(_line("G2").split("\t")[:10]) + "\n"
    ragged.write_text(HEADER + _line("G1") + short + _line("G3"))
    with pytest.raises(DataError, match=r"ragged\.gaf: 1 GAF line with fewer .*line 5, 10 tab"):
        GeneOntology.from_gaf(ragged, obo)


def test_gaf_lines_of_spaces_only_are_blank_lines(tmp_path, obo):
    """A line of spaces or a tab in the body rejected the whole file ("1 GAF line with fewer
    than 15 ... columns (first: not found on a second read)")."""
    gaf = tmp_path / "spaced.gaf"
    gaf.write_text(HEADER + _line("G1") + "   \n" + _line("G3", "GO:0000001") + "\t\n  ")
    go = GeneOntology.from_gaf(gaf, obo)
    assert set(go.genes["symbol"]) == {"G1", "G3"}


def test_obo_with_old_mac_line_ends(tmp_path):
    """Lines ended by a carriage return alone: "no GO [Term] stanza (not an OBO file?)"."""
    obo = tmp_path / "mac.obo"
    obo.write_bytes(OBO.replace("\n", "\r").encode())
    gaf = tmp_path / "g.gaf"
    gaf.write_text(HEADER + _line("G1"))
    go = GeneOntology.from_gaf(gaf, obo)
    assert go.n_terms == 3
    assert "GO:0000001" in go.gene_terms("G1").index


def test_gene_info_symbol_of_several_genes_takes_the_likeliest(tmp_path, obo):
    """A gene table listing MEMO1 twice (a phenotype-only record first, then the protein-coding
    gene): the GAF's MEMO1 annotations went to the record, so the gene's Ensembl id and Entrez
    id found no GO term."""
    gaf = tmp_path / "memo.gaf"
    gaf.write_text(HEADER + _line("MEMO1") + _line("OTHER", "GO:0000001"))
    info = pd.DataFrame(
        {
            "symbol": ["MEMO1", "MEMO1", "OTHER"],
            "entrez": [7795, 51072, 1],
            "ncbi_gene_type": ["unknown", "protein-coding", "protein-coding"],
            "ensembl": ["", "ENSG00000162959", "ENSG00000000001"],
        }
    )
    go = GeneOntology.from_gaf(gaf, obo, gene_info=info)
    assert len(go.gene_terms("ENSG00000162959")) > 0
    assert len(go.gene_terms(51072)) > 0
    assert len(go.gene_terms(7795)) == 0
    assert go.map_genes(["MEMO1"]).loc[0, "entrez"] == 51072


def _cut(line: str, n_cols: int) -> str:
    """A GAF line with only its first ``n_cols`` columns (as tools that drop empty trailing
    columns write them)."""
    return "\t".join(line.rstrip("\n").split("\t")[:n_cols]) + "\n"


def test_gaf_lines_of_15_16_and_17_columns_mix(tmp_path, obo):
    """GAF 2.x lines have 17 columns; files written by tools that drop empty trailing columns
    (or that join GAF 2.0 and 2.2 files) have lines of 15 or 16 among them."""
    lines = [_line("G1"), _cut(_line("G2"), 16), _cut(_line("G3", "GO:0000001"), 15)]
    for order in (lines, lines[::-1]):  # the first line decides nothing
        path = tmp_path / "mixed.gaf"
        path.write_text(HEADER + "".join(order))
        g = GeneOntology.from_gaf(path, obo)
        assert sorted(g.genes["symbol"]) == ["G1", "G2", "G3"]
        assert sorted(g.term_genes("GO:0000002", propagate=False)["symbol"]) == ["G1", "G2"]
        assert list(g.term_genes("GO:0000001", propagate=False)["symbol"]) == ["G3"]
        names = dict(zip(g.genes["symbol"], g.genes["name"], strict=True))
        assert names["G3"] == "G3 protein"  # column 10 of a 15-column line
    # tabs at the end of a line (empty fields past the 17th) are no more columns
    path.write_text(HEADER + _line("G1").rstrip("\n") + "\t\t\n" + "".join(lines[1:]))
    assert sorted(GeneOntology.from_gaf(path, obo).genes["symbol"]) == ["G1", "G2", "G3"]
    # CRLF line ends and gzip change nothing
    packed = tmp_path / "mixed_win.gaf.gz"
    packed.write_bytes(gzip.compress((HEADER + "".join(lines)).replace("\n", "\r\n").encode()))
    assert sorted(GeneOntology.from_gaf(packed, obo).genes["symbol"]) == ["G1", "G2", "G3"]


def test_a_gafs_species_is_said(tmp_path, obo):
    """A mouse GAF read for human data was taken without a word (its symbols matched case
    aside): the species of its genes is now part of the GO's source, which the report prints."""
    human = tmp_path / "human.gaf"
    human.write_text(HEADER + _line("G1") + _line("G2"))
    assert "taxon 9606 (Homo sapiens)" in GeneOntology.from_gaf(human, obo).metadata["source"]
    mouse = tmp_path / "mouse.gaf"
    text = _line("Gata4") + _line("Tbx5") + _line("Nkx2-5")
    mouse.write_text(HEADER + text.replace("taxon:9606", "taxon:10090|taxon:9606"))
    go = GeneOntology.from_gaf(mouse, obo)
    assert go.metadata["gaf_taxon"] == "taxon 10090 (Mus musculus)"
    assert "GAF mouse.gaf, taxon 10090 (Mus musculus) + OBO" in go.metadata["source"]


def test_gaf_lines_outside_15_to_17_columns_are_named(tmp_path, obo):
    long = tmp_path / "long.gaf"
    long.write_text(HEADER + _line("G1") + _line("G2").rstrip("\n") + "\textra\n")
    with pytest.raises(DataError, match=r"long\.gaf: 1 GAF line with .*more than 17 .*line 5, 18"):
        GeneOntology.from_gaf(long, obo)
    short = tmp_path / "short.gaf"
    short.write_text(HEADER + _line("G1") + _cut(_line("G2"), 14) + _cut(_line("G3"), 14))
    with pytest.raises(DataError, match=r"short\.gaf: 2 GAF lines with fewer .*line 5, 14 tab"):
        GeneOntology.from_gaf(short, obo)
    first = tmp_path / "first.gaf"
    first.write_text(HEADER + _line("G1").rstrip("\n") + "\textra\n")
    with pytest.raises(DataError, match=r"first\.gaf, line 4: .*18 tab-separated .*15 to 17"):
        GeneOntology.from_gaf(first, obo)


def test_gaf_version_header(tmp_path, obo, caplog):
    # GAF 1.0: 15 columns, the same first 15 as GAF 2.x
    old = tmp_path / "old.gaf"
    old.write_text("!gaf-version: 1.0\n" + _cut(_line("G1"), 15) + _cut(_line("G2"), 15))
    g = GeneOntology.from_gaf(old, obo)
    assert g.metadata["gaf_version"] == "1.0" and sorted(g.genes["symbol"]) == ["G1", "G2"]
    future = tmp_path / "future.gaf"
    future.write_text("!gaf-version: 3.0\n" + _line("G1"))
    with pytest.raises(DataError, match=r"future\.gaf: GAF version 3\.0 not supported"):
        GeneOntology.from_gaf(future, obo)
    # the '!' lines taken out (grep -v '^!'): GAF lines still read as such, with a warning
    bare = tmp_path / "bare.gaf"
    bare.write_text(_line("G1") + _cut(_line("G2"), 16))
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        g = GeneOntology.from_gaf(bare, obo)
    assert sorted(g.genes["symbol"]) == ["G1", "G2"]
    assert "bare.gaf: no '!gaf-version:' header line" in caplog.text
    # a table that is not a GAF, without the header line: refused
    other = tmp_path / "other.gaf"
    other.write_text("symbol\tgo_id\nG1\tGO:0000002\n")
    with pytest.raises(DataError, match=r"other\.gaf: no '!gaf-version:' header line"):
        GeneOntology.from_gaf(other, obo)


# ------------------------------------------------------------------------------ object types
SO_TYPES = {
    "protein": "protein-coding",
    "gene_product": "other",  # GAF 2.2: product type unknown
    "protein_coding_gene": "protein-coding",
    "SO:0001217": "protein-coding",
    "pseudogene": "pseudogene",
    "transcribed_unprocessed_pseudogene": "pseudogene",
    "SO:0000336": "pseudogene",
    "miRNA_gene": "miRNA",
    "miRNA": "miRNA",
    "SO:0001265": "miRNA",
    "snoRNA_gene": "snoRNA",
    "scaRNA_gene": "snoRNA",
    "snRNA_gene": "snRNA",
    "rRNA_gene": "rRNA",
    "tRNA": "tRNA",
    "lncRNA_gene": "lncRNA",
    "lincRNA_gene": "lncRNA",
    "lnc_RNA": "lncRNA",
    "SO:0002127": "lncRNA",
    "ncRNA_gene": "ncRNA",
    "SRP_RNA_gene": "ncRNA",
    "gene": "other",
    "protein_complex": "other",
    "transcript": "other",
}


def test_sequence_ontology_object_types_give_gene_types(tmp_path, obo):
    symbols = {t: f"G{k}" for k, t in enumerate(SO_TYPES)}
    path = tmp_path / "types.gaf"
    path.write_text(HEADER + "".join(_line(s, object_type=t) for t, s in symbols.items()))
    g = GeneOntology.from_gaf(path, obo)
    got = g.gene_type(list(symbols.values()))
    expected = pd.Series(list(SO_TYPES.values()), index=got.index, name="gene_type")
    pd.testing.assert_series_equal(got, expected)
    assert set(got) <= set(GENE_TYPES)
    # a GAF type unknown to the mapping is kept as the gene's ncbi_gene_type ("other")
    types = dict(zip(g.genes["symbol"], g.genes["ncbi_gene_type"], strict=True))
    assert types[symbols["protein_complex"]] == "protein_complex"
    assert types[symbols["protein_coding_gene"]] == "protein-coding"


def test_gaf_gene_type_is_case_and_space_tolerant():
    assert _gaf_gene_type(" Protein_Coding_Gene ") == "protein-coding"
    assert _gaf_gene_type("so:0001217") == "protein-coding"
    assert _gaf_gene_type("SNORNA") == "snoRNA"
    assert _gaf_gene_type("RNA") == "RNA"  # could be coding or not: left to the fallback
    assert _gaf_gene_type("") == ""


# ------------------------------------------------------------------------------ alt_ids
def test_term_queries_accept_alt_ids_of_an_obo(tmp_path, obo, caplog):
    path = tmp_path / "alt.gaf"
    path.write_text(HEADER + _line("G1") + _line("G2", "GO:0000099") + _line("G3", "GO:0000001"))
    g = GeneOntology.from_gaf(path, obo)
    with caplog.at_level(logging.INFO, logger="core.annotations"):
        for alt in ("GO:0000099", " GO:0000098 "):
            assert list(g.term_genes(alt)["symbol"]) == ["G1", "G2"]
            assert list(g.term_genes(alt, propagate=False)["symbol"]) == ["G1", "G2"]
            assert g.ancestors(alt) == ["GO:0000001", BP_ROOT]
            assert g.ancestors(alt, include_self=True) == ["GO:0000001", "GO:0000002", BP_ROOT]
    assert not caplog.records  # nothing above debug level
    # unknown ids, and the alt_id of an obsolete term, keep their error
    for bad in ("GO:0009999", "GO:0000097", "GO:0000006"):
        with pytest.raises(DataError, match=f"go_id '{bad}': not a term"):
            g.term_genes(bad)
        with pytest.raises(DataError, match=bad):
            g.ancestors(bad)


def test_alt_ids_are_known_only_where_given():
    terms = pd.DataFrame(
        {"go_id": [BP_ROOT, "GO:0000001"], "ontology": "BP", "name": ["bp", "child"]}
    )
    parents = pd.DataFrame(
        {"go_id": ["GO:0000001"], "parent_id": [BP_ROOT], "relationship": "is_a"}
    )
    genes = pd.DataFrame({"symbol": ["G1"]})
    ann = pd.DataFrame({"gene_index": [0], "go_id": ["GO:0000001"]})
    plain = GeneOntology(terms, parents, genes, ann)  # no alt_ids given
    with pytest.raises(DataError, match="GO:0000050"):
        plain.term_genes("GO:0000050")
    # an alt_id that is also a primary id stays that term; one to an unknown term is ignored
    g = GeneOntology(
        terms,
        parents,
        genes,
        ann,
        alt_ids={"GO:0000050": "GO:0000001", BP_ROOT: "GO:0000001", "GO:0000051": "GO:7"},
    )
    assert list(g.term_genes("GO:0000050")["symbol"]) == ["G1"]
    assert g.ancestors("GO:0000050") == [BP_ROOT]
    assert g.ancestors(BP_ROOT) == []
    with pytest.raises(DataError, match="GO:0000051"):
        g.term_genes("GO:0000051")


# ------------------------------------------------------------------ alt_ids of the snapshot
# Checked in GO.db 3.16.0 (go_synonym, like_go_id = 1) and in the GO OBO of 2019-01-27:
# GO:0000946 is an alt_id of GO:0000049 (tRNA binding, MF), GO:0019952 of GO:0000003
# (reproduction, BP).
SNAPSHOT_ALT_IDS = {"GO:0000946": "GO:0000049", "GO:0019952": "GO:0000003"}


@pytest.fixture(scope="module")
def snapshot() -> GeneOntology:
    return GeneOntology.load()


def test_snapshot_term_queries_accept_its_alt_ids(snapshot):
    assert snapshot.metadata["counts"]["alt_ids"] == len(snapshot._alt_ids) > 3000
    assert snapshot.terms.loc["GO:0000049", "name"] == "tRNA binding"
    for alt, primary in SNAPSHOT_ALT_IDS.items():
        assert alt not in snapshot.terms.index
        genes = snapshot.term_genes(alt)
        assert len(genes) > 10
        assert genes.index.equals(snapshot.term_genes(primary).index)
        direct = snapshot.term_genes(alt, propagate=False).index
        assert direct.equals(snapshot.term_genes(primary, propagate=False).index)
        assert snapshot.ancestors(alt) == snapshot.ancestors(primary)
        assert primary in snapshot.ancestors(f" {alt} ", include_self=True)
    assert {"GO:0003723", "GO:0003674"} <= set(snapshot.ancestors("GO:0000946"))  # RNA b., MF
    assert snapshot.ancestors("GO:0019952") == [BP_ROOT]
    with pytest.raises(DataError, match="GO:9999999"):
        snapshot.term_genes("GO:9999999")


def test_snapshot_without_alt_id_file_still_loads(tmp_path, snapshot):
    old = tmp_path / "go"
    old.mkdir()
    for f in SNAPSHOT_DIR.iterdir():
        if f.name != "alt_ids.tsv.gz":
            shutil.copy(f, old / f.name)
    g = GeneOntology.load(old)
    assert g.n_terms == snapshot.n_terms and g.n_genes == snapshot.n_genes
    assert g.term_genes("GO:0000049").index.equals(snapshot.term_genes("GO:0000049").index)
    for alt in SNAPSHOT_ALT_IDS:  # only primary ids there
        with pytest.raises(DataError, match=f"go_id '{alt}': not a term"):
            g.term_genes(alt)
        with pytest.raises(DataError, match=alt):
            g.ancestors(alt)


def test_snapshot_alt_id_file_is_checked(tmp_path):
    assert _read_snapshot_alt_ids(tmp_path / "absent.tsv.gz") is None
    good = tmp_path / "alt_ids.tsv.gz"
    good.write_bytes(gzip.compress(b"alt_id\tgo_id\nGO:0000946\tGO:0000049\n"))
    assert _read_snapshot_alt_ids(good) == {"GO:0000946": "GO:0000049"}
    wrong = tmp_path / "wrong.tsv.gz"
    wrong.write_bytes(gzip.compress(b"secondary\tprimary\nGO:0000946\tGO:0000049\n"))
    with pytest.raises(DataError, match="lack columns"):
        _read_snapshot_alt_ids(wrong)
    broken = tmp_path / "broken.tsv.gz"
    broken.write_bytes(gzip.compress(b"alt_id\tgo_id\n" * 50)[:30])
    with pytest.raises(DataError, match="cannot read GO snapshot alt_ids"):
        _read_snapshot_alt_ids(broken)
