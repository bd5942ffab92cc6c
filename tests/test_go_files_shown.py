"""A user's own GO files (GAF + OBO): what the pages say of them, and where a bad line is.

The annotation lines are in GAF 2.2 layout, with terms and genes of the bundled GO 2022-07-01
snapshot (REL and GATA4 biological-process annotations); the OBO holds those terms only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.annotations import GeneOntology
from core.errors import DataError

HEADER = "!gaf-version: 2.2\n!date-generated: 2022-07-01\n!generated-by: test\n"
OBO = """format-version: 1.2
data-version: releases/2022-07-01

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0006954
name: inflammatory response
namespace: biological_process
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0007507
name: heart development
namespace: biological_process
is_a: GO:0008150 ! biological_process
"""


def _line(entrez: str, symbol: str, go_id: str) -> str:
    cols = ["NCBIGene", entrez, symbol, "involved_in", go_id, "PMID:1", "IMP", "", "P",
            f"{symbol} protein", "", "protein", "taxon:9606", "20220701", "GOC", "",
            ""]  # fmt: skip
    return "\t".join(cols) + "\n"


@pytest.fixture
def go_files(tmp_path: Path) -> tuple[Path, Path]:
    gaf = tmp_path / "human.gaf"
    gaf.write_text(
        HEADER + _line("5966", "REL", "GO:0006954") + _line("2626", "GATA4", "GO:0007507")
    )
    obo = tmp_path / "go-basic.obo"
    obo.write_text(OBO)
    return gaf, obo


def test_a_bad_go_id_is_named_by_its_line_in_the_file(go_files):
    gaf, obo = go_files
    # 3 header lines, a comment line, one good line: the bad GO id is on line 6
    gaf.write_text(
        HEADER
        + "! a comment\n"
        + _line("5966", "REL", "GO:0006954")
        + _line("2626", "GATA4", "GO0007507")
    )
    with pytest.raises(DataError, match=r"human\.gaf, line 6: bad GO id 'GO0007507'"):
        GeneOntology.from_gaf(gaf, obo)


def test_the_source_names_the_date_of_the_annotations(go_files):
    go = GeneOntology.from_gaf(*go_files)
    source = go.metadata["source"]
    assert "GAF human.gaf, taxon 9606 (Homo sapiens) + OBO go-basic.obo" in source
    assert "annotations generated 2022-07-01" in source
    assert go.release == "releases/2022-07-01"


def test_the_page_names_the_release_of_the_users_go_once_read(go_files, tmp_path):
    from core.data import load_table
    from dashboard.context import AppContext, DashboardConfig

    gaf, obo = go_files
    genes = ["REL", "GATA4", "TBX5"]
    data = pd.DataFrame(np.random.default_rng(0).uniform(0, 8, (5, 3)).round(3), columns=genes)
    data.insert(0, "sample", [f"s{i}" for i in range(5)])
    path = tmp_path / "tiny.csv"
    data.to_csv(path, index=False)
    ctx = AppContext(
        load_table(path), DashboardConfig(cache_dir=tmp_path / "c", go_gaf=gaf, go_obo=obo)
    )
    assert ctx.ontology() is not None
    caption = ctx.ontology_caption()
    assert "release releases/2022-07-01" in caption
    assert "taxon 9606 (Homo sapiens)" in caption and "annotations generated 2022-07-01" in caption
