"""The plan stage: dates, incremental planning, batches."""
from __future__ import annotations

from datetime import date

import pytest

from chipwatch import plan as P
from chipwatch.errors import ConfigError
from chipwatch.model import RepoRef


def repo(name: str, owner: str = "org", head: str | None = None) -> RepoRef:
    return RepoRef("sample", owner, name, f"/x/{name}", "main", head)


def test_month_ends_clamped_to_today():
    got = P.as_of_dates("2023-01", "2024-12", "month", today=date(2024, 6, 10))
    assert got[0] == date(2023, 1, 31) and got[1] == date(2023, 2, 28)
    assert got[-1] == date(2024, 6, 10) and len(got) == 18
    assert P.as_of_dates("2024-02", "2024-02", "month", today=date(2030, 1, 1)) == [date(2024, 2, 29)]


def test_other_periods_and_errors():
    assert P.as_of_dates("2024-01", "2024-12", "quarter", today=date(2030, 1, 1)) == [
        date(2024, 3, 31), date(2024, 6, 30), date(2024, 9, 30), date(2024, 12, 31)]
    assert P.as_of_dates("2024-01-01", "2024-01-03", "day", today=date(2030, 1, 1)) == [
        date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]
    weeks = P.as_of_dates("2024-01-01", "2024-01-31", "week", today=date(2030, 1, 1))
    assert weeks[0] == date(2024, 1, 7) and all(d.weekday() == 6 for d in weeks[:-1]) and weeks[-1] == date(2024, 1, 31)
    with pytest.raises(ConfigError, match="every"):
        P.as_of_dates("2024-01", "2024-02", "fortnight")
    with pytest.raises(ConfigError, match="after"):
        P.as_of_dates("2024-05", "2024-01", today=date(2030, 1, 1))
    with pytest.raises(ConfigError, match="not a date"):
        P.parse_date("2024-13")
    assert P.parse_date("2024-02", end_of_period=True) == date(2024, 2, 29)


def test_as_of_timestamp_is_end_of_day_utc():
    assert P.as_of_timestamp(date(2024, 1, 31)) == 1706745599


def test_plan_groups_same_commit_and_drops_published():
    a, b, c, d = repo("a"), repo("b"), repo("c"), repo("d")
    j, f, m = date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)
    res = [
        P.Resolution(a, j, "a1", "2024-01-10T00:00:00Z"),
        P.Resolution(a, f, "a1", "2024-01-10T00:00:00Z"),
        P.Resolution(a, m, "a2", "2024-03-01T00:00:00Z"),
        P.Resolution(b, j, None),  # no commit yet
        P.Resolution(b, f, "b1"),
        P.Resolution(c, j, error_kind="corrupt", error_message="missing blob"),
        P.Resolution(d, j, "d1"),
    ]
    published = {P.published_key("sample", "org", "d", "d1", "R", "C"),
                 P.published_key("sample", "org", "b", "b1", "OLD", "C")}  # other rule set: redo
    p = P.plan(res, published, ruleset_hash="R", catalog_hash="C")
    assert [(u.repo.name, u.commit, u.as_ofs) for u in p.units] == [
        ("a", "a1", (j, f)), ("a", "a2", (m,)), ("b", "b1", (f,))]
    assert p.units[0].committed_at == "2024-01-10T00:00:00Z"
    assert [(x.repo.name, x.error_kind) for x in p.failures] == [("c", "corrupt")]
    assert [r.repo.name for r in p.reused] == ["d"] and [r.repo.name for r in p.not_yet] == ["b"]
    assert p.summary() == {"units": 3, "snapshots": 4, "failures": 1, "reused": 1, "not_yet": 1}


def test_unchanged_inputs_plan_nothing():
    refs = [repo(n, head=f"{n}-head") for n in "xyz"]
    today = date(2026, 1, 1)
    assert all(P.can_use_head(r, today, today=today) for r in refs)
    assert not P.can_use_head(refs[0], date(2025, 12, 31), today=today)
    assert not P.can_use_head(repo("nohead"), today, today=today)
    res = [P.Resolution(r, today, r.head_commit) for r in refs]
    published = {P.published_key("sample", "org", r.name, r.head_commit, "R", "C") for r in refs}
    p = P.plan(res, published, ruleset_hash="R", catalog_hash="C")
    assert p.units == [] and len(p.reused) == 3
    p2 = P.plan(res, published, ruleset_hash="R2", catalog_hash="C")
    assert len(p2.units) == 3


def test_batches_are_deterministic_and_keep_a_repo_together():
    units = [P.Unit(repo(n), f"{n}{i}", None, (date(2024, 1, i + 1),)) for n in "dcba" for i in range(3)]
    bs = P.batches(units, 4)
    assert [[u.key for u in b.units] for b in bs] == [
        ["sample:org/a@a0", "sample:org/a@a1", "sample:org/a@a2"],
        ["sample:org/b@b0", "sample:org/b@b1", "sample:org/b@b2"],
        ["sample:org/c@c0", "sample:org/c@c1", "sample:org/c@c2"],
        ["sample:org/d@d0", "sample:org/d@d1", "sample:org/d@d2"]]
    assert [b.id for b in bs] == [b.id for b in P.batches(list(reversed(units)), 4)]
    assert len({b.id for b in bs}) == 4
    assert len(P.batches(units, 100)) == 1
    with pytest.raises(ConfigError):
        P.batches(units, 0)


def test_batches_are_even_when_alike_repositories_are_neighbours():
    # a backfill: "big*" have five commits each, "small*" one; sorted by name the big
    # ones come together, and batches cut in key order would be 5, 5, 2-unit … uneven
    units = [P.Unit(repo(f"big{i}"), f"b{i}{c}", None, (date(2024, 1, c + 1),)) for i in range(2) for c in range(5)]
    units += [P.Unit(repo(f"small{i:02d}"), f"s{i}", None, (date(2024, 1, 1),)) for i in range(10)]
    bs = P.batches(units, 7)
    assert sorted(len(b.units) for b in bs) == [6, 7, 7]
    assert all(len({u.repo.key for u in b.units if u.repo.name.startswith("big")}) <= 1 for b in bs)
    assert sorted(u.key for b in bs for u in b.units) == sorted(u.key for u in units)
    # a repository with more commits than a batch holds stays whole, alone
    many = [P.Unit(repo("huge"), f"h{c}", None, (date(2024, 1, 1),)) for c in range(9)]
    assert sorted(len(b.units) for b in P.batches(many + units, 7)) == [5, 5, 5, 5, 9]


def test_auto_batch_size_gives_each_worker_a_few_tasks_within_bounds():
    from chipwatch.plan import MAX_BATCH, MIN_BATCH, auto_batch_size

    assert auto_batch_size(500, 2) == 125  # 4 tasks of the work, not 32 of 16
    assert auto_batch_size(20, 2) == 5
    assert auto_batch_size(8, 2) == 2  # a short list of big repositories: every worker busy
    assert auto_batch_size(3, 8) == MIN_BATCH == 1
    assert auto_batch_size(100_000, 2) == MAX_BATCH
    assert auto_batch_size(0, 4) == MIN_BATCH


def test_resolve_chunks_spread_few_repositories_over_the_workers():
    from chipwatch.plan import resolve_chunks

    repos = [f"r{i}" for i in range(38)]
    # the 38 broken repositories of a 500-repository first crawl: one task per worker
    assert [len(c) for c in resolve_chunks(repos, 125, 2)] == [19, 19]
    assert [len(c) for c in resolve_chunks(repos, 125, 1)] == [38]
    # never more than a batch; a few big repositories of a backfill fetched side by side
    assert [len(c) for c in resolve_chunks(repos, 10, 2)] == [10, 10, 9, 9]
    assert [len(c) for c in resolve_chunks(repos[:8], 48, 2)] == [4, 4]
    assert [len(c) for c in resolve_chunks(repos[:3], 125, 8)] == [1, 1, 1]
    assert [len(c) for c in resolve_chunks(repos, 0, 2)] == [1] * 38
    # dealt round-robin: a run of alike neighbours (one kind of breakage) is shared out
    kinds = ["corrupt"] * 12 + ["empty"] * 12 + ["missing"] * 12
    assert all(sorted(set(c)) == ["corrupt", "empty", "missing"] for c in resolve_chunks(kinds, 125, 3))
    # nothing lost or repeated, discovery order kept within a chunk
    chunks = resolve_chunks(repos, 7, 3)
    assert sorted(sum(chunks, [])) == sorted(repos) and all(c == sorted(c, key=repos.index) for c in chunks)
    assert resolve_chunks([], 125, 2) == []
