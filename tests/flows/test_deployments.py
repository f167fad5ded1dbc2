"""infra/prefect.yaml: every entrypoint loads as a flow, parameters exist, schedules parse."""
from __future__ import annotations

import inspect
from pathlib import Path

import yaml
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import Flow, load_flow_from_entrypoint

from flows.runtime import PRELOAD

ROOT = Path(__file__).resolve().parents[2]


def test_every_deployment_loads_and_its_schedule_parses():
    doc = yaml.safe_load((ROOT / "infra" / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in doc["deployments"]}
    assert {"nightly", "backfill", "trends"} <= set(deployments)
    for name, d in deployments.items():
        path, _, func = d["entrypoint"].partition(":")
        flow = load_flow_from_entrypoint(str(ROOT / path) + ":" + func)
        assert isinstance(flow, Flow), name
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(d.get("parameters") or {}) <= accepted, (name, set(d.get("parameters") or {}) - accepted)
        for s in d.get("schedules") or []:
            cron = CronSchedule(cron=s["cron"], timezone=s.get("timezone", "UTC"))
            assert cron.cron == s["cron"]
    nightly = deployments["nightly"]["schedules"][0]
    assert nightly["cron"] == "0 2 * * *" and nightly["active"]
    assert deployments["backfill"]["parameters"]["every"] == "month" and not deployments["backfill"].get("schedules")


def test_container_and_cluster_specs_name_the_flows_and_settings():
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    assert "pip install -e ." in dockerfile and "COPY flows" in dockerfile and "COPY tasks" in dockerfile
    cluster = yaml.safe_load((ROOT / "infra" / "dask-cluster.yaml").read_text())
    env = {e["name"] for e in cluster["spec"]["worker"]["spec"]["containers"][0]["env"]}
    assert {"PREFECT_API_URL", "CHIPWATCH_WAREHOUSE"} <= env
    args = cluster["spec"]["worker"]["spec"]["containers"][0]["args"]
    assert args[args.index("--preload") + 1] == PRELOAD


def test_workers_preload_what_tasks_need(dask_cluster):
    """Every worker of a chipwatch cluster has Prefect's task engine (with what its first
    task would load lazily: the API client's async backend, Prefect's collections), the
    pipeline, the rule set and the chip catalog loaded before its first task, and frozen
    out of the garbage collector's full passes."""
    from distributed import Client

    def loaded() -> list[str]:
        import gc
        import sys

        from chipwatch.catalog import loader
        from chipwatch.signatures import _cached

        from prefect._internal.plugins import collections

        names = [m for m in ("prefect.task_engine", "tasks.process", "anyio._backends._asyncio") if m in sys.modules]
        return names + (["collections"] if collections._collections is not None else []) + (
            ["ruleset"] if _cached.cache_info().currsize else []) + (
            ["catalog"] if loader._bundled.cache_info().currsize else []) + (
            ["frozen"] if gc.get_freeze_count() > 100_000 else [])

    with Client(dask_cluster.scheduler_address) as client:
        got = client.run(loaded)
    assert len(got) == 2 and all(v == ["prefect.task_engine", "tasks.process", "anyio._backends._asyncio",
                                                 "collections", "ruleset", "catalog", "frozen"]
                                    for v in got.values()), got
