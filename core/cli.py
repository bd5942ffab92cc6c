"""Command line: ``python -m core {train,evaluate,report,embed,neighbours} ...``.

Every user-facing failure is a :class:`core.errors.CoreError`; :func:`main` prints its message
(``error: ...``) and returns exit status 2 instead of showing a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.errors import CoreError

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- data flags
def add_data_arguments(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """The data flags shared by ``train``, ``app.py`` and friends."""
    group = parser.add_argument_group("data (GTEx files, or a matrix + annotations)")
    group.add_argument("--gtex-gct", metavar="F", help="GTEx GCT v1.2 matrix (.gct or .gct.gz)")
    group.add_argument("--gtex-attributes", metavar="F", help="GTEx SampleAttributesDS.txt")
    group.add_argument("--gtex-phenotypes", metavar="F", help="GTEx SubjectPhenotypesDS.txt")
    group.add_argument(
        "--exclude-tissues",
        metavar="T",
        nargs="*",
        default=None,
        help="SMTS tissues to drop (default for GTEx: Brain, Fallopian Tube, as in the paper)",
    )
    group.add_argument("--matrix", metavar="F", help="CSV/TSV/parquet/h5ad expression matrix")
    group.add_argument("--annotations", metavar="F", help="sample annotation table (CSV/TSV)")
    group.add_argument(
        "--transform",
        default=None,
        choices=["log10p1", "log2p1", "none"],
        help="log transform applied on load (GTEx default log10p1; tables default none)",
    )


def has_data_arguments(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "gtex_gct", None) or getattr(args, "matrix", None))


def load_data_from_args(args: argparse.Namespace):
    """Load the :class:`~core.data.ExpressionSet` the data flags describe."""
    from core.data import load_gtex, load_table

    if args.gtex_gct and args.matrix:
        raise CoreError("give either --gtex-gct or --matrix, not both")
    if args.gtex_gct:
        if not args.gtex_attributes:
            raise CoreError("--gtex-gct needs --gtex-attributes (GTEx SampleAttributesDS.txt)")
        exclude = (
            ("Brain", "Fallopian Tube") if args.exclude_tissues is None else args.exclude_tissues
        )
        return load_gtex(
            args.gtex_gct,
            args.gtex_attributes,
            phenotypes=args.gtex_phenotypes,
            exclude_tissues=tuple(exclude),
            transform=args.transform or "log10p1",
        )
    if args.matrix:
        if getattr(args, "exclude_tissues", None):
            raise CoreError(
                "--exclude-tissues works with the GTEx files (--gtex-gct); with --matrix, "
                "remove those samples from the matrix or the annotations"
            )
        es = load_table(
            args.matrix, annotations=args.annotations, transform=args.transform or "none"
        )
        if (args.transform or "none") == "none":
            _warn_if_counts(es, args.matrix)
        return es
    raise CoreError("no data given: use --gtex-gct F --gtex-attributes F, or --matrix F")


#: Above this, values are not on a log scale (log2 of a billion reads is 30).
LOG_SCALE_MAX = 100.0


def _warn_if_counts(es, path: str) -> None:
    """Warn when a matrix read without a transform looks like raw counts or TPM."""
    step = max(1, (1 << 24) // max(1, es.n_genes))
    top = max(
        (
            float(np.nanmax(es.values[i : i + step], initial=-np.inf))
            for i in range(0, es.n_samples, step)
        ),
        default=-np.inf,
    )
    if top > LOG_SCALE_MAX:
        log.warning(
            "%s: values up to %.4g look like counts or TPM, not a log scale; "
            "pass --transform log10p1 (or log2p1) to log-transform them",
            path,
            top,
        )


def check_out_location(path: Path, flag: str) -> None:
    """Raise a CoreError, before any work, when ``path`` cannot be created because an existing
    folder above it is a file (missing folders are created when the output is written)."""
    for parent in Path(path).absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise CoreError(f"{flag} {path}: {parent} is a file, not a folder")
            return


# ----------------------------------------------------------------------------- commands
def _cmd_train(args: argparse.Namespace) -> int:
    from core.train_cli import run_train

    return run_train(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="learn sample and gene embeddings; write a model directory")
    add_data_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="model directory to write")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="passes over the matrix (default: from the data size, e.g. 80 for 16,877 x 59, "
        "300 for 520 x 467)",
    )
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--gene-dim", type=int, default=None)
    p.add_argument("--hidden", type=str, default=None, help="hidden sizes, e.g. 100,50,50")
    p.add_argument("--top-genes", type=int, default=None, help="keep the n most variable genes")
    p.add_argument(
        "--min-detection",
        type=float,
        default=None,
        metavar="FRACTION",
        help="keep only genes above 0 in at least this fraction of the samples, e.g. 0.1 "
        "(before --top-genes; default: keep every gene that is not 0 everywhere)",
    )
    p.add_argument(
        "--neighbour-weight",
        type=float,
        default=None,
        help="weight of the neighbour-graph regulariser of the sample map "
        "(default 3 from 2,000 samples, else 1; 0: the paper's pure reconstruction objective)",
    )
    p.add_argument(
        "--neighbour-power",
        type=float,
        default=None,
        help="exponent of the regulariser's kernel, in (0, 2]; below 1 separates clusters more "
        "(default 0.6 from 2,000 samples, else 1)",
    )
    p.add_argument(
        "--neighbour-decay",
        type=float,
        default=None,
        help="weigh each sample's graph neighbours by exp(-rank / DECAY) instead of equally "
        "(default 0: equal weights; 5 gained 0.002 on real GTEx, see RESULTS.md)",
    )
    p.add_argument(
        "--neighbour-space",
        choices=("centered", "values"),
        default=None,
        help="where the regulariser's neighbour graph is taken: 'centered' (default; each "
        "sample minus its mean over genes, blind to per-sample offsets such as sequencing "
        "depth) or 'values' (as they are)",
    )
    p.add_argument("--resume", action="store_true", help="continue from DIR's checkpoint")
    p.add_argument("--force", action="store_true", help="replace an existing model directory")
    p.set_defaults(func=_cmd_train)

    _register_analysis_commands(sub)
    return parser


def _register_analysis_commands(sub) -> None:
    """``evaluate`` and ``report`` (:mod:`core.analysis_cli`), ``embed`` and ``neighbours``
    (:mod:`core.embed_cli`)."""
    from core.analysis_cli import register
    from core.embed_cli import register as register_embed

    register(sub)
    register_embed(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except CoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file system failure no check foresaw (disk full, permissions)
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
