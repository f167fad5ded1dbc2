"""Walking a commit's tree: which files to scan, and which to leave out and why.

Trees are read in batches, one ``cat-file --batch`` per depth level, and kept in a
shared dict by oid so a history scan reads each unique tree once. Vendored folders are
not descended into; caps on file count and depth keep a hostile tree bounded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chipwatch.extractors import extractor_for
from chipwatch.extractors.kinds import classify, dir_skip_reason
from chipwatch.gitio.objects import GitRepo, TreeEntry
from chipwatch.model import Skipped

DEFAULT_MAX_FILES = 100_000
DEFAULT_MAX_DEPTH = 48


@dataclass(frozen=True)
class FileEntry:
    path: str
    oid: str
    kind: str
    extractor: str


@dataclass
class TreeListing:
    files: list[FileEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class TreeReader:
    """Reads and memoizes trees of one repository."""

    def __init__(self, repo: GitRepo, missing: set[str] | frozenset[str] = frozenset()):
        self.repo = repo
        self.trees: dict[str, list[TreeEntry] | None] = {o: None for o in missing}

    def ensure(self, oids: list[str]) -> None:
        todo = [o for o in dict.fromkeys(oids) if o not in self.trees]
        if todo:
            self.trees.update(self.repo.read_trees(todo))

    def get(self, oid: str) -> list[TreeEntry] | None:
        if oid not in self.trees:
            self.ensure([oid])
        return self.trees[oid]


def classify_entry(path: str, entry: TreeEntry) -> tuple[FileEntry | None, Skipped | None]:
    if entry.is_symlink:
        return None, Skipped(path, "symlink", entry.oid)
    if entry.is_gitlink:
        return None, Skipped(path, "submodule", entry.oid)
    kind, reason = classify(path)
    if reason:
        return None, Skipped(path, reason, entry.oid)
    return FileEntry(path, entry.oid, kind, extractor_for(kind, path)), None


def list_tree(
    reader: TreeReader,
    root_tree: str,
    *,
    max_files: int = DEFAULT_MAX_FILES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> TreeListing:
    """Every file under ``root_tree`` with its kind, or the reason it is left out."""
    out = TreeListing()
    level: list[tuple[str, str, int]] = [("", root_tree, 0)]
    n_files = 0
    capped = False
    while level and not capped:
        reader.ensure([oid for _, oid, _ in level])
        nxt: list[tuple[str, str, int]] = []
        for prefix, oid, depth in level:
            entries = reader.trees.get(oid)
            if entries is None:
                out.skipped.append(Skipped(prefix or ".", "missing", oid))
                continue
            for e in entries:
                path = f"{prefix}{e.name}"
                if e.is_tree:
                    reason = dir_skip_reason(path)
                    if reason:
                        out.skipped.append(Skipped(path + "/", reason, e.oid))
                    elif depth + 1 > max_depth:
                        out.skipped.append(Skipped(path + "/", "too-deep", e.oid))
                    else:
                        nxt.append((path + "/", e.oid, depth + 1))
                    continue
                if n_files >= max_files:
                    out.skipped.append(Skipped(prefix or ".", f"file-cap:{max_files}"))
                    capped = True
                    break
                n_files += 1
                f, s = classify_entry(path, e)
                if f:
                    out.files.append(f)
                else:
                    out.skipped.append(s)
            if capped:
                break
        level = nxt
    return out
