"""The git cache: real partial clones and incremental fetches over git http-backend."""
from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
from pathlib import Path

from chipwatch.gitio.cache import RepoCache, slug
from chipwatch.model import RepoRef
from tests.helpers.gitbuild import GitRepoBuilder
from tests.servers.fixtures import git_server  # noqa: F401  (fixture)


def objects(git_dir: Path, rev: str = "HEAD") -> tuple[set[str], set[str]]:
    """(paths present, ids missing) without ever fetching."""
    out = subprocess.run(["git", "--git-dir", str(git_dir), "-c", "protocol.allow=never", "rev-list", "--objects",
                          "--missing=print", rev], capture_output=True, text=True, check=True).stdout.splitlines()
    return {ln.split(" ", 1)[1] for ln in out if " " in ln}, {ln[1:] for ln in out if ln.startswith("?")}


def served_repo(git_server, tmp_path, name="acme/model") -> tuple[GitRepoBuilder, RepoRef]:
    b = GitRepoBuilder(tmp_path / "work" / name)
    b.commit({"train.py": "import torch\n" * 50, "vocab.txt": os.urandom(10_000).hex(), "weights.bin": os.urandom(200_000)},
             date="2023-01-15")
    url = git_server.add(name, b)
    owner, repo = name.split("/")
    return b, RepoRef("git", owner, repo, url, "main", b.head())


def ref_at(ref: RepoRef, head: str | None) -> RepoRef:
    return RepoRef(ref.platform, ref.owner, ref.name, ref.url, ref.default_branch, head, ref.metadata)


def test_partial_clone_leaves_big_blobs_out_and_no_worktree(git_server, tmp_path):
    b, ref = served_repo(git_server, tmp_path)
    res = RepoCache(tmp_path / "cache", blob_limit="100k").fetch(ref)
    assert res.ok and res.action == "clone" and res.head_commit == ref.head_commit
    assert 0 < res.bytes_transferred < 50_000 and res.seconds > 0
    present, missing = objects(res.path)
    assert "train.py" in present and "weights.bin" not in present and len(missing) == 1
    assert not (res.path / "train.py").exists() and (res.path / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert not list((tmp_path / "cache" / "tmp").iterdir())


def test_incremental_fetch_transfers_only_the_new_commit(git_server, tmp_path):
    b, ref = served_repo(git_server, tmp_path)
    cache = RepoCache(tmp_path / "cache", blob_limit="100k")
    first = cache.fetch(ref)
    old = b.head()
    new = b.commit({"new.py": "import torch_npu\n" + "x = 1\n" * 300}, date="2023-02-01")
    own_size = len(subprocess.run(["git", "-C", str(b.path), "pack-objects", "--revs", "--stdout"],
                                  input=f"{new}\n^{old}\n".encode(), capture_output=True, check=True).stdout)
    git_server.reset_counters()
    second = cache.fetch(ref_at(ref, new))
    assert second.ok and second.action == "fetch" and second.head_commit == new
    assert second.bytes_transferred <= own_size + 200 and second.bytes_transferred * 10 < first.bytes_transferred
    assert objects(second.path)[0] >= {"new.py", "train.py"}

    git_server.reset_counters()
    third = cache.fetch(ref_at(ref, new))
    assert third.action == "fresh" and third.bytes_transferred == 0 and git_server.calls == 0


def test_tags_only_when_asked(git_server, tmp_path):
    b, ref = served_repo(git_server, tmp_path)
    subprocess.run(["git", "-C", str(b.path), "tag", "v1.0"], check=True)
    plain = RepoCache(tmp_path / "a").fetch(ref)
    tagged = RepoCache(tmp_path / "b", include_tags=True).fetch(ref)
    tags = lambda p: subprocess.run(["git", "--git-dir", str(p), "tag"], capture_output=True, text=True).stdout.split()  # noqa: E731
    assert tags(plain.path) == [] and tags(tagged.path) == ["v1.0"]


def test_failed_fetch_keeps_previous_state(git_server, tmp_path):
    b, ref = served_repo(git_server, tmp_path)
    cache = RepoCache(tmp_path / "cache", timeout=1.5)
    first = cache.fetch(ref)
    new = b.commit({"more.py": "y\n"})
    git_server.slow(r"git-upload-pack", 4, times=None)
    res = cache.fetch(ref_at(ref, new))
    assert res.error_kind == "timeout" and res.path == first.path and res.head_commit == first.head_commit
    git_server.clear_faults()
    git_server.fail(r"info/refs", 404, times=None)
    res = cache.fetch(ref_at(ref, new))
    assert res.error_kind == "not-found" and res.path == first.path
    git_server.clear_faults()
    assert cache.fetch(ref_at(ref, new)).head_commit == new  # the next run retries


def test_corrupt_entry_is_detected_and_recloned(git_server, tmp_path):
    b, ref = served_repo(git_server, tmp_path)
    cache = RepoCache(tmp_path / "cache")
    first = cache.fetch(ref)
    for pack in (first.path / "objects" / "pack").iterdir():
        pack.write_bytes(b"garbage")
    new = b.commit({"c.py": "z\n"})
    res = cache.fetch(ref_at(ref, new))
    assert res.ok and res.action == "clone" and res.head_commit == new
    shutil.rmtree(res.path / "objects")
    again = cache.fetch(ref_at(ref, new))
    assert again.ok and again.action == "clone"


def test_hooks_in_an_entry_never_run(git_server, tmp_path):
    b, ref = served_repo(git_server, tmp_path)
    cache = RepoCache(tmp_path / "cache")
    entry = cache.fetch(ref).path
    marker = tmp_path / "pwned"
    for hook in ("reference-transaction", "post-merge", "fsmonitor-watchman"):
        (entry / "hooks").mkdir(exist_ok=True)
        (entry / "hooks" / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (entry / "hooks" / hook).chmod(0o755)
    new = b.commit({"d.py": "q\n"})
    assert cache.fetch(ref_at(ref, new)).head_commit == new
    assert not marker.exists()


def _fetch_in_process(root: str, ref: RepoRef, queue) -> None:
    queue.put(RepoCache(root).fetch(ref).action)


def test_two_processes_never_double_fetch(git_server, tmp_path):
    _, ref = served_repo(git_server, tmp_path)
    git_server.latency = 0.3  # make the first clone slow so the second one waits on the lock
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_fetch_in_process, args=(str(tmp_path / "cache"), ref, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert sorted(queue.get(timeout=5) for _ in procs) == ["clone", "fresh"]
    assert git_server.by_route["info/refs"] == 1


def test_eviction_keeps_the_cache_within_budget(git_server, tmp_path):
    refs = []
    for i in range(4):
        _, ref = served_repo(git_server, tmp_path, f"acme/r{i}")
        refs.append(ref)
    probe = RepoCache(tmp_path / "probe", blob_limit="100k")
    one = probe.fetch(refs[0])
    size = probe.usage()
    cache = RepoCache(tmp_path / "cache", blob_limit="100k", max_bytes=int(size * 2.5))
    results = [cache.fetch(r) for r in refs]
    assert all(r.ok for r in results) and one.ok
    assert cache.usage() <= size * 2.5
    assert not results[0].path.exists() and results[-1].path.exists()


def test_odd_names_and_local_mirrors(git_server, tmp_path):
    b, ref = served_repo(git_server, tmp_path)
    odd = RepoRef("git", "ac me/../..", "na\u00efve\nname", ref.url, "main", ref.head_commit)
    cache = RepoCache(tmp_path / "cache")
    res = cache.fetch(odd)
    assert res.ok and res.path.parent == tmp_path / "cache" / "repos" / "git" and "/" not in slug(odd)
    mirror = RepoRef("mirror", "acme", "model", str(b.path / ".git"), "main", b.head(), {"local": True})
    local = cache.fetch(mirror)
    assert local.action == "local" and local.path == b.path / ".git" and local.bytes_transferred == 0
    bad = cache.fetch(RepoRef("git", "x", "y", f"{git_server.url}/nope/nope", "main", None))
    assert bad.error_kind == "not-found" and bad.path is None
    bad_branch = cache.fetch(RepoRef("git", "x", "z", ref.url, "--upload-pack=touch /tmp/x", None))
    assert bad_branch.error_kind == "invalid"
