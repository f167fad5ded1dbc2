"""JSON Schemas of the catalog files: vendor chip files, the shared facts file and the
export rule files. Every file is checked before anything is built from it."""
from __future__ import annotations

from typing import Any

_QUANTITY: dict[str, Any] = {
    "oneOf": [
        {"type": "null"},
        {"type": "number"},
        {
            "type": "object",
            "properties": {"min": {"type": "number"}, "max": {"type": "number"}},
            "required": ["min", "max"],
            "additionalProperties": False,
        },
    ]
}
_TRISTATE = {"type": ["boolean", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_SIGNAL = {"type": "string", "pattern": r"^[a-z0-9_]+\.[a-z0-9_]+$"}

FORMATS = ("bf16", "tf32", "fp8", "fp4")
THROUGHPUT_BITS = {"fp32": 32, "tf32": 32, "fp16": 16, "bf16": 16, "fp8": 8, "int8": 8, "fp4": 4, "int4": 4}

CHIP: dict[str, Any] = {
    "type": "object",
    "required": [
        "id", "signal", "name", "family", "architecture", "compute_capability", "release_year",
        "memory_gb", "memory_bandwidth_tbs", "dense_tflops", "formats", "datacenter",
        "gpudirect_rdma", "nvlink", "nvlink_gbs", "interconnect_gbs", "die_area_mm2",
        "domestic", "sources",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"},
        "signal": {"type": "string", "pattern": r"^chip\.[a-z0-9]+$"},
        "name": {"type": "string", "minLength": 1},
        "family": {"type": ["string", "null"]},
        "architecture": {"type": "string", "minLength": 1},
        "compute_capability": {"type": ["string", "null"], "pattern": r"^\d+\.\d+$"},
        "compute_capability_inferred": {"type": "boolean"},
        "stacks": {"type": "array", "items": _SIGNAL, "minItems": 1},
        "release_year": _QUANTITY,
        "memory_gb": _QUANTITY,
        "memory_bandwidth_tbs": _QUANTITY,
        "dense_tflops": {
            "type": "object",
            "propertyNames": {"enum": list(THROUGHPUT_BITS)},
            "additionalProperties": _QUANTITY,
        },
        "formats": {
            "type": "object",
            "required": list(FORMATS),
            "additionalProperties": False,
            "properties": {f: _TRISTATE for f in FORMATS},
        },
        "datacenter": _TRISTATE,
        "gpudirect_rdma": _TRISTATE,
        "nvlink": _TRISTATE,
        "nvlink_gbs": _QUANTITY,
        "interconnect_gbs": _QUANTITY,
        "die_area_mm2": _QUANTITY,
        "domestic": {"type": "boolean"},
        "notes": {"type": "string"},
        "sources": _STRINGS,
    },
}

VENDOR_FILE: dict[str, Any] = {
    "type": "object",
    "required": ["vendor", "chips"],
    "additionalProperties": False,
    "properties": {
        "vendor": {
            "type": "object",
            "required": ["id", "name", "domestic", "stacks"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": r"^[a-z0-9]+$"},
                "name": {"type": "string"},
                "domestic": {"type": "boolean"},
                "stacks": {"type": "array", "items": _SIGNAL, "minItems": 1},
                "presents_as": {"type": "array", "items": _SIGNAL},
                "confirming": {"type": "array", "items": _SIGNAL},
            },
        },
        "chips": {"type": "array", "items": CHIP},
    },
}

_REQUIREMENT: dict[str, Any] = {
    "type": "object",
    "required": ["step", "signal", "strength", "label"],
    "additionalProperties": False,
    "properties": {
        "step": {"enum": ["architecture", "datacenter"]},
        "signal": _SIGNAL,
        "strength": {"enum": ["used", "stored"]},
        "text_pattern": {"type": "string"},
        "kinds": {"type": "array", "items": {"enum": ["code", "config", "script", "doc", "notebook"]}, "minItems": 1},
        "vendors": _STRINGS,
        "min_cc": {"type": "string", "pattern": r"^\d+\.\d+$"},
        "chip": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "format": {"enum": list(FORMATS)},
                "gpudirect_rdma": {"type": "boolean"},
                "datacenter": {"type": "boolean"},
                "nvlink": {"type": "boolean"},
            },
        },
        "label": {"type": "string"},
        "group": {"type": "string"},
        "sources": _STRINGS,
    },
    "anyOf": [{"required": ["min_cc"]}, {"required": ["chip"]}],
}

FACTS_FILE: dict[str, Any] = {
    "type": "object",
    "required": ["sources", "architectures", "requirements", "memory", "context_weights", "confidence"],
    "additionalProperties": False,
    "properties": {
        "sources": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^https?://"}},
        "architectures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "compute_capabilities"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "compute_capabilities": {"type": "array", "items": {"type": "string", "pattern": r"^\d+\.\d+$"}},
                },
            },
        },
        "requirements": {"type": "array", "items": _REQUIREMENT},
        "memory": {
            "type": "object",
            "required": ["patterns", "variant"],
            "additionalProperties": False,
            "properties": {"patterns": _STRINGS, "variant": {"type": "string"}},
        },
        "context_weights": {
            "type": "object",
            "required": ["training", "finetuning", "inference", "benchmark", "unknown"],
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "confidence": {
            "type": "object",
            "required": [
                "vendor_from_code", "vendor_from_docs_only", "per_narrowing_step",
                "max_narrowing_steps", "explicit_candidate", "per_contradiction",
            ],
            "additionalProperties": {"type": "number", "minimum": 0},
        },
    },
}

_CONDITION: dict[str, Any] = {
    "type": "object",
    "required": ["metric"],
    "additionalProperties": False,
    "properties": {
        "metric": {"enum": ["tpp", "performance_density", "interconnect_gbs", "memory_bandwidth_tbs", "memory_gb"]},
        "min": {"type": "number"},
        "below": {"type": "number"},
    },
    "anyOf": [{"required": ["min"]}, {"required": ["below"]}],
}

EXPORT_RULE_FILE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "date", "sources", "clauses"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z]+-\d{4}-\d{2}$"},
        "title": {"type": "string"},
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "extends": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "string", "pattern": "^https?://"}, "minItems": 1},
        "notes": {"type": "string"},
        "named_parts": _STRINGS,
        "clauses": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "applies_to", "all"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "applies_to": {"enum": ["any", "datacenter", "non_datacenter"]},
                    "all": {"type": "array", "items": _CONDITION, "minItems": 1},
                },
            },
        },
    },
}
