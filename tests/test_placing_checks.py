"""Placing new samples as a user does: the upload's own tissue kept and compared in the
dashboard as ``embed`` does, and samples of the map placed again said to land on their own
points."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from dashboard import placement
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


def _data_url(raw: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def table(sepira_file) -> pd.DataFrame:
    return pd.read_csv(sepira_file)


@pytest.fixture(scope="module")
def held_out_context(table, tmp_path_factory) -> AppContext:
    """A map of 4 tissues without samples 0-3 of each (linear stand-in: seconds)."""
    from core.data import load_table

    kept = table[table["tissue"].isin(table["tissue"].unique()[:4])]
    train = kept.groupby("tissue").tail(16)
    path = tmp_path_factory.mktemp("map") / "train.csv"
    train.to_csv(path, index=False)
    cfg = DashboardConfig(
        cache_dir=tmp_path_factory.mktemp("fe-cache"),
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(load_table(path), cfg)
    ctx.train()
    return ctx


def _held_out(table: pd.DataFrame) -> pd.DataFrame:
    kept = table[table["tissue"].isin(table["tissue"].unique()[:4])]
    return kept.groupby("tissue").head(4).reset_index(drop=True)


def test_dashboard_keeps_and_compares_the_uploads_own_tissue(held_out_context, table):
    """The upload's tissue column was dropped from the placed table and its CSV, and nothing
    said how often the map's majority matched it (embed writes and prints both)."""
    held = _held_out(table)
    raw = held.to_csv(index=False).encode()
    result = placement.place_upload(held_out_context, _data_url(raw), "held.csv", False)
    records = result["records"]
    assert [r["tissue"] for r in records] == held["tissue"].tolist()
    assert "is the sample's own tissue for" in result["info"]
    assert "of 16 labelled samples" in result["info"]
    share = sum(r["majority_label"] == r["tissue"] for r in records) / len(records)
    assert share >= 0.75  # held-out samples land among their own tissue
    assert "id of a sample of the map" not in result["info"]
    csv = placement.placed_csv(records, held_out_context)[0]["content"]
    assert "tissue" in csv.splitlines()[0].split(",")
    # the page's table shows it beside the map's nearest and majority (it showed neither)
    assert [r["own_label"] for r in records] == held["tissue"].tolist()
    assert "own_label" not in csv.splitlines()[0].split(",")  # (the file has it as "tissue")
    from dashboard.layout import placed_columns

    shown = {c["id"]: c["name"] for c in placed_columns("tissue", 15, records)}
    assert "own_label" in shown and "own tissue" in str(shown["own_label"])
    # an upload without the tissue: no empty column beside the map's nearest and majority
    unlabelled = [{**r, "own_label": ""} for r in records]
    shown = {c["id"] for c in placed_columns("tissue", 15, unlabelled)}
    assert "own_label" not in shown and {"nearest_label", "majority_label"} <= shown


def test_dashboard_annotation_named_as_a_placed_column_is_renamed(held_out_context, table):
    held = _held_out(table).rename(columns={"tissue": "x"})
    raw = held.to_csv(index=False).encode()
    records = placement.place_upload(held_out_context, _data_url(raw), "h.csv", False)["records"]
    assert isinstance(records[0]["x"], float) and records[0]["sample_x"] == held["x"][0]


def test_dashboard_says_when_samples_of_the_map_are_placed_again(held_out_context, table):
    """Samples of the map uploaded again found their own point nearest, and their majority
    matched, without a word: it read as a check of the placement."""
    again = table[table["tissue"].isin(table["tissue"].unique()[:4])].groupby("tissue").tail(2)
    raw = again.to_csv(index=False).encode()
    result = placement.place_upload(held_out_context, _data_url(raw), "again.csv", False)
    assert "; 8 of the new samples have the id of a sample of the map" in result["info"]


def _tiny_model(table, tmp_path, capsys):
    """The table's first 40 rows and 22 columns, and a model trained on them (1 epoch)."""
    small = table.iloc[:40, :22]
    matrix = tmp_path / "small.csv"
    small.to_csv(matrix, index=False)
    model = tmp_path / "tiny"
    assert (
        _run(["train", "--matrix", matrix, "--out", model, "--epochs", "1", *TINY], capsys)[0] == 0
    )
    return small, model


def test_embed_says_when_training_samples_are_placed_again(table, tmp_path, capsys):
    small, model = _tiny_model(table, tmp_path, capsys)
    again = tmp_path / "again.csv"
    small.iloc[:3].to_csv(again, index=False)
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", again, "--out", tmp_path / "o.csv"], capsys
    )
    assert code == 0
    assert "3 of the new samples have the id of a training sample" in err
    new = tmp_path / "new.csv"
    small.iloc[:3].assign(sample=lambda f: f["sample"] + "_new").to_csv(new, index=False)
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", new, "--out", tmp_path / "n.csv"], capsys
    )
    assert code == 0 and "id of a training sample" not in err


def _copies_and_new(train: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """2 training rows under new ids, then 3 samples the map was not trained on (the third
    a training row with its values moved by 1%: close, yet not a copy)."""
    copied = train.iloc[[1, 5]].assign(sample=["mine_1", "mine_2"])
    moved = train.iloc[[7]].assign(sample="moved_1")
    genes = moved.columns[2:]
    moved[genes] = moved[genes] * 1.01
    return pd.concat([copied, held.iloc[:2], moved], ignore_index=True)


def test_dashboard_says_when_samples_of_the_map_are_uploaded_under_new_ids(held_out_context, table):
    """Training samples uploaded under new ids landed on their own points, and the agreement
    they added was trivially right, without a word (only the same ids were said)."""
    kept = table[table["tissue"].isin(table["tissue"].unique()[:4])]
    train = kept.groupby("tissue").tail(16).reset_index(drop=True)
    upload = _copies_and_new(train, _held_out(table))
    raw = upload.to_csv(index=False).encode()
    result = placement.place_upload(held_out_context, _data_url(raw), "mixed.csv", False)
    expected = f"mine_1 = {train['sample'][1]}, mine_2 = {train['sample'][5]}"
    assert (
        f"2 of the 5 samples have the same values as samples of the map ({expected})"
        in (result["info"])
    )
    copy_of = [r["copy_of"] for r in result["records"]]
    assert copy_of == [train["sample"][1], train["sample"][5], "", "", ""]
    csv = placement.placed_csv(result["records"], held_out_context)[0]["content"]
    assert "copy_of" in csv.splitlines()[0].split(",")
    assert "id of a sample of the map" not in result["info"]
    # the page's table shows it beside the nearest sample
    from dashboard import ids
    from dashboard.factory import create_app
    from tests.dashboard.layout_tree import components

    page = create_app(held_out_context.es, held_out_context.config).layout
    page = page() if callable(page) else page
    table_shown = next(c for c in components(page) if getattr(c, "id", None) == ids.PLACED_TABLE)
    assert "copy_of" not in [c["id"] for c in table_shown.columns]  # (no sample placed yet)
    app = create_app(held_out_context.es, held_out_context.config)
    names = [c["id"] for c in _placed_columns(app, result["records"])]
    assert names.index("copy_of") == names.index("nearest_sample") + 1
    assert "under another id" in table_shown.tooltip_header["copy_of"]  # (explained on hover)

    raw = upload.iloc[2:].to_csv(index=False).encode()
    result = placement.place_upload(held_out_context, _data_url(raw), "new.csv", False)
    assert "same values as" not in result["info"]
    assert [r["copy_of"] for r in result["records"]] == ["", "", ""]
    # no copy: the table shows no column of blanks, the file keeps it (files keep one shape)
    names = [c["id"] for c in _placed_columns(app, result["records"])]
    assert "copy_of" not in names and "nearest_sample" in names
    csv = placement.placed_csv(result["records"], held_out_context)[0]["content"]
    assert "copy_of" in csv.splitlines()[0].split(",")


def _placed_columns(app, rows: list[dict]) -> list[dict]:
    """The placed samples' table's columns the app gives for its ``rows`` (as the page asks)."""
    from dashboard import ids

    key = f"{ids.PLACED_TABLE}.columns"
    assert key in app.callback_map
    body = {
        "output": key,
        "outputs": {"id": ids.PLACED_TABLE, "property": "columns"},
        "inputs": [{"id": ids.PLACED_TABLE, "property": "data", "value": rows}],
        "state": [],
        "changedPropIds": [f"{ids.PLACED_TABLE}.data"],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_json()["response"][ids.PLACED_TABLE]["columns"]


def test_embed_says_when_training_samples_are_placed_under_new_ids(
    table, tmp_path, capsys, monkeypatch
):
    from core import embed_cli

    small, model = _tiny_model(table, tmp_path, capsys)
    upload = _copies_and_new(small, table.iloc[40:42, :22])
    mixed = tmp_path / "mixed.csv"
    upload.to_csv(mixed, index=False)
    out = tmp_path / "o.csv"
    code, _, err = _run(["embed", "--model", model, "--matrix", mixed, "--out", out], capsys)
    assert code == 0
    expected = f"mine_1 = {small['sample'][1]}, mine_2 = {small['sample'][5]}"
    warnings = [line for line in err.splitlines() if "same values as" in line]
    assert len(warnings) == 1  # said once
    assert (
        f"2 of the 5 samples have the same values as samples of the map ({expected})"
        in (warnings[0])
    )
    written = pd.read_csv(out, keep_default_na=False)
    assert written["copy_of"].tolist() == [small["sample"][1], small["sample"][5], "", "", ""]

    new = tmp_path / "new.csv"
    upload.iloc[2:].to_csv(new, index=False)
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", new, "--out", tmp_path / "n.csv"], capsys
    )
    assert code == 0 and "same values as" not in err

    # training data too large to read again in passing (GTEx's full GCT): the copies are told
    # from the model's fingerprint of its samples; a model saved without one: said, not read
    monkeypatch.setattr(embed_cli, "COPY_SOURCE_MAX_BYTES", 1000)
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", mixed, "--out", tmp_path / "k.csv"], capsys
    )
    assert code == 0 and f"({expected})" in err and "not looked for" not in err
    with np.load(model / "arrays.npz") as arrays:
        kept = {k: arrays[k] for k in arrays.files if not k.startswith("copy_keys")}
    np.savez(model / "arrays.npz", **kept)
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", mixed, "--out", tmp_path / "m.csv"], capsys
    )
    assert code == 0 and "same values as" not in err
    assert "copies of training samples not looked for" in err and "MB) takes long" in err
    assert pd.read_csv(tmp_path / "m.csv", keep_default_na=False)["copy_of"].eq("").all()


def test_copies_are_found_among_all_gtex_samples(gtex_acmg59_files):
    """Copies among the 17,382 GTEx v8 samples: exact, through a table of 6 significant
    digits, with a missing value; samples moved by 0.1% are not copies."""
    import numpy as np

    from core.data import load_gtex
    from core.placed_samples import copies_of_map

    es = load_gtex(gtex_acmg59_files["gct"], gtex_acmg59_files["attributes"], exclude_tissues=())
    values = np.asarray(es.values)
    rows = np.random.default_rng(0).choice(len(values), 20, replace=False)
    new = values[rows].copy()
    new[1] = np.array([float(f"{v:.6g}") for v in new[1]], dtype=np.float32)
    new[2, 3] = np.nan
    new[10:] *= 1.001
    found = copies_of_map(new, values)
    assert (found[:10] >= 0).all()
    # (the first map sample of those values: GTEx has a few samples with equal values)
    assert (values[found[:10]][:, 4:] == values[rows[:10]][:, 4:]).all()
    assert (found[10:] == -1).all()


def test_placed_rows_hold_coordinates_unrounded_and_the_file_rounds_them(held_out_context, table):
    """Rounded to 4 decimals in the rows and then to 3 by the page's table, an x of 0.12345
    read 0.124: the rows hold what placing found, the page's file rounds to 4 decimals."""
    held = _held_out(table)
    raw = held.to_csv(index=False).encode()
    placed = held_out_context.place_samples(raw, "held.csv", transform="none")
    records = placement.place_upload(held_out_context, _data_url(raw), "held.csv", False)["records"]
    for column in ("x", "y"):
        np.testing.assert_array_equal([r[column] for r in records], placed[column].astype(float))
    assert any(r["x"] != round(r["x"], 4) for r in records)
    csv = placement.placed_csv(records, held_out_context)[0]["content"]
    from io import StringIO

    read = pd.read_csv(StringIO(csv), float_precision="round_trip")
    assert all(v == round(v, 4) for v in read["x"]) and all(v == round(v, 4) for v in read["y"])
    np.testing.assert_allclose(read["x"], placed["x"].astype(float), atol=5e-5)
