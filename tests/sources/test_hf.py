"""hf: discovery driven by the real huggingface_hub against the loopback Hub server,
the hf-api documents, and fetching a model's git repository with weights left out."""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from chipwatch.extractors.hf_metadata import documents
from chipwatch.gitio.cache import RepoCache
from chipwatch.model import RepoRef
from chipwatch.sources import DiscoveryFailure, parse_spec
from chipwatch.sources.base import RetryPolicy
from chipwatch.sources.hf import HfSource

HF_TOKEN = "hf_" + "abcdefghijklmnopqrstuvwxyz12"
MOE_CONFIG = {
    "architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "torch_dtype": "bfloat16",
    "num_local_experts": 8, "num_experts_per_tok": 2,
    "quantization_config": {"quant_method": "fp8", "fmt": "e4m3"},
}
CARD = "---\nlicense: apache-2.0\ntags: [moe, fp8]\nlibrary_name: transformers\n---\n# Model\nTrained on many GPUs.\n"
BOMB = "---\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 12)
) + "---\nbody\n"


def source(hub, tmp_path, author="acme", **kw) -> HfSource:
    kw.setdefault("policy", RetryPolicy(retries=2, backoff=0.05, max_wait=5))
    return HfSource(author, endpoint=hub.url, cache_dir=tmp_path / "http", **kw)


def split(results):
    results = list(results)
    return [r for r in results if isinstance(r, RepoRef)], [r for r in results if isinstance(r, DiscoveryFailure)]


def test_lists_models_with_config_safetensors_and_card(hub_server, tmp_path):
    sha = hub_server.add_model("acme/moe-fp8", {"config.json": json.dumps(MOE_CONFIG), "README.md": CARD},
                               safetensors={"BF16": 1_200_000_000, "F8_E4M3": 45_000_000_000})
    for i in range(4):
        hub_server.add_model(f"acme/small-{i}", {"config.json": '{"torch_dtype": "float16"}'})
    hub_server.add_model("other/x", {"README.md": "hi"})
    repos, fails = split(source(hub_server, tmp_path).discover())
    assert not fails and len(repos) == 5  # two pages of 3
    moe = next(r for r in repos if r.name == "moe-fp8")
    assert (moe.platform, moe.owner, moe.head_commit, moe.default_branch) == ("hf", "acme", sha, "main")
    assert moe.url == f"{hub_server.url}/acme/moe-fp8"
    m = moe.metadata
    assert m["config"]["torch_dtype"] == "bfloat16" and m["config"]["num_local_experts"] == 8  # from config.json
    assert m["safetensors"] == {"parameters": {"BF16": 1_200_000_000, "F8_E4M3": 45_000_000_000}, "total": 46_200_000_000}
    assert m["card"]["license"] == "apache-2.0" and m["card"]["tags"] == ["moe", "fp8"]
    assert m["library_name"] == "transformers" and "card_error" not in m

    docs = dict(documents(moe))
    assert set(docs) == {"hf-api/config.json", "hf-api/safetensors.json", "hf-api/card.yaml"}
    assert json.loads(docs["hf-api/safetensors.json"])["parameters"]["F8_E4M3"] == 45_000_000_000
    assert '"num_local_experts": 8' in docs["hf-api/config.json"].decode()
    assert b'"quant_method": "fp8"' in docs["hf-api/config.json"]
    assert docs == dict(documents(moe))  # deterministic bytes: stable blob ids


def test_second_discovery_reads_no_files(hub_server, tmp_path):
    for i in range(4):
        hub_server.add_model(f"acme/m{i}", {"config.json": "{}", "README.md": CARD})
    first = list(source(hub_server, tmp_path).discover())
    assert hub_server.by_route["/{id}/resolve"] > 0
    hub_server.reset_counters()
    assert list(source(hub_server, tmp_path).discover()) == first
    assert dict(hub_server.by_route) == {"/api/models": 2}
    hub_server.add_model("acme/m2", {"README.md": CARD + "more\n"})  # new sha: re-read
    hub_server.reset_counters()
    list(source(hub_server, tmp_path).discover())
    assert hub_server.by_route["/{id}/resolve"] >= 2


def test_hostile_cards_and_configs_are_values_not_crashes(hub_server, tmp_path):
    hub_server.add_model("acme/bad-yaml", {"README.md": "---\nlicense: [unclosed\n  - : :\n---\ntext\n", "config.json": "{not json"})
    hub_server.add_model("acme/bomb", {"README.md": BOMB, "config.json": "[1, 2]"})
    hub_server.add_model("acme/deep", {"README.md": "---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n",
                                       "config.json": "[" * 100000 + "]" * 100000})
    hub_server.add_model("acme/fine", {"README.md": CARD})
    t = time.monotonic()
    repos, fails = split(source(hub_server, tmp_path).discover())
    assert time.monotonic() - t < 10
    assert not fails
    meta = {r.name: r.metadata for r in repos}
    assert "not valid YAML" in meta["bad-yaml"]["card_error"] and "not JSON" in meta["bad-yaml"]["config_error"]
    assert "aliases" in meta["bomb"]["card_error"] and "not an object" in meta["bomb"]["config_error"]
    assert meta["deep"]["card_error"] and meta["deep"]["config_error"]
    assert meta["fine"]["card"]["license"] == "apache-2.0"
    bad = next(r for r in repos if r.name == "bad-yaml")
    assert documents(bad) == []


def test_malformed_listing_fields_and_names(hub_server, tmp_path):
    hub_server.add_model("acme/good", {"README.md": CARD}, safetensors={"BF16": 10})
    hub_server.add_model("acme/odd-st", {"README.md": CARD}, safetensors={"BF16": 10})
    hub_server.listing_override["acme/odd-st"] = {"safetensors": {"parameters": "lots"}}
    hub_server.add_model("acme/renamed", {"README.md": CARD})
    hub_server.listing_override["acme/renamed"] = {"id": "acme/../../etc", "modelId": "acme/../../etc"}
    hub_server.add_model("acme/gone", {"README.md": CARD}, disabled=True)
    repos, fails = split(source(hub_server, tmp_path).discover())
    assert {r.name for r in repos} == {"good", "odd-st"}
    assert next(r for r in repos if r.name == "odd-st").metadata["safetensors_error"]
    assert sorted(f.kind for f in fails) == ["dmca", "invalid"]


def test_listing_faults(hub_server, tmp_path):
    hub_server.add_model("acme/a", {"README.md": CARD})
    hub_server.fail(r"/api/models\?", 429, headers={"Retry-After": "1"}, times=1)
    t = time.monotonic()
    repos, fails = split(source(hub_server, tmp_path).discover())
    assert [r.name for r in repos] == ["a"] and not fails and time.monotonic() - t >= 0.9

    hub_server.truncate(r"/api/models\?", "json", times=None)
    _, fails = split(source(hub_server, tmp_path / "t").discover())
    assert [f.kind for f in fails] == ["truncated"]
    hub_server.clear_faults()

    hub_server.fail(r"/api/models\?", 503, times=None)
    _, fails = split(source(hub_server, tmp_path / "s", policy=RetryPolicy(retries=1, backoff=0.01)).discover())
    assert [f.kind for f in fails] == ["server"]
    hub_server.clear_faults()

    hub_server.fail(r"/api/models\?", 404, times=None)
    _, fails = split(source(hub_server, tmp_path / "n").discover())
    assert [f.kind for f in fails] == ["not-found"]


def test_token_and_endpoint_from_environment(hub_server, tmp_path, monkeypatch):
    hub_server.token = HF_TOKEN
    hub_server.add_model("acme/private", {"README.md": CARD, "config.json": "{}"})
    monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    src = parse_spec("hf:acme", cache_dir=tmp_path / "http")
    assert src.endpoint == hub_server.url and HF_TOKEN not in repr(src)
    repos, fails = split(src.discover())
    assert [r.name for r in repos] == ["private"] and repos[0].metadata["card"]["license"] == "apache-2.0"
    assert all(h.get("authorization") == f"Bearer {HF_TOKEN}" for _, _, h in hub_server.requests)
    for path in (tmp_path / "http").rglob("*.json"):
        assert HF_TOKEN not in path.read_text()

    monkeypatch.setenv("HF_TOKEN", "hf_wrongwrongwrongwrongwrongwrong")
    _, fails = split(parse_spec("hf:acme", cache_dir=tmp_path / "http2").discover())
    assert [f.kind for f in fails] == ["auth"] and "wrongwrong" not in fails[0].message


def test_model_repository_fetched_over_git_without_weights(hub_server, tmp_path):
    weights = b"\x00" * 300_000
    hub_server.add_model("acme/tiny", {"config.json": json.dumps(MOE_CONFIG), "README.md": CARD,
                                       "modeling_tiny.py": "import torch\n", "model.safetensors": weights})
    (repo,) = [r for r in HfSource("acme", endpoint=hub_server.url, cache_dir=tmp_path / "http").discover()]
    result = RepoCache(tmp_path / "git", blob_limit="100k").fetch(repo)
    assert result.ok and result.head_commit == repo.head_commit
    assert result.bytes_transferred < 50_000
    listing = subprocess.run(["git", "--git-dir", str(result.path), "-c", "protocol.allow=never", "rev-list", "--objects",
                              "--missing=print", "HEAD"], capture_output=True, text=True, check=True).stdout
    present = {line.split(" ", 1)[1] for line in listing.splitlines() if " " in line}
    assert {"config.json", "README.md", "modeling_tiny.py"} <= present
    assert "model.safetensors" not in present and any(line.startswith("?") for line in listing.splitlines())


@pytest.mark.parametrize("bad", ["hf:", "hf:a/b", "hf:-x", "hf:../x"])
def test_bad_hf_specs(bad):
    from chipwatch.errors import ConfigError

    with pytest.raises(ConfigError):
        parse_spec(bad)
