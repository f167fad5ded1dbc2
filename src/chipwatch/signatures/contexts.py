"""The context of a chip mention (training, finetuning, inference, benchmark, unknown),
read from the sentence around it with the keyword lists of data/contexts.yaml."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import re2

from chipwatch import yamlio
from chipwatch.errors import RuleError
from chipwatch.model import CONTEXTS

# How far above a mention to look for a heading that names its context (docs, tables).
HEADING_LOOKBACK_LINES = 40


@dataclass(frozen=True)
class ContextClassifier:
    ordered: tuple[tuple[str, tuple], ...]  # (context, compiled patterns), first wins
    text: str

    def classify_text(self, sentence: str) -> str | None:
        for ctx, pats in self.ordered:
            for p in pats:
                if p.search(sentence):
                    return ctx
        return None

    def classify(self, line: str, before: list[str]) -> str:
        """The line itself first, then the line before it (a table row or bullet often
        leaves the verb to its lead-in), then the nearest heading above."""
        found = self.classify_text(line)
        if found:
            return found
        prev = next((b for b in reversed(before) if b.strip()), None)
        if prev is not None and not prev.lstrip().startswith("#"):
            found = self.classify_text(prev)
            if found:
                return found
        for b in reversed(before[-HEADING_LOOKBACK_LINES:]):
            s = b.lstrip()
            if s.startswith("#") or s.startswith("=="):
                return self.classify_text(s) or "unknown"
        return "unknown"


def contexts_text() -> str:
    return resources.files("chipwatch.data").joinpath("contexts.yaml").read_text("utf-8")


def load_contexts(text: str | None = None) -> ContextClassifier:
    text = contexts_text() if text is None else text
    raw = yamlio.safe_load(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("contexts"), list):
        raise RuleError("contexts.yaml must hold a list 'contexts' of {context, patterns}", subject="data/contexts.yaml")
    ordered = []
    for item in raw["contexts"]:
        ctx = item.get("context") if isinstance(item, dict) else None
        if ctx not in CONTEXTS or ctx == "unknown":
            raise RuleError(f"context {ctx!r} is not one of {CONTEXTS[:-1]}", subject="data/contexts.yaml")
        pats = []
        for p in item.get("patterns") or []:
            opts = re2.Options()
            opts.case_sensitive = False
            opts.log_errors = False
            try:
                pats.append(re2.compile(p, opts))
            except re2.error as exc:
                raise RuleError(f"pattern {p!r} of context {ctx} does not compile under RE2: {exc}", subject="data/contexts.yaml") from None
        ordered.append((ctx, tuple(pats)))
    return ContextClassifier(tuple(ordered), text)
