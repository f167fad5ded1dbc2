"""The nouns of chipwatch, as frozen dataclasses shared by every stage.

One word per concept (see design.md): a *signal* is an id of signals.md, a *signature*
is a rule that detects one, a *finding* is one match (a row of *evidence*), a
*candidate* is a chip that inference has not ruled out.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FileKind = Literal["code", "config", "script", "doc", "notebook", "data"]
Context = Literal["training", "finetuning", "inference", "benchmark", "unknown"]

CONTEXTS: tuple[str, ...] = ("training", "finetuning", "inference", "benchmark", "unknown")
FILE_KINDS: tuple[str, ...] = ("code", "config", "script", "doc", "notebook", "data")


@dataclass(frozen=True)
class RepoRef:
    """A repository on a platform, as a source discovered it.

    ``platform`` is one of ``github``, ``hf``, ``git``, ``mirror``, ``sample``, ``local``;
    ``url`` is what git can fetch from (or a local path); ``metadata`` holds what the
    platform said of it (stars, license, archived, config …) as plain JSON values.
    """

    platform: str
    owner: str
    name: str
    url: str
    default_branch: str | None = None
    head_commit: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.owner}/{self.name}"


@dataclass(frozen=True)
class BlobRef:
    """One file of a tree: its path, blob id, size in bytes, git mode and kind."""

    path: str
    oid: str
    size_bytes: int | None
    mode: str
    kind: str


@dataclass(frozen=True)
class Skipped:
    """A path left out of a scan, with the reason (``binary``, ``vendored``, ``missing`` …)."""

    path: str
    reason: str
    oid: str | None = None


@dataclass(frozen=True)
class Finding:
    """One match of one signature in one blob.

    ``line`` and ``column`` are 1-based and refer to the original file (notebook cells
    map back to the .ipynb's own lines). ``text`` is the matched line, bounded.
    ``negated`` marks a feature turned off (it never makes a signal present);
    ``strength`` is ``"used"`` unless the rule says the form is weaker (``"stored"``);
    ``context`` is set for chip mentions only.
    """

    rule: str
    signal: str
    path: str
    line: int
    column: int
    text: str
    kind: str
    blob: str
    negated: bool = False
    context: str | None = None
    strength: str = "used"
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CommitRef:
    commit: str
    committed_at: str  # ISO 8601, UTC

    def to_json(self) -> dict[str, str]:
        return {"commit": self.commit, "committed_at": self.committed_at}


@dataclass(frozen=True)
class SignalReport:
    """A signal of one scan: present at the revision or only in history.

    ``removed_by`` is the commit whose tree first lacked the signal after ``last_seen``
    (only when the signal is not present at the revision).
    """

    signal: str
    at_rev: bool
    evidence: tuple[Finding, ...]
    first_seen: CommitRef | None = None
    last_seen: CommitRef | None = None
    removed_by: CommitRef | None = None
    negated_only: bool = False
    # All findings of the signal at the revision (``evidence`` keeps a bounded sample).
    evidence_count: int = 0


@dataclass(frozen=True)
class ScanResult:
    """The scan of one repository at one revision (optionally with its history)."""

    repository: str
    commit: str
    committed_at: str | None
    ruleset: str
    signals: tuple[SignalReport, ...]
    skipped: tuple[Skipped, ...]
    files_scanned: int
    files_skipped: int
    history: bool = False
    commits_scanned: int = 1
    blobs_scanned: int = 0
    blobs_cached: int = 0

    def present(self) -> set[str]:
        return {s.signal for s in self.signals if s.at_rev}

    def findings(self) -> list[Finding]:
        return [f for s in self.signals for f in s.evidence]


@dataclass(frozen=True)
class EvidenceRef:
    """A finding as an inference step cites it: which signal, where, and the line."""

    signal: str
    path: str
    line: int
    text: str
    kind: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Step:
    """One elimination step: the evidence it relied on, the chips it kept and ruled out
    (catalog ids, all vendors), and a sentence a reader can check against the evidence.
    ``contradictions`` name evidence the step could not apply without ruling out every
    candidate of a vendor (it then keeps them all)."""

    step: str
    because: tuple[EvidenceRef, ...]
    kept: tuple[str, ...]
    eliminated: tuple[str, ...]
    sentence: str
    contradictions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "because": [e.to_json() for e in self.because],
            "kept": list(self.kept),
            "eliminated": list(self.eliminated),
            "sentence": self.sentence,
            "contradictions": list(self.contradictions),
        }


@dataclass(frozen=True)
class ExplicitChip:
    """A chip named in the repository. ``chip`` is the catalog id when the mention picks
    one variant, else the model name (``a100``) with the variants in ``variants``.
    ``candidate`` says whether the inference still keeps it (None: its vendor is not
    claimed by any stack); ``export_status`` is per rule id (controlled, not_controlled,
    unknown, or mixed when its variants differ)."""

    chip: str
    signal: str
    vendor: str
    variants: tuple[str, ...]
    context: str
    weight: float
    path: str
    line: int
    text: str
    kind: str
    candidate: bool | None
    export_status: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["variants"] = list(self.variants)
        return out


@dataclass(frozen=True)
class Inference:
    """The hardware inference of one snapshot (the ``hardware`` table's row, and the
    JSON contract of ``chipwatch explain``; see docs/inference.md)."""

    repository: str
    commit: str
    ruleset: str
    catalog_hash: str
    vendors: tuple[str, ...]
    domestic: tuple[str, ...]
    min_nvidia_arch: str | None
    max_nvidia_arch: str | None
    datacenter: bool | None
    candidates: dict[str, tuple[str, ...]] = field(compare=False, hash=False)
    explicit_chips: tuple[ExplicitChip, ...] = ()
    export_status: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    export_status_by_vendor: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)
    export_detail: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict, compare=False, hash=False)
    confidence: float = 0.0
    confidence_terms: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    steps: tuple[Step, ...] = ()
    history_only: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "commit": self.commit,
            "ruleset": self.ruleset,
            "catalog_hash": self.catalog_hash,
            "vendors": list(self.vendors),
            "domestic": list(self.domestic),
            "min_nvidia_arch": self.min_nvidia_arch,
            "max_nvidia_arch": self.max_nvidia_arch,
            "datacenter": self.datacenter,
            "candidates": {v: list(c) for v, c in self.candidates.items()},
            "explicit_chips": [e.to_json() for e in self.explicit_chips],
            "export_status": dict(self.export_status),
            "export_status_by_vendor": {v: dict(s) for v, s in self.export_status_by_vendor.items()},
            "export_detail": {r: {c: dict(d) for c, d in chips.items()} for r, chips in self.export_detail.items()},
            "confidence": self.confidence,
            "confidence_terms": dict(self.confidence_terms),
            "steps": [s.to_json() for s in self.steps],
            "history_only": list(self.history_only),
        }
