"""The local cache of git objects: one bare partial clone per repository.

Layout under ``root`` (see docs/sources.md)::

    repos/<platform>/<slug>.git    bare partial clone (blobs above blob_limit left out)
    repos/<platform>/<slug>.json   entry record: key, url, branch, head, sizes, times
    locks/<platform>/<slug>.lock   one file lock per entry
    tmp/                           first clones in progress (renamed into place when done)

An entry holds only the default branch's ancestry (``refs/heads/<branch>``, HEAD pointing
at it) and tags if asked. It is made with ``git init`` + ``git fetch`` into ``tmp/`` and
renamed into place, and updated in place with ``git fetch`` — git writes the new pack
before it moves the ref, so a fetch that dies leaves the previous state readable. An
entry that fails its health check (or a fetch failing as corrupt) is set aside and
cloned again. Two processes never fetch one entry at once (file lock), and the second
one finds the entry already at the wanted head and does nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from chipwatch.gitio.safegit import classify, last_lines, run_git
from chipwatch.model import RepoRef
from chipwatch.sources.base import redact

_SHA_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_PROGRESS_RE = re.compile(r"(?:Receiving|Unpacking) objects:\s+100% \(\d+/\d+\), ([\d.]+) (bytes|KiB|MiB|GiB)")
_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
_BRANCH_RE = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/+-]{1,200}(?<!\.lock)(?<!/)$")


@dataclass(frozen=True)
class FetchResult:
    """What one fetch did: where the clone is, what it cost, or why it failed.

    ``action`` is ``clone`` (new entry), ``fetch`` (updated), ``fresh`` (already at the
    wanted head: no network), ``local`` (a mirror read in place) or ``failed``.
    ``path`` is the previous, still usable entry when a later fetch failed.
    """

    repo: str
    path: Path | None
    bytes_transferred: int
    seconds: float
    head_commit: str | None
    action: str
    error_kind: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path) if self.path else None
        return d


class _FetchFailed(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def slug(repo: RepoRef) -> str:
    """A file name for a repository: readable, safe for any owner/name, unique by hash."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{repo.owner}+{repo.name}").strip("._") or "repo"
    digest = hashlib.sha256(f"{repo.platform}\0{repo.owner}\0{repo.name}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{readable[:80]}-{digest}"


def parse_size(value: str | int | None) -> int | None:
    """``"1m"`` → 1048576; None or 0 means no limit."""
    if value is None or value == 0:
        return None
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"\s*(\d+)\s*([kmg]?)i?b?\s*", str(value).lower())
    if not m:
        raise ValueError(f"not a size: {value!r} (use e.g. 512k, 1m, 2g)")
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2)]


def _dir_size(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


class RepoCache:
    """Bare partial clones under ``root``, fetched incrementally.

    ``blob_limit``: blobs larger than this are left out (``"1m"``; None keeps all).
    ``max_bytes``: disk budget; least recently used entries are evicted after a fetch.
    ``timeout``: seconds for one git fetch. ``lock_timeout``: how long to wait for
    another process working on the same entry.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        blob_limit: str | int | None = "1m",
        include_tags: bool = False,
        timeout: float = 600,
        max_bytes: str | int | None = None,
        lock_timeout: float = 900,
    ):
        self.root = Path(root)
        self.blob_limit = parse_size(blob_limit)
        self.include_tags = include_tags
        self.timeout = timeout
        self.max_bytes = parse_size(max_bytes)
        self.lock_timeout = lock_timeout
        for sub in ("repos", "locks", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # -- paths -------------------------------------------------------------------------------
    def entry_path(self, repo: RepoRef) -> Path:
        return self.root / "repos" / _platform_dir(repo) / f"{slug(repo)}.git"

    def _record_path(self, repo: RepoRef) -> Path:
        return self.entry_path(repo).with_suffix(".json")

    def _lock(self, repo: RepoRef) -> Any:
        from filelock import FileLock

        path = self.root / "locks" / _platform_dir(repo) / f"{slug(repo)}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(path), timeout=self.lock_timeout)

    # -- public ------------------------------------------------------------------------------
    def fetch(self, repo: RepoRef) -> FetchResult:
        """Make or update the entry of ``repo``; never raises for a repository's fault."""
        from filelock import Timeout

        start = time.monotonic()
        if repo.metadata.get("local"):
            return self._local(repo, start)
        entry = self.entry_path(repo)
        asked_at = time.time()
        try:
            with self._lock(repo):
                result = self._fetch_locked(repo, entry, start, asked_at)
        except Timeout:
            result = self._result(repo, entry if _healthy(entry, None) else None, start, 0, None, "failed",
                                  "timeout", f"another process held the cache entry for {self.lock_timeout:.0f} s")
        if result.ok and self.max_bytes:
            self.evict(keep={entry})
        return result

    def fetch_many(self, repos: Iterable[RepoRef], workers: int = 4) -> list[FetchResult]:
        """Fetch several repositories, ``workers`` git processes at a time, in input order."""
        repos = list(repos)
        if workers <= 1:
            return [self.fetch(r) for r in repos]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self.fetch, repos))

    def usage(self) -> int:
        """Bytes on disk of all entries, from their records."""
        return sum(rec.get("size_bytes", 0) for _, rec in self._records())

    def evict(self, keep: Iterable[Path] = ()) -> list[str]:
        """Remove least recently used entries until the cache fits ``max_bytes``.

        Entries in ``keep`` and entries another process has locked are never removed.
        Returns the keys of the evicted repositories.
        """
        if not self.max_bytes:
            return []
        from filelock import FileLock, Timeout

        keep = {Path(k) for k in keep}
        records = sorted(self._records(), key=lambda item: item[1].get("last_used", 0))
        total = sum(rec.get("size_bytes", 0) for _, rec in records)
        evicted = []
        for record_path, rec in records:
            if total <= self.max_bytes:
                break
            entry = record_path.with_suffix(".git")
            if entry in keep:
                continue
            lock = FileLock(str(self.root / "locks" / record_path.parent.name / (record_path.stem + ".lock")), timeout=0)
            try:
                with lock:
                    self._discard(entry)
                    record_path.unlink(missing_ok=True)
            except Timeout:
                continue
            total -= rec.get("size_bytes", 0)
            evicted.append(rec.get("key", record_path.stem))
        return evicted

    # -- internals -----------------------------------------------------------------------------
    def _records(self) -> list[tuple[Path, dict[str, Any]]]:
        out = []
        for path in (self.root / "repos").glob("*/*.json"):
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(rec, dict):
                out.append((path, rec))
        return out

    def _local(self, repo: RepoRef, start: float) -> FetchResult:
        path = Path(repo.url)
        head = _local_head(path)
        if head is None:
            kind, message = _why_no_head(path)
            return self._result(repo, None, start, 0, None, "failed", kind, message)
        return self._result(repo, path, start, 0, head, "local")

    def _fetch_locked(self, repo: RepoRef, entry: Path, start: float, asked_at: float) -> FetchResult:
        record = self._read_record(repo)
        branch = repo.default_branch
        url = _remote_url(repo.url)
        try:
            if branch is None:
                branch = self._remote_default_branch(url)
            if not _BRANCH_RE.match(branch):
                raise _FetchFailed("invalid", f"unusable branch name {branch!r}")
            healthy = entry.exists() and _healthy(entry, record.get("branch"))
            if entry.exists() and not healthy:
                self._discard(entry)  # corrupt: set aside and clone again
            if healthy and record.get("branch") == branch:
                cached = _rev(entry, f"refs/heads/{branch}")
                # at the wanted head, or fetched by another process while we waited
                if cached and (cached == repo.head_commit or (not repo.head_commit and record.get("fetched_at", 0) >= asked_at)):
                    self._write_record(repo, entry, branch, cached, 0, touch_only=True)
                    return self._result(repo, entry, start, 0, cached, "fresh")
            if healthy:
                try:
                    nbytes = self._git_fetch(entry, url, branch)
                    action = "fetch"
                except _FetchFailed as exc:
                    if exc.kind != "corrupt":
                        raise
                    self._discard(entry)
                    nbytes, action = self._clone(repo, entry, url, branch), "clone"
            else:
                nbytes, action = self._clone(repo, entry, url, branch), "clone"
        except _FetchFailed as exc:
            usable = entry if entry.exists() and _healthy(entry, record.get("branch")) else None
            head = _rev(usable, "HEAD") if usable else None
            return self._result(repo, usable, start, 0, head, "failed", exc.kind, exc.args[0])
        head = _rev(entry, f"refs/heads/{branch}")
        self._write_record(repo, entry, branch, head, nbytes)
        return self._result(repo, entry, start, nbytes, head, action)

    def _remote_default_branch(self, url: str) -> str:
        proc = self._run(["ls-remote", "--symref", "--", url, "HEAD"], None)
        m = re.search(rb"^ref: refs/heads/(\S+)\tHEAD", proc.stdout, re.M)
        if not m:
            raise _FetchFailed("empty", "remote has no default branch (HEAD)")
        return m.group(1).decode("utf-8", "replace")

    def _clone(self, repo: RepoRef, entry: Path, url: str, branch: str) -> int:
        tmp_root = self.root / "tmp"
        for stale in tmp_root.glob(f"{slug(repo)}.*"):
            shutil.rmtree(stale, ignore_errors=True)  # a clone killed earlier (we hold the lock)
        tmp = tmp_root / f"{slug(repo)}.{uuid.uuid4().hex[:8]}.git"
        try:
            self._run(["init", "--bare", "-q", str(tmp)], None)
            settings = [("remote.origin.url", url), ("core.repositoryformatversion", "1"), ("core.logAllRefUpdates", "false")]
            if self.blob_limit:
                settings += [
                    ("remote.origin.promisor", "true"),
                    ("remote.origin.partialclonefilter", f"blob:limit={self.blob_limit}"),
                    ("extensions.partialClone", "origin"),
                ]
            for key, value in settings:
                self._run(["config", key, value], tmp)
            self._run(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], tmp)
            nbytes = self._git_fetch(tmp, url, branch)
            entry.parent.mkdir(parents=True, exist_ok=True)
            self._discard(entry)
            os.replace(tmp, entry)
            return nbytes
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _git_fetch(self, git_dir: Path, url: str, branch: str) -> int:
        packs_before = _pack_bytes(git_dir)
        refspecs = [f"+refs/heads/{branch}:refs/heads/{branch}"]
        if self.include_tags:
            refspecs.append("+refs/tags/*:refs/tags/*")
        args = ["fetch", "--progress", "--no-tags", "--no-write-fetch-head", "--no-auto-gc"]
        if self.blob_limit:
            args.append(f"--filter=blob:limit={self.blob_limit}")
        current = _config(git_dir, "remote.origin.url")
        if current != url:
            self._run(["config", "remote.origin.url", url], git_dir)
        proc = self._run([*args, "origin", *refspecs], git_dir)
        self._run(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], git_dir)
        text = proc.stderr.decode("utf-8", "replace")
        m = _PROGRESS_RE.findall(text)
        if m:
            return int(sum(float(n) * _UNITS[u] for n, u in m))
        return max(0, _pack_bytes(git_dir) - packs_before)

    def _run(self, args: list[str], git_dir: Path | None) -> subprocess.CompletedProcess[bytes]:
        try:
            proc = run_git(args, git_dir=git_dir, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise _FetchFailed("timeout", f"git {args[0]} took longer than {self.timeout:.0f} s") from None
        if proc.returncode != 0:
            err = last_lines(proc.stderr)
            raise _FetchFailed(classify(err), redact(f"git {args[0]} failed: {err}"))
        return proc

    def _read_record(self, repo: RepoRef) -> dict[str, Any]:
        try:
            rec = json.loads(self._record_path(repo).read_text(encoding="utf-8"))
            return rec if isinstance(rec, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_record(self, repo: RepoRef, entry: Path, branch: str, head: str | None, nbytes: int, *, touch_only: bool = False) -> None:
        rec = self._read_record(repo)
        now = time.time()
        if not touch_only or "size_bytes" not in rec:
            rec.update({"size_bytes": _dir_size(entry), "fetched_at": now, "last_bytes": nbytes})
        rec.update({"key": repo.key, "url": redact(repo.url), "branch": branch, "head": head, "last_used": now})
        path = self._record_path(repo)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rec-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(rec, fh)
        os.replace(tmp, path)

    def _discard(self, entry: Path) -> None:
        if not entry.exists():
            return
        trash = self.root / "tmp" / f"trash-{uuid.uuid4().hex[:12]}"
        os.replace(entry, trash)  # atomic: readers see the entry or nothing
        shutil.rmtree(trash, ignore_errors=True)

    def _result(self, repo: RepoRef, path: Path | None, start: float, nbytes: int, head: str | None, action: str,
                kind: str | None = None, message: str | None = None) -> FetchResult:
        return FetchResult(repo.key, path, nbytes, round(time.monotonic() - start, 4), head, action, kind, message)


def _platform_dir(repo: RepoRef) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", repo.platform) or "unknown"


def _remote_url(url: str) -> str:
    """Local paths become file:// URLs, so partial-clone filters apply to them too."""
    if "://" not in url and not re.match(r"^[\w.-]+@[\w.-]+:", url):
        return Path(url).resolve().as_uri()
    return url


def _rev(git_dir: Path | None, rev: str) -> str | None:
    if git_dir is None:
        return None
    proc = run_git(["rev-parse", "--verify", "-q", f"{rev}^{{commit}}"], git_dir=git_dir, timeout=60)
    out = proc.stdout.decode().strip()
    return out if proc.returncode == 0 and _SHA_RE.match(out) else None


def _local_head(path: Path) -> str | None:
    """HEAD's commit of a repository read in place. A plain one is read without starting
    git (the crawl reads hundreds of local mirrors per run); when the reading cannot
    vouch for the answer (a broken or unusual repository), git decides."""
    from chipwatch.gitio.objects import _plain_git_dir
    from chipwatch.gitio.refs import resolve_commit

    git_dir = _plain_git_dir(path) if path.is_dir() else None
    sha = resolve_commit(git_dir, "HEAD") if git_dir is not None else None
    return sha or _rev(path, "HEAD")


def _why_no_head(path: Path) -> tuple[str, str]:
    """Classify a local repository whose HEAD does not resolve to a commit."""
    if not path.exists():
        return "not-found", "local repository path does not exist"
    refs = run_git(["for-each-ref", "--count=2", "--format=%(refname)"], git_dir=path, timeout=60)
    if refs.returncode != 0:
        return "corrupt", "not a readable git repository"
    if not refs.stdout.strip():
        return "empty", "the repository has no commits"
    target = run_git(["symbolic-ref", "-q", "HEAD"], git_dir=path, timeout=60).stdout.decode().strip()
    if target and _rev(path, target) is None:
        git_dir = path / ".git" if (path / ".git").is_dir() else path
        packed = git_dir / "packed-refs"
        exists = (git_dir / target).is_file() or (
            packed.is_file() and f" {target}\n" in packed.read_text("utf-8", errors="replace")
        )
        if not exists:
            return "not-found", f"the default branch {target} does not exist"
    return "corrupt", "HEAD does not resolve to a readable commit (missing objects)"


def _config(git_dir: Path, key: str) -> str | None:
    proc = run_git(["config", "--get", key], git_dir=git_dir, timeout=60)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _healthy(entry: Path, branch: str | None) -> bool:
    """Cheap check: the entry is a repository and its branch head and tree are readable."""
    if not (entry / "objects").is_dir() or not (entry / "HEAD").is_file():
        return False
    ref = f"refs/heads/{branch}" if branch else "HEAD"
    proc = run_git(["cat-file", "-e", f"{ref}^{{tree}}"], git_dir=entry, timeout=60,
                   env={"GIT_NO_LAZY_FETCH": "1"})
    if proc.returncode != 0:
        return False
    proc = run_git(["-c", "protocol.allow=never", "rev-list", "-n", "50", "--objects", "--missing=allow-promisor", ref],
                   git_dir=entry, timeout=120)
    return proc.returncode == 0


def _pack_bytes(git_dir: Path) -> int:
    packs = git_dir / "objects" / "pack"
    return sum(p.stat().st_size for p in packs.glob("*.pack")) if packs.is_dir() else 0
