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
  :func:`gene_set_score`, :func:`match_genes`, :func:`marker_smoothness`.
- Gene space against references (Figure 4): :func:`gene_neighbors`, :func:`consensus_gene_space`,
  :func:`correlation_references` (or :func:`correlation_neighbors` and
  :func:`coexpression_edges` alone), :func:`neighbor_agreement`,
  :func:`neighbor_agreement_by_size`, :func:`novel_close_pairs`, :func:`summarize_novel_pairs`,
  :func:`detection_rate`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import numbers
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.special import gammaln

from core.errors import CoreError, DataError, first_names

if TYPE_CHECKING:
    from core.cache import ResultCache

log = logging.getLogger(__name__)

#: Baseline sample maps of Figure 2, in the paper's order.
BASELINE_METHODS: tuple[str, ...] = ("pca", "nmf", "tsne", "umap")

#: Most random splits of Table 1: each is a permutation of the labelled samples held in
#: memory (1,000 of GTEx's 16,877 samples: 135 MB); more ran until killed.
MAX_SPLITS = 1_000
#: Display names of the baselines.
METHOD_NAMES: dict[str, str] = {
    "pca": "PCA",
    "nmf": "NMF",
    "tsne": "t-SNE",
    "umap": "UMAP",
    "raw": "raw data",
    "fe": "Factorized Embeddings",
}
#: Classifiers of Table 1, in the paper's order.
CLASSIFIERS: tuple[str, ...] = (
    "1-NN",
    "Decision Tree",
    "Gaussian NB",
    "Random Forest",
    "AdaBoost",
    "MLP",
)
#: Gene families a marker may name (case-insensitive), as regular expressions over symbols.
#: ``keratins``: the keratin genes, KRT and a number with an optional letter (KRT5, KRT14,
#: KRT6A, KRT222): not their pseudogenes (KRT8P12, KRT18P1, KRT121P: 111 of the 179 symbols
#: that ``KRT[0-9]*`` matches genome-wide), the antisense KRT10-AS1, nor the
#: keratin-associated KRTAP, KRTCAP and KRTDAP genes.
GENE_FAMILIES: dict[str, str] = {"keratins": r"^KRT\d+[A-C]?$"}
#: Figure 3's markers: the keratins, MYH6, CD8B and XIST (symbols, shell-style patterns such
#: as ``HOX*``, or names of :data:`GENE_FAMILIES`).
DEFAULT_MARKERS: tuple[str, ...] = ("keratins", "MYH6", "CD8B", "XIST")

# above this size of a float64 copy, sample neighbours are searched in float32 blocks
_FLOAT64_KNN_BYTES = 512 * 2**20
# baseline maps of this many samples or more use every BLAS/OpenMP thread allowed
_THREADED_MAPS_FROM = 5000
# matrices with more columns than this are 'wide': t-SNE and UMAP share one neighbour
# search, and 1-NN over many splits may take its distances in one pass
_WIDE = 64
TSNE_PERPLEXITY = 30.0
UMAP_NEIGHBORS = 15
RF_TREES = 30


def _code_version() -> str:
    """What cached results depend on besides their inputs: this module's code and the versions
    of the libraries that compute them. A version number raised by hand was forgotten three
    times (the MLP's start, 1-NN's ties): a report read Table 1 as computed before."""
    from importlib import metadata
    from pathlib import Path

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for dist in ("numpy", "scipy", "scikit-learn", "umap-learn", "pynndescent"):
        try:
            digest.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=none;".encode())
    return digest.hexdigest()[:16]


#: Part of every cached result's key (baseline maps, Table-1 cells, gene correlations): results
#: stored by another version of this code or of its libraries are computed again.
CODE_VERSION = _code_version()


# ============================================================================= helpers
def _expression_of(values: Any) -> Any:
    """The matrix of an ExpressionSet (its ``values``), anything else as given."""
    if hasattr(values, "gene_ids") and hasattr(values, "values"):
        return values.values
    return values


def _as_matrix(values: Any, name: str = "values") -> np.ndarray:
    try:
        arr = np.asarray(_expression_of(values), dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a numeric array: {exc}") from None
    if arr.ndim != 2:
        raise DataError(
            f"{name} must be a 2-D (n_samples, n_features) array, got shape {arr.shape}"
        )
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise DataError(f"{name} has shape {arr.shape}: need at least 2 rows and 1 column")
    _reject_infinite(arr, name)
    return arr


def _as_float64(values: Any, name: str) -> np.ndarray:
    """``values`` as a float64 array without +-inf (NaN allowed); DataError for text."""
    try:
        arr = np.asarray(_expression_of(values), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        # (a table with a text column raised numpy's "could not convert string to float")
        raise DataError(f"{name} must be a numeric array: {exc}") from None
    _reject_infinite(arr, name)
    return arr


def _column_indices(indices: Any, n_columns: int, name: str = "gene_indices") -> np.ndarray:
    """Column indices as int64: integers, or a boolean mask of one entry per column.

    A mask was read as the indices 0 and 1, fractional indices were truncated and symbols
    raised numpy's "invalid literal for int()"."""
    arr = np.asarray(indices)
    if arr.dtype == bool:
        if arr.ndim != 1 or arr.size != n_columns:
            raise CoreError(
                f"{name} is a boolean mask of shape {arr.shape}: a mask needs one entry per "
                f"gene ({n_columns})"
            )
        return np.flatnonzero(arr)
    arr = arr.ravel()
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        try:
            as_float = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise CoreError(
                f"{name} must be column indices (integers), got {arr.tolist()[0]!r}: find "
                "the columns of gene symbols with match_genes"
            ) from None
        bad = ~np.isfinite(as_float) | (as_float != np.round(as_float))
        if bad.any():
            raise CoreError(
                f"{name} must be whole column indices, got {arr.tolist()[np.flatnonzero(bad)[0]]!r}"
            )
        arr = as_float
    return arr.astype(np.int64)


def _reject_infinite(arr: np.ndarray, name: str) -> None:
    """DataError when ``arr`` holds +-inf (NaN is allowed: missing). Two reductions that skip
    NaN, without a temporary of the array's size."""
    if not arr.size:
        return
    if np.isinf(np.fmin.reduce(arr, axis=None)) or np.isinf(np.fmax.reduce(arr, axis=None)):
        rows = np.flatnonzero(np.isinf(arr).any(axis=tuple(range(1, arr.ndim))))
        raise DataError(
            f"{name} holds infinite values (in {rows.size} rows, e.g. row {rows[0]}): "
            "use NaN for missing values"
        )


def _reject_nan(arr: np.ndarray, name: str) -> None:
    """DataError when ``arr`` (coordinates that cannot be imputed) holds NaN."""
    rows = np.flatnonzero(np.isnan(arr).any(axis=1))
    if rows.size:
        raise DataError(
            f"{name} has NaN in {rows.size} of its {arr.shape[0]} rows (e.g. row {rows[0]}): "
            "coordinates must be finite"
        )


def impute_gene_mean(values: np.ndarray) -> np.ndarray:
    """Replace NaN by the mean of the gene (column); genes without any value become 0.

    Parameters
    ----------
    values : (n_samples, n_genes) array

    Returns
    -------
    (n_samples, n_genes) float32 array without NaN (a copy when there was any NaN).
    """
    arr = _as_matrix(values)
    mask = np.isnan(arr)
    if not mask.any():
        return arr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(arr, axis=0)
    means = np.where(np.isnan(means), 0.0, means).astype(np.float32)
    out = arr.copy()
    rows, cols = np.nonzero(mask)
    out[rows, cols] = means[cols]
    return out


def _knn_excluding_self(
    points: np.ndarray, k: int, max_float64_bytes: int = _FLOAT64_KNN_BYTES
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours of every row among the other rows (Euclidean).

    Up to 10 columns: KD-tree. Above, exact brute force in blocks of rows: in float64 while a
    float64 copy of ``points`` stays under ``max_float64_bytes``, otherwise from float32
    products of column-centred blocks of columns summed in float64 (:func:`_sq_distance_blocks`,
    no full-size copy; for a wide expression matrix). BLAS uses the threads it is allowed.

    Returns indices (n, k) int64 and distances (n, k) float32, nearest first.
    """
    points = np.asarray(points)
    n = points.shape[0]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise CoreError(f"k (neighbours) must be an integer, got {k!r}")
    if not 1 <= k < n:
        raise CoreError(f"k={k} neighbours needs 1 <= k < n_points={n}")
    idx = np.empty((n, k + 1), dtype=np.int64)
    dist = np.empty((n, k + 1), dtype=np.float64)
    if points.shape[1] <= 10:
        dist, idx = cKDTree(np.asarray(points, dtype=np.float64)).query(points, k=k + 1)
        dist, idx = np.atleast_2d(dist), np.atleast_2d(idx)
    elif points.size * 8 > max_float64_bytes:
        for start, stop, d2 in _sq_distance_blocks(points):
            idx[start:stop], dist[start:stop] = _nearest_in_block(d2, k + 1)
    else:
        points = np.asarray(points, dtype=np.float64)
        sq = np.einsum("ij,ij->i", points, points)
        for start in range(0, n, 1024):
            block = points[start : start + 1024]
            d2 = sq[start : start + 1024, None] - 2.0 * block @ points.T + sq[None, :]
            idx[start : start + 1024], dist[start : start + 1024] = _nearest_in_block(d2, k + 1)
    return _drop_self(idx, dist, k)


def _nearest_in_block(d2: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k smallest squared distances of each row, nearest first: (indices, distances)."""
    part = np.argpartition(d2, k - 1, axis=1)[:, :k]
    pd2 = np.take_along_axis(d2, part, axis=1)
    order = np.argsort(pd2, axis=1, kind="stable")
    return (
        np.take_along_axis(part, order, axis=1),
        np.sqrt(np.maximum(np.take_along_axis(pd2, order, axis=1), 0.0)),
    )


def _sq_distance_blocks(
    points: np.ndarray,
    columns: np.ndarray | None = None,
    block_bytes: int = 256 * 2**20,
    chunk: int = 2048,
) -> Iterable[tuple[int, int, np.ndarray]]:
    """Squared Euclidean distances of every row to the rows ``columns``, by blocks of rows.

    Yields ``(start, stop, d2)`` with ``d2`` (stop - start, len(columns)) float64, for
    consecutive row blocks of about ``block_bytes``. Products are taken in float32 on
    column-centred slices of ``chunk`` columns and summed in float64: centring keeps the
    float32 rounding small against the distances (expression values share a large mean part),
    and no copy of the whole matrix is made (a 17,382 x 56,200 GTEx matrix is 3.9 GB in
    float32). ``columns`` default: every row.
    """
    n, d = points.shape
    cols = np.arange(n) if columns is None else np.asarray(columns, dtype=np.int64)
    means = np.empty(d, dtype=np.float32)
    sq = np.zeros(n, dtype=np.float64)
    for c0 in range(0, d, chunk):
        # a copy, always: asarray of float64 columns is a view, and centring it in place
        # altered the caller's matrix and then centred it twice (wrong distances)
        part = np.array(points[:, c0 : c0 + chunk], dtype=np.float64)
        means[c0 : c0 + chunk] = part.mean(axis=0)
        part -= means[c0 : c0 + chunk]
        sq += np.einsum("ij,ij->i", part, part)
    rows = int(max(64, min(n, block_bytes // (8 * max(len(cols), 1)))))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        acc = np.zeros((stop - start, len(cols)), dtype=np.float64)
        for c0 in range(0, d, chunk):
            m = means[c0 : c0 + chunk]
            left = np.asarray(points[start:stop, c0 : c0 + chunk], dtype=np.float32) - m
            right = points[:, c0 : c0 + chunk] if columns is None else points[cols, c0 : c0 + chunk]
            right = np.asarray(right, dtype=np.float32) - m
            acc += left @ right.T
        acc *= -2.0
        acc += sq[start:stop, None]
        acc += sq[cols][None, :]
        yield start, stop, acc


def _drop_self(idx: np.ndarray, dist: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index from a (n, k+1) neighbour list (or its last entry)."""
    n = idx.shape[0]
    is_self = idx == np.arange(n)[:, None]
    # rows where self is missing (duplicates at distance 0): drop the last column instead
    missing = ~is_self.any(axis=1)
    is_self[missing, -1] = True
    # keep only the first True per row
    first = np.argmax(is_self, axis=1)
    keep = np.ones_like(is_self)
    keep[np.arange(n), first] = False
    return (
        idx[keep].reshape(n, k).astype(np.int64),
        dist[keep].reshape(n, k).astype(np.float32),
    )


def _label_name(value: Any) -> str:
    """One class name per label: 1, 1.0 and "1" are one class (labels read from mixed files);
    surrounding spaces are not part of the name."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        as_float = float(value)
        if as_float.is_integer():
            return str(int(as_float))
    return str(value).strip()


def _sample_ids_of(embedding: Any) -> np.ndarray | None:
    """The sample ids of an embedding given as a DataFrame indexed by sample id: an index of
    text. None for an array, or a DataFrame indexed by numbers (its row positions, also after
    a filter kept rows 1, 3, 5...: labels are then used in order, as for an array)."""
    if isinstance(embedding, pd.DataFrame) and not pd.api.types.is_numeric_dtype(
        embedding.index.dtype
    ):
        return np.asarray(embedding.index).astype(str)
    return None


def _aligned_labels(labels: Any, n: int, sample_ids: Any) -> Any:
    """``labels`` (a Series indexed by sample id) in the order of ``sample_ids``.

    Ids without a label entry become unlabelled, with a warning; labels of samples that are not
    in ``sample_ids`` are ignored. Without ``sample_ids`` the labels are used in the order given.
    """
    if sample_ids is None:
        return labels
    ids = np.asarray(sample_ids).astype(str)
    if ids.ndim != 1 or len(ids) != n:
        raise DataError(f"sample_ids has {ids.size} ids but the embedding has {n} samples")
    if isinstance(labels, pd.DataFrame) and labels.shape[1] == 1:
        labels = labels.iloc[:, 0]
    if not isinstance(labels, pd.Series):
        raise CoreError(
            "sample_ids aligns labels given as a pandas Series indexed by sample id, e.g. "
            f"samples['SMTS']; got {type(labels).__name__}, which has no ids (leave sample_ids "
            "out to use the labels in the embedding's order)"
        )
    index = pd.Index(np.asarray(labels.index).astype(str))
    if index.has_duplicates:
        repeated = index[index.duplicated()].unique()
        raise DataError(
            f"labels' index repeats sample id(s) {first_names(repeated)}: one label per sample"
        )
    known = np.isin(ids, index)
    if not known.any():
        raise DataError(
            f"no sample id of the embedding (e.g. {first_names(ids, 2)}) is in the labels' "
            f"index (e.g. {first_names(index, 2)}): are the labels indexed by sample id?"
        )
    if not known.all():
        warnings.warn(
            f"{int((~known).sum()):,} of {n:,} samples have no label entry "
            f"({first_names(ids[~known])}): they are unlabelled",
            stacklevel=3,
        )
    return pd.Series(labels.to_numpy(dtype=object), index=index).reindex(ids).to_numpy(object)


#: What ``str()`` makes of NaN, None and ``pd.NA``: labels turned to text lose their missing
#: values to these words, which no tissue is called.
_MISSING_AS_TEXT = ("nan", "None", "<NA>")


def label_codes(labels: Any, n: int, sample_ids: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of labels (-1 for missing) and the class names; labels given as a Series
    are put in the order of ``sample_ids`` when they are given (:func:`_aligned_labels`)."""
    arr = np.asarray(_aligned_labels(labels, n, sample_ids), dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:  # one column of a table
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"labels must be one label per sample (n_samples,), got shape {arr.shape}")
    series = pd.Series(arr)
    if len(series) != n:
        raise DataError(f"labels has {len(series)} entries but the embedding has {n} samples")
    text = series.astype(str).str.strip()
    # blank, or a missing value turned to text (``astype(str)`` writes NaN as "nan")
    missing = series.isna() | (text == "") | text.isin(_MISSING_AS_TEXT)
    codes = np.full(n, -1, dtype=np.int64)
    if (~missing).any():
        c, classes = pd.factorize(series[~missing].map(_label_name), sort=True)
        codes[~missing.to_numpy()] = c
    else:
        classes = pd.Index([])
    return codes, np.asarray(classes, dtype=str)


def label_classes(labels: Any) -> np.ndarray:
    """The classes of ``labels`` as the classifiers here count them: blanks and NaN missing,
    ``1`` and ``"1"`` one class (sorted, as text)."""
    labels = np.asarray(labels, dtype=object)
    return label_codes(labels, len(labels))[1]


def _check_two_classes(classes: np.ndarray) -> None:
    """DataError for labels of fewer than two classes: every split would score 1.0 (one
    class) or there would be no split at all (no label)."""
    if not len(classes):
        raise DataError(
            "labels have no class: every label is missing (NaN, None or empty), nothing to classify"
        )
    if len(classes) < 2:
        raise DataError(
            f"labels have 1 class ({classes[0]}): nothing to classify (every classifier would "
            "score 1.0)"
        )


def _check_mapping(embeddings: Any, function: str, what: str = "sample") -> None:
    """Refuse anything but a mapping of name -> embedding, naming the fix (a bare array raised
    "The truth value of an array ... is ambiguous")."""
    if not isinstance(embeddings, Mapping):
        raise CoreError(
            f"{function} takes a dict of name -> (n_{what}s, dim) array, e.g. "
            f"{{'FE': model.{what}_embedding_}}, got {type(embeddings).__name__}"
        )


# ============================================================================= Figure 2
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
        (15 neighbours). On a matrix of more than 64 genes, t-SNE and UMAP share one exact
        search of the samples' neighbours (multi-threaded BLAS, float32 products of centred
        blocks of genes, no copy of the matrix): on all GTEx genes that search is most of
        their cost. From 5,000 samples the maps use every thread allowed (threadpoolctl),
        below that one; t-SNE's layout then depends on the thread count at float rounding.
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
        if "umap" in methods:
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


def _umap(arr: np.ndarray, seed: int, neighbours: _SharedNeighbours | None) -> np.ndarray:
    """UMAP (15 neighbours), on the shared exact neighbours if given (its own search is
    approximate from 4,096 samples)."""
    import umap

    n = arr.shape[0]
    k = min(UMAP_NEIGHBORS, n - 1)
    if neighbours is None:
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
    if neighbours is not None and method in ("tsne", "umap"):
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


# ============================================================================= Table 1
class Accuracy(NamedTuple):
    """Mean and standard deviation of held-out accuracy over random splits."""

    mean: float
    sd: float


def _splits(
    n_labelled: int, fraction: float, n_splits: int, seed: int
) -> tuple[int, list[np.ndarray]]:
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        # a text field's "0.02" failed in a comparison of float and str
        raise CoreError(f"fraction must be a number in (0, 1), got {fraction!r}")
    if not 0.0 < fraction < 1.0:
        raise CoreError(f"fraction must be in (0, 1), got {fraction}")
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 1:
        raise CoreError(f"n_splits must be an integer >= 1, got {n_splits!r}")
    if n_splits > MAX_SPLITS:
        raise CoreError(f"n_splits must be at most {MAX_SPLITS:,}, got {n_splits:,}")
    n_train = int(round(fraction * n_labelled))
    if n_train < 1 or n_train >= n_labelled:
        raise DataError(
            f"a training fraction of {fraction:g} of {n_labelled} labelled samples leaves "
            f"{n_train} to train on: "
            "need at least 1 for training and 1 for testing"
        )
    rng = np.random.default_rng(seed)
    return n_train, [rng.permutation(n_labelled) for _ in range(n_splits)]


def _nn1_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray) -> np.ndarray:
    """1-nearest-neighbour prediction: KD-tree in low dimension, blocked brute force above."""
    if train_x.shape[1] <= 10:
        tree = cKDTree(train_x)
        if train_x.shape[0] < 2:
            return train_y[tree.query(test_x, k=1)[1]]
        dist, idx = tree.query(test_x, k=2)
        nearest = idx[:, 0].copy()
        # exact ties (duplicated training points of different classes) go to the first training
        # sample, as on the brute-force path, so that both paths agree
        for row in np.flatnonzero(dist[:, 0] == dist[:, 1]):
            tied = tree.query_ball_point(test_x[row], r=dist[row, 0])
            nearest[row] = min(tied) if tied else nearest[row]
        return train_y[nearest]
    # centred on the training mean: float32 products of uncentred log-expression lose the
    # small differences between samples to their large shared part
    mean = train_x.mean(axis=0, dtype=np.float64).astype(train_x.dtype)
    train_x = train_x - mean
    train_sq = np.einsum("ij,ij->i", train_x, train_x)
    pred = np.empty(test_x.shape[0], dtype=train_y.dtype)
    for start in range(0, test_x.shape[0], 4096):
        block = test_x[start : start + 4096] - mean
        d2 = train_sq[None, :] - 2.0 * block @ train_x.T
        pred[start : start + 4096] = train_y[np.argmin(d2, axis=1)]
    return pred


def _make_classifier(name: str, seed: int) -> Any:
    """A small, single-threaded scikit-learn classifier of Table 1 (not 1-NN nor MLP)."""
    if name == "Decision Tree":
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier(random_state=seed)
    if name == "Gaussian NB":
        from sklearn.naive_bayes import GaussianNB

        return GaussianNB()
    if name == "Random Forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=RF_TREES, n_jobs=1, random_state=seed)
    if name == "AdaBoost":
        from sklearn.ensemble import AdaBoostClassifier

        return AdaBoostClassifier(n_estimators=50, random_state=seed)
    raise CoreError(f"unknown classifier {name!r}; choose from {list(CLASSIFIERS)}")


def _mlp_scores(
    x: np.ndarray,
    codes: np.ndarray,
    n_train: int,
    splits: list[np.ndarray],
    seed: int,
    hidden: int = 100,
    steps: int = 300,
    lr: float = 3e-3,
    alpha: float = 1e-4,
    group: int = 25,
) -> np.ndarray:
    """Held-out accuracy of a one-hidden-layer MLP on each split, all splits trained at once.

    The network of scikit-learn's ``MLPClassifier`` defaults (100 ReLU units, softmax, L2
    ``alpha`` = 1e-4, Glorot-uniform initialisation, Adam), on coordinates standardised with the
    training samples' mean and sd, trained full-batch for ``steps`` Adam steps. ``group`` splits
    share one batched numpy computation, which is ~7x faster than one scikit-learn fit per split
    at equal accuracy (GTEx acmg59, 2% labels: 0.32 on PCA, 0.90 on the raw data for both).
    Fewer splits share a batch when the input is wide, to bound memory.
    """
    n_classes = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    x = x.astype(np.float32)
    d = x.shape[1]
    bound1 = np.sqrt(6.0 / (d + hidden))
    bound2 = np.sqrt(6.0 / (hidden + n_classes))  # sklearn's factor 6 for ReLU networks
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    # bound the batch to ~50M floats per array (wide raw matrices train a few splits at a time)
    group = max(1, min(group, int(5e7 // (d * (n_train + 3 * hidden)))))
    scores = np.empty(len(splits))
    for g0 in range(0, len(splits), group):
        perms = np.stack(splits[g0 : g0 + group])
        n_group = perms.shape[0]
        train = perms[:, :n_train]
        xtr = x[train]  # (S, n_train, d)
        mu = xtr.mean(axis=1, keepdims=True)
        sd = xtr.std(axis=1, keepdims=True) + 1e-6
        xtr = (xtr - mu) / sd
        onehot = np.zeros((n_group, n_train, n_classes), dtype=np.float32)
        np.put_along_axis(onehot, codes[train][..., None], 1.0, axis=2)
        params = [
            rng.uniform(-bound1, bound1, (n_group, d, hidden)),
            rng.uniform(-bound1, bound1, (n_group, 1, hidden)),
            rng.uniform(-bound2, bound2, (n_group, hidden, n_classes)),
            rng.uniform(-bound2, bound2, (n_group, 1, n_classes)),
        ]
        params = [p.astype(np.float32) for p in params]
        m1 = [np.zeros_like(p) for p in params]
        m2 = [np.zeros_like(p) for p in params]
        xtr_t = xtr.transpose(0, 2, 1)
        for t in range(1, steps + 1):
            w1, b1, w2, b2 = params
            h = np.maximum(xtr @ w1 + b1, 0.0)
            logits = h @ w2 + b2
            logits -= logits.max(axis=2, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=2, keepdims=True)
            g_out = (prob - onehot) / n_train
            g_hidden = (g_out @ w2.transpose(0, 2, 1)) * (h > 0)
            grads = (
                xtr_t @ g_hidden + alpha * w1 / n_train,
                g_hidden.sum(axis=1, keepdims=True),
                h.transpose(0, 2, 1) @ g_out + alpha * w2 / n_train,
                g_out.sum(axis=1, keepdims=True),
            )
            c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
            for i, g in enumerate(grads):
                m1[i] = beta1 * m1[i] + (1.0 - beta1) * g
                m2[i] = beta2 * m2[i] + (1.0 - beta2) * g * g
                params[i] -= lr * (m1[i] / c1) / (np.sqrt(m2[i] / c2) + eps)
        w1, b1, w2, b2 = params
        for s in range(n_group):
            test = perms[s, n_train:]
            xte = (x[test] - mu[s]) / sd[s]
            pred = np.argmax(np.maximum(xte @ w1[s] + b1[s], 0.0) @ w2[s] + b2[s], axis=1)
            scores[g0 + s] = float(np.mean(pred == codes[test]))
    return scores


def _split_scores(
    x: np.ndarray,
    codes: np.ndarray,
    classifier: str,
    n_train: int,
    splits: list[np.ndarray],
    seed: int,
) -> np.ndarray:
    """Held-out accuracy of ``classifier`` on each split; x and codes are labelled rows only."""
    from threadpoolctl import threadpool_limits

    if classifier == "1-NN" and _shared_distances_pay(x, n_train, splits):
        return _nn1_scores_shared(x, codes, n_train, splits)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if classifier == "MLP":
            return _mlp_scores(x, codes, n_train, splits, seed)
        scores = np.empty(len(splits), dtype=np.float64)
        for s, perm in enumerate(splits):
            train, test = perm[:n_train], perm[n_train:]
            if classifier == "1-NN":
                pred = _nn1_predict(x[train], codes[train], x[test])
            elif np.unique(codes[train]).size < 2:
                # one class in the training set: every model predicts it
                pred = np.full(test.size, codes[train][0])
            else:
                model = _make_classifier(classifier, seed + s)
                model.fit(x[train], codes[train])
                pred = model.predict(x[test])
            scores[s] = float(np.mean(pred == codes[test]))
    return scores


def _shared_distances_pay(x: np.ndarray, n_train: int, splits: list[np.ndarray]) -> bool:
    """Whether 1-NN over the splits costs less from one distance matrix than split by split.

    Only for wide matrices (the raw expression data): every labelled sample against the union
    of the training sets once, instead of each split's test set against its training set.
    """
    if x.shape[1] <= _WIDE or len(splits) < 2:
        return False
    union = np.unique(np.concatenate([perm[:n_train] for perm in splits])).size
    return x.shape[0] * union < len(splits) * (x.shape[0] - n_train) * n_train


def _nn1_scores_shared(
    x: np.ndarray, codes: np.ndarray, n_train: int, splits: list[np.ndarray]
) -> np.ndarray:
    """1-NN accuracy of every split from one pass of distances to the training samples.

    Distances from every labelled sample to every sample that trains in some split, by
    blocks of rows (:func:`_sq_distance_blocks`, BLAS threads allowed); each split then takes,
    for its test samples, the nearest of its own training samples. Same predictions as
    :func:`_nn1_predict` split by split, for a fraction of the cost on wide matrices when the
    splits share training samples.
    """
    trains = [perm[:n_train] for perm in splits]
    union = np.unique(np.concatenate(trains))
    where = np.full(x.shape[0], -1, dtype=np.int64)
    where[union] = np.arange(union.size)
    cols = [where[t] for t in trains]
    is_test = np.ones((len(splits), x.shape[0]), dtype=bool)
    for s, t in enumerate(trains):
        is_test[s, t] = False
    correct = np.zeros(len(splits), dtype=np.int64)
    for start, stop, d2 in _sq_distance_blocks(x, union):
        for s, (t, c) in enumerate(zip(trains, cols, strict=True)):
            pred = codes[t][np.argmin(d2[:, c], axis=1)]
            hit = (pred == codes[start:stop]) & is_test[s, start:stop]
            correct[s] += int(hit.sum())
    return correct / float(x.shape[0] - n_train)


def one_nn_accuracy(
    embedding: np.ndarray,
    labels: Any,
    fraction: float = 0.02,
    n_splits: int = 100,
    seed: int = 0,
    sample_ids: Any = None,
) -> Accuracy:
    """Accuracy of 1-NN trained on a random ``fraction`` of labelled samples, tested on the rest.

    Parameters
    ----------
    embedding : (n_samples, d) array
        Sample coordinates (a 2-D map or the raw matrix; NaN imputed by the column mean).
    labels : (n_samples,) array-like
        Class of each sample; NaN/None/empty = unlabelled, excluded from training and testing.
        Used in the embedding's row order, unless ``sample_ids`` is given.
    fraction
        Share of the labelled samples used for training in each split.
    n_splits
        Number of random splits (seeded by ``seed``).
    sample_ids : (n_samples,) array-like, optional
        The id of each row of ``embedding`` (e.g. ``model.sample_ids_``): ``labels``, a pandas
        Series indexed by sample id, is then read by id, whatever its order; ids it lacks are
        unlabelled (with a warning). An embedding given as a DataFrame indexed by sample ids
        (text) gives its ids itself; one indexed by numbers is read in order.

    Returns
    -------
    Accuracy
        ``(mean, sd)`` of the held-out accuracy over the splits.
    """
    if sample_ids is None and isinstance(labels, pd.Series):
        sample_ids = _sample_ids_of(embedding)
    x = impute_gene_mean(_as_matrix(embedding, "embedding"))
    codes, classes = label_codes(labels, x.shape[0], sample_ids)
    _check_two_classes(classes)
    labelled = codes >= 0
    n_train, splits = _splits(int(labelled.sum()), fraction, n_splits, seed)
    scores = _split_scores(x[labelled], codes[labelled], "1-NN", n_train, splits, seed)
    return Accuracy(float(scores.mean()), float(scores.std(ddof=1)) if n_splits > 1 else 0.0)


def semi_supervised_table(
    embeddings: Mapping[str, np.ndarray],
    labels: Any,
    fraction: float = 0.02,
    n_splits: int = 100,
    classifiers: Sequence[str] = CLASSIFIERS,
    seed: int = 0,
    progress: Callable[[str, str], None] | None = None,
    cache: ResultCache | None = None,
    sample_ids: Any = None,
) -> pd.DataFrame:
    """Table 1: tissue classification from a few labels, for every embedding and classifier.

    Each split draws ``fraction`` of the labelled samples at random (the same splits for every
    embedding and classifier), trains on their coordinates and scores accuracy on the other
    labelled samples. 1-NN uses a KD-tree (brute force above 10 dimensions); the random forest
    has 30 trees; AdaBoost 50 stumps; the MLP (one hidden layer of 100, see :func:`_mlp_scores`)
    sees standardised coordinates and trains all splits at once; all are single-threaded, except
    1-NN on a wide matrix (the raw data), which takes the distances of all splits in one
    multi-threaded pass when that costs less than split by split.

    Parameters
    ----------
    embeddings
        name -> (n_samples, d) array, rows in the same sample order as ``labels``.
    labels : (n_samples,) array-like
        NaN/None/empty = unlabelled: excluded. Used in the embeddings' row order, unless
        ``sample_ids`` is given.
    fraction, n_splits, seed
        Training share, number of random splits, seed of the splits and classifiers.
    classifiers
        Subset of :data:`CLASSIFIERS`.
    progress
        Called with ``(embedding name, classifier)`` before each cell is computed.
    cache
        Store of per-cell split scores (keyed by the embedding's values, the labels and the
        protocol), so that re-running with one more embedding only computes the new cells.
    sample_ids : (n_samples,) array-like, optional
        The id of each row of the embeddings (e.g. ``model.sample_ids_``): ``labels``, a pandas
        Series indexed by sample id, is then read by id (see :func:`one_nn_accuracy`).

    Returns
    -------
    pandas.DataFrame
        Index: classifier; columns: MultiIndex ``(embedding name, "mean" | "sd")``.
        ``attrs`` holds ``fraction``, ``n_splits``, ``n_train``, ``n_test``, ``n_classes``,
        ``ceiling`` (the mean share of a split's test samples whose class has a training sample
        in that split: the highest accuracy any classifier can reach), ``splits_short`` (the
        number of splits that leave a class without a training sample),
        ``fraction_all_classes`` (see :func:`fraction_for_all_classes`), ``seed``,
        ``runtime_s``, ``cell_runtime_s`` (name -> classifier -> seconds) and
        ``split_scores`` (name -> classifier -> the accuracy of every split, in split order;
        see :func:`paired_differences`).
    """
    _check_mapping(embeddings, "semi_supervised_table")
    if not embeddings:
        raise CoreError("semi_supervised_table needs at least one embedding")
    if isinstance(classifiers, str):
        classifiers = (classifiers,)
    if not classifiers:
        raise CoreError(f"semi_supervised_table needs at least one classifier of {CLASSIFIERS}")
    unknown = [c for c in classifiers if c not in CLASSIFIERS]
    if unknown:
        raise CoreError(f"unknown classifier(s) {unknown}; choose from {list(CLASSIFIERS)}")
    matrices = {
        name: impute_gene_mean(_as_matrix(e, f"embedding {name!r}"))
        for name, e in embeddings.items()
    }
    n = {m.shape[0] for m in matrices.values()}
    if len(n) != 1:
        raise DataError(f"embeddings have different numbers of samples: {sorted(n)}")
    framed = {name: _sample_ids_of(e) for name, e in embeddings.items()}
    framed = {name: ids for name, ids in framed.items() if ids is not None}
    orders = {tuple(ids) for ids in framed.values()}
    if len(orders) > 1:
        raise DataError(
            f"embeddings {', '.join(map(repr, framed))} list their samples in different orders: "
            "give them in one order (e.g. .loc[model.sample_ids_])"
        )
    if sample_ids is None and isinstance(labels, pd.Series) and framed:
        sample_ids = next(iter(framed.values()))
    codes, classes = label_codes(labels, n.pop(), sample_ids)
    _check_two_classes(classes)
    labelled = codes >= 0
    n_train, splits = _splits(int(labelled.sum()), fraction, n_splits, seed)
    y = codes[labelled]
    t_start = time.perf_counter()
    rows: dict[tuple[str, str], list[float]] = {}
    cell_time: dict[str, dict[str, float]] = {}
    split_scores: dict[str, dict[str, list[float]]] = {}
    for name, mat in matrices.items():
        x = mat[labelled]
        cell_time[name] = {}
        for clf in classifiers:
            if progress is not None:
                progress(name, clf)
            t0 = time.perf_counter()
            if cache is None:
                scores = _split_scores(x, y, clf, n_train, splits, seed)
            else:
                ckey = cache.key("table1", CODE_VERSION, x, y, fraction, n_splits, clf, seed)
                scores = cache.get_or_compute(
                    ckey, lambda x=x, clf=clf: _split_scores(x, y, clf, n_train, splits, seed)
                )
            cell_time[name][clf] = time.perf_counter() - t0
            split_scores.setdefault(name, {})[clf] = [float(v) for v in scores]
            sd = float(scores.std(ddof=1)) if n_splits > 1 else 0.0
            rows.setdefault((name, "mean"), []).append(float(scores.mean()))
            rows.setdefault((name, "sd"), []).append(sd)
            log.debug("%s / %s: %.3f +- %.3f", name, clf, scores.mean(), sd)
    table = pd.DataFrame(rows, index=pd.Index(list(classifiers), name="classifier"))
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["embedding", "stat"])
    # the share of a split's test samples whose class is among its training labels: the most
    # any classifier can get right (below 1 when few labels leave classes out)
    ceiling = float(np.mean([np.isin(y[p[n_train:]], y[p[:n_train]]).mean() for p in splits]))
    n_present = len(np.unique(y))
    splits_short = sum(len(np.unique(y[p[:n_train]])) < n_present for p in splits)
    table.attrs.update(
        ceiling=ceiling,
        splits_short=int(splits_short),
        fraction_all_classes=fraction_for_all_classes(np.bincount(y), fraction),
        fraction=fraction,
        n_splits=n_splits,
        n_train=n_train,
        n_test=int(labelled.sum()) - n_train,
        n_classes=len(classes),
        seed=seed,
        runtime_s=time.perf_counter() - t_start,
        cell_runtime_s=cell_time,
        split_scores=split_scores,
    )
    return table


def _class_counts(class_counts: Any) -> np.ndarray:
    """The positive entries of ``class_counts`` (samples per class) as floats; CoreError for
    negative, fractional or no counts."""
    counts = np.asarray(class_counts, dtype=float).ravel()
    if not counts.size or not np.isfinite(counts).all():
        raise CoreError(f"class_counts must be finite counts of samples per class, got {counts}")
    if (counts < 0).any() or (counts != np.round(counts)).any():
        raise CoreError("class_counts must be whole numbers >= 0 (samples per class)")
    return counts[counts > 0]


def expected_missing_classes(class_counts: np.ndarray, n_train: int) -> float:
    """Expected number of classes without a training sample when ``n_train`` of the samples
    are drawn at random without replacement; ``class_counts`` (n_classes,) samples per class.

    A class of n_c of the N samples is left out with the hypergeometric probability
    C(N - n_c, n_train) / C(N, n_train).
    """
    counts = _class_counts(class_counts)
    total = counts.sum()
    if n_train > total:
        raise CoreError(f"n_train={n_train} is more than the {int(total)} samples of class_counts")
    if n_train <= 0:
        return float(len(counts))
    rest = total - counts
    ok = rest >= n_train  # otherwise the class cannot be left out
    log_p = (
        gammaln(rest[ok] + 1)
        - gammaln(rest[ok] - n_train + 1)
        - gammaln(total + 1)
        + gammaln(total - n_train + 1)
    )
    return float(np.exp(log_p).sum())


def fraction_for_all_classes(
    class_counts: np.ndarray, fraction: float, target: float = 0.5, most: float = 0.5
) -> float | None:
    """The smallest training fraction above ``fraction`` (in steps of 0.01, at most ``most``)
    whose random splits leave fewer than ``target`` classes without a training sample on
    average (:func:`expected_missing_classes`); None when none up to ``most`` does."""
    counts = _class_counts(class_counts)
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        raise CoreError(f"fraction must be a number in (0, 1), got {fraction!r}")
    if not 0.0 < fraction < 1.0:
        raise CoreError(f"fraction must be in (0, 1), got {fraction}")
    total = int(counts.sum())
    start = int(np.floor(round(fraction * 100, 6))) + 1
    for percent in range(start, int(round(most * 100)) + 1):
        n_train = int(round(percent / 100 * total))
        if expected_missing_classes(counts, n_train) < target:
            return percent / 100
    return None


def _check_table1(table: Any, function: str) -> None:
    """CoreError unless ``table`` has Table 1's columns ``(embedding, "mean" | "sd")``."""
    columns = getattr(table, "columns", None)
    if not isinstance(columns, pd.MultiIndex) or not {"mean", "sd"} <= set(
        columns.get_level_values(-1)
    ):
        raise CoreError(
            f"{function} takes a semi_supervised_table result (columns (embedding, "
            f"'mean' | 'sd')), got {type(table).__name__}"
            + (f" with columns {first_names(columns, 4)}" if columns is not None else "")
        )


def paired_differences(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Accuracy of ``reference`` minus every other embedding's, split by split (same splits).

    Each split trains every map's classifier on the same labelled samples, so the difference
    between two maps is far less noisy split by split than their separate means ± sd suggest.

    Parameters
    ----------
    table
        A :func:`semi_supervised_table` result (its ``attrs["split_scores"]``).
    reference
        The embedding compared with the others (e.g. ``"fe"``).

    Returns
    -------
    pandas.DataFrame
        Index ``(classifier, embedding)`` for every other embedding; columns ``difference``
        (mean of reference minus other over the splits), ``sd`` (of the per-split differences),
        ``se`` (``sd / sqrt(n_splits)``: how precisely the splits pin the mean down; it does
        not cover sampling of the dataset itself), ``ci_low`` / ``ci_high`` (95% interval,
        mean ± t se with t the 97.5% quantile of Student's t on ``n_splits - 1`` degrees of
        freedom: 1.98 for 100 splits, 2.78 for 5; NaN for a single split),
        ``share_ge`` (fraction of splits where the reference is at least as accurate),
        ``share_tie`` (fraction of all splits where both are equally accurate; counted in
        ``share_ge``) and
        ``n_splits``.
    """
    scores = table.attrs.get("split_scores")
    if not scores:
        raise CoreError("the table holds no per-split scores (made by semi_supervised_table)")
    if reference not in scores:
        raise CoreError(f"no embedding {reference!r} in the table; it has {sorted(scores)}")
    from scipy.stats import t as student_t

    rows = []
    for clf, ref in scores[reference].items():
        ref = np.asarray(ref, dtype=np.float64)
        for name, by_clf in scores.items():
            if name == reference or clf not in by_clf:
                continue
            diff = ref - np.asarray(by_clf[clf], dtype=np.float64)
            n = diff.size
            sd = float(diff.std(ddof=1)) if n > 1 else float("nan")
            se = sd / np.sqrt(n) if n > 1 else float("nan")
            half = float(student_t.ppf(0.975, n - 1)) * se if n > 1 else float("nan")
            mean = float(diff.mean())
            rows.append(
                {
                    "classifier": clf,
                    "embedding": name,
                    "difference": mean,
                    "sd": sd,
                    "se": se,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "share_ge": float(np.mean(diff >= 0)),
                    "share_tie": float(np.mean(diff == 0)),
                    "n_splits": n,
                }
            )
    if not rows:
        raise CoreError(f"the table has no embedding to compare with {reference!r}")
    return pd.DataFrame(rows).set_index(["classifier", "embedding"])


def format_table(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """Table 1 as strings ``"0.62 ± 0.02"``: index classifier, one column per embedding."""
    _check_table1(table, "format_table")
    names = list(dict.fromkeys(table.columns.get_level_values(0)))
    out = pd.DataFrame(index=table.index)
    runs = [np.size(v) for m in table.attrs.get("split_scores", {}).values() for v in m.values()]
    for name in names:
        mean, sd = table[(name, "mean")], table[(name, "sd")]
        if runs and max(runs) == 1:  # no spread to state (it read "0.70 ± 0.00")
            out[name] = [f"{m:.{digits}f} (1 split)" for m in mean]
            continue
        out[name] = [f"{m:.{digits}f} ± {s:.{digits}f}" for m, s in zip(mean, sd, strict=True)]
    return out


def format_paired(paired: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """:func:`paired_differences` as strings ``"-0.0025 [-0.0031, -0.0019], 22%"`` (mean
    difference, 95% interval over the splits, share of splits where the reference is at least as
    accurate, and ``(5% tied)``, the share of all splits that are ties, when some are): index
    classifier, one column per compared embedding (display names)."""
    out = pd.DataFrame(index=pd.Index(list(dict.fromkeys(paired.index.get_level_values(0)))))
    out.index.name = "classifier"

    def signed(x: float) -> str:
        text = f"{x:+.{digits}f}"
        # a difference that rounds to zero is 0, not -0.000 (nor +0.000)
        return text[1:] if float(text) == 0 else text

    for (clf, name), r in paired.iterrows():
        interval = (
            f"[{signed(r['ci_low'])}, {signed(r['ci_high'])}]"
            if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])
            else f"[no interval from {int(r['n_splits'])} split]"  # it read [+nan, +nan]
        )
        out.loc[clf, METHOD_NAMES.get(name, name)] = (
            f"{signed(r['difference'])} {interval}, "
            f"{r['share_ge']:.0%}"
            + (f" ({r['share_tie']:.0%} tied)" if r.get("share_tie", 0) > 0 else "")
        )
    return out.fillna("")


def paired_to_markdown(paired: pd.DataFrame, digits: int = 4) -> str:
    """Markdown of :func:`format_paired`."""
    return _markdown(format_paired(paired, digits))


def _markdown(fmt: pd.DataFrame) -> str:
    """A table of strings (index: classifier) as Markdown."""
    header = ["classifier", *[str(METHOD_NAMES.get(c, c)) for c in fmt.columns]]  # (0, 1...)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for clf, row in fmt.iterrows():
        lines.append("| " + " | ".join([str(clf), *map(str, row.tolist())]) + " |")
    return "\n".join(lines) + "\n"


def table_to_markdown(table: pd.DataFrame, digits: int = 2) -> str:
    """Markdown of :func:`format_table` (no extra dependency)."""
    return _markdown(format_table(table, digits))


# ============================================================================= Figure 3
def gene_smoothness(embedding: np.ndarray, values: np.ndarray, k: int = 15) -> np.ndarray:
    """How strongly each gene's expression is organised in sample space.

    ``score = 1 - mean((x_i - m_i)^2) / ((1 + 1/k) var(x))`` where ``m_i`` is the mean
    expression of sample i's k nearest neighbours in the embedding. 1: each sample's value is
    its neighbours' mean (perfectly smooth); 0 expected when values are shuffled over the map
    (the ``1 + 1/k`` term removes the noise of a k-sample mean; with missing values, ``k`` is
    each sample's number of neighbours that have a value, so a gene's missing values do not
    lower its score); negative: anti-organised.

    Parameters
    ----------
    embedding : (n_samples, d) array
        Sample coordinates.
    values : (n_samples, n_genes) array
        Expression (NaN = missing; ignored in both the sample and its neighbours).
    k
        Neighbours per sample.

    Returns
    -------
    (n_genes,) float64 array; NaN for genes with no variance.
    """
    emb = _as_matrix(embedding, "embedding")
    vals = _as_float64(values, "values")
    if vals.ndim == 1:
        vals = vals[:, None]
    if vals.ndim != 2:
        raise DataError(f"values must be a (n_samples, n_genes) array, got shape {vals.shape}")
    if vals.shape[0] != emb.shape[0]:
        raise DataError(f"values has {vals.shape[0]} samples but the embedding has {emb.shape[0]}")
    idx, _ = _knn_excluding_self(impute_gene_mean(emb), k)
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
    (:func:`gene_set_score`).

    Returns
    -------
    pandas.DataFrame
        Index: marker; columns ``n_genes``, ``genes`` (first symbols) and one smoothness
        column per embedding. Markers absent from the data have ``n_genes == 0`` and NaN scores.
    """
    _check_mapping(embeddings, "marker_smoothness")
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
        table[name] = gene_smoothness(emb, scores, k=k)
    return table


# ============================================================================= Figure 4
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
        (n_genes, gene_dim) arrays, rows in the same gene order; gene_dim may differ.

    Returns
    -------
    (n_genes, sum of gene_dims) float64 array with rows of unit length (shorter for a gene whose
    vector is 0 in some model).
    """
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
    distances : (n_genes, k) float32 (cosine: ``1 - cos``)
    """
    if metric not in GENE_METRICS:
        raise CoreError(f"metric must be one of {GENE_METRICS}, got {metric!r}")
    emb = _as_matrix(gene_embedding, "gene_embedding")
    _reject_nan(emb, "gene_embedding")
    if metric == "euclidean":
        return _knn_excluding_self(emb, k)
    idx, dist = _knn_excluding_self(unit_rows(emb), k)
    return idx, (dist.astype(np.float64) ** 2 / 2).astype(np.float32)


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
        return best_j, best_r, empty, empty
    kept_r, kept_key, _ = _prune_edges(kept_r, kept_key, n_edges)
    return best_j, best_r, kept_key[0] // n_genes, kept_key[0] % n_genes


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
    idx, r, edge_i, edge_j = _correlation_pass(z, k, n_edges, block_genes)
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
    idx, r, _, _ = _correlation_pass(z, k, 0)
    return idx, 1.0 - r


def coexpression_edges(values: np.ndarray, top_fraction: float = 0.01) -> sparse.csr_matrix:
    """Co-expression network: the ``top_fraction`` most positively correlated gene pairs.

    The paper's "our ts-coexp": Pearson correlation over the samples of the same data, and an
    edge for the top 1% of the ``n_genes (n_genes - 1) / 2`` unordered pairs.

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
    _, _, edge_i, edge_j = _correlation_pass(z, 0, _n_edges(z.shape[0], top_fraction))
    return _edge_matrix(edge_i, edge_j, z.shape[0])


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
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise CoreError(f"k (neighbours) must be an integer >= 1, got {k!r}")
    degree = np.asarray(sparse.csr_matrix(coexp).getnnz(axis=1), dtype=np.float64)
    return float(np.minimum(degree, k).mean() / k) if degree.size else float("nan")


def _share_term(go_matrix: sparse.spmatrix, pairs: np.ndarray) -> np.ndarray:
    """Whether each pair (rows of a (n_pairs, 2) array) shares a term of ``go_matrix``."""
    from core.annotations import share_term

    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return share_term(pairs[:, 0], pairs[:, 1], go_matrix)


def is_edge(adjacency: sparse.spmatrix, pairs: np.ndarray) -> np.ndarray:
    """Whether each pair is an edge of a (n_genes, n_genes) sparse adjacency; (n_pairs,) bool."""
    adj = sparse.csr_matrix(adjacency)
    pairs = _check_pairs(pairs)
    _check_pair_range(pairs, min(adj.shape))
    if not len(pairs):
        return np.zeros(0, dtype=bool)
    return np.asarray(adj[pairs[:, 0], pairs[:, 1]]).ravel() != 0


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
    # the two tests behind "novel" (Figure 4's shares can be counted again from them)
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
