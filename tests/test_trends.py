"""The trends table from published snapshots, signals and hardware."""
from __future__ import annotations

from datetime import date

import pyarrow as pa

from chipwatch.tables.contracts import contract
from chipwatch.trends import build_trends


def snap(name, as_of, commit, run="r1", status="ok", owner="lab", ruleset="R"):
    return dict(platform="sample", owner=owner, name=name, as_of=as_of, commit=commit, status=status,
                run_id=run, ruleset_hash=ruleset, catalog_hash="C")


def sig(name, as_of, commit, signal, run="r1", present=True, owner="lab"):
    return dict(platform="sample", owner=owner, name=name, as_of=as_of, commit=commit, signal_id=signal,
                present=present, run_id=run)


def no_hardware():
    cols = ["platform", "owner", "name", "as_of", "run_id", "domestic", "vendors", "candidate_vendors", "export_status"]
    return contract("hardware").arrow_schema().empty_table().select(cols)


def no_signals():
    cols = ["platform", "owner", "name", "as_of", "run_id", "signal_id", "present"]
    return contract("signals").arrow_schema().empty_table().select(cols)


def rows(table):
    return {(r["month"], r["owner"], r["signal_id"]): (r["repos_with_signal"], r["repos_scanned"], r["share"])
            for r in table.to_pylist()}


def test_carry_forward_zeros_and_removed_signals():
    snaps = pa.Table.from_pylist([
        snap("a", date(2024, 1, 31), "a1"),
        snap("b", date(2024, 2, 29), "b1"),
        snap("a", date(2024, 3, 31), "a2"),  # a changed in March: IB removed
        snap("a", date(2024, 4, 15), "a2"),
        snap("c", date(2024, 2, 29), None, status="failed"),
    ])
    sigs = pa.Table.from_pylist([
        sig("a", date(2024, 1, 31), "a1", "interconnect.infiniband"),
        sig("a", date(2024, 1, 31), "a1", "stack.nccl"),
        sig("a", date(2024, 3, 31), "a2", "stack.nccl"),
        sig("a", date(2024, 3, 31), "a2", "interconnect.infiniband", present=False),
        sig("a", date(2024, 4, 15), "a2", "stack.nccl"),
        sig("b", date(2024, 2, 29), "b1", "stack.ascend"),
    ])
    hw = pa.Table.from_pylist([
        dict(platform="sample", owner="lab", name="b", as_of=date(2024, 2, 29), commit="b1", run_id="r1",
             domestic=True, vendors=["huawei"], candidate_vendors=["huawei"],
             export_status=[("2023-10", "none_controlled")]),
    ])
    t = build_trends(snaps, sigs, hw, run_id="T")
    assert t.schema == contract("trends").arrow_schema()
    got = rows(t)
    jan, feb, mar, apr = (date(2024, m, 1) for m in (1, 2, 3, 4))
    assert got[(jan, "lab", "interconnect.infiniband")] == (1, 1, 1.0)
    assert got[(jan, "lab", "stack.ascend")] == (0, 1, 0.0)  # explicit zero
    assert got[(feb, "lab", "interconnect.infiniband")] == (1, 2, 0.5)  # a carried forward
    assert got[(feb, "lab", "domestic.any")] == (1, 2, 0.5)
    assert got[(feb, "lab", "vendor.huawei")] == (1, 2, 0.5)
    assert got[(feb, "lab", "export.2023-10.none_controlled")] == (1, 2, 0.5)
    assert got[(mar, "lab", "interconnect.infiniband")] == (0, 2, 0.0)  # removed in March
    assert got[(apr, "lab", "stack.nccl")] == (1, 2, 0.5)
    assert set(t.column("run_id").to_pylist()) == {"T"}


def test_latest_run_wins_and_hashes_mixed():
    snaps = pa.Table.from_pylist([
        snap("a", date(2024, 1, 31), "a1", run="20240101T000000Z-aaaaaa"),
        snap("a", date(2024, 1, 31), "a1", run="20240201T000000Z-bbbbbb", ruleset="R2"),
        snap("b", date(2024, 1, 31), "b1", owner="other"),
        snap("c", date(2024, 1, 31), "c1", owner="other", ruleset="R2"),
    ])
    sigs = pa.Table.from_pylist([
        sig("a", date(2024, 1, 31), "a1", "stack.cuda", run="20240101T000000Z-aaaaaa"),
        sig("a", date(2024, 1, 31), "a1", "stack.rocm", run="20240201T000000Z-bbbbbb"),
        sig("b", date(2024, 1, 31), "b1", "stack.mps", owner="other"),
    ])
    t = build_trends(snaps, sigs, no_hardware(), run_id="T")
    got = {(r["owner"], r["signal_id"]): r for r in t.to_pylist()}
    assert got[("lab", "stack.rocm")]["repos_with_signal"] == 1
    assert ("lab", "stack.cuda") not in got  # only from the replaced run
    assert got[("lab", "stack.rocm")]["ruleset_hash"] == "R2"
    assert ("other", "stack.rocm") not in got  # owners never mix
    assert got[("other", "stack.mps")]["ruleset_hash"] == "mixed"
    assert got[("other", "stack.mps")]["repos_scanned"] == 2
    assert build_trends(snaps.slice(2), no_signals(), no_hardware(), run_id="T").num_rows == 0  # no signal: no row


def test_empty_input_gives_an_empty_table_with_the_schema():
    t = build_trends(contract("snapshots").arrow_schema().empty_table(), no_signals(), no_hardware(), run_id="T")
    assert t.num_rows == 0 and t.schema == contract("trends").arrow_schema()
