"""Static figures (SVG / PDF / PNG) rendered by kaleido driving a headless Chromium.

Starting Chromium costs several seconds, so a dashboard keeps one open for all its exports
(:class:`ImageRenderer`, one per :class:`dashboard.context.AppContext`), started on the first
export and closed when the renderer is closed or garbage-collected, or when Python exits.

The browser is ``BROWSER_PATH`` or, when unset, the first of chromium, chromium-browser and
google-chrome on the ``PATH`` (:func:`browser_path`), handed to kaleido; the environment is not
changed. Kaleido's page loads MathJax from a CDN unless told not to (:data:`KALEIDO_OPTIONS`):
no figure here uses LaTeX, and nothing is fetched from the network.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import threading
import time
import weakref
from typing import Any

from core.errors import CoreError, DataError

log = logging.getLogger(__name__)

FORMATS = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png"}

#: Options of every kaleido browser: no MathJax (kaleido's default fetches it from cdnjs for
#: each page it opens).
KALEIDO_OPTIONS: dict[str, Any] = {"mathjax": False}


def kaleido_options(path: str | None) -> dict[str, Any]:
    """Kaleido's options for a browser at ``path`` (None: kaleido searches for one)."""
    return {**KALEIDO_OPTIONS, **({"path": path} if path else {})}


def browser_path() -> str | None:
    """The Chromium kaleido will drive (``BROWSER_PATH`` or chromium on the PATH)."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _prepare(
    fig: Any, fmt: str, width: int, height: int, scale: float
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The browser's path, the figure's dict and kaleido's options for one export (a format
    that is not known, or no browser, is an error)."""
    if fmt not in FORMATS:
        raise DataError(f"unknown export format {fmt!r} (svg, pdf or png)")
    path = browser_path()
    if path is None:
        raise CoreError("no Chromium found for the export: install chromium or set BROWSER_PATH")
    spec = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else dict(fig)
    opts = {"format": fmt, "width": int(width), "height": int(height), "scale": float(scale)}
    return path, spec, opts


def render_image(fig: Any, fmt: str, width: int, height: int, scale: float) -> bytes:
    """Bytes of ``fig`` as ``fmt`` (svg, pdf, png), in a Chromium started for this one figure.

    :meth:`ImageRenderer.render` does the same with a browser kept open between figures.

    Raises
    ------
    DataError
        Unknown format.
    CoreError
        No browser, or kaleido failed (the message says which).
    """
    path, spec, opts = _prepare(fig, fmt, width, height, scale)
    import kaleido

    t0 = time.perf_counter()
    try:
        data = kaleido.calc_fig_sync(spec, opts=opts, kopts=kaleido_options(path))
    except Exception as exc:  # noqa: BLE001 - kaleido raises several kinds
        raise CoreError(f"the figure export failed ({type(exc).__name__}: {exc})") from exc
    log.info("exported %s %dx%d in %.1f s", fmt, width, height, time.perf_counter() - t0)
    return data


async def _cancel_pending() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _shutdown(loop: asyncio.AbstractEventLoop, browser: Any, thread: threading.Thread) -> None:
    """Close the browser, stop the loop and join its thread (each step bounded in time)."""
    if browser is not None and loop.is_running():
        try:
            asyncio.run_coroutine_threadsafe(browser.close(), loop).result(timeout=10)
        except Exception as exc:  # noqa: BLE001 - best effort at shutdown
            log.debug("closing the export browser: %s", exc)
    if loop.is_running():
        try:  # the browser's watchdog and other leftovers, so that the loop closes cleanly
            asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(timeout=5)
        except Exception as exc:  # noqa: BLE001 - best effort at shutdown
            log.debug("cancelling export tasks: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    if not thread.is_alive():
        loop.close()


class ImageRenderer:
    """One Chromium, kept open, renders every exported figure (thread-safe, one at a time).

    Parameters
    ----------
    timeout
        Seconds allowed for starting the browser and for each figure; past them the export
        fails with a :class:`CoreError` and the browser is restarted on the next export.

    Examples
    --------
    >>> renderer = ImageRenderer()
    >>> svg = renderer.render(fig, "svg", 800, 600, 1)  # doctest: +SKIP
    >>> renderer.close()
    """

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._browser: Any = None
        self._finalizer: weakref.finalize | None = None

    @property
    def running(self) -> bool:
        """Whether a browser is open."""
        return self._browser is not None

    def _start(self, path: str) -> None:
        import kaleido

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="figure-export", daemon=True)
        thread.start()
        t0 = time.perf_counter()
        browser = None
        try:
            browser = kaleido.Kaleido(n=1, timeout=self.timeout, **kaleido_options(path))
            asyncio.run_coroutine_threadsafe(browser.open(), loop).result(self.timeout)
        except Exception as exc:  # noqa: BLE001 - choreographer raises several kinds
            _shutdown(loop, browser, thread)  # a browser that started too slowly is closed too
            raise CoreError(
                f"could not start Chromium for the export ({type(exc).__name__}: {exc})"
            ) from exc
        self._loop, self._browser = loop, browser
        self._finalizer = weakref.finalize(self, _shutdown, loop, browser, thread)
        log.info("export browser started in %.1f s", time.perf_counter() - t0)

    def render(self, fig: Any, fmt: str, width: int, height: int, scale: float) -> bytes:
        """Bytes of ``fig`` (a plotly figure or its dict) as ``fmt`` (svg, pdf, png).

        Raises
        ------
        DataError
            Unknown format.
        CoreError
            No browser, or kaleido failed or ran past ``timeout`` (the message says which).
        """
        path, spec, opts = _prepare(fig, fmt, width, height, scale)
        with self._lock:
            if self._browser is None:
                self._start(path)
            t0 = time.perf_counter()
            future = asyncio.run_coroutine_threadsafe(
                self._browser.calc_fig(spec, opts=opts), self._loop
            )
            try:
                data = future.result(self.timeout)
            except Exception as exc:  # noqa: BLE001 - kaleido raises several kinds
                future.cancel()
                self._close_locked()
                raise CoreError(f"the figure export failed ({type(exc).__name__}: {exc})") from exc
        log.info("exported %s %dx%d in %.2f s", fmt, width, height, time.perf_counter() - t0)
        return data

    def _close_locked(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _shutdown once
        self._loop = self._browser = self._finalizer = None

    def close(self) -> None:
        """Close the browser (a later :meth:`render` starts a new one)."""
        with self._lock:
            self._close_locked()
