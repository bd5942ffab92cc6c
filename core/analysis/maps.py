"""Sample maps to compare (Figure 2): the baselines PCA, NMF, t-SNE and UMAP, and where new
samples land on a map (their nearest training samples).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from core.analysis.common import (
    _WIDE,
    CODE_VERSION,
    _as_matrix,
    _knn_excluding_self,
    _reject_nan,
    impute_gene_mean,
)
from core.errors import CoreError, DataError

if TYPE_CHECKING:
    from core.cache import ResultCache

log = logging.getLogger("core.analysis")


#: Baseline sample maps of Figure 2, in the paper's order.
BASELINE_METHODS: tuple[str, ...] = ("pca", "nmf", "tsne", "umap")

#: Display names of the baselines.
METHOD_NAMES: dict[str, str] = {
    "pca": "PCA",
    "nmf": "NMF",
    "tsne": "t-SNE",
    "umap": "UMAP",
    "raw": "raw data",
    "fe": "Factorized Embeddings",
}

# baseline maps of this many samples or more use every BLAS/OpenMP thread allowed
_THREADED_MAPS_FROM = 5000

TSNE_PERPLEXITY = 30.0

UMAP_NEIGHBORS = 15

# umap-learn searches neighbours exactly (all pairwise distances) below this many samples, and
# approximately (NN-descent) from it on
_UMAP_APPROXIMATE_FROM = 4096

#: The fewest samples a baseline map (PCA, NMF, t-SNE, UMAP) is computed of.
MIN_MAP_SAMPLES = 4


def baseline_embeddings(
    values: np.ndarray,
    methods: Sequence[str] = BASELINE_METHODS,
    seed: int = 0,
    cache: ResultCache | None = None,
    key: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """2-D sample maps of the same matrix by the usual methods (Figure 2).

    Parameters
    ----------
    values : (n_samples, n_genes) array
        Log-scale expression; NaN is imputed by the gene mean.
    methods
        Any of ``"pca"``, ``"nmf"`` (on the data shifted up by its lowest value when some are
        negative), ``"tsne"`` (perplexity 30,
        PCA initialisation; the perplexity is lowered for fewer than 91 samples), ``"umap"``
        (15 neighbours). On a matrix of more than 64 genes, t-SNE (and UMAP from 4,096
        samples, where its own search is approximate) share one exact search of the samples'
        neighbours (multi-threaded BLAS, float32 products of centred blocks of genes, no copy
        of the matrix): on all GTEx genes that search is most of their cost. Below 4,096
        samples UMAP takes umap-learn's own exact path: a seed gives the map that
        ``umap.UMAP(n_neighbors=15, random_state=seed)`` gives. From 5,000 samples the maps
        use every thread allowed (threadpoolctl), below that one; t-SNE's layout then depends
        on the thread count at float rounding.
    seed
        Seed of NMF, t-SNE and UMAP.
    cache
        Store for the maps (t-SNE on 13k samples costs minutes); ``None``: compute every time.
    key
        Dataset fingerprint used in the cache key; default: a hash of ``values``.
    progress
        Called with each method's name before it is computed (e.g. to update a progress bar).

    Returns
    -------
    dict
        method -> (n_samples, 2) float32 array, in the order of ``methods``.
    """
    if isinstance(methods, str):
        methods = (methods,)
    unknown = [m for m in methods if m not in BASELINE_METHODS]
    if unknown:
        raise CoreError(
            f"unknown baseline method(s) {unknown}; choose from {list(BASELINE_METHODS)}"
        )
    arr = impute_gene_mean(values)
    if methods and not (np.max(arr, axis=0) > np.min(arr, axis=0)).any():
        # (t-SNE's PCA start is then NaN: scikit-learn's Barnes-Hut code crashes the process)
        raise DataError(
            f"the {arr.shape[0]} samples are identical in every gene (after imputing missing "
            "values by the gene mean): there is nothing to map"
        )
    if cache is not None and key is None:
        key = cache.key(arr)
    # on a wide matrix, one exact neighbour search for t-SNE and UMAP (narrow: their own)
    neighbours = _SharedNeighbours(arr, methods) if arr.shape[1] > _WIDE else None
    out: dict[str, np.ndarray] = {}
    for method in methods:
        if progress is not None:
            progress(method)

        def compute(method: str = method) -> np.ndarray:
            t0 = time.perf_counter()
            coords = _compute_baseline(arr, method, seed, neighbours)
            log.info(
                "%s map of %s samples in %.1f s",
                METHOD_NAMES.get(method, method),
                f"{arr.shape[0]:,}",
                time.perf_counter() - t0,
            )
            return coords

        if cache is None:
            out[method] = compute()
        else:
            ckey = cache.key("baseline", CODE_VERSION, method, key, seed, arr.shape)
            out[method] = cache.get_or_compute(ckey, compute)
    return out


def _tsne_perplexity(n: int) -> float:
    return min(TSNE_PERPLEXITY, max(2.0, (n - 1) / 3.0))


class _SharedNeighbours:
    """The samples' exact nearest neighbours, searched once for t-SNE and UMAP together.

    t-SNE (scikit-learn's rule: 3 x perplexity + 1 neighbours) and UMAP (15) need the same
    Euclidean neighbour lists; on a wide matrix (all GTEx genes) that search is most of their
    cost. It runs on first use, with the BLAS threads allowed, and not at all when both maps
    come from the cache.
    """

    def __init__(self, arr: np.ndarray, methods: Sequence[str]) -> None:
        n = arr.shape[0]
        wanted = []
        if "tsne" in methods:
            wanted.append(int(3.0 * _tsne_perplexity(n) + 1))
        if "umap" in methods and _umap_shares(n):
            wanted.append(UMAP_NEIGHBORS - 1)  # UMAP counts each sample as its own first
        self._arr = arr
        self._k = min(n - 1, max(wanted, default=1))
        self._found: tuple[np.ndarray, np.ndarray] | None = None

    def search(self) -> None:
        """Search the neighbours now, unless done."""
        if self._found is None:
            t0 = time.perf_counter()
            self._found = _knn_excluding_self(self._arr, self._k)
            log.debug(
                "%d nearest neighbours of %d samples in %.1f s",
                self._k,
                self._arr.shape[0],
                time.perf_counter() - t0,
            )

    def get(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices (n, k) and distances (n, k) of each sample's k nearest other samples."""
        if k > self._k:
            raise CoreError(f"{k} neighbours asked, {self._k} searched")  # pragma: no cover
        self.search()
        assert self._found is not None
        idx, dist = self._found
        return idx[:, :k], dist[:, :k]


def _tsne(arr: np.ndarray, seed: int, neighbours: _SharedNeighbours | None) -> np.ndarray:
    """scikit-learn's t-SNE (perplexity 30, PCA start), on the shared exact neighbours if given.

    With ``neighbours``, the same map as ``TSNE(perplexity=30, init="pca").fit_transform(arr)``
    up to float rounding: the neighbours are the ones it would search, and the start is its
    PCA start, rebuilt here because it refuses ``init="pca"`` with precomputed neighbours.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n = arr.shape[0]
    perplexity = _tsne_perplexity(n)
    if neighbours is None:
        return TSNE(
            n_components=2, perplexity=perplexity, init="pca", random_state=seed
        ).fit_transform(arr)
    k = min(n - 1, int(3.0 * perplexity + 1))
    idx, dist = neighbours.get(k)
    # each row: the sample itself at distance 0 (scikit-learn drops it), then its k neighbours
    own = np.arange(n, dtype=np.int64)[:, None]
    graph = sparse.csr_matrix(
        (
            np.hstack([np.zeros((n, 1)), dist.astype(np.float64)]).ravel(),
            np.hstack([own, idx]).ravel(),
            np.arange(0, n * (k + 1) + 1, k + 1),
        ),
        shape=(n, n),
    )
    start = PCA(n_components=2, random_state=seed).fit_transform(arr).astype(np.float32)
    start = start / np.std(start[:, 0]) * 1e-4
    return TSNE(
        n_components=2,
        perplexity=perplexity,
        init=start,
        metric="precomputed",
        random_state=seed,
    ).fit_transform(graph)


def _umap_shares(n: int) -> bool:
    """Whether UMAP of ``n`` samples takes the shared neighbours: only where its own search is
    approximate. Below, given neighbours, umap-learn leaves its exact path for its graph path,
    whose float rounding (1e-6 in the graph) gave another layout than the same seed's
    ``umap.UMAP`` (the 26 GTEx tissues: Procrustes disparity 0.99 between the two)."""
    return n >= _UMAP_APPROXIMATE_FROM


def _umap(arr: np.ndarray, seed: int, neighbours: _SharedNeighbours | None) -> np.ndarray:
    """UMAP (15 neighbours), on the shared exact neighbours if given from 4,096 samples (its
    own search is approximate there); below, umap-learn's own exact search."""
    import umap

    n = arr.shape[0]
    k = min(UMAP_NEIGHBORS, n - 1)
    if neighbours is None or not _umap_shares(n):
        return umap.UMAP(n_neighbors=k, n_components=2, random_state=seed, n_jobs=1).fit_transform(
            arr
        )
    idx, dist = neighbours.get(k - 1)
    # UMAP counts each sample as its own first neighbour
    knn = (
        np.hstack([np.arange(n, dtype=np.int64)[:, None], idx]),
        np.hstack([np.zeros((n, 1), dtype=np.float32), dist]),
    )
    return umap.UMAP(
        n_neighbors=k, n_components=2, random_state=seed, n_jobs=1, precomputed_knn=knn
    ).fit_transform(arr)


def _compute_baseline(
    arr: np.ndarray, method: str, seed: int, neighbours: _SharedNeighbours | None = None
) -> np.ndarray:
    from threadpoolctl import threadpool_limits

    n = arr.shape[0]
    if n < MIN_MAP_SAMPLES:
        raise DataError(f"a {method} map needs at least {MIN_MAP_SAMPLES} samples, got {n}")
    if method in ("pca", "nmf", "tsne") and arr.shape[1] < 2:
        # (two components of one gene: scikit-learn's traceback; t-SNE starts from PCA)
        raise DataError(
            f"a {method} map of 2 axes needs at least 2 genes, got {arr.shape[1]}: leave "
            f"{method} out of --methods (umap and raw take one gene)"
        )
    if neighbours is not None and (method == "tsne" or (method == "umap" and _umap_shares(n))):
        # the exact neighbour search, before the one-thread limit below (BLAS threads pay there)
        neighbours.search()
    # one BLAS/OpenMP thread on small sets: on a shared machine, spinning OpenMP threads made
    # t-SNE of 520 samples cost 35 s of CPU instead of 3 s; from 5,000 samples the threads pay
    # (t-SNE of 17,382 samples: 300 s on one thread, 161 s on two)
    threads = 1 if n < _THREADED_MAPS_FROM else None
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        if method == "pca":
            from sklearn.decomposition import PCA

            coords = PCA(n_components=2, random_state=seed).fit_transform(arr)
        elif method == "nmf":
            from sklearn.decomposition import NMF

            # log-expression is non-negative already: no copy of a wide matrix then. Values
            # below 0 (a log with a pseudo-count under 1, log fractions) are shifted up by the
            # lowest: set to 0, they lose every difference among them (log10 of fractions,
            # all negative, gave a map of zeros; the 26 tissues at -6: 1-NN 0.213, 0.315 shifted)
            lowest = float(np.min(arr))
            nonneg = arr if lowest >= 0.0 else arr - np.float32(lowest)
            model = NMF(n_components=2, init="nndsvda", max_iter=1000, random_state=seed)
            coords = model.fit_transform(nonneg)
        elif method == "tsne":
            coords = _tsne(arr, seed, neighbours)
        elif method == "umap":
            coords = _umap(arr, seed, neighbours)
        else:  # pragma: no cover - checked by the caller
            raise CoreError(f"unknown baseline method {method!r}")
    return np.asarray(coords, dtype=np.float32)


def map_neighbours(
    train_coords: np.ndarray,
    coords: np.ndarray,
    train_labels: Sequence[Any] | np.ndarray | None = None,
    k: int = 15,
) -> pd.DataFrame:
    """Where new samples land on a map: their nearest training samples and those labels.

    Parameters
    ----------
    train_coords : (n_train, d)
        The map's samples (e.g. ``FactorizedEmbeddings.sample_embedding_``).
    coords : (n_new, d)
        New samples on the same map (e.g. from ``transform``).
    train_labels : (n_train,), optional
        A label of each training sample (tissue); missing labels (NaN, None, empty) are not
        counted, and are None in the output.
    k
        Training samples consulted for the majority label (fewer when the map has fewer).

    Returns
    -------
    pandas.DataFrame, one row per new sample
        ``nearest`` (row of the nearest training sample), ``distance_on_map``; with labels also
        ``nearest_label``, ``majority_label`` (most frequent among the k nearest; ties go to
        the nearer) and ``majority_share`` (its share of the k).
    """
    from scipy.spatial import cKDTree

    train = _as_matrix(train_coords, "train_coords").astype(np.float64)
    _reject_nan(train, "train_coords")
    new = np.asarray(coords, dtype=np.float64)
    if new.ndim != 2 or new.shape[1] != train.shape[1]:
        raise CoreError(f"coords must be (n, {train.shape[1]}) like the map, got {new.shape}")
    if not np.isfinite(new).all():
        raise CoreError("new coordinates contain NaN or inf")
    k = int(min(k, len(train)))
    if k < 1:
        raise CoreError("map_neighbours needs at least one training sample and k >= 1")
    dist, idx = cKDTree(train).query(new, k=k)
    dist, idx = dist.reshape(len(new), k), idx.reshape(len(new), k)
    out = pd.DataFrame({"nearest": idx[:, 0], "distance_on_map": dist[:, 0]})
    if train_labels is not None:
        labels = np.asarray(train_labels, dtype=object)
        if labels.shape != (len(train),):
            raise CoreError(f"train_labels must have one label per training sample ({len(train)})")
        # NaN/None/NA/empty = unlabelled, as in Table 1 (:func:`label_codes`)
        series = pd.Series(labels)
        missing = (series.isna() | (series.astype(str).str.strip() == "")).to_numpy()
        labels = np.where(missing, None, labels)
        near = labels[idx]
        out["nearest_label"] = near[:, 0]
        majority, share = [], []
        for row in near:
            known = [v for v in row if v is not None]
            if not known:
                majority.append(None)
                share.append(np.nan)
                continue
            counts = pd.Series(known).value_counts(sort=False)  # first seen = nearest first
            best = counts.index[int(np.argmax(counts.to_numpy()))]
            majority.append(best)
            share.append(counts[best] / k)
        out["majority_label"] = majority
        out["majority_share"] = share
    return out
