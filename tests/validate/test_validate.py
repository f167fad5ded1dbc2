"""Great Expectations runs (GX is imported once for this module: 4–7 s)."""
import json
from datetime import date

import pyarrow as pa
import pytest

from chipwatch.errors import ValidationFailed
from chipwatch.storage import Warehouse
from chipwatch.tables import build_trends, to_arrow
from chipwatch.validate import validate_and_publish, validate_and_publish_batches, validate_tables
from tests.tables import factory as F

RUN = "20261101T000000Z-aaaaaa"
CHIPS = {"h100", "h800", "a100"}


def _edit(tbl: pa.Table, table: str, **changes) -> pa.Table:
    rows = tbl.to_pylist()
    for col, value in changes.items():
        rows[0][col] = value
    return to_arrow(table, rows)


def test_good_batch_passes_and_is_published(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    tables = F.batch(RUN)
    out = validate_and_publish(wh, tables, run_id=RUN, chip_ids=CHIPS)
    assert all(v.success for v in out.validations.values()), {k: v.failures for k, v in out.validations.items()}
    assert out.published.rows["evidence"] == 8 and wh.read("hardware").num_rows == 2
    trends = build_trends(wh.read("snapshots"), wh.read("signals"), wh.read("hardware"), run_id="t")
    assert validate_tables({"trends": trends})["trends"].success


def _bad_batch() -> dict[str, pa.Table]:
    """A batch with every kind of bad value (and a good runs table)."""
    t = F.batch(RUN)
    evidence = t["evidence"].to_pylist()
    evidence[1] = dict(evidence[0])  # duplicate key
    evidence[2]["signal_id"] = "stack.quantum"  # not in the vocabulary
    evidence[3]["file_kind"] = "binary"
    bad = {
        "evidence": to_arrow("evidence", evidence),
        "snapshots": _edit(t["snapshots"], "snapshots", as_of=date(2031, 1, 1), platform=None),
        "hardware": _edit(t["hardware"], "hardware", candidates={"nvidia": ["h20x"]}, candidate_chips=["h20x"],
                          export_status={"oct-2023": "perhaps"}, explicit_chips=[
                              {"chip": "zz", "context": "party", "path": "a", "line": 1}]),
        "trends": to_arrow("trends", [{"month": date(2026, 1, 1), "platform": "github", "owner": "o",
                                       "signal_id": "vendor.nokia", "repos_with_signal": 3, "repos_scanned": 2,
                                       "share": 1.5, "run_id": "t", "ruleset_hash": "r", "catalog_hash": "c"}]),
        "runs": t["runs"],
    }
    return bad


def test_each_kind_of_bad_value_is_caught():
    results = validate_tables(_bad_batch(), chip_ids=CHIPS)
    assert results["runs"].success
    text = {name: "\n".join(v.failures) for name, v in results.items()}
    assert "expect_compound_columns_to_be_unique" in text["evidence"]
    assert "stack.quantum" in text["evidence"] and "binary" in text["evidence"]
    assert "expect_column_values_to_not_be_null on platform" in text["snapshots"]
    assert "expect_column_values_to_be_between on as_of" in text["snapshots"]
    for needle in ("h20x", "perhaps", "'zz'", "party"):
        assert needle in text["hardware"], needle
    assert "vendor.nokia" in text["trends"] and "share" in text["trends"]
    assert "expect_column_pair_values_a_to_be_greater_than_b" in text["trends"]


def test_gx_fixes_read_the_same_kwargs_ids_and_names_and_give_the_same_results():
    """chipwatch.validate.gx_fixes: for every expectation of every suite, the same
    kwargs as GX's own lookups, the same metric ids and the same type name; the same
    ids for values of every kind GX converts; the same results for a batch with every
    kind of failure."""
    import datetime
    import decimal
    import enum

    import numpy as np
    from great_expectations.core.id_dict import IDDict

    from chipwatch.tables import load_contracts
    from chipwatch.tables.contracts import contract
    from chipwatch.validate import gx_fixes
    from chipwatch.validate.runner import _gx
    from chipwatch.validate.spec import default_sets, suite_for

    _, gxe, *_ = _gx()
    assert gx_fixes.apply()  # installed with GX: a second call changes nothing
    own = {name: gx_fixes.original(name) for name in
           ("_get_domain_kwargs", "_get_success_kwargs", "_get_runtime_kwargs", "_get_success_kwarg", "to_id",
            "camel_to_snake")}
    from great_expectations.expectations import expectation

    assert expectation.camel_to_snake is not own["camel_to_snake"] and IDDict.to_id is not own["to_id"]
    checked = 0
    for table in load_contracts():
        for spec in suite_for(contract(table), default_sets(CHIPS)):
            for e in spec.expectations:
                exp = getattr(gxe, e.type)(**e.kwargs)
                for name in ("_get_domain_kwargs", "_get_success_kwargs"):
                    assert getattr(exp, name)() == own[name](exp), (spec.name, e, name)
                for runtime in (None, {"result_format": "SUMMARY"}):
                    assert exp._get_runtime_kwargs(runtime) == own["_get_runtime_kwargs"](exp, runtime)
                for key in (*exp.success_keys, *exp.runtime_keys, "no_such_key"):
                    assert exp._get_success_kwarg(key, "d") == own["_get_success_kwarg"](exp, key, "d")
                kwargs = IDDict(exp._get_runtime_kwargs({"result_format": "SUMMARY"}))
                for keys in (None, list(kwargs)[:1], list(kwargs)[:2]):
                    assert kwargs.to_id(keys) == own["to_id"](kwargs, keys), (spec.name, e, keys)
                assert exp.configuration.type == own["camel_to_snake"](type(exp).__name__)
                checked += 1
    assert checked > 80

    class Level(enum.IntEnum):
        HIGH = 2

    odd = IDDict(a=float("nan"), b=float("inf"), c=None, d={1: (1, 2.5), "x": {True, False}}, e=[None, "s", -0.0],
                 f=np.int64(3), g=np.float32(0.1), h=datetime.date(2026, 1, 2), i=decimal.Decimal("1.5"),
                 j=Level.HIGH, k=np.array([1, 2]), m=[{"n": [np.nan, None]}], o=True)
    for keys in (None, ["a", "b"], ["c", "j"], ["d", "e", "m"], ["f", "g", "h", "i", "k", "o"]):
        assert odd.to_id(keys) == own["to_id"](odd, keys), keys
    assert IDDict(z=1).to_id() == own["to_id"](IDDict(z=1)) and IDDict().to_id() == ()

    def outcome():
        results = validate_tables(_bad_batch(), chip_ids=CHIPS)
        return ({name: v.failures for name, v in results.items()},
                {name: [r.get("results", r) for r in v.result.values()] for name, v in results.items()})

    fixed = outcome()
    gx_fixes.undo()
    try:
        assert IDDict.to_id is own["to_id"] and expectation.camel_to_snake is own["camel_to_snake"]
        stock = outcome()
    finally:
        assert gx_fixes.apply()
    assert fixed == stock
    assert any(fixed[0].values())


def test_failing_batch_is_quarantined_run_fails_loudly_nothing_published(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    good = F.batch(RUN, "2026-09-30")
    validate_and_publish(wh, good, run_id=RUN, chip_ids=CHIPS)
    before = {t: wh.read(t) for t in good}
    rerun = F.batch(RUN, "2026-10-31")
    rerun["signals"] = _edit(rerun["signals"], "signals", signal_id="stack.bogus")
    with pytest.raises(ValidationFailed) as err:
        validate_and_publish(wh, rerun, run_id=RUN, chip_ids=CHIPS)
    message = str(err.value)
    assert "signals" in message and "stack.bogus" in message and f"_quarantine/{RUN}" in message
    # nothing of the failing batch is published: every data table is as before
    for t in ("repos", "snapshots", "evidence", "signals", "hardware"):
        assert wh.read(t).equals(before[t]), t
    # the run is recorded as failed, with where its batch went
    [run] = wh.read("runs").to_pylist()
    assert run["status"] == "failed" and run["quarantine"] == f"_quarantine/{RUN}"
    kinds = [f["kind"] for f in json.loads(run["failures_json"])]
    assert "validation-failed" in kinds and run["failures"] == len(kinds)
    # the whole batch is kept with its results, JSON-clean
    fs = wh.loc.fs
    for t in rerun:
        assert fs.exists(wh.loc.path("_quarantine", RUN, t, "data.parquet")), t
    result = json.loads(fs.cat_file(wh.loc.path("_quarantine", RUN, "signals", "validation.json")))
    assert result["success"] is False and any("stack.bogus" in f for f in result["failures"])
    assert "NaN" not in fs.cat_file(wh.loc.path("_quarantine", RUN, "signals", "validation.json")).decode()


def test_batches_are_validated_together_and_published_in_one_commit(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    # a run's last checkpoint (no repos or runs rows) and its own rows
    last = {t: tbl for t, tbl in F.batch(RUN, "2026-09-30", with_run=False).items() if t != "repos"}
    own = F.batch(RUN, "2026-10-31")
    out = validate_and_publish_batches(wh, {"c-1": last, "run": own}, run_id=RUN, chip_ids=CHIPS)
    rows = last["snapshots"].num_rows + own["snapshots"].num_rows
    assert out.published.version == 1 and out.published.rows["snapshots"] == rows
    assert out.validations["snapshots"].rows == rows  # one validation over both batches
    # the same keys in two batches are duplicates within the run: nothing is published
    with pytest.raises(ValidationFailed, match="expect_compound_columns_to_be_unique"):
        validate_and_publish_batches(wh, {"c-2": last, "run": F.batch(RUN, "2026-09-30")}, run_id=RUN, chip_ids=CHIPS)
    assert wh.read("snapshots").num_rows == rows
    [run] = wh.read("runs").to_pylist()
    assert run["status"] == "failed"


def test_every_required_column_with_nulls_is_named_once():
    """Required columns are checked by one expectation on a derived count; the failure
    still names each column with its number of nulls, and nullable columns stay free."""
    rows = F.batch(RUN)["evidence"].to_pylist()
    rows[0]["path"] = None
    rows[1]["path"] = None
    rows[2]["rule_id"] = None
    rows[3]["context"] = None  # nullable
    [failures] = [v.failures for v in validate_tables({"evidence": to_arrow("evidence", rows)}, chip_ids=CHIPS).values()]
    nulls = sorted(f for f in failures if "not_be_null" in f)
    assert nulls == ["evidence: expect_column_values_to_not_be_null on path: 2 null value(s)",
                     "evidence: expect_column_values_to_not_be_null on rule_id: 1 null value(s)"], failures


def test_great_expectations_is_quiet_on_the_console():
    """GX logs its ephemeral docs folder at INFO, from a logger it sets to INFO itself;
    a crawl's console shows the summary, not that (a fresh process: GX imported anew)."""
    import subprocess
    import sys

    code = ("import logging; logging.basicConfig(level=logging.INFO)\n"
            "from chipwatch.validate.runner import _gx; _gx()\n")
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stderr
    assert "Traceback" not in err and "ephemeral docs site" not in err, err[-2000:]
