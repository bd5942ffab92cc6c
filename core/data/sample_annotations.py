"""A sample annotation table given apart from the matrix.

Reading it, checking that it annotates samples, and joining it to the matrix's samples (a GEO
series matrix's own sample lines too).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.columns import _GENE_ID_KEYS, _SAMPLE_ID_KEYS, _name_key, is_text
from core.data.inputs import _read_user_parquet
from core.data.orientation import _gene_name_share, _r_names_hint
from core.data.text_tables import _geo_sample_annotations, _read_text_table
from core.data.value_columns import _is_numeric
from core.errors import DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


def _tidy_text_annotations(samples: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Sample annotations with the spaces around their words taken off, line breaks inside a
    cell read as spaces (Excel's Alt+Enter: "Adipose\nTissue" is "Adipose Tissue" wrapped),
    and cells of spaces only read as missing: "Liver " (a spreadsheet's trailing space) was a
    tissue of its own in the map's legend and its votes, beside "Liver"."""
    out = samples
    n_changed = 0
    for col in samples.columns:
        series = samples[col]
        if not (series.dtype == object or isinstance(series.dtype, pd.StringDtype)):
            continue
        values = series.to_numpy(dtype=object)
        text = np.array([isinstance(v, str) for v in values], dtype=bool)
        if not text.any():
            continue
        stripped = values.copy()
        stripped[text] = [
            " ".join(part.strip() for part in v.splitlines() if part.strip()) for v in values[text]
        ]
        changed = text & (stripped != values)
        if not changed.any():
            continue
        stripped[text & (stripped == "")] = None
        if out is samples:
            out = samples.copy()
        out[col] = pd.Series(stripped, index=samples.index, dtype=series.dtype)
        n_changed += int(changed.sum())
    if n_changed:
        log.info(
            "%s: %d annotation cell(s) had spaces around their words or line breaks; read "
            "without them (a line break as a space)",
            path,
            n_changed,
        )
    return out


def _warn_of_case_twin_values(samples: pd.DataFrame, path: Path) -> None:
    """Warn of text annotation values that differ only by letter case ("Blood" and "blood",
    as typed by hand in a spreadsheet): each is a class of its own in evaluate's tables, the
    map's legend and embed's votes, without a word (chance level 0.175 for 4 tissues)."""
    for col in samples.columns:
        series = samples[col]
        if not is_text(series) and not isinstance(series.dtype, pd.CategoricalDtype):
            continue
        values = pd.Series(series.dropna().unique()).astype(str)
        if len(values) < 2:
            continue
        groups = values.groupby(values.str.casefold()).agg(list)
        twins = [sorted(g) for g in groups if len(g) > 1]
        if not twins:
            continue
        shown = ", ".join("/".join(map(repr, g)) for g in twins[:3]) + (
            ", ..." if len(twins) > 3 else ""
        )
        log.warning(
            "%s: annotation column %r has values that differ only by letter case (%s): each is "
            "read as a class of its own; spell them alike if they are one",
            path,
            str(col),
            shown,
        )


def _read_annotations(path: Path) -> pd.DataFrame:
    if path.name.lower().endswith((".parquet", ".pq")):  # (read as text: "duplicate column
        frame = _read_user_parquet(path)  # names ['\ufffd']")
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()
        frame.columns = [str(c) for c in frame.columns]
    else:
        frame, _ = _read_text_table(path, "annotation")
    if frame.shape[1] < 1:
        raise DataError(f"annotation file {path} has no columns")
    return frame


#: Numeric columns named by genes, above which an annotation table is an expression matrix.
_MATRIX_GENE_COLUMNS = 20


def _check_sample_annotations(ann: pd.DataFrame, path: Path, sample_column: str | None) -> None:
    """Refuse an expression matrix or a gene table given as sample annotations: rows that are
    genes (an id column named ``gene``/``symbol``..., or most ids gene symbols or gene ids),
    which would turn the matrix read with it, or many numeric columns named by genes."""
    id_col = sample_column if sample_column in ann.columns else str(ann.columns[0])
    ids = ann[id_col].dropna().astype(str).str.strip().tolist()
    key = _name_key(id_col)
    named = key in _GENE_ID_KEYS and key not in _SAMPLE_ID_KEYS
    share = _gene_name_share(ids)
    if named or share > 0.5:
        why = f"its id column is {id_col!r}" if named else f"{share:.0%} of its ids are genes"
        raise DataError(
            f"annotation file {path}: its rows are genes, not samples ({why}: "
            f"{', '.join(ids[:3])}, ...); is it an expression matrix or a gene table? "
            "Sample annotations have one row per sample: a sample id column, then label "
            "columns (tissue, sex, ...)"
        )
    numeric = [str(c) for c in ann.columns if c != id_col and _is_numeric(ann[c])]
    if len(numeric) >= _MATRIX_GENE_COLUMNS and _gene_name_share(numeric) > 0.5:
        raise DataError(
            f"annotation file {path}: {len(numeric)} numeric columns named by genes "
            f"({', '.join(numeric[:3])}, ...): it is an expression matrix, not sample "
            "annotations; give it as the matrix, and the sample annotations (a sample id "
            "column, then label columns such as tissue) as the annotation file"
        )


def _annotation_id_column(ann: pd.DataFrame, ids: pd.Index, sample_column: str | None) -> str:
    if sample_column is not None and sample_column in ann.columns:
        return sample_column
    best, best_hits = str(ann.columns[0]), -1
    for col in ann.columns:
        if not is_text(ann[col]) and not pd.api.types.is_integer_dtype(ann[col]):
            continue
        hits = int(ann[col].astype(str).str.strip().isin(ids).sum())
        if hits > best_hits:
            best, best_hits = str(col), hits
    return best


def _blank(column: pd.Series) -> np.ndarray:
    """Where ``column`` holds no value: missing, or text of spaces only."""
    text = column.astype(object).where(column.notna(), "").astype(str).str.strip()
    return (column.isna() | (text == "")).to_numpy()


def _coverage_text(joined: pd.DataFrame, matrix_path: Path, ann_path: Path) -> str:
    """What the annotation table gives the matrix's samples, every one of which it names:
    "all 80 samples annotated", or how many have a blank row or blank cells (a file listing
    every sample but leaving 10 labels empty was said to annotate them all)."""
    n = len(joined)
    if joined.shape[1] == 0:
        return f"{matrix_path}: all {n} samples annotated by {ann_path}"
    blanks = {str(c): _blank(joined[c]) for c in joined.columns}
    empty_rows = int(np.logical_and.reduce(list(blanks.values())).sum())
    partly = [(c, int(b.sum())) for c, b in blanks.items() if b.any()]
    if not partly:
        return f"{matrix_path}: all {n} samples annotated by {ann_path}"
    text = f"{matrix_path}: all {n} samples are in {ann_path}"
    if empty_rows:
        text += f"; {n - empty_rows} annotated, {empty_rows} with every column blank"
    if any(k > empty_rows for _, k in partly):  # (cells blank in rows that have others)
        shown = ", ".join(f"{c!r} for {k}" for c, k in partly[:4])
        text += f"; blank: {shown}" + (", ..." if len(partly) > 4 else "")
    return text


def _join_annotations(
    samples: pd.DataFrame,
    ann_path: Path,
    sample_column: str | None,
    matrix_path: Path,
    ann: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``samples`` with the columns of the annotation table (read from ``ann_path`` unless
    given as ``ann``) joined on sample id."""
    if ann is None:
        ann = _read_annotations(ann_path)
    if not len(ann):
        names = ", ".join(map(repr, [str(c)[:30] for c in ann.columns[:4]]))
        raise DataError(
            f"annotation file {ann_path} has a header line ({names}) but no rows: "
            "one row per sample is expected"
        )
    ids = pd.Index(samples.index)
    col = _annotation_id_column(ann, ids, sample_column)
    keys = ann[col].astype(str).str.strip()
    if keys.duplicated().any():
        pos = int(np.flatnonzero(keys.duplicated().to_numpy())[0])
        line = pos + int(ann.attrs.get("header_line", 1)) + 1
        raise DataError(
            f"annotation file {ann_path}, line {line}: duplicate sample id {keys.iloc[pos]!r}"
        )
    table = ann.drop(columns=[col]).set_axis(pd.Index(keys, name="sample_id"), axis=0)
    common = ids.intersection(table.index)
    if len(common) == 0:
        hint = ""
        if ids.str.upper().isin(table.index.str.upper()).any():
            hint = "; they match when upper and lower case are not told apart: spell them alike"
        else:
            hint = _r_names_hint(ids, table.index)
        raise DataError(
            f"no sample in common between matrix {matrix_path} (e.g. {ids[:2].tolist()}) and "
            f"annotations {ann_path} (column {col!r}, e.g. {table.index[:2].tolist()}){hint}"
        )
    if len(common) < len(ids):
        missing = ids[~ids.isin(table.index)]
        log.warning(
            "%s: %d of its %d samples are not in %s (e.g. %s); they are kept, unannotated",
            matrix_path,
            len(missing),
            len(ids),
            ann_path,
            ", ".join(map(str, missing[:3])),
        )
    else:
        log.info("%s", _coverage_text(table.reindex(ids), matrix_path, ann_path))
    unused = table.index[~table.index.isin(ids)]
    if len(unused):  # (an annotation file of a whole study, for a subset of its samples)
        log.info(
            "%s: %d of its %d rows name no sample of %s (e.g. %s); left out",
            ann_path,
            len(unused),
            len(table),
            matrix_path,
            ", ".join(map(str, unused[:3])),
        )
    joined = table.reindex(ids)
    out = samples.copy()
    for c in joined.columns:
        new = joined[c]
        if c in out.columns:
            # the matrix has that column too: the annotation file's values, the matrix's
            # where the file has none (never a label lost)
            old = out[c]
            new_values = new.to_numpy(dtype=object)
            old_values = old.to_numpy(dtype=object)
            both = new.notna().to_numpy() & old.notna().to_numpy()
            differ = both & (new.astype(str).to_numpy() != old.astype(str).to_numpy())
            kept = int((new.isna().to_numpy() & old.notna().to_numpy()).sum())
            if differ.any() or kept:
                first = int(np.flatnonzero(differ)[0]) if differ.any() else None
                example = (
                    f"; e.g. {ids[first]}: {old_values[first]!r} in the matrix, "
                    f"{new_values[first]!r} in {ann_path.name}"
                    if first is not None
                    else ""
                )
                log.log(
                    logging.WARNING if differ.any() else logging.INFO,
                    "column %r is in both %s and %s: the annotation file's values are used "
                    "(%d samples differ), the matrix's where the file has none (%d samples)%s",
                    c,
                    matrix_path,
                    ann_path,
                    int(differ.sum()),
                    kept,
                    example,
                )
            out[c] = np.where(new.notna().to_numpy(), new_values, old_values)
            if _is_numeric(new) and _is_numeric(old):
                out[c] = pd.to_numeric(out[c])
        else:
            out[c] = new.to_numpy()
    return out


def _with_geo_annotations(samples: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``samples`` with the annotations of a GEO series matrix's header
    (:func:`_geo_sample_annotations`); as it is for any other file."""
    geo = _geo_sample_annotations(path)
    if geo is None or geo.empty:
        return samples
    ids = pd.Index(samples.index)
    found = ids.isin(geo.index)
    if not found.any():
        log.warning(
            "%s: the GEO header describes samples %s, ..., none of them a column of the table "
            "(e.g. %s): its sample annotations are left out",
            path,
            ", ".join(map(str, geo.index[:2])),
            ", ".join(map(str, ids[:2])),
        )
        return samples
    out = samples.copy()
    for name in geo.columns:
        if name not in out.columns:
            out[name] = geo[name].reindex(ids).to_numpy()
    log.info(
        "%s: sample annotations read from the GEO header for %d of %d samples: %s",
        path,
        int(found.sum()),
        len(ids),
        ", ".join(map(str, geo.columns)),
    )
    return out
