"""Command line and environment of the dashboard (used by ``app.py``).

``python app.py [data flags] [--model DIR] [--host H] [--port P] ...`` reads its settings from
the command line; ``gunicorn app:server`` (which passes no arguments to the app) reads the same
settings from ``FE_*`` environment variables, see :data:`ENV_FLAGS`.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from core.errors import CoreError

log = logging.getLogger(__name__)

#: Environment variable -> command-line flag (flags without value: "1"/"true" turns them on).
ENV_FLAGS: dict[str, str] = {
    "FE_GTEX_GCT": "--gtex-gct",
    "FE_GTEX_ATTRIBUTES": "--gtex-attributes",
    "FE_GTEX_PHENOTYPES": "--gtex-phenotypes",
    "FE_EXCLUDE_TISSUES": "--exclude-tissues",  # comma-separated
    "FE_MATRIX": "--matrix",
    "FE_ANNOTATIONS": "--annotations",
    "FE_TRANSFORM": "--transform",
    "FE_ORIENTATION": "--orientation",  # genes-in-rows or samples-in-rows
    "FE_TEXT_VALUES": "--text-values",  # refuse or missing
    "FE_ANNOTATION_COLUMNS": "--annotation-columns",  # comma-separated, as the flag
    "FE_MODEL": "--model",
    "FE_JOIN_MODELS": "--join-models",  # comma-separated
    "FE_CACHE_DIR": "--cache-dir",
    "FE_DEMO_SAMPLES": "--demo-samples",
    "FE_DEMO_GENES": "--demo-genes",
    "FE_DEMO_TISSUES": "--demo-tissues",
    "FE_EPOCHS": "--epochs",
    "FE_GENE_DIM": "--gene-dim",
    "FE_HIDDEN": "--hidden",
    "FE_SEED": "--seed",
    "FE_INIT": "--init",
    "FE_DEVICE": "--device",
    "FE_MIN_DETECTION": "--min-detection",
    "FE_TOP_GENES": "--top-genes",
    "FE_STANDIN": "--standin",
    "FE_GENE_LAYOUT": "--gene-layout",
    "FE_GO_GAF": "--go-gaf",
    "FE_GO_OBO": "--go-obo",
    "FE_GO_EXCLUDE_EVIDENCE": "--go-exclude-evidence",
}
_SWITCHES = {"--standin"}

#: Settings of the demo model: sized so that the first start is ready within about 2 minutes
#: on a 2-core CPU (the page states them). Measured on 8,000 x 2,000 with the default model
#: (neighbour-graph regulariser, grid searches after epochs 1 and 2): 3 epochs train in 42 s and
#: give 1-NN tissue accuracy 0.90-0.92 from 2% labels, by seed (the pure reconstruction
#: objective: 0.88); the whole first start (simulate, train, gene UMAP, and then a decoding of
#: the whole matrix, since dropped) took 62 s (tests/benchmarks/RESULTS.md).
DEMO_EPOCHS = 3


def build_parser() -> argparse.ArgumentParser:
    from core.cli import add_data_arguments

    p = argparse.ArgumentParser(
        prog="python app.py",
        description="Factorized embeddings explorer: linked sample map and gene space. "
        "With no data flags it serves a simulated GTEx-like demo set.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1: this machine only; 0.0.0.0 for others)",
    )
    p.add_argument("--port", type=_port, default=8050, help="port to serve on (default 8050)")
    p.add_argument(
        "--debug", action="store_true", help="Dash debug mode (error details in the page)"
    )
    add_data_arguments(p)
    p.add_argument("--model", metavar="DIR", help="a trained model directory (nothing is trained)")
    p.add_argument(
        "--join-models",
        nargs="+",
        metavar="DIR",
        default=(),
        help="other models of the same genes (e.g. trained with other seeds): the gene space "
        "joins them with the model shown, so neighbourhoods do not hang on one run",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=None,
        help="where models and results are kept (default $FE_CACHE_DIR or ./cache)",
    )
    demo = p.add_argument_group("demo dataset (simulated, used when no data flag is given)")
    demo.add_argument("--demo-samples", type=int, default=8000, help="samples (default 8000)")
    demo.add_argument(
        "--demo-genes", type=int, default=2000, help="genes, real symbols (default 2000)"
    )
    demo.add_argument("--demo-tissues", type=int, default=28, help="tissues (default 28)")
    model = p.add_argument_group("model trained when --model is not given")
    model.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"passes over the matrix (demo default {DEMO_EPOCHS})",
    )
    model.add_argument(
        "--gene-dim",
        type=int,
        default=None,
        help="size of the gene vectors (default 50; 16 for --standin)",
    )
    model.add_argument("--hidden", default=None, help="hidden sizes, e.g. 100,50,50")
    model.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    model.add_argument(
        "--init",
        default=None,
        choices=["pca", "random"],
        help="start of the sample map and gene vectors (default pca)",
    )
    model.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="where to train (default auto: the GPU when there is one)",
    )
    model.add_argument(
        "--min-detection",
        type=float,
        default=None,
        metavar="FRACTION",
        help="train on genes above 0 in at least this fraction of the samples, e.g. 0.1 "
        "(every gene stays browsable by its values)",
    )
    model.add_argument(
        "--top-genes",
        type=int,
        default=None,
        metavar="N",
        help="train on the N most variable genes (after --min-detection), e.g. 5000 for "
        "the full GTEx matrix on a CPU",
    )
    model.add_argument(
        "--gene-layout",
        default="umap",
        choices=["umap", "pca"],
        help="2-D layout of the gene vectors (umap; pca is instant)",
    )
    model.add_argument(
        "--standin",
        action="store_true",
        help="a linear PCA stand-in instead of the network (quick checks)",
    )
    go = p.add_argument_group("Gene Ontology (default: the bundled snapshot, all evidence)")
    go.add_argument("--go-gaf", metavar="F", default=None, help="GO annotations (GAF 2.x)")
    go.add_argument("--go-obo", metavar="F", default=None, help="GO ontology for --go-gaf (OBO)")
    go.add_argument(
        "--go-exclude-evidence",
        metavar="CODES",
        default="",
        help="evidence codes to leave out, comma-separated (e.g. IEA,ND)",
    )
    return p


def argv_from_env(environ: Mapping[str, str]) -> list[str]:
    """Command-line arguments equivalent to the ``FE_*`` variables of ``environ``."""
    argv: list[str] = []
    for var, flag in ENV_FLAGS.items():
        value = environ.get(var)
        if value is None or value == "":
            continue
        if flag in _SWITCHES:
            if value.strip().lower() in ("1", "true", "yes", "on"):
                argv.append(flag)
        elif flag in ("--exclude-tissues", "--join-models"):
            argv += [flag, *[t.strip() for t in value.split(",") if t.strip()]]
        else:
            argv += [flag, value]
    return argv


def _hidden(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        sizes = tuple(int(t) for t in text.replace("x", ",").split(",") if t.strip())
    except ValueError:
        raise CoreError(f"--hidden {text!r}: give layer sizes like 100,50,50") from None
    if not sizes or min(sizes) < 1:
        raise CoreError(f"--hidden {text!r}: sizes must be positive integers")
    return sizes


def load_dataset(args: argparse.Namespace) -> Any:
    """The dataset the arguments describe (the simulated demo when no data flag is given)."""
    from core.cli import has_data_arguments, load_data_from_args

    if has_data_arguments(args):
        return load_data_from_args(args)
    if args.model:
        from core.data import load_source
        from dashboard.model_state import load_model

        model = load_model(Path(args.model))
        source = getattr(model, "data_source_", None)
        if not source:
            raise CoreError(
                f"--model {args.model}: the model does not record its training data; "
                "give the data flags (--gtex-gct ... or --matrix ...)"
            )
        return load_source(source, expected_samples=model.sample_ids_)
    from core.simulate import simulate_gtex_like

    return simulate_gtex_like(
        n_samples=args.demo_samples,
        n_genes=args.demo_genes,
        n_tissues=args.demo_tissues,
        seed=args.seed,
    )


def config_from_args(args: argparse.Namespace, demo: bool) -> Any:
    from core.cache import default_cache_dir
    from dashboard.context import DashboardConfig, ModelSettings

    epochs = args.epochs if args.epochs is not None else (DEMO_EPOCHS if demo else None)
    settings = ModelSettings(
        gene_dim=args.gene_dim,
        hidden=_hidden(args.hidden),
        epochs=epochs,
        init=args.init if args.init is not None else ("pca" if demo else None),
        seed=args.seed,
        device=args.device,
        standin=bool(args.standin),
        min_detection=args.min_detection,
        top_genes=args.top_genes,
    )
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    return DashboardConfig(
        cache_dir=cache,
        model_dir=Path(args.model) if args.model else None,
        settings=settings,
        gene_layout=args.gene_layout,
        go_gaf=Path(args.go_gaf) if args.go_gaf else None,
        go_obo=Path(args.go_obo) if args.go_obo else None,
        go_exclude_evidence=tuple(c for c in args.go_exclude_evidence.split(",") if c.strip()),
        join_models=tuple(Path(p) for p in args.join_models),
    )


#: Settings of the model the dashboard trains; meaningless with --model (flag, attribute).
_TRAINING_FLAGS = (
    ("--epochs", "epochs"),
    ("--gene-dim", "gene_dim"),
    ("--hidden", "hidden"),
    ("--init", "init"),
    ("--min-detection", "min_detection"),
    ("--top-genes", "top_genes"),
    ("--standin", "standin"),
)


def _check_no_training_flags(args: argparse.Namespace) -> None:
    given = [flag for flag, name in _TRAINING_FLAGS if getattr(args, name) not in (None, False)]
    if given:
        raise CoreError(
            f"{', '.join(given)} set{'s' if len(given) == 1 else ''} how the dashboard trains "
            f"a model, but --model {args.model} is already trained: leave "
            f"{'it' if len(given) == 1 else 'them'} out, or train with `python -m core train` "
            "and these flags"
        )


def _port(text: str) -> int:
    """A TCP port, 1 to 65535 (argparse's type: its error names the flag)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1 to 65535)")
    return port


def _check_debug_host(host: str, debug: bool) -> None:
    """A CoreError for ``--debug`` on an address other machines reach: Dash's debug mode
    serves Werkzeug's debugger, which runs any Python typed into an error page, so anyone
    who reached the port could run code on this machine."""
    if not debug:
        return
    name = str(host).strip().strip("[]")
    if name.lower() == "localhost":
        return
    try:
        if ipaddress.ip_address(name).is_loopback:
            return
    except ValueError:
        pass
    raise CoreError(
        f"--debug with --host {host}: debug mode lets anyone who reaches the port run code on "
        "this machine (through the debugger of its error pages); use --debug only with "
        "--host 127.0.0.1"
    )


def app_from_args(argv: Sequence[str] | None) -> tuple[Any, argparse.Namespace]:
    """Parse ``argv`` and build the app -> (app, args). Raises CoreError on bad input."""
    from core.cli import has_data_arguments

    args = build_parser().parse_args(argv)  # (--help: said before the page's modules load)
    _check_debug_host(args.host, args.debug)
    from dashboard.factory import create_app

    if args.model:
        _check_no_training_flags(args)
    demo = not has_data_arguments(args) and not args.model
    config = config_from_args(args, demo)  # settings are checked before any data is read
    return create_app(load_dataset(args), config), args


def app_from_env(environ: Mapping[str, str] | None = None) -> Any:
    """The app configured by ``FE_*`` environment variables (for ``gunicorn app:server``)."""
    environ = os.environ if environ is None else environ
    app, _ = app_from_args(argv_from_env(environ))
    return app


def running_jobs_line() -> str | None:
    """What a stopped server waits for before its process exits: its background jobs still
    running, with their process ids and how to stop them; None when there is none.

    A SIGINT sent to the server alone (``kill -INT``, not Ctrl-C in its terminal, which reaches
    the jobs too) leaves its jobs running, and the process waited for a training job, tens of
    minutes on a large matrix, without a word.
    """
    from multiprocess import active_children  # (the process library of Dash's jobs)

    jobs = active_children()
    if not jobs:
        return None
    pids = ", ".join(str(p.pid) for p in jobs)
    return (
        f"the server stopped; waiting for {len(jobs)} background job(s) to end (process "
        f"{pids}: training, placing or baseline maps; a model in training is kept when it "
        f"ends). To stop them now: Ctrl-C again, or kill {pids.replace(',', '')}"
    )
