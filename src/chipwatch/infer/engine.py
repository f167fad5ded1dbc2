"""``infer_hardware``: a scan in, the hardware inference out — the steps in order, then
what the final candidate sets say."""
from __future__ import annotations

from chipwatch.catalog import Catalog, load_catalog
from chipwatch.infer import steps as step_modules
from chipwatch.infer.candidates import Candidates, all_ids
from chipwatch.infer.confidence import confidence
from chipwatch.infer.evidence import Evidence
from chipwatch.infer.steps.explicit import explicit_chips
from chipwatch.infer.steps.vendor import claims
from chipwatch.infer.summary import datacenter_flag, export_detail, export_status, nvidia_arch_bounds
from chipwatch.model import Inference, ScanResult, Step


def infer_hardware(scan: ScanResult, catalog: Catalog | None = None) -> Inference:
    """Infer the hardware behind one scanned snapshot. Pure: same scan and catalog,
    same inference."""
    catalog = catalog or load_catalog()
    evidence = Evidence.from_scan(scan)
    candidates: Candidates = {}
    steps: list[Step] = []
    for module in step_modules.ORDER:
        done, candidates = module.run(evidence, catalog, candidates)
        steps.append(done)

    claim_findings = claims(evidence, catalog)
    explicit = explicit_chips(evidence, catalog, candidates)
    domestic = sorted({
        f.signal.removeprefix("stack.")
        for v, fs in claim_findings.items() if catalog.vendor(v).domestic
        for f in fs if f.signal.startswith("stack.")
    })
    lo, hi = nvidia_arch_bounds(candidates, catalog)
    overall, by_vendor = export_status(candidates, catalog)
    detail_ids = list(dict.fromkeys([*all_ids(candidates), *(v for e in explicit for v in e.variants)]))
    detail = {r: {c: s.to_json() for c, s in chips.items()} for r, chips in export_detail(detail_ids, catalog).items()}
    score, terms = confidence(claim_findings, steps, explicit, catalog)
    return Inference(
        repository=scan.repository,
        commit=scan.commit,
        ruleset=scan.ruleset,
        catalog_hash=catalog.hash,
        vendors=tuple(sorted(candidates)),
        domestic=tuple(domestic),
        min_nvidia_arch=lo,
        max_nvidia_arch=hi,
        datacenter=datacenter_flag(candidates, catalog),
        candidates=candidates,
        explicit_chips=tuple(explicit),
        export_status=overall,
        export_status_by_vendor=by_vendor,
        export_detail=detail,
        confidence=score,
        confidence_terms=terms,
        steps=tuple(steps),
        history_only=evidence.history_only,
    )
