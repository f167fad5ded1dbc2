"""Row builders: the pipeline's objects (RepoRef, ScanResult, the Inference JSON) to rows.

Each builder returns plain dicts keyed by the contract's column names; ``to_arrow``
(chipwatch.tables.arrow) turns them into a table of the contract's schema. Builders are
pure: the run context is passed in, nothing is read from the environment.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from chipwatch.model import CommitRef, Finding, RepoRef, ScanResult, SignalReport
from chipwatch.tables.context import RunContext
from chipwatch.tables.permalinks import permalink
from chipwatch.tables.values import (
    MESSAGE_LIMIT,
    TEXT_LIMIT,
    bounded,
    first_of,
    license_id,
    month_of,
    one_line,
    to_bool,
    to_date,
    to_float,
    to_int,
    to_utc,
)
from chipwatch.tables.vocabulary import load_vocabulary

# Strongest first: code and launch scripts are use, a README is a claim.
KIND_STRENGTH: tuple[str, ...] = ("code", "script", "config", "notebook", "data", "doc")

ErrorLike = BaseException | str | tuple[str, str] | None


def error_fields(error: ErrorLike) -> tuple[str | None, str | None]:
    """(error_kind, error_message) from an exception, a message, or a (kind, message) pair."""
    if error is None:
        return None, None
    if isinstance(error, tuple):
        kind, message = error
        return kind, one_line(message, MESSAGE_LIMIT)
    if isinstance(error, BaseException):
        kind = getattr(error, "kind", None) or type(error).__name__
        return str(kind), one_line(str(error) or type(error).__name__, MESSAGE_LIMIT)
    return "error", one_line(error, MESSAGE_LIMIT)


def _repo_key(repo: RepoRef) -> dict[str, str]:
    return {"platform": repo.platform, "owner": repo.owner, "name": repo.name}


def _snapshot_key(repo: RepoRef, as_of: date, commit: str | None) -> dict[str, Any]:
    return {**_repo_key(repo), "as_of": as_of, "commit": commit, "as_of_month": month_of(as_of)}


def repo_row(ctx: RunContext, repo: RepoRef, *, status: str = "ok", error: ErrorLike = None) -> dict[str, Any]:
    """The repos row of ``repo``; ``status`` becomes "failed" when an error is given."""
    meta = repo.metadata or {}
    kind, message = error_fields(error)
    if error is not None and status == "ok":
        status = "failed"
    return {
        **_repo_key(repo),
        "url": repo.url,
        "default_branch": repo.default_branch,
        "head_commit": repo.head_commit,
        "stars": to_int(first_of(meta, "stars", "stargazers_count", "likes"), field="stars"),
        "downloads": to_int(first_of(meta, "downloads"), field="downloads"),
        "created_at": to_utc(first_of(meta, "created_at", "createdAt"), field="created_at"),
        "pushed_at": to_utc(first_of(meta, "pushed_at", "last_modified", "lastModified"), field="pushed_at"),
        "license": license_id(first_of(meta, "license", "license_id")),
        "archived": to_bool(first_of(meta, "archived", "disabled")),
        "fork": to_bool(first_of(meta, "fork")),
        "crawl_status": status,
        "error_kind": kind,
        "error_message": message,
        "run_date": f"{ctx.started_at:%Y-%m-%d}",
        **ctx.stamp(),
    }


def snapshot_row(
    ctx: RunContext,
    repo: RepoRef,
    as_of: date | str,
    scan: ScanResult | None = None,
    *,
    status: str | None = None,
    error: ErrorLike = None,
    commit: str | None = None,
) -> dict[str, Any]:
    """The snapshots row. Without a scan the snapshot is "failed" (with ``error``) or "empty"."""
    day = to_date(as_of, field="as_of")
    kind, message = error_fields(error)
    if status is None:
        status = "ok" if scan is not None and error is None else ("failed" if error is not None else "empty")
    findings = len(scan.findings()) if scan else 0
    return {
        **_snapshot_key(repo, day, scan.commit if scan else commit),
        "committed_at": to_utc(scan.committed_at, field="committed_at") if scan else None,
        "files_scanned": scan.files_scanned if scan else 0,
        "files_skipped": scan.files_skipped if scan else 0,
        "commits_scanned": scan.commits_scanned if scan else 0,
        "blobs_scanned": scan.blobs_scanned if scan else 0,
        "blobs_cached": scan.blobs_cached if scan else 0,
        "history": bool(scan.history) if scan else False,
        "signals_present": len(scan.present()) if scan else 0,
        "findings": findings,
        "status": status,
        "error_kind": kind,
        "error_message": message,
        **ctx.stamp(),
    }


def evidence_row(ctx: RunContext, repo: RepoRef, day: date, commit: str, f: Finding) -> dict[str, Any]:
    found_in = f.commit or commit
    return {
        **_snapshot_key(repo, day, commit),
        "found_in_commit": found_in,
        "signal_id": f.signal,
        "rule_id": f.rule,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "file_kind": f.kind,
        "text": bounded(f.text, TEXT_LIMIT),
        "blob_id": f.blob,
        "negated": bool(f.negated),
        "strength": f.strength,
        "context": f.context,
        "permalink": permalink(repo, found_in, f.path, f.line),
        **ctx.stamp(),
    }


def evidence_rows(ctx: RunContext, repo: RepoRef, as_of: date | str, scan: ScanResult) -> list[dict[str, Any]]:
    day = to_date(as_of, field="as_of")
    return [evidence_row(ctx, repo, day, scan.commit, f) for f in scan.findings()]


def strongest_kind(findings: Iterable[Finding]) -> str | None:
    kinds = {f.kind for f in findings if not f.negated}
    for kind in KIND_STRENGTH:
        if kind in kinds:
            return kind
    return None


def _commit_fields(commit_col: str, at_col: str, ref: CommitRef | None) -> dict[str, Any]:
    return {
        commit_col: ref.commit if ref else None,
        at_col: to_utc(ref.committed_at, field=at_col) if ref else None,
    }


def signal_row(ctx: RunContext, repo: RepoRef, day: date, commit: str, report: SignalReport) -> dict[str, Any]:
    removed = not report.at_rev and (report.removed_by is not None or report.last_seen is not None)
    return {
        **_snapshot_key(repo, day, commit),
        "signal_id": report.signal,
        "present": bool(report.at_rev),
        # All findings at the revision; the evidence table keeps a bounded sample of them.
        "evidence_count": max(report.evidence_count, len(report.evidence)),
        "negated_count": sum(1 for f in report.evidence if f.negated),
        "strongest_file_kind": strongest_kind(report.evidence),
        "negated_only": bool(report.negated_only),
        **_commit_fields("first_seen_commit", "first_seen_at", report.first_seen),
        **_commit_fields("last_seen_commit", "last_seen_at", report.last_seen),
        "removed": removed,
        **_commit_fields("removed_by_commit", "removed_at", report.removed_by),
        **ctx.stamp(),
    }


def signal_rows(ctx: RunContext, repo: RepoRef, as_of: date | str, scan: ScanResult) -> list[dict[str, Any]]:
    day = to_date(as_of, field="as_of")
    return [signal_row(ctx, repo, day, scan.commit, r) for r in scan.signals]


def inference_json(inference: Any) -> dict[str, Any]:
    """The Inference as its JSON dict (an object with ``to_json()`` or a mapping)."""
    if inference is None:
        raise ValueError("hardware row needs an inference")
    if hasattr(inference, "to_json"):
        inference = inference.to_json()
    if not isinstance(inference, Mapping):
        raise ValueError(f"inference must be a mapping or have to_json(), got {type(inference).__name__}")
    return dict(inference)


def _domestic(inf: Mapping[str, Any], scan: ScanResult | None) -> tuple[bool, list[str]]:
    """(domestic flag, domestic stacks): the inference may give a flag or the stack list."""
    value = inf.get("domestic")
    domestic_ids = load_vocabulary().domestic_stacks
    if isinstance(value, (list, tuple)):
        stacks = sorted(str(v).removeprefix("stack.") for v in value)
        return bool(stacks), stacks
    stacks = sorted(s.removeprefix("stack.") for s in (scan.present() if scan else ()) if s.startswith("stack."))
    stacks = [s for s in stacks if s in domestic_ids]
    return (bool(value) if value is not None else bool(stacks)), stacks


def hardware_row(
    ctx: RunContext,
    repo: RepoRef,
    as_of: date | str,
    inference: Any,
    *,
    scan: ScanResult | None = None,
) -> dict[str, Any]:
    """The hardware row of a snapshot from its Inference (object or ``to_json()`` dict)."""
    inf = inference_json(inference)
    day = to_date(as_of, field="as_of")
    commit = inf.get("commit") or (scan.commit if scan else None)
    candidates = {str(v): [str(c) for c in chips] for v, chips in (inf.get("candidates") or {}).items()}
    domestic, stacks = _domestic(inf, scan)
    explicit = [
        {
            "chip": e.get("chip"),
            "signal": e.get("signal"),
            "vendor": e.get("vendor"),
            "variants": list(e.get("variants") or ()),
            "context": e.get("context"),
            "path": e.get("path"),
            "line": e.get("line"),
            "candidate": e.get("candidate"),
        }
        for e in (inf.get("explicit_chips") or ())
    ]
    steps = list(inf.get("steps") or ())
    return {
        **_snapshot_key(repo, day, commit),
        "vendors": [str(v) for v in inf.get("vendors") or ()],
        "domestic": domestic,
        "domestic_stacks": stacks,
        "min_nvidia_arch": inf.get("min_nvidia_arch"),
        "max_nvidia_arch": inf.get("max_nvidia_arch"),
        "datacenter": inf.get("datacenter"),
        "candidate_vendors": sorted(v for v, chips in candidates.items() if chips),
        "candidate_chips": sorted({c for chips in candidates.values() for c in chips}),
        "candidates": candidates,
        "explicit_chips": explicit,
        "export_status": {str(k): str(v) for k, v in (inf.get("export_status") or {}).items()},
        "export_status_by_vendor": {
            str(v): {str(r): str(s) for r, s in rules.items()}
            for v, rules in (inf.get("export_status_by_vendor") or {}).items()
        },
        "confidence": to_float(inf.get("confidence"), field="confidence"),
        "confidence_terms": {
            str(k): to_float(v, field=f"confidence_terms.{k}") for k, v in (inf.get("confidence_terms") or {}).items()
        },
        "history_only": [str(s) for s in inf.get("history_only") or ()],
        "step_count": len(steps),
        "steps_json": json.dumps(steps, ensure_ascii=False, default=str),
        **ctx.stamp(),
    }


def run_row(
    ctx: RunContext,
    *,
    kind: str,
    status: str,
    parameters: Mapping[str, Any],
    code_version: str,
    finished_at: datetime | None = None,
    counts: Mapping[str, Any] | None = None,
    failures: Iterable[Mapping[str, Any]] = (),
    timings: Mapping[str, float] | None = None,
    quarantine: str | None = None,
) -> dict[str, Any]:
    """The runs row. ``counts`` may hold repos, snapshots, snapshots_failed, findings and
    per-table row counts; ``failures`` are ``{subject, kind, message}`` dicts."""
    counts = dict(counts or {})
    failures = [dict(f) for f in failures]
    finished = to_utc(finished_at, field="finished_at")
    return {
        "run_id": ctx.run_id,
        "kind": kind,
        "status": status,
        "parameters_json": json.dumps(parameters, sort_keys=True, default=str),
        "started_at": ctx.started_at,
        "finished_at": finished,
        "duration_s": (finished - ctx.started_at).total_seconds() if finished else None,
        "code_version": code_version,
        "repos": int(counts.get("repos", 0)),
        "snapshots": int(counts.get("snapshots", 0)),
        "snapshots_failed": int(counts.get("snapshots_failed", 0)),
        "findings": int(counts.get("findings", 0)),
        "failures": len(failures),
        "failures_json": json.dumps(failures, sort_keys=True, default=str),
        "counts_json": json.dumps(counts, sort_keys=True, default=str),
        "timings_json": json.dumps(dict(timings or {}), sort_keys=True),
        "quarantine": quarantine,
        "run_month": f"{ctx.started_at:%Y-%m}",
        "ruleset_hash": ctx.ruleset_hash,
        "catalog_hash": ctx.catalog_hash,
    }
