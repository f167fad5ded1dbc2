"""The plan stage: repositories × ``as_of`` dates → the snapshots a run must compute.

Pure: git resolution is done elsewhere (``chipwatch.pipeline.resolve``) and handed in as
:class:`Resolution` values; what is already published comes in as a set of keys.

* A snapshot is one repository at the last commit on its default branch at or before
  ``as_of``. Several ``as_of`` dates of one run that land on the same commit share one
  :class:`Unit` of work: scanned once, one row per ``as_of``.
* A unit whose (repository, commit, rule-set hash, catalog hash) is already published is
  dropped: a run whose inputs did not change does nothing after discovery.
* Units are cut into batches in a deterministic order, and each batch has an id derived
  from its content, so that a resumed run can tell a published batch from a missing one.
"""
from __future__ import annotations

import calendar
import hashlib
import heapq
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Sequence, TypeVar

from chipwatch.errors import ConfigError
from chipwatch.model import RepoRef

EVERY = ("day", "week", "month", "quarter", "year")
T = TypeVar("T")


# -- dates ---------------------------------------------------------------------------
def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def parse_date(text: str | date, *, end_of_period: bool = False) -> date:
    """``2024-03-15``; ``2024-03`` (first or, with ``end_of_period``, last day); ``2024``."""
    if isinstance(text, date):
        return text
    s = str(text).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            return date.fromisoformat(s)
        if re.fullmatch(r"\d{4}-\d{2}", s):
            y, m = map(int, s.split("-"))
            return date(y, m, calendar.monthrange(y, m)[1] if end_of_period else 1)
        if re.fullmatch(r"\d{4}", s):
            return date(int(s), 12, 31) if end_of_period else date(int(s), 1, 1)
    except ValueError:
        pass
    raise ConfigError(f"not a date: {s!r} (use YYYY-MM-DD, YYYY-MM or YYYY)", subject="as_of")


def _period_end(d: date, every: str) -> date:
    if every == "day":
        return d
    if every == "week":  # Sunday
        return d + timedelta(days=6 - d.weekday())
    if every == "month":
        return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
    if every == "quarter":
        m = ((d.month - 1) // 3 + 1) * 3
        return date(d.year, m, calendar.monthrange(d.year, m)[1])
    return date(d.year, 12, 31)


def as_of_dates(start: str | date, end: str | date | None = None, every: str = "month", *, today: date | None = None) -> list[date]:
    """The ``as_of`` dates of a backfill: the end of every period from ``start`` to
    ``end`` (inclusive), the last one clamped to today (no snapshot of the future)."""
    if every not in EVERY:
        raise ConfigError(f"--every must be one of {', '.join(EVERY)}, not {every!r}", subject="every")
    today = today or today_utc()
    first = parse_date(start)
    last = parse_date(end, end_of_period=True) if end is not None else today
    last = min(last, today)
    if first > last:
        raise ConfigError(f"start {first} is after end {last}", subject="backfill")
    out: list[date] = []
    d = first
    while d <= last:
        pe = min(_period_end(d, every), last)
        if not out or out[-1] != pe:
            out.append(pe)
        d = pe + timedelta(days=1)
    return out


def as_of_timestamp(as_of: date) -> int:
    """The last second of ``as_of`` (UTC): a commit at or before it belongs to the snapshot."""
    end = datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59, tzinfo=timezone.utc)
    return int(end.timestamp())


# -- values --------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolution:
    """What git said about one repository at one ``as_of``.

    ``commit`` None with ``error_kind`` None means the repository had no commit yet at
    ``as_of`` (nothing to snapshot, not a failure); ``error_kind`` set is a failure row.
    """

    repo: RepoRef
    as_of: date
    commit: str | None = None
    committed_at: str | None = None
    error_kind: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Unit:
    """One repository at one commit, with every ``as_of`` of the run that chose it."""

    repo: RepoRef
    commit: str
    committed_at: str | None
    as_ofs: tuple[date, ...]

    @property
    def key(self) -> str:
        return f"{self.repo.key}@{self.commit}"


@dataclass(frozen=True)
class Failure:
    repo: RepoRef
    as_of: date
    error_kind: str
    error_message: str


@dataclass
class Plan:
    units: list[Unit] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    reused: list[Resolution] = field(default_factory=list)  # already published
    not_yet: list[Resolution] = field(default_factory=list)  # no commit at as_of

    def summary(self) -> dict[str, int]:
        return {
            "units": len(self.units),
            "snapshots": sum(len(u.as_ofs) for u in self.units),
            "failures": len(self.failures),
            "reused": len(self.reused),
            "not_yet": len(self.not_yet),
        }


def published_key(platform: str, owner: str, name: str, commit: str, ruleset_hash: str, catalog_hash: str) -> tuple:
    return (platform, owner, name, commit, ruleset_hash, catalog_hash)


def can_use_head(repo: RepoRef, as_of: date, *, today: date | None = None) -> bool:
    """Whether discovery's head commit is the snapshot's commit without asking git:
    only for ``as_of`` today (or later) and a head the source reported."""
    return bool(repo.head_commit) and as_of >= (today or today_utc())


def plan(
    resolutions: Iterable[Resolution],
    published: set[tuple] | frozenset[tuple],
    *,
    ruleset_hash: str,
    catalog_hash: str,
) -> Plan:
    """Group resolutions into units, drop what is published, keep failures as rows."""
    result = Plan()
    grouped: dict[tuple, list[Resolution]] = {}
    for r in resolutions:
        if r.error_kind:
            result.failures.append(Failure(r.repo, r.as_of, r.error_kind, r.error_message or r.error_kind))
        elif not r.commit:
            result.not_yet.append(r)
        elif published_key(r.repo.platform, r.repo.owner, r.repo.name, r.commit, ruleset_hash, catalog_hash) in published:
            result.reused.append(r)
        else:
            grouped.setdefault((r.repo.platform, r.repo.owner, r.repo.name, r.commit), []).append(r)
    for key in sorted(grouped):
        rs = grouped[key]
        committed_at = next((r.committed_at for r in rs if r.committed_at), None)
        as_ofs = tuple(sorted({r.as_of for r in rs}))
        result.units.append(Unit(rs[0].repo, key[3], committed_at, as_ofs))
    result.failures.sort(key=lambda f: (f.repo.key, f.as_of))
    return result


# -- batches -------------------------------------------------------------------------
def batch_id(keys: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Batch:
    id: str
    units: tuple[Unit, ...]


# Each Prefect task run costs ~45 ms of CPU of its own: ~4 ms in the flow's process,
# ~13 ms on the worker and ~30 ms in the API server (its events); measured on trivial
# tasks, see docs/pipeline.md (~0.13 s before flows/dask_runner.py; 4 tasks per worker
# then measured no better than 2). So batches are sized to the work: TASKS_PER_WORKER
# per worker, at most MAX_BATCH units (a bound keeps a killed worker's lost work and a
# batch's memory small). Batches are dealt out evenly (batches()), so two per worker end
# together. No floor above one unit: the task count is already bounded by the workers,
# and a floor of 16 made a short list of big repositories one batch on one worker
# (8 real repositories, 2 workers: 58 s; in 4 batches, 45 s).
MIN_BATCH, MAX_BATCH, TASKS_PER_WORKER = 1, 256, 2


def auto_batch_size(n_units: int, workers: int) -> int:
    """Units per batch for ``n_units`` on ``workers`` workers."""
    want = -(-n_units // max(1, workers * TASKS_PER_WORKER))  # ceiling division
    return max(MIN_BATCH, min(MAX_BATCH, want))


def resolve_chunks(repos: Sequence[T], size: int, workers: int) -> list[list[T]]:
    """``repos`` dealt into the tasks that resolve their commits: at most ``size`` each,
    and at least one per worker when there are few (a repository to resolve is fetched:
    from ~10 ms for a broken one to minutes over the network). One chunk of all the
    broken repositories of a first crawl held one worker for half a second while the
    other scanned alone (500 sample repositories, 2 workers). Dealt round-robin, not cut
    in runs: neighbours in discovery order are alike (one organization's forks, one kind
    of breakage), and cut chunks took 0.5 and 1.0 s at 2,000 repositories."""
    per = max(1, min(size, -(-len(repos) // max(1, workers))))
    n = -(-len(repos) // per)
    return [list(repos[i::n]) for i in range(n)]


def batches(units: Sequence[Unit], size: int) -> list[Batch]:
    """Units cut into batches of at most ``size`` repositories-at-a-commit, of even work.

    All units of one repository stay in one batch (its git cache is opened once), so a
    batch may hold more than ``size`` units when one repository has many commits.
    Repositories are dealt out, most units first, each to the batch with the fewest
    units that has room for it (a new batch when none has): neighbours by name are often
    alike (forks, replicas, broken mirrors of one organization), and batches cut from
    key order were up to twice as long as each other, leaving a worker idle at the end
    of a run. The result depends only on the units, not on their order."""
    if size < 1:
        raise ConfigError("batch size must be at least 1", subject="batch_size")
    by_repo: dict[str, list[Unit]] = {}
    for u in sorted(units, key=lambda u: (u.repo.key, u.commit)):
        by_repo.setdefault(u.repo.key, []).append(u)
    total = sum(len(us) for us in by_repo.values())
    want = -(-total // size)  # ceiling division
    loads: list[tuple[int, int]] = []  # (units, batch index), a heap
    members: list[list[Unit]] = []
    for repo_units in sorted(by_repo.values(), key=lambda us: (-len(us), us[0].repo.key)):
        if len(members) < want:
            heapq.heappush(loads, (len(repo_units), len(members)))
            members.append(list(repo_units))
            continue
        load, i = loads[0]
        if load + len(repo_units) > size and load:
            heapq.heappush(loads, (len(repo_units), len(members)))
            members.append(list(repo_units))
            continue
        heapq.heapreplace(loads, (load + len(repo_units), i))
        members[i].extend(repo_units)
    out = []
    for group in members:
        group.sort(key=lambda u: (u.repo.key, u.commit))
        out.append(Batch(batch_id([u.key for u in group]), tuple(group)))
    return out