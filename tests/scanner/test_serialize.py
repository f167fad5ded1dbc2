"""The snapshot cache's documents: a cached scan is the scan, field for field."""
import json
from dataclasses import asdict, fields

from chipwatch.model import Finding
from chipwatch.scanner import ScanCache, scan_repository
from chipwatch.scanner.serialize import result_from_doc, result_to_doc
from tests.helpers.gitbuild import GitRepoBuilder


def test_a_scan_survives_the_snapshot_cache_unchanged(tmp_path):
    b = GitRepoBuilder(tmp_path / "r")
    b.commit({"train.sh": "export NCCL_IB_HCA=mlx5_0\nexport NCCL_NET_GDR_LEVEL=2\n",
              "README.md": "Tested on H20 GPUs for inference.\n",
              "ds.json": '{"bf16": {"enabled": false}, "zero_optimization": {"stage": 3}}\n'}, date="2023-01-15")
    b.commit({"train.sh": None, "run.py": "model.to(torch.bfloat16)\n"}, date="2023-06-01")
    cache = ScanCache(tmp_path / "cache")
    fresh = scan_repository(b.path, history=True, cache=cache, repository="r")
    assert any(s.removed_by for s in fresh.signals) and any(e.negated for s in fresh.signals for e in s.evidence)
    assert any(e.context for s in fresh.signals for e in s.evidence)
    doc = json.loads(json.dumps(result_to_doc(fresh)))  # what the cache stores and reads
    # the document as dataclasses.asdict gave it (caches written before read the same),
    # key order included
    before = asdict(fresh)
    for s in before["signals"]:
        s["evidence"] = [[e[f.name] for f in fields(Finding)] for e in s["evidence"]]
    before["skipped"] = [[k["path"], k["reason"], k["oid"]] for k in before["skipped"]]
    assert json.dumps(result_to_doc(fresh)) == json.dumps(before)
    assert result_from_doc(doc, repository="r") == fresh
    again = scan_repository(b.path, history=True, cache=cache, repository="r")
    assert again.signals == fresh.signals and again.skipped == fresh.skipped
    assert [hash(e) for s in again.signals for e in s.evidence] == [hash(e) for s in fresh.signals for e in s.evidence]


def test_small_and_large_snapshot_documents_read_back(tmp_path):
    """Small documents are stored raw, large ones compressed; both read back."""
    from chipwatch.scanner import cache as C

    c = ScanCache(tmp_path / "c")
    small = {"signals": [], "text": "x" * 10}
    large = {"signals": [], "text": "é" * (C._RAW_SNAPSHOT_BYTES + 1)}
    c.put_snapshot("s", small)
    c.put_snapshot("l", large)
    raw = dict(c._db.execute("SELECT key, payload FROM snapshots").fetchall())
    assert bytes(raw["s"])[:1] == b"{" and bytes(raw["l"])[:1] != b"{"
    assert c.get_snapshot("s") == small and c.get_snapshot("l") == large and c.get_snapshot("none") is None


def test_a_scan_is_the_same_whichever_reader_reads_the_objects(tmp_path, monkeypatch):
    """libgit2 in process or git's own reader (CHIPWATCH_GIT_READER=git): the same scan,
    history included, signal for signal."""
    from chipwatch.gitio.objects import READER_SETTING

    b = GitRepoBuilder(tmp_path / "r")
    b.commit({"train.sh": "export NCCL_IB_HCA=mlx5_0\n", "nb.ipynb": '{"cells": []}\n',
              "ds.json": '{"bf16": {"enabled": true}}\n'}, date="2023-01-15")
    b.commit({"train.sh": None, "README.md": "Tested on H20 and Ascend 910B.\n",
              "big.bin": "\0" * 70_000}, date="2023-06-01")
    scans = {}
    for reader in ("libgit2", "git"):
        monkeypatch.setenv(READER_SETTING, reader)
        scans[reader] = scan_repository(b.path, history=True, cache=ScanCache(tmp_path / reader), repository="r")
    assert scans["libgit2"] == scans["git"]
    assert scans["git"].signals and any(s.removed_by for s in scans["git"].signals)
