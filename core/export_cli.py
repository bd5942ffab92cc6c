"""``python -m core export``: a model's sample map and gene vectors as plain tables.

A model directory keeps its arrays in NumPy and parquet files; this command writes them as
CSV or TSV files that R, Excel or any plotting tool reads, with the samples' annotations and
the genes' symbols and types beside the coordinates, or as one AnnData .h5ad file for scanpy
(:mod:`core.export_h5ad`). It needs only the model directory (not the training data files).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.cli import axis_names
from core.data import ids_are_symbols, mark_simulated
from core.errors import CoreError
from core.export_h5ad import (
    GENE_VECTORS,
    H5AD_FILE,
    SAMPLE_BASIS,
    annotated_data,
    h5ad_size,
    readme_lines,
    write_h5ad,
)
from core.files import folder_written
from core.model_directory import model_words
from core.spreadsheet import spreadsheet_safe_table

#: the files an export directory holds (a directory with anything else is not replaced)
EXPORT_ENTRIES = (
    "samples.csv",
    "samples.tsv",
    "genes.csv",
    "genes.tsv",
    H5AD_FILE,
    "README.txt",
)

EXPORT_FILES = """\
files written in --out:
  samples.csv   one row per training sample: sample_id, x, y (its place on the sample map,
                in the map's own units), then the sample annotations kept by the model
                (e.g. SMTS, SMTSD, sex, age for GTEx)
  genes.csv     one row per gene: gene_id (left out when the data names genes by symbol
                alone: it repeated the symbol), symbol, gene_type (from the bundled Gene
                Ontology snapshot's gene table: protein-coding, lncRNA, pseudogene, miRNA,
                snoRNA, ...; "unmapped" when the gene is not in it), then the gene vector
                g1..gD (D = the model's gene_dim); genes close in this space (cosine
                distance between vectors) are the gene-space neighbours of the report
  README.txt    the model, its data and these columns, for whoever receives the files
a model of simulated data has a first column `data` = SIMULATED in both tables.
with --format h5ad, one AnnData file instead of the two tables (and README.txt):
  factorized_embeddings.h5ad
                obs: the samples (obs_names: sample ids) with their annotations;
                obsm["X_fe"]: their places on the map (scanpy's basis "fe":
                sc.pl.embedding(adata, basis="fe", color="SMTS")); var: the genes
                (var_names: gene ids) with symbol, gene_type; varm["FE_genes"]: the gene
                vectors; X is empty (None): the expression values are not in the model
                directory; uns["factorized_embeddings"]: the model's key, settings and data
                source. A model of simulated data: obs and var column `data` = SIMULATED,
                uns["factorized_embeddings"]["simulated"] = True."""


def register(sub: Any) -> None:
    from core.cli import HelpFormatter

    p = sub.add_parser(
        "export",
        help="write a model's sample map and gene vectors as CSV/TSV tables or an .h5ad file",
        description="Write the sample coordinates (with the samples' annotations) and the gene "
        "vectors (with symbols and gene types) of --model as plain tables, for R, Excel or "
        "any plotting tool, or as one AnnData .h5ad file for scanpy. Reads only the model "
        "directory.",
        epilog=EXPORT_FILES,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--model", required=True, metavar="DIR", help="model directory (train)")
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write the files into")
    p.add_argument(
        "--format",
        choices=("csv", "tsv", "h5ad"),
        default="csv",
        help="comma- or tab-separated tables, or one AnnData .h5ad file (default csv)",
    )
    p.add_argument(
        "--no-gene-types",
        action="store_true",
        help="leave out the gene_type column (skips loading the Gene Ontology snapshot)",
    )
    p.add_argument("--force", action="store_true", help="replace an earlier export in --out")
    p.set_defaults(func=run_export)


def _check_out(out: Path, force: bool) -> None:
    from core.cli import check_output_dir

    check_output_dir(out, force, "an export directory", EXPORT_ENTRIES, "README.txt")


def _size_text(n: float) -> str:
    """``n`` bytes as people read them: 96 KB, 1.7 MB, 3.2 GB."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit in ("bytes", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover - the loop returns at GB


def _check_room(out: Path, need: int, what: str) -> None:
    """Refuse in one line when the file system of ``out`` has less free space than ``need``
    bytes (checked before any file is opened: h5py met a full disk half-way through with a
    segmentation fault). Where the free space cannot be read, nothing is refused."""
    folder = out.parent.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < need:
        raise CoreError(
            f"not enough room in {folder} for the export: {_size_text(free)} free, {what} needs "
            f"about {_size_text(need)}; free some space or choose another --out"
        )


def sample_table(model: Any) -> pd.DataFrame:
    """(n_samples, 3 + annotations) sample_id, x, y (more axes when sample_dim > 2), then the
    model's sample annotations, in the model's sample order."""
    coords = np.asarray(model.sample_embedding_)
    table = pd.DataFrame(coords, columns=axis_names(coords.shape[1]))
    table.insert(0, "sample_id", np.asarray(model.sample_ids_).astype(str))
    samples = getattr(model, "samples_", None)
    if samples is not None and not samples.empty:
        annotations = samples.reindex(table["sample_id"]).reset_index(drop=True)
        clash = [c for c in annotations.columns if str(c) in table.columns]
        annotations = annotations.rename(columns={c: f"annotation_{c}" for c in clash})
        table = pd.concat([table, annotations], axis=1)
    return table


def gene_table(model: Any, gene_types: pd.Series | None = None) -> pd.DataFrame:
    """(n_genes, 2 + D) gene_id, symbol, [gene_type,] g1..gD (the gene vectors); without
    gene_id when the ids are the symbols (data named by symbols alone)."""
    vectors = np.asarray(model.gene_embedding_)
    table = pd.DataFrame(vectors, columns=[f"g{i + 1}" for i in range(vectors.shape[1])])
    gene_ids = np.asarray(model.gene_ids_).astype(str)
    symbols = np.asarray(model.gene_symbols_).astype(str)
    front = {} if ids_are_symbols(gene_ids, symbols) else {"gene_id": gene_ids}
    front["symbol"] = symbols
    if gene_types is not None:
        front["gene_type"] = np.asarray(gene_types).astype(str)
    return pd.concat([pd.DataFrame(front), table], axis=1)


def _readme_head(model: Any, model_dir: str, simulated: bool, what: str) -> list[str | None]:
    """README.txt's first lines: simulated or not, the model and its data; ``what``: "these
    tables come", "this file comes"."""
    return [
        f"SIMULATED DATA: {what} from a model of simulated data, not of real samples."
        if simulated
        else None,
        f"Exported from the model directory {Path(model_dir).absolute()}",
        # its key, as the dashboard's files and the report's tables name it
        f"model: {model_words(model)}",
        f"dataset: {model.dataset_name_ or 'unnamed'} ({model.n_samples_:,} samples x "
        f"{model.n_genes_:,} genes), trained {model.n_epochs_:,} "
        f"epoch{'' if model.n_epochs_ == 1 else 's'}",
    ]


def _readme(
    model: Any, model_dir: str, simulated: bool, with_types: bool, sep: str, with_ids: bool = True
) -> str:
    kind = "comma" if sep == "," else "tab"
    dim = model.gene_embedding_.shape[1]
    lines = [
        *_readme_head(model, model_dir, simulated, "these tables come"),
        f"tables are {kind}-separated; numbers keep 6 significant digits",
        "",
        "samples: sample_id, then the sample's place on the 2-D sample map (x, y, in the map's "
        "own units: distances between samples are comparable, the axes have no meaning of "
        "their own), then the sample annotations the model keeps",
        "genes: "
        + ("gene_id, " if with_ids else "")
        + "symbol, "
        + (
            "gene_type (bundled Gene Ontology snapshot; 'unmapped' if absent), "
            if with_types
            else ""
        )
        + f"then the gene vector g1..g{dim}; genes whose vectors point the same way (small "
        "cosine distance) are neighbours in the gene space",
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def _h5ad_readme(
    model: Any, model_dir: str, simulated: bool, with_types: bool, with_ids: bool, obs: Any
) -> str:
    """README.txt of an .h5ad export; ``obs``: the columns of the written file's ``obs``."""
    lines = [
        *_readme_head(model, model_dir, simulated, "this file comes"),
        *readme_lines(model, with_types, with_ids, obs),
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def run_export(args: argparse.Namespace) -> int:
    """Write ``samples``, ``genes`` (or the .h5ad file) and ``README.txt`` into ``--out`` (built
    beside it, then put in place in one step: an interrupted export leaves no half-written
    directory)."""
    from core.embed_cli import load_model_dir, model_is_simulated

    out = Path(args.out)
    _check_out(out, args.force)
    model = load_model_dir(args.model)
    simulated = model_is_simulated(model)
    types = None
    if not args.no_gene_types:
        from core.annotations import GeneOntology

        types = GeneOntology.load().gene_type(model.gene_ids_, symbols=model.gene_symbols_)
    samples, genes = sample_table(model), gene_table(model, types)
    if simulated:
        # (a sample annotation or gene column named "data" keeps its values as sample_data)
        mark_simulated(samples)
        mark_simulated(genes, prefix="gene_")
    with_ids = "gene_id" in genes.columns
    if args.format == "h5ad":
        adata = annotated_data(model, samples, genes, args.model, simulated)
        _check_room(out, h5ad_size(adata), H5AD_FILE)
        with folder_written(out, "the export") as tmp:
            write_h5ad(adata, tmp / H5AD_FILE)
            (tmp / "README.txt").write_text(
                _h5ad_readme(
                    model, args.model, simulated, types is not None, with_ids, adata.obs.columns
                ),
                encoding="utf-8",
            )
        print(
            _written_text(out, "h5ad", len(samples), model.gene_embedding_.shape, simulated),
            file=sys.stderr,
        )
        return 0
    sep = "," if args.format == "csv" else "\t"
    with folder_written(out, "the export") as tmp:
        for name, table in (("samples", samples), ("genes", genes)):
            table = spreadsheet_safe_table(table)  # (text that a spreadsheet would run, quoted)
            table.to_csv(tmp / f"{name}.{args.format}", sep=sep, index=False, float_format="%.6g")
        (tmp / "README.txt").write_text(
            _readme(model, args.model, simulated, types is not None, sep, with_ids),
            encoding="utf-8",
        )
    print(
        _written_text(out, args.format, len(samples), model.gene_embedding_.shape, simulated),
        file=sys.stderr,
    )
    return 0


def _written_text(
    out: Path, fmt: str, n_samples: int, vectors: tuple[int, int], simulated: bool
) -> str:
    """The closing line of ``export``: what each file written holds, counts as people read
    them (16,877 samples)."""
    n_genes, dim = vectors
    if fmt == "h5ad":
        return (
            f"wrote {out}: {H5AD_FILE} (the map: {n_samples:,} samples, obsm['{SAMPLE_BASIS}']; "
            f"{n_genes:,} genes, each a vector of {dim} numbers, varm['{GENE_VECTORS}']; no "
            "expression values: X is empty) and README.txt (what it holds)"
            + ("; SIMULATED data" if simulated else "")
        )
    return (
        f"wrote {out}: samples.{fmt} (the map: {n_samples:,} samples), genes.{fmt} "
        f"({n_genes:,} genes, each a vector of {dim} numbers) and README.txt (what each "
        "column means)" + ("; SIMULATED data" if simulated else "")
    )
