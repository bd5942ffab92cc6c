"""README.md's Python example, run as written on the real GTEx v8 files (the 59-gene set): the
only changes are the file names and a short training."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def _python_example() -> str:
    """The code block under README's "### From Python"."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### From Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README.md: no python block under '### From Python'"
    return match.group(1)


def test_readme_python_example_runs_on_real_gtex(gtex_acmg59_files, tmp_path, monkeypatch):
    code = _python_example()
    gct = pd.read_csv(gtex_acmg59_files["gct"], sep="\t", skiprows=2, usecols=range(8))
    new = gct.set_index("Description").drop(columns="Name").T.iloc[:5]  # 5 samples' reads
    new.to_csv(tmp_path / "new_samples.csv", index_label="sample")
    swaps = {
        '"reads.gct.gz"': repr(str(gtex_acmg59_files["gct"])),
        '"SampleAttributesDS.txt"': repr(str(gtex_acmg59_files["attributes"])),
        "FactorizedEmbeddings().fit(es,": "FactorizedEmbeddings(epochs=2).fit(es,",
    }
    for old, replacement in swaps.items():
        assert old in code, f"README's example no longer has {old}: update this test"
        code = code.replace(old, replacement)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own code
    es, fe = scope["es"], scope["fe"]
    assert fe.sample_embedding_.shape == (es.n_samples, 2)
    assert fe.gene_embedding_.shape == (es.n_genes, 50)
    assert not set(es.samples["SMTS"].dropna()) & {"Brain", "Fallopian Tube"}
    placed = fe.transform(scope["new_es"])
    assert placed.shape == (5, 2) and np.isfinite(placed).all()
    assert (tmp_path / "models" / "gtex_py").is_dir()


def test_the_editable_install_holds_every_package():
    """``pip install -e .`` (README) makes ``core`` and ``dashboard`` importable anywhere: every
    package of theirs matches pyproject's list (``core.data`` became a package of its own), and
    the tests are not installed."""
    import fnmatch
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [
        ".".join(p.parent.relative_to(REPO).parts)
        for p in REPO.glob("**/__init__.py")
        if ".venv" not in p.parts and "cache" not in p.parts
    ]
    installed = {p for p in packages if any(fnmatch.fnmatch(p, pattern) for pattern in include)}
    assert {"core", "core.data", "dashboard"} <= installed
    assert installed == {p for p in packages if p.split(".")[0] in ("core", "dashboard")}
    assert "install -e ." in (REPO / "README.md").read_text(encoding="utf-8")
    # the dependencies are requirements.txt's, one pin a line
    assert config["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}


def _parsers() -> dict:
    """``python -m core``'s command parsers and ``app.py``'s, by name."""
    import argparse

    from core.cli import build_parser
    from dashboard.entry import build_parser as build_app_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {**sub.choices, "app.py": build_app_parser()}


def _commands(text: str) -> list[tuple[str, str]]:
    """(command, its line) for each ``python -m core CMD ...`` or ``app.py ...`` in the code
    blocks of ``text`` (lines continued by a backslash joined) and in its inline code."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
    lines = [ln for b in blocks for ln in b.replace("\\\n", " ").splitlines()]
    lines += re.findall(r"`((?:train|evaluate|report|embed|neighbours|export) --[^`]*)`", text)
    found = []
    for line in lines:
        line = line.split("#", 1)[0]
        if m := re.search(r"-m core (\w+)", line):
            found.append((m.group(1), line))
        elif "app.py" in line and "gunicorn" not in line:
            found.append(("app.py", line))
        elif m := re.match(r"(train|evaluate|report|embed|neighbours|export) --", line):
            found.append((m.group(1), line))
    return found


def test_every_flag_the_readmes_show_is_the_commands_own():
    parsers = _parsers()
    checked = 0
    for name in ("README.md", "dashboard/README.md"):
        for command, line in _commands((REPO / name).read_text(encoding="utf-8")):
            assert command in parsers, f"{name}: no command {command!r}: {line.strip()}"
            known = parsers[command]._option_string_actions
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", line):
                assert flag in known, f"{name}: {command} has no {flag}: {line.strip()}"
                checked += 1
    assert checked > 40


def test_every_flag_the_readme_names_exists():
    """A flag named in the prose (``--exclude-tissues`` to change, ``--text-values missing``)
    belongs to one of the commands or to ``app.py`` (gunicorn's own flags aside)."""
    known = {f for p in _parsers().values() for f in p._option_string_actions}
    text = (REPO / "README.md").read_text(encoding="utf-8")
    text = "\n".join(ln for ln in text.splitlines() if "gunicorn" not in ln)
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9](?![\w*-])", text))
    assert len(flags) > 30
    assert flags <= known, f"README.md names flags no command has: {sorted(flags - known)}"


def test_the_readmes_prose_keeps_to_100_columns():
    """Text outside the code blocks is read in a terminal or a 100-column editor too (a table's
    rows aside: a Markdown table row cannot be broken)."""
    for name in ("README.md", "dashboard/README.md"):
        inside = False
        for number, line in enumerate((REPO / name).read_text(encoding="utf-8").splitlines(), 1):
            inside ^= line.startswith("```")
            fenced = inside or line.startswith("```")
            assert fenced or line.startswith("|") or len(line) <= 100, f"{name}:{number}"
