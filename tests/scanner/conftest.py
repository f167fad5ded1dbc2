from __future__ import annotations

import pytest

from tests.signatures.conftest import mini_rules_dir, mini_ruleset  # noqa: F401  (fixtures)


@pytest.fixture()
def cache(tmp_path):
    from chipwatch.scanner import ScanCache

    c = ScanCache(tmp_path / "cache")
    yield c
    c.close()
