"""A selection's line counts its samples by tissue, and by the annotation the sample map is
coloured by when that is another categorical one: a box on GTEx coloured by sex listed 368
samples by tissue (Ovary 178, Uterus 138, ...) and not how many were female."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import selection


@pytest.fixture
def with_sex(context, monkeypatch):
    """The context with a made-up ``sex`` annotation: every third sample male."""
    samples = context.samples.copy()
    samples["sex"] = np.where(np.arange(context.n_samples) % 3 == 0, "male", "female")
    monkeypatch.setattr(context, "samples", samples)
    return context


def test_a_selection_is_counted_by_the_map_s_categorical_colouring(with_sex):
    rows = list(range(60))
    sex = with_sex.samples["sex"].to_numpy()[rows]
    female, male = int((sex == "female").sum()), int((sex == "male").sum())
    tissues = with_sex.samples["tissue"].to_numpy()[rows]
    assert len(set(tissues)) > 1 and female > male > 0
    info, *_ = selection.describe_selection(with_sex, {"rows": rows}, "ann:sex")
    head = info.split(")")[0]
    assert head.startswith("60 samples selected (") and f"{tissues[0]} " in head
    assert head.endswith(f"; sex: female {female}, male {male}"), info


def test_only_another_categorical_annotation_is_counted(with_sex):
    rows = list(range(60))
    alone, *_ = selection.describe_selection(with_sex, {"rows": rows})
    assert "sex" not in alone
    # coloured by the tissue itself, or by a gene: the tissues alone, as before
    for colour in ("ann:tissue", f"obs:{with_sex.gene_symbols[0]}", "ann:nothing", None):
        info, *_ = selection.describe_selection(with_sex, {"rows": rows}, colour)
        assert info == alone, colour


def test_a_new_colouring_rewrites_the_line_alone(context, sepira_es):
    """The line follows the colouring, but the specific genes are not written again: their
    store written anew read as a new sample selection's, which took a listing of them ("GO
    processes of these N genes") out of the gene tables."""
    from dashboard import ids
    from dashboard.factory import create_app
    from tests.dashboard.callback_post import post_callback

    app = create_app(sepira_es, context.config)
    app.fe_context.train()  # (the model the context trained, read from the cache)
    values = {
        (ids.SELECTION, "data"): {"rows": list(range(60))},
        (ids.MODEL_STATUS, "data"): {"ready": True},
        (ids.COLOR_BY, "value"): "ann:tissue",
    }
    out = post_callback(app, f"{ids.SELECTION_INFO}.children", values, f"{ids.COLOR_BY}.value")
    assert out[ids.SELECTION_INFO]["children"].startswith("60 samples selected (")
    assert ids.SELECTION_GENES_STORE not in out and ids.SELECTION_GENES not in out, out.keys()
    out = post_callback(app, f"{ids.SELECTION_INFO}.children", values, f"{ids.SELECTION}.data")
    assert ids.SELECTION_GENES_STORE in out and ids.SELECTION_GENES in out, out.keys()
    # a new selection's genes open on the table's first page (a new list was shown on the
    # page the former one was left at); a new colouring leaves the page as it is
    assert out[ids.SELECTION_GENES]["page_current"] == 0
    out = post_callback(app, f"{ids.SELECTION_INFO}.children", values, f"{ids.COLOR_BY}.value")
    assert ids.SELECTION_GENES not in out


def test_the_specific_genes_csv_counts_the_reference_by_the_colouring(with_sex):
    """The file of the breast samples of men against those of women (GTEx, the map coloured by
    sex) said "reference group of 168 samples (Breast 168)", where the page's line said
    "(Breast 168; sex: female 168)": which sex the reference held was lost."""
    import io

    import pandas as pd

    from dashboard import export, ids

    tissue = with_sex.samples["tissue"].to_numpy()
    sex = with_sex.samples["sex"].to_numpy()
    name = tissue[0]
    men = np.flatnonzero((tissue == name) & (sex == "male")).tolist()
    women = np.flatnonzero((tissue == name) & (sex == "female")).tolist()
    assert len(men) >= 2 and len(women) >= 2
    store = {"rows": men, "reference": women}
    out = export.csv_download(
        with_sex, ids.EXPORT_SELECTION_GENES_CSV, None, store, None, color="ann:sex"
    )
    frame = pd.read_csv(io.StringIO(out["content"]))
    compared = set(frame["compared_with"])
    n = len(women)
    assert compared == {f"reference group of {n} samples ({name} {n}; sex: female {n})"}
    # the selection itself is counted so too (n_selected alone did not say it held the men)
    m = len(men)
    assert set(frame["selection"]) == {f"{m} samples ({name} {m}; sex: male {m})"}
    columns = list(frame.columns)
    assert columns.index("selection") + 2 == columns.index("compared_with")
    # as the page's line names it
    line, *_ = selection.describe_selection(with_sex, store, "ann:sex")
    assert f"against the reference group of {n} samples ({name} {n}; sex: female {n})" in line
    # coloured by the tissue itself, or by nothing: the tissues alone, as before
    for colour in ("ann:tissue", None):
        out = export.csv_download(
            with_sex, ids.EXPORT_SELECTION_GENES_CSV, None, store, None, color=colour
        )
        compared = set(pd.read_csv(io.StringIO(out["content"]))["compared_with"])
        assert compared == {f"reference group of {n} samples ({name} {n})"}, colour


def test_one_tissue_is_counted_by_its_detailed_tissues_on_a_map_of_values():
    """On GTEx coloured by MYH7, the atrial appendage against the left ventricle read "(Heart
    429)" against "(Heart 431)": the line (and the files) said Heart against Heart."""
    from types import SimpleNamespace

    import pandas as pd

    samples = pd.DataFrame(
        {
            "SMTS": ["Heart"] * 5 + ["Lung"] * 2,
            "SMTSD": ["Heart - Atrial Appendage"] * 3 + ["Heart - Left Ventricle"] * 2
            + ["Lung"] * 2,
        }
    )  # fmt: skip
    context = SimpleNamespace(samples=samples)
    counts = selection.group_counts(context, [0, 1, 2], None)
    assert counts == " (Heart 3; detailed tissue: Heart - Atrial Appendage 3)"
    both = selection.group_counts(context, [0, 3, 4], None)
    assert (
        both == " (Heart 3; detailed tissue: Heart - Left Ventricle 2, Heart - Atrial Appendage 1)"
    )
    # two tissues: the tissues alone, as before
    assert selection.group_counts(context, [0, 5], None) == " (Heart 1, Lung 1)"
