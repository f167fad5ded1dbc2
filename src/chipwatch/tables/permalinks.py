"""Permalinks to a line of a file at a commit, on GitHub, Hugging Face and known forges.

Each forge spells a blob URL its own way; a repository we cannot link to (a local mirror,
an unknown host) gets no permalink rather than a wrong one.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from chipwatch.model import RepoRef

# host -> format; {base} is scheme://host, owner may contain "/" (GitLab subgroups).
_FORGES: dict[str, str] = {
    "github.com": "{base}/{owner}/{name}/blob/{commit}/{path}#L{line}",
    "huggingface.co": "{base}/{owner}/{name}/blob/{commit}/{path}#L{line}",
    "gitee.com": "{base}/{owner}/{name}/blob/{commit}/{path}#L{line}",
    "gitcode.com": "{base}/{owner}/{name}/blob/{commit}/{path}#L{line}",
    "gitcode.net": "{base}/{owner}/{name}/blob/{commit}/{path}#L{line}",
    "gitlab.com": "{base}/{owner}/{name}/-/blob/{commit}/{path}#L{line}",
    "codeberg.org": "{base}/{owner}/{name}/src/commit/{commit}/{path}#L{line}",
    "bitbucket.org": "{base}/{owner}/{name}/src/{commit}/{path}#lines-{line}",
}
_PLATFORM_HOSTS = {"github": "github.com", "hf": "huggingface.co"}


def _base_and_host(repo: RepoRef) -> tuple[str, str] | None:
    parts = urlsplit(repo.url or "")
    if parts.scheme in ("http", "https") and parts.hostname:
        host = parts.hostname.lower()
        if host.startswith("www."):
            host = host[4:]
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname.lower()}{port}", host
    host = _PLATFORM_HOSTS.get(repo.platform)
    if host:
        return f"https://{host}", host
    return None


def permalink(repo: RepoRef, commit: str, path: str, line: int) -> str | None:
    """URL of ``path`` at ``line`` in ``commit``, or None when the host is not a known forge.

    A GitHub Enterprise repository (platform ``github`` on another host) uses GitHub's
    URL form on its own host.
    """
    found = _base_and_host(repo)
    if found is None:
        return None
    base, host = found
    fmt = _FORGES.get(host)
    if fmt is None and repo.platform == "github":
        fmt = _FORGES["github.com"]
    if fmt is None:
        return None
    if repo.platform == "hf" and host == "huggingface.co" and repo.url and "/datasets/" in repo.url:
        base += "/datasets"
    return fmt.format(
        base=base,
        owner=quote(repo.owner, safe="/"),
        name=quote(repo.name, safe=""),
        commit=commit,
        path=quote(path, safe="/"),
        line=line,
    )
