"""Where a fit of :class:`core.estimator.FactorizedEmbeddings` starts: the automatic settings
(epochs, the neighbour regulariser's), the starting embeddings from a PCA of the matrix, the
space the samples' neighbour graph is taken in (the reference that new samples find their
neighbours in), and the progress bar over the epochs.

Other modules import these names from ``core.estimator``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from core.train import TrainProgress, principal_components

GRAPH_COMPONENTS = 50  # principal components behind the samples' neighbour graph
#: Samples from which :func:`auto_neighbour_settings` picks the heavier-tailed kernel.
LARGE_MAP = 2_000
#: Samples below which :func:`auto_neighbour_settings` takes 5 neighbours per sample.
SMALL_MAP = 1_000


def auto_neighbour_settings(n_samples: int) -> dict[str, float | int]:
    """The regulariser's settings when none are given, by the number of samples.

    ``neighbour_weight`` 3 and ``neighbour_power`` 0.6 from :data:`LARGE_MAP` samples, else 1
    and 1; ``neighbour_k`` 5 below :data:`SMALL_MAP` samples, else 10; ``neighbour_decay`` 0
    (neighbours weighed equally: rank weights with decay 5 gained 0.002 on real GTEx, 0.001 on
    its subsets, and lost 0.01 on the simulated demo).

    A heavier-tailed kernel separates clusters more (UMAP's default kernel has exponent 0.9;
    1 is t-SNE's). On real GTEx (16,877 samples, 59 genes) weight 3 and exponent 0.6 lift
    tissue 1-NN from 2% labels from 0.914 to 0.926 (graph on the values; 100 splits; UMAP
    0.926, t-SNE 0.928); on random subsets of its labelled samples (1-NN from 5% labels, 2
    subsets each) they gain 0.005 at 2,000 samples and 0.008 at 5,000, and nothing at 1,000.
    On the 520-sample GTEx set (26 tissues of 20 samples) they split tissues into fragments and
    lower 1-NN from 10% labels (0.755 vs 0.772, 3 seeds), and 5 neighbours instead of 10
    raise it to 0.782 (10 neighbours are half a tissue there; on GTEx and the simulated demo 5
    neighbours cost 0.01-0.02).
    Measurements: tests/benchmarks/RESULTS.md.
    """
    large = n_samples >= LARGE_MAP
    return {
        "neighbour_weight": 3.0 if large else 1.0,
        "neighbour_power": 0.6 if large else 1.0,
        "neighbour_k": 5 if n_samples < SMALL_MAP else 10,
        "neighbour_decay": 0.0,
    }


#: Most epochs :func:`auto_epochs` gives (small matrices).
MAX_AUTO_EPOCHS = 100


def auto_epochs(n_observed: int, device: torch.device) -> int:
    """Epochs when none are given: about 8e7 values trained on the CPU (1e10 on CUDA), 3-100.

    On real GTEx (13k samples x 59 genes) the map improves up to about 100 epochs and no further
    (tests/benchmarks/RESULTS.md); on the 26-tissue set (520 x 460) 100 epochs give the map and
    the gene space of 300 in a third of the time, and 900 a worse gene space. Wide matrices get
    fewer passes over more values.
    """
    budget = 1e10 if device.type == "cuda" else 8e7
    return int(np.clip(round(budget / max(n_observed, 1)), 3, MAX_AUTO_EPOCHS))


def _pca_init(
    values: np.ndarray, sample_dim: int, gene_dim: int, seed: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Starting embeddings from a (randomized) PCA of the matrix, missing values filled as
    :func:`core.train.principal_components` fills them (gene mean, then the low-rank fit).

    Returns
    -------
    (sample_coords, gene_vectors, reference)
        (n_samples, sample_dim): the first principal components, each scaled to unit variance;
        (n_genes, gene_dim): the genes' loadings on the leading components (times their
        singular values), scaled to unit variance overall, so that genes with similar patterns
        start close together. Components beyond the matrix's rank are zero. ``reference``:
        ``mean`` (n_genes,), ``basis`` (n_genes, m) and ``scores`` (n_samples, m), the samples'
        scores on the leading m <= 50 components (the space of the neighbour graph, as
        :func:`core.train.neighbour_graph` computes it; kept to find new samples' neighbours).
    """
    mean, u, s, vt = principal_components(values, max(sample_dim, gene_dim, GRAPH_COMPONENTS), seed)
    k = len(s)
    coords = np.zeros((u.shape[0], sample_dim), np.float32)
    m = min(sample_dim, k)
    coords[:, :m] = u[:, :m] * s[:m]
    coords /= np.maximum(coords.std(0), 1e-6)
    genes = np.zeros((vt.shape[1], gene_dim), np.float32)
    m = min(gene_dim, k)
    genes[:, :m] = vt[:m].T * s[:m]
    genes /= max(float(genes.std()), 1e-6)
    m = min(GRAPH_COMPONENTS, k)
    reference = {
        "mean": mean.astype(np.float32),
        "basis": np.ascontiguousarray(vt[:m].T, dtype=np.float32),
        "scores": (u[:, :m] * s[:m]).astype(np.float32),
    }
    return coords, genes, reference


def center_rows(values: np.ndarray, gene_mean: np.ndarray | None = None) -> np.ndarray:
    """Each row minus its mean over its observed (non-NaN) entries; NaN stay NaN.

    ``gene_mean`` (the genes' means in the centred training space): a row's mean over the
    genes it has is compared with theirs, so that a sample lacking a set of genes that are
    high (or low) everywhere is offset as it would be with all of them: ``mean_O(x) -
    mean_O(gene_mean) + mean(gene_mean)`` over its observed genes O. Its own mean alone moved
    such a sample far from its place (a sample without the higher half of the genes was its
    own nearest training sample 11% of the time, against 95% in the ``values`` space)."""
    x = np.asarray(values, dtype=np.float32)
    with np.errstate(all="ignore"):
        offset = np.nan_to_num(np.nanmean(x, axis=1, keepdims=True))
        if gene_mean is not None:
            m = np.asarray(gene_mean, dtype=np.float32)
            seen = np.isfinite(x)
            n = seen.sum(axis=1, keepdims=True)
            m_seen = np.where(n > 0, (seen * m).sum(axis=1, keepdims=True) / np.maximum(n, 1), 0)
            offset = offset - m_seen + float(m.mean())
    return (x - offset).astype(np.float32, copy=False)


def _graph_reference(values: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The space of the neighbour graph with ``neighbour_space="centered"``.

    :func:`center_rows` of ``values``, then its leading principal components (at most
    :data:`GRAPH_COMPONENTS`); the same keys as ``_pca_init``'s reference (``mean``, ``basis``,
    ``scores``), so :func:`_reference_neighbours` places new samples in it once they are
    centred the same way.
    """
    mean, u, s, vt = principal_components(values, GRAPH_COMPONENTS, seed, center_rows=True)
    return {
        "mean": mean.astype(np.float32),
        "basis": np.ascontiguousarray(vt.T, dtype=np.float32),
        "scores": (u * s).astype(np.float32),
    }


class _EpochBar:
    """A progress bar over the epochs of a fit (``tqdm.auto``), fed by the training callback,
    which it passes each progress on to (``then``)."""

    def __init__(self, then: Callable[[TrainProgress], None] | None) -> None:
        self.then, self.bar = then, None

    def __call__(self, p: TrainProgress) -> None:
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=p.n_epochs, unit="epoch", desc="training", leave=True)
        self.bar.n = min(p.epoch, p.n_epochs)  # (a resumed run starts part way)
        self.bar.set_postfix_str(f"fit error {p.loss:.4g}", refresh=False)
        self.bar.refresh()
        if self.then is not None:
            self.then(p)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
