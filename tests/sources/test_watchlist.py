"""The watch list: bundled default, options, schema errors, path resolution."""
from __future__ import annotations

import pytest

from chipwatch.errors import ConfigError
from chipwatch.sources.github import GitHubSource
from chipwatch.sources.mirror import MirrorSource
from chipwatch.watchlist import load_watchlist


def test_bundled_watchlist_points_at_the_sample_corpus():
    wl = load_watchlist()
    assert [e.prefix for e in wl.entries] == ["sample"]
    assert wl.cache["blob_limit"] == "1m"
    (src,) = wl.sources()
    assert src.spec.startswith("sample:")


def test_options_defaults_and_relative_paths(tmp_path):
    (tmp_path / "mirrors").mkdir()
    path = tmp_path / "wl.yaml"
    path.write_text(
        "version: 1\n"
        "defaults: {include_forks: false}\n"
        "cache: {blob_limit: 512k, max_bytes: 10g}\n"
        "sources:\n"
        "  - github:acme\n"
        "  - {spec: 'github:beta', include_forks: true, api_url: 'https://ghe.example.com/api/v3'}\n"
        "  - {spec: 'mirror:mirrors', platform: github}\n"
        "  - hf:acme\n"
    )
    wl = load_watchlist(path)
    a, b, m, h = wl.entries
    assert a.options == {"include_forks": False} and b.options["include_forks"] is True
    assert m.spec == f"mirror:{tmp_path / 'mirrors'}" and h.options == {}
    srcs = wl.sources(cache_dir=tmp_path / "http")
    assert isinstance(srcs[0], GitHubSource) and srcs[0].include_forks is False
    assert srcs[1].api_url == "https://ghe.example.com/api/v3"
    assert isinstance(srcs[2], MirrorSource) and srcs[2].platform == "github"


@pytest.mark.parametrize(
    "body, message",
    [
        ("version: 1\nsources: []\n", "sources"),
        ("version: 2\nsources: [github:a]\n", "version"),
        ("version: 1\nsources: [svn:x]\n", "sources/0"),
        ("version: 1\nsources: [{spec: 'github:a', include_forks: maybe}]\n", "sources/0"),
        ("version: 1\nsources: [{spec: 'hf:a', include_forks: true}]\n", "do not apply"),
        ("version: 1\nsources: [github:a]\nextra: 1\n", "extra"),
        ("version: 1\nsources: [github:a\n", "not valid YAML"),
        ("version: 1\nsources: ['github:a/b']\n", "github:a/b"),
    ],
)
def test_bad_watchlists_name_the_file_and_the_problem(tmp_path, body, message):
    path = tmp_path / "wl.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_watchlist(path).sources(cache_dir=tmp_path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_watchlist(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_watchlist(tmp_path / "nope.yaml")
