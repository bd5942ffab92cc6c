"""GO's fixed words: the three ontologies and their roots, namespaces, relationships, evidence
codes, simplified gene types, the columns of the gene table and of an enrichment; the checks of
an ontology name, of term sizes and of evidence codes given against them."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from core.errors import DataError

ONTOLOGIES = ("BP", "MF", "CC")
ROOTS = {"BP": "GO:0008150", "MF": "GO:0003674", "CC": "GO:0005575"}
NAMESPACES = {
    "biological_process": "BP",
    "molecular_function": "MF",
    "cellular_component": "CC",
}
PROPAGATE_THROUGH = ("is_a", "part_of")
RELATIONSHIPS = (
    "is_a",
    "part_of",
    "regulates",
    "positively_regulates",
    "negatively_regulates",
)
# GO evidence codes (geneontology.org/docs/guide-go-evidence-codes): experimental,
# high-throughput, phylogenetic, computational, author / curator statements, electronic
EVIDENCE_CODES = (
    "EXP", "IDA", "IPI", "IMP", "IGI", "IEP",
    "HTP", "HDA", "HMP", "HGI", "HEP",
    "IBA", "IBD", "IKR", "IRD",
    "ISS", "ISO", "ISA", "ISM", "IGC", "RCA",
    "TAS", "NAS", "IC", "ND", "IEA",
)  # fmt: skip
#: simplified gene-type vocabulary of :meth:`GeneOntology.gene_type`
GENE_TYPES = (
    "protein-coding",
    "pseudogene",
    "lncRNA",
    "miRNA",
    "snoRNA",
    "snRNA",
    "rRNA",
    "tRNA",
    "ncRNA",
    "other",
    "unmapped",
)
GENE_COLUMNS = ("symbol", "entrez", "name", "gene_type", "ncbi_gene_type", "ensembl", "chromosome")
ENRICH_COLUMNS = (
    "go_id",
    "name",
    "ontology",
    "n_in_set",
    "set_size",
    "n_in_background",
    "background_size",
    "fold",
    "p_value",
    "fdr",
)


def _normalise_ontology(ontology: str | None, allow_none: bool = True) -> str | None:
    if ontology is None:
        if allow_none:
            return None
        raise DataError("ontology: must be one of BP, MF, CC")
    key = str(ontology).strip()
    code = NAMESPACES.get(key.lower(), key.upper())
    if code not in ONTOLOGIES:
        raise DataError(
            f"ontology={ontology!r}: unknown; use BP, MF or CC "
            "(biological_process, molecular_function, cellular_component)"
        )
    return code


def _check_sizes(min_size: int, max_size: int) -> None:
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        # (text such as "3" failed in a numpy comparison with the term sizes)
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not float(value).is_integer()
        ):
            raise DataError(f"{name}={value!r}: must be a whole number of genes")
    if int(min_size) < 1 or int(max_size) < int(min_size):
        raise DataError(f"min_size={min_size}, max_size={max_size}: need 1 <= min_size <= max_size")


def check_evidence_codes(codes: Iterable[str] | str | None) -> set[str]:
    """Upper-cased GO evidence codes, each checked against :data:`EVIDENCE_CODES`.

    A string is read as a comma-separated list (``"IEA,ND"``); None as no code.

    Raises
    ------
    DataError
        A code that is not a GO evidence code (the message lists the valid ones).
    """
    if codes is None:  # (None read as "exclude nothing", not a TypeError)
        return set()
    if isinstance(codes, str):
        codes = codes.split(",")
    out = {str(c).strip().upper() for c in codes if str(c).strip()}
    bad = sorted(out - set(EVIDENCE_CODES))
    if bad:
        raise DataError(
            f"unknown GO evidence code(s) {', '.join(bad)}; valid: {', '.join(EVIDENCE_CODES)}"
        )
    return out
