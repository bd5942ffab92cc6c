"""Placing the samples of an uploaded matrix on the sample map (:meth:`SamplePlacing.
place_samples`, a part of :class:`dashboard.context.AppContext`): the computation behind the
callbacks of :mod:`dashboard.placement`, with what the page says of the upload (genes found,
samples left out, values on another scale, samples that fit the model poorly).

The upload itself is read by :mod:`dashboard.uploads`.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.data import match_genes, not_a_table, shared_name_note
from core.errors import DataError
from core.placed_samples import (
    POOR_FIT,
    agreement_line,
    copies_in,
    copies_warning,
    poor_fits,
    read_labels,
    same_ids_warning,
    with_own_annotations,
)
from dashboard.job_records import ProgressFn
from dashboard.uploads import (
    _gunzip_within,
    _is_model_gene,
    _load_upload,
    _other_kind,
    _strip_version,
    _ThreadWarnings,
)

log = logging.getLogger(__name__)


#: The page's table column of an upload's own label (its tissue beside the map's nearest and
#: majority): a copy of that annotation's column, under a name the table can declare ahead.
OWN_LABEL = "own_label"
# (POOR_FIT, the column that says a sample fits the model far worse than its training samples,
# comes from core.placed_samples: the last column of the CSV file, as of embed's table; the
# page's table marks its fit error)
#: Columns a placed sample's record has besides its own annotations (an annotation of one of
#: these names gets ``sample_`` before it).
PLACED_NAMES = ("transform_applied", "data", "dataset", "model", OWN_LABEL, POOR_FIT)


def placed_file_names(label: str | None) -> dict[str, str]:
    """The placed samples' columns renamed in their CSV file: the names of the table that
    ``python -m core embed`` writes (``nearest_training_sample``, ``nearest_<label>``,
    ``majority_<label>``; e.g. ``nearest_tissue``), so that the two files join and compare
    without renaming. The page's records and table keep the short ids (``nearest_sample``,
    ``nearest_label``, ``majority_label``); without a ``label`` its columns keep them too."""
    names = {"nearest_sample": "nearest_training_sample"}
    if label:
        names["nearest_label"] = f"nearest_{label}"
        names["majority_label"] = f"majority_{label}"
    return names


def _said_on_the_page(record: logging.LogRecord) -> bool:
    """Leaves out the estimator's poor-fit warning while uploaded samples are placed: the page
    says it once, of all of them (``fit_warning``), where the log said it of every chunk; and
    its model genes absent and columns ignored, which the page names itself."""
    return getattr(record, "notice", None) not in ("fit_error", "gene_match")


class SamplePlacing:
    """Uploaded samples placed on the map of an :class:`~dashboard.context.AppContext` (a part
    of it).

    Uses the context's model (:meth:`require_state`), dataset (``es``, ``values``, ``samples``,
    ``sample_ids``, ``gene_symbols``) and ``_training_max``.
    """

    #: Largest upload of new samples, and most samples placed at once, in the page (larger
    #: sets: ``python -m core embed``).
    MAX_PLACE_BYTES = 50_000_000
    #: Largest upload once unpacked (a .gz file).
    MAX_PLACE_UNPACKED = 250_000_000
    MAX_PLACED = 2_000
    #: Columns of an upload's first lines, at most (GTEx has 56,200 genes): a 14 MB file of one
    #: sample x 1.4 million columns took 150 s and 3.8 GB to read, within the byte limits.
    MAX_PLACE_COLUMNS = 200_000
    #: Training samples consulted for a placed sample's majority label.
    PLACE_K = 15

    #: Samples placed at a time: the progress is reported between chunks (each sample is placed
    #: on its own, so the places are those of one go).
    PLACE_CHUNK = 100

    def place_samples(
        self,
        raw: bytes,
        filename: str,
        transform: str = "none",
        progress: ProgressFn | None = None,
    ) -> pd.DataFrame:
        """Place the samples of an uploaded matrix on the sample map.

        Parameters
        ----------
        raw
            The file's bytes: CSV/TSV (optionally gzipped) or parquet, samples x genes or genes x
            samples, genes by symbol or id (as ``python -m core train --matrix``).
        filename
            Its name (the format is read from the extension).
        transform
            Log transform applied on load (``log10p1``, ``log2p1`` or ``none``): the new
            values must be on the training data's scale.
        progress
            Called as ``progress(fraction, message)`` while the file is read and every
            :attr:`PLACE_CHUNK` samples placed (``"placing 1,200 samples… 40%"``).

        Returns
        -------
        pandas.DataFrame
            ``sample_id, x, y, genes_used, fit_error, nearest_sample, distance_on_map`` and,
            when the dataset has a label column (tissue), ``nearest_label, majority_label,
            majority_share`` over the ``PLACE_K`` nearest samples of the map, ``copy_of``
            (the map sample whose values the sample has, :func:`core.placed_samples.
            copies_of_map`; blank for none), then the
            upload's own annotation columns (its tissue; a name taken, here or in the CSV
            file's names, :func:`placed_file_names`, gets ``sample_`` before it), and last
            ``poor_fit``: the sample's fit error is above ``POOR_FIT_FACTOR`` times the
            model's training fit error (False without a fit error, and for a sample that is 0
            for every model gene it has: said apart).
            ``attrs``: ``agreement`` (how often the majority is the upload's own label, or
            None), ``map_ids`` (words for uploaded samples that have the ids of samples of
            the map, or None), ``copies`` (words for those that have the values of samples of
            the map under other ids, or None), ``label`` (that column), ``genes_present``
            (model genes in the upload with a value in some sample, of all), ``genes_absent``
            (symbols of the model genes it lacks), ``genes_empty`` (those it has as columns
            without any value), ``columns_unknown`` (its gene columns that name no gene of the
            map's data),
            ``no_values`` (ids of the samples left out: no value for any gene of the model),
            ``silent`` (ids of the samples placed that are 0 for every model gene they have),
            ``text_cells`` (the first 100 cells of expression columns that hold text, read as
            missing: dicts of ``column``, ``row``, ``text``, ``axis``: ``genes`` when the
            columns are genes), ``text_cell_count`` (all of them), ``word_genes`` (columns
            named as genes of the model that hold words, not numbers: read as annotations),
            ``missing_values`` (empty or NA cells of the model genes present, and the samples
            that have any: placed from their other genes; not counted in the samples placed
            from few genes, ``few_genes``, nor in those left out) and ``fit_warning``.
        """
        from core.analysis import map_neighbours

        progress = progress or (lambda f, m: None)
        name = Path(str(filename or "upload")).name
        suffix = self._upload_suffix(raw, name)
        st = self.require_state()
        model = st.model
        symbols = getattr(model, "gene_symbols_", model.gene_ids_)
        model_genes = {_strip_version(str(g)).upper() for g in model.gene_ids_}
        model_genes |= {str(g).upper() for g in symbols}
        progress(0.0, f"reading {name}…")
        raw, suffix = self._unpacked_text(raw, suffix, name)
        es, text_cells, n_text_cells, load_warnings = _read_upload(
            raw, suffix, name, transform, model_genes
        )
        word_genes = _word_genes(es, model_genes)
        if es.n_samples > self.MAX_PLACED:
            raise DataError(
                f"{name}: {es.n_samples:,} samples; up to {self.MAX_PLACED:,} are placed here "
                "(use “python -m core embed” for more)"
            )
        genes = self._genes_found(model, symbols, es, name)
        rows = self._samples_found(model, model_genes, es, genes.valued, name)
        if rows.no_values:
            es = es.subset(samples=np.nonzero(rows.has_value)[0])
        n_valued = rows.n_valued[rows.has_value]
        coords, error, scale = self._place_in_chunks(model, es, progress)
        label = self.es.label_column() if hasattr(self.es, "label_column") else None
        labels = self._map_labels(label)
        near = map_neighbours(st.sample_embedding, coords, labels, k=self.PLACE_K)
        out = self._placed_table(es, coords, error, n_valued, near)
        # samples of the map uploaded again under other ids: their values equal a map
        # sample's (the page's dataset, on its scale), and each finds itself nearest
        copy_of = copies_in(es, rows.in_model, self.values, self.es.gene_ids, self.es.gene_symbols)
        map_ids = np.asarray(self.sample_ids).astype(str)
        out["copy_of"] = np.where(copy_of >= 0, map_ids[np.maximum(copy_of, 0)], "")
        out, agreement = self._with_own_label(out, es, label, labels)
        out.attrs["agreement"] = agreement
        # samples of the map uploaded again: each finds its own point nearest
        on_map = np.isin(
            out["sample_id"].to_numpy().astype(str), np.asarray(self.sample_ids).astype(str)
        )
        out.attrs["map_ids"] = (
            same_ids_warning(out["sample_id"].to_numpy(), on_map, "") if on_map.any() else None
        )
        out.attrs["copies"] = copies_warning(out["sample_id"].to_numpy(), map_ids, copy_of)
        out.attrs["label"] = label
        out.attrs["genes_present"] = (int(genes.n_present), len(model.gene_ids_))
        out.attrs["genes_absent"] = genes.absent
        out.attrs["genes_empty"] = genes.empty
        out.attrs["columns_unknown"] = rows.unknown
        out.attrs["no_values"] = rows.no_values
        out.attrs["silent"] = rows.silent
        out.attrs["few_genes"] = (rows.few, rows.limit)
        out.attrs["missing_values"] = rows.missing_values
        out.attrs["text_cells"] = text_cells
        out.attrs["text_cell_count"] = n_text_cells
        out.attrs["word_genes"] = word_genes
        out.attrs["shared_names"] = shared_name_note(
            model.gene_ids_, model.gene_symbols_, es.gene_ids, es.gene_symbols
        )
        out.attrs["load_warnings"] = load_warnings
        self._mark_poor_fits(out, model, es, rows, error, scale)
        progress(1.0, "done")
        log.info("placed %d uploaded samples (%s)", len(out), name)
        return out

    def _upload_suffix(self, raw: bytes, name: str) -> str:
        """The upload's kind by its name's ending, checked against its size and first bytes."""
        if len(raw) > self.MAX_PLACE_BYTES:
            raise DataError(
                f"{name}: {len(raw) / 1e6:.0f} MB; up to {self.MAX_PLACE_BYTES // 1_000_000} MB "
                "are placed here (use “python -m core embed” for more)"
            )
        suffixes = "".join(s.lower() for s in Path(name).suffixes[-2:])
        allowed = (".csv", ".tsv", ".txt", ".gct", ".parquet")
        allowed += tuple(f"{a}.gz" for a in allowed[:4])
        suffix = next((a for a in allowed if suffixes.endswith(a)), None)
        if suffix is None:
            raise DataError(f"{name}: {_other_kind(raw, name)}")
        if suffix.endswith(".gz") and raw[:2] != b"\x1f\x8b":
            raise DataError(f"{name}: not a gzip file (its name ends in .gz); give it unpacked")
        if suffix == ".parquet" and raw[:4] != b"PAR1":
            raise DataError(f"{name}: not a parquet file (its name ends in .parquet)")
        return suffix

    def _unpacked_text(self, raw: bytes, suffix: str, name: str) -> tuple[bytes, str]:
        """The upload unpacked, and its kind, once a text table is seen to be one."""
        if suffix.endswith(".gz") or (suffix != ".parquet" and raw[:2] == b"\x1f\x8b"):
            # unpacked here, within a limit: 0.7 MB of gzip'd zeros unpacked to 150,000
            # samples, and took 2 GB before the sample limit refused them. A gzip'd table
            # named .csv is read too, as the command line reads it ("a binary file" before)
            raw = _gunzip_within(raw, self.MAX_PLACE_UNPACKED, name)
            suffix = suffix.removesuffix(".gz")
        said = not_a_table(raw[:4096]) if suffix in (".csv", ".tsv", ".txt", ".gct") else None
        if said is not None:  # an Excel workbook renamed .csv, UTF-16 text: named, with a remedy
            if said.endswith("not a text table"):
                said += "; give a CSV or TSV with the genes in the first row or column"
            raise DataError(f"{name}: {said}")
        if suffix in (".csv", ".tsv", ".txt", ".gct") and b"\x00" in raw[:65536]:
            # read as text, binary bytes gave "duplicate column names ['']" (also unpacked)
            raise DataError(
                f"{name}: not a text table (the file holds binary data); give a CSV or TSV "
                "with the genes in the first row or column"
            )
        if suffix in (".csv", ".tsv", ".txt", ".gct"):
            _check_columns(raw, self.MAX_PLACE_COLUMNS, name)
        return raw, suffix

    def _genes_found(self, model: Any, symbols: Any, es: Any, name: str) -> _GenesFound:
        """The model's genes the upload has with a value, lacks, or has without any value."""
        # counted as the placement matches them (core.data.match_genes), and only with a value
        # in some sample: a column of text read as missing values is no gene present
        model_rows = match_genes(model.gene_ids_, symbols, es.gene_ids, es.gene_symbols)
        matched = model_rows >= 0
        valued = matched & np.isfinite(np.asarray(es.values)).any(axis=0)
        n_present = int(valued.sum())
        # which ones: "459 of the model's 460 genes present" left a renamed column to guess
        present = np.zeros(len(model.gene_ids_), dtype=bool)
        present[model_rows[valued]] = True
        # a column given but empty in every sample is named apart ("absent" read as a column
        # the file lacks, which it has)
        given = np.zeros(len(model.gene_ids_), dtype=bool)
        given[model_rows[matched]] = True
        names = np.asarray(symbols).astype(str)
        absent = [str(g) for g in names[~given]]
        empty = [str(g) for g in names[given & ~present]]
        if not matched.any():  # (genes of the model without any value: said below)
            raise DataError(
                f"{name}: none of its {es.n_genes:,} genes is a gene of the model (the "
                f"model's genes are e.g. {', '.join(map(str, list(self.gene_symbols[:3])))}); "
                "check that genes are named by symbol or id, in the first row or column"
            )
        return _GenesFound(valued, n_present, absent, empty)

    def _samples_found(
        self, model: Any, model_genes: set[str], es: Any, valued: np.ndarray, name: str
    ) -> _SamplesFound:
        """The upload's samples without values, silent or with few genes, its empty cells and
        its columns that name no gene of the map's data."""
        from core.estimator import few_genes_limit

        # a sample with no value (all missing) for the model's genes would land on an
        # arbitrary point with a confident-looking tissue: it is left out, and said so
        in_model = np.array(
            [
                _strip_version(str(g)).upper() in model_genes or str(s).upper() in model_genes
                for g, s in zip(es.gene_ids, es.gene_symbols, strict=True)
            ]
        )
        has_value = np.isfinite(np.asarray(es.values)[:, in_model]).any(axis=1)
        no_values = [str(i) for i in np.asarray(es.sample_ids)[~has_value]]
        if not has_value.any():
            raise DataError(
                f"{name}: no sample has a value for the model's genes (all missing): "
                "nothing to place"
            )
        # 0 for every model gene it has (an empty library): placed, and said to mean nothing
        # (exactly 0: negative values are another scale, which the fit error says)
        expressed = (np.nan_to_num(np.asarray(es.values)[:, in_model]) != 0).any(axis=1)
        unknown = self._unknown_columns(model, es, in_model)
        silent = [str(i) for i in np.asarray(es.sample_ids)[has_value & ~expressed]]
        # placed from a handful of genes (NaN elsewhere): uncertain, though its fit error is low
        n_valued = np.isfinite(np.asarray(es.values)[:, in_model]).sum(axis=1)
        limit = few_genes_limit(len(model.gene_ids_))
        few_rows = has_value & (n_valued < limit)
        few = [str(i) for i in np.asarray(es.sample_ids)[few_rows]]
        # the empty cells of the genes present (as embed counts them), in the samples placed
        # from enough genes: an absent gene, a sample left out or one placed from few genes
        # is said apart
        gaps = np.isnan(np.asarray(es.values)[np.ix_(has_value & ~few_rows, valued)])
        missing_values = (int(gaps.sum()), int(gaps.any(axis=1).sum()))
        return _SamplesFound(
            in_model, has_value, no_values, unknown, silent, n_valued, few, limit, missing_values
        )

    def _unknown_columns(self, model: Any, es: Any, in_model: np.ndarray) -> list[str]:
        """The upload's columns named as no gene of the map's data (a misspelt one)."""
        from core.analysis.gene_lookup import left_out_genes

        # its columns named as no gene of the map's data (a misspelt one: "HNF4AX" for HNF4A;
        # not the genes the model left out, constant ones: they are no misspelling)
        data_genes = {_strip_version(str(g)).upper() for g in self.es.gene_ids}
        data_genes |= {str(g).upper() for g in self.es.gene_symbols}
        # (a model served from its directory reloads its data without them: its record names
        # them; "7 columns name no gene of the map's data" sent the reader after typos)
        data_genes |= set(left_out_genes(getattr(model, "data_source_", None) or {}))
        return [
            str(s) if str(s) else str(g)
            for g, s, known in zip(es.gene_ids, es.gene_symbols, in_model, strict=True)
            if not known
            and _strip_version(str(g)).upper() not in data_genes
            and str(s).upper() not in data_genes
        ]

    def _place_in_chunks(
        self, model: Any, es: Any, progress: ProgressFn
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each sample's place, fit error and value scale, :attr:`PLACE_CHUNK` at a time."""
        import inspect

        n = es.n_samples
        with_error = "return_error" in inspect.signature(model.transform).parameters
        parts, errors, scales = [], [], []
        # transform logs a poor fit chunk by chunk; the page says it once, of all the samples
        estimator_log = logging.getLogger("core.estimator")
        estimator_log.addFilter(_said_on_the_page)
        try:
            for start in range(0, n, self.PLACE_CHUNK):
                progress(0.05 + 0.9 * start / n, f"placing {n:,} samples… {100 * start // n}%")
                rows = np.arange(start, min(n, start + self.PLACE_CHUNK))
                part = es if len(rows) == n else es.subset(samples=rows)
                if with_error:
                    c, e = model.transform(part, return_error=True)
                else:  # the PCA stand-in has no fit error
                    c, e = model.transform(part), np.full(len(rows), np.nan)
                parts.append(np.asarray(c, dtype=np.float32))
                errors.append(np.asarray(e, dtype=np.float64))
                scale_of = getattr(model, "value_scales", None)  # (nor a decoded profile)
                scales.append(scale_of(part, c) if scale_of else np.full(len(rows), np.nan))
        finally:
            estimator_log.removeFilter(_said_on_the_page)
        progress(0.95, f"placing {n:,} samples… 100%")
        return np.concatenate(parts), np.concatenate(errors), np.concatenate(scales)

    def _map_labels(self, label: str | None) -> np.ndarray | None:
        """The map samples' ``label`` values, ``unlabelled`` where they have none."""
        if not label:
            return None
        # samples without the label are a class of their own, "unlabelled", as in the map's
        # legend: among 14 unlabelled nearest and 1 Lung, the majority was "Lung"
        column = self.samples[label]
        labels = column.astype(object).where(column.notna(), "unlabelled").to_numpy()
        return np.where(pd.Series(labels).astype(str).str.strip() == "", "unlabelled", labels)

    def _placed_table(
        self,
        es: Any,
        coords: np.ndarray,
        error: np.ndarray,
        n_valued: np.ndarray,
        near: pd.DataFrame,
    ) -> pd.DataFrame:
        """The placed samples' places, fit errors and nearest samples of the map."""
        out = pd.DataFrame(
            {
                "sample_id": np.asarray(es.sample_ids).astype(str),
                "x": coords[:, 0],
                "y": coords[:, 1],
                "genes_used": n_valued.astype(np.int64),  # (in embed's order)
                "fit_error": error,
                "nearest_sample": self.sample_ids[near["nearest"].to_numpy()],
                "distance_on_map": near["distance_on_map"].to_numpy(),
            }
        )
        for col in ("nearest_label", "majority_label", "majority_share"):
            if col in near:
                out[col] = near[col].to_numpy()
        return out

    def _with_own_label(
        self, out: pd.DataFrame, es: Any, label: str | None, labels: np.ndarray | None
    ) -> tuple[pd.DataFrame, str | None]:
        """The table with the upload's own annotations, and how often the majority label is
        its own (None without one)."""
        # the samples' own annotations (their tissue beside the majority), as embed writes
        # them: an upload's tissue column was dropped, and nothing compared it with the map
        # (nor one of the CSV file's names: "nearest_tissue" beside its nearest_tissue column)
        reserved = PLACED_NAMES + tuple(placed_file_names(label).values())
        out, names = with_own_annotations(out, es, reserved)
        own_label = {c.lower(): n for c, n in names.items()}.get(str(label).lower())
        if own_label is not None:  # (the page's table showed the majority, not the own tissue)
            out[OWN_LABEL] = out[own_label]
        agreement = None
        if label is not None and own_label is not None and "majority_label" in out:
            truth = read_labels(out[own_label], None)
            known = pd.notna(truth)
            if known.any():
                agreement = agreement_line(
                    out["majority_label"],
                    truth,
                    known,
                    labels,
                    label,
                    own_label,
                    "samples",
                    self.PLACE_K,
                )
        return out, agreement

    def _mark_poor_fits(
        self,
        out: pd.DataFrame,
        model: Any,
        es: Any,
        rows: _SamplesFound,
        error: np.ndarray,
        scale: np.ndarray,
    ) -> None:
        """Adds to ``out`` the words on its fit and scale, and the column of poor fits."""
        check = getattr(model, "fit_error_warning", None)
        loud = ~out["sample_id"].isin(rows.silent).to_numpy()
        out.attrs["fit_warning"] = (
            check(error[loud], scale[loud]) if check is not None and loud.any() else None
        )
        # a few samples far off (a typo, one sample in counts) among well-placed ones: the
        # median fit error said nothing of them (the rule embed marks them by)
        fits = poor_fits(model, error, loud)
        # (a warning of the scale alone says nothing of single samples that fit far worse)
        out.attrs["fit_far"] = bool(out.attrs["fit_warning"]) and fits.median_far
        out.attrs["scale_warning"] = self._upload_scale_warning(es, rows.in_model)
        poor = fits.samples
        out.attrs["poor_fit"] = (
            [str(s) for s in out["sample_id"].to_numpy()[poor]] if poor.any() else []
        )
        # each row says it too: "majority share 100%" beside a fit error of 1e6 read as certain
        out[POOR_FIT] = poor
        out.attrs["trained_error"] = fits.trained_error

    def _upload_scale_warning(self, es: Any, in_model: np.ndarray) -> str | None:
        """Words for uploaded values of the model's genes (``in_model``: columns of ``es``) far
        above any of the training data's (a cell of 1e12, a sample of counts among log values),
        or None: placed as they were, without a word, where ``python -m core embed`` warns.
        (Columns the model does not use, such as a read count, are not looked at.)"""
        from core.data import LOG_SCALE_MAX

        cols = np.flatnonzero(in_model)
        values = np.asarray(es.values)[:, cols]
        if not values.size or not np.isfinite(values).any():
            return None
        top = float(np.nanmax(values))
        if self._training_max is None:
            self._training_max = float(np.nanmax(self.values)) if self.values.size else 0.0
        limit = max(LOG_SCALE_MAX, 2.0 * self._training_max)
        if not top > limit:
            return None
        r, c = np.unravel_index(int(np.nanargmax(values)), values.shape)
        n_high = int((np.nan_to_num(values, nan=-np.inf) > limit).any(axis=1).sum())
        return (
            f"values up to {top:.4g} (sample {es.sample_ids[r]}, gene "
            f"{es.gene_symbols[cols[c]]}; "
            f"{n_high:,} sample{'' if n_high == 1 else 's'} above {limit:.3g}) are far above "
            f"the training data's (at most {self._training_max:.3g}): counts or TPM, or a typo? "
            "Their places are not to be trusted"
        )


class _GenesFound(NamedTuple):
    """The model's genes in an upload: with a value (a mask of its columns), absent, empty."""

    valued: np.ndarray
    n_present: int
    absent: list[str]
    empty: list[str]


class _SamplesFound(NamedTuple):
    """What an upload's samples hold of the model's genes, and its unknown columns."""

    in_model: np.ndarray
    has_value: np.ndarray
    no_values: list[str]
    unknown: list[str]
    silent: list[str]
    n_valued: np.ndarray
    few: list[str]
    limit: int
    missing_values: tuple[int, int]


def _read_upload(
    raw: bytes, suffix: str, name: str, transform: str, model_genes: set[str]
) -> tuple[Any, list[dict], int, list[str]]:
    """The upload read as a dataset, its text cells and the warnings the page does not say."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(raw)
        with _ThreadWarnings() as noticed:
            es, text_cells, n_text_cells = _load_upload(path, name, transform, model_genes)
        # the page says these itself, with the upload's sample and gene names
        said = {"text_cells", "empty_samples"}
        load_warnings = [
            m.replace(str(path), name)
            for m, notice in zip(noticed.messages, noticed.notices, strict=True)
            if notice not in said
        ]
    return es, text_cells, n_text_cells, load_warnings


def _word_genes(es: Any, model_genes: set[str]) -> list[str]:
    """The upload's columns named as genes of the model that hold words: read as annotations."""
    # a column named as a gene of the model that holds words more than numbers is read as
    # a sample annotation: the gene counts as absent, and the page says why
    samples = getattr(es, "samples", None)
    return (
        [str(c) for c in samples.columns if _is_model_gene(c, model_genes)]
        if isinstance(samples, pd.DataFrame)
        else []
    )


def _check_columns(raw: bytes, limit: int, name: str) -> None:
    """A DataError when one of the first 3 lines of the text table ``raw`` has more than
    ``limit`` columns (split by tab, comma or semicolon, whichever splits it most): counted
    before the table is read, which took gigabytes for millions of columns."""
    for line in raw.split(b"\n", 3)[:3]:
        columns = 1 + max(line.count(sep) for sep in (b"\t", b",", b";"))
        if columns > limit:
            raise DataError(
                f"{name}: a line of {columns:,} columns; up to {limit:,} are read here (one "
                "column per gene or sample; use “python -m core embed” for more)"
            )
