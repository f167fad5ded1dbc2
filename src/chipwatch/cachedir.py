"""Where chipwatch keeps its caches: ``$CHIPWATCH_CACHE_DIR`` or the user cache directory."""
from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    env = os.environ.get("CHIPWATCH_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("chipwatch", appauthor=False))
