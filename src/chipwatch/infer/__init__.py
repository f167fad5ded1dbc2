"""Hardware inference: from a scan's signals to vendors, architecture bounds, candidate
chips per vendor, explicit chips, export status and the chain of eliminations.

One module per elimination step (``chipwatch.infer.steps``), each a pure function of
(evidence, catalog, candidates). Nothing here imports Prefect or Dask.
"""
from chipwatch.infer.engine import infer_hardware

__all__ = ["infer_hardware"]
