"""Running the generated suites with Great Expectations (imported here, lazily).

One ephemeral GX context per process; each frame is validated as a whole-dataframe batch
of a pandas data source. Importing GX costs seconds, so nothing outside the validate
stage imports this module's GX path.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Collection, Mapping

import pyarrow as pa

from chipwatch.tables.contracts import contract
from chipwatch.validate.frames import frames_for
from chipwatch.validate.spec import REQUIRED_NULLS, FrameSpec, default_sets, suite_for

_lock = threading.Lock()
_definitions_lock = threading.Lock()
_state: dict[str, Any] = {}
_definitions: dict[tuple[str, str], Any] = {}


@dataclass
class TableValidation:
    """The outcome for one table: ``failures`` are one-line descriptions; ``result`` is the
    JSON-safe GX result per frame (what goes into the quarantine's validation.json)."""

    table: str
    success: bool
    rows: int
    failures: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "success": self.success,
            "rows": self.rows,
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
            "frames": self.result,
        }


def _gx():
    """(gx module, expectations module, context), created once per process."""
    with _lock:
        if not _state:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            # GX announces its ephemeral docs folder at INFO on every context: not news.
            logging.getLogger("great_expectations").setLevel(logging.WARNING)
            import great_expectations as gx
            import great_expectations.expectations as gxe
            from great_expectations.data_context.types.base import ProgressBarsConfig

            from chipwatch.validate import gx_fixes

            gx_fixes.apply()  # half of a validation's time, see the module

            # ...and that module sets its own logger to INFO when imported.
            logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            _state.update(gx=gx, gxe=gxe, ctx=ctx, source=ctx.data_sources.add_pandas("chipwatch"), n=0)
        _state["n"] += 1
        return _state["gx"], _state["gxe"], _state["ctx"], _state["source"], _state["n"]


def _describe(frame: str, r: dict[str, Any]) -> str:
    cfg = r.get("expectation_config", {})
    kwargs = cfg.get("kwargs", {})
    target = kwargs.get("column") or kwargs.get("column_list") or (kwargs.get("column_A"), kwargs.get("column_B"))
    res = r.get("result") or {}
    exc = r.get("exception_info") or {}
    messages = [v.get("exception_message") for v in exc.values() if isinstance(v, dict) and v.get("exception_message")]
    if exc.get("exception_message"):
        messages.append(exc["exception_message"])
    if messages:
        detail = f"raised {messages[0]}"
    else:
        sample = (res.get("partial_unexpected_list") or [])[:3]
        detail = f"{res.get('unexpected_count', '?')} unexpected, e.g. {sample}"
    return f"{frame}: {cfg.get('type')} on {target}: {detail}"


def _definition(spec: FrameSpec):
    """The GX validation definition for ``spec``, built once per process and reused:
    adding expectations one by one re-serializes the suite each time (quadratic)."""
    key = (spec.name, repr(spec.expectations))
    with _definitions_lock:
        cached = _definitions.get(key)
        if cached is None:
            cached = _definitions[key] = _new_definition(spec)
        return cached


def _new_definition(spec: FrameSpec):
    gx, gxe, ctx, source, n = _gx()
    asset = source.add_dataframe_asset(f"{spec.name}-{n}")
    batch_def = asset.add_batch_definition_whole_dataframe("all")
    expectations = [getattr(gxe, e.type)(**e.kwargs) for e in spec.expectations]
    suite = ctx.suites.add(gx.ExpectationSuite(name=f"{spec.name}-{n}", expectations=expectations))
    return ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{spec.name}-{n}", data=batch_def, suite=suite))


def _null_columns(frame: str, df, required: tuple[str, ...]) -> list[str]:
    """One line per required column holding nulls (the derived count says only how many)."""
    counts = df[list(required)].isna().sum()
    return [f"{frame}: expect_column_values_to_not_be_null on {col}: {int(n)} null value(s)"
            for col, n in counts.items() if n]


def _validate(definition, df, result_format: str) -> Any:
    """The suite of ``definition`` run on ``df``. GX's own Validator, as
    ``ValidationDefinition.run`` uses it, without what ``run`` adds for a data context
    that keeps results (a freshness check of the stores and a stored copy of every
    result): a fifth of the time of a small frame, and our results go to the quarantine."""
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(batch_definition=definition.batch_definition,
                          batch_parameters={"dataframe": df}, result_format=result_format)
    return validator.validate_expectation_suite(definition.suite)


def _run_frame(spec: FrameSpec, df) -> tuple[bool, dict[str, Any], list[str]]:
    """Pass/fail first (BOOLEAN_ONLY costs ~60 % of SUMMARY); a failing frame is run again
    with SUMMARY for the unexpected values that the quarantine and the message show."""
    definition = _definition(spec)
    if _validate(definition, df, "BOOLEAN_ONLY").success:
        return True, {"success": True, "result_format": "BOOLEAN_ONLY"}, []
    result = _validate(definition, df, "SUMMARY").to_json_dict()
    failed = []
    for r in result.get("results", []):
        if r.get("success"):
            continue
        if (r.get("expectation_config") or {}).get("kwargs", {}).get("column") == REQUIRED_NULLS:
            failed.extend(_null_columns(spec.name, df, spec.required) or [_describe(spec.name, r)])
        else:
            failed.append(_describe(spec.name, r))
    return bool(result.get("success")) and not failed, result, failed


def _hour(now: datetime | None) -> datetime:
    # Bounds such as "today" allow a day of slack: the hour is precise enough, and keeps
    # the generated suites (hence the cached GX definitions) stable within a run.
    return (now or datetime.now(timezone.utc)).replace(minute=0, second=0, microsecond=0)


def build_suites(tables: Collection[str], *, chip_ids: Collection[str] | None = None) -> None:
    """Import Great Expectations and build the suites of ``tables`` now: what a
    process pays once (seconds) before its first validation. Failures are left for the
    validation itself to report, with context."""
    try:
        sets = default_sets(chip_ids)
        for table in tables:
            for spec in suite_for(contract(table), sets, now=_hour(None)):
                if spec.expectations:
                    _definition(spec)
    except Exception:  # noqa: BLE001 - the real validation raises it with context
        pass


def warm_up(tables: Collection[str], *, chip_ids: Collection[str] | None = None) -> threading.Thread:
    """:func:`build_suites` in a background thread, started now and returned: a crawl
    starts it when it hands work to its workers, so the cost overlaps their scanning
    instead of delaying the first publish."""
    thread = threading.Thread(target=build_suites, args=(tables,), kwargs={"chip_ids": chip_ids},
                              name="gx-warm-up", daemon=True)
    thread.start()
    return thread


def validate_table(
    table: str,
    data: pa.Table,
    *,
    chip_ids: Collection[str] | None = None,
    now: datetime | None = None,
) -> TableValidation:
    """Validate one batch of ``table`` against the suite generated from its contract."""
    t0 = time.perf_counter()
    c = contract(table)
    missing = [n for n in c.names if n not in data.column_names]
    if missing:
        return TableValidation(table, False, data.num_rows, [f"{table}: missing columns {missing}"], {}, 0.0)
    now = _hour(now)
    specs = suite_for(c, default_sets(chip_ids), now=now)
    frames = frames_for(data.select(c.names), specs)
    out = TableValidation(table, True, data.num_rows)
    for spec in specs:
        df = frames[spec.name]
        if len(df) == 0 or not spec.expectations:
            continue  # nothing to violate
        ok, result, failed = _run_frame(spec, df)
        out.result[spec.name] = result
        out.failures.extend(failed)
        out.success = out.success and ok
    out.seconds = time.perf_counter() - t0
    return out


def validate_tables(
    tables: Mapping[str, pa.Table], *, chip_ids: Collection[str] | None = None, now: datetime | None = None
) -> dict[str, TableValidation]:
    return {name: validate_table(name, tbl, chip_ids=chip_ids, now=now) for name, tbl in tables.items()}
