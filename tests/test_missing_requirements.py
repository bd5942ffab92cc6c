"""A Python without the requirements installed: one line that says how to set up, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.errors import missing_package_line

from .conftest import REPO

#: Run ``python -m core --help`` or ``python app.py --help`` with ``pandas`` not importable, as
#: in a Python where the requirements were never installed.
WITHOUT_PANDAS = """
import runpy, sys
sys.modules["pandas"] = None  # `import pandas` now raises ModuleNotFoundError
sys.argv = [{script!r}, "--help"]
{run}
"""


def run_without_pandas(script: str, run: str) -> subprocess.CompletedProcess:
    code = WITHOUT_PANDAS.format(script=script, run=run)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("script", "run"),
    [
        ("core", "runpy.run_module('core', run_name='__main__', alter_sys=True)"),
        ("app.py", "runpy.run_path('app.py', run_name='__main__')"),
    ],
)
def test_entry_points_say_how_to_set_up_when_a_requirement_is_missing(script, run):
    result = run_without_pandas(script, run)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the Python package 'pandas' is not installed")
    assert "pip install -r requirements.txt" in lines[0]


def test_missing_package_line_names_the_package_to_install():
    missing = ModuleNotFoundError("No module named 'sklearn.neighbors'", name="sklearn.neighbors")
    line = missing_package_line(missing, "/usr/bin/python3")
    assert "'scikit-learn'" in line and "/usr/bin/python3" in line


def test_a_missing_module_of_the_project_itself_is_not_called_a_setup_problem():
    missing = ModuleNotFoundError("No module named 'core.nothing'", name="core.nothing")
    assert missing_package_line(missing, sys.executable) is None
    assert missing_package_line(ModuleNotFoundError("no name"), sys.executable) is None


def test_a_standard_module_missing_is_not_called_a_requirement():
    """A Python built without liblzma lacks ``_lzma``: installing the requirements does not
    help, so the line does not say to."""
    line = missing_package_line(ModuleNotFoundError("No module named '_lzma'", name="_lzma"), "py")
    assert "standard module '_lzma'" in line and "requirements.txt" not in line
