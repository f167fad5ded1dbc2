"""Read a model card's metadata and a config.json safely: hostile input is a value
(an error string), never an exception, a hang or a memory blow-up.

The Hub's own parser (``ModelCard``) runs ``yaml.safe_load``, which builds an alias bomb
("billion laughs") as shared references in little memory — but anything that walks the
result afterwards (JSON dumping, copying, the card-data classes) expands it. So the
front matter is first checked with a loader that refuses aliases and bounds size and
depth; only then is it handed to ``ModelCard`` (with ``ignore_metadata_errors``).
"""
from __future__ import annotations

import json
import math
from typing import Any

import yaml

MAX_CARD_BYTES = 1 << 20
MAX_CONFIG_BYTES = 4 << 20
MAX_DEPTH = 64
MAX_FRONT_MATTER = 256 << 10


def _bracket_depth(text: str) -> int:
    """Deepest nesting of flow brackets (quotes ignored: an over-estimate is fine).

    PyYAML's scanner is quadratic in flow nesting (5,000 levels take seconds), so deep
    nesting is refused before parsing.
    """
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}" and depth:
            depth -= 1
    return deepest


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses YAML aliases (anchors alone are harmless)."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases are not allowed in model card metadata", event.start_mark
            )
        return super().compose_node(parent, index)


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return deepest


def json_safe(value: Any, depth: int = 0) -> Any:
    """Plain JSON values only: dates become strings, NaN and infinities become None,
    anything nested deeper than MAX_DEPTH becomes None."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def parse_card(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The card's metadata as a JSON-safe dict, or ``(None, error)``; never raises."""
    if len(data) > MAX_CARD_BYTES:
        return None, f"model card is {len(data)} bytes, more than {MAX_CARD_BYTES}"
    text = data.decode("utf-8", errors="replace")
    from huggingface_hub.repocard import REGEX_YAML_BLOCK, ModelCard

    match = REGEX_YAML_BLOCK.search(text)
    if not match:
        return {}, None
    block = match.group(2)
    if len(block) > MAX_FRONT_MATTER:
        return None, f"model card metadata is {len(block)} characters, more than {MAX_FRONT_MATTER}"
    if _bracket_depth(block) > MAX_DEPTH:
        return None, "model card metadata is nested too deeply"
    try:
        raw = yaml.load(block, Loader=_NoAliasLoader)  # noqa: S506 - safe subclass
    except RecursionError:
        return None, "model card metadata is nested too deeply"
    except yaml.YAMLError as exc:
        return None, f"model card metadata is not valid YAML: {' '.join(str(exc).split())[:200]}"
    if raw is None:
        return {}, None
    if not isinstance(raw, dict):
        return None, f"model card metadata is a {type(raw).__name__}, not a mapping"
    if _depth(raw) > MAX_DEPTH:
        return None, "model card metadata is nested too deeply"
    try:
        card = ModelCard(text, ignore_metadata_errors=True)
        meta = card.data.to_dict()
    except Exception as exc:  # the Hub's card classes reject some shapes; not fatal
        return json_safe(raw), f"model card metadata partly unusable: {type(exc).__name__}: {str(exc)[:160]}"
    return json_safe(meta), None


def parse_config(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A config.json as a dict, or ``(None, error)``; never raises."""
    if len(data) > MAX_CONFIG_BYTES:
        return None, f"config.json is {len(data)} bytes, more than {MAX_CONFIG_BYTES}"
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:
        return None, "config.json is nested too deeply"
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"config.json is not JSON: {str(exc)[:160]}"
    if not isinstance(value, dict):
        return None, f"config.json is a JSON {type(value).__name__}, not an object"
    if _depth(value) > MAX_DEPTH:
        return None, "config.json is nested too deeply"
    return json_safe(value), None
