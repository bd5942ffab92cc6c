"""A callback of the app called as the page calls it: one POST to ``/_dash-update-component``."""

from __future__ import annotations

from typing import Any


def post_callback(
    app: Any,
    output: str,
    values: dict[tuple[str, str], Any],
    changed: str | list[str],
    input: tuple[str, str] | None = None,
) -> dict:
    """The response of the callback whose outputs hold ``output`` (``"id.property"``), given
    ``values`` of its inputs and states by ``(id, property)`` (None for the others) and
    ``changed`` (``"id.property"``, or several: the page merges the changes that reach a
    callback together into one request) as the input that changed: output id -> property ->
    value (empty when the callback sent nothing). ``input`` (id, property): of the callbacks
    with that output, the one with this input.
    """
    if output in app.callback_map and input is None:  # (the key itself: one output alone)
        key, spec = output, app.callback_map[output]
    else:
        key, spec = next(
            (k, s)
            for k, s in app.callback_map.items()
            if output in k
            and (input is None or any((i["id"], i["property"]) == input for i in s["inputs"]))
        )

    outputs = [
        dict(zip(("id", "property"), o.split("@")[0].split(".", 1), strict=True))
        for o in key.strip(".").split("...")
    ]

    def given(items: list[dict]) -> list[dict]:
        return [{**i, "value": values.get((i["id"], i["property"]))} for i in items]

    body = {
        "output": key,
        "outputs": outputs if "..." in key else outputs[0],  # (one output: not in a list)
        "inputs": given(spec["inputs"]),
        "state": given(spec.get("state", [])),
        "changedPropIds": [changed] if isinstance(changed, str) else list(changed),
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code in (200, 204), answer.data[:300]  # (204: nothing sent)
    return answer.get_json()["response"] if answer.status_code == 200 else {}
