"""github: discovery driven by the real PyGithub against the loopback GitHub server."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from chipwatch.model import RepoRef
from chipwatch.sources import DiscoveryFailure, parse_spec
from chipwatch.sources.base import RetryPolicy
from chipwatch.sources.github import GitHubSource

TOKEN = "ghp_" + "S3cr3tT0ken" * 3


def sha(i: int) -> str:
    return f"{i:040x}"


def source(gh, tmp_path: Path, org: str = "acme", **kw) -> GitHubSource:
    kw.setdefault("policy", RetryPolicy(retries=2, backoff=0.05, max_wait=5))
    return GitHubSource(org, api_url=gh.url, cache_dir=tmp_path / "http", **kw)


def split(results):
    results = list(results)
    repos = [r for r in results if isinstance(r, RepoRef)]
    fails = [r for r in results if isinstance(r, DiscoveryFailure)]
    return repos, fails


def test_lists_every_page_with_metadata(github_server, tmp_path):
    for i in range(230):
        github_server.add_repo("acme", f"repo{i:03d}", sha=sha(i))
    github_server.add_repo("acme", "a-fork", sha=sha(900), fork=True)
    github_server.add_repo("acme", "old", sha=sha(901), archived=True)
    github_server.add_repo("other", "x", sha=sha(999))
    repos, fails = split(source(github_server, tmp_path).discover())
    assert fails == []
    assert len(repos) == 232
    by_name = {r.name: r for r in repos}
    r = by_name["repo007"]
    assert (r.platform, r.owner, r.default_branch, r.head_commit) == ("github", "acme", "main", sha(7))
    assert r.url == f"{github_server.url}/git/acme/repo007.git"
    assert r.metadata["stars"] == 7 and r.metadata["license"] == "Apache-2.0" and r.metadata["topics"] == ["llm"]
    assert r.metadata["pushed_at"] == "2024-01-01T00:00:00Z" and r.metadata["archived"] is False
    assert by_name["a-fork"].metadata["fork"] is True
    assert github_server.by_route["/orgs/*/repos"] == 3  # 100 per page

    repos, _ = split(source(github_server, tmp_path / "b", include_forks=False, include_archived=False).discover())
    assert {r.name for r in repos} == {f"repo{i:03d}" for i in range(230)}


def test_second_discovery_costs_conditional_pages_only(github_server, tmp_path):
    for i in range(300):
        github_server.add_repo("acme", f"r{i}", sha=sha(i))
    first = list(source(github_server, tmp_path).discover())
    first_calls = github_server.calls
    remaining = github_server.remaining
    github_server.reset_counters()
    second = list(source(github_server, tmp_path).discover())  # a new process: state is on disk
    assert second == first
    assert github_server.calls == 3 and github_server.not_modified == 3
    assert github_server.calls <= 0.05 * first_calls
    assert github_server.remaining == remaining  # 304s do not count against the limit


def test_a_push_reasks_only_that_repository(github_server, tmp_path):
    for i in range(5):
        github_server.add_repo("acme", f"r{i}", sha=sha(i))
    list(source(github_server, tmp_path).discover())
    github_server.push("acme", "r3", sha(333), "2024-02-02T00:00:00Z")
    github_server.reset_counters()
    repos, _ = split(source(github_server, tmp_path).discover())
    assert {r.name: r.head_commit for r in repos}["r3"] == sha(333)
    assert github_server.by_route["/repos/*/*/branches/*"] == 1


def test_user_accounts_and_unknown_owner(github_server, tmp_path):
    github_server.add_repo("alice", "notes", sha=sha(1), kind="user")
    repos, fails = split(source(github_server, tmp_path, org="alice").discover())
    assert [r.name for r in repos] == ["notes"] and not fails
    repos, fails = split(source(github_server, tmp_path, org="nobody").discover())
    assert repos == [] and [(f.kind, f.repo) for f in fails] == [("not-found", None)]


def test_primary_rate_limit_is_waited_out(github_server, tmp_path):
    for i in range(3):
        github_server.add_repo("acme", f"r{i}", sha=sha(i))
    github_server.set_rate_limit(remaining=1, reset_in=2)
    t = time.monotonic()
    repos, fails = split(source(github_server, tmp_path).discover())
    assert len(repos) == 3 and not fails
    assert 1.0 <= time.monotonic() - t < 6


def test_primary_rate_limit_beyond_max_wait_fails_fast(github_server, tmp_path):
    for i in range(3):
        github_server.add_repo("acme", f"r{i}", sha=sha(i))
    github_server.set_rate_limit(remaining=0, reset_in=600)
    t = time.monotonic()
    repos, fails = split(source(github_server, tmp_path, policy=RetryPolicy(retries=3, backoff=0.01, max_wait=1)).discover())
    assert repos == [] and [f.kind for f in fails] == ["rate-limited"]
    assert "max_wait" in fails[0].message
    assert time.monotonic() - t < 2


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(github_server, tmp_path, status):
    github_server.add_repo("acme", "r", sha=sha(1))
    github_server.fail(r"/orgs/acme/repos", status, headers={"Retry-After": "1"},
                       body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})
    t = time.monotonic()
    repos, fails = split(source(github_server, tmp_path).discover())
    assert [r.name for r in repos] == ["r"] and not fails
    assert time.monotonic() - t >= 0.9


def test_server_errors_are_retried_then_reported_without_losing_pages(github_server, tmp_path):
    for i in range(150):
        github_server.add_repo("acme", f"r{i:03d}", sha=sha(i))
    github_server.fail(r"/orgs/acme/repos\?type=all", 500, times=1)
    github_server.fail(r"/branches/", 502, times=1)
    repos, fails = split(source(github_server, tmp_path).discover())
    assert len(repos) == 150 and not fails

    github_server.fail(r"page=2", 502, times=None)
    repos, fails = split(source(github_server, tmp_path / "fresh").discover())
    assert len(repos) == 100  # page 1 kept
    assert [(f.kind, f.repo) for f in fails] == [("server", None)]


@pytest.mark.parametrize("mode", ["json", "short"])
def test_truncated_page_is_retried_or_reported(github_server, tmp_path, mode):
    for i in range(120):
        github_server.add_repo("acme", f"r{i:03d}", sha=sha(i))
    github_server.truncate(r"page=2", mode, times=1)
    repos, fails = split(source(github_server, tmp_path).discover())
    assert len(repos) == 120 and not fails

    github_server.truncate(r"page=2", mode, times=None)
    repos, fails = split(source(github_server, tmp_path / "again").discover())
    assert len(repos) == 100 and [f.kind for f in fails] == ["truncated"]


def test_slow_response_is_a_timeout(github_server, tmp_path):
    github_server.add_repo("acme", "r", sha=sha(1))
    github_server.slow(r"/orgs/acme/repos", 2.5, times=None)
    t = time.monotonic()
    repos, fails = split(source(github_server, tmp_path, timeout=1, policy=RetryPolicy(retries=0)).discover())
    assert repos == [] and [f.kind for f in fails] == ["timeout"]
    assert time.monotonic() - t < 2.4


def test_per_repository_failures_do_not_stop_the_crawl(github_server, tmp_path):
    github_server.add_repo("acme", "ok", sha=sha(1))
    github_server.add_repo("acme", "empty", sha=None)
    github_server.add_repo("acme", "taken-down", sha=sha(2))
    github_server.repo_status[("acme", "taken-down")] = (451, "Repository access blocked")
    github_server.add_repo("acme", "disabled", sha=sha(3), disabled=True)
    github_server.add_repo("acme", "weird", sha=sha(4))["name"] = "we ird/../x\n"
    repos, fails = split(source(github_server, tmp_path).discover())
    assert [r.name for r in repos] == ["ok"]
    kinds = {f.repo: f.kind for f in fails}
    assert kinds["github:acme/empty"] == "empty" and kinds["github:acme/taken-down"] == "dmca"
    assert kinds["github:acme/disabled"] == "dmca"
    assert [f.kind for f in fails if "ird" in (f.repo or "")] == ["invalid"]
    empty = next(f for f in fails if f.kind == "empty")
    assert empty.ref is not None and empty.ref.metadata["stars"] == 7  # metadata kept for the repos table


def test_redirect_to_another_owner(github_server, tmp_path):
    github_server.add_repo("newname", "model", sha=sha(5))
    github_server.renamed["oldname"] = "newname"
    repos, fails = split(source(github_server, tmp_path, org="oldname").discover())
    assert not fails
    assert [(r.owner, r.name, r.head_commit, r.metadata["moved_from"]) for r in repos] == [("newname", "model", sha(5), "oldname")]


def test_token_is_sent_and_never_leaks(github_server, tmp_path, monkeypatch):
    github_server.token = TOKEN
    github_server.add_repo("acme", "r", sha=sha(1))
    github_server.fail(r"/orgs/acme/repos", 500, times=None, body={"message": f"echo Authorization: token {TOKEN}"})
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    src = parse_spec("github:acme", cache_dir=tmp_path / "http", policy=RetryPolicy(retries=0))
    assert src.api_url == github_server.url and TOKEN not in repr(src)
    fails = list(src.discover())
    assert fails and all(TOKEN not in f.message and TOKEN not in repr(f) for f in fails)
    github_server.clear_faults()
    repos, fails = split(parse_spec("github:acme", cache_dir=tmp_path / "http").discover())
    assert [r.name for r in repos] == ["r"]
    assert all(h.get("authorization") == f"token {TOKEN}" for _, _, h in github_server.requests)
    for path in (tmp_path / "http").rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text()

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_wrongwrongwrongwrongwrong")
    _, fails = split(parse_spec("github:acme", cache_dir=tmp_path / "http2").discover())
    assert [f.kind for f in fails] == ["auth"] and "wrongwrong" not in fails[0].message
