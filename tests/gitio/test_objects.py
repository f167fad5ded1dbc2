"""GitRepo: one long-lived object reader per repository, read exactly like git reads."""
import subprocess

import pytest

from chipwatch.errors import GitError, NotARepository, UnknownRevision
from chipwatch.gitio.objects import GitRepo
from tests.helpers.gitbuild import GitRepoBuilder, git


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


def test_resolve_and_commit_info_agree_with_git(built):
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


def test_bad_revisions_are_one_clear_error(built):
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


def test_one_reader_serves_every_batch_and_stops_with_close(built):
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


def test_a_batch_abandoned_midway_does_not_shift_the_next_answers(built):
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


def test_bare_and_non_bare_and_not_a_repository(built, tmp_path):
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


def test_sha256_repository_is_read_through_rev_parse(tmp_path):
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


def test_an_old_git_is_one_clear_error(built, monkeypatch):
    from chipwatch.gitio import objects

    monkeypatch.setattr(objects, "git_version", lambda: (2, 30, 1))
    repo = GitRepo(built[0].path)
    assert repo.resolve() == built[2]  # read without git: an old git does not matter yet
    with pytest.raises(GitError, match=r"git 2\.36 or newer is needed .*this is git 2\.30\.1"):
        repo.commit_info(built[2])  # the first read that needs git


def test_a_repository_dropped_without_close_ends_its_reader(built):
    import gc

    b, _, c2 = built
    repo = GitRepo(b.path)
    repo.commit_info(c2)
    git_dir = repo.git_dir
    assert len(_children(subprocess.os.getpid(), git_dir)) == 1
    del repo
    gc.collect()
    assert _children(subprocess.os.getpid(), git_dir) == []
