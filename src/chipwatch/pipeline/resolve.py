"""Resolve the commit of every (repository, ``as_of``): the last commit on the default
branch at or before the end of ``as_of`` (UTC).

For ``as_of`` today with a head commit reported by discovery, no git is needed; that is
what makes an unchanged nightly crawl cost discovery only. Otherwise the repository is
fetched into the git cache (an update is cheap) and its history read from there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

from chipwatch.errors import ChipwatchError
from chipwatch.model import RepoRef
from chipwatch.plan import Resolution, as_of_timestamp, can_use_head


@dataclass(frozen=True)
class Resolved:
    """What a resolve task hands back: the resolutions and the seconds they took (a
    run's ``resolve`` stage)."""

    resolutions: list[Resolution]
    seconds: float


def _error(exc: BaseException) -> tuple[str, str]:
    return (getattr(exc, "kind", None) or type(exc).__name__, str(exc) or type(exc).__name__)


def commits_at(git_dir: Path | str, branch: str | None, as_ofs: Sequence[date]) -> dict[date, tuple[str, str] | None]:
    """(commit, committed_at) at or before each ``as_of``; None before the first commit."""
    from chipwatch.gitio.objects import GitRepo

    with GitRepo(git_dir) as repo:
        rev = f"refs/heads/{branch}" if branch else "HEAD"
        try:
            repo.resolve(rev)
        except ChipwatchError:
            if not branch:
                raise
            rev = "HEAD"  # a local mirror may name its branch differently: its HEAD decides
            repo.resolve(rev)
        out: dict[date, tuple[str, str] | None] = {}
        for d in sorted(as_ofs, reverse=True):
            got = repo.commits(rev, limit=1, before=as_of_timestamp(d))
            out[d] = (got[0].sha, got[0].committed_at) if got else None
        return out


def resolve_repos(
    repos: Iterable[RepoRef],
    as_ofs: Sequence[date],
    *,
    git_cache: Path | str,
    today: date | None = None,
) -> list[Resolution]:
    """Resolutions for every repository × ``as_of``; a repository that cannot be fetched
    or read gives failure resolutions, never an exception."""
    out: list[Resolution] = []
    cache = None
    for repo in repos:
        if all(can_use_head(repo, d, today=today) for d in as_ofs):
            out.extend(Resolution(repo, d, repo.head_commit) for d in as_ofs)
            continue
        if cache is None:
            from chipwatch.gitio.cache import RepoCache

            cache = RepoCache(git_cache)
        fetched = cache.fetch(repo)
        if not fetched.ok or fetched.path is None:
            out.extend(Resolution(repo, d, error_kind=fetched.error_kind or "fetch",
                                  error_message=fetched.error_message or "fetch failed") for d in as_ofs)
            continue
        try:
            found = commits_at(fetched.path, repo.default_branch, as_ofs)
        except ChipwatchError as exc:
            kind, message = _error(exc)
            out.extend(Resolution(repo, d, error_kind=kind, error_message=message) for d in as_ofs)
            continue
        for d in as_ofs:
            hit = found[d]
            out.append(Resolution(repo, d, hit[0], hit[1]) if hit else Resolution(repo, d))
    return out
