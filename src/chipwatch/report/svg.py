"""The elimination chain of one repository as a small inline SVG (the paper's figures):
how many catalog chips are still candidates after each step. Built from numbers and
escaped labels only, so nothing from a scanned repository can become markup."""
from __future__ import annotations

from html import escape
from typing import Sequence

BAR_H, GAP, LABEL_W, BAR_W, COUNT_W = 18, 6, 110, 330, 150


def funnel(stages: Sequence[tuple[str, int, int]]) -> str:
    """``stages`` are (label, kept, ruled out by this stage); the first is the catalog.
    Returns an ``<svg>`` element (a string of safe markup)."""
    top = max((kept for _, kept, _ in stages), default=0)
    if top == 0:  # no vendor claimed: nothing was narrowed, a chart of zeros says nothing
        return ""
    height = len(stages) * (BAR_H + GAP) + GAP
    width = LABEL_W + BAR_W + COUNT_W
    parts = [
        f'<svg class="funnel" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        "<title>Candidate chips left after each step</title>",
    ]
    for i, (name, kept, out) in enumerate(stages):
        y = GAP + i * (BAR_H + GAP)
        w = round(BAR_W * kept / top, 1)
        w_out = round(BAR_W * out / top, 1)
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end" class="fl">{escape(name)}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{w}" height="{BAR_H}" class="fk"/>')
        if out:
            parts.append(f'<rect x="{LABEL_W + w}" y="{y}" width="{w_out}" height="{BAR_H}" class="fo"/>')
        note = f"{kept} left" + (f", {out} ruled out" if out else "")
        parts.append(f'<text x="{LABEL_W + max(w + w_out, 1) + 6}" y="{y + 13}" class="fc">{escape(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)
