"""Structured files read into line-preserving text before matching."""
from __future__ import annotations

from chipwatch.extractors.notebook import Extracted, extract_notebook

# Part of the scan-cache key: the same blob extracted differently is a different scan.
PLAIN = "text"
NOTEBOOK = "ipynb1"


def extractor_for(kind: str) -> str:
    return NOTEBOOK if kind == "notebook" else PLAIN


def extract(extractor: str, data: bytes) -> Extracted | None:
    """The text to match and its line map (None for plain text: lines are the file's)."""
    if extractor == NOTEBOOK:
        return extract_notebook(data)
    return Extracted(data, None)  # type: ignore[arg-type]
