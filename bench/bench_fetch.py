"""Fetch cost: bytes of an incremental fetch against the new commit's own objects, and
the wall time of fetching N repositories with 1 and 2 workers, over a real
git http-backend on loopback (``--latency`` adds a per-request delay like a network
round trip; 0 measures pure local CPU).

    .venv/bin/python bench/bench_fetch.py [--repos 200] [--latency 0.05]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chipwatch.gitio.cache import RepoCache  # noqa: E402
from chipwatch.model import RepoRef  # noqa: E402
from tests.helpers.gitbuild import GitRepoBuilder  # noqa: E402
from tests.servers.git_http import GitHttpServer  # noqa: E402


def incremental(tmp: Path) -> None:
    with GitHttpServer(tmp / "inc-served") as srv:
        b = GitRepoBuilder(tmp / "inc-work")
        for i in range(20):
            b.commit({f"src/m{i}.py": os.urandom(4000).hex(), "README.md": f"v{i}\n"}, date=f"2023-01-{i + 1:02d}")
        url = srv.add("acme/inc", b)
        cache = RepoCache(tmp / "inc-cache")
        first = cache.fetch(RepoRef("git", "acme", "inc", url, "main", b.head()))
        old = b.head()
        new = b.commit({"src/new.py": "import torch_npu\n" * 20, "README.md": "v21\n"}, date="2023-02-01")
        own = len(subprocess.run(["git", "-C", str(b.path), "pack-objects", "--revs", "--stdout"],
                                 input=f"{new}\n^{old}\n".encode(), capture_output=True, check=True).stdout)
        srv.reset_counters()
        second = cache.fetch(RepoRef("git", "acme", "inc", url, "main", new))
        print(f"first fetch (20 commits)     {first.bytes_transferred} B pack")
        print(f"incremental fetch (1 commit) {second.bytes_transferred} B pack; that commit's own objects packed alone: {own} B; "
              f"server sent {srv.bytes_sent} B incl. ref advertisement and negotiation")


def parallel(tmp: Path, n: int, latency: float) -> None:
    with GitHttpServer(tmp / "par-served", latency=latency) as srv:
        refs = []
        for i in range(n):
            b = GitRepoBuilder(tmp / "par-work" / f"r{i}")
            b.commit({"train.py": f"# {i}\nimport torch\n" * 20, "cfg.json": os.urandom(2000).hex()}, date="2023-01-15")
            refs.append(RepoRef("git", "acme", f"r{i}", srv.add(f"acme/r{i}", b), "main", b.head()))
        times = {}
        for workers in (1, 2):
            cache = RepoCache(tmp / f"par-cache-{workers}")
            t = time.perf_counter()
            results = cache.fetch_many(refs, workers=workers)
            times[workers] = time.perf_counter() - t
            assert all(r.ok for r in results), [r for r in results if not r.ok][:1]
        print(f"{n} repositories, latency {latency * 1000:.0f} ms/request: 1 worker {times[1]:.2f} s, "
              f"2 workers {times[2]:.2f} s -> {times[1] / times[2]:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.05)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        incremental(Path(tmp))
        parallel(Path(tmp), args.repos, args.latency)


if __name__ == "__main__":
    main()
