"""Co-expression references (Figure 4): Pearson correlations of gene pairs, each gene's most
correlated genes and the strongest co-expression edges, in one pass over the pairs.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from scipy import sparse

from core.analysis.common import _as_matrix, _column_indices
from core.analysis.gene_space import _check_pair_range
from core.errors import CoreError, first_names

log = logging.getLogger("core.analysis")


def pair_correlations(values: np.ndarray, gene_a: np.ndarray, gene_b: np.ndarray) -> np.ndarray:
    """Pearson correlation over the samples of each gene pair (``gene_a[i]``, ``gene_b[i]``:
    column indices of ``values``), as the co-expression network takes it (NaN read as the
    gene's mean; a gene without variance correlates 0 with every gene)."""
    arr = _as_matrix(values)
    a = _column_indices(gene_a, arr.shape[1], "gene_a")
    b = _column_indices(gene_b, arr.shape[1], "gene_b")
    if a.shape != b.shape:
        # (pairs were broadcast: the one gene of gene_b against every gene of gene_a)
        raise CoreError(f"gene_a has {a.size} genes and gene_b {b.size}: one pair per position")
    if a.size == 0:
        return np.zeros(0, dtype=np.float32)
    _check_pair_range(np.stack([a, b], axis=1), arr.shape[1], "gene")
    genes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    z = _standardized_genes(arr[:, genes])
    ia, ib = inverse[: a.size], inverse[a.size :]
    return np.einsum("ij,ij->i", z[ia], z[ib]).astype(np.float32)


def _standardized_genes(values: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Genes as rows, centred and scaled so that ``z @ z.T`` is the Pearson correlation.

    Returns (n_genes, n_samples) float32, C-contiguous (rows of genes make the blocks of
    :func:`_correlation_pass` plain slices). NaN counts as the gene's mean (it adds nothing);
    a gene without variance is all 0. Filled ``chunk`` genes at a time (no full-size float64
    temporaries).
    """
    arr = _as_matrix(values)
    n_samples, n_genes = arr.shape
    z = np.empty((n_genes, n_samples), dtype=np.float32)
    for start in range(0, n_genes, chunk):
        block = arr[:, start : start + chunk].astype(np.float64)
        missing = np.isnan(block)
        if missing.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nan_to_num(np.nanmean(block, axis=0))
            block -= mean
            block[missing] = 0.0
        else:
            block -= block.mean(axis=0)
        sd = np.sqrt(np.mean(block * block, axis=0))
        block /= np.where(sd > 1e-12, sd, np.inf) * np.sqrt(n_samples)
        z[start : start + chunk] = block.T
    return z


def _warn_constant_genes(z: np.ndarray) -> None:
    """Say when standardised genes ``z`` (rows) hold genes without variance: they correlate 0
    with every gene, so their most correlated genes are arbitrary (the first ones reached)."""
    constant = np.flatnonzero(~z.any(axis=1))
    if constant.size:
        log.warning(
            "%d of %d genes have no variance over the samples (columns %s): they correlate 0 "
            "with every gene, so their correlation neighbours are arbitrary; leave them out "
            "first (es.subset(genes=np.nanstd(es.values, axis=0) > 0))",
            constant.size,
            z.shape[0],
            first_names(constant),
        )


def _keep_top(
    best_r: np.ndarray, best_j: np.ndarray, cand_r: np.ndarray, cand_j: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row by row, the ``k = best_r.shape[1]`` largest of the current best and the candidates."""
    all_r = np.concatenate([best_r, cand_r], axis=1)
    all_j = np.concatenate([best_j, cand_j], axis=1)
    part = np.argpartition(-all_r, best_r.shape[1] - 1, axis=1)[:, : best_r.shape[1]]
    return np.take_along_axis(all_r, part, axis=1), np.take_along_axis(all_j, part, axis=1)


def _top_candidates(corr: np.ndarray, k: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest entries along ``axis`` (all when fewer): values and positions."""
    size = corr.shape[axis]
    if size > k:
        pos = np.argpartition(-corr, k - 1, axis=axis)
        pos = pos[:, :k] if axis == 1 else pos[:k]
    else:
        pos = np.broadcast_to(
            np.arange(size)[None, :] if axis == 1 else np.arange(size)[:, None],
            (corr.shape[0], size) if axis == 1 else (size, corr.shape[1]),
        )
    vals = np.take_along_axis(corr, pos, axis=axis)
    return (vals, pos) if axis == 1 else (vals.T, pos.T)


def _correlation_pass(
    z: np.ndarray, k: int, n_edges: int, block_genes: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the unordered gene pairs of standardised genes ``z`` (genes as rows).

    Block by block of genes, ``C = z[s:e] @ z[s:].T`` holds the correlations of these
    genes with themselves and every later gene: each unordered pair once, half the work of
    the full matrix. From it: every gene's ``k`` most correlated genes (rows of ``C`` for the
    block's genes, columns for the later genes) and the ``n_edges`` most correlated pairs
    (kept above a rising threshold, so few candidates are stored).

    Returns
    -------
    best_j, best_r : (n_genes, k) neighbours and their correlation, most correlated first
    edge_i, edge_j : (n_edges,) the pairs, ``i < j``
    edge_r : (n_edges,) float32, their correlations
    """
    n_genes = z.shape[0]
    best_r = np.full((n_genes, k), -np.inf, dtype=np.float32)
    best_j = np.full((n_genes, k), -1, dtype=np.int64)
    kept_r: list[np.ndarray] = []
    kept_key: list[np.ndarray] = []
    n_kept, threshold = 0, -np.inf
    # blocks of at most 512 genes and 20 million correlations: the thinner the blocks, the
    # closer the work to half the full product
    rows = block_genes or max(1, min(20_000_000 // n_genes, 512))
    for start in range(0, n_genes, rows):
        stop = min(start + rows, n_genes)
        b = stop - start
        corr = z[start:stop] @ z[start:].T  # column c is gene start + c
        inner = np.arange(b)
        corr[inner, inner] = -np.inf  # a gene is not its own neighbour
        if k:
            cand_r, cand_c = _top_candidates(corr, k, axis=1)
            best_r[start:stop], best_j[start:stop] = _keep_top(
                best_r[start:stop], best_j[start:stop], cand_r, start + cand_c
            )
            if stop < n_genes:
                cand_r, cand_c = _top_candidates(corr[:, b:], k, axis=0)
                best_r[stop:], best_j[stop:] = _keep_top(
                    best_r[stop:], best_j[stop:], cand_r, start + cand_c
                )
        if n_edges:
            corr[:, :b][inner[:, None] >= inner[None, :]] = -np.inf  # pairs with j > i only
            flat = corr.ravel()
            sel = np.flatnonzero(flat > threshold)
            kept_r.append(flat[sel])
            kept_key.append((start + sel // corr.shape[1]) * n_genes + start + sel % corr.shape[1])
            n_kept += sel.size
            if n_kept > 2 * n_edges:
                kept_r, kept_key, threshold = _prune_edges(kept_r, kept_key, n_edges)
                n_kept = n_edges
    order = np.argsort(-best_r, axis=1, kind="stable")
    best_r = np.take_along_axis(best_r, order, axis=1)
    best_j = np.take_along_axis(best_j, order, axis=1)
    if not n_edges:
        empty = np.empty(0, dtype=np.int64)
        return best_j, best_r, empty, empty, np.empty(0, dtype=np.float32)
    kept_r, kept_key, _ = _prune_edges(kept_r, kept_key, n_edges)
    return best_j, best_r, kept_key[0] // n_genes, kept_key[0] % n_genes, kept_r[0]


def _prune_edges(
    kept_r: list[np.ndarray], kept_key: list[np.ndarray], n_edges: int
) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """Keep the ``n_edges`` largest candidates; the smallest kept value is the new threshold."""
    r = np.concatenate(kept_r)
    key = np.concatenate(kept_key)
    if r.size > n_edges:
        keep = np.argpartition(-r, n_edges - 1)[:n_edges]
        r, key = r[keep], key[keep]
    return [r], [key], float(r.min()) if r.size else -np.inf


def _edge_matrix(edge_i: np.ndarray, edge_j: np.ndarray, n_genes: int) -> sparse.csr_matrix:
    data = np.ones(2 * edge_i.size, dtype=bool)
    mat = sparse.coo_matrix(
        (data, (np.concatenate([edge_i, edge_j]), np.concatenate([edge_j, edge_i]))),
        shape=(n_genes, n_genes),
    ).tocsr()
    mat.sum_duplicates()
    return mat


def _check_fraction(top_fraction: float) -> None:
    if not 0.0 < top_fraction <= 1.0:
        raise CoreError(f"top_fraction must be in (0, 1], got {top_fraction}")


def _n_edges(n_genes: int, top_fraction: float) -> int:
    return int(round(top_fraction * (n_genes * (n_genes - 1) // 2)))


def _check_k(k: int, n_genes: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise CoreError(f"k (neighbours) must be an integer, got {k!r}")
    if not 1 <= k < n_genes:
        raise CoreError(f"k={k} neighbours needs 1 <= k < n_genes={n_genes}")


def correlation_references(
    values: np.ndarray, k: int = 5, top_fraction: float = 0.01, *, block_genes: int | None = None
) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
    """Both expression references of the gene space from one pass over the gene pairs.

    The same results as :func:`correlation_neighbors` and :func:`coexpression_edges` (up to
    the order of exactly tied correlations) for a quarter of their combined work: each
    unordered pair of genes is correlated once. Memory beyond ``values``: one float32 copy of
    it (3.9 GB for GTEx v8's 17,382 x 56,200), blocks of at most 20 million correlations and
    the candidate edges (at most twice the edges kept).

    Parameters
    ----------
    values : (n_samples, n_genes) array (NaN imputed by the gene mean)
    k
        Neighbours per gene.
    top_fraction
        Share of all gene pairs kept as co-expression edges.
    block_genes
        Genes per block of correlations (default: up to 512, at most 20 million correlations
        per block); results do not depend on it.

    Returns
    -------
    indices : (n_genes, k) int64, most correlated first
    distances : (n_genes, k) float32, ``1 - r``
    edges : scipy.sparse.csr_matrix, (n_genes, n_genes) bool, symmetric, empty diagonal;
        ``round(top_fraction * n_pairs)`` edges
    """
    _check_fraction(top_fraction)
    if block_genes is not None and (
        isinstance(block_genes, bool)
        or not isinstance(block_genes, (int, np.integer))
        or block_genes < 1
    ):
        raise CoreError(f"block_genes must be a positive integer, got {block_genes!r}")
    arr = _as_matrix(values)
    n_genes = arr.shape[1]
    _check_k(k, n_genes)  # before the standardised copy is made
    z = _standardized_genes(arr)
    _warn_constant_genes(z)
    n_edges = _n_edges(n_genes, top_fraction)
    idx, r, edge_i, edge_j, _ = _correlation_pass(z, k, n_edges, block_genes)
    return idx, 1.0 - r, _edge_matrix(edge_i, edge_j, n_genes)


def correlation_neighbors(values: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """k most correlated genes (Pearson over samples) of every gene, itself excluded.

    Computes each unordered pair's correlation once; :func:`correlation_references` gives the
    co-expression edges from the same pass. A gene without variance correlates 0 with every
    gene, so its neighbours are arbitrary (the first ones reached), and a warning is logged
    naming them: leave such genes out first
    (``es.subset(genes=np.nanstd(es.values, axis=0) > 0)``; ``python -m core train`` leaves
    out the genes without a non-zero value).

    Parameters
    ----------
    values : (n_samples, n_genes) array (NaN imputed by the gene mean)

    Returns
    -------
    indices : (n_genes, k) int64, most correlated first
    distances : (n_genes, k) float32, ``1 - r``
    """
    arr = _as_matrix(values)
    _check_k(k, arr.shape[1])
    z = _standardized_genes(arr)
    _warn_constant_genes(z)
    idx, r, _, _, _ = _correlation_pass(z, k, 0)
    return idx, 1.0 - r


def coexpression_edges(values: np.ndarray, top_fraction: float = 0.01) -> sparse.csr_matrix:
    """Co-expression network: the ``top_fraction`` most positively correlated gene pairs.

    A stand-in for the paper's "our ts-coexp" (Piro et al.'s tissue-specific pipeline, run on
    its data; not available here): one global Pearson correlation over the samples of the same
    data, and an edge for the top 1% of the ``n_genes (n_genes - 1) / 2`` unordered pairs.

    Parameters
    ----------
    values : (n_samples, n_genes) array (NaN imputed by the gene mean)
    top_fraction
        Share of all gene pairs kept as edges.

    Returns
    -------
    scipy.sparse.csr_matrix, (n_genes, n_genes) bool, symmetric, empty diagonal; holds
    ``round(top_fraction * n_pairs)`` edges (each stored twice).
    """
    _check_fraction(top_fraction)
    z = _standardized_genes(values)
    _, _, edge_i, edge_j, _ = _correlation_pass(z, 0, _n_edges(z.shape[0], top_fraction))
    return _edge_matrix(edge_i, edge_j, z.shape[0])


def coexpression_cut(values: np.ndarray, top_fraction: float = 0.01) -> float:
    """The correlation above which a gene pair is an edge of :func:`coexpression_edges`.

    The smallest correlation among the ``top_fraction`` most correlated unordered pairs, from
    the same pass over the pairs (no genes x genes matrix, no edge list kept): a pair whose
    :func:`pair_correlations` is at least this value is an edge (up to float32 rounding of a
    pair tied with the cut). ``inf`` when ``top_fraction`` of the pairs rounds to no edge.

    Parameters
    ----------
    values : (n_samples, n_genes) array (NaN imputed by the gene mean)
    top_fraction
        Share of all gene pairs kept as edges.
    """
    _check_fraction(top_fraction)
    z = _standardized_genes(values)
    _, _, _, _, edge_r = _correlation_pass(z, 0, _n_edges(z.shape[0], top_fraction))
    return float(edge_r.min()) if edge_r.size else float("inf")
