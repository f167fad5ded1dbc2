"""``chipwatch trends``: rebuild the trends table from the published snapshots."""
from __future__ import annotations

import argparse

NAME = "trends"
HELP = "rebuild the trends table (month × organization × signal) from published snapshots"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", metavar="URL", default=None, help="default: $CHIPWATCH_WAREHOUSE or ./warehouse")
    p.add_argument("--run-id", default=None, help="run id stamped on the rows (default: a new one)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs")


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from chipwatch.settings import apply_prefect_defaults

    apply_prefect_defaults()
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from chipwatch.commands.crawl import preparing
    from flows.runtime import prefect_api

    with prefect_api(while_starting=preparing(("flows.trends",), ["trends"])):
        from flows.trends import trends

        out = trends(warehouse=args.warehouse, run_id=args.run_id)
    if args.json:
        print(json.dumps(out, indent=1, default=str))
    else:
        print(f"trends: {sum(out['rows'].values())} rows over {out['months']} months in {out['warehouse']}")
    return 0
