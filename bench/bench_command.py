"""Benchmark: `chipwatch crawl` as a user runs it, the whole command timed.

    .venv/bin/python bench/bench_command.py --repos 26 --repeat 3

``bench_crawl.py`` times the flow inside one long-lived process and API server; this
times what a nightly job pays per invocation: the interpreter, the run's own Prefect
API server (unless ``--api`` gives one), the Dask cluster, the crawl, the shutdown.
For each round: a first crawl (fresh warehouse, git and scan caches; the sample corpus
and the compiled rule database kept, as on a machine that ran chipwatch before), then
an unchanged crawl. Prints wall seconds and CPU seconds (the command and every process
it started), and, from the command's JSON summary, the flow's own seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def command(args: list[str], env: dict[str, str]) -> dict:
    cpu, t = children_cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "chipwatch.cli", *args, "--json"], env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    summary = json.loads(proc.stdout)
    # CPU of reaped descendants: the command, its server and workers (all reaped by the end)
    return {"wall_s": round(wall, 2), "cpu_s": round(children_cpu() - cpu, 2),
            "flow_s": summary["seconds"], "snapshots": summary["snapshots"], "reused": summary["reused"]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repos", type=int, default=26, help="sample corpus size (26: the default corpus)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--api", default=None, help="a running Prefect API URL to use instead of one per command")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    base = Path(tempfile.mkdtemp(prefix="chipwatch-bench-cmd-"))
    env = {**os.environ, "CHIPWATCH_CACHE_DIR": str(base / "cache")}
    env.pop("PREFECT_API_URL", None)
    if args.api:
        env["PREFECT_API_URL"] = args.api
    source = ["--source", f"sample:default?repos={args.repos}"] if args.repos != 26 else []
    # Once: the corpus and the rule database, which a machine keeps between runs.
    command(["crawl", *source, "--warehouse", str(base / "warm-up")], env)
    rows = []
    for i in range(args.repeat):
        wh = base / f"wh{i}"
        for sub in ("git", "scan"):
            shutil.rmtree(base / "cache" / sub, ignore_errors=True)
        first = command(["crawl", *source, "--warehouse", str(wh)], env)
        again = command(["crawl", *source, "--warehouse", str(wh)], env)
        rows.append((first, again))
        print(json.dumps({"round": i, "first": first, "unchanged": again}), flush=True)
    best = min(r[0]["wall_s"] for r in rows), min(r[1]["wall_s"] for r in rows)
    print(f"{args.repos} repositories, {'API ' + args.api if args.api else 'own Prefect server per command'}: "
          f"first crawl {best[0]} s, unchanged crawl {best[1]} s (best of {args.repeat}; "
          f"{round(100 * best[1] / best[0])} % of the first)")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
