"""A linear stand-in for :class:`core.estimator.FactorizedEmbeddings` (PCA behind the same API).

Used only when asked (``--standin``), for quick checks and fast tests: sample coordinates are
the first ``sample_dim`` principal components, gene vectors are the loadings on the first
``gene_dim`` components, and ``predict`` decodes linearly.
It is never presented as the paper's method: the page names the model class it shows.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from core.data import match_genes
from core.errors import ModelError


class PCAEmbedding:
    """PCA sample/gene embeddings with the estimator interface of ``FactorizedEmbeddings``.

    Parameters
    ----------
    sample_dim
        Dimensions of the sample embedding (2 for the map).
    gene_dim
        Dimensions of the gene embedding (number of loadings kept).
    seed
        Seed of the randomized SVD.
    **ignored
        Other estimator settings (epochs, hidden, ...) are accepted, so that the stand-in takes
        the real model's arguments, and not used.
    """

    def __init__(self, sample_dim: int = 2, gene_dim: int = 16, seed: int = 0, **ignored: Any):
        if sample_dim < 1 or gene_dim < 1:
            raise ModelError(f"sample_dim and gene_dim must be >= 1, got {sample_dim}, {gene_dim}")
        self.sample_dim = int(sample_dim)
        self.gene_dim = int(gene_dim)
        self.seed = int(seed)

    # ------------------------------------------------------------------ fit
    def fit(self, es: Any, callback: Any = None) -> PCAEmbedding:
        """Fit on ``es.values`` (n_samples, n_genes); NaN are filled with the gene mean."""
        t0 = time.perf_counter()
        values = np.asarray(es.values, dtype=np.float32)
        mean = np.nanmean(values, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0).astype(np.float32)
        filled = np.where(np.isnan(values), mean, values) - mean
        n_comp = max(self.sample_dim, self.gene_dim)
        n_comp = min(n_comp, min(filled.shape))
        rng = np.random.default_rng(self.seed)
        u, s, vt = _randomized_svd(filled, n_comp, rng)
        self.mean_ = mean
        self.components_ = vt.astype(np.float32)  # (n_comp, n_genes)
        self.scale_ = s.astype(np.float32) / np.sqrt(max(1, filled.shape[0] - 1))
        self.sample_embedding_ = (u[:, : self.sample_dim] * s[: self.sample_dim]).astype(np.float32)
        self.gene_embedding_ = (vt[: self.gene_dim].T * self.scale_[: self.gene_dim]).astype(
            np.float32
        )
        self.sample_ids_ = np.asarray(es.sample_ids).astype(str)
        self.gene_ids_ = np.asarray(es.gene_ids).astype(str)
        self.gene_symbols_ = np.asarray(es.gene_symbols).astype(str)
        resid = filled - self.sample_embedding_ @ self.components_[: self.sample_dim]
        self.history_ = [float(np.mean(resid[~np.isnan(values)] ** 2))]
        self.data_source_ = dict(getattr(es, "source", {}) or {})
        if callback is not None:
            callback(
                SimpleNamespace(
                    epoch=1,
                    n_epochs=1,
                    loss=self.history_[-1],
                    fraction=1.0,
                    elapsed_s=time.perf_counter() - t0,
                )
            )
        return self

    def fit_transform(self, es: Any, callback: Any = None) -> np.ndarray:
        return self.fit(es, callback=callback).sample_embedding_

    # ------------------------------------------------------------------ use
    def transform(self, es_new: Any) -> np.ndarray:
        """Project new samples (n_new, n_genes) on the sample components -> (n_new, sample_dim)."""
        cols = match_genes(self.gene_ids_, self.gene_symbols_, es_new.gene_ids, es_new.gene_symbols)
        x = np.full((len(es_new.sample_ids), len(self.gene_ids_)), np.nan, dtype=np.float32)
        for j_new, j in enumerate(cols):
            if j >= 0:
                x[:, j] = np.asarray(es_new.values)[:, j_new]
        x = np.where(np.isnan(x), self.mean_, x) - self.mean_
        return (x @ self.components_[: self.sample_dim].T).astype(np.float32)

    def predict(self, coords: np.ndarray, genes: Any = None) -> np.ndarray:
        """Expression decoded at ``coords`` (n, sample_dim) -> (n, n_genes or len(genes))."""
        coords = np.atleast_2d(np.asarray(coords, dtype=np.float32))
        if coords.shape[1] != self.sample_dim:
            raise ModelError(f"coords must have {self.sample_dim} columns, got {coords.shape[1]}")
        comps = self.components_[: self.sample_dim]
        mean = self.mean_
        if genes is not None:
            idx = np.asarray(genes, dtype=int)
            comps, mean = comps[:, idx], mean[idx]
        # sample_embedding = u * s, so decode with components / s * s = components
        return (mean + coords @ comps).astype(np.float32)

    def key(self) -> str:
        h = hashlib.sha1()
        h.update(json.dumps(self._config(), sort_keys=True).encode())
        h.update(self.components_.tobytes())
        return "pca-" + h.hexdigest()[:16]

    # ------------------------------------------------------------------ io
    def _config(self) -> dict:
        return {
            "class": "PCAEmbedding",
            "sample_dim": self.sample_dim,
            "gene_dim": self.gene_dim,
            "seed": self.seed,
        }

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(json.dumps(self._config(), indent=1))
        np.savez(
            path / "standin.npz",
            mean=self.mean_,
            components=self.components_,
            scale=self.scale_,
            sample_embedding=self.sample_embedding_,
            gene_embedding=self.gene_embedding_,
            sample_ids=self.sample_ids_,
            gene_ids=self.gene_ids_,
            gene_symbols=self.gene_symbols_,
            history=np.asarray(self.history_),
        )
        (path / "data_source.json").write_text(json.dumps(self.data_source_, default=str))

    @classmethod
    def load(cls, path: str | Path) -> PCAEmbedding:
        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text())
            self = cls(config["sample_dim"], config["gene_dim"], config["seed"])
            with np.load(path / "standin.npz", allow_pickle=False) as arrays:
                self.mean_ = arrays["mean"]
                self.components_ = arrays["components"]
                self.scale_ = arrays["scale"]
                self.sample_embedding_ = arrays["sample_embedding"]
                self.gene_embedding_ = arrays["gene_embedding"]
                self.sample_ids_ = arrays["sample_ids"].astype(str)
                self.gene_ids_ = arrays["gene_ids"].astype(str)
                self.gene_symbols_ = arrays["gene_symbols"].astype(str)
                self.history_ = [float(v) for v in arrays["history"]]
        except (MemoryError, PermissionError):  # no damage: said as they are
            raise
        except (
            OSError,
            ValueError,
            KeyError,
            TypeError,
            EOFError,
            zipfile.BadZipFile,
            zlib.error,
        ) as exc:
            # (a file cut short: zip and zlib errors, a missing member)
            raise ModelError(f"{path}: not a stand-in model directory ({exc})") from exc
        try:
            self.data_source_ = json.loads((path / "data_source.json").read_text())
        except OSError:
            self.data_source_ = {}
        return self


def _randomized_svd(
    x: np.ndarray, n_comp: int, rng: np.random.Generator, n_iter: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truncated SVD of ``x`` (n, m) by randomized range finding -> u (n, k), s (k,), vt (k, m)."""
    n_over = min(min(x.shape), n_comp + 10)
    q = rng.standard_normal((x.shape[1], n_over)).astype(np.float32)
    q, _ = np.linalg.qr(x @ q)
    for _ in range(n_iter):
        q, _ = np.linalg.qr(x.T @ q)
        q, _ = np.linalg.qr(x @ q)
    b = q.T @ x
    ub, s, vt = np.linalg.svd(b, full_matrices=False)
    u = q @ ub
    # deterministic signs
    signs = np.sign(vt[np.arange(len(s)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1
    u, vt = u * signs, vt * signs[:, None]
    return u[:, :n_comp], s[:n_comp], vt[:n_comp]
