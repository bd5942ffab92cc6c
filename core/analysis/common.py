"""Helpers shared by the analyses: the code's version in cache keys, checks of input arrays,
the gene-mean imputation of missing values, and nearest neighbours of samples.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from core.errors import CoreError, DataError

# above this size of a float64 copy, sample neighbours are searched in float32 blocks
_FLOAT64_KNN_BYTES = 512 * 2**20

# matrices with more columns than this are 'wide': t-SNE and UMAP share one neighbour
# search, and 1-NN over many splits may take its distances in one pass
_WIDE = 64


def _code_version() -> str:
    """What cached results depend on besides their inputs: this package's code (every module of
    ``core.analysis``) and the versions of the libraries that compute them. A version number
    raised by hand was forgotten three times (the MLP's start, 1-NN's ties): a report read
    Table 1 as computed before."""
    from importlib import metadata
    from pathlib import Path

    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    for dist in ("numpy", "scipy", "scikit-learn", "umap-learn", "pynndescent"):
        try:
            digest.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=none;".encode())
    return digest.hexdigest()[:16]


#: Part of every cached result's key (baseline maps, Table-1 cells, gene correlations): results
#: stored by another version of this code or of its libraries are computed again.
CODE_VERSION = _code_version()


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
        from scipy.spatial import cKDTree  # (imported when used: not by python -m core --help)

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


def _check_mapping(embeddings: Any, function: str, what: str = "sample") -> None:
    """Refuse anything but a mapping of name -> embedding, naming the fix (a bare array raised
    "The truth value of an array ... is ambiguous")."""
    if not isinstance(embeddings, Mapping):
        raise CoreError(
            f"{function} takes a dict of name -> (n_{what}s, dim) array, e.g. "
            f"{{'FE': model.{what}_embedding_}}, got {type(embeddings).__name__}"
        )
