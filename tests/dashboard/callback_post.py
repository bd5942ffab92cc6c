"""A callback of the app called as the page calls it: one POST to ``/_dash-update-component``."""

from __future__ import annotations

from typing import Any


def post_callback(app: Any, output: str, values: dict[tuple[str, str], Any], changed: str) -> dict:
    """The response of the callback whose outputs hold ``output`` (``"id.property"``), given
    ``values`` of its inputs and states by ``(id, property)`` (None for the others) and
    ``changed`` (``"id.property"``) as the input that changed: output id -> property -> value.
    """
    key = next(k for k in app.callback_map if output in k)
    spec = app.callback_map[key]

    def given(items: list[dict]) -> list[dict]:
        return [{**i, "value": values.get((i["id"], i["property"]))} for i in items]

    body = {
        "output": key,
        "outputs": [
            dict(zip(("id", "property"), o.split(".", 1), strict=True))
            for o in key.strip(".").split("...")
        ],
        "inputs": given(spec["inputs"]),
        "state": given(spec["state"]),
        "changedPropIds": [changed],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_json()["response"]
