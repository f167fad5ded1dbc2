"""Rows to Arrow tables, per the contracts in schemas/.

The flows build a run's tables with ``TableBatch`` (or the row builders of ``rows``),
then hand them to ``chipwatch.validate.validate_and_publish``.
"""
from chipwatch.tables.arrow import empty, to_arrow
from chipwatch.tables.batch import TableBatch
from chipwatch.tables.context import RunContext, new_run_id
from chipwatch.tables.contracts import TABLES, Contract, contract, load_contracts
from chipwatch.tables.trends import build_trends

__all__ = [
    "TABLES",
    "Contract",
    "RunContext",
    "TableBatch",
    "build_trends",
    "contract",
    "empty",
    "load_contracts",
    "new_run_id",
    "to_arrow",
]
