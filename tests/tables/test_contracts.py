import pyarrow as pa
import pytest

from chipwatch.errors import WarehouseError
from chipwatch.tables.arrow_types import parse_type
from chipwatch.tables.contracts import TABLES, load_contracts, parse_contract


def test_type_grammar_round_trips_pyarrow_spelling():
    assert parse_type("timestamp[us, tz=UTC]") == pa.timestamp("us", tz="UTC")
    assert parse_type("map<string, list<string>>") == pa.map_(pa.string(), pa.list_(pa.string()))
    struct = parse_type("list<struct<chip: string, line: int32>>")
    assert struct == pa.list_(pa.struct([("chip", pa.string()), ("line", pa.int32())]))
    for text in ("date32", "int64", "bool", "float64", "string"):
        assert str(parse_type(text)).startswith(text.replace("float64", "double"))


@pytest.mark.parametrize("bad", ["varchar", "list<nope>", "map<string>", "struct<string>"])
def test_unknown_types_are_clear_errors(bad):
    with pytest.raises(WarehouseError, match="schemas"):
        parse_type(bad)


def test_every_table_has_a_contract_with_run_and_hashes():
    contracts = load_contracts()
    assert tuple(contracts) == TABLES
    for name, c in contracts.items():
        assert {"run_id", "ruleset_hash", "catalog_hash"} <= set(c.names), name
        for col in c.key:
            assert not c.column(col).nullable, (name, col)
        for col in c.columns:
            assert col.description, (name, col.name)
        if name != "runs":
            assert {"platform", "owner"} <= set(c.names), name
    for name in ("snapshots", "evidence", "signals", "hardware"):
        assert {"name", "as_of", "commit", "as_of_month"} <= set(contracts[name].names)
        assert contracts[name].partitioning == ("as_of_month",)


def test_file_schema_leaves_partition_columns_to_the_path():
    c = load_contracts()["evidence"]
    assert "as_of_month" in c.arrow_schema().names
    assert "as_of_month" not in c.file_schema().names


def test_contract_errors_name_the_file():
    doc = {"table": "x", "description": "d", "one_row_per": "r", "key": ["a"], "columns": [
        {"name": "a", "type": "string", "nullable": False, "description": "a"}]}
    with pytest.raises(WarehouseError, match="x.yaml.*run_id"):
        parse_contract(doc, source="x.yaml")
    doc["columns"][0].pop("type")
    with pytest.raises(WarehouseError, match="x.yaml"):
        parse_contract(doc, source="x.yaml")
