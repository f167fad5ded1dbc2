"""Export-control status of a chip under a rule version, computed from the catalog.

TPP = max over the listed dense throughputs of (TFLOPS or TOPS × bit length); sparsity
never counts (chips.md §0.1). Performance density = TPP / applicable die area (mm²).
Each clause of a rule is evaluated three-valued over these metrics: a chip is
``controlled`` when some clause surely holds, ``not_controlled`` when every clause
surely fails, and ``unknown`` otherwise — with the reason naming the missing input.
Chips are judged as of the rule's text whatever their release date: a part released
after a rule is still classified under it, for comparison, and the result says so.
"""
from __future__ import annotations

from dataclasses import dataclass

from chipwatch.catalog.model import Chip, Clause, Condition, ExportRule
from chipwatch.catalog.quantity import Quantity, maximum
from chipwatch.catalog.schema import THROUGHPUT_BITS

CONTROLLED, NOT_CONTROLLED, UNKNOWN = "controlled", "not_controlled", "unknown"
SET_STATUSES = ("all_controlled", "none_controlled", "mixed", "unknown")
NAMED_PART = "named-part measure"


@dataclass(frozen=True)
class ChipStatus:
    """One chip under one rule: status, the clause that decided it, and why."""

    chip: str
    rule: str
    status: str
    clause: str  # a.1 … b.2, 3A090, named-part measure, not-controlled, or undetermined
    reason: str
    note: str = ""

    def to_json(self) -> dict[str, str]:
        return {"status": self.status, "clause": self.clause, "reason": self.reason, "note": self.note}


def tpp(chip: Chip) -> Quantity:
    return maximum([q.scale(THROUGHPUT_BITS[fmt]) for fmt, q in chip.dense_tflops.items()])


def performance_density(chip: Chip) -> Quantity:
    return tpp(chip).divide(chip.die_area_mm2)


def metric(chip: Chip, name: str) -> Quantity:
    if name == "tpp":
        return tpp(chip)
    if name == "performance_density":
        return performance_density(chip)
    value = getattr(chip, name)
    assert isinstance(value, Quantity), name
    return value


_WHY_UNKNOWN = {
    "tpp": "no dense throughput known",
    "performance_density": "die area or TPP unknown",
    "interconnect_gbs": "interconnect bandwidth unknown",
    "memory_bandwidth_tbs": "memory bandwidth unknown",
    "memory_gb": "memory size unknown",
}


def _condition(chip: Chip, cond: Condition) -> tuple[bool | None, str]:
    value = metric(chip, cond.metric)
    results = []
    if cond.min is not None:
        results.append(value.at_least(cond.min))
    if cond.below is not None:
        results.append(value.below(cond.below))
    verdict = _and(results)
    if not value.known:
        return None, f"{cond.metric} unknown ({_WHY_UNKNOWN[cond.metric]})"
    return verdict, f"{cond.metric} {value} vs {cond.describe()}"


def _and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    if all(v is True for v in values):
        return True
    return None


def _clause(chip: Chip, clause: Clause) -> tuple[bool | None, str]:
    if clause.applies_to != "any":
        wanted = clause.applies_to == "datacenter"
        if chip.datacenter is None:
            return None, "data-center status unknown"
        if chip.datacenter != wanted:
            return False, f"applies to {clause.applies_to.replace('_', '-')} parts only"
    parts = [_condition(chip, c) for c in clause.conditions]
    return _and([v for v, _ in parts]), "; ".join(text for _, text in parts)


def classify(chip: Chip, rule: ExportRule) -> ChipStatus:
    """The status of ``chip`` under ``rule`` (see the module docstring)."""
    note = _release_note(chip, rule)
    if chip.id in rule.named_parts:
        return ChipStatus(chip.id, rule.id, CONTROLLED, NAMED_PART, f"named in {rule.title}", note)
    results = [(cl, *_clause(chip, cl)) for cl in rule.clauses]
    for cl, verdict, text in results:
        if verdict is True:
            return ChipStatus(chip.id, rule.id, CONTROLLED, cl.id, text, note)
    open_ = [(cl, text) for cl, verdict, text in results if verdict is None]
    if open_:
        reason = "; ".join(f"{cl.id} undetermined: {text}" for cl, text in open_)
        return ChipStatus(chip.id, rule.id, UNKNOWN, "undetermined", reason, note)
    summary = f"TPP {tpp(chip)}, performance density {performance_density(chip)}"
    return ChipStatus(chip.id, rule.id, NOT_CONTROLLED, "not-controlled", f"{summary}: no clause holds", note)


def _release_note(chip: Chip, rule: ExportRule) -> str:
    rule_year = int(rule.date[:4])
    notes = []
    if chip.release_year.known and chip.release_year.lo > rule_year:  # type: ignore[operator]
        notes.append(f"released {chip.release_year}, after this rule; classified under it for comparison")
    elif not chip.release_year.known:
        notes.append("release year unknown; classified under this rule for comparison")
    if chip.domestic:
        notes.append("PRC domestic design: US rules reach it only indirectly (foreign-direct-product rules, Entity List)")
    return "; ".join(notes)


def set_status(statuses: list[str]) -> str:
    """The status of a candidate set: ``all_controlled``, ``none_controlled``, ``mixed``
    or ``unknown``. ``mixed`` needs one surely controlled and one surely not controlled
    member (then unknown members cannot change it); otherwise any unknown member — or an
    empty set — makes the set ``unknown``."""
    kinds = set(statuses)
    if CONTROLLED in kinds and NOT_CONTROLLED in kinds:
        return "mixed"
    if not kinds or UNKNOWN in kinds:
        return "unknown"
    return "all_controlled" if kinds == {CONTROLLED} else "none_controlled"
