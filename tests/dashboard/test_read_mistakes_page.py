"""An export's own table uploaded as new samples: the page's alert names what the file is."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import numpy as np
from dash import no_update

from core.export_cli import gene_table
from tests.dashboard.layout_tree import alert_text as _text


def test_an_exports_gene_table_uploaded_is_named_in_the_alert(context):
    """genes.csv of ``python -m core export`` was placed as 8 samples (its g1..g8 columns),
    with only a warning of a bad fit."""
    from dashboard import placement

    symbols = np.array(["GATA4", "TBX5", "MYC"])
    model = SimpleNamespace(
        gene_embedding_=np.random.default_rng(0).normal(size=(3, 8)),
        gene_ids_=symbols,
        gene_symbols_=symbols,
    )
    raw = gene_table(model, ["protein-coding"] * 3).to_csv(index=False).encode()
    url = "data:text/csv;base64," + base64.b64encode(raw).decode()
    placed, _, _, alert = placement.place_from_upload(context, url, "genes.csv", False)
    said = _text(alert)
    assert placed is no_update, said
    assert said.startswith("matrix file genes.csv looks like a gene-vector table written by")
    assert "(columns symbol, gene_type, g1..g8), not an expression matrix" in said
