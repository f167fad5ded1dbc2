"""A writable copy of the bundled catalog data, for tests that change it."""
from __future__ import annotations

import shutil
from pathlib import Path

from chipwatch.catalog.loader import default_data_dir


def copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    for part in ("chips", "export_rules"):
        shutil.copytree(default_data_dir() / part, data / part)
    return data
