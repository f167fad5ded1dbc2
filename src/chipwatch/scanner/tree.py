"""Walking a commit's tree: which files to scan, and which to leave out and why.

Trees are read in batches, one ``cat-file --batch`` per depth level, and kept in a
shared dict by oid so a history scan reads each unique tree once. Vendored folders are
not descended into; caps on file count and depth keep a hostile tree bounded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chipwatch.extractors import extractor_for
from chipwatch.extractors.kinds import classify, dir_skip_reason
from chipwatch.gitio.objects import GitRepo
from chipwatch.model import Skipped

DEFAULT_MAX_FILES = 100_000
DEFAULT_MAX_DEPTH = 48
# Entry modes as git writes them (TreeEntry.is_tree, is_symlink, is_gitlink).
TREE_MODE, SYMLINK_MODE, GITLINK_MODE = "40000", "120000", "160000"


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


# A tree entry decoded: (mode, name, oid), TreeEntry's fields in a plain tuple.
Row = tuple[str, str, str]


class TreeReader:
    """Reads and memoizes the trees of one repository, kept as raw tree objects.

    A history scan holds every tree of the ancestry: raw, that is one bytes object per
    tree (a fraction of the memory of decoded entries, and nothing for the garbage
    collector to traverse), and the history walk decodes only the entries it has not met
    before, while :meth:`rows` decodes a whole tree for a one-revision listing.
    """

    def __init__(self, repo: GitRepo, missing: set[str] | frozenset[str] = frozenset()):
        self.repo = repo
        self.trees: dict[str, bytes | None] = {o: None for o in missing}

    def ensure(self, oids: list[str]) -> None:
        """Read the trees among ``oids`` not read yet (None for one missing or not a tree)."""
        todo = [o for o in dict.fromkeys(oids) if o not in self.trees]
        if not todo:
            return
        for oid, typ, _size, data in self.repo.read_objects(todo):
            self.trees[oid] = data if typ == "tree" and data is not None else None

    def rows(self, oid: str) -> list[Row] | None:
        """The decoded entries of a tree read before; None if missing or not read."""
        raw = self.trees.get(oid)
        return None if raw is None else self.repo.parse_tree_rows(raw)

    def entries(self, oid: str) -> list[bytes]:
        """The raw entries of a tree read before (none if missing or not read)."""
        raw = self.trees.get(oid)
        return self.repo.split_tree(raw) if raw else []

    def decode(self, entry: bytes) -> Row:
        """One raw entry (from :meth:`entries`) decoded."""
        return self.repo.parse_tree_rows(entry)[0]


def classify_entry(path: str, mode: str, oid: str) -> tuple[FileEntry | None, Skipped | None]:
    """What a non-tree entry at ``path`` is: a file to scan, or left out and why."""
    if mode == SYMLINK_MODE:
        return None, Skipped(path, "symlink", oid)
    if mode == GITLINK_MODE:
        return None, Skipped(path, "submodule", oid)
    kind, reason = classify(path)
    if reason:
        return None, Skipped(path, reason, oid)
    return FileEntry(path, oid, kind, extractor_for(kind, path)), None


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
            entries = reader.rows(oid)
            if entries is None:
                out.skipped.append(Skipped(prefix or ".", "missing", oid))
                continue
            for mode, name, entry_oid in entries:
                path = f"{prefix}{name}"
                if mode == TREE_MODE:
                    reason = dir_skip_reason(path)
                    if reason:
                        out.skipped.append(Skipped(path + "/", reason, entry_oid))
                    elif depth + 1 > max_depth:
                        out.skipped.append(Skipped(path + "/", "too-deep", entry_oid))
                    else:
                        nxt.append((path + "/", entry_oid, depth + 1))
                    continue
                if n_files >= max_files:
                    out.skipped.append(Skipped(prefix or ".", f"file-cap:{max_files}"))
                    capped = True
                    break
                n_files += 1
                f, s = classify_entry(path, mode, entry_oid)
                if f:
                    out.files.append(f)
                else:
                    out.skipped.append(s)
            if capped:
                break
        level = nxt
    return out
