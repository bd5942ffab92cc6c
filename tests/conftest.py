"""Shared fixtures: where the real reference data lives (``../shared/data`` beside the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

if os.environ.get("FE_PANDAS_FUTURE") == "1":
    # pandas 3's defaults on the pinned pandas 2.3: text columns of the "str" dtype instead of
    # object, and copy-on-write (FE_PANDAS_FUTURE=1 pytest ...; subprocesses keep pandas 2's)
    import pandas as pd

    pd.set_option("future.infer_string", True)
    pd.set_option("mode.copy_on_write", True)


def shared_data_dir() -> Path | None:
    """The real reference data: ``$FE_SHARED_DATA`` or ``<repo>/../shared/data``."""
    env = os.environ.get("FE_SHARED_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``shared/data``; skips (or fails, when ``FE_REQUIRE_SHARED_DATA=1``) if absent."""
    path = shared_data_dir()
    if path is None:
        if os.environ.get("FE_REQUIRE_SHARED_DATA") == "1":
            pytest.fail("shared/data not found: set FE_SHARED_DATA to its path")
        pytest.skip("real reference data (../shared/data) not available")
    return path


@pytest.fixture(scope="session")
def gtex_acmg59_files(shared_data: Path) -> dict[str, Path]:
    """The three GTEx v8 files of the 59-gene set (GCT, sample attributes, subject phenotypes)."""
    d = shared_data / "gtex_v8_acmg59"
    return {
        "gct": d / "GTEx_Analysis_2017-06-05_v8_RNASeQCv1.1.9_gene_reads.acmg_59.gct.gz",
        "attributes": d / "SampleAttributesDS.reconstructed.txt",
        "phenotypes": d / "GTEx_Analysis_v8_Annotations_SubjectPhenotypesDS.txt",
    }


@pytest.fixture(scope="session")
def sepira_file(shared_data: Path) -> Path:
    """GTEx 26 tissues, 520 samples x 467 genes, columns ``sample, tissue, <genes>``."""
    return shared_data / "gtex_sepira_26tissues" / "sepira_gtex_520x467.csv.gz"
