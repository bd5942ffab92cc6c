"""What row and column names say, and from them the orientation of a table.

Known gene symbols (the bundled Gene Ontology snapshot), the forms of gene and sample ids, the
share of names of each kind, and whether a table has its samples in rows or in columns.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from core.data.columns import _GENE_ANNOTATION_KEYS, _name_key
from core.errors import DataError, argument_words, with_fix

#: An orientation as its option gives it (``orientation="samples-in-rows"`` in Python, as
#: :func:`core.errors.argument_words` words it; ``--orientation samples-in-rows`` on the command
#: line): the fix a message names (:attr:`core.errors.CoreError.fix`).
ORIENTATION_OPTION = {"samples_x_genes": "samples-in-rows", "genes_x_samples": "genes-in-rows"}

#: Gene table of the bundled Gene Ontology snapshot: known human gene symbols.
_KNOWN_GENES_FILE = Path(__file__).resolve().parents[2] / "data" / "go" / "genes.tsv.gz"


@functools.lru_cache(maxsize=1)
def _known_symbols() -> frozenset[str]:
    """Upper-case gene symbols of the GO snapshot's gene table (empty when it is absent)."""
    if not _KNOWN_GENES_FILE.is_file():
        return frozenset()
    try:
        table = pd.read_csv(
            _KNOWN_GENES_FILE, sep="\t", usecols=["symbol"], dtype=str, keep_default_na=False
        )
    except (OSError, ValueError, EOFError, zlib.error):
        return frozenset()
    return frozenset(table["symbol"].str.upper())


@functools.lru_cache(maxsize=1)
def _known_gene_names() -> frozenset[str]:
    """Upper-case symbols and aliases (previous symbols) of the GO snapshot's genes."""
    path = _KNOWN_GENES_FILE.with_name("aliases.tsv.gz")
    try:
        table = pd.read_csv(path, sep="\t", usecols=["alias"], dtype=str, keep_default_na=False)
    except (OSError, ValueError, EOFError, zlib.error):
        return _known_symbols()
    return _known_symbols() | frozenset(table["alias"].str.upper())


#: Gene (feature) ids told by their form, whatever the species: Ensembl genes and transcripts,
#: Affymetrix probe sets, Illumina and Agilent probes, RefSeq transcripts, FlyBase, WormBase,
#: yeast ORFs, Arabidopsis loci, and numbered genes (``gene_12``, as :meth:`from_array` names).
_GENE_ID_RE = re.compile(
    r"^(?:"
    r"ENS[A-Z]*[GT]\d{6,}(?:\.\d+)?"
    r"|(?:\d+|AFFX-[\w./-]+?)(?:_[a-z]+)*_(?:at|st)"
    r"|ILMN_\d+"
    r"|A_\d+_P\d+"
    r"|[NX][MR]_\d+(?:\.\d+)?"
    r"|FBgn\d+"
    r"|WBGene\d+"
    r"|Y[A-P][LR]\d{3}[WC](?:-[A-Z])?"
    r"|AT[1-5CM]G\d{5}(?:\.\d+)?"
    r"|(?i:gene)[_.-]?\d+"
    r")$"
)
#: Sample ids told by their form: GTEx, TCGA, GEO samples, SRA runs/experiments, BioSamples,
#: cell barcodes, and numbered samples (``sample_3``, as :meth:`from_array` names).
_SAMPLE_ID_RE = re.compile(
    r"^(?:"
    r"GTEX-[A-Z0-9]+(?:-.*)?"
    r"|TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}.*"
    r"|GSM\d+"
    r"|[SED]RR\d+|[SED]RX\d+"
    r"|SAM(?:N|EA|D)\d+"
    r"|[ACGTN]{8,}(?:-\d+)?"
    r"|(?i:sample)[_.-]?\d+"
    r")$"
)


def _share(names: Sequence[str], test: Callable[[str], bool]) -> float:
    """Share of ``names`` for which ``test`` holds (0 for no names)."""
    return sum(map(test, names)) / len(names) if len(names) else 0.0


def _gene_id_share(names: Sequence[str]) -> float:
    """Share of names that are gene ids by their form (:data:`_GENE_ID_RE`)."""
    return _share(names, lambda n: bool(_GENE_ID_RE.match(n)))


def _symbol_share(names: Sequence[str]) -> float:
    """Share of names that are known gene symbols (case aside: mouse symbols count)."""
    known = _known_symbols()
    return _share(names, lambda n: n.upper() in known) if known else 0.0


def _gene_name_share(names: Sequence[str]) -> float:
    """Share of names that are gene ids by their form or known gene symbols."""
    known = _known_symbols()
    return _share(names, lambda n: bool(_GENE_ID_RE.match(n)) or n.upper() in known)


def _integer_share(names: Sequence[str]) -> float:
    return _share(names, str.isdigit)


def _entrez_like(names: Sequence[str]) -> bool:
    """Whether names are whole numbers (Entrez gene ids, Affymetrix Gene ST transcript
    clusters), not a count 0, 1, 2... or 1, 2, 3... (R's row numbers)."""
    if not names or _integer_share(names) < 0.9:
        return False
    numbers = sorted({int(n) for n in names if n.isdigit()})
    return numbers != list(range(numbers[0], numbers[0] + len(numbers))) or numbers[0] > 1


def _by_shares(in_rows: float, in_cols: float, rows_are: str, what: str) -> tuple[str, str]:
    """An orientation when most names of one axis are of a kind, and at most half as large a
    share of the other (sample names such as ``WT1``, ``C3`` or ``F8`` are gene symbols too);
    ``rows_are``: the orientation when the rows are that axis. ("auto", "") else."""
    other = "samples_x_genes" if rows_are == "genes_x_samples" else "genes_x_samples"
    if in_rows > 0.5 and in_cols <= in_rows / 2:
        return rows_are, f"{what} in rows ({in_rows:.0%}; in columns {in_cols:.0%})"
    if in_cols > 0.5 and in_rows <= in_cols / 2:
        return other, f"{what} in columns ({in_cols:.0%}; in rows {in_rows:.0%})"
    return "auto", ""


def _orientation_by_symbols(row_ids: Sequence[str], columns: Sequence[str]) -> tuple[str, str]:
    """("genes_x_samples" or "samples_x_genes", reason) when most names of one axis, and
    at most half as many of the other, are known gene symbols (case aside: mouse symbols
    count); ("auto", "") when that does not decide (or the gene table is absent)."""
    return _by_shares(
        _symbol_share(list(map(str, row_ids))),
        _symbol_share(list(map(str, columns))),
        "genes_x_samples",
        "gene symbols",
    )


def _auto_orientation(
    path: Path,
    row_ids: pd.Index,
    has_row_ids: bool,
    columns: list[str],
    extra: list[str],
) -> tuple[str, str]:
    """(orientation, reason) of a table whose id column has no telling name, from its names.

    In order: gene ids by their form (Ensembl of any species, probe sets, RefSeq...) on one
    axis; whole numbers (Entrez ids) on one axis and neither numbers nor known gene symbols on
    the other; annotation columns after
    the id column (gene columns such as ``symbol``: genes are rows; else samples are rows);
    known gene symbols on one axis; sample ids by their form (GTEx, TCGA, GSM, SRR, cell
    barcodes) on one axis; rows without ids (samples; genes need names). When none decides, a
    DataError says how to give the orientation: the shape of the table is no guide (a study
    can have more samples than genes, or fewer).
    """
    rows = [str(r) for r in row_ids] if has_row_ids else []
    cols = [str(c) for c in columns]
    decided = _by_shares(_gene_id_share(rows), _gene_id_share(cols), "genes_x_samples", "gene ids")
    if decided[0] != "auto":
        return decided
    # whole numbers facing known gene symbols are sample numbers (1001, 1002, ...), not Entrez
    # ids: the symbols decide below
    if _entrez_like(rows) and _integer_share(cols) < 0.1 and _gene_name_share(cols) < 0.5:
        return "genes_x_samples", "whole numbers (Entrez gene ids) in rows"
    if (
        _entrez_like(cols)
        and _integer_share(rows) < 0.1
        and has_row_ids
        and _gene_name_share(rows) < 0.5
    ):
        return "samples_x_genes", "whole numbers (Entrez gene ids) in columns"
    if extra:
        if any(_name_key(c) in _GENE_ANNOTATION_KEYS for c in extra):
            return "genes_x_samples", "gene annotation columns"
        return "samples_x_genes", "sample annotation columns"
    decided = _orientation_by_symbols(rows, cols)
    if decided[0] != "auto":
        return decided
    in_rows = _share(rows, lambda n: bool(_SAMPLE_ID_RE.match(n)))
    in_cols = _share(cols, lambda n: bool(_SAMPLE_ID_RE.match(n)))
    decided = _by_shares(in_rows, in_cols, "samples_x_genes", "sample ids")
    if decided[0] != "auto":
        return decided
    if not has_row_ids:
        return "samples_x_genes", "the rows have no ids: they are samples, the named columns genes"
    # (names of genes on both axes, as sample names WT1, C3, F8 can be: said as such)
    both = _symbol_share(rows) > 0.5 and _symbol_share(cols) > 0.5
    kind = (
        f"both the row names (e.g. {_shown_names(rows)}) and the column names (e.g. "
        f"{_shown_names(cols)}) read as gene symbols"
        if both
        else f"neither the row names (e.g. {_shown_names(rows)}) nor the column names (e.g. "
        f"{_shown_names(cols)}) are known gene symbols or gene ids (Ensembl, probe sets, "
        "RefSeq, Entrez...)"
    )
    # worded as the Python argument; the command line words it as its flag (CoreError.fix)
    genes, samples = ORIENTATION_OPTION["genes_x_samples"], ORIENTATION_OPTION["samples_x_genes"]
    error = DataError(
        f"{path}: cannot tell whether its rows are samples or genes: {kind}. Say which: "
        "name the first column 'gene' (genes in rows) or 'sample' (samples in rows), or give "
        f"the orientation ({argument_words('orientation', genes)} or "
        f"{argument_words('orientation', samples)})"
    )
    raise with_fix(error, "orientation", genes, samples)


def _shown_names(names: Sequence[str], n: int = 3, width: int = 40) -> str:
    """The first ``n`` names for a message, each cut to ``width`` characters (a row read whole,
    as one name, when the separator was not found, filled a message with numbers)."""
    cut = [str(x) if len(str(x)) <= width else str(x)[: width - 1] + "…" for x in names[:n]]
    return ", ".join(repr(x) for x in cut) if cut else "none"


def _r_names_hint(ids: pd.Index, other: pd.Index) -> str:
    """For a "no sample in common" message: a hint when the two sets of ids match as R's
    ``make.names`` leaves them (``GTEX-1117F-0226`` read back as ``GTEX.1117F.0226``)."""

    def r_names(names: pd.Index) -> pd.Index:
        return pd.Index([re.sub(r"[^A-Za-z0-9._]", ".", str(i)) for i in names])

    if not r_names(ids).isin(r_names(other)).any():
        return ""
    return (
        "; they match with '-' and '.' told alike: R's read.table/data.frame turns '-' into '.' "
        "in column names (check.names = TRUE); write or read the file with check.names = FALSE"
    )
