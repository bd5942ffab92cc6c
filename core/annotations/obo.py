"""OBO 1.2 ontology files: their terms, parent edges and alt_ids read in one regex pass, and
the check that a file starts as an OBO file."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from core.annotations.reading import _READ_ERRORS, _decode, _open_text, _read_bytes, _unreadable
from core.annotations.vocabulary import NAMESPACES, RELATIONSHIPS
from core.errors import DataError

LOG = logging.getLogger("core.annotations")  # the package's one logger (-v shows its name)

_OBO_TOKEN_RE = re.compile(
    r"\n(?:\[([^\]\n]*)\]|(id|name|namespace|alt_id|is_a|relationship|is_obsolete):"
    r"[ \t]*([^\n]*))"
)
_OBO_HEADER_RE = re.compile(r"\n([A-Za-z][\w-]*):[ \t]*([^\n]*)")


def _read_obo(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, str]]:
    """Terms, parent edges, alt_id -> id map and header info of an OBO 1.2 file.

    One regex pass over the text (lines other than the tags needed are never looked at by
    Python code): about 1 s for the 34 MB ``go.obo``.
    """
    text, encoding = _decode(path, _read_bytes(path), "OBO file")
    text = "\n" + text.replace("\r\n", "\n").replace("\r", "\n")  # (and old Mac line ends)
    cut = not text.endswith("\n")  # a download stopped part way ends mid-line
    first = text.find("\n[")
    header: dict[str, str] = {}
    for tag, value in _OBO_HEADER_RE.findall(text[: first if first >= 0 else len(text)]):
        header.setdefault(tag, value.strip())
    terms: list[tuple[str, str, str]] = []
    edges: list[tuple[str, str, str]] = []
    alt: dict[str, str] = {}
    stanza = ""
    tid = name = namespace = ""
    obsolete = False
    alts: list[str] = []
    links: list[tuple[str, str]] = []

    def flush() -> None:
        ont = NAMESPACES.get(namespace)
        if stanza != "Term" or not tid or obsolete or ont is None:
            return
        terms.append((tid, ont, name))
        for a in alts:
            alt[a] = tid
        for rel, parent in links:
            edges.append((tid, parent, rel))

    for new_stanza, tag, value in _OBO_TOKEN_RE.findall(text, max(first, 0)):
        if not tag:  # a [Stanza] line
            flush()
            stanza = new_stanza.strip()
            tid = name = namespace = ""
            obsolete = False
            alts, links = [], []
            continue
        if stanza != "Term":
            continue
        value = value.strip()
        if " ! " in value:
            value = value.split(" ! ", 1)[0].rstrip()
        if tag == "id":
            tid = value
        elif tag == "name":
            name = value
        elif tag == "namespace":
            namespace = value
        elif tag == "alt_id":
            alts.append(value)
        elif tag == "is_obsolete":
            obsolete = value.lower() == "true"
        elif tag == "is_a":
            if value:
                links.append(("is_a", value.split()[0]))
        else:  # relationship: <type> <term>
            rel = value.split()
            if len(rel) >= 2 and rel[0] in RELATIONSHIPS:
                links.append((rel[0], rel[1]))
    # the last stanza, before it is flushed: a term without its namespace is left out
    unfinished = tid if stanza == "Term" and tid and not (namespace and name) else ""
    flush()
    if cut or unfinished:
        where = f"inside term {unfinished}" if unfinished else "in the middle of a line"
        LOG.warning(
            "%s ends %s: the file looks cut off (an interrupted download?), and the terms "
            "after that point are missing; download it again",
            path,
            where,
        )
    if header.get("format-version") and not header["format-version"].startswith("1."):
        LOG.warning("%s: OBO format-version %s (1.2 expected)", path, header["format-version"])
    if not terms:
        raise DataError(f"{path}: no GO [Term] stanza with a GO namespace found (not an OBO file?)")
    tdf = pd.DataFrame(terms, columns=["go_id", "ontology", "name"])
    edf = pd.DataFrame(edges, columns=["go_id", "parent_id", "relationship"])
    ont = dict(zip(tdf["go_id"], tdf["ontology"], strict=True))
    same = edf["go_id"].map(ont) == edf["parent_id"].map(ont)
    edf = edf[same].drop_duplicates().reset_index(drop=True)
    if not (edf["relationship"] == "is_a").any():
        LOG.warning(
            "%s: no is_a line in any of its %d terms: annotations are not propagated to "
            "ancestor terms (a flat term list or GO slim? use go.obo or go-basic.obo)",
            path,
            len(tdf),
        )
    meta = {
        "obo_data_version": header.get("data-version", ""),
        "obo_file": str(path),
        "obo_encoding": encoding,
    }
    return tdf, edf, alt, meta


def _check_obo_start(path: Path, max_lines: int = 5000) -> None:
    """A DataError unless ``path`` starts as an OBO file: a ``format-version:`` header line or
    a ``[Term]`` stanza within its first lines."""
    try:
        with _open_text(path) as fh:
            for number, raw in enumerate(fh, 1):
                line = raw.strip()
                if line.startswith("format-version:") or line == "[Term]":
                    return
                if number >= max_lines:
                    break
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    raise DataError(
        f"--go-obo {path}: no 'format-version:' line or [Term] stanza at its start (not an OBO "
        "file?)"
    )
