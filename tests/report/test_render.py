"""The report opens in a real browser: headless Chromium (Debian's ``chromium``), no
network, a fresh profile. A console message is a failure — the report has no script,
so any message is a blocked resource or a Content-Security-Policy violation."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.report.conftest import HOSTILE_OWNER
from tests.report.test_report import png_size

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\]")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium is needed for this test: apt-get install -y chromium")
    return found


def run_browser(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=90)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


def test_index_renders_without_console_errors(report, tmp_path):
    shot = tmp_path / "index.png"
    done = run_browser(tmp_path, report.index, "--window-size=1280,2400", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    w, h = png_size(shot.read_bytes())
    assert (w, h) == (1280, 2400)
    assert shot.stat().st_size > 100_000  # text and charts, not a blank page


@pytest.mark.parametrize("which", ["index", "hostile"])
def test_dom_after_render(report, tmp_path, which):
    page = report.index if which == "index" else report.pages[HOSTILE_OWNER]
    done = run_browser(tmp_path, page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    dom = done.stdout
    assert "<title>chipwatch" in dom and "pwned" not in dom.split("</title>")[0]
    assert "<script" not in dom  # nothing from the tables became an element
    if which == "index":
        assert dom.count("<img ") == 5 and "Removed signals" in dom and "Chips named explicitly" in dom
    else:
        assert "Elimination chain" in dom and "&lt;script&gt;document.title" in dom
