"""Signals across the history of a revision: first seen, last seen, removed by.

The cost is the unique trees and unique blobs of the ancestry, not commits × files:
each tree is read once (memoized by oid), each blob scanned once (the scan cache), and
the signal set of a subtree is computed once per (tree oid, path) and reused by every
commit that shares it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chipwatch.gitio.objects import CommitInfo, GitRepo
from chipwatch.model import CommitRef, SignalReport, Skipped
from chipwatch.scanner.blobs import BlobStats, scan_blobs
from chipwatch.scanner.cache import BlobResult, ScanCache
from chipwatch.scanner.tree import FileEntry, TreeReader, classify_entry
from chipwatch.extractors.kinds import dir_skip_reason
from chipwatch.signatures import RuleSet

# Per subtree we keep, for each present signal, one file that shows it (for evidence).
Signals = dict[str, FileEntry]


@dataclass
class HistoryResult:
    commits: int
    first_seen: dict[str, CommitRef]
    last_seen: dict[str, CommitRef]
    removed_by: dict[str, CommitRef]
    last_evidence: dict[str, list]
    skipped: list[Skipped] = field(default_factory=list)

    def merge(self, at_rev: dict[str, SignalReport]) -> dict[str, SignalReport]:
        out: dict[str, SignalReport] = {}
        for signal in set(at_rev) | set(self.first_seen):
            cur = at_rev.get(signal)
            present = bool(cur and cur.at_rev)
            evidence = cur.evidence if present or signal not in self.last_evidence else tuple(self.last_evidence[signal])
            out[signal] = SignalReport(
                signal=signal,
                at_rev=present,
                evidence=evidence,
                first_seen=self.first_seen.get(signal),
                last_seen=self.last_seen.get(signal),
                removed_by=None if present else self.removed_by.get(signal),
                negated_only=bool(cur and cur.negated_only and signal not in self.first_seen),
                evidence_count=cur.evidence_count if cur else len(evidence),
            )
        return out


class _SignalWalker:
    def __init__(self, reader: TreeReader, ruleset: RuleSet, results: dict[tuple[str, str], BlobResult], max_depth: int):
        self.reader = reader
        self.ruleset = ruleset
        self.results = results
        self.max_depth = max_depth
        self.memo: dict[tuple[str, str], Signals] = {}

    def files(self, tree: str, prefix: str, depth: int, out: dict[tuple[str, str], FileEntry], seen: set) -> None:
        """Collect every in-scope file under a subtree (each (tree, prefix) visited once)."""
        if (tree, prefix) in seen:
            return
        seen.add((tree, prefix))
        entries = self.reader.trees.get(tree)
        if not entries:
            return
        for e in entries:
            path = prefix + e.name
            if e.is_tree:
                if not dir_skip_reason(path) and depth < self.max_depth:
                    self.files(e.oid, path + "/", depth + 1, out, seen)
                continue
            f, _ = classify_entry(path, e)
            if f:
                out[(f.oid, f.path)] = f

    def signals(self, tree: str, prefix: str, depth: int) -> Signals:
        key = (tree, prefix)
        got = self.memo.get(key)
        if got is not None:
            return got
        acc: Signals = {}
        for e in self.reader.trees.get(tree) or ():
            path = prefix + e.name
            if e.is_tree:
                if not dir_skip_reason(path) and depth < self.max_depth:
                    for s, f in self.signals(e.oid, path + "/", depth + 1).items():
                        acc.setdefault(s, f)
                continue
            f, _ = classify_entry(path, e)
            if not f:
                continue
            r = self.results.get((f.oid, f.extractor))
            if r is None or r.status != "ok" or not r.findings:
                continue
            for raw in r.findings:
                if raw.negated:
                    continue
                rule = self.ruleset.by_id.get(raw.rule)
                if rule and rule.signal not in acc and rule.applies_to(f.path, f.kind):
                    acc[rule.signal] = f
        self.memo[key] = acc
        return acc


def _read_all_trees(reader: TreeReader, roots: list[str], max_depth: int) -> None:
    """Breadth-first over unique tree oids, one batch per level."""
    level = list(dict.fromkeys(roots))
    depth = 0
    while level and depth <= max_depth:
        reader.ensure(level)
        nxt = []
        for oid in level:
            for e in reader.trees.get(oid) or ():
                if e.is_tree and e.oid not in reader.trees and not dir_skip_reason(e.name):
                    nxt.append(e.oid)
        level = list(dict.fromkeys(nxt))
        depth += 1


def scan_history(
    repo: GitRepo,
    rev_sha: str,
    reader: TreeReader,
    ruleset: RuleSet,
    cache: ScanCache,
    options,
    stats: BlobStats,
    results: dict[tuple[str, str], BlobResult],
    missing: set[str],
) -> HistoryResult:
    from chipwatch.scanner import findings_at

    commits: list[CommitInfo] = repo.commits(rev_sha, limit=options.max_commits + 1)
    skipped: list[Skipped] = []
    if len(commits) > options.max_commits:
        commits = commits[: options.max_commits]
        skipped.append(Skipped(".", f"history-cap:{options.max_commits}"))
    _read_all_trees(reader, [c.tree for c in commits], options.max_depth)
    walker = _SignalWalker(reader, ruleset, results, options.max_depth)
    files: dict[tuple[str, str], FileEntry] = {}
    seen: set = set()
    for c in commits:
        walker.files(c.tree, "", 0, files, seen)
    keys = [(f.oid, f.extractor) for f in files.values() if (f.oid, f.extractor) not in results]
    results.update(
        scan_blobs(repo, keys, ruleset, cache, max_file_bytes=options.max_file_bytes, stats=stats, missing=missing)
    )
    per_commit: dict[str, Signals] = {c.sha: walker.signals(c.tree, "", 0) for c in commits}
    first: dict[str, CommitRef] = {}
    last: dict[str, CommitRef] = {}
    last_file: dict[str, tuple[FileEntry, str]] = {}
    for c in reversed(commits):  # parents before children
        for s in per_commit[c.sha]:
            first.setdefault(s, CommitRef(c.sha, c.committed_at))
    for c in commits:  # newest first
        for s, f in per_commit[c.sha].items():
            if s not in last:
                last[s] = CommitRef(c.sha, c.committed_at)
                last_file[s] = (f, c.sha)
    removed: dict[str, CommitRef] = {}
    rev_signals = per_commit.get(rev_sha, {})
    for c in commits:
        have = per_commit[c.sha]
        for p in c.parents:
            for s in per_commit.get(p, {}):
                if s not in have and s not in rev_signals and s not in removed:
                    removed[s] = CommitRef(c.sha, c.committed_at)
    evidence = {}
    for s, (f, sha) in last_file.items():
        if s in rev_signals:
            continue
        r = results.get((f.oid, f.extractor))
        if r is not None:
            evidence[s] = [x for x in findings_at(ruleset, f, r, sha, signal=s) if not x.negated]
    return HistoryResult(len(commits), first, last, removed, evidence, skipped)
