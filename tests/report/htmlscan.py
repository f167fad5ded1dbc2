"""Read the report's HTML the way a checker would: ids, links, images, scripts and the
cells of its data tables (by ``data-table`` and ``data-col``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Page:
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    event_attrs: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    text: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._table: str | None = None
        self._row: dict[str, str] | None = None
        self._col: str | None = None
        self._texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.page.tags.append(tag)
        self.page.event_attrs += [k for k in a if k.startswith("on")]
        if "id" in a:
            self.page.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.page.links.append(a["href"])
        if tag == "img":
            self.page.images.append(a.get("src", ""))
        if tag == "table" and "data-table" in a:
            self._table = a["data-table"]
            self.page.tables[self._table] = []
        if tag == "tr" and self._table:
            self._row = {}
        if tag == "td" and self._row is not None:
            self._col = a.get("data-col")
            self._row[self._col] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._col = None
        if tag == "tr" and self._table and self._row:
            self.page.tables[self._table].append(self._row)
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        self._texts.append(data)
        if self._row is not None and self._col is not None:
            self._row[self._col] = (self._row[self._col] + data).strip()


def parse(path: Path) -> Page:
    p = _Parser()
    p.feed(path.read_text(encoding="utf-8"))
    p.page.text = "".join(p._texts)
    return p.page
