"""Prefect tasks: each wraps one call of ``chipwatch.pipeline`` (or the library) and adds
retries with backoff where a fault can be transient, a cache policy, and logging.

Tasks take and return small values (batches of units, Arrow tables, warehouse URLs);
repositories travel in batches so that orchestration costs little next to the work.
"""
