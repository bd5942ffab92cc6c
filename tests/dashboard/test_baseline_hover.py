"""The baseline maps' hover text names the sample under the pointer (it said its tissue or
value and the map, not which sample it is)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dashboard import baselines, figures


def _hovered(fig) -> list[tuple[str, np.ndarray, np.ndarray, list[str]]]:
    """(map, x, y, sample ids as the hover text writes them) of every trace with points."""
    out = []
    for trace in fig.data:
        if trace.x is None or len(trace.x) == 0 or trace.x[0] is None:
            continue
        template = trace.hovertemplate or ""
        head = re.match(r"(.*?)%\{customdata\}<br>", template)
        assert head is not None, template
        assert trace.customdata is not None and len(trace.customdata) == len(trace.x)
        name = re.search(r"<extra>(.*)</extra>", template).group(1)
        ids = [head.group(1) + str(c) for c in trace.customdata]
        out.append((name, np.asarray(trace.x, float), np.asarray(trace.y, float), ids))
    return out


@pytest.mark.parametrize("color", [None, "obs:GATA4"])
def test_every_baseline_panel_names_the_sample_under_the_pointer(context, result, color):
    fig, _ = baselines.baseline_view(context, result, color=color)
    maps = {**result["maps"], context.model_map_name(): context.state().sample_embedding}
    row = {str(s): i for i, s in enumerate(context.sample_ids)}
    seen: dict[str, set[str]] = {}
    for name, x, y, ids in _hovered(fig):
        coords = np.asarray(maps[name], float)[[row[s] for s in ids]]
        # each point's id is the sample drawn there
        np.testing.assert_allclose(coords[:, 0], x, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(coords[:, 1], y, rtol=1e-5, atol=1e-5)
        seen.setdefault(name, set()).update(ids)
    assert set(seen) == set(maps)
    assert all(s == set(row) for s in seen.values())  # every sample, on every map


def test_sample_ids_in_the_hover_are_escaped_and_counted():
    coords = np.arange(8, dtype=np.float32).reshape(4, 2)
    ids = ["S-<b>1", "S-2", "S-3", "S-4"]
    fig = figures.baselines_figure({"PCA": coords}, ["a", "a", "b", "b"], sample_ids=ids)
    shown = {i for _, _, _, got in _hovered(fig) for i in got}
    assert shown == {"S-&lt;b&gt;1", "S-2", "S-3", "S-4"}
    with pytest.raises(ValueError, match="3 sample ids for maps of 4 samples"):
        figures.baselines_figure({"PCA": coords}, ["a"] * 4, sample_ids=ids[:3])
