"""chipwatch's Dask task runner (flows/dask_runner.py) on the session's real cluster and
Prefect API: workers see the flow's settings, including a change made while the runner
is open, build them once per run, and tasks are named without hashing their arguments."""
from __future__ import annotations

import os

from prefect import flow, task
from prefect.context import SettingsContext
from prefect.settings import PREFECT_TASK_DEFAULT_RETRIES, temporary_settings

from flows.dask_runner import ChipwatchDaskTaskRunner, SettingsOnce


@task(name="retries-setting")
def retries_setting() -> int:
    """What the worker's settings say (the serialized context it was sent)."""
    return PREFECT_TASK_DEFAULT_RETRIES.value()


@task(name="settings-identity")
def settings_identity() -> tuple[int, int, int]:
    settings = SettingsContext.get().settings
    return os.getpid(), id(settings), PREFECT_TASK_DEFAULT_RETRIES.value()


def identities(address: str, n: int, *, temporary_in_middle: bool = False) -> list[tuple[int, int, int]]:
    with ChipwatchDaskTaskRunner(address=address) as runner:
        futures = [runner.submit(settings_identity, {}) for _ in range(n)]
        if temporary_in_middle:
            with temporary_settings(updates={PREFECT_TASK_DEFAULT_RETRIES: 3}):
                futures.append(runner.submit(settings_identity, {}))
        return [f.result() for f in futures]


@flow(name="dask-runner-builds")
def builds(address: str) -> dict:
    return {"first": identities(address, 6, temporary_in_middle=True), "second": identities(address, 6)}


@flow(name="dask-runner-probe")
def probe(address: str) -> dict:
    outer = SettingsContext.get()
    with ChipwatchDaskTaskRunner(address=address) as runner:
        inside = SettingsContext.get()
        stock = SettingsContext(profile=inside.profile, settings=inside.settings)
        first = runner.submit(retries_setting, {})
        with temporary_settings(updates={PREFECT_TASK_DEFAULT_RETRIES: 7}):
            changed = runner.submit(retries_setting, {})
        again = runner.submit(retries_setting, {})
        same_call = [runner.submit(retries_setting, {}) for _ in range(2)]
        out = {
            "values": [f.result() for f in (first, changed, again)],
            "serialized_as_stock": inside.serialize() == stock.serialize(),
            "serialized_once": inside.serialize() is inside.serialize(),
            "inside_is_once": isinstance(inside, SettingsOnce),
            "keys": [f.wrapped_future.key for f in (first, *same_call)],
            "same_call_results": [f.result() for f in same_call],
        }
    out["restored"] = SettingsContext.get() is outer
    return out


def test_workers_get_the_flows_settings_serialized_once(dask_cluster):
    out = probe(dask_cluster.scheduler_address)
    # the flow's value, the temporary one while it is in force, then the flow's again
    assert out["values"] == [0, 7, 0]
    assert out["inside_is_once"] and out["serialized_once"] and out["serialized_as_stock"]
    assert out["restored"]
    # named by the runner, one distinct key per submit, even for identical calls
    assert all(k.startswith("retries-setting-") for k in out["keys"])
    assert len(set(out["keys"])) == len(out["keys"])
    assert out["same_call_results"] == [0, 0]


def test_a_worker_builds_the_runs_settings_once(dask_cluster):
    out = builds(dask_cluster.scheduler_address)
    first, temporary = out["first"][:-1], out["first"][-1]

    def per_worker(results):
        by_pid: dict[int, set[int]] = {}
        for pid, ident, _ in results:
            by_pid.setdefault(pid, set()).add(ident)
        return by_pid

    # one Settings per worker for all of a runner's tasks...
    assert all(len(ids) == 1 for ids in per_worker(first).values())
    assert {v for *_, v in first} == {0} and temporary[2] == 3
    # ...other settings (a temporary change, the next run) are other objects
    ids_first = set().union(*per_worker(first).values())
    assert temporary[1] not in ids_first
    assert all(len(ids) == 1 for ids in per_worker(out["second"]).values())
    assert not ids_first & set().union(*per_worker(out["second"]).values())


@flow(name="dask-runner-worker-env")
def worker_values(address: str) -> dict:
    from prefect_dask import DaskTaskRunner

    out = {}
    for name, runner_class in (("stock", DaskTaskRunner), ("chipwatch", ChipwatchDaskTaskRunner)):
        with runner_class(address=address) as runner:
            out[name] = [runner.submit(retries_setting, {}).result() for _ in range(2)]
    return out


def test_a_worker_fills_unset_settings_from_its_own_environment_as_prefect_does(prefect_server, monkeypatch):
    """The settings are built where the task runs, as prefect-dask's runner builds them:
    what the flow's process did not set comes from the worker's environment."""
    from distributed import Client, LocalCluster

    from flows.runtime import PRELOAD

    monkeypatch.delenv("PREFECT_TASK_DEFAULT_RETRIES", raising=False)
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                           scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, preload=[PRELOAD],
                           env={"PREFECT_TASK_DEFAULT_RETRIES": "5"})
    try:
        with Client(cluster):
            out = worker_values(cluster.scheduler_address)
    finally:
        cluster.close()
    assert out == {"stock": [5, 5], "chipwatch": [5, 5]}
