"""The paper's analyses on plain numpy arrays: baselines, Table 1, marker smoothness, gene space.

Everything here takes arrays (a sample embedding, an expression matrix, a gene embedding, a GO
annotation matrix) so it runs without a trained model; :mod:`core.analysis_cli` glues it to
models and data.

Sections
--------
- Sample maps to compare (Figure 2): :func:`baseline_embeddings` (PCA, NMF, t-SNE, UMAP).
- Semi-supervised tissue classification (Table 1): :func:`semi_supervised_table`,
  :func:`one_nn_accuracy`, :func:`format_table`.
- Expression organised in sample space (Figure 3): :func:`gene_smoothness`,
  :func:`gene_set_score`, :func:`match_genes`, :func:`marker_smoothness`,
  :func:`smoothness_neighbours` (a map's neighbours, kept to score many colourings).
- Gene space against references (Figure 4): :func:`gene_neighbors`, :func:`consensus_gene_space`,
  :func:`correlation_references` (or :func:`correlation_neighbors` and
  :func:`coexpression_edges` alone; the edges' cut: :func:`coexpression_cut`),
  :func:`neighbor_agreement`,
  :func:`neighbor_agreement_by_size`, :func:`go_ratio_bootstrap` (the GO ratio's interval by
  resampling the genes), :func:`novel_close_pairs`, :func:`summarize_novel_pairs`,
  :func:`detection_rate`.
- Genes of a model by name: :func:`find_genes`, :func:`neighbour_table` (a fitted model's
  nearest genes of some genes, as a table).

The modules, in the order they build on each other (a module imports only from those above it):

- :mod:`~core.analysis.common`: the code's version in cache keys, checks of input arrays, the
  gene-mean imputation, nearest neighbours of samples.
- :mod:`~core.analysis.labels`: sample labels aligned by id and coded as classes.
- :mod:`~core.analysis.maps`: the baseline maps, and where new samples land on a map.
- :mod:`~core.analysis.classification`: the Table-1 protocol (splits, classifiers, 1-NN).
- :mod:`~core.analysis.table1`: Table 1's paired differences, formatting and Markdown.
- :mod:`~core.analysis.markers`: marker genes and their smoothness over a map.
- :mod:`~core.analysis.gene_space`: gene neighbours, the gene space joined over runs, checks of
  gene pairs.
- :mod:`~core.analysis.gene_lookup`: genes of a model found by name, and the table of their
  nearest genes.
- :mod:`~core.analysis.correlation`: correlation neighbours and co-expression edges.
- :mod:`~core.analysis.agreement`: agreement of gene neighbours with GO and co-expression.
- :mod:`~core.analysis.close_pairs`: close pairs that neither reference explains.

Everything is logged to the ``core.analysis`` logger. The names below are imported from
``core.analysis``; the modules are where they are written.
"""

from core.analysis.agreement import _share_term as _share_term
from core.analysis.agreement import (
    chance_shares,
    coexp_ceiling,
    go_ceiling,
    go_ratio_bootstrap,
    neighbor_agreement,
    neighbor_agreement_by_size,
    pairs_from_neighbors,
    random_pairs,
)
from core.analysis.classification import (
    CLASSIFIERS,
    FRACTION_CHOICES,
    MAX_SPLITS,
    PAPER_FRACTION,
    RF_TREES,
    Accuracy,
    expected_missing_classes,
    fraction_for_all_classes,
    one_nn_accuracy,
    semi_supervised_table,
    stratified_sizes,
    suggested_fraction,
)
from core.analysis.classification import _nn1_predict as _nn1_predict
from core.analysis.classification import _nn1_scores_shared as _nn1_scores_shared
from core.analysis.classification import _shared_distances_pay as _shared_distances_pay
from core.analysis.classification import _splits as _splits
from core.analysis.close_pairs import detection_rate, novel_close_pairs, summarize_novel_pairs
from core.analysis.common import _WIDE as _WIDE
from core.analysis.common import CODE_VERSION, impute_gene_mean
from core.analysis.common import _code_version as _code_version
from core.analysis.common import _knn_excluding_self as _knn_excluding_self
from core.analysis.common import _sq_distance_blocks as _sq_distance_blocks
from core.analysis.correlation import (
    coexpression_cut,
    coexpression_edges,
    correlation_neighbors,
    correlation_references,
    pair_correlations,
)
from core.analysis.gene_lookup import NEIGHBOUR_COLUMNS, FoundGenes, find_genes, neighbour_table
from core.analysis.gene_lookup import _listed_once as _listed_once
from core.analysis.gene_space import (
    GENE_METRICS,
    check_distinct_runs,
    consensus_gene_space,
    gene_neighbors,
    is_edge,
    neighbour_run_support,
    pair_run_counts,
    unit_rows,
)
from core.analysis.labels import label_classes, label_codes
from core.analysis.maps import (
    BASELINE_METHODS,
    METHOD_NAMES,
    MIN_MAP_SAMPLES,
    TSNE_PERPLEXITY,
    UMAP_NEIGHBORS,
    baseline_embeddings,
    map_neighbours,
)
from core.analysis.maps import _SharedNeighbours as _SharedNeighbours
from core.analysis.maps import _tsne_perplexity as _tsne_perplexity
from core.analysis.markers import (
    DEFAULT_MARKERS,
    GENE_FAMILIES,
    gene_set_score,
    gene_smoothness,
    marker_smoothness,
    match_genes,
    smoothness_neighbours,
)
from core.analysis.table1 import (
    format_paired,
    format_table,
    paired_differences,
    paired_to_markdown,
    table_to_markdown,
)

__all__ = [
    "Accuracy",
    "BASELINE_METHODS",
    "CLASSIFIERS",
    "CODE_VERSION",
    "DEFAULT_MARKERS",
    "FRACTION_CHOICES",
    "FoundGenes",
    "GENE_FAMILIES",
    "GENE_METRICS",
    "MAX_SPLITS",
    "METHOD_NAMES",
    "MIN_MAP_SAMPLES",
    "NEIGHBOUR_COLUMNS",
    "PAPER_FRACTION",
    "RF_TREES",
    "TSNE_PERPLEXITY",
    "UMAP_NEIGHBORS",
    "baseline_embeddings",
    "chance_shares",
    "check_distinct_runs",
    "coexp_ceiling",
    "go_ceiling",
    "coexpression_cut",
    "coexpression_edges",
    "consensus_gene_space",
    "correlation_neighbors",
    "correlation_references",
    "detection_rate",
    "expected_missing_classes",
    "find_genes",
    "format_paired",
    "format_table",
    "fraction_for_all_classes",
    "gene_neighbors",
    "gene_set_score",
    "gene_smoothness",
    "impute_gene_mean",
    "is_edge",
    "label_classes",
    "label_codes",
    "map_neighbours",
    "marker_smoothness",
    "match_genes",
    "go_ratio_bootstrap",
    "neighbor_agreement",
    "neighbor_agreement_by_size",
    "neighbour_run_support",
    "neighbour_table",
    "novel_close_pairs",
    "one_nn_accuracy",
    "pair_correlations",
    "pair_run_counts",
    "paired_differences",
    "paired_to_markdown",
    "pairs_from_neighbors",
    "random_pairs",
    "semi_supervised_table",
    "smoothness_neighbours",
    "stratified_sizes",
    "suggested_fraction",
    "summarize_novel_pairs",
    "table_to_markdown",
    "unit_rows",
]
