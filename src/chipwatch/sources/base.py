"""The Source protocol, the failure value every source yields instead of raising, and
helpers shared by the sources (failure kinds, secret redaction, bounded waits).

A source turns one spec (``github:ORG``, ``hf:AUTHOR`` …) into a stream of
:class:`~chipwatch.model.RepoRef` and :class:`DiscoveryFailure` values. A failure is
about one repository (``repo`` set) or the whole spec (``repo`` None); either way the
crawl goes on and the next run retries.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol, runtime_checkable

from chipwatch.model import RepoRef

# The failure kinds stored in tables; docs/sources.md explains each.
KINDS: frozenset[str] = frozenset(
    {
        "not-found",  # organization, author, repository or branch does not exist (anymore)
        "moved",  # redirected to another owner or host we do not follow
        "empty",  # repository without any commit
        "dmca",  # blocked for legal reasons (HTTP 451) or disabled by the platform
        "rate-limited",  # limit not reset within the allowed wait
        "timeout",  # the server did not answer in time
        "auth",  # bad or missing credentials, or access forbidden
        "corrupt",  # a local repository or cache entry is unreadable
        "truncated",  # a response ended before its end (cut JSON, short body)
        "server",  # 5xx after retries
        "network",  # connection refused, DNS, TLS
        "invalid",  # the platform answered something we cannot use (bad name, bad JSON)
    }
)


@dataclass(frozen=True)
class DiscoveryFailure:
    """One thing a source could not list: a repository, or the whole spec.

    ``ref`` carries what is known of the repository when the failure is about one
    (metadata from a listing whose head commit could not be resolved, for example), so
    the repos table keeps its stars and license next to the error.
    """

    source: str
    repo: str | None
    kind: str
    message: str
    ref: RepoRef | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "repo": self.repo, "kind": self.kind, "message": self.message}


@runtime_checkable
class Source(Protocol):
    """What every source provides. ``spec`` is the string it was made from."""

    spec: str

    def discover(self) -> Iterator[RepoRef | DiscoveryFailure]:
        """List the repositories of this source; never raises for one bad repository."""
        ...


class RetryLater(Exception):
    """A transient failure worth a bounded retry (5xx, timeout, cut response)."""

    def __init__(self, kind: str, message: str, wait: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.wait = wait


class Failed(Exception):
    """A final failure of one request, already classified into a failure kind."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class RetryPolicy:
    """How long a source may wait: per retry, in total, and how often it retries.

    ``max_wait`` bounds one rate-limit wait-out (a reset further away fails the request
    with kind ``rate-limited`` instead, and the next run retries); ``backoff`` is the
    first pause after a 5xx or timeout, doubled each retry.
    """

    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 900.0
    sleep: Callable[[float], None] = time.sleep

    def run(self, attempt: Callable[[], Any]) -> Any:
        """Call ``attempt`` until it returns, retrying :class:`RetryLater` (bounded)."""
        pause = self.backoff
        for n in range(self.retries + 1):
            try:
                return attempt()
            except RetryLater as exc:
                if n == self.retries:
                    raise Failed(exc.kind, f"{exc} (gave up after {self.retries + 1} attempts)") from None
                wait = exc.wait if exc.wait is not None else pause
                if wait > self.max_wait:
                    raise Failed(exc.kind, f"{exc}; would have to wait {wait:.0f} s, more than max_wait={self.max_wait:.0f} s") from None
                self.sleep(max(wait, 0.0))
                pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover


_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(authorization\s*[:=]\s*['\"]?)(?:(?:token|bearer|basic)\s+)?[^\s'\",}]+"), r"\1***"),
    (re.compile(r"(?i)\b((?:token|bearer)\s+)[A-Za-z0-9_\-\.]{8,}"), r"\1***"),
    (re.compile(r"(?<=://)[^/@\s]+@"), "***@"),  # user:password@ in URLs
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|hf_[A-Za-z0-9]{20,})\b"), "***"),
]


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with the given secrets and anything token-shaped replaced by ``***``."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    for pat, repl in _SECRET_PATTERNS:
        text = pat.sub(repl, text)
    return text


def short(text: str, limit: int = 300) -> str:
    """One line, bounded: error messages end up in table cells."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
