"""Exceptions raised for bad input; the CLI and dashboard show their message, never a traceback."""

from __future__ import annotations

import sys
from itertools import islice


class CoreError(Exception):
    """Base class: the message names the file/argument and the problem, in words a user reads.

    ``fix``: the option that mends the problem, as ``(argument, value)`` (``("text_values",
    "missing")``), or ``(argument, value, other value, ...)`` where the message offers several
    of its values, when the message names one; the message words each as the Python argument
    (:func:`argument_words`), and the command line words each as its flag instead."""

    fix: tuple[str, ...] | None = None


class DataError(CoreError, ValueError):
    """A data file or table is missing, malformed or inconsistent."""


class ModelError(CoreError, ValueError):
    """A model directory or model parameter is missing, malformed or incompatible."""


def first_names(names, limit: int = 5) -> str:
    """The first ``limit`` of ``names``, comma-separated, with ", ..." when there are more: how
    messages name a few of many samples or genes."""
    shown = [str(name) for name in islice(names, limit + 1)]
    return ", ".join(shown[:limit]) + (", ..." if len(shown) > limit else "")


def argument_words(argument: str, value: str) -> str:
    """An option as Python code gives it, as a message names it: ``text_values="missing"``
    (the command line rewords it as its flag: :func:`core.cli.command_line_words`)."""
    return f'{argument}="{value}"'


def with_fix(error: CoreError, argument: str, value: str, *others: str) -> CoreError:
    """``error``, carrying the option that mends it (:attr:`CoreError.fix`): ``argument``
    with ``value``, or with any of ``value`` and ``others`` where the message offers each."""
    error.fix = (argument, value, *others)
    return error


#: Import names whose package is installed under another name (``pip install NAME``).
PACKAGE_NAMES = {"sklearn": "scikit-learn", "umap": "umap-learn", "yaml": "pyyaml"}


def missing_package_line(exc: ModuleNotFoundError, python: str) -> str | None:
    """The one line to show when a required package is not installed in ``python`` (the running
    interpreter's path), or None when the missing module is one of this project's own (a fault
    to be shown in full)."""
    top = (exc.name or "").partition(".")[0]
    if not top or top in {"core", "dashboard", "tests"}:
        return None
    if top in sys.stdlib_module_names:  # (_lzma, _sqlite3: a Python built without them)
        return (
            f"this Python ({python}) lacks its standard module {top!r}: it was built without "
            "it; use a Python 3.11 that has it (Debian's python3 does)"
        )
    package = PACKAGE_NAMES.get(top, top)
    return (
        f"the Python package {package!r} is not installed for {python}: set up first with "
        "`python3 -m venv .venv && .venv/bin/pip install -r requirements.txt`, then run with "
        ".venv/bin/python (README.md, Quick start)"
    )
