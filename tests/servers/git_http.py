"""Git smart HTTP on loopback, served by the real ``git http-backend`` (CGI).

    with GitHttpServer(tmp_path / "served") as srv:
        url = srv.add("acme/model", builder)      # serves builder's repository
        # git clone --filter=blob:limit=1k url ...

Partial clone filters are allowed (``uploadpack.allowFilter``). ``latency`` adds a
fixed delay to every request, like a network round trip; ``bytes_sent`` counts the
body bytes served (what a fetch transferred). :func:`serve_git` is reused by the
GitHub and Hub servers to serve clone URLs of their repositories.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.helpers.gitbuild import GitRepoBuilder
from tests.servers.base import LoopbackServer, Response

BACKEND = "/usr/lib/git-core/git-http-backend"


def _read_body(h: Any) -> bytes:
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                h.rfile.readline()
                break
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
        return b"".join(chunks)
    length = int(h.headers.get("Content-Length") or 0)
    return h.rfile.read(length) if length else b""


def serve_git(h: Any, method: str, project_root: Path, path_info: str, query: str) -> Response:
    """Run git http-backend for one request against repositories under project_root."""
    body = _read_body(h) if method == "POST" else b""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(project_root),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_PROJECT_ROOT": str(project_root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "CONTENT_TYPE": h.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_0": "uploadpack.allowFilter",
        "GIT_CONFIG_VALUE_0": "true",
        "GIT_CONFIG_KEY_1": "uploadpack.allowAnySHA1InWant",
        "GIT_CONFIG_VALUE_1": "true",
        "GIT_CONFIG_KEY_2": "safe.directory",
        "GIT_CONFIG_VALUE_2": "*",
    }
    if h.headers.get("Git-Protocol"):
        env["HTTP_GIT_PROTOCOL"] = h.headers["Git-Protocol"]
    if h.headers.get("Content-Encoding"):
        env["HTTP_CONTENT_ENCODING"] = h.headers["Content-Encoding"]
    out = subprocess.run([BACKEND], input=body, env=env, capture_output=True, timeout=120).stdout
    head, _, payload = out.partition(b"\r\n\r\n")
    if not _:
        head, _, payload = out.partition(b"\n\n")
    status, headers = 200, {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        elif key:
            headers[key.strip()] = value.strip()
    return Response(status, payload, headers)


class GitHttpServer(LoopbackServer):
    """Serves every repository under ``root`` at ``{url}/{relative path}``."""

    def __init__(self, root: Path | str, *, latency: float = 0.0):
        super().__init__()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.latency = latency

    def add(self, name: str, builder: GitRepoBuilder | None = None) -> str:
        """Serve ``builder``'s repository (or a new empty one) as ``name``; returns its URL."""
        target = self.root / name
        if builder is None:
            target.mkdir(parents=True, exist_ok=True)
            builder = GitRepoBuilder(target)
        elif builder.path.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                target.unlink()
            target.symlink_to(builder.path.resolve(), target_is_directory=True)
        return f"{self.url}/{name}"

    def route_name(self, path: str) -> str:
        p = urlsplit(path).path
        return "info/refs" if p.endswith("/info/refs") else ("git-upload-pack" if p.endswith("git-upload-pack") else p)

    def handle(self, h: Any, method: str, path: str) -> Response | None:
        if self.latency:
            time.sleep(self.latency)
        split = urlsplit(path)
        return serve_git(h, method, self.root, split.path, split.query)
