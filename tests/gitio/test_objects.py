"""GitRepo: objects read in process by libgit2, or by one long-lived git reader per
repository, exactly as git reads them."""
import subprocess

import pytest

from chipwatch.errors import GitError, NotARepository, UnknownRevision
from chipwatch.gitio.objects import READER_SETTING, GitRepo
from tests.helpers.gitbuild import GitRepoBuilder, git


@pytest.fixture(params=["libgit2", "git"])
def reader(request, monkeypatch):
    """Each test that takes it runs with both object readers."""
    monkeypatch.setenv(READER_SETTING, request.param)
    return request.param


@pytest.fixture()
def git_reader(monkeypatch):
    """git's own reader (for what is about its process)."""
    monkeypatch.setenv(READER_SETTING, "git")


@pytest.fixture()
def built(tmp_path):
    b = GitRepoBuilder(tmp_path / "work")
    c1 = b.commit({"a.txt": "one\n", "d/b.txt": "two\n"}, date="2023-01-15")
    c2 = b.commit({"a.txt": "three\n"}, date="2023-06-01", message="edit")
    return b, c1, c2


def _children(pid: int, git_dir) -> list[str]:
    """This process's cat-file readers of ``git_dir`` (other tests may hold their own)."""
    out = subprocess.run(["ps", "-ww", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "cat-file" in line and f"--git-dir={git_dir} " in line]


def test_resolve_and_commit_info_agree_with_git(built, reader):
    b, c1, c2 = built
    with GitRepo(b.path) as repo:
        assert repo.resolve() == c2 == repo.resolve("main") == repo.resolve("refs/heads/main")
        assert repo.resolve("HEAD~1") == c1 == repo.resolve(c1[:10])
        info = repo.commit_info(c2)
        assert info.tree == git(b.path, "rev-parse", f"{c2}^{{tree}}")
        assert info.parents == (c1,)
        assert info.timestamp == int(git(b.path, "log", "-1", "--format=%ct", c2))
        assert [c.sha for c in repo.commits(c2)] == [c2, c1]
        assert info == repo.commits(c2, limit=1)[0]


def test_bad_revisions_are_one_clear_error(built, reader):
    b, _, _ = built
    with GitRepo(b.path) as repo:
        for rev in ("nope", "--output=/tmp/x", "HEAD\ninfo HEAD", "1" * 40):
            with pytest.raises(UnknownRevision):
                repo.resolve(rev)
        with pytest.raises(UnknownRevision):
            repo.commit_info("2" * 40)
        with pytest.raises(GitError):
            list(repo.read_objects(["HEAD\ncontents HEAD"]))
        assert repo.resolve() == b.head()  # the reader is still in step after the errors


def test_one_reader_serves_every_batch_and_stops_with_close(built, git_reader):
    b, c1, c2 = built
    repo = GitRepo(b.path)
    tree = repo.commit_info(c2).tree
    blobs = [e.oid for e in repo.read_trees([tree])[tree] if not e.is_tree]
    for _ in range(3):
        assert [t for _, t, _, _ in repo.object_info(blobs + ["0" * 40])] == ["blob"] * len(blobs) + ["missing"]
        assert [d for _, _, _, d in repo.read_objects(blobs)] == [b"three\n"]
    assert len(_children(subprocess.os.getpid(), repo.git_dir)) == 1
    repo.close()
    assert _children(subprocess.os.getpid(), repo.git_dir) == []


def test_a_batch_abandoned_midway_does_not_shift_the_next_answers(built, reader):
    b, c1, c2 = built
    with GitRepo(b.path) as repo:
        t1, t2 = repo.commit_info(c1).tree, repo.commit_info(c2).tree
        reads = repo.read_objects([t1, t2, c1, c2])
        next(reads)
        reads.close()  # three answers never read
        assert [o for o, _, _, _ in repo.object_info([c2, c1])] == [c2, c1]
        # a nested read while a batch is open gets its own reader
        outer = repo.read_objects([c1, c2])
        assert next(outer)[0] == c1
        assert [o for o, _, _, _ in repo.object_info([t2])] == [t2]
        assert next(outer)[0] == c2
        outer.close()


def test_bare_and_non_bare_and_not_a_repository(built, tmp_path, reader):
    b, _, c2 = built
    bare = b.bare_clone(tmp_path / "bare.git")
    with GitRepo(bare) as repo, GitRepo(b.path) as work:
        assert repo.git_dir == bare.resolve() and work.git_dir == (b.path / ".git").resolve()
        assert repo.resolve() == work.resolve() == c2
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "HEAD").write_text("not a ref\n")
    with pytest.raises(NotARepository):
        GitRepo(tmp_path / "plain")
    with pytest.raises(NotARepository):
        GitRepo(tmp_path / "missing")


def test_sha256_repository_is_read_through_rev_parse(tmp_path, reader):
    path = tmp_path / "s256"
    path.mkdir()
    git(path, "init", "-q", "--object-format=sha256", "-b", "main")
    (path / "f.txt").write_text("x\n")
    git(path, "add", "f.txt")
    git(path, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "m")
    with GitRepo(path) as repo:
        assert repo.hash_bytes == 32
        sha = repo.resolve()
        tree = repo.commit_info(sha).tree
        assert [e.name for e in repo.read_trees([tree])[tree]] == ["f.txt"]


def test_an_old_git_is_one_clear_error(built, monkeypatch, git_reader):
    from chipwatch.gitio import objects

    monkeypatch.setattr(objects, "git_version", lambda: (2, 30, 1))
    repo = GitRepo(built[0].path)
    assert repo.resolve() == built[2]  # read without git: an old git does not matter yet
    with pytest.raises(GitError, match=r"git 2\.36 or newer is needed .*this is git 2\.30\.1"):
        repo.commit_info(built[2])  # the first read that needs git


def test_a_repository_dropped_without_close_ends_its_reader(built, git_reader):
    import gc

    b, _, c2 = built
    repo = GitRepo(b.path)
    repo.commit_info(c2)
    git_dir = repo.git_dir
    assert len(_children(subprocess.os.getpid(), git_dir)) == 1
    del repo
    gc.collect()
    assert _children(subprocess.os.getpid(), git_dir) == []


def _rev_list(path, tip, *extra):
    out = git(path, "rev-list", "--topo-order", *extra, tip)
    return out.split() if out else []


@pytest.fixture()
def merges(tmp_path):
    """Branches merged back and forth: a criss-cross, an octopus, a side branch whose
    commits are dated before the main line's, and the same parent named twice."""
    b = GitRepoBuilder(tmp_path / "merges")
    b.commit({"a": "0"}, date="2023-01-01")
    for name in ("x", "y", "z"):
        git(b.path, "branch", name)
    for i, name in enumerate(("x", "y", "z")):
        git(b.path, "checkout", "-q", name)
        b.commit({name: "1"}, date=f"2022-0{i + 1}-01")  # older than the root: dates are not the order
        b.commit({name: "2"}, date=f"2023-0{i + 2}-01")
    git(b.path, "checkout", "-q", "main")
    b.commit({"a": "1"}, date="2023-05-01")
    env = {"GIT_AUTHOR_DATE": "2023-06-01T12:00:00+00:00", "GIT_COMMITTER_DATE": "2023-06-01T12:00:00+00:00"}
    git(b.path, "merge", "-q", "--no-ff", "-m", "octopus", "x", "y", "z", env=env)
    git(b.path, "checkout", "-q", "x")
    git(b.path, "merge", "-q", "--no-ff", "-m", "criss", "main", env=env)
    git(b.path, "checkout", "-q", "main")
    b.commit({"a": "2"}, date="2023-07-01")
    git(b.path, "merge", "-q", "--no-ff", "-m", "cross", "x", env=env)
    head = b.head()
    tree = git(b.path, "rev-parse", "HEAD^{tree}")
    twice = git(b.path, "commit-tree", tree, "-p", head, "-p", head, "-m", "same parent twice", env=env)
    git(b.path, "update-ref", "refs/heads/main", twice)
    return b


def test_small_histories_are_walked_in_gits_topo_order(merges, monkeypatch, reader):
    b = merges
    tips = git(b.path, "rev-list", "--all").split()
    with GitRepo(b.path) as repo:
        # no rev-list process: every commit's history comes through the one reader
        real_run = subprocess.run
        monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail(f"git started: {a[0]}"))
        walked = {tip: [c.sha for c in repo.commits(tip)] for tip in tips}
        limited = [c.sha for c in repo.commits(tips[0], limit=4)]
        monkeypatch.setattr(subprocess, "run", real_run)
        for tip in tips:
            assert walked[tip] == _rev_list(b.path, tip), tip
        assert limited == _rev_list(b.path, tips[0], "--max-count=4")
        # the same CommitInfo as rev-list gives
        assert repo.commits(tips[0]) == repo.commits(tips[0], before=2**40)


def test_long_or_rewritten_histories_are_left_to_rev_list(merges, reader):
    b = merges
    head = b.head()
    with GitRepo(b.path) as repo:
        assert repo._walk_commits(head, 3) is None  # longer than the cap
        assert [c.sha for c in repo._walk_commits(head, 100)] == _rev_list(b.path, head)
        # grafts (and a shallow file) change the parents git sees, not the objects
        (repo.git_dir / "info").mkdir(exist_ok=True)
        (repo.git_dir / "info" / "grafts").write_text(f"{head}\n")  # head without parents
        assert repo._walk_commits(head, 100) is None
        assert [c.sha for c in repo.commits(head)] == [head] == _rev_list(b.path, head)


def _all_objects(path) -> list[str]:
    return git(path, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()


def test_libgit2_reads_every_object_as_git_does(merges, monkeypatch):
    b = merges
    b.commit({"big.bin": "x" * 100_000, "link": "a"}, date="2023-08-01")
    names = _all_objects(b.path) + ["0" * 40]
    answers = {}
    for which in ("libgit2", "git"):
        monkeypatch.setenv(READER_SETTING, which)
        with GitRepo(b.path) as repo:
            answers[which] = (list(repo.read_objects(names)), list(repo.object_info(names)))
            assert (repo._native_repo() is not None) == (which == "libgit2")
    assert answers["libgit2"] == answers["git"]
    contents, info = answers["libgit2"]
    assert contents[-1] == ("0" * 40, "missing", 0, None)
    assert {t for _, t, _, _ in contents[:-1]} == {"commit", "tree", "blob"}
    assert [(o, t, n) for o, t, n, _ in contents] == [(o, t, n) for o, t, n, _ in info]


def test_libgit2_starts_no_git_process(built, monkeypatch):
    b, _, c2 = built
    monkeypatch.setenv(READER_SETTING, "libgit2")
    started = []
    real_popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a[0]) or real_popen(*a, **k))
    with GitRepo(b.path) as repo:
        tree = repo.commit_info(repo.resolve()).tree
        blobs = [e.oid for e in repo.read_trees([tree])[tree] if not e.is_tree]
        assert [d for _, _, _, d in repo.read_objects(blobs)] == [b"three\n"]
        assert [c.sha for c in repo.commits(c2)] == [c2, built[1]]
    assert started == []


def test_replacement_refs_are_read_by_git(built, monkeypatch):
    """git shows a replaced object's replacement (``git replace``); libgit2 would show
    the original, so such a repository is read by git."""
    b, c1, c2 = built
    monkeypatch.setenv(READER_SETTING, "libgit2")
    git(b.path, "replace", c2, c1)
    with GitRepo(b.path) as repo:
        assert repo._native_repo() is None
        assert repo.commit_info(c2).tree == repo.commit_info(c1).tree
    assert repo.commit_info(c1).tree != git(b.path, "--no-replace-objects", "rev-parse", f"{c2}^{{tree}}")


def test_a_corrupt_object_reads_as_missing_with_either_reader(built, reader):
    """As git's reader answers (``cat-file`` says "missing" for an object it cannot
    inflate): the scan then records the repository as corrupt, whichever reader."""
    b, c1, c2 = built
    loose = b.path / ".git" / "objects" / c1[:2] / c1[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"x\x9c not zlib at all")
    with GitRepo(b.path) as repo:
        assert [(o, t) for o, t, _, _ in repo.read_objects([c1, c2])] == [(c1, "missing"), (c2, "commit")]
        assert [(o, t) for o, t, _, _ in repo.object_info([c1, c2])] == [(c1, "missing"), (c2, "commit")]
