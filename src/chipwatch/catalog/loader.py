"""Load and check the chip catalog and export rules from ``chipwatch/data``.

Every file is validated against its schema, then cross-checked (unique ids, source keys
that resolve, rules that extend known rules, named parts that exist). The catalog hash is
the SHA-256 of every file's path and bytes, so any change to a chip, a fact or a rule
gives a new hash — stored with every inference made from it.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from chipwatch import yamlio
from chipwatch.catalog import schema
from chipwatch.catalog.model import (
    Architecture, Catalog, Chip, Clause, Condition, ExportRule, Facts, Requirement, Vendor,
)
from chipwatch.catalog.quantity import Quantity
from chipwatch.errors import CatalogError

FACTS_FILE = "_facts.yaml"


def default_data_dir() -> Path:
    return Path(str(resources.files("chipwatch") / "data"))


def load_catalog(data_dir: Path | str | None = None) -> Catalog:
    """The catalog under ``data_dir``; the bundled ``chipwatch/data`` by default (read
    once per process — an explicit folder is read afresh on every call)."""
    return _load(Path(data_dir)) if data_dir else _bundled()


@lru_cache(maxsize=1)
def _bundled() -> Catalog:
    return _load(default_data_dir())


@lru_cache(maxsize=None)
def _validator(name: str) -> jsonschema.protocols.Validator:
    # The schemas are checked against their meta-schema by the test suite, not at every
    # start of a process (that was half of loading the catalog).
    file_schema = getattr(schema, name)
    return jsonschema.validators.validator_for(file_schema)(file_schema)


def _load(root: Path) -> Catalog:
    chip_dir, rule_dir = root / "chips", root / "export_rules"
    chip_files = sorted(p for p in chip_dir.glob("*.yaml") if p.name != FACTS_FILE)
    rule_files = sorted(rule_dir.glob("*.yaml"))
    facts_path = chip_dir / FACTS_FILE
    if not facts_path.is_file():
        raise CatalogError("missing shared facts file", subject=str(facts_path))
    if not chip_files:
        raise CatalogError("no vendor files", subject=str(chip_dir))

    digest = hashlib.sha256()
    for path in [facts_path, *chip_files, *rule_files]:
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")

    facts = _facts(_read(facts_path, "FACTS_FILE"))
    vendors: list[Vendor] = []
    chips: list[Chip] = []
    first_seen: dict[str, Path] = {}
    for path in chip_files:
        v, cs = _vendor_file(_read(path, "VENDOR_FILE"), path, facts)
        vendors.append(v)
        for c in cs:
            if c.id in first_seen:
                raise CatalogError(f"duplicate chip id {c.id!r} (also in {first_seen[c.id].name})", subject=str(path))
            first_seen[c.id] = path
        chips.extend(cs)
    rules = _rules([(p, _read(p, "EXPORT_RULE_FILE")) for p in rule_files], chips)
    for r in facts.requirements:
        for vid in r.vendors:
            if vid not in {v.id for v in vendors}:
                raise CatalogError(f"requirement for {r.signal} names unknown vendor {vid!r}", subject=str(facts_path))
    return Catalog(
        hash=digest.hexdigest()[:16],
        vendors=tuple(vendors),
        chips=tuple(chips),
        facts=facts,
        export_rules=tuple(sorted(rules, key=lambda r: r.date)),
    )


def _read(path: Path, schema_name: str) -> dict[str, Any]:
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"not valid YAML: {exc}", subject=str(path)) from exc
    try:
        _validator(schema_name).validate(data)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise CatalogError(f"at {where}: {exc.message}", subject=str(path)) from exc
    return data


def _facts(data: dict[str, Any]) -> Facts:
    reqs = []
    for r in data["requirements"]:
        fields: list[tuple[str, bool]] = []
        for key, value in (r.get("chip") or {}).items():
            fields.append((value, True) if key == "format" else (key, value))
        reqs.append(Requirement(
            step=r["step"], signal=r["signal"], strength=r["strength"], label=r["label"],
            text_pattern=r.get("text_pattern"), vendors=tuple(r.get("vendors", ())),
            min_cc=r.get("min_cc"), chip_fields=tuple(fields), group=r.get("group"), sources=tuple(r.get("sources", ())),
            kinds=tuple(r.get("kinds", ())),
        ))
    for r in reqs:
        for key in r.sources:
            if key not in data["sources"]:
                raise CatalogError(f"requirement for {r.signal} cites unknown source {key!r}", subject=FACTS_FILE)
    return Facts(
        sources=dict(data["sources"]),
        architectures=tuple(Architecture(a["id"], tuple(a["compute_capabilities"])) for a in data["architectures"]),
        requirements=tuple(reqs),
        memory_patterns=tuple(data["memory"]["patterns"]),
        variant_pattern=data["memory"]["variant"],
        context_weights={k: float(v) for k, v in data["context_weights"].items()},
        confidence={k: float(v) for k, v in data["confidence"].items()},
    )


def _vendor_file(data: dict[str, Any], path: Path, facts: Facts) -> tuple[Vendor, list[Chip]]:
    v = data["vendor"]
    if path.stem != v["id"]:
        raise CatalogError(f"vendor id {v['id']!r} does not match the file name", subject=str(path))
    vendor = Vendor(
        id=v["id"], name=v["name"], domestic=v["domestic"], stacks=tuple(v["stacks"]),
        presents_as=tuple(v.get("presents_as", ())), confirming=tuple(v.get("confirming", ())),
    )
    arch_ids = {a.id for a in facts.architectures}
    chips = []
    for c in data["chips"]:
        subject = f"{path.name}: {c['id']}"
        expected_signal = "chip." + c["id"].replace("-", "")
        if c["signal"] != expected_signal and not c["id"].startswith(c["signal"][5:] + "-"):
            raise CatalogError(f"signal {c['signal']!r} is neither {expected_signal!r} nor a variant's", subject=subject)
        if c["compute_capability"] and c["architecture"] not in arch_ids:
            raise CatalogError(f"architecture {c['architecture']!r} is not one of {sorted(arch_ids)}", subject=subject)
        missing = [k for k in c["sources"] if k not in facts.sources]
        if missing:
            raise CatalogError(f"unknown source keys {missing}", subject=subject)
        stacks = tuple(c.get("stacks") or vendor.stacks)
        if not set(stacks) <= set(vendor.stacks):
            raise CatalogError(f"stacks {list(stacks)} are not the vendor's {list(vendor.stacks)}", subject=subject)
        q = lambda key: Quantity.parse(c[key], subject=f"{subject}: {key}")  # noqa: E731
        chips.append(Chip(
            id=c["id"], vendor=vendor.id, signal=c["signal"], name=c["name"], family=c["family"],
            architecture=c["architecture"], compute_capability=c["compute_capability"],
            compute_capability_inferred=c.get("compute_capability_inferred", False), stacks=stacks,
            release_year=q("release_year"), memory_gb=q("memory_gb"),
            memory_bandwidth_tbs=q("memory_bandwidth_tbs"),
            dense_tflops={k: Quantity.parse(val, subject=f"{subject}: dense_tflops.{k}") for k, val in c["dense_tflops"].items()},
            formats=dict(c["formats"]), datacenter=c["datacenter"], gpudirect_rdma=c["gpudirect_rdma"],
            nvlink=c["nvlink"], nvlink_gbs=q("nvlink_gbs"), interconnect_gbs=q("interconnect_gbs"),
            die_area_mm2=q("die_area_mm2"), domestic=c["domestic"], notes=c.get("notes", ""),
            sources=tuple(facts.sources[k] for k in c["sources"]),
        ))
        if c["domestic"] != vendor.domestic:
            raise CatalogError("domestic flag differs from the vendor's", subject=subject)
    return vendor, chips


def _rules(files: list[tuple[Path, dict[str, Any]]], chips: list[Chip]) -> list[ExportRule]:
    by_id: dict[str, dict[str, Any]] = {}
    for path, data in files:
        if path.stem != data["id"]:
            raise CatalogError(f"rule id {data['id']!r} does not match the file name", subject=str(path))
        by_id[data["id"]] = data
    chip_ids = {c.id for c in chips}

    def clauses(rule_id: str, seen: tuple[str, ...] = ()) -> tuple[Clause, ...]:
        if rule_id in seen:
            raise CatalogError(f"rule extends itself through {' → '.join(seen)}", subject=rule_id)
        data = by_id[rule_id]
        inherited: tuple[Clause, ...] = ()
        if data.get("extends"):
            if data["extends"] not in by_id:
                raise CatalogError(f"extends unknown rule {data['extends']!r}", subject=rule_id)
            inherited = clauses(data["extends"], (*seen, rule_id))
        own = tuple(
            Clause(cl["id"], cl["applies_to"], tuple(Condition(c["metric"], c.get("min"), c.get("below")) for c in cl["all"]))
            for cl in data["clauses"]
        )
        return inherited + own

    rules = []
    for rule_id, data in by_id.items():
        unknown = [p for p in data.get("named_parts", ()) if p not in chip_ids]
        if unknown:
            raise CatalogError(f"named parts {unknown} are not catalog chips", subject=rule_id)
        rules.append(ExportRule(
            id=rule_id, title=data["title"], date=data["date"], clauses=clauses(rule_id),
            named_parts=tuple(data.get("named_parts", ())), sources=tuple(data["sources"]),
            notes=data.get("notes", ""),
        ))
    return rules
