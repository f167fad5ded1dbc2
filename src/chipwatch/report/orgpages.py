"""The per-organization pages' content: every repository's latest inference and its
elimination chain, each step's evidence resolved to a row of the evidence table.

Pure: frames in, plain dataclasses out; the HTML templates only lay them out. Anchors
are built from positions, never from repository text, so a hostile name cannot break
a link or the markup.
"""
from __future__ import annotations

import json
import re
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from chipwatch.report.frames import REPO_KEY, SNAPSHOT_KEY


@dataclass(frozen=True)
class EvidenceView:
    anchor: str
    signal: str
    path: str
    line: int | None
    kind: str
    text: str
    commit: str
    permalink: str | None
    in_table: bool  # False: cited by a step but not found in the evidence table


@dataclass(frozen=True)
class StepView:
    number: int
    step: str
    sentence: str
    evidence: tuple[EvidenceView, ...]
    kept: int
    eliminated: tuple[str, ...]
    left: str
    contradictions: tuple[str, ...]


@dataclass
class RepoView:
    anchor: str
    platform: str
    owner: str
    name: str
    url: str | None
    as_of: str
    commit: str
    summary: list[tuple[str, str]]
    export_status: list[tuple[str, str]]
    explicit: list[tuple[str, str, EvidenceView | None]]
    steps: list[StepView]
    stages: list[tuple[str, int, int]]
    evidence: list[EvidenceView]
    removed: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None
    steps_error: str | None = None
    funnel: str = ""  # safe SVG markup, set when the page is rendered


@dataclass
class OrgPage:
    organization: str
    filename: str
    repos: list[RepoView]
    failed: list[dict[str, Any]]

    @property
    def platforms(self) -> list[str]:
        return sorted({r.platform for r in self.repos} | {f["platform"] for f in self.failed})


def page_filename(org: str) -> str:
    """A file name for an organization's page: readable, safe, and distinct for names
    that differ only in characters a file name cannot hold."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", org.lower()).strip("-.")[:60] or "org"
    return f"org-{slug}-{hashlib.sha1(org.encode('utf-8')).hexdigest()[:8]}.html"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values as None (pandas gives NaN for a null string)."""
    return [{k: (None if _missing(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # lists, arrays, dicts: present
        return False


def _kv(value: Any) -> list[tuple[str, Any]]:
    """A map column as pandas gives it (list of pairs, dict or None) → pairs."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    return [tuple(p) for p in value]


def _join(values: Any, empty: str = "none") -> str:
    items = [str(v) for v in (values if values is not None else ())]
    return ", ".join(items) or empty


class _EvidenceIndex:
    """Evidence rows of one snapshot, looked up by (signal, path, line), each given one
    anchor the first time a step or a named chip cites it."""

    def __init__(self, rows: pd.DataFrame, prefix: str):
        self.prefix = prefix
        self.rows: dict[tuple[str, str, int], dict[str, Any]] = {}
        for r in _records(rows.sort_values(["negated", "signal_id", "path", "line"])):
            self.rows.setdefault((r["signal_id"], r["path"], int(r["line"])), r)
        self.cited: dict[tuple[str, str, int], EvidenceView] = {}

    def cite(self, signal: str, path: str, line: Any, text: str = "", kind: str = "") -> EvidenceView:
        key = (str(signal), str(path), int(line) if line is not None else -1)
        if key in self.cited:
            return self.cited[key]
        row = self.rows.get(key)
        view = EvidenceView(
            anchor=f"{self.prefix}-ev{len(self.cited) + 1}",
            signal=key[0], path=key[1], line=None if key[2] < 0 else key[2],
            kind=(row or {}).get("file_kind") or kind or "",
            text=(row or {}).get("text") or text or "",
            commit=(row or {}).get("found_in_commit") or "",
            permalink=(row or {}).get("permalink") or None,
            in_table=row is not None,
        )
        self.cited[key] = view
        return view


def _steps(raw: str, ev: _EvidenceIndex, vendor_of: Callable[[str], str]) -> tuple[list[StepView], list[tuple[str, int, int]]]:
    steps: list[StepView] = []
    stages: list[tuple[str, int, int]] = []
    for n, s in enumerate(json.loads(raw or "[]"), 1):
        kept = list(s.get("kept") or ())
        eliminated = tuple(s.get("eliminated") or ())
        if n == 1:
            stages.append(("catalog", len(kept) + len(eliminated), 0))
        if s.get("step") != "explicit":
            stages.append((str(s.get("step")), len(kept), len(eliminated)))
        groups: dict[str, list[str]] = {}
        for c in kept:
            groups.setdefault(vendor_of(c), []).append(c)
        steps.append(StepView(
            number=n, step=str(s.get("step")), sentence=str(s.get("sentence") or ""),
            evidence=tuple(ev.cite(b.get("signal"), b.get("path"), b.get("line"), b.get("text") or "", b.get("kind") or "")
                           for b in s.get("because") or ()),
            kept=len(kept), eliminated=eliminated,
            left="; ".join(f"{v}: {', '.join(cs)}" for v, cs in groups.items()) or "no candidates",
            contradictions=tuple(str(c) for c in s.get("contradictions") or ()),
        ))
    return steps, stages


def _summary(hw: dict[str, Any]) -> list[tuple[str, str]]:
    dc = {True: "yes", False: "no"}.get(hw.get("datacenter"), "unknown")
    rows = [
        ("vendors", _join(hw.get("vendors"), "none claimed")),
        ("domestic stacks", _join(hw.get("domestic_stacks"))),
        ("NVIDIA architecture", f"{hw.get('min_nvidia_arch') or '?'} … {hw.get('max_nvidia_arch') or '?'}"),
        ("data-center parts only", dc),
    ]
    for vendor, chips in _kv(hw.get("candidates")):
        rows.append((f"candidates ({vendor})", _join(chips, "none in the catalog")))
    if hw.get("history_only") is not None and len(hw["history_only"]):
        rows.append(("seen only in history (not used)", _join(hw["history_only"])))
    return rows


def repo_view(hw: dict[str, Any], evidence: pd.DataFrame, removed: pd.DataFrame, anchor: str, url: str | None,
              vendor_of: Callable[[str], str]) -> RepoView:
    """The view of one repository's latest snapshot: ``hw`` is its hardware row,
    ``evidence`` and ``removed`` its rows of those frames."""
    ev = _EvidenceIndex(evidence, anchor)
    try:
        steps, stages = _steps(hw.get("steps_json") or "[]", ev, vendor_of)
        steps_error = None
    except (ValueError, TypeError, AttributeError) as exc:  # a malformed chain is shown as such, not a crash
        steps, stages, steps_error = [], [], f"the elimination chain could not be read: {exc}"
    explicit = []
    for e in hw.get("explicit_chips") if hw.get("explicit_chips") is not None else ():
        cited = ev.cite(e["signal"], e["path"], e["line"]) if e.get("path") else None
        state = {True: "candidate", False: "ruled out by the evidence", None: "vendor not claimed"}[e.get("candidate")]
        explicit.append((str(e["chip"]), f"{e.get('context') or 'unknown'}; {state}", cited))
    return RepoView(
        anchor=anchor, platform=hw["platform"], owner=hw["owner"], name=hw["name"], url=url,
        as_of=str(hw["as_of"]), commit=str(hw.get("commit") or ""), summary=_summary(hw),
        export_status=[(str(r), str(s)) for r, s in _kv(hw.get("export_status"))],
        explicit=explicit, steps=steps, stages=stages, evidence=list(ev.cited.values()),
        removed=_records(removed), confidence=hw.get("confidence"), steps_error=steps_error,
    )


def org_pages(latest_hw: pd.DataFrame, evidence: pd.DataFrame, removed: pd.DataFrame, failed: pd.DataFrame,
              repos: pd.DataFrame, vendor_of: Callable[[str], str]) -> list[OrgPage]:
    """One page per organization with a scanned or failed repository."""
    urls = {} if repos.empty else {
        tuple(k): u for k, u in repos.drop_duplicates(REPO_KEY, keep="last").set_index(REPO_KEY)["url"].items()
    }
    ev_groups = {k: g for k, g in evidence.groupby(SNAPSHOT_KEY)} if not evidence.empty else {}
    rm_groups = {k: g for k, g in removed.groupby(REPO_KEY)} if not removed.empty else {}
    orgs = sorted(set(latest_hw["owner"]) | set(failed["owner"] if not failed.empty else ()))
    pages = []
    for org in orgs:
        views = []
        rows = _records(latest_hw[latest_hw["owner"] == org].sort_values(["name", "platform"]))
        for i, hw in enumerate(rows, 1):
            skey = tuple(hw[k] for k in SNAPSHOT_KEY)
            rkey = tuple(hw[k] for k in REPO_KEY)
            views.append(repo_view(hw, ev_groups.get(skey, evidence.iloc[0:0]), rm_groups.get(rkey, removed.iloc[0:0]),
                                   f"r{i}", urls.get(rkey), vendor_of))
        lost = [] if failed.empty else _records(failed[failed["owner"] == org].sort_values("name"))
        pages.append(OrgPage(org, page_filename(org), views, lost))
    return pages
