"""``python -m core export --format h5ad``: a model's sample map and gene vectors as one AnnData
file, for scanpy and anndata.

The samples are ``obs`` (their annotations as columns) and their places on the map
``obsm["X_fe"]`` (scanpy's ``X_<basis>``: ``sc.pl.embedding(adata, basis="fe", color="SMTS")``);
the genes are ``var`` (symbol, gene type) and their vectors ``varm["FE_genes"]``. ``X`` is left
empty (None): the expression values are not in the model directory. What the file holds and
the model it comes from are said in ``uns["factorized_embeddings"]``.
"""

from __future__ import annotations

import json
import numbers
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.cli import axis_names
from core.data import default_label_column
from core.errors import CoreError
from core.model_directory import model_words

#: the file ``export --format h5ad`` writes
H5AD_FILE = "factorized_embeddings.h5ad"
#: the keys of the map (scanpy's basis "fe"), the gene vectors and the model's description
SAMPLE_BASIS = "X_fe"
GENE_VECTORS = "FE_genes"
UNS_KEY = "factorized_embeddings"

#: what ``X`` holds, as ``uns`` and README.txt say it
EMPTY_X = (
    "X is empty (None): the expression values are not in the model directory; read them "
    "from the training data (obs_names are its sample ids, var_names its gene ids)"
)


def _uns_value(value: Any) -> Any:
    """``value`` as .h5ad stores it under ``uns``: strings, numbers, booleans, arrays of numbers
    or strings and dicts of these; None is "none", other lists are JSON text."""
    if isinstance(value, dict):
        return {str(k): _uns_value(v) for k, v in value.items()}
    if value is None:
        return "none"
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        if items and all(isinstance(v, str) for v in items):
            return np.asarray(items, dtype=object)
        if items and all(
            isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in items
        ):
            return np.asarray(items)
        return json.dumps(items, default=str)
    return str(value)


def _column(column: pd.Series) -> pd.Series:
    """A column of ``obs`` or ``var`` as .h5ad stores it: an object column of booleans is a
    nullable boolean, of whole numbers a nullable integer (as is a float column of whole numbers
    with missing values: GTEx's DTHHRDY 4, as the CSV writes it, not 4.0), of other numbers a
    float, anything else text (missing values kept missing), categorical when values repeat
    (as anndata would make it on writing, saying so for each column: scanpy colours the map by
    categories)."""
    if column.dtype.kind == "f" and column.isna().any():
        present = column.dropna()
        # integers that pandas made floats for their missing values (the CSV writes them as
        # integers: %.6g)
        if len(present) and np.all(present == np.round(present)) and present.abs().max() < 2**53:
            return column.astype("Int64")
    if column.dtype != object:
        return column
    present = column.dropna()
    if len(present) and all(isinstance(v, (bool, np.bool_)) for v in present):
        return column.astype("boolean")
    if len(present) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in present
    ):
        return column.astype("Int64")
    if len(present) and all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in present
    ):
        return column.astype(float)
    text = column.where(column.isna(), column.astype(str))
    categories = sorted(text.dropna().unique())
    if len(categories) < len(text):
        return pd.Series(pd.Categorical(text, categories=categories), index=text.index)
    return text


def _description(model: Any, model_dir: str, simulated: bool) -> dict[str, Any]:
    """``uns["factorized_embeddings"]``: the model, its data and what the file holds."""
    description = {
        "model": model_words(model),
        "key": str(model.key()) if hasattr(model, "key") else "unknown key",
        "model_directory": str(Path(model_dir).absolute()),
        "dataset": model.dataset_name_ or "unnamed",
        "dataset_fingerprint": getattr(model, "dataset_fingerprint_", None),
        "n_samples": model.n_samples_,
        "n_genes": model.n_genes_,
        "n_epochs": model.n_epochs_,
        "simulated": bool(simulated),
        "settings": model.checked_params() if hasattr(model, "checked_params") else {},
        "data_source": getattr(model, "data_source_", None) or {},
        "contents": {
            "obsm": f"{SAMPLE_BASIS}: each sample's place on the sample map (the map's own units)",
            "varm": f"{GENE_VECTORS}: each gene's vector (cosine distance between vectors: "
            "gene-space neighbours)",
            "X": EMPTY_X,
        },
    }
    return _uns_value(description)


def annotated_data(
    model: Any, samples: pd.DataFrame, genes: pd.DataFrame, model_dir: str, simulated: bool
) -> Any:
    """An AnnData of ``model``: ``samples`` and ``genes`` are the export's tables
    (:func:`core.export_cli.sample_table`, :func:`core.export_cli.gene_table`, with their
    ``data`` column for a simulated model); their coordinates and vectors become ``obsm`` and
    ``varm``, their other columns ``obs`` and ``var``."""
    try:
        import anndata
    except ImportError as exc:  # pragma: no cover - anndata is pinned in requirements
        raise CoreError("export --format h5ad needs the anndata package") from exc
    coords = np.asarray(model.sample_embedding_, dtype=np.float32)
    vectors = np.asarray(model.gene_embedding_, dtype=np.float32)
    annotations = samples.drop(columns=["sample_id", *axis_names(coords.shape[1])])
    index = pd.Index(samples["sample_id"].astype(str).to_numpy(), name="sample_id")
    obs = pd.DataFrame(
        {str(c): _column(annotations[c]).set_axis(index) for c in annotations.columns},
        index=index,
    )
    vector_columns = [f"g{i + 1}" for i in range(vectors.shape[1])]
    kept = genes.drop(columns=[c for c in ("gene_id", *vector_columns) if c in genes.columns])
    index = pd.Index(np.asarray(model.gene_ids_).astype(str), name="gene_id")
    var = pd.DataFrame(
        {str(c): _column(kept[c]).set_axis(index) for c in kept.columns}, index=index
    )
    return anndata.AnnData(
        X=None,
        obs=obs,
        var=var,
        obsm={SAMPLE_BASIS: coords},
        varm={GENE_VECTORS: vectors},
        uns={UNS_KEY: _description(model, model_dir, simulated)},
    )


#: what :func:`h5ad_size` adds for each HDF5 group or dataset (its header, attributes and
#: B-tree nodes: anndata writes an ``encoding-type`` and ``encoding-version`` on each)
OBJECT_BYTES = 4096
#: and for the file as a whole, beyond its contents (its superblock and free space that HDF5
#: keeps, README.txt)
MARGIN_BYTES = 2**20


def _uns_bytes(value: Any) -> tuple[int, int]:
    """(bytes, HDF5 objects) of an ``uns`` value: a dict is a group, anything else a dataset."""
    if isinstance(value, dict):
        sizes = [_uns_bytes(v) for v in value.values()]
        return sum(b for b, _ in sizes), 1 + sum(n for _, n in sizes)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return sum(len(str(v).encode("utf-8")) + 16 for v in value.ravel()), 1
        return value.nbytes, 1
    return len(str(value).encode("utf-8")) + 16, 1


def h5ad_size(adata: Any) -> int:
    """About how many bytes :func:`write_h5ad` needs for ``adata``, erring high: its arrays,
    its ``obs`` and ``var`` tables (their size in memory, text included), its ``uns``, a
    header for each group and dataset, a quarter more and :data:`MARGIN_BYTES` (a 520 x 460
    model of 50-number vectors: a 204 KB file, estimated at 1.7 MB). A full disk met half-way
    through the file crashed h5py (a segmentation fault), so the room is checked first."""
    arrays = sum(np.asarray(v).nbytes for m in (adata.obsm, adata.varm) for v in m.values())
    tables = sum(int(t.memory_usage(index=True, deep=True).sum()) for t in (adata.obs, adata.var))
    uns, uns_objects = _uns_bytes(dict(adata.uns))
    # (a categorical column is a group of its codes and categories; each table has an index)
    columns = len(adata.obs.columns) + len(adata.var.columns)
    objects = 16 + 3 * columns + 2 + len(adata.obsm) + len(adata.varm) + uns_objects
    return int(1.25 * (arrays + tables + uns + objects * OBJECT_BYTES)) + MARGIN_BYTES


def _os_words(exc: OSError) -> tuple[int | None, str]:
    """(errno, one line) of an OSError that h5py raised: its errno's own words ("No space left
    on device") rather than HDF5's report, which runs over two lines with the time, buffer
    address and file descriptor of the failed write."""
    code = exc.errno
    if not code:
        found = re.search(r"errno = (\d+)", str(exc))
        code = int(found.group(1)) if found else None
    if code:
        return code, os.strerror(code)
    text = exc.strerror or str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return None, first.split(" (", 1)[0].strip() or type(exc).__name__


def write_h5ad(adata: Any, path: Path) -> None:
    """Write ``adata`` to ``path``; a file anndata cannot store is a CoreError naming the file,
    a failed write (a full disk, a read-only folder) an OSError of one line naming it."""
    try:
        adata.write_h5ad(path)
    except OSError as exc:
        code, words = _os_words(exc)
        # (the traceback holds h5py's objects of the failed file: let them go here)
        exc.__traceback__ = None
        words = f"{words} (writing {path.name})"
        raise (OSError(code, words) if code else OSError(words)) from None
    except Exception as exc:  # anndata/h5py raise many types for what they cannot store
        raise CoreError(f"cannot write {path.name} as .h5ad: {exc}") from None


def obs_label(model: Any, obs_columns: Any) -> str | None:
    """The model's label column (SMTS, tissue: as evaluate and report choose it) as the written
    ``obs`` names it, from its columns ``obs_columns``: the model's annotations are the last of
    them, in their order, some renamed (a label ``y`` clashed with the map's axis and became
    ``annotation_y``, which README.txt's ``color="y"`` missed). None without annotations."""
    samples = getattr(model, "samples_", None)
    if samples is None or not len(samples.columns):
        return None
    label = default_label_column(samples)
    if label is None:
        return None
    obs_columns = [str(c) for c in obs_columns]
    place = len(obs_columns) - len(samples.columns) + list(samples.columns).index(label)
    return obs_columns[place] if 0 <= place < len(obs_columns) else None


def readme_lines(model: Any, with_types: bool, with_ids: bool, obs_columns: Any) -> list[str]:
    """README.txt's lines on what the .h5ad file holds; ``obs_columns``: the columns of the
    written ``obs`` (its scanpy call colours by the label as ``obs`` names it)."""
    dim = model.gene_embedding_.shape[1]
    # (the model's own label column: color="SMTS" failed on a model of a table's "tissue")
    label = obs_label(model, obs_columns)
    color = f', color="{label}"' if label else ""
    return [
        f"{H5AD_FILE} is an AnnData file (anndata.read_h5ad, scanpy.read_h5ad); numbers are "
        "the model's own (float32)",
        "",
        "obs: one row per sample (obs_names: the sample ids), the sample annotations the model "
        "keeps as columns",
        f"obsm[\"{SAMPLE_BASIS}\"]: the sample's place on the sample map (x, y, in the map's own "
        "units: distances between samples are comparable, the axes have no meaning of their "
        f'own); scanpy draws it as the basis "fe": sc.pl.embedding(adata, basis="fe"{color})',
        "var: one row per gene (var_names: the "
        + ("gene ids" if with_ids else "gene symbols, as the data names its genes")
        + "), symbol"
        + (
            ", gene_type (bundled Gene Ontology snapshot; 'unmapped' if absent)"
            if with_types
            else ""
        ),
        f'varm["{GENE_VECTORS}"]: the gene vector ({dim} numbers); genes whose vectors point '
        "the same way (small cosine distance) are neighbours in the gene space",
        EMPTY_X,
        f'uns["{UNS_KEY}"]: the model (key, settings), its data source and these notes',
    ]
