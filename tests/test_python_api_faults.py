"""The Python API on the real GTEx files as a notebook uses it: swapped files, a misspelt
tissue to leave out, and the settings a fitted or reloaded model reports."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from core.data import ExpressionSet, load_gtex
from core.errors import DataError
from core.estimator import FactorizedEmbeddings
from tests.cli_run import run_cli


def test_gtex_files_given_the_other_way_round_are_said_swapped(gtex_acmg59_files, tmp_path, capsys):
    """The matrix given as the attributes was "no SAMPID column (... columns found: 56200,
    17382)": its dimension line read as a header."""
    gct, attributes = gtex_acmg59_files["gct"], gtex_acmg59_files["attributes"]
    with pytest.raises(DataError) as caught:
        load_gtex(attributes, gct)
    said = str(caught.value)
    assert "look swapped" in said and "no SAMPID column" not in said
    assert f"{gct}, given as the sample attributes, is a GCT matrix (first line '#1.2')" in said
    # the matrix twice: not swapped, but not attributes either
    with pytest.raises(DataError, match=r"is a GCT matrix \(first line '#1.2'\), not GTEx's"):
        load_gtex(gct, gct)
    for extra in ([], ["--exclude-tissues", "Brain"]):  # (the tissues are checked first)
        args = ["train", "--gtex-gct", attributes, "--gtex-attributes", gct, *extra]
        code, _, err = run_cli([*args, "--out", tmp_path / "m", "--epochs", "1"], capsys)
        assert code == 2 and "error: the GCT matrix and the sample attributes look swapped" in err
        assert "comment line" not in err and not (tmp_path / "m").exists()


def test_a_misspelt_tissue_to_leave_out_is_refused_in_python(gtex_acmg59_files):
    """``exclude_tissues=("Brian",)`` kept every Brain sample with a log warning only, while
    ``--exclude-tissues Brian`` was refused."""
    f = gtex_acmg59_files
    with pytest.raises(DataError) as caught:
        load_gtex(f["gct"], f["attributes"], exclude_tissues=("Brian", "Liver"), max_genes=2)
    said = str(caught.value)
    assert said.startswith("exclude_tissues: no SMTS tissue 'Brian' (closest: Brain) in ")
    assert "'Liver'" not in said and "Fallopian Tube, Heart" in said
    # GTEx's own names, in any case and with spaces around: left out, recorded as spelt there
    es = load_gtex(
        f["gct"], f["attributes"], exclude_tissues=(" fallopian TUBE", "brain"), max_genes=2
    )
    assert es.source["exclude_tissues"] == ["Fallopian Tube", "Brain"]
    assert not {"Brain", "Fallopian Tube"} & set(es.samples["SMTS"].dropna())
    assert es.source["samples_excluded"] > 0


def test_a_tissue_close_to_none_in_the_file_is_logged_not_refused(gtex_acmg59_files, caplog):
    """The paper's exclusion (the command line's default) on attributes without one of its
    tissues, or a model trained on such a file and reloaded: a name close to no tissue of the
    file is no misspelling; it is logged and the data loads."""
    f = gtex_acmg59_files
    with caplog.at_level("WARNING", logger="core.data"):
        es = load_gtex(f["gct"], f["attributes"], exclude_tissues=("Brain", "Retina"), max_genes=2)
    assert "Brain" not in set(es.samples["SMTS"].dropna())
    assert any("no sample of tissue 'Retina'" in r.getMessage() for r in caplog.records)


def _settings_unlike(model: FactorizedEmbeddings, given: dict) -> dict:
    """The settings whose value or type differ from those given."""
    params = model.get_params()
    return {
        name: (value, params[name])
        for name, value in given.items()
        if params[name] != value or type(params[name]) is not type(value)
    }


def test_settings_keep_their_type_after_fit_and_reload(tmp_path):
    """``repr`` of a fitted model showed ``hidden=[100, 50, 50]`` for the default
    ``(100, 50, 50)``: get_params() returns each setting as given, before and after fit and
    save/load (``transform`` aside: a dict of its settings, as saved)."""
    signature = inspect.signature(FactorizedEmbeddings.__init__).parameters
    defaults = {k: p.default for k, p in signature.items() if k not in ("self", "transform")}
    given = {**defaults, "hidden": (12, 6), "epochs": 1, "device": "cpu", "gene_dim": 3}
    model = FactorizedEmbeddings(**given)
    assert _settings_unlike(model, given) == {}
    values = np.random.default_rng(0).random((30, 8)).astype(np.float32)
    model.fit(ExpressionSet.from_array(values))
    assert _settings_unlike(model, given) == {}
    assert "hidden=(12, 6)" in repr(model)
    model.save(tmp_path / "m")
    loaded = FactorizedEmbeddings.load(tmp_path / "m")
    assert _settings_unlike(loaded, given) == {}
    assert repr(loaded) == repr(model)
    assert "hidden=(100, 50, 50)" in repr(FactorizedEmbeddings())
