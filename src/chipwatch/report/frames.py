"""The report's numbers: warehouse tables in, one small pandas frame per chart or table out.

Pure functions, no rendering, so every number the report shows can be checked against a
DuckDB query of the same tables (tests/report does). Definitions:

* **Share over time** comes from the ``trends`` table (a repository counts in a month
  with its latest scanned snapshot at or before the month's end). An organization's
  share is repositories with the signal / repositories scanned, summed over platforms;
  "all organizations" sums both over every organization in the report.
* **Latest snapshot** of a repository: its scanned (``status = ok``) snapshot with the
  greatest ``as_of`` (then the greatest ``run_id``). Explicit chips, removed signals and
  the per-organization pages describe latest snapshots.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

import pandas as pd

ALL = "all organizations"
REPO_KEY = ["platform", "owner", "name"]
SNAPSHOT_KEY = [*REPO_KEY, "as_of", "run_id"]

TECHNIQUES: tuple[str, ...] = (
    "technique.moe", "precision.bf16", "precision.fp8", "precision.fp4", "parallel.zero1", "parallel.zero2",
    "parallel.zero3", "parallel.fsdp", "technique.quantization", "technique.lora",
)
DOMESTIC_ANY = "domestic.any"
ADOPTION_COLUMNS = ["month", "organization", "signal_id", "repos_with_signal", "repos_scanned", "share"]


def _months(trends: pd.DataFrame, since: date | None) -> pd.DataFrame:
    t = trends.copy()
    t["month"] = pd.to_datetime(t["month"])
    if since is not None:
        t = t[t["month"] >= pd.Timestamp(since)]
    return t


def adoption(trends: pd.DataFrame, signal_ids: Iterable[str], *, since: date | None = None) -> pd.DataFrame:
    """Per month and organization (and for all organizations), how many scanned
    repositories have each signal. Signals never seen are left out; a month where an
    organization was scanned but had none of a seen signal counts 0."""
    t = _months(trends, since)
    wanted = list(dict.fromkeys(signal_ids))
    cells = t.drop_duplicates(["month", "platform", "owner"])
    scanned = cells.groupby(["month", "owner"], as_index=False)["repos_scanned"].sum()
    hits = t[t["signal_id"].isin(wanted) & (t["repos_with_signal"] > 0)]
    seen = [s for s in wanted if s in set(hits["signal_id"])]
    if scanned.empty or not seen:
        return pd.DataFrame(columns=ADOPTION_COLUMNS)
    with_signal = hits.groupby(["month", "owner", "signal_id"], as_index=False)["repos_with_signal"].sum()
    grid = scanned.merge(pd.DataFrame({"signal_id": seen}), how="cross")
    per_org = grid.merge(with_signal, on=["month", "owner", "signal_id"], how="left")
    per_org["repos_with_signal"] = per_org["repos_with_signal"].fillna(0).astype("int64")
    per_org = per_org.rename(columns={"owner": "organization"})
    everyone = per_org.groupby(["month", "signal_id"], as_index=False)[["repos_with_signal", "repos_scanned"]].sum()
    everyone["organization"] = ALL
    out = pd.concat([everyone, per_org], ignore_index=True)
    out["repos_scanned"] = out["repos_scanned"].astype("int64")
    out["share"] = out["repos_with_signal"] / out["repos_scanned"]
    order = {s: i for i, s in enumerate(seen)}
    out = out.assign(_o=out["signal_id"].map(order), _all=out["organization"] != ALL)
    out = out.sort_values(["_all", "organization", "_o", "month"]).drop(columns=["_o", "_all"])
    return out[ADOPTION_COLUMNS].reset_index(drop=True)


def adoption_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per organization and signal: the first month any repository had it, its share in
    the last month, and its peak share — "when did it appear, how far has it spread"."""
    cols = ["organization", "signal_id", "first_month", "last_month", "repos_with_signal", "repos_scanned",
            "share", "peak_share"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (org, sig), g in frame.groupby(["organization", "signal_id"], sort=False):
        g = g.sort_values("month")
        present = g[g["repos_with_signal"] > 0]
        last = g.iloc[-1]
        rows.append({
            "organization": org, "signal_id": sig,
            "first_month": present["month"].iloc[0] if not present.empty else pd.NaT,
            "last_month": last["month"], "repos_with_signal": int(last["repos_with_signal"]),
            "repos_scanned": int(last["repos_scanned"]), "share": float(last["share"]),
            "peak_share": float(g["share"].max()),
        })
    return pd.DataFrame(rows, columns=cols)


def stack_adoption(trends: pd.DataFrame, domestic_stacks: Sequence[str], *, since: date | None = None) -> pd.DataFrame:
    """Share of repositories per domestic stack (``stack.<id>``) and any domestic stack."""
    return adoption(trends, [*(f"stack.{s}" for s in domestic_stacks), DOMESTIC_ANY], since=since)


def technique_adoption(trends: pd.DataFrame, *, since: date | None = None) -> pd.DataFrame:
    return adoption(trends, TECHNIQUES, since=since)


def candidate_classes(trends: pd.DataFrame, vendors: Sequence[str], *, since: date | None = None) -> pd.DataFrame:
    """Share of repositories whose candidate chips still include a vendor's parts."""
    return adoption(trends, [f"candidate.{v}" for v in vendors], since=since)


EXPORT_COLUMNS = ["month", "rule", "status", "repos", "repos_scanned", "share"]


def export_status(trends: pd.DataFrame, statuses: Sequence[str], *, since: date | None = None) -> pd.DataFrame:
    """Per month and export rule version, repositories (all organizations) whose candidate
    set is all controlled, none controlled, mixed or unknown."""
    ids = sorted({s for s in trends["signal_id"] if s.startswith("export.")})
    frame = adoption(trends, ids, since=since)
    frame = frame[frame["organization"] == ALL]
    if frame.empty:
        return pd.DataFrame(columns=EXPORT_COLUMNS)
    parts = frame["signal_id"].str.split(".", n=2, expand=True)
    out = pd.DataFrame({
        "month": frame["month"], "rule": parts[1], "status": parts[2], "repos": frame["repos_with_signal"],
        "repos_scanned": frame["repos_scanned"], "share": frame["share"],
    })
    out = out[out["status"].isin(statuses)]
    rank = {s: i for i, s in enumerate(statuses)}
    out = out.assign(_r=out["status"].map(rank)).sort_values(["rule", "month", "_r"]).drop(columns="_r")
    return out.reset_index(drop=True)


def latest_snapshots(snapshots: pd.DataFrame) -> pd.DataFrame:
    """The latest scanned snapshot of each repository (see the module docstring)."""
    ok = snapshots[snapshots["status"] == "ok"]
    if ok.empty:
        return ok.copy()
    ok = ok.sort_values([*REPO_KEY, "as_of", "run_id"])
    return ok.drop_duplicates(REPO_KEY, keep="last").sort_values(REPO_KEY).reset_index(drop=True)


def failed_after(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Repositories whose newest snapshot failed (with no scanned snapshot after it):
    the error, and the as_of of the failure."""
    if snapshots.empty:
        return snapshots.copy()
    newest = snapshots.sort_values([*REPO_KEY, "as_of", "run_id"]).drop_duplicates(REPO_KEY, keep="last")
    return newest[newest["status"] != "ok"].reset_index(drop=True)


def latest_rows(table: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    if latest.empty or table.empty:
        return table.iloc[0:0].copy()
    return table.merge(latest[SNAPSHOT_KEY], on=SNAPSHOT_KEY, how="inner")


def latest_hardware(hardware: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    return latest_rows(hardware, latest).sort_values(REPO_KEY).reset_index(drop=True)


MENTION_COLUMNS = ["organization", "platform", "name", "chip", "vendor", "variants", "context", "path", "line",
                   "candidate"]


def explicit_mentions(latest_hw: pd.DataFrame) -> pd.DataFrame:
    """One row per chip named in a repository's latest snapshot, per context."""
    rows = []
    for r in latest_hw.itertuples(index=False):
        for e in r.explicit_chips if r.explicit_chips is not None else ():
            rows.append({
                "organization": r.owner, "platform": r.platform, "name": r.name, "chip": e["chip"],
                "vendor": e["vendor"], "variants": tuple(e["variants"] if e["variants"] is not None else ()),
                "context": e["context"] or "unknown", "path": e["path"], "line": e["line"],
                "candidate": e["candidate"],
            })
    return pd.DataFrame(rows, columns=MENTION_COLUMNS)


def mentions_by_org(mentions: pd.DataFrame, contexts: Sequence[str]) -> pd.DataFrame:
    """Repositories naming each chip, per organization and context (a repository that
    names a chip in two contexts counts once in each)."""
    cols = ["organization", "chip", "context", "repos"]
    if mentions.empty:
        return pd.DataFrame(columns=cols)
    out = (mentions.drop_duplicates(["organization", "platform", "name", "chip", "context"])
           .groupby(["organization", "chip", "context"], as_index=False).size().rename(columns={"size": "repos"}))
    rank = {c: i for i, c in enumerate(contexts)}
    out = out.assign(_r=out["context"].map(lambda c: rank.get(c, len(rank))))
    return out.sort_values(["organization", "chip", "_r"]).drop(columns="_r").reset_index(drop=True)[cols]


REMOVED_COLUMNS = ["platform", "owner", "name", "signal_id", "last_seen_commit", "last_seen_at",
                   "removed_by_commit", "removed_at", "path", "line", "text", "permalink"]


def removed_signals(signals: pd.DataFrame, evidence: pd.DataFrame, latest: pd.DataFrame,
                    *, since: date | None = None) -> pd.DataFrame:
    """Signals a repository once had and its latest snapshot no longer has (a network
    configuration deleted, a chip name edited out), with the last line that showed it.
    With ``since``, only removals at or after that month."""
    sig = latest_rows(signals, latest)
    sig = sig[sig["removed"].fillna(False).astype(bool)] if not sig.empty else sig
    if since is not None and not sig.empty:
        at = pd.to_datetime(sig["removed_at"], utc=True)
        sig = sig[at.isna() | (at >= pd.Timestamp(since, tz="UTC"))]
    if sig.empty:
        return pd.DataFrame(columns=REMOVED_COLUMNS)
    ev = latest_rows(evidence, latest)
    ev = ev[~ev["negated"].fillna(False).astype(bool)].sort_values([*SNAPSHOT_KEY, "signal_id", "path", "line"])
    ev = ev.rename(columns={"found_in_commit": "last_seen_commit"})
    first = ev.drop_duplicates([*SNAPSHOT_KEY, "signal_id", "last_seen_commit"])
    out = sig.merge(first[[*SNAPSHOT_KEY, "signal_id", "last_seen_commit", "path", "line", "text", "permalink"]],
                    on=[*SNAPSHOT_KEY, "signal_id", "last_seen_commit"], how="left")
    out = out.sort_values(["removed_at", "owner", "name", "signal_id"], ascending=[False, True, True, True],
                          na_position="last")
    return out[REMOVED_COLUMNS].reset_index(drop=True)
