"""Expression organised in sample space (Figure 3): the smoothness of each gene over a map,
scores of gene sets, marker genes found by symbol, pattern or family.
"""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.common import (
    _as_float64,
    _as_matrix,
    _check_mapping,
    _column_indices,
    _knn_excluding_self,
    impute_gene_mean,
)
from core.analysis.labels import _rows_in_map_order
from core.errors import CoreError, DataError

#: Gene families a marker may name (case-insensitive), as regular expressions over symbols.
#: ``keratins``: the keratin genes, KRT and a number with an optional letter (KRT5, KRT14,
#: KRT6A, KRT222): not their pseudogenes (KRT8P12, KRT18P1, KRT121P: 111 of the 179 symbols
#: that ``KRT[0-9]*`` matches genome-wide), the antisense KRT10-AS1, nor the
#: keratin-associated KRTAP, KRTCAP and KRTDAP genes.
GENE_FAMILIES: dict[str, str] = {"keratins": r"^KRT\d+[A-C]?$"}

#: Figure 3's markers: the keratins, MYH6, CD8B and XIST (symbols, shell-style patterns such
#: as ``HOX*``, or names of :data:`GENE_FAMILIES`).
DEFAULT_MARKERS: tuple[str, ...] = ("keratins", "MYH6", "CD8B", "XIST")


def smoothness_neighbours(embedding: np.ndarray, k: int = 15) -> np.ndarray:
    """Each sample's ``k`` nearest samples on a map, as :func:`gene_smoothness` reads them.

    Computed once per map, it scores any number of colourings of that map
    (``gene_smoothness(embedding, values, k, neighbours=...)``: a gather and a mean each).

    Parameters
    ----------
    embedding : (n_samples, d) array
        Sample coordinates (a missing coordinate takes its column's mean).
    k
        Neighbours per sample (the sample itself left out).

    Returns
    -------
    (n_samples, k) int32 array of row indices, nearest first.
    """
    emb = _as_matrix(embedding, "embedding")
    idx, _ = _knn_excluding_self(impute_gene_mean(emb), k)
    return idx.astype(np.int32)


def gene_smoothness(
    embedding: np.ndarray,
    values: np.ndarray,
    k: int = 15,
    *,
    neighbours: np.ndarray | None = None,
) -> np.ndarray:
    """How strongly each gene's expression is organised in sample space.

    ``score = 1 - mean((x_i - m_i)^2) / ((1 + 1/k) var(x))`` (``var`` with ``n - 1`` in its
    denominator) where ``m_i`` is the mean expression of sample i's k nearest neighbours in
    the embedding. 1: each sample's value is its neighbours' mean (perfectly smooth); 0
    expected when values are shuffled over the map
    (the ``1 + 1/k`` term removes the noise of a k-sample mean; with missing values, ``k`` is
    each sample's number of neighbours that have a value, so a gene's missing values do not
    lower its score); negative: anti-organised.

    Parameters
    ----------
    embedding : (n_samples, d) array
        Sample coordinates.
    values : (n_samples, n_genes) array
        Expression (NaN = missing; ignored in both the sample and its neighbours). Read in the
        embedding's row order, unless both name their samples (a DataFrame indexed by sample
        id, a Series of one gene, an ExpressionSet): the rows are then taken by id.
    k
        Neighbours per sample.
    neighbours : (n_samples, k) int array, optional
        The map's neighbours from :func:`smoothness_neighbours` (same ``embedding`` and ``k``): the
        nearest-neighbour search, the cost of a score, is then not done again.

    Returns
    -------
    (n_genes,) float64 array; NaN for genes with no variance.
    """
    rows = _rows_in_map_order(embedding, values)
    emb = _as_matrix(embedding, "embedding")
    vals = _as_float64(values, "values")
    if vals.ndim == 1:
        vals = vals[:, None]
    if vals.ndim != 2:
        raise DataError(f"values must be a (n_samples, n_genes) array, got shape {vals.shape}")
    if rows is not None:  # both name their samples: the values in the map's order
        vals = vals[rows]
    if vals.shape[0] != emb.shape[0]:
        raise DataError(f"values has {vals.shape[0]} samples but the embedding has {emb.shape[0]}")
    if neighbours is None:
        idx, _ = _knn_excluding_self(impute_gene_mean(emb), k)
    else:
        idx = _checked_neighbours(neighbours, emb.shape[0], k)
    scores = np.full(vals.shape[1], np.nan)
    step = max(1, int(2e7 // (vals.shape[0] * k)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for start in range(0, vals.shape[1], step):
            block = vals[:, start : start + step]
            near = block[idx]  # (n, k, genes)
            n_near = np.sum(~np.isnan(near), axis=1)  # neighbours with a value
            neigh_mean = np.nansum(near, axis=1) / np.where(n_near > 0, n_near, 1)
            used = ~np.isnan(block) & (n_near > 0)
            sq = np.where(used, (block - neigh_mean) ** 2, 0.0).sum(axis=0)
            # expected squared error of values shuffled over the map: var (1 + 1/m) for a
            # mean of m neighbours; m is below k where neighbours miss the gene
            noise = np.where(used, 1.0 + 1.0 / np.where(n_near > 0, n_near, 1), 0.0).sum(axis=0)
            # ddof=1: a sample and its neighbours are drawn without replacement, and the
            # expected score of shuffled values is then exactly 0 (ddof=0: -1/(n-1))
            var = np.nanvar(block, axis=0, ddof=1)
            ok = (var > 1e-12) & (noise > 0)
            scores[start : start + step][ok] = 1.0 - sq[ok] / (noise[ok] * var[ok])
    return scores


def _checked_neighbours(neighbours: np.ndarray, n: int, k: int) -> np.ndarray:
    """``neighbours`` of :func:`smoothness_neighbours` for a map of ``n`` samples and ``k``
    neighbours each, or a one-line error naming the mismatch."""
    idx = np.asarray(neighbours)
    if idx.shape != (n, k):
        raise DataError(
            f"neighbours must be ({n}, {k}) (samples of the embedding, k), got shape {idx.shape}"
        )
    if idx.size and (not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= n):
        raise DataError(f"neighbours must be row indices of the embedding, 0 to {n - 1}")
    return idx


def gene_set_score(values: np.ndarray, gene_indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """Mean z-score of a set of genes in each sample.

    Parameters
    ----------
    values : (n_samples, n_genes) array
    gene_indices
        Column indices of the set, or a boolean mask of one entry per column.

    Returns
    -------
    (n_samples,) float64 array (NaN where none of the set's genes has a value). Genes with no
    variance contribute nothing.
    """
    vals = _as_float64(values, "values")
    if vals.ndim != 2:
        raise DataError(f"values must be a (n_samples, n_genes) array, got shape {vals.shape}")
    idx = _column_indices(gene_indices, vals.shape[1])
    if idx.size == 0:
        raise CoreError("gene_set_score needs at least one gene")
    if idx.min() < 0 or idx.max() >= vals.shape[1]:
        bad = idx[(idx < 0) | (idx >= vals.shape[1])][0]
        raise CoreError(f"gene_indices: {int(bad)} is out of range 0..{vals.shape[1] - 1}")
    sub = vals[:, idx]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(sub, axis=0)
        sd = np.nanstd(sub, axis=0)
        z = np.where(sd > 1e-12, (sub - mean) / np.where(sd > 1e-12, sd, 1.0), np.nan)
        return np.nanmean(z, axis=1)


def match_genes(
    gene_symbols: Sequence[str] | np.ndarray,
    patterns: Iterable[str],
    ids: Sequence[str] | np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Columns matching each symbol, shell-style pattern (``KRT*``, ``HOX?1``) or family name
    (:data:`GENE_FAMILIES`: ``keratins``), case-insensitive. With ``ids``, a symbol that
    matches no column is looked for among the gene ids (an Ensembl id's version ignored).

    Returns
    -------
    dict
        pattern -> sorted int64 indices (possibly empty).
    """
    if isinstance(patterns, str):  # one pattern ("HOX*" was read as H, O, X and *)
        patterns = [patterns]
    if not isinstance(patterns, Iterable):
        raise CoreError(
            f"patterns must be gene symbols or patterns (e.g. ['GATA4', 'KRT*']), got {patterns!r}"
        )
    gene_symbols = np.asarray(gene_symbols, dtype=object).ravel()
    symbols = pd.Series(gene_symbols).fillna("").astype(str).str.upper()
    bare_ids = None
    if ids is not None:
        from core.data import _strip_version

        ids = np.asarray(ids, dtype=object).ravel()
        if ids.size != gene_symbols.size:
            # a shorter list answered with the position of another gene
            raise DataError(
                f"ids has {ids.size} entries but gene_symbols {gene_symbols.size}: one id per gene"
            )
        bare_ids = np.array([_strip_version(str(g).upper()) for g in ids], dtype=object)
    families = {name.upper(): regex for name, regex in GENE_FAMILIES.items()}
    out: dict[str, np.ndarray] = {}
    for pattern in patterns:
        pat = str(pattern).strip().upper()
        if pat in families:
            hits = np.flatnonzero(symbols.str.contains(families[pat], case=False, regex=True))
        elif any(ch in pat for ch in "*?["):
            hits = [i for i, s in enumerate(symbols) if fnmatch.fnmatchcase(s, pat)]
        else:
            hits = np.flatnonzero(symbols.to_numpy() == pat)
            if not hits.size and bare_ids is not None:
                hits = np.flatnonzero(bare_ids == _strip_version(pat))
        out[str(pattern)] = np.asarray(hits, dtype=np.int64)
    return out


def marker_smoothness(
    embeddings: Mapping[str, np.ndarray],
    values: np.ndarray,
    gene_symbols: Sequence[str] | np.ndarray,
    markers: Iterable[str] = DEFAULT_MARKERS,
    k: int = 15,
    ids: Sequence[str] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Smoothness of marker genes / families over each sample map (Figure 3, FE vs t-SNE).

    A pattern matching several genes (``KRT*``) is scored through its mean z-score
    (:func:`gene_set_score`). ``values`` and each embedding are paired by sample id when both
    name their samples, as in :func:`gene_smoothness`.

    Returns
    -------
    pandas.DataFrame
        Index: marker; columns ``n_genes``, ``genes`` (first symbols) and one smoothness
        column per embedding. Markers absent from the data have ``n_genes == 0`` and NaN scores.
    """
    _check_mapping(embeddings, "marker_smoothness")
    frame = values  # (its sample ids, when it names them)
    values = _as_float64(values, "values")  # (an ExpressionSet gives its values)
    symbols = np.asarray(gene_symbols, dtype=object)
    if values.ndim != 2 or values.shape[1] != len(symbols):
        raise DataError(
            f"values has shape {values.shape}: need (n_samples, {len(symbols)}), one column per "
            "gene symbol"
        )
    matches = match_genes(symbols, markers, ids=ids)
    scores = np.full((values.shape[0], len(matches)), np.nan)
    for j, idx in enumerate(matches.values()):
        if idx.size:
            scores[:, j] = gene_set_score(values, idx)
    table = pd.DataFrame(
        {
            "n_genes": [idx.size for idx in matches.values()],
            "genes": [", ".join(map(str, symbols[idx[:8]])) for idx in matches.values()],
        },
        index=pd.Index(list(matches), name="marker"),
    )
    for name, emb in embeddings.items():
        rows = _rows_in_map_order(emb, frame)  # (scores have the rows of values)
        table[name] = gene_smoothness(emb, scores if rows is None else scores[rows], k=k)
    return table
