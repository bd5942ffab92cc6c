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
