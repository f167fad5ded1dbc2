"""The text form of an inference, read like the paper's figures: each step, the evidence
with path:line, what it ruled out, what is left — then the summary."""
from __future__ import annotations

from typing import IO

from chipwatch.catalog import Catalog
from chipwatch.model import Inference

_STATUS_STYLE = {
    "all_controlled": "red", "controlled": "red", "none_controlled": "green", "not_controlled": "green",
    "mixed": "yellow", "unknown": "dim",
}


def _by_vendor(ids: tuple[str, ...] | list[str], catalog: Catalog, *, counts: bool = False) -> str:
    """Chip ids grouped by vendor; with ``counts``, only how many per vendor."""
    groups: dict[str, list[str]] = {}
    for c in ids:
        groups.setdefault(catalog.chip(c).vendor, []).append(c)
    if counts:
        return ", ".join(f"{v} ({len(cs)})" for v, cs in groups.items())
    return "; ".join(f"{v}: {', '.join(cs)}" for v, cs in groups.items())


def render_text(inference: Inference, catalog: Catalog, out: IO[str], *, width: int | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, width=width or max(100, Console(file=out).width), soft_wrap=False, highlight=False)
    console.print(f"[bold]{escape(inference.repository)}[/] @ {inference.commit[:12]}  "
                  f"rules {inference.ruleset}  catalog {inference.catalog_hash}")
    for n, s in enumerate(inference.steps, 1):
        console.print(f"\n[bold]{n}. {s.step}[/]")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=13, no_wrap=True, justify="right")
        grid.add_column(overflow="fold")
        grid.add_row("", escape(s.sentence))
        for e in s.because:
            grid.add_row("[cyan]evidence[/]", f"[cyan]{escape(e.path)}:{e.line}[/]  {escape(e.text.strip()[:100])}  [dim]({e.signal})[/]")
        if s.eliminated:
            grid.add_row("[red]ruled out[/]", escape(_by_vendor(s.eliminated, catalog, counts=s.step == "vendor")))
        for c in s.contradictions:
            grid.add_row("[yellow]contradiction[/]", escape(c))
        if s.step != "explicit":
            left = _by_vendor(s.kept, catalog) or "(no candidates)"
            grid.add_row("[green]left[/]", escape(left) if s.eliminated or n == 1 else "unchanged")
        console.print(grid)

    console.print()
    summary = Table(show_header=False, box=None, pad_edge=False)
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column()
    dc = {True: "yes", False: "no", None: "unknown"}[inference.datacenter]
    summary.add_row("vendors", ", ".join(inference.vendors) or "none claimed")
    summary.add_row("domestic stacks", ", ".join(inference.domestic) or "none")
    summary.add_row("NVIDIA architecture", f"{inference.min_nvidia_arch or '?'} … {inference.max_nvidia_arch or '?'}")
    summary.add_row("data-center", dc)
    for vendor, ids in inference.candidates.items():
        summary.add_row(f"candidates ({vendor})", ", ".join(ids) or "none in the catalog")
    for e in inference.explicit_chips:
        state = {True: "candidate", False: "ruled out", None: "vendor not claimed"}[e.candidate]
        status = ", ".join(f"{r} {s}" for r, s in e.export_status.items())
        summary.add_row(f"named: {escape(e.chip)}", escape(f"{e.context} at {e.path}:{e.line} ({state}); {status}"))
    for rule, status in inference.export_status.items():
        summary.add_row(f"export {rule}", f"[{_STATUS_STYLE.get(status, '')}]{status}[/]")
    terms = ", ".join(f"{k} {v:+g}" for k, v in inference.confidence_terms.items())
    summary.add_row("confidence", f"{inference.confidence:.2f}  ({terms})")
    if inference.history_only:
        summary.add_row("history only", ", ".join(inference.history_only) + " (not used)")
    console.print(summary)
