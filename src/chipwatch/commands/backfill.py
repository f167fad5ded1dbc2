"""``chipwatch backfill``: the crawl for a range of ``as_of`` dates (month ends by default)."""
from __future__ import annotations

import argparse

from chipwatch.commands.crawl import add_common_arguments, flow_options, run_flow

NAME = "backfill"
HELP = "snapshots at past dates (--start 2023-01 --end 2024-12 --every month, or --date ...)"
DESCRIPTION = (
    "The crawl pipeline for a list of as_of dates: the end of every period from --start to "
    "--end (the last one clamped to today), or explicit --date values. Each snapshot is the "
    "last commit on the default branch at or before its date. Resumable with --run-id."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common_arguments(p)
    p.add_argument("--start", metavar="DATE", help="first period: YYYY-MM, YYYY-MM-DD or YYYY")
    p.add_argument("--end", metavar="DATE", help="last period (default: today)")
    p.add_argument("--every", default="month", choices=("day", "week", "month", "quarter", "year"))
    p.add_argument("--date", dest="dates", action="append", metavar="DATE", help="an explicit as_of (repeatable)")


def run(args: argparse.Namespace) -> int:
    from chipwatch.errors import ConfigError
    from chipwatch.plan import as_of_dates, parse_date

    if args.dates and (args.start or args.end):
        raise ConfigError("give either --date or --start/--end, not both", subject="backfill")
    if args.dates:
        [parse_date(d) for d in args.dates]
    elif args.start:
        as_of_dates(args.start, args.end, args.every)
    elif not args.run_id:
        raise ConfigError("needs --start (and --end, --every), --date, or the --run-id of a run to resume",
                          subject="backfill")

    def call() -> dict:
        from flows.backfill import backfill

        return backfill(start=args.start, end=args.end, every=args.every, dates=args.dates, **flow_options(args))

    return run_flow(args, call)
