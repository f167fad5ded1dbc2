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
    "contract (docs/inference.md)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH", help="git repository (bare or with a work tree)")
    p.add_argument("--rev", default=None, help="revision to explain (default: HEAD)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text for people, json for tools")
    p.add_argument("--cache-dir", type=Path, default=None, help="scan cache (default: $CHIPWATCH_CACHE_DIR or ~/.cache/chipwatch)")


def run(args: argparse.Namespace) -> int:
    from chipwatch.catalog import load_catalog
    from chipwatch.infer import infer_hardware
    from chipwatch.infer.render import render_text
    from chipwatch.scanner import scan_repository

    catalog = load_catalog()
    scan = scan_repository(args.path, args.rev, cache_dir=args.cache_dir)
    inference = infer_hardware(scan, catalog)
    if args.format == "json":
        sys.stdout.write(json.dumps(inference.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        render_text(inference, catalog, sys.stdout)
    return 0
