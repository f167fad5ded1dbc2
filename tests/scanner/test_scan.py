"""The scanner over real repositories built by the tests."""
from __future__ import annotations

import base64
import json
import subprocess

import pytest

from chipwatch.errors import NotARepository, UnknownRevision
from chipwatch.scanner import ScanOptions, scan_repository
from tests.helpers.gitbuild import GitRepoBuilder, git

TRAIN_V1 = """#!/bin/bash
export NCCL_IB_HCA=mlx5_0,mlx5_1
export NCCL_NET_GDR_LEVEL=2
export NCCL_IB_DISABLE=0
torchrun --nproc_per_node 8 train.py --bf16
"""
TRAIN_V2 = """#!/bin/bash
torchrun --nproc_per_node 8 train.py --bf16
"""


def by_signal(result):
    return {s.signal: s for s in result.signals}


@pytest.fixture()
def training_repo(tmp_path):
    r = GitRepoBuilder(tmp_path / "train")
    c1 = r.commit({"scripts/train.sh": TRAIN_V1, "README.md": "# Hunyuan-like\n"}, date="2023-01-15", message="init")
    c2 = r.commit({"README.md": "# Hunyuan-like\n\n## Finetuning\nIt runs on H20.\n"}, date="2023-03-01")
    c3 = r.commit({"scripts/train.sh": TRAIN_V2}, date="2023-06-01", message="remove network config")
    c4 = r.commit({"README.md": "# Hunyuan-like\n\n## Finetuning\nWe tested on a GPU.\n"}, date="2023-09-01", message="scrub chip")
    return r, (c1, c2, c3, c4)


def test_removed_network_config_and_scrubbed_chip(training_repo, mini_ruleset, cache):
    r, (c1, c2, c3, c4) = training_repo
    res = scan_repository(r.path, history=True, ruleset=mini_ruleset, cache=cache)
    sig = by_signal(res)
    gdr = sig["interconnect.gpudirect_rdma"]
    assert not gdr.at_rev
    assert gdr.first_seen.commit == c1 and gdr.first_seen.committed_at == "2023-01-15T12:00:00Z"
    assert gdr.last_seen.commit == c2
    assert gdr.removed_by.commit == c3
    assert gdr.evidence and gdr.evidence[0].path == "scripts/train.sh" and gdr.evidence[0].line == 3
    assert gdr.evidence[0].commit == c2
    h20 = sig["chip.h20"]
    assert not h20.at_rev and h20.first_seen.commit == c2 and h20.removed_by.commit == c4
    assert h20.evidence[0].context == "finetuning"  # from the heading above the line
    assert res.commits_scanned == 4


def test_scan_at_revision_and_at_older_revision(training_repo, mini_ruleset, cache):
    r, (c1, c2, c3, c4) = training_repo
    now = by_signal(scan_repository(r.path, ruleset=mini_ruleset, cache=cache))
    assert "interconnect.gpudirect_rdma" not in now
    old = scan_repository(r.path, c2, ruleset=mini_ruleset, cache=cache)
    sig = by_signal(old)
    assert old.commit == c2
    assert sig["interconnect.gpudirect_rdma"].at_rev
    ib = sig["interconnect.infiniband"]
    assert ib.at_rev  # NCCL_IB_HCA is use; NCCL_IB_DISABLE=0 is not a negation
    assert sig["chip.h20"].at_rev and sig["chip.h20"].first_seen is None  # no history asked


def test_negated_only_signal_is_not_present(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "neg")
    r.commit({"run.sh": "export NCCL_IB_DISABLE=1\n"})
    sig = by_signal(scan_repository(r.path, ruleset=mini_ruleset, cache=cache))
    ib = sig["interconnect.infiniband"]
    assert not ib.at_rev and ib.negated_only and ib.evidence[0].negated


def test_cache_makes_second_scan_and_history_reuse_blobs(training_repo, mini_ruleset, cache):
    r, _ = training_repo
    first = scan_repository(r.path, history=True, ruleset=mini_ruleset, cache=cache)
    assert first.blobs_scanned == 5  # unique blobs of the whole ancestry, not commits x files
    second = scan_repository(r.path, history=True, ruleset=mini_ruleset, cache=cache)
    assert second.blobs_scanned == 0 and second.blobs_cached >= 2
    assert [s.signal for s in second.signals] == [s.signal for s in first.signals]


def test_out_of_scope_files_are_skipped_with_reasons(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "scope")
    big = b"export NCCL_DEBUG=INFO\n" + b"x" * (50 * 1024 * 1024)
    minified = ("var a=1;" * 140_000 + "NCCL_DEBUG=1;").encode()
    r.commit(
        {
            "third_party/nccl/env.sh": "export NCCL_DEBUG=INFO\n",
            "src/vendor/lib.py": "NCCL_DEBUG=1\n",
            "weights.bin": b"\x00\x01NCCL_DEBUG=1",
            "paper.pdf": b"%PDF-1.4 NCCL_DEBUG=1",
            "tokenizer.json": '{"NCCL_DEBUG=": 1}',
            "data/train.jsonl": '{"text": "NCCL_DEBUG=1"}\n',
            "huge.sh": big,
            "app.min.js": minified,
            "minified.js": minified,
            "LICENSE": "NCCL_DEBUG=1 is not a license\n",
            "latin1.py": b"# caf\xe9\nos.environ['NCCL_DEBUG'] = 'x'\nNCCL_SOCKET_IFNAME=eth0\n",
            "lfs.bin.py": b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n",
        }
    )
    r.symlink("link.sh", "third_party/nccl/env.sh")
    r.submodule_entry("deps/megatron")
    r.commit(message="link and submodule")
    res = scan_repository(r.path, ruleset=mini_ruleset, cache=cache)
    reasons = {s.path: s.reason for s in res.skipped}
    assert reasons["third_party/"] == "vendored"
    assert reasons["src/vendor/"] == "vendored"
    assert reasons["weights.bin"] == "binary"
    assert reasons["paper.pdf"] == "pdf"
    assert reasons["tokenizer.json"] == "tokenizer"
    assert reasons["huge.sh"] == "too-large"
    assert reasons["app.min.js"] == "generated"
    assert reasons["LICENSE"] == "license"
    assert reasons["link.sh"] == "symlink"
    assert reasons["deps/megatron"] == "submodule"
    assert reasons["lfs.bin.py"] == "lfs-pointer"
    ev = by_signal(res)["stack.nccl"].evidence
    paths = {e.path for e in ev}
    assert paths == {"latin1.py", "minified.js"}  # invalid UTF-8 is read, not fatal
    mini = [e for e in ev if e.path == "minified.js"][0]
    assert len(mini.text) <= 240 and mini.line == 1 and mini.column > 1_000_000


def test_notebook_cells_map_to_file_lines_and_outputs_are_ignored(tmp_path, mini_ruleset, cache):
    png = base64.b64encode(b"NCCL_DEBUG=1 H20 " * 200).decode()
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Training\n", "We trained on H20.\n"]},
            {
                "cell_type": "code", "execution_count": 1, "metadata": {},
                "outputs": [{"data": {"image/png": png, "text/plain": ["NCCL_DEBUG=INFO"]}, "output_type": "display_data", "metadata": {}}],
                "source": ["import os\n", "os.environ['NCCL_IB_HCA'] = 'mlx5_0'\n"],
            },
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    text = json.dumps(nb, indent=1)
    r = GitRepoBuilder(tmp_path / "nb")
    r.commit({"demo.ipynb": text})
    res = scan_repository(r.path, ruleset=mini_ruleset, cache=cache)
    sig = by_signal(res)
    lines = text.split("\n")
    nccl = [e for e in sig["interconnect.infiniband"].evidence]
    assert len(nccl) == 1 and nccl[0].kind == "notebook"
    assert "NCCL_IB_HCA" in lines[nccl[0].line - 1]
    h20 = sig["chip.h20"].evidence
    assert len(h20) == 1 and "We trained on H20" in lines[h20[0].line - 1] and h20[0].context == "training"


def test_base64_lookalikes_do_not_match(tmp_path, mini_ruleset, cache):
    blob = "A" * 60 + "h20" + "B" * 60
    r = GitRepoBuilder(tmp_path / "b64")
    r.commit({"notes.md": f"key: {blob}\nsha = 'a3h20f9'\nH200 cluster\n"})
    assert "chip.h20" not in by_signal(scan_repository(r.path, ruleset=mini_ruleset, cache=cache))


def test_partial_clone_without_remote_reports_missing_blobs(tmp_path, mini_ruleset, cache):
    src = GitRepoBuilder(tmp_path / "src")
    src.commit({"small.sh": "export NCCL_DEBUG=INFO\n", "big.sh": "export NCCL_IB_HCA=mlx5\n" + "#" * 5000})
    git(src.path, "config", "uploadpack.allowFilter", "true")
    dest = tmp_path / "partial.git"
    git(tmp_path, "clone", "-q", "--bare", "--filter=blob:limit=1k", f"file://{src.path}", str(dest))
    # A mirror made that way, with no remote left to fetch from.
    git(dest, "remote", "remove", "origin")
    res = scan_repository(dest, ruleset=mini_ruleset, cache=cache)
    reasons = {s.path: s.reason for s in res.skipped}
    assert reasons == {"big.sh": "missing"}
    assert "stack.nccl" in by_signal(res)
    # Still configured as a promisor of an unreachable remote: never fetched lazily.
    dest2 = tmp_path / "partial2.git"
    git(tmp_path, "clone", "-q", "--bare", "--filter=blob:limit=1k", f"file://{src.path}", str(dest2))
    res2 = scan_repository(dest2, ruleset=mini_ruleset, cache=cache)
    assert {s.path: s.reason for s in res2.skipped} == {"big.sh": "missing"}
    assert git(dest2, "rev-list", "--objects", "--missing=print", "HEAD").count("?") == 1


def test_file_cap_and_depth_cap_are_recorded(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "caps")
    files = {f"d/f{i}.py": "x = 1\n" for i in range(30)}
    deep = "/".join(f"l{i}" for i in range(12)) + "/deep.sh"
    files[deep] = "export NCCL_DEBUG=1\n"
    r.commit(files)
    res = scan_repository(r.path, ruleset=mini_ruleset, cache=cache, options=ScanOptions(max_files=10))
    assert "file-cap:10" in [s.reason for s in res.skipped]
    assert res.files_scanned <= 10
    res = scan_repository(r.path, ruleset=mini_ruleset, cache=cache, options=ScanOptions(max_depth=5))
    assert ("l0/l1/l2/l3/l4/l5/", "too-deep") in [(s.path, s.reason) for s in res.skipped]
    assert "stack.nccl" not in by_signal(res)


def test_bare_repository_and_errors(tmp_path, training_repo, mini_ruleset, cache):
    r, (c1, *_rest) = training_repo
    bare = r.bare_clone(tmp_path / "bare.git")
    res = scan_repository(bare, ruleset=mini_ruleset, cache=cache)
    assert res.commit == r.head()
    with pytest.raises(NotARepository):
        scan_repository(tmp_path / "nothing-here", ruleset=mini_ruleset, cache=cache)
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotARepository):
        scan_repository(tmp_path / "plain", ruleset=mini_ruleset, cache=cache)
    with pytest.raises(UnknownRevision):
        scan_repository(r.path, "no-such-branch", ruleset=mini_ruleset, cache=cache)
    with pytest.raises(UnknownRevision):
        scan_repository(r.path, "--output=/tmp/x", ruleset=mini_ruleset, cache=cache)
    empty = GitRepoBuilder(tmp_path / "empty")
    with pytest.raises(UnknownRevision) as exc:
        scan_repository(empty.path, ruleset=mini_ruleset, cache=cache)
    assert exc.value.kind == "empty"


def test_scan_never_runs_hooks_or_checks_out(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "hooks")
    r.commit({"a.sh": "export NCCL_DEBUG=1\n"})
    marker = tmp_path / "hook-ran"
    hook = r.path / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git(r.path, "config", "core.fsmonitor", f"touch {marker}")
    (r.path / "a.sh").unlink()  # the work tree is not what we read
    res = scan_repository(r.path, ruleset=mini_ruleset, cache=cache)
    assert "stack.nccl" in by_signal(res)
    assert not marker.exists() and not (r.path / "a.sh").exists()


def test_history_follows_only_the_revisions_ancestry(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "refs")
    r.commit({"a.py": "x = 1\n"}, date="2023-01-01")
    git(r.path, "checkout", "-q", "-b", "pr-123")
    r.commit({"b.sh": "export NCCL_NET_GDR_LEVEL=5\n"}, date="2023-02-01")
    git(r.path, "checkout", "-q", "main")
    res = scan_repository(r.path, "main", history=True, ruleset=mini_ruleset, cache=cache)
    assert "interconnect.gpudirect_rdma" not in by_signal(res)


def test_extra_documents_are_scanned_with_virtual_paths(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "hf")
    r.commit({"README.md": "model\n"})
    res = scan_repository(r.path, ruleset=mini_ruleset, cache=cache, extra_documents=[("hf-api/config.json", b'{\n  "NCCL_X": 1,\n  "y": "H20 tested"\n}\n')])
    ev = by_signal(res)["chip.h20"].evidence[0]
    assert ev.path == "hf-api/config.json" and ev.line == 3 and ev.kind == "config"


def test_cli_errors_are_one_line(tmp_path):
    out = subprocess.run([".venv/bin/chipwatch", "scan", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "not a git repository" in out.stderr


def test_partial_clone_without_trees(tmp_path, mini_ruleset, cache):
    src = GitRepoBuilder(tmp_path / "src")
    src.commit({"a/b/train.sh": "export NCCL_DEBUG=INFO\n", "top.sh": "export NCCL_IB_HCA=mlx5\n"})
    git(src.path, "config", "uploadpack.allowFilter", "true")
    dest = tmp_path / "treeless.git"
    git(tmp_path, "clone", "-q", "--bare", "--filter=tree:0", f"file://{src.path}", str(dest))
    res = scan_repository(dest, ruleset=mini_ruleset, cache=cache)
    assert {s.reason for s in res.skipped} == {"missing"}
    assert res.files_scanned == 0


def test_evidence_is_a_bounded_diverse_sample_and_all_is_counted(tmp_path, mini_ruleset, cache):
    r = GitRepoBuilder(tmp_path / "many")
    r.commit({f"s{i:02d}.sh": "export NCCL_DEBUG=INFO\nexport NCCL_ALGO=Ring\n" for i in range(40)})
    sig = by_signal(scan_repository(r.path, ruleset=mini_ruleset, cache=cache, options=ScanOptions(max_evidence=30)))["stack.nccl"]
    assert sig.evidence_count == 80 and len(sig.evidence) == 30
    assert len({e.path for e in sig.evidence}) == 30  # one per file before a second from any
    full = by_signal(scan_repository(r.path, ruleset=mini_ruleset, cache=cache, options=ScanOptions(max_evidence=0)))["stack.nccl"]
    assert len(full.evidence) == 80


def test_json_output_contract(training_repo, tmp_path):
    r, (c1, c2, c3, c4) = training_repo
    out = subprocess.run([".venv/bin/chipwatch", "scan", str(r.path), "--history", "--format", "json", "--cache-dir", str(tmp_path / "c")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"repository", "commit", "ruleset", "signals", "skipped"}
    assert doc["commit"] == c4
    gdr = {s["signal"]: s for s in doc["signals"]}["interconnect.gpudirect_rdma"]
    assert gdr["at_rev"] is False and gdr["removed_by"]["commit"] == c3 and gdr["first_seen"]["commit"] == c1
    ev = gdr["evidence"][0]
    assert set(ev) >= {"path", "line", "kind", "text", "rule", "commit", "negated", "context"}
    assert ev["path"] == "scripts/train.sh" and ev["kind"] == "script"
