"""Read git objects directly — never a checkout, never a hook, never a network call.

Every command runs with the repository's git directory named explicitly, hooks pointed
at /dev/null, no system or global config, and ``protocol.allow=never`` so that a
partial clone's missing blob is reported missing instead of being fetched lazily one at
a time.
"""
from __future__ import annotations

import functools
import os
import queue
import re
import subprocess
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple

from chipwatch.errors import GitError, NotARepository, UnknownRevision
from chipwatch.gitio.refs import resolve_commit

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


# A tree object is a run of entries "<mode> <name>\0<binary object id>" (the id may hold
# any byte). Per id length: one entry; one entry's fields; a whole object of entries.
_TREE_PATTERNS = {
    hb: tuple(
        re.compile(p % hb, re.S)
        for p in (rb"[^ ]* [^\0]*\0.{%d}", rb"([^ ]*) ([^\0]*)\0(.{%d})", rb"(?:[^ ]* [^\0]*\0.{%d})*")
    )
    for hb in (20, 32)
}
_MODES = {m.encode(): m for m in ("100644", "100755", "40000", "120000", "160000")}
_tree_entry = partial(tuple.__new__, TreeEntry)  # a TreeEntry from a row, without a Python frame


class GitRepo:
    """A repository (bare or not) read through git plumbing.

    Objects are read in process by libgit2 where it reads as git does (see
    :meth:`_native_repo`), otherwise through one long-lived ``cat-file --batch-command``
    process per repository (started on first use, ended by :meth:`close`): a scan asks
    for the head commit, trees level by level and then blobs, and a process per request
    cost more than the reading itself on small repositories (about 1.7 ms of CPU per git
    started, six to ten per repository).
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.exists():
            raise NotARepository("no such file or directory", subject=str(path))
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._lg_repo: Any = None  # libgit2's repository, opened on first read
        self._native: bool | None = None  # whether objects are read in process (decided then)
        self._lg_lock = threading.Lock()
        found = _plain_git_dir(self.path)
        # Only a directory recognised here as plain SHA-1 has refs and objects read
        # without git (see :meth:`resolve`).
        self._plain = found is not None
        if found is not None:
            self.git_dir, self.hash_bytes = found, 20
            return
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

    def close(self) -> None:
        """End the object reader (a later read starts a new one)."""
        with self._lock:
            proc, self._proc = self._proc, None
        with self._lg_lock:
            repo, self._lg_repo, self._native = self._lg_repo, None, None
        if proc is not None:
            _end(proc)
        if repo is not None:
            repo.free()

    def __enter__(self) -> "GitRepo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        """The commit ``rev`` (default HEAD) names.

        HEAD, a ref or a full id in a plain repository is read from the git directory
        (a warm scan then starts no git at all); anything else, and anything that
        reading cannot vouch for, is asked of git, whose errors are the ones raised."""
        rev = rev or "HEAD"
        if rev.startswith("-") or any(c in rev for c in "\n\r\0"):
            raise UnknownRevision(f"unknown revision {rev!r}", subject=str(self.path))
        if self._plain:
            sha = resolve_commit(self.git_dir, rev)
            if sha is not None:
                return sha
        [(_name, typ, _size, _data)] = list(self._batch("info", [f"{rev}^{{commit}}"]))
        if typ != "commit":
            if rev == "HEAD" and not self._run("for-each-ref", "--count=1", check=False).strip():
                raise UnknownRevision("the repository has no commits", subject=str(self.path), kind="empty")
            raise UnknownRevision(f"unknown revision {rev!r}", subject=str(self.path))
        return _name

    def commits(self, rev: str, *, limit: int | None = None, before: int | None = None) -> list[CommitInfo]:
        """Commits reachable from ``rev`` (its ancestry only), newest first, topo order."""
        if before is None and _is_hex(rev):
            walked = self._walk_commits(rev, SMALL_HISTORY)
            if walked is not None:
                return walked[:limit] if limit else walked
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

    def _walk_commits(self, tip: str, cap: int) -> list[CommitInfo] | None:
        """The ancestry of ``tip`` read through the object reader, in the order of
        ``git rev-list --topo-order`` — or None when it has more than ``cap`` commits or
        git might see other parents than the objects say (grafts, a shallow clone), or a
        commit is missing: then rev-list is asked.

        A git process costs about 1.5 ms of CPU to start whatever it does, and rev-list
        was one of the two a small repository's scan started; breadth-first rounds of
        reads cost less than that for a small history."""
        if os.path.lexists(os.path.join(self.git_dir, "shallow")) or \
                os.path.lexists(os.path.join(self.git_dir, "info", "grafts")):
            return None
        found: dict[str, CommitInfo] = {}
        frontier = [tip]
        while frontier:
            if len(found) + len(frontier) > cap:
                return None
            ahead: dict[str, None] = {}  # the next round, in order, once each
            for sha, typ, _size, data in self._batch("contents", frontier):
                if typ != "commit" or data is None:
                    return None
                info = found[sha] = parse_commit(sha, data, subject=str(self.path))
                ahead.update(dict.fromkeys(info.parents))
            frontier = [p for p in ahead if p not in found]
        return topo_order(tip, found)

    def commit_info(self, sha: str) -> CommitInfo:
        """The commit ``sha`` read as an object (no rev-list): tree, committer date, parents."""
        got = list(self._batch("contents", [sha])) if _is_hex(sha) else []
        if not got or got[0][1] != "commit" or got[0][3] is None:
            raise UnknownRevision(f"unknown commit {sha}", subject=str(self.path))
        return parse_commit(got[0][0], got[0][3], subject=str(self.path))

    # -- object batches --------------------------------------------------------------------
    def _start_reader(self) -> subprocess.Popen[bytes]:
        require_git(MIN_GIT, "cat-file --batch-command")
        return subprocess.Popen(
            self._cmd("cat-file", "--batch-command", "--buffer"), env=git_env(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

    def _batch(self, command: str, names: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        """(oid, type, size, data or None) for each name, in order; type 'missing' if absent.

        ``command`` is ``contents`` or ``info``. The shared reader serves one batch at a
        time; a batch asked for while another is being read (another thread, or a
        nested read) gets a reader of its own."""
        if not names:
            return
        repo = self._native_repo()
        if repo is not None and all(len(n) == 2 * self.hash_bytes and _is_hex(n) for n in names):
            yield from self._native_answers(repo, command, names)
            return
        shared = self._lock.acquire(blocking=False)
        try:
            if shared:
                if self._proc is None or self._proc.poll() is not None:
                    self._proc = self._start_reader()
                    # A GitRepo dropped without close() still ends its reader.
                    weakref.finalize(self, _end, self._proc)
                proc = self._proc
            else:
                proc = self._start_reader()
            complete = False
            try:
                yield from self._answers(proc, command, names)
                complete = True
            finally:
                # Answers left unread (the caller stopped early, git failed) would be
                # taken for the next batch's: that reader is ended, never reused.
                if not (shared and complete):
                    if shared:
                        self._proc = None
                    _end(proc)
        finally:
            if shared:
                self._lock.release()

    def _native_repo(self):
        """libgit2's view of this repository, for reading objects in process — or None,
        and then git's reader serves: pygit2 is missing, the directory is not a plain
        SHA-1 one (see :func:`_plain_git_dir`), it has replacement refs (which git
        honours and libgit2 does not), or libgit2 cannot open it.

        A git process costs ~1.4 ms of CPU to start whatever it reads, and a scan of a
        small repository starts one: 2.3 ms of git per repository, a third of a crawl's
        CPU at 2,000 repositories. libgit2 reads the same objects in process."""
        if self._native is None:
            with self._lg_lock:
                if self._native is None:
                    self._lg_repo = _open_native(self.git_dir) if self._plain else None
                    self._native = self._lg_repo is not None
        return self._lg_repo if self._native else None

    def _native_answers(self, repo, command: str,
                        names: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        """:meth:`_answers`' contract, read by libgit2: objects are read one at a time as
        the caller asks (a batch of blobs is never all in memory); one that is absent (a
        partial clone's blob is not fetched, as with git) or cannot be read (``cat-file``
        answers "missing" for an object it cannot inflate) is 'missing'."""
        errors = (libgit2().GitError, KeyError, ValueError, OSError)
        odb = repo.odb
        for name in names:
            try:
                with self._lg_lock:
                    if command == "contents":
                        typ, data = odb.read(name)
                        size = len(data)
                    else:
                        (typ, size), data = odb.read_header(name), None
            except errors:
                yield name, "missing", 0, None
                continue
            yield name, _OBJECT_TYPES.get(typ, str(typ)), size, data

    def _answers(self, proc: subprocess.Popen[bytes], command: str,
                 names: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        stdin, out = proc.stdin, proc.stdout
        assert stdin is not None and out is not None
        # With --buffer, git runs the queued commands at "flush" and answers nothing
        # before: requests that fit the pipe are written first; more are written by a
        # thread while the answers are read, so no side waits on a full pipe.
        payload = b"".join(f"{command} {n}\n".encode() for n in names) + b"flush\n"

        def feed() -> None:
            try:
                stdin.write(payload)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass

        writer = None
        if len(payload) <= _INLINE_REQUESTS:
            feed()
        else:
            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
        try:
            for requested in names:
                header = out.readline()
                if not header:
                    raise GitError("git cat-file ended early", subject=str(self.path))
                parts = header.rstrip(b"\n").split(b" ")
                if len(parts) != 3 or parts[-1] in (b"missing", b"ambiguous"):
                    yield requested, "missing", 0, None
                    continue
                oid, typ, size = parts[0].decode(), parts[1].decode(), int(parts[2])
                data = None
                if command == "contents":
                    data = out.read(size)
                    out.read(1)
                yield oid, typ, size, data
        finally:
            if writer is not None:
                writer.join(timeout=5)

    def read_objects(self, oids: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        return self._batch("contents", _checked(oids, self.path))

    def object_info(self, oids: list[str]) -> Iterator[tuple[str, str, int, bytes | None]]:
        return self._batch("info", _checked(oids, self.path))

    def missing_objects(self, rev: str, *, no_walk: bool = False) -> set[str]:
        """Objects reachable from ``rev`` that are absent (partial clones), without fetching."""
        args = ["rev-list", "--objects", "--missing=print", "--no-object-names"]
        if no_walk:
            args.append("--no-walk")
        out = self._run(*args, "--end-of-options", rev, "--", check=False)
        return {line[1:] for line in out.splitlines() if line.startswith("?")}

    def split_tree(self, data: bytes) -> list[bytes]:
        """A tree object's entries, raw (``<mode> <name>\\0<binary id>`` each): what
        :meth:`parse_tree_rows` decodes, for a caller that meets the same entries in many
        trees and decodes each once."""
        entries = _TREE_PATTERNS[self.hash_bytes][0].findall(data)
        # Matches that cover every byte tile the object: it is well formed.
        if sum(map(len, entries)) != len(data):
            raise GitError("malformed tree object", subject=str(self.path))
        return entries

    def parse_tree_rows(self, data: bytes) -> list[tuple[str, str, str]]:
        """A tree object's entries as plain ``(mode, name, oid)`` tuples (TreeEntry's
        fields, without a NamedTuple per entry)."""
        _, fields, whole = _TREE_PATTERNS[self.hash_bytes]
        if whole.fullmatch(data) is None:
            raise GitError("malformed tree object", subject=str(self.path))
        modes = _MODES
        return [(modes.get(m) or m.decode(), n.decode("utf-8", errors="replace"), o.hex()) for m, n, o in fields.findall(data)]

    def parse_tree(self, data: bytes) -> list[TreeEntry]:
        return list(map(_tree_entry, self.parse_tree_rows(data)))

    def read_trees(self, oids: Iterable[str]) -> dict[str, list[TreeEntry] | None]:
        """Parsed trees by oid (None for a tree that is missing or not a tree)."""
        wanted = list(dict.fromkeys(oids))
        result: dict[str, list[TreeEntry] | None] = {}
        for oid, typ, _size, data in self.read_objects(wanted):
            result[oid] = self.parse_tree(data) if typ == "tree" and data is not None else None
        return result


MIN_GIT = (2, 36)
#: Histories up to this many commits are walked through the object reader, not rev-list.
SMALL_HISTORY = 128
#: Requests up to this many bytes are written before reading (a pipe holds 64 KiB).
_INLINE_REQUESTS = 16 * 1024
#: ``git`` reads every object through git's own reader, never libgit2 (a way to compare
#: the two, or to step around a libgit2 problem without a release)
READER_SETTING = "CHIPWATCH_GIT_READER"
#: libgit2's object type numbers
_OBJECT_TYPES = {1: "commit", 2: "tree", 3: "blob", 4: "tag"}


@functools.cache
def libgit2():
    """pygit2, set as git is run here (:data:`SAFE_CONFIG`, :func:`git_env`): no owner
    check (``safe.directory=*``), no system, global or XDG config; objects are not
    re-hashed on read (``cat-file`` does not either: both backends read the same bytes).
    None without pygit2. libgit2 runs no hook, filter or fsmonitor when reading objects.
    These options are libgit2's, for the whole process: a program that embeds chipwatch
    and uses pygit2 itself reads with them too."""
    try:
        import pygit2
        from pygit2 import enums
    except ImportError:
        return None
    pygit2.option(enums.Option.SET_OWNER_VALIDATION, 0)
    pygit2.option(enums.Option.ENABLE_STRICT_HASH_VERIFICATION, 0)
    for level in (enums.ConfigLevel.SYSTEM, enums.ConfigLevel.GLOBAL, enums.ConfigLevel.XDG,
                  enums.ConfigLevel.PROGRAMDATA):
        pygit2.settings.search_path[level] = ""
    return pygit2


def _open_native(git_dir: Path):
    """A pygit2 Repository of ``git_dir``, or None where git must read (see
    :meth:`GitRepo._native_repo`)."""
    if os.environ.get(READER_SETTING, "").strip().lower() == "git":
        return None
    pygit2 = libgit2()
    if pygit2 is None or _has_replace_refs(git_dir):
        return None
    try:
        return pygit2.Repository(str(git_dir), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
    except (pygit2.GitError, ValueError, OSError):
        return None


def _has_replace_refs(git_dir: Path) -> bool:
    """Whether ``refs/replace/`` holds a ref, loose or packed: git then shows the
    replacement for an object, libgit2 the object itself."""
    base = os.fspath(git_dir)
    try:
        if os.listdir(os.path.join(base, "refs", "replace")):
            return True
    except OSError:
        pass
    try:
        with open(os.path.join(base, "packed-refs"), "rb") as f:
            return any(b" refs/replace/" in line for line in f)
    except OSError:
        return False


def topo_order(tip: str, commits: dict[str, CommitInfo]) -> list[CommitInfo]:
    """``commits`` (the whole ancestry of ``tip``) in git's ``--topo-order``: git's
    sort_in_topological_order, whose work queue is a stack — a commit is shown once all
    its children are, and the last parent pushed is the first walked on."""
    indegree = {sha: 1 for sha in commits}
    for c in commits.values():
        for p in c.parents:
            if p in indegree:
                indegree[p] += 1
    out: list[CommitInfo] = []
    stack = [tip]
    while stack:
        c = commits[stack.pop()]
        for p in c.parents:
            n = indegree.get(p, 0)
            if not n:
                continue
            indegree[p] = n - 1
            if n - 1 == 1:
                stack.append(p)
        out.append(c)
    return out


@functools.cache
def git_version() -> tuple[int, ...]:
    """The installed git's version, e.g. (2, 39, 5); () when it cannot be told."""
    try:
        out = subprocess.run(["git", "--version"], env=git_env(), capture_output=True, timeout=60).stdout.decode()
    except (OSError, subprocess.TimeoutExpired):
        return ()
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(g) for g in m.groups() if g is not None) if m else ()


def require_git(minimum: tuple[int, ...], feature: str) -> None:
    found = git_version()
    if found and found < minimum:
        raise GitError(f"git {'.'.join(map(str, minimum))} or newer is needed ({feature}); "
                       f"this is git {'.'.join(map(str, found))}", kind="git-too-old")


_FULL_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?").fullmatch


def _is_hex(name: str) -> bool:
    """A full object id (SHA-1 or SHA-256), lower-case hex."""
    return _FULL_ID(name) is not None


def _checked(oids: list[str], path: Path) -> list[str]:
    """Object ids only: a name with a line break would be a second command to git."""
    for oid in oids:
        if "\n" in oid or "\r" in oid or "\0" in oid:
            raise GitError(f"not an object name: {oid!r}", subject=str(path))
    return oids


def parse_commit(sha: str, data: bytes, *, subject: str = "") -> CommitInfo:
    """Tree, parents and committer time from a raw commit object's header."""
    tree, parents, ts = None, [], None
    for line in data.split(b"\n\n", 1)[0].split(b"\n"):
        if line.startswith(b"tree "):
            tree = line[5:].decode()
        elif line.startswith(b"parent "):
            parents.append(line[7:].decode())
        elif line.startswith(b"committer "):
            try:
                ts = int(line.rsplit(b" ", 2)[1])
            except (IndexError, ValueError):
                ts = None
    if tree is None or ts is None:
        raise GitError(f"malformed commit object {sha}", subject=subject)
    return CommitInfo(sha, tree, iso_utc(ts), ts, tuple(parents))


def _plain_git_dir(path: Path) -> Path | None:
    """``path`` (bare) or ``path/.git`` when it is an ordinary SHA-1 git directory, read
    the way git itself recognises one (HEAD naming a ref or a commit, objects/ and refs/),
    so that opening a repository starts no git; anything unusual (a ``.git`` file, a
    worktree, an object-format or other extension) is left to ``git rev-parse``."""
    # os.path on strings: pathlib's joins cost more than the reads on a warm scan.
    base = os.fspath(path)
    for candidate in (base, os.path.join(base, ".git")):
        try:
            with open(os.path.join(candidate, "HEAD"), "rb") as f:
                head = f.read(200)
            if not (os.path.isdir(os.path.join(candidate, "objects")) and os.path.isdir(os.path.join(candidate, "refs"))):
                continue
            try:
                with open(os.path.join(candidate, "config"), "rb") as f:
                    config = f.read()
            except FileNotFoundError:
                config = b""
        except OSError:
            continue
        if head.startswith(b"ref: refs/") or (len(head.strip()) == 40 and _is_hex(head.strip().decode("ascii", "replace"))):
            if b"extensions" in config.lower() or b"worktree" in config.lower():
                return None
            return Path(os.path.realpath(candidate))
    return None


def _end(proc: subprocess.Popen[bytes]) -> None:
    """End a reader: its pipes are closed here (git exits on end of input, or on a broken
    pipe if answers were left unread) and it is reaped by a background thread, so a scan
    does not sleep in ``wait``'s polling loop (about a millisecond per repository)."""
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    if proc.poll() is None:
        try:
            _reaper().put(proc)
        except RuntimeError:  # no new thread at interpreter shutdown (weakref.finalize): wait here
            _wait(proc)


def _wait(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@functools.cache
def _reaper() -> "queue.SimpleQueue[subprocess.Popen[bytes]]":
    """The queue of ended readers still to be waited for, and its one daemon thread."""
    ended: queue.SimpleQueue[subprocess.Popen[bytes]] = queue.SimpleQueue()

    def reap() -> None:
        while True:
            _wait(ended.get())

    threading.Thread(target=reap, name="git-reaper", daemon=True).start()
    return ended
