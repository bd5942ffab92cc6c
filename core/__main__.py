"""`python -m core ...`: see :mod:`core.cli`."""

from __future__ import annotations

import logging
import os
import sys

if __name__ == "__main__":
    from core.errors import missing_package_line

    # numpy and the command line's modules load here, and the command runs (it says its own
    # errors): Ctrl-C while they load, or a requirement missing, is one line, not a traceback
    try:
        from core.cli import main

        code = main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except ModuleNotFoundError as exc:  # a requirement not installed in this Python
        line = missing_package_line(exc, sys.executable)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        sys.exit(2)
    if code:
        # The error is said and nothing is left to write (outputs are replaced whole): leave
        # at once. At the interpreter's exit, a native library's worker threads were seen to
        # abort the process under load ("terminate called without an active exception",
        # exit 134), which hid the exit status that scripts check.
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)
