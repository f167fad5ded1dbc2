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
