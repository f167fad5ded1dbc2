import json
from dataclasses import replace
from datetime import date, datetime, timezone

import pyarrow as pa
import pytest

from chipwatch.errors import WarehouseError
from chipwatch.model import RepoRef, SignalReport
from chipwatch.tables import TableBatch, contract, new_run_id, to_arrow
from chipwatch.tables import rows as R
from chipwatch.tables.permalinks import permalink
from tests.tables import factory as F


def test_batch_tables_match_their_contracts():
    tables = F.batch()
    assert set(tables) == {"repos", "snapshots", "evidence", "signals", "hardware", "runs"}
    for name, tbl in tables.items():
        assert tbl.schema == contract(name).arrow_schema(), name
        assert set(tbl["run_id"].to_pylist()) == {"20261101T000000Z-aaaaaa"}
        assert set(tbl["ruleset_hash"].to_pylist()) == {"rs-1"}
        assert set(tbl["catalog_hash"].to_pylist()) == {"cat-1"}
    assert tables["repos"].num_rows == 3
    snaps = {r["name"]: r for r in tables["snapshots"].to_pylist()}
    assert snaps["broken"]["status"] == "failed" and snaps["broken"]["error_kind"] == "fetch"
    assert snaps["broken"]["commit"] is None
    assert snaps["repo0"]["status"] == "ok" and snaps["repo0"]["findings"] == 4
    assert snaps["repo0"]["as_of_month"] == "2026-10"
    run = tables["runs"].to_pylist()[0]
    assert run["snapshots"] == 3 and run["snapshots_failed"] == 1 and run["findings"] == 8
    assert run["duration_s"] == 300.0 and run["run_month"] == "2026-11"
    assert json.loads(run["counts_json"])["hardware"] == 2


def test_repo_row_reads_platform_metadata():
    r = F.repo(archived=True, fork=False, pushed_at="2026-10-30T12:00:00+02:00")
    row = R.repo_row(F.context(), r)
    assert row["stars"] == 12 and row["license"] == "MIT" and row["archived"] is True
    assert row["pushed_at"] == datetime(2026, 10, 30, 10, 0, tzinfo=timezone.utc)
    assert row["run_date"] == "2026-11-01" and row["crawl_status"] == "ok"
    hf = RepoRef("hf", "Qwen", "Qwen3-8B", "https://huggingface.co/Qwen/Qwen3-8B", metadata={"likes": 5, "license": "apache-2.0"})
    row = R.repo_row(F.context(), hf, error=RuntimeError("boom\nsecond line"))
    assert (row["stars"], row["license"], row["crawl_status"]) == (5, "apache-2.0", "failed")
    assert (row["error_kind"], row["error_message"]) == ("RuntimeError", "boom second line")


def test_bad_metadata_is_a_clear_error():
    with pytest.raises(ValueError, match="created_at"):
        R.repo_row(F.context(), F.repo(created_at="last tuesday"))


def test_signal_rows_carry_history_and_removal():
    s = F.scan("x", ["stack.nccl"], removed=["stack.rocm"], negated=["interconnect.infiniband"])
    rows = {r["signal_id"]: r for r in R.signal_rows(F.context(), F.repo(), "2026-10-31", s)}
    assert rows["stack.nccl"]["present"] and not rows["stack.nccl"]["removed"]
    assert rows["stack.nccl"]["strongest_file_kind"] == "script"
    rocm = rows["stack.rocm"]
    assert not rocm["present"] and rocm["removed"]
    assert rocm["removed_by_commit"] == F.sha("x-gone")
    assert rocm["removed_at"] == datetime(2025, 6, 1, tzinfo=timezone.utc)
    assert rocm["first_seen_at"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    ib = rows["interconnect.infiniband"]
    assert ib["negated_only"] and ib["negated_count"] == 1 and ib["strongest_file_kind"] is None
    assert not ib["removed"]


def test_evidence_rows_bound_text_and_link_found_commit():
    long = F.finding("stack.cuda", text="x" * 2000, commit=F.sha("ancestor"))
    s = replace(F.scan("y", []), signals=(SignalReport("stack.cuda", True, (long,)),))
    [row] = R.evidence_rows(F.context(), F.repo(), date(2026, 10, 31), s)
    assert len(row["text"]) == 500 and row["text"].endswith("…")
    assert row["found_in_commit"] == F.sha("ancestor") and row["commit"] == s.commit
    assert row["permalink"] == f"https://github.com/deepseek-ai/DeepEP/blob/{F.sha('ancestor')}/train.sh#L3"


@pytest.mark.parametrize(
    "platform,url,expected",
    [
        ("github", "https://github.com/o/r", "https://github.com/o/r/blob/C/a%20b/c.py#L9"),
        ("github", "https://ghe.example.com/o/r.git", "https://ghe.example.com/o/r/blob/C/a%20b/c.py#L9"),
        ("hf", "https://huggingface.co/o/r", "https://huggingface.co/o/r/blob/C/a%20b/c.py#L9"),
        ("git", "https://gitee.com/o/r.git", "https://gitee.com/o/r/blob/C/a%20b/c.py#L9"),
        ("git", "https://gitcode.com/o/r", "https://gitcode.com/o/r/blob/C/a%20b/c.py#L9"),
        ("git", "https://gitlab.com/g/sub/r", "https://gitlab.com/g/sub/r/-/blob/C/a%20b/c.py#L9"),
        ("git", "https://codeberg.org/o/r", "https://codeberg.org/o/r/src/commit/C/a%20b/c.py#L9"),
        ("git", "https://bitbucket.org/o/r", "https://bitbucket.org/o/r/src/C/a%20b/c.py#lines-9"),
        ("git", "https://unknown.example/o/r", None),
        ("mirror", "/srv/mirrors/o/r.git", None),
    ],
)
def test_permalinks(platform, url, expected):
    owner = "g/sub" if "gitlab" in url else "o"
    assert permalink(RepoRef(platform, owner, "r", url), "C", "a b/c.py", 9) == expected


def test_hardware_row_lists_maps_and_steps():
    inf = F.inference(F.sha("c"), candidates={"nvidia": ["h800", "h100"], "amd": []})
    row = R.hardware_row(F.context(), F.repo(), "2026-10-31", inf)
    assert row["candidate_chips"] == ["h100", "h800"] and row["candidate_vendors"] == ["nvidia"]
    assert row["export_status"] == {"oct-2022": "mixed", "oct-2023": "all_controlled"}
    assert json.loads(row["steps_json"])[0]["eliminated"] == ["amd"] and row["step_count"] == 1
    tbl = to_arrow("hardware", [row])
    assert tbl["candidates"].type == pa.map_(pa.string(), pa.list_(pa.string()))
    # domestic as a list of stacks, or as a flag completed from the scan's stacks
    row = R.hardware_row(F.context(), F.repo(), "2026-10-31", {**inf, "domestic": ["stack.ascend"]})
    assert row["domestic"] and row["domestic_stacks"] == ["ascend"]
    s = F.scan("d", ["stack.ascend", "stack.cuda"])
    row = R.hardware_row(F.context(), F.repo(), "2026-10-31", {**inf, "domestic": True}, scan=s)
    assert row["domestic_stacks"] == ["ascend"]


def test_hardware_row_accepts_objects_with_to_json():
    class Inference:
        def to_json(self):
            return F.inference(F.sha("c"))

    assert R.hardware_row(F.context(), F.repo(), "2026-10-31", Inference())["vendors"] == ["nvidia"]
    with pytest.raises(ValueError, match="mapping"):
        R.hardware_row(F.context(), F.repo(), "2026-10-31", 42)


def test_to_arrow_rejects_unknown_columns_and_names_bad_values():
    with pytest.raises(WarehouseError, match="not in the contract.*bogus"):
        to_arrow("runs", [{"bogus": 1}])
    with pytest.raises(WarehouseError, match="column repos"):
        to_arrow("runs", [{"repos": "many"}])


def test_run_ids_sort_by_time():
    a = new_run_id(datetime(2026, 1, 1, tzinfo=timezone.utc))
    b = new_run_id(datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert a < b and a.startswith("20260101T000000Z-")


def test_empty_batch_still_has_every_table():
    tables = TableBatch(F.context()).tables()
    assert set(tables) == {"repos", "snapshots", "evidence", "signals", "hardware"}
    assert all(t.num_rows == 0 for t in tables.values())


def test_hardware_row_from_the_real_inference_dataclass():
    from chipwatch.model import EvidenceRef, ExplicitChip, Inference, Step

    c = F.sha("real")
    inf = Inference(
        repository="github:o/r", commit=c, ruleset="rs", catalog_hash="cat", vendors=("nvidia", "huawei"),
        domestic=("ascend",), min_nvidia_arch="ampere", max_nvidia_arch="hopper", datacenter=True,
        candidates={"nvidia": ("a100-80gb", "h800"), "huawei": ("ascend910b",)},
        explicit_chips=(ExplicitChip("a100", "chip.a100", "nvidia", ("a100-40gb", "a100-80gb"), "training", 1.0,
                                     "README.md", 3, "8x A100", "doc", True, {"oct-2023": "controlled"}),),
        export_status={"oct-2023": "mixed"},
        export_status_by_vendor={"nvidia": {"oct-2023": "all_controlled"}, "huawei": {"oct-2023": "none_controlled"}},
        confidence=0.7, confidence_terms={"vendor": 0.4, "narrowing": 0.3},
        steps=(Step("stack", (EvidenceRef("stack.nccl", "a.py", 1, "nccl", "code"),), ("h800",), ("mi300x",), "s"),),
        history_only=("stack.rocm",),
    )
    row = R.hardware_row(F.context(), F.repo(), "2026-10-31", inf)
    assert row["commit"] == c and row["domestic"] and row["domestic_stacks"] == ["ascend"]
    assert row["candidate_vendors"] == ["huawei", "nvidia"]
    assert row["explicit_chips"][0]["variants"] == ["a100-40gb", "a100-80gb"]
    assert row["confidence"] == 0.7 and row["history_only"] == ["stack.rocm"]
    assert json.loads(row["steps_json"])[0]["because"][0]["path"] == "a.py"
    tbl = to_arrow("hardware", [row])
    assert tbl["export_status_by_vendor"].to_pylist() == [
        [("nvidia", [("oct-2023", "all_controlled")]), ("huawei", [("oct-2023", "none_controlled")])]]
    with pytest.raises(ValueError, match="confidence"):
        R.hardware_row(F.context(), F.repo(), "2026-10-31", {**inf.to_json(), "confidence": "high"})
