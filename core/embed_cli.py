"""``python -m core embed`` and ``python -m core neighbours``: use a trained model from the shell.

``embed`` places new samples on a model's sample map (:meth:`FactorizedEmbeddings.transform`)
and names, for each, the training samples nearest to it on the map and their majority label.
``neighbours`` lists the genes nearest to some genes in a model's gene space (cosine distance;
with ``--compare-models``, in the joined space of several runs, with the number of runs in
which each neighbour holds).

Output files are written next to their final name and renamed into place: an interrupted run
never leaves half a file, and an existing file is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data import _strip_version
from core.errors import CoreError, DataError, ModelError

log = logging.getLogger(__name__)

#: Training samples consulted for each new sample's majority label on the map.
VOTE_K = 15


def register(sub: Any) -> None:
    from core.cli import add_data_arguments

    p = sub.add_parser(
        "embed",
        help="place new samples on a model's sample map; name their nearest training samples",
        description="Place new samples (same genes and units as the training data files: the "
        "model's own transform is applied, e.g. log10(x+1) for GTEx, unless --transform is "
        "given) on the sample map of --model, and write a table: coordinates, fit error, the "
        f"nearest training sample and the majority label of the {VOTE_K} nearest.",
    )
    p.add_argument("--model", required=True, metavar="DIR", help="model directory (train)")
    add_data_arguments(p)
    for action in p._actions:
        if action.dest == "transform":
            action.help = "log transform of the new samples (default: the model's training data's)"
    p.add_argument("--out", required=True, metavar="F", help="table to write (.csv or .tsv)")
    p.add_argument(
        "--label",
        default=None,
        help="training sample annotation to report (default SMTS or tissue when present)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=run_embed)

    p = sub.add_parser(
        "neighbours",
        aliases=["neighbors"],
        help="the genes nearest to some genes in a model's gene space",
    )
    p.add_argument("--model", required=True, metavar="DIR", help="model directory (train)")
    p.add_argument(
        "--genes", required=True, help="comma-separated gene symbols or ids, e.g. GATA4,MYH6"
    )
    p.add_argument("--k", type=int, default=10, help="neighbours per gene (default 10)")
    p.add_argument(
        "--compare-models",
        nargs="+",
        default=[],
        metavar="DIR",
        help="other models of the same genes (other seeds): neighbours in the joined space, "
        "with the number of runs in which each holds",
    )
    p.add_argument("--out", default=None, metavar="F", help="also write the table (.csv/.tsv)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=run_neighbours)


# ----------------------------------------------------------------------------- helpers
def load_model_dir(path: str, flag: str = "--model") -> Any:
    """A trained model directory (``train``), or a ModelError naming ``flag`` and ``path``."""
    from core.estimator import FactorizedEmbeddings

    directory = Path(path)
    if not directory.is_dir():
        raise ModelError(f"{flag} {path}: no such model directory")
    if not (directory / "config.json").is_file():
        raise ModelError(f"{flag} {path}: not a model directory (config.json missing)")
    try:
        return FactorizedEmbeddings.load(directory)
    except CoreError as exc:  # the library names the directory; say which flag gave it
        raise ModelError(f"{flag} {exc}") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        # a truncated arrays.npz / samples.parquet, or a config.json without its entries
        what = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ModelError(
            f"{flag} {path}: damaged or incomplete model directory ({type(exc).__name__}: "
            f"{what[:200]}); train it again"
        ) from None


def _check_out(path: str | None, force: bool) -> Path | None:
    if path is None:
        return None
    out = Path(path)
    if out.suffix.lower() not in (".csv", ".tsv"):
        raise CoreError(f"--out {path}: give a .csv or .tsv file name")
    if out.exists() and not force:
        raise CoreError(f"--out {path} already exists; choose another name, or --force")
    if out.exists() and out.is_dir():
        raise CoreError(f"--out {path} is a directory")
    if not out.parent.is_dir():
        raise CoreError(f"--out {path}: no such directory {out.parent}")
    return out


def _write_table(table: pd.DataFrame, out: Path) -> None:
    """Write next to ``out``, then rename: never half a file under the final name."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        table.to_csv(tmp, sep="\t" if out.suffix.lower() == ".tsv" else ",", index=False)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _label_column(samples: pd.DataFrame | None, label: str | None) -> str | None:
    if samples is None or samples.empty:
        if label:
            raise CoreError(f"--label {label}: the model keeps no training sample annotations")
        return None
    by_lower = {str(c).lower(): str(c) for c in samples.columns}
    if label is not None:
        if label.lower() not in by_lower:
            cols = ", ".join(map(str, samples.columns))
            raise CoreError(f"--label {label}: no such training sample annotation ({cols})")
        return by_lower[label.lower()]
    for name in ("smts", "tissue"):
        if name in by_lower:
            return by_lower[name]
    return None


# ----------------------------------------------------------------------------- embed
def run_embed(args: argparse.Namespace) -> int:
    from core.analysis import map_neighbours
    from core.cli import has_data_arguments, load_data_from_args

    if not has_data_arguments(args):
        raise CoreError("embed needs the new samples: --matrix F, or --gtex-gct F ...")
    out = _check_out(args.out, args.force)
    model = load_model_dir(args.model)
    label = _label_column(model.samples_, args.label)
    if args.transform is None:
        # the new samples on the training data's scale, unless told otherwise
        trained = (model.data_source_ or {}).get("transform")
        if trained:
            args.transform = trained
            print(f"transform: {trained} (as the training data)", file=sys.stderr)
    es = load_data_from_args(args)
    coords, error = model.transform(es, return_error=True)
    warning = model.fit_error_warning(error)
    if warning:
        print(
            f"warning: {warning} (embed applied: {args.transform or 'none'}; "
            "--transform none uses the values as they are)",
            file=sys.stderr,
        )
    labels = None
    if label is not None:
        labels = model.samples_[label].reindex(model.sample_ids_).to_numpy(dtype=object)
    near = map_neighbours(model.sample_embedding_, coords, labels, k=VOTE_K)
    table = pd.DataFrame(
        {
            "sample_id": np.asarray(es.sample_ids).astype(str),
            "x": coords[:, 0],
            "y": coords[:, 1],
            "fit_error": error,
            "nearest_training_sample": np.asarray(model.sample_ids_)[near["nearest"]],
            "distance_on_map": near["distance_on_map"],
        }
    )
    if label is not None:
        table[f"nearest_{label}"] = near["nearest_label"].to_numpy()
        table[f"majority_{label}"] = near["majority_label"].to_numpy()
        table["majority_share"] = near["majority_share"].to_numpy()
    if out is not None:
        _write_table(table, out)
    print(
        f"{len(table)} samples placed on the map of {args.model}"
        + (f"; written to {out}" if out else ""),
        file=sys.stderr,
    )
    # the new samples' own label, when they carry one: how often the map's majority agrees
    own = None
    if label is not None and es.samples is not None:
        own = {str(c).lower(): str(c) for c in es.samples.columns}.get(label.lower())
    if own is not None and label is not None:
        truth = es.samples[own].to_numpy(dtype=object)
        known = pd.notna(truth)
        if known.any():
            agree = float(np.mean(table[f"majority_{label}"].to_numpy()[known] == truth[known]))
            print(
                f"majority {label} of the {VOTE_K} nearest training samples = the samples' own "
                f"{own}: {agree:.3f} ({int(known.sum())} labelled samples)",
                file=sys.stderr,
            )
    return 0


# ----------------------------------------------------------------------------- neighbours
def _gene_rows(model: Any, queries: list[str]) -> list[int]:
    ids = {_strip_version(str(g)).upper(): i for i, g in enumerate(model.gene_ids_)}
    symbols: dict[str, int] = {}
    for i, s in enumerate(model.gene_symbols_):
        symbols.setdefault(str(s).upper(), i)
    rows, unknown = [], []
    for q in queries:
        key = q.strip().upper()
        i = symbols.get(key, ids.get(_strip_version(key)))
        if i is None:
            unknown.append(q)
        else:
            rows.append(i)
    if unknown:
        raise DataError(
            f"unknown gene(s) {', '.join(unknown)}: not among the model's "
            f"{len(model.gene_ids_)} genes (symbols or ids)"
        )
    return rows


def _aligned(model: Any, other: Any, path: str) -> np.ndarray:
    # Ensembl versions ignored; other dotted ids (AC000061.1) kept whole
    pos = {_strip_version(str(g)): i for i, g in enumerate(other.gene_ids_)}
    rows = np.array([pos.get(_strip_version(str(g)), -1) for g in model.gene_ids_])
    missing = int((rows < 0).sum())
    if missing:
        raise ModelError(
            f"--compare-models {path}: lacks {missing} of the {len(rows)} genes of --model; "
            "compare models trained on the same genes (other seeds or gene_dim)"
        )
    return np.asarray(other.gene_embedding_)[rows]


def run_neighbours(args: argparse.Namespace) -> int:
    from core.analysis import consensus_gene_space, unit_rows

    out = _check_out(args.out, args.force)
    queries = [g for g in (t.strip() for t in args.genes.split(",")) if g]
    if not queries:
        raise CoreError("--genes: give at least one gene symbol or id")
    model = load_model_dir(args.model)
    n_genes = len(model.gene_ids_)
    if n_genes < 2:
        raise CoreError(f"--model {args.model} has {n_genes} gene: no gene neighbours to list")
    if not 1 <= args.k < n_genes:
        raise CoreError(f"--k must be between 1 and {n_genes - 1} (the model's genes - 1)")
    rows = _gene_rows(model, queries)
    first: dict[int, str] = {}  # a gene asked twice (TBX5, tbx5) is listed once, as first asked
    for row, query in zip(rows, queries, strict=True):
        first.setdefault(row, query)
    queries, rows = list(first.values()), list(first.keys())
    embeddings = [np.asarray(model.gene_embedding_)]
    embeddings += [
        _aligned(model, load_model_dir(p, "--compare-models"), p) for p in args.compare_models
    ]
    units = [unit_rows(e) for e in embeddings]
    joined = unit_rows(consensus_gene_space(embeddings))
    parts = []
    for q, m in zip(queries, rows, strict=True):
        d = 1.0 - joined @ joined[m]
        d[m] = np.inf
        idx = np.argsort(d, kind="stable")[: args.k]
        part = pd.DataFrame(
            {
                "gene": q,
                "rank": np.arange(1, len(idx) + 1),
                "neighbour": np.asarray(model.gene_symbols_)[idx],
                "neighbour_id": np.asarray(model.gene_ids_)[idx],
                "distance": np.round(d[idx], 4),
            }
        )
        if len(units) > 1:
            runs = np.zeros(len(idx), dtype=int)
            for u in units:
                own = 1.0 - u @ u[m]
                own[m] = np.inf
                runs += np.isin(idx, np.argsort(own, kind="stable")[: args.k])
            part["runs"] = [f"{r}/{len(units)}" for r in runs]
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    sys.stdout.write(table.to_string(index=False) + "\n")
    if out is not None:
        _write_table(table, out)
        print(f"written to {out}", file=sys.stderr)
    return 0
