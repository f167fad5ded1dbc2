"""What every row carries: the run id and the hashes of the rule set and chip catalog."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_run_id(now: datetime | None = None) -> str:
    """A sortable run id: UTC start time plus a random suffix (``20261129T031500Z-3fa2c1``)."""
    now = (now or utcnow()).astimezone(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class RunContext:
    """The run a batch of rows belongs to.

    ``started_at`` decides the repos table's ``run_date`` partition and the runs table's
    ``run_month``; reruns of a run must reuse its ``run_id`` and ``started_at`` so they
    replace the same partitions.
    """

    run_id: str
    ruleset_hash: str
    catalog_hash: str
    started_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        for name in ("run_id", "ruleset_hash", "catalog_hash"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"RunContext.{name} must be a non-empty string, got {value!r}")
        if self.started_at.tzinfo is None:
            object.__setattr__(self, "started_at", self.started_at.replace(tzinfo=timezone.utc))

    def stamp(self) -> dict[str, str]:
        return {"run_id": self.run_id, "ruleset_hash": self.ruleset_hash, "catalog_hash": self.catalog_hash}
