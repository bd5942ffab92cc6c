"""The per-class box of 1-NN accuracy is held, with the share and the button, while the page
waits on baseline maps that another page's job computes, and given back when that job ends:
it was left to click, and a click changed nothing the maps came scored from."""

from __future__ import annotations

from typing import Any

from dashboard import ids
from dashboard.context import DashboardConfig, ModelSettings
from dashboard.factory import create_app

from .callback_post import post_callback


def _post(app, inputs: tuple[str, str], values: dict[tuple[str, str], Any], changed: str) -> dict:
    """The response of the baseline maps' callback whose input is ``inputs`` (id, property), as
    the page posts it: output id -> property -> value."""
    return post_callback(app, f"{ids.BASELINES_GRAPH}.figure", values, changed, input=inputs)


def _boxes_held(response: dict) -> list[bool]:
    return [o.get("disabled", False) for o in response[ids.BASELINES_PER_CLASS]["options"]]


def test_the_per_class_box_waits_on_an_earlier_pages_job(sepira_es, tmp_path):
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    app = create_app(sepira_es, cfg)
    context = app.fe_context
    context.job_started("baselines")  # an earlier page's job, alive in this process
    context.job_progress("baselines", "50% — computing t-SNE")
    values = {
        (ids.MODEL_STATUS, "data"): {"ready": True},
        (ids.BASELINES_SHARE, "value"): 0.1,
        (ids.BASELINES_PER_CLASS, "value"): [],
        (ids.BASELINES_RUNNING, "data"): False,
    }
    opened = _post(app, (ids.MODEL_STATUS, "data"), values, f"{ids.MODEL_STATUS}.data")
    assert opened[ids.BASELINES_SHARE]["disabled"] is True
    assert _boxes_held(opened) == [True]  # held with the share
    poll = (ids.BASELINES_POLL, "n_intervals")
    values[poll] = 1
    waiting = _post(app, poll, values, f"{ids.BASELINES_POLL}.n_intervals")
    assert waiting[ids.BASELINES_SHARE]["disabled"] is True and _boxes_held(waiting) == [True]
    # the job ends (here without maps): the share and the box are given back
    context.job_finished("baselines", error="stopped")
    values[poll] = 2
    ended = _post(app, poll, values, f"{ids.BASELINES_POLL}.n_intervals")
    assert ended[ids.BASELINES_SHARE]["disabled"] is False and _boxes_held(ended) == [False]
