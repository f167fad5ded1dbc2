"""The id vocabularies validation checks values against, read from data/signals.yaml.

``trend_ids`` are the signal ids plus the derived classes the trends table counts
(``domestic.any``, ``vendor.<v>``, ``candidate.<v>``, ``export.<rule>.<status>``); the
export ids are open-ended in the rule version, so they are checked by pattern.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


from chipwatch import yamlio

EXPORT_STATUSES: tuple[str, ...] = ("all_controlled", "none_controlled", "mixed", "unknown")
EXPORT_ID = re.compile(r"^export\.[A-Za-z0-9_-]+\.(?:" + "|".join(EXPORT_STATUSES) + r")$")


@dataclass(frozen=True)
class Vocabulary:
    signals: frozenset[str]
    vendors: frozenset[str]
    domestic_stacks: frozenset[str]
    nvidia_architectures: tuple[str, ...]

    def derived_trend_ids(self) -> frozenset[str]:
        ids = {"domestic.any"}
        ids |= {f"vendor.{v}" for v in self.vendors}
        ids |= {f"candidate.{v}" for v in self.vendors}
        return frozenset(ids)

    def sets(self) -> dict[str, frozenset[str]]:
        """Named sets usable as ``in_vocabulary: <name>`` in a contract."""
        return {
            "signals": self.signals,
            "vendors": self.vendors,
            "domestic_stacks": self.domestic_stacks,
            "nvidia_architectures": frozenset(self.nvidia_architectures),
            "trend_ids": self.signals | self.derived_trend_ids(),
        }


def parse_vocabulary(doc: dict) -> Vocabulary:
    signals = set()
    for family in (doc.get("families") or {}).values():
        # Deprecated ids stay valid: rows written before the deprecation still carry them.
        signals.update((family or {}).keys())
    return Vocabulary(
        signals=frozenset(signals),
        vendors=frozenset(doc.get("vendors") or ()),
        domestic_stacks=frozenset(doc.get("domestic_stacks") or ()),
        nvidia_architectures=tuple(doc.get("nvidia_architectures") or ()),
    )


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    text = resources.files("chipwatch").joinpath("data/signals.yaml").read_text(encoding="utf-8")
    return parse_vocabulary(yamlio.safe_load(text))
