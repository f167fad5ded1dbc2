"""The sample corpus crawled through a real Prefect API and a real Dask cluster."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from chipwatch.errors import ValidationFailed
from chipwatch.pipeline import progress
from chipwatch.storage.warehouse import Warehouse
from tests.flows.helpers import DATA_TABLES, rows, table

pytestmark = pytest.mark.slow
RUN = "e2e-crawl-1"


@pytest.fixture(scope="module")
def first(prefect_server, dask_cluster, tmp_path_factory):
    """The reference crawl: the bundled sample corpus into a local warehouse."""
    from flows.crawl import crawl

    wh = str(tmp_path_factory.mktemp("wh-local"))
    t0 = time.perf_counter()
    out = crawl(sources=["sample:default"], warehouse=wh, run_id=RUN, dask_address=dask_cluster.scheduler_address,
                batch_size=4)
    out["wall"] = time.perf_counter() - t0
    return wh, out


def test_crawl_fills_every_table(first):
    wh, out = first
    assert out["repos"] == 26 and out["snapshots"] == 26 and out["snapshots_failed"] == 3, out["failures"][:3]
    snaps = {(r["owner"], r["name"]): r for r in table(wh, "snapshots")}
    assert {k[1] for k, r in snaps.items() if r["status"] == "failed"} == {"hy-legacy", "empty-project", "broken-mirror"}
    assert all(r["status"] == "ok" and r["commit"] for k, r in snaps.items() if k[1] not in ("hy-legacy", "empty-project", "broken-mirror"))
    repos = {r["name"]: r for r in table(wh, "repos")}
    assert repos["hy-legacy"]["crawl_status"] == "failed" and repos["hy-moe-train"]["crawl_status"] == "ok"
    present = {(r["name"], r["signal_id"]) for r in table(wh, "signals") if r["present"]}
    for expected in [("hy-moe-train", "interconnect.gpudirect_rdma"), ("hy-moe-train", "parallel.zero3"),
                     ("llm-npu-port", "stack.ascend"), ("fp8-pretrain", "precision.fp8"), ("mlu-train", "stack.cambricon")]:
        assert expected in present, expected
    removed = {(r["name"], r["signal_id"]) for r in table(wh, "signals") if r["removed"]}
    assert ("hy-cluster-net", "interconnect.infiniband") in removed
    hw = {r["name"]: r for r in table(wh, "hardware")}
    assert hw["llm-npu-port"]["domestic"] and "huawei" in hw["llm-npu-port"]["vendors"]
    families = {r["signal_id"].split(".")[0] for r in table(wh, "evidence")}
    assert {"stack", "precision", "interconnect", "parallel", "technique", "arch", "chip"} <= families
    trends = table(wh, "trends")
    assert trends and {r["owner"] for r in trends} == {"hy-lab", "npu-port", "cn-gpu", "open-ml"}
    runs = table(wh, "runs")
    assert [r["status"] for r in runs] == ["succeeded"] and runs[0]["snapshots"] == 26


def test_second_crawl_is_incremental(first, dask_cluster):
    from flows.crawl import crawl

    wh, out = first
    before = Warehouse(wh).published_tables()
    t0 = time.perf_counter()
    again = crawl(sources=["sample:default"], warehouse=wh, dask_address=dask_cluster.scheduler_address)
    wall = time.perf_counter() - t0
    # nothing is redone, the broken repositories included: they fail for the same inputs
    assert again["snapshots"] == 0 and again["reused"] == 26 and again["trends_rows"] is None
    known = {f["subject"]: f for f in again["known_failures"]}
    assert {f["kind"] for f in known.values()} == {"corrupt", "empty", "not-found"}
    assert all(f["since_run"] == RUN for f in known.values())
    after = Warehouse(wh).published_tables()
    assert after["evidence"] == before["evidence"] and after["signals"] == before["signals"]
    assert after["runs"] == before["runs"] + 1
    last = max(table(wh, "runs"), key=lambda r: r["started_at"])
    assert json.loads(last["counts_json"])["known_failures"] == 3
    # this run's repos rows still say which repositories are broken (those never resolved)
    repos = {r["name"]: r["crawl_status"] for r in table(wh, "repos") if r["run_id"] == last["run_id"]}
    assert repos["empty-project"] == repos["hy-legacy"] == "failed"
    assert wall < out["wall"]


def test_lasting_failures_are_redone_after_the_retry_delay(first, dask_cluster, monkeypatch):
    """With CHIPWATCH_RETRY_FAILED_DAYS=0 every failure is redone (the delay passed)."""
    from flows.crawl import crawl

    wh, _ = first
    monkeypatch.setenv("CHIPWATCH_RETRY_FAILED_DAYS", "0")
    again = crawl(sources=["sample:default"], warehouse=wh, dask_address=dask_cluster.scheduler_address)
    assert again["snapshots"] == 3 and again["snapshots_failed"] == 3 and again["known_failures"] == []


def test_crawl_into_s3(prefect_server, dask_cluster, s3_warehouse_url):
    from flows.crawl import crawl

    out = crawl(sources=["sample:default"], warehouse=s3_warehouse_url, dask_address=dask_cluster.scheduler_address)
    assert out["snapshots"] == 26
    tables = Warehouse(s3_warehouse_url).published_tables()
    assert all(tables[t] > 0 for t in DATA_TABLES)


def test_killed_run_resumes_to_identical_tables(first, dask_cluster, tmp_path, env):
    """The reference crawl again, in a process killed after its first checkpoint, then
    resumed with the same run id: the tables equal the uninterrupted run's."""
    wh_ref, _ = first
    wh = str(tmp_path / "wh")
    cmd = [sys.executable, "-m", "chipwatch.cli", "crawl", "--source", "sample:default", "--warehouse", wh,
           "--run-id", RUN, "--dask-address", dask_cluster.scheduler_address, "--json"]
    environ = {**os.environ, "CHIPWATCH_BATCH_SIZE": "2", "CHIPWATCH_CHECKPOINT_SNAPSHOTS": "2"}
    proc = subprocess.Popen(cmd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(f.batch.startswith("c-") for f in Warehouse(wh).manifest().files if Path(wh, "_manifest").exists()):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = Warehouse(wh).published_tables()
    assert 0 < partial["snapshots"] < 26 and partial["runs"] == 0
    done = subprocess.run(cmd, env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in DATA_TABLES:
        got, want = rows(wh, name, run_id=RUN), rows(wh_ref, name, run_id=RUN)
        extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
        diff = sorted(set(extra[0]) ^ set(missing[0])) if extra and missing else (extra or missing)[:1]
        assert got == want, (name, len(got), len(want), diff)


def test_killed_worker_costs_a_retry(prefect_server, dask_cluster, tmp_path, env):
    """A worker process killed while it scans: the run completes with every row."""
    from distributed import Client

    from flows.crawl import crawl

    client = Client(dask_cluster.scheduler_address)
    pids = list(client.run(os.getpid).values())
    killed = []

    def on_progress(stage, done, total, message=""):
        if stage == "scan" and not killed:
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)

    unsubscribe = progress.subscribe(on_progress)
    try:
        out = crawl(sources=["sample:default?repos=40"], warehouse=str(tmp_path / "wh"),
                    dask_address=dask_cluster.scheduler_address)
    finally:
        unsubscribe()
        client.close()
    assert killed
    assert out["snapshots"] == 40
    snaps = table(str(tmp_path / "wh"), "snapshots")
    assert len(snaps) == 40 and len({(r["owner"], r["name"]) for r in snaps}) == 40
    dask_cluster.wait_for_workers(2, timeout=60)


def test_validation_failure_is_quarantined(prefect_server, dask_cluster, tmp_path):
    """A commit dated in the future breaks the snapshots suite: the batch goes to the
    quarantine, nothing of it is published, the run is recorded as failed."""
    from flows.crawl import crawl

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "lab.yaml").write_text(
        "org: lab\nrepos:\n"
        "  - name: ok-repo\n    commits:\n      - date: '2024-03-01'\n        files: {run.sh: 'export NCCL_IB_HCA=mlx5_0'}\n"
        "  - name: time-traveller\n    commits:\n      - date: '2099-01-01'\n        files: {train.py: 'import torch_npu'}\n")
    wh = str(tmp_path / "wh")
    with pytest.raises(ValidationFailed, match="quarantine"):
        crawl(sources=[f"sample:{templates}"], warehouse=wh, dask_address=dask_cluster.scheduler_address)
    w = Warehouse(wh)
    published = w.published_tables()
    assert published["snapshots"] == 0 and published["evidence"] == 0
    runs = table(wh, "runs")
    assert [r["status"] for r in runs] == ["failed"] and "validation" in runs[0]["failures_json"]
    quarantined = list(Path(wh, "_quarantine").rglob("validation.json"))
    assert quarantined


def test_backfill_gives_monthly_trends(prefect_server, dask_cluster, tmp_path):
    from flows.backfill import backfill

    wh = str(tmp_path / "wh")
    out = backfill(start="2024-01", end="2025-12", sources=["sample:default"], warehouse=wh,
                   dask_address=dask_cluster.scheduler_address, batch_size=8)
    assert len(out["as_of"]) == 24 and out["snapshots"] > 100
    snaps = table(wh, "snapshots")
    assert Counter(r["as_of"] for r in snaps)[date(2025, 12, 31)] >= 20
    trends = table(wh, "trends")
    months = sorted({r["month"] for r in trends})
    assert months[0] == date(2024, 1, 1) and months[-1] == date(2025, 12, 1) and len(months) == 24

    def share(owner, signal, month):
        (row,) = [r for r in trends if r["owner"] == owner and r["signal_id"] == signal and r["month"] == month]
        return row["repos_with_signal"]

    # SHARP settings lived in hy-cluster-net from 2024-08 until their removal in 2025-03
    assert share("hy-lab", "interconnect.sharp", date(2024, 9, 1)) == 1
    assert share("hy-lab", "interconnect.sharp", date(2025, 4, 1)) == 0
    # the NPU port: Ascend from 2025-01 on
    assert share("npu-port", "stack.ascend", date(2025, 2, 1)) > share("npu-port", "stack.ascend", date(2024, 6, 1))
