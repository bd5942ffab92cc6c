"""Exceptions raised for bad input; the CLI and dashboard show their message, never a traceback."""

from __future__ import annotations

from itertools import islice


class CoreError(Exception):
    """Base class: the message names the file/argument and the problem, in words a user reads."""


class DataError(CoreError, ValueError):
    """A data file or table is missing, malformed or inconsistent."""


class ModelError(CoreError, ValueError):
    """A model directory or model parameter is missing, malformed or incompatible."""


def first_names(names, limit: int = 5) -> str:
    """The first ``limit`` of ``names``, comma-separated, with ", ..." when there are more: how
    messages name a few of many samples or genes."""
    shown = [str(name) for name in islice(names, limit + 1)]
    return ", ".join(shown[:limit]) + (", ..." if len(shown) > limit else "")
