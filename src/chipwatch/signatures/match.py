"""Turn raw matches in one text into findings: line, column, bounded text, and the
line-level qualifiers (excluded, negated, stored, context).

The result depends only on the bytes (and the extractor that produced them), never on
the path, so it can be cached by (blob id, extractor, rule-set hash); file scopes are
applied afterwards, per path.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import starmap
from operator import attrgetter
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from chipwatch.signatures import RuleSet

# Bounds on what one finding stores.
MAX_TEXT_CHARS = 240
MAX_FINDINGS_PER_RULE = 25
# A match whose surroundings are a long run of base64/hex alphabet is encoded data.
ENCODED_WINDOW = 48
ENCODED_MIN_LINE = 100
_ENCODED_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")


@dataclass(frozen=True)
class RawFinding:
    """A finding before it is placed at a path: what the cache stores."""

    rule: str
    line: int
    column: int
    text: str
    negated: bool
    context: str | None
    strength: str

    def to_row(self) -> tuple:
        return _row(self)

    @classmethod
    def from_row(cls, row: Sequence) -> "RawFinding":
        return cls(*row)


# A row is the fields in declaration order (what from_row takes back), read in C: the
# scan cache stores hundreds of thousands of findings in a long history.
_row = attrgetter(*(f.name for f in fields(RawFinding)))


def finding_rows(findings: Iterable[RawFinding]) -> list[tuple]:
    """The rows of many findings (no Python call per finding)."""
    return list(map(_row, findings))


def findings_from_rows(rows: Iterable[Sequence]) -> tuple[RawFinding, ...]:
    return tuple(starmap(RawFinding, rows))


def _looks_encoded(data: bytes, line_start: int, line_end: int, start: int, end: int) -> bool:
    if line_end - line_start < ENCODED_MIN_LINE:
        return False
    lo = max(line_start, start - ENCODED_WINDOW)
    hi = min(line_end, end + ENCODED_WINDOW)
    if hi - lo < ENCODED_MIN_LINE // 2:
        return False
    window = data[lo:hi]
    return all(b in _ENCODED_BYTES for b in window)


def _bounded_line(data: bytes, line_start: int, line_end: int, start: int) -> str:
    """The matched line, or a window of it that shows the match when it is long."""
    if line_end - line_start <= MAX_TEXT_CHARS:
        raw = data[line_start:line_end]
    else:
        lo = max(line_start, start - MAX_TEXT_CHARS // 3)
        raw = data[lo : min(line_end, lo + MAX_TEXT_CHARS * 2)]
    text = raw.decode("utf-8", errors="replace").strip()
    if len(text) > MAX_TEXT_CHARS:
        text = text[: MAX_TEXT_CHARS - 1] + "…"
    return text


def find(
    ruleset: "RuleSet", data: bytes, linemap: Sequence[int] | None = None, settings_from: int | None = None
) -> list[RawFinding]:
    """Every finding of every rule in ``data``.

    ``linemap[i]`` is the original line number of line ``i + 1`` of ``data`` when the text
    was extracted from a structured file (notebooks); otherwise lines are ``data``'s own.
    Lines from ``settings_from`` on are flattened config settings (see
    extractors/structured.py): only ``settings`` rules match there, and only there.
    """
    matcher = ruleset.matcher
    raw = matcher.scan(data)
    if not raw:
        return []
    raw.sort(key=lambda m: m[1])
    rules = ruleset.rules
    refs = matcher.refs
    out: list[RawFinding] = []
    seen: set[tuple[int, int]] = set()
    per_rule: dict[int, int] = {}
    line_no = 1
    pos = 0
    line_cache: dict[int, tuple[int, int]] = {}
    for pid, offset in raw:
        line_no += data.count(b"\n", pos, offset)
        pos = offset
        ri = refs[pid].rule_index
        is_setting = settings_from is not None and line_no >= settings_from
        if is_setting != rules[ri].settings:
            continue
        # Deduplicate on the file's line: a flattened config setting maps to the line of
        # its value, which the raw text may already have matched.
        line = linemap[line_no - 1] if linemap is not None and line_no - 1 < len(linemap) else line_no
        key = (ri, line)
        if key in seen or per_rule.get(ri, 0) >= MAX_FINDINGS_PER_RULE:
            continue
        seen.add(key)
        bounds = line_cache.get(line_no)
        if bounds is None:
            ls = data.rfind(b"\n", 0, offset) + 1
            le = data.find(b"\n", offset)
            bounds = (ls, len(data) if le < 0 else le)
            line_cache[line_no] = bounds
        ls, le = bounds
        # Very long lines are examined in a window around the match.
        win_lo = ls if le - ls <= 8192 else max(ls, offset - 4096)
        win_hi = le if le - ls <= 8192 else min(le, offset + 4096)
        line_bytes = data[win_lo:win_hi]
        rel = matcher.locate(pid, line_bytes)
        if rel is None:
            continue  # the match spans lines: rules are line-oriented (docs/rules.md)
        start = win_lo + rel
        if _looks_encoded(data, ls, le, start, offset + 1):
            continue
        rule = rules[ri]
        q = ruleset.qualifiers[ri]
        if q.excluded(line_bytes):
            continue
        negated = q.is_negated(line_bytes)
        strength = "stored" if q.is_stored(line_bytes) else "used"
        text = _bounded_line(data, ls, le, start)
        context = None
        if rule.context:
            context = ruleset.contexts.classify(line_bytes[:4000].decode("utf-8", "replace"), _lines_before(data, ls))
        column = len(data[ls:start].decode("utf-8", errors="replace")) + 1
        per_rule[ri] = per_rule.get(ri, 0) + 1
        out.append(RawFinding(rule.id, line, column, text, negated, context, strength))
    return out


def _lines_before(data: bytes, line_start: int, limit: int = 40) -> list[str]:
    """Up to ``limit`` lines above the one starting at ``line_start``, in file order."""
    before: list[str] = []
    cur = line_start
    while cur > 0 and len(before) < limit:
        prev = data.rfind(b"\n", 0, cur - 1) + 1
        before.append(data[prev : cur - 1][:2000].decode("utf-8", "replace"))
        cur = prev
    before.reverse()
    return before
