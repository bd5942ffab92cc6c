"""Gene Ontology: terms, gene tables, gene->term maps, propagation and enrichment.

Public API (stable; other modules code against it)::

    from core.annotations import GeneOntology

    go = GeneOntology.load()   # committed snapshot data/go/ (GO 2022-07-01, Entrez 2022-09-12)
    go = GeneOntology.from_gaf(gaf, obo, gene_info=None)   # GAF 2.x + OBO 1.2 (user files)

    go.terms          DataFrame, index go_id; columns ontology ("BP"/"MF"/"CC"), name
    go.genes          DataFrame, one row per gene (RangeIndex = gene index); columns symbol,
                      entrez (Int64), name, gene_type (simplified), ncbi_gene_type, ensembl
                      (";"-joined ids), chromosome
    go.metadata       dict: source, release dates, package versions
    go.map_genes(ids, symbols=None)      -> DataFrame, one row per input id, in order: query,
                                            matched, matched_by, gene_index (-1 if unmatched),
                                            symbol, entrez, gene_type, ...  (``symbols``: a
                                            per-id fallback, e.g. GTEx Description column)
    go.gene_type(ids, symbols=None)      -> Series of simplified gene types ("unmapped" if unknown)
    go.gene_terms(gene, ontology=None, propagate=True) -> DataFrame (index go_id; ontology,
                                            name, direct)
    go.term_genes(go_id, propagate=True) -> DataFrame (rows of go.genes)
    go.term_sizes(genes_universe=None, ontology=None) -> Series (index go_id; genes per term)
    go.annotation_matrix(genes, ontology="BP", min_size=3, max_size=500, symbols=None,
                         sizes_from="all")
                                         -> (scipy.sparse.csr_matrix bool n_genes x n_terms,
                                             term ids ndarray)   propagated; term sizes counted
                                             over all annotated genes ("all", the usual GO size)
                                             or within `genes` ("genes")
    share_term(pairs_i, pairs_j, matrix) -> bool ndarray: do gene pairs share >= 1 term
    go.enricher(background, ontology="BP", min_size=3, max_size=500, symbols=None) -> Enricher
    Enricher.enrich(gene_set, min_overlap=1, symbols=None)
                                         -> DataFrame go_id, name, ontology, n_in_set,
                                            set_size, n_in_background, background_size, fold,
                                            p_value, fdr (hypergeometric + Benjamini-Hochberg
                                            over all tested terms), sorted by p; the background
                                            is the mapped genes with >= 1 annotation in the
                                            ontology, the set is counted within it
    go.enrich(gene_set, background=None, ontology="BP", ...)  one-off form of the above
    benjamini_hochberg(p_values)         -> BH-adjusted q-values
    hypergeom_sf(k, N, K, n)             -> P[X >= k], vectorised (== scipy hypergeom.sf(k-1, ...))
    go.direct_matrix / go.propagated_matrix   scipy CSR bool, n_genes x n_terms (rows = go.genes,
                                            columns = go.terms), built on first use
    go.ancestors_matrix (n_terms x n_terms), go.ancestors(go_id), go.parents (edge table)

Annotations are propagated to ancestors through ``is_a`` and ``part_of`` edges (GO's true path
rule); ``regulates`` edges are kept in ``go.parents`` but not followed. ``term_genes`` and
``ancestors`` also accept a GO alt_id (secondary id) and answer for its primary term: the OBO's
``alt_id`` lines (``from_gaf``) or the snapshot's ``alt_ids.tsv.gz`` (``load``; snapshots built
before that file existed load without alt_ids). Genes are identified by symbol
(case-insensitive), Ensembl gene id (version and ``_PAR_Y``-like suffixes ignored) or Entrez id.
A list of genes may be a list, an array, a Series or a one-column DataFrame.
Nothing is cached at module level: heavy per-instance structures (the ancestor closure and the
propagated gene x term matrix) are built on first use and kept on the instance; keep the
``GeneOntology`` / ``Enricher`` objects you need.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import logging
import numbers
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.errors import DataError, first_names

LOG = logging.getLogger(__name__)

SNAPSHOT_DIR = Path(__file__).resolve().parents[1] / "data" / "go"
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
#: simplified gene-type vocabulary of :meth:`GeneOntology.gene_type`
# GO evidence codes (geneontology.org/docs/guide-go-evidence-codes): experimental,
# high-throughput, phylogenetic, computational, author / curator statements, electronic
EVIDENCE_CODES = (
    "EXP", "IDA", "IPI", "IMP", "IGI", "IEP",
    "HTP", "HDA", "HMP", "HGI", "HEP",
    "IBA", "IBD", "IKR", "IRD",
    "ISS", "ISO", "ISA", "ISM", "IGC", "RCA",
    "TAS", "NAS", "IC", "ND", "IEA",
)  # fmt: skip
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

_ENSEMBL_RE = re.compile(r"^(ENS[A-Z]*G\d{6,})(?:\.\d+)?(?:_[A-Z0-9_]+)?$", re.IGNORECASE)
_ENTREZ_RE = re.compile(r"^(\d+)(?:\.0+)?$")  # "4625.0": an id column once read as float
_LNC_NAME_RE = re.compile(
    r"long intergenic non-protein coding|long non-coding|antisense RNA|divergent transcript|"
    r"host gene|intronic transcript|overlapping transcript|sense intronic|transcript\b",
    re.IGNORECASE,
)
_LNC_SYMBOL_RE = re.compile(r"^(LINC\d|.+-AS\d|.+-DT$|.+-IT\d|.+-OT\d|.+HG$|XIST$|TSIX$)")


# --------------------------------------------------------------------------------------------
# gene types
# --------------------------------------------------------------------------------------------
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
    return out


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


# --------------------------------------------------------------------------------------------
# statistics helpers
# --------------------------------------------------------------------------------------------
def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values).

    ``q_(i) = min_{j >= i} p_(j) * m / j`` over the p-values sorted ascending, capped at 1.

    Parameters
    ----------
    p_values : array-like, shape (m,)

    Returns
    -------
    numpy.ndarray, shape (m,), in the input order.
    """
    try:
        p = np.asarray(p_values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"benjamini_hochberg: p_values must be numbers: {exc}") from None
    if p.ndim != 1:
        raise DataError(f"benjamini_hochberg: p_values must be 1-D, got shape {p.shape}")
    m = p.size
    if m == 0:
        return p.copy()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise DataError("benjamini_hochberg: p_values must lie in [0, 1] without NaN")
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def hypergeom_sf(
    k: np.ndarray, big_n: int, big_k: np.ndarray, n: int, log_factorial: np.ndarray | None = None
) -> np.ndarray:
    """Upper tail ``P[X >= k]`` of ``X ~ Hypergeom(big_n, big_k, n)``, vectorised over terms.

    Sums the probability mass from ``k`` to ``min(n, big_k)`` in log space (same values as
    ``scipy.stats.hypergeom.sf(k - 1, big_n, big_k, n)``, much faster for small sets).

    Parameters
    ----------
    k : int array, shape (m,)
        Observed overlaps.
    big_n : int
        Population (background) size.
    big_k : int array, shape (m,)
        Successes in the population (term sizes).
    n : int
        Draws (set size).
    log_factorial : float array, shape (>= big_n + 1,), optional
        ``log(i!)`` for i = 0..big_n, precomputed by the caller.

    Returns
    -------
    numpy.ndarray, shape (m,), in [0, 1].
    """
    from scipy.special import gammaln, logsumexp

    k = np.asarray(k, dtype=np.int64)
    big_k = np.asarray(big_k, dtype=np.int64)
    # (a set larger than its population, or a negative one, raised an IndexError of the
    # log-factorial table; a term larger than the population gave p = 0)
    if not 0 <= int(n) <= int(big_n):
        raise DataError(
            f"hypergeom_sf: need 0 <= n (draws) <= big_n (population), got n={n}, big_n={big_n}"
        )
    if big_k.size and (big_k.min() < 0 or big_k.max() > big_n):
        raise DataError(f"hypergeom_sf: big_k (successes) must lie in 0..big_n={big_n}")
    try:
        k, big_k = (a.ravel() for a in np.broadcast_arrays(k, big_k))
    except ValueError:
        raise DataError(
            f"hypergeom_sf: k has {k.size} values and big_k {big_k.size}: one per term"
        ) from None
    if log_factorial is None:
        log_factorial = gammaln(np.arange(big_n + 1, dtype=np.float64) + 1.0)
    lf = log_factorial
    out = np.empty(k.size)
    # terms of the mass: x = k .. min(n, big_k), so at most max(min(n, big_k) - k) + 1 of them
    # (<= max_size + 1 in an enrichment, however large the set)
    width = int(max(0, (np.minimum(n, big_k) - k).max(initial=0))) + 1
    step = max(1, 2_000_000 // max(width, 1))
    log_total = lf[big_n] - lf[n] - lf[big_n - n]
    offsets = np.arange(width)
    for start in range(0, k.size, step):
        kk = k[start : start + step, None]
        kb = big_k[start : start + step, None]
        x = kk + offsets[None, :]
        valid = (x <= np.minimum(n, kb)) & (x >= n - (big_n - kb))
        xs = np.where(valid, x, 0)
        ks = np.where(valid, kb, 0)
        a = ks - xs
        b = big_n - ks
        c = n - xs
        d = big_n - ks - n + xs
        ok = valid & (a >= 0) & (c >= 0) & (d >= 0)
        a, c, d = (np.where(ok, v, 0) for v in (a, c, d))
        logp = lf[ks] - lf[xs] - lf[a] + lf[b] - lf[c] - lf[d] - log_total
        logp = np.where(ok, logp, -np.inf)
        out[start : start + step] = np.exp(logsumexp(logp, axis=1))
    out[k <= 0] = 1.0
    return np.clip(out, 0.0, 1.0)


def share_term(
    pairs_i: Sequence[int] | np.ndarray,
    pairs_j: Sequence[int] | np.ndarray,
    matrix: sp.spmatrix | sp.sparray,
    chunk_size: int = 50_000,
) -> np.ndarray:
    """Whether each gene pair ``(pairs_i[k], pairs_j[k])`` shares at least one term.

    Parameters
    ----------
    pairs_i, pairs_j : int arrays, shape (n_pairs,)
        Row indices into ``matrix``.
    matrix : sparse bool matrix, shape (n_genes, n_terms)
        E.g. the first output of :meth:`GeneOntology.annotation_matrix`.
    chunk_size : int
        Pairs processed at once (bounds memory).

    Returns
    -------
    numpy.ndarray of bool, shape (n_pairs,)
    """
    i = np.asarray(pairs_i, dtype=np.int64).ravel()
    j = np.asarray(pairs_j, dtype=np.int64).ravel()
    if i.shape != j.shape:
        raise DataError(f"share_term: pairs_i {i.shape} and pairs_j {j.shape} differ in length")
    m = sp.csr_matrix(matrix, dtype=bool)
    n = m.shape[0]
    if i.size and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n):
        raise DataError(f"share_term: gene indices must lie in [0, {n}) (matrix rows)")
    out = np.zeros(i.size, dtype=bool)
    for start in range(0, i.size, chunk_size):
        sl = slice(start, start + chunk_size)
        both = m[i[sl]].multiply(m[j[sl]])
        out[sl] = np.asarray(both.sum(axis=1)).ravel() > 0
    return out


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


# --------------------------------------------------------------------------------------------
# enrichment
# --------------------------------------------------------------------------------------------
@dataclass
class Enricher:
    """Fast, reusable enrichment of gene sets against one background and one ontology.

    Built by :meth:`GeneOntology.enricher`; holds the propagated background x term matrix so
    that :meth:`enrich` only sums a few rows and runs the hypergeometric test.

    Attributes
    ----------
    ontology : str
    term_ids : numpy.ndarray of str, shape (n_terms,)
        Terms tested: those with ``min_size <= n_in_background <= max_size``.
    term_names : numpy.ndarray of str, shape (n_terms,)
    term_sizes : numpy.ndarray of int, shape (n_terms,)
        Background genes annotated to each term (propagated).
    background_genes : numpy.ndarray of int, shape (background_size,)
        Gene indices (rows of ``GeneOntology.genes``) of the annotated background.
    matrix : scipy.sparse.csr_matrix of bool, shape (background_size, n_terms)
    """

    go: GeneOntology = field(repr=False)
    ontology: str
    min_size: int
    max_size: int
    term_ids: np.ndarray = field(repr=False)
    term_names: np.ndarray = field(repr=False)
    term_sizes: np.ndarray = field(repr=False)
    background_genes: np.ndarray = field(repr=False)
    matrix: sp.csr_matrix = field(repr=False)
    _row_of_gene: np.ndarray = field(repr=False)
    _log_factorial: np.ndarray = field(repr=False)

    @property
    def background_size(self) -> int:
        """Number of background genes with at least one annotation in the ontology."""
        return int(self.background_genes.size)

    @property
    def n_terms(self) -> int:
        """Number of terms tested (the Benjamini-Hochberg family size)."""
        return int(self.term_ids.size)

    def enrich(
        self,
        gene_set: Iterable[str | int],
        min_overlap: int = 1,
        symbols: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Hypergeometric enrichment of ``gene_set`` in every tested term.

        Genes of the set are mapped like :meth:`GeneOntology.map_genes` (``symbols``: one per
        gene of the set, tried when its id does not map and deciding between the genes that
        share an Ensembl id; give them as the background was given); those unmapped, absent
        from the background or without annotation in the ontology are left out (logged), so
        ``set_size`` counts the set genes that are in the annotated background.
        ``p_value = P[X >= n_in_set]`` for ``X ~ Hypergeom(background_size, n_in_background,
        set_size)``; ``fdr`` is Benjamini-Hochberg over all ``n_terms`` tested terms (terms
        without any gene of the set have p = 1 and count in the family).

        Parameters
        ----------
        gene_set : iterable of gene ids, length n_set
        min_overlap : int
            Only rows with ``n_in_set >= min_overlap`` are returned (0 returns every term).

        Returns
        -------
        pandas.DataFrame with columns :data:`ENRICH_COLUMNS`, sorted by p_value then go_id.
        """
        if (
            isinstance(min_overlap, bool)
            or not isinstance(min_overlap, numbers.Real)
            or not float(min_overlap).is_integer()
        ):
            raise DataError(f"min_overlap={min_overlap!r}: must be a whole number of genes")
        ids = _as_id_list(gene_set, "gene_set")
        found = self.go._lookup(ids, symbols)
        idx = np.unique(found[found >= 0])
        rows = self._row_of_gene[idx]
        n_outside = int((rows < 0).sum())
        rows = rows[rows >= 0]
        if n_outside:
            LOG.info("enrich: %d genes of the set are not in the annotated background", n_outside)
        n = int(rows.size)
        n_terms = self.n_terms
        if n == 0 and ids:
            # why, in numbers: ids GO does not know, or genes outside the background
            LOG.warning(
                "enrich: no gene of the set is in the annotated background of %d genes "
                "(%s): of its %d ids, %d are not genes of this GO and %d genes are outside the "
                "background or have no %s annotation; every term has p = 1",
                self.background_size,
                self.ontology,
                len(ids),
                int((found < 0).sum()),
                int(idx.size),
                self.ontology,
            )
        counts = (
            np.asarray(self.matrix[rows].sum(axis=0)).ravel().astype(np.int64)
            if n
            else np.zeros(n_terms, dtype=np.int64)
        )
        big_n = self.background_size
        p = np.ones(n_terms)
        hit = counts > 0
        if hit.any():
            p[hit] = hypergeom_sf(counts[hit], big_n, self.term_sizes[hit], n, self._log_factorial)
        q = benjamini_hochberg(p)
        keep = counts >= int(min_overlap)
        with np.errstate(divide="ignore", invalid="ignore"):
            fold = (counts / max(n, 1)) / (self.term_sizes / max(big_n, 1))
        res = pd.DataFrame(
            {
                "go_id": self.term_ids[keep],
                "name": self.term_names[keep],
                "ontology": self.ontology,
                "n_in_set": counts[keep],
                "set_size": n,
                "n_in_background": self.term_sizes[keep],
                "background_size": big_n,
                "fold": fold[keep] if n else np.zeros(int(keep.sum())),
                "p_value": p[keep],
                "fdr": q[keep],
            },
            columns=list(ENRICH_COLUMNS),
        )
        return res.sort_values(["p_value", "go_id"], kind="mergesort", ignore_index=True)


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


def check_go_settings(
    gaf: str | Path | None, obo: str | Path | None, exclude_evidence: Iterable[str] | str
) -> tuple[str, ...]:
    """Check a GO choice (``--go-gaf``, ``--go-obo``, ``--go-exclude-evidence``) before use.

    Returns
    -------
    The evidence codes to leave out, upper-cased and sorted.

    Raises
    ------
    DataError
        Only one of the two files, a file that does not exist or does not start as a GAF / OBO
        file does, or an unknown evidence code.
    """
    if (gaf is None) != (obo is None):
        raise DataError("--go-gaf and --go-obo go together (annotations and their ontology)")
    for flag, path in (("--go-gaf", gaf), ("--go-obo", obo)):
        if path is not None and not Path(path).is_file():
            raise DataError(f"{flag} {path}: no such file")
    # their first lines, before any work: a wrong file was found only after the maps and Table 1
    if gaf is not None:
        _check_gaf_start(Path(gaf))
    if obo is not None:
        _check_obo_start(Path(obo))
    try:
        return tuple(sorted(check_evidence_codes(exclude_evidence)))
    except DataError as exc:
        raise DataError(f"--go-exclude-evidence: {exc}") from exc


# --------------------------------------------------------------------------------------------
# the ontology
# --------------------------------------------------------------------------------------------
class GeneOntology:
    """GO terms, their is_a/part_of graph, a gene table and direct gene->term annotations.

    Parameters
    ----------
    terms : DataFrame with columns go_id, ontology (BP/MF/CC), name; shape (n_terms, 3)
    parents : DataFrame with columns go_id, parent_id, relationship; one row per edge
    genes : DataFrame with columns symbol, entrez, name, ncbi_gene_type, ensembl (";"-joined),
        chromosome; shape (n_genes, ...). ``gene_type`` (simplified) is added when absent.
    annotations : DataFrame with columns gene_index (row position in ``genes``), go_id,
        evidence; direct annotations, one row per (gene, term, evidence)
    metadata : dict, optional
        Source and release information.
    propagate_through : tuple of str
        Relationship types followed when propagating to ancestors.
    aliases : DataFrame with columns gene_index, alias; optional
        Other (previous) symbols of genes; used by the mapping when unambiguous.
    alt_ids : mapping of str to str, optional
        Secondary GO id (an OBO ``alt_id``) -> primary id. Methods taking a GO id
        (:meth:`term_genes`, :meth:`ancestors`) accept these and answer for the primary term.
        Filled by :meth:`from_gaf` (from the OBO) and by :meth:`load` (the snapshot's
        ``alt_ids.tsv.gz``; a snapshot without that file accepts only primary ids).
    """

    def __init__(
        self,
        terms: pd.DataFrame,
        parents: pd.DataFrame,
        genes: pd.DataFrame,
        annotations: pd.DataFrame,
        metadata: dict | None = None,
        propagate_through: tuple[str, ...] = PROPAGATE_THROUGH,
        aliases: pd.DataFrame | None = None,
        alt_ids: Mapping[str, str] | None = None,
    ) -> None:
        for df, cols, what in (
            (terms, ("go_id", "ontology", "name"), "terms"),
            (parents, ("go_id", "parent_id", "relationship"), "parents"),
            (genes, ("symbol",), "genes"),
            (annotations, ("gene_index", "go_id"), "annotations"),
        ):
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise DataError(f"GeneOntology: {what} table lacks columns {missing}")
        bad = set(propagate_through) - set(RELATIONSHIPS)
        if bad:
            raise DataError(f"propagate_through: unknown relationships {sorted(bad)}")
        self.metadata: dict = dict(metadata or {})
        self.propagate_through = tuple(propagate_through)

        terms = terms.drop_duplicates("go_id").sort_values("go_id", ignore_index=True)
        self._term_ids = terms["go_id"].to_numpy(dtype=object)
        self._term_pos = pd.Index(self._term_ids)
        self._term_ont = terms["ontology"].to_numpy(dtype=object)
        self.terms = pd.DataFrame(
            {"ontology": self._term_ont, "name": terms["name"].to_numpy(dtype=object)},
            index=pd.Index(self._term_ids, name="go_id"),
        )
        # secondary id -> primary id, for primary ids that are terms (and alt ids that are not)
        known = set(self._term_ids)
        self._alt_ids: dict[str, str] = {
            str(a).strip(): str(t).strip()
            for a, t in (alt_ids or {}).items()
            if str(t).strip() in known and str(a).strip() not in known
        }

        pi = self._term_pos.get_indexer(parents["go_id"])
        pj = self._term_pos.get_indexer(parents["parent_id"])
        ok = (pi >= 0) & (pj >= 0)
        self.parents = parents.loc[ok, ["go_id", "parent_id", "relationship"]].reset_index(
            drop=True
        )
        self._edge_child = pi[ok]
        self._edge_parent = pj[ok]
        self._edge_rel = self.parents["relationship"].to_numpy(dtype=object)

        genes = genes.reset_index(drop=True).copy()
        for col in ("entrez", "name", "ncbi_gene_type", "ensembl", "chromosome"):
            if col not in genes.columns:
                genes[col] = pd.NA if col == "entrez" else ""
        genes["entrez"] = pd.to_numeric(genes["entrez"], errors="coerce").astype("Int64")
        for col in ("symbol", "name", "ensembl", "chromosome"):
            genes[col] = genes[col].fillna("").astype(str)
        genes["ncbi_gene_type"] = genes["ncbi_gene_type"].fillna("unknown").astype(str)
        if "gene_type" not in genes.columns:
            genes["gene_type"] = simplify_gene_types(
                genes["ncbi_gene_type"], genes["symbol"], genes["name"]
            )
        cols = list(GENE_COLUMNS) + [c for c in genes.columns if c not in GENE_COLUMNS]
        self.genes = genes[cols]
        self.genes.index.name = "gene_index"

        gi = annotations["gene_index"].to_numpy(dtype=np.int64)
        ti = self._term_pos.get_indexer(annotations["go_id"])
        ok = (ti >= 0) & (gi >= 0) & (gi < len(self.genes))
        if (~ok).any():
            LOG.info("GeneOntology: %d annotations to unknown terms/genes ignored", (~ok).sum())
        self._ann_gene = gi[ok]
        self._ann_term = ti[ok]
        ev = annotations["evidence"] if "evidence" in annotations.columns else None
        self._ann_evidence = (
            ev.to_numpy(dtype=object)[ok] if ev is not None else np.full(ok.sum(), "", object)
        )
        if aliases is not None and len(aliases):
            ai = aliases["gene_index"].to_numpy(dtype=np.int64)
            ok = (ai >= 0) & (ai < len(self.genes))
            self._alias_gene = ai[ok]
            self._alias_name = aliases["alias"].astype(str).to_numpy(dtype=object)[ok]
        else:
            self._alias_gene = np.zeros(0, dtype=np.int64)
            self._alias_name = np.zeros(0, dtype=object)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def load(
        cls, path: str | Path | None = None, exclude_evidence: Iterable[str] = ()
    ) -> GeneOntology:
        """Load a snapshot folder written by ``data/build_go_snapshot.py``.

        Parameters
        ----------
        path : folder, optional
            Default: the committed snapshot ``data/go/`` (GO 2022-07-01, human genes from
            Entrez Gene 2022-09-12).
        exclude_evidence : iterable of str
            Evidence codes to ignore (e.g. ``("ND", "IEA")``).

        Optional files: ``aliases.tsv.gz`` (other gene symbols) and ``alt_ids.tsv.gz``
        (secondary GO id -> primary id, accepted by :meth:`term_genes` and
        :meth:`ancestors`); a snapshot without them loads without aliases / alt_ids.
        """
        folder = Path(path) if path is not None else SNAPSHOT_DIR
        if folder.is_file():
            raise DataError(
                f"{folder}: a file; GeneOntology.load takes the snapshot folder (a GAF and an "
                "OBO file are read by GeneOntology.from_gaf)"
            )
        files = {k: folder / f"{k}.tsv.gz" for k in ("terms", "parents", "genes", "annotations")}
        for f in files.values():
            if not f.is_file():
                raise DataError(
                    f"{f}: GO snapshot file missing (rebuild with data/build_go_snapshot.py)"
                )
        try:
            terms = pd.read_csv(files["terms"], sep="\t", dtype=str, keep_default_na=False)
            parents = pd.read_csv(files["parents"], sep="\t", dtype=str, keep_default_na=False)
            genes = pd.read_csv(
                files["genes"],
                sep="\t",
                dtype={"entrez": np.int64},
                keep_default_na=False,
                na_values={"entrez": [""]},
            )
            ann = pd.read_csv(
                files["annotations"], sep="\t", dtype={"entrez": np.int64}, keep_default_na=False
            )
        except (ValueError, pd.errors.ParserError, *_READ_ERRORS) as exc:
            raise DataError(f"{folder}: cannot read GO snapshot: {exc}") from exc
        # (a table without its key column raised a bare KeyError)
        for name, table, needed in (
            ("genes", genes, ("entrez", "symbol")),
            ("annotations", ann, ("entrez", "go_id", "evidence")),
        ):
            missing = [c for c in needed if c not in table.columns]
            if missing:
                raise DataError(f"{files[name]}: GO snapshot table lacks columns {missing}")
        meta_file = folder / "metadata.json"
        try:
            metadata = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
        except (ValueError, OSError) as exc:
            raise DataError(f"{meta_file}: cannot read GO snapshot metadata: {exc}") from exc
        if not isinstance(metadata, dict):
            raise DataError(f"{meta_file}: GO snapshot metadata must be a JSON object {{...}}")
        excluded = check_evidence_codes(exclude_evidence)
        if excluded:
            ann = ann[~ann["evidence"].str.upper().isin(excluded)]
            metadata["excluded_evidence"] = sorted(excluded)
        entrez_index = pd.Index(genes["entrez"])
        pos = entrez_index.get_indexer(ann["entrez"])
        ann = pd.DataFrame(
            {"gene_index": pos, "go_id": ann["go_id"].to_numpy(), "evidence": ann["evidence"]}
        )
        alias_file = folder / "aliases.tsv.gz"
        aliases = None
        if alias_file.is_file():
            try:
                al = pd.read_csv(
                    alias_file,
                    sep="\t",
                    dtype={"entrez": np.int64, "alias": str},
                    keep_default_na=False,
                )
            except (ValueError, pd.errors.ParserError, *_READ_ERRORS) as exc:
                raise DataError(f"{alias_file}: cannot read GO snapshot aliases: {exc}") from exc
            aliases = pd.DataFrame(
                {"gene_index": entrez_index.get_indexer(al["entrez"]), "alias": al["alias"]}
            )
        alt_ids = _read_snapshot_alt_ids(folder / "alt_ids.tsv.gz")
        return cls(terms, parents, genes, ann, metadata=metadata, aliases=aliases, alt_ids=alt_ids)

    @classmethod
    def from_gaf(
        cls,
        gaf_path: str | Path,
        obo_path: str | Path,
        gene_info: str | Path | pd.DataFrame | None = None,
        exclude_evidence: Iterable[str] = (),
    ) -> GeneOntology:
        """Read a GAF 2.x annotation file and an OBO 1.2 ontology (plain or gzip'd).

        Genes are keyed by the GAF's DB_Object_Symbol (column 3); their gene type comes from
        the DB object type (column 12, a Sequence Ontology name or id such as ``protein``,
        ``protein_coding_gene``, ``miRNA_gene`` or ``SO:0001217``; see
        :func:`_gaf_gene_type`) unless ``gene_info`` knows the gene. Rows whose qualifier
        contains ``NOT`` are skipped; GO ids given as an ``alt_id`` are mapped to their primary
        term, and the returned ontology's :meth:`term_genes` / :meth:`ancestors` accept the
        OBO's alt_ids too; annotations to obsolete or unknown terms are dropped (a warning says
        how many; ``metadata["gaf_rows_unknown_term"]`` counts them). From the OBO, ``is_a``
        and the ``part_of`` / ``regulates`` relationships within one namespace are kept (as in
        go-basic); obsolete terms are left out. Both files may be gzip'd, have Windows line
        ends or a UTF-8 byte-order mark; a GAF that is not valid UTF-8 (Latin-1 / cp1252) is
        read as Latin-1, with a warning (``metadata["gaf_encoding"]``).

        Raises
        ------
        DataError
            A file that is missing, damaged (e.g. a truncated gzip download), not a GAF 2.x /
            OBO file, without positive annotation, or whose annotations name no term of the
            OBO (another release, a GO slim, not GO); an unknown evidence code.

        Parameters
        ----------
        gaf_path, obo_path : path
        gene_info : path or DataFrame, optional
            Gene table giving Entrez ids, gene types, Ensembl ids and chromosomes: an NCBI
            ``gene_info`` file (header ``#tax_id GeneID Symbol ...``), a TSV / DataFrame with
            at least a ``symbol`` column (and any of entrez, name, ncbi_gene_type, ensembl,
            chromosome), or a snapshot ``genes.tsv.gz``. GAF symbols are matched to it
            case-insensitively; symbols absent from it are added as extra genes.
        exclude_evidence : iterable of str
            Evidence codes to ignore (e.g. ``("ND", "IEA")``), as in :meth:`load`.
        """
        excluded = check_evidence_codes(exclude_evidence)
        terms, parents, alt_ids, obo_meta = _read_obo(Path(obo_path))
        gaf, gaf_meta = _read_gaf(Path(gaf_path))
        if alt_ids:
            gaf["go_id"] = gaf["go_id"].map(alt_ids).fillna(gaf["go_id"])
        if gaf.empty:
            raise DataError(
                f"{gaf_path}: no positive annotation (every line is NOT-qualified or has no "
                "DB_Object_Symbol)"
            )
        unknown = ~gaf["go_id"].isin(terms["go_id"]).to_numpy()
        n_unknown = int(unknown.sum())
        if n_unknown:
            examples = ", ".join(sorted(set(gaf.loc[unknown, "go_id"]))[:3])
            if n_unknown == len(gaf):
                raise DataError(
                    f"{gaf_path}: none of its {len(gaf)} annotations is to a term of {obo_path} "
                    f"(e.g. {examples}): an ontology of another release, a GO slim, or not GO?"
                )
            LOG.warning(
                "%s: %d of %d annotations are to GO ids absent from %s or obsolete there "
                "(e.g. %s); they are left out",
                gaf_path,
                n_unknown,
                len(gaf),
                obo_path,
                examples,
            )
        gaf_meta["gaf_rows_unknown_term"] = n_unknown

        by_symbol = gaf.groupby("symbol", sort=True).agg(
            name=("name", "first"), gaf_type=("type", "first"), gaf_id=("db_object_id", "first")
        )
        gaf_genes = by_symbol.reset_index()
        gaf_types = gaf_genes["gaf_type"].fillna("").astype(str)
        gaf_genes["ncbi_gene_type"] = gaf_types.map(
            {t: _gaf_gene_type(t) for t in gaf_types.unique()}
        )
        gaf_genes = gaf_genes.drop(columns="gaf_type")
        if gene_info is not None:
            info = _read_gene_info(gene_info)
            first_of: dict[str, int] = {}
            info_symbols = info["symbol"].fillna("").astype(str).str.upper().to_numpy()
            for k in _preferred_order(info):  # a symbol of several genes: the likeliest
                first_of.setdefault(info_symbols[k], int(k))
            pos = np.array(
                [first_of.get(s.upper(), -1) for s in gaf_genes["symbol"]], dtype=np.int64
            )
            extra = gaf_genes[pos < 0]
            genes = pd.concat([info, extra], ignore_index=True)
            gaf_ids = genes["gaf_id"].astype(object) if "gaf_id" in genes else None
            if gaf_ids is None:
                gaf_ids = pd.Series([None] * len(genes), dtype=object)
            gaf_ids.iloc[pos[pos >= 0]] = gaf_genes.loc[pos >= 0, "gaf_id"].to_numpy()
            genes["gaf_id"] = gaf_ids.fillna("").to_numpy()
            gene_pos = pd.Series(
                np.where(pos >= 0, pos, len(info) + np.cumsum(pos < 0) - 1),
                index=gaf_genes["symbol"].to_numpy(),
            )
        else:
            genes = gaf_genes
            gene_pos = pd.Series(np.arange(len(genes)), index=genes["symbol"].to_numpy())
        ann = pd.DataFrame(
            {
                "gene_index": gene_pos.reindex(gaf["symbol"]).to_numpy(),
                "go_id": gaf["go_id"].to_numpy(),
                "evidence": gaf["evidence"].to_numpy(),
            }
        ).drop_duplicates()
        if excluded:  # after the gene table: a gene left without annotations keeps its row
            ann = ann[~ann["evidence"].astype(str).str.upper().isin(excluded)]
        taxon = f", {gaf_meta['gaf_taxon']}" if gaf_meta.get("gaf_taxon") else ""
        metadata = {
            "source": f"GAF {Path(gaf_path).name}{taxon} + OBO {Path(obo_path).name}",
            **gaf_meta,
            **obo_meta,
        }
        if excluded:
            metadata["excluded_evidence"] = sorted(excluded)
        return cls(terms, parents, genes, ann, metadata=metadata, alt_ids=alt_ids)

    # ---------------------------------------------------------------- sizes
    @property
    def n_terms(self) -> int:
        """Number of GO terms."""
        return int(self._term_ids.size)

    @property
    def n_genes(self) -> int:
        """Number of genes in the gene table (annotated or not)."""
        return len(self.genes)

    @property
    def release(self) -> str:
        """The GO release: the snapshot's date, or the OBO file's ``data-version``; "?" if
        neither is known."""
        meta = self.metadata
        return str(meta.get("go_release") or meta.get("obo_data_version") or "?")

    def __repr__(self) -> str:
        return (
            f"GeneOntology({self.n_terms:,} terms, {self.n_genes:,} genes, "
            f"{self._ann_gene.size} direct annotations, "
            f"GO release {self.release})"
        )

    # ---------------------------------------------------------------- gene mapping
    @cached_property
    def _lookups(self) -> tuple[dict, dict, dict, dict, dict]:
        g = self.genes
        n = len(g)
        sym = g["symbol"].to_numpy(dtype=object)
        exact: dict[str, int] = {}
        upper: dict[str, int] = {}
        # a symbol of several genes (MEMO1: the protein-coding gene and a phenotype-only NCBI
        # record listed first) goes to the most likely one (see _preferred_order)
        n_ann = np.bincount(self._ann_gene, minlength=n)[:n]
        for k in _preferred_order(g, n_ann)[::-1]:  # reversed so that the preferred one wins
            if sym[k]:
                exact[sym[k]] = k
                upper[sym[k].upper()] = k
        entrez: dict[int, int] = {}
        ent = g["entrez"].to_numpy(dtype=object)
        for k in range(n - 1, -1, -1):
            if ent[k] is not pd.NA and ent[k] is not None:
                entrez[int(ent[k])] = k
        # an Ensembl id listed by several genes goes to the gene with the fewest Ensembl ids,
        # then a protein-coding one, then the first; all candidates are kept for a symbol hint
        candidates: dict[str, list[int]] = {}
        ens = g["ensembl"].to_numpy(dtype=object)
        for k in range(n):
            if ens[k]:
                for e in ens[k].split(";"):
                    m = _ENSEMBL_RE.match(e.strip())
                    if m:
                        candidates.setdefault(m.group(1).upper(), []).append(k)
        n_ids = np.array([e.count(";") + 1 if e else 0 for e in ens])
        coding = (g["gene_type"] == "protein-coding").to_numpy()
        ensembl: dict[str, int] = {}
        self._ensembl_ambiguous: dict[str, tuple[int, ...]] = {}
        for e, ks in candidates.items():
            if len(ks) == 1:
                ensembl[e] = ks[0]
            else:
                ensembl[e] = min(ks, key=lambda k: (n_ids[k], not coding[k], k))
                self._ensembl_ambiguous[e] = tuple(ks)
        # aliases: only those naming a single gene and not the symbol of another gene
        alias_genes: dict[str, set[int]] = {}
        for name, k in zip(self._alias_name, self._alias_gene, strict=True):
            alias_genes.setdefault(name.upper(), set()).add(int(k))
        alias = {
            a: next(iter(ks)) for a, ks in alias_genes.items() if len(ks) == 1 and a not in upper
        }
        return exact, upper, entrez, ensembl, alias

    def _lookup_one(self, query: object, symbol: object = None) -> tuple[int, str]:
        k, how = self._lookup_id(query)
        if symbol is None or symbol is query:
            return k, how
        if k < 0:
            return self._lookup_id(symbol)
        if how == "ensembl":  # an Ensembl id shared by several genes: the symbol decides
            m = _ENSEMBL_RE.match(str(query).strip())
            shared = self._ensembl_ambiguous.get(m.group(1).upper(), ()) if m else ()
            if shared:
                hint, _ = self._lookup_id(symbol)
                if hint in shared:
                    return hint, how
        return k, how

    def _lookup_id(self, query: object) -> tuple[int, str]:
        exact, upper, entrez, ensembl, alias = self._lookups
        if query is None or (isinstance(query, float) and np.isnan(query)):
            return -1, ""
        if isinstance(query, (float, np.floating)) and float(query).is_integer():
            query = int(query)  # Entrez ids read into a float column (because of missing values)
        if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
            k = entrez.get(int(query), -1)
            return k, "entrez" if k >= 0 else ""
        s = str(query).strip()
        if not s:
            return -1, ""
        m = _ENSEMBL_RE.match(s)
        if m:
            k = ensembl.get(m.group(1).upper(), -1)
            if k >= 0:
                return k, "ensembl"
        m = _ENTREZ_RE.match(s)
        if m:
            k = entrez.get(int(m.group(1)), -1)
            if k >= 0:
                return k, "entrez"
        k = exact.get(s, -1)
        if k < 0:
            k = upper.get(s.upper(), -1)
        if k >= 0:
            return k, "symbol"
        k = alias.get(s.upper(), -1)
        return k, "alias" if k >= 0 else ""

    def _lookup(self, ids: Sequence[object], symbols: Sequence[object] | None = None) -> np.ndarray:
        """Gene indices (rows of :attr:`genes`) of ``ids``; -1 where unmatched."""
        if symbols is None:
            return np.fromiter((self._lookup_one(q)[0] for q in ids), np.int64, count=len(ids))
        syms = self._check_symbols(ids, symbols)
        return np.fromiter(
            (self._lookup_one(q, s)[0] for q, s in zip(ids, syms, strict=True)),
            np.int64,
            count=len(ids),
        )

    @staticmethod
    def _check_symbols(ids: Sequence[object], symbols: Iterable[object] | None) -> list:
        if symbols is None:
            return [None] * len(ids)
        syms = _as_id_list(symbols, "symbols")
        if len(syms) != len(ids):
            raise DataError(f"symbols: {len(syms)} given for {len(ids)} ids (need one per id)")
        return syms

    def map_genes(
        self, ids: Iterable[str | int], symbols: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Map gene ids (symbols, Ensembl gene ids, Entrez ids; mixed) to the gene table.

        Symbols match case-insensitively (an exact-case match wins), then through unambiguous
        aliases (previous symbols); Ensembl ids ignore a ``.version`` and ``_PAR_Y``-like
        suffix; Entrez ids may be int or digit strings (``"4625"``, or ``"4625.0"`` from a
        column once read as float).

        Parameters
        ----------
        ids : iterable of str or int, length n
        symbols : iterable of str, length n, optional
            Fallback per id (e.g. ``ExpressionSet.gene_symbols`` beside Ensembl ``gene_ids``):
            tried when the id itself does not match.

        Returns
        -------
        pandas.DataFrame, shape (n, ...), RangeIndex in input order; columns query, matched
        (bool), matched_by ("ensembl"/"entrez"/"symbol"/"alias"/""), gene_index (-1 if
        unmatched) and the gene table's columns (empty / <NA> for unmatched rows, gene_type
        "unmapped").
        """
        queries = _as_id_list(ids, "ids")
        syms = self._check_symbols(queries, symbols)
        found = [self._lookup_one(q, s) for q, s in zip(queries, syms, strict=True)]
        gi = np.fromiter((f[0] for f in found), dtype=np.int64, count=len(found))
        matched = gi >= 0
        table = self.genes.iloc[np.where(matched, gi, 0)].reset_index(drop=True)
        table.loc[~matched, :] = None
        table["entrez"] = table["entrez"].astype("Int64")
        for col in ("symbol", "name", "ensembl", "chromosome", "ncbi_gene_type"):
            table[col] = table[col].fillna("")
        table["gene_type"] = table["gene_type"].fillna("unmapped")
        head = pd.DataFrame(
            {
                "query": pd.Series(queries, dtype=object),
                "matched": matched,
                "matched_by": [f[1] for f in found],
                "gene_index": gi,
            }
        )
        n_miss = int((~matched).sum())
        if n_miss:
            LOG.info("map_genes: %d of %d ids unmatched", n_miss, len(queries))
        return pd.concat([head, table], axis=1)

    def gene_type(
        self, ids: Iterable[str | int], symbols: Iterable[str] | None = None
    ) -> pd.Series:
        """Simplified gene type (:data:`GENE_TYPES`) of each id; "unmapped" when unknown.

        Parameters
        ----------
        ids : iterable of gene ids, length n
        symbols : iterable of str, length n, optional (fallback, as in :meth:`map_genes`)

        Returns
        -------
        pandas.Series of str, length n, indexed by the ids as given.
        """
        queries = _as_id_list(ids, "ids")
        gi = self._lookup(queries, symbols)
        types = self.genes["gene_type"].to_numpy(dtype=object)
        out = np.where(gi >= 0, types[np.maximum(gi, 0)], "unmapped")
        return pd.Series(out, index=pd.Index(queries, dtype=object), name="gene_type")

    def _resolve_gene(self, gene: str | int) -> int:
        k, _ = self._lookup_one(gene)
        if k < 0:
            raise DataError(f"gene {gene!r}: not found by symbol, Ensembl or Entrez id")
        return k

    def primary_id(self, go_id: str) -> str:
        """The term's own id: ``go_id`` itself, or the primary id of an alt_id (secondary id).

        Raises
        ------
        DataError
            Neither a term nor an alt_id of this ontology.
        """
        return str(self.terms.index[self._resolve_term(go_id)])

    def _resolve_term(self, go_id: str) -> int:
        """Term index of ``go_id``: a primary id, or an alt_id known to this ontology."""
        key = str(go_id).strip()
        primary = self._alt_ids.get(key)
        if primary is not None:
            LOG.debug("go_id %s: an alt_id of %s", key, primary)
            key = primary
        k = int(self._term_pos.get_indexer([key])[0])
        if k < 0:
            raise DataError(f"go_id {go_id!r}: not a term of this ontology release")
        return k

    # ---------------------------------------------------------------- graph / propagation
    @cached_property
    def ancestors_matrix(self) -> sp.csr_matrix:
        """Ancestor closure: ``A[i, j]`` is True when term j is term i or one of its ancestors
        through :attr:`propagate_through` edges. Sparse bool, shape (n_terms, n_terms)."""
        n = self.n_terms
        keep = np.isin(self._edge_rel, self.propagate_through)
        step = sp.csr_matrix(
            (
                np.ones(int(keep.sum()) + n, dtype=np.float32),
                (
                    np.r_[self._edge_child[keep], np.arange(n)],
                    np.r_[self._edge_parent[keep], np.arange(n)],
                ),
            ),
            shape=(n, n),
        )
        step.data[:] = 1
        closure = step
        for _ in range(64):  # repeated squaring: path lengths double each round
            nxt = closure @ closure
            nxt.data[:] = 1
            if nxt.nnz == closure.nnz:
                break
            closure = nxt
        else:  # pragma: no cover - would need a graph deeper than 2**64
            raise DataError("GO graph: ancestor closure did not converge")
        closure = closure.astype(bool).tocsr()
        closure.sort_indices()
        return closure

    def ancestors(self, go_id: str, include_self: bool = False) -> list[str]:
        """Ancestor term ids of ``go_id`` (through :attr:`propagate_through` edges).

        ``go_id`` may be an alt_id where the ontology knows them (the OBO of :meth:`from_gaf`
        or the snapshot of :meth:`load`); the ids returned are primary ids (with
        ``include_self``, the primary id of ``go_id``).

        Raises
        ------
        DataError
            ``go_id`` is not a term (nor a known alt_id) of this ontology.
        """
        k = self._resolve_term(go_id)
        row = self.ancestors_matrix.indices[
            self.ancestors_matrix.indptr[k] : self.ancestors_matrix.indptr[k + 1]
        ]
        if not include_self:
            row = row[row != k]
        return list(self._term_ids[row])

    @cached_property
    def direct_matrix(self) -> sp.csr_matrix:
        """Direct annotations, sparse bool, shape (n_genes, n_terms)."""
        m = sp.csr_matrix(
            (np.ones(self._ann_gene.size, dtype=bool), (self._ann_gene, self._ann_term)),
            shape=(self.n_genes, self.n_terms),
        )
        m.sum_duplicates()
        m.data[:] = True
        return m

    @cached_property
    def propagated_matrix(self) -> sp.csr_matrix:
        """Annotations propagated to all ancestors, sparse bool, shape (n_genes, n_terms)."""
        d = self.direct_matrix.astype(np.float32)
        a = self.ancestors_matrix.astype(np.float32)
        p = (d @ a).tocsr()
        p.data[:] = 1
        p = p.astype(bool)
        p.sort_indices()
        return p

    @cached_property
    def _propagated_csc(self) -> sp.csc_matrix:
        return self.propagated_matrix.tocsc()

    def _ontology_mask(self, ontology: str | None) -> np.ndarray:
        code = _normalise_ontology(ontology)
        if code is None:
            return np.ones(self.n_terms, dtype=bool)
        return self._term_ont == code

    # ---------------------------------------------------------------- queries
    def gene_terms(
        self, gene: str | int, ontology: str | None = None, propagate: bool = True
    ) -> pd.DataFrame:
        """GO terms of one gene.

        Parameters
        ----------
        gene : symbol, Ensembl id or Entrez id
        ontology : "BP", "MF", "CC" or None (all)
        propagate : bool
            Include every ancestor of the directly annotated terms.

        Returns
        -------
        pandas.DataFrame indexed by go_id (sorted), columns ontology, name, direct (bool),
        evidence (";"-joined codes of the direct annotations, "" for inherited terms).
        """
        k = self._resolve_gene(gene)
        mat = self.propagated_matrix if propagate else self.direct_matrix
        cols = mat.indices[mat.indptr[k] : mat.indptr[k + 1]]
        cols = np.sort(cols[self._ontology_mask(ontology)[cols]])
        direct = self.direct_matrix
        direct_cols = direct.indices[direct.indptr[k] : direct.indptr[k + 1]]
        sel = self._ann_gene == k
        ev = (
            pd.Series(self._ann_evidence[sel], index=self._ann_term[sel])
            .groupby(level=0)
            .agg(lambda s: ";".join(sorted({str(x) for x in s if pd.notna(x) and str(x)})))
        )
        out = self.terms.iloc[cols].copy()
        evidence = ev.reindex(cols).fillna("").to_numpy(dtype=object)
        out["direct"] = np.isin(cols, direct_cols)  # not from the evidence: it may be blank
        out["evidence"] = evidence
        return out

    def term_genes(self, go_id: str, propagate: bool = True) -> pd.DataFrame:
        """Genes annotated to ``go_id`` (directly, or to any descendant when ``propagate``).

        ``go_id`` may be an alt_id where the ontology knows them (the OBO of :meth:`from_gaf`
        or the snapshot of :meth:`load`): its primary term's genes.

        Raises
        ------
        DataError
            ``go_id`` is not a term (nor a known alt_id) of this ontology.

        Returns
        -------
        pandas.DataFrame: the rows of :attr:`genes` (index gene_index), sorted by symbol.
        """
        k = self._resolve_term(go_id)
        if propagate:
            csc = self._propagated_csc
            rows = csc.indices[csc.indptr[k] : csc.indptr[k + 1]]
        else:
            rows = np.unique(self._ann_gene[self._ann_term == k])
        return self.genes.iloc[np.sort(rows)].sort_values("symbol", kind="mergesort")

    def term_sizes(
        self, genes_universe: Iterable[str | int] | None = None, ontology: str | None = None
    ) -> pd.Series:
        """Number of genes annotated (propagated) to each term.

        Parameters
        ----------
        genes_universe : gene ids, optional
            Count only these genes (unique matched genes); default all genes.
        ontology : "BP", "MF", "CC" or None (all)

        Returns
        -------
        pandas.Series of int indexed by go_id, terms of the ontology (zeros included).
        """
        mat = self.propagated_matrix
        if genes_universe is not None:
            gi = self._lookup(_as_id_list(genes_universe, "genes_universe"))
            mat = mat[np.unique(gi[gi >= 0])]
        counts = np.asarray(mat.sum(axis=0)).ravel().astype(np.int64)
        mask = self._ontology_mask(ontology)
        return pd.Series(counts[mask], index=self.terms.index[mask], name="n_genes")

    def annotation_matrix(
        self,
        genes: Iterable[str | int],
        ontology: str = "BP",
        min_size: int = 3,
        max_size: int = 500,
        symbols: Iterable[str] | None = None,
        sizes_from: str = "all",
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """Propagated gene x term membership for the genes of a dataset.

        Terms are kept when their size lies in ``min_size..max_size`` and at least one of
        ``genes`` is annotated to them; unmatched genes get all-False rows.

        Parameters
        ----------
        genes : gene ids, length n_genes (e.g. ``ExpressionSet.gene_ids``)
        ontology : "BP", "MF" or "CC"
        min_size, max_size : int
        symbols : iterable of str, length n_genes, optional
            Fallback per gene when its id does not match (see :meth:`map_genes`).
        sizes_from : "all" or "genes"
            Where term sizes are counted: "all" (default) = every gene of the annotation,
            the usual GO term size, so that broad terms are left out whatever the panel;
            "genes" = only the rows of ``genes``. The two agree for genome-wide datasets; on
            a small panel "genes" keeps broad terms (on the 467-gene GTEx set, every pair of
            annotated genes then shares a term).

        Returns
        -------
        matrix : scipy.sparse.csr_matrix of bool, shape (n_genes, n_terms)
        term_ids : numpy.ndarray of str, shape (n_terms,)
        """
        _check_sizes(min_size, max_size)
        if sizes_from not in ("all", "genes"):
            raise DataError(f"sizes_from={sizes_from!r}: use 'all' or 'genes'")
        code = _normalise_ontology(ontology, allow_none=False)
        queries = _as_id_list(genes, "genes")
        gi = self._lookup(queries, symbols)
        cols = np.flatnonzero(self._ontology_mask(code))
        if sizes_from == "all":
            all_sizes = np.asarray(self.propagated_matrix[:, cols].sum(axis=0)).ravel()
            cols = cols[(all_sizes >= min_size) & (all_sizes <= max_size)]
        sub = self.propagated_matrix[np.maximum(gi, 0)][:, cols].tocsr()
        if (gi < 0).any():
            mask = sp.diags((gi >= 0).astype(np.float32))
            sub = (mask @ sub.astype(np.float32)).tocsr()
            sub.eliminate_zeros()
            sub = sub.astype(bool)
        sizes = np.asarray(sub.sum(axis=0)).ravel()
        if sizes_from == "all":
            keep = sizes > 0
        else:
            keep = (sizes >= min_size) & (sizes <= max_size)
        out = sub[:, np.flatnonzero(keep)].tocsr().astype(bool)
        out.sort_indices()
        return out, self._term_ids[cols[keep]].astype(str)

    # ---------------------------------------------------------------- enrichment
    def enricher(
        self,
        background: Iterable[str | int] | None = None,
        ontology: str = "BP",
        min_size: int = 3,
        max_size: int = 500,
        symbols: Iterable[str] | None = None,
    ) -> Enricher:
        """Precompute enrichment against ``background`` (the fast path for repeated sets).

        The background is the set of unique mapped genes of ``background`` (default: every
        gene of the table) that have at least one annotation in ``ontology``; terms tested are
        those with ``min_size..max_size`` background genes (propagated). ``symbols``: one per
        background id, as in :meth:`map_genes` (a dataset's symbols beside its Ensembl ids:
        a GO built from a GAF alone knows symbols only).

        Returns
        -------
        Enricher
        """
        from scipy.special import gammaln

        _check_sizes(min_size, max_size)
        code = _normalise_ontology(ontology, allow_none=False)
        cols = np.flatnonzero(self._ontology_mask(code))
        prop = self.propagated_matrix
        if background is None:
            bg = np.arange(self.n_genes)
        else:
            bg_ids = _as_id_list(background, "background")
            gi = self._lookup(bg_ids, symbols)
            n_miss = int((gi < 0).sum())
            if n_miss:
                LOG.info("enricher: %d of %d background ids unmatched", n_miss, len(bg_ids))
            bg = np.unique(gi[gi >= 0])
        sub = prop[bg][:, cols].tocsr()
        annotated = np.diff(sub.indptr) > 0
        if background is not None and not annotated.any():
            # (every enrichment against it is then empty)
            LOG.warning(
                "enricher: no gene of the background (%d ids, %d of them genes of this GO) has "
                "a %s annotation: nothing can be enriched",
                len(bg_ids),
                int(bg.size),
                code,
            )
        bg = bg[annotated]
        sub = sub[np.flatnonzero(annotated)]
        sizes = np.asarray(sub.sum(axis=0)).ravel().astype(np.int64)
        keep = (sizes >= min_size) & (sizes <= max_size)
        matrix = sub[:, np.flatnonzero(keep)].tocsr().astype(bool)
        row_of_gene = np.full(self.n_genes, -1, dtype=np.int64)
        row_of_gene[bg] = np.arange(bg.size)
        term_idx = cols[keep]
        return Enricher(
            go=self,
            ontology=code,
            min_size=int(min_size),
            max_size=int(max_size),
            term_ids=self._term_ids[term_idx],
            term_names=self.terms["name"].to_numpy(dtype=object)[term_idx],
            term_sizes=sizes[keep],
            background_genes=bg,
            matrix=matrix,
            _row_of_gene=row_of_gene,
            _log_factorial=gammaln(np.arange(bg.size + 1, dtype=np.float64) + 1.0),
        )

    def enrich(
        self,
        gene_set: Iterable[str | int],
        background: Iterable[str | int] | None = None,
        ontology: str = "BP",
        min_size: int = 3,
        max_size: int = 500,
        min_overlap: int = 1,
    ) -> pd.DataFrame:
        """One-off enrichment: ``self.enricher(background, ...).enrich(gene_set)``.

        For repeated sets against the same background keep the :class:`Enricher`.
        """
        return self.enricher(background, ontology, min_size, max_size).enrich(
            gene_set, min_overlap=min_overlap
        )


# --------------------------------------------------------------------------------------------
# file readers (GAF 2.x, OBO 1.2, NCBI gene_info)
# --------------------------------------------------------------------------------------------
#: what reading a damaged file raises (a truncated or corrupt gzip download, a vanished file)
_READ_ERRORS = (OSError, EOFError, zlib.error)


def _read_snapshot_alt_ids(path: Path) -> dict[str, str] | None:
    """``alt_id -> go_id`` of a snapshot's ``alt_ids.tsv.gz``; None when the file is absent
    (snapshots built before it existed)."""
    if not path.is_file():
        return None
    try:
        alt = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError, *_READ_ERRORS) as exc:
        raise DataError(f"{path}: cannot read GO snapshot alt_ids: {exc}") from exc
    missing = [c for c in ("alt_id", "go_id") if c not in alt.columns]
    if missing:
        raise DataError(f"{path}: GO snapshot alt_ids lack columns {missing}")
    return dict(zip(alt["alt_id"], alt["go_id"], strict=True))


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_text(path: Path) -> io.TextIOBase:
    """Text of a plain or gzip'd file; a UTF-8 byte-order mark (Windows editors) is dropped."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if _is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace")
    return open(path, encoding="utf-8-sig", errors="replace")  # noqa: SIM115


def _is_utf8(path: Path, compression: str | None) -> bool:
    """Whether a plain or gzip'd file decodes as UTF-8 (read in 1 MiB chunks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _unreadable(path: Path, exc: BaseException) -> DataError:
    return DataError(f"{path}: cannot be read (damaged or truncated gzip download?): {exc}")


def _check_gaf_start(path: Path, max_lines: int = 5000) -> None:
    """A DataError unless ``path`` starts as a GAF file: a ``!gaf-version`` line, or a first
    annotation line with GAF's columns (what :func:`_read_gaf` accepts)."""
    try:
        with _open_text(path) as fh:
            for number, raw in enumerate(fh, 1):
                if raw.startswith("!") or not raw.strip():
                    if raw[1:].strip().lower().startswith("gaf-version"):
                        return
                    if number < max_lines:
                        continue
                    break
                fields = raw.rstrip("\r\n").split("\t")
                if _gaf_width_ok(fields) and fields[4].strip().startswith("GO:"):
                    return
                raise DataError(
                    f"--go-gaf {path}: line {number} is not a GAF annotation line and no "
                    "'!gaf-version:' line comes before it (not a GAF file?)"
                )
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    raise DataError(f"--go-gaf {path}: no annotation line (not a GAF file?)")


def _check_obo_start(path: Path, max_lines: int = 5000) -> None:
    """A DataError unless ``path`` starts as an OBO file: a ``format-version:`` header line or
    a ``[Term]`` stanza within its first lines."""
    try:
        with _open_text(path) as fh:
            for number, raw in enumerate(fh, 1):
                line = raw.strip()
                if line.startswith("format-version:") or line == "[Term]":
                    return
                if number >= max_lines:
                    break
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    raise DataError(
        f"--go-obo {path}: no 'format-version:' line or [Term] stanza at its start (not an OBO "
        "file?)"
    )


def _read_bytes(path: Path) -> bytes:
    """The bytes of a plain or gzip'd file (a DataError for a missing or damaged one)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if _is_gzip(path):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def _decode(path: Path, data: bytes, what: str) -> tuple[str, str]:
    """``data`` as text, and the encoding used: UTF-8 (a byte-order mark dropped), else
    :data:`_FALLBACK_ENCODING` with a warning naming the file and the first line that is not
    UTF-8, so that a user knows to check its accented names."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        LOG.warning(
            "%s: not valid UTF-8 (first at line %d); %s read as Latin-1 (ISO-8859-1) instead "
            "(check accented names)",
            path,
            line,
            what,
        )
        return data.decode(_FALLBACK_ENCODING), _FALLBACK_ENCODING


_OBO_TOKEN_RE = re.compile(
    r"\n(?:\[([^\]\n]*)\]|(id|name|namespace|alt_id|is_a|relationship|is_obsolete):"
    r"[ \t]*([^\n]*))"
)
_OBO_HEADER_RE = re.compile(r"\n([A-Za-z][\w-]*):[ \t]*([^\n]*)")


def _read_obo(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, str]]:
    """Terms, parent edges, alt_id -> id map and header info of an OBO 1.2 file.

    One regex pass over the text (lines other than the tags needed are never looked at by
    Python code): about 1 s for the 34 MB ``go.obo``.
    """
    text, encoding = _decode(path, _read_bytes(path), "OBO file")
    text = "\n" + text.replace("\r\n", "\n").replace("\r", "\n")  # (and old Mac line ends)
    first = text.find("\n[")
    header: dict[str, str] = {}
    for tag, value in _OBO_HEADER_RE.findall(text[: first if first >= 0 else len(text)]):
        header.setdefault(tag, value.strip())
    terms: list[tuple[str, str, str]] = []
    edges: list[tuple[str, str, str]] = []
    alt: dict[str, str] = {}
    stanza = ""
    tid = name = namespace = ""
    obsolete = False
    alts: list[str] = []
    links: list[tuple[str, str]] = []

    def flush() -> None:
        ont = NAMESPACES.get(namespace)
        if stanza != "Term" or not tid or obsolete or ont is None:
            return
        terms.append((tid, ont, name))
        for a in alts:
            alt[a] = tid
        for rel, parent in links:
            edges.append((tid, parent, rel))

    for new_stanza, tag, value in _OBO_TOKEN_RE.findall(text, max(first, 0)):
        if not tag:  # a [Stanza] line
            flush()
            stanza = new_stanza.strip()
            tid = name = namespace = ""
            obsolete = False
            alts, links = [], []
            continue
        if stanza != "Term":
            continue
        value = value.strip()
        if " ! " in value:
            value = value.split(" ! ", 1)[0].rstrip()
        if tag == "id":
            tid = value
        elif tag == "name":
            name = value
        elif tag == "namespace":
            namespace = value
        elif tag == "alt_id":
            alts.append(value)
        elif tag == "is_obsolete":
            obsolete = value.lower() == "true"
        elif tag == "is_a":
            if value:
                links.append(("is_a", value.split()[0]))
        else:  # relationship: <type> <term>
            rel = value.split()
            if len(rel) >= 2 and rel[0] in RELATIONSHIPS:
                links.append((rel[0], rel[1]))
    flush()
    if header.get("format-version") and not header["format-version"].startswith("1."):
        LOG.warning("%s: OBO format-version %s (1.2 expected)", path, header["format-version"])
    if not terms:
        raise DataError(f"{path}: no GO [Term] stanza with a GO namespace found (not an OBO file?)")
    tdf = pd.DataFrame(terms, columns=["go_id", "ontology", "name"])
    edf = pd.DataFrame(edges, columns=["go_id", "parent_id", "relationship"])
    ont = dict(zip(tdf["go_id"], tdf["ontology"], strict=True))
    same = edf["go_id"].map(ont) == edf["parent_id"].map(ont)
    edf = edf[same].drop_duplicates().reset_index(drop=True)
    if not (edf["relationship"] == "is_a").any():
        LOG.warning(
            "%s: no is_a line in any of its %d terms: annotations are not propagated to "
            "ancestor terms (a flat term list or GO slim? use go.obo or go-basic.obo)",
            path,
            len(tdf),
        )
    meta = {
        "obo_data_version": header.get("data-version", ""),
        "obo_file": str(path),
        "obo_encoding": encoding,
    }
    return tdf, edf, alt, meta


#: encoding of a GAF file that is not valid UTF-8 (decodes any byte; the same letters as
#: cp1252 for accented Latin letters, the usual case)
_FALLBACK_ENCODING = "latin-1"

_GAF_COLUMNS = [
    "db",
    "db_object_id",
    "symbol",
    "qualifier",
    "go_id",
    "reference",
    "evidence",
    "with_from",
    "aspect",
    "name",
    "synonym",
    "type",
    "taxon",
    "date",
    "assigned_by",
    "extension",
    "product_form",
]


#: columns of a GAF line: GAF 2.x has 17; GAF 1.0 (and 2.x files written by tools that drop
#: empty trailing columns) 15 or 16, read with the missing optional columns empty
_GAF_MIN_COLUMNS = 15
_GAF_MAX_COLUMNS = len(_GAF_COLUMNS)
#: the GAF columns read, by position
_GAF_USED = {
    name: _GAF_COLUMNS.index(name)
    for name in (
        "db", "db_object_id", "symbol", "qualifier", "go_id", "evidence", "name", "type", "taxon",
    )
}  # fmt: skip
#: Names of the taxa most GAF files are of (the species a file's genes are said to be of).
_TAXA = {
    "9606": "Homo sapiens",
    "10090": "Mus musculus",
    "10116": "Rattus norvegicus",
    "7955": "Danio rerio",
    "7227": "Drosophila melanogaster",
    "6239": "Caenorhabditis elegans",
    "559292": "Saccharomyces cerevisiae",
    "3702": "Arabidopsis thaliana",
}
#: the field separator given to the CSV reader, which reads whole lines (a GAF never has it)
_LINE_DELIMITER = "\x1f"


def _gaf_width_ok(fields: list[str]) -> bool:
    """Whether a GAF line's fields are 15 to 17, not counting empty ones past the 17th (tabs at
    the end of the line)."""
    return len(fields) >= _GAF_MIN_COLUMNS and not any(fields[_GAF_MAX_COLUMNS:])


def _gaf_columns_words(n_cols: int) -> str:
    return f"{n_cols} tab-separated column{'s' if n_cols != 1 else ''}"


def _read_gaf(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Positive annotations of a GAF file: symbol, go_id, evidence, name, type, ...

    Lines may have 15, 16 or 17 tab-separated columns (GAF 2.x has 17; GAF 1.0 and tools that
    drop empty trailing columns write 15 or 16), mixed in one file; a line with fewer than 15
    or more than 17 (tabs at the end of a line aside) is an error that names it. The
    ``!gaf-version`` header line says the version (1.0 or 2.x); a file without it whose first
    line has GAF's columns (e.g. the ``!`` lines taken out with ``grep -v``) is read, with a
    warning.

    The file is read as UTF-8; one that is not valid UTF-8 (e.g. saved in Latin-1 / cp1252,
    an "e acute" written as the single byte 0xE9) is read again as Latin-1, with a warning naming
    the file; ``metadata["gaf_encoding"]`` says which encoding was used.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header: dict[str, str] = {}
    n_header = 0
    first_data = ""
    try:
        with _open_text(path) as fh:
            for raw in fh:
                if raw.startswith("!") or not raw.strip():  # header and blank lines
                    n_header += 1
                    tag, sep, value = raw[1:].partition(":")
                    tag = tag.strip().lower()
                    if sep and tag in ("gaf-version", "generated", "go-version", "date-generated"):
                        header.setdefault(tag, value.strip())
                    continue
                first_data = raw
                break
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    fields = first_data.rstrip("\r\n").split("\t")
    n_cols = len(fields)
    looks_gaf = _gaf_width_ok(fields) and fields[4].strip().startswith("GO:")
    version = header.get("gaf-version", "")
    if not version:
        if not looks_gaf:
            raise DataError(f"{path}: no '!gaf-version:' header line (not a GAF file?)")
        LOG.warning(
            "%s: no '!gaf-version:' header line; line %d has the columns of a GAF annotation "
            "line, so the file is read as GAF 2.x",
            path,
            n_header + 1,
        )
    elif not version.startswith(("1.", "2")):
        raise DataError(f"{path}: GAF version {version} not supported (1.0 or 2.x expected)")
    if not first_data.strip():
        raise DataError(f"{path}: no annotation line")
    if not _gaf_width_ok(fields):
        hint = " (its columns are not separated by tabs)" if n_cols == 1 else ""
        raise DataError(
            f"{path}, line {n_header + 1}: a GAF line with {_gaf_columns_words(n_cols)}, "
            f"{_GAF_MIN_COLUMNS} to {_GAF_MAX_COLUMNS} expected{hint}"
        )
    odd_rows: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # only a line holding the reader's field separator, which no GAF line has
        where = f"line {row.number}: " if row.number is not None else ""
        odd_rows.append(f"{where}{row.text[:60]!r}")
        return "skip"

    compression = "gzip" if _is_gzip(path) else None

    def read(encoding: str) -> pa.Table:
        odd_rows.clear()
        with pa.input_stream(str(path), compression=compression) as stream:
            return pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    skip_rows=n_header, column_names=["line"], encoding=encoding
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=_LINE_DELIMITER, quote_char=False, invalid_row_handler=on_invalid
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={"line": pa.string()}, strings_can_be_null=False
                ),
            )

    encoding = "utf-8"
    try:
        try:
            table = read("utf8")  # the usual case: one pass, no Python-side decoding
        except pa.ArrowInvalid:
            # "invalid UTF8 data": only now is the file checked, and a file that is not UTF-8
            # is read again as Latin-1
            if _is_utf8(path, compression):
                raise
            encoding = _FALLBACK_ENCODING
            LOG.warning(
                "%s: not valid UTF-8; read as Latin-1 (ISO-8859-1) instead (check accented names)",
                path,
            )
            table = read(_FALLBACK_ENCODING)
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: malformed GAF file: {exc}") from exc
    if odd_rows:
        raise DataError(
            f"{path}: {len(odd_rows)} GAF line(s) with a control character (0x1F) "
            f"(first: {odd_rows[0]})"
        )
    lines = table["line"]
    lines = lines.filter(pc.invert(pc.starts_with(lines, "!")))  # comment lines in the body
    # lines of spaces or tabs only are blank lines too (the reader skips empty ones only)
    lines = lines.filter(pc.not_equal(pc.utf8_trim_whitespace(lines), ""))
    n_fields = pc.add(pc.count_substring(lines, "\t"), 1)
    ragged = pc.less(n_fields, _GAF_MIN_COLUMNS)
    wide = pc.greater(n_fields, _GAF_MAX_COLUMNS)
    if pc.any(wide).as_py():  # more than 17 fields: only empty ones (tabs at the line end)
        trimmed = pc.add(pc.count_substring(pc.utf8_rtrim(lines, "\t"), "\t"), 1)
        ragged = pc.or_(ragged, pc.greater(trimmed, _GAF_MAX_COLUMNS))
    n_ragged = int(pc.sum(ragged).as_py() or 0)
    if n_ragged:
        first = _ragged_gaf_line(path, encoding)
        raise DataError(
            f"{path}: {n_ragged} GAF line{'s' if n_ragged > 1 else ''} with fewer than "
            f"{_GAF_MIN_COLUMNS} or more than {_GAF_MAX_COLUMNS} tab-separated columns "
            f"(first: {first or 'not found on a second read'})"
        )
    # split only as far as the last column read
    parts = pc.split_pattern(lines, "\t", max_splits=max(_GAF_USED.values()) + 1)
    table = pa.table({name: pc.list_element(parts, i) for name, i in _GAF_USED.items()})
    bad = pc.invert(pc.starts_with(table["go_id"], "GO:"))
    if pc.any(bad).as_py():
        first = int(pc.index(bad, True).as_py())
        raise DataError(
            f"{path}: annotation {first + 1}: bad GO id {table['go_id'][first].as_py()!r}"
        )
    neg = pc.match_substring(table["qualifier"], "NOT")
    n_neg = int(pc.sum(neg).as_py() or 0)
    keep = pc.and_(pc.invert(neg), pc.not_equal(table["symbol"], ""))
    df = table.filter(keep).to_pandas()
    # the species of the genes (taxon:10090 is mouse): a mouse GAF read for human data was
    # taken without a word, its symbols matched case aside
    taxa = df.pop("taxon").astype(str).str.split("|").str[0].str.removeprefix("taxon:")
    counts = taxa[taxa != ""].value_counts()
    meta = {
        "gaf_version": version,
        "gaf_generated": header.get("generated", header.get("date-generated", "")),
        "gaf_go_version": header.get("go-version", ""),
        "gaf_file": str(path),
        "gaf_negated_rows_skipped": n_neg,
        "gaf_encoding": encoding,
    }
    if len(counts):
        top = str(counts.index[0])
        meta["gaf_taxon"] = f"taxon {top}" + (f" ({_TAXA[top]})" if top in _TAXA else "")
        if len(counts) > 1:
            meta["gaf_taxon"] += f", and {len(counts) - 1} other(s)"
    return df, meta


def _ragged_gaf_line(path: Path, encoding: str) -> str:
    """``line N, K tab-separated columns: 'text'`` of the first annotation line of a GAF file
    that has fewer than 15 or more than 17 columns (read again only to name it in an error);
    "" if none is found."""
    binary = gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")  # noqa: SIM115
    try:
        with io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="") as fh:
            for number, raw in enumerate(fh, start=1):
                line = raw.rstrip("\r\n")
                if line.startswith(("!", "\ufeff!")) or not line.strip():
                    continue
                fields = line.split("\t")
                if not _gaf_width_ok(fields):
                    return f"line {number}, {_gaf_columns_words(len(fields))}: {line[:60]!r}"
    except _READ_ERRORS:
        return ""
    return ""


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
