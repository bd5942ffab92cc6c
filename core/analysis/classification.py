"""Semi-supervised tissue classification (Table 1): random splits, the six classifiers, 1-NN,
and the share of labels a split needs for every class to have a training sample.
"""

from __future__ import annotations

import logging
import numbers
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from core.analysis.common import (
    _WIDE,
    CODE_VERSION,
    _as_matrix,
    _check_mapping,
    _sq_distance_blocks,
    impute_gene_mean,
)
from core.analysis.labels import _check_two_classes, _sample_ids_of, label_codes
from core.errors import CoreError, DataError

if TYPE_CHECKING:
    from core.cache import ResultCache

log = logging.getLogger("core.analysis")


#: Most random splits of Table 1: each is a permutation of the labelled samples held in
#: memory (1,000 of GTEx's 16,877 samples: 135 MB); more ran until killed.
MAX_SPLITS = 1_000

#: Classifiers of Table 1, in the paper's order.
CLASSIFIERS: tuple[str, ...] = (
    "1-NN",
    "Decision Tree",
    "Gaussian NB",
    "Random Forest",
    "AdaBoost",
    "MLP",
)

RF_TREES = 30


class Accuracy(NamedTuple):
    """Mean and standard deviation of held-out accuracy over random splits."""

    mean: float
    sd: float


def stratified_sizes(codes: np.ndarray, fraction: float) -> np.ndarray:
    """Training samples per class of a stratified split: ``fraction`` of each class's labelled
    samples, rounded, at least 1 and, for a class of two or more, at most all but one (every
    class is trained on and tested on). ``codes``: class codes of the labelled samples (0 to
    n_classes - 1). Returns (n_classes,) int64, in code order."""
    counts = np.bincount(np.asarray(codes, dtype=np.int64))
    sizes = np.rint(fraction * counts).astype(np.int64)
    return np.where(counts >= 2, np.clip(sizes, 1, counts - 1), counts)


def _splits(
    n_labelled: int,
    fraction: float,
    n_splits: int,
    seed: int,
    strata: np.ndarray | None = None,
) -> tuple[int, list[np.ndarray]]:
    """``n_splits`` permutations of the labelled samples, the first ``n_train`` of each trained
    on: drawn at random, or with ``strata`` (each labelled sample's class code) per class
    (:func:`stratified_sizes`), the training samples then in random order."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        # a text field's "0.02" failed in a comparison of float and str
        raise CoreError(f"fraction must be a number in (0, 1), got {fraction!r}")
    if not 0.0 < fraction < 1.0:
        raise CoreError(f"fraction must be in (0, 1), got {fraction}")
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 1:
        raise CoreError(f"n_splits must be an integer >= 1, got {n_splits!r}")
    if n_splits > MAX_SPLITS:
        raise CoreError(f"n_splits must be at most {MAX_SPLITS:,}, got {n_splits:,}")
    if strata is None:
        n_train = int(round(fraction * n_labelled))
    else:
        strata = np.asarray(strata, dtype=np.int64)
        if strata.shape != (n_labelled,):
            raise CoreError(f"strata has {strata.size} entries for {n_labelled} samples")
        sizes = stratified_sizes(strata, fraction)
        n_train = int(sizes.sum())
    if n_train < 1 or n_train >= n_labelled:
        raise DataError(
            f"a training fraction of {fraction:g} of {n_labelled} labelled samples leaves "
            f"{n_train} to train on: "
            "need at least 1 for training and 1 for testing"
        )
    rng = np.random.default_rng(seed)
    if strata is None:
        return n_train, [rng.permutation(n_labelled) for _ in range(n_splits)]
    members = [np.flatnonzero(strata == c) for c in range(sizes.size)]
    splits = []
    for _ in range(n_splits):
        drawn = [rng.permutation(m) for m in members]
        train = np.concatenate([d[:k] for d, k in zip(drawn, sizes, strict=True)])
        test = np.concatenate([d[k:] for d, k in zip(drawn, sizes, strict=True)])
        splits.append(np.concatenate([rng.permutation(train), rng.permutation(test)]))
    return n_train, splits


def _nn1_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray) -> np.ndarray:
    """1-nearest-neighbour prediction: KD-tree in low dimension, blocked brute force above."""
    if train_x.shape[1] <= 10:
        from scipy.spatial import cKDTree  # (imported when used: not by python -m core --help)

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
        # each split's starting weights from its own stream (the seed and the split's number):
        # drawn for the batch at once, a split's score hung on --splits and on the batch size
        # (split 1 of GTEx's FE map read 0.93214 of 10 splits, 0.93152 of 100)
        starts = [
            (
                r.uniform(-bound1, bound1, (d, hidden)),
                r.uniform(-bound1, bound1, (1, hidden)),
                r.uniform(-bound2, bound2, (hidden, n_classes)),
                r.uniform(-bound2, bound2, (1, n_classes)),
            )
            for r in (np.random.default_rng((int(seed) % 2**32, g0 + i)) for i in range(n_group))
        ]
        params = [np.stack(p).astype(np.float32) for p in zip(*starts, strict=True)]
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
    stratify: bool = False,
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
        (text) gives its ids itself; one indexed by numbers is read in order, unless ``labels``
        is indexed by the same numbers in another order (then read by them).
    stratify
        Draw ``fraction`` of each class instead (:func:`stratified_sizes`).

    Returns
    -------
    Accuracy
        ``(mean, sd)`` of the held-out accuracy over the splits.
    """
    if sample_ids is None and isinstance(labels, pd.Series):
        sample_ids = _sample_ids_of(embedding, labels)
    x = impute_gene_mean(_as_matrix(embedding, "embedding"))
    codes, classes = label_codes(labels, x.shape[0], sample_ids)
    _check_two_classes(classes)
    labelled = codes >= 0
    strata = codes[labelled] if stratify else None
    n_train, splits = _splits(int(labelled.sum()), fraction, n_splits, seed, strata)
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
    stratify: bool = False,
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
    stratify
        Draw ``fraction`` of each class's labelled samples, at least one and all but one
        (:func:`stratified_sizes`), instead of ``fraction`` of them all: every class is then
        trained on. The paper's protocol is the random draw (the default).

    Returns
    -------
    pandas.DataFrame
        Index: classifier; columns: MultiIndex ``(embedding name, "mean" | "sd")``.
        ``attrs`` holds ``fraction``, ``stratified``, ``n_splits``, ``n_train``, ``n_test``,
        ``n_classes``,
        ``ceiling`` (the mean share of a split's test samples whose class has a training sample
        in that split: the highest accuracy any classifier can reach), ``splits_short`` (the
        number of splits that leave a class without a training sample),
        ``splits_one_sample`` (the number of splits where some class has a single training
        sample), ``splits_one_each`` (those where every class trained on has a single one),
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
    framed = {name: _sample_ids_of(e, labels) for name, e in embeddings.items()}
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
    y = codes[labelled]
    n_train, splits = _splits(
        int(labelled.sum()), fraction, n_splits, seed, y if stratify else None
    )
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
                ckey = cache.key(
                    "table1",
                    CODE_VERSION,
                    x,
                    y,
                    fraction,
                    n_splits,
                    clf,
                    seed,
                    *(("stratified",) if stratify else ()),  # (the random draw's keys as before)
                )
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
    # classes of a single training sample: Gaussian NB has no spread of theirs to estimate
    trained = [np.bincount(y[p[:n_train]]) for p in splits]
    splits_one_sample = sum(bool((c == 1).any()) for c in trained)
    splits_one_each = sum(bool((c[c > 0] == 1).all()) for c in trained)
    table.attrs.update(
        ceiling=ceiling,
        splits_short=int(splits_short),
        splits_one_sample=int(splits_one_sample),
        splits_one_each=int(splits_one_each),
        fraction_all_classes=fraction_for_all_classes(np.bincount(y), fraction),
        fraction=fraction,
        stratified=bool(stratify),
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
    from scipy.special import gammaln  # (imported when used)

    rest = total - counts
    ok = rest >= n_train  # otherwise the class cannot be left out
    log_p = (
        gammaln(rest[ok] + 1)
        - gammaln(rest[ok] - n_train + 1)
        - gammaln(total + 1)
        + gammaln(total - n_train + 1)
    )
    return float(np.exp(log_p).sum())


#: The paper's share of labelled samples to train on (Table 1).
PAPER_FRACTION = 0.02

#: Shares of labelled samples offered to train on (the dashboard's choice), smallest first.
FRACTION_CHOICES = (0.02, 0.05, 0.10, 0.25, 0.50)


#: Samples drawn per class, on average, from which :func:`suggested_fraction` takes a share:
#: "about two" (a draw of 1.9 per class holds about 85% of many classes, of 2 about 86%;
#: of the 26-tissue set's 26 classes of 20 samples, 87% and 88%).
PER_CLASS = 1.9


def suggested_fraction(
    n_labelled: int, n_classes: int, choices: Sequence[float] = FRACTION_CHOICES
) -> float:
    """The share of ``n_labelled`` labelled samples of ``n_classes`` classes to train on when
    none is asked for (the dashboard's first 1-NN share, the report's Table 1).

    The paper's 2% (:data:`PAPER_FRACTION`) when it draws at least as many samples as there
    are classes (one per class on average: a random draw may still miss a small class).
    Otherwise the smallest of ``choices`` that draws about two per class on average
    (:data:`PER_CLASS`: 10% of the 520 labelled samples of 26 tissues draws 52, and a strict
    two per class took 25%): a random draw of as many samples as classes holds about 63% of them
    (2% of the 520 samples of 26 GTEx tissues draws 10 samples; 5% draws 26, of about 17
    tissues), and every map scores near that ceiling. None does: the largest that leaves
    samples to test (2% when none can).
    """

    def drawn(f: float) -> int:
        return int(round(f * n_labelled))

    if drawn(PAPER_FRACTION) >= n_classes:
        return PAPER_FRACTION
    usable = [f for f in sorted(choices) if 1 <= drawn(f) < n_labelled]
    for f in usable:
        if drawn(f) >= PER_CLASS * n_classes:
            return f
    return usable[-1] if usable else PAPER_FRACTION


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
