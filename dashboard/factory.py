"""Build the Dash app for one dataset: :func:`create_app`."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from core.errors import CoreError
from dashboard.context import AppContext, DashboardConfig
from dashboard.figures import SIMULATED_LABEL

log = logging.getLogger(__name__)

#: The browser tab's title (``SIMULATED DATA · `` first for simulated data).
TITLE = "Factorized embeddings explorer"

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def use_fork_safe_threads() -> None:
    """Make numba (UMAP, pynndescent) run its parallel code on a threading layer that survives
    ``fork()``, unless ``NUMBA_THREADING_LAYER`` is set already.

    Background jobs (the baseline maps, training) run in processes forked from the app. Numba's
    default layer on Linux is GNU OpenMP: a process forked after the app used it (the UMAP of
    the gene layout, on a first start) is killed at its first parallel region ("Terminating:
    fork() called from a process already using GNU OpenMP"), and the page waited on the job's
    last progress message for ever. ``forksafe`` is TBB when installed, else numba's workqueue.
    Called before the app does any numba work (the layer is fixed at its first use).
    """
    if os.environ.get("NUMBA_THREADING_LAYER"):
        return
    os.environ["NUMBA_THREADING_LAYER"] = "forksafe"
    if "numba" in sys.modules:  # numba read its settings on import: read them again
        from numba.core import config

        config.reload_config()


def create_app(es: Any, config: DashboardConfig | None = None) -> Any:
    """The dashboard for ``es`` (a :class:`core.data.ExpressionSet`).

    Parameters
    ----------
    es
        The dataset shown (values (n_samples, n_genes), sample and gene annotations).
    config
        Cache directory, model directory or the settings of the model to train.

    Returns
    -------
    dash.Dash
        With ``app.fe_context`` (the :class:`~dashboard.context.AppContext`) and ``app.server``
        (the Flask app, for gunicorn). Background jobs run on :func:`jobs_manager` (Dash's
        ``DiskcacheManager``, its store one file per entry in ``<cache_dir>/jobs``).
    """
    from dash import Dash

    from dashboard import baselines, export, gene_space, placement, sample_map, selection, status
    from dashboard.jobs_store import server_torch_threads
    from dashboard.layout import build_layout

    use_fork_safe_threads()
    server_torch_threads()  # before any torch work of the server (its jobs are forked)
    context = AppContext(es, config)
    try:
        context.cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, a read-only disk: said, not a traceback
        raise CoreError(
            f"cannot use the cache directory {context.cache_dir}: {exc.strerror or exc}; give "
            "another with --cache-dir (or FE_CACHE_DIR)"
        ) from None
    app = Dash(
        __name__,
        # the browser's tab, its bookmarks and history say it too (not only the page)
        title=f"{SIMULATED_LABEL} · {TITLE}" if context.simulated else TITLE,
        assets_folder=str(ASSETS),
        background_callback_manager=jobs_manager(context.cache_dir),
        update_title=None,
    )
    app.fe_context = context
    app.layout = build_layout(context)
    for module in (status, sample_map, gene_space, selection, baselines, export, placement):
        module.register_callbacks(app)

    @app.server.route("/healthz")
    def healthz() -> tuple[str, int]:
        return ("ready" if context.model_ready_on_disk() else "training"), 200

    if context.model_ready_on_disk():
        if context.config.join_models:  # models that cannot be joined are the user's flag: said now
            context.state()  # (as the page would, with both maps waiting for ever)
        warm_up(context)
    log.info("dashboard for %s (%d x %d)", context.name, context.n_samples, context.n_genes)
    return app


def jobs_manager(cache_dir: str | os.PathLike[str]) -> Any:
    """The manager of the app's background jobs: Dash's ``DiskcacheManager``, its progress and
    results kept one file per entry in ``<cache_dir>/jobs`` (:mod:`dashboard.jobs_store`).

    Jobs are forked from the server; what they write is read by the server's threads, by other
    worker processes, and by the next server when it restarts while a job runs. In SQLite
    (``diskcache``) it was lost in the last case: a job forked from a request thread inherited
    SQLite's per-process lock state and held none of the file locks it believed it held.

    Parameters
    ----------
    cache_dir
        The app's cache directory.

    Returns
    -------
    dashboard.jobs_store.JobsManager
    """
    from dashboard.jobs_store import JobsManager

    return JobsManager(Path(cache_dir) / "jobs")


def warm_up(context: AppContext) -> None:
    """Load the stored model and the GO tables before the first request."""
    import time

    t0 = time.perf_counter()
    # (with --join-models the model was loaded before, and its time said then)
    what = (
        "annotations" if getattr(context, "_state", None) is not None else "model and annotations"
    )
    try:
        context.state()
        context.gene_table()
        context.enricher()
        context.go_terms_of(list(context.gene_symbols[:1]))
    except CoreError as exc:  # shown in the page by the status callback
        log.warning("warm-up: %s", exc)
        return
    finally:
        release_free_memory()
    log.info("%s loaded in %.1f s", what, time.perf_counter() - t0)


def release_free_memory() -> None:
    """Give the memory freed while the app loaded back to the system (glibc's ``malloc_trim``).

    Reading the data, the model and GO frees much of what it allocated, but glibc keeps the
    freed pages of its heap, counted in the server's resident memory for as long as it serves
    (about 30 MB on the GTEx 26-tissue set and on the demo, tests/benchmarks/RESULTS.md).
    Nothing where the C library has no ``malloc_trim`` (macOS, musl, Windows).
    """
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return
    trim(0)
