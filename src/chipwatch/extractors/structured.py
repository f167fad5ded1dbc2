"""JSON and YAML configs, flattened into one line per setting.

Pretty-printed configs put a setting's key and value on different lines
(``"bf16": {`` … ``"enabled": true``), which line-oriented rules cannot see together.
This extractor keeps the file's own lines (so every ordinary rule still applies, with
the same line numbers) and appends one line per scalar setting::

    bf16.enabled = true
    zero_optimization.offload_optimizer.device = "cpu"

each mapped back to the line where its value stands. Rules that want such settings
match the flattened form (``^zero_optimization\\.stage = 3$``).

Parsing is bounded: YAML is composed to nodes (nothing is constructed, so no tags run),
aliases are followed at most once per path and the number of settings and the depth are
capped, so an alias bomb or a deeply nested file costs little.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right

from chipwatch.extractors.notebook import Extracted

MAX_SETTINGS = 5000
MAX_DEPTH = 32
MAX_BYTES = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
_KEY_SAFE = re.compile(r"^[A-Za-z0-9_\-]+$")


class _Limit(Exception):
    pass


def _key(k: object) -> str:
    s = str(k)
    return s if _KEY_SAFE.match(s) else json.dumps(s, ensure_ascii=False)


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.where: list[int] = []

    def add(self, path: list[str], value: object, line: int) -> None:
        if len(self.lines) >= MAX_SETTINGS:
            raise _Limit
        if not path:
            return
        self.lines.append(f"{'.'.join(path)} = {json.dumps(value, ensure_ascii=False)[:200]}")
        self.where.append(line)


def _flatten_json(text: str, out: _Out) -> None:
    """A small recursive-descent JSON reader that knows the line of every value."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    decoder = json.JSONDecoder()

    def line_of(pos: int) -> int:
        return bisect_right(newlines, pos - 1) + 1

    def skip(i: int) -> int:
        return _WS.match(text, i).end()

    def value(i: int, path: list[str], depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Limit
        i = skip(i)
        ch = text[i : i + 1]
        if ch == "{":
            i = skip(i + 1)
            if text[i : i + 1] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, i = json.decoder.scanstring(text, i + 1)
                i = skip(i)
                if text[i : i + 1] != ":":
                    raise ValueError("expected ':'")
                i = value(i + 1, [*path, _key(key)], depth + 1)
                i = skip(i)
                if text[i : i + 1] == ",":
                    i += 1
                    continue
                if text[i : i + 1] == "}":
                    return i + 1
                raise ValueError("expected ',' or '}'")
        if ch == "[":
            i = skip(i + 1)
            if text[i : i + 1] == "]":
                return i + 1
            n = 0
            while True:
                i = value(i, [*path, str(n)], depth + 1)
                n += 1
                i = skip(i)
                if text[i : i + 1] == ",":
                    i += 1
                    continue
                if text[i : i + 1] == "]":
                    return i + 1
                raise ValueError("expected ',' or ']'")
        obj, end = decoder.raw_decode(text, i)
        out.add(path, obj, line_of(i))
        return end

    value(0, [], 0)


def _flatten_yaml(text: str, out: _Out) -> None:
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    def walk(node, path: list[str], depth: int, seen: frozenset[int]) -> None:
        if depth > MAX_DEPTH or id(node) in seen:
            return
        seen = seen | {id(node)}
        if isinstance(node, ScalarNode):
            out.add(path, _scalar(node), node.start_mark.line + 1)
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                name = k.value if isinstance(k, ScalarNode) else "?"
                walk(v, [*path, _key(name)], depth + 1, seen)
        elif isinstance(node, SequenceNode):
            for n, v in enumerate(node.value):
                walk(v, [*path, str(n)], depth + 1, seen)

    # libyaml's composer when present: the pure-Python one costs ~0.2 s per large file.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for doc in yaml.compose_all(text, Loader=loader):
        if doc is not None:
            walk(doc, [], 0, frozenset())


def _scalar(node) -> object:
    """A YAML scalar as JSON would write it, resolved by the safe resolver's tag only."""
    v, tag = node.value, node.tag
    if tag.endswith(":bool"):
        return v.lower() in ("true", "yes", "on")
    if tag.endswith(":int"):
        try:
            return int(v.replace("_", ""), 0)
        except ValueError:
            return v
    if tag.endswith(":float"):
        try:
            return float(v)
        except ValueError:
            return v
    if tag.endswith(":null"):
        return None
    return v


def extract_structured(data: bytes, fmt: str) -> Extracted:
    """The file's own lines followed by its flattened settings (best effort: a file that
    does not parse is still scanned as plain text)."""
    base_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    linemap = list(range(1, base_lines + 1))
    if len(data) > MAX_BYTES:
        return Extracted(data, linemap)
    text = data.decode("utf-8", errors="replace")
    out = _Out()
    try:
        if fmt == "json":
            _flatten_json(text, out)
        else:
            _flatten_yaml(text, out)
    except _Limit:
        pass
    except Exception:  # malformed: keep what was flattened so far
        pass
    if not out.lines:
        return Extracted(data, linemap)
    sep = b"" if data.endswith(b"\n") or not data else b"\n"
    flat = "\n".join(out.lines).encode("utf-8")
    return Extracted(data + sep + flat + b"\n", linemap + out.where, settings_from=len(linemap) + 1)
