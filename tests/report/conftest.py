"""One realistic warehouse for the report tests (the sample corpus scanned every other
month over 2024–2025, plus one hostile repository), and the report built from it."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chipwatch.model import RepoRef
from chipwatch.report import build_report
from chipwatch.storage import Warehouse
from tests.helpers.gitbuild import GitRepoBuilder
from tests.report.warehouse_builder import month_ends, publish_snapshots, publish_trends, sample_repos

HOSTILE_OWNER = 'evil"><script>alert(1)</script>'
HOSTILE_LINE = "Trained on H800 <script>document.title='pwned'</script> <img src=x onerror=alert(2)>"
HOSTILE_PATH = 'docs/"><img src=y onerror=alert(3)>.md'


def hostile_repo(root: Path) -> RepoRef:
    """A repository whose owner, README line and file name are markup, and whose NCCL
    configuration is deleted later (a removed signal with a GitHub permalink)."""
    repo = GitRepoBuilder(root / "hostile")
    repo.commit({"README.md": HOSTILE_LINE + "\n", HOSTILE_PATH: "export NCCL_IB_HCA=mlx5_0\n",
                 "train.py": "import torch\nx = torch.zeros(1, dtype=torch.bfloat16).cuda()\n"}, date="2024-02-10")
    repo.commit({HOSTILE_PATH: None}, date="2024-09-03", message="remove network config")
    return RepoRef("github", HOSTILE_OWNER, "lab-code", str(repo.path), "main", None,
                   {"stargazers_count": 3})


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("report-wh")
    wh = Warehouse(str(root / "warehouse"))
    repos = [*sample_repos(root / "corpus"), hostile_repo(root)]
    run_id = publish_snapshots(wh, repos, month_ends("2024-01", "2025-12", step=2), scan_cache=root / "scan-cache")
    publish_trends(wh, run_id)
    return wh


@pytest.fixture(scope="session")
def report(sample_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    return build_report(sample_warehouse, out)


@pytest.fixture(scope="session")
def con(sample_warehouse):
    """DuckDB over the same committed tables the report read."""
    c = duckdb.connect()
    for t in ("trends", "hardware", "signals", "evidence", "snapshots"):
        c.register(t, sample_warehouse.read(t))
    return c
