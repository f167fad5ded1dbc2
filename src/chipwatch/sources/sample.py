"""The bundled sample corpus: small git repositories generated from templates.

``chipwatch crawl`` with no arguments crawls this corpus, so that every table (signals,
hardware, trends, failures) is non-empty on a fresh machine with no network and no
credentials. The templates live in ``chipwatch/data/sample_corpus/<org>.yaml``; each
repository is a list of dated commits. They are turned into bare repositories with
``git fast-import`` under fixed authors, committers, dates and messages, so the same
templates always give the same commits and shas (tests pin them).

The corpus is built once per version (a hash of the templates, the generator format and
the scale) into ``<root>/<version>/``, atomically (built aside, then renamed) and under a
file lock, so concurrent first uses build it once. ``corpus.json`` there lists every
repository with its head commit, so discovery reads one small file and no git at all.

Spec: ``sample:default`` (the bundled templates) or ``sample:DIR`` (a folder of
templates), built under ``<cache dir>/sample-corpus``, with an optional ``?repos=N`` that scales the corpus to N repositories by replicating the
templates (each replica's text files differ by one comment line, so their blobs differ
and a benchmark cannot be served from the scan cache).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs

from chipwatch import yamlio
from chipwatch.errors import ConfigError, SourceError
from chipwatch.model import RepoRef

#: Bump when the generator's output changes for the same templates.
FORMAT = 4
PLATFORM = "sample"
BROKEN_KINDS = ("empty", "corrupt", "bad-branch")
_TEMPLATE_PACKAGE = "chipwatch.data"
_TEMPLATE_DIR = "sample_corpus"
_COMMENT_STYLES = {
    ".md": "<!-- {} -->", ".html": "<!-- {} -->",
    ".py": "# {}", ".sh": "# {}", ".txt": "# {}", ".env": "# {}", ".yaml": "# {}",
    ".yml": "# {}", ".toml": "# {}", ".cfg": "# {}", ".cu": "// {}", ".cpp": "// {}",
}


@dataclass(frozen=True)
class CommitTemplate:
    date: str
    message: str
    files: dict[str, str | None] = field(default_factory=dict)
    edit: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def timestamp(self) -> int:
        text = self.date if "T" in self.date else f"{self.date}T12:00:00"
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return int(dt.timestamp())


@dataclass(frozen=True)
class RepoTemplate:
    org: str
    name: str
    author: str
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    commits: tuple[CommitTemplate, ...] = ()
    broken: str | None = None
    default_branch: str = "main"

    @property
    def key(self) -> str:
        return f"{self.org}/{self.name}"


def _template_root() -> Path:
    return Path(str(resources.files(_TEMPLATE_PACKAGE).joinpath(_TEMPLATE_DIR)))


def _parse_commit(raw: dict, where: str) -> CommitTemplate:
    if not isinstance(raw, dict) or "date" not in raw:
        raise ConfigError("every commit needs a date", subject=where)
    files = raw.get("files") or {}
    edit = {p: [tuple(pair) for pair in pairs] for p, pairs in (raw.get("edit") or {}).items()}
    for path, pairs in edit.items():
        if any(len(pair) != 2 for pair in pairs):
            raise ConfigError(f"edit of {path}: each edit is [old, new]", subject=where)
    return CommitTemplate(str(raw["date"]), str(raw.get("message") or "change"), dict(files), edit)


def load_templates(root: Path | None = None) -> list[RepoTemplate]:
    """Every repository template, sorted by organization and name."""
    root = root or _template_root()
    out: list[RepoTemplate] = []
    for path in sorted(root.glob("*.yaml")):
        doc = yamlio.safe_load(path.read_text(encoding="utf-8")) or {}
        org = doc.get("org")
        if not org:
            raise ConfigError("missing 'org'", subject=str(path))
        for raw in doc.get("repos") or []:
            where = f"{path.name}:{raw.get('name')}"
            broken = raw.get("broken")
            if broken is not None and broken not in BROKEN_KINDS:
                raise ConfigError(f"broken must be one of {BROKEN_KINDS}", subject=where)
            commits = tuple(_parse_commit(c, where) for c in raw.get("commits") or [])
            if not commits and broken != "empty":
                raise ConfigError("a repository needs commits unless broken: empty", subject=where)
            out.append(
                RepoTemplate(
                    org=org, name=raw["name"], author=raw.get("author") or doc.get("author") or f"{org} <{org}@example.invalid>",
                    description=raw.get("description", ""), metadata=dict(raw.get("metadata") or {}),
                    commits=commits, broken=broken, default_branch=raw.get("default_branch", "main"),
                )
            )
    names = [t.key for t in out]
    if len(set(names)) != len(names):
        raise ConfigError("duplicate repository names in the sample corpus", subject=str(root))
    return out


def templates_digest(root: Path | None = None) -> str:
    root = root or _template_root()
    h = hashlib.sha256(f"format={FORMAT}".encode())
    for path in sorted(root.glob("*.yaml")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def corpus_version(repos: int | None = None, root: Path | None = None) -> str:
    digest = templates_digest(root)[:12]
    return f"v{FORMAT}-{digest}" + (f"-n{repos}" if repos else "")


# -- replication ---------------------------------------------------------------------
def _mark(path: str, text: str, replica: int) -> str:
    style = _COMMENT_STYLES.get(Path(path).suffix.lower())
    if style is None and Path(path).name in ("Dockerfile", "Makefile"):
        style = "# {}"
    if style is None:
        return text
    return text + ("" if text.endswith("\n") else "\n") + style.format(f"sample replica {replica}") + "\n"


def scaled(templates: list[RepoTemplate], repos: int | None) -> list[tuple[RepoTemplate, int]]:
    """The templates replicated to ``repos`` repositories: (template, replica) pairs."""
    if not repos:
        return [(t, 0) for t in templates]
    if repos < 1:
        raise ConfigError("repos must be at least 1", subject="sample")
    return [(templates[i % len(templates)], i // len(templates)) for i in range(repos)]


# -- building ------------------------------------------------------------------------
def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


def _git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    res = subprocess.run(["git", *args], cwd=cwd, env=_git_env(), input=input, capture_output=True)
    if res.returncode != 0:
        raise SourceError(f"git {args[0]} failed: {res.stderr.decode(errors='replace').strip()}", subject=str(cwd))
    return res.stdout.decode().strip()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _apply_edits(current: dict[str, str], commit: CommitTemplate, where: str) -> None:
    for path, pairs in commit.edit.items():
        if path not in current:
            raise ConfigError(f"edit of {path}, which does not exist at {commit.date}", subject=where)
        text = current[path]
        for old, new in pairs:
            if text.count(old) != 1:
                raise ConfigError(f"edit of {path} at {commit.date}: {old!r} must occur once", subject=where)
            text = text.replace(old, new)
        current[path] = text


def _fast_import_stream(t: RepoTemplate, replica: int, corrupt_blob: tuple[str, str] | None) -> bytes:
    """The fast-import stream of a repository; ``corrupt_blob`` is (path, sha) to reference
    by id (the blob was written loose beforehand and is deleted after the import)."""
    name, email = t.author.rsplit("<", 1)
    ident = f"{name.strip()} <{email.rstrip('>').strip()}>".encode()
    current: dict[str, str] = {}
    out = bytearray()
    for i, c in enumerate(t.commits):
        changed: dict[str, str | None] = {}
        for path, text in c.files.items():
            if text is None:
                current.pop(path, None)
                changed[path] = None
            else:
                current[path] = _mark(path, text, replica) if replica else text
                changed[path] = current[path]
        _apply_edits(current, c, t.key)
        changed.update({p: current[p] for p in c.edit})
        msg = c.message if not replica else f"{c.message}\n\nsample replica {replica}"
        out += b"commit refs/heads/main\n"
        out += b"author %s %d +0000\n" % (ident, c.timestamp)
        out += b"committer %s %d +0000\n" % (ident, c.timestamp)
        out += _data(msg.encode() + b"\n")
        last = i == len(t.commits) - 1
        for path in sorted(changed):
            text = changed[path]
            if text is None:
                out += b"D %s\n" % path.encode()
                continue
            mode = b"100755" if path.endswith(".sh") else b"100644"
            if last and corrupt_blob and corrupt_blob[0] == path:
                out += b"M %s %s %s\n" % (mode, corrupt_blob[1].encode(), path.encode())
            else:
                out += b"M %s inline %s\n" % (mode, path.encode()) + _data(text.encode())
    out += b"done\n"
    return bytes(out)


def _final_text(t: RepoTemplate, replica: int, path: str) -> str:
    current: dict[str, str] = {}
    for c in t.commits:
        for p, text in c.files.items():
            if text is None:
                current.pop(p, None)
            else:
                current[p] = _mark(p, text, replica) if replica else text
        _apply_edits(current, c, t.key)
    return current[path]


def _break(dest: Path, blob: str) -> None:
    """Lose objects as a damaged mirror does: a blob of the head tree and the head commit
    itself, which the branch still names (objects are unpacked first so that single
    objects can be removed)."""
    packs = sorted((dest / "objects" / "pack").glob("*.pack"))
    for pack in packs:
        moved = pack.with_suffix(".unpack")
        pack.rename(moved)
        pack.with_suffix(".idx").unlink()
        _git(dest, "unpack-objects", "-q", input=moved.read_bytes())
        moved.unlink()
    head = _git(dest, "rev-parse", "refs/heads/main")
    for sha in (blob, head):
        (dest / "objects" / sha[:2] / sha[2:]).unlink()


def build_repository(t: RepoTemplate, dest: Path, replica: int = 0) -> dict[str, Any]:
    """Build one bare repository at ``dest``; returns its manifest entry."""
    dest.mkdir(parents=True)
    _git(dest, "init", "-q", "--bare", "-b", "main")
    corrupt_blob = None
    if t.broken == "corrupt":
        last = t.commits[-1]
        path = sorted(p for p, v in {**last.files, **{p: "" for p in last.edit}}.items() if v is not None)[0]
        sha = _git(dest, "hash-object", "-w", "--stdin", input=_final_text(t, replica, path).encode())
        corrupt_blob = (path, sha)
    if t.commits:
        _git(dest, "fast-import", "--quiet", "--done", input=_fast_import_stream(t, replica, corrupt_blob))
    if corrupt_blob:
        _break(dest, corrupt_blob[1])
    if t.default_branch != "main":
        _git(dest, "symbolic-ref", "HEAD", f"refs/heads/{t.default_branch}")
    head = None
    if t.commits and t.broken not in ("bad-branch",):
        head = _git(dest, "rev-parse", "refs/heads/main")
    first, last = (t.commits[0], t.commits[-1]) if t.commits else (None, None)
    stamp = lambda c: datetime.fromtimestamp(c.timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return {
        "path": dest.name,
        "owner": t.org,
        "name": t.name if not replica else f"{t.name}-r{replica:03d}",
        "template": t.key,
        "default_branch": t.default_branch,
        "head_commit": head,
        "broken": t.broken,
        "metadata": {
            **t.metadata,
            "description": t.description,
            "created_at": stamp(first) if first else None,
            "pushed_at": stamp(last) if last else None,
            "commits": len(t.commits),
            "broken": t.broken,
            # generated here, on this disk: the git cache reads it in place, no clone
            "local": True,
        },
    }


@dataclass(frozen=True)
class Corpus:
    """A built corpus: its folder, version and manifest entries."""

    root: Path
    version: str
    repos: tuple[dict[str, Any], ...]

    def refs(self) -> list[RepoRef]:
        return [
            RepoRef(
                platform=PLATFORM, owner=e["owner"], name=e["name"], url=str(self.root / e["path"]),
                default_branch=e["default_branch"], head_commit=e["head_commit"], metadata=dict(e["metadata"]),
            )
            for e in self.repos
        ]


def _load_manifest(folder: Path) -> Corpus | None:
    manifest = folder / "corpus.json"
    if not manifest.is_file():
        return None
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    return Corpus(folder, doc["version"], tuple(doc["repos"]))


def build_corpus(root: Path | str | None = None, *, repos: int | None = None, templates: Path | None = None) -> Corpus:
    """The corpus of ``templates`` (default: the bundled ones) under ``root`` (default:
    ``<cache dir>/sample-corpus``), built if absent."""
    if root is None:
        from chipwatch.settings import load_settings

        root = load_settings().sample_corpus
    root = Path(root).expanduser()
    version = corpus_version(repos, templates)
    folder = root / version
    found = _load_manifest(folder)
    if found:
        return found
    root.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(root / f".{version}.lock")):
        found = _load_manifest(folder)
        if found:
            return found
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root))
        tmp.chmod(0o755)
        try:
            entries = []
            for t, replica in scaled(load_templates(templates), repos):
                name = t.name if not replica else f"{t.name}-r{replica:03d}"
                rel = f"{t.org}/{name}.git"
                entry = build_repository(t, tmp / rel, replica)
                entry["path"] = rel
                entries.append(entry)
            (tmp / "corpus.json").write_text(
                json.dumps({"version": version, "format": FORMAT, "repos": entries}, indent=1, sort_keys=True),
                encoding="utf-8",
            )
            os.replace(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    built = _load_manifest(folder)
    assert built is not None
    return built


def parse_target(target: str | None) -> tuple[Path | None, int | None]:
    """``DIR?repos=N`` → (templates DIR, or None for the bundled ones; N or None)."""
    path, _, query = (target or "").partition("?")
    repos = None
    if query:
        params = parse_qs(query, strict_parsing=False)
        unknown = set(params) - {"repos"}
        if unknown:
            raise ConfigError(f"unknown sample option(s) {sorted(unknown)}; only ?repos=N", subject=f"sample:{target}")
        try:
            repos = int(params["repos"][-1])
        except ValueError:
            raise ConfigError("repos must be an integer", subject=f"sample:{target}") from None
        if repos < 1:
            raise ConfigError("repos must be at least 1", subject=f"sample:{target}")
    if path in ("", "default", "bundled"):
        return None, repos
    folder = Path(path).expanduser()
    if not folder.is_dir() or not any(folder.glob("*.yaml")):
        raise ConfigError(
            f"{folder} is not a folder of sample corpus templates (<org>.yaml files); "
            "use sample:default for the bundled corpus", subject=f"sample:{target}")
    return folder, repos


class SampleSource:
    """The ``sample:`` source: the corpus generated from templates, built on first use.

    ``target`` is ``default`` (the bundled templates) or a folder of templates, with an
    optional ``?repos=N``. The corpus is built under ``root`` (default
    ``<cache_dir>/sample-corpus``, the cache dir of the settings when not given).
    """

    platform = PLATFORM

    def __init__(
        self,
        target: str | Path | None = None,
        *,
        spec: str | None = None,
        repos: int | None = None,
        cache_dir: str | Path | None = None,
        root: str | Path | None = None,
    ):
        self.templates, spec_repos = parse_target(None if target is None else str(target))
        self.repos = repos or spec_repos
        if root is None and cache_dir is not None:
            root = Path(cache_dir) / "sample-corpus"
        self.root = Path(root).expanduser() if root is not None else None
        self.spec = spec or f"sample:{target or 'default'}"

    def corpus(self) -> Corpus:
        return build_corpus(self.root, repos=self.repos, templates=self.templates)

    def discover(self) -> Iterator[RepoRef]:
        yield from self.corpus().refs()
