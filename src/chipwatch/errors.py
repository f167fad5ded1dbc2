"""One error family. Each error names the repository, path or rule it is about, so the
command line can print it as one clear line and the tables can store it as a reason."""
from __future__ import annotations


class ChipwatchError(Exception):
    """Base of every error chipwatch raises on purpose.

    ``kind`` is a short machine-readable reason stored in tables (``not-found``,
    ``rate-limited``, ``corrupt`` …); ``subject`` names what the error is about.
    """

    kind: str = "error"

    def __init__(self, message: str, *, subject: str | None = None, kind: str | None = None):
        super().__init__(message)
        self.subject = subject
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{self.subject}: {msg}" if self.subject else msg


class RuleError(ChipwatchError):
    """A rule file is invalid: names the file, the rule and the fix."""

    kind = "rule-invalid"


class CatalogError(ChipwatchError):
    """The chip catalog or an export rule file is invalid."""

    kind = "catalog-invalid"


class GitError(ChipwatchError):
    """A git repository could not be read (not a repository, unknown revision, corrupt)."""

    kind = "git"


class NotARepository(GitError):
    kind = "not-a-repository"


class UnknownRevision(GitError):
    kind = "unknown-revision"


class SourceError(ChipwatchError):
    """A source (GitHub, Hugging Face, a remote, a mirror) failed for one repository or org."""

    kind = "source"


class FetchError(ChipwatchError):
    kind = "fetch"


class ConfigError(ChipwatchError):
    """A watch list or setting is invalid."""

    kind = "config"


class ServiceError(ChipwatchError):
    """A service the run depends on (its own Prefect API server) did not start."""

    kind = "service"


class WarehouseError(ChipwatchError):
    kind = "warehouse"


class ValidationFailed(ChipwatchError):
    """A batch failed its Great Expectations suite and was quarantined."""

    kind = "validation-failed"
