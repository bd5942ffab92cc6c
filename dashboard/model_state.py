"""The model an :class:`~dashboard.context.AppContext` serves: loaded from the cache (or from
``--model``), or trained in a background job and stored with its gene layout
(:class:`TrainedModel`, a part of the context), and what the dashboard keeps of it
(:class:`ModelState`: embeddings in the dataset's order, the gene map's 2-D layout).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.analysis import unit_rows
from core.cli import Pace, duration
from core.errors import CoreError, ModelError
from core.files import remove_stale_temporaries, replace_dir, temporary_name
from dashboard.gene_layout import umap_layout_apart
from dashboard.job_records import ProgressFn
from dashboard.uploads import _strip_version

log = logging.getLogger(__name__)

#: What a page says of the training it follows when another page (or tab) started it.
EARLIER_TRAINING = "training started from another page"

#: Epochs between the checkpoints of the page's own training (``<entry>.checkpoint``), from
#: which the next start continues after a stop. Every epoch: on the 26-tissue set (520 x 467,
#: default settings) a checkpoint of 0.47 MB took 3 to 7 ms to write against 0.15 s an epoch;
#: the network of 17,382 samples x 56,200 genes, 34 MB, 0.06 to 0.18 s against minutes.
CHECKPOINT_EVERY = 1


def estimator_class(standin: bool = False) -> type:
    """``core.estimator.FactorizedEmbeddings``, or the PCA stand-in when asked (``--standin``)."""
    if standin:
        from dashboard.standin import PCAEmbedding

        return PCAEmbedding
    from core.estimator import FactorizedEmbeddings

    return FactorizedEmbeddings


def load_model(path: Path) -> Any:
    """Load a model directory, whichever class wrote it."""
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"--model {path}: no such directory")
    if (path / "standin.npz").exists():
        from dashboard.standin import PCAEmbedding

        return PCAEmbedding.load(path)
    return estimator_class(False).load(path)


def training_line(p: Any, pace: Pace) -> str:
    """The progress bar's line of a training report ``p`` (:class:`core.train_config.
    TrainProgress`): the epochs done, the fit error in the words ``train`` prints, the time
    spent and the time left at this run's recent pace (``pace``, one per run: a training
    continued from a checkpoint counts the stopped run's seconds in ``elapsed_s``). "epoch
    0/3, loss 0.3140, 37 s" stood for minutes through a first epoch, without the time left."""
    elapsed = float(getattr(p, "elapsed_s", 0.0))
    left = pace.left(elapsed, float(getattr(p, "fraction", 0.0)))
    return (
        f"training: epoch {getattr(p, 'epoch', '?')}/{getattr(p, 'n_epochs', '?')} done, "
        f"fit error {float(getattr(p, 'loss', float('nan'))):.4f}, {duration(elapsed)} so far"
        f"{left}"
    )


def _not_gene_match(record: logging.LogRecord) -> bool:
    """Leaves out transform's word on genes absent or ignored while the dataset's own samples
    that the model was not trained on are placed (its genes beyond the model's: no news)."""
    return getattr(record, "notice", None) != "gene_match"


@dataclass
class ModelState:
    """A trained model as the dashboard uses it (all arrays in the dataset's order).

    Attributes
    ----------
    model
        The estimator (``FactorizedEmbeddings`` or the stand-in).
    key
        Stable key of the model (cache keys of derived results use it).
    sample_embedding
        (n_samples, 2) float32, rows in ``es.sample_ids`` order.
    gene_embedding
        (n_model_genes, gene_dim) float32, rows in ``model.gene_ids_`` order.
    gene_layout
        (n_model_genes, 2) float32: the gene embedding laid out in 2-D (UMAP when gene_dim > 2).
    gene_es_index
        (n_model_genes,) int: column of each model gene in ``es.values`` (-1 when absent).
    es_model_index
        (n_genes,) int: row of each dataset gene in the model's genes (-1 when absent).
    info
        What the page states about the model (class, settings, training time, final loss).
    gene_unit
        ``gene_embedding`` with rows scaled to unit length (cosine neighbours), computed once.
    run_units
        With joined models (``join_models``): each model's unit gene vectors, rows in the same
        order, to count in how many runs a neighbour is among the nearest; else empty.
    """

    model: Any
    key: str
    sample_embedding: np.ndarray
    gene_embedding: np.ndarray
    gene_layout: np.ndarray
    gene_es_index: np.ndarray
    es_model_index: np.ndarray
    info: dict[str, Any]
    run_units: tuple[np.ndarray, ...] = ()
    gene_unit: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.gene_unit = unit_rows(self.gene_embedding).astype(np.float32)


def gene_layout_2d(
    gene_embedding: np.ndarray, seed: int = 0, method: str = "umap"
) -> tuple[np.ndarray, str]:
    """2-D layout of gene vectors (n_genes, gene_dim) -> ((n_genes, 2) float32, method name).

    ``method``: ``umap`` on cosine distances, as the gene neighbour lists (falls back to PCA for
    fewer than 30 genes) or ``pca``.
    """
    x = np.asarray(gene_embedding, dtype=np.float32)
    if x.shape[1] <= 2:
        out = np.zeros((x.shape[0], 2), dtype=np.float32)
        out[:, : x.shape[1]] = x
        return out, "embedding"
    if method == "umap" and x.shape[0] >= 30:
        try:
            return umap_layout_apart(x, seed), "UMAP"
        except ImportError:  # pragma: no cover - umap-learn is a requirement
            log.warning("umap-learn missing: laying out gene space by PCA")
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    out = np.zeros((x.shape[0], 2), dtype=np.float32)
    # one gene has one axis (the gene map indexed a second one that was not there)
    out[:, : min(2, vt.shape[0])] = xc @ vt[:2].T
    return out, "PCA"


class _DamagedEntry(Exception):
    """The app's own cached model cannot be loaded (its cause says why): trained again."""


class TrainedModel:
    """The model of an :class:`~dashboard.context.AppContext` (a part of it): where it is kept,
    loading it, training it.

    Uses the context's dataset (``es``, ``config``, ``cache_dir``, ``fingerprint``,
    ``n_samples``, ``n_genes``, ``sample_ids``, ``_by_id``, :meth:`describe`), its ``results``,
    its lock and its job records (:class:`dashboard.job_records.JobRecords`).
    """

    @property
    def model_entry(self) -> Path:
        """Directory of the model trained for this dataset and settings."""
        if self.config.model_dir is not None:
            return Path(self.config.model_dir)
        s = self.config.settings
        tag = "standin" if s.standin else "fe"
        return (
            self.cache_dir
            / "models"
            / f"{self.fingerprint}-{tag}-{s.digest()}-{self.config.gene_layout}"
        )

    def model_ready_on_disk(self) -> bool:
        if self.config.model_dir is not None:
            return True
        return (self.model_entry / "dashboard.json").exists()

    def state(self) -> ModelState | None:
        """The loaded model state, loading it from disk when it is there; None while training."""
        with self._lock:
            if self._state is not None:
                return self._state
            if not self.model_ready_on_disk():
                return None
            try:
                self._state = self._load_state()
            except _DamagedEntry as exc:
                self._discard_damaged_entry(exc.__cause__ or exc)
                return None  # the page trains it again
            return self._state

    def _discard_damaged_entry(self, exc: Exception) -> None:
        """Remove the app's own cached model that cannot be loaded (a file cut short by a full
        disk or by hand): it was shown as "model: not available" for ever, restart or not."""
        entry = self.model_entry
        log.warning("the cached model %s cannot be loaded (%s): it is trained again", entry, exc)
        doomed = entry.with_name(f"{entry.name}.damaged-{uuid.uuid4().hex[:8]}")
        try:
            entry.rename(doomed)  # at once: no reader meets a half-removed entry
        except OSError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    def loaded_state(self) -> ModelState | None:
        """:meth:`state`, or None when the model cannot be loaded (the status box says why;
        a link or a zoom kept need no model)."""
        try:
            return self.state()
        except CoreError:
            return None

    def require_state(self) -> ModelState:
        st = self.state()
        if st is None:
            raise ModelError("the model is still training: wait for the progress bar to finish")
        return st

    def _model_path(self) -> Path:
        if self.config.model_dir is not None:
            return Path(self.config.model_dir)
        return self.model_entry / "model"

    def _load_state(self) -> ModelState:
        t0 = time.perf_counter()
        try:
            model = load_model(self._model_path())
        except (CoreError, ValueError, EOFError) as exc:  # (not OSError: a permission or a
            # full file table is no damage, and a good model would be trained again)
            if self.config.model_dir is not None:
                raise  # the user's model: said in the page, never removed
            raise _DamagedEntry() from exc
        model_gene_ids = np.asarray(model.gene_ids_).astype(str).astype(object)
        gene_es_index = np.array(
            [self._by_id.get(_strip_version(g).upper(), -1) for g in model_gene_ids], dtype=int
        )
        es_model_index = np.full(self.n_genes, -1, dtype=int)
        ok = gene_es_index >= 0
        es_model_index[gene_es_index[ok]] = np.nonzero(ok)[0]
        sample_embedding = self._sample_embedding(model)
        gene_embedding = np.asarray(model.gene_embedding_, dtype=np.float32)
        joined_keys: list[str] = []
        run_units: tuple[np.ndarray, ...] = ()
        gene_dim = int(gene_embedding.shape[1])  # the model's own (joined: one run's)
        if self.config.join_models:
            gene_embedding, run_units, joined_keys = self._joined_gene_space(
                model_gene_ids, gene_embedding
            )
        meta_path = self.model_entry / "dashboard.json"
        key = str(model.key())
        layout_path = self.model_entry / "gene_layout.npy"
        stored_layout = self.config.model_dir is None and layout_path.exists() and not joined_keys
        try:
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
            if stored_layout:
                gene_layout = np.load(layout_path, allow_pickle=False)
                method = meta.get("gene_layout", "UMAP")
                if len(gene_layout) != len(model_gene_ids):  # (cut short: fewer rows)
                    raise ValueError(f"gene_layout.npy has {len(gene_layout)} rows")
        except (ValueError, EOFError, AttributeError) as exc:
            if self.config.model_dir is None:
                raise _DamagedEntry() from exc
            meta = {}  # (the user's model: its dashboard.json is not needed)
        if not stored_layout:
            cache_key = self.results.key(  # UMAP draws another layout for another seed
                "gene-layout",
                key,
                *joined_keys,
                self.config.gene_layout,
                "cosine",
                self.config.settings.seed,
            )
            cached = self.results.get(cache_key)
            if cached is None:
                gene_layout, method = gene_layout_2d(
                    gene_embedding, seed=self.config.settings.seed, method=self.config.gene_layout
                )
                self.results.set(cache_key, {"layout": gene_layout, "method": method})
            else:
                gene_layout, method = cached["layout"], cached["method"]
        info = {
            "class": type(model).__name__,
            "key": key,
            "sample_dim": int(sample_embedding.shape[1]),
            "gene_dim": gene_dim,
            "n_model_genes": int(len(model_gene_ids)),
            "n_dataset_genes": int(self.n_genes),
            "joined_models": len(joined_keys) + 1 if joined_keys else None,
            "gene_layout": method,
            "config": _model_config(model),
            "final_loss": float(model.history_[-1]) if getattr(model, "history_", None) else None,
            # (a model given with --model: its own record of the time)
            "train_seconds": meta.get("train_seconds") or _positive(model, "train_time_s_"),
            "path": str(self._model_path()),
        }
        log.info("model %s loaded in %.2f s", key[:12], time.perf_counter() - t0)
        return ModelState(
            model=model,
            key=key,
            sample_embedding=sample_embedding,
            gene_embedding=gene_embedding,
            gene_layout=np.asarray(gene_layout, dtype=np.float32),
            gene_es_index=gene_es_index,
            es_model_index=es_model_index,
            info=info,
            run_units=run_units,
        )

    def _joined_gene_space(
        self, gene_ids: np.ndarray, gene_embedding: np.ndarray
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...], list[str]]:
        """The model's gene vectors joined with those of ``config.join_models`` (same genes).

        Returns the joined vectors, each model's unit vectors and the joined models' keys.
        """
        from core.analysis import check_distinct_runs, consensus_gene_space

        wanted = [_strip_version(g).upper() for g in gene_ids]
        embeddings, keys = [gene_embedding], []
        for path in self.config.join_models:
            other = load_model(path)
            pos = {
                _strip_version(str(g)).upper(): i for i, g in enumerate(np.asarray(other.gene_ids_))
            }
            rows = np.array([pos.get(g, -1) for g in wanted], dtype=int)
            missing = int((rows < 0).sum())
            if missing:
                raise ModelError(
                    f"--join-models {path}: lacks {missing} of the {len(wanted)} genes of the "
                    "model shown; join models trained on the same genes (other seeds or gene_dim)"
                )
            embeddings.append(np.asarray(other.gene_embedding_, dtype=np.float32)[rows])
            keys.append(str(other.key()))
        check_distinct_runs(
            embeddings,
            ["the model shown", *(f"--join-models {p}" for p in self.config.join_models)],
        )
        joined = consensus_gene_space(embeddings).astype(np.float32)
        units = tuple(unit_rows(e).astype(np.float32) for e in embeddings)
        log.info("gene space: %d models joined", len(embeddings))
        return joined, units, keys

    def _sample_embedding(self, model: Any) -> np.ndarray:
        emb = np.asarray(model.sample_embedding_, dtype=np.float32)
        train_ids = np.asarray(model.sample_ids_).astype(str)
        if len(train_ids) == self.n_samples and np.array_equal(train_ids, self.sample_ids):
            return emb
        pos = {s: i for i, s in enumerate(train_ids)}
        rows = np.array([pos.get(s, -1) for s in self.sample_ids])
        out = np.empty((self.n_samples, emb.shape[1]), dtype=np.float32)
        known = rows >= 0
        out[known] = emb[rows[known]]
        if (~known).any():
            log.info("embedding %d samples absent from training with transform()", (~known).sum())
            sub = _subset_samples(self.es, np.nonzero(~known)[0])
            # the dataset's genes the model left out (--top-genes, genes of 0) are no news here
            estimator_log = logging.getLogger("core.estimator")
            estimator_log.addFilter(_not_gene_match)
            try:
                out[~known] = np.asarray(model.transform(sub), dtype=np.float32)
            finally:
                estimator_log.removeFilter(_not_gene_match)
        return out

    def train(self, progress: ProgressFn | None = None, record: bool = False) -> str:
        """Train the model of this dataset + settings and store it with its gene layout.

        Runs in a background job (never in a request). Idempotent: when another process trained
        the same model meanwhile, it is loaded instead. One job trains: a second (a page
        reloaded meanwhile, another user) waits for it, relaying its progress, and loads its
        model.

        Parameters
        ----------
        progress
            ``progress(fraction, message)`` called during training (fraction in 0..1).
        record
            Keep the job's record (``train``: :meth:`job_progress`, :meth:`job_finished`),
            which jobs started meanwhile relay. Only the job that trains writes it.

        Returns
        -------
        str
            The model key.
        """
        progress = progress or (lambda f, m: None)
        entry = self.model_entry

        def relay() -> None:  # the page reloaded while another job trains: its progress
            job = self.job_running("train")
            if job is not None and job.get("progress"):
                fraction = float(job.get("fraction") or 0.0)
                progress(fraction, f"{job['progress']} ({EARLIER_TRAINING})")
            else:
                progress(0.0, f"waiting for the model ({EARLIER_TRAINING})")

        lock_cache, lock = self._job_turn("train", f"train-owned-{entry.name}", record, relay)
        try:
            st = self.state() if self.model_ready_on_disk() else None  # (None: damaged,
            if st is not None:  # discarded, and trained below)
                progress(1.0, "model found in the cache")
                return st.key
            if not record:
                return self._train(progress)
            return self._recorded("train", self._train, progress)
        finally:
            lock.release()
            lock_cache.close()

    @property
    def fitted_entry(self) -> Path:
        """Where the trained network waits while its gene space is laid out (removed once the
        model is stored in :attr:`model_entry`)."""
        entry = self.model_entry
        return entry.with_name(f"{entry.name}.fitted")

    @property
    def checkpoint_path(self) -> Path:
        """The checkpoint of the training under way (``<entry>.checkpoint``), from which the
        next start continues after a stop (removed once the trained network is kept)."""
        entry = self.model_entry
        return entry.with_name(f"{entry.name}.checkpoint")

    def _remove_checkpoint(self) -> None:
        path = self.checkpoint_path
        try:
            for doomed in (path, path.with_name(f"{path.name}.tmp")):  # (.tmp: a write cut short)
                doomed.unlink(missing_ok=True)
        except OSError as exc:  # (the model is stored: a checkpoint left over does no harm)
            log.warning("the checkpoint %s could not be removed: %s", path, exc)

    def _resumable_checkpoint(self) -> tuple[int, int] | None:
        """(epochs trained, epochs of the run) of the checkpoint a stopped training left, or
        None when there is none; an unreadable one is removed (trained from the first epoch)."""
        from core.train_checkpoint import load_checkpoint

        path = self.checkpoint_path
        if not path.is_file():
            return None
        try:
            saved = load_checkpoint(path)
            done = int(saved["epoch"])
            trained = saved.get("train_config")
            epochs = self.config.settings.epochs or int(
                trained.get("epochs") if isinstance(trained, dict) else 0
            )
        except (CoreError, ValueError, TypeError) as exc:
            self._refuse_checkpoint(exc)
            return None
        return done, max(epochs, done)

    def _refuse_checkpoint(self, exc: BaseException) -> None:
        log.warning(
            "the checkpoint %s of a stopped training cannot be continued (%s): it is removed and "
            "the model is trained from the first epoch",
            self.checkpoint_path,
            exc,
        )
        self._remove_checkpoint()

    def _fitted_model(self) -> tuple[Any, float] | None:
        """The network a job trained before it was stopped while it laid out the gene space
        (Ctrl-C, a restart): (model, training seconds), or None when there is none (a damaged
        one is removed: trained again)."""
        fitted = self.fitted_entry
        if not (fitted / "fitted.json").exists():
            return None
        try:
            meta = json.loads((fitted / "fitted.json").read_text())
            model = load_model(fitted / "model")
            return model, float(meta["train_seconds"])
        except (CoreError, ValueError, EOFError, KeyError, TypeError) as exc:
            log.warning("the trained network %s cannot be loaded (%s): trained again", fitted, exc)
            shutil.rmtree(fitted, ignore_errors=True)
            return None

    def _keep_fitted(self, model: Any, train_seconds: float) -> None:
        """Store the trained network before its gene space is laid out: a job stopped then
        (tens of seconds of UMAP) lost the whole training, which the next page did again."""
        fitted = self.fitted_entry
        remove_stale_temporaries(fitted)
        tmp = temporary_name(fitted, uuid.uuid4().hex)
        tmp.mkdir(parents=True)
        try:
            model.save(tmp / "model")
            (tmp / "fitted.json").write_text(json.dumps({"train_seconds": train_seconds}))
            replace_dir(tmp, fitted)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _train(self, progress: ProgressFn) -> str:
        """:meth:`train` once its lock is held."""
        entry = self.model_entry
        settings = self.config.settings
        fitted = self._fitted_model()
        if fitted is not None:
            model, train_seconds = fitted
            progress(
                0.9, f"the network trained before the last stop is kept ({train_seconds:.0f} s)"
            )
            log.info(
                "the network trained before a stop is in %s: its gene space is laid out",
                self.fitted_entry,
            )
        else:
            model, train_seconds = self._fit(progress)
            try:
                self._keep_fitted(model, train_seconds)
            except OSError as exc:  # (only a shortcut for a job stopped later: go on)
                log.warning(
                    "the trained network could not be kept in %s: %s", self.fitted_entry, exc
                )
            else:
                self._remove_checkpoint()  # (the network it led to is kept)
        cls = type(model)
        progress(0.92, f"laying out gene space ({self.config.gene_layout.upper()})")
        layout, method = gene_layout_2d(
            np.asarray(model.gene_embedding_),
            seed=settings.seed,
            method=self.config.gene_layout,
        )
        remove_stale_temporaries(entry)  # (left by a training killed while it saved)
        tmp = temporary_name(entry, uuid.uuid4().hex)
        tmp.mkdir(parents=True)
        try:
            model.save(tmp / "model")
            np.save(tmp / "gene_layout.npy", layout)
            meta = {
                "train_seconds": round(train_seconds, 2),
                "gene_layout": method,
                "settings": dataclasses.asdict(settings),
                "dataset": self.describe(),
            }
            (tmp / "dashboard.json").write_text(json.dumps(meta, indent=1, default=list))
            replace_dir(tmp, entry)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(self.fitted_entry, ignore_errors=True)  # (stored with the model now)
        self._remove_checkpoint()
        progress(1.0, f"model ready ({train_seconds:.0f} s)")
        log.info("trained %s in %.1f s -> %s", cls.__name__, train_seconds, entry)
        return str(model.key())

    def _fit(self, progress: ProgressFn) -> tuple[Any, float]:
        """The network trained on the dataset -> (model, training seconds).

        ``FactorizedEmbeddings`` writes a checkpoint every :data:`CHECKPOINT_EVERY` epochs to
        :attr:`checkpoint_path` and continues from the one a stopped training left (its
        seconds counted); the stand-in trains in one go, without one.
        """
        settings = self.config.settings
        t0 = time.perf_counter()
        resumed = None if settings.standin else self._resumable_checkpoint()

        pace = Pace()  # (the time left at this run's recent pace)

        def on_epoch(p: Any) -> None:
            frac = float(getattr(p, "fraction", 0.0))
            msg = training_line(p, pace)
            if resumed is not None:
                msg += f" (continued from epoch {resumed[0]})"
            progress(0.9 * frac, msg)

        train_es = settings.training_genes(self.es)
        size = f"{train_es.n_samples:,} samples x {train_es.n_genes:,} genes"
        if resumed is None:
            progress(0.0, f"training the model on {size}")
        else:
            done, epochs = resumed
            progress(
                0.9 * done / max(epochs, 1),
                f"continuing from epoch {done} of {epochs}, where the last training stopped "
                f"({size})",
            )
            log.info("the training stopped at epoch %d continues (%s)", done, self.checkpoint_path)
        try:
            model = self._fitted_network(train_es, on_epoch, resume=resumed is not None)
        except CoreError as exc:
            if resumed is None or str(self.checkpoint_path) not in str(exc):
                raise
            self._refuse_checkpoint(exc)  # (another network, settings or data; damaged)
            resumed = None
            progress(0.0, f"training the model on {size}")
            model = self._fitted_network(train_es, on_epoch, resume=False)
        seconds = time.perf_counter() - t0
        # (a continued run: its time counts the epochs trained before the stop, as the
        # command's does)
        return model, _positive(model, "train_time_s_") or seconds

    def _fitted_network(self, train_es: Any, on_epoch: Any, resume: bool) -> Any:
        """A new estimator of the settings fitted on ``train_es``, with checkpoints when it
        takes them."""
        settings = self.config.settings
        cls = estimator_class(settings.standin)
        if settings.standin:
            model = cls(**settings.estimator_kwargs())
            model.fit(train_es, callback=on_epoch)
            return model
        model = cls(**settings.estimator_kwargs(), checkpoint_every=CHECKPOINT_EVERY)
        model.fit(train_es, callback=on_epoch, checkpoint=self.checkpoint_path, resume=resume)
        # trained as without checkpoints: its settings (saved, and hashed in its key) are those
        # of a model trained in one go, whose cached results stay its own
        model.train_config = dataclasses.replace(model.train_config, checkpoint_every=0)
        model._given_params["checkpoint_every"] = 0  # (get_params() said 5, the saved form 0)
        return model


def _subset_samples(es: Any, rows: np.ndarray) -> Any:
    sub = getattr(es, "subset", None)
    if callable(sub):
        try:
            return sub(samples=rows)
        except TypeError:
            pass
    from types import SimpleNamespace

    return SimpleNamespace(
        values=np.asarray(es.values)[rows],
        sample_ids=np.asarray(es.sample_ids)[rows],
        gene_ids=np.asarray(es.gene_ids),
        gene_symbols=np.asarray(es.gene_symbols),
    )


def _positive(obj: Any, name: str) -> float | None:
    value = getattr(obj, name, None)
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _model_config(model: Any) -> dict[str, Any]:
    out = {}
    for name in ("sample_dim", "gene_dim", "hidden", "epochs", "lr", "init", "seed", "device"):
        v = getattr(model, name, None)
        if v is not None and not callable(v):
            out[name] = list(v) if isinstance(v, tuple) else v
    cfg = getattr(model, "config", None) or getattr(model, "config_", None)
    if dataclasses.is_dataclass(cfg):
        for k, v in dataclasses.asdict(cfg).items():
            out.setdefault(k, v)
    # the passes trained (``epochs`` is None when they followed the data size: not said)
    trained = getattr(model, "n_epochs_", None)
    if isinstance(trained, (int, np.integer)) and trained > 0:
        out["epochs"] = int(trained)
    return out
