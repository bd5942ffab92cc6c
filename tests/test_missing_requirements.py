"""A Python without the requirements installed: one line that says how to set up, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.errors import missing_package_line

from .conftest import REPO

#: Run ``python -m core ARGS`` or ``python app.py ARGS`` with ``pandas`` not importable, as in
#: a Python where the requirements were never installed.
WITHOUT_PANDAS = """
import runpy, sys
sys.modules["pandas"] = None  # `import pandas` now raises ModuleNotFoundError
sys.argv = [{script!r}, *{args!r}]
{run}
"""

RUN_CORE = "runpy.run_module('core', run_name='__main__', alter_sys=True)"
RUN_APP = "runpy.run_path('app.py', run_name='__main__')"


def run_without_pandas(script: str, run: str, args=("--help",)) -> subprocess.CompletedProcess:
    code = WITHOUT_PANDAS.format(script=script, run=run, args=[str(a) for a in args])
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("script", "run", "args"),
    [
        ("core", RUN_CORE, ["train", "--matrix", "{tmp}/m.csv", "--out", "{tmp}/model"]),
        ("app.py", RUN_APP, ["--matrix", "{tmp}/m.csv"]),
    ],
)
def test_entry_points_say_how_to_set_up_when_a_requirement_is_missing(script, run, args, tmp_path):
    (tmp_path / "m.csv").write_text("gene,s1\nTP53,1\n")
    result = run_without_pandas(script, run, [a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the Python package 'pandas' is not installed")
    assert "pip install -r requirements.txt" in lines[0]


def test_app_help_is_said_without_loading_pandas():
    """``python app.py --help`` loaded the page's modules, pandas among them (0.7 s), before
    the command line was read; it is said without them, and needs no pandas."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['app.py', '--help']\n"
        "try:\n"
        "    runpy.run_path('app.py', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code, 'pandas' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert "usage: python app.py" in result.stdout, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "exit 0 False", result.stdout[-300:]
    # without pandas at all, the help is said as well
    result = run_without_pandas("app.py", RUN_APP)
    assert result.returncode == 0 and "usage: python app.py" in result.stdout, result.stderr


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
