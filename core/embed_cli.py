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

from core.cli import StepProgress, axis_names, check_out_location
from core.data import (
    SIMULATED_COLUMN,
    _strip_version,
    case_folded,
    close_symbols,
    default_label_column,
    did_you_mean,
    ids_are_symbols,
    is_simulated,
    match_genes,
    shared_name_note,
)
from core.data.sources import source_scale
from core.errors import CoreError, DataError, ModelError
from core.placed_samples import (
    POOR_FIT,
    UNLABELLED,
    VOTE_K,
    agreement_line,
    copies_in,
    copies_warning,
    first_names,
    poor_fits,
    read_labels,
    same_ids_warning,
    with_own_annotations,
)
from core.spreadsheet import spreadsheet_safe_table

log = logging.getLogger(__name__)


#: Samples placed at a time: a progress report between chunks (placement is per sample, so
#: the result is the same as in one go).
EMBED_CHUNK = 1000
#: Columns not matched to a model gene that are looked at for a "did you mean" (each looks
#: through the model's genes left unmatched, 0.02-0.08 s each among 36,000-56,000, as many as
#: the page looks at): those with one are named first.
CLOSE_LOOKED_AT = 10
#: Training data files larger than this (in all) are not read again to look for copies of
#: training samples among the samples placed: GTEx's full GCT (17,382 x 56,200) takes minutes.
COPY_SOURCE_MAX_BYTES = 64_000_000

EMBED_COLUMNS = f"""columns of the table written:
  sample_id                the new sample
  x, y                     its place on the model's sample map (the map's own units, those of
                           the training samples' coordinates)
  genes_used               model genes with a value in this sample (absent genes and NaN are
                           left out of the fit)
  fit_error                mean squared error between the sample's values and the profile the
                           model decodes at (x, y), per gene, on the model's training scale;
                           compare with the training fit error (printed): far above it for
                           most samples, the values are likely in other units than the
                           training data's; for a few, see poor_fit
  nearest_training_sample  the training sample nearest to it on the map
  distance_on_map          the distance to that sample, in map units
  nearest_LABEL            that sample's label (LABEL: --label, e.g. SMTS or tissue)
  majority_LABEL           the most frequent label among the {VOTE_K} nearest training samples
                           ("unlabelled" counts as one: training samples without it)
  majority_share           the share of those {VOTE_K} that carry it (0 to 1)
  copy_of                  the training sample whose values it has on the model's genes (a
                           copy under another id or its own: placed at or next to that
                           sample's point); blank for none
  then the samples' own annotations (the matrix's annotation columns, --annotations,
  --gtex-attributes: e.g. their tissue beside majority_LABEL); a name above gets sample_ first
  poor_fit                 (the last column) True when fit_error is above 5 times the
                           training fit error: the sample fits the model far worse than its
                           training samples (a typo, a sample in raw counts) and its place,
                           nearest and majority are not to be trusted (a warning names it);
                           False for the others, and for a sample 0 for every model gene it
                           has (said apart)
a sample with no value for any model gene is not placed: its row is blank but for genes_used 0,
  its own annotations and poor_fit False"""
#: (the 5 of poor_fit is core.value_scales.POOR_FIT_FACTOR, which the page names too: not
#: imported here, where it would load torch for every command's --help; a test holds the two)

NEIGHBOURS_COLUMNS = """columns of the table printed (and written with --out):
  gene, gene_id            the gene asked for (the model's symbol and id; no id column when
                           the model's genes are named by symbols alone)
  rank                     1 = the nearest
  neighbour, neighbour_id  a gene near it in the model's gene space (id as for gene_id)
  distance                 cosine distance between the two genes' vectors (0: same direction,
                           1: unrelated, 2: opposite); with --compare-models, the mean over the
                           models
  runs                     (with --compare-models) in how many of the models it is among the
                           K nearest"""


def register(sub: Any) -> None:
    from core.cli import HelpFormatter, add_data_arguments

    p = sub.add_parser(
        "embed",
        help="place new samples on a model's sample map; name their nearest training samples",
        description="Place new samples (same genes and units as the training data files: the "
        "model's own transform is applied, e.g. log10(x+1) for GTEx, unless --transform is "
        "given) on the sample map of --model, and write a table: coordinates, fit error, the "
        f"nearest training sample and the majority label of the {VOTE_K} nearest.",
        epilog=EMBED_COLUMNS,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--model", required=True, metavar="DIR", help="model directory (train)")
    add_data_arguments(p)
    for action in p._actions:
        if action.dest == "transform":
            action.help = (
                "log transform of the new samples (default: the one applied to the model's "
                "training data; none: values already on the model's scale)"
            )
        if action.dest == "gtex_attributes":
            action.help = (
                "GTEx SampleAttributesDS.txt listing the new samples, to keep their annotations "
                "(optional here: without it the GCT's samples are placed unannotated)"
            )
        if action.dest == "exclude_tissues":
            action.help = (
                "with --gtex-gct, SMTS tissues whose samples are not placed (default: none, "
                "every sample is placed)"
            )
    p.add_argument("--out", required=True, metavar="F", help="table to write (.csv or .tsv)")
    p.add_argument(
        "--label",
        default=None,
        help="training sample annotation to report (default SMTS or tissue when present, "
        "else the first categorical annotation, as evaluate and report choose it)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=run_embed)

    p = sub.add_parser(
        "neighbours",
        aliases=["neighbors"],
        help="the genes nearest to some genes in a model's gene space",
        description="List, for each gene of --genes, the K genes nearest to it in the gene "
        "space of --model (cosine distance between gene vectors), as a table on the standard "
        "output.",
        epilog=NEIGHBOURS_COLUMNS,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--model", required=True, metavar="DIR", help="model directory (train)")
    p.add_argument(
        "--genes",
        required=True,
        help="comma-separated gene symbols or ids, e.g. GATA4,MYH6 (genes the model lacks are "
        "left out, with a warning; none found is an error, with the closest symbols)",
    )
    p.add_argument(
        "--k", type=int, default=10, metavar="K", help="neighbours per gene (default 10)"
    )
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
def model_is_simulated(model: Any) -> bool:
    """Whether ``model`` was trained on simulated data (as :func:`core.data.is_simulated` tells
    of a data set, from the source, name and sample annotations the model keeps; or as the
    model recorded it, ``simulated_``)."""
    from types import SimpleNamespace

    if getattr(model, "simulated_", False) is True:
        return True
    return is_simulated(
        SimpleNamespace(
            source=getattr(model, "data_source_", None) or {},
            name=getattr(model, "dataset_name_", ""),
            samples=getattr(model, "samples_", None),
        )
    )


#: Model directories inside a folder given for one that a message names, at most.
MODELS_NAMED = 3


def _models_inside(directory: Path) -> list[str]:
    """The model directories (a ``config.json`` inside) directly in ``directory``, as paths
    from it, sorted: the first :data:`MODELS_NAMED`, then how many others."""
    try:
        found = sorted(
            str(p) for p in directory.iterdir() if p.is_dir() and (p / "config.json").is_file()
        )
    except OSError:
        return []
    if len(found) > MODELS_NAMED:
        return [*found[:MODELS_NAMED], f"and {len(found) - MODELS_NAMED} more"]
    return found


def load_model_dir(path: str, flag: str = "--model") -> Any:
    """A trained model directory (``train``), or a ModelError naming ``flag`` and ``path``."""
    from core.estimator import FactorizedEmbeddings

    directory = Path(path)
    if directory.is_file():
        raise ModelError(
            f"{flag} {path}: a file, not a model directory (give the folder that train wrote)"
        )
    if not directory.is_dir():
        from core.model_directory import PARTIAL_SUFFIX, interrupted_training_text
        from core.train_cli import running_owner

        owner = running_owner(directory.with_name(directory.name + PARTIAL_SUFFIX))
        if owner is not None:  # (its checkpoint is of a run going on, not an interrupted one)
            raise ModelError(
                f"{flag} {path}: no model directory yet; it is being trained now (process "
                f"{owner.get('pid')}): wait for the training to end"
            )
        training = interrupted_training_text(directory)
        if training:
            raise ModelError(f"{flag} {path}: no model directory yet; {training}")
        raise ModelError(f"{flag} {path}: no such model directory")
    if not (directory / "config.json").is_file():
        inside = _models_inside(directory)
        if inside:  # (the folder of the models given for one of them)
            raise ModelError(
                f"{flag} {path}: not a model directory (config.json missing); it holds "
                f"{'the model directory' if len(inside) == 1 else 'model directories'} "
                f"{', '.join(inside)}: give {'it' if len(inside) == 1 else 'one of them'}"
            )
        raise ModelError(f"{flag} {path}: not a model directory (config.json missing)")
    try:
        return FactorizedEmbeddings.load(directory)
    except CoreError as exc:  # the library names the directory; say which flag gave it
        raise ModelError(f"{flag} {exc}") from None
    except PermissionError as exc:  # the files are whole: no "damaged ... train it again"
        name = Path(exc.filename).name if exc.filename else "its files"
        raise ModelError(
            f"{flag} {path}: cannot read {name} (permission denied); ask the model's owner, "
            "or copy the directory where you can read it"
        ) from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        # a truncated arrays.npz / samples.parquet, or a config.json without its entries
        what = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ModelError(
            f"{flag} {path}: damaged or incomplete model directory ({type(exc).__name__}: "
            f"{what[:200]}); train it again"
        ) from None


def _check_out(path: str | None, force: bool, inputs: tuple[str | None, ...] = ()) -> Path | None:
    """``--out`` as a Path, or a CoreError before any work: not a .csv/.tsv name, an existing
    file without --force, one of the command's input files (``inputs``), a directory, a place
    that cannot be written (see :func:`core.cli.check_out_location`)."""
    if path is None:
        return None
    out = Path(path)
    if out.suffix.lower() not in (".csv", ".tsv"):
        raise CoreError(f"--out {path}: give a .csv or .tsv file name")
    if out.exists() and out.is_dir():
        raise CoreError(f"--out {path} is a directory")
    for given in inputs:
        if given and out.exists() and Path(given).exists() and out.samefile(given):
            raise CoreError(f"--out {path} is an input file of this command: choose another name")
    if out.exists() and not force:
        raise CoreError(f"--out {path} already exists; choose another name, or --force")
    # a missing folder is made when the table is written (as train, evaluate and export do)
    check_out_location(out, "--out")
    return out


def _write_table(table: pd.DataFrame, out: Path) -> None:
    """Write next to ``out``, then rename: never half a file under the final name (a full
    disk or an interruption leaves ``out`` as it was)."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        spreadsheet_safe_table(table).to_csv(  # (an id "=HYPERLINK(...)" shown, not run)
            tmp,
            sep="\t" if out.suffix.lower() == ".tsv" else ",",
            index=False,
            float_format="%.6g",  # float32 coordinates hold 6-7 significant digits
        )
        tmp.replace(out)
    except OSError as exc:
        raise CoreError(
            f"cannot write --out {out}: {exc.strerror or exc}"
            + ("" if not out.exists() else f"; {out} is left as it was")
        ) from None
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
    return default_label_column(samples)  # as evaluate and report choose it


# ----------------------------------------------------------------------------- embed
def run_embed(args: argparse.Namespace) -> int:
    """The ``embed`` command: place new samples on a model's map and write their table."""
    from core.cli import has_data_arguments, warn_of_scale

    if not has_data_arguments(args):
        raise CoreError("embed needs the new samples: --matrix F, or --gtex-gct F ...")
    out = _check_out(
        args.out, args.force, (args.matrix, args.annotations, args.gtex_gct, args.gtex_attributes)
    )
    model = load_model_dir(args.model)
    label = _label_column(model.samples_, args.label)
    _set_embed_defaults(args, model)
    es, looked_logged = _read_new_samples(args)
    print(_gene_report(model, es, args.matrix or args.gtex_gct), file=sys.stderr)
    if (_model_columns(model, es) >= 0).any():
        warn_of_scale(es, args)
    coords, error, genes_used, scales = _place(model, es)
    blank = ~np.isfinite(coords).all(axis=1)
    if blank.all():
        raise DataError(
            f"no sample of {args.matrix or args.gtex_gct} has a value for any model gene: "
            "nothing places them on the map"
        )
    copy_of, map_ids = _warn_of_training_samples(model, es, args.model)
    silent = _warn_of_missing_values(model, es, blank, genes_used)
    counted = ~(blank | silent)
    warned = _warn_of_fit_error(args, model, error[counted], scales[counted], looked_logged)
    poor = _warn_of_poor_fits(model, es, error, counted, warned)
    labels = _training_labels(model, label)
    table = _embed_table(model, es, coords, error, genes_used, blank, labels, label)
    # (after the label's columns, as the page's file has it)
    table["copy_of"] = np.where(copy_of >= 0, map_ids[np.maximum(copy_of, 0)], "")
    simulated = model_is_simulated(model) or is_simulated(es)
    if simulated:  # a place on a simulated map (or of simulated samples) is not a finding
        table.insert(0, *SIMULATED_COLUMN)
    # after the "data" column: an annotation of that name is renamed, not inserted twice
    table, _ = with_own_annotations(table, es, (POOR_FIT,))
    # last, as in the page's file: users join on the columns before it, in their order
    table[POOR_FIT] = poor
    if out is not None:
        _write_table(table, out)
    _print_embed_summary(args, model, out, blank, error, simulated)
    _print_agreement(es, table, blank, labels, label)
    return 0


def _set_embed_defaults(args: argparse.Namespace, model: Any) -> None:
    """The transform of the model's training data, and every GTEx sample placed, unless given."""
    if args.transform is None:
        # the new samples on the training data's scale, unless told otherwise
        trained = source_scale(model.data_source_)
        if trained:
            args.transform = trained
            print(
                f"transform: {trained} (as the model's training data; --transform to change)",
                file=sys.stderr,
            )
    if args.gtex_gct and args.exclude_tissues is None:
        args.exclude_tissues = []  # place every sample given (train's default leaves some out)


def _read_new_samples(args: argparse.Namespace) -> tuple[Any, bool]:
    """The new samples, and whether the loader said their values look log-transformed already."""
    from core.cli import load_data_from_args

    try:
        # (the scale is checked below, once some gene is known to be shared: a file of other
        # genes was warned of its scale, then refused)
        with _LoggedScaleHeard() as heard:
            es = load_data_from_args(args, warn_of_scale=False, attributes_optional=True)
    except DataError as exc:
        if args.gtex_gct and args.gtex_attributes and "no sample in common" in str(exc):
            raise DataError(
                f"{exc}; leave out --gtex-attributes to place samples it does not list"
            ) from None
        raise
    unlisted = int(es.source.get("samples_unlisted") or 0) if args.gtex_gct else 0
    if unlisted and args.gtex_attributes:
        print(
            f"warning: {unlisted:,} of the {es.n_samples:,} samples are not in "
            f"{args.gtex_attributes}: placed without "
            f"{'its' if unlisted == 1 else 'their'} annotations (tissue unknown)",
            file=sys.stderr,
        )
    return es, heard.logged


def _warn_of_training_samples(model: Any, es: Any, path: str) -> tuple[np.ndarray, np.ndarray]:
    """Warn of new samples with training ids or values; each one's copy (-1: none), the ids."""
    trained_ids = np.isin(
        np.asarray(es.sample_ids).astype(str), np.asarray(model.sample_ids_).astype(str)
    )
    if trained_ids.any():
        print(
            f"warning: {same_ids_warning(es.sample_ids, trained_ids, 'training ')}", file=sys.stderr
        )
    copy_of, map_ids = _copies_of_training(model, es, path)
    copies = copies_warning(es.sample_ids, map_ids, copy_of)
    if copies:
        print(f"warning: {copies}", file=sys.stderr)
    return copy_of, map_ids


def _warn_of_missing_values(
    model: Any, es: Any, blank: np.ndarray, genes_used: np.ndarray
) -> np.ndarray:
    """Warn of samples not placed, placed from few genes, or 0 for all; those 0 for all."""
    if blank.any():
        shown = first_names(es.sample_ids, blank)
        print(
            f"warning: {int(blank.sum()):,} sample(s) have no value for any model gene "
            f"({shown}): not placed, their rows are left blank",
            file=sys.stderr,
        )
    from core.estimator import few_genes_limit

    few = ~blank & (genes_used < few_genes_limit(model.n_genes_))
    if few.any():
        shown = first_names(es.sample_ids, few)
        print(
            f"warning: {int(few.sum()):,} sample(s) placed from fewer than "
            f"{few_genes_limit(model.n_genes_):,} of the model's {model.n_genes_:,} genes "
            f"({shown}; fewest: {int(genes_used[few].min()):,}): such a place is uncertain, and "
            "its fit error, over fewer values, is low all the same (column genes_used)",
            file=sys.stderr,
        )
    # a sample 0 for every model gene it has (an empty library) is placed where the model puts
    # silence, and named by the tissue there: said, as it says nothing of that sample
    matched = np.flatnonzero(_model_columns(model, es) >= 0)
    # (exactly 0: negative values are another scale, which the fit error says)
    silent = ~blank & ~(np.nan_to_num(np.asarray(es.values)[:, matched]) != 0).any(axis=1)
    if silent.any():
        shown = first_names(es.sample_ids, silent)
        print(
            f"warning: {int(silent.sum()):,} sample(s) are 0 for every model gene they have "
            f"({shown}): an empty library? Their places and nearest samples say nothing of "
            "them",
            file=sys.stderr,
        )
    return silent


def _warn_of_fit_error(
    args: argparse.Namespace, model: Any, error: np.ndarray, scales: np.ndarray, logged: bool
) -> bool:
    """Warn when the samples' median fit error is far above training's; whether it was."""
    warning = model.fit_error_warning(error, scales)
    if warning:
        print(f"warning: {warning} ({_fit_error_remedy(args, model, logged)})", file=sys.stderr)
    return bool(warning)


def _fit_error_remedy(args: argparse.Namespace, model: Any, logged: bool) -> str:
    """What to try for a poor fit, from the transform applied and the values' look."""
    applied = args.transform or "none"
    trained = source_scale(model.data_source_)
    if applied == "none":
        return "no transform was applied: if they are counts, TPM or RPKM, add --transform " + (
            f"{trained}, as the model's training data had"
            if trained and trained != "none"
            else "log10p1 or log2p1, whichever the training data had"
        )
    if logged:  # (the loader said the values look logged already)
        return f"embed applied {applied}: if they are already log-transformed, add --transform none"
    # values that look raw, transformed as they should be: their units, then
    return (
        f"embed applied {applied} to values that look raw (not log-transformed): are "
        "they in the training data's units? Read counts against a model of TPM, or TPM "
        "against one of counts, fit poorly all the same"
    )


def _warn_of_poor_fits(
    model: Any, es: Any, error: np.ndarray, counted: np.ndarray, median_said: bool
) -> np.ndarray:
    """Warn of the few samples far off among well-placed ones; which samples (column poor_fit)."""
    # a few samples far off (a typo, one sample in counts) among well-placed ones: the median
    # said nothing of them (marked as the page marks them, column poor_fit)
    fits = poor_fits(model, error, counted)
    poor = fits.samples
    if poor.any() and not (median_said and fits.median_far):  # (the median said it of them all)
        n_poor = int(poor.sum())
        one = n_poor == 1
        their = "its" if one else "their"
        print(
            f"warning: {n_poor:,} sample{'' if one else 's'} fit{'s' if one else ''} the model "
            f"far worse than its training samples (fit error above {fits.factor:g} times the "
            f"training error, {fits.trained_error:.3g}: {first_names(es.sample_ids, poor)}): "
            f"{their} place{'' if one else 's'} and nearest samples are not to be trusted; "
            f"check {their} values (column {POOR_FIT})",
            file=sys.stderr,
        )
    return poor


def _training_labels(model: Any, label: str | None) -> Any:
    """The training samples' classes of ``label`` (unlabelled ones a class), or None."""
    if label is None:
        return None
    # training samples without the label are a class of their own, as in the dashboard:
    # the majority column was blank where most of the 15 nearest had none (GTEx samples
    # the attributes file does not list), and named a tissue of a few where some had
    # (classes as evaluate and report read them: "Liver " is Liver, 1.0 is 1)
    return read_labels(model.samples_[label].reindex(model.sample_ids_), UNLABELLED)


def _embed_table(
    model: Any,
    es: Any,
    coords: np.ndarray,
    error: np.ndarray,
    genes_used: np.ndarray,
    blank: np.ndarray,
    labels: Any,
    label: str | None,
) -> pd.DataFrame:
    """The table's places, fit and nearest training samples (with ``label``'s vote) by sample."""
    from core.analysis import map_neighbours

    near = map_neighbours(model.sample_embedding_, coords[~blank], labels, k=VOTE_K)
    near.index = np.flatnonzero(~blank)
    near = near.reindex(range(len(coords)))  # blank rows for the samples not placed
    nearest = np.asarray(model.sample_ids_, dtype=object)[
        near["nearest"].fillna(0).astype(int).to_numpy()
    ]
    nearest[blank] = None
    axes = axis_names(coords.shape[1])  # (a map of other than 2 axes: axis1..N)
    table = pd.DataFrame(
        {
            "sample_id": np.asarray(es.sample_ids).astype(str),
            **{axis: coords[:, i] for i, axis in enumerate(axes)},
            "genes_used": genes_used,
            "fit_error": error,
            "nearest_training_sample": nearest,
            "distance_on_map": near["distance_on_map"],
        }
    )
    if label is not None:
        table[f"nearest_{label}"] = near["nearest_label"].to_numpy()
        table[f"majority_{label}"] = near["majority_label"].to_numpy()
        table["majority_share"] = near["majority_share"].to_numpy()
    return table


def _print_embed_summary(
    args: argparse.Namespace,
    model: Any,
    out: Path | None,
    blank: np.ndarray,
    error: np.ndarray,
    simulated: bool,
) -> None:
    """The closing line: samples placed, where written, median fit error against training's."""
    trained_error = (getattr(model, "history_", None) or [float("nan")])[-1]
    print(
        ("SIMULATED data: " if simulated else "")
        + f"{int((~blank).sum()):,} sample{'' if (~blank).sum() == 1 else 's'} placed on the "
        f"map of {args.model}"
        + (f" ({int(blank.sum()):,} not placed)" if blank.any() else "")
        + (f"; written to {out}" if out else "")
        + f"; median fit error {float(np.nanmedian(error)):.3g} (the model's training fit "
        f"error, the mean of its last epoch: {float(trained_error):.3g})",
        file=sys.stderr,
    )


def _print_agreement(
    es: Any, table: pd.DataFrame, blank: np.ndarray, labels: Any, label: str | None
) -> None:
    """How often the map's majority agrees with the new samples' own label, when they have it."""
    own = None
    if label is not None and es.samples is not None:
        own = {str(c).lower(): str(c) for c in es.samples.columns}.get(label.lower())
    if own is not None and label is not None:
        truth = read_labels(es.samples[own], None)
        known = pd.notna(truth) & ~blank
        if known.any():
            print(
                agreement_line(table[f"majority_{label}"], truth, known, labels, label, own),
                file=sys.stderr,
            )


def _copies_of_training(model: Any, es: Any, path: str) -> tuple[np.ndarray, np.ndarray]:
    """For each new sample, the row of the training sample whose values it has on the model's
    genes (-1 for none), and the training samples' ids. Told from the fingerprint the model
    keeps of them (:func:`core.placed_samples.copies_of_keys`) for the samples that have a value
    for every model gene; the others (and all, for a model saved without it) by reading the
    training data again from the source it records (:func:`core.placed_samples.copies_of_map`),
    when that is small enough; else one line says that copies were not looked for."""
    ids = np.asarray(model.sample_ids_).astype(str)
    copy_of = np.full(es.n_samples, -1, dtype=np.int64)
    rest = np.arange(es.n_samples)
    keys = getattr(model, "copy_keys_", None)
    if keys is not None:
        told = _copies_by_keys(model, es, keys)
        if told is not None:
            copy_of, rest = told
    if not rest.size:
        return copy_of, ids
    some = es if rest.size == es.n_samples else es.subset(rest)
    which = (
        ""
        if rest.size == es.n_samples
        else (f" among the {rest.size:,} samples without a value for every model gene")
    )
    found = _copies_by_reading(model, some, path, which)
    if found is not None:
        copy_of[rest] = found
    return copy_of, ids


def _copies_by_keys(
    model: Any, es: Any, keys: np.ndarray, rows: int = 256
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`core.placed_samples.copies_of_keys` of the new samples, and the samples it cannot
    tell (a model gene without a value); None when ``es`` lacks one of the model's genes."""
    from core.placed_samples import copies_of_keys

    columns = _model_columns(model, es)
    column_of = np.full(len(model.gene_ids_), -1, dtype=np.int64)
    matched = np.flatnonzero(columns >= 0)
    column_of[columns[matched][::-1]] = matched[::-1]  # (the first, for a gene given twice)
    if (column_of < 0).any():
        return None
    values = np.asarray(es.values)
    copy_of = np.full(es.n_samples, -1, dtype=np.int64)
    untold = np.zeros(es.n_samples, dtype=bool)
    for start in range(0, es.n_samples, rows):
        part = values[start : start + rows][:, column_of]
        copy_of[start : start + rows] = copies_of_keys(part, keys, model.copy_keys_seed_)
        untold[start : start + rows] = ~np.isfinite(part).all(axis=1)
    return copy_of, np.flatnonzero(untold)


def _copies_by_reading(model: Any, es: Any, path: str, which: str) -> np.ndarray | None:
    """:func:`core.placed_samples.copies_in` of the new samples against the training data read
    again (rows of the model's samples); None, said in one line, when it is not read."""
    from core.data import load_source

    source = getattr(model, "data_source_", None)
    if not source:
        return None
    size = _source_bytes(source)
    if size > COPY_SOURCE_MAX_BYTES:
        print(
            f"copies of training samples not looked for{which}: the training data of {path} "
            f"({size / 1e6:,.0f} MB) takes long to read again (the page, python app.py --model, "
            "looks for them)",
            file=sys.stderr,
        )
        return None
    quiet = logging.getLogger("core.data")  # (its notes on that file were said at training)
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        trained = load_source(source, expected_samples=model.sample_ids_)
    except (CoreError, OSError) as exc:
        print(
            f"copies of training samples not looked for{which}: the training data of {path} "
            f"cannot be read again ({str(exc)[:200]})",
            file=sys.stderr,
        )
        return None
    finally:
        quiet.setLevel(level)
    usable = _model_columns(model, es) >= 0
    values = np.asarray(trained.values)
    found = copies_in(es, usable, values, trained.gene_ids, trained.gene_symbols)
    # (as the model's rows: the data read again are its samples, in its order)
    rows = pd.Index(np.asarray(model.sample_ids_).astype(str)).get_indexer(
        np.asarray(trained.sample_ids).astype(str)
    )
    return np.where(found >= 0, rows[np.maximum(found, 0)], -1)


def _source_bytes(source: dict[str, Any]) -> int:
    """Bytes of the files a data source names (0 for a simulated one): what reading it again
    costs, roughly."""
    total = 0
    for value in source.values():
        if not isinstance(value, str) or not value:
            continue
        try:
            p = Path(value)
            if p.is_file():
                total += p.stat().st_size
            elif p.is_dir():
                total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        except OSError:
            continue
    return total


def _gene_report(model: Any, es: Any, path: str) -> str:
    """Which genes the placement uses: matched as :meth:`FactorizedEmbeddings.transform`
    matches them (:func:`core.data.match_genes`)."""
    rows = _model_columns(model, es)
    n_model = len(model.gene_ids_)
    n_found = len({int(r) for r in rows if r >= 0})
    text = f"genes: {n_found:,} of the model's {n_model:,} genes are in {path}"
    if n_found < n_model:
        absent = np.setdiff1d(np.arange(n_model), rows[rows >= 0])
        n_absent = n_model - n_found
        text += (
            f" (the other {n_absent:,} {'is' if n_absent == 1 else 'are'} left out of the "
            f"fit: {first_names(model.gene_symbols_, absent)})"
        )
    missing, in_samples = _missing_values(es, np.flatnonzero(rows >= 0))
    if missing:  # (an empty cell or NA: the sample is placed on its other genes)
        text += (
            f"; {missing:,} value{'' if missing == 1 else 's'} of these genes "
            f"{'is' if missing == 1 else 'are'} missing, in {in_samples:,} "
            f"sample{'' if in_samples == 1 else 's'}: left out of "
            f"{'its' if in_samples == 1 else 'their'} fit (column genes_used)"
        )
    folded = case_folded(model.gene_ids_, model.gene_symbols_, es.gene_ids, es.gene_symbols, rows)
    if folded:  # (myh7 for MYH7: matched, as transform matches them, and said)
        shown = ", ".join(f"{given} as {own}" for given, own in folded[:5])
        one = len(folded) == 1
        # (of the genes found: "1 of it" read for one gene in another case among 57)
        which = "it" if n_found == 1 else f"{len(folded):,} of them"
        text += (
            f"; {which} matched in another case "
            f"({shown}{', ...' if len(folded) > 5 else ''}): check that "
            f"{'it is' if one else 'they are'} the same gene{'' if one else 's'}"
        )
    ignored = np.flatnonzero(rows < 0)
    if len(ignored) and n_found:
        names = np.asarray(es.gene_symbols).astype(str)[ignored]
        # (a misspelt column, MYH77, names the model gene it may have meant, as the page does)
        unmatched = np.setdiff1d(np.arange(n_model), rows[rows >= 0])
        symbols = np.asarray(model.gene_symbols_).astype(str)[unmatched]
        ids = np.asarray(model.gene_ids_).astype(str)[unmatched]
        # (a gene of the training data left out before training, 0 in every sample, is no
        # typo: said so, as neighbours says it, not "did you mean" another gene)
        from core.analysis.gene_lookup import left_out_genes

        left_out = left_out_genes(getattr(model, "data_source_", None) or {})
        hints = {
            name: (
                f" (left out before training: {left_out[key]})"
                if (key := _strip_version(name.strip().upper())) in left_out
                else did_you_mean({name: close_symbols(name, symbols, ids)})
            )
            for name in names[:CLOSE_LOOKED_AT]
        }
        # (those with a "did you mean" first: a typo is what a reader can mend)
        named = sorted(names[:CLOSE_LOOKED_AT], key=lambda name: not hints[name])
        named += list(names[CLOSE_LOOKED_AT:])
        shown = ", ".join(name + hints.get(name, "") for name in named[:5])
        shown += ", ..." if len(names) > 5 else ""
        one = len(ignored) == 1
        text += (
            f"; {len(ignored):,} of its genes {'is' if one else 'are'} not in the model and "
            f"{'is' if one else 'are'} ignored ({shown})"
        )
    if 0 < n_found < n_model / 2:
        text += "; placed on fewer than half the model's genes, the places are less certain"
    shared = shared_name_note(
        model.gene_ids_, model.gene_symbols_, es.gene_ids, es.gene_symbols, rows
    )
    return text + (f"; {shared}" if shared else "")


def _missing_values(es: Any, columns: np.ndarray, rows: int = 4096) -> tuple[int, int]:
    """Missing values (NaN) among ``columns`` of ``es``, and the samples that have any,
    counted by blocks of rows (a GTEx-sized matrix is not copied whole)."""
    values = np.asarray(es.values)
    cells, samples = 0, 0
    if not columns.size:
        return 0, 0
    for start in range(0, values.shape[0], rows):
        gaps = np.isnan(values[start : start + rows][:, columns])
        cells += int(gaps.sum())
        samples += int(gaps.any(axis=1).sum())
    return cells, samples


def _model_columns(model: Any, es: Any) -> np.ndarray:
    """For each gene of ``es``, its row in the model (-1: not a model gene)."""
    return match_genes(model.gene_ids_, model.gene_symbols_, es.gene_ids, es.gene_symbols)


class _LoggedScaleHeard(logging.Handler):
    """Within the block, whether the loader warned that values given to a log transform look
    already log-transformed (``core.data``'s warning): without it the values looked raw, and
    "add --transform none" is no remedy for their poor fit."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.logged = False

    def emit(self, record: logging.LogRecord) -> None:
        if "look already log-transformed" in record.getMessage():
            self.logged = True

    def __enter__(self) -> _LoggedScaleHeard:
        logging.getLogger("core.data").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("core.data").removeHandler(self)


def _place(model: Any, es: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates, fit errors, genes used and value scales (``value_scales``) of each new
    sample, :data:`EMBED_CHUNK` samples at a time with a progress report between chunks when
    there are more."""
    matched = np.flatnonzero(_model_columns(model, es) >= 0)
    n = es.n_samples
    chunks = [np.arange(i, min(n, i + EMBED_CHUNK)) for i in range(0, n, EMBED_CHUNK)] or [[]]
    coords, errors, used, scales = [], [], [], []
    progress = StepProgress("placing", "samples", n) if len(chunks) > 1 else None
    quiet = logging.getLogger("core.estimator")
    level = quiet.level
    if not log.isEnabledFor(logging.DEBUG):
        quiet.setLevel(logging.WARNING)  # (its INFO lines: of each chunk)

    # said above: shared names, few genes, genes absent or ignored (once, not by chunk); the
    # fit error (with its remedy)
    def said_above(record: logging.LogRecord) -> bool:
        notice = getattr(record, "notice", None)
        return notice not in ("shared_names", "few_genes", "fit_error", "gene_match")

    quiet.addFilter(said_above)
    try:
        for rows in chunks:
            part = es if len(chunks) == 1 else es.subset(rows)
            counts = np.isfinite(np.asarray(part.values)[:, matched]).sum(axis=1)
            # a sample without any value of a model gene (an empty row) is not placed: its
            # row stays blank, and the others are placed
            c = np.full((len(counts), model.sample_dim), np.nan, dtype=np.float32)
            e = np.full(len(counts), np.nan, dtype=np.float32)
            s = np.full(len(counts), np.nan)
            valued = np.flatnonzero(counts > 0) if matched.size else np.arange(len(counts))
            if valued.size:
                some = part if valued.size == len(counts) else part.subset(valued)
                placed, error = model.transform(some, return_error=True)
                c[valued], e[valued] = placed, error
                s[valued] = model.value_scales(some, placed)
            coords.append(c)
            errors.append(e)
            used.append(counts)
            scales.append(s)
            if progress is not None:
                progress.update(len(rows))
    finally:
        quiet.setLevel(level)
        quiet.removeFilter(said_above)
        if progress is not None:
            progress.close()
    return tuple(np.concatenate(parts) for parts in (coords, errors, used, scales))


# ----------------------------------------------------------------------------- neighbours
def _gene_rows(model: Any, queries: list[str]) -> tuple[list[int], list[str]]:
    """Model rows of the queried genes (:func:`core.analysis.find_genes`), in the order asked,
    and the queries found, its notes printed to stderr; a DataError when none is a gene of the
    model. An alias of one of its genes is read as that gene (:func:`read_aliases`), on one
    line of stderr."""
    from core.analysis import find_genes
    from core.analysis.gene_lookup import read_aliases

    read = read_aliases(model.gene_ids_, model.gene_symbols_, queries)
    if read:
        kept, problems = [], []
        for q in queries:
            name, line = read.get(q.strip(), (q, ""))
            if name is None:
                problems.append(line)
            else:
                kept.append(name)
        if not kept:
            raise DataError(f"--genes: {'; '.join(dict.fromkeys(problems))}")
        for line in dict.fromkeys(line for _, line in read.values()):
            print(f"warning: {line}" if line in problems else line, file=sys.stderr)
        queries = kept
    found = find_genes(model, queries)
    for level, note in found.notes:
        print(f"warning: {note}" if level >= logging.WARNING else note, file=sys.stderr)
    return found.rows, found.found


def _aligned(model: Any, other: Any, path: str) -> np.ndarray:
    # Ensembl versions ignored; other dotted ids (AC000061.1) kept whole
    pos = {_strip_version(str(g)): i for i, g in enumerate(other.gene_ids_)}
    rows = np.array([pos.get(_strip_version(str(g)), -1) for g in model.gene_ids_])
    missing = int((rows < 0).sum())
    if missing:
        raise ModelError(
            f"--compare-models {path}: lacks {missing:,} of the {len(rows):,} genes of --model; "
            "compare models trained on the same genes (other seeds or gene_dim)"
        )
    return np.asarray(other.gene_embedding_)[rows]


def run_neighbours(args: argparse.Namespace) -> int:
    from core.analysis import _listed_once, check_distinct_runs, consensus_gene_space, unit_rows

    out = _check_out(args.out, args.force)
    queries = [g for g in (t.strip() for t in args.genes.split(",")) if g]
    if not queries:
        raise CoreError("--genes: give at least one gene symbol or id")
    model = load_model_dir(args.model)
    n_genes = len(model.gene_ids_)
    if n_genes < 2:
        raise CoreError(f"--model {args.model} has {n_genes} gene: no gene neighbours to list")
    if not 1 <= args.k < n_genes:
        raise CoreError(
            f"--k must be between 1 and {n_genes - 1} (the model's genes - 1), got {args.k}"
        )
    asked, found = _gene_rows(model, queries)
    symbols = np.asarray(model.gene_symbols_).astype(str)
    gene_ids = np.asarray(model.gene_ids_).astype(str)
    # a gene asked twice (TBX5, tbx5, its id) is listed once
    rows, repeated = _listed_once(model, asked, found)
    for note in repeated:
        print(note, file=sys.stderr)
    embeddings = [np.asarray(model.gene_embedding_)]
    trained_on = getattr(model, "dataset_fingerprint_", "")
    for p in args.compare_models:
        other = load_model_dir(p, "--compare-models")
        aligned = _aligned(model, other, p)  # its genes first: "lacks n genes" says more
        theirs = getattr(other, "dataset_fingerprint_", "")
        if trained_on and theirs and theirs != trained_on:
            raise CoreError(f"--compare-models {p}: trained on other data than --model")
        embeddings.append(aligned)
    check_distinct_runs(
        embeddings,
        [f"--model {args.model}", *(f"--compare-models {p}" for p in args.compare_models)],
    )
    units = [unit_rows(e) for e in embeddings]
    joined = unit_rows(consensus_gene_space(embeddings))
    parts = []
    for m in rows:
        d = 1.0 - joined @ joined[m]
        d[m] = np.inf
        idx = np.argsort(d, kind="stable")[: args.k]
        part = pd.DataFrame(
            {
                "gene": symbols[m],  # as the model names it, whatever the spelling asked
                "gene_id": gene_ids[m],
                "rank": np.arange(1, len(idx) + 1),
                "neighbour": symbols[idx],
                "neighbour_id": gene_ids[idx],
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
    if ids_are_symbols(gene_ids, symbols):  # (as export's genes.csv: ids that repeat symbols)
        table = table.drop(columns=["gene_id", "neighbour_id"])
    if model_is_simulated(model):  # neighbours in a simulated gene space are not findings
        table.insert(0, *SIMULATED_COLUMN)
        print(f"SIMULATED data: {args.model} is a model of simulated data", file=sys.stderr)
    asked_names = ", ".join(dict.fromkeys(str(symbols[m]) for m in rows))
    others = len(units) - 1
    space = (
        f"the gene space of {args.model}"
        if not others
        else f"the joined gene space of {args.model} and {others} other "
        f"model{'' if others == 1 else 's'}"
    )
    print(
        f"the {'gene' if args.k == 1 else f'{args.k:,} genes'} nearest to {asked_names} in "
        f"{space} (distance: "
        + (f"mean over the {len(units)} models of the " if others else "")
        + "cosine distance between gene vectors, 0 = same direction, 1 = unrelated, 2 = "
        "opposite; neighbours --help explains each column):",
        file=sys.stderr,
    )
    sys.stdout.write(table.to_string(index=False) + "\n")
    if out is not None:
        _write_table(table, out)
        print(f"table of {len(table):,} rows written to {out}", file=sys.stderr)
    return 0
