"""``mirror:<dir>`` — a folder of existing clones or bare repositories, read in place.

Layouts: ``DIR/owner/name`` (with or without ``.git``) and ``DIR/owner+name``; each
entry may be a bare repository or a clone with a ``.git`` folder. Nothing is fetched:
entries carry ``metadata["local"] = True`` so the cache hands the path back as is.
Mirrors made by partial clone, with no config and no remote, are fine here: only HEAD
and the default branch are read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from chipwatch.gitio.safegit import run_git
from chipwatch.model import RepoRef
from chipwatch.sources.base import DiscoveryFailure


def _git_dir(path: Path) -> Path | None:
    if (path / ".git").is_dir():
        return path / ".git"
    if (path / "HEAD").is_file() and (path / "objects").is_dir():
        return path
    return None


def _strip(name: str) -> str:
    return name[:-4] if name.endswith(".git") else name


class MirrorSource:
    """Every repository of a mirror folder. ``platform`` names them (``github`` when the
    folder mirrors GitHub, so permalinks point there; ``mirror`` by default)."""

    def __init__(self, root: str | Path, *, spec: str | None = None, platform: str = "mirror"):
        self.root = Path(root)
        self.spec = spec or f"mirror:{root}"
        self.platform = platform

    def __repr__(self) -> str:
        return f"MirrorSource({str(self.root)!r}, platform={self.platform!r})"

    def _entries(self) -> Iterator[tuple[str, str, Path]]:
        for first in sorted(self.root.iterdir()):
            if not first.is_dir() or first.name.startswith("."):
                continue
            if "+" in first.name and _git_dir(first):
                owner, _, name = _strip(first.name).partition("+")
                yield owner, name, first
                continue
            if _git_dir(first):
                yield self.root.name, _strip(first.name), first  # a lone repository
                continue
            for second in sorted(first.iterdir()):
                if second.is_dir() and not second.name.startswith("."):
                    yield first.name, _strip(second.name), second

    def discover(self) -> Iterator[RepoRef | DiscoveryFailure]:
        if not self.root.is_dir():
            yield DiscoveryFailure(self.spec, None, "not-found", f"mirror folder {str(self.root)!r} does not exist")
            return
        for owner, name, path in self._entries():
            key = f"{self.platform}:{owner}/{name}"
            git_dir = _git_dir(path)
            if git_dir is None:
                yield DiscoveryFailure(self.spec, key, "corrupt", f"{path.name!r} is not a git repository")
                continue
            yield self._repo(owner, name, git_dir, key)

    def _repo(self, owner: str, name: str, git_dir: Path, key: str) -> RepoRef | DiscoveryFailure:
        meta = {"local": True, "path": str(git_dir)}
        proc = run_git(["symbolic-ref", "-q", "--short", "HEAD"], git_dir=git_dir, timeout=60)
        branch = proc.stdout.decode("utf-8", "replace").strip() or None
        proc = run_git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], git_dir=git_dir, timeout=60)
        head = proc.stdout.decode().strip() if proc.returncode == 0 else None
        ref = RepoRef(self.platform, owner, name, str(git_dir), branch, head, meta)
        if head is None:
            has_refs = run_git(["for-each-ref", "--count=1"], git_dir=git_dir, timeout=60)
            if has_refs.returncode != 0:
                return DiscoveryFailure(self.spec, key, "corrupt", "repository is unreadable", ref=ref)
            kind = "empty" if not has_refs.stdout.strip() else "corrupt"
            return DiscoveryFailure(self.spec, key, kind, "HEAD does not name a commit", ref=ref)
        return ref
