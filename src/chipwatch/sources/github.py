"""``github:<org>`` — every repository of a GitHub organization or user, through PyGithub.

Cheap on the second night: listing pages are requested with ``If-None-Match`` (a 304
costs nothing against the rate limit) and their bodies kept on disk, and the head commit
of a repository is asked for only when its ``pushed_at`` or default branch changed since
the last run. Budget-aware: a primary limit (``X-RateLimit-Remaining: 0``) is waited out
until ``X-RateLimit-Reset``, a secondary one after ``Retry-After``; both waits are
bounded by ``RetryPolicy.max_wait`` and a longer one becomes a ``rate-limited`` failure.
"""
from __future__ import annotations

import http.client
import os
import re
import time
from typing import Any, Iterator
from urllib.parse import quote

from chipwatch.model import RepoRef
from chipwatch.sources.base import DiscoveryFailure, Failed, RetryLater, RetryPolicy, redact, short
from chipwatch.sources.state import JsonStore, default_cache_dir, identity

DEFAULT_API_URL = "https://api.github.com"
ENV_TOKEN = "GITHUB_TOKEN"
ENV_API_URL = "GITHUB_API_URL"

_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_LINK_NEXT_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def valid_name(name: Any) -> bool:
    """A GitHub owner or repository name we can use in paths and URLs as is."""
    return isinstance(name, str) and bool(_NAME_RE.match(name)) and name not in (".", "..")


class GitHubSource:
    """Lists the repositories of one organization (or user) on GitHub or GitHub Enterprise.

    ``api_url`` defaults to ``$GITHUB_API_URL`` then ``https://api.github.com``; the token
    to ``$GITHUB_TOKEN`` (anonymous without). ``cache_dir`` holds the conditional-request
    state (default: ``<chipwatch cache>/http``).
    """

    platform = "github"

    def __init__(
        self,
        org: str,
        *,
        spec: str | None = None,
        token: str | None = None,
        api_url: str | None = None,
        include_forks: bool = True,
        include_archived: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        per_page: int = 100,
        timeout: float = 30,
        policy: RetryPolicy | None = None,
    ):
        if not valid_name(org):
            raise ValueError(f"not a GitHub organization or user name: {org!r}")
        self.org = org
        self.spec = spec or f"github:{org}"
        self._token = token if token is not None else os.environ.get(ENV_TOKEN) or None
        self.api_url = (api_url or os.environ.get(ENV_API_URL) or DEFAULT_API_URL).rstrip("/")
        self.include_forks = include_forks
        self.include_archived = include_archived
        self.per_page = per_page
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        root = cache_dir if cache_dir is not None else default_cache_dir() / "http"
        self._store = JsonStore(root)
        self._scope = f"{self.api_url}|{identity(self._token)}"
        self._gh: Any = None
        self._pause_until = 0.0
        self.calls = 0  # requests sent (304s included), for budgets and benchmarks

    def __repr__(self) -> str:  # never show the token
        return f"GitHubSource({self.org!r}, api_url={self.api_url!r}, token={'set' if self._token else 'unset'})"

    # -- HTTP through PyGithub's requester ------------------------------------------------

    def _requester(self) -> Any:
        if self._gh is None:
            from github import Auth, Github

            auth = Auth.Token(self._token) if self._token else None
            self._gh = Github(
                base_url=self.api_url,
                auth=auth,
                timeout=int(max(1, self.timeout)),
                retry=None,  # we retry ourselves, with bounded waits
                per_page=self.per_page,
                seconds_between_requests=None,
                seconds_between_writes=None,
            )
        return self._gh.requester

    def _wait_for_budget(self) -> None:
        wait = self._pause_until - time.time()
        if wait > 0:
            if wait > self.policy.max_wait:
                raise Failed("rate-limited", f"rate limit exhausted; resets in {wait:.0f} s, more than max_wait={self.policy.max_wait:.0f} s")
            self.policy.sleep(wait)

    def _note_budget(self, headers: dict[str, Any]) -> None:
        if str(headers.get("x-ratelimit-remaining", "")).strip() == "0":
            try:
                self._pause_until = float(headers["x-ratelimit-reset"]) + 1
            except (KeyError, ValueError):
                self._pause_until = time.time() + 60

    def _once(self, url: str, etag: str | None) -> tuple[int, dict[str, Any], Any]:
        """One GET; returns (status, headers, json) or raises RetryLater / Failed."""
        import requests
        from github.GithubException import GithubException

        self._wait_for_budget()
        headers = {"If-None-Match": etag} if etag else None
        self.calls += 1
        try:
            hdrs, data = self._requester().requestJsonAndCheck("GET", url, headers=headers)
        except GithubException as exc:
            hdrs = {k.lower(): v for k, v in (exc.headers or {}).items()}
            self._note_budget(hdrs)
            raise _classify(exc.status, hdrs, exc.data, self._pause_until) from None
        except requests.Timeout as exc:
            raise RetryLater("timeout", f"no answer within {self.timeout} s") from exc
        except (requests.exceptions.ChunkedEncodingError, http.client.IncompleteRead) as exc:
            raise RetryLater("truncated", "response ended early") from exc
        except requests.ConnectionError as exc:
            raise RetryLater("network", redact(short(str(exc)), self._token)) from exc
        except ValueError as exc:  # cut or malformed JSON body
            raise RetryLater("truncated", f"response is not complete JSON ({short(str(exc), 80)})") from exc
        except RuntimeError as exc:  # PyGithub refuses redirects to another host or scheme
            raise Failed("moved", redact(short(str(exc)), self._token)) from exc
        self._note_budget(hdrs)
        status = 304 if data is None and etag else 200
        return status, hdrs, data

    def _get(self, url: str) -> tuple[Any, str | None]:
        """GET with a conditional request; returns (json, next page url)."""
        key = f"{self._scope}|{url}"
        cached = self._store.get("etag", key)
        etag = cached.get("etag") if isinstance(cached, dict) else None
        status, hdrs, data = self.policy.run(lambda: self._once(url, etag))
        if status == 304 and cached is not None:
            return cached["body"], cached.get("next")
        nxt = _next_link(hdrs.get("link"))
        if hdrs.get("etag"):
            self._store.put("etag", key, {"etag": hdrs["etag"], "body": data, "next": nxt})
        return data, nxt

    # -- discovery -------------------------------------------------------------------------

    def _listing_urls(self) -> list[str]:
        org = quote(self.org)
        first = f"/orgs/{org}/repos?type=all&per_page={self.per_page}"
        user = f"/users/{org}/repos?type=owner&per_page={self.per_page}"
        known = self._store.get("owner-kind", f"{self._scope}|{self.org}")
        return [user, first] if known == "user" else [first, user]

    def _pages(self) -> Iterator[list[Any]]:
        url: str | None = None
        for candidate in self._listing_urls():
            try:
                body, nxt = self._get(candidate)
            except Failed as exc:
                if exc.kind == "not-found":
                    continue
                raise
            kind = "user" if candidate.startswith("/users/") else "org"
            self._store.put("owner-kind", f"{self._scope}|{self.org}", kind)
            url = candidate
            break
        if url is None:
            raise Failed("not-found", f"no GitHub organization or user named {self.org!r} at {self.api_url}")
        while True:
            if not isinstance(body, list):
                raise Failed("invalid", f"listing page is not a JSON list: {short(repr(body), 120)}")
            yield body
            if not nxt:
                return
            body, nxt = self._get(nxt)

    def discover(self) -> Iterator[RepoRef | DiscoveryFailure]:
        try:
            for page in self._pages():
                for item in page:
                    result = self._repo(item)
                    if result is not None:
                        yield result
        except Failed as exc:
            yield DiscoveryFailure(self.spec, None, exc.kind, redact(str(exc), self._token))

    def _repo(self, item: Any) -> RepoRef | DiscoveryFailure | None:
        if not isinstance(item, dict):
            return DiscoveryFailure(self.spec, None, "invalid", f"listing entry is not an object: {short(repr(item), 120)}")
        owner = (item.get("owner") or {}).get("login") if isinstance(item.get("owner"), dict) else None
        name = item.get("name")
        key = f"github:{owner}/{name}"
        if not valid_name(owner) or not valid_name(name):
            return DiscoveryFailure(self.spec, short(key, 200), "invalid", f"unusable repository name {short(repr(f'{owner}/{name}'), 200)}")
        if item.get("fork") and not self.include_forks:
            return None
        if item.get("archived") and not self.include_archived:
            return None
        meta = _metadata(item)
        if owner.lower() != self.org.lower():
            meta["moved_from"] = self.org
        branch = item.get("default_branch")
        ref = RepoRef(
            platform="github",
            owner=owner,
            name=name,
            url=_clone_url(item, self.api_url, owner, name),
            default_branch=branch if isinstance(branch, str) and branch else None,
            metadata=meta,
        )
        if item.get("disabled"):
            return DiscoveryFailure(self.spec, ref.key, "dmca", "repository is disabled by GitHub", ref=ref)
        if not ref.default_branch:
            return DiscoveryFailure(self.spec, ref.key, "empty", "repository has no default branch", ref=ref)
        try:
            head = self._head(ref, item)
        except Failed as exc:
            return DiscoveryFailure(self.spec, ref.key, exc.kind, redact(str(exc), self._token), ref=ref)
        return RepoRef(ref.platform, ref.owner, ref.name, ref.url, ref.default_branch, head, meta)

    def _head(self, ref: RepoRef, item: dict[str, Any]) -> str:
        """Head commit of the default branch, asked for only if the repo changed."""
        memo_key = f"{self._scope}|{ref.owner}/{ref.name}|{ref.default_branch}|{item.get('pushed_at')}|{item.get('id')}"
        memo = self._store.get("head", memo_key)
        if isinstance(memo, dict):
            if memo.get("empty"):
                raise Failed("empty", "repository has no commits")
            if isinstance(memo.get("sha"), str):
                return memo["sha"]
        url = f"/repos/{quote(ref.owner)}/{quote(ref.name)}/branches/{quote(ref.default_branch or '', safe='')}"
        try:
            body, _ = self._get(url)
        except Failed as exc:
            if exc.kind == "not-found" and not item.get("size"):
                self._store.put("head", memo_key, {"empty": True})
                raise Failed("empty", "repository has no commits") from None
            if exc.kind == "empty":
                self._store.put("head", memo_key, {"empty": True})
            raise
        sha = (body.get("commit") or {}).get("sha") if isinstance(body, dict) else None
        if not (isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha)):
            raise Failed("invalid", f"branch {ref.default_branch!r} has no usable commit sha")
        self._store.put("head", memo_key, {"sha": sha})
        return sha


def _classify(status: int, hdrs: dict[str, Any], data: Any, pause_until: float) -> Exception:
    message = data.get("message") if isinstance(data, dict) else None
    text = short(f"HTTP {status}: {message or 'no message'}", 200)
    if status in (403, 429):
        retry_after = hdrs.get("retry-after")
        if retry_after is not None:
            try:
                return RetryLater("rate-limited", f"secondary rate limit ({text})", wait=float(retry_after))
            except ValueError:
                return RetryLater("rate-limited", f"secondary rate limit ({text})", wait=60.0)
        if str(hdrs.get("x-ratelimit-remaining", "")).strip() == "0":
            return RetryLater("rate-limited", f"primary rate limit ({text})", wait=max(0.0, pause_until - time.time()))
        if status == 429:
            return RetryLater("rate-limited", text)
        if message and ("blocked" in message.lower() or "disabled" in message.lower()):
            return Failed("dmca", text)
        return Failed("auth", text)
    if status == 401:
        return Failed("auth", text)
    if status == 404:
        return Failed("not-found", text)
    if status == 409:
        return Failed("empty", text)
    if status in (410, 451):
        return Failed("dmca", text)
    if status >= 500:
        return RetryLater("server", text)
    return Failed("invalid", text)


def _next_link(link: Any) -> str | None:
    if not isinstance(link, str):
        return None
    m = _LINK_NEXT_RE.search(link)
    return m.group(1) if m else None


def _clone_url(item: dict[str, Any], api_url: str, owner: str, name: str) -> str:
    url = item.get("clone_url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    web = "https://github.com" if api_url == DEFAULT_API_URL else re.sub(r"/api/v3$", "", api_url)
    return f"{web}/{owner}/{name}.git"


def _metadata(item: dict[str, Any]) -> dict[str, Any]:
    lic = item.get("license")
    topics = item.get("topics")
    meta = {
        "id": item.get("id"),
        "description": item.get("description"),
        "fork": bool(item.get("fork")),
        "archived": bool(item.get("archived")),
        "created_at": item.get("created_at"),
        "pushed_at": item.get("pushed_at"),
        "updated_at": item.get("updated_at"),
        "stars": item.get("stargazers_count"),
        "forks": item.get("forks_count"),
        "topics": [t for t in topics if isinstance(t, str)] if isinstance(topics, list) else [],
        "license": lic.get("spdx_id") if isinstance(lic, dict) else None,
        "size_kb": item.get("size"),
        "language": item.get("language"),
        "html_url": item.get("html_url"),
    }
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list)) or v is None}
