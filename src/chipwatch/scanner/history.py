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
from chipwatch.scanner.cache import BlobResult
from chipwatch.scanner.tree import FileEntry, TreeReader, classify_entry
from chipwatch.extractors.kinds import dir_skip_reason
from chipwatch.signatures import RuleSet

# Per subtree we keep, for each present signal, one file that shows it (for evidence).
Signals = dict[str, FileEntry]
_EMPTY: Signals = {}


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
    """Walks (tree oid, path prefix) pairs, each once: first to list the files to scan,
    then to compute the signals of every subtree bottom-up."""

    def __init__(self, reader: TreeReader, ruleset: RuleSet, results: dict[tuple[str, str], BlobResult], max_depth: int):
        self.reader = reader
        self.ruleset = ruleset
        self.results = results
        self.max_depth = max_depth
        self.memo: dict[tuple[str, str], Signals] = {}
        # (tree, prefix) -> (files in scope, subtrees to descend): classification once.
        self.listing: dict[tuple[str, str], tuple[list[FileEntry], list[tuple[str, str]]]] = {}

    def _list(self, tree: str, prefix: str, depth: int) -> tuple[list[FileEntry], list[tuple[str, str]]]:
        key = (tree, prefix)
        got = self.listing.get(key)
        if got is None:
            files: list[FileEntry] = []
            subtrees: list[tuple[str, str]] = []
            for e in self.reader.trees.get(tree) or ():
                path = prefix + e.name
                if e.is_tree:
                    if not dir_skip_reason(path) and depth < self.max_depth:
                        subtrees.append((e.oid, path + "/"))
                    continue
                f, _ = classify_entry(path, e)
                if f:
                    files.append(f)
            got = self.listing[key] = (files, subtrees)
        return got

    def files(self, tree: str, prefix: str, depth: int, out: dict[tuple[str, str], FileEntry], seen: set) -> None:
        """Collect every in-scope file under a subtree (each (tree, prefix) visited once)."""
        stack = [(tree, prefix, depth)]
        while stack:
            t, p, d = stack.pop()
            if (t, p) in seen:
                continue
            seen.add((t, p))
            files, subtrees = self._list(t, p, d)
            for f in files:
                out[(f.oid, f.path)] = f
            stack.extend((oid, sub, d + 1) for oid, sub in subtrees)

    def signals(self, tree: str, prefix: str, depth: int) -> Signals:
        key = (tree, prefix)
        got = self.memo.get(key)
        if got is not None:
            return got
        files, subtrees = self._list(tree, prefix, depth)
        children = [c for c in (self.signals(oid, sub, depth + 1) for oid, sub in subtrees) if c]
        own: Signals = {}
        by_id = self.ruleset.by_id
        for f in files:
            r = self.results.get((f.oid, f.extractor))
            if r is None or r.status != "ok" or not r.findings:
                continue
            for raw in r.findings:
                if raw.negated:
                    continue
                rule = by_id.get(raw.rule)
                if rule and rule.signal not in own and rule.applies_to(f.path, f.kind):
                    own[rule.signal] = f
        if not own and len(children) <= 1:
            # Nothing new here: share the one child's map (maps are never mutated).
            acc = children[0] if children else _EMPTY
        else:
            acc = {}
            for child in children:
                for s, f in child.items():
                    if s not in acc:
                        acc[s] = f
            for s, f in own.items():
                if s not in acc:
                    acc[s] = f
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


@dataclass
class HistoryPlan:
    """The ancestry of a revision read from git: commits, trees, and every in-scope file
    (the blobs to scan, in one batch with the revision's own)."""

    commits: list[CommitInfo]
    walker: "_SignalWalker"
    keys: list[tuple[str, str]]
    skipped: list[Skipped]


def plan_history(repo: GitRepo, rev_sha: str, reader: TreeReader, ruleset: RuleSet, options) -> HistoryPlan:
    commits: list[CommitInfo] = repo.commits(rev_sha, limit=options.max_commits + 1)
    skipped: list[Skipped] = []
    if len(commits) > options.max_commits:
        commits = commits[: options.max_commits]
        skipped.append(Skipped(".", f"history-cap:{options.max_commits}"))
    _read_all_trees(reader, [c.tree for c in commits], options.max_depth)
    walker = _SignalWalker(reader, ruleset, {}, options.max_depth)
    files: dict[tuple[str, str], FileEntry] = {}
    seen: set = set()
    for c in commits:
        walker.files(c.tree, "", 0, files, seen)
    keys = list(dict.fromkeys((f.oid, f.extractor) for f in files.values()))
    return HistoryPlan(commits, walker, keys, skipped)


def scan_history(
    plan: HistoryPlan,
    rev_sha: str,
    ruleset: RuleSet,
    results: dict[tuple[str, str], BlobResult],
) -> HistoryResult:
    """First seen, last seen and removed-by of every signal, once ``results`` holds the
    scan of every blob of ``plan``."""
    from chipwatch.scanner import findings_at

    commits, walker, skipped = plan.commits, plan.walker, plan.skipped
    walker.results = results
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
