"""``chipwatch report``: the analysts' static HTML report with charts, from the warehouse."""
from __future__ import annotations

import argparse
import sys

NAME = "report"
HELP = "write the analysts' HTML report (charts, removed signals, per-organization evidence pages)"
DESCRIPTION = (
    "Read the published warehouse tables and write a static HTML report into --out: domestic-stack and "
    "technique adoption over time, candidate chips and export status per rule version, chips named by "
    "organization and context, removed signals, and one page per organization with every repository's "
    "elimination chain linked to its evidence. Every chart is also written as a PNG with its numbers as CSV. "
    "The report needs no network to open. See docs/report.md."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", help="folder or s3://bucket/prefix (default $CHIPWATCH_WAREHOUSE or ./warehouse)")
    p.add_argument("--out", default="report", help="folder to write the report into (default: ./report)")
    p.add_argument("--orgs", nargs="+", metavar="ORG", default=(),
                   help="only these organizations (repository owners), e.g. --orgs deepseek-ai Qwen")
    p.add_argument("--since", metavar="YYYY-MM", help="start the trend charts and removals at this month")


def run(args: argparse.Namespace) -> int:
    from chipwatch.report import build_report
    from chipwatch.report.inputs import parse_month
    from chipwatch.storage import Warehouse

    since = parse_month(args.since)
    orgs = tuple(o for part in args.orgs for o in part.split(",") if o.strip())
    result = build_report(Warehouse(args.warehouse), args.out, orgs=tuple(o.strip() for o in orgs), since=since)
    for note in result.notes:
        print(f"chipwatch report: note: {note}", file=sys.stderr)
    print(f"{result.index}  ({len(result.charts)} charts, {len(result.pages)} organization pages)")
    return 0
