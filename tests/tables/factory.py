"""Pipeline objects and table batches for the tables, storage and validate tests."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from chipwatch.model import CommitRef, Finding, RepoRef, ScanResult, SignalReport
from chipwatch.tables import RunContext, TableBatch


def sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def repo(owner: str = "deepseek-ai", name: str = "DeepEP", platform: str = "github", **meta) -> RepoRef:
    urls = {"github": f"https://github.com/{owner}/{name}", "hf": f"https://huggingface.co/{owner}/{name}"}
    return RepoRef(
        platform, owner, name, urls.get(platform, f"/mirrors/{owner}/{name}"), "main", sha(name),
        {"stargazers_count": 12, "created_at": "2023-05-01T10:00:00Z", "license": {"spdx_id": "MIT"}, **meta},
    )


def finding(signal: str, path: str = "train.sh", line: int = 3, *, kind: str = "script", negated: bool = False,
            commit: str | None = None, text: str | None = None) -> Finding:
    return Finding(
        rule=f"{signal}.rule", signal=signal, path=path, line=line, column=1,
        text=text or f"line about {signal}", kind=kind, blob=sha(path + signal), negated=negated, commit=commit,
    )


def scan(commit_seed: str, present: list[str], *, removed: list[str] = (), negated: list[str] = (),
         committed_at: str = "2026-10-15T08:00:00Z") -> ScanResult:
    commit = sha(commit_seed)
    old = CommitRef(sha(commit_seed + "-old"), "2025-01-02T03:04:05Z")
    gone = CommitRef(sha(commit_seed + "-gone"), "2025-06-01T00:00:00Z")
    reports = [SignalReport(s, True, (finding(s, commit=commit),), first_seen=old, last_seen=CommitRef(commit, committed_at))
               for s in present]
    reports += [SignalReport(s, False, (finding(s, "old.py", kind="code", commit=old.commit),), first_seen=old,
                             last_seen=old, removed_by=gone) for s in removed]
    reports += [SignalReport(s, False, (finding(s, "env.sh", negated=True, commit=commit),), negated_only=True)
                for s in negated]
    return ScanResult(repository="x", commit=commit, committed_at=committed_at, ruleset="rs-1",
                      signals=tuple(reports), skipped=(), files_scanned=40, files_skipped=2, history=True,
                      commits_scanned=5, blobs_scanned=30, blobs_cached=10)


def inference(commit: str, *, vendors=("nvidia",), candidates=None, export="all_controlled", domestic=False) -> dict:
    candidates = candidates if candidates is not None else {"nvidia": ["h100", "h800"]}
    return {
        "commit": commit, "vendors": list(vendors), "domestic": domestic, "min_nvidia_arch": "hopper",
        "max_nvidia_arch": "hopper", "datacenter": True, "candidates": candidates,
        "explicit_chips": [{"chip": "h800", "signal": "chip.h800", "vendor": "nvidia", "variants": ["h800"],
                            "context": "training", "weight": 1.0, "path": "README.md", "line": 7, "text": "8x H800",
                            "kind": "doc", "candidate": True, "export_status": {"oct-2023": "controlled"}}],
        "export_status": {"oct-2022": "mixed", "oct-2023": export},
        "export_status_by_vendor": {v: {"oct-2023": export} for v in candidates},
        "confidence": 0.82, "confidence_terms": {"vendor": 0.4, "narrowing": 0.42}, "history_only": ["stack.rocm"],
        "steps": [{"step": "stack", "because": [{"signal": "stack.nccl"}], "kept": ["nvidia"], "eliminated": ["amd"],
                   "sentence": "NCCL and CUDA point to NVIDIA."}],
    }


def context(run_id: str = "20261101T000000Z-aaaaaa", started: datetime | None = None) -> RunContext:
    return RunContext(run_id, "rs-1", "cat-1", started or datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc))


def batch(run_id: str = "20261101T000000Z-aaaaaa", as_of: str = "2026-10-31", repos: int = 2,
          signals: tuple[str, ...] = ("stack.nccl", "precision.bf16"), with_run: bool = True) -> dict:
    """A run's tables: ``repos`` repositories scanned at ``as_of`` plus one failed one."""
    ctx = context(run_id)
    b = TableBatch(ctx)
    for i in range(repos):
        r = repo(name=f"repo{i}")
        s = scan(f"{r.name}@{as_of}", list(signals), removed=["stack.rocm"], negated=["interconnect.infiniband"])
        b.add_repo(r)
        b.add_snapshot(r, as_of, s, inference(s.commit))
    broken = repo(name="broken")
    b.add_repo(broken)
    b.add_snapshot(broken, as_of, error=("fetch", "remote hung up"))
    if with_run:
        b.set_run(kind="crawl", status="partial", parameters={"as_of": as_of}, code_version="0.1.0",
                  finished_at=datetime(2026, 11, 1, 3, 5, tzinfo=timezone.utc),
                  failures=[{"subject": "github:deepseek-ai/broken", "kind": "fetch", "message": "remote hung up"}],
                  timings={"scan": 12.5, "fetch": 3.0})
    return b.tables()
