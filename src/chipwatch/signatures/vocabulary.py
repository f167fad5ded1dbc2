"""The signal vocabulary (data/signals.yaml): which ids exist, and their families."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from chipwatch import yamlio
from chipwatch.errors import RuleError


@dataclass(frozen=True)
class Vocabulary:
    signals: dict[str, str]  # id -> description
    families: dict[str, tuple[str, ...]]
    domestic_stacks: tuple[str, ...]
    vendors: tuple[str, ...]
    nvidia_architectures: tuple[str, ...]

    def family(self, signal: str) -> str:
        return signal.split(".", 1)[0]

    def __contains__(self, signal: object) -> bool:
        return signal in self.signals


def vocabulary_text() -> str:
    return resources.files("chipwatch.data").joinpath("signals.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    raw = yamlio.safe_load(vocabulary_text())
    signals: dict[str, str] = {}
    families: dict[str, tuple[str, ...]] = {}
    for family, ids in raw["families"].items():
        for sid in ids:
            if not sid.startswith(family + "."):
                raise RuleError(f"signal {sid!r} is listed under family {family!r}", subject="signals.yaml")
            signals[sid] = ids[sid]
        families[family] = tuple(ids)
    return Vocabulary(
        signals=signals,
        families=families,
        domestic_stacks=tuple(raw["domestic_stacks"]),
        vendors=tuple(raw["vendors"]),
        nvidia_architectures=tuple(raw["nvidia_architectures"]),
    )
