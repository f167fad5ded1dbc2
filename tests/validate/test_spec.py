"""Suites generated from the contracts (no Great Expectations needed to build them)."""
import subprocess
import sys
from datetime import date, datetime, timezone

from chipwatch.tables import contract, load_contracts
from chipwatch.validate.spec import REQUIRED_NULLS, default_sets, suite_for

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)


def _by_type(frames):
    out = {}
    for f in frames:
        for e in f.expectations:
            out.setdefault((f.name, e.type), []).append(e.kwargs)
    return out


def test_keys_not_null_and_unique():
    exp = _by_type(suite_for(contract("evidence"), default_sets(), now=NOW))
    assert exp[("evidence", "ExpectCompoundColumnsToBeUnique")] == [{"column_list": list(contract("evidence").key)}]
    [main] = [f for f in suite_for(contract("evidence"), default_sets(), now=NOW) if f.source is None]
    assert set(contract("evidence").key) <= set(main.required) and "context" not in main.required
    assert {"column": REQUIRED_NULLS, "min_value": 0, "max_value": 0} in exp[("evidence", "ExpectColumnValuesToBeBetween")]
    exp = _by_type(suite_for(contract("runs"), default_sets(), now=NOW))
    assert exp[("runs", "ExpectColumnValuesToBeUnique")] == [{"column": "run_id"}]


def test_ids_from_the_vocabulary_and_chips_from_the_catalog():
    exp = _by_type(suite_for(contract("hardware"), default_sets({"h100", "h800"}), now=NOW))
    [chips] = exp[("hardware.candidate_chips.elements", "ExpectColumnValuesToBeInSet")]
    assert chips == {"column": "value", "value_set": ["h100", "h800"]}
    struct = exp[("hardware.explicit_chips.elements", "ExpectColumnValuesToBeInSet")]
    assert {"column": "chip", "value_set": ["h100", "h800"]} in struct
    [vendors] = exp[("hardware.candidates.keys", "ExpectColumnValuesToBeInSet")]
    assert "huawei" in vendors["value_set"]
    signals = _by_type(suite_for(contract("signals"), default_sets(), now=NOW))
    [ids] = [k for k in signals[("signals", "ExpectColumnValuesToBeInSet")] if k["column"] == "signal_id"]
    assert "stack.ascend" in ids["value_set"] and "chip.h20" in ids["value_set"]


def test_dates_in_range_and_shares_in_unit_interval():
    exp = _by_type(suite_for(contract("trends"), default_sets(), now=NOW))
    between = {k["column"]: (k["min_value"], k["max_value"]) for k in exp[("trends", "ExpectColumnValuesToBeBetween")]}
    assert between["share"] == (0, 1)
    assert between["month"] == (date(2005, 4, 1), date(2026, 11, 30))
    assert exp[("trends", "ExpectColumnPairValuesAToBeGreaterThanB")] == [
        {"column_A": "repos_scanned", "column_B": "repos_with_signal", "or_equal": True}]
    exp = _by_type(suite_for(contract("snapshots"), default_sets(), now=NOW))
    between = {k["column"]: (k["min_value"], k["max_value"]) for k in exp[("snapshots", "ExpectColumnValuesToBeBetween")]}
    assert between["committed_at"][1] == datetime(2026, 11, 30, tzinfo=timezone.utc)


def test_every_contract_generates_a_suite():
    sets = default_sets()
    for c in load_contracts().values():
        frames = suite_for(c, sets, now=NOW)
        assert frames[0].name == c.table and frames[0].expectations


def test_library_imports_do_not_import_great_expectations():
    code = (
        "import sys, chipwatch.tables, chipwatch.storage, chipwatch.validate, chipwatch.validate.spec;"
        "import chipwatch.commands.query, chipwatch.commands.runs;"
        "bad = [m for m in ('great_expectations', 'prefect', 'dask') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_chip_names_default_to_the_packaged_catalog():
    chips = default_sets().chip_ids
    assert {"a100", "a100-80gb", "h800", "ascend910b"} <= chips  # model names and variant ids
    assert "stack.cuda" not in chips
