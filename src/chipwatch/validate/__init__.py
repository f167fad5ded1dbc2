"""Validation of table batches against suites generated from the contracts.

Great Expectations is imported only when a batch is actually validated
(``chipwatch.validate.runner``); importing this package is cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["PublishOutcome", "TableValidation", "suite_for", "validate_and_publish", "validate_and_publish_batches", "validate_table", "validate_tables"]

if TYPE_CHECKING:  # pragma: no cover
    from chipwatch.validate.publish import PublishOutcome, validate_and_publish, validate_and_publish_batches
    from chipwatch.validate.runner import TableValidation, validate_table, validate_tables
    from chipwatch.validate.spec import suite_for


def __getattr__(name: str) -> Any:
    if name in ("PublishOutcome", "validate_and_publish", "validate_and_publish_batches"):
        from chipwatch.validate import publish as mod
    elif name in ("TableValidation", "validate_table", "validate_tables"):
        from chipwatch.validate import runner as mod
    elif name == "suite_for":
        from chipwatch.validate import spec as mod
    else:
        raise AttributeError(name)
    return getattr(mod, name)
