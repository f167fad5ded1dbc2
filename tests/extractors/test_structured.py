"""Flattened config settings: line mapping, and bounded work on hostile files."""
from __future__ import annotations

import json
import time

from chipwatch.extractors.structured import MAX_SETTINGS, extract_structured


def flat(ex):
    lines = ex.text.decode().split("\n")
    return {lines[i - 1]: ex.linemap[i - 1] for i in range(ex.settings_from, len(ex.linemap) + 1)}


def test_json_settings_map_to_value_lines():
    text = json.dumps({"bf16": {"enabled": True}, "zero_optimization": {"stage": 3, "offload_optimizer": {"device": "cpu"}}, "odd key": [1, 2]}, indent=2) + "\n"
    ex = extract_structured(text.encode(), "json")
    got = flat(ex)
    raw = text.split("\n")
    assert '"enabled": true' in raw[got["bf16.enabled = true"] - 1]
    assert '"stage": 3' in raw[got["zero_optimization.stage = 3"] - 1]
    assert '"device": "cpu"' in raw[got['zero_optimization.offload_optimizer.device = "cpu"'] - 1]
    assert '"odd key".1 = 2' in got
    assert ex.linemap[: len(raw) - 1] == list(range(1, len(raw)))  # own lines unchanged


def test_yaml_settings_and_alias_bomb():
    ex = extract_structured(b"deepspeed:\n  bf16:\n    enabled: true\n  stage: 3\n", "yaml")
    assert flat(ex) == {"deepspeed.bf16.enabled = true": 3, "deepspeed.stage = 3": 4}
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    t = time.perf_counter()
    ex = extract_structured(bomb.encode(), "yaml")
    assert time.perf_counter() - t < 5
    assert len(ex.linemap) - (ex.settings_from - 1) <= MAX_SETTINGS


def test_malformed_and_deep_inputs_stay_plain_text():
    for data, fmt in ((b'{"a": {"b": tru', "json"), (b"[" * 100_000, "json"), (b"a: [unclosed\n", "yaml"), (b"\xff\xfe{}", "json")):
        ex = extract_structured(data, fmt)
        assert ex.text.startswith(data)
    deep = ("[" * 40 + "1" + "]" * 40).encode()
    ex = extract_structured(deep, "json")
    assert ex.settings_from is None or len(ex.linemap) >= 1
