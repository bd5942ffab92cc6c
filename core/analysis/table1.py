"""Table 1 as tables: paired differences between maps over the same splits, the mean +- sd
table and both as Markdown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.analysis.maps import METHOD_NAMES
from core.errors import CoreError, first_names


def _check_table1(table: Any) -> None:
    """CoreError unless ``table`` has Table 1's columns ``(embedding, "mean" | "sd")``."""
    columns = getattr(table, "columns", None)
    if not isinstance(columns, pd.MultiIndex) or not {"mean", "sd"} <= set(
        columns.get_level_values(-1)
    ):
        raise CoreError(
            "format_table takes a semi_supervised_table result (columns (embedding, "
            f"'mean' | 'sd')), got {type(table).__name__}"
            + (f" with columns {first_names(columns, 4)}" if columns is not None else "")
        )


def paired_differences(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Accuracy of ``reference`` minus every other embedding's, split by split (same splits).

    Each split trains every map's classifier on the same labelled samples, so the difference
    between two maps is far less noisy split by split than their separate means ± sd suggest.

    Parameters
    ----------
    table
        A :func:`semi_supervised_table` result (its ``attrs["split_scores"]``).
    reference
        The embedding compared with the others (e.g. ``"fe"``).

    Returns
    -------
    pandas.DataFrame
        Index ``(classifier, embedding)`` for every other embedding; columns ``difference``
        (mean of reference minus other over the splits), ``sd`` (of the per-split differences),
        ``se`` (``sd / sqrt(n_splits)``: how precisely the splits pin the mean down; it does
        not cover sampling of the dataset itself), ``ci_low`` / ``ci_high`` (95% interval,
        mean ± t se with t the 97.5% quantile of Student's t on ``n_splits - 1`` degrees of
        freedom: 1.98 for 100 splits, 2.78 for 5; NaN for a single split),
        ``share_ge`` (fraction of splits where the reference is at least as accurate),
        ``share_tie`` (fraction of all splits where both are equally accurate; counted in
        ``share_ge``) and
        ``n_splits``.
    """
    scores = table.attrs.get("split_scores")
    if not scores:
        raise CoreError("the table holds no per-split scores (made by semi_supervised_table)")
    if reference not in scores:
        raise CoreError(f"no embedding {reference!r} in the table; it has {sorted(scores)}")
    from scipy.stats import t as student_t

    rows = []
    for clf, ref in scores[reference].items():
        ref = np.asarray(ref, dtype=np.float64)
        for name, by_clf in scores.items():
            if name == reference or clf not in by_clf:
                continue
            diff = ref - np.asarray(by_clf[clf], dtype=np.float64)
            n = diff.size
            sd = float(diff.std(ddof=1)) if n > 1 else float("nan")
            se = sd / np.sqrt(n) if n > 1 else float("nan")
            half = float(student_t.ppf(0.975, n - 1)) * se if n > 1 else float("nan")
            mean = float(diff.mean())
            rows.append(
                {
                    "classifier": clf,
                    "embedding": name,
                    "difference": mean,
                    "sd": sd,
                    "se": se,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "share_ge": float(np.mean(diff >= 0)),
                    "share_tie": float(np.mean(diff == 0)),
                    "n_splits": n,
                }
            )
    if not rows:
        raise CoreError(f"the table has no embedding to compare with {reference!r}")
    return pd.DataFrame(rows).set_index(["classifier", "embedding"])


def format_table(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """Table 1 as strings ``"0.62 ± 0.02"``: index classifier, one column per embedding."""
    _check_table1(table)
    names = list(dict.fromkeys(table.columns.get_level_values(0)))
    out = pd.DataFrame(index=table.index)
    runs = [np.size(v) for m in table.attrs.get("split_scores", {}).values() for v in m.values()]
    for name in names:
        mean, sd = table[(name, "mean")], table[(name, "sd")]
        if runs and max(runs) == 1:  # no spread to state (it read "0.70 ± 0.00")
            out[name] = [f"{m:.{digits}f} (1 split)" for m in mean]
            continue
        out[name] = [f"{m:.{digits}f} ± {s:.{digits}f}" for m, s in zip(mean, sd, strict=True)]
    return out


def format_paired(paired: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """:func:`paired_differences` as strings ``"-0.0025 [-0.0031, -0.0019], 22%"`` (mean
    difference, 95% interval over the splits, share of splits where the reference is at least as
    accurate, and ``(5% tied)``, the share of all splits that are ties, when some are): index
    classifier, one column per compared embedding (display names)."""
    out = pd.DataFrame(index=pd.Index(list(dict.fromkeys(paired.index.get_level_values(0)))))
    out.index.name = "classifier"

    def signed(x: float) -> str:
        text = f"{x:+.{digits}f}"
        # a difference that rounds to zero is 0, not -0.000 (nor +0.000)
        return text[1:] if float(text) == 0 else text

    for (clf, name), r in paired.iterrows():
        interval = (
            f"[{signed(r['ci_low'])}, {signed(r['ci_high'])}]"
            if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])
            else f"[no interval from {int(r['n_splits'])} split]"  # it read [+nan, +nan]
        )
        out.loc[clf, METHOD_NAMES.get(name, name)] = (
            f"{signed(r['difference'])} {interval}, "
            f"{r['share_ge']:.0%}"
            + (f" ({r['share_tie']:.0%} tied)" if r.get("share_tie", 0) > 0 else "")
        )
    return out.fillna("")


def paired_to_markdown(paired: pd.DataFrame, digits: int = 4) -> str:
    """Markdown of :func:`format_paired`."""
    return _markdown(format_paired(paired, digits))


def _markdown(fmt: pd.DataFrame) -> str:
    """A table of strings (index: classifier) as Markdown."""
    header = ["classifier", *[str(METHOD_NAMES.get(c, c)) for c in fmt.columns]]  # (0, 1...)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for clf, row in fmt.iterrows():
        lines.append("| " + " | ".join([str(clf), *map(str, row.tolist())]) + " |")
    return "\n".join(lines) + "\n"


def table_to_markdown(table: pd.DataFrame, digits: int = 2) -> str:
    """Markdown of :func:`format_table` (no extra dependency)."""
    return _markdown(format_table(table, digits))
