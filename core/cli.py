"""Command line: ``python -m core {train,evaluate,report,embed,neighbours} ...``.

Every user-facing failure is a :class:`core.errors.CoreError`; :func:`main` prints its message
(``error: ...``) and returns exit status 2 instead of showing a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.errors import CoreError, DataError, argument_words

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Factorized embeddings of RNA-Seq (Trofimov et al. 2017): learn a 2-D map of samples and an "
    "embedding of every gene from an expression matrix, then place new samples on the map, list "
    "a gene's neighbours, and reproduce the paper's analyses."
)
EPILOG = """typical use:
  python -m core train --matrix expression.csv --out models/mine     (or --gtex-gct ...)
  python -m core embed --model models/mine --matrix new_samples.csv --out placed.csv
  python -m core neighbours --model models/mine --genes GATA4,MYH6
  python -m core evaluate --model models/mine --out table1.json
  python -m core report --model models/mine --out report/
  python -m core export --model models/mine --out tables/     (sample map, gene vectors as CSV)
'python -m core COMMAND --help' describes each command. Errors are one 'error:' line and exit
status 2 (130 when interrupted; 143 when train is stopped by SIGTERM); nothing existing is
replaced without --force."""


#: The help of -v/--verbose, at the top and after each command.
VERBOSE_HELP = (
    "more detail in the messages: each line names the module that wrote it, and debug lines "
    "are shown"
)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps a one-paragraph description; keeps the lines of a text laid out in lines (the
    tables of columns and examples in the epilogs)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


# ----------------------------------------------------------------------------- data flags
def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The data flags shared by ``train``, ``app.py`` and friends."""
    group = parser.add_argument_group("data (GTEx files, or a matrix + annotations)")
    group.add_argument("--gtex-gct", metavar="F", help="GTEx GCT v1.2 matrix (.gct or .gct.gz)")
    group.add_argument(
        "--gtex-attributes",
        metavar="F",
        help="GTEx SampleAttributesDS.txt: each sample's tissue (needed with --gtex-gct)",
    )
    group.add_argument(
        "--gtex-phenotypes",
        metavar="F",
        help="GTEx SubjectPhenotypesDS.txt: each donor's sex and age (optional)",
    )
    group.add_argument(
        "--exclude-tissues",
        metavar="T",
        nargs="*",
        default=None,
        help="broad tissues (GTEx column SMTS) whose samples are left out, e.g. Brain "
        '"Fallopian Tube" (quote names with spaces; default for GTEx: Brain, Fallopian Tube, '
        "as in the paper; the flag alone leaves none out)",
    )
    group.add_argument(
        "--matrix", metavar="F", help="CSV/TSV(.gz)/parquet/GCT/h5ad expression matrix"
    )
    group.add_argument(
        "--annotations",
        metavar="F",
        help="table of sample annotations (CSV/TSV: tissue, sex, batch, ...), one row per "
        "sample (optional)",
    )
    group.add_argument(
        "--orientation",
        default="auto",
        choices=["auto", "samples-in-rows", "genes-in-rows"],
        help="which axis of the --matrix table is samples (default auto: the id column's name, "
        "gene ids or symbols, or sample ids tell; a table they do not tell apart is refused)",
    )
    group.add_argument(
        "--text-values",
        default="refuse",
        choices=["refuse", "missing"],
        help="a text value among the --matrix table's numbers ('high', '#DIV/0!'; NA and empty "
        "fields are missing anyway): refuse the table, naming its line (default), or read it "
        "as a missing value, with a warning naming the cells",
    )
    group.add_argument(
        "--annotation-columns",
        metavar="C,C,...",
        default=None,
        help="columns of a --matrix table with samples in rows that are sample annotations, "
        "not genes, even when they hold numbers (e.g. ischemic_time,PMI; columns named age, "
        "sex, RIN, batch, timepoint, dose, ... are read so anyway)",
    )
    group.add_argument(
        "--transform",
        default=None,
        choices=["log10p1", "log2p1", "none"],
        help="log transform applied on load: log10p1 = log10(x+1), log2p1 = log2(x+1), none = "
        "values as they are (default: log10p1 for GTEx files, none for other tables, which "
        "are taken as already log-scaled)",
    )


def has_data_arguments(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "gtex_gct", None) or getattr(args, "matrix", None))


def _declared(progress: StepProgress):
    """A loader callback (done, declared) that sizes ``progress`` on its first call."""

    def report(done: int, declared: int) -> None:
        if progress.done == 0 and progress.total != declared:
            progress.total = max(int(declared), 1)
            if progress.bar is not None:
                progress.bar.total = progress.total
        progress.to(done)

    return report


def axis_names(n_axes: int) -> list[str]:
    """Column names of a map's coordinates in the tables written: x, y for a 2-D map (the
    default), axis1..axisN for a map of other than 2 axes (``sample_dim``)."""
    return ["x", "y"] if n_axes == 2 else [f"axis{i + 1}" for i in range(n_axes)]


def duration(seconds: float) -> str:
    """``42 s``, ``6 min``, ``1 h 05 min``: a duration as a person reads it."""
    seconds = max(0.0, float(seconds))
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min"


def time_left(elapsed: float, fraction: float) -> str:
    """``, about 6 min left`` from the time spent and the share done; empty before there is
    enough to go by (under 10 s, or nothing done) and once done."""
    if elapsed < 10 or not 0 < fraction < 1:
        return ""
    return f", about {duration(elapsed * (1 - fraction) / fraction)} left"


class Pace:
    """The time left of a job from its recent pace: the share done over the last
    :attr:`WINDOW` of it (the first epochs of a training, with their grid searches, run 2-3
    times slower than the rest: its whole pace said "about 10 min left" with 4 to go), from
    the first report on (a run continued from a checkpoint counts the stopped run's time in
    its elapsed seconds, and its share done before)."""

    #: The share of the work the pace is read over.
    WINDOW = 0.2

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []  # (elapsed, fraction) reported

    def left(self, elapsed: float, fraction: float) -> str:
        """``, about 2 min left`` (:func:`time_left`) after a report of ``elapsed`` seconds and
        ``fraction`` done."""
        elapsed, fraction = float(elapsed), float(fraction)
        first = self.points[0] if self.points else (elapsed, fraction)
        # (kept: the first report, and those within the window behind this one)
        self.points = [first] + [p for p in self.points[1:] if p[1] >= fraction - self.WINDOW]
        self.points.append((elapsed, fraction))
        window = [p for p in self.points[:-1] if fraction - self.WINDOW <= p[1] < fraction]
        base = window[0] if window else first  # (the oldest report within the window)
        spent, done = elapsed - base[0], fraction - base[1]
        if done <= 0 or fraction >= 1:
            return ""
        return time_left(spent, done / (done + 1.0 - fraction))


class StepProgress:
    """Work done so far, on stderr: a bar on a terminal, else a line per tenth (logs stay
    short)."""

    def __init__(self, desc: str, unit: str, total: int) -> None:
        self.desc, self.unit, self.total = desc, unit, max(int(total), 1)
        self.done, self.tenths = 0, 0
        self.start = time.monotonic()
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit=unit.rstrip("s"), desc=desc, file=sys.stderr)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif 10 * self.done // self.total > self.tenths:
            self.tenths = 10 * self.done // self.total
            elapsed = time.monotonic() - self.start
            spent = f" ({duration(elapsed)}{time_left(elapsed, self.done / self.total)})"
            print(
                f"{self.desc}: {self.done:,} of {self.total:,} "
                + (self.unit.removesuffix("s") if self.total == 1 else self.unit)
                + (spent if elapsed >= 10 else ""),
                file=sys.stderr,
                flush=True,
            )

    def to(self, done: int, total: int | None = None) -> None:
        """Progress given as a count so far (the form of a loader's callback)."""
        self.update(done - self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


#: GCT files larger than this show progress while they are read
_GCT_PROGRESS_BYTES = 50 * 2**20


def load_data_from_args(
    args: argparse.Namespace, warn_of_scale: bool = True, attributes_optional: bool = False
):
    """Load the :class:`~core.data.ExpressionSet` the data flags describe.

    Values that look like counts are refused without ``--transform``; with ``--transform none``
    they are warned of, unless ``warn_of_scale`` is False (``train``: the fit warns of them;
    ``embed``: :func:`warn_of_scale`, once the file shares a gene with the model);
    so are those of a GCT read with ``--transform none`` (GTEx publishes read counts as GCT).
    ``attributes_optional`` (``embed``): a GCT without ``--gtex-attributes`` is read as it is,
    its samples unannotated (new samples are not in GTEx's attributes file).
    """
    from core.data import load_gtex, load_table

    if args.gtex_gct and args.matrix:
        raise CoreError("give either --gtex-gct or --matrix, not both")
    if args.gtex_gct and getattr(args, "annotations", None):
        raise CoreError(
            "--annotations works with --matrix; with --gtex-gct the samples' annotations come "
            "from --gtex-attributes (and --gtex-phenotypes)"
        )
    if args.matrix:
        given = [
            flag
            for flag, value in (
                ("--gtex-attributes", getattr(args, "gtex_attributes", None)),
                ("--gtex-phenotypes", getattr(args, "gtex_phenotypes", None)),
            )
            if value
        ]
        if given:
            raise CoreError(
                f"{' and '.join(given)} {'work' if len(given) > 1 else 'works'} with "
                "--gtex-gct; with --matrix, give the samples' annotations with --annotations"
            )
    for flag, value in (("--matrix", args.matrix), ("--gtex-gct", args.gtex_gct)):
        if value:
            _check_not_model(Path(value), flag)
    orientation = getattr(args, "orientation", None) or "auto"
    if args.gtex_gct and (getattr(args, "text_values", None) or "refuse") != "refuse":
        raise CoreError("--text-values works with --matrix; a GTEx GCT file holds numbers only")
    annotation_columns = _column_list(getattr(args, "annotation_columns", None))
    if args.gtex_gct and annotation_columns:
        raise CoreError(
            "--annotation-columns works with --matrix; with --gtex-gct the samples' "
            "annotations come from --gtex-attributes (and --gtex-phenotypes)"
        )
    if args.gtex_gct and orientation != "auto":
        raise CoreError(
            "--orientation works with --matrix; a GTEx GCT file always has genes in rows"
        )
    if args.gtex_gct and not args.gtex_attributes and attributes_optional:
        for flag, value in (
            ("--gtex-phenotypes", args.gtex_phenotypes),
            ("--exclude-tissues", args.exclude_tissues),
        ):
            if value:
                raise CoreError(f"{flag} needs --gtex-attributes (GTEx SampleAttributesDS.txt)")
        es = load_table(args.gtex_gct, transform=args.transform or "log10p1")
        if args.transform == "none" and warn_of_scale:  # (embed placed counts without a word)
            _check_log_scale(es, args.gtex_gct, refuse=False)
        return es
    if args.gtex_gct:
        if not args.gtex_attributes:
            raise CoreError("--gtex-gct needs --gtex-attributes (GTEx SampleAttributesDS.txt)")
        if args.exclude_tissues is None:
            exclude = ["Brain", "Fallopian Tube"]
        else:
            exclude = _check_tissues(args.exclude_tissues, args.gtex_attributes, args.gtex_gct)
        progress = None
        if os.path.isfile(args.gtex_gct) and os.path.getsize(args.gtex_gct) > _GCT_PROGRESS_BYTES:
            progress = StepProgress(f"reading {os.path.basename(args.gtex_gct)}", "genes", 1)
        try:
            es = load_gtex(
                args.gtex_gct,
                args.gtex_attributes,
                phenotypes=args.gtex_phenotypes,
                exclude_tissues=tuple(exclude),
                transform=args.transform or "log10p1",
                progress=None if progress is None else _declared(progress),
            )
        finally:
            if progress is not None:
                progress.close()
        if args.transform == "none" and warn_of_scale:
            _check_log_scale(es, args.gtex_gct, refuse=False)
        return es
    if args.matrix:
        if getattr(args, "exclude_tissues", None):
            raise CoreError(
                "--exclude-tissues works with the GTEx files (--gtex-gct); with --matrix, "
                "remove those samples from the matrix or the annotations"
            )
        es = load_table(
            args.matrix,
            annotations=args.annotations,
            orientation=orientation,
            transform=args.transform or "none",
            text_values=getattr(args, "text_values", None) or "refuse",
            label_columns=annotation_columns or None,
        )
        if args.transform is None:
            _check_log_scale(es, args.matrix, refuse=True)
        elif args.transform == "none" and warn_of_scale:
            _check_log_scale(es, args.matrix, refuse=False)
        return es
    raise CoreError("no data given: use --gtex-gct F --gtex-attributes F, or --matrix F")


def _check_not_model(path: Path, flag: str) -> None:
    """Refuse a model directory, or one of its files, given as the data: it was "matrix path
    is not a file", or weights.pt "a zip archive; unpack it and give the table inside"."""
    folder = path if path.is_dir() else path.parent
    own = ("config.json", "weights.pt", "arrays.npz", "samples.parquet")  # (not a table put there)
    if not is_model_dir(folder) or (folder != path and path.name not in own):
        return
    what = "a model directory" if folder == path else f"a file of the model directory {folder}"
    raise CoreError(
        f"{flag} {path}: {what}, not an expression matrix; give the table of samples and "
        "genes here (a model goes with --model)"
    )


def _column_list(text: str | None) -> list[str]:
    """``--annotation-columns a,b``: the names, stripped, each once, in order."""
    names = [t.strip() for t in (text or "").split(",")]
    return list(dict.fromkeys(t for t in names if t))


def _check_tissues(tissues: Sequence[str], attributes: str, gct: str) -> list[str]:
    """``--exclude-tissues`` as the attributes file spells them (case aside); a name that is
    not an SMTS tissue there is an error, not a run that silently keeps those samples."""
    from core.data import _check_file, _read_attributes
    from core.data.gtex import _check_not_swapped, _known_tissues

    if not tissues:
        return []
    attributes_path = _check_file(attributes, "sample attributes")
    _check_not_swapped(_check_file(gct, "GCT matrix"), attributes_path)
    smts = _read_attributes(attributes_path)["SMTS"]
    hint = '; quote names with spaces, e.g. "Fallopian Tube"'
    return _known_tissues(tissues, smts, attributes, "--exclude-tissues", hint)


def warn_of_scale(es, args: argparse.Namespace) -> None:
    """The warning :func:`load_data_from_args` gives of values that look like counts read with
    ``--transform none``, for a caller that loaded them with ``warn_of_scale=False`` (``embed``
    gives it once the file is known to share genes with the model)."""
    if args.transform == "none":
        _check_log_scale(es, args.matrix or args.gtex_gct, refuse=False)


def _check_log_scale(es, path: str, refuse: bool) -> None:
    """Refuse (``refuse``: no ``--transform`` was given) or warn of (``--transform none``) a
    matrix read without a transform that looks like raw counts or TPM: trained as they are, its
    fit errors ran into the millions, and the run said it had succeeded."""
    from core.data import LOG_SCALE_MAX

    step = max(1, (1 << 24) // max(1, es.n_genes))
    top = np.full(es.n_genes, -np.inf)
    for i in range(0, es.n_samples, step):
        np.fmax(top, np.nanmax(es.values[i : i + step], axis=0, initial=-np.inf), out=top)
    if not top.size or top.max() <= LOG_SCALE_MAX:
        return
    # the gene that holds the largest value: an annotation read as a gene shows itself here
    n_high = int((top > LOG_SCALE_MAX).sum())
    where = (
        f" (column {str(es.gene_symbols[int(np.argmax(top))])!r}"
        + (f" and {n_high - 1:,} more of the {es.n_genes:,}" if n_high > 1 else "")
        + ")"
    )
    top = float(top.max())
    if refuse:
        raise DataError(
            f"{path}: values up to {top:.4g}{where} look like counts or TPM, not a log scale: add "
            "--transform log10p1 (or log2p1) to log-transform them, or --transform none to use "
            "them as they are"
        )
    log.warning(
        "%s: values up to %.4g look like counts or TPM, not a log scale (--transform none); "
        "--transform log10p1 (or log2p1) log-transforms them",
        path,
        top,
    )


def is_model_dir(path: Path) -> bool:
    """Whether ``path`` is a trained model directory (``train`` writes config.json and
    weights.pt in it)."""
    return (path / "config.json").is_file() and (path / "weights.pt").is_file()


def check_output_dir(
    out: Path, force: bool, what: str, entries: Sequence[str], marker: str
) -> None:
    """Raise a CoreError, before any work, unless the output directory ``out`` may be written:
    absent or empty, or (with ``force``) an earlier output of the same kind (only ``entries``,
    ``marker`` among them), which is then replaced as a whole. Anything else is never replaced.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CoreError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise CoreError(f"--out {out} already exists; choose another --out, or --force")
        foreign = sorted(p.name for p in out.iterdir() if p.name not in entries)
        if foreign or not (out / marker).is_file():
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise CoreError(
                f"--out {out} is not {what} ("
                + (f"it also holds {shown}" if foreign else f"no {marker}")
                + "): --force would replace it as a whole; choose another --out"
            )
    check_out_location(out, "--out")


def check_out_location(path: Path, flag: str) -> None:
    """Raise a CoreError, before any work, when ``path`` cannot be written: an existing folder
    above it is a file, or is read-only, or a folder above it is a model directory (retraining
    that model with --force replaces the directory as a whole, and the output with it).
    Missing folders are created when the output is written."""
    absolute = Path(path).absolute()
    for parent in absolute.parents:
        if is_model_dir(parent):
            raise CoreError(
                f"{flag} {path} is inside the model directory {parent}: a model directory is "
                "replaced as a whole when the model is trained again; write elsewhere"
            )
    for parent in absolute.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CoreError(f"{flag} {path}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise CoreError(
                    f"{flag} {path}: cannot write in {parent} (read-only, or no permission)"
                )
            _probe_writable(parent, path, flag)
            return


def _probe_writable(folder: Path, path: Path, flag: str) -> None:
    """Write and remove a small file in ``folder``: permissions said yes for root in a folder
    that takes no file (``/proc``), or on a disk mounted read-only, and the command failed
    only when it wrote its output, after all its work."""
    import tempfile

    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-check-")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CoreError(f"{flag} {path}: cannot write in {folder} ({reason})") from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)


# ----------------------------------------------------------------------------- commands
def _cmd_train(args: argparse.Namespace) -> int:
    from core.train_cli import run_train

    return run_train(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "train",
        help="learn sample and gene embeddings; write a model directory",
        description="Learn a 2-D map of the samples and an embedding of every gene from an "
        "expression matrix (GTEx files, or any table) and write them as a model directory, "
        "which embed, neighbours, evaluate, report and the dashboard read. Checkpoints go to "
        "DIR.partial/ after every epoch: an interrupted run (Ctrl-C, SIGTERM) continues with "
        "the same command plus --resume.",
    )
    add_data_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="model directory to write")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        metavar="N",
        help="passes over the matrix (default: from the data size, on a CPU e.g. 80 for "
        "16,877 samples x 59 genes, 100 (the most) for 520 x 467; more on a GPU)",
    )
    p.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="where to train (default auto: the GPU when there is one, else the CPU)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="random seed: the same seed and data give the same model (default 0)",
    )
    p.add_argument(
        "--gene-dim",
        type=int,
        default=None,
        metavar="N",
        help="size of each gene's embedding (default 50)",
    )
    p.add_argument(
        "--hidden",
        type=str,
        default=None,
        metavar="W,W,...",
        help="widths of the network's hidden layers (default 100,50,50)",
    )
    p.add_argument(
        "--init",
        default=None,
        choices=["pca", "random"],
        help="start of the sample map and gene vectors (default pca: the leading principal "
        "components; on small sets much of the gene space's agreement with GO comes from it)",
    )
    p.add_argument(
        "--top-genes",
        type=int,
        default=None,
        metavar="N",
        help="keep the N most variable genes (default: all genes)",
    )
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
        metavar="W",
        help="weight of the neighbour-graph regulariser of the sample map "
        "(default 3 from 2,000 samples, else 1; 0: the paper's pure reconstruction objective)",
    )
    p.add_argument(
        "--neighbour-power",
        type=float,
        default=None,
        metavar="P",
        help="exponent of the regulariser's kernel, in (0, 2]; below 1 separates clusters more "
        "(default 0.6 from 2,000 samples, else 1)",
    )
    p.add_argument(
        "--neighbour-decay",
        type=float,
        default=None,
        metavar="DECAY",
        help="weigh each sample's graph neighbours by exp(-rank / DECAY) instead of equally "
        "(default 0: equal weights; 5 gained 0.001-0.002 on real GTEx, within the seeds' "
        "spread: see tests/benchmarks/RESULTS.md)",
    )
    p.add_argument(
        "--neighbour-space",
        choices=("centered", "values"),
        default=None,
        help="where the regulariser's neighbour graph is taken: 'centered' (default; each "
        "sample minus its mean over genes, blind to per-sample offsets such as sequencing "
        "depth) or 'values' (as they are)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from its checkpoint in DIR.partial/ (give the same "
        "data flags)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing model directory, and start afresh over an interrupted "
        "run's checkpoint",
    )
    p.set_defaults(func=_cmd_train)

    _register_analysis_commands(sub)
    # -v after the command name too (python -m core train ... -v); absent, it leaves the
    # top-level flag as it is
    for command in set(sub.choices.values()):
        command.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
        )
    return parser


def _register_analysis_commands(sub) -> None:
    """``evaluate`` (:mod:`core.analysis_cli`), ``report`` (:mod:`core.report_cli`), ``embed``
    and ``neighbours`` (:mod:`core.embed_cli`), ``export`` (:mod:`core.export_cli`)."""
    from core.analysis_cli import register
    from core.embed_cli import register as register_embed
    from core.export_cli import register as register_export
    from core.report_cli import register as register_report

    register(sub)
    register_report(sub)
    register_embed(sub)
    register_export(sub)


def command_line_words(message: str, fix: tuple[str, ...] | None) -> str:
    """``message`` (of an error or a log record) with the option that mends its problem, which
    the library words as the Python argument (``text_values="missing"``: see
    :attr:`core.errors.CoreError.fix`), worded as this command line's flag
    (``--text-values missing``); each of its values where the message offers several."""
    if not fix:
        return message
    argument, *values = fix
    for value in values:
        message = message.replace(
            argument_words(argument, value), f"--{argument.replace('_', '-')} {value}"
        )
    return message


class _MessageFormatter(logging.Formatter):
    """Log lines for people: ``message`` for information, ``warning: message`` for warnings
    and errors (as the command's own ``error:`` lines); with -v, the module names too."""

    def __init__(self, verbose: bool = False) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        message = command_line_words(super().format(record), getattr(record, "fix", None))
        if self.verbose:
            return f"{record.levelname.lower()} {record.name}: {message}"
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {message}"
        return message


class Terminated(KeyboardInterrupt):
    """SIGTERM during training (a batch scheduler's time limit, ``kill``, ``timeout``): stops
    the run as Ctrl-C does (``core.train_cli``), so that the checkpoint is kept and the way to
    resume is said; the command exits with 143 (128 + 15), as the signal would."""


def main(argv: Sequence[str] | None = None) -> int:
    try:  # (the commands' modules are imported here: Ctrl-C in that second is no traceback)
        parser = build_parser()
        args, unknown = parser.parse_known_args(argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if unknown:  # said by the command's parser: its usage lines name its flags (the top
        # parser's named only the commands, under a typo of a train flag)
        commands = next(
            (a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)),
            {},
        )
        owner = commands.get(getattr(args, "command", None), parser)
        owner.error(f"unrecognized arguments: {' '.join(unknown)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MessageFormatter(verbose=bool(args.verbose)))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler])
    try:
        return int(args.func(args) or 0)
    except CoreError as exc:
        print(f"error: {command_line_words(str(exc), exc.fix)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if isinstance(exc, Terminated):
            print("terminated (SIGTERM)", file=sys.stderr)
            return 143
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file system failure no check foresaw (disk full, permissions)
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except (MemoryError, RuntimeError) as exc:
        message = memory_message(exc, getattr(args, "command", None))
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2


#: What needs less memory, by command.
_LESS_MEMORY = {
    "train": "a smaller --gene-dim or --hidden, or fewer genes (--top-genes), need less",
}


def memory_message(exc: BaseException, command: str | None = None) -> str | None:
    """The one line that says a failure to allocate memory (numpy's MemoryError, torch's
    RuntimeError of the CPU allocator or of the GPU), or None for any other error: a network
    of --gene-dim 10**9 ended in torch's traceback."""
    text = str(exc)
    if not (
        isinstance(exc, MemoryError)
        or "can't allocate memory" in text
        or "out of memory" in text.lower()
    ):
        return None
    asked = re.search(r"allocate (\d+) bytes", text) or re.search(
        r"allocate ([\d.]+ [KMGTP]?i?B)", text
    )
    size = ""
    if asked:
        size = asked.group(1)
        if size.isdigit():
            size = f"{int(size) / 2**30:,.1f} GiB"
        size = f" (an allocation of {size} failed)"
    hint = _LESS_MEMORY.get(command or "")
    return f"not enough memory{size}" + (f"; {hint}" if hint else "")
