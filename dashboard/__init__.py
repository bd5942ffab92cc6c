"""Dash UI of the factorized-embeddings explorer (layout, ids, figure builders, callbacks).

Build an app with :func:`dashboard.factory.create_app`; ``app.py`` is the entry point.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """See :func:`dashboard.factory.create_app`."""
    from dashboard.factory import create_app as _create_app

    return _create_app(*args, **kwargs)
