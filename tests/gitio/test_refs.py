"""Revisions resolved by reading the git directory: the same commit git names, no git
started — and, whenever the reading cannot vouch for the answer, None, so that
GitRepo.resolve asks git (whose answer or error is then checked here too)."""
import os
import random
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from chipwatch.errors import UnknownRevision
from chipwatch.gitio import objects, refs
from chipwatch.gitio.objects import GitRepo
from chipwatch.gitio.refs import resolve_commit
from tests.helpers.gitbuild import GitRepoBuilder, git


@pytest.fixture()
def built(tmp_path):
    b = GitRepoBuilder(tmp_path / "work")
    c1 = b.commit({"a.txt": "one\n", "d/b.txt": "two\n"}, date="2023-01-15")
    c2 = b.commit({"a.txt": "three\n"}, date="2023-06-01", message="edit")
    return b, b.path / ".git", c1, c2


def git_commit(git_dir: Path, rev: str) -> str | None:
    """What git itself resolves ``rev^{commit}`` to (None when it cannot)."""
    out = subprocess.run(["git", f"--git-dir={git_dir}", "rev-parse", "-q", "--verify", f"{rev}^{{commit}}"],
                         capture_output=True, text=True, env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    return out.stdout.strip() if out.returncode == 0 else None


def resolved_without_git(path: Path, rev: str | None = None) -> str:
    """GitRepo.resolve, asserting that its git reader was never started."""
    with GitRepo(path) as repo:
        sha = repo.resolve(rev)
        assert repo._proc is None
    return sha


def loose_object(git_dir: Path, sha: str) -> Path:
    return git_dir / "objects" / sha[:2] / sha[2:]


def pack_all(path: Path) -> None:
    git(path, "pack-refs", "--all")
    git(path, "repack", "-adq")
    git(path, "prune-packed")


# -- what is read without git ---------------------------------------------------------------
def test_loose_refs_and_loose_objects(built):
    b, gd, c1, c2 = built
    assert loose_object(gd, c2).is_file() and (gd / "refs/heads/main").is_file() and not (gd / "packed-refs").exists()
    for rev in ("HEAD", "main", "heads/main", "refs/heads/main", c2):
        assert resolve_commit(gd, rev) == c2 == git_commit(gd, rev)
    assert resolve_commit(gd, c1) == c1
    assert resolved_without_git(b.path) == c2
    assert resolved_without_git(b.path, "main") == c2


def test_packed_refs_and_packed_objects(built):
    b, gd, c1, c2 = built
    for i in range(300):  # enough records for the bisection to take many steps
        git(b.path, "branch", f"topic/{i:03d}", c1 if i % 2 else c2)
        git(b.path, "tag", f"v{i}", c2 if i % 3 else c1)
    pack_all(b.path)
    assert not loose_object(gd, c2).exists() and not (gd / "refs/heads/main").exists()
    assert (gd / "packed-refs").read_text().startswith("# pack-refs with:") and "sorted" in (gd / "packed-refs").read_text().split("\n")[0]
    names = ["HEAD", "main", "refs/heads/main"] + [f"topic/{i:03d}" for i in range(300)] + [f"v{i}" for i in range(300)]
    got = {rev: resolve_commit(gd, rev) for rev in names}
    assert got == {rev: git_commit(gd, rev) for rev in names}
    assert None not in got.values()
    for rev in ("nope", "topic/300", "refs/heads/topic", "v"):
        assert resolve_commit(gd, rev) is None
    assert resolved_without_git(b.path) == c2


def test_a_bare_clone_is_read_the_same(built, tmp_path):
    b, _, _, c2 = built
    bare = b.bare_clone(tmp_path / "bare.git")
    assert resolve_commit(bare, "HEAD") == c2 == resolved_without_git(bare)


def test_no_process_is_started_at_all(built, monkeypatch):
    b, _, _, c2 = built
    pack_all(b.path)

    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(objects.subprocess, "Popen", refuse)
    monkeypatch.setattr(objects.subprocess, "run", refuse)
    with GitRepo(b.path) as repo:
        assert repo.resolve() == c2 == repo.resolve("main") == repo.resolve(c2)
        assert repo._proc is None


def test_detached_head(built):
    b, gd, c1, _ = built
    git(b.path, "checkout", "-q", "--detach", c1)
    assert (gd / "HEAD").read_text().strip() == c1
    assert resolve_commit(gd, "HEAD") == c1 == resolved_without_git(b.path)


def test_a_chain_of_symbolic_refs_is_followed(built):
    b, gd, _, c2 = built
    git(b.path, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    git(b.path, "symbolic-ref", "HEAD", "refs/heads/alias")
    assert resolve_commit(gd, "HEAD") == c2 == resolve_commit(gd, "alias") == git_commit(gd, "HEAD")
    pack_all(b.path)  # the symbolic refs stay loose, the branch is packed
    assert resolve_commit(gd, "HEAD") == c2


def test_a_symbolic_ref_loop_is_left_to_git(built):
    b, gd, _, _ = built
    (gd / "refs/heads/a").write_text("ref: refs/heads/b\n")
    (gd / "refs/heads/b").write_text("ref: refs/heads/a\n")
    (gd / "HEAD").write_text("ref: refs/heads/a\n")
    assert resolve_commit(gd, "HEAD") is None
    with pytest.raises(UnknownRevision):
        GitRepo(b.path).resolve()


def test_a_short_name_is_looked_up_in_gits_order(built):
    b, gd, c1, c2 = built
    git(b.path, "branch", "x", c2)
    git(b.path, "tag", "x", c1)  # refs/tags/x comes before refs/heads/x
    assert resolve_commit(gd, "x") == c1 == git_commit(gd, "x")
    assert resolve_commit(gd, "heads/x") == c2 == git_commit(gd, "heads/x")
    pack_all(b.path)
    assert resolve_commit(gd, "x") == c1


def test_unsorted_packed_refs_are_searched_whole(built):
    b, gd, c1, c2 = built
    for i in range(20):
        git(b.path, "tag", f"t{i}", c1 if i % 2 else c2)
    pack_all(b.path)
    lines = (gd / "packed-refs").read_text().splitlines(keepends=True)
    records = lines[1:]
    random.Random(7).shuffle(records)
    (gd / "packed-refs").write_text("".join(records))  # no header: git sorts it itself
    for rev in ["main"] + [f"t{i}" for i in range(20)]:
        assert resolve_commit(gd, rev) == git_commit(gd, rev) is not None
    (gd / "packed-refs").write_text("".join(records) + f"{c1} refs/heads/main\n")  # listed twice
    assert resolve_commit(gd, "main") is None


# -- what is left to git -------------------------------------------------------------------
def test_an_annotated_tag_is_peeled_by_git(built):
    b, gd, c1, _ = built
    git(b.path, "tag", "-a", "v1", "-m", "release", c1)
    git(b.path, "tag", "light", c1)
    assert resolve_commit(gd, "v1") is None  # the ref names a tag object
    assert resolve_commit(gd, "light") == c1
    with GitRepo(b.path) as repo:
        assert repo.resolve("v1") == c1 == repo.resolve("refs/tags/v1")


def test_a_ref_to_a_tree_or_a_blob_is_an_error(built):
    b, gd, _, c2 = built
    tree = git(b.path, "rev-parse", f"{c2}^{{tree}}")
    blob = git(b.path, "rev-parse", f"{c2}:a.txt")
    # A blob whose text is a well-formed commit is still no commit.
    mimic = git(b.path, "hash-object", "-w", "--stdin", input=git(b.path, "cat-file", "commit", c2).encode() + b"\n")
    git(b.path, "update-ref", "refs/tags/tree", tree)
    git(b.path, "update-ref", "refs/tags/blob", blob)
    git(b.path, "update-ref", "refs/tags/mimic", mimic)
    for rev in ("tree", "blob", "mimic", tree, blob, mimic):
        assert resolve_commit(gd, rev) is None
        with pytest.raises(UnknownRevision, match="unknown revision"):
            GitRepo(b.path).resolve(rev)


def test_a_missing_commit_is_never_named(built):
    b, gd, _, c2 = built
    loose_object(gd, c2).unlink()
    assert resolve_commit(gd, "HEAD") is None and resolve_commit(gd, c2) is None
    with pytest.raises(UnknownRevision):  # in git's words
        GitRepo(b.path).resolve()
    with pytest.raises(UnknownRevision, match="unknown revision"):
        GitRepo(b.path).resolve(c2)


def test_a_corrupt_commit_is_never_named(built):
    b, gd, c1, c2 = built
    path = loose_object(gd, c2)
    path.chmod(0o644)
    original = zlib.decompress(path.read_bytes())
    header, body = original.split(b"\0", 1)
    forged = body.replace(b"edit", b"tide")  # same size, well formed: only the hash differs
    path.write_bytes(zlib.compress(header + b"\0" + forged))
    assert resolve_commit(gd, "HEAD") is None
    path.write_bytes(zlib.compress(original)[:-6])  # truncated
    assert resolve_commit(gd, "HEAD") is None
    path.write_bytes(zlib.compress(original))
    assert resolve_commit(gd, "HEAD") == c2


def test_an_empty_repository_is_left_to_git(tmp_path):
    path = tmp_path / "empty"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    assert resolve_commit(path / ".git", "HEAD") is None
    with pytest.raises(UnknownRevision) as err:
        GitRepo(path).resolve()
    assert err.value.kind == "empty"


def test_a_sha256_repository_is_left_to_git(tmp_path):
    path = tmp_path / "s256"
    path.mkdir()
    git(path, "init", "-q", "--object-format=sha256", "-b", "main")
    git(path, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "m")
    assert resolve_commit(path / ".git", "HEAD") is None
    with GitRepo(path) as repo:
        assert not repo._plain
        assert repo.resolve() == git_commit(path / ".git", "HEAD") and len(repo.resolve()) == 64


@pytest.mark.parametrize("rev", ["HEAD~1", "main^", "main~0", "@", "main@{0}", "SHORT", "UPPER", ":/edit", "main:a.txt", "./main", "a..b"])
def test_revision_syntax_is_left_to_git(built, rev):
    b, gd, c1, c2 = built
    rev = {"SHORT": c1[:10], "UPPER": c2.upper()}.get(rev, rev)
    assert resolve_commit(gd, rev) is None
    want = git_commit(gd, rev)
    with GitRepo(b.path) as repo:
        if want is None:
            with pytest.raises(UnknownRevision):
                repo.resolve(rev)
        else:
            assert repo.resolve(rev) == want


def test_a_file_of_the_git_directory_is_not_taken_for_a_ref(built):
    b, gd, c1, _ = built
    (gd / "ORIG_HEAD").write_text(c1 + "\n")
    git(b.path, "branch", "config", c1)  # $GIT_DIR/config comes first in git's rules
    assert resolve_commit(gd, "ORIG_HEAD") is None and resolve_commit(gd, "config") is None
    assert GitRepo(b.path).resolve("ORIG_HEAD") == c1


def _alternates(path: Path, gd: Path) -> None:
    other = path.parent / "other.git"
    git(path.parent, "init", "-q", "--bare", str(other))
    (gd / "objects/info").mkdir(parents=True, exist_ok=True)
    (gd / "objects/info/alternates").write_text(str(other / "objects") + "\n")


UNUSUAL = {
    "alternates": _alternates,
    "multi-pack-index": lambda path, gd: (git(path, "repack", "-adq"), git(path, "multi-pack-index", "write")),
    "replace ref": lambda path, gd: git(path, "replace", git(path, "rev-parse", "HEAD"), git(path, "rev-parse", "HEAD~1")),
    "packed replace ref": lambda path, gd: (
        git(path, "replace", git(path, "rev-parse", "HEAD"), git(path, "rev-parse", "HEAD~1")), git(path, "pack-refs", "--all")),
    "grafts": lambda path, gd: (gd / "info").mkdir(exist_ok=True) or (gd / "info/grafts").write_text(""),
    "config include": lambda path, gd: git(path, "config", "include.path", "/dev/null"),
    "repository format 2": lambda path, gd: (gd / "config").write_text("[core]\n\trepositoryformatversion = 2\n"),
    "unknown extension": lambda path, gd: git(path, "config", "extensions.somethingnew", "true"),
    "partial clone": lambda path, gd: git(path, "config", "extensions.partialClone", "origin"),
}


@pytest.mark.parametrize("case", list(UNUSUAL))
def test_unusual_repositories_are_left_to_git(built, case):
    b, gd, _, c2 = built
    assert resolve_commit(gd, "HEAD") == c2
    UNUSUAL[case](b.path, gd)
    assert resolve_commit(gd, "HEAD") is None
    assert resolve_commit(gd, c2) is None


def test_a_promisor_marker_alone_does_not_change_the_reading(built):
    b, gd, _, c2 = built
    pack_all(b.path)
    idx, _ = _pack_files(gd)
    idx.with_suffix(".promisor").write_text("")  # as the mirrors have, with no partialClone config
    assert GitRepo(b.path).is_partial()
    assert resolve_commit(gd, "HEAD") == c2 == git_commit(gd, "HEAD") == resolved_without_git(b.path)


def test_a_replaced_commit_is_resolved_by_git(built):
    b, gd, c1, c2 = built
    git(b.path, "replace", c2, c1)
    with GitRepo(b.path) as repo:
        assert repo.resolve() == git_commit(gd, "HEAD")
        assert repo._proc is not None  # git answered


# -- packs -------------------------------------------------------------------------------
def _pack_files(gd: Path) -> tuple[Path, Path]:
    [idx] = (gd / "objects/pack").glob("*.idx")
    return idx, idx.with_suffix(".pack")


def _commit_storage(path: Path, idx: Path) -> dict[str, bool]:
    """Each packed commit: whether it is stored as a delta (verify-pack's seventh field)."""
    out = git(path, "verify-pack", "-v", str(idx))
    return {f[0]: len(f) > 5 for f in (line.split() for line in out.splitlines()) if len(f) > 2 and f[1] == "commit"}


def test_a_deltified_commit_is_left_to_git(tmp_path):
    b = GitRepoBuilder(tmp_path / "delta")
    text = "".join(random.Random(1).choice("abcdefghij klmnop\n") for _ in range(8000))
    shas = [b.commit(message=f"{text}\nchange {i}", date=f"2024-01-0{i + 1}") for i in range(6)]
    git(b.path, "repack", "-adfq", "--window=50", "--depth=50")
    git(b.path, "prune-packed")
    gd = b.path / ".git"
    stored = _commit_storage(b.path, _pack_files(gd)[0])
    deltas = [sha for sha in shas if stored[sha]]
    assert deltas and not all(stored.values())
    for sha in shas:
        assert resolve_commit(gd, sha) == (None if stored[sha] else sha)
        assert GitRepo(b.path).resolve(sha) == sha


def _idx_offset_word(idx: Path, sha: str) -> int:
    """The 4-byte offset word an index holds for ``sha`` (top bit: see the 8-byte table)."""
    data = idx.read_bytes()
    count = struct.unpack_from(">I", data, 8 + 255 * 4)[0]
    ids = [data[1032 + i * 20:1052 + i * 20].hex() for i in range(count)]
    return struct.unpack_from(">I", data, 1032 + count * 24 + ids.index(sha) * 4)[0]


def test_large_offsets_and_index_versions(built):
    b, gd, c1, c2 = built
    git(b.path, "pack-refs", "--all")
    git(b.path, "repack", "-adfq", "--window=0")  # no deltas: every commit is stored whole
    git(b.path, "prune-packed")
    idx, pack = _pack_files(gd)
    idx.chmod(0o644)
    idx.unlink()
    # Objects after offset 12 (all but the first) get 8-byte offsets, as past 2 GiB.
    git(b.path, "index-pack", "--index-version=2,12", "-o", str(idx), str(pack))
    large = [sha for sha in (c1, c2) if _idx_offset_word(idx, sha) & 0x80000000]
    assert large
    for sha in large:
        assert resolve_commit(gd, sha) == sha == git_commit(gd, sha)
    assert resolve_commit(gd, "HEAD") == c2
    # Every offset in the 8-byte table is a size git refuses ("wrong index v2 file size").
    idx.unlink()
    git(b.path, "index-pack", "--index-version=2,0", "-o", str(idx), str(pack))
    assert resolve_commit(gd, "HEAD") is None and git_commit(gd, "HEAD") is None
    idx.unlink()
    git(b.path, "index-pack", "--index-version=1", "-o", str(idx), str(pack))
    assert resolve_commit(gd, "HEAD") is None
    assert GitRepo(b.path).resolve() == c2  # git reads a version 1 index


def test_the_index_search_probes_a_large_range(built, monkeypatch):
    b, gd, _, _ = built
    for i in range(40):
        b.commit({f"f{i}.txt": f"{i}\n"}, date=f"2024-02-{i % 28 + 1:02d}")
    pack_all(b.path)
    monkeypatch.setattr(refs, "_IDX_WINDOW", 0)  # bisect by single reads to the end
    shas = git(b.path, "rev-list", "--all").split()
    assert len(shas) == 42 and all(resolve_commit(gd, sha) == sha for sha in shas)
    monkeypatch.setattr(refs, "_IDX_WINDOW", 1 << 30)  # one read of the whole range
    assert all(resolve_commit(gd, sha) == sha for sha in shas)
    assert resolve_commit(gd, "f" * 40) is None and resolve_commit(gd, "0" * 40) is None


# Where a pack stops matching its index, git does not use it: neither does the reading.
PACK_DAMAGE = {"signature": 0, "version": 7, "object count": 11, "trailer checksum": -1}


@pytest.mark.parametrize("damage", list(PACK_DAMAGE))
def test_a_pack_that_does_not_match_its_index_is_not_read(built, damage):
    b, gd, _, c2 = built
    pack_all(b.path)
    idx, pack = _pack_files(gd)
    assert resolve_commit(gd, "HEAD") == c2
    pack.chmod(0o644)
    data = bytearray(pack.read_bytes())
    data[PACK_DAMAGE[damage]] ^= 0x04
    pack.write_bytes(bytes(data))
    assert resolve_commit(gd, "HEAD") is None and git_commit(gd, "HEAD") is None


def test_an_index_without_its_pack_is_ignored(built):
    b, gd, _, c2 = built
    pack_all(b.path)
    idx, pack = _pack_files(gd)
    pack.unlink()
    assert resolve_commit(gd, "HEAD") is None and git_commit(gd, "HEAD") is None


def _raw_commit(path: Path, text: str) -> str:
    """A commit object written as it is, however malformed (hash-object --literally)."""
    return git(path, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=text.encode())


def test_a_commit_git_would_refuse_is_never_named(built):
    b, gd, c1, _ = built
    tree = git(b.path, "rev-parse", f"{c1}^{{tree}}")
    people = "author a <a@e> 1 +0000\ncommitter a <a@e> 1 +0000\n\nm\n"
    refused = {
        "tree named as parent": f"tree {tree}\nparent {tree}\n{people}",
        "bad parent": f"tree {tree}\nparent zz\n{people}",
        "no tree": f"parent {c1}\n{people}",
    }
    for label, text in refused.items():
        sha = _raw_commit(b.path, text)
        assert resolve_commit(gd, sha) is None, label
        assert git_commit(gd, sha) is None, label
    fine = _raw_commit(b.path, f"tree {tree}\nparent {c1}\n{people}")
    assert resolve_commit(gd, fine) == fine == git_commit(gd, fine)


def test_a_ref_named_like_an_upper_case_object_id_is_not_read(built):
    b, gd, c1, c2 = built
    git(b.path, "update-ref", f"refs/heads/{c1.upper()}", c2)  # git takes the name as c1 itself
    assert resolve_commit(gd, c1.upper()) is None
    assert GitRepo(b.path).resolve(c1.upper()) == c1 == git_commit(gd, c1.upper())
