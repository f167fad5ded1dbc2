"""``chipwatch explain PATH``: the hardware behind a repository, one elimination at a time."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "explain"
HELP = "infer the chips behind a git repository and show the chain of eliminations"
DESCRIPTION = (
    "Scan PATH (a git repository) at --rev (default HEAD), reusing the scan cache, then "
    "infer the hardware: vendors, NVIDIA architecture bounds, data-center or not, candidate "
    "chips per vendor, chips named explicitly, export-control status of the candidates under "
    "each rule version, and every step with its evidence. --format json is the documented "
    "contract (docs/inference.md). PATH may also be OWNER/NAME (or PLATFORM:OWNER/NAME) of a repository "
    "in the warehouse: its published snapshot (the latest, or the latest at or before --as-of) is shown."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH", help="git repository (bare or with a work tree), or OWNER/NAME in the warehouse")
    p.add_argument("--rev", default=None, help="revision to explain (default: HEAD)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text for people, json for tools")
    p.add_argument("--as-of", metavar="DATE", default=None, help="OWNER/NAME: the snapshot at or before this date (YYYY-MM-DD)")
    p.add_argument("--warehouse", default=None, help="OWNER/NAME: folder or s3://bucket/prefix (default $CHIPWATCH_WAREHOUSE or ./warehouse)")
    p.add_argument("--cache-dir", type=Path, default=None, help="scan cache (default: $CHIPWATCH_CACHE_DIR or ~/.cache/chipwatch)")


def run(args: argparse.Namespace) -> int:
    from chipwatch.catalog import load_catalog
    from chipwatch.infer import infer_hardware
    from chipwatch.infer.render import render_text
    from chipwatch.scanner import scan_repository

    catalog = load_catalog()
    if not Path(args.path).exists():
        from chipwatch.infer.from_warehouse import parse_repo_spec

        spec = parse_repo_spec(args.path)
        if spec is not None:
            return _from_warehouse(args, spec, catalog)
    scan = scan_repository(args.path, args.rev, cache_dir=args.cache_dir)
    inference = infer_hardware(scan, catalog)
    if args.format == "json":
        sys.stdout.write(json.dumps(inference.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        render_text(inference, catalog, sys.stdout)
    return 0


def _from_warehouse(args: argparse.Namespace, spec, catalog) -> int:
    """``explain OWNER/NAME``: the published inference of a warehouse snapshot."""
    from chipwatch.infer.from_warehouse import published_inference
    from chipwatch.infer.render import render_text
    from chipwatch.plan import parse_date
    from chipwatch.storage import Warehouse

    if args.rev:
        from chipwatch.errors import ConfigError

        raise ConfigError("--rev applies to a local repository; use --as-of for OWNER/NAME", subject="explain")
    as_of = parse_date(args.as_of, end_of_period=True) if args.as_of else None
    found = published_inference(Warehouse(args.warehouse), spec, catalog, as_of=as_of)
    if args.format == "json":
        sys.stdout.write(json.dumps(found.to_json(), ensure_ascii=False, indent=2, default=str) + "\n")
        return 0
    unknown = found.unknown_chips(catalog)
    if unknown:
        from chipwatch.errors import ChipwatchError

        raise ChipwatchError(f"published with chip catalog {found.inference.catalog_hash}, which has chips the current "
                             f"catalog lacks ({', '.join(unknown[:5])}); use --format json", subject="explain")
    print(f"published snapshot as of {found.as_of} (run {found.run_id}) from {found.warehouse}")
    if found.catalog_changed:
        print("note: the chip catalog changed since publication; per-chip export statuses below use the current one")
    render_text(found.inference, catalog, sys.stdout)
    return 0
