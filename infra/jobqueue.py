"""A Dask cluster on an HPC batch system (SLURM) with dask-jobqueue, for crawls.

    pip install dask-jobqueue
    python infra/jobqueue.py --jobs 8 &        # prints the scheduler address
    chipwatch crawl --dask-address tcp://<printed address>

Workers run where the batch system puts them: they need this checkout installed
(``pip install -e .``), ``PREFECT_API_URL`` of a reachable Prefect server and the
warehouse URL in their environment.
"""
from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=4)
    p.add_argument("--queue", default=None)
    p.add_argument("--walltime", default="04:00:00")
    args = p.parse_args()
    from dask_jobqueue import SLURMCluster

    env = [f"export {k}={os.environ[k]}" for k in ("PREFECT_API_URL", "CHIPWATCH_WAREHOUSE") if k in os.environ]
    cluster = SLURMCluster(cores=2, processes=2, memory="8GiB", walltime=args.walltime, queue=args.queue,
                           job_script_prologue=[*env, "export DO_NOT_TRACK=1"], scheduler_options={"host": "0.0.0.0"},
                           worker_extra_args=["--preload", "tasks.preload"])
    cluster.scale(jobs=args.jobs)
    print(cluster.scheduler_address, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        cluster.close()


if __name__ == "__main__":
    main()
