"""Agreement of gene neighbours with GO and co-expression (Figure 4): shares of pairs that
share a GO term or are co-expression edges, against chance and by the size of k.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from core.analysis.common import _check_mapping
from core.analysis.gene_space import _check_pair_range, _check_pairs, gene_neighbors, is_edge
from core.errors import CoreError, DataError


def pairs_from_neighbors(indices: np.ndarray) -> np.ndarray:
    """(n_genes, k) neighbour indices -> (n_genes * k, 2) directed pairs ``(gene, neighbour)``."""
    idx = np.asarray(indices, dtype=np.int64)
    if idx.ndim != 2:
        raise CoreError(f"neighbour indices must be (n_genes, k), got shape {idx.shape}")
    return np.column_stack([np.repeat(np.arange(idx.shape[0]), idx.shape[1]), idx.ravel()])


def random_pairs(n_genes: int, n_pairs: int, seed: int = 0) -> np.ndarray:
    """``n_pairs`` uniformly random pairs of distinct genes, (n_pairs, 2) int64."""
    for name, value in (("n_genes", n_genes), ("n_pairs", n_pairs)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise CoreError(f"{name} must be an integer, got {value!r}")
    if n_genes < 2:
        raise CoreError("random pairs need at least 2 genes")
    if n_pairs < 0:
        raise CoreError(f"n_pairs must be >= 0, got {n_pairs}")
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n_genes, size=n_pairs)
    b = rng.integers(0, n_genes - 1, size=n_pairs)
    b = b + (b >= a)  # skip a itself
    return np.column_stack([a, b]).astype(np.int64)


def chance_shares(
    go_matrix: sparse.spmatrix | None = None,
    coexp: sparse.spmatrix | None = None,
    annotated_only: bool = False,
    block_values: int = 20_000_000,
) -> dict[str, float]:
    """The exact shares of all pairs of two distinct genes that share a GO term, and that are
    co-expression edges: what uniformly random pairs estimate, without their draw (100,000
    random pairs of the 26-tissue set's 467 genes gave 0.0728, the exact share being 0.0747:
    every ratio read 2.6% high).

    Parameters
    ----------
    go_matrix : (n_genes, n_terms) sparse bool, optional
    coexp : (n_genes, n_genes) sparse bool, optional
    annotated_only
        The GO share over pairs of two annotated genes only (as :func:`neighbor_agreement`).
    block_values
        Most entries of one block of the gene-by-gene product (memory; genome-wide sets are
        counted block by block).

    Returns
    -------
    dict
        ``go_random`` and ``go_random_pairs`` (the unordered pairs counted) with GO;
        ``coexp_random`` and ``coexp_random_pairs`` with co-expression; NaN without a pair.
        ``annotated_only`` (1.0 or 0.0) and ``n_genes`` say what they were counted over.
    """
    if coexp is not None and (coexp.ndim != 2 or coexp.shape[0] != coexp.shape[1]):
        raise DataError(f"coexp must be a square (n_genes, n_genes) matrix, got {coexp.shape}")
    if go_matrix is not None and coexp is not None and go_matrix.shape[0] != coexp.shape[0]:
        # (the shares were of two gene sets, and n_genes said the last one's)
        raise DataError(
            f"go_matrix has {go_matrix.shape[0]} genes but coexp has {coexp.shape[0]}: both must "
            "be of the same genes, in the same order"
        )
    # what the shares are of, checked where they are passed on (neighbor_agreement's chance)
    out: dict[str, float] = {"annotated_only": float(bool(annotated_only))}

    def share(hits: int, n: int) -> float:
        return hits / (n * (n - 1)) if n > 1 else float("nan")

    if go_matrix is not None:
        m = sparse.csr_matrix(go_matrix, copy=True)
        m.data = (m.data != 0).astype(np.float32)
        m.eliminate_zeros()
        if annotated_only:
            m = m[np.asarray(m.getnnz(axis=1)) > 0]
        n = m.shape[0]
        mt = m.T.tocsc()
        block = max(1, block_values // max(n, 1))
        hits = 0  # ordered pairs (a, b), a != b, that share a term
        for start in range(0, n, block):
            product = m[start : start + block] @ mt
            hits += product.nnz - int((m[start : start + block].getnnz(axis=1) > 0).sum())
        out.update(go_random=share(hits, n), go_random_pairs=float(n * (n - 1) // 2))
        out["n_genes"] = float(go_matrix.shape[0])
    if coexp is not None:
        adj = sparse.csr_matrix(coexp, copy=True)
        adj.data = (adj.data != 0).astype(np.int8)
        adj.eliminate_zeros()
        n = adj.shape[0]
        edges = adj.nnz - int(np.count_nonzero(adj.diagonal()))  # ordered, a != b
        out.update(coexp_random=share(edges, n), coexp_random_pairs=float(n * (n - 1) // 2))
        out["n_genes"] = float(n)
    return out


def _check_k(k) -> None:
    """Refuse a number of neighbours that is no integer >= 1 (True is no number here)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise CoreError(f"k (neighbours) must be an integer >= 1, got {k!r}")


def coexp_ceiling(coexp: sparse.spmatrix, k: int) -> float:
    """The highest ``coexp_fraction`` any k nearest neighbours can reach in a co-expression
    network: every gene's neighbours among its partners in the network, as far as it has ``k``
    of them (59 genes have 17 edges in the top 1%: at most 0.115 of their 295 pairs).

    Parameters
    ----------
    coexp : (n_genes, n_genes) sparse adjacency, symmetric
    k : neighbours per gene

    Returns
    -------
    float
        mean over genes of min(k, degree) / k.
    """
    _check_k(k)
    degree = np.asarray(sparse.csr_matrix(coexp).getnnz(axis=1), dtype=np.float64)
    return float(np.minimum(degree, k).mean() / k) if degree.size else float("nan")


def go_ceiling(go_matrix: sparse.spmatrix, k: int, block: int = 1024) -> float:
    """The highest ``go_fraction`` any k nearest neighbours can reach: every gene's neighbours
    among the genes that share a term with it, as far as it has ``k`` of them (a gene with no
    term shares none; the share of annotated genes, 336 of 460 on the 26-tissue set, 0.730,
    overstated it: counted by partners, 0.709).

    Parameters
    ----------
    go_matrix : (n_genes, n_terms) sparse, True where a gene has a term
    k : neighbours per gene
    block : genes whose partners are counted at a time (a block of rows of the gene x gene
        product is held at once)

    Returns
    -------
    float
        mean over genes of min(k, partners) / k.
    """
    _check_k(k)
    m = sparse.csr_matrix(go_matrix, dtype=np.float32)
    n = m.shape[0]
    if n == 0:
        return float("nan")
    mt = m.T.tocsc()
    partners = np.zeros(n, dtype=np.float64)
    annotated = m.getnnz(axis=1) > 0
    for start in range(0, n, block):
        rows = (m[start : start + block] @ mt).tocsr()
        # (a gene with a term shares it with itself: not its own partner)
        partners[start : start + block] = rows.getnnz(axis=1) - annotated[start : start + block]
    return float(np.minimum(partners, k).mean() / k)


def _share_term(go_matrix: sparse.spmatrix, pairs: np.ndarray) -> np.ndarray:
    """Whether each pair (rows of a (n_pairs, 2) array) shares a term of ``go_matrix``."""
    from core.annotations import share_term

    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return share_term(pairs[:, 0], pairs[:, 1], go_matrix)


def _check_chance(
    chance: Mapping[str, float],
    go_matrix: Any,
    coexp: Any,
    annotated_only: bool,
    n_genes: int,
) -> None:
    """Refuse :func:`chance_shares` of other references than those given (shares over all
    genes for annotated_only, over another gene set, without the GO matrix): a wrong chance
    gave a ratio of 3.57 for 1.85 without a word."""
    needed = [
        k for k, ref in (("go_random", go_matrix), ("coexp_random", coexp)) if ref is not None
    ]
    missing = [k for k in needed if k not in chance]
    if missing:
        raise CoreError(f"chance holds no {', '.join(missing)}: compute it with those references")
    if bool(chance.get("annotated_only", 0.0)) != bool(annotated_only):
        raise CoreError(
            f"chance was counted with annotated_only={not annotated_only}, asked "
            f"annotated_only={annotated_only}: compute it as the agreement is asked"
        )
    if "n_genes" in chance and int(chance["n_genes"]) != n_genes:
        raise CoreError(f"chance was counted over {int(chance['n_genes'])} genes, not {n_genes}")


def neighbor_agreement(
    neighbor_pairs: np.ndarray,
    go_matrix: sparse.spmatrix | None = None,
    coexp: sparse.spmatrix | None = None,
    seed: int = 0,
    n_random: int | None = None,
    annotated_only: bool = False,
    chance: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Fraction of neighbour pairs found in GO and in a co-expression network, vs random pairs.

    Parameters
    ----------
    neighbor_pairs : (n_pairs, 2) int
        Gene index pairs (e.g. :func:`pairs_from_neighbors` of :func:`gene_neighbors`).
    go_matrix : (n_genes, n_terms) sparse bool, optional
        Gene-term annotations, e.g. ``GeneOntology.annotation_matrix(genes, "BP", 3, 500)``.
    coexp : (n_genes, n_genes) sparse bool, optional
        Co-expression edges (:func:`coexpression_edges`).
    seed, n_random
        Without ``n_random`` (the default), the chance shares are exact: over every pair of
        two distinct genes (:func:`chance_shares`). With it, they are estimated from that
        many uniformly random pairs drawn with ``seed`` (as before 2026-12-05).
    annotated_only
        Count GO sharing only over pairs whose two genes have at least one term (neighbour and
        random pairs alike). Default False: every pair counts, a pair with an unannotated gene
        shares nothing.
    chance
        :func:`chance_shares` of the same references, computed once for several calls (a
        genome-wide set counts its gene pairs block by block).

    Returns
    -------
    dict
        ``n_pairs``; ``random_pairs``: the random pairs drawn, or the number of distinct gene
        pairs the exact shares count; with GO: ``go_pairs`` (pairs counted), ``go_fraction``,
        ``go_random``, ``go_ratio``; with co-expression: ``coexp_fraction``, ``coexp_random``,
        ``coexp_ratio``.
        Ratios are NaN when the random fraction is 0; fractions are NaN when there is no pair
        to count.
    """
    pairs = _check_pairs(neighbor_pairs, "neighbor_pairs")
    if go_matrix is None and coexp is None:
        raise CoreError("neighbor_agreement needs a GO matrix, a co-expression network or both")
    if coexp is not None and (coexp.ndim != 2 or coexp.shape[0] != coexp.shape[1]):
        raise DataError(f"coexp must be a square (n_genes, n_genes) matrix, got {coexp.shape}")
    if go_matrix is not None and coexp is not None and go_matrix.shape[0] != coexp.shape[0]:
        raise DataError(
            f"go_matrix has {go_matrix.shape[0]} genes but coexp has {coexp.shape[0]}: "
            "both must be of the same genes, in the same order"
        )
    n_genes = (go_matrix if go_matrix is not None else coexp).shape[0]
    _check_pair_range(pairs, n_genes)
    if n_random is not None and n_random < 1:
        raise CoreError(f"n_random must be >= 1, got {n_random}")
    exact = n_random is None
    if exact:
        if chance is None:
            chance = chance_shares(go_matrix, coexp, annotated_only)
        else:
            _check_chance(chance, go_matrix, coexp, annotated_only, n_genes)
        rand = np.zeros((0, 2), dtype=np.int64)
        n_all = chance.get("go_random_pairs", chance.get("coexp_random_pairs", 0.0))
        out: dict[str, float] = {"n_pairs": float(len(pairs)), "random_pairs": n_all}
    else:
        rand = random_pairs(n_genes, n_random, seed)
        out = {"n_pairs": float(len(pairs)), "random_pairs": float(n_random)}

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else float("nan")

    def share(hits: np.ndarray) -> float:
        return float(hits.mean()) if hits.size else float("nan")

    if go_matrix is not None:
        annotated = np.asarray(sparse.csr_matrix(go_matrix).getnnz(axis=1)) > 0
        p_keep = annotated[pairs].all(axis=1) if annotated_only else np.ones(len(pairs), bool)
        r_keep = annotated[rand].all(axis=1) if annotated_only else np.ones(len(rand), bool)
        frac = share(_share_term(go_matrix, pairs[p_keep]))
        rfrac = chance["go_random"] if exact else share(_share_term(go_matrix, rand[r_keep]))
        out.update(
            go_pairs=float(p_keep.sum()),
            go_fraction=frac,
            go_random=rfrac,
            go_ratio=ratio(frac, rfrac),
        )
    if coexp is not None:
        frac = share(is_edge(coexp, pairs))
        rfrac = chance["coexp_random"] if exact else share(is_edge(coexp, rand))
        out.update(coexp_fraction=frac, coexp_random=rfrac, coexp_ratio=ratio(frac, rfrac))
    return out


def neighbor_agreement_by_size(
    gene_embeddings: Mapping[Any, np.ndarray],
    go_matrix: sparse.spmatrix | None = None,
    coexp: sparse.spmatrix | None = None,
    k: int = 5,
    seed: int = 0,
    annotated_only: bool = False,
    n_random: int | None = None,
    metric: str = "cosine",
    chance: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """:func:`neighbor_agreement` of the k-NN of several gene embeddings (Figure 4).

    Parameters
    ----------
    gene_embeddings
        gene_dim (or any name) -> (n_genes, gene_dim) array, rows in the same gene order.
    go_matrix, coexp, seed, annotated_only, n_random
        As in :func:`neighbor_agreement` (the same random pairs for every embedding).
    metric
        Gene-space distance (:func:`gene_neighbors`).
    chance
        :func:`chance_shares` of the references, when the caller has them (else counted here).

    Returns
    -------
    pandas.DataFrame
        One row per embedding (index ``gene_dim``), columns of :func:`neighbor_agreement`.
    """
    _check_mapping(gene_embeddings, "neighbor_agreement_by_size", "gene")
    rows = {}
    if chance is None and n_random is None:
        chance = chance_shares(go_matrix, coexp, annotated_only)
    for name, emb in gene_embeddings.items():
        idx, _ = gene_neighbors(emb, k, metric)
        rows[name] = neighbor_agreement(
            pairs_from_neighbors(idx),
            go_matrix,
            coexp,
            seed=seed,
            n_random=n_random,
            annotated_only=annotated_only,
            chance=chance,
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "gene_dim"
    return table


def go_ratio_bootstrap(
    neighbor_pairs: Mapping[Any, np.ndarray],
    go_matrix: sparse.spmatrix,
    chance: Mapping[str, float] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    compare: Sequence[tuple[Any, Any]] = (),
    block_values: int = 5_000_000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Intervals of the GO ratio to chance by resampling the genes, not the pairs.

    A gene's k (gene, neighbour) pairs are not independent draws: a binomial interval over
    the pairs was narrower than this bootstrap (Wilson 1.91-2.30 against 1.81-2.38 for FE on
    the 26-tissue set). Each gene's pairs, and how many of them share a GO term, are counted
    once; then the genes are drawn with replacement ``n_boot`` times (the same draws for every
    row, so rows can be compared pair by pair), and each draw's ratio is its share of pairs
    sharing a term over the chance share, which stays fixed (it is counted over all gene
    pairs). The genes' neighbourhoods overlap, so these intervals are still somewhat narrow.

    Parameters
    ----------
    neighbor_pairs
        Row name -> (n_pairs, 2) directed pairs ``(gene, neighbour)``, the gene first:
        :func:`pairs_from_neighbors` of (n_genes, k) neighbour indices, or any subset of such
        pairs (a gene with no pair left adds nothing to its draw).
    go_matrix : (n_genes, n_terms) sparse bool
        Gene-term annotations; every pair counts (a gene without a term shares none).
    chance
        :func:`chance_shares` of ``go_matrix`` (counted here without it).
    n_boot
        Draws of the genes.
    seed
        Seed of the draws (the same seed, the same intervals).
    level
        Coverage of the percentile intervals.
    compare
        Pairs ``(a, b)`` of row names: the difference of ratios ``a - b`` on the same draws.
    block_values
        Most entries of the draws-by-genes matrix held at once (memory).

    Returns
    -------
    intervals : pandas.DataFrame
        One row per name: ``go_ratio`` (all genes, as :func:`neighbor_agreement`),
        ``go_ratio_low`` and ``go_ratio_high`` (the percentiles of the draws), ``n_genes``
        (genes with at least one pair).
    differences : pandas.DataFrame
        One row per ``compare`` pair: ``a``, ``b``, ``difference`` (of the ratios over all
        genes), ``low`` and ``high`` (the percentiles of the draws' differences).
    """
    if not isinstance(neighbor_pairs, Mapping):
        raise CoreError(
            "go_ratio_bootstrap takes a dict of row name -> (n_pairs, 2) neighbour pairs, e.g. "
            f"{{'FE': pairs_from_neighbors(idx)}}, got {type(neighbor_pairs).__name__}"
        )
    if go_matrix is None:
        raise CoreError("go_ratio_bootstrap needs a GO matrix")
    for name, value in (("n_boot", n_boot), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise CoreError(f"{name} must be an integer >= 0, got {value!r}")
    if n_boot < 1:
        raise CoreError(f"n_boot must be >= 1, got {n_boot}")
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise CoreError(f"level must be a number between 0 and 1, got {level!r}")
    names = list(neighbor_pairs)
    compare = list(compare)
    for pair in compare:
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise CoreError(f"compare takes pairs (a, b) of row names, got {pair!r}")
        for name in pair:
            if name not in neighbor_pairs:
                raise CoreError(f"compare names {name!r}, which is no row of neighbor_pairs")
    n_genes = go_matrix.shape[0]
    if chance is None:
        chance = chance_shares(go_matrix)
    else:
        _check_chance(chance, go_matrix, None, False, n_genes)
    rand = float(chance["go_random"])
    if not rand > 0:
        raise CoreError("no two genes share a GO term: the ratio to chance is undefined")
    hits = np.zeros((len(names), n_genes))
    counts = np.zeros((len(names), n_genes))
    for i, name in enumerate(names):
        pairs = _check_pairs(neighbor_pairs[name], "neighbor_pairs")
        _check_pair_range(pairs, n_genes)
        shared = _share_term(go_matrix, pairs).astype(np.float64)
        hits[i] = np.bincount(pairs[:, 0], weights=shared, minlength=n_genes)
        counts[i] = np.bincount(pairs[:, 0], minlength=n_genes)
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, len(names)))
    block = max(1, block_values // max(n_genes, 1))
    for start in range(0, n_boot, block):
        size = min(block, n_boot - start)
        # how often each gene is drawn: n_genes draws with replacement, per resample
        weights = rng.multinomial(n_genes, np.full(n_genes, 1 / n_genes), size=size)
        weights = weights.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            draws[start : start + size] = (weights @ hits.T) / (weights @ counts.T) / rand
    tail = (1 - level) / 2 * 100
    with np.errstate(invalid="ignore", divide="ignore"):
        point = hits.sum(axis=1) / counts.sum(axis=1) / rand
    # a row without any pair has no draw: NaN, without numpy's warning of an all-NaN column
    some = np.isfinite(draws).any(axis=0)
    low, high = np.full(len(names), np.nan), np.full(len(names), np.nan)
    if some.any():
        low[some], high[some] = np.nanpercentile(draws[:, some], [tail, 100 - tail], axis=0)
    intervals = pd.DataFrame(
        {
            "go_ratio": point,
            "go_ratio_low": low,
            "go_ratio_high": high,
            "n_genes": (counts > 0).sum(axis=1),
        },
        index=pd.Index(names),
    )
    rows = []
    where = {name: i for i, name in enumerate(names)}
    for a, b in compare:
        diff = draws[:, where[a]] - draws[:, where[b]]
        d_low, d_high = (
            np.nanpercentile(diff, [tail, 100 - tail]) if np.isfinite(diff).any() else (np.nan,) * 2
        )
        rows.append((a, b, point[where[a]] - point[where[b]], d_low, d_high))
    differences = pd.DataFrame(rows, columns=["a", "b", "difference", "low", "high"])
    return intervals, differences
