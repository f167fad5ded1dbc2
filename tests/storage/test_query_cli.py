"""``chipwatch query`` and ``chipwatch runs`` over a published warehouse."""
import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from chipwatch.cli import main
from chipwatch.storage import Warehouse
from tests.tables import factory as F

RUN1, RUN2 = "20261101T000000Z-aaaaaa", "20261102T000000Z-bbbbbb"
SQL = "select name, signal_id, removed_at from signals where removed order by name"


@pytest.fixture
def warehouse(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    wh.publish(F.batch(RUN1, "2026-09-30"), run_id=RUN1)
    wh.publish(F.batch(RUN2, "2026-10-31", repos=1), run_id=RUN2)
    return wh


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_table_csv_json(warehouse, capsys):
    code, out, _ = _run(capsys, "query", "--warehouse", warehouse.url, SQL)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "signal_id", "removed_at"] and lines[-1] == "(3 rows)"
    assert "repo0" in lines[2] and "stack.rocm" in lines[2] and "2025-06-01" in lines[2]

    code, out, _ = _run(capsys, "query", "--warehouse", warehouse.url, "--format", "csv", SQL)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["repo0", "repo0", "repo1"]
    assert rows[0]["removed_at"].startswith("2025-06-01T00:00:00")

    sql = "select name, candidates, export_status, as_of from hardware where as_of_month = '2026-10'"
    code, out, _ = _run(capsys, "query", "--warehouse", warehouse.url, "--format", "json", sql)
    [row] = json.loads(out)
    assert row == {"name": "repo0", "candidates": {"nvidia": ["h100", "h800"]},
                   "export_status": {"oct-2022": "mixed", "oct-2023": "all_controlled"}, "as_of": "2026-10-31"}


def test_parquet_output(warehouse, capsys, tmp_path):
    target = tmp_path / "out.parquet"
    code, _, _ = _run(capsys, "query", "--warehouse", warehouse.url, "--format", "parquet", "-o", str(target),
                      "select * from evidence")
    assert code == 0
    assert pq.read_table(target).num_rows == 8 + 4


def test_every_table_is_a_view_and_errors_are_one_line(warehouse, capsys):
    sql = " union all ".join(f"select '{t}' as t, count(*) as n from {t}" for t in
                             ("repos", "snapshots", "evidence", "signals", "hardware", "trends", "runs"))
    code, out, _ = _run(capsys, "query", "--warehouse", warehouse.url, "--format", "json", sql)
    counts = {r["t"]: r["n"] for r in json.loads(out)}
    assert counts == {"repos": 5, "snapshots": 5, "evidence": 12, "signals": 12, "hardware": 3, "trends": 0, "runs": 2}
    code, out, err = _run(capsys, "query", "--warehouse", warehouse.url, "select nope from evidence")
    assert code == 1 and err.startswith("chipwatch query: error: query: Binder Error") and len(err.splitlines()) == 1


def test_query_reads_committed_data_only(warehouse, capsys):
    bogus = F.batch(RUN2)["snapshots"].drop_columns(["as_of_month"])
    path = warehouse.loc.path("snapshots", "as_of_month=2026-10", "part-uncommitted.parquet")
    pq.write_table(bogus, path)
    code, out, _ = _run(capsys, "query", "--warehouse", warehouse.url, "--format", "json",
                        "select count(*) as n from snapshots")
    assert json.loads(out) == [{"n": 5}]


def test_runs_lists_newest_first_with_counts_and_failures(warehouse, capsys):
    code, out, _ = _run(capsys, "runs", "--warehouse", warehouse.url, "--failures")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["run_id", "kind", "status", "started_at"]
    assert lines[2].startswith(RUN2) and lines[3].startswith(RUN1)
    assert "scan 12.5s" in lines[2] and "partial" in lines[2]
    assert any("github:deepseek-ai/broken: remote hung up" in line for line in lines)
    code, out, _ = _run(capsys, "runs", "--warehouse", warehouse.url, "--format", "json", "-n", "1")
    [run] = json.loads(out)
    assert run["run_id"] == RUN2 and run["snapshots"] == 2 and run["failures"] == 1


def test_runs_on_an_empty_warehouse(tmp_path, capsys):
    code, out, _ = _run(capsys, "runs", "--warehouse", str(tmp_path / "none"))
    assert code == 0 and out.splitlines()[-1] == "(0 rows)"
