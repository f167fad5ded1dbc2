"""Structured files read into line-preserving text before matching.

The extractor's name is part of the scan-cache key: the same blob extracted differently
is a different scan.
"""
from __future__ import annotations

from chipwatch.extractors.notebook import Extracted, extract_notebook
from chipwatch.extractors.structured import extract_structured

PLAIN = "text"
NOTEBOOK = "ipynb1"
JSON = "json1"
YAML = "yaml1"


def extractor_for(kind: str, path: str = "") -> str:
    if kind == "notebook":
        return NOTEBOOK
    if kind == "config":
        lower = path.lower()
        if lower.endswith(".json"):
            return JSON
        if lower.endswith((".yaml", ".yml")):
            return YAML
    return PLAIN


def extract(extractor: str, data: bytes) -> Extracted | None:
    """The text to match and its line map (None for plain text: lines are the file's)."""
    if extractor == NOTEBOOK:
        return extract_notebook(data)
    if extractor == JSON:
        return extract_structured(data, "json")
    if extractor == YAML:
        return extract_structured(data, "yaml")
    return Extracted(data, None)
