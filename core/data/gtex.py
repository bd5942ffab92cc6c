"""The published GTEx layout (:func:`load_gtex`).

The GCT matrix with the ``SampleAttributesDS`` and ``SubjectPhenotypesDS`` tables.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import is_text
from core.data.expression_set import ExpressionSet
from core.data.gct import _genes_frame, _read_gct_header, _stream_gct
from core.data.inputs import _absolute, _check_file, _open_binary, _read_line, _strip_suffixes
from core.data.orientation import _r_names_hint
from core.data.scale import _check_transform
from core.data.text_tables import _read_csv, _sniff_sep, _text_preamble
from core.data.value_columns import _MISSING_MARKERS
from core.errors import DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


def _read_tsv(path: Path, what: str, **kwargs: Any) -> pd.DataFrame:
    """A GTEx table: tab-separated as published; a comma/semicolon-separated copy (saved from a
    spreadsheet) is read with its own separator."""
    n_skip, first = _text_preamble(path)
    sep = _sniff_sep(path, first, n_skip)
    if sep != "\t":
        log.info("%s: %s file is %r-separated, not tab-separated", path, what, sep)
    frame = _read_csv(path, what, sep, n_skip, None, **kwargs)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _first_fields(path: Path, n_lines: int = 3) -> list[list[str]]:
    """The tab-separated fields of a file's first lines (a look at what the file is)."""
    lines = []
    with _open_binary(path) as fh:
        while len(lines) < n_lines:
            line = _read_line(fh, path)
            if not line:
                break
            text = line.decode("utf-8", errors="replace").removeprefix("\ufeff")
            lines.append([f.strip() for f in text.rstrip("\r\n").split("\t")])
    return lines


def _gct_sign(path: Path) -> str | None:
    """What shows ``path`` to be a GCT matrix (its ``#1.2`` first line, its Name and
    Description columns), or None."""
    lines = _first_fields(path)
    if lines and lines[0] and lines[0][0].startswith("#1."):
        return f"first line {lines[0][0]!r}"
    for fields in lines:
        if fields[:2] == ["Name", "Description"]:
            return "Name and Description columns"
    return None


def _check_not_swapped(gct: Path, attributes: Path) -> None:
    """Refuse a GCT matrix given as the sample attributes: it was "no SAMPID column (columns
    found: 56200, 17382)", read from the matrix's dimension line."""
    sign = _gct_sign(attributes)
    if sign is None:
        return
    if any("SAMPID" in fields for fields in _first_fields(gct)):
        raise DataError(
            f"the GCT matrix and the sample attributes look swapped: {attributes}, given as the "
            f"sample attributes, is a GCT matrix ({sign}), and {gct}, given as the matrix, a "
            "sample attributes table (SAMPID column); give them the other way round"
        )
    raise DataError(
        f"sample attributes file {attributes} is a GCT matrix ({sign}), not GTEx's "
        "SampleAttributesDS (SAMPID, SMTS, ...)"
    )


def _known_tissues(
    tissues: Sequence[str],
    smts: pd.Series,
    path: Path | str,
    name: str,
    hint: str = "",
    strict: bool = True,
) -> list[str]:
    """``tissues`` as the attributes ``path`` spell them (case and surrounding spaces aside).

    One that is no SMTS tissue there is an error naming it, its closest tissues and all of them
    (``name``: the argument as the caller words it), not a run that keeps its samples. Not
    ``strict`` (:func:`load_gtex`): only one close to a tissue there (``Brian``: Brain) is an
    error; one close to none (the paper's Fallopian Tube, absent from a file of a few tissues,
    or recorded by a model trained on one) is logged and kept as given."""
    known = sorted(set(smts.dropna().astype(str)))
    by_lower = {t.lower(): t for t in known}
    unknown, named, out = [], [], []
    for tissue in tissues:
        key = tissue.strip().lower()
        if key in by_lower:
            out.append(by_lower[key])
            continue
        close = difflib.get_close_matches(key, list(by_lower), n=3)
        if strict or close:
            closest = f" (closest: {', '.join(by_lower[c] for c in close)})" if close else ""
            named.append(f"{tissue!r}{closest}")
        else:
            unknown.append(tissue)
            out.append(tissue)
    if named:
        raise DataError(
            f"{name}: no SMTS tissue {', '.join(named)} in {path} (its tissues: "
            f"{', '.join(known)}){hint}"
        )
    for tissue in unknown:
        log.warning("%s: no sample of tissue %r in %s", name, tissue, path)
    return out


def _read_attributes(path: Path) -> pd.DataFrame:
    attrs = _read_tsv(path, "sample attributes", dtype={"SAMPID": str})
    for col in ("SAMPID", "SMTS"):
        if col not in attrs.columns:
            raise DataError(
                f"sample attributes file {path}, line 1: no {col} column (GTEx "
                f"SampleAttributesDS needs SAMPID and SMTS; columns found: "
                f"{', '.join(map(str, attrs.columns[:8]))})"
            )
    attrs["SAMPID"] = attrs["SAMPID"].astype(str).str.strip()
    for col in attrs.columns:  # "Brain " was another tissue than "Brain" (and was kept)
        if col != "SAMPID" and is_text(attrs[col]):
            attrs[col] = attrs[col].str.strip().replace("", np.nan)
    dup = attrs["SAMPID"][attrs["SAMPID"].duplicated()]
    if len(dup):
        line = int(dup.index[0]) + 2
        raise DataError(
            f"sample attributes file {path}, line {line}: duplicate SAMPID {dup.iloc[0]}"
        )
    return attrs.set_index("SAMPID")


def _read_phenotypes(path: Path) -> pd.DataFrame:
    ph = _read_tsv(path, "subject phenotypes", dtype={"SUBJID": str, "AGE": str})
    if "SUBJID" not in ph.columns:
        raise DataError(
            f"subject phenotypes file {path}, line 1: no SUBJID column (columns found: "
            f"{', '.join(map(str, ph.columns[:8]))})"
        )
    ph["SUBJID"] = ph["SUBJID"].astype(str).str.strip()
    dup = ph["SUBJID"][ph["SUBJID"].duplicated()]
    if len(dup):
        raise DataError(
            f"subject phenotypes file {path}, line {int(dup.index[0]) + 2}: "
            f"duplicate SUBJID {dup.iloc[0]}"
        )
    out = pd.DataFrame(index=pd.Index(ph["SUBJID"], name="subject"))
    if "SEX" in ph.columns:
        out["sex"] = _read_sex(ph["SEX"], path).to_numpy(dtype=object)
    if "AGE" in ph.columns:
        out["age"] = ph["AGE"].str.strip().to_numpy(dtype=object)
    for col in ph.columns:
        if col not in ("SUBJID", "SEX", "AGE"):
            out[col] = ph[col].to_numpy()
    return out


#: How a phenotypes file may write SEX: GTEx's codes (1 male, 2 female) or words.
_SEX_WORDS = {
    **dict.fromkeys(("1", "male", "m"), "male"),
    **dict.fromkeys(("2", "female", "f"), "female"),
}


def _read_sex(column: pd.Series, path: Path) -> pd.Series:
    """SEX as ``male``/``female``: GTEx's 1 and 2, or the words (``Male``, ``F``). Text written
    as words lost every sample's sex without a word; other values are said, and left blank."""
    text = column.astype(str).str.strip().str.lower().str.replace(r"\.0+$", "", regex=True)
    sex = text.map(_SEX_WORDS)
    blank = column.isna() | text.isin(_MISSING_MARKERS)
    odd = sex.isna() & ~blank
    if odd.any():
        lines = [int(i) + 2 for i in np.flatnonzero(odd.to_numpy())[:3]]
        log.warning(
            "subject phenotypes file %s: SEX %s on %d line(s) (e.g. line %s) is neither 1/2 nor "
            "male/female: those subjects' sex is left blank",
            path,
            ", ".join(map(repr, column[odd].astype(str).unique()[:3])),
            int(odd.sum()),
            ", ".join(map(str, lines)),
        )
    return sex


def _gtex_name(path: Path) -> str:
    stem = _strip_suffixes(path)
    stem = stem.removeprefix("GTEx_Analysis_").removeprefix("GTEx_")
    return f"GTEx {stem}"


def gtex_subject(sample_id: str) -> str:
    """GTEx subject id of a sample: its first two dash fields (``GTEX-1117F-0226-...``)."""
    return "-".join(str(sample_id).split("-")[:2])


def load_gtex(
    gct: str | os.PathLike[str],
    attributes: str | os.PathLike[str],
    phenotypes: str | os.PathLike[str] | None = None,
    exclude_tissues: Sequence[str] = (),
    transform: str = "log10p1",
    max_genes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExpressionSet:
    """Load GTEx data in its published layout.

    Parameters
    ----------
    gct : path
        GCT v1.2 matrix (``.gct`` or gzip ``.gct.gz``): ``#1.2``, a dimension line
        ``n_genes n_samples``, a header ``Name Description <sample ids>``, then one row per gene
        (versioned Ensembl id, symbol, one value per sample). Streamed chunk by chunk into one
        float32 array (peak memory about one float32 copy of the kept matrix). A file with fewer
        gene rows than declared is accepted with a warning; more rows, or a sample count that
        disagrees with the header, is an error.
    attributes : path
        ``SampleAttributesDS`` (tab-separated, with SAMPID and SMTS; SMTSD and any other columns
        are kept). Samples of the matrix absent from it are kept, unlabelled (NaN).
    phenotypes : path, optional
        ``SubjectPhenotypesDS`` (SUBJID, SEX 1=male 2=female or the words, AGE, ...), joined
        by subject (first two dash fields of the sample id) into ``sex``, ``age`` and the other
        columns.
    exclude_tissues : sequence of str
        SMTS values whose samples are dropped (the paper drops "Brain" and "Fallopian Tube"),
        matched case and surrounding spaces aside, and recorded as the attributes spell them.
        A name close to an SMTS value of ``attributes`` but none (``Brian``) is a DataError; one
        close to none (Fallopian Tube in a file without it) is logged.
    transform : {"log10p1", "log2p1", "log1p", "none"}
        Applied in place while streaming; every transform but "none" rejects negative values.
    max_genes : int, optional
        Read only the first ``max_genes`` gene rows (quick looks at big files).
    progress : callable, optional
        Called while the GCT is read, after each chunk of rows, with (gene rows read, gene
        rows declared by the file): the full file takes minutes.

    Returns
    -------
    ExpressionSet
        ``values`` of shape (n_kept_samples, n_genes); ``samples`` with SMTS, SMTSD, ...,
        ``subject`` and (with phenotypes) ``sex`` ("male"/"female") and ``age`` ("60-69").
    """
    transform = _check_transform(transform)
    if max_genes is not None and (int(max_genes) != max_genes or max_genes < 1):
        raise DataError(f"max_genes must be a positive integer, got {max_genes!r}")
    gct_path = _check_file(gct, "GCT matrix")
    attr_path = _check_file(attributes, "sample attributes")
    pheno_path = _check_file(phenotypes, "subject phenotypes") if phenotypes is not None else None
    exclude = [
        str(t) for t in ([exclude_tissues] if isinstance(exclude_tissues, str) else exclude_tissues)
    ]

    _check_not_swapped(gct_path, attr_path)
    attrs = _read_attributes(attr_path)
    # before the matrix is read: a misspelt tissue kept all its samples, with a warning only
    exclude = _known_tissues(exclude, attrs["SMTS"], attr_path, "exclude_tissues", strict=False)
    pheno = _read_phenotypes(pheno_path) if pheno_path is not None else None
    with _open_binary(gct_path) as fh:
        header = _read_gct_header(fh, gct_path, warn=False)  # (said as its rows are read)
    header_ids = pd.Index(header.sample_ids)
    labelled = header_ids.isin(attrs.index)
    if not labelled.any():
        hint = _r_names_hint(header_ids, attrs.index)
        raise DataError(
            f"no sample in common between matrix {gct_path} (e.g. {header.sample_ids[:2]}) and "
            f"sample attributes {attr_path} (e.g. {attrs.index[:2].tolist()}){hint}"
        )
    smts = attrs["SMTS"].reindex(header_ids)
    # tissues matched case aside, as --exclude-tissues names them ("BRAIN" is Brain)
    lowered = smts.astype(object).where(smts.isna(), smts.astype(str).str.lower())
    excluded = lowered.isin([t.strip().lower() for t in exclude]).to_numpy()
    keep = np.flatnonzero(~excluded)
    if keep.size == 0:
        raise DataError(f"{gct_path}: no sample left after excluding tissues {exclude}")
    log.info(
        "%s: %s samples (%s with attributes), keeping %s after excluding %s",
        gct_path,
        f"{header.n_samples:,}",
        f"{int(labelled.sum()):,}",
        f"{keep.size:,}",
        ", ".join(map(str, exclude)) if exclude else "nothing",
    )
    unlisted = np.flatnonzero(~labelled)
    if exclude and unlisted.size:  # (their brain samples went on to the map, without a word)
        shown = ", ".join(header.sample_ids[i] for i in unlisted[:3])
        log.warning(
            "%s: %s samples of the matrix are not in %s (%s%s): kept without a tissue, so "
            "the excluded tissues (%s) cannot be left out among them",
            gct_path,
            f"{unlisted.size:,}",
            attr_path,
            shown,
            ", ..." if unlisted.size > 3 else "",
            ", ".join(exclude),
        )

    header, values, gene_ids, symbols = _stream_gct(
        gct_path,
        keep if keep.size < header.n_samples else None,
        transform,
        max_genes,
        progress=progress,
    )
    genes = _genes_frame(gene_ids, symbols, gct_path)
    sample_ids = np.asarray(header.sample_ids, dtype=str)[keep]
    samples = attrs.reindex(pd.Index(sample_ids, name="sample_id"))
    samples["subject"] = [gtex_subject(s) for s in sample_ids]
    if pheno is not None:
        joined = pheno.reindex(samples["subject"])
        joined.index = samples.index
        matched = int(joined.notna().any(axis=1).sum())
        if matched == 0:
            log.warning("%s: no subject of the matrix found in %s", gct_path, pheno_path)
        else:
            subjects = pd.Index(samples["subject"].unique())
            absent = subjects.difference(pheno.index)
            log.info(
                "%s: phenotypes of %s of the %s subjects (%s of %s samples)",
                pheno_path,
                f"{len(subjects) - len(absent):,}",
                f"{len(subjects):,}",
                f"{matched:,}",
                f"{len(samples):,}",
            )
            # a file cut short, or of another release: said, not silent (GTEx's own file
            # lacks one "subject" of its matrix: the K-562 cell line)
            if len(absent) > 0.01 * len(subjects):
                shown = ", ".join(map(str, absent[:3])) + (", ..." if len(absent) > 3 else "")
                log.warning(
                    "%s: %d of the %d subjects of the matrix are not in it (%s): their %d "
                    "samples have no %s",
                    pheno_path,
                    len(absent),
                    len(subjects),
                    shown,
                    int(samples["subject"].isin(absent).sum()),
                    ", ".join(map(str, joined.columns[:3])) or "phenotype",
                )
        for col in joined.columns:
            samples[col] = joined[col].to_numpy()
    source: dict[str, Any] = {
        "loader": "gtex",
        # absolute, links kept: a file reached by a link (GTEx's published name) was named by
        # its target once the model reloaded it
        "gct": _absolute(gct_path),
        "attributes": _absolute(attr_path),
        "phenotypes": _absolute(pheno_path) if pheno_path is not None else None,
        "exclude_tissues": exclude,
        "transform": transform,
        "max_genes": int(max_genes) if max_genes is not None else None,
        # records (not loader arguments): the samples of the file, those of the tissues left out
        "samples_in_file": int(header.n_samples),
        "samples_excluded": int(excluded.sum()),
        # kept without attributes: the tissues left out cannot be told among them
        "samples_unlisted": int((~labelled)[keep].sum()),
    }
    return ExpressionSet(values, sample_ids, genes, samples, _gtex_name(gct_path), source)
