"""Running ``python -m core ...`` inside a test, as a user's shell would."""

from __future__ import annotations

from core.cli import main

#: The smallest network the command line trains in a test: 16 hidden units, 4-D gene vectors.
TINY = ["--hidden", "16", "--gene-dim", "4"]


def run_cli(args, capsys) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``python -m core ARGS`` (``capsys``: pytest's)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
