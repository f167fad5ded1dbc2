"""Scan results built by hand, for unit tests of the inference steps."""
from __future__ import annotations

from chipwatch.model import Finding, ScanResult, SignalReport


def finding(signal: str, path: str = "train.sh", line: int = 1, text: str = "", *, kind: str = "script",
            negated: bool = False, context: str | None = None, strength: str = "used") -> Finding:
    return Finding(
        rule=f"test.{signal}", signal=signal, path=path, line=line, column=1, text=text or signal,
        kind=kind, blob="0" * 40, negated=negated, context=context, strength=strength,
    )


def scan(*findings: Finding, history: tuple[str, ...] = ()) -> ScanResult:
    """A scan whose signals are present at the revision with these findings (a signal
    whose findings are all negated is ``negated_only``), plus history-only signals."""
    by_signal: dict[str, list[Finding]] = {}
    for f in findings:
        by_signal.setdefault(f.signal, []).append(f)
    reports = [
        SignalReport(signal=s, at_rev=True, evidence=tuple(fs), negated_only=all(f.negated for f in fs))
        for s, fs in by_signal.items()
    ]
    reports += [
        SignalReport(signal=s, at_rev=False, evidence=(finding(s, "old.sh"),)) for s in history
    ]
    return ScanResult(
        repository="local:test/repo", commit="c" * 40, committed_at="2024-01-01T00:00:00Z",
        ruleset="test", signals=tuple(reports), skipped=(), files_scanned=len(findings), files_skipped=0,
    )
