"""Signals across the history of a revision: first seen, last seen, removed by.

The cost is the unique trees and unique blobs of the ancestry, not commits × files:
each tree is read once (memoized by oid), each blob scanned once (the scan cache), what
an entry is (classification, signals at its path) decided once per (path, entry), and
the signal set of a subtree computed once per (tree oid, path) and reused by every
commit that shares it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chipwatch.gitio.objects import CommitInfo, GitRepo
from chipwatch.model import CommitRef, SignalReport, Skipped
from chipwatch.scanner.cache import BlobResult
from chipwatch.scanner.tree import TREE_MODE, FileEntry, Row, TreeReader, classify_entry
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


# What a tree entry is at one prefix: a file in scope, a subtree to descend, or neither.
_Entry = FileEntry | tuple[str, str] | None
_UNSEEN = object()


class _SignalWalker:
    """Lists each (tree oid, path prefix) pair once, breadth-first, reading trees one
    batch per depth level; then computes the signals of every subtree bottom-up.

    Successive versions of a folder share almost all their entries, so what an entry is
    (its classification, its FileEntry, the signals of its blob at its path) is decided
    once per (prefix, entry), not once per tree holding it: a long history has about ten
    times more (tree, entry) pairs than distinct files.
    """

    def __init__(self, reader: TreeReader, ruleset: RuleSet, results: dict[tuple[str, str], BlobResult], max_depth: int):
        self.reader = reader
        self.ruleset = ruleset
        self.results = results
        self.max_depth = max_depth
        self.memo: dict[tuple[str, str], Signals] = {}
        # (tree, prefix) -> (files in scope, subtrees to descend).
        self.listing: dict[tuple[str, str], tuple[tuple[FileEntry, ...], tuple[tuple[str, str], ...]]] = {}
        # (prefix, depth) -> {raw tree entry: what it is there}.
        self._entries: dict[tuple[str, int], dict[bytes, _Entry]] = {}
        # Every in-scope (blob, extractor), in the order first met.
        self.keys: dict[tuple[str, str], None] = {}
        # id(FileEntry) -> the signals its blob shows at its path. Keyed by identity: each
        # FileEntry is made once (in _entry) and kept alive by self._entries.
        self._file_signals: dict[int, tuple[str, ...]] = {}

    def _entry(self, prefix: str, depth: int, row: Row) -> _Entry:
        mode, name, oid = row
        path = prefix + name
        if mode == TREE_MODE:
            if depth < self.max_depth and not dir_skip_reason(path):
                return (oid, path + "/")
            return None
        f, _ = classify_entry(path, mode, oid)
        if f is not None:
            self.keys[(f.oid, f.extractor)] = None
        return f

    def _list(self, tree: str, prefix: str, depth: int) -> tuple[tuple[FileEntry, ...], tuple[tuple[str, str], ...]]:
        got = self.listing.get((tree, prefix))
        if got is not None:
            return got
        known = self._entries.get((prefix, depth))
        if known is None:
            known = self._entries[(prefix, depth)] = {}
        files: list[FileEntry] = []
        subtrees: list[tuple[str, str]] = []
        reader = self.reader
        for raw in reader.entries(tree):
            what = known.get(raw, _UNSEEN)
            if what is _UNSEEN:
                what = known[raw] = self._entry(prefix, depth, reader.decode(raw))
            if what is None:
                continue
            if type(what) is tuple:
                subtrees.append(what)
            else:
                files.append(what)
        # Tuples, not lists: the garbage collector stops tracking the subtree tuples (they
        # hold only strings) instead of traversing them at every full collection.
        got = self.listing[(tree, prefix)] = (tuple(files), tuple(subtrees))
        return got

    def visit(self, roots: list[str]) -> None:
        """List every (tree, prefix) under the root trees ``roots``, reading the trees of
        each depth level in one batch."""
        level = [(t, "") for t in dict.fromkeys(roots)]
        depth = 0
        while level:
            self.reader.ensure([t for t, _ in level])
            nxt: dict[tuple[str, str], None] = {}
            for tree, prefix in level:
                for sub in self._list(tree, prefix, depth)[1]:
                    if sub not in self.listing:
                        nxt[sub] = None
            level = list(nxt)
            depth += 1

    def _signals_of(self, f: FileEntry) -> tuple[str, ...]:
        """The signals ``f``'s blob shows at ``f``'s path (negations and file scopes
        applied), in the order of its findings."""
        r = self.results.get((f.oid, f.extractor))
        if r is None or r.status != "ok" or not r.findings:
            return ()
        by_id = self.ruleset.by_id
        out: dict[str, None] = {}
        for raw in r.findings:
            if raw.negated:
                continue
            rule = by_id.get(raw.rule)
            if rule and rule.signal not in out and rule.applies_to(f.path, f.kind):
                out[rule.signal] = None
        return tuple(out)

    def signals(self, tree: str, prefix: str, depth: int) -> Signals:
        key = (tree, prefix)
        got = self.memo.get(key)
        if got is not None:
            return got
        files, subtrees = self._list(tree, prefix, depth)
        memo = self.memo
        children: list[Signals] = []
        for sub in subtrees:  # (oid, prefix): the memo's key
            child = memo.get(sub)
            if child is None:
                child = self.signals(sub[0], sub[1], depth + 1)
            if child:
                children.append(child)
        own: Signals = {}
        file_signals = self._file_signals
        for f in files:
            sigs = file_signals.get(id(f))
            if sigs is None:
                sigs = file_signals[id(f)] = self._signals_of(f)
            for s in sigs:
                if s not in own:
                    own[s] = f
        if not children:
            acc = own or _EMPTY
        elif not own and len(children) == 1:
            acc = children[0]
        else:
            # Each signal keeps the file of the first child that shows it, else its own.
            acc = dict(own)
            for child in reversed(children):
                acc.update(child)
            if len(acc) == len(children[0]):
                acc = children[0]  # nothing beyond the first child: share its map
        self.memo[key] = acc
        return acc


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
    walker = _SignalWalker(reader, ruleset, {}, options.max_depth)
    walker.visit([c.tree for c in commits])
    return HistoryPlan(commits, walker, list(walker.keys), skipped)


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
    # Commits that change nothing in scope share their parent's map (the same object):
    # a map met before adds nothing to first or last seen.
    met: set[int] = set()
    for c in reversed(commits):  # parents before children
        have = per_commit[c.sha]
        if id(have) not in met:
            met.add(id(have))
            for s in have:
                if s not in first:
                    first[s] = CommitRef(c.sha, c.committed_at)
    met.clear()
    for c in commits:  # newest first
        have = per_commit[c.sha]
        if id(have) not in met:
            met.add(id(have))
            for s, f in have.items():
                if s not in last:
                    last[s] = CommitRef(c.sha, c.committed_at)
                    last_file[s] = (f, c.sha)
    removed: dict[str, CommitRef] = {}
    rev_signals = per_commit.get(rev_sha, {})
    for c in commits:
        have = per_commit[c.sha]
        for p in c.parents:
            before = per_commit.get(p)
            if not before or before is have:
                continue
            for s in before:
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
