"""``FactorizedEmbeddings``: the estimator users call (fit / transform / predict / save / load).

>>> from core.data import load_gtex
>>> from core.estimator import FactorizedEmbeddings
>>> es = load_gtex("reads.gct.gz", "SampleAttributesDS.txt", exclude_tissues=("Brain",))
>>> fe = FactorizedEmbeddings(epochs=200).fit(es)          # doctest: +SKIP
>>> fe.sample_embedding_.shape                              # doctest: +SKIP
(n_samples, 2)

A saved model is a directory: ``config.json`` (every setting, the training history and the
dataset's provenance), ``weights.pt`` (tensors only; loaded with ``weights_only=True``),
``arrays.npz`` (ids, gene statistics; no pickled objects) and ``samples.parquet`` (the training
samples' annotations).
"""

from __future__ import annotations

import copy
import glob
import hashlib
import inspect
import json
import logging
import os
import secrets
import shutil
import stat
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import torch

from core.data import (
    LOG_SCALE_MAX,
    MAX_EXPRESSION_VALUE,
    ExpressionSet,
    find_gene,
    gene_lookup_tables,
    is_simulated,
    match_genes,
    shared_name_note,
)
from core.errors import ModelError
from core.files import remove_stale_temporaries, replace_dir, save_torch, temporary_name
from core.model import FactorizedEmbedding, NetworkConfig, as_int
from core.train import (
    ResidentMatrix,
    TrainConfig,
    TrainProgress,
    best_grid_point,
    decode_points,
    grid_points,
    load_checkpoint,
    neighbour_graph,
    principal_components,
    refine_coordinates,
    resolve_device,
    train_network,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
STANDARDIZE = ("none", "center", "z")
INITS = ("pca", "random")
#: Placed samples whose median fit error exceeds this many times the final training loss are
#: flagged (:meth:`FactorizedEmbeddings.fit_error_warning`). On GTEx 26 tissues, 104 held-out
#: samples in the training units fit at 0.98x; the same values halved (what a log2 model is
#: given as log10 x 1.66, or ln values as log2 x 0.69) at 4.7x, with the tissue of their 15
#: nearest training samples right for 0.36 of them instead of 0.92 (tests/benchmarks/RESULTS.md).
FIT_ERROR_FACTOR = 3.0
#: One placed sample whose fit error exceeds this many times the training loss is named (a
#: typo, a sample in counts): 1 of the 104 held-out samples above, at 3x it would be 3.
POOR_FIT_FACTOR = 5.0
#: Placed samples whose values are, by their median, further than this from the profile the
#: model decodes at their places (:meth:`FactorizedEmbeddings.value_scales`) are warned of:
#: log values of another base. Held-out samples in the training units gave a median of 1.00
#: (26 tissues, 104 samples, each tissue 0.97-1.05) and 0.96 (GTEx acmg59, 60 samples, 40 of
#: Brain, a tissue the model was not trained on); the same values x0.69 (natural log against
#: log2) gave 0.70 and 0.68, while their fit error was only 2.8x the training loss
#: (tests/benchmarks/RESULTS.md).
SCALE_BAND = (0.8, 1.25)
#: The training samples' own scales must spread over less than this factor (their middle 90%)
#: for new samples' to be checked: 1.11 for the default model of the 26 tissues, 1.42 for a
#: small network after 200 epochs, 4.3 after 30 (fit error 3.7: it decodes little).
SCALE_SPREAD = 1.5
#: Factors between log bases, named when a batch's scale is near one: values in base ``given``
#: against a model of base ``trained`` are ``ln(trained) / ln(given)`` times its values.
LOG_BASES = {"log2": 2.0, "natural-log": float(np.e), "log10": 10.0}
#: A sample placed from fewer observed model genes than this (or than half of the model's
#: genes, when it has fewer than twice as many) is named in a warning: its place rests on a
#: handful of values, and its fit error is low all the same (fewer values to miss).
FEW_GENES = 20
NEIGHBOUR_SPACES = ("centered", "values")
GRAPH_COMPONENTS = 50  # principal components behind the samples' neighbour graph


def few_genes_limit(n_genes: int) -> int:
    """Samples placed from fewer observed genes than this, of a model of ``n_genes``, are
    named in a warning (:data:`FEW_GENES`)."""
    return min(FEW_GENES, max(1, n_genes // 2))


def _samples_by_id(es: Any) -> pd.DataFrame | None:
    """A copy of ``es.samples`` indexed by the sample ids, as :meth:`FactorizedEmbeddings.save`
    writes them and ``load`` checks them. Annotations replaced by hand (``es.samples =
    es.samples.reset_index()``) were saved as they were, and the saved model could not be
    loaded: rows in matrix order are given the ids, rows by id are put in the set's order."""
    samples = getattr(es, "samples", None)
    if samples is None:
        return None
    names = pd.Index([str(c) for c in samples.columns])
    if names.has_duplicates:  # (samples.parquet cannot hold them: found by the save, too late)
        twice = ", ".join(repr(c) for c in names[names.duplicated()].unique()[:3])
        raise ModelError(
            f"the samples' annotations name the column(s) {twice} more than once: rename "
            "or drop the copies"
        )
    ids = pd.Index(np.asarray(es.sample_ids).astype(str), name=samples.index.name or "sample_id")
    index = samples.index.astype(str)
    if index.equals(ids):
        return samples.copy()
    if not index.has_duplicates and ids.isin(index).all():
        return samples.set_axis(index).reindex(ids).rename_axis(ids.name)
    if isinstance(samples.index, pd.RangeIndex) and len(samples) == len(ids):
        return samples.set_axis(ids)
    raise ModelError(
        f"the samples' annotations ({len(samples)} rows) are indexed neither by the "
        f"{len(ids)} sample ids (e.g. {index[:2].tolist()}) nor in the matrix's order: set "
        "their index to the sample ids"
    )


def _as_expression_set(es, what: str):
    """``es`` when it is an :class:`~core.data.ExpressionSet` (or quacks like one), a
    (n_samples, n_genes) array or DataFrame wrapped in one, else a :class:`ModelError`.

    A DataFrame's index gives the sample ids and its columns the gene ids (or symbols); a
    Series indexed by gene is one sample (its name the sample's id: ``df.loc["S1"]``); an
    array gets ids ``sample_0...`` and ``gene_0...``. The values are read as float32.
    """
    if isinstance(es, pd.Series) and not isinstance(es.index, pd.RangeIndex):
        name = es.name if es.name is not None else "sample_0"
        es = es.to_frame(name=str(name)).T
    if isinstance(es, pd.DataFrame):
        return ExpressionSet.from_array(
            es, sample_ids=es.index.astype(str), gene_ids=es.columns.astype(str)
        )
    if isinstance(es, np.ndarray):
        return ExpressionSet.from_array(es)
    if not all(hasattr(es, name) for name in ("values", "sample_ids", "gene_ids", "gene_symbols")):
        raise ModelError(
            f"{what} takes an ExpressionSet (core.data), a numpy array or a DataFrame of "
            f"samples x genes, got {type(es).__name__}"
        )
    values = es.values
    if not isinstance(values, np.ndarray) or values.ndim != 2:
        raise ModelError(
            f"{what}: values must be a 2-D (n_samples, n_genes) array, "
            f"got {getattr(values, 'shape', type(values).__name__)}"
        )
    if values.dtype.kind not in "biuf":
        raise ModelError(f"{what}: values must be numeric, got dtype {values.dtype}")
    n_samples, n_genes = values.shape
    if len(es.sample_ids) != n_samples or len(es.gene_ids) != n_genes:
        raise ModelError(
            f"{what}: {len(es.sample_ids)} sample ids and {len(es.gene_ids)} gene ids for a "
            f"{n_samples} x {n_genes} matrix"
        )
    if len(es.gene_symbols) != n_genes:
        raise ModelError(f"{what}: {len(es.gene_symbols)} gene symbols for {n_genes} genes")
    return es


def _interrupted_save(directory: Path) -> list[str]:
    """What an interrupted :meth:`FactorizedEmbeddings.save` into ``directory`` left beside it:
    the previous model (``.NAME.old-PID``) and the new one (``.NAME.tmp-PID.XXXX``), each complete,
    when the save stopped between its two renames (newest first)."""
    parent = directory.parent
    if not parent.is_dir():
        return []
    found = [
        p
        for p in parent.glob(f".{glob.escape(directory.name)}.*")
        if p.is_dir() and (p / "config.json").is_file() and (p / "weights.pt").is_file()
    ]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p) for p in found]


#: What a model directory holds (the files :meth:`FactorizedEmbeddings.save` writes; keep in
#: step with it: anything else in a model directory is taken for a file of the user's).
MODEL_ENTRIES = ("config.json", "weights.pt", "arrays.npz", "samples.parquet")


def check_replaceable(directory: Path, what: str = "saving") -> None:
    """Refuse to replace ``directory`` as a whole unless it is empty or a model directory
    holding nothing but the model (hidden entries aside): a folder of other files, and files
    of the user's kept in a model directory, would go with it.

    Raises
    ------
    ModelError
        Naming the first entries that would be lost.
    """
    entries = sorted(p.name for p in Path(directory).iterdir())
    if (Path(directory) / "config.json").is_file():
        other = [e for e in entries if e not in MODEL_ENTRIES and not e.startswith(".")]
        if other:
            shown = ", ".join(other[:3]) + (", ..." if len(other) > 3 else "")
            raise ModelError(
                f"{directory} also holds {shown}, not part of the model: {what} replaces the "
                "directory as a whole, and they would be lost; move them, or choose another "
                "directory"
            )
        return
    if entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise ModelError(
            f"{directory} is not a model directory (it holds {shown}; no config.json): {what} "
            "would replace it as a whole; choose another directory"
        )


def _is_replaceable(directory: Path) -> bool:
    """Whether :func:`check_replaceable` lets ``directory`` be replaced."""
    try:
        check_replaceable(directory)
    except (ModelError, OSError):
        return False
    return True


def _new_folder_beside(directory: Path) -> Path:
    """A new hidden folder ``.NAME.tmp-PID.<random>`` beside ``directory``, where a model is
    written before it takes the name (one that a killed save left is removed by the next save,
    :func:`core.files.remove_stale_temporaries`).

    Made as any folder is (the umask, a shared parent's group), not by ``tempfile.mkdtemp``,
    whose folders are their owner's only (0700): a model was unreadable by a server or a
    colleague running as another user. A model that replaces another keeps its folder's mode
    (a model made private stays private).
    """
    for _ in range(100):
        tmp = temporary_name(directory, secrets.token_hex(6))
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        if directory.is_dir():
            try:
                os.chmod(tmp, stat.S_IMODE(directory.stat().st_mode))
            except OSError:
                pass  # (not the folder's owner: the new one is made as any folder is)
        return tmp
    raise ModelError(f"cannot make a new folder beside {directory}")


def _not_damage(exc: BaseException) -> bool:
    """Whether a failure to read a model file says nothing of the file (memory short for a
    moment, a permission, too many open files): the model is not called damaged (a cached one
    was discarded for it)."""
    import errno

    if isinstance(exc, (MemoryError, PermissionError)):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM)


def _damaged(directory: Path, name: str, detail) -> ModelError:
    """The error of a damaged model directory: ``<dir>: damaged or incomplete model directory
    (<file>: <detail>)``, so that a caller can put its own prefix (a flag) before it."""
    words = " ".join(str(detail).split())  # one line (torch's messages span several)
    try:  # (torch says nothing of a file of 0 bytes: "unreadable weights:")
        if (directory / name).stat().st_size == 0:
            words = "an empty file (0 bytes)"
    except OSError:
        pass
    return ModelError(
        f"{directory}: damaged or incomplete model directory ({name}: {words[:300]}); "
        "save or train it again"
    )


def _sync_tree(directory: Path) -> None:
    """Flush ``directory``'s files (and the directory itself, where the OS allows) to disk."""
    for path in directory.iterdir():
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # directories cannot be opened on some systems (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


def _check_training_values(values: np.ndarray, es, standardize: str = "none") -> None:
    """No infinite value, and every sample and every gene observed (non-NaN) at least once.

    A sample without any value would be placed by nothing but its random start, a gene
    without any by nothing at all; both are refused (:class:`ModelError`) rather than learned
    silently. Values above :data:`core.data.LOG_SCALE_MAX` (counts or TPM, not a log scale)
    are warned of: the model trains, fitting them as they are (or as ``standardize`` scales
    them). Scans ``values`` (n_samples, n_genes) by blocks of rows.
    """
    n_samples, n_genes = values.shape
    empty_rows = np.zeros(n_samples, bool)
    seen_genes = np.zeros(n_genes, bool)
    top = np.full(n_genes, -np.inf, dtype=np.float32)
    step = max(1, (1 << 24) // max(1, n_genes))
    for start in range(0, n_samples, step):
        block = values[start : start + step]
        if np.isinf(block).any():
            raise ModelError(
                "the matrix holds infinite values; log-transform counts before training"
            )
        observed = ~np.isnan(block)
        empty_rows[start : start + step] = ~observed.any(1)
        seen_genes |= observed.any(0)
        np.fmax(top, np.nanmax(block, axis=0, initial=-np.inf), out=top)
    if empty_rows.any():
        raise ModelError(
            f"{int(empty_rows.sum())} sample(s) have no observed (non-NaN) value for any of the "
            f"{n_genes:,} genes ({_named(es.sample_ids, empty_rows)}): nothing places them on "
            "the map; remove them"
        )
    if not seen_genes.all():
        raise ModelError(
            f"{int((~seen_genes).sum())} gene(s) have no observed (non-NaN) value in any sample "
            f"({_named(es.gene_ids, ~seen_genes)}): nothing to learn them from; remove them "
            "(ExpressionSet.drop_zero_genes)"
        )
    if top.size and top.max() > LOG_SCALE_MAX:
        high = top > LOG_SCALE_MAX
        how = (
            "as they are, with errors on that scale"
            if standardize == "none"
            else f"scaled per gene ({standardize}), where a few very high values weigh most"
        )
        log.warning(
            "values up to %.4g (gene %s%s) look like counts or TPM, not a log scale: the model "
            "fits them %s. Log-transform them first: numpy.log10(values + 1), "
            "load_table(..., transform='log10p1'), or --transform log10p1 on the command line",
            float(top.max()),
            _named(es.gene_symbols, np.arange(n_genes) == int(np.argmax(top))),
            f" and {int(high.sum()) - 1:,} more of the {n_genes:,}" if high.sum() > 1 else "",
            how,
        )


def _write_samples(samples: pd.DataFrame, path: Path) -> list[str]:
    """Write the training samples' annotations to ``path`` (parquet); returns the columns
    written as text, which :meth:`FactorizedEmbeddings.load` reads back as object columns.

    Object columns are written as parquet strings. A column that parquet cannot store is
    written as its text, with a warning (categories of intervals, as ``pandas.cut`` makes
    age brackets; complex numbers): it was found by the save only, after the training, as a
    pyarrow error. Sparse columns are written dense. Missing values stay missing.
    """
    import io

    out = samples.copy()
    out.index = out.index.astype(str)
    text = [str(c) for c in out.columns if out[c].dtype == object]
    for col in out.columns:
        if isinstance(out[col].dtype, pd.SparseDtype):
            out[col] = out[col].sparse.to_dense()
        elif out[col].dtype == object:
            out[col] = out[col].astype("string")

    def parquet(frame: pd.DataFrame) -> bytes | Exception:
        buffer = io.BytesIO()
        try:
            frame.to_parquet(buffer)
        except (ImportError, MemoryError):
            raise
        except Exception as exc:  # pyarrow's errors of a type it cannot store
            return exc
        return buffer.getvalue()

    data = parquet(out)
    if isinstance(data, Exception):
        as_text = [col for col in out.columns if isinstance(parquet(out[[col]]), Exception)]
        for col in as_text:
            column = out[col].astype(object)
            out[col] = column.where(column.notna(), None).astype("string")
        text += [str(c) for c in as_text if str(c) not in text]
        if as_text:
            log.warning(
                "annotation column(s) %s: of a type the model file cannot store (%s); saved "
                "as text",
                ", ".join(map(repr, as_text[:5])),
                ", ".join(sorted({str(samples[c].dtype) for c in as_text})),
            )
            data = parquet(out)
    if isinstance(data, Exception):
        first = (str(data).strip().splitlines() or [type(data).__name__])[0][:200]
        raise ModelError(f"the samples' annotations cannot be saved ({first})")
    path.write_bytes(data)
    return text


def _checkpoint_epochs(checkpoint: str | Path | None) -> int | None:
    """The epochs the run that wrote ``checkpoint`` was set for, None when there is no
    checkpoint there or it does not say (a damaged one is refused by the training that
    resumes it)."""
    if checkpoint is None or not Path(checkpoint).is_file():
        return None
    trained = load_checkpoint(checkpoint).get("train_config")
    epochs = trained.get("epochs") if isinstance(trained, dict) else None
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        return None
    return epochs


def _named(ids: np.ndarray, which: np.ndarray, limit: int = 5) -> str:
    """The first ``limit`` of ``ids[which]``, comma-separated, "..." when there are more."""
    names = [str(x) for x in np.asarray(ids)[which][: limit + 1]]
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _optional_float(value, name: str) -> float | None:
    """``value`` as a float (None stays None); anything but a real number is a ModelError."""
    if value is None:
        return None
    real = (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, real):
        raise ModelError(f"{name} must be a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class TransformConfig:
    """How new samples are placed (:meth:`FactorizedEmbeddings.transform`).

    Parameters
    ----------
    steps
        Gradient steps refining each new sample's coordinate after the grid search (models
        trained without the neighbour regulariser).
    lr
        Learning rate of those steps.
    grid_size
        Points per side of the search grid.
    neighbour_steps
        Gradient steps refining each new sample's coordinate from the place of its nearest
        training samples (models with the regulariser, the default). That start is already
        close: on held-out GTEx samples (600 of acmg59; 104 of the 26-tissue set) 25 steps
        place them as well as 100 (nearest training sample of their tissue 0.947 vs 0.943;
        0.933 vs 0.923; same fit error) in a quarter of the time
        (``tests/benchmarks/RESULTS.md``).
    """

    steps: int = 100
    lr: float = 0.02
    grid_size: int = 96
    neighbour_steps: int = 25

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", as_int(self.steps, "transform steps"))
        object.__setattr__(
            self, "neighbour_steps", as_int(self.neighbour_steps, "transform neighbour_steps")
        )
        object.__setattr__(self, "grid_size", as_int(self.grid_size, "transform grid_size"))
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)):
            raise ModelError(f"transform lr must be a number, got {lr!r}")
        object.__setattr__(self, "lr", float(lr))
        if self.steps < 0 or not (0 < self.lr < float("inf")) or self.grid_size < 2:
            raise ModelError("transform needs steps >= 0, lr > 0 and grid_size >= 2")
        if self.neighbour_steps < 0:
            raise ModelError("transform needs neighbour_steps >= 0")


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
        ``fp32``), ``rows_per_step`` and ``genes_per_step`` (see :meth:`trained_params`).
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
        """Every constructor setting, JSON-serialisable (``deep``: accepted, as scikit-learn
        asks; there are no nested estimators)."""
        t = self.train_config
        return {
            "sample_dim": self.sample_dim,
            "gene_dim": self.gene_dim,
            "hidden": list(self.hidden),
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
        """An unfitted model of the same settings (``sklearn.base.clone``, scikit-learn 1.3+)."""
        return type(self)(**self.get_params())

    def trained_params(self) -> dict:
        """:meth:`get_params` with the automatic choices (None, ``auto``, 0) as the fit resolved
        them: epochs, the regulariser's settings, device, precision and pairs per step."""
        self._check_fitted()
        params = self.get_params()
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
        es = _as_expression_set(es, "fit")
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
            log.info("epochs not given: %d for %d observed values", cfg.epochs, n_observed)
        auto = auto_neighbour_settings(values.shape[0])
        given = {name: getattr(self, name) for name in auto}
        cfg = replace(
            cfg, **{name: auto[name] if given[name] is None else given[name] for name in auto}
        )
        if any(v is None for v in given.values()):
            log.debug(
                "regulariser for %d samples: weight %g, kernel exponent %g, %d neighbours, "
                "rank decay %g, graph on %s values",
                values.shape[0], cfg.neighbour_weight, cfg.neighbour_power, cfg.neighbour_k,
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
        module.to("cpu")
        self.train_config = cfg
        self.gene_mean_, self.gene_scale_ = gene_mean, gene_scale
        self.module_ = module
        self.history_ = list(state.history)
        self.train_time_s_ = float(time.perf_counter() - t0 + max(0.0, resumed_s))
        self.pairs_per_s_ = float(state.pairs_seen / max(state.elapsed_s, 1e-9))
        self.n_moved_ = list(state.moved)
        self.resolved_ = dict(state.resolved)
        self.value_scale_ = value_scale
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
            raise ModelError(f"{len(unknown)} gene(s) are not genes of the model: {shown}")
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
    def _align(self, es) -> tuple[np.ndarray, int]:
        """New samples' values in the model's gene order; NaN where a gene is absent."""
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
                f"their places on the map (median of {n} sample{'s' if n != 1 else ''})"
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
                    f"value_scales: an array of {es.shape[1]} columns for a model of "
                    f"{self.n_genes_} genes; give the model's genes as columns, in gene_ids_ "
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
        refine the fit alone.
        On GTEx (600 held-out samples, 59 genes) the held-out samples' nearest training sample on
        the map is of their tissue for 0.94 of them (0.84 with the grid search alone).
        Samples that fit the model far worse than its training samples (values in other units),
        or whose values are on another scale than the profiles decoded at their places (log
        values of another base, :meth:`value_scales`), are placed all the same, with a logged
        warning (:meth:`fit_error_warning`).

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
            (n_new, sample_dim) coordinates (and (n_new,) errors when ``return_error``).
        """
        module = self._check_fitted()
        if isinstance(es, np.ndarray) and es.ndim == 2:
            if es.shape[1] != self.n_genes_:  # nothing says which genes its columns are
                raise ModelError(
                    f"transform: an array of {es.shape[1]} columns for a model of "
                    f"{self.n_genes_} genes; give the model's genes as columns, in gene_ids_ "
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
        values, n_matched = self._align(es)
        if n_matched < self.n_genes_:
            log.info("transform: %d of %d model genes present", n_matched, self.n_genes_)
        # (a set built by ExpressionSet.from_array is checked there; one edited in place not)
        out_of_range = ~(np.abs(values) <= MAX_EXPRESSION_VALUE) & ~np.isnan(values)
        if out_of_range.any():
            bad = out_of_range.any(1)
            raise ModelError(
                f"transform: {int(bad.sum())} sample(s) hold infinite values or values beyond "
                f"{MAX_EXPRESSION_VALUE:g} ({_named(es.sample_ids, bad)}); use NaN for missing "
                "values"
            )
        scaled = self._scale(values)
        observed = np.isfinite(scaled).sum(1)
        if (observed == 0).any():
            raise ModelError(
                f"samples without any observed model gene: {_named(es.sample_ids, observed == 0)}"
            )
        few = observed < few_genes_limit(self.n_genes_)
        if few.any():
            log.warning(
                "transform: %d sample(s) placed from fewer than %d of the model's %d genes (%s; "
                "fewest: %d): such a place is uncertain, and its fit error, over fewer values, "
                "is low all the same",
                int(few.sum()),
                few_genes_limit(self.n_genes_),
                self.n_genes_,
                _named(es.sample_ids, few),
                int(observed.min()),
                extra={"notice": "few_genes"},
            )
        device = self._inference_device()
        # a private frozen copy on the device: the fitted network is never moved or changed, so
        # predict and transform may run meanwhile (threads of a server)
        net = copy.deepcopy(module).to(device)
        net.requires_grad_(False)
        net.eval()
        reference = getattr(self, "reference_", None)
        if reference is not None and self.train_config.neighbour_weight > 0:
            coords, err = self._place_by_neighbours(net, scaled, reference, device)
        else:
            coords, err = _place_samples(net, scaled, self.transform_config, device)
        # values in other units (counts against a log-scale model) are placed all the same:
        # said here too, as from Python nothing else says it (embed adds the remedy)
        scales = (
            _value_scales(net, coords, values, self.gene_mean_, self.gene_scale_)
            if getattr(self, "value_scale_", None)  # (else not checked)
            else None
        )
        warning = self.fit_error_warning(
            err, None if scales is None else scales / self.value_scale_
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
            )
        )

    # ------------------------------------------------------------------ persistence
    def key(self) -> str:
        """A stable string naming this fitted model (settings + weights), for cache keys."""
        if getattr(self, "_key", None) is None:
            self._key = self._key_of(self._key_params())
        return self._key

    def _key_params(self) -> dict:
        params = self.get_params()  # the value trained with: keys as before the raw one
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
        directory = Path(directory)
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
                "params": self.get_params(),
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
        directory = Path(directory)
        if not directory.is_dir():
            left = _interrupted_save(directory)
            if left:
                raise ModelError(
                    f"{directory}: no such model directory; a save into it was interrupted and "
                    f"left {' and '.join(left)} beside it (complete models): rename one of them "
                    f"to {directory.name}"
                )
            raise ModelError(f"{directory}: no such model directory")
        for name in ("config.json", "weights.pt", "arrays.npz"):
            if not (directory / name).is_file():
                raise ModelError(f"{directory}: not a model directory ({name} is missing)")
        try:
            config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _damaged(directory, "config.json", f"not valid JSON: {exc}") from None
        except OSError as exc:
            if _not_damage(exc):  # (a permission: said as it is, not as a damaged model)
                raise
            raise _damaged(directory, "config.json", exc) from None
        if not isinstance(config, dict):
            raise _damaged(directory, "config.json", "not a JSON object")
        if config.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"{directory}: model format {config.get('format_version')!r} is not supported "
                f"(this version reads {FORMAT_VERSION})"
            )
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
        if isinstance(config.get("train_config"), dict):
            try:
                model.train_config = TrainConfig(**config["train_config"])
            except (TypeError, ModelError) as exc:
                raise _damaged(directory, "config.json", f"bad train_config: {exc}") from None
        else:  # saved before the settings were recorded as trained: weight 1, Cauchy kernel
            model.train_config = replace(
                model.train_config,
                neighbour_weight=1.0 if model.neighbour_weight is None else model.neighbour_weight,
                neighbour_power=1.0 if model.neighbour_power is None else model.neighbour_power,
                neighbour_k=10 if model.neighbour_k is None else model.neighbour_k,
                neighbour_decay=0.0 if model.neighbour_decay is None else model.neighbour_decay,
            )
        # initialised from a generator of its own (the weights are loaded over it): loading a
        # model leaves torch's global random generator alone
        try:
            state = torch.load(directory / "weights.pt", map_location="cpu", weights_only=True)
            shapes = {name: tuple(tensor.shape) for name, tensor in state.items()}
        except Exception as exc:
            if _not_damage(exc):  # memory short for a moment, a permission: said as they are
                raise
            raise _damaged(directory, "weights.pt", f"unreadable weights: {exc}") from None
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
        module = FactorizedEmbedding(net, torch.Generator().manual_seed(0))
        try:
            module.load_state_dict(state)
        except Exception as exc:
            raise _damaged(directory, "weights.pt", f"unreadable weights: {exc}") from None
        if not all(torch.isfinite(p).all() for p in module.parameters()):
            raise _damaged(directory, "weights.pt", "weights hold NaN or infinite values")
        module.eval()
        model._read_arrays(directory / "arrays.npz", net)
        samples_path = directory / "samples.parquet"
        model.samples_ = None
        # saved before "samples_file" was written: object columns were annotations
        expected = config.get("samples_file", bool(config.get("sample_object_columns")))
        if expected and not samples_path.exists():
            raise _damaged(
                directory, "samples.parquet", "missing: the training samples' annotations"
            )
        if samples_path.exists():
            try:
                model.samples_ = pd.read_parquet(samples_path)
            except Exception as exc:  # pyarrow raises its own types for damaged files
                if _not_damage(exc):
                    raise
                raise _damaged(directory, "samples.parquet", exc) from None
            objects = config.get("sample_object_columns") or []
            for col in model.samples_.columns:
                if str(col) in objects and isinstance(model.samples_[col].dtype, pd.StringDtype):
                    column = model.samples_[col].astype(object)
                    model.samples_[col] = column.where(column.notna(), np.nan)
            if len(model.samples_) != net.n_samples:
                raise _damaged(
                    directory,
                    "samples.parquet",
                    f"{len(model.samples_)} rows for the model's {net.n_samples} samples",
                )
            # another model's annotations of as many samples: every label read "unlabelled"
            ids = model.samples_.index.astype(str)
            own = pd.Index(np.asarray(model.sample_ids_).astype(str), name=ids.name)
            if not ids.equals(own):
                strange = ids.difference(own)
                if ids.has_duplicates and not len(strange):
                    strange = ids[ids.duplicated()]
                if len(strange):
                    raise _damaged(
                        directory,
                        "samples.parquet",
                        f"{len(strange)} of its sample ids are not the model's (e.g. "
                        f"{strange[0]!r}): another model's annotations?",
                    )
                model.samples_.index = ids
                model.samples_ = model.samples_.reindex(own)  # (rows in the model's order)
        model.module_ = module
        dataset = config.get("dataset") or {}
        try:
            model.history_ = [float(x) for x in config.get("history", [])]
            model.train_time_s_ = float(config.get("train_time_s", 0.0))
            model.pairs_per_s_ = float(config.get("pairs_per_s", 0.0))
            model.n_moved_ = [int(x) for x in config.get("n_moved", [])]
            model.value_scale_ = _positive_or_none(config.get("value_scale"))  # 2026-12-05
            model.resolved_ = dict(config.get("resolved") or {})  # {} before 2026-12-04
            model.data_source_ = dict(dataset.get("source") or {})
            model.dataset_name_ = str(dataset.get("name", ""))
            model.dataset_fingerprint_ = str(dataset.get("fingerprint", ""))
            # models saved before it was recorded: told from what they keep of their data
            model.simulated_ = (
                dataset["simulated"] is True
                if "simulated" in dataset
                else is_simulated(
                    SimpleNamespace(
                        source=model.data_source_,
                        name=model.dataset_name_,
                        samples=getattr(model, "samples_", None),
                    )
                )
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise _damaged(directory, "config.json", f"training record: {exc}") from None
        model._key = model._checked_key(config.get("model_key"), config.get("params"))
        return model

    def _read_arrays(self, path: Path, net: NetworkConfig) -> None:
        """Ids, gene statistics and the neighbours' reference from ``arrays.npz``, checked
        against the network's sizes."""
        n_samples, n_genes = net.n_samples, net.n_genes
        try:
            with np.load(path, allow_pickle=False) as arrays:
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


#: Samples from which :func:`auto_neighbour_settings` picks the heavier-tailed kernel.
LARGE_MAP = 2_000
#: Samples below which :func:`auto_neighbour_settings` takes 5 neighbours per sample.
SMALL_MAP = 1_000


def saved_model_is_simulated(directory: str | Path) -> bool:
    """Whether the model saved in ``directory`` was trained on simulated data, read from its
    ``config.json`` (and, for models saved before it was recorded there, from what they keep
    of their data) without loading its weights; False when the files cannot tell."""
    directory = Path(directory)
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        dataset = config.get("dataset") or {}
        if "simulated" in dataset:
            return dataset["simulated"] is True
        samples = None
        if (directory / "samples.parquet").is_file():
            samples = pd.read_parquet(directory / "samples.parquet")
            ids = np.load(directory / "arrays.npz", allow_pickle=False)["sample_ids"]
            if len(ids) == len(samples):
                samples.index = pd.Index(np.asarray(ids).astype(str))
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return False  # (the model's own load says what is wrong with it)
    return is_simulated(
        SimpleNamespace(
            source=dataset.get("source") or {}, name=dataset.get("name", ""), samples=samples
        )
    )


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


def _batch_scale(scales) -> tuple[float, tuple[str, str] | None] | None:
    """The median of a batch's :meth:`FactorizedEmbeddings.value_scales` when it is outside
    :data:`SCALE_BAND`, with the pair of log bases (given, trained) whose ratio it is within 15%
    of, if any; None when it is inside, or no scale is known."""
    if scales is None:
        return None
    scales = np.asarray(scales, dtype=np.float64)
    scales = scales[np.isfinite(scales)]
    if scales.size == 0:
        return None
    factor = float(np.median(scales))
    if SCALE_BAND[0] <= factor <= SCALE_BAND[1]:
        return None
    if factor <= 0:
        return factor, None
    gap, given, trained = min(
        (abs(np.log(factor * np.log(b_given) / np.log(b_train))), given, trained)
        for given, b_given in LOG_BASES.items()
        for trained, b_train in LOG_BASES.items()
        if given != trained
    )
    return factor, ((given, trained) if gap < np.log(1.15) else None)


def _training_scale(
    module: FactorizedEmbedding,
    values: np.ndarray,
    gene_mean: np.ndarray,
    gene_scale: np.ndarray,
    seed: int,
    at_most: int = 500,
) -> float | None:
    """The median :func:`_value_scales` of (at most ``at_most``) training samples at their own
    places (:attr:`FactorizedEmbeddings.value_scale_`); None when none can be measured or
    they spread over more than :data:`SCALE_SPREAD`."""
    rows = np.arange(values.shape[0])
    if rows.size > at_most:
        rows = np.sort(np.random.default_rng(seed).choice(rows, at_most, replace=False))
    embedding = module.sample_embedding.detach()
    coords = embedding[torch.as_tensor(rows, device=embedding.device)].cpu().numpy()
    scales = _value_scales(module, coords, values[rows], gene_mean, gene_scale)
    scales = scales[np.isfinite(scales)]
    if scales.size == 0:
        return None
    low, high = np.quantile(scales, [0.05, 0.95])
    if not (low > 0 and high / low <= SCALE_SPREAD):
        return None
    return _positive_or_none(np.median(scales))


def _times(factor: float) -> str:
    """``0.69x``, ``3.27x``, ``123x``: two decimals below 10, three significant digits above."""
    return f"{factor:.2f}x" if abs(factor) < 10 else f"{factor:.3g}x"


def _positive_or_none(x) -> float | None:
    """``x`` as a float when it is a finite positive number, else None (a flag or a text in a
    damaged config.json too: ``true`` is no scale)."""
    if isinstance(x, (bool, str, bytes)):
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) and x > 0 else None


@torch.no_grad()
def _value_scales(
    module: FactorizedEmbedding,
    coords: np.ndarray,
    values: np.ndarray,
    gene_mean: np.ndarray,
    gene_scale: np.ndarray,
    cells: int | None = None,
) -> np.ndarray:
    """:meth:`FactorizedEmbeddings.value_scales` of ``values`` (n, n_genes) in the training
    units, NaN where missing, placed at ``coords``; decoded ``cells`` values at a time
    (default: 2**18 on a CPU, where blocks of 2**22 took 3 GB and decoded 3x slower, as
    refine_coordinates found of its own; 2**22 on a GPU)."""
    values = np.asarray(values)
    n, n_genes = values.shape
    out = np.full(n, np.nan)
    device = module.sample_embedding.device
    if cells is None:
        cells = 1 << 18 if device.type == "cpu" else 1 << 22
    # a place fitted to a handful of genes fits them whatever their scale (3 genes of 467:
    # panels of held-out samples in the training units gave 1.68x, 0.78x, 0.00x)
    enough = max(3, few_genes_limit(n_genes))
    gene_part = module.gene_part()
    step = max(1, cells // max(1, n_genes))
    for start in range(0, n, step):
        points = torch.as_tensor(np.asarray(coords[start : start + step]), device=device)
        decoded = module.decode(points.to(gene_part.dtype), gene_part).float().cpu().numpy()
        decoded = decoded.astype(np.float64) * gene_scale + gene_mean
        obs = values[start : start + step].astype(np.float64)  # (a block at a time)
        seen = np.isfinite(obs)
        count = seen.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            o = np.where(seen, obs, 0.0)
            d = np.where(seen, decoded, 0.0)
            o = np.where(seen, o - (o.sum(1) / count)[:, None], 0.0)
            d = np.where(seen, d - (d.sum(1) / count)[:, None], 0.0)
            spread = (d * d).sum(1)
            slope = (o * d).sum(1) / spread
        out[start : start + step] = np.where((count >= enough) & (spread > 0), slope, np.nan)
    return out


def _reference_neighbours(
    values: np.ndarray, reference: dict[str, np.ndarray], k: int
) -> np.ndarray:
    """Each new sample's ``k`` nearest training samples, (n_new, k) int64.

    Distances between a new sample and the training samples' rank-m approximation
    (``mean + basis @ score``) over the new sample's observed genes: with orthonormal ``basis``
    columns and missing genes M, ``|r - B_O z|^2 = |r|^2 - 2 z.(B_O^T r) + z^T (I - B_M^T B_M) z``,
    so missing genes cost a (m x m) matrix per sample, not a pass over the training data.
    """
    from sklearn.neighbors import NearestNeighbors

    basis, scores = reference["basis"].astype(np.float64), reference["scores"].astype(np.float64)
    k = int(max(1, min(k, len(scores) - 1)))  # as the training graph (each sample's k others)
    r = np.asarray(values, dtype=np.float64) - reference["mean"]
    finite = np.isfinite(r)
    complete = finite.all(1)
    idx = np.empty((r.shape[0], k), dtype=np.int64)
    if complete.any():
        nn = NearestNeighbors(n_neighbors=k).fit(scores)
        idx[complete] = nn.kneighbors(r[complete] @ basis, return_distance=False)
    incomplete = np.flatnonzero(~complete)
    if incomplete.size == 0:
        return idx
    # samples that lack the same genes (a panel, another platform) share one quadratic term
    packed = np.packbits(finite[incomplete], axis=1)
    patterns, group = np.unique(packed, axis=0, return_inverse=True)
    group = np.asarray(group).reshape(-1)
    n_genes = r.shape[1]
    for g, pattern in enumerate(patterns):
        ok = np.unpackbits(pattern)[:n_genes].astype(bool)
        gram = np.eye(basis.shape[1]) - basis[~ok].T @ basis[~ok]
        quad = ((scores @ gram) * scores).sum(1)  # (n_train,)
        rows = incomplete[group == g]
        for start in range(0, rows.size, 256):  # (256, n_train) distances at a time
            block = rows[start : start + 256]
            p = np.where(ok, r[block], 0.0) @ basis
            d = quad[None, :] - 2.0 * (p @ scores.T)
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
            order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1, kind="stable")
            idx[block] = np.take_along_axis(part, order, axis=1)
    return idx


def _place_samples(
    module: FactorizedEmbedding,
    scaled: np.ndarray,
    config: TransformConfig,
    device: torch.device,
) -> tuple[np.ndarray, np.ndarray]:
    """Grid search then gradient refinement of new sample coordinates (network frozen)."""
    data = ResidentMatrix(scaled, device)
    trained = module.sample_embedding.detach()
    candidates = torch.cat(
        [grid_points(trained, config.grid_size), trained[:: max(1, len(trained) // 4096)]]
    )
    best, _ = best_grid_point(module, data.values, data.mask, candidates)
    coords, err = refine_coordinates(module, candidates[best], data, config.steps, config.lr)
    return coords.cpu().numpy(), err.cpu().numpy()
