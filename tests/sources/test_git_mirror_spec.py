"""git: remotes over real git http-backend, mirror: folders, and parse_spec."""
from __future__ import annotations

import pytest

from chipwatch.errors import ConfigError
from chipwatch.model import RepoRef
from chipwatch.sources import DiscoveryFailure, parse_spec
from chipwatch.sources.git_remote import split_url
from tests.helpers.gitbuild import GitRepoBuilder, git


def test_git_remote_discovers_branch_and_head(git_server, tmp_path):
    b = GitRepoBuilder(tmp_path / "w" / "ms", branch="master")
    head = b.commit({"train.py": "import mindspore\n"}, date="2023-01-15")
    url = git_server.add("mindspore/mindspore.git", b)
    (ref,) = list(parse_spec(f"git:{url}").discover())
    assert isinstance(ref, RepoRef)
    assert (ref.platform, ref.owner, ref.name, ref.default_branch, ref.head_commit) == ("git", "mindspore", "mindspore", "master", head)
    assert ref.url == url and ref.metadata["host"] == "127.0.0.1"


def test_git_remote_failures(git_server, tmp_path):
    (fail,) = list(parse_spec(f"git:{git_server.url}/nobody/nothing.git").discover())
    assert isinstance(fail, DiscoveryFailure) and fail.kind == "not-found"
    GitRepoBuilder(tmp_path / "served" / "acme" / "empty")
    (fail,) = list(parse_spec(f"git:{git_server.url}/acme/empty").discover())
    assert fail.kind == "empty"
    git_server.fail(r"info/refs", 503, times=None)
    (fail,) = list(parse_spec(f"git:{git_server.url}/acme/empty").discover())
    assert fail.kind == "server"
    (fail,) = list(parse_spec("git:http://user:s3cretpass@127.0.0.1:9/a/b.git").discover())
    assert fail.kind == "network" and "s3cretpass" not in fail.message + fail.source


@pytest.mark.parametrize("url", ["ext::sh -c touch% /tmp/pwned", "http://host/", "http://host/a/../b", "fd::17/a"])
def test_git_remote_rejects_unusable_urls(url):
    with pytest.raises(ConfigError):
        parse_spec(f"git:{url}")


def test_split_url_shapes():
    assert split_url("https://gitee.com/mindspore/mindformers.git") == ("gitee.com", "mindspore", "mindformers")
    assert split_url("https://gitlab.com/group/sub/proj") == ("gitlab.com", "group/sub", "proj")
    assert split_url("git@gitcode.com:Ascend/MindSpeed.git") == ("gitcode.com", "Ascend", "MindSpeed")


def test_mirror_layouts(tmp_path):
    root = tmp_path / "mirror"
    src = GitRepoBuilder(tmp_path / "src")
    head = src.commit({"a.py": "import torch\n"})
    src.bare_clone(root / "acme" / "trainer.git")
    git(tmp_path, "clone", "-q", str(src.path), str(root / "acme" / "worktree"))
    src.bare_clone(root / "beta+model")
    GitRepoBuilder(root / "acme" / "empty")
    (root / "acme" / "not-a-repo").mkdir()
    (root / "acme" / "not-a-repo" / "file").write_text("x")
    results = list(parse_spec(f"mirror:{root}", platform="github").discover())
    repos = {r.key: r for r in results if isinstance(r, RepoRef)}
    fails = {f.repo: f.kind for f in results if isinstance(f, DiscoveryFailure)}
    assert set(repos) == {"github:acme/trainer", "github:acme/worktree", "github:beta/model"}
    assert all(r.head_commit == head and r.default_branch == "main" and r.metadata["local"] for r in repos.values())
    assert fails == {"github:acme/empty": "empty", "github:acme/not-a-repo": "corrupt"}
    (missing,) = list(parse_spec(f"mirror:{tmp_path / 'nope'}").discover())
    assert missing.kind == "not-found"


@pytest.mark.parametrize("spec", ["", "github", "svn:x", "github:", "github:a/b", "git:", "mirror:"])
def test_bad_specs_are_config_errors(spec):
    with pytest.raises(ConfigError) as err:
        parse_spec(spec)
    assert err.value.kind == "bad-spec"


def test_unknown_option_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        parse_spec(f"mirror:{tmp_path}", include_forks=True)
