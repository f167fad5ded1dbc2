"""The catalog's nouns: vendors, chips, the inference facts and export rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chipwatch.catalog.quantity import Quantity

if TYPE_CHECKING:
    from chipwatch.catalog.export import ChipStatus


@dataclass(frozen=True)
class Vendor:
    """A chip maker and the stacks that claim it.

    ``presents_as``: stacks this vendor's software imitates (a MetaX build answers to
    ``cuda``); when the vendor's own stack is present they stop claiming anyone else.
    ``confirming``: signals only this vendor's silicon gives, which claim it even then.
    """

    id: str
    name: str
    domestic: bool
    stacks: tuple[str, ...]
    presents_as: tuple[str, ...] = ()
    confirming: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chip:
    """One catalog entry (chips.md §1). Unknown is ``None`` / an unknown Quantity."""

    id: str
    vendor: str
    signal: str
    name: str
    family: str | None
    architecture: str
    compute_capability: str | None
    compute_capability_inferred: bool
    stacks: tuple[str, ...]
    release_year: Quantity
    memory_gb: Quantity
    memory_bandwidth_tbs: Quantity
    dense_tflops: dict[str, Quantity] = field(compare=False, hash=False)
    formats: dict[str, bool | None] = field(compare=False, hash=False)
    datacenter: bool | None = None
    gpudirect_rdma: bool | None = None
    nvlink: bool | None = None
    nvlink_gbs: Quantity = Quantity()
    interconnect_gbs: Quantity = Quantity()
    die_area_mm2: Quantity = Quantity()
    domestic: bool = False
    notes: str = ""
    sources: tuple[str, ...] = ()

    @property
    def cc(self) -> tuple[int, int] | None:
        return parse_cc(self.compute_capability) if self.compute_capability else None

    def field_value(self, name: str) -> bool | None:
        """A tri-state capability by name: a format (``bf16`` …) or a boolean field."""
        if name in self.formats:
            return self.formats[name]
        return getattr(self, name)


@dataclass(frozen=True)
class Requirement:
    """What one signal demands of a chip (see data/chips/_facts.yaml)."""

    step: str
    signal: str
    strength: str
    label: str
    text_pattern: str | None = None
    vendors: tuple[str, ...] = ()
    min_cc: str | None = None
    chip_fields: tuple[tuple[str, bool], ...] = ()  # ("bf16", True), ("gpudirect_rdma", True)
    group: str | None = None
    sources: tuple[str, ...] = ()
    # File kinds whose findings count (empty: all). A README sentence about FP8
    # quantization is not proof that the matmuls run in FP8.
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Architecture:
    id: str
    compute_capabilities: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    sources: dict[str, str] = field(compare=False, hash=False)
    architectures: tuple[Architecture, ...]
    requirements: tuple[Requirement, ...]
    memory_patterns: tuple[str, ...]
    variant_pattern: str
    context_weights: dict[str, float] = field(compare=False, hash=False)
    confidence: dict[str, float] = field(compare=False, hash=False)

    def arch_rank(self, arch: str) -> int | None:
        for i, a in enumerate(self.architectures):
            if a.id == arch:
                return i
        return None


@dataclass(frozen=True)
class Condition:
    metric: str
    min: float | None = None
    below: float | None = None

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"≥ {self.min:g}")
        if self.below is not None:
            parts.append(f"< {self.below:g}")
        return f"{self.metric} {' and '.join(parts)}"


@dataclass(frozen=True)
class Clause:
    id: str
    applies_to: str  # any | datacenter | non_datacenter
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class ExportRule:
    """One dated version of the export criteria. ``clauses`` include inherited ones."""

    id: str
    title: str
    date: str
    clauses: tuple[Clause, ...]
    named_parts: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: str = ""


def parse_cc(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class Catalog:
    """Chips, vendors, inference facts and export rules, with their content hash."""

    hash: str
    vendors: tuple[Vendor, ...]
    chips: tuple[Chip, ...]
    facts: Facts
    export_rules: tuple[ExportRule, ...]
    # Derived lookups, filled on first use: inference asks them for every candidate of
    # every snapshot, and the catalog never changes once loaded.
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def chip(self, chip_id: str) -> Chip:
        index = self._memo.get("chips")
        if index is None:
            index = self._memo["chips"] = {c.id: c for c in self.chips}
        return index[chip_id]

    def export_status(self, chip_id: str, rule_id: str) -> ChipStatus:
        """``classify`` of a chip under an export rule, computed once per catalog."""
        key = ("status", chip_id, rule_id)
        status = self._memo.get(key)
        if status is None:
            from chipwatch.catalog.export import classify

            status = self._memo[key] = classify(self.chip(chip_id), self.export_rule(rule_id))
        return status

    def chips_for_signal(self, signal: str) -> tuple[Chip, ...]:
        """Every variant a ``chip.*`` signal names (chip.a100 → a100-40gb, a100-80gb)."""
        return tuple(c for c in self.chips if c.signal == signal)

    def chip_names(self) -> frozenset[str]:
        """Every name an inference may give a chip: catalog ids, plus the model name of
        a signal with several variants (``a100``, ``h100``) for a mention that does not
        say which variant — the set the hardware table's ``in_catalog: chips`` needs."""
        models = {c.signal.removeprefix("chip.") for c in self.chips if len(self.chips_for_signal(c.signal)) > 1}
        return frozenset({c.id for c in self.chips} | models)

    def vendor(self, vendor_id: str) -> Vendor:
        for v in self.vendors:
            if v.id == vendor_id:
                return v
        raise KeyError(vendor_id)

    def chips_of(self, vendor_id: str) -> tuple[Chip, ...]:
        return tuple(c for c in self.chips if c.vendor == vendor_id)

    def export_rule(self, rule_id: str) -> ExportRule:
        for r in self.export_rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def requirements(self, step: str) -> tuple[Requirement, ...]:
        return tuple(r for r in self.facts.requirements if r.step == step)
