"""The baseline maps coloured as the sample map (the paper's Figure 3: does a marker gene's
expression stay together on each method's map?): a gene's values, a gene list's mean z or an
annotation on every map, on the sample map's scale; the model's own values (predicted,
residual) give way to the observed ones, and the maps say so."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import baselines, export, figures
from dashboard.sample_map import build_sample_figure


def _shown_maps(context, result) -> dict[str, np.ndarray]:
    """The maps of the panels, in their order (the model's first, as baseline_view)."""
    own = ("FE", "model")
    maps = {k: np.asarray(v) for k, v in result["maps"].items() if k not in own}
    return {context.model_map_name(): context.state().sample_embedding, **maps}


def _colour_traces(fig) -> list:
    """The traces coloured on a scale (one per map when a value colours them)."""
    return [t for t in fig.data if t.marker.colorscale is not None]


def _gene(context) -> str:
    # (the 26 tissues' set holds transcription factors: NKX2-1 marks the lung and thyroid)
    return next(g for g in ("MYH7", "NKX2-1") if g in set(context.gene_symbols))


@pytest.mark.parametrize("kind", ["gene", "list"])
def test_every_map_takes_the_sample_maps_values_and_scale(context, result, kind):
    gene = _gene(context)
    color = f"obs:{gene}" if kind == "gene" else f"list:{gene}, TBX5, FOXA2"
    clip = (5, 95)
    sample = build_sample_figure(context, color, clip)[0].data[figures.COLOR_TRACE]
    rows = sample.customdata  # the sample map's samples in the order it draws them
    fig, _ = baselines.baseline_view(context, result, color=color, clip=clip)
    maps = _shown_maps(context, result)
    traces = _colour_traces(fig)
    assert len(traces) == len(maps)
    for trace, (name, coords) in zip(traces, maps.items(), strict=True):
        # each point is the same sample as on the sample map, with its colour
        np.testing.assert_array_equal(np.asarray(trace.x), coords[rows, 0].astype(np.float32))
        np.testing.assert_array_equal(np.asarray(trace.y), coords[rows, 1].astype(np.float32))
        np.testing.assert_array_equal(np.asarray(trace.marker.color), sample.marker.color)
        assert (trace.marker.cmin, trace.marker.cmax) == (sample.marker.cmin, sample.marker.cmax)
        assert trace.marker.colorscale == sample.marker.colorscale, name
    # one colour bar, titled as the sample map's; the panels keep their 1-NN accuracy
    assert [bool(t.marker.showscale) for t in traces] == [True] + [False] * (len(maps) - 1)
    assert traces[0].marker.colorbar.title.text == sample.marker.colorbar.title.text
    titles = [a.text for a in fig.layout.annotations]
    assert all("1-NN tissue accuracy" in t for t in titles[: len(maps)])


def test_the_tissue_colouring_is_as_it_was_after_a_gene(context, result):
    """The maps coloured by a gene, then by the tissue again: the tissue's figure is the one
    the maps had before the colouring was followed, each sample of the sample map's colour."""
    plain, _ = baselines.baseline_view(context, result)
    gene, _ = baselines.baseline_view(context, result, color=f"obs:{_gene(context)}")
    assert _colour_traces(gene)
    tissue, _ = baselines.baseline_view(context, result, color="ann:tissue", clip=(5, 95))
    assert tissue.to_plotly_json() == plain.to_plotly_json()
    assert not _colour_traces(tissue)
    sample = build_sample_figure(context, "ann:tissue")[0]
    colours = {t.legendgroup: t.marker.color for t in sample.data if t.legendgroup}
    shown = {t.legendgroup: t.marker.color for t in tissue.data if t.legendgroup}
    assert shown == colours and len(shown) == 26


@pytest.mark.parametrize("mode", ["pred", "res"])
def test_the_models_own_values_give_way_to_the_observed_ones(context, result, mode):
    gene = _gene(context)
    observed = build_sample_figure(context, f"obs:{gene}")[0].data[figures.COLOR_TRACE]
    fig, _ = baselines.baseline_view(context, result, color=f"{mode}:{gene}")
    traces = _colour_traces(fig)
    assert len(traces) == len(_shown_maps(context, result))
    for trace in traces:
        np.testing.assert_array_equal(np.asarray(trace.marker.color), observed.marker.color)
    word = {"pred": "predicted", "res": "residual"}[mode]
    said = fig.layout.title.text
    assert f"{gene}'s observed values" in said and word in said
    assert "observed" in traces[0].marker.colorbar.title.text


def test_recolouring_draws_the_cached_maps_again(context, result, monkeypatch):
    import core.analysis

    def no_maps(*args, **kwargs):
        raise AssertionError("the maps were computed again")

    monkeypatch.setattr(core.analysis, "baseline_embeddings", no_maps)
    monkeypatch.setattr(context, "compute_baselines", no_maps)
    gene = _gene(context)
    fig = baselines.recolour_view(context, f"obs:{gene}", (1, 99), 0.25, [], None)
    assert len(_colour_traces(fig)) == len(_shown_maps(context, result))
    # this page's own job colours the maps when done
    assert baselines.recolour_view(context, f"obs:{gene}", (1, 99), 0.25, [], True) is (
        baselines.no_update
    )


def test_the_exported_maps_follow_the_colouring_and_name_it(context, result, kept_figures):
    figs = kept_figures
    gene = _gene(context)
    out = export.export_figure(
        context, "baselines", "svg", "screen", {"color": f"pred:{gene}", "clip": (1, 99)}
    )
    (fig,) = figs
    title = fig.layout.title.text
    assert f"coloured by {gene} (observed" in title and f"{gene}'s observed values" in title
    assert len(_colour_traces(fig)) == len(_shown_maps(context, result))
    assert gene in out["filename"]


def test_a_colouring_chosen_while_the_job_ran_colours_its_maps(context, sepira_es, result):
    """This page's job draws its maps in the colouring chosen when it started, and a colouring
    chosen while it ran was not drawn (the recolouring waits for the job): the job's end
    colours them again, as the sample map is coloured then."""
    from dashboard import ids
    from dashboard.factory import create_app
    from tests.dashboard.callback_post import post_callback

    app = create_app(sepira_es, context.config)  # (the same cache: the maps are found there)
    gene = _gene(context)
    given = {
        (ids.COLOR_BY, "value"): f"obs:{gene}",
        (ids.CLIP, "value"): [1, 99],
        (ids.BASELINES_SHARE, "value"): 0.25,
        (ids.BASELINES_PER_CLASS, "value"): [],
        (ids.BASELINES_RUNNING, "data"): False,  # (the job's end)
    }
    # (the callback of the maps' figure that the job's end calls)
    out = post_callback(
        app,
        f"{ids.BASELINES_GRAPH}.figure@",
        given,
        f"{ids.BASELINES_RUNNING}.data",
        input=(ids.BASELINES_RUNNING, "data"),
    )
    data = out[ids.BASELINES_GRAPH]["figure"]["data"]
    coloured = [t for t in data if (t.get("marker") or {}).get("colorscale") is not None]
    assert len(coloured) == len(_shown_maps(context, result))
