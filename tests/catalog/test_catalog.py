"""The chip catalog as data: schema, coverage of the reference and the vocabulary, hash."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chipwatch.catalog import load_catalog
from chipwatch.catalog.loader import default_data_dir
from chipwatch.errors import CatalogError
from tests.catalog.datacopy import copy_data

# Every row of the shared reference (chips.md §1): the catalog holds at least these.
REFERENCE_IDS = {
    "v100", "t4", "a10", "a40", "a100-40gb", "a100-80gb", "a800", "a30", "l4", "l2", "l20", "l40",
    "l40s", "h100-sxm", "h100-pcie", "h800", "h20", "h200", "b200", "gb200", "rtx3090", "rtx4090",
    "rtx4090d", "rtx5090", "mi210", "mi250x", "mi300x", "mi308x", "gaudi2", "gaudi3", "tpu-v4",
    "tpu-v5e", "tpu-v5p", "ascend910", "ascend910b", "ascend910c", "ascend310p", "mlu370", "mlu590",
    "hygon-z100", "hygon-k100", "kunlunxin-r200", "kunlunxin-p800", "mtt-s4000", "biren-br100",
    "biren-br104", "iluvatar-bi-v100", "iluvatar-bi-v150", "metax-c500", "enflame-t20", "enflame-i20",
}
VENDORS = {"nvidia", "amd", "intel", "google", "apple", "huawei", "cambricon", "kunlunxin", "hygon",
           "moorethreads", "metax", "iluvatar", "enflame", "biren"}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _vocabulary() -> dict:
    return yaml.safe_load((default_data_dir() / "signals.yaml").read_text("utf-8"))


def test_every_reference_row_has_an_entry(catalog):
    assert REFERENCE_IDS <= {c.id for c in catalog.chips}


def test_vendors_are_those_of_the_vocabulary(catalog):
    vocab = _vocabulary()
    assert {v.id for v in catalog.vendors} == set(vocab["vendors"]) == VENDORS
    domestic_vendors = {v.id for v in catalog.vendors if v.domestic}
    assert {s for v in catalog.vendors if v.domestic for s in v.stacks} == {f"stack.{s}" for s in vocab["domestic_stacks"]}
    assert "nvidia" not in domestic_vendors and "huawei" in domestic_vendors


def test_every_stack_signal_claims_a_vendor(catalog):
    stacks = set(_vocabulary()["families"]["stack"])
    claimed = {s for v in catalog.vendors for s in v.stacks}
    assert claimed == stacks


def test_chip_signals_and_entries_match_one_to_one(catalog):
    vocab_chips = set(_vocabulary()["families"]["chip"])
    entry_signals = {c.signal for c in catalog.chips}
    assert entry_signals == vocab_chips
    assert len(vocab_chips) == 49
    assert {c.id for c in catalog.chips_for_signal("chip.a100")} == {"a100-40gb", "a100-80gb"}
    assert {c.id for c in catalog.chips_for_signal("chip.h100")} == {"h100-sxm", "h100-pcie"}


def test_every_entry_has_a_chip_rule(catalog):
    from chipwatch.signatures import default_rules_dir
    from chipwatch.signatures.rules import load_rule_files

    rules, _ = load_rule_files(default_rules_dir())
    with_rule = {r.signal for r in rules if r.signal.startswith("chip.")}
    missing = sorted({c.signal for c in catalog.chips} - with_rule)
    assert not missing, f"chip signals without a rule: {missing}"


def test_nvidia_parts_carry_architecture_and_compute_capability(catalog):
    archs = {a.id for a in catalog.facts.architectures}
    for chip in catalog.chips_of("nvidia"):
        assert chip.architecture in archs
        assert chip.cc is not None
        arch = next(a for a in catalog.facts.architectures if a.id == chip.architecture)
        assert chip.compute_capability in arch.compute_capabilities, chip.id


def test_unknown_stays_unknown(catalog):
    enflame = catalog.chip("enflame-t20")
    assert not enflame.memory_gb.known and not enflame.die_area_mm2.known
    assert enflame.formats["bf16"] is None
    rtx = catalog.chip("rtx4090")
    assert rtx.gpudirect_rdma is False and rtx.datacenter is False  # undocumented for GeForce
    assert catalog.chip("mi300x").gpudirect_rdma is None


def test_sources_resolve_to_urls(catalog):
    for chip in catalog.chips:
        assert all(u.startswith(("http://", "https://")) for u in chip.sources), chip.id
    assert any("epoch.ai" in u for u in catalog.chip("h100-sxm").sources)


def test_hash_is_stable_and_follows_content(tmp_path):
    data = copy_data(tmp_path)
    first = load_catalog(data).hash
    assert first == load_catalog(default_data_dir()).hash
    h20 = data / "chips" / "nvidia.yaml"
    h20.write_text(h20.read_text("utf-8").replace("memory_gb: 96", "memory_gb: 97"), "utf-8")
    assert load_catalog(data).hash != first


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    data = copy_data(tmp_path)
    path = data / file
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    return data


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        ("chips/nvidia.yaml", "    memory_gb: 96\n", "", "memory_gb"),
        ("chips/nvidia.yaml", "memory_gb: 96", "memory_gb: lots", "memory_gb"),
        ("chips/nvidia.yaml", "memory_gb: 96", "memory_gb: {min: 96, max: 80}", "above max"),
        ("chips/nvidia.yaml", "signal: chip.h20\n", "signal: chip.h2O\n", "signal"),
        ("chips/nvidia.yaml", "sources: [EPOCH, MIG]", "sources: [EPOCH, NOPE]", "NOPE"),
        ("chips/amd.yaml", "id: mi210\n    signal: chip.mi210", "id: v100\n    signal: chip.v100", "duplicate chip id"),
        ("export_rules/us-2025-04.yaml", "named_parts: [h20, mi308x]", "named_parts: [h21]", "h21"),
        ("export_rules/us-2025-04.yaml", "extends: us-2023-10", "extends: us-1999-01", "us-1999-01"),
        ("export_rules/us-2023-10.yaml", "metric: performance_density, min: 5.92", "metric: density, min: 5.92", "density"),
    ],
)
def test_bad_catalog_files_give_a_clear_error(tmp_path, file, old, new, message):
    data = _broken_copy(tmp_path, file, old, new)
    with pytest.raises(CatalogError) as info:
        load_catalog(data)
    assert message in str(info.value)
    assert Path(file).name in str(info.value) or Path(file).stem in str(info.value)


@pytest.mark.parametrize("name", ["FACTS_FILE", "VENDOR_FILE", "EXPORT_RULE_FILE"])
def test_catalog_schemas_are_valid_json_schemas(name):
    """The loader trusts its schemas (no meta-schema check at every process start)."""
    import jsonschema

    from chipwatch.catalog import schema

    file_schema = getattr(schema, name)
    jsonschema.validators.validator_for(file_schema).check_schema(file_schema)
