"""What a run plans against: published keys, and lasting failures within the retry delay."""
from datetime import datetime, timedelta, timezone

from chipwatch.pipeline.publish import published_index
from chipwatch.storage import Warehouse
from chipwatch.tables import TableBatch
from tests.tables import factory as F

STARTED = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)


def _run(wh: Warehouse, run_id: str, snapshots: list[tuple], started: datetime = STARTED) -> None:
    """Publish a run whose snapshots are (name, commit, error kind or None)."""
    ctx = F.context(run_id, started)
    b = TableBatch(ctx)
    for name, commit, kind in snapshots:
        r = F.repo(name=name)
        b.add_repo(r)
        if kind is None:
            b.add_snapshot(r, "2026-10-31", F.scan(commit, ["stack.nccl"]), F.inference(F.sha(commit)))
        else:
            b.add_snapshot(r, "2026-10-31", error=(kind, f"{kind} here"), commit=F.sha(commit) if commit else None)
    b.set_run(kind="crawl", status="succeeded", parameters={}, code_version="0", finished_at=started)
    wh.publish(b.tables(), run_id=run_id)


def test_lasting_failures_are_known_transient_ones_are_not(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    _run(wh, "r1", [("ok", "c-ok", None), ("empty", None, "empty"), ("corrupt", "c1", "corrupt"),
                    ("flaky", "c2", "fetch"), ("slow", "c3", "timeout")])
    idx = published_index(wh, "r2", now=STARTED + timedelta(days=1))
    keys = {(k[2], k[3]) for k in idx.failed}
    assert keys == {("empty", None), ("corrupt", F.sha("c1"))}
    assert idx.known_failure(F.repo(name="empty"), None, "rs-1", "cat-1").kind == "empty"
    assert idx.known_failure(F.repo(name="empty"), None, "rs-2", "cat-1") is None  # new rules: redo
    assert {k[2] for k in idx.settled} == {"ok", "empty", "corrupt"}


def test_failures_are_redone_after_the_delay_and_an_ok_later_wins(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    _run(wh, "r1", [("corrupt", "c1", "corrupt"), ("fixed", "c9", "corrupt")])
    _run(wh, "r2", [("fixed", "c9", None)], started=STARTED + timedelta(days=2))
    idx = published_index(wh, "r3", now=STARTED + timedelta(days=3))
    assert {k[2] for k in idx.failed} == {"corrupt"}
    assert published_index(wh, "r3", now=STARTED + timedelta(days=8)).failed == {}
    assert published_index(wh, "r3", retry_failed_days=0, now=STARTED + timedelta(days=3)).failed == {}
