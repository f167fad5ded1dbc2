"""Dask worker preload: what every chipwatch task needs, loaded when the worker starts.

    dask worker tcp://scheduler:8786 --preload tasks.preload

A fresh worker otherwise pays it inside its first task: importing Prefect's task engine
(~1 s), chipwatch's pipeline (~0.2 s), the flow modules a task's pickled run context
names (the flow object: ``flows.crawl`` and with it pyarrow's dataset layer and pandas,
~0.3 s), the scanner and inference, and loading the rule set and chip catalog (~0.4 s),
which delays the first batch of every worker of a new cluster; then what Prefect loads
lazily in a first task (its API client's async backend, the entry points of its
collections: 20 ms of the worker's first task, `bench/bench_task_overhead.py`). Loaded
here, a standing cluster pays it once per worker, and a cluster started for one run
pays it while the flow is still planning. A failure is logged and left to the first
task, which reports it with its context.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def warm() -> None:
    import anyio._backends._asyncio  # noqa: F401  (imported lazily by a task's API client)
    import prefect.task_engine  # noqa: F401  (the engine every task runs in)
    from prefect.plugins import load_prefect_collections

    import chipwatch.extractors.hf_metadata  # noqa: F401
    import chipwatch.gitio.cache  # noqa: F401
    import chipwatch.infer  # noqa: F401
    import chipwatch.scanner.cache  # noqa: F401
    import chipwatch.scanner.history  # noqa: F401
    import chipwatch.scanner.serialize  # noqa: F401
    import flows.backfill  # noqa: F401  (unpickling a task's flow-run context imports its flow)
    import flows.crawl  # noqa: F401
    import prefect_dask  # noqa: F401
    import tasks.process  # noqa: F401
    from chipwatch.catalog import load_catalog
    from chipwatch.gitio.objects import libgit2
    from chipwatch.signatures import load_ruleset

    from chipwatch.startup import freeze_imports

    load_prefect_collections()  # entry points, read when a task's context names a block
    load_ruleset()
    load_catalog()
    libgit2()  # pygit2, set up as git is run
    freeze_imports()  # what was loaded above is never garbage


def dask_setup(worker=None) -> None:  # the hook Dask calls on a preload module
    try:
        warm()
    except Exception:  # noqa: BLE001
        log.warning("chipwatch preload failed; the first task will load what it needs", exc_info=True)
