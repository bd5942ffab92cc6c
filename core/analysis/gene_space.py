"""Gene neighbourhoods (Figure 4): each gene's nearest genes, the gene space joined over
runs, in how many runs a pair holds, and the checks of gene pairs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from core.analysis.common import _as_float64, _as_matrix, _knn_excluding_self, _reject_nan
from core.errors import CoreError, DataError

GENE_METRICS = ("cosine", "euclidean")


def unit_rows(points: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero): Euclidean distance between them is a
    monotone function of the cosine distance, ``sqrt(2 - 2 cos)``."""
    x = _as_float64(points, "points")
    if x.ndim != 2:
        raise DataError(f"points must be a (n_points, dim) array, got shape {x.shape}")
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 1e-12, norm, 1.0)


def check_distinct_runs(gene_embeddings: Sequence[np.ndarray], names: Sequence[str]) -> None:
    """Refuse gene embeddings of which two are the same run (equal gene vectors: one model
    given twice, or a run resumed from another's checkpoint): joined or counted as runs that
    agree, one run would count as two.

    Raises
    ------
    DataError
        Naming the two (``names``, one per embedding).
    """
    gene_embeddings, names = list(gene_embeddings), list(names)
    if len(names) != len(gene_embeddings):
        raise CoreError(
            f"names has {len(names)} entries for {len(gene_embeddings)} gene embeddings: one each"
        )
    seen: dict[bytes, int] = {}
    for i, emb in enumerate(gene_embeddings):
        a = np.ascontiguousarray(np.asarray(emb, dtype=np.float32))
        key = hashlib.blake2b(a.tobytes() + str(a.shape).encode(), digest_size=16).digest()
        if key in seen:
            raise DataError(
                f"{names[i]} is the same run as {names[seen[key]]} (identical gene vectors): "
                "joined, one run would count as two; compare runs of other seeds"
            )
        seen[key] = i


def _check_gene_order(gene_embeddings: Sequence[Any]) -> None:
    """Refuse gene embeddings given as DataFrames indexed by gene (text) that list their genes
    in different orders: joined or compared row by row, each gene met another gene's vector
    without a word (models of tables whose columns came in other orders)."""
    named = [
        (i, np.asarray(e.index).astype(str))
        for i, e in enumerate(gene_embeddings)
        if isinstance(e, pd.DataFrame) and not pd.api.types.is_numeric_dtype(e.index.dtype)
    ]
    for i, ids in named[1:]:
        first, genes = named[0]
        if len(ids) == len(genes) and not np.array_equal(ids, genes):
            row = int(np.flatnonzero(ids != genes)[0])
            raise DataError(
                f"gene embeddings {first} and {i} list their genes in different orders (row "
                f"{row}: {genes[row]!r} and {ids[row]!r}): give them in one order, e.g. "
                "[e.loc[genes] for e in gene_embeddings]"
            )


def consensus_gene_space(gene_embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """One gene space from several models of the same genes: their unit gene vectors, joined.

    Each model's gene vectors are scaled to unit length and the models' vectors put side by
    side (divided by the square root of the number of models), so the cosine distance between
    two genes in the joined space is the mean of their cosine distances in the models. Models
    of the same data trained with other seeds (or gene_dim) place genes with a run-to-run
    scatter, and the joined space does not hang on one of them. Against the average single run
    its neighbours shared GO terms -0.07 to +0.24x as often on GTEx 26 tissues (more often in
    7 of 8 comparisons; tests/benchmarks/RESULTS.md).

    Parameters
    ----------
    gene_embeddings
        (n_genes, gene_dim) arrays, rows in the same gene order; gene_dim may differ
        (DataFrames indexed by gene in different orders are refused).

    Returns
    -------
    (n_genes, sum of gene_dims) float64 array with rows of unit length (shorter for a gene whose
    vector is 0 in some model).
    """
    gene_embeddings = list(gene_embeddings)
    _check_gene_order(gene_embeddings)
    arrays = [_as_matrix(e, "gene_embedding") for e in gene_embeddings]
    for a in arrays:
        _reject_nan(a, "gene_embedding")
    if not arrays:
        raise CoreError("consensus_gene_space needs at least one gene embedding")
    n_genes = {a.shape[0] for a in arrays}
    if len(n_genes) != 1:
        raise CoreError(f"gene embeddings have different numbers of genes: {sorted(n_genes)}")
    return np.hstack([unit_rows(a) for a in arrays]) / np.sqrt(len(arrays))


def neighbour_run_support(
    gene_embeddings: Sequence[np.ndarray], k: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbours in the joined gene space of several runs, and in how many runs each holds.

    Parameters
    ----------
    gene_embeddings
        (n_genes, gene_dim) arrays of models of the same genes (other seeds or gene_dim), rows
        in the same gene order.
    k
        Neighbours per gene.

    Returns
    -------
    indices, distances : (n_genes, k)
        The k nearest genes in :func:`consensus_gene_space` (mean cosine distance).
    runs : (n_genes, k) int
        For each of those neighbours, in how many of the models, alone, it is among the gene's
        k nearest. Between two runs of the defaults on GTEx 26 tissues only about 40% of the 5
        nearest genes are the same; the neighbours found in every run share GO terms much more
        often than the rest (tests/benchmarks/RESULTS.md).
    """
    gene_embeddings = list(gene_embeddings)  # read twice (an iterator would be spent)
    idx, dist = gene_neighbors(consensus_gene_space(gene_embeddings), k)
    runs = np.zeros(idx.shape, dtype=np.int64)
    for emb in gene_embeddings:
        own, _ = gene_neighbors(emb, k)
        runs += (idx[:, :, None] == own[:, None, :]).any(axis=2)
    return idx, dist, runs


def pair_run_counts(
    pairs: np.ndarray, gene_embeddings: Sequence[np.ndarray], k: int = 5
) -> np.ndarray:
    """For gene pairs, in how many models either gene is among the other's k nearest.

    ``pairs`` (n_pairs, 2) int gene indices; ``gene_embeddings`` models of the same genes.
    Returns (n_pairs,) int in 0..len(gene_embeddings).
    """
    pairs = _check_pairs(pairs)
    gene_embeddings = list(gene_embeddings)
    _check_gene_order(gene_embeddings)
    if not gene_embeddings:
        # (every pair then counted in 0 models, as if no model put its genes close)
        raise CoreError("pair_run_counts needs at least one gene embedding")
    counts = np.zeros(len(pairs), dtype=np.int64)
    for emb in gene_embeddings:
        own, _ = gene_neighbors(emb, k)
        n = own.shape[0]
        _check_pair_range(pairs, n)
        near = sparse.csr_matrix(
            (np.ones(own.size, dtype=bool), (np.repeat(np.arange(n), own.shape[1]), own.ravel())),
            shape=(n, n),
        )
        counts += is_edge(near + near.T, pairs)
    return counts


def _check_pairs(pairs: Any, name: str = "pairs") -> np.ndarray:
    """Gene index pairs as an (n_pairs, 2) int64 array; CoreError for another shape."""
    arr = np.asarray(pairs)
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise CoreError(f"{name} must be an (n_pairs, 2) array of gene indices, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not (np.isfinite(arr.astype(np.float64)).all() and (arr == np.round(arr)).all()):
            raise CoreError(f"{name} must hold integer gene indices")
    return arr.astype(np.int64)


def _check_pair_range(pairs: np.ndarray, n_genes: int, name: str = "pair") -> None:
    """CoreError when a gene index of ``pairs`` is outside 0..n_genes-1 (negative indices
    would silently count from the end)."""
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n_genes):
        bad = pairs[(pairs < 0) | (pairs >= n_genes)][0]
        raise CoreError(f"{name} index {int(bad)} out of range 0..{n_genes - 1}")


def gene_neighbors(
    gene_embedding: np.ndarray, k: int = 5, metric: str = "cosine"
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest genes of every gene in gene space, itself excluded.

    Parameters
    ----------
    gene_embedding : (n_genes, gene_dim) array
    k
        Neighbours per gene.
    metric
        ``cosine`` (default: the angle between gene vectors; measured to agree better with GO,
        tests/benchmarks/RESULTS.md) or ``euclidean`` (the paper's).

    Returns
    -------
    indices : (n_genes, k) int64, nearest first
    distances : (n_genes, k) float32 (cosine: ``1 - cos``; a gene whose vector is 0 is at
        distance 1 from every gene)
    """
    if metric not in GENE_METRICS:
        raise CoreError(f"metric must be one of {GENE_METRICS}, got {metric!r}")
    emb = _as_matrix(gene_embedding, "gene_embedding")
    _reject_nan(emb, "gene_embedding")
    if metric == "euclidean":
        return _knn_excluding_self(emb, k)
    units = unit_rows(emb)
    if not units.any(axis=1).all():
        # a gene vector of 0 has no direction: cosine 0 (distance 1) to every gene, as the
        # neighbours command and the dashboard count it; the Euclidean distance between unit
        # rows put it at 0.5 from all of them, among the nearest of nearly every gene
        return _cosine_knn(units, k)
    idx, dist = _knn_excluding_self(units, k)
    return idx, (dist.astype(np.float64) ** 2 / 2).astype(np.float32)


def _cosine_knn(
    units: np.ndarray, k: int, block_values: int = 2**24
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest rows of every row by ``1 - dot`` (rows of unit length or 0), itself excluded:
    brute force in blocks of rows of about ``block_values`` distances; ties go to the lower
    index. Returns indices (n, k) int64 and distances (n, k) float32, nearest first."""
    n = units.shape[0]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise CoreError(f"k (neighbours) must be an integer, got {k!r}")
    if not 1 <= k < n:
        raise CoreError(f"k={k} neighbours needs 1 <= k < n_points={n}")
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float64)
    step = max(1, block_values // n)
    for start in range(0, n, step):
        d = 1.0 - units[start : start + step] @ units.T
        rows = np.arange(d.shape[0])
        d[rows, start + rows] = np.inf
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        # genes tied with the k-th (every gene, from a gene of 0): the lower indices, as the
        # neighbours command takes them (argpartition takes any of them)
        kth = np.take_along_axis(d, part, axis=1).max(axis=1)
        tied = np.count_nonzero(d <= kth[:, None], axis=1) > k
        if tied.any():
            part[tied] = np.argsort(d[tied], axis=1, kind="stable")[:, :k]
        near = np.take_along_axis(d, part, axis=1)
        order = np.lexsort((part, near), axis=1)
        idx[start : start + step] = np.take_along_axis(part, order, axis=1)
        dist[start : start + step] = np.take_along_axis(near, order, axis=1)
    return idx, dist.astype(np.float32)


def is_edge(adjacency: sparse.spmatrix, pairs: np.ndarray) -> np.ndarray:
    """Whether each pair is an edge of a (n_genes, n_genes) sparse adjacency; (n_pairs,) bool."""
    adj = sparse.csr_matrix(adjacency)
    pairs = _check_pairs(pairs)
    _check_pair_range(pairs, min(adj.shape))
    if not len(pairs):
        return np.zeros(0, dtype=bool)
    return np.asarray(adj[pairs[:, 0], pairs[:, 1]]).ravel() != 0
