"""AnnData ``.h5ad`` files.

The matrix, its gene symbols, and whether its genes are in ``obs`` (rows) or ``var`` (columns).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.columns import _SYMBOL_COLUMN_KEYS, _name_key
from core.data.orientation import (
    ORIENTATION_OPTION,
    _by_shares,
    _gene_id_share,
    _orientation_by_symbols,
    _shown_names,
)
from core.errors import DataError, argument_words

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


def _load_h5ad(
    path: Path, orient: str = "samples_x_genes"
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame, str]:
    """(values, sample ids, samples, genes, orientation) of an .h5ad file; ``orient``: "auto"
    (as its names say, :func:`_h5ad_genes_in_obs`), "samples_x_genes" (anndata's convention:
    samples in obs) or "genes_x_samples"."""
    try:
        import anndata
    except ImportError as exc:  # pragma: no cover - anndata is pinned in requirements
        raise DataError(f"{path}: reading .h5ad needs the anndata package") from exc
    try:
        with warnings.catch_warnings():
            # "Variable names are not unique" with anndata's file and line: the duplicate
            # names are said below, as an error that names them
            warnings.filterwarnings(
                "ignore", message=".* names are not unique", category=UserWarning
            )
            adata = anndata.read_h5ad(path)
    except Exception as exc:  # anndata/h5py raise many types for a bad file
        raise DataError(f"{path}: cannot be read as an .h5ad file: {exc}") from exc
    X = adata.X
    if X is None:
        raise DataError(f"{path}: the .h5ad file has no X matrix")
    if hasattr(X, "toarray"):
        X = X.toarray()
    values = np.asarray(X, dtype=np.float32)
    samples = adata.obs.copy()
    samples.index = samples.index.astype(str)
    genes = adata.var.copy()
    genes.index = genes.index.astype(str)
    # the names said in messages: anndata's, and the roles they play here
    sample_names, gene_names = "obs_names", "var_names"
    if _h5ad_genes_in_obs(path, samples.index, genes.index, orient):
        values = np.ascontiguousarray(values.T)
        samples, genes = genes, samples
        sample_names, gene_names = "var_names", "obs_names"
        orientation = "genes_x_samples"
    else:
        orientation = "samples_x_genes"
    sym_col = next((c for c in genes.columns if _name_key(c) in _SYMBOL_COLUMN_KEYS), None)
    if sym_col is not None and sym_col != "symbol":
        genes = genes.rename(columns={sym_col: "symbol"})
    if len(genes) and (genes.index == pd.RangeIndex(len(genes)).astype(str)).all():
        # anndata's default names "0", "1", ...: the genes were never named
        named = genes["symbol"].astype(str) if "symbol" in genes.columns else None
        if named is None or named.isin(["", "nan", "None"]).any() or named.duplicated().any():
            raise DataError(
                f"{path}: the genes have no names ({gene_names} are 0 to {len(genes) - 1}, "
                f"anndata's defaults{'' if named is None else '; symbols missing or repeated'}"
                f"): set adata.{gene_names} to gene ids or symbols and write the file again"
            )
        log.warning(
            "%s: %s are 0 to %d; genes named by their %r",
            path,
            gene_names,
            len(genes) - 1,
            sym_col,
        )
        genes.index = pd.Index(named.to_numpy())
    if genes.index.has_duplicates:
        dup = genes.index[genes.index.duplicated()].unique()[:5].tolist()
        raise DataError(
            f"{path}: duplicate gene ids ({gene_names}) {dup}; make them unique "
            f"(adata.{gene_names}_make_unique()) or use gene ids"
        )
    if samples.index.has_duplicates:
        dup = samples.index[samples.index.duplicated()].unique()[:5].tolist()
        raise DataError(
            f"{path}: duplicate sample ids ({sample_names}) {dup}; make them unique "
            f"(adata.{sample_names}_make_unique())"
        )
    for frame in (samples, genes):
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                frame[col] = frame[col].astype(object).where(frame[col].notna(), np.nan)
    return values, pd.Index(samples.index), samples, genes, orientation


def _h5ad_genes_in_obs(path: Path, obs: pd.Index, var: pd.Index, orient: str) -> bool:
    """Whether an .h5ad file holds genes in obs (rows) and samples in var, against anndata's
    convention (``AnnData(table)`` on a genes x samples table does that): as asked
    (``genes_x_samples``), else as its names say (gene ids or known symbols on one axis, as
    for a text table). It trained on the transposed matrix without a word."""
    rows, cols = [str(n) for n in obs], [str(n) for n in var]
    decided = _by_shares(_gene_id_share(rows), _gene_id_share(cols), "genes_x_samples", "gene ids")
    if decided[0] == "auto":
        decided = _orientation_by_symbols(rows, cols)
    if orient != "auto":
        if decided[0] not in ("auto", orient):
            words = {"genes_x_samples": "genes in obs", "samples_x_genes": "samples in obs"}
            fix = ("orientation", ORIENTATION_OPTION[decided[0]])
            log.warning(
                "%s: read with %s, as asked, but its names say %s (%s; e.g. obs %s, var %s): "
                "check the orientation given (%s reads it as its names say)",
                path,
                words[orient],
                words[decided[0]],
                decided[1],
                _shown_names(rows),
                _shown_names(cols),
                argument_words(*fix),
                extra={"fix": fix},  # (the command line words it as its flag)
            )
        return orient == "genes_x_samples"
    if decided[0] != "genes_x_samples":
        return False
    fix = ("orientation", ORIENTATION_OPTION["samples_x_genes"])
    log.warning(
        "%s: read with genes in obs and samples in var, as its names say (%s; e.g. obs %s, "
        "var %s): anndata keeps samples in obs (write adata.T; %s reads it as it is)",
        path,
        decided[1],
        _shown_names(rows),
        _shown_names(cols),
        argument_words(*fix),
        extra={"fix": fix},  # (the command line words it as its flag)
    )
    return True
