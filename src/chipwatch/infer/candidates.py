"""Candidate sets: per vendor, the catalog chips not ruled out (catalog order).

Vendors never intersect: each step narrows each vendor's set on its own, and a step
that would empty a vendor's set leaves it whole and reports a contradiction instead.
"""
from __future__ import annotations

from typing import Callable

from chipwatch.catalog import Catalog, Chip
from chipwatch.model import EvidenceRef, Step

Candidates = dict[str, tuple[str, ...]]


def all_ids(candidates: Candidates) -> tuple[str, ...]:
    return tuple(c for ids in candidates.values() for c in ids)


def narrow(
    candidates: Candidates,
    catalog: Catalog,
    vendors: set[str] | None,
    fails: Callable[[Chip], bool],
) -> tuple[Candidates, list[str], list[str]]:
    """Drop the chips ``fails`` says cannot be, in the given vendors (None: all).

    Returns the new candidates, the ids ruled out, and the vendors left untouched
    because every one of their candidates would have gone (contradictions)."""
    out: Candidates = {}
    eliminated: list[str] = []
    contradicted: list[str] = []
    for vendor, ids in candidates.items():
        if vendors is not None and vendor not in vendors:
            out[vendor] = ids
            continue
        kept = tuple(c for c in ids if not fails(catalog.chip(c)))
        if ids and not kept:
            contradicted.append(vendor)
            out[vendor] = ids
            continue
        eliminated.extend(c for c in ids if c not in kept)
        out[vendor] = kept
    return out, eliminated, contradicted


def step(
    name: str,
    after: Candidates,
    eliminated: list[str],
    because: tuple[EvidenceRef, ...],
    sentence: str,
    contradictions: list[str] | None = None,
) -> Step:
    return Step(
        step=name,
        because=because,
        kept=all_ids(after),
        eliminated=tuple(dict.fromkeys(eliminated)),
        sentence=sentence,
        contradictions=tuple(contradictions or ()),
    )


def listing(ids: list[str] | tuple[str, ...], limit: int = 12) -> str:
    ids = list(dict.fromkeys(ids))
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
