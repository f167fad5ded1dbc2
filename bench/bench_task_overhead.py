"""Benchmark: what one Prefect task run on Dask costs of its own, and where.

    .venv/bin/python bench/bench_task_overhead.py --tasks 20

Runs empty tasks (``tasks.process.resolve`` of no repository) through prefect-dask's
task runner on a one-worker ``LocalCluster`` started as chipwatch starts its own
(preloaded workers, the run's own API server), and prints the CPU milliseconds per task
of the flow's process (the submit), of the worker and of the Prefect API server. This
is the fixed price that sizes batches (``chipwatch.plan.TASKS_PER_WORKER``). It also
prints what the worker's first task of a run costs: what the preload leaves to it, and
the run's settings built once per worker.
"""
from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", type=int, default=20)
    p.add_argument("--stock", action="store_true",
                   help="prefect-dask's own DaskTaskRunner instead of chipwatch's (flows/dask_runner.py)")
    args = p.parse_args()
    from chipwatch.settings import apply_prefect_defaults

    apply_prefect_defaults()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    import psutil
    from distributed import LocalCluster
    from prefect import flow
    from prefect_dask import DaskTaskRunner

    import tasks.process as TP
    from flows.dask_runner import ChipwatchDaskTaskRunner
    from flows.runtime import PRELOAD, prefect_api
    from tasks.parcel import Parcel

    def server_cpu() -> float:
        total = 0.0
        for proc in psutil.Process().children(recursive=True):
            try:
                if "uvicorn" in " ".join(proc.cmdline()):
                    t = proc.cpu_times()
                    total += t.user + t.system
            except psutil.Error:
                pass
        return total

    @flow(name="task-overhead")
    def measure(address: str, n: int) -> dict:
        empty = {"repos": Parcel([]), "as_ofs": [], "git_cache": os.devnull}
        runner_class = DaskTaskRunner if args.stock else ChipwatchDaskTaskRunner
        with runner_class(address=address) as runner:
            client = runner.client

            def worker_cpu() -> float:
                def own() -> float:
                    import psutil as ps

                    t = ps.Process().cpu_times()
                    return t.user + t.system

                return sum(client.run(own).values())

            f0, tf = worker_cpu(), time.perf_counter()
            runner.submit(TP.resolve, empty).result()  # first task: what a process pays once
            first_ms, first_wall_ms = 1000 * (worker_cpu() - f0), 1000 * (time.perf_counter() - tf)
            w0, s0, d0, t0 = worker_cpu(), server_cpu(), time.process_time(), time.perf_counter()
            futures = [runner.submit(TP.resolve, empty) for _ in range(n)]
            d1 = time.process_time()
            for f in futures:
                f.result()
            wall = time.perf_counter() - t0
            time.sleep(1.0)  # the server records the last events
            return {"submit_ms": 1000 * (d1 - d0) / n, "worker_ms": 1000 * (worker_cpu() - w0) / n,
                    "server_ms": 1000 * (server_cpu() - s0) / n, "wall_ms": 1000 * wall / n,
                    "first_ms": first_ms, "first_wall_ms": first_wall_ms}

    with prefect_api():
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                               preload=[PRELOAD])
        try:
            out = measure(cluster.scheduler_address, args.tasks)
        finally:
            cluster.close()
    runner_name = "prefect-dask" if args.stock else "chipwatch"
    print(f"{args.tasks} empty tasks through {runner_name}'s task runner, per task: "
          f"flow process (submit) {out['submit_ms']:.0f} ms CPU, "
          f"worker {out['worker_ms']:.0f} ms CPU, Prefect server {out['server_ms']:.0f} ms CPU; "
          f"{out['wall_ms']:.0f} ms wall each, one after another on one worker; "
          f"the worker's first task: {out['first_ms']:.0f} ms CPU, {out['first_wall_ms']:.0f} ms wall")


if __name__ == "__main__":
    main()
