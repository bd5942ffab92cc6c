"""Exceptions raised for bad input; the CLI and dashboard show their message, never a traceback."""

from __future__ import annotations


class CoreError(Exception):
    """Base class: the message names the file/argument and the problem, in words a user reads."""


class DataError(CoreError, ValueError):
    """A data file or table is missing, malformed or inconsistent."""


class ModelError(CoreError, ValueError):
    """A model directory or model parameter is missing, malformed or incompatible."""
