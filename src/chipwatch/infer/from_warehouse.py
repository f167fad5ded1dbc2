"""A published inference read back from the warehouse, as an ``Inference``.

``chipwatch explain OWNER/NAME [--as-of DATE]`` shows the hardware row of a repository's
snapshot — the latest at or before ``as_of`` — exactly as the crawl published it, so an
analyst can follow the chain behind a number in a table without cloning anything. The
hardware table keeps the chain and the chips; what it does not store is filled in from
the evidence table (the line of a named chip) and from the chip catalog (context
weights, per-chip export status), and the result says when the catalog has changed
since publication.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow.compute as pc

from chipwatch.catalog import Catalog
from chipwatch.errors import ChipwatchError
from chipwatch.infer.steps.explicit import chip_status
from chipwatch.infer.summary import export_detail
from chipwatch.model import EvidenceRef, ExplicitChip, Inference, Step
from chipwatch.storage import Warehouse

_REF = re.compile(r"^(?:(?P<platform>[a-z][a-z0-9_-]*):)?(?P<owner>[^\s:][^\s]*)/(?P<name>[^/\s]+)$")


@dataclass(frozen=True)
class RepoSpec:
    platform: str | None
    owner: str
    name: str

    @property
    def text(self) -> str:
        return f"{self.platform + ':' if self.platform else ''}{self.owner}/{self.name}"


@dataclass(frozen=True)
class PublishedInference:
    inference: Inference
    platform: str
    as_of: date
    run_id: str
    warehouse: str
    catalog_changed: bool

    def unknown_chips(self, catalog: Catalog) -> list[str]:
        """Chip ids of the chain the current catalog does not know (it changed since)."""
        known = {c.id for c in catalog.chips}
        ids = {c for s in self.inference.steps for c in (*s.kept, *s.eliminated)}
        ids |= {c for chips in self.inference.candidates.values() for c in chips}
        return sorted(ids - known)

    def to_json(self) -> dict[str, Any]:
        doc = self.inference.to_json()
        doc.update(source="warehouse", warehouse=self.warehouse, platform=self.platform,
                   as_of=self.as_of.isoformat(), run_id=self.run_id, catalog_changed=self.catalog_changed)
        return doc


def parse_repo_spec(text: str) -> RepoSpec | None:
    """``OWNER/NAME`` or ``PLATFORM:OWNER/NAME`` (owner may hold ``/``: GitLab groups)."""
    m = _REF.match(text.strip())
    if not m:
        return None
    return RepoSpec(m.group("platform"), m.group("owner"), m.group("name"))


def _filter(spec: RepoSpec, as_of: date | None):
    expr = (pc.field("owner") == spec.owner) & (pc.field("name") == spec.name)
    if spec.platform:
        expr &= pc.field("platform") == spec.platform
    if as_of is not None:
        expr &= pc.field("as_of") <= as_of
    return expr


def _no_snapshot(wh: Warehouse, spec: RepoSpec, as_of: date | None) -> ChipwatchError:
    """The clearest error we can give: never published, or only failed snapshots."""
    snaps = wh.read("snapshots", filters=_filter(spec, as_of),
                    columns=["as_of", "status", "error_message", "run_id"]).to_pylist()
    when = f" at or before {as_of}" if as_of else ""
    if not snaps:
        return ChipwatchError(f"no snapshot of {spec.text}{when} in the warehouse {wh.url} "
                              "(give PLATFORM:OWNER/NAME, or a local path)", subject="explain", kind="not-found")
    last = max(snaps, key=lambda r: (r["as_of"], r["run_id"]))
    return ChipwatchError(f"the snapshots of {spec.text}{when} were not scanned; the latest ({last['as_of']}) "
                          f"{last['status']}: {last['error_message'] or 'no error recorded'}", subject="explain",
                          kind="not-scanned")


def _steps(steps_json: str) -> tuple[Step, ...]:
    try:
        raw = json.loads(steps_json or "[]")
        return tuple(
            Step(step=s["step"], because=tuple(EvidenceRef(b["signal"], b["path"], int(b["line"]), b.get("text") or "",
                                                           b.get("kind") or "") for b in s.get("because") or ()),
                 kept=tuple(s.get("kept") or ()), eliminated=tuple(s.get("eliminated") or ()),
                 sentence=s.get("sentence") or "", contradictions=tuple(s.get("contradictions") or ()))
            for s in raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise ChipwatchError(f"the published elimination chain cannot be read: {exc}", subject="explain") from exc


def _explicit(row: dict[str, Any], lines: dict[tuple[str, str, int], dict[str, Any]], catalog: Catalog) -> tuple[ExplicitChip, ...]:
    ids = {c.id for c in catalog.chips}
    weights = catalog.facts.context_weights
    out = []
    for e in row["explicit_chips"] or ():
        found = lines.get((e["signal"], e["path"], e["line"]), {})
        chips = tuple(catalog.chip(v) for v in e["variants"] or () if v in ids)
        out.append(ExplicitChip(
            chip=e["chip"], signal=e["signal"], vendor=e["vendor"], variants=tuple(e["variants"] or ()),
            context=e["context"] or "unknown", weight=weights.get(e["context"] or "unknown", 0.0), path=e["path"],
            line=e["line"], text=found.get("text") or "", kind=found.get("file_kind") or "", candidate=e["candidate"],
            export_status=chip_status(chips, catalog) if chips else {},
        ))
    return tuple(out)


def published_inference(wh: Warehouse, spec: RepoSpec, catalog: Catalog, *, as_of: date | None = None) -> PublishedInference:
    """The inference of ``spec``'s latest scanned snapshot at or before ``as_of``."""
    rows = wh.read("hardware", filters=_filter(spec, as_of)).to_pylist()
    if not rows:
        raise _no_snapshot(wh, spec, as_of)
    platforms = sorted({r["platform"] for r in rows})
    if len(platforms) > 1:
        raise ChipwatchError(f"{spec.owner}/{spec.name} is on several platforms ({', '.join(platforms)}); "
                             f"say which, e.g. {platforms[0]}:{spec.owner}/{spec.name}", subject="explain")
    row = max(rows, key=lambda r: (r["as_of"], r["run_id"]))
    expr = (_filter(RepoSpec(row["platform"], row["owner"], row["name"]), None) & (pc.field("as_of") == row["as_of"])
            & (pc.field("run_id") == row["run_id"]))
    evidence = wh.read("evidence", filters=expr, columns=["signal_id", "path", "line", "text", "file_kind"]).to_pylist()
    lines = {(e["signal_id"], e["path"], e["line"]): e for e in evidence}
    candidates = {v: tuple(chips) for v, chips in row["candidates"] or ()}
    changed = row["catalog_hash"] != catalog.hash
    known = {c.id for c in catalog.chips}
    detail_ids = [c for chips in candidates.values() for c in chips if c in known]
    detail = {} if changed else {
        r: {c: s.to_json() for c, s in chips.items()} for r, chips in export_detail(detail_ids, catalog).items()}
    inference = Inference(
        repository=f"{row['platform']}:{row['owner']}/{row['name']}", commit=row["commit"] or "",
        ruleset=row["ruleset_hash"], catalog_hash=row["catalog_hash"], vendors=tuple(row["vendors"] or ()),
        domestic=tuple(row["domestic_stacks"] or ()), min_nvidia_arch=row["min_nvidia_arch"],
        max_nvidia_arch=row["max_nvidia_arch"], datacenter=row["datacenter"], candidates=candidates,
        explicit_chips=_explicit(row, lines, catalog), export_status=dict(row["export_status"] or ()),
        export_status_by_vendor={v: dict(s) for v, s in row["export_status_by_vendor"] or ()},
        export_detail=detail, confidence=row["confidence"] or 0.0,
        confidence_terms=dict(row["confidence_terms"] or ()), steps=_steps(row["steps_json"]),
        history_only=tuple(row["history_only"] or ()),
    )
    return PublishedInference(inference, row["platform"], row["as_of"], row["run_id"], wh.url, changed)
