"""``FactorizedEmbeddings``: the estimator users call (fit / transform / predict / save / load).

>>> from core.data import load_gtex
>>> from core.estimator import FactorizedEmbeddings
>>> es = load_gtex("reads.gct.gz", "SampleAttributesDS.txt", exclude_tissues=("Brain",))
>>> fe = FactorizedEmbeddings(epochs=200).fit(es)          # doctest: +SKIP
>>> fe.sample_embedding_.shape                              # doctest: +SKIP
(n_samples, 2)

A saved model is a directory: ``config.json`` (every setting, the training history, the
dataset's provenance, the software's versions, torch's threads and ``train``'s command),
``weights.pt`` (tensors only; loaded with ``weights_only=True``), ``arrays.npz`` (ids, gene
statistics; no pickled objects) and ``samples.parquet`` (the training samples' annotations).

The class is written here; what it builds on, by concern (each imports only from ``core.data``,
``core.errors``, ``core.files``, ``core.model`` and ``core.train``, never from this module):

- :mod:`core.fit_inputs`: what ``fit`` is given, checked (values, annotations, settings).
- :mod:`core.fit_start`: automatic settings, the PCA start, the neighbour graph's space, the
  progress bar.
- :mod:`core.placement`: :class:`TransformConfig` and how ``transform`` places new samples.
- :mod:`core.value_scales`: fit errors and value scales of placed samples, and their warnings.
- :mod:`core.model_directory`: the files of a saved model, written and read.

Every name of these modules that was written here before still imports from
``core.estimator``.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import logging
import os
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from core.data import (
    MAX_EXPRESSION_VALUE,
    ExpressionSet,
    find_gene,
    gene_lookup_tables,
    is_simulated,
    match_genes,
    shared_name_note,
)
from core.errors import ModelError
from core.files import remove_stale_temporaries, replace_dir, save_torch
from core.fit_inputs import (
    _as_expression_set,
    _check_training_values,
    _checkpoint_epochs,
    _named,
    _optional_float,
    _samples_by_id,
)
from core.fit_start import GRAPH_COMPONENTS as GRAPH_COMPONENTS
from core.fit_start import LARGE_MAP as LARGE_MAP
from core.fit_start import MAX_AUTO_EPOCHS as MAX_AUTO_EPOCHS
from core.fit_start import SMALL_MAP as SMALL_MAP
from core.fit_start import (
    _EpochBar,
    _graph_reference,
    _pca_init,
    auto_epochs,
    auto_neighbour_settings,
    center_rows,
)
from core.model import FactorizedEmbedding, NetworkConfig, as_int
from core.model_directory import (
    FORMAT_VERSION,
    _damaged,
    _is_replaceable,
    _new_folder_beside,
    _not_damage,
    _sync_tree,
    _write_samples,
    check_model_directory,
    check_replaceable,
    file_in_the_way,
    read_config,
    read_samples,
)
from core.model_directory import MODEL_ENTRIES as MODEL_ENTRIES
from core.model_directory import saved_model_is_simulated as saved_model_is_simulated
from core.placed_samples import COPY_KEY_SEED, copy_keys
from core.placement import TransformConfig, _place_samples, _reference_neighbours
from core.provenance import software_versions
from core.train import (
    ResidentMatrix,
    TrainConfig,
    TrainProgress,
    decode_points,
    neighbour_graph,
    refine_coordinates,
    resolve_device,
    train_network,
)
from core.value_scales import FEW_GENES as FEW_GENES
from core.value_scales import (
    FIT_ERROR_FACTOR,
    _batch_scale,
    _positive_or_none,
    _times,
    _training_scale,
    _value_scales,
    few_genes_limit,
)
from core.value_scales import LOG_BASES as LOG_BASES
from core.value_scales import POOR_FIT_FACTOR as POOR_FIT_FACTOR
from core.value_scales import SCALE_BAND as SCALE_BAND
from core.value_scales import SCALE_SPREAD as SCALE_SPREAD

log = logging.getLogger(__name__)

STANDARDIZE = ("none", "center", "z")
INITS = ("pca", "random")
NEIGHBOUR_SPACES = ("centered", "values")


def _gene_names(symbols, ids) -> np.ndarray:
    """Each gene's symbol, or its id where it has none; a symbol several genes share, with the
    id ("Y_RNA (ENSG00000199788)": GTEx names hundreds of genes Y_RNA, and a list of absent
    genes read "Y_RNA, Y_RNA, ..." while a column Y_RNA was there)."""
    symbols, ids = np.asarray(symbols).astype(str), np.asarray(ids).astype(str)
    names = np.where(symbols != "", symbols, ids).astype(object)
    _, inverse, counts = np.unique(names.astype(str), return_inverse=True, return_counts=True)
    shared = np.flatnonzero((counts[inverse.ravel()] > 1) & (names != ids))
    names[shared] = [f"{names[i]} ({ids[i]})" for i in shared]
    return names


def _first_of(names: np.ndarray, limit: int = 5) -> str:
    """The first ``limit`` names, then "and N more"."""
    shown = ", ".join(str(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


class FactorizedEmbeddings:
    """Jointly embed samples (in ``sample_dim``, 2 by default) and genes of an expression matrix.

    Parameters
    ----------
    sample_dim, gene_dim, hidden, activation
        The network (:class:`core.model.NetworkConfig`).
    epochs
        Passes over the data; None picks them from the data size (:func:`auto_epochs`).
    neighbour_weight
        Weight of the neighbour-graph regulariser of the sample map (0 trains the paper's pure
        reconstruction objective). Samples that are neighbours in expression space are kept
        together on the map, others apart (:func:`core.train.neighbour_loss`). On real GTEx
        (59 genes) it lifts tissue 1-NN from 2% labels from 0.83 to 0.930 with the automatic
        settings (t-SNE 0.929, UMAP 0.925 in the same run), at a higher reconstruction error
        (tests/benchmarks/RESULTS.md). None (default): chosen with ``neighbour_power`` and
        ``neighbour_k`` from the number of samples (:func:`auto_neighbour_settings`).
    neighbour_power, neighbour_k, neighbour_decay
        Exponent of the regulariser's kernel, neighbours per sample in its graph and the decay
        of their weights with rank (:class:`core.train.TrainConfig`); None: by
        :func:`auto_neighbour_settings`.
    neighbour_space
        Where the neighbour graph is taken: ``centered`` (default; each sample's values minus
        its own mean over genes, so that an offset shared by all of a sample's genes, such as
        sequencing depth on a log scale, does not set its neighbours) or ``values`` (the values
        as they are; models saved before this setting existed were trained so). Either way on
        the leading principal components (:func:`_graph_reference`). On GTEx read counts
        (59 genes) ``centered`` lifts tissue 1-NN from 2% labels from 0.9255 to 0.9307 (3
        seeds; t-SNE 0.929, UMAP 0.925; with the same centring t-SNE 0.934, UMAP 0.930-0.932);
        measurements in tests/benchmarks/RESULTS.md.
    reassign_every, reassign_until
        Epochs between grid searches (:func:`core.train.reassign_samples`), and the fraction of
        the run after which they stop. Every run of 3 epochs or more searches at least twice;
        None: until 70% of the run without the neighbour regulariser, only those two early
        searches with it (the search ignores the neighbours: searching until 70% of a
        100-epoch run lowered GTEx 1-NN from 0.91 to 0.89; the two searches make 3-epoch runs
        far better, 0.93 vs 0.78 on the simulated demo).
    lr, optimizer, schedule, pairs_per_step, max_genes_per_step, grid_size,
    sample_lr_scale, sample_noise, sample_noise_start, neighbour_negatives, neighbour_scale,
    polish_steps, device, precision, seed, checkpoint_every
        Training (:class:`core.train.TrainConfig`).
    standardize
        Per-gene scaling learned on the training set and undone by :meth:`predict`: ``none``
        (predict log values as they are, as in the paper), ``center`` (subtract each gene's mean)
        or ``z`` (z-scores: every gene weighs the same in the loss).
    init
        ``pca`` (sample coordinates start at the first principal components, gene vectors at
        the genes' loadings; see :func:`_pca_init`) or ``random``.
    transform
        :class:`TransformConfig` settings for placing new samples.

    Attributes
    ----------
    sample_embedding_ : ndarray, (n_samples, sample_dim)
    gene_embedding_ : ndarray, (n_genes, gene_dim)
    sample_ids_, gene_ids_, gene_symbols_ : ndarray of str
    history_ : list of float
        Mean squared error (standardised scale) per epoch: each epoch's mean over its steps,
        taken while the weights change.
    resolved_ : dict
        The automatic choices as the fit made them: ``device``, ``precision`` (``bf16`` or
        ``fp32``), ``rows_per_step`` and ``genes_per_step`` (see :meth:`trained_params`), and
        on the CPU torch's ``threads``, which change the map (``OMP_NUM_THREADS``).
    command_ : str or None
        The ``python -m core train`` command that made the model (None when fitted in Python).
    samples_ : DataFrame
        The training samples' annotations.
    data_source_ : dict
        How to reload the training data (:func:`core.data.load_source`).
    simulated_ : bool
        Whether the training data were simulated (:func:`core.data.is_simulated`): kept in
        the saved model, said by its ``repr``, so that a model of the simulated demo says so
        wherever it is loaded.
    value_scale_ : float or None
        The training samples' own :meth:`value_scales` at their places (median of at most
        500), before they are set relative to it: above 1 where the model is too short of
        training to decode their full spread. None where their scales spread too widely to
        tell another scale (the middle 90% over more than a factor
        :data:`SCALE_SPREAD`), and for models saved before it was kept: new samples' scales
        are then not checked.
    copy_keys_ : ndarray of float64, (n_samples, 16), or None
        A fingerprint of each training sample's values (as given to :meth:`fit`, before the
        gene scaling): sums of them over blocks of genes, with random weights fixed by
        ``copy_keys_seed_`` (:func:`core.placed_samples.copy_keys`), by which ``python -m core
        embed`` tells copies of training samples without reading the training data again.
        None for models saved before it was kept.
    """

    def __init__(
        self,
        sample_dim: int = 2,
        gene_dim: int = 50,
        hidden: tuple[int, ...] = (100, 50, 50),
        activation: str = "relu",
        epochs: int | None = None,
        lr: float = 1e-2,
        optimizer: str = "adam",
        schedule: str = "cosine",
        pairs_per_step: int = 0,
        max_genes_per_step: int = 8192,
        reassign_every: int = 5,
        reassign_until: float | None = None,
        grid_size: int = 64,
        sample_lr_scale: float = 5.0,
        sample_noise: float = 0.0,
        sample_noise_start: float | None = None,
        neighbour_weight: float | None = None,
        neighbour_k: int | None = None,
        neighbour_negatives: int = 5,
        neighbour_scale: float = 0.2,
        neighbour_power: float | None = None,
        neighbour_decay: float | None = None,
        neighbour_space: str = "centered",
        polish_steps: int = 0,
        standardize: str = "none",
        init: str = "pca",
        device: str = "auto",
        precision: str = "auto",
        seed: int = 0,
        checkpoint_every: int = 0,
        transform: TransformConfig | dict | None = None,
    ) -> None:
        # the settings as given, which get_params() returns (scikit-learn's convention: clone()
        # and set_params(**get_params()) round-trip); checked and normalised below
        self._given_params = {name: value for name, value in locals().items() if name != "self"}
        if standardize not in STANDARDIZE:
            raise ModelError(f"standardize must be one of {STANDARDIZE}, got {standardize!r}")
        if init not in INITS:
            raise ModelError(f"init must be one of {INITS}, got {init!r}")
        if neighbour_space not in NEIGHBOUR_SPACES:
            raise ModelError(
                f"neighbour_space must be one of {NEIGHBOUR_SPACES}, got {neighbour_space!r}"
            )
        # validate the network shape early (sizes of the tables are known at fit time)
        network = NetworkConfig(1, 1, sample_dim, gene_dim, hidden, activation)
        self.neighbour_space = neighbour_space
        self.sample_dim = network.sample_dim
        self.gene_dim = network.gene_dim
        self.hidden = network.hidden
        self.activation = activation
        self.standardize = standardize
        self.init = init
        self.epochs = None if epochs is None else as_int(epochs, "epochs")
        self.neighbour_weight = _optional_float(neighbour_weight, "neighbour_weight")
        self.neighbour_power = _optional_float(neighbour_power, "neighbour_power")
        self.neighbour_k = None if neighbour_k is None else as_int(neighbour_k, "neighbour_k")
        self.neighbour_decay = _optional_float(neighbour_decay, "neighbour_decay")
        # as given (None: by the regulariser, 0.7 without it), so that get_params() with
        # another neighbour_weight builds the model that weight gives
        self.reassign_until = _optional_float(reassign_until, "reassign_until")
        self.train_config = TrainConfig(
            epochs=1 if self.epochs is None else self.epochs,
            lr=lr,
            optimizer=optimizer,
            schedule=schedule,
            pairs_per_step=pairs_per_step,
            max_genes_per_step=max_genes_per_step,
            reassign_every=reassign_every,
            reassign_until=(
                reassign_until
                if reassign_until is not None
                else (0.7 if neighbour_weight == 0 else 0.0)
            ),
            grid_size=grid_size,
            sample_lr_scale=sample_lr_scale,
            sample_noise=sample_noise,
            sample_noise_start=sample_noise_start,
            # placeholders until fit when None (auto_neighbour_settings)
            neighbour_weight=1.0 if neighbour_weight is None else neighbour_weight,
            neighbour_k=10 if neighbour_k is None else neighbour_k,
            neighbour_negatives=neighbour_negatives,
            neighbour_scale=neighbour_scale,
            neighbour_power=1.0 if neighbour_power is None else neighbour_power,
            neighbour_decay=0.0 if neighbour_decay is None else neighbour_decay,
            polish_steps=polish_steps,
            device=device,
            precision=precision,
            seed=seed,
            checkpoint_every=checkpoint_every,
        )  # TrainConfig checks types and ranges
        if isinstance(transform, dict):
            try:
                transform = TransformConfig(**transform)
            except TypeError as exc:
                raise ModelError(f"transform settings: {exc}") from None
        if transform is not None and not isinstance(transform, TransformConfig):
            raise ModelError(
                f"transform must be a TransformConfig, a dict or None, got {type(transform)!r}"
            )
        self.transform_config = transform or TransformConfig()
        self.module_: FactorizedEmbedding | None = None

    # ------------------------------------------------------------------ parameters
    def get_params(self, deep: bool = True) -> dict:
        """Every constructor setting as it was given (``lr=1`` stays 1, ``transform=None`` stays
        None), as scikit-learn asks, so that ``clone`` and ``set_params(**get_params())``
        round-trip (``deep``: accepted; there are no nested estimators). Their checked,
        JSON-serialisable form: :meth:`checked_params`."""
        return dict(self._given_params)

    def checked_params(self) -> dict:
        """Every constructor setting as checked: numbers of the type they are checked to,
        ``hidden`` a tuple, ``transform`` a dict of all its settings; JSON-serialisable. What a
        saved model records and what its :meth:`key` is made of."""
        t = self.train_config
        return {
            "sample_dim": self.sample_dim,
            "gene_dim": self.gene_dim,
            "hidden": tuple(self.hidden),  # a tuple, as the default (JSON writes it as a list)
            "activation": self.activation,
            "epochs": self.epochs,
            "lr": t.lr,
            "optimizer": t.optimizer,
            "schedule": t.schedule,
            "pairs_per_step": t.pairs_per_step,
            "max_genes_per_step": t.max_genes_per_step,
            "reassign_every": t.reassign_every,
            "reassign_until": self.reassign_until,
            "grid_size": t.grid_size,
            "sample_lr_scale": t.sample_lr_scale,
            "sample_noise": t.sample_noise,
            "sample_noise_start": t.sample_noise_start,
            "neighbour_weight": self.neighbour_weight,
            "neighbour_k": self.neighbour_k,
            "neighbour_negatives": t.neighbour_negatives,
            "neighbour_scale": t.neighbour_scale,
            "neighbour_power": self.neighbour_power,
            "neighbour_decay": self.neighbour_decay,
            "neighbour_space": self.neighbour_space,
            "polish_steps": t.polish_steps,
            "standardize": self.standardize,
            "init": self.init,
            "device": t.device,
            "precision": t.precision,
            "seed": t.seed,
            "checkpoint_every": t.checkpoint_every,
            "transform": asdict(self.transform_config),
        }

    def set_params(self, **params) -> FactorizedEmbeddings:
        """A new setting for each name given (scikit-learn's protocol): the settings are
        validated together as the constructor does, and a fitted model is unfitted (its state
        would not match them). Unknown names are refused."""
        current = self.get_params()
        unknown = sorted(set(params) - set(current))
        if unknown:
            raise ModelError(f"unknown setting(s) {unknown}; see get_params()")
        fresh = type(self)(**{**current, **params})
        self.__dict__.clear()  # (the fitted state, its key included, goes with the old settings)
        self.__dict__.update(fresh.__dict__)
        return self

    def __sklearn_clone__(self) -> FactorizedEmbeddings:
        """An unfitted model of the same settings (``sklearn.base.clone``, scikit-learn 1.3+),
        each copied as scikit-learn's own clone copies them (a ``transform`` dict is not
        shared)."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def trained_params(self) -> dict:
        """:meth:`checked_params` with the automatic choices (None, ``auto``, 0) as the fit
        resolved them: epochs, the regulariser's settings, device, precision and pairs per
        step."""
        self._check_fitted()
        params = self.checked_params()
        if params["epochs"] is None:
            params["epochs"] = self.n_epochs_
        for name in (
            "neighbour_weight",
            "neighbour_power",
            "neighbour_k",
            "neighbour_decay",
            "reassign_until",
        ):
            if params[name] is None:
                params[name] = getattr(self.train_config, name)
        # the graph left out (one gene on the centred graph): the weight trained with
        params["neighbour_weight"] = self.train_config.neighbour_weight
        resolved = getattr(self, "resolved_", None) or {}  # models saved before: as they were
        for name in ("device", "precision"):
            if params[name] == "auto" and resolved.get(name):
                params[name] = resolved[name]
        if not params["pairs_per_step"] and resolved.get("rows_per_step"):
            params["pairs_per_step"] = resolved["rows_per_step"] * resolved["genes_per_step"]
        return params

    def __repr__(self) -> str:
        p = self.get_params()
        keys = ("sample_dim", "gene_dim", "hidden", "epochs", "lr", "standardize", "device")
        text = "FactorizedEmbeddings(" + ", ".join(f"{k}={p[k]!r}" for k in keys) + ")"
        if getattr(self, "simulated_", False):  # a model of the demo says so when shown
            text += "  # fitted on SIMULATED data"
        return text

    def _check_fitted(self) -> FactorizedEmbedding:
        if self.module_ is None:
            raise ModelError("this model is not fitted yet: call fit(es) or load(dir) first")
        return self.module_

    # ------------------------------------------------------------------ scaling
    def _scale(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.gene_mean_) / self.gene_scale_).astype(np.float32, copy=False)

    def _gene_scaling(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-gene (mean, scale) of ``standardize`` on ``values``, each (n_genes,) float32."""
        n_genes = values.shape[1]
        mean = np.zeros(n_genes, np.float32)
        scale = np.ones(n_genes, np.float32)
        if self.standardize in ("center", "z"):
            with np.errstate(all="ignore"):
                mean = np.nan_to_num(np.nanmean(values, 0)).astype(np.float32)
        if self.standardize == "z":
            with np.errstate(all="ignore"):
                sd = np.nan_to_num(np.nanstd(values, 0)).astype(np.float32)
            scale = np.where(sd > 1e-6, sd, 1.0).astype(np.float32)
        return mean, scale

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        es,
        callback: Callable[[TrainProgress], None] | None = None,
        checkpoint: str | Path | None = None,
        resume: bool = False,
        progress: bool = False,
    ) -> FactorizedEmbeddings:
        """Learn sample and gene embeddings of ``es`` (a :class:`core.data.ExpressionSet`).

        Parameters
        ----------
        es
            Expression set: ``values`` (n_samples, n_genes) log scale, NaN = missing (a
            numpy array or a DataFrame of samples x genes also do).
        callback
            Receives :class:`core.train.TrainProgress` during training.
        checkpoint, resume
            Checkpoint file written during training; with ``resume`` continue from it (the same
            settings and data only, :func:`core.train.check_resumable`). Epochs left automatic
            (``epochs=None``) are the interrupted run's, whatever the device here.
        progress
            Show a progress bar over the epochs, with the fit error and the time left
            (``tqdm.auto``: a widget in a notebook, a line on stderr elsewhere); ``callback``
            still receives every progress.

        A fit that fails or is interrupted leaves the estimator as it was (a fitted model stays
        usable, unchanged).
        """
        es = _as_expression_set(es, "fit", genes_in_rows_checked=True)
        samples = _samples_by_id(es)  # before training: said now, not after it
        values = np.asarray(es.values, dtype=np.float32)
        if values.ndim != 2 or values.shape[0] < 2 or values.shape[1] < 1:
            raise ModelError(
                f"need a 2-D matrix with >= 2 samples and >= 1 gene, got {values.shape}"
            )
        _check_training_values(values, es, self.standardize)
        # before any work: a missing GPU was said only after the PCA and the neighbour graph
        device = resolve_device(self.train_config.device)
        t0 = time.perf_counter()
        gene_mean, gene_scale = self._gene_scaling(values)
        scaled = ((values - gene_mean) / gene_scale).astype(np.float32, copy=False)
        net = NetworkConfig(
            n_samples=values.shape[0],
            n_genes=values.shape[1],
            sample_dim=self.sample_dim,
            gene_dim=self.gene_dim,
            hidden=self.hidden,
            activation=self.activation,
        )
        # the settings as trained; the estimator's own state changes only once training is done
        cfg = self.train_config
        resumed_epochs = _checkpoint_epochs(checkpoint) if resume else None
        if self.epochs is None and resumed_epochs is not None:
            # the interrupted run's number: the device picks it, and a run resumed on another
            # one went on to that device's number (refused when it had trained more)
            cfg = replace(cfg, epochs=resumed_epochs)
            log.info("epochs not given: the interrupted run's %d", cfg.epochs)
        elif self.epochs is None:
            n_observed = int(np.isfinite(values).sum())
            cfg = replace(cfg, epochs=auto_epochs(n_observed, device))
            log.info("epochs not given: %d for %s observed values", cfg.epochs, f"{n_observed:,}")
        auto = auto_neighbour_settings(values.shape[0])
        given = {name: getattr(self, name) for name in auto}
        cfg = replace(
            cfg, **{name: auto[name] if given[name] is None else given[name] for name in auto}
        )
        if any(v is None for v in given.values()):
            log.debug(
                "regulariser for %s samples: weight %g, kernel exponent %g, %d neighbours, "
                "rank decay %g, graph on %s values",
                f"{values.shape[0]:,}", cfg.neighbour_weight, cfg.neighbour_power, cfg.neighbour_k,
                cfg.neighbour_decay,
                "sample-centred" if self.neighbour_space == "centered" else "the",
            )  # fmt: skip
        if cfg.neighbour_weight > 0 and self.neighbour_space == "centered" and values.shape[1] < 2:
            # one gene minus the sample's mean is 0 everywhere: every sample would have the
            # same arbitrary neighbours, and be pulled towards them
            log.warning(
                "one gene: its values minus each sample's mean are all 0, so the neighbour "
                "graph on sample-centred values says nothing; trained without it "
                "(neighbour_space='values' keeps it)"
            )
            cfg = replace(cfg, neighbour_weight=0.0)
        generator = torch.Generator().manual_seed(cfg.seed)
        module = FactorizedEmbedding(net, generator)
        reference = None
        centered_graph = cfg.neighbour_weight > 0 and self.neighbour_space == "centered"
        if self.init == "pca" or (cfg.neighbour_weight > 0 and not centered_graph):
            coords, genes, reference = _pca_init(scaled, self.sample_dim, self.gene_dim, cfg.seed)
            if self.init == "pca":
                with torch.no_grad():
                    module.sample_embedding.copy_(torch.from_numpy(coords))
                    module.gene_embedding.copy_(torch.from_numpy(genes))
        graph = None
        if cfg.neighbour_weight > 0:
            if centered_graph:
                reference = _graph_reference(scaled, cfg.seed)
            # on the leading principal components (at most 50)
            graph = neighbour_graph(reference["scores"], cfg.neighbour_k, cfg.seed)
        t_network = time.perf_counter()
        bar = _EpochBar(callback) if progress else None
        try:
            state = train_network(
                module,
                scaled,
                cfg,
                callback=bar if bar is not None else callback,
                checkpoint=checkpoint,
                resume=resume,
                neighbours=graph,
                data_key=self._checkpoint_key(es),
            )
        finally:
            if bar is not None:
                bar.close()
        # a resumed run's time counts the epochs trained before the interruption, as its
        # progress line does (it said 99 s, and the model 70 s)
        resumed_s = state.elapsed_s - (time.perf_counter() - t_network)
        # on the training device, before the move: 200 samples x 56,200 genes took 9.6 s on two
        # CPU cores
        value_scale = _training_scale(module, values, gene_mean, gene_scale, cfg.seed)
        # what tells copies of the training samples among new ones (the values as given)
        keys = copy_keys(values)
        module.to("cpu")
        self.train_config = cfg
        self.gene_mean_, self.gene_scale_ = gene_mean, gene_scale
        self.module_ = module
        self.history_ = list(state.history)
        self.train_time_s_ = float(time.perf_counter() - t0 + max(0.0, resumed_s))
        self.pairs_per_s_ = float(state.pairs_seen / max(state.elapsed_s, 1e-9))
        self.n_moved_ = list(state.moved)
        self.resolved_ = dict(state.resolved)
        self.command_ = None  # (``train`` sets its command line; a refit is not that command)
        self.value_scale_ = value_scale
        self.copy_keys_, self.copy_keys_seed_ = keys, COPY_KEY_SEED
        # where new samples find their neighbours (transform), when the map was built with them
        self.reference_ = reference if cfg.neighbour_weight > 0 else None
        self.sample_ids_ = np.asarray(es.sample_ids).astype(str)
        self.gene_ids_ = np.asarray(es.gene_ids).astype(str)
        self.gene_symbols_ = np.asarray(es.gene_symbols).astype(str)
        self.samples_ = samples
        self.data_source_ = dict(getattr(es, "source", None) or {})
        self.dataset_name_ = str(getattr(es, "name", "") or "")
        self.simulated_ = is_simulated(es)
        self.dataset_fingerprint_ = es.fingerprint() if hasattr(es, "fingerprint") else ""
        self._key = None
        return self

    def _checkpoint_key(self, es) -> str | None:
        """What a checkpoint must have been trained on to be resumed by this estimator: the
        data, and the settings that change the values trained on or the network's function
        (the others are in the checkpoint's ``train_config``)."""
        if not hasattr(es, "fingerprint"):
            return None
        settings = {
            "standardize": self.standardize,
            "activation": self.activation,
            "neighbour_space": self.neighbour_space,
        }
        return "|".join([es.fingerprint(), *(f"{k}={v}" for k, v in settings.items())])

    def fit_transform(self, es, **kwargs) -> np.ndarray:
        """:meth:`fit`, then return :attr:`sample_embedding_`."""
        return self.fit(es, **kwargs).sample_embedding_

    @property
    def sample_embedding_(self) -> np.ndarray:
        return self._check_fitted().sample_embedding.detach().cpu().numpy().copy()

    @property
    def gene_embedding_(self) -> np.ndarray:
        return self._check_fitted().gene_embedding.detach().cpu().numpy().copy()

    @property
    def n_epochs_(self) -> int:
        """Epochs actually trained (``epochs=None`` picks them from the data size)."""
        return len(self.history_)

    @property
    def n_samples_(self) -> int:
        return self._check_fitted().config.n_samples

    @property
    def n_genes_(self) -> int:
        return self._check_fitted().config.n_genes

    def starting_gene_vectors(self, values) -> np.ndarray | None:
        """The gene vectors training started from, recomputed from its training ``values``
        (n_samples, n_genes, in the model's sample and gene order): with ``init="pca"`` the
        genes' loadings on the leading principal components, as :meth:`fit` set them; None
        with ``init="random"``. A reference for what training added to the gene space: on
        small sets these loadings alone carry much of its agreement with Gene Ontology.
        Recomputed as this version computes it: models saved before 2026-12-03 with missing
        values (filled with the gene means then), or before 2026-12-01 with ``gene_dim``
        under 50 (fewer components), started from somewhat other loadings."""
        model = self._check_fitted()
        if self.init != "pca":
            return None
        values = np.asarray(values, dtype=np.float32)
        if values.shape != (model.config.n_samples, model.config.n_genes):
            raise ModelError(
                f"starting_gene_vectors needs the training values, {model.config.n_samples:,} "
                f"samples x {model.config.n_genes:,} genes, got {values.shape}"
            )
        _, genes, _ = _pca_init(
            self._scale(values), self.sample_dim, self.gene_dim, self.train_config.seed
        )
        return genes

    # ------------------------------------------------------------------ predict
    def predict(
        self, coords: np.ndarray, genes: np.ndarray | list[int] | None = None
    ) -> np.ndarray:
        """Expression decoded at any point(s) of sample space.

        Parameters
        ----------
        coords
            (n, sample_dim) or (sample_dim,) coordinates.
        genes
            Genes to decode (all genes when None): indices into :attr:`gene_ids_`, a boolean
            mask over them, or gene ids (Ensembl version ignored) or symbols (case ignored; the
            first gene of a symbol that names several).

        Returns
        -------
        ndarray
            (n, n_genes) or (n, len(genes)) float32, on the training data's (log) scale.
        """
        module = self._check_fitted()
        try:
            coords = np.asarray(coords, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"coords must be numbers, (n, {self.sample_dim}): {exc}") from None
        if coords.ndim == 1:
            coords = coords[None, :]
        if coords.ndim != 2 or coords.shape[1] != self.sample_dim:
            raise ModelError(f"coords must be (n, {self.sample_dim}); got shape {coords.shape}")
        if not np.isfinite(coords).all():
            raise ModelError("coords hold NaN or infinite values")
        index = None if genes is None else self._gene_positions(genes)
        if index is not None and index.size == 0:
            return np.zeros((coords.shape[0], 0), np.float32)
        with torch.no_grad():
            out = decode_points(
                module,
                torch.from_numpy(coords),
                None if index is None else torch.from_numpy(index),
            ).numpy()
        mean = self.gene_mean_ if index is None else self.gene_mean_[index]
        scale = self.gene_scale_ if index is None else self.gene_scale_[index]
        return (out * scale + mean).astype(np.float32)

    def _gene_positions(self, genes) -> np.ndarray:
        """Positions in :attr:`gene_ids_` of ``genes`` (see :meth:`predict`), int64.

        Names are looked up as :meth:`core.data.ExpressionSet.gene_index` does: the id or
        symbol as written, then with case ignored (the first gene when a symbol names several),
        then the id without its Ensembl version.

        Raises
        ------
        ModelError
            Indices out of range or not whole numbers, a mask of another length, unknown names.
        """
        n_genes = self.n_genes_
        arr = np.asarray(genes)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.size == 0:
            return np.zeros(0, np.int64)
        if arr.dtype == bool:
            if arr.ndim != 1 or arr.size != n_genes:
                raise ModelError(
                    f"a boolean gene mask needs one entry per model gene ({n_genes}), "
                    f"got shape {arr.shape}"
                )
            return np.flatnonzero(arr).astype(np.int64)
        arr = arr.reshape(-1)
        if arr.dtype.kind in "iuf":
            if arr.dtype.kind == "f" and not (np.isfinite(arr).all() and (arr % 1 == 0).all()):
                raise ModelError(f"gene indices must be whole numbers, got {arr[:5]}")
            index = arr.astype(np.int64)
            if index.min() < 0 or index.max() >= n_genes:
                raise ModelError(f"gene indices must lie in [0, {n_genes}); got {index}")
            return index
        if arr.dtype.kind not in "UO":
            raise ModelError(f"genes must be indices, a mask or gene names, got dtype {arr.dtype}")
        tables = gene_lookup_tables(self.gene_ids_, self.gene_symbols_)
        index, unknown = [], []
        for name in (str(g).strip() for g in arr):
            hit = find_gene(tables, name)
            if hit is None:
                unknown.append(name)
            else:
                index.append(hit)
        if unknown:
            shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
            raise ModelError(f"{len(unknown):,} gene(s) are not genes of the model: {shown}")
        return np.asarray(index, np.int64)

    def _inference_device(self) -> torch.device:
        """The training device when this machine has it, else the CPU.

        A model trained with ``device="cuda"`` is still used (transform) on a machine without
        a GPU; ``auto`` picks CUDA when available.
        """
        try:
            return resolve_device(self.train_config.device)
        except ModelError:
            log.info("device %r is not available: placing on the CPU", self.train_config.device)
            return torch.device("cpu")

    # ------------------------------------------------------------------ transform
    def _align(self, es, rows: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """New samples' values in the model's gene order; NaN where a gene is absent. ``rows``:
        each new column's model gene (:func:`core.data.match_genes`), when it is known."""
        if rows is None:
            rows = match_genes(self.gene_ids_, self.gene_symbols_, es.gene_ids, es.gene_symbols)
        cols_new = np.flatnonzero(rows >= 0)
        cols_model = rows[cols_new]
        if not cols_new.size:
            # a table of genes in rows read as samples: its sample names are the model's genes
            ids = np.asarray(getattr(es, "sample_ids", []), dtype=str)
            turned = match_genes(self.gene_ids_, self.gene_symbols_, ids, ids) if ids.size else []
            hint = (
                "; the new table's sample names are genes of the model "
                f"({int((np.asarray(turned) >= 0).sum())} of {ids.size}, e.g. "
                f"{ids[np.asarray(turned) >= 0][0]}): are its genes in rows? Give it with samples "
                "as rows (a DataFrame's .T)"
                if np.any(np.asarray(turned) >= 0)
                else "; check ids and symbols"
            )
            raise ModelError(
                "none of the new samples' genes is a gene of the model "
                f"(model genes e.g. {', '.join(map(str, self.gene_symbols_[:3]))}){hint}"
            )
        shared = shared_name_note(
            self.gene_ids_, self.gene_symbols_, es.gene_ids, es.gene_symbols, rows
        )
        if shared:
            log.warning("transform: %s", shared, extra={"notice": "shared_names"})
        values = np.full((es.values.shape[0], self.n_genes_), np.nan, np.float32)
        values[:, cols_model] = np.asarray(es.values, dtype=np.float32)[:, cols_new]
        return values, len(cols_model)

    def _unmatched_genes(self, es, rows: np.ndarray) -> str:
        """What :meth:`transform` says of the genes it could not match (``rows``: each new
        column's model gene or -1): the model's genes absent from the new samples, read as
        missing values, and their columns that are no model gene, ignored; "" when all match
        (a renamed column, ``GATA4_x``, was counted in an INFO line, naming no gene)."""
        absent = np.ones(self.n_genes_, dtype=bool)
        absent[rows[rows >= 0]] = False
        ignored = rows < 0
        parts = []
        if absent.any():
            n = int(absent.sum())
            names = _gene_names(self.gene_symbols_, self.gene_ids_)[absent]
            parts.append(
                f"{n:,} of the model's {self.n_genes_:,} genes {'is' if n == 1 else 'are'} not "
                f"in the new samples, read as missing values ({_first_of(names)})"
            )
        if ignored.any():
            n = int(ignored.sum())
            names = _gene_names(es.gene_symbols, es.gene_ids)[ignored]
            parts.append(
                f"{n:,} of the new samples' columns {'is' if n == 1 else 'are'} no gene of "
                f"the model, ignored ({_first_of(names)})"
            )
        return "; ".join(parts)

    def fit_error_warning(self, errors, scales=None) -> str | None:
        """A warning when placed samples fit the model far worse than its training samples,
        or when their values are on another scale than the training data's.

        Parameters
        ----------
        errors : (n_new,) array
            Fit errors of placed samples (:meth:`transform` with ``return_error=True``).
        scales : (n_new,) array, optional
            Their :meth:`value_scales`: their values against the profiles decoded at their
            places.

        Returns
        -------
        str or None
            A sentence when the median error is above ``FIT_ERROR_FACTOR`` times the final
            training loss (on the same scale): the usual sign of values in other units than the
            training data's (already log-transformed values logged again, raw counts); or when
            the median scale is outside :data:`SCALE_BAND` (log values of another base, whose
            error can stay below that factor: natural-log values against a log2 model fit at
            2.8x). None otherwise (the error check needs the model's training loss).
        """
        errors = np.asarray(errors, dtype=np.float64)
        history = getattr(self, "history_", None) or []
        # NaN: samples not placed; +inf: errors beyond float range (values in other units)
        errors = errors[~np.isnan(errors)]
        trained = float(history[-1]) if history else float("nan")
        median = float(np.median(errors)) if errors.size else float("nan")
        far = trained > 0 and median > FIT_ERROR_FACTOR * trained
        fit = f"median fit error {median:.3g} against {trained:.3g} in training"
        # (not from a model that decodes its own training samples too loosely to tell)
        scale = _batch_scale(scales) if getattr(self, "value_scale_", None) else None
        said = ""
        if scale is not None:
            factor, bases = scale
            n = int(np.isfinite(np.asarray(scales, dtype=np.float64)).sum())
            said = (
                f"the new samples' values are about {_times(factor)} what the model predicts at "
                f"their places on the map (median of {n:,} sample{'s' if n != 1 else ''})"
            )
            as_bases = (
                f"as {bases[0]} values against a model trained on {bases[1]} values would be"
                if bases
                else ""
            )
            if not far:  # their places fit: the scale is the one thing off
                hint = (
                    f"{as_bases}; give them in the training data's units"
                    if bases
                    else "are they in the training data's units (values logged twice, or log "
                    "values of another base)?"
                )
                return f"{said}: {hint}"
            said = f" {said[0].upper()}{said[1:]}{', ' + as_bases if bases else ''}"
        if not far:
            return None
        # samples of a tissue the model has not seen fit far worse too, in the right units (a
        # left-out tissue of the 26: 2.4x to 30x), and their scale moves (0.66x to 0.90x)
        return (
            f"the new samples fit the model far worse than its training samples ({fit}): are "
            "their values in the training data's units (not raw counts against a log-scale "
            "model, nor values logged twice), and of tissues or cell types the model was "
            f"trained on?{said}"
        )

    def value_scales(self, es, coords) -> np.ndarray:
        """How each placed sample's values compare with the profile the model decodes at its
        place: the slope of its values on the decoded ones over the genes it has (both centred
        on their mean over those genes).

        Set relative to the training samples' own (:attr:`value_scale_`, when the model keeps
        one; :meth:`fit_error_warning` checks them only then): about 1 for samples
        in the training data's units, whatever their tissue; about 0.69 for natural-log values
        given to a model of log2 values, 0.30 for log10 values (the ratio of the logarithms),
        and far from 1 for counts against a log-scale model. NaN for a sample with fewer
        observed model genes than :func:`few_genes_limit` (at least 3; a place fitted to a
        handful of genes says nothing of their scale) or a flat decoded profile.

        Parameters
        ----------
        es
            The new samples, as given to :meth:`transform`.
        coords
            (n_new, sample_dim) their places (:meth:`transform`).

        Returns
        -------
        ndarray
            (n_new,) float64.
        """
        module = self._check_fitted()
        if isinstance(es, np.ndarray) and es.ndim == 2:
            if es.shape[1] != self.n_genes_:  # as transform: nothing says which genes they are
                raise ModelError(
                    f"value_scales: an array of {es.shape[1]:,} columns for a model of "
                    f"{self.n_genes_:,} genes; give the model's genes as columns, in gene_ids_ "
                    "order, or name the genes (a DataFrame or an ExpressionSet)"
                )
            values = np.asarray(es, dtype=np.float32)
        else:
            values, _ = self._align(_as_expression_set(es, "value_scales"))
        coords = np.asarray(coords, dtype=np.float32)
        if coords.shape != (values.shape[0], self.sample_dim):
            raise ModelError(
                f"value_scales: coords must be ({values.shape[0]}, {self.sample_dim}), one place "
                f"per sample; got shape {coords.shape}"
            )
        scales = _value_scales(module, coords, values, self.gene_mean_, self.gene_scale_)
        return scales / (getattr(self, "value_scale_", None) or 1.0)

    def transform(self, es, return_error: bool = False):
        """Place new samples in the learned sample space (genes and network frozen).

        Genes are matched by id (Ensembl version ignored), the rest by symbol in any case
        (:func:`core.data.match_genes`); genes the new samples lack, and NaN values, are left
        out of the fit. With the neighbour regulariser (the default), each new sample starts at
        the median place of its ``neighbour_k`` nearest training samples in expression space (in
        the space of the training graph, see ``neighbour_space``: the leading principal
        components kept at fit time, over the genes the sample has,
        :func:`_reference_neighbours`) and is refined on part of the training objective: fit
        of the decoded profile plus attraction to those neighbours (no repulsion from random
        samples, all neighbours weighted alike; the training map does not move). Models
        trained without it start each sample at the best point of a grid over the map and
        refine the fit alone. A logged warning names the first few model genes the new samples
        lack and the first few of their columns that are no model gene (ignored).
        On GTEx (600 held-out samples, 59 genes) the held-out samples' nearest training sample on
        the map is of their tissue for 0.94 of them (0.84 with the grid search alone).
        Samples that fit the model far worse than its training samples (values in other units),
        or whose values are on another scale than the profiles decoded at their places (log
        values of another base, :meth:`value_scales`), are placed all the same, with a logged
        warning (:meth:`fit_error_warning`). A sample without any value of a model gene (all
        NaN, or only genes the model lacks) is not placed: its row of the result is NaN, and a
        logged warning names it (as ``python -m core embed`` leaves its row blank); the others
        are placed as they would be alone.

        Parameters
        ----------
        es
            :class:`core.data.ExpressionSet` of new samples, same scale as the training data
            (a DataFrame, columns named by gene, or an array with the model's genes as columns,
            in :attr:`gene_ids_` order, also do; an array of another width is refused).
        return_error
            Also return each sample's mean squared error at its place (standardised scale).

        Returns
        -------
        ndarray
            (n_new, sample_dim) coordinates (and (n_new,) errors when ``return_error``), one
            row per new sample in their order; NaN for a sample without any observed model gene.

        Raises
        ------
        ModelError
            No sample to place: an empty matrix, none of its genes a model gene, or no sample
            with a value for any model gene; infinite values.
        DataError
            A DataFrame or array whose values are not numbers (the first such cell named).
        """
        module = self._check_fitted()
        if isinstance(es, np.ndarray) and es.ndim == 2:
            if es.shape[1] != self.n_genes_:  # nothing says which genes its columns are
                raise ModelError(
                    f"transform: an array of {es.shape[1]:,} columns for a model of "
                    f"{self.n_genes_:,} genes; give the model's genes as columns, in gene_ids_ "
                    "order, or name the genes (a DataFrame with genes as columns, or an "
                    "ExpressionSet)"
                )
            # a bare matrix of the model's width: its columns are the model's genes, in order
            es = ExpressionSet.from_array(
                es, gene_ids=self.gene_ids_, gene_symbols=self.gene_symbols_
            )
        es = _as_expression_set(es, "transform")
        if es.values.shape[0] == 0:
            raise ModelError("transform: the matrix has no samples to place")
        rows = match_genes(self.gene_ids_, self.gene_symbols_, es.gene_ids, es.gene_symbols)
        values, _ = self._align(es, rows)
        unmatched = self._unmatched_genes(es, rows)
        if unmatched:  # (embed and the page say it in their own words: notice "gene_match")
            log.warning("transform: %s", unmatched, extra={"notice": "gene_match"})
        # (a set built by ExpressionSet.from_array is checked there; one edited in place not)
        out_of_range = ~(np.abs(values) <= MAX_EXPRESSION_VALUE) & ~np.isnan(values)
        if out_of_range.any():
            bad = out_of_range.any(1)
            raise ModelError(
                f"transform: {int(bad.sum()):,} sample(s) hold infinite values or values beyond "
                f"{MAX_EXPRESSION_VALUE:g} ({_named(es.sample_ids, bad)}); use NaN for missing "
                "values"
            )
        scaled = self._scale(values)
        observed = np.isfinite(scaled).sum(1)
        empty = observed == 0
        if empty.all():
            raise ModelError(
                f"transform: {int(empty.sum()):,} sample(s) without any observed model gene "
                f"({_named(es.sample_ids, empty)}): nothing to place"
            )
        if empty.any():
            # placed as embed and the dashboard place them: the others are placed, these are
            # named and left at NaN (a refusal of the whole set made the user find and drop
            # them, and the rows no longer matched the input's)
            log.warning(
                "transform: %s sample(s) without any observed model gene (%s): not placed, "
                "their coordinates (and fit errors) are NaN",
                f"{int(empty.sum()):,}",
                _named(es.sample_ids, empty),
                extra={"notice": "no_values"},
            )
        few = ~empty & (observed < few_genes_limit(self.n_genes_))
        if few.any():
            log.warning(
                "transform: %s sample(s) placed from fewer than %s of the model's %s genes (%s; "
                "fewest: %s): such a place is uncertain, and its fit error, over fewer values, "
                "is low all the same",
                f"{int(few.sum()):,}",
                f"{few_genes_limit(self.n_genes_):,}",
                f"{self.n_genes_:,}",
                _named(es.sample_ids, few),
                f"{int(observed[few].min()):,}",
                extra={"notice": "few_genes"},
            )
        device = self._inference_device()
        # a private frozen copy on the device: the fitted network is never moved or changed, so
        # predict and transform may run meanwhile (threads of a server)
        net = copy.deepcopy(module).to(device)
        net.requires_grad_(False)
        net.eval()
        reference = getattr(self, "reference_", None)
        placed = np.flatnonzero(~empty)
        if reference is not None and self.train_config.neighbour_weight > 0:
            some, err_some = self._place_by_neighbours(net, scaled[placed], reference, device)
        else:
            some, err_some = _place_samples(net, scaled[placed], self.transform_config, device)
        coords = np.full((len(scaled), some.shape[1]), np.nan, dtype=some.dtype)
        err = np.full(len(scaled), np.nan, dtype=err_some.dtype)
        coords[placed], err[placed] = some, err_some
        # values in other units (counts against a log-scale model) are placed all the same:
        # said here too, as from Python nothing else says it (embed adds the remedy)
        scales = (
            _value_scales(net, some, values[placed], self.gene_mean_, self.gene_scale_)
            if getattr(self, "value_scale_", None)  # (else not checked)
            else None
        )
        warning = self.fit_error_warning(
            err_some, None if scales is None else scales / self.value_scale_
        )
        if warning:
            log.warning("transform: %s", warning, extra={"notice": "fit_error"})
        return (coords, err) if return_error else coords

    def _place_by_neighbours(
        self,
        module: FactorizedEmbedding,
        scaled: np.ndarray,
        reference: dict[str, np.ndarray],
        device: torch.device,
    ) -> tuple[np.ndarray, np.ndarray]:
        space = (
            center_rows(scaled, reference["mean"]) if self.neighbour_space == "centered" else scaled
        )
        idx = _reference_neighbours(space, reference, self.train_config.neighbour_k)
        trained = module.sample_embedding.detach()
        anchors = trained[torch.as_tensor(idx, device=trained.device)]  # (n, k, dim)
        start = anchors.median(dim=1).values
        data = ResidentMatrix(scaled, device)
        cfg = self.transform_config
        return tuple(
            t.cpu().numpy()
            for t in refine_coordinates(
                module,
                start,
                data,
                cfg.neighbour_steps,
                cfg.lr,
                anchors=anchors,
                anchor_weight=self.train_config.neighbour_weight,
                anchor_scale=self.train_config.neighbour_scale,
                anchor_power=self.train_config.neighbour_power,
                torch_adam=False,
            )
        )

    # ------------------------------------------------------------------ persistence
    def key(self) -> str:
        """A stable string naming this fitted model (settings + weights), for cache keys."""
        if getattr(self, "_key", None) is None:
            self._key = self._key_of(self._key_params())
        return self._key

    def _key_params(self) -> dict:
        params = self.checked_params()  # the value trained with: keys as before the raw one
        params["reassign_until"] = self.train_config.reassign_until
        return params

    def _key_of(self, params: dict) -> str:
        module = self._check_fitted()
        h = hashlib.blake2b(digest_size=12)
        h.update(json.dumps(params, sort_keys=True).encode())
        for name, tensor in sorted(module.state_dict().items()):
            h.update(name.encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()

    def _checked_key(self, stored: Any, saved_params: Any) -> str | None:
        """The key ``config.json`` holds when it is this model's (loaded weights, settings),
        else None (computed again on demand). A config.json copied from another model kept
        that model's key, and the dashboard showed that model's cached gene map. A model
        saved before a setting existed hashed its settings without it: its key is checked in
        that form too, so that its cached results and links keep their key."""
        if not isinstance(stored, str):
            return None
        params = self._key_params()
        if self._key_of(params) == stored:
            return stored
        if isinstance(saved_params, dict):
            older = {name: value for name, value in params.items() if name in saved_params}
            if older != params and self._key_of(older) == stored:
                return stored
            # saved up to 2026-12-02: the key hashed the settings as config.json holds them
            # (transform without neighbour_steps, no reassign_until), not as read back today
            if saved_params != params and self._key_of(saved_params) == stored:
                return stored
        return None

    def save(self, directory: str | Path, overwrite: bool = True) -> Path:
        """Write the model directory atomically (a crash never leaves a half-written model).

        An existing model is replaced in one atomic step on Linux (the new and the previous
        directory are exchanged); elsewhere by two renames, and a crash between them leaves
        both complete models under hidden names beside ``directory`` (:meth:`load` names them).

        Parameters
        ----------
        directory
            Target directory; when it exists and ``overwrite`` is True, replaced if it is a
            model directory (or empty). A folder of other files, or a model directory that
            also holds files of the user's, is never replaced (:func:`check_replaceable`). A
            link to a directory: the model is saved where it points, the link stays.
        """
        module = self._check_fitted()
        directory = Path(directory).expanduser()  # ("~/models/x" made a folder named "~" here)
        if directory.is_symlink():  # the model goes where the link points, the link stays
            if not directory.exists():
                raise ModelError(f"{directory} is a link to nothing ({os.readlink(directory)})")
            directory = directory.resolve()
        if directory.exists():
            if not overwrite:
                raise ModelError(f"{directory} already exists; save elsewhere or overwrite it")
            if not directory.is_dir():
                raise ModelError(f"{directory} already exists and is not a model directory")
            check_replaceable(directory)
        blocking = file_in_the_way(directory)
        if blocking is not None:
            raise ModelError(f"{directory}: cannot save there, {blocking} is a file, not a folder")
        directory.parent.mkdir(parents=True, exist_ok=True)
        # (left by a save killed before; a complete model stays while none is at the path:
        # loading then names it, and it may be the only copy)
        remove_stale_temporaries(
            directory, keep=lambda p: not directory.exists() and (p / "config.json").is_file()
        )
        tmp = _new_folder_beside(directory)
        try:
            save_torch(module.state_dict(), tmp / "weights.pt")
            np.savez(
                tmp / "arrays.npz",
                sample_ids=self.sample_ids_.astype(str),
                gene_ids=self.gene_ids_.astype(str),
                gene_symbols=self.gene_symbols_.astype(str),
                gene_mean=self.gene_mean_,
                gene_scale=self.gene_scale_,
                **(
                    {
                        "copy_keys": self.copy_keys_,
                        "copy_keys_seed": np.int64(self.copy_keys_seed_),
                    }
                    if getattr(self, "copy_keys_", None) is not None
                    else {}
                ),
                **{
                    f"reference_{name}": array
                    for name, array in (getattr(self, "reference_", None) or {}).items()
                },
            )
            text_columns: list[str] = []
            if self.samples_ is not None:
                text_columns = _write_samples(self.samples_, tmp / "samples.parquet")
            config = {
                "format_version": FORMAT_VERSION,
                "params": self.checked_params(),
                # as trained: the automatic settings resolved (epochs, regulariser)
                "train_config": self.train_config.to_dict(),
                "network": module.config.to_dict(),
                "model_key": self.key(),
                # a model saved with annotations misses them when the file is lost
                "samples_file": self.samples_ is not None,
                # written as parquet strings; read back as object columns of text
                "sample_object_columns": text_columns,
                "history": [float(x) for x in self.history_],
                "train_time_s": self.train_time_s_,
                "pairs_per_s": self.pairs_per_s_,
                "n_moved": [int(x) for x in self.n_moved_],
                "value_scale": getattr(self, "value_scale_", None),
                # the automatic choices as the run made them (device, precision, step size)
                "resolved": dict(getattr(self, "resolved_", {})),
                "dataset": {
                    "name": self.dataset_name_,
                    "fingerprint": self.dataset_fingerprint_,
                    "source": self.data_source_,
                    "simulated": bool(getattr(self, "simulated_", False)),
                    "n_samples": int(module.config.n_samples),
                    "n_genes": int(module.config.n_genes),
                },
                "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "torch_version": torch.__version__,
                # what a rerun needs to give the same numbers (torch's threads: ``resolved``)
                "software": software_versions(),
                # ``python -m core train``'s command line (None from Python)
                "command": getattr(self, "command_", None),
            }
            (tmp / "config.json").write_text(json.dumps(config, indent=2, default=str))
            _sync_tree(tmp)  # the files are on disk before the new model takes the name
            # elsewhere than Linux: see _interrupted_save. A model that another save put at the
            # path meanwhile is replaced when overwriting (never a folder of the user's files)
            replace_dir(tmp, directory, _is_replaceable if overwrite else None)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> FactorizedEmbeddings:
        """Read a model directory written by :meth:`save` (tensors and JSON only; no code).

        Raises
        ------
        ModelError
            When the directory is missing, of another format version, or damaged: unreadable
            files, settings that do not build the network, weights, ids, gene statistics or
            sample annotations of other sizes than the network, non-finite weights.
        """
        directory = Path(directory).expanduser()
        check_model_directory(directory)
        config = read_config(directory)
        model, net = cls._from_settings(directory, config)
        model._read_train_config(directory, config)
        module = _read_weights(directory, net)
        model._read_arrays(directory / "arrays.npz", net)
        model.samples_ = read_samples(directory, config, net.n_samples, model.sample_ids_)
        model.module_ = module
        model._read_training_record(directory, config)
        model._read_key(directory, config)
        return model

    @classmethod
    def _from_settings(
        cls, directory: Path, config: dict
    ) -> tuple[FactorizedEmbeddings, NetworkConfig]:
        """The unfitted model and its network's sizes, built from config.json's settings."""
        for entry in ("params", "network"):
            if not isinstance(config.get(entry), dict):
                raise _damaged(directory, "config.json", f"missing entry {entry!r}")
        params = dict(config["params"])
        params.setdefault("neighbour_space", "values")  # saved before the setting existed
        network = dict(config["network"])
        # a setting this version does not know (a newer version's): named, not a TypeError
        unknown = sorted(set(params) - set(inspect.signature(cls.__init__).parameters))
        if unknown:  # (not "damaged ... train it again": the model may be whole)
            raise ModelError(
                f"{directory}: config.json holds settings this version does not know: "
                f"{', '.join(map(repr, unknown[:5]))} (a model saved by a newer version of "
                "this software, or an edited file); load it with the version that saved it"
            )
        try:
            params["hidden"] = tuple(params["hidden"])
            model = cls(**params)
            network["hidden"] = tuple(network["hidden"])
            net = NetworkConfig(**network)
        except (TypeError, KeyError, ValueError) as exc:  # ModelError is a ValueError
            raise _damaged(directory, "config.json", f"bad settings: {exc}") from None
        shape = (model.sample_dim, model.gene_dim, model.hidden, model.activation)
        if shape != (net.sample_dim, net.gene_dim, net.hidden, net.activation):
            raise _damaged(directory, "config.json", "params and network disagree on its shape")
        return model, net

    def _read_train_config(self, directory: Path, config: dict) -> None:
        """The settings the model trained with, as config.json records them (or stand-ins)."""
        if isinstance(config.get("train_config"), dict):
            try:
                self.train_config = TrainConfig(**config["train_config"])
            except (TypeError, ModelError) as exc:
                raise _damaged(directory, "config.json", f"bad train_config: {exc}") from None
        else:  # saved before the settings were recorded as trained: weight 1, Cauchy kernel,
            # 10 neighbours, no rank decay (the constructor's stand-ins today, written out here
            # so that a change to those leaves old models as they trained)
            self.train_config = replace(
                self.train_config,
                neighbour_weight=1.0 if self.neighbour_weight is None else self.neighbour_weight,
                neighbour_power=1.0 if self.neighbour_power is None else self.neighbour_power,
                neighbour_k=10 if self.neighbour_k is None else self.neighbour_k,
                neighbour_decay=0.0 if self.neighbour_decay is None else self.neighbour_decay,
            )

    def _read_training_record(self, directory: Path, config: dict) -> None:
        """The training's history, timings, commands and data set, as config.json keeps them."""
        dataset = config.get("dataset") or {}
        try:
            self.history_ = [float(x) for x in config.get("history", [])]
            self.train_time_s_ = float(config.get("train_time_s", 0.0))
            self.pairs_per_s_ = float(config.get("pairs_per_s", 0.0))
            self.n_moved_ = [int(x) for x in config.get("n_moved", [])]
            self.value_scale_ = _positive_or_none(config.get("value_scale"))  # 2026-12-05
            self.resolved_ = dict(config.get("resolved") or {})  # {} before 2026-12-04
            command = config.get("command")  # (none before 2026-12-07)
            self.command_ = command if isinstance(command, str) else None
            self.data_source_ = dict(dataset.get("source") or {})
            self.dataset_name_ = str(dataset.get("name", ""))
            self.dataset_fingerprint_ = str(dataset.get("fingerprint", ""))
            # models saved before it was recorded: told from what they keep of their data
            self.simulated_ = (
                dataset["simulated"] is True
                if "simulated" in dataset
                else is_simulated(
                    SimpleNamespace(
                        source=self.data_source_,
                        name=self.dataset_name_,
                        samples=getattr(self, "samples_", None),
                    )
                )
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise _damaged(directory, "config.json", f"training record: {exc}") from None

    def _read_key(self, directory: Path, config: dict) -> None:
        """The model key config.json records, kept when it is this model's, else warned of."""
        self._key = self._checked_key(config.get("model_key"), config.get("params"))
        if self._key is None and isinstance(config.get("model_key"), str):
            # a weights.pt (or config.json) copied from another model of the same shape loaded
            # without a word: that model's map under this one's history and settings
            log.warning(
                "%s: weights.pt is not the model that config.json describes (the model key it "
                "records, %s, is not that of these weights and settings): the files may come "
                "from different models, or config.json was edited; the settings and training "
                "history shown are config.json's",
                directory,
                config["model_key"],
            )

    def _read_arrays(self, path: Path, net: NetworkConfig) -> None:
        """Ids, gene statistics and the neighbours' reference from ``arrays.npz``, checked
        against the network's sizes."""
        n_samples, n_genes = net.n_samples, net.n_genes
        try:
            # the file opened here: np.load left it open when it was no zip (a ResourceWarning)
            with open(path, "rb") as handle:
                arrays = np.load(handle, allow_pickle=False)
                if not isinstance(arrays, np.lib.npyio.NpzFile):  # (a lone array, .npy)
                    raise ValueError("one array (.npy) where an .npz archive of arrays belongs")
                with arrays:
                    data = {name: arrays[name] for name in arrays.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            if _not_damage(exc):
                raise
            raise _damaged(path.parent, path.name, exc) from None
        expected = {
            "sample_ids": (n_samples,),
            "gene_ids": (n_genes,),
            "gene_symbols": (n_genes,),
            "gene_mean": (n_genes,),
            "gene_scale": (n_genes,),
        }
        for name, shape in expected.items():
            if name not in data:
                raise _damaged(path.parent, path.name, f"missing entry {name!r}")
            if data[name].shape != shape:
                raise _damaged(
                    path.parent, path.name, f"{name} has shape {data[name].shape}, not {shape}"
                )
        try:
            self.sample_ids_ = data["sample_ids"].astype(str)
            self.gene_ids_ = data["gene_ids"].astype(str)
            self.gene_symbols_ = data["gene_symbols"].astype(str)
            self.gene_mean_ = data["gene_mean"].astype(np.float32)
            self.gene_scale_ = data["gene_scale"].astype(np.float32)
        except (TypeError, ValueError) as exc:
            raise _damaged(path.parent, path.name, exc) from None
        if not (np.isfinite(self.gene_mean_).all() and np.isfinite(self.gene_scale_).all()):
            raise _damaged(path.parent, path.name, "gene statistics hold NaN or infinite values")
        if not (self.gene_scale_ > 0).all():
            raise _damaged(path.parent, path.name, "gene scales must be positive")
        self.copy_keys_, self.copy_keys_seed_ = None, None  # (none in models saved before)
        if "copy_keys" in data:
            keys, seed = data["copy_keys"], data.get("copy_keys_seed")
            if not (
                keys.ndim == 2
                and keys.shape[0] == n_samples
                and 1 <= keys.shape[1] <= n_genes
                and keys.dtype.kind == "f"
                and seed is not None
                and seed.shape == ()
                and seed.dtype.kind in "iu"
            ):
                raise _damaged(
                    path.parent,
                    path.name,
                    f"the training samples' copy keys do not fit {n_samples:,} samples",
                )
            self.copy_keys_ = keys.astype(np.float64)
            self.copy_keys_seed_ = int(seed)
        names = ("mean", "basis", "scores")
        self.reference_ = None
        if all(f"reference_{name}" in data for name in names):
            ref = {name: data[f"reference_{name}"] for name in names}
            m = ref["basis"].shape[1] if ref["basis"].ndim == 2 else -1
            ok = (
                m >= 1
                and ref["mean"].shape == (n_genes,)
                and ref["basis"].shape == (n_genes, m)
                and ref["scores"].shape == (n_samples, m)
                and all(a.dtype.kind == "f" and np.isfinite(a).all() for a in ref.values())
            )
            if not ok:
                raise _damaged(
                    path.parent,
                    path.name,
                    f"the neighbours' reference does not fit {n_samples:,} samples x "
                    f"{n_genes:,} genes",
                )
            self.reference_ = {name: a.astype(np.float32) for name, a in ref.items()}


def _read_weights(directory: Path, net: NetworkConfig) -> FactorizedEmbedding:
    """The network of ``weights.pt``, checked against config.json's sizes and for NaN."""
    try:
        state = torch.load(directory / "weights.pt", map_location="cpu", weights_only=True)
        shapes = {name: tuple(tensor.shape) for name, tensor in state.items()}
    except Exception as exc:
        if _not_damage(exc):  # memory short for a moment, a permission: said as they are
            raise
        raise _damaged(directory, "weights.pt", _unreadable_weights(exc)) from None
    expected = FactorizedEmbedding.state_shapes(net)
    if shapes != expected:
        wrong = sorted(
            k for k in expected.keys() | shapes.keys() if shapes.get(k) != expected.get(k)
        )
        raise _damaged(
            directory,
            "config.json",
            f"its network sizes disagree with weights.pt ({wrong[0]}: "
            f"{expected.get(wrong[0])} in config.json, {shapes.get(wrong[0])} in weights.pt)",
        )
    # initialised from a generator of its own (the weights are loaded over it): loading a
    # model leaves torch's global random generator alone
    module = FactorizedEmbedding(net, torch.Generator().manual_seed(0))
    try:
        module.load_state_dict(state)
    except Exception as exc:
        raise _damaged(directory, "weights.pt", f"unreadable weights: {exc}") from None
    if not all(torch.isfinite(p).all() for p in module.parameters()):
        raise _damaged(directory, "weights.pt", "weights hold NaN or infinite values")
    module.eval()
    return module


def _unreadable_weights(exc: BaseException) -> str:
    """Why ``weights.pt`` could not be read, in a few words: torch's message of a cut file is
    four sentences long (and was cut at 300 characters mid-word), its message of a file that
    is no torch file a bare key (``'101'``)."""
    words = " ".join(str(exc).split())
    if "zip archive" in words or isinstance(exc, (KeyError, EOFError)) or not words:
        first = words.split(". ")[0] if "zip archive" in words else ""
        return "truncated, or not a file saved by torch" + (f" ({first})" if first else "")
    return f"unreadable weights: {words}"
