"""``chipwatch explain OWNER/NAME [--as-of DATE]``: a published snapshot read back from
the warehouse says what the inference said when it was published."""
from __future__ import annotations

import json

from chipwatch import cli


def explain(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["explain", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_published_equals_a_fresh_inference_of_the_same_commit(sample_warehouse, con, capsys, tmp_path):
    as_of, commit = con.execute("""select as_of, commit from hardware where owner = 'open-ml' and name = 'fp8-pretrain'
                                   order by as_of desc, run_id desc limit 1""").fetchone()
    code, out, _ = explain(capsys, "open-ml/fp8-pretrain", "--warehouse", sample_warehouse.url, "--format", "json")
    assert code == 0
    published = json.loads(out)
    assert (published["as_of"], published["commit"], published["source"]) == (as_of.isoformat(), commit, "warehouse")
    path = _repo_path(sample_warehouse, "open-ml", "fp8-pretrain")
    code, out, _ = explain(capsys, path, "--rev", commit, "--format", "json", "--cache-dir", str(tmp_path / "c"))
    assert code == 0
    fresh = json.loads(out)
    for key in ("vendors", "domestic", "min_nvidia_arch", "max_nvidia_arch", "datacenter", "candidates",
                "export_status", "export_status_by_vendor", "export_detail", "confidence", "confidence_terms", "steps"):
        assert published[key] == fresh[key], key
    assert published["explicit_chips"] == fresh["explicit_chips"]
    assert published["explicit_chips"], "fp8-pretrain names the H100 in its README"


def _repo_path(wh, owner: str, name: str) -> str:
    rows = wh.read("repos", filters=[("owner", "=", owner), ("name", "=", name)], columns=["url"]).to_pylist()
    return rows[0]["url"]


def test_as_of_picks_the_snapshot_at_or_before(sample_warehouse, con, capsys):
    expected = con.execute("""select as_of, commit from hardware where owner = 'npu-port' and name = 'llm-npu-port'
                              and as_of <= date '2024-12-31' order by as_of desc limit 1""").fetchone()
    code, out, _ = explain(capsys, "sample:npu-port/llm-npu-port", "--as-of", "2024-12", "--warehouse",
                           sample_warehouse.url)
    assert code == 0
    assert f"published snapshot as of {expected[0]}" in out
    assert f"@ {expected[1][:12]}" in out
    for step in ("1. vendor", "2. architecture", "3. datacenter", "4. memory", "5. explicit"):
        assert step in out
    later = con.execute("""select commit from hardware where owner = 'npu-port' and name = 'llm-npu-port'
                           order by as_of desc limit 1""").fetchone()[0]
    assert later != expected[1]  # the repository changed after 2024: the date mattered


def test_clear_errors(sample_warehouse, capsys):
    wh = ["--warehouse", sample_warehouse.url]
    code, _, err = explain(capsys, "nobody/nothing", *wh)
    assert code == 1 and err.startswith("chipwatch explain: error:") and "no snapshot of nobody/nothing" in err
    code, _, err = explain(capsys, "hy-lab/hy-legacy", *wh)  # a sample repository git cannot read
    assert code == 1 and "were not scanned" in err and "failed" in err
    code, _, err = explain(capsys, "hy-lab/hy-video", "--as-of", "2019-01-01", *wh)
    assert code == 1 and "at or before 2019-01-01" in err
    code, _, err = explain(capsys, "hy-lab/hy-video", "--rev", "HEAD", *wh)
    assert code == 1 and "use --as-of" in err
    code, _, err = explain(capsys, "hy-lab/hy-video", "--as-of", "someday", *wh)
    assert code == 1 and "not a date" in err
    assert len(err.strip().splitlines()) == 1
