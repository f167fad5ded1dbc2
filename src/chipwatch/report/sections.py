"""Frames → what the templates lay out: charts (PNG bytes, caption, the frame behind it)
and tables (headers and cells). Numbers are formatted here and only here."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from chipwatch.report.frames import ALL
from chipwatch.report.style import label


@dataclass
class Chart:
    key: str
    title: str
    caption: str
    alt: str
    frame: pd.DataFrame
    png: bytes | None
    empty_note: str
    notes: list[str] = field(default_factory=list)

    @property
    def png_href(self) -> str:
        return f"charts/{self.key}.png"

    @property
    def csv_href(self) -> str:
        return f"charts/{self.key}.csv"

    @property
    def png_b64(self) -> str:
        return base64.b64encode(self.png or b"").decode("ascii")


@dataclass
class Table:
    key: str
    headers: list[str]
    rows: list[dict[str, Any]]
    numeric: set[str] = field(default_factory=set)
    empty_note: str = "Nothing to show."


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def month(x: Any) -> str:
    return "—" if x is None or pd.isna(x) else pd.Timestamp(x).strftime("%Y-%m")


def day(x: Any) -> str:
    return "" if x is None or pd.isna(x) else pd.Timestamp(x).strftime("%Y-%m-%d")


def thin_notes(frame: pd.DataFrame) -> list[str]:
    """Warnings a reader needs before trusting a trend chart."""
    if frame.empty:
        return []
    notes = []
    months = frame["month"].nunique()
    if months < 3:
        notes.append(f"Only {months} month(s) of data: the chart shows points, not a trend.")
    everyone = frame[frame["organization"] == ALL]
    if not everyone.empty and int(everyone["repos_scanned"].max()) < 5:
        notes.append("Fewer than 5 repositories scanned in any month: one repository moves a share by 20 points or more.")
    return notes


def adoption_table(key: str, summary: pd.DataFrame, what: str) -> Table:
    headers = ["organization", what, "first month seen", "repos with it (last month)", "repos scanned (last month)",
               "share (last month)", "peak share"]
    rows = [{
        "organization": r.organization, what: label(r.signal_id), "first month seen": month(r.first_month),
        "repos with it (last month)": r.repos_with_signal, "repos scanned (last month)": r.repos_scanned,
        "share (last month)": pct(r.share), "peak share": pct(r.peak_share),
    } for r in summary.itertuples(index=False) if r.peak_share > 0]
    return Table(key, headers, rows, set(headers[3:]), f"No repository in the report has any {what} signal.")


def export_table(frame: pd.DataFrame) -> Table:
    headers = ["rule", "month", "status", "repositories", "repos scanned", "share"]
    if frame.empty:
        return Table("export", headers, [], empty_note="No export status in the trends table.")
    last = frame[frame["month"] == frame["month"].max()]
    rows = [{"rule": r.rule, "month": month(r.month), "status": {"status": r.status}, "repositories": r.repos,
             "repos scanned": r.repos_scanned, "share": pct(r.share)} for r in last.itertuples(index=False)]
    return Table("export", headers, rows, {"repositories", "repos scanned", "share"})


def mentions_table(mentions: pd.DataFrame, rules: Sequence[str], status_of: Callable[[tuple[str, ...]], Mapping[str, str]],
                   link_of: Callable[[str, str, str], str | None]) -> Table:
    headers = ["organization", "repository", "chip", "context", "candidate", "where", *rules]
    rows = []
    for m in mentions.itertuples(index=False):
        statuses = status_of(m.variants)
        href = link_of(m.platform, m.organization, m.name)
        rows.append({
            "organization": m.organization,
            "repository": {"href": href, "text": m.name, "external": False} if href else m.name,
            "chip": m.chip, "context": m.context,
            "candidate": {True: "yes", False: "ruled out", None: "vendor not claimed"}[m.candidate if m.candidate in (True, False) else None],
            "where": f"{m.path}:{m.line}",
            **{r: {"status": statuses.get(r, "unknown")} for r in rules},
        })
    return Table("mentions", headers, rows, empty_note="No chip is named in any repository's latest snapshot.")


def removed_table(removed: pd.DataFrame, link_of: Callable[[str, str, str], str | None]) -> Table:
    headers = ["repository", "signal", "last seen", "last seen commit", "removed", "removed by", "last line"]
    rows = []
    for r in removed.itertuples(index=False):
        href = link_of(r.platform, r.owner, r.name)
        text = f"{r.owner}/{r.name}"
        where = f"{r.path}:{int(r.line)}" if isinstance(r.path, str) else "—"
        rows.append({
            "repository": {"href": href, "text": text, "external": False} if href else text,
            "signal": r.signal_id, "last seen": day(r.last_seen_at), "last seen commit": (r.last_seen_commit or "")[:10],
            "removed": day(r.removed_at), "removed by": (r.removed_by_commit or "")[:10],
            "last line": {"href": r.permalink, "text": where, "external": True} if isinstance(r.permalink, str) else where,
        })
    return Table("removed", headers, rows,
                 empty_note="No signal was removed: every signal a repository had is still in its latest snapshot.")
