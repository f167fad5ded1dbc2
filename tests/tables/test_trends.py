from datetime import date

import pyarrow as pa

from chipwatch.tables import TableBatch, build_trends
from tests.tables import factory as F


def _tables(entries):
    """entries: (run_id, repo name, as_of, present signals, inference kwargs)."""
    out = {}
    for run_id, name, as_of, present, inf in entries:
        b = TableBatch(F.context(run_id))
        r = F.repo(name=name)
        s = F.scan(f"{name}@{as_of}@{run_id}", present)
        b.add_snapshot(r, as_of, s, F.inference(s.commit, **inf) if inf is not None else None)
        for t, tbl in b.tables().items():
            out.setdefault(t, []).append(tbl)
    return {t: pa.concat_tables(v) for t, v in out.items()}


def _cells(trends):
    return {(r["month"], r["owner"], r["signal_id"]): (r["repos_with_signal"], r["repos_scanned"], r["share"])
            for r in trends.to_pylist()}


def test_share_carry_forward_and_derived_classes():
    t = _tables([
        ("r1", "a", "2026-01-31", ["stack.nccl"], {}),
        ("r1", "b", "2026-01-31", ["stack.ascend"], {"vendors": ["huawei"], "candidates": {"huawei": ["ascend910b"]},
                                                     "domestic": ["ascend"], "export": "none_controlled"}),
        ("r2", "a", "2026-03-31", [], {"vendors": [], "candidates": {}}),  # a drops nccl in March
    ])
    trends = build_trends(t["snapshots"], t["signals"], t["hardware"], run_id="trends-1")
    cells = _cells(trends)
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    assert cells[(jan, "deepseek-ai", "stack.nccl")] == (1, 2, 0.5)
    assert cells[(feb, "deepseek-ai", "stack.nccl")] == (1, 2, 0.5)  # carried forward
    assert cells[(mar, "deepseek-ai", "stack.nccl")] == (0, 2, 0.0)
    assert cells[(mar, "deepseek-ai", "domestic.any")] == (1, 2, 0.5)
    assert cells[(jan, "deepseek-ai", "vendor.huawei")] == (1, 2, 0.5)
    assert cells[(jan, "deepseek-ai", "candidate.huawei")] == (1, 2, 0.5)
    assert cells[(jan, "deepseek-ai", "export.oct-2023.none_controlled")] == (1, 2, 0.5)
    assert set(trends["run_id"].to_pylist()) == {"trends-1"}
    assert set(trends["ruleset_hash"].to_pylist()) == {"rs-1"}


def test_latest_run_wins_for_the_same_snapshot_and_failures_do_not_count():
    t = _tables([
        ("r1", "a", "2026-01-31", ["stack.nccl"], {}),
        ("r2", "a", "2026-01-31", ["stack.rocm"], {}),
    ])
    b = TableBatch(F.context("r3"))
    b.add_snapshot(F.repo(name="c"), "2026-01-31", error=("fetch", "x"))
    import pyarrow as pa

    snaps = pa.concat_tables([t["snapshots"], b.tables()["snapshots"]])
    cells = _cells(build_trends(snaps, t["signals"], t["hardware"], run_id="t"))
    assert cells[(date(2026, 1, 1), "deepseek-ai", "stack.rocm")] == (1, 1, 1.0)
    # the superseded run's signal is not counted at all; the failed repository is not scanned
    assert (date(2026, 1, 1), "deepseek-ai", "stack.nccl") not in cells


def test_no_snapshots_no_trends():
    t = TableBatch(F.context()).tables()
    assert build_trends(t["snapshots"], t["signals"], t["hardware"], run_id="t").num_rows == 0
