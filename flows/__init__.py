"""Prefect flows: ``crawl``, ``backfill`` and ``trends``. Composition and parameters
only; the work is in ``tasks/`` (Prefect tasks) over ``chipwatch.pipeline``."""
