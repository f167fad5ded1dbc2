"""Discovery cost: API calls of a first and a second (unchanged) discovery of N GitHub
repositories, counted by the loopback server; and one changed repository.

    .venv/bin/python bench/bench_discovery.py [--repos 1000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chipwatch.sources.github import GitHubSource  # noqa: E402
from tests.servers.github_api import GitHubServer  # noqa: E402


def run(gh: GitHubServer, cache: Path) -> tuple[int, int, float, int]:
    gh.reset_counters()
    gh.not_modified = 0
    t = time.perf_counter()
    n = sum(1 for _ in GitHubSource("bench", api_url=gh.url, cache_dir=cache).discover())
    return gh.calls, gh.not_modified, time.perf_counter() - t, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=1000)
    args = ap.parse_args()
    with GitHubServer() as gh, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repos):
            gh.add_repo("bench", f"repo-{i:05d}", sha=f"{i:040x}")
        c1, _, t1, n = run(gh, Path(tmp))
        c2, nm2, t2, _ = run(gh, Path(tmp))
        gh.push("bench", "repo-00007", "f" * 40, "2025-01-01T00:00:00Z")
        c3, nm3, t3, _ = run(gh, Path(tmp))
        print(f"repositories                 {n}")
        print(f"first discovery              {c1} API calls, {t1:.2f} s")
        print(f"second discovery (unchanged) {c2} API calls ({nm2} answered 304), {t2:.2f} s  -> {100 * c2 / c1:.2f} % of first")
        print(f"third discovery (1 pushed)   {c3} API calls ({nm3} answered 304), {t3:.2f} s")


if __name__ == "__main__":
    main()
