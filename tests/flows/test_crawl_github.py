"""A GitHub organization crawled end to end: the real PyGithub against the loopback
GitHub API, clones from a real `git http-backend`, the real Prefect API and Dask cluster."""
from __future__ import annotations

import pytest

from chipwatch.storage.warehouse import Warehouse
from tests.helpers.gitbuild import GitRepoBuilder
from tests.servers.fixtures import git_server, github_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow
TOKEN = "ghp_" + "s3cr3t" * 6

TRAIN = """#!/bin/bash
export NCCL_IB_HCA=mlx5_0,mlx5_1
export NCCL_NET_GDR_LEVEL=2
deepspeed train.py --bf16 --deepspeed ds_zero3.json
"""


def test_github_org_crawl(prefect_server, dask_cluster, github_server, git_server, tmp_path, monkeypatch):  # noqa: F811
    from flows.crawl import crawl

    lab = GitRepoBuilder(tmp_path / "src" / "trainer")
    lab.commit({"scripts/train.sh": TRAIN, "README.md": "# Trainer\n\n## Finetuning\nIt runs on H800.\n"}, date="2024-03-01")
    url = git_server.add("acme-ai/trainer.git", lab)
    github_server.token = TOKEN
    github_server.add_repo("acme-ai", "trainer", sha=lab.head(), clone_url=url, pushed_at="2024-03-01T12:00:00Z")
    github_server.add_repo("acme-ai", "gone", sha="1" * 40, clone_url=f"{git_server.url}/acme-ai/gone.git")
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    wh = str(tmp_path / "wh")

    out = crawl(sources=["github:acme-ai"], warehouse=wh, dask_address=dask_cluster.scheduler_address)
    assert out["repos"] == 2 and out["snapshots"] == 2 and out["snapshots_failed"] == 1

    w = Warehouse(wh)
    hw = {r["name"]: r for r in w.read("hardware").to_pylist()}
    assert hw["trainer"]["platform"] == "github" and hw["trainer"]["vendors"] == ["nvidia"]
    assert hw["trainer"]["datacenter"] is True
    ev = [r for r in w.read("evidence").to_pylist() if r["signal_id"] == "interconnect.gpudirect_rdma"]
    # Built from the clone URL's host (on GitHub and GitHub Enterprise, the web host).
    assert ev and ev[0]["permalink"] == f"{git_server.url}/acme-ai/trainer/blob/{lab.head()}/scripts/train.sh#L3"
    snaps = {r["name"]: r for r in w.read("snapshots").to_pylist()}
    assert snaps["trainer"]["commit"] == lab.head() and snaps["gone"]["status"] == "failed"
    assert snaps["gone"]["error_kind"]
    # The token is in no table, not even in error messages.
    for table in ("repos", "snapshots", "evidence", "signals", "hardware", "runs"):
        assert TOKEN not in str(w.read(table).to_pylist())
