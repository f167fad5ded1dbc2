"""Charts as PNG bytes, with matplotlib's Agg canvas (no pyplot, no display, no global
backend switch). Each function takes a frame of ``chipwatch.report.frames`` and returns
the PNG, or None when the frame has nothing to draw — the report then says so instead
of showing an empty chart."""
from __future__ import annotations

import io
import math
from typing import Mapping

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from chipwatch.report.frames import ALL, DOMESTIC_ANY
from chipwatch.report.style import CONTEXT_COLORS, CONTEXTS, EXPORT_STATUSES, STATUS_COLORS, STATUS_LABELS, label

DPI = 110
MAX_PANELS = 12


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _time_axis(ax) -> None:
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(True, axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def panels_for(frame: pd.DataFrame, limit: int = MAX_PANELS) -> list[str]:
    """The organizations a small-multiples chart shows: all organizations first, then
    those where any series was ever above zero, highest peak share first (at most
    ``limit`` panels in all)."""
    if frame.empty:
        return []
    peak = frame[frame["organization"] != ALL].groupby("organization")["share"].max()
    orgs = [o for o in peak.sort_values(ascending=False, kind="stable").index if peak[o] > 0]
    return [ALL, *orgs][:limit]


def share_panels(frame: pd.DataFrame, colors: Mapping[str, str], *, title: str) -> bytes | None:
    """Small multiples: one panel per organization, one line per signal, share of
    repositories (%) by month."""
    orgs = panels_for(frame)
    if not orgs:
        return None
    cols = min(3, len(orgs))
    rows = math.ceil(len(orgs) / cols)
    fig = Figure(figsize=(4.6 * cols, 3.1 * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    handles: dict[str, object] = {}
    for ax, org in zip(axes.flat, orgs):
        g = frame[frame["organization"] == org]
        # "any domestic" first, wide and pale, so the stacks drawn over it stay visible;
        # a series that is zero throughout this panel is left out of it (not of the legend).
        for sig, s in sorted(g.groupby("signal_id", sort=False), key=lambda kv: kv[0] != DOMESTIC_ANY):
            if not (s["share"] > 0).any():
                continue
            s = s.sort_values("month")
            wide = sig == DOMESTIC_ANY
            (line,) = ax.plot(s["month"], s["share"], color=colors.get(sig, "#777777"), linewidth=3.2 if wide else 1.8,
                              alpha=0.45 if wide else 1.0, linestyle="--" if wide else "-",
                              marker="o" if len(s) < 4 else None, markersize=4)
            handles.setdefault(sig, line)
        scanned = int(g.sort_values("month")["repos_scanned"].iloc[-1])
        ax.set_title(f"{org}  (n = {scanned} in the last month)", fontsize=10, loc="left")
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        _time_axis(ax)
    for ax in list(axes.flat)[len(orgs):]:
        ax.set_visible(False)
    axes[0][0].set_ylabel("share of repositories")
    fig.suptitle(title, fontsize=12, x=0.01, ha="left")
    order = [s for s in frame["signal_id"].unique() if s in handles]
    fig.legend([handles[s] for s in order], [label(s) for s in order], loc="outside lower center",
               ncol=min(5, len(handles)), frameon=False, fontsize=9)
    return _png(fig)


def export_areas(frame: pd.DataFrame, *, title: str) -> bytes | None:
    """One panel per export rule version: repositories by status of their candidate
    set, stacked, by month."""
    if frame.empty:
        return None
    rules = sorted(frame["rule"].unique())
    fig = Figure(figsize=(4.6 * len(rules), 3.6), layout="constrained")
    axes = fig.subplots(1, len(rules), squeeze=False, sharey=True)[0]
    for ax, rule in zip(axes, rules):
        wide = (frame[frame["rule"] == rule].pivot_table(index="month", columns="status", values="repos", aggfunc="sum")
                .reindex(columns=list(EXPORT_STATUSES)).fillna(0))
        ax.stackplot(wide.index, [wide[s] for s in EXPORT_STATUSES], colors=[STATUS_COLORS[s] for s in EXPORT_STATUSES],
                     labels=[STATUS_LABELS[s] for s in EXPORT_STATUSES], alpha=0.9)
        if len(wide) < 2:  # a single month: an area has no width, draw its stack as a bar
            ax.bar(wide.index, [wide[s].iloc[0] for s in EXPORT_STATUSES], width=20,
                   bottom=wide.iloc[0].cumsum().shift(fill_value=0).tolist(), color=[STATUS_COLORS[s] for s in EXPORT_STATUSES])
        ax.set_title(f"rule {rule}", fontsize=10, loc="left")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _time_axis(ax)
    axes[0].set_ylabel("repositories")
    fig.suptitle(title, fontsize=12, x=0.01, ha="left")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False, fontsize=9)
    return _png(fig)


def mention_bars(frame: pd.DataFrame, *, title: str) -> bytes | None:
    """Horizontal bars: repositories naming each chip, per organization, stacked by the
    context of the mention."""
    if frame.empty:
        return None
    wide = (frame.pivot_table(index=["organization", "chip"], columns="context", values="repos", aggfunc="sum")
            .reindex(columns=list(CONTEXTS)).fillna(0))
    wide = wide.iloc[::-1]  # first organization at the top
    names = [f"{org} · {chip}" for org, chip in wide.index]
    fig = Figure(figsize=(8.5, 0.32 * len(names) + 1.6), layout="constrained")
    ax = fig.subplots()
    left = [0.0] * len(names)
    for ctx in CONTEXTS:
        values = wide[ctx].tolist()
        if any(values):
            ax.barh(names, values, left=left, color=CONTEXT_COLORS[ctx], label=ctx, height=0.7)
        left = [a + b for a, b in zip(left, values)]
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("repositories naming the chip in their latest snapshot, per context")
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(True, axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.suptitle(title, fontsize=12, x=0.01, ha="left")
    fig.legend(loc="outside lower center", ncol=5, frameon=False, fontsize=9)
    return _png(fig)
