"""The report's files: charts are real PNGs, every section is there, every link resolves
inside the report, table text cannot become markup, and thin data is said, not drawn."""
from __future__ import annotations

import struct
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from chipwatch import cli
from chipwatch.report import build_report
from chipwatch.report.build import SECTIONS
from chipwatch.storage import Warehouse
from tests.helpers.gitbuild import GitRepoBuilder
from tests.report.conftest import HOSTILE_LINE, HOSTILE_OWNER, HOSTILE_PATH
from tests.report.htmlscan import parse
from tests.report.warehouse_builder import publish_snapshots, publish_trends

CHARTS = ("domestic-stacks", "techniques", "candidate-classes", "export-status", "explicit-chips")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND", "truncated PNG"
    return struct.unpack(">II", data[16:24])


def test_every_chart_is_a_png_of_sensible_size(report):
    assert set(report.charts) == set(CHARTS)
    for key in CHARTS:
        path = report.out_dir / "charts" / f"{key}.png"
        w, h = png_size(path.read_bytes())
        assert 500 <= w <= 4000 and 250 <= h <= 4000, (key, w, h)
        assert path.stat().st_size > 10_000  # drawn, not blank
        assert (report.out_dir / "charts" / f"{key}.csv").read_text().count("\n") > 1


def test_index_has_every_section_and_embeds_its_charts(report):
    page = parse(report.index)
    for section, _ in SECTIONS:
        assert section in page.ids
    embedded = [src for src in page.images if src.startswith("data:image/png;base64,")]
    assert len(embedded) == len(CHARTS) == len(page.images)
    for key in CHARTS:
        assert f"fig-{key}" in page.ids


def _targets(out: Path, page_path: Path) -> list[tuple[str, Path, str]]:
    """(link, file it names, anchor) for every link that stays inside the report."""
    found = []
    for link in parse(page_path).links:
        parts = urlsplit(link)
        if parts.scheme in ("http", "https"):
            continue
        assert not parts.scheme and not parts.netloc, f"{page_path.name}: unexpected link {link!r}"
        target = page_path if not parts.path else (page_path.parent / unquote(parts.path)).resolve()
        assert out.resolve() in target.parents, f"{link!r} leaves the report"
        found.append((link, target, parts.fragment))
    return found


def test_every_link_resolves_inside_the_report(report):
    pages = [report.index, *report.pages.values()]
    ids = {p.resolve(): parse(p).ids for p in pages}
    checked = 0
    for page_path in pages:
        for link, target, anchor in _targets(report.out_dir, page_path):
            assert target.exists(), f"{page_path.name}: {link!r} names a missing file"
            if anchor:
                assert anchor in ids[target.resolve()], f"{page_path.name}: {link!r} names a missing anchor"
            checked += 1
    assert checked > 100


def test_every_step_links_to_its_evidence_row(report):
    cited = 0
    for path in report.pages.values():
        html = path.read_text(encoding="utf-8")
        page = parse(path)
        for link in page.links:
            if "-ev" in link and link.startswith("#"):
                assert link[1:] in page.ids
                cited += 1
        assert "not in the evidence table" not in html  # every cited finding was found in the evidence table
        assert ">nan<" not in html and "nan … nan" not in html  # missing values are said, not printed as NaN
    assert cited > 50
    funnels = sum(p.read_text(encoding="utf-8").count('<svg class="funnel"') for p in report.pages.values())
    assert funnels >= 15  # one elimination figure per repository with a claimed vendor


def test_table_text_is_escaped(report):
    for path in [report.index, *report.pages.values()]:
        page = parse(path)
        assert "script" not in page.tags, path.name
        assert not page.event_attrs, path.name
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html and "<img src=x" not in html
    hostile = parse(report.pages[HOSTILE_OWNER])
    assert HOSTILE_LINE in hostile.text  # shown as text ...
    assert HOSTILE_OWNER in hostile.text
    assert HOSTILE_PATH in hostile.text
    assert hostile.images == []  # ... never as an element
    assert any(link.startswith("https://github.com/") for link in hostile.links)  # the removed signal's permalink


def test_cli_report_and_bad_since(sample_warehouse, tmp_path, capsys):
    out = tmp_path / "r"
    code = cli.main(["report", "--warehouse", sample_warehouse.url, "--out", str(out), "--orgs", "npu-port",
                     "--since", "2025-01"])
    assert code == 0
    assert (out / "index.html").exists() and "index.html" in capsys.readouterr().out
    index = parse(out / "index.html")
    assert {r["organization"] for r in index.tables["stacks"]} == {"all organizations", "npu-port"}
    assert [p.name for p in out.glob("org-*.html")] and all("npu-port" in p.name for p in out.glob("org-*.html"))
    months = (out / "charts" / "domestic-stacks.csv").read_text().splitlines()[1:]
    assert months and all(line.split(",")[0] >= "2025-01" for line in months)
    assert cli.main(["report", "--warehouse", sample_warehouse.url, "--out", str(out), "--since", "2025-13"]) == 1
    assert "--since must be a month like 2024-01" in capsys.readouterr().err


def test_empty_warehouse_gives_a_report_that_says_so(tmp_path):
    result = build_report(Warehouse(str(tmp_path / "nothing")), tmp_path / "out", orgs=("nobody",))
    assert result.empty and result.charts == {} and result.pages == {}
    page = parse(result.index)
    assert "has no published snapshots for nobody" in page.text
    assert "No data for organization(s): nobody" in page.text
    assert page.images == [] and not list((tmp_path / "out" / "charts").glob("*.png"))
    for section, _ in SECTIONS:
        assert section in page.ids
    assert "No chip is named in any repository's latest snapshot." in page.text


def test_thin_data_is_flagged(tmp_path):
    repo = GitRepoBuilder(tmp_path / "one")
    repo.commit({"run.sh": "import torch_npu\nexport ASCEND_RT_VISIBLE_DEVICES=0\n"}, date="2024-03-02")
    from chipwatch.model import RepoRef

    wh = Warehouse(str(tmp_path / "wh"))
    ref = RepoRef("local", "solo-lab", "one", str(repo.path), "main")
    run_id = publish_snapshots(wh, [ref], [date(2024, 3, 31)], scan_cache=tmp_path / "cache")
    publish_trends(wh, run_id)
    result = build_report(wh, tmp_path / "out")
    text = parse(result.index).text
    assert "Only 1 month(s) of data" in text and "Fewer than 5 repositories" in text
    assert "domestic-stacks" in result.charts  # one month still draws (as points), with the warning
    png_size(result.charts["domestic-stacks"].read_bytes())
    assert "No signal was removed" in text


def test_rebuild_replaces_old_pages(sample_warehouse, tmp_path):
    out = tmp_path / "r"
    build_report(sample_warehouse, out)
    stray = out / "notes.txt"
    stray.write_text("mine")
    result = build_report(sample_warehouse, out, orgs=("hy-lab",))
    assert sorted(p.name for p in out.glob("org-*.html")) == [p.name for p in result.pages.values()]
    assert stray.read_text() == "mine"  # only the report's own files are replaced


def test_since_after_all_data(sample_warehouse, tmp_path):
    result = build_report(sample_warehouse, tmp_path / "r", since=date(2030, 1, 1))
    text = parse(result.index).text
    assert "No repository in the report shows a domestic accelerator stack" in text
    assert "domestic-stacks" not in result.charts
    assert result.pages  # the per-organization pages still describe latest snapshots
