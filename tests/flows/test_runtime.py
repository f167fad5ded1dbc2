"""flows.runtime: the per-run Prefect API, in a process of its own (as `chipwatch crawl`)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.flows.conftest import PREFECT_HOME

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    from flows.runtime import prefect_api
    from prefect import flow, get_run_logger

    @flow
    def chatty():
        for i in range(20):
            get_run_logger().info("line %d", i)

    with prefect_api():
        chatty()
    print("done", flush=True)
""")


def test_run_logs_are_sent_before_the_server_stops(tmp_path):
    """Logs still queued when the run's own server stopped were sent at interpreter exit
    to a closed port, retried with backoff: `chipwatch crawl --verbose` took 85 s to exit
    after its summary, printing "Error logging to API"."""
    PREFECT_HOME.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(PREFECT_HOME), PREFECT_LOGGING_LEVEL="INFO", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "done"
    assert "line 19" in proc.stderr  # the run did log
    assert "Error logging to API" not in proc.stderr
    assert "connection attempts failed" not in proc.stderr.lower()
