"""The command line over the flows: options reach the flow, errors are one line."""
from __future__ import annotations

import pytest

from chipwatch.cli import main

pytestmark = pytest.mark.slow


def test_crawl_command_prints_a_summary_and_where_the_tables_are(prefect_server, dask_cluster, tmp_path, capsys):
    wh = tmp_path / "wh"
    code = main(["crawl", "--source", "sample:default?repos=6", "--warehouse", str(wh),
                 "--dask-address", dask_cluster.scheduler_address])
    out = capsys.readouterr()
    assert code == 0
    assert "snapshots 6" in out.out and str(wh) in out.out and "tables in" in out.out


def test_bad_source_is_one_clear_line(prefect_server, tmp_path, capsys):
    code = main(["crawl", "--source", "nosuch:thing", "--warehouse", str(tmp_path / "wh")])
    err = capsys.readouterr().err
    assert code == 1 and "nosuch" in err and "Traceback" not in err


def test_backfill_needs_a_range(prefect_server, tmp_path, capsys):
    code = main(["backfill", "--warehouse", str(tmp_path / "wh")])
    assert code == 1 and "--start" in capsys.readouterr().err


def test_the_commands_preparation_imports_builds_the_suites_and_freezes_them(tmp_path):
    """What `chipwatch crawl` does while its server starts (commands.crawl.preparing), in
    a fresh process: the flows and GX's suites loaded, then frozen out of the garbage
    collector's full passes (chipwatch.startup)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import gc, sys\n"
            "from chipwatch.commands.crawl import preparing\n"
            "preparing(('flows.crawl',), ['runs'])()\n"
            "from chipwatch.validate import runner\n"
            "print('flows.crawl' in sys.modules, len(runner._definitions), gc.get_freeze_count())\n")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported, suites, frozen = proc.stdout.split()
    assert imported == "True" and int(suites) >= 1 and int(frozen) > 100_000
