"""The bundled sample corpus: deterministic, complete, broken where it should be."""
from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest

from chipwatch.errors import ConfigError
from chipwatch.sources import sample
from chipwatch.sources.sample import SampleSource, build_corpus, load_templates


def git(repo: str | Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={repo}", *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def refs(corpus):
    return {f"{r.owner}/{r.name}": r for r in corpus.refs()}


def test_same_templates_give_same_commits(corpus, tmp_path):
    again = build_corpus(tmp_path)
    assert [e["head_commit"] for e in again.repos] == [e["head_commit"] for e in corpus.repos]
    assert again.version == corpus.version
    # Pinned: a change here means the generator or the templates changed the history;
    # bump sample.FORMAT if it is the generator.
    heads = {f"{e['owner']}/{e['name']}": e["head_commit"] for e in corpus.repos}
    assert heads["hy-lab/hy-cluster-net"] == "cad39e747a605a437c1bac982a75ed2caab2ffa6"


def test_size_orgs_and_dates(corpus, refs):
    orgs = {r.owner for r in refs.values()}
    assert len(orgs) >= 3 and 15 <= len(refs) <= 30
    for r in refs.values():
        if r.head_commit and not r.metadata["broken"]:
            dates = git(r.url, "log", "--format=%cI", r.head_commit).stdout.split()
            assert all("2024-01" <= d[:7] <= "2025-12" for d in dates), r.key
    months = {e["metadata"]["pushed_at"][:7] for e in corpus.repos if e["metadata"]["pushed_at"]}
    assert min(months) < "2024-06" and max(months) > "2025-06"


def test_discovery_is_the_manifest(corpus, refs):
    r = refs["hy-lab/hy-moe-train"]
    assert r.platform == "sample" and r.default_branch == "main"
    assert git(r.url, "rev-parse", "refs/heads/main").stdout.strip() == r.head_commit
    assert r.metadata["stars"] == 2310 and r.metadata["created_at"].startswith("2024-01-12")
    assert Path(r.url).is_dir() and (Path(r.url) / "HEAD").is_file()  # bare, no work tree
    manifest = json.loads((corpus.root / "corpus.json").read_text())
    assert len(manifest["repos"]) == len(refs)


def test_broken_repositories_are_broken(refs):
    empty = refs["open-ml/empty-project"]
    assert empty.head_commit is None
    assert git(empty.url, "for-each-ref").stdout == ""
    bad = refs["hy-lab/hy-legacy"]
    assert bad.default_branch == "trunk" and bad.head_commit is None
    assert git(bad.url, "rev-parse", "--verify", "HEAD", check=False).returncode != 0
    assert git(bad.url, "rev-parse", "--verify", "refs/heads/main", check=False).returncode == 0
    corrupt = refs["cn-gpu/broken-mirror"]
    assert corrupt.head_commit  # the branch names a commit …
    assert git(corrupt.url, "cat-file", "-e", corrupt.head_commit, check=False).returncode != 0  # … that is gone
    fsck = git(corrupt.url, "fsck", "--full", check=False)
    assert fsck.returncode != 0


def test_history_has_a_removed_network_config_and_an_edited_chip(refs):
    net = refs["hy-lab/hy-cluster-net"]
    log = git(net.url, "log", "--format=%s", "--name-status", net.head_commit).stdout
    assert "D\tenv/ib.env" in log
    before = git(net.url, "show", f"{net.head_commit}~1:env/ib.env").stdout
    assert "NCCL_NET_GDR_LEVEL" in before and "mlx5_0" in before
    video = refs["hy-lab/hy-video"]
    now = git(video.url, "show", f"{video.head_commit}:README.md").stdout
    then = git(video.url, "show", f"{video.head_commit}~1:README.md").stdout
    assert "A100" in then and "A100" not in now


def test_hf_style_model_repos(refs):
    models = [r for r in refs.values() if r.metadata.get("repo_type") == "model"]
    assert len(models) >= 3
    for r in models:
        config = json.loads(git(r.url, "show", f"{r.head_commit}:config.json").stdout)
        assert "torch_dtype" in config
    configs = [git(r.url, "show", f"{r.head_commit}:config.json").stdout for r in models]
    assert any("quantization_config" in c for c in configs)
    assert any("num_experts" in c or "num_local_experts" in c for c in configs)


def test_every_signal_family_has_text(corpus, refs):
    text = ""
    for r in refs.values():
        if r.head_commit and not r.metadata["broken"]:
            text += git(r.url, "log", "-p", "--format=", r.head_commit).stdout
    for needle in ("NCCL_IB_HCA", "torch_npu", "MACA_PATH", "ixsmi", "torch_mlu", "BKCL_", "hy-smi",
                   "torch_musa", "habana_frameworks", "intel_extension_for_pytorch", "jax.devices(\"tpu\")",
                   "mlx.core", "float8_e4m3fn", "fp8_autocast", "--bf16", '"stage": 3', "num_experts",
                   "NCCL_NET_GDR_LEVEL", "TORCH_CUDA_ARCH_LIST", "H20", "Atlas 800T A2", "MI300X",
                   "NCCL_IB_DISABLE=1", "LoraConfig", "flash_attn"):
        assert needle in text, needle


def test_scaled_corpus_has_distinct_blobs(tmp_path):
    n = 60
    c = build_corpus(tmp_path, repos=n)
    refs = c.refs()
    assert len(refs) == n and len({r.key for r in refs}) == n
    by_name = {r.name: r for r in refs}
    a, b = by_name["hy-moe-train"], by_name["hy-moe-train-r001"]
    assert a.head_commit != b.head_commit
    blob_a = git(a.url, "rev-parse", f"{a.head_commit}:train.py").stdout
    blob_b = git(b.url, "rev-parse", f"{b.head_commit}:train.py").stdout
    assert blob_a != blob_b
    assert "sample replica 1" in git(b.url, "show", f"{b.head_commit}:train.py").stdout


def test_concurrent_first_use_builds_once(tmp_path):
    results, errors = [], []

    def run():
        try:
            results.append(build_corpus(tmp_path / "shared"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.version for r in results}) == 1
    assert [p.name for p in (tmp_path / "shared").iterdir() if not p.name.startswith(".")] == [results[0].version]


def test_spec_parsing(tmp_path):
    from chipwatch.sources import parse_spec

    s = parse_spec("sample:default?repos=30", cache_dir=tmp_path)
    assert isinstance(s, SampleSource) and s.repos == 30 and s.spec == "sample:default?repos=30"
    refs = list(s.discover())
    assert len(refs) == 30 and refs[0].url.startswith(str(tmp_path / "sample-corpus"))
    own = tmp_path / "templates"
    own.mkdir()
    (own / "lab.yaml").write_text("org: lab\nrepos:\n  - name: r\n    commits:\n      - date: '2024-03-01'\n"
                                  "        files: {run.sh: 'export NCCL_IB_HCA=mlx5_0'}\n")
    mine = list(parse_spec(f"sample:{own}", cache_dir=tmp_path).discover())
    assert [r.key for r in mine] == ["sample:lab/r"]
    for bad in ("sample:default?repos=zero", "sample:default?colour=red", f"sample:{tmp_path / 'nothing'}"):
        with pytest.raises(ConfigError):
            parse_spec(bad)


def test_default_root_is_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPWATCH_CACHE_DIR", str(tmp_path))
    refs = list(SampleSource().discover())
    assert refs and all(r.url.startswith(str(tmp_path / "sample-corpus")) for r in refs)


def test_bad_template_is_a_clear_error(tmp_path):
    (tmp_path / "x.yaml").write_text("org: x\nrepos:\n  - name: r\n    commits:\n      - date: '2024-01-01'\n        edit: {a.txt: [[b, c]]}\n")
    templates = load_templates(tmp_path)
    with pytest.raises(ConfigError, match="a.txt"):
        sample.build_repository(templates[0], tmp_path / "out.git")
