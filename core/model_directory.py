"""The model directory that :meth:`core.estimator.FactorizedEmbeddings.save` writes and ``load``
reads: its format version and files, the checks before a directory is replaced, the new folder
a model is written in before it takes the name, the samples' annotations as parquet, what an
interrupted save left, the errors of a damaged directory, the checks of a directory that ``load``
reads (its files, ``config.json``, the samples' annotations), and whether a saved model was
trained on simulated data (read without loading it).

Warnings are logged to the ``core.estimator`` logger, as the estimator's own. Other modules
import these names from ``core.estimator``.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import secrets
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zipfile import BadZipFile

import numpy as np
import pandas as pd

from core.data import is_simulated
from core.errors import ModelError
from core.files import temporary_name

# the estimator's messages, wherever their code is written
log = logging.getLogger("core.estimator")


FORMAT_VERSION = 1
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


def file_in_the_way(path: Path) -> Path | None:
    """The nearest existing path above ``path`` when it is not a folder (a file): nothing can
    be written under it, and ``mkdir`` said only "File exists". None otherwise."""
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            return None if parent.is_dir() else parent
    return None


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
    if len(words) > 300:  # (cut at a word: torch's "was transf")
        words = words[:300].rsplit(" ", 1)[0] + " ..."
    return ModelError(
        f"{directory}: damaged or incomplete model directory ({name}: {words}); "
        "save or train it again"
    )


def check_model_directory(directory: Path) -> None:
    """Refuse a path that holds no model: a file, nothing (named what a save left), no files."""
    if directory.is_file() and (directory.parent / "weights.pt").is_file():
        # one of a model's files (config.json, weights.pt) given for the model
        raise ModelError(
            f"{directory} is a file of a model directory: load the directory that holds it "
            f"({directory.parent})"
        )
    if directory.exists() and not directory.is_dir():
        raise ModelError(f"{directory} is a file, not a model directory (a folder written by save)")
    if not directory.is_dir():
        left = _interrupted_save(directory)
        if left:
            raise ModelError(
                f"{directory}: no such model directory; a save into it was interrupted and "
                f"left {' and '.join(left)} beside it (complete models): rename one of them "
                f"to {directory.name}"
            )
        training = interrupted_training_text(directory)
        if training:
            raise ModelError(f"{directory}: no model directory yet; {training}")
        raise ModelError(f"{directory}: no such model directory")
    for name in ("config.json", "weights.pt", "arrays.npz"):
        if not (directory / name).is_file():
            raise ModelError(f"{directory}: not a model directory ({name} is missing)")


def read_config(directory: Path) -> dict:
    """A model directory's ``config.json``: a JSON object of this :data:`FORMAT_VERSION`."""
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
        if "format_version" not in config:  # ({} read "model format None")
            raise _damaged(directory, "config.json", "no format_version entry")
        raise ModelError(
            f"{directory}: model format {config.get('format_version')!r} is not supported "
            f"(this version reads {FORMAT_VERSION})"
        )
    return config


def read_samples(
    directory: Path, config: dict, n_samples: int, sample_ids: Any
) -> pd.DataFrame | None:
    """The training samples' annotations (``samples.parquet``) in the model's order, or None."""
    samples_path = directory / "samples.parquet"
    # saved before "samples_file" was written: object columns were annotations
    expected = config.get("samples_file", bool(config.get("sample_object_columns")))
    if expected and not samples_path.exists():
        raise _damaged(directory, "samples.parquet", "missing: the training samples' annotations")
    if not samples_path.exists():
        return None
    try:
        samples = pd.read_parquet(samples_path)
    except Exception as exc:  # pyarrow raises its own types for damaged files
        if _not_damage(exc):
            raise
        raise _damaged(directory, "samples.parquet", exc) from None
    objects = config.get("sample_object_columns") or []
    for col in samples.columns:
        if str(col) in objects and isinstance(samples[col].dtype, pd.StringDtype):
            column = samples[col].astype(object)
            samples[col] = column.where(column.notna(), np.nan)
    if len(samples) != n_samples:
        raise _damaged(
            directory,
            "samples.parquet",
            f"{len(samples):,} rows for the model's {n_samples:,} samples",
        )
    return _in_model_order(directory, samples, sample_ids)


def _in_model_order(directory: Path, samples: pd.DataFrame, sample_ids: Any) -> pd.DataFrame:
    """``samples`` with rows in the model's order, refused when its ids are another model's."""
    # another model's annotations of as many samples: every label read "unlabelled"
    ids = samples.index.astype(str)
    own = pd.Index(np.asarray(sample_ids).astype(str), name=ids.name)
    if ids.equals(own):
        return samples
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
    samples.index = ids
    return samples.reindex(own)  # (rows in the model's order)


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
            with open(directory / "arrays.npz", "rb") as handle:  # (closed: a cut file too)
                ids = np.load(handle, allow_pickle=False)["sample_ids"]
            if len(ids) == len(samples):
                samples.index = pd.Index(np.asarray(ids).astype(str))
    except (
        OSError,
        ValueError,
        KeyError,
        IndexError,
        AttributeError,
        TypeError,
        EOFError,
        BadZipFile,
    ):  # (IndexError: a lone .npy array under the archive's name)
        return False  # (the model's own load says what is wrong with it)
    return is_simulated(
        SimpleNamespace(
            source=dataset.get("source") or {}, name=dataset.get("name", ""), samples=samples
        )
    )


#: The folder beside a model directory where ``python -m core train`` keeps its checkpoint
#: (``<model>.partial/checkpoint.pt``) until the model is written; ``data.json`` there records
#: the command that trains it.
PARTIAL_SUFFIX = ".partial"


def interrupted_training(directory: str | Path) -> tuple[Path, str | None] | None:
    """The checkpoint an interrupted ``python -m core train --out <directory>`` left, and the
    command that continues it (None when it was not recorded: checkpoints of older runs), or
    None when there is no checkpoint."""
    directory = Path(directory)
    checkpoint = directory.with_name(directory.name + PARTIAL_SUFFIX) / "checkpoint.pt"
    if directory.name in ("", ".", "..") or not checkpoint.is_file():
        return None
    try:
        record = json.loads((checkpoint.parent / "data.json").read_text(encoding="utf-8"))
        command = record.get("command") if isinstance(record, dict) else None
    except (OSError, ValueError):
        command = None
    return checkpoint, command if isinstance(command, str) and command else None


def interrupted_training_text(directory: str | Path) -> str | None:
    """`` training into it was interrupted: ...`` for a message about a missing model
    directory, naming the checkpoint and the command that resumes it; None when none is left."""
    found = interrupted_training(directory)
    if found is None:
        return None
    checkpoint, command = found
    if command is None:
        command = f"python -m core train <the same data flags> --out {directory}"
    return (
        f"training into it was interrupted, and its checkpoint is in {checkpoint}: "
        f"`{command} --resume` continues it and writes the model"
    )


def model_words(model: Any) -> str:
    """A model as the report's tables and ``python -m core export``'s README name it: its class
    and key, as the dashboard's CSV files name them (``FactorizedEmbeddings (74fee47dd58c...)``)."""
    try:
        key = str(model.key())
    except (AttributeError, TypeError, ValueError):  # (a model without one: said)
        key = "unknown key"
    return f"{type(model).__name__} ({key})"
