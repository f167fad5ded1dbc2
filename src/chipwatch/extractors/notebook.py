"""Jupyter notebooks read cell by cell into line-preserving text.

Only the ``source`` of code and markdown cells is scanned: outputs (logs, base64
images, widget state) are never evidence. Each extracted line keeps the line number it
has in the .ipynb file itself, so a finding points at the real file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

SCANNED_CELLS = ("code", "markdown")


@dataclass(frozen=True)
class Extracted:
    text: bytes
    linemap: list[int] | None  # linemap[i] = line in the original file of extracted line i+1
    # Extracted lines from this one on (1-based) are flattened config settings, matched
    # only by rules with ``settings: true`` (and those rules match nothing else).
    settings_from: int | None = None


def _from_json(doc: dict) -> Extracted:
    """Fallback for notebooks not pretty-printed one source line per JSON line: every
    extracted line maps to the line where its cell's source starts (best available)."""
    lines: list[str] = []
    linemap: list[int] = []
    for cell in doc.get("cells") or []:
        if not isinstance(cell, dict) or cell.get("cell_type") not in SCANNED_CELLS:
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        for line in src.split("\n"):
            lines.append(line)
            linemap.append(1)
        lines.append("")
        linemap.append(1)
    return Extracted("\n".join(lines).encode("utf-8"), linemap)


def extract_notebook(data: bytes) -> Extracted | None:
    """Text of a notebook's code and markdown cells, or None if it is not JSON."""
    text = data.decode("utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    raw_lines = text.split("\n")
    # Pretty-printed nbformat: '"cell_type": "code",' ... '"source": [' then one JSON
    # string per line until ']'. Walk the raw lines with that grammar; if the file
    # does not follow it, fall back to parsed cells.
    out: list[str] = []
    linemap: list[int] = []
    cell_type: str | None = None
    in_source = False
    found_sources = 0
    for i, raw in enumerate(raw_lines, start=1):
        s = raw.strip()
        if in_source:
            if s.startswith("]"):
                in_source = False
                out.append("")
                linemap.append(i)
                continue
            item = s[:-1] if s.endswith(",") else s
            try:
                value = json.loads(item)
            except ValueError:
                return _from_json(doc)
            if not isinstance(value, str):
                return _from_json(doc)
            out.append(value.rstrip("\n"))
            linemap.append(i)
            continue
        if s.startswith('"cell_type"'):
            cell_type = s.split(":", 1)[1].strip().strip(",").strip().strip('"')
        elif s.startswith('"source"'):
            rest = s.split(":", 1)[1].strip()
            if cell_type not in SCANNED_CELLS:
                if rest.startswith("[") and not rest.rstrip(",").endswith("]"):
                    in_source = False  # skip raw cells' sources: consumed below
                continue
            found_sources += 1
            if rest.startswith("[") and rest.rstrip(",").endswith("]"):
                continue  # empty source: "source": []
            if rest.startswith("["):
                in_source = True
            else:
                # "source": "a single string" on one line
                try:
                    value = json.loads(rest[:-1] if rest.endswith(",") else rest)
                except ValueError:
                    return _from_json(doc)
                for part in str(value).split("\n"):
                    out.append(part)
                    linemap.append(i)
    cells = [c for c in doc.get("cells") or [] if isinstance(c, dict) and c.get("cell_type") in SCANNED_CELLS]
    if found_sources < len(cells):
        return _from_json(doc)
    return Extracted("\n".join(out).encode("utf-8"), linemap)
