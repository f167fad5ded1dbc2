"""``build_report``: warehouse → frames → charts and pages → files in one folder.

The folder holds ``index.html`` (charts embedded as data URIs, so it opens offline on
its own), one ``org-<name>-<hash>.html`` per organization, and ``charts/<key>.png`` plus
``charts/<key>.csv`` (the numbers behind each chart).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Mapping

import pandas as pd

from chipwatch import __version__
from chipwatch.catalog import Catalog, load_catalog
from chipwatch.errors import ChipwatchError
from chipwatch.report import charts as C
from chipwatch.report import frames as F
from chipwatch.report import sections as S
from chipwatch.report.inputs import ReportInputs, load_inputs
from chipwatch.report.orgpages import OrgPage, org_pages
from chipwatch.report.style import CONTEXTS, EXPORT_STATUSES, stack_colors, technique_colors, vendor_colors
from chipwatch.report.svg import funnel
from chipwatch.report.templates import CSP, environment
from chipwatch.storage import Warehouse
from chipwatch.tables.vocabulary import load_vocabulary

SECTIONS = [("summary", "Coverage"), ("domestic-stacks", "Domestic stacks"), ("techniques", "Techniques"),
            ("candidates", "Candidates & export status"), ("explicit-chips", "Named chips"),
            ("removed-signals", "Removed signals"), ("organizations", "Organizations")]


@dataclass
class ReportResult:
    out_dir: Path
    index: Path
    charts: dict[str, Path] = field(default_factory=dict)
    pages: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    empty: bool = False


def _status_of(catalog: Catalog):
    from chipwatch.infer.steps.explicit import chip_status

    ids = {c.id for c in catalog.chips}

    def status(variants: tuple[str, ...]) -> Mapping[str, str]:
        chips = tuple(catalog.chip(v) for v in variants if v in ids)
        return chip_status(chips, catalog) if chips else {}

    return status


def _vendor_of(catalog: Catalog):
    ids = {c.id for c in catalog.chips}
    return lambda chip: catalog.chip(chip).vendor if chip in ids else "not in this catalog"


def _charts(inp: ReportInputs, vocab) -> dict[str, S.Chart]:
    since = inp.since
    stacks = F.stack_adoption(inp.trends, sorted(vocab.domestic_stacks), since=since)
    techniques = F.technique_adoption(inp.trends, since=since)
    cands = F.candidate_classes(inp.trends, sorted(vocab.vendors), since=since)
    cands_all = cands[cands["organization"] == F.ALL]
    export = F.export_status(inp.trends, EXPORT_STATUSES, since=since)
    mentions = F.mentions_by_org(F.explicit_mentions(F.latest_hardware(inp.hardware, F.latest_snapshots(inp.snapshots))),
                                 CONTEXTS)
    per_month = "Each point is one month; a repository counts with its latest scanned snapshot at or before the month's end."
    out = [
        S.Chart("domestic-stacks", "Domestic accelerator stacks",
                "Share of scanned repositories whose snapshot shows each PRC-designed accelerator stack (stack.* signals "
                "present at the snapshot's commit), for all organizations and each organization with any. The dashed "
                f"pale line is any domestic stack. {per_month}",
                "Line charts of the share of repositories using each domestic accelerator stack, by month",
                stacks, C.share_panels(stacks, stack_colors(vocab.domestic_stacks), title="Domestic accelerator stacks: "
                                       "share of repositories"),
                "No repository in the report shows a domestic accelerator stack (Ascend, Cambricon, Kunlunxin, Hygon, "
                "Moore Threads, MetaX, Iluvatar, Enflame, Biren), or the trends table is empty."),
        S.Chart("techniques", "Efficiency techniques",
                "Share of scanned repositories using MoE, bf16, FP8, FP4, ZeRO stages 1–3, FSDP, quantization tooling or "
                f"LoRA (signals present at the snapshot's commit; a feature turned off does not count). {per_month}",
                "Line charts of the share of repositories using each efficiency technique, by month",
                techniques, C.share_panels(techniques, technique_colors(), title="Efficiency techniques: share of repositories"),
                "No repository in the report shows any of the tracked techniques, or the trends table is empty."),
        S.Chart("candidate-classes", "Candidate chips by vendor",
                "Share of scanned repositories (all organizations) whose inferred candidate chips still include parts "
                f"of each vendor after every elimination step. {per_month}",
                "Line chart of the share of repositories whose candidates include each vendor's chips, by month",
                cands_all, C.share_panels(cands_all, vendor_colors(vocab.vendors), title="Candidate chips by vendor"),
                "No repository in the report has candidate chips, or the trends table is empty."),
        S.Chart("export-status", "Export status of the candidate sets",
                "Repositories (all organizations) by the export-control status of their whole candidate set under each "
                "rule version: all controlled, none controlled, mixed (some of each), unknown (the catalog cannot "
                f"decide a member, or no candidates). {per_month}",
                "Stacked area charts of repositories by export status of their candidates, one per rule version",
                export, C.export_areas(export, title="Export-control status of the candidate chips"),
                "The trends table has no export status: no hardware inference has been published for these repositories."),
        S.Chart("explicit-chips", "Chips named explicitly",
                "Repositories whose latest scanned snapshot names each chip, by organization and by the context of the "
                "mention (training, finetuning, inference, benchmark, or unknown when the text does not say); a repository "
                "naming a chip in two contexts counts in both.",
                "Horizontal bar chart of chip mentions per organization, stacked by context",
                mentions, C.mention_bars(mentions, title="Chips named, by organization and context"),
                "No repository's latest snapshot names a chip."),
    ]
    for c in out[:3]:
        c.notes = S.thin_notes(c.frame)
    return {c.key: c for c in out}


def _overview(inp: ReportInputs, pages: list[OrgPage]) -> S.Table:
    snaps = inp.snapshots
    ok = snaps[snaps["status"] == "ok"]
    months = pd.to_datetime(inp.trends["month"]) if not inp.trends.empty else pd.Series(dtype="datetime64[ns]")
    rows = [
        ("organizations", str(len(pages))),
        ("repositories with a scanned snapshot", str(ok.drop_duplicates(F.REPO_KEY).shape[0])),
        ("snapshots scanned / failed", f"{len(ok)} / {len(snaps) - len(ok)}"),
        ("snapshot dates (as_of)", f"{S.day(snaps['as_of'].min())} … {S.day(snaps['as_of'].max())}" if len(snaps) else "—"),
        ("trend months", f"{S.month(months.min())} … {S.month(months.max())}" if len(months) else "—"),
        ("rule sets / chip catalogs", f"{', '.join(sorted(set(snaps['ruleset_hash'])))} / "
                                      f"{', '.join(sorted(set(snaps['catalog_hash'])))}" if len(snaps) else "—"),
    ]
    return S.Table("overview", ["what", "value"], [{"what": k, "value": v} for k, v in rows])


def _notes(inp: ReportInputs) -> list[str]:
    notes = []
    who = f" for {', '.join(inp.orgs)}" if inp.orgs else ""
    if inp.empty:
        notes.append(f"The warehouse at {inp.warehouse_url} has no published snapshots{who}. Run `chipwatch crawl` "
                     "(or `chipwatch backfill`) to publish some; every section below is empty.")
    if inp.unknown_orgs:
        notes.append(f"No data for organization(s): {', '.join(inp.unknown_orgs)} (owner names are case-sensitive).")
    if inp.since is not None:
        notes.append(f"Trend charts and removals start at {inp.since:%Y-%m}; per-repository sections show each "
                     "repository's latest snapshot whatever its date.")
    return notes


def _clean(out: Path) -> None:
    """Remove the files a previous report wrote here (and nothing else)."""
    for p in out.glob("org-*.html"):
        p.unlink()
    for p in (out / "charts").glob("*.*"):
        if p.suffix in (".png", ".csv"):
            p.unlink()


def _write(path: Path, data: bytes | str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    os.replace(tmp, path)


def build_report(warehouse: Warehouse | str | None, out_dir: Path | str, *, orgs: tuple[str, ...] = (),
                 since: date | None = None, catalog: Catalog | None = None, now: datetime | None = None) -> ReportResult:
    """Write the report of ``warehouse`` (narrowed to ``orgs``, trends from ``since``)
    into ``out_dir``. Empty or thin data gives a report that says so."""
    wh = warehouse if isinstance(warehouse, Warehouse) else Warehouse(warehouse)
    catalog = catalog or load_catalog()
    vocab = load_vocabulary()
    inp = load_inputs(wh, orgs=tuple(orgs), since=since)
    out = Path(out_dir)
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChipwatchError(f"cannot create the report folder: {exc.strerror}", subject=str(out)) from exc
    _clean(out)

    latest = F.latest_snapshots(inp.snapshots)
    latest_hw = F.latest_hardware(inp.hardware, latest)
    removed = F.removed_signals(inp.signals, inp.evidence, latest, since=since)
    pages = org_pages(latest_hw, F.latest_rows(inp.evidence, latest), removed, F.failed_after(inp.snapshots),
                      inp.repos, _vendor_of(catalog))
    anchors = {(r.platform, r.owner, r.name): f"{p.filename}#{r.anchor}" for p in pages for r in p.repos}

    def link_of(platform: str, owner: str, name: str) -> str | None:
        return anchors.get((platform, owner, name))

    charts = _charts(inp, vocab)
    rules = [r.id for r in catalog.export_rules]
    tables = {
        "stacks": S.adoption_table("stacks", F.adoption_summary(charts["domestic-stacks"].frame), "stack"),
        "techniques": S.adoption_table("techniques", F.adoption_summary(charts["techniques"].frame), "technique"),
        "candidates": S.adoption_table("candidates", F.adoption_summary(charts["candidate-classes"].frame), "vendor"),
        "export": S.export_table(charts["export-status"].frame),
        "mentions": S.mentions_table(F.explicit_mentions(latest_hw), rules, _status_of(catalog), link_of),
        "removed": S.removed_table(removed, link_of),
        "orgs": S.Table("orgs", ["organization", "repositories scanned", "latest snapshot failed", "domestic stack",
                                 "chips named"], [
            {"organization": {"href": p.filename, "text": p.organization, "external": False},
             "repositories scanned": len(p.repos), "latest snapshot failed": len(p.failed),
             "domestic stack": sum(1 for r in p.repos if any(k == "domestic stacks" and v != "none" for k, v in r.summary)),
             "chips named": sum(len(r.explicit) for r in p.repos)} for p in pages],
            {"repositories scanned", "latest snapshot failed", "domestic stack", "chips named"},
            "No organization has a published snapshot."),
    }
    result = ReportResult(out, out / "index.html", notes=_notes(inp), empty=inp.empty)
    for c in charts.values():
        if c.png is None:
            continue
        result.charts[c.key] = out / c.png_href
        _write(out / c.png_href, c.png)
        _write(out / c.csv_href, c.frame.to_csv(index=False))

    env = environment()
    common = {"csp": CSP, "version": __version__, "warehouse": inp.warehouse_url,
              "manifest_version": inp.manifest_version,
              "generated": f"{(now or datetime.now(timezone.utc)):%Y-%m-%d %H:%M} UTC"}
    for p in pages:
        for r in p.repos:
            r.funnel = funnel(r.stages)
            for x in r.removed:
                x["last_seen_at_text"], x["removed_at_text"] = S.day(x["last_seen_at"]), S.day(x["removed_at"])
        repo_table = S.Table("repos", ["repository", "vendors", "domestic stacks", "confidence"], [
            {"repository": {"href": f"#{r.anchor}", "text": f"{r.name} ({r.platform})", "external": False},
             "vendors": dict(r.summary)["vendors"], "domestic stacks": dict(r.summary)["domestic stacks"],
             "confidence": "" if r.confidence is None else f"{r.confidence:.2f}"} for r in p.repos],
            {"confidence"}, "No repository of this organization has a scanned snapshot.")
        html = env.get_template("org.html").render(page=p, repo_table=repo_table, **common)
        result.pages[p.organization] = out / p.filename
        _write(out / p.filename, html)
    scope = (f"Organizations: {', '.join(inp.orgs)}" if inp.orgs else "All organizations in the warehouse") + (
        f"; trends from {inp.since:%Y-%m}" if inp.since else "")
    html = env.get_template("index.html").render(
        charts={"stacks": charts["domestic-stacks"], "techniques": charts["techniques"],
                "candidates": charts["candidate-classes"], "export": charts["export-status"],
                "mentions": charts["explicit-chips"]},
        tables=tables, overview=_overview(inp, pages), notes=result.notes, sections=SECTIONS, orgs=inp.orgs,
        scope=scope, **common)
    _write(result.index, html)
    return result
