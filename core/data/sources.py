"""Data sources: how a set was made, and loading it again (:func:`load_source`).

The ``source`` dict a set and a saved model keep, and the words that describe it (simulated
data, steps, samples left out).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from core.data.expression_set import ExpressionSet
from core.data.gtex import load_gtex
from core.data.tables import load_table
from core.errors import DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


#: Keys of a data source that record what was read rather than how to read it.
_SOURCE_RECORDS = (
    "loader",
    "steps",
    "text_cells",
    "text_cell_count",
    "samples_in_file",
    "samples_excluded",
    "samples_unlisted",
    "h5ad_by_names",
)


def exclusion_words(source: dict[str, Any]) -> str | None:
    """The tissues a GTEx source left out, in words for a page's data line, with the samples
    its attributes file does not list (kept unlabelled: the tissues left out may remain among
    them; the page said "Brain left out" over 2,146 brain samples of the shared file). None
    when no tissue was left out."""
    excluded = [str(t) for t in source.get("exclude_tissues") or ()]
    if source.get("loader") != "gtex" or not excluded:
        return None
    words = f"{', '.join(excluded)} left out"
    in_file, left_out = source.get("samples_in_file"), source.get("samples_excluded")
    if in_file and left_out is not None:  # (counted from the tissues, not the gap)
        words += f" ({int(left_out):,} of the file's {int(in_file):,} samples)"
    unlisted = source.get("samples_unlisted")
    if unlisted:
        words += (
            f"; {int(unlisted):,} samples the attributes file does not list are kept, "
            "unlabelled, and samples of those tissues may be among them"
        )
    return words


#: The scale the simulated demo's values stand for, as a transform's name: samples given in
#: TPM are placed on its map with it (the page offered log2(x+1), which they are not).
SIMULATED_SCALE = "log10p1"


def source_scale(source: dict[str, Any] | None) -> str | None:
    """The transform that puts raw values (counts, TPM) on the scale of a data source's
    values: its recorded ``transform``, or the simulated demo's :data:`SIMULATED_SCALE`
    (built on that scale, not transformed); None when not recorded."""
    source = source or {}
    transform = source.get("transform")
    if not transform and source.get("loader") == "simulated":
        return SIMULATED_SCALE
    return str(transform) if transform else None


#: The words of a transform's values (``source["transform"]``).
TRANSFORM_SCALES = {"log10p1": "log10(x+1)", "log2p1": "log2(x+1)"}


def source_words(source: dict[str, Any], scale: str | None = None) -> list[str]:
    """What a data source did to the file it read, in words, for the data line of the page and
    of the report (after the file's name): the values' transform, the GTEx tissues left out
    (:func:`exclusion_words`), the loading steps (:func:`step_words`). ``scale``: the words
    of the values' scale when the caller knows them better (the model's training transform).
    """
    parts = []
    transform = source.get("transform")
    if transform is not None:
        parts.append(
            "values used as in the file"
            if str(transform) == "none"
            else "values transformed by "
            + (scale or TRANSFORM_SCALES.get(str(transform), str(transform)))
        )
    excluded = exclusion_words(source)  # GTEx has 17,382: where are the others?
    if excluded:
        parts.append(excluded)
    steps = [step_words(st) for st in source.get("steps") or [] if isinstance(st, dict)]
    if steps:
        parts.append("then " + ", ".join(steps))
    return parts


def load_source(
    source: dict[str, Any], expected_samples: Sequence[str] | None = None
) -> ExpressionSet:
    """Re-load an expression set from its ``source`` dict (see :attr:`ExpressionSet.source`).

    Loaders: ``gtex`` (:func:`load_gtex` arguments), ``table`` (:func:`load_table`
    arguments), ``simulated`` (``core.simulate.simulate_gtex_like`` parameters), ``saved``
    (``path`` of a directory written by :meth:`ExpressionSet.save`). A ``steps`` list
    (subset / drop_zero_genes / detected_genes / top_variable_genes) is replayed on the result.

    ``expected_samples`` (a model's sample ids): a table recorded without its orientation (saved
    before the orientation was recorded) is read the way that gives these samples, whatever the
    current rules of ``orientation="auto"`` say.
    """
    if not isinstance(source, dict) or "loader" not in source:
        raise DataError(f"not a data source description (needs a 'loader' key): {source!r:.200}")
    params = {k: v for k, v in source.items() if k not in _SOURCE_RECORDS}
    loader = source["loader"]
    try:
        if loader == "gtex":
            params["exclude_tissues"] = tuple(params.get("exclude_tissues") or ())
            es = load_gtex(**params)
        elif loader == "table":
            # a source recorded before numeric columns named as sample annotations (age, RIN)
            # were read as annotations re-loads them as genes, as its model was trained
            params.setdefault("annotation_names", False)
            params.setdefault("non_gene_names", False)  # (lengths, lanes: genes then)
            if str(params.get("path", "")).lower().endswith(".h5ad") and not source.get(
                "h5ad_by_names"
            ):
                # recorded before an .h5ad's axes followed its names or the orientation given:
                # read as then, samples in obs (it was trained so)
                params["orientation"] = "samples_x_genes"
            if "orientation" not in params and expected_samples is not None:
                es = _load_table_as_trained(params, expected_samples)
            else:
                es = load_table(**params)
        elif loader == "simulated":
            from core.simulate import simulate_gtex_like

            es = simulate_gtex_like(**params)
        elif loader == "saved":
            es = ExpressionSet.load(params["path"])
        else:
            raise DataError(
                f"data source {loader!r} cannot be re-loaded (known: gtex, table, simulated, saved)"
            )
    except TypeError as exc:
        raise DataError(f"data source {loader!r} has unexpected parameters: {exc}") from exc
    except KeyError as exc:
        raise DataError(f"data source {loader!r} lacks parameter {exc}") from exc
    for step in source.get("steps", []):
        op = step.get("op")
        if op == "subset":
            es = es.subset(samples=step.get("samples"), genes=step.get("genes"))
        elif op == "drop_zero_genes":
            es = es.drop_zero_genes()
        elif op == "top_variable_genes":
            es = es.top_variable_genes(int(step["n"]))
        elif op == "detected_genes":
            es = es.detected_genes(float(step["min_fraction"]))
        else:
            raise DataError(f"unknown step {op!r} in data source")
    return es


def _load_table_as_trained(
    params: dict[str, Any], expected_samples: Sequence[str]
) -> ExpressionSet:
    """:func:`load_table` in the orientation (auto first, then each) that holds every one of
    ``expected_samples``; the first orientation's error, or a mismatch, when none does."""
    expected = {str(s) for s in expected_samples}
    first_error: DataError | None = None
    read_any = False
    for orientation in ("auto", "samples_x_genes", "genes_x_samples"):
        try:
            es = load_table(**params, orientation=orientation)
        except DataError as exc:
            first_error = first_error or exc
            continue
        read_any = True
        if expected <= set(es.sample_ids):
            if orientation != "auto":
                log.warning(
                    "%s: read as %s, the orientation the model was trained on",
                    params.get("path"),
                    orientation,
                )
            return es
    if first_error is not None and not read_any:
        raise first_error
    raise DataError(
        f"{params.get('path')}: neither its rows nor its columns hold the model's samples "
        f"(e.g. {', '.join(sorted(expected)[:3])})"
    )


#: A sample id as :mod:`core.simulate` makes them (``SIM-03MZC-0126-SM-F18T0``).
_SIMULATED_ID = re.compile(r"SIM-[0-9A-Z]{5}-\d{4}-SM-[0-9A-Z]{5}")


def is_simulated(es: Any) -> bool:
    """Whether a dataset is the simulated demo (or any data marked simulated): its source's
    loader or flag, its samples' ``simulated`` attribute, or "simulated" in its name, so that
    every figure, table and file made from it can say so.

    The demo written to files and read back (``--matrix`` and ``--annotations``) is told by
    what it carries: a ``simulated`` annotation true for every sample, or sample ids all made
    by :mod:`core.simulate` (``SIM-XXXXX-NNNN-SM-XXXXX``, a matrix without its annotations).
    """
    source = getattr(es, "source", None) or {}
    if source.get("loader") == "simulated" or source.get("simulated") is True:
        return True
    samples = getattr(es, "samples", None)
    if isinstance(samples, pd.DataFrame) and len(samples):
        if samples.attrs.get("simulated") is True:
            return True
        if "simulated" in samples.columns:
            marks = samples["simulated"].astype(str).str.strip().str.lower()
            if marks.isin(("true", "1", "yes")).all():
                return True
        ids = samples.index.astype(str)
        if ids.str.fullmatch(_SIMULATED_ID.pattern).all():
            return True
    return "simulated" in str(getattr(es, "name", "")).lower()


#: The first column of a table made from simulated data: its name and its value on every row.
SIMULATED_COLUMN = ("data", "SIMULATED")


def mark_simulated(table: pd.DataFrame, prefix: str = "sample_") -> None:
    """Put the column ``data`` = ``SIMULATED`` first in ``table`` (in place): a table taken out
    of its folder still says it was made from simulated data. A column of that name already
    there (a sample annotation ``data``) keeps its values under ``prefix`` before its name
    (``sample_data``, as ``embed`` renames an annotation its table has already)."""
    name, value = SIMULATED_COLUMN
    if name in table.columns:
        renamed = prefix + name
        while renamed in table.columns:
            renamed = prefix + renamed
        table.rename(columns={name: renamed}, inplace=True)
    table.insert(0, name, value)


def step_words(step: dict[str, Any]) -> str:
    """One loading step of a data source (``source["steps"]``), as a reader would say it."""
    op = step.get("op")
    if op == "drop_zero_genes":
        n = step.get("n_dropped")
        if n is None:  # a source recorded before the count was
            return "genes that are 0 in every sample left out"
        if not n:
            return "no gene is 0 in every sample"
        names = [str(g) for g in step.get("dropped") or []]
        shown = ", ".join(names[:8]) + (", ..." if n > min(len(names), 8) else "")
        return f"the {n:,} gene{'s' if n > 1 else ''} 0 in every sample left out" + (
            f" ({shown})" if names else ""
        )
    if op == "detected_genes":
        share = float(step.get("min_fraction", 0))
        return f"genes above 0 in fewer than {share:.0%} of the samples left out"
    if op == "top_variable_genes":
        return f"the {int(step.get('n', 0)):,} most variable genes kept"
    if op == "subset":
        parts = []
        for axis in ("samples", "genes"):
            chosen = step.get(axis)
            if chosen is not None:
                parts.append(f"{len(chosen):,} {axis}")
        return "a subset (" + ", ".join(parts) + ")" if parts else "a subset"
    return str(op)
