"""Read git objects directly — never a checkout, never a hook, never a network call.

Every command runs with the repository's git directory named explicitly, hooks pointed
at /dev/null, no system or global config, and ``protocol.allow=never`` so that a
partial clone's missing blob is reported missing instead of being fetched lazily one at
a time.
"""
from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from chipwatch.errors import GitError, NotARepository, UnknownRevision

SAFE_CONFIG = (
    "-c", "safe.directory=*",
    "-c", "protocol.allow=never",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.fsmonitor=false",
    "-c", "core.untrackedCache=false",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
)


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_NO_LAZY_FETCH="1",  # honoured by git >= 2.44; protocol.allow=never covers older
        GIT_LFS_SKIP_SMUDGE="1",
        LC_ALL="C",
    )
    return env


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    committed_at: str  # ISO 8601 UTC
    timestamp: int
    parents: tuple[str, ...]


class TreeEntry(NamedTuple):
    """One entry of a tree object (a tuple: history scans create hundreds of thousands)."""

    mode: str
    name: str
    oid: str

    @property
    def is_tree(self) -> bool:
        return self.mode == "40000"

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_gitlink(self) -> bool:
        return self.mode == "160000"


def iso_utc(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitRepo:
    """A repository (bare or not) read through git plumbing."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.exists():
            raise NotARepository("no such file or directory", subject=str(path))
        try:
            out = subprocess.run(
                ["git", *SAFE_CONFIG, "rev-parse", "--absolute-git-dir", "--show-object-format"],
                cwd=self.path, env=git_env(), capture_output=True, timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotARepository(f"cannot run git: {exc}", subject=str(path)) from None
        if out.returncode != 0:
            raise NotARepository("not a git repository", subject=str(path))
        lines = out.stdout.decode().split("\n")
        self.git_dir = Path(lines[0].strip())
        fmt = lines[1].strip() if len(lines) > 1 and lines[1].strip() else "sha1"
        self.hash_bytes = 32 if fmt == "sha256" else 20

    # -- plumbing ------------------------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        return ["git", *SAFE_CONFIG, f"--git-dir={self.git_dir}", *args]

    def _run(self, *args: str, check: bool = True, input: bytes | None = None) -> str:
        out = self._run_bytes(*args, check=check, input=input)
        return out.decode("utf-8", errors="replace")

    def _run_bytes(self, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
        try:
            res = subprocess.run(self._cmd(*args), env=git_env(), input=input, capture_output=True, timeout=600)
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} timed out", subject=str(self.path)) from None
        if check and res.returncode != 0:
            msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {msg[-1] if msg else res.returncode}", subject=str(self.path))
        return res.stdout

    def is_partial(self) -> bool:
        """Whether objects may legitimately be missing (a promisor/partial clone)."""
        try:
            cfg = (self.git_dir / "config").read_text("utf-8", errors="replace").lower()
        except OSError:
            cfg = ""
        if "partialclone" in cfg or "promisor" in cfg:
            return True
        pack = self.git_dir / "objects" / "pack"
        return pack.is_dir() and any(p.suffix == ".promisor" for p in pack.iterdir())

    def resolve(self, rev: str | None = None) -> str:
        rev = rev or "HEAD"
        if rev.startswith("-"):
            raise UnknownRevision(f"unknown revision {rev!r}", subject=str(self.path))
        out = subprocess.run(
            self._cmd("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"),
            env=git_env(), capture_output=True, timeout=60,
        )
        if out.returncode != 0:
            if rev == "HEAD" and not self._run("for-each-ref", "--count=1", check=False).strip():
                raise UnknownRevision("the repository has no commits", subject=str(self.path), kind="empty")
            raise UnknownRevision(f"unknown revision {rev!r}", subject=str(self.path))
        return out.stdout.decode().strip()

    def commits(self, rev: str, *, limit: int | None = None, before: int | None = None) -> list[CommitInfo]:
        """Commits reachable from ``rev`` (its ancestry only), newest first, topo order."""
        # rev-list, not log: log reads trees, which a treeless partial clone lacks.
        args = ["rev-list", "--topo-order", "--no-commit-header", "--format=%H %T %ct %P"]
        if limit:
            args.append(f"--max-count={limit}")
        if before is not None:
            args.append(f"--before={before}")
        args += ["--end-of-options", rev]
        out = self._run(*args)
        result = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) < 3:
                continue
            ts = int(parts[2])
            result.append(CommitInfo(parts[0], parts[1], iso_utc(ts), ts, tuple(parts[3:])))
        return result

    def commit_info(self, sha: str) -> CommitInfo:
        got = self.commits(sha, limit=1)
        if not got:
            raise UnknownRevision(f"unknown commit {sha}", subject=str(self.path))
        return got[0]

    # -- object batches --------------------------------------------------------------------
    def _batch(self, mode: str, oids: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        """(oid, type, size, data or None) for each oid, in order; type 'missing' if absent."""
        if not oids:
            return
        proc = subprocess.Popen(
            self._cmd("cat-file", mode), env=git_env(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

        def feed() -> None:
            try:
                for oid in oids:
                    proc.stdin.write(oid.encode() + b"\n")
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = proc.stdout
        try:
            for requested in oids:
                header = out.readline()
                if not header:
                    raise GitError("git cat-file ended early", subject=str(self.path))
                parts = header.rstrip(b"\n").split(b" ")
                if len(parts) == 2 and parts[1] in (b"missing", b"ambiguous"):
                    yield requested, "missing", 0, None
                    continue
                oid, typ, size = parts[0].decode(), parts[1].decode(), int(parts[2])
                data = None
                if mode == "--batch":
                    data = out.read(size)
                    out.read(1)
                yield oid, typ, size, data
        finally:
            writer.join(timeout=5)
            out.close()
            proc.wait()

    def read_objects(self, oids: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        return self._batch("--batch", oids)

    def object_info(self, oids: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        return self._batch("--batch-check", oids)

    def missing_objects(self, rev: str, *, no_walk: bool = False) -> set[str]:
        """Objects reachable from ``rev`` that are absent (partial clones), without fetching."""
        args = ["rev-list", "--objects", "--missing=print", "--no-object-names"]
        if no_walk:
            args.append("--no-walk")
        out = self._run(*args, "--end-of-options", rev, "--", check=False)
        return {line[1:] for line in out.splitlines() if line.startswith("?")}

    def parse_tree(self, data: bytes) -> list[TreeEntry]:
        entries = []
        append = entries.append
        i, n, hb = 0, len(data), self.hash_bytes
        find = data.find
        while i < n:
            sp = find(b" ", i)
            nul = find(b"\x00", sp)
            if sp < 0 or nul < 0:
                raise GitError("malformed tree object", subject=str(self.path))
            append(TreeEntry(data[i:sp].decode(), data[sp + 1 : nul].decode("utf-8", errors="replace"), data[nul + 1 : nul + 1 + hb].hex()))
            i = nul + 1 + hb
        return entries

    def read_trees(self, oids: Iterable[str]) -> dict[str, list[TreeEntry] | None]:
        """Parsed trees by oid (None for a tree that is missing or not a tree)."""
        wanted = list(dict.fromkeys(oids))
        result: dict[str, list[TreeEntry] | None] = {}
        for oid, typ, _size, data in self.read_objects(wanted):
            result[oid] = self.parse_tree(data) if typ == "tree" and data is not None else None
        return result
