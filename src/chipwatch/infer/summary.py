"""What the final candidate sets say: NVIDIA architecture bounds, the data-center flag
and the export status of the candidate set under each rule version."""
from __future__ import annotations

from chipwatch.catalog import Catalog, ChipStatus, set_status
from chipwatch.infer.candidates import Candidates, all_ids


def nvidia_arch_bounds(candidates: Candidates, catalog: Catalog) -> tuple[str | None, str | None]:
    """Oldest and newest architecture among NVIDIA candidates — each only when it is a
    real bound: the oldest is reported when older catalog architectures were ruled
    out, the newest when newer ones were (else null: nothing bounds it)."""
    ids = candidates.get("nvidia", ())
    ranks = [r for r in (catalog.facts.arch_rank(catalog.chip(c).architecture) for c in ids) if r is not None]
    if not ranks:
        return None, None
    archs = catalog.facts.architectures
    lo, hi = min(ranks), max(ranks)
    return (archs[lo].id if lo > 0 else None), (archs[hi].id if hi < len(archs) - 1 else None)


def datacenter_flag(candidates: Candidates, catalog: Catalog) -> bool | None:
    """True when every candidate is a data-center part, False when none is, else null."""
    flags = {catalog.chip(c).datacenter for c in all_ids(candidates)}
    return flags.pop() if len(flags) == 1 else None


def export_detail(chip_ids: list[str], catalog: Catalog) -> dict[str, dict[str, ChipStatus]]:
    return {r.id: {c: catalog.export_status(c, r.id) for c in chip_ids} for r in catalog.export_rules}


def export_status(candidates: Candidates, catalog: Catalog) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Per rule, the status of all candidates together, and of each vendor's set."""
    detail = export_detail(list(all_ids(candidates)), catalog)
    overall = {r: set_status([s.status for s in chips.values()]) for r, chips in detail.items()}
    by_vendor = {
        v: {r: set_status([detail[r][c].status for c in ids]) for r in detail}
        for v, ids in candidates.items()
    }
    return overall, by_vendor
