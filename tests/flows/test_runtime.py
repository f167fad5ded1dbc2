"""flows.runtime: the per-run Prefect API, in a process of its own (as `chipwatch crawl`)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.flows.conftest import PREFECT_HOME

ROOT = Path(__file__).resolve().parents[2]

# The port chosen for the server is taken by someone else before the server binds it
# (simulated: _free_port hands out a port this process listens on, once).
CHILD = textwrap.dedent("""
    import os, socket
    import flows.runtime as R
    from flows.runtime import prefect_api

    taken = socket.socket(); taken.bind(("127.0.0.1", 0)); taken.listen()
    ports = [taken.getsockname()[1]]
    real_free_port = R._free_port
    R._free_port = lambda: ports.pop() if ports else real_free_port()
    seen = {}

    def while_starting():
        seen["url"] = os.environ.get("PREFECT_API_URL")
        from prefect import flow, get_run_logger  # what a run imports, before the server answers
        seen["flow"], seen["logger"] = flow, get_run_logger

    with prefect_api(while_starting=while_starting) as url:
        import psutil
        server, = [c for c in psutil.Process().children() if "uvicorn" in " ".join(c.cmdline())]
        print("server-env-has-token", "GITHUB_TOKEN" in server.environ(), flush=True)

        @seen["flow"]
        def chatty():
            for i in range(20):
                seen["logger"]().info("line %d", i)

        chatty()
    print("taken", taken.getsockname()[1], "hook saw", seen["url"], "served", url, flush=True)
""")


def _env(**extra: str) -> dict[str, str]:
    PREFECT_HOME.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(PREFECT_HOME), PYTHONPATH=str(ROOT), **extra)
    return env


def test_the_runs_own_server_starts_while_the_run_imports_and_sends_every_log(tmp_path):
    """A port taken between its choice and the server's bind: the server starts on
    another, without the sources' tokens in its environment. The run's imports happen while it starts, with its URL already exported.
    Logs still queued when the server stopped used to be sent at interpreter exit to a
    closed port, with retries: `chipwatch crawl --verbose` took 85 s to exit after its
    summary, printing "Error logging to API"."""
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=tmp_path,
                          env=_env(PREFECT_LOGGING_LEVEL="INFO", GITHUB_TOKEN="ghp_not-for-the-server"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    token_line, run_line = proc.stdout.strip().splitlines()
    assert token_line == "server-env-has-token False"  # the server gets no source token
    _, taken, _, _, seen, _, served = run_line.split()
    # the hook ran with the URL exported: the first port's, given up since
    assert seen == f"http://127.0.0.1:{taken}/api"
    assert served.startswith("http://127.0.0.1:") and served.endswith("/api") and served != seen
    assert "line 19" in proc.stderr  # the run did log
    assert "Error logging to API" not in proc.stderr
    assert "connection attempts failed" not in proc.stderr.lower()


def test_a_server_that_cannot_start_is_one_clear_line(tmp_path):
    env = _env(PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/prefect.db",
               CHIPWATCH_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "chipwatch.cli", "crawl", "--warehouse", str(tmp_path / "wh")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "chipwatch crawl: error: prefect: the run's Prefect API server exited with status 3 while starting "
        "(its messages are above)")
    assert not (tmp_path / "wh").exists()


def _crawl_until_its_flow_runs(tmp_path) -> tuple[subprocess.Popen, list]:
    """`chipwatch crawl` in a process of its own, once its flow has begun; with the
    processes it started (its Prefect server among them)."""
    import psutil

    env = _env(CHIPWATCH_CACHE_DIR=str(tmp_path / "cache"), PREFECT_LOGGING_LEVEL="INFO")
    proc = subprocess.Popen([sys.executable, "-m", "chipwatch.cli", "crawl", "--verbose",
                             "--source", "sample:default?repos=60", "--warehouse", str(tmp_path / "wh")],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "Beginning flow run" in line:
            break
    else:
        raise AssertionError("the crawl ended before its flow began:\n" + "".join(seen[-20:]))
    children = psutil.Process(proc.pid).children(recursive=True)
    assert any("uvicorn" in " ".join(c.cmdline()) for c in children)
    return proc, children


def _gone(processes: list, timeout: float) -> bool:
    import psutil

    _, alive = psutil.wait_procs(processes, timeout=timeout)
    for p in alive:
        p.kill()
    return not alive


def test_sigterm_stops_the_run_and_what_it_started(tmp_path):
    import signal

    proc, children = _crawl_until_its_flow_runs(tmp_path)
    proc.send_signal(signal.SIGTERM)
    try:  # an orphaned server would hold stderr open
        _, rest = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        _gone(children, timeout=0)
        proc.kill()
        raise AssertionError("the crawl, or a process it started, outlived SIGTERM by 60 s") from None
    assert proc.returncode == 128 + signal.SIGTERM
    assert rest.strip().splitlines()[-1] == "chipwatch crawl: terminated"
    assert _gone(children, timeout=15)


def test_a_killed_run_leaves_no_server_behind(tmp_path):
    proc, children = _crawl_until_its_flow_runs(tmp_path)
    proc.kill()
    proc.wait(timeout=30)
    proc.stderr.close()
    assert _gone(children, timeout=15)
