"""Pure stage functions of a crawl, composing library calls; no Prefect, no Dask.

The Prefect tasks in ``tasks/`` wrap these one call each; the flows in ``flows/``
compose the tasks. Everything here also runs (and is tested) without any orchestrator.

* :mod:`.discover` — sources → repositories and discovery failures
* :mod:`.resolve`  — repositories × ``as_of`` → commits (fetching only when needed)
* :mod:`.process`  — a batch of units → Arrow tables (fetch, scan, infer, rows)
* :mod:`.publish`  — Arrow tables → validated, published warehouse partitions
* :mod:`.runrecord` — what a run must remember to be resumed with the same id
* :mod:`.progress` — progress events for the command line's progress bar
"""
