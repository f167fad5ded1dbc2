"""Every number the report shows equals the same number queried from the tables with
DuckDB — written here independently of chipwatch.report.frames."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.report.htmlscan import parse

LATEST = """
latest as (
  select platform, owner, name, as_of, run_id from snapshots where status = 'ok'
  qualify row_number() over (partition by platform, owner, name order by as_of desc, run_id desc) = 1)
"""
NAMED = LATEST + """,
named as (select h.owner, h.name, unnest(h.explicit_chips) e
          from hardware h join latest using (platform, owner, name, as_of, run_id))
"""


def org_shares(con, signal_id: str) -> pd.DataFrame:
    """month, organization, with, scanned for one signal: per organization and for all."""
    per_org = con.execute("""
        with cells as (select distinct month, platform, owner, repos_scanned from trends),
        scanned as (select month, owner, sum(repos_scanned) n from cells group by 1, 2),
        hits as (select month, owner, sum(repos_with_signal) k from trends where signal_id = ? group by 1, 2)
        select s.month, s.owner as organization, coalesce(h.k, 0) k, s.n
        from scanned s left join hits h using (month, owner)""", [signal_id]).df()
    everyone = per_org.groupby("month", as_index=False)[["k", "n"]].sum().assign(organization="all organizations")
    out = pd.concat([everyone, per_org], ignore_index=True)
    out["month"] = pd.to_datetime(out["month"])
    return out


@pytest.fixture(scope="module")
def index(report):
    return parse(report.index)


@pytest.mark.parametrize("signal_id, chart", [("stack.ascend", "domestic-stacks"), ("domestic.any", "domestic-stacks"),
                                              ("precision.fp8", "techniques"), ("technique.moe", "techniques"),
                                              ("candidate.huawei", "candidate-classes")])
def test_chart_data_equals_trends(report, con, signal_id, chart):
    expected = org_shares(con, signal_id)
    if chart == "candidate-classes":
        expected = expected[expected["organization"] == "all organizations"]
    csv = pd.read_csv(report.out_dir / "charts" / f"{chart}.csv", parse_dates=["month"])
    got = csv[csv["signal_id"] == signal_id]
    merged = expected.merge(got, on=["month", "organization"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged["k"] == merged["repos_with_signal"]).all()
    assert (merged["n"] == merged["repos_scanned"]).all()
    assert merged["share"].sub(merged["k"] / merged["n"]).abs().max() < 1e-12
    assert merged["k"].sum() > 0  # the sample corpus has every one of these signals


def test_stack_table_first_month_and_last_share(index, con):
    rows = {(r["organization"], r["stack"]): r for r in index.tables["stacks"]}
    first = con.execute("""
        select owner, strftime(min(month), '%Y-%m') from trends
        where signal_id = 'stack.ascend' and repos_with_signal > 0 group by 1""").fetchall()
    assert first, "the sample corpus has Ascend repositories"
    for owner, month in first:
        assert rows[(owner, "Ascend (Huawei)")]["first month seen"] == month
    overall = con.execute("""
        select strftime(min(month), '%Y-%m') from trends where signal_id = 'stack.ascend' and repos_with_signal > 0
    """).fetchone()[0]
    assert rows[("all organizations", "Ascend (Huawei)")]["first month seen"] == overall
    k, n = con.execute("""
        with last as (select max(month) m from trends),
        cells as (select distinct platform, owner, repos_scanned from trends, last where month = last.m)
        select (select sum(repos_with_signal) from trends, last where month = last.m and signal_id = 'domestic.any'),
               (select sum(repos_scanned) from cells)""").fetchone()
    row = rows[("all organizations", "any domestic stack")]
    assert int(row["repos with it (last month)"]) == k
    assert int(row["repos scanned (last month)"]) == n
    assert row["share (last month)"] == f"{100 * k / n:.1f}%"


def test_export_status_last_month(index, con):
    expected = con.execute("""
        select split_part(signal_id, '.', 2) rule, split_part(signal_id, '.', 3) status, sum(repos_with_signal) k
        from trends where signal_id like 'export.%' and repos_with_signal > 0
          and month = (select max(month) from trends) group by 1, 2""").fetchall()
    got = {(r["rule"], r["status"].replace(" ", "_")): int(r["repositories"]) for r in index.tables["export"]}
    assert got == {(rule, status): k for rule, status, k in expected}
    n = con.execute("""select sum(repos_scanned) from (select distinct platform, owner, repos_scanned from trends
                        where month = (select max(month) from trends))""").fetchone()[0]
    assert {int(r["repos scanned"]) for r in index.tables["export"]} == {n}
    for rule in {r for r, _ in got}:  # every scanned repository has one status per rule
        assert sum(k for (r, _), k in got.items() if r == rule) == n


def test_explicit_mentions(index, report, con):
    expected = con.execute(f"""
        with {NAMED}
        select owner, e.chip, coalesce(e.context, 'unknown'), count(distinct name) from named group by all""").fetchall()
    assert expected
    csv = pd.read_csv(report.out_dir / "charts" / "explicit-chips.csv")
    got = {(r.organization, r.chip, r.context): r.repos for r in csv.itertuples()}
    assert got == {(o, c, x): n for o, c, x, n in expected}
    table = {(r["organization"], r["repository"], r["chip"], r["context"]) for r in index.tables["mentions"]}
    rows = con.execute(f"""
        with {NAMED}
        select distinct owner, name, e.chip, coalesce(e.context, 'unknown') from named""").fetchall()
    assert table == set(rows)
    h20 = [r for r in index.tables["mentions"] if r["chip"] == "h20"]
    assert h20 and all(r["us-2025-04"] == "controlled" and r["us-2023-10"] == "not controlled" for r in h20)


def test_removed_signals(index, con):
    expected = con.execute(f"""
        with {LATEST}
        select s.owner || '/' || s.name, s.signal_id, left(s.last_seen_commit, 10), left(s.removed_by_commit, 10),
               strftime(s.removed_at, '%Y-%m-%d')
        from signals s join latest using (platform, owner, name, as_of, run_id) where s.removed""").fetchall()
    got = {(r["repository"], r["signal"], r["last seen commit"], r["removed by"], r["removed"])
           for r in index.tables["removed"]}
    assert got == set(expected)
    assert any(sig.startswith("interconnect.") for _, sig, *_ in expected)  # the sample's deleted IB config


def test_overview_counts(index, con):
    ok, failed = con.execute("""select count(*) filter (where status = 'ok'), count(*) filter (where status <> 'ok')
                                from snapshots""").fetchone()
    rows = {r["what"]: r["value"] for r in index.tables["overview"]}
    assert rows["snapshots scanned / failed"] == f"{ok} / {failed}"
    repos = con.execute("select count(distinct (platform, owner, name)) from snapshots where status = 'ok'").fetchone()[0]
    assert rows["repositories with a scanned snapshot"] == str(repos)


def test_org_pages_list_every_scanned_repository(report, con):
    expected = dict(con.execute("select owner, count(distinct (platform, name)) from snapshots where status = 'ok' "
                                "group by 1").fetchall())
    assert {org: len(parse(path).tables["repos"]) for org, path in report.pages.items()
            if org in expected} == expected
