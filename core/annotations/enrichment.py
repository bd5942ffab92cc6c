"""Enrichment and its statistics: Benjamini-Hochberg q-values, the hypergeometric upper tail,
whether gene pairs share a term, and the reusable :class:`Enricher` of one background and one
ontology."""

from __future__ import annotations

import logging
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.annotations.genes import _as_id_list
from core.annotations.vocabulary import ENRICH_COLUMNS
from core.errors import DataError, first_names

if TYPE_CHECKING:  # only named in a type annotation (an Enricher is built by GeneOntology)
    from core.annotations.ontology import GeneOntology

LOG = logging.getLogger("core.annotations")  # the package's one logger (-v shows its name)


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
        ``set_size`` counts the set genes that are in the annotated background. An empty set,
        or one none of whose genes is in the annotated background, gives a table of no row
        (every term has p = 1; ``min_overlap=0``: every term) and a warning that says which.
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
        if not ids:
            # (an empty table alone read as "nothing enriched": a result, where the list was
            # empty before the test, e.g. a filter that kept no gene)
            LOG.warning(
                "enrich: the gene set is empty: no gene to test, so no %s term can be enriched "
                "(every term has p = 1); check the step that made the list",
                self.ontology,
            )
        if n == 0 and ids:
            # why, in numbers: ids GO does not know, or genes outside the background; and
            # which genes (a list of other ids than the background's reads at a glance)
            LOG.warning(
                "enrich: no gene of the set (%s) is in the annotated background of %d genes "
                "(%s): of its %d ids, %d are not genes of this GO and %d genes are outside the "
                "background or have no %s annotation; every term has p = 1",
                first_names(ids),
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
