"""``git:<url>`` — one repository on any git remote (Gitee, GitCode, GitLab, a plain
server). Discovery is one ``git ls-remote --symref``: default branch and head commit,
no API and no token needed for public repositories.

The owner is the URL path without its last segment (``group/subgroup`` on GitLab), the
name is the last segment without ``.git``; the host goes into ``metadata["host"]``.
"""
from __future__ import annotations

import re
import subprocess
from typing import Iterator
from urllib.parse import urlsplit

from chipwatch.gitio.safegit import classify, last_lines, run_git
from chipwatch.model import RepoRef
from chipwatch.sources.base import DiscoveryFailure, redact

_ALLOWED_SCHEMES = ("https", "http", "git", "ssh", "file")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")


def split_url(url: str) -> tuple[str, str, str]:
    """(host, owner, name) of a git URL, or ValueError with the reason."""
    scp = re.match(r"^([\w.-]+)@([\w.-]+):(.+)$", url)
    if scp:
        host, path = scp.group(2), scp.group(3)
    else:
        parts = urlsplit(url)
        if parts.scheme not in _ALLOWED_SCHEMES:
            raise ValueError(f"unsupported git URL scheme {parts.scheme!r} (use {', '.join(_ALLOWED_SCHEMES)})")
        host, path = parts.hostname or "local", parts.path
    segments = [s for s in path.strip("/").split("/") if s]
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1][:-4]
    if not segments or not all(_SEGMENT_RE.match(s) and s not in (".", "..") for s in segments):
        raise ValueError(f"cannot name a repository from URL path {path!r}")
    owner = "/".join(segments[:-1]) or host
    return host, owner, segments[-1]


class GitRemoteSource:
    """One repository at a git URL."""

    platform = "git"

    def __init__(self, url: str, *, spec: str | None = None, timeout: float = 120):
        self.url = url
        self.spec = spec or f"git:{url}"
        self.timeout = timeout
        self.host, self.owner, self.name = split_url(url)

    def __repr__(self) -> str:
        return f"GitRemoteSource({redact(self.url)!r})"

    def discover(self) -> Iterator[RepoRef | DiscoveryFailure]:
        key = f"git:{self.owner}/{self.name}"
        meta = {"host": self.host}
        try:
            proc = run_git(["ls-remote", "--symref", "--", self.url, "HEAD"], timeout=self.timeout)
        except subprocess.TimeoutExpired:
            yield DiscoveryFailure(self.spec, key, "timeout", f"no answer from {redact(self.url)} within {self.timeout:.0f} s")
            return
        if proc.returncode != 0:
            err = last_lines(proc.stderr)
            yield DiscoveryFailure(redact(self.spec), key, classify(err), redact(f"git ls-remote failed: {err}"))
            return
        out = proc.stdout.decode("utf-8", "replace")
        branch = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", out, re.M)
        head = re.search(r"^([0-9a-f]{40}|[0-9a-f]{64})\tHEAD$", out, re.M)
        ref = RepoRef("git", self.owner, self.name, self.url, branch.group(1) if branch else None,
                      head.group(1) if head else None, meta)
        if head is None:
            yield DiscoveryFailure(redact(self.spec), key, "empty", "remote has no commits (no HEAD)", ref=ref)
            return
        yield ref
