"""catalog.yaml (for analysts) must agree with schemas/ (the contracts)."""
from pathlib import Path

import yaml

from chipwatch.tables.contracts import TABLES, load_contracts

CATALOG = Path(__file__).resolve().parents[1] / "catalog.yaml"


def test_catalog_agrees_with_schemas():
    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    for field in ("title", "description", "license", "warehouse"):
        assert catalog.get(field), field
    assert catalog["warehouse"]["default"] == "./warehouse"
    assert list(catalog["tables"]) == list(TABLES)
    for name, c in load_contracts().items():
        entry = catalog["tables"][name]
        assert entry["location"] == f"{name}/", name
        assert entry["partitioning"] == list(c.partitioning), name
        assert entry["key"] == list(c.key), name
        assert entry["replace"] == c.replace, name
        assert entry["freshness"] and entry["partitioning_why"] and entry["description"], name
        assert list(entry["columns"]) == c.names, name
        for col in c.columns:
            got = entry["columns"][col.name]
            assert (got["type"], got["nullable"], got["description"]) == (
                col.type_text, col.nullable, col.description), (name, col.name)
