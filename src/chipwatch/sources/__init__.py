"""Sources of repositories: ``parse_spec("github:ORG" | "hf:AUTHOR" | "git:URL" |
"mirror:DIR" | "sample:DIR") -> Source``, each with ``discover()`` yielding
:class:`~chipwatch.model.RepoRef` or :class:`DiscoveryFailure` values.

Source modules are imported lazily, so listing a mirror never imports PyGithub.
"""
from __future__ import annotations

import importlib
from typing import Any

from chipwatch.errors import ConfigError
from chipwatch.sources.base import KINDS, DiscoveryFailure, Source

__all__ = ["KINDS", "DiscoveryFailure", "Source", "PREFIXES", "parse_spec"]

# prefix -> (module, class). A module-level from_spec(target, spec=, **options) wins;
# else a class-level from_spec(spec) when there are no options; else cls(target, spec=, **options).
PREFIXES: dict[str, tuple[str, str]] = {
    "github": ("chipwatch.sources.github", "GitHubSource"),
    "hf": ("chipwatch.sources.hf", "HfSource"),
    "git": ("chipwatch.sources.git_remote", "GitRemoteSource"),
    "mirror": ("chipwatch.sources.mirror", "MirrorSource"),
    "sample": ("chipwatch.sources.sample", "SampleSource"),
}


def parse_spec(spec: str, **options: Any) -> Source:
    """The source named by ``spec``; ``options`` are passed to its constructor
    (``include_forks``, ``api_url``, ``cache_dir`` …). Raises ConfigError on a bad spec."""
    if not isinstance(spec, str) or ":" not in spec:
        raise ConfigError(f"not a source spec: {spec!r} (expected one of {', '.join(p + ':…' for p in PREFIXES)})", kind="bad-spec")
    prefix, _, target = spec.partition(":")
    prefix = prefix.strip().lower()
    target = target.strip()
    if prefix not in PREFIXES:
        raise ConfigError(f"unknown source {prefix!r} in {spec!r} (expected one of {', '.join(PREFIXES)})", kind="bad-spec")
    if not target and prefix != "sample":  # "sample:" alone is the bundled corpus
        raise ConfigError(f"source spec {spec!r} names nothing after {prefix + ':'!r}", kind="bad-spec")
    module_name, class_name = PREFIXES[prefix]
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    try:
        if hasattr(module, "from_spec"):
            return module.from_spec(target, spec=spec, **options)
        if hasattr(cls, "from_spec") and not options:
            return cls.from_spec(spec)  # e.g. sample: parses its own DIR?repos=N
        return cls(target, spec=spec, **options)
    except TypeError as exc:
        raise ConfigError(f"bad options for {spec!r}: {exc}", kind="bad-spec") from None
    except ValueError as exc:
        raise ConfigError(f"{spec!r}: {exc}", kind="bad-spec") from None

