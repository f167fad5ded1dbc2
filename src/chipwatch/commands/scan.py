"""``chipwatch scan PATH...``: signals of git repositories, at a revision or over history."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "scan"
HELP = "find hardware signals in git repositories (bare or not), at a revision or over history"
DESCRIPTION = (
    "Scan each PATH (a git repository, bare or not) at --rev (default HEAD) by reading git "
    "objects only: nothing is checked out or run. --history also scans every commit "
    "reachable from the revision and reports first/last seen and removals. Results are "
    "cached by (blob id, rule-set hash) under --cache-dir."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="git repositories (bare or with a work tree)")
    p.add_argument("--rev", default=None, help="revision to scan (default: HEAD)")
    p.add_argument("--history", action="store_true", help="also scan every commit reachable from the revision")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table for people, json (JSON Lines, one document per repository) for tools")
    p.add_argument("--cache-dir", type=Path, default=None, help="scan cache (default: $CHIPWATCH_CACHE_DIR or ~/.cache/chipwatch)")
    p.add_argument("--max-file-size", type=int, default=None, metavar="BYTES", help="skip blobs larger than this (default 2 MiB)")
    p.add_argument("--max-evidence", type=int, default=None, metavar="N", help="evidence kept per signal, spread over files (default 50; 0 keeps all; all are counted)")


def scan_to_json(result) -> dict:
    """The JSON contract of ``chipwatch scan --format json`` (see README)."""

    def ev(f):
        return {
            "path": f.path, "line": f.line, "column": f.column, "kind": f.kind, "text": f.text,
            "rule": f.rule, "commit": f.commit, "blob": f.blob, "negated": f.negated,
            "strength": f.strength, "context": f.context,
        }

    return {
        "repository": result.repository,
        "commit": result.commit,
        "committed_at": result.committed_at,
        "ruleset": result.ruleset,
        "history": result.history,
        "signals": [
            {
                "signal": s.signal,
                "at_rev": s.at_rev,
                "negated_only": s.negated_only,
                "evidence_count": s.evidence_count,
                "evidence": [ev(f) for f in s.evidence],
                "first_seen": s.first_seen.to_json() if s.first_seen else None,
                "last_seen": s.last_seen.to_json() if s.last_seen else None,
                "removed_by": s.removed_by.to_json() if s.removed_by else None,
            }
            for s in result.signals
        ],
        "skipped": [{"path": k.path, "reason": k.reason} for k in result.skipped],
        "stats": {
            "files_scanned": result.files_scanned,
            "files_skipped": result.files_skipped,
            "commits_scanned": result.commits_scanned,
            "blobs_scanned": result.blobs_scanned,
            "blobs_cached": result.blobs_cached,
        },
    }


def _print_table(result, out) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, soft_wrap=False, width=max(100, Console(file=out).width))
    console.print(f"[bold]{result.repository}[/] @ {result.commit[:12]} ({result.committed_at})  rules {result.ruleset}")
    by_family: dict[str, list] = {}
    for s in result.signals:
        by_family.setdefault(s.signal.split(".", 1)[0], []).append(s)
    if not by_family:
        console.print("no signals found")
    for family in sorted(by_family):
        t = Table(title=family, title_justify="left", show_lines=False, expand=False)
        t.add_column("signal", no_wrap=True)
        t.add_column("status", no_wrap=True)
        t.add_column("evidence")
        for s in by_family[family]:
            if s.at_rev:
                status = "present"
            elif s.negated_only:
                status = "turned off"
            else:
                status = f"removed {s.removed_by.committed_at[:10]}" if s.removed_by else "history only"
            lines = []
            # Several rules may match one line: show each line once.
            shown = list({(f.path, f.line): f for f in reversed(s.evidence)}.values())[::-1]
            for f in shown[:3]:
                extra = " (negated)" if f.negated else ""
                extra += f" [{f.context}]" if f.context else ""
                extra += " (stored only)" if f.strength == "stored" else ""
                lines.append(f"{f.path}:{f.line} {f.text[:90]}{extra}")
            if s.evidence_count > len(shown[:3]):
                lines.append(f"… {s.evidence_count - len(shown[:3])} more findings")
            if s.first_seen:
                lines.append(f"first seen {s.first_seen.commit[:10]} {s.first_seen.committed_at[:10]}, last seen {s.last_seen.commit[:10]} {s.last_seen.committed_at[:10]}")
            t.add_row(s.signal, status, "\n".join(lines))
        console.print(t)
    reasons: dict[str, int] = {}
    for k in result.skipped:
        reasons[k.reason] = reasons.get(k.reason, 0) + 1
    skipped = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())) or "none"
    console.print(f"{result.files_scanned} files scanned; skipped: {skipped}; blobs scanned {result.blobs_scanned}, from cache {result.blobs_cached}; commits {result.commits_scanned}")


def run(args: argparse.Namespace) -> int:
    from chipwatch.errors import ChipwatchError
    from chipwatch.scanner import ScanCache, ScanOptions, default_cache_dir, scan_repository
    from chipwatch.signatures import load_ruleset

    ruleset = load_ruleset()
    given = {"max_file_bytes": args.max_file_size, "max_evidence": args.max_evidence}
    options = ScanOptions(**{k: v for k, v in given.items() if v is not None})
    cache = ScanCache(args.cache_dir or default_cache_dir())
    failures = 0
    try:
        for path in args.paths:
            try:
                result = scan_repository(path, args.rev, history=args.history, ruleset=ruleset, options=options, cache=cache)
            except ChipwatchError as exc:
                if len(args.paths) == 1:
                    raise
                print(f"chipwatch scan: error: {exc}", file=sys.stderr)
                failures += 1
                continue
            if args.format == "json":
                sys.stdout.write(json.dumps(scan_to_json(result), ensure_ascii=False) + "\n")
            else:
                _print_table(result, sys.stdout)
            sys.stdout.flush()
    finally:
        cache.close()
    return 1 if failures else 0
