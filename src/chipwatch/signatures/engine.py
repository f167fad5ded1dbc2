"""Linear-time multi-pattern matching of every rule at once.

Hyperscan (an automaton engine) scans a blob for all patterns of all rules in one pass
and reports where matches end; RE2 then confirms each match on its line and locates its
start. Where Hyperscan has no wheel, an RE2 set finds which patterns occur and RE2
locates them. Both are linear in the input, so an adversarial file cannot make a scan
backtrack. Line-level qualifiers (negated, exclude_lines, stored_lines) are RE2 patterns
run on the matched line only.

Hyperscan runs without start-of-match tracking (HS_FLAG_SOM_LEFTMOST): the python
wheel's SOM engine crashes the process on inputs as plain as ``'a' * 300`` against
``a+b`` (measured with hyperscan 0.9.1; see tests/signatures/test_engine_safety.py), and
leaving start offsets to RE2 on one line is cheaper anyway.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import re2

from chipwatch.errors import RuleError
from chipwatch.signatures.rules import Rule

try:  # pragma: no cover - depends on the platform's wheels
    import hyperscan

    HAVE_HYPERSCAN = True
except ImportError:  # pragma: no cover
    hyperscan = None
    HAVE_HYPERSCAN = False

# Past this many raw matches in one blob the blob is adversarial or generated: stop.
MAX_RAW_MATCHES = 20_000


def _db_cache_path(exprs: list[bytes], flags: list[int]):
    """Compiling ~900 patterns takes seconds; a compiled database is cached on disk by a
    hash of the patterns, flags, Hyperscan version and machine (it is CPU-specific)."""
    import hashlib
    import platform

    from chipwatch.cachedir import default_cache_dir

    h = hashlib.sha256(f"{hyperscan.__version__}|{platform.machine()}|{platform.processor()}".encode())
    for e, f in zip(exprs, flags):
        h.update(e + b"\0" + str(f).encode() + b"\n")
    try:
        root = default_cache_dir() / "hyperscan"
    except Exception:  # no usable cache directory: compile every time
        return None
    return root / f"{h.hexdigest()[:32]}.db"


def _store(path, data: bytes) -> None:
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs the compile time


def _re2_options(case_sensitive: bool) -> re2.Options:
    opts = re2.Options()
    opts.case_sensitive = case_sensitive
    opts.log_errors = False
    opts.max_mem = 64 << 20
    return opts


def compile_re2(pattern: str, case_sensitive: bool, *, multiline: bool = True):
    """Compile a pattern with RE2 (bytes), multi-line; raises re2.error."""
    prefix = "(?m)" if multiline else ""
    return re2.compile((prefix + pattern).encode("utf-8"), _re2_options(case_sensitive))


@dataclass(frozen=True)
class PatternRef:
    rule_index: int
    pattern: str


class Matcher:
    """All patterns of a rule set, compiled once; ``scan(data)`` yields raw matches."""

    def __init__(self, rules: list[Rule], *, engine: str | None = None):
        self.rules = rules
        self.refs: list[PatternRef] = []
        for i, rule in enumerate(rules):
            for p in rule.patterns:
                self.refs.append(PatternRef(i, p))
        self.engine = engine or ("hyperscan" if HAVE_HYPERSCAN else "re2")
        # RE2 compiles of every pattern: validation for both engines, and the locator
        # of the RE2 engine.
        self._re2: list = []
        for ref in self.refs:
            rule = rules[ref.rule_index]
            try:
                self._re2.append(compile_re2(ref.pattern, rule.case_sensitive))
            except re2.error as exc:
                raise RuleError(
                    f"pattern {ref.pattern!r} does not compile under RE2 ({exc}); "
                    "use no look-around or back-references",
                    subject=f"{rule.source}: rule {rule.id}",
                ) from None
        self._local = threading.local()
        if self.engine == "hyperscan":
            if not HAVE_HYPERSCAN:
                raise RuleError("the hyperscan engine was asked for but is not installed")
            self._hs_db = self._compile_hyperscan()
        else:
            self._set = self._compile_set()

    # -- compilation -------------------------------------------------------------------
    def _hs_flags(self, rule: Rule) -> int:
        flags = hyperscan.HS_FLAG_MULTILINE
        if not rule.case_sensitive:
            flags |= hyperscan.HS_FLAG_CASELESS
        return flags

    def _compile_hyperscan(self):
        exprs = [r.pattern.encode("utf-8") for r in self.refs]
        flags = [self._hs_flags(self.rules[r.rule_index]) for r in self.refs]
        cached = _db_cache_path(exprs, flags)
        if cached is not None and cached.exists():
            try:
                return hyperscan.loadb(cached.read_bytes(), hyperscan.HS_MODE_BLOCK)
            except (hyperscan.error, OSError, TypeError):
                pass  # stale or damaged: compile again below
        db = hyperscan.Database()
        try:
            db.compile(expressions=exprs, ids=list(range(len(exprs))), flags=flags)
        except hyperscan.error:
            # Find the offender to name it; compiling one by one is only the error path.
            for ref, expr, flag in zip(self.refs, exprs, flags):
                one = hyperscan.Database()
                try:
                    one.compile(expressions=[expr], ids=[0], flags=[flag])
                except hyperscan.error as exc:
                    rule = self.rules[ref.rule_index]
                    raise RuleError(
                        f"pattern {ref.pattern!r} is not accepted by Hyperscan ({exc}); "
                        "patterns must be automaton-compatible (no look-around, "
                        "back-references or unbounded start-of-match ambiguity)",
                        subject=f"{rule.source}: rule {rule.id}",
                    ) from None
            raise
        if cached is not None:
            _store(cached, hyperscan.dumpb(db))
        return db

    def _compile_set(self):
        # One set per case mode, since RE2 set options are per set.
        sets = {}
        for cs in (False, True):
            idx = [i for i, r in enumerate(self.refs) if self.rules[r.rule_index].case_sensitive == cs]
            if not idx:
                continue
            s = re2.Set.SearchSet(_re2_options(cs))
            for i in idx:
                s.Add(("(?m)" + self.refs[i].pattern).encode("utf-8"))
            s.Compile()
            sets[cs] = (s, idx)
        return sets

    # -- scanning ----------------------------------------------------------------------
    def scan(self, data: bytes) -> list[tuple[int, int]]:
        """(pattern index, offset of the match's last byte), in no particular order."""
        if self.engine == "hyperscan":
            return self._scan_hyperscan(data)
        return self._scan_re2(data)

    def _scan_hyperscan(self, data: bytes) -> list[tuple[int, int]]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self._hs_db)
            self._local.scratch = scratch
        out: list[tuple[int, int]] = []
        append = out.append

        def on_match(pid: int, start: int, end: int, flags: int, ctx) -> bool:
            append((pid, end - 1))
            return len(out) >= MAX_RAW_MATCHES

        try:
            self._hs_db.scan(data, match_event_handler=on_match, scratch=scratch)
        except hyperscan.ScanTerminated:
            pass
        return out

    def _scan_re2(self, data: bytes) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for s, idx in self._set.values():
            for local in s.Match(data) or ():
                pid = idx[local]
                for m in self._re2[pid].finditer(data):
                    out.append((pid, max(m.start(), m.end() - 1)))
                    if len(out) >= MAX_RAW_MATCHES:
                        return out
        return out

    def locate(self, pattern_index: int, line: bytes) -> int | None:
        """Byte offset of the pattern's first match within one line, or None."""
        m = self._re2[pattern_index].search(line)
        return None if m is None else m.start()
