"""Names the page shortens are cut at words: a GO term's name in the colour bar's title keeps
its first and last words around "…" (it kept "negative regulation of…" and lost what is
regulated), and a selection's file keeps its majority label's words whole (a label of more than
27 characters lost its end: ``selection-12-Cells-EBV-transformed-lymph``)."""

from __future__ import annotations

import re

import pytest

from dashboard import export, figure_samples, figures, ids, sample_map
from dashboard.figure_samples import COLORBAR_MARGIN

LONG_TERM = "GO:0000122"  # negative regulation of transcription by RNA polymerase II

NAMES = [
    "negative regulation of transcription by RNA polymerase II",
    "regulation of cell population proliferation",
    "negative regulation of apoptotic process",
    "adaptive immune response based on somatic recombination of immune receptors built from "
    "immunoglobulin superfamily domains",
    "cellular response to tumor necrosis factor",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("limit", [24, 30, 32, 40])
def test_a_name_is_shortened_to_its_first_and_last_whole_words(name, limit):
    short = figure_samples.elide_words(name, limit)
    words = name.split()
    assert len(short) <= limit and (short != name) == (len(name) > limit), short
    if short == name:
        return
    head, _, tail = short.partition(" … ")
    if not tail:  # the first words and "…" only where no last word fits
        head = head.removesuffix("…")
    shown_head, shown_tail = head.split(), tail.split()
    assert shown_head and shown_head == words[: len(shown_head)], short
    assert shown_tail == words[len(words) - len(shown_tail) :], short
    # the last word is kept whenever it fits with the first one
    if len(f"{words[0]} … {words[-1]}") <= limit:
        assert shown_tail, short
    assert figure_samples.elide_words(name, len(name)) == name


def test_a_long_terms_bar_title_names_what_it_regulates(context):
    name = context.go_term(LONG_TERM)[1]
    assert name == "negative regulation of transcription by RNA polymerase II"
    spec = sample_map.resolve_color(context, f"go:{LONG_TERM}")
    shown, _, count = spec.title.partition(f" ({LONG_TERM}): mean z (")
    assert count, spec.title
    assert "<br>" not in spec.title and len(spec.title) <= figures.BAR_TITLE_CHARS, spec.title
    assert " … " in shown, spec.title  # (was "negative regulation of…")
    head, tail = shown.split(" … ")
    assert name.startswith(head + " ") and name.endswith(" " + tail), shown
    assert tail.endswith("RNA polymerase II") and head.startswith("negative")
    # the whole name in the hover text; the colour bar as wide as a gene's
    assert f"{name} ({LONG_TERM})" in spec.hover.replace("<br>", " ")
    fig, _ = sample_map.build_sample_figure(context, f"go:{LONG_TERM}")
    assert fig.layout.margin.r == COLORBAR_MARGIN


@pytest.mark.parametrize(
    "label, name",
    [
        ("Cells - EBV-transformed lymphocytes", "selection-20-Cells-EBV-transformed-lymphocytes"),
        ("Skin - Sun Exposed (Lower leg)", "selection-20-Skin-Sun-Exposed-Lower-leg"),
        (
            "Brain - Nucleus accumbens (basal ganglia)",
            "selection-20-Brain-Nucleus-accumbens-basal-ganglia",
        ),
    ],
)
def test_a_selections_file_keeps_a_long_labels_words(context, monkeypatch, label, name):
    monkeypatch.setattr(export, "majority_label", lambda _context, _rows: label)
    selection = {"rows": list(range(20))}
    files = [
        export.csv_download(context, which, None, selection, None)["filename"]
        for which in (ids.EXPORT_SELECTION_CSV, ids.EXPORT_SELECTION_GENES_CSV)
    ]
    assert files == [f"{name}.csv", f"{name}_specific_genes.csv"]


def test_a_label_too_long_for_a_file_name_is_cut_at_a_word(context, monkeypatch):
    label = "A tissue of a made-up atlas with a name of very many words (and brackets/slashes)"
    monkeypatch.setattr(export, "majority_label", lambda _context, _rows: label)
    selection = {"rows": list(range(20))}
    stem = export.csv_download(context, ids.EXPORT_SELECTION_CSV, None, selection, None)[
        "filename"
    ].removesuffix(".csv")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", stem), stem  # no space, slash or bracket
    whole = "selection-20-" + re.sub(r"[^A-Za-z0-9._]+", "-", label).strip("-")
    assert whole.startswith(stem) and whole[len(stem)] == "-", stem  # (a word's end)
    assert len(stem) <= export.SELECTION_PART_CHARS < len(whole)


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("Müller_β", "Muller_β"),  # was M-ller_
        ("Café crème", "Cafe-creme"),
        ("東京 tissue", "東京-tissue"),
        ("a/b\\c:d", "a-b-c-d"),  # never a path separator
    ],
)
def test_a_file_name_keeps_letters_outside_ascii(context, name, part):
    assert export.file_stem(context, "gene_space", name) == f"gene_space_{part}"


def test_a_file_name_of_letters_outside_ascii_fits_a_file_system(context):
    stem = export.file_stem(context, *["東京都" * 20] * 5)
    assert "東京都" in stem and len(stem.encode()) <= export.FILE_STEM_BYTES


def test_a_mixed_selection_of_labels_outside_ascii_names_them(context, monkeypatch):
    labels = ["Müller glia"] * 10 + ["Zellen β"] * 10
    monkeypatch.setattr(export, "majority_label", lambda _context, _rows: "mixed")
    column = context.es.label_column()
    samples = context.samples.copy()
    samples.loc[samples.index[:20], column] = labels
    monkeypatch.setattr(context, "samples", samples)
    assert export.selection_part(context, list(range(20))) == "selection-20-Muller-glia_Zellen-β"
