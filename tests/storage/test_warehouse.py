"""Publish / replace / read round trips, on a local folder and on S3 (moto)."""
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chipwatch.errors import WarehouseError
from chipwatch.storage import Warehouse
from chipwatch.tables import to_arrow
from tests.tables import factory as F

RUN1, RUN2 = "20261101T000000Z-aaaaaa", "20261102T000000Z-bbbbbb"


def _keys(tbl):
    return sorted((r["name"], str(r["as_of"]), r["run_id"]) for r in tbl.to_pylist())


def test_round_trip_all_tables(warehouse_url):
    wh = Warehouse(warehouse_url)
    tables = F.batch(RUN1)
    result = wh.publish(tables, run_id=RUN1)
    assert result.version == 1 and result.rows["evidence"] == 8
    for name, tbl in tables.items():
        back = wh.read(name)
        assert back.schema == tbl.schema, name
        assert sorted(map(str, back.to_pylist())) == sorted(map(str, tbl.to_pylist())), name
    assert wh.published_tables()["trends"] == 0
    # hive layout, zstd, partition column in the path and not in the file
    [path] = wh.files("evidence")
    assert "/evidence/as_of_month=2026-10/" in path
    with wh.loc.fs.open(path, "rb") as fh:
        meta = pq.ParquetFile(fh).metadata
        assert meta.row_group(0).column(0).compression == "ZSTD"
        assert "as_of_month" not in meta.schema.names


def test_rerun_replaces_and_other_runs_are_kept(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.publish(F.batch(RUN1, "2026-09-30"), run_id=RUN1)
    wh.publish(F.batch(RUN2, "2026-10-31"), run_id=RUN2)
    before = wh.files("snapshots")
    # rerun of RUN1 with different content: one repository instead of two
    result = wh.publish(F.batch(RUN1, "2026-09-30", repos=1), run_id=RUN1)
    snaps = wh.read("snapshots")
    assert _keys(snaps) == sorted([
        ("repo0", "2026-09-30", RUN1), ("broken", "2026-09-30", RUN1),
        ("repo0", "2026-10-31", RUN2), ("repo1", "2026-10-31", RUN2), ("broken", "2026-10-31", RUN2),
    ])
    assert result.replaced_files == 6
    # replaced files are gone from storage, RUN2's files untouched
    wh.loc.fs.invalidate_cache()
    on_disk = [p for p in wh.loc.fs.find(wh.loc.path("snapshots")) if p.endswith(".parquet")]
    assert sorted(on_disk) == sorted(wh.files("snapshots"))
    assert [p for p in before if RUN2 in p][0] in on_disk
    # a rerun that moves to another month leaves nothing behind in the old one
    wh.publish(F.batch(RUN1, "2026-08-31", repos=1), run_id=RUN1)
    months = {r["as_of_month"] for r in wh.read("evidence").to_pylist() if r["run_id"] == RUN1}
    assert months == {"2026-08"}


def test_batches_of_one_run_replace_only_themselves(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.publish(F.batch(RUN1, repos=1, with_run=False), run_id=RUN1, batch="part-1")
    wh.publish(F.batch(RUN1, repos=2, with_run=False), run_id=RUN1, batch="part-2")
    assert wh.read("snapshots").num_rows == 2 + 3
    wh.publish(F.batch(RUN1, repos=2, with_run=False), run_id=RUN1, batch="part-1")
    assert wh.read("snapshots").num_rows == 3 + 3
    # an empty table clears the batch
    empty = {t: tbl.slice(0, 0) for t, tbl in F.batch(RUN1, with_run=False).items()}
    wh.publish(empty, run_id=RUN1, batch="part-2")
    assert wh.read("snapshots").num_rows == 3


def test_batches_of_one_run_publish_in_one_commit(warehouse_url):
    wh = Warehouse(warehouse_url)
    before = wh.manifest().version
    result = wh.publish_batches({"part-1": F.batch(RUN1, repos=1, with_run=False),
                                 "part-2": F.batch(RUN1, repos=2, with_run=False)}, run_id=RUN1)
    assert result.version == before + 1 and result.rows["snapshots"] == 2 + 3
    assert result.batch == "part-1+part-2" and wh.read("snapshots").num_rows == 2 + 3
    # each batch replaces only its own files, then as when published alone
    wh.publish(F.batch(RUN1, repos=2, with_run=False), run_id=RUN1, batch="part-1")
    assert wh.read("snapshots").num_rows == 3 + 3
    with pytest.raises(WarehouseError, match="at least one batch"):
        wh.publish_batches({}, run_id=RUN1)


def test_trends_are_replaced_whole(warehouse_url):
    wh = Warehouse(warehouse_url)
    row = {"month": __import__("datetime").date(2026, 10, 1), "platform": "github", "owner": "o",
           "signal_id": "stack.nccl", "repos_with_signal": 1, "repos_scanned": 2, "share": 0.5,
           "ruleset_hash": "rs", "catalog_hash": "cat"}
    wh.publish({"trends": to_arrow("trends", [{**row, "run_id": "t1"}])}, run_id="t1")
    wh.publish({"trends": to_arrow("trends", [{**row, "run_id": "t2", "owner": "p"}])}, run_id="t2")
    back = wh.read("trends").to_pylist()
    assert [(r["owner"], r["run_id"]) for r in back] == [("p", "t2")]


def test_filters_and_columns(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.publish(F.batch(RUN1, "2026-09-30"), run_id=RUN1)
    wh.publish(F.batch(RUN2, "2026-10-31"), run_id=RUN2)
    got = wh.read("signals", filters=[("as_of_month", "=", "2026-10"), ("signal_id", "=", "stack.rocm")],
                  columns=["name", "removed", "removed_at"])
    assert got.column_names == ["name", "removed", "removed_at"]
    assert got.num_rows == 2 and all(got["removed"].to_pylist())


def test_half_written_staging_is_never_visible(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.publish(F.batch(RUN1), run_id=RUN1)
    committed = wh.read("evidence")
    # a publish that crashed: data staged, one file even moved into a partition folder,
    # manifest never switched
    fs = wh.loc.fs
    bogus = F.batch(RUN2)["evidence"].drop_columns(["as_of_month"])
    for path in (wh.loc.path("_staging", "deadbeef", "evidence", "as_of_month=2026-10", "part-x.parquet"),
                 wh.loc.path("evidence", "as_of_month=2026-10", "part-orphan.parquet")):
        fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(path, "wb") as fh:
            pq.write_table(bogus, fh)
    assert wh.read("evidence").equals(committed)
    assert Warehouse(warehouse_url).read("evidence").num_rows == committed.num_rows
    # a fresh publish keeps young leftovers (they may be a publish in progress) …
    wh.publish(F.batch(RUN1), run_id=RUN1)
    fs.invalidate_cache()
    assert fs.exists(wh.loc.path("evidence", "as_of_month=2026-10", "part-orphan.parquet"))
    # … and removes them once they are old enough to be a crash's
    wh.orphan_age_s = 0
    wh.publish(F.batch(RUN1), run_id=RUN1)
    fs.invalidate_cache()
    assert not fs.exists(wh.loc.path("evidence", "as_of_month=2026-10", "part-orphan.parquet"))
    assert not fs.exists(wh.loc.path("_staging", "deadbeef"))
    assert wh.read("evidence").num_rows == committed.num_rows


def test_reader_of_an_old_manifest_retries(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.publish(F.batch(RUN1), run_id=RUN1)
    reader = Warehouse(warehouse_url)
    stale = reader.manifest()
    wh.publish(F.batch(RUN1, repos=1), run_id=RUN1)  # deletes the files `stale` lists
    with pytest.raises(FileNotFoundError):
        reader.dataset("snapshots", stale).to_table()
    assert reader.read("snapshots").num_rows == 2


def test_schema_violations_publish_nothing(warehouse_url):
    wh = Warehouse(warehouse_url)
    tables = F.batch(RUN1)
    with pytest.raises(WarehouseError, match="missing.*found_in_commit"):
        wh.publish({**tables, "evidence": tables["evidence"].drop_columns(["found_in_commit"])}, run_id=RUN1)
    nulls = tables["snapshots"].set_column(0, "platform", pa.nulls(3, pa.string()))
    with pytest.raises(WarehouseError, match="snapshots"):
        wh.publish({**tables, "snapshots": nulls}, run_id=RUN1)
    assert wh.manifest().version == 0 and wh.read("repos").num_rows == 0


def test_quarantine_keeps_data_and_json_safe_results(warehouse_url):
    wh = Warehouse(warehouse_url)
    tables = F.batch(RUN1)
    bad = tables["snapshots"].set_column(0, "platform", pa.nulls(3, pa.string()))
    where = wh.quarantine(RUN1, {"snapshots": bad}, {"snapshots": {"success": False, "x": [float("nan"), 1.5]}})
    assert where == f"_quarantine/{RUN1}"
    fs = wh.loc.fs
    with fs.open(wh.loc.path(where, "snapshots", "data.parquet"), "rb") as fh:
        assert pq.read_table(fh).num_rows == 3
    result = json.loads(fs.cat_file(wh.loc.path(where, "snapshots", "validation.json")))
    assert result == {"success": False, "x": [None, 1.5]}
    summary = json.loads(fs.cat_file(wh.loc.path(where, "summary.json")))
    assert summary["tables"]["snapshots"] == {"rows": 3, "success": False}
    assert wh.read("snapshots").num_rows == 0  # never visible to readers


def test_unsupported_urls_are_clear_errors():
    with pytest.raises(WarehouseError, match="unsupported warehouse URL"):
        Warehouse("gs://bucket/x")
    with pytest.raises(WarehouseError, match="at least 3"):
        Warehouse("s3://ab/x")


def test_concurrent_commit_loses_clearly(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    from chipwatch.storage import manifest as M

    base = wh.manifest()
    M.commit(wh.loc, base, [])
    with pytest.raises(WarehouseError, match="concurrently"):
        M.commit(wh.loc, base, [])


def test_default_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPWATCH_WAREHOUSE", str(tmp_path / "elsewhere"))
    assert Warehouse().loc.root == str(tmp_path / "elsewhere")
    monkeypatch.delenv("CHIPWATCH_WAREHOUSE")
    monkeypatch.chdir(tmp_path)
    assert Warehouse().loc.root == str(tmp_path / "warehouse")
