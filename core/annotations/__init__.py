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

The modules, in the order they build on each other (a module imports only from those above it):

- :mod:`~core.annotations.vocabulary`: GO's fixed words (ontologies, namespaces, relationships,
  evidence codes, gene types, table columns) and the checks of names given against them.
- :mod:`~core.annotations.reading`: the shipped snapshot's folder; plain or gzip'd text,
  encodings, damaged downloads.
- :mod:`~core.annotations.obo`: OBO ontology files.
- :mod:`~core.annotations.gaf`: GAF annotation files; the check of a GO choice (GAF, OBO,
  evidence codes left out).
- :mod:`~core.annotations.genes`: gene id forms, gene types, lists of gene ids, ``gene_info``
  tables.
- :mod:`~core.annotations.enrichment`: Benjamini-Hochberg, the hypergeometric tail, shared
  terms, :class:`Enricher`.
- :mod:`~core.annotations.ontology`: :class:`GeneOntology` (snapshot and GAF + OBO loading, gene
  mapping, propagation, term sizes, annotation matrices, enrichment).

Everything is logged to the ``core.annotations`` logger. The names below are imported from
``core.annotations``; the modules are where they are written.
"""

from core.annotations.enrichment import Enricher, benjamini_hochberg, hypergeom_sf, share_term
from core.annotations.gaf import check_go_settings
from core.annotations.genes import _gaf_gene_type as _gaf_gene_type
from core.annotations.genes import simplify_gene_types
from core.annotations.ontology import GeneOntology
from core.annotations.reading import SNAPSHOT_DIR
from core.annotations.reading import _read_snapshot_alt_ids as _read_snapshot_alt_ids
from core.annotations.vocabulary import (
    ENRICH_COLUMNS,
    EVIDENCE_CODES,
    GENE_COLUMNS,
    GENE_TYPES,
    NAMESPACES,
    ONTOLOGIES,
    PROPAGATE_THROUGH,
    RELATIONSHIPS,
    ROOTS,
    check_evidence_codes,
)

__all__ = [
    "ENRICH_COLUMNS",
    "EVIDENCE_CODES",
    "GENE_COLUMNS",
    "GENE_TYPES",
    "NAMESPACES",
    "ONTOLOGIES",
    "PROPAGATE_THROUGH",
    "RELATIONSHIPS",
    "ROOTS",
    "SNAPSHOT_DIR",
    "Enricher",
    "GeneOntology",
    "benjamini_hochberg",
    "check_evidence_codes",
    "check_go_settings",
    "hypergeom_sf",
    "share_term",
    "simplify_gene_types",
]
