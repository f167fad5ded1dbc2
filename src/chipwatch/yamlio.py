"""YAML documents of chipwatch's own data and of users' files, read with libyaml.

``yaml.safe_load`` is the pure-Python parser: the chip catalog, the table contracts and
the vocabularies took ~0.5 s to read at every start of a run, of a Dask worker and of
the command line. The C loader builds the same safe types ~8× faster; PyYAML falls back
to the Python one where libyaml is missing.
"""
from __future__ import annotations

from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str | bytes) -> Any:
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader
