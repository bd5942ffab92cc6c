"""What made a result: the versions of Python and of the packages behind it, and this code's
git commit, for a saved model (``config.json``), a Table-1 file and the report's page."""

from __future__ import annotations

import importlib.metadata as metadata
import platform
import subprocess
from pathlib import Path

#: The packages whose versions can change a fit (sklearn's and pynndescent's neighbour graph).
FIT_PACKAGES = ("numpy", "torch", "scikit-learn", "pynndescent")

#: The packages behind the analyses' numbers, named on their pages.
ANALYSIS_PACKAGES = ("numpy", "scipy", "scikit-learn", "torch", "umap-learn", "pandas", "plotly")


def software_versions(packages: tuple[str, ...] = FIT_PACKAGES) -> dict[str, str]:
    """Python's version and those of ``packages`` installed (distribution names), in order:
    ``{"python": "3.11.2", "numpy": "2.1.3", ...}``."""
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def software_line() -> str:
    """Python and the versions of the packages behind the numbers, and this code's commit when
    it runs from a git checkout (a reader could not tell which code made a page):
    ``Python 3.11.2, numpy 2.1.3, ...; code at commit 0123abcd4567``."""
    versions = software_versions(ANALYSIS_PACKAGES)
    parts = [f"Python {versions.pop('python')}"]
    parts += [f"{name} {version}" for name, version in versions.items()]
    commit = code_commit()
    return ", ".join(parts) + (f"; code at commit {commit}" if commit else "")


def code_commit() -> str | None:
    """The git commit of this code (with ``+changes`` when files differ from it), or None
    outside a git checkout or without git."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
        )
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + (" +changes" if dirty else "")) if head else None
