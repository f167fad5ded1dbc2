"""Scanning blobs: the cache first, then sizes, then contents, streamed one at a time."""
from __future__ import annotations

from dataclasses import dataclass

from chipwatch.extractors import extract
from chipwatch.extractors.kinds import content_skip_reason
from chipwatch.gitio.objects import GitRepo
from chipwatch.scanner.cache import BlobResult, ScanCache
from chipwatch.signatures import RuleSet

DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
_FLUSH_EVERY = 500


@dataclass
class BlobStats:
    scanned: int = 0
    cached: int = 0
    bytes_scanned: int = 0


def scan_bytes(ruleset: RuleSet, extractor: str, data: bytes) -> BlobResult:
    """Pure: what one blob's bytes give under a rule set."""
    reason = content_skip_reason(data[:8192])
    if reason:
        return BlobResult(reason, len(data))
    extracted = extract(extractor, data)
    if extracted is None:
        return BlobResult("not-extractable", len(data))
    return BlobResult("ok", len(data), tuple(ruleset.find(extracted.text, extracted.linemap, extracted.settings_from)))


def scan_blobs(
    repo: GitRepo,
    keys: list[tuple[str, str]],
    ruleset: RuleSet,
    cache: ScanCache,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    stats: BlobStats | None = None,
    missing: set[str] | frozenset[str] = frozenset(),
) -> dict[tuple[str, str], BlobResult]:
    """Results for each (oid, extractor); each unique blob is read at most once.

    ``missing`` lists blobs known to be absent (a partial clone's filtered blobs): they
    are never asked of git, which would otherwise try to fetch them one at a time.
    """
    stats = stats if stats is not None else BlobStats()
    keys = list(dict.fromkeys(keys))
    results = cache.get_many(ruleset.hash, keys)
    stats.cached += len(results)
    todo = [k for k in keys if k not in results]
    if not todo:
        return results
    # Sizes first, so a huge blob is never piped through.
    oids = list(dict.fromkeys(oid for oid, _ in todo))
    info: dict[str, tuple[str, int]] = {}
    for oid, typ, size, _ in repo.object_info([o for o in oids if o not in missing]):
        info[oid] = (typ, size)
    readable: list[str] = []
    fresh: dict[tuple[str, str], BlobResult] = {}
    extractors_of: dict[str, list[str]] = {}
    for oid, ex in todo:
        extractors_of.setdefault(oid, []).append(ex)
    for oid in oids:
        typ, size = info.get(oid, ("missing", 0))
        if typ == "missing":
            status: str | None = "missing"
        elif typ != "blob":
            status = "not-a-blob"
        elif size > max_file_bytes:
            status = "too-large"
        else:
            status = None
        if status:
            for ex in extractors_of[oid]:
                fresh[(oid, ex)] = BlobResult(status, size if typ != "missing" else None)
        else:
            readable.append(oid)
    for oid, typ, size, data in repo.read_objects(readable):
        for ex in extractors_of[oid]:
            if data is None:
                fresh[(oid, ex)] = BlobResult("missing", None)
                continue
            fresh[(oid, ex)] = scan_bytes(ruleset, ex, data)
            stats.scanned += 1
            stats.bytes_scanned += len(data)
        if len(fresh) >= _FLUSH_EVERY:
            cache.put_many(ruleset.hash, fresh)
            results.update(fresh)
            fresh = {}
    cache.put_many(ruleset.hash, fresh)
    results.update(fresh)
    return results
