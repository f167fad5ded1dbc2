"""Scan a git repository at a revision, and optionally across its history.

``scan_repository`` is the library entry point of the scan stage: it reads git objects
only, skips what is out of scope with a reason, scans each unique blob once per rule
set (cached on disk), and reports every signal with its evidence.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

from chipwatch.extractors import extractor_for
from chipwatch.extractors.kinds import classify
from chipwatch.gitio.objects import GitRepo
from chipwatch.model import Finding, ScanResult, SignalReport, Skipped
from chipwatch.scanner.blobs import DEFAULT_MAX_FILE_BYTES, BlobStats, scan_blobs, scan_bytes
from chipwatch.scanner.cache import BlobResult, ScanCache, default_cache_dir
from chipwatch.scanner.tree import DEFAULT_MAX_DEPTH, DEFAULT_MAX_FILES, FileEntry, TreeReader, list_tree
from chipwatch.signatures import RuleSet, load_ruleset

DEFAULT_MAX_COMMITS = 20_000

__all__ = ["scan_repository", "ScanOptions", "findings_at", "ScanCache", "default_cache_dir"]


# Bump when what a scan reports changes without the rule set changing.
SCANNER_VERSION = "2"


@dataclass(frozen=True)
class ScanOptions:
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_files: int = DEFAULT_MAX_FILES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_commits: int = DEFAULT_MAX_COMMITS
    # Evidence kept per signal (all findings are counted); 0 keeps every finding.
    max_evidence: int = 50


def select_evidence(findings: list[Finding], limit: int) -> tuple[Finding, ...]:
    """A bounded, diverse sample: positive findings first, one file at a time in turn,
    so a signal seen in 40 files is not represented by 50 lines of one of them."""
    if not limit or len(findings) <= limit:
        return tuple(findings)
    by_path: dict[tuple[bool, str], list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[(f.negated, f.path)].append(f)
    queues = [by_path[k] for k in sorted(by_path)]
    out: list[Finding] = []
    depth = 0
    while len(out) < limit:
        took = False
        for q in queues:
            if depth < len(q):
                out.append(q[depth])
                took = True
                if len(out) == limit:
                    break
        if not took:
            break
        depth += 1
    return tuple(out)


def _snapshot_key(commit: str, ruleset: RuleSet, history: bool, options: ScanOptions, extra: Sequence[tuple[str, bytes]]) -> str:
    import hashlib

    h = hashlib.sha256()
    h.update(f"{SCANNER_VERSION}|{commit}|{ruleset.hash}|{history}|{options}".encode())
    for vpath, content in extra:
        h.update(vpath.encode() + b"\0" + hashlib.sha256(content).digest())
    return h.hexdigest()


def findings_at(
    ruleset: RuleSet, f: FileEntry, result: BlobResult, commit: str | None, signal: str | None = None
) -> list[Finding]:
    """The findings of one blob placed at one path: file scopes applied here."""
    by_id = ruleset.by_id
    out = []
    for raw in result.findings:
        rule = by_id.get(raw.rule)
        if rule is None or (signal and rule.signal != signal) or not rule.applies_to(f.path, f.kind):
            continue
        out.append(
            Finding(
                rule=raw.rule, signal=rule.signal, path=f.path, line=raw.line, column=raw.column,
                text=raw.text, kind=f.kind, blob=f.oid, negated=raw.negated, context=raw.context,
                strength=raw.strength, commit=commit,
            )
        )
    return out


def _extra_entries(docs: Sequence[tuple[str, bytes]]) -> tuple[list[FileEntry], dict[tuple[str, str], bytes]]:
    """Virtual files (e.g. Hugging Face API metadata) scanned like blobs of the tree."""
    import hashlib

    entries, data = [], {}
    for vpath, content in docs:
        kind, _ = classify(vpath)
        if kind == "data":
            kind = "config"
        oid = "virtual:" + hashlib.sha1(content).hexdigest()
        ex = extractor_for(kind, vpath)
        entries.append(FileEntry(vpath, oid, kind, ex))
        data[(oid, ex)] = content
    return entries, data


def _group(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    by_signal: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_signal[f.signal].append(f)
    return by_signal


def _scan(
    repo: GitRepo,
    sha: str,
    ruleset: RuleSet,
    cache: ScanCache,
    *,
    history: bool,
    options: ScanOptions,
    extra_documents: Sequence[tuple[str, bytes]],
    repository: str,
) -> ScanResult:
    head = repo.commit_info(sha)
    stats = BlobStats()
    # In a partial clone, ask git which objects are absent without fetching them.
    missing = repo.missing_objects(sha, no_walk=not history) if repo.is_partial() else set()
    reader = TreeReader(repo, missing)
    hplan = None
    if history:
        from chipwatch.scanner.history import plan_history, scan_history

        # Read the whole ancestry first, so the revision's blobs and the history's are
        # looked up, read and scanned in one batch.
        hplan = plan_history(repo, sha, reader, ruleset, options)
    listing = list_tree(reader, head.tree, max_files=options.max_files, max_depth=options.max_depth)
    keys = [(f.oid, f.extractor) for f in listing.files]
    if hplan is not None:
        keys = list(dict.fromkeys([*keys, *hplan.keys]))
    results = scan_blobs(
        repo, keys, ruleset, cache, max_file_bytes=options.max_file_bytes, stats=stats, missing=missing,
    )
    extra_files, extra_data = _extra_entries(extra_documents)
    for key, content in extra_data.items():
        results[key] = scan_bytes(ruleset, key[1], content)
    skipped = list(listing.skipped)
    findings: list[Finding] = []
    scanned = 0
    for f in [*listing.files, *extra_files]:
        r = results.get((f.oid, f.extractor))
        if r is None or r.status != "ok":
            skipped.append(Skipped(f.path, r.status if r else "missing", f.oid))
            continue
        scanned += 1
        findings.extend(findings_at(ruleset, f, r, sha))
    reports: dict[str, SignalReport] = {}
    for signal, evs in _group(findings).items():
        present = any(not e.negated for e in evs)
        reports[signal] = SignalReport(
            signal, present, select_evidence(evs, options.max_evidence), negated_only=not present, evidence_count=len(evs)
        )
    commits_scanned = 1
    if hplan is not None:
        hist = scan_history(hplan, sha, ruleset, results)
        commits_scanned = hist.commits
        reports = hist.merge(reports)
        skipped.extend(hist.skipped)
    return ScanResult(
        repository=repository,
        commit=sha,
        committed_at=head.committed_at,
        ruleset=ruleset.hash,
        signals=tuple(sorted(reports.values(), key=lambda r: r.signal)),
        skipped=tuple(skipped),
        files_scanned=scanned,
        files_skipped=len(skipped),
        history=history,
        commits_scanned=commits_scanned,
        blobs_scanned=stats.scanned,
        blobs_cached=stats.cached,
    )


def scan_repository(
    path: Path | str,
    rev: str | None = None,
    *,
    history: bool = False,
    cache_dir: Path | str | None = None,
    repository: str | None = None,
    extra_documents: Sequence[tuple[str, bytes]] = (),
    ruleset: RuleSet | None = None,
    options: ScanOptions = ScanOptions(),
    cache: ScanCache | None = None,
) -> ScanResult:
    """Scan ``path`` (a bare or non-bare git repository) at ``rev`` (default HEAD).

    ``cache_dir`` defaults to ``$CHIPWATCH_CACHE_DIR`` or the user cache directory;
    pass ``cache`` to share one open cache between many scans in a process.
    """
    ruleset = ruleset or load_ruleset()
    repo = GitRepo(path)
    own_cache = cache is None
    try:
        sha = repo.resolve(rev)
        cache = cache or ScanCache(Path(cache_dir) if cache_dir else default_cache_dir())
        # The same commit scanned before under the same rules and options: its tree,
        # hence its result, cannot have changed.
        key = _snapshot_key(sha, ruleset, history, options, extra_documents)
        doc = cache.get_snapshot(key)
        if doc is not None:
            from chipwatch.scanner.serialize import result_from_doc

            cached = result_from_doc(doc, repository=repository or str(path))
            return replace(cached, blobs_scanned=0, blobs_cached=cached.files_scanned)
        result = _scan(repo, sha, ruleset, cache, history=history, options=options, extra_documents=extra_documents, repository=repository or str(path))
        # A partial clone may later receive the blobs it lacks: never freeze such a result.
        if not any(k.reason == "missing" for k in result.skipped):
            from chipwatch.scanner.serialize import result_to_doc

            cache.put_snapshot(key, result_to_doc(result))
        return result
    finally:
        repo.close()
        if own_cache and cache is not None:
            cache.close()

