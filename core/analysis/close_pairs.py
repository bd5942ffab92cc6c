"""Close gene pairs that neither share a GO term nor are co-expression edges: the pairs with
their correlations and types, genes' detection rates, and counts by type pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from core.analysis.agreement import _share_term, pairs_from_neighbors
from core.analysis.gene_space import _check_pair_range, is_edge
from core.errors import CoreError, DataError


def novel_close_pairs(
    neighbor_indices: np.ndarray,
    go_matrix: sparse.spmatrix,
    coexp: sparse.spmatrix,
    gene_symbols: Sequence[str] | np.ndarray,
    gene_types: Sequence[str] | np.ndarray | None = None,
    distances: np.ndarray | None = None,
    gene_ids: Sequence[str] | np.ndarray | None = None,
    return_all: bool = False,
    detection: Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Close gene pairs that neither share a GO term nor are co-expression edges.

    Parameters
    ----------
    neighbor_indices : (n_genes, k) int
        From :func:`gene_neighbors`.
    go_matrix : (n_genes, n_terms) sparse bool
    coexp : (n_genes, n_genes) sparse bool
    gene_symbols, gene_types, gene_ids : (n_genes,)
        Names of the genes, their types (e.g. ``GeneOntology.gene_type``; "unknown" if None).
    distances : (n_genes, k), optional
        Gene-space distances of the neighbours.
    return_all
        Return every close pair, with a ``novel`` column, instead of the novel ones only
        (for :func:`summarize_novel_pairs`' ``close``).
    detection : (n_genes,), optional
        Share of samples in which each gene is detected (:func:`detection_rate`); adds
        ``min_detection``, the lower of the pair's two. Genes that are off almost everywhere
        sit together in gene space (they all predict about zero), rarely have GO terms and
        have noise for correlations, so their pairs come out "novel" without saying much.

    Returns
    -------
    pandas.DataFrame
        One row per unordered pair (seen from either side): ``gene_a``, ``gene_b`` (indices),
        ``symbol_a``, ``symbol_b``, ``type_a``, ``type_b`` (each pair's two genes in the order
        of their types, so that ``type_a`` is the type of ``symbol_a``),
        ``distance``, ``both_annotated`` (both genes have a GO term in ``go_matrix``; a pair
        with an unannotated gene cannot share one), ``shares_go`` and ``coexp_edge`` (the two
        references; a pair is novel in neither), ``id_a``/``id_b`` and ``min_detection``
        when given; sorted by distance.
    """
    idx = np.asarray(neighbor_indices, dtype=np.int64)
    pairs = pairs_from_neighbors(idx)
    n_genes = idx.shape[0]
    _check_pair_range(pairs, n_genes, "neighbour")
    go_matrix = sparse.csr_matrix(go_matrix)
    coexp = sparse.csr_matrix(coexp)
    if go_matrix.shape[0] != n_genes:
        raise DataError(f"go_matrix has {go_matrix.shape[0]} genes, neighbor_indices {n_genes}")
    if coexp.shape != (n_genes, n_genes):
        raise DataError(f"coexp has shape {coexp.shape}, not ({n_genes}, {n_genes}) like the genes")
    for what, given in (
        ("gene_symbols", gene_symbols),
        ("gene_types", gene_types),
        ("gene_ids", gene_ids),
    ):
        if given is not None and len(given) != n_genes:
            raise DataError(f"{what} has {len(given)} entries for {n_genes} genes")
    if distances is not None and np.shape(distances) != idx.shape:
        raise DataError(
            f"distances has shape {np.shape(distances)}, not {idx.shape} like neighbor_indices"
        )
    dist = (
        np.asarray(distances, dtype=np.float64).ravel()
        if distances is not None
        else np.full(len(pairs), np.nan)
    )
    # one row per unordered pair: keep the smaller distance
    lo, hi = pairs.min(axis=1), pairs.max(axis=1)
    frame = pd.DataFrame({"gene_a": lo, "gene_b": hi, "distance": dist})
    frame = frame.sort_values("distance", kind="stable").drop_duplicates(["gene_a", "gene_b"])
    up = frame[["gene_a", "gene_b"]].to_numpy()
    shares_go, coexp_edge = _share_term(go_matrix, up), is_edge(coexp, up)
    novel = ~shares_go & ~coexp_edge
    annotated = np.asarray(go_matrix.getnnz(axis=1) > 0).ravel()
    frame["both_annotated"] = annotated[up[:, 0]] & annotated[up[:, 1]]
    # the two tests behind "novel"; Figure 4 counts (gene, neighbour) pairs, a pair found from
    # both sides twice, so its shares are not these rows' plain means (26-tissue set: 0.161 of
    # 2,300 pairs there, 0.154 of these 1,799)
    frame["shares_go"], frame["coexp_edge"] = shares_go, coexp_edge
    if return_all:
        frame["novel"] = novel
        frame = frame.reset_index(drop=True)
    else:
        frame = frame[novel].reset_index(drop=True)
    symbols = np.asarray(gene_symbols, dtype=object)
    types = (
        np.asarray(gene_types, dtype=object)
        if gene_types is not None
        else np.full(len(symbols), "unknown", dtype=object)
    )
    types = pd.Series(types).fillna("unknown").astype(str).to_numpy()
    a, b = frame["gene_a"].to_numpy(), frame["gene_b"].to_numpy()
    # each pair's genes in the order of their types, so that type_a is symbol_a's type
    swap = types[a] > types[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    frame["gene_a"], frame["gene_b"] = a, b
    frame["symbol_a"], frame["symbol_b"] = symbols[a], symbols[b]
    frame["type_a"], frame["type_b"] = types[a], types[b]
    if gene_ids is not None:
        ids = np.asarray(gene_ids, dtype=object)
        frame["id_a"], frame["id_b"] = ids[a], ids[b]
    if detection is not None:
        det = np.asarray(detection, dtype=np.float64)
        if det.shape != (len(symbols),):
            raise CoreError(f"detection must have one value per gene ({len(symbols)})")
        frame["min_detection"] = np.minimum(det[a], det[b])
    return frame


def detection_rate(values: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Share of samples in which each gene is above zero, among its observed values, (n_genes,).

    For log-transformed counts or TPM, 0 means not detected. A gene with no observed value
    gets 0. Works through ``chunk`` genes at a time (no copy of the whole matrix).
    """
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise CoreError(f"values must be a (samples, genes) matrix, got shape {arr.shape}")
    out = np.zeros(arr.shape[1], dtype=np.float64)
    for start in range(0, arr.shape[1], chunk):
        block = arr[:, start : start + chunk]
        finite = np.isfinite(block)
        observed = finite.sum(axis=0)
        with np.errstate(invalid="ignore"):
            detected = ((block > 0) & finite).sum(axis=0)  # NaN compares False; inf not a value
        out[start : start + chunk] = detected / np.maximum(observed, 1)
    return out


def summarize_novel_pairs(
    novel: pd.DataFrame,
    gene_types: Sequence[str] | np.ndarray | None = None,
    close: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Counts of novel close pairs by (sorted) type pair, most frequent first.

    Parameters
    ----------
    novel
        Output of :func:`novel_close_pairs` (rows with ``novel`` False are left out).
    gene_types : (n_genes,), optional
        Types of all genes; adds ``expected`` (share of that type pair among all pairs of two
        distinct genes) and ``enrichment`` (``fraction / expected``).
    close : optional
        Every close pair (:func:`novel_close_pairs` with ``return_all=True``); adds ``n_close``
        (close pairs of that type pair) and ``novel_rate`` (the share of them that is novel).
        Genes without GO terms (most non-coding genes) cannot share one, so their pairs are
        novel whenever they are not co-expression edges: compare ``novel_rate`` across types,
        and ``unannotated`` (novel pairs with an unannotated gene), before reading an
        enrichment of a type as the model's finding.

    Returns
    -------
    pandas.DataFrame
        Index ``(type_a, type_b)``; columns ``n_pairs``, ``fraction``, ``unannotated``
        (+ ``expected``, ``enrichment``; + ``n_close``, ``novel_rate``).
    """
    missing = [c for c in ("type_a", "type_b") if c not in getattr(novel, "columns", ())]
    if missing:
        raise CoreError(
            f"summarize_novel_pairs takes a novel_close_pairs result; it lacks columns {missing}"
        )
    if "novel" in novel.columns:
        novel = novel[novel["novel"]]
    if novel.empty:
        return pd.DataFrame(columns=["n_pairs", "fraction"])
    counts = novel.groupby(["type_a", "type_b"]).size().rename("n_pairs").to_frame()
    counts["fraction"] = counts["n_pairs"] / counts["n_pairs"].sum()
    if "both_annotated" in novel.columns:
        unannotated = (~novel["both_annotated"].astype(bool)).groupby(
            [novel["type_a"], novel["type_b"]]
        )
        counts["unannotated"] = unannotated.sum().reindex(counts.index).astype(int)
    if close is not None and not close.empty:
        n_close = close.groupby(["type_a", "type_b"]).size()
        counts["n_close"] = n_close.reindex(counts.index).fillna(0).astype(int)
        counts["novel_rate"] = counts["n_pairs"] / counts["n_close"].replace(0, np.nan)
    if gene_types is not None:
        share = pd.Series(np.asarray(gene_types, dtype=object)).fillna("unknown").astype(str)
        size = share.value_counts()
        n = float(len(share))
        n_pairs = n * (n - 1.0) / 2.0  # pairs of two distinct genes, as close pairs are
        expected = []
        for ta, tb in counts.index:
            na, nb = float(size.get(ta, 0)), float(size.get(tb, 0))
            both = na * (na - 1.0) / 2.0 if ta == tb else na * nb
            expected.append(both / n_pairs if n_pairs > 0 else np.nan)
        counts["expected"] = expected
        counts["enrichment"] = counts["fraction"] / counts["expected"].replace(0.0, np.nan)
    return counts.sort_values("n_pairs", ascending=False)
