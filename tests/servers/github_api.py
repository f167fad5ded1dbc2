"""A loopback server speaking the GitHub REST routes PyGithub uses for discovery.

Routes: ``/orgs/{org}/repos``, ``/users/{user}/repos`` (Link pagination with ``page`` and
``per_page``), ``/repos/{owner}/{name}``, ``/repos/{owner}/{name}/branches/{branch}``,
``/rate_limit``. Every JSON answer has an ETag; ``If-None-Match`` with the current ETag
answers 304, which does not count against the rate limit. The primary limit is
simulated (``set_rate_limit``); faults come from :class:`tests.servers.base.LoopbackServer`.

    with GitHubServer() as gh:
        gh.add_repo("acme", "trainer", sha="a" * 40)
        Github(base_url=gh.url)...
"""
from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.servers.base import LoopbackServer, Response


class GitHubServer(LoopbackServer):
    def __init__(self, *, token: str | None = None, rate_limit: int = 5000):
        super().__init__()
        self.token = token  # when set, requests must carry it (else 401)
        self.owners: dict[str, str] = {}  # login -> "org" | "user"
        self.repos: dict[tuple[str, str], dict[str, Any]] = {}
        self.branches: dict[tuple[str, str], dict[str, str]] = {}
        self.repo_status: dict[tuple[str, str], tuple[int, str]] = {}
        self.renamed: dict[str, str] = {}  # old owner login -> new login (301)
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + 3600
        self.not_modified = 0
        self._next_id = 1000

    # -- state ------------------------------------------------------------------------------
    def add_owner(self, login: str, kind: str = "org") -> None:
        self.owners[login] = kind

    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        sha: str | None = "0" * 40,
        default_branch: str = "main",
        kind: str = "org",
        clone_url: str | None = None,
        pushed_at: str = "2024-01-01T00:00:00Z",
        **fields: Any,
    ) -> dict[str, Any]:
        """Add (or replace) a repository; ``sha=None`` makes it empty (no branch)."""
        self.owners.setdefault(owner, kind)
        self._next_id += 1
        item: dict[str, Any] = {
            "id": fields.pop("id", self._next_id),
            "name": name,
            "full_name": f"{owner}/{name}",
            "owner": {"login": owner, "type": "Organization" if kind == "org" else "User"},
            "private": False,
            "html_url": f"https://github.example/{owner}/{name}",
            "description": f"{name} of {owner}",
            "fork": False,
            "archived": False,
            "disabled": False,
            "created_at": "2023-01-01T00:00:00Z",
            "updated_at": pushed_at,
            "pushed_at": pushed_at,
            "clone_url": clone_url or f"{self.url}/git/{owner}/{name}.git",
            "default_branch": default_branch,
            "stargazers_count": 7,
            "forks_count": 1,
            "size": 0 if sha is None else 120,
            "language": "Python",
            "topics": ["llm"],
            "license": {"key": "apache-2.0", "spdx_id": "Apache-2.0"},
            "visibility": "public",
        }
        item.update(fields)
        self.repos[(owner, name)] = item
        self.branches[(owner, name)] = {} if sha is None else {default_branch: sha}
        return item

    def push(self, owner: str, name: str, sha: str, pushed_at: str) -> None:
        """Move the default branch, as a push does (pushed_at changes too)."""
        item = self.repos[(owner, name)]
        item["pushed_at"] = item["updated_at"] = pushed_at
        self.branches[(owner, name)][item["default_branch"]] = sha

    def set_rate_limit(self, remaining: int, reset_in: float) -> None:
        self.remaining = remaining
        self.reset_at = int(time.time() + reset_in)

    # -- serving ------------------------------------------------------------------------------
    def route_name(self, path: str) -> str:
        parts = urlsplit(path).path.strip("/").split("/")
        if parts[0] in ("orgs", "users") and len(parts) == 3:
            return f"/{parts[0]}/*/repos"
        if parts[0] == "repos" and len(parts) >= 5 and parts[3] == "branches":
            return "/repos/*/*/branches/*"
        if parts[0] == "repos":
            return "/repos/*/*"
        return "/" + parts[0]

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Resource": "core",
        }

    def handle(self, h: Any, method: str, path: str) -> Response | None:
        if self.token is not None:
            auth = h.headers.get("Authorization", "")
            if auth not in (f"token {self.token}", f"Bearer {self.token}"):
                return Response(401, {"message": "Bad credentials"})
        if time.time() >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = int(time.time()) + 3600
        split = urlsplit(path)
        parts = [unquote(p) for p in split.path.strip("/").split("/")]
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        if parts == ["rate_limit"]:
            core = {"limit": self.limit, "remaining": self.remaining, "reset": self.reset_at, "used": self.limit - self.remaining}
            return Response(200, {"resources": {"core": core}, "rate": core}, self._rate_headers())
        status, body, extra = self._route(parts, query, split.query)
        if status == 301:
            return Response(301, {"message": "Moved Permanently", "url": extra["Location"]}, extra)
        etag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode() + json.dumps(extra, sort_keys=True).encode()).hexdigest()[:32] + '"'
        if status == 200 and h.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return Response(304, b"", {"ETag": etag, **self._rate_headers()})
        if self.remaining <= 0:
            return Response(
                403,
                {"message": "API rate limit exceeded for 127.0.0.1.", "documentation_url": "https://docs.github.com/rest"},
                self._rate_headers(),
            )
        self.remaining -= 1
        headers = {**extra, **self._rate_headers()}
        if status == 200:
            headers["ETag"] = etag
        return Response(status, body, headers)

    def _route(self, parts: list[str], query: dict[str, str], raw_query: str) -> tuple[int, Any, dict[str, str]]:
        if len(parts) == 3 and parts[0] in ("orgs", "users") and parts[2] == "repos":
            login = parts[1]
            if login in self.renamed:
                new = self.renamed[login]
                return 301, None, {"Location": f"{self.url}/{parts[0]}/{new}/repos" + (f"?{raw_query}" if raw_query else "")}
            kind = self.owners.get(login)
            if kind is None or (parts[0] == "orgs" and kind != "org"):
                return 404, {"message": "Not Found"}, {}
            return self._page(parts[0], login, query)
        if len(parts) >= 3 and parts[0] == "repos":
            key = (parts[1], parts[2])
            if parts[1] in self.renamed:
                rest = "/".join(parts[3:])
                return 301, None, {"Location": f"{self.url}/repos/{self.renamed[parts[1]]}/{parts[2]}" + (f"/{rest}" if rest else "")}
            if key in self.repo_status:
                code, msg = self.repo_status[key]
                return code, {"message": msg}, {}
            if key not in self.repos:
                return 404, {"message": "Not Found"}, {}
            if len(parts) == 3:
                return 200, self.repos[key], {}
            if len(parts) == 5 and parts[3] == "branches":
                sha = self.branches[key].get(parts[4])
                if sha is None:
                    return 404, {"message": "Branch not found"}, {}
                return 200, {"name": parts[4], "commit": {"sha": sha, "url": f"{self.url}/repos/{key[0]}/{key[1]}/commits/{sha}"}, "protected": False}, {}
        return 404, {"message": "Not Found"}, {}

    def _page(self, kind: str, login: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        items = [r for (o, _), r in sorted(self.repos.items()) if o == login]
        per_page = min(int(query.get("per_page", 30)), 100)
        page = max(int(query.get("page", 1)), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.url}/{kind}/{login}/repos?per_page={per_page}"
        if "type" in query:
            base += f"&type={query['type']}"
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}&page=1>; rel="first"')
            links.append(f'<{base}&page={page - 1}>; rel="prev"')
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})
