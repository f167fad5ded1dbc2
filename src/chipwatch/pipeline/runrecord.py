"""What a run must remember to be resumed under the same run id: its kind, its as_of
dates and its start time (the repos and runs partitions depend on it).

Kept in the warehouse beside the data, under ``_runs/<run_id>.json`` (readers skip
folders starting with ``_``), so a run started on one machine resumes on another.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from chipwatch.errors import ConfigError
from chipwatch.tables.context import new_run_id, utcnow

FOLDER = "_runs"


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    kind: str
    as_ofs: tuple[date, ...]
    started_at: datetime
    resumed: bool = False

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "kind": self.kind, "as_ofs": [d.isoformat() for d in self.as_ofs],
                "started_at": self.started_at.isoformat()}


def _path(loc, run_id: str) -> str:
    from chipwatch.storage.partitions import safe_name

    return loc.path(FOLDER, f"{safe_name(run_id)}.json")


def start_or_resume(warehouse, *, kind: str, as_ofs: list[date] | None, run_id: str | None,
                    default_as_ofs: list[date] | None = None) -> RunRecord:
    """A new run (a fresh id unless given), or the run ``run_id`` as first started.

    Resuming keeps the first start's ``as_of`` dates; asking a run id for other dates or
    another kind is a ConfigError rather than a silent mix of two runs."""
    loc = warehouse.loc
    if run_id:
        path = _path(loc, run_id)
        if loc.fs.exists(path):
            doc = json.loads(loc.fs.cat_file(path))
            rec = RunRecord(doc["run_id"], doc["kind"], tuple(date.fromisoformat(d) for d in doc["as_ofs"]),
                            datetime.fromisoformat(doc["started_at"]), resumed=True)
            if rec.kind != kind:
                raise ConfigError(f"run {run_id} is a {rec.kind}, not a {kind}", subject="run_id")
            if as_ofs is not None and tuple(as_ofs) != rec.as_ofs:
                raise ConfigError(
                    f"run {run_id} was started for as_of {', '.join(d.isoformat() for d in rec.as_ofs)}; "
                    "resume it without --as-of/--start/--end or use a new run id", subject="run_id")
            return rec
    as_ofs = as_ofs if as_ofs is not None else default_as_ofs
    if not as_ofs:
        raise ConfigError("a new run needs its as_of dates", subject="as_of")
    rec = RunRecord(run_id or new_run_id(), kind, tuple(as_ofs), utcnow())
    loc.fs.makedirs(loc.path(FOLDER), exist_ok=True)
    loc.fs.pipe_file(_path(loc, rec.run_id), json.dumps(rec.to_json(), indent=1).encode())
    return rec
