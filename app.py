"""Factorized embeddings explorer: the dashboard's entry point.

Development server::

    python app.py                                   # simulated GTEx-like demo on 127.0.0.1:8050
    python app.py --gtex-gct F --gtex-attributes F [--gtex-phenotypes F]
    python app.py --matrix F [--annotations F]
    python app.py --model DIR [data flags]          # a model trained by `python -m core train`
    python app.py --gtex-gct F ... --top-genes 5000 # train on the 5,000 most variable genes
    python app.py --model M0 --join-models M1 M2    # gene space of three runs joined
    python app.py --host 0.0.0.0 --port 8080 --cache-dir /var/cache/fe

The first start on a dataset trains the model in a background job (progress bar in the page)
and keeps it under the cache directory; later starts load it in seconds.

Production (several worker processes share the cache directory)::

    FE_GTEX_GCT=... FE_GTEX_ATTRIBUTES=... FE_CACHE_DIR=/var/cache/fe \\
        gunicorn --workers 2 --timeout 120 --bind 0.0.0.0:8050 app:server

gunicorn passes no arguments to the app, so it reads these environment variables (each stands
for the command-line flag of the same name):

======================  ==========================================================================
FE_GTEX_GCT             GTEx GCT matrix (``--gtex-gct``)
FE_GTEX_ATTRIBUTES      GTEx SampleAttributesDS (``--gtex-attributes``)
FE_GTEX_PHENOTYPES      GTEx SubjectPhenotypesDS (``--gtex-phenotypes``)
FE_EXCLUDE_TISSUES      comma-separated SMTS tissues to drop (``--exclude-tissues``)
FE_MATRIX               CSV/TSV(.gz)/parquet/GCT/h5ad matrix (``--matrix``)
FE_ANNOTATIONS          sample annotation table (``--annotations``)
FE_TRANSFORM            log10p1, log2p1 or none (``--transform``)
FE_ORIENTATION          genes-in-rows or samples-in-rows, where ids do not tell (``--orientation``)
FE_TEXT_VALUES          missing: read text among the numbers as missing (``--text-values``)
FE_ANNOTATION_COLUMNS   matrix columns that are sample annotations (``--annotation-columns``)
FE_MODEL                trained model directory (``--model``)
FE_JOIN_MODELS          comma-separated models of the same genes, joined (``--join-models``)
FE_CACHE_DIR            cache directory (``--cache-dir``; default ./cache)
FE_DEMO_SAMPLES         demo size: samples (``--demo-samples``; default 8000)
FE_DEMO_GENES           demo size: genes (``--demo-genes``; default 2000)
FE_DEMO_TISSUES         demo size: broad tissues (``--demo-tissues``; default 28)
FE_EPOCHS               training epochs (``--epochs``)
FE_GENE_DIM             gene embedding size (``--gene-dim``)
FE_HIDDEN               hidden layer sizes, e.g. 100,50,50 (``--hidden``)
FE_SEED                 seed (``--seed``)
FE_INIT                 pca or random start of the sample map and gene vectors (``--init``)
FE_DEVICE               auto, cpu or cuda (``--device``)
FE_MIN_DETECTION        train on genes above 0 in this fraction of samples (``--min-detection``)
FE_TOP_GENES            train on the N most variable genes (``--top-genes``)
FE_STANDIN              1: linear PCA stand-in instead of the network (``--standin``)
FE_GENE_LAYOUT          umap (default) or pca: 2-D layout of the gene vectors (``--gene-layout``)
FE_GO_GAF, FE_GO_OBO    GO GAF / OBO instead of the bundled snapshot (``--go-gaf``, ``--go-obo``)
FE_GO_EXCLUDE_EVIDENCE  GO evidence codes to leave out, e.g. IEA,ND (``--go-exclude-evidence``)
BROWSER_PATH            Chromium used by kaleido for PDF/SVG/PNG export (default: chromium on PATH)
======================  ==========================================================================
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from core.errors import CoreError, missing_package_line


def _flag_words(message: str, fix: tuple[str, ...] | None) -> str:
    """``message`` with the option that mends its problem worded as this command's flag
    (:func:`core.cli.command_line_words`; imported here, after the requirements' check)."""
    if not fix:
        return message
    from core.cli import command_line_words

    return command_line_words(message, fix)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the development server; returns the exit status (2 with a message on bad input).

    ``FE_*`` environment variables give defaults; command-line flags override them.
    """
    import os

    class FlagWords(logging.Formatter):
        """Log lines with the option that mends a problem worded as this command's flag
        (``--text-values missing``; the library words it as the Python argument)."""

        def format(self, record: logging.LogRecord) -> str:
            return _flag_words(super().format(record), getattr(record, "fix", None))

    handler = logging.StreamHandler()
    handler.setFormatter(FlagWords("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    from dashboard.entry import app_from_args, argv_from_env, running_jobs_line

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        dash_app, args = app_from_args(argv_from_env(os.environ) + argv)
    except CoreError as exc:  # (the option that mends it worded as this command's flag)
        print(f"error: {_flag_words(str(exc), exc.fix)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a requirement not installed in this Python
        line = missing_package_line(exc, sys.executable)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 2
    dash_app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False)
    line = running_jobs_line()  # (they are waited for before the process exits)
    if line:
        print(line, file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
else:  # imported, e.g. by `gunicorn app:server`: configured by FE_* environment variables
    from dashboard.entry import app_from_env

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = app_from_env()
    server = app.server
