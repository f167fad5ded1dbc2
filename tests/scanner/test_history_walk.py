"""The history walk decides what an entry is once per (path prefix, entry) and lists each
(tree, prefix) once: these cases would go wrong if either memo forgot the path."""
from __future__ import annotations

import sqlite3

import pytest

from chipwatch.errors import GitError
from chipwatch.gitio import GitRepo
from chipwatch.scanner import ScanCache, ScanOptions, scan_repository
from chipwatch.scanner.cache import SCHEMA_VERSION, BlobResult
from chipwatch.scanner.tree import TreeReader
from chipwatch.signatures.match import RawFinding
from tests.helpers.gitbuild import GitRepoBuilder

NCCL = "export NCCL_DEBUG=INFO\n"


def by_signal(result):
    return {s.signal: s for s in result.signals}


def test_one_subtree_under_two_prefixes_is_classified_per_prefix(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "r")
    # The same "env" tree (same oid) under datasets/ (out of scope) and docs/ (in scope).
    c1 = r.commit({"datasets/env/notes.txt": NCCL, "docs/env/notes.txt": NCCL}, date="2023-01-01")
    c2 = r.commit({"docs/env/notes.txt": None}, date="2023-02-01")
    r.commit({"docs/other.txt": "nothing here\n"}, date="2023-03-01")
    res = scan_repository(r.path, history=True, ruleset=mini_ruleset, cache=cache)
    nccl = by_signal(res)["stack.nccl"]
    assert not nccl.at_rev
    assert nccl.first_seen.commit == c1 and nccl.last_seen.commit == c1 and nccl.removed_by.commit == c2
    assert [e.path for e in nccl.evidence] == ["docs/env/notes.txt"]
    assert ("datasets/env/notes.txt", "dataset") in [(s.path, s.reason) for s in res.skipped]


def test_history_respects_the_depth_cap(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "deep")
    r.commit({"a/b/deep.sh": NCCL, "a/gdr.sh": "NCCL_NET_GDR_LEVEL: 2\n"}, date="2023-01-01")
    r.commit({"a/gdr.sh": None, "a/b/deep.sh": None, "x.py": "x = 1\n"}, date="2023-02-01")
    res = scan_repository(r.path, history=True, ruleset=mini_ruleset, cache=cache, options=ScanOptions(max_depth=1))
    sig = by_signal(res)
    assert "stack.nccl" not in sig  # a/b/ is below the cap in every commit
    assert sig["interconnect.gpudirect_rdma"].first_seen is not None


def test_an_entry_that_changes_mode_is_classified_again(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "mode")
    line = NCCL.strip()
    c1 = r.commit({"run.sh": line}, date="2023-01-01")
    r.write("run.sh", None)
    r.symlink("run.sh", line)  # same name and blob (the link's target), now a symlink: out of scope
    c2 = r.commit(date="2023-02-01")
    res = scan_repository(r.path, history=True, ruleset=mini_ruleset, cache=cache)
    nccl = by_signal(res)["stack.nccl"]
    assert nccl.first_seen.commit == c1 and nccl.removed_by.commit == c2 and not nccl.at_rev


def test_tree_entries_raw_and_decoded(tmp_path):
    r = GitRepoBuilder(tmp_path / "t")
    r.commit({"a file.sh": NCCL, "sub dir/x.py": "x = 1\n"})
    repo = GitRepo(r.path)
    root = repo.commit_info(repo.resolve()).tree
    reader = TreeReader(repo)
    reader.ensure([root])
    rows = reader.rows(root)
    assert [(m, n) for m, n, _ in rows] == [("100644", "a file.sh"), ("40000", "sub dir")]
    assert [reader.decode(e) for e in reader.entries(root)] == rows
    assert [tuple(e) for e in repo.read_trees([root])[root]] == rows
    # Object ids may hold spaces and NULs: an entry ends after exactly hash_bytes bytes.
    odd = b" " * 20, b"\x00" * 19 + b"\x01"
    data = b"100644 a b\x00" + odd[0] + b"40000 c\x00" + odd[1]
    assert repo.split_tree(data) == [b"100644 a b\x00" + odd[0], b"40000 c\x00" + odd[1]]
    assert repo.parse_tree_rows(data) == [("100644", "a b", "20" * 20), ("40000", "c", "00" * 19 + "01")]
    assert repo.parse_tree(data)[1].is_tree
    for bad in (data[:-1], data + b"1", b"100644 no-nul"):
        with pytest.raises(GitError):
            repo.split_tree(bad)
        with pytest.raises(GitError):
            repo.parse_tree_rows(bad)
    assert repo.split_tree(b"") == [] and repo.parse_tree_rows(b"") == []


def test_cache_rows_roundtrip_and_blobs_without_findings_store_no_json(tmp_path):
    found = (
        RawFinding("stack.nccl.env-var", 3, 5, 'export NCCL_DEBUG=1  # "训练", \\ \t', False, None, "used"),
        RawFinding("chip.h20", 9, 1, "On H20.", True, "finetuning", "stored"),
    )
    items = {
        ("a" * 40, "text"): BlobResult("ok", 10, found),
        ("b" * 40, "text"): BlobResult("ok", 20),
        ("c" * 40, "yaml1"): BlobResult("binary", 30),
    }
    c = ScanCache(tmp_path)
    c.put_many("rs1", items)
    c.close()
    again = ScanCache(tmp_path)
    assert again.get_many("rs1", list(items)) == items
    again.close()
    assert again.path.name == f"scan-cache-v{SCHEMA_VERSION}.sqlite"
    db = sqlite3.connect(again.path)
    rows = dict(db.execute("SELECT oid, findings FROM blobs"))
    db.close()
    assert rows["b" * 40] is None and rows["c" * 40] is None and rows["a" * 40].startswith("[[")
