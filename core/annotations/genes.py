"""Genes: Ensembl and Entrez id forms, NCBI and GAF gene types simplified to :data:`GENE_TYPES`,
the likeliest gene of a shared symbol, lists of gene ids as given, and gene tables read from an
NCBI ``gene_info`` file, a TSV or a DataFrame."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core.annotations.reading import _decode, _read_bytes
from core.errors import DataError, first_names

_ENSEMBL_RE = re.compile(r"^(ENS[A-Z]*G\d{6,})(?:\.\d+)?(?:_[A-Z0-9_]+)?$", re.IGNORECASE)
_ENTREZ_RE = re.compile(r"^(\d+)(?:\.0+)?$")  # "4625.0": an id column once read as float
_LNC_NAME_RE = re.compile(
    r"long intergenic non-protein coding|long non-coding|antisense RNA|divergent transcript|"
    r"host gene|intronic transcript|overlapping transcript|sense intronic|transcript\b",
    re.IGNORECASE,
)
_LNC_SYMBOL_RE = re.compile(r"^(LINC\d|.+-AS\d|.+-DT$|.+-IT\d|.+-OT\d|.+HG$|XIST$|TSIX$)")


def simplify_gene_types(
    ncbi_gene_type: Sequence[str], symbol: Sequence[str], name: Sequence[str]
) -> np.ndarray:
    """Map NCBI gene types to the simplified vocabulary :data:`GENE_TYPES`.

    NCBI's ``ncRNA`` is split using the gene's symbol and name: microRNAs (``microRNA ...``,
    symbols ``MIR<n>``) become ``miRNA``; long intergenic, antisense, divergent, host-gene and
    other named transcripts (XIST "X inactive specific transcript", ``LINC*``, ``*-AS1``)
    become ``lncRNA``; small Cajal body RNAs (scaRNA) join ``snoRNA``; the rest stays
    ``ncRNA``. ``pseudo`` becomes ``pseudogene``; ``biological-region``, ``other`` and
    ``unknown`` become ``other``.

    Parameters
    ----------
    ncbi_gene_type, symbol, name : sequences of str, shape (n_genes,)

    Returns
    -------
    numpy.ndarray of str, shape (n_genes,)
    """
    t = pd.Series(np.asarray(ncbi_gene_type, dtype=object)).fillna("unknown").astype(str)
    sym = pd.Series(np.asarray(symbol, dtype=object)).fillna("").astype(str)
    nam = pd.Series(np.asarray(name, dtype=object)).fillna("").astype(str)
    direct = {
        "protein-coding": "protein-coding",
        "protein_coding": "protein-coding",
        "protein": "protein-coding",
        "pseudo": "pseudogene",
        "pseudogene": "pseudogene",
        "snoRNA": "snoRNA",
        "scaRNA": "snoRNA",
        "snRNA": "snRNA",
        "rRNA": "rRNA",
        "tRNA": "tRNA",
        "miRNA": "miRNA",
        "lncRNA": "lncRNA",
        "lnc_RNA": "lncRNA",
        "lincRNA": "lncRNA",
        "scRNA": "ncRNA",
        "misc_RNA": "ncRNA",
        "miscRNA": "ncRNA",
        "ncRNA": "ncRNA",
    }
    out = t.map(direct).fillna("other").to_numpy(dtype=object)
    nc = np.flatnonzero(out == "ncRNA")  # regexes only on these rows (fast load)
    if nc.size:
        sym_nc = sym.iloc[nc]
        nam_nc = nam.iloc[nc]
        mir = nam_nc.str.match(r"(?i)^microRNA\b") | sym_nc.str.match(r"^MIR\d+[A-Z]?(-\d+)?$")
        sno = nam_nc.str.match(r"(?i)^small (Cajal body|nucleolar RNA(,| [A-Z/]+ box))")
        lnc = ~mir & ~sno & (nam_nc.str.contains(_LNC_NAME_RE) | sym_nc.str.match(_LNC_SYMBOL_RE))
        sub = out[nc]
        sub[lnc.to_numpy()] = "lncRNA"
        sub[sno.to_numpy()] = "snoRNA"
        sub[mir.to_numpy()] = "miRNA"
        out[nc] = sub
    # one string object per type, shared by the genes of that type (the mapping above gave
    # many copies: 0.8 MB on the snapshot's 77,614 genes)
    codes, kinds = pd.factorize(out)
    return np.asarray(kinds, dtype=object)[codes]


#: Sequence Ontology ids a GAF may give as DB object type (column 12), with their SO names
_SO_NAMES = {
    "SO:0000104": "polypeptide",
    "SO:0000234": "mRNA",
    "SO:0000252": "rRNA",
    "SO:0000253": "tRNA",
    "SO:0000274": "snRNA",
    "SO:0000275": "snoRNA",
    "SO:0000276": "miRNA",
    "SO:0000336": "pseudogene",
    "SO:0000655": "ncRNA",
    "SO:0000704": "gene",
    "SO:0001217": "protein_coding_gene",
    "SO:0001263": "ncRNA_gene",
    "SO:0001265": "miRNA_gene",
    "SO:0001266": "scRNA_gene",
    "SO:0001267": "snoRNA_gene",
    "SO:0001268": "snRNA_gene",
    "SO:0001272": "tRNA_gene",
    "SO:0001637": "rRNA_gene",
    "SO:0001641": "lincRNA_gene",
    "SO:0001877": "lnc_RNA",
    "SO:0002127": "lncRNA_gene",
    "SO:0002339": "scaRNA_gene",
}
#: GAF DB object types (lower case, without a "_gene" suffix) -> the NCBI-style gene type
#: that :func:`simplify_gene_types` reads
_GAF_OBJECT_TYPES = {
    "protein": "protein-coding",
    "polypeptide": "protein-coding",
    "gene_product": "unknown",  # GAF 2.2: "precise product type unknown"
    "protein_coding": "protein-coding",
    "mrna": "protein-coding",
    "mirna": "miRNA",
    "pre_mirna": "miRNA",
    "snorna": "snoRNA",
    "scarna": "snoRNA",
    "snrna": "snRNA",
    "rrna": "rRNA",
    "trna": "tRNA",
    "lncrna": "lncRNA",
    "lnc_rna": "lncRNA",
    "lincrna": "lncRNA",
    "ncrna": "ncRNA",
}


def _gaf_gene_type(object_type: str) -> str:
    """NCBI-style gene type of a GAF DB object type (column 12), as read by
    :func:`simplify_gene_types`.

    Column 12 holds a Sequence Ontology type, by name or id: ``protein``,
    ``protein_coding_gene`` and ``SO:0001217`` give "protein-coding"; ``pseudogene`` (and every
    ``*pseudogen*`` type) "pseudo"; ``miRNA(_gene)``, ``snoRNA(_gene)``, ``snRNA(_gene)``,
    ``rRNA(_gene)``, ``tRNA(_gene)``, ``lncRNA(_gene)`` / ``lincRNA(_gene)`` their RNA type;
    ``ncRNA_gene`` and other non-coding RNA types (``*RNA`` / ``*RNA_gene``) "ncRNA";
    ``gene_product`` (GAF 2.2: product type unknown) "unknown". Any other type (``gene``,
    ``transcript``, ``protein_complex``, ...) is returned unchanged. The last two simplify to
    "other".
    """
    raw = str(object_type).strip()
    name = _SO_NAMES.get(raw.upper(), raw)
    key = name.lower()
    if key.endswith("_gene"):
        key = key[: -len("_gene")]
    if key in _GAF_OBJECT_TYPES:
        return _GAF_OBJECT_TYPES[key]
    if "pseudogen" in key:
        return "pseudo"
    for part in ("lncrna", "lnc_rna", "lincrna", "mirna", "snorna", "scarna"):
        if part in key:
            return _GAF_OBJECT_TYPES[part]
    if key.endswith("rna") and key not in ("rna", "mrna"):
        return "ncRNA"
    return raw


def _preferred_order(genes: pd.DataFrame, n_annotations: np.ndarray | None = None) -> np.ndarray:
    """Rows of a gene table, the likeliest meaning of a shared symbol first: genes with GO
    annotations (``n_annotations``, when known), then genes with an Ensembl id, then genes of a
    known type (not "other" / "unknown": NCBI lists phenotype-only records such as MEMO1 7795,
    "methylation modifier for class I HLA", under current symbols), then table order."""
    n = len(genes)

    def column(name: str) -> np.ndarray:
        if name not in genes.columns:
            return np.full(n, "", dtype=object)
        return genes[name].fillna("").astype(str).str.strip().str.lower().to_numpy(dtype=object)

    types = column("gene_type")
    ncbi = column("ncbi_gene_type")
    vague = ["", "other", "unknown"]
    unknown_type = np.isin(types, vague) & np.isin(ncbi, vague)
    no_ensembl = column("ensembl") == ""
    unannotated = (
        np.zeros(n, dtype=bool) if n_annotations is None else np.asarray(n_annotations) == 0
    )
    return np.lexsort((np.arange(n), unknown_type, no_ensembl, unannotated))


def _as_id_list(ids: object, what: str) -> list:
    if isinstance(ids, pd.DataFrame):
        # iterating a table gives its column names, which were mapped as the genes
        if ids.shape[1] != 1:
            raise DataError(
                f"{what}: a table of {ids.shape[1]} columns ({first_names(ids.columns, 3)}): "
                "give one column of gene ids, e.g. table['symbol']"
            )
        ids = ids.iloc[:, 0]
    if isinstance(ids, (bool, np.bool_)):
        raise DataError(f"{what}: expected gene ids, got {ids!r}")
    if isinstance(ids, (str, bytes, int, np.integer)):
        return [ids]
    if isinstance(ids, (pd.Series, pd.Index, np.ndarray)):
        out = list(np.asarray(ids).ravel())
    elif isinstance(ids, Iterable):
        out = list(ids)
    else:
        out = None
    if out is not None:
        if out and all(isinstance(x, (bool, np.bool_)) for x in out):
            # a mask such as ``results.padj < 0.05`` matched no gene, without a word
            raise DataError(
                f"{what}: True/False values, not gene ids; a boolean Series indexed by gene "
                "gives its genes with series.index[series]"
            )
        return out
    raise DataError(f"{what}: expected gene ids (a string or a list of strings), got {type(ids)}")


def _read_gene_info(gene_info: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Gene table (symbol, entrez, name, ncbi_gene_type, ensembl, chromosome) from a gene_info
    source (NCBI gene_info file, snapshot genes table, TSV or DataFrame).

    A file may be gzip'd and have Windows line ends or a byte-order mark; one that is not valid
    UTF-8 (Latin-1 / cp1252) is read as Latin-1, with a warning, as GAF files are."""
    if isinstance(gene_info, pd.DataFrame):
        df = gene_info.copy()
        src = "gene_info DataFrame"
    else:
        path = Path(gene_info)
        text, _ = _decode(path, _read_bytes(path), "gene_info file")
        if not text.strip():
            raise DataError(f"{path}: empty gene_info file")
        first = text.split("\n", 1)[0]
        try:
            df = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"{path}: cannot read gene_info: {exc}") from exc
        del text
        df.columns = [str(c).strip() for c in df.columns]
        src = str(path)
        if first.startswith("#tax_id"):
            missing = [c for c in ("GeneID", "Symbol") if c not in df.columns]
            if missing:
                raise DataError(
                    f"{path}, line 1: NCBI gene_info header without {', '.join(missing)} "
                    f"(columns found: {', '.join(df.columns[:8])})"
                )
            empty = pd.Series([""] * len(df), index=df.index, dtype=object)
            xrefs = df["dbXrefs"] if "dbXrefs" in df.columns else empty
            ens = xrefs.str.findall(r"Ensembl:(ENS[A-Z]*G\d+)").map(";".join)
            name = df.get("description", df.get("Full_name_from_nomenclature_authority", empty))
            chromosome = df["chromosome"] if "chromosome" in df.columns else empty
            df = pd.DataFrame(
                {
                    "entrez": df["GeneID"],
                    "symbol": df["Symbol"],
                    "name": name,
                    "ncbi_gene_type": df["type_of_gene"] if "type_of_gene" in df else empty,
                    "ensembl": ens,
                    "chromosome": chromosome.replace("-", ""),
                }
            )
    if "symbol" not in df.columns:
        raise DataError(f"{src}: gene table needs a 'symbol' column")
    if "gene_type" in df.columns and "ncbi_gene_type" not in df.columns:
        df = df.rename(columns={"gene_type": "ncbi_gene_type"})
    for col in ("entrez", "name", "ncbi_gene_type", "ensembl", "chromosome"):
        if col not in df.columns:
            df[col] = pd.NA if col == "entrez" else ""
    return df.drop(columns=[c for c in ("gene_type",) if c in df.columns]).reset_index(drop=True)
