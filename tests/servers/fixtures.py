"""Pytest fixtures for the loopback servers. Use them from any conftest.py:

    from tests.servers.fixtures import github_server, hub_server, git_server  # noqa: F401

Each fixture starts a fresh server on 127.0.0.1 for one test and stops it afterwards.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.servers.git_http import GitHttpServer
from tests.servers.github_api import GitHubServer
from tests.servers.hf_hub import HubServer


@pytest.fixture
def github_server() -> Iterator[GitHubServer]:
    with GitHubServer() as srv:
        yield srv


@pytest.fixture
def hub_server(tmp_path) -> Iterator[HubServer]:
    with HubServer(tmp_path / "hub-repos", page_size=3) as srv:
        yield srv


@pytest.fixture
def git_server(tmp_path) -> Iterator[GitHttpServer]:
    with GitHttpServer(tmp_path / "served") as srv:
        yield srv
