"""Walking a Dash layout: the tests' one way to reach every component under a root, and the
words of an alert."""

from __future__ import annotations

from typing import Any


def components(root: Any) -> list:
    """Every component of the layout tree under ``root`` (``root`` included)."""
    found, stack = [], [root]
    while stack:
        c = stack.pop()
        found.append(c)
        children = getattr(c, "children", None)
        if isinstance(children, list | tuple):
            stack.extend(x for x in children if x is not None)
        elif children is not None and hasattr(children, "to_plotly_json"):
            stack.append(children)
    return found


def find(root: Any, component_id: str) -> Any:
    """The component of ``component_id`` under ``root``."""
    for c in components(root):
        if getattr(c, "id", None) == component_id:
            return c
    raise KeyError(component_id)


def alert_text(alert: Any) -> str:
    """The words of an alert (or of several, in one Div, joined by `` | ``); "" for none or
    ``no_update``."""
    from dash import no_update

    if alert is None or alert is no_update:
        return ""
    children = alert.children
    if isinstance(children, list):
        return " | ".join(alert_text(c) for c in children)
    return str(children)
