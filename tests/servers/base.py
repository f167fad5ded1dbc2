"""A threaded HTTP server on 127.0.0.1 with request counting and fault injection, the
common base of the GitHub, Hugging Face and git test servers.

    with GitHubServer() as gh:            # starts on a free port, stops on exit
        gh.fail(r"/orgs/acme/repos", status=502, times=1)
        ...

Faults match the request path (with query) by regular expression and apply ``times``
times (``None``: always). Kinds: an HTTP status with headers/body, a delay before
answering, a body cut in the middle (``truncate="json"`` keeps Content-Length honest so
the client sees cut JSON; ``truncate="short"`` announces the full length and closes
early).
"""
from __future__ import annotations

import abc
import json
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    pattern: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    truncate: str | None = None  # "json" | "short"
    times: int | None = 1
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return re.search(self.pattern, path) is not None


class Response:
    """What a route returns: status, headers, body bytes."""

    def __init__(self, status: int = 200, body: Any = b"", headers: dict[str, str] | None = None):
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            self.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        elif isinstance(body, str):
            body = body.encode()
        self.body: bytes = body


class LoopbackServer(abc.ABC):
    """Subclasses implement ``handle(handler, method, path) -> Response | None``
    (None: the handler already wrote the response itself)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.calls = 0
        self.by_route: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.bytes_sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out in separate writes: without this, Nagle plus
                # delayed ACKs add ~40 ms to every request
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                pass

            def _dispatch(self, method: str) -> None:
                server._serve(self, method)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_HEAD(self) -> None:
                self._dispatch("HEAD")

            def do_POST(self) -> None:
                self._dispatch("POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LoopbackServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- faults and counters ---------------------------------------------------------------
    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(self, pattern: str, status: int = 500, *, times: int | None = 1, headers: dict[str, str] | None = None, body: Any = None, method: str | None = None) -> Fault:
        return self.inject(Fault(pattern, status=status, headers=headers or {}, body=body, times=times, method=method))

    def slow(self, pattern: str, seconds: float, *, times: int | None = 1) -> Fault:
        return self.inject(Fault(pattern, delay=seconds, times=times))

    def truncate(self, pattern: str, mode: str = "json", *, times: int | None = 1) -> Fault:
        return self.inject(Fault(pattern, truncate=mode, times=times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self.calls = 0
            self.by_route.clear()
            self.requests.clear()
            self.bytes_sent = 0

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.matches(method, path) and (f.times is None or f.times > 0):
                    if f.times is not None:
                        f.times -= 1
                    return f
        return None

    def route_name(self, path: str) -> str:
        return path.split("?")[0]

    # -- serving -----------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        with self._lock:
            self.calls += 1
            self.by_route[self.route_name(h.path)] += 1
            self.requests.append((method, h.path, {k.lower(): v for k, v in h.headers.items()}))
        fault = self._take_fault(method, h.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        try:
            if fault and fault.status is not None:
                body = fault.body if fault.body is not None else {"message": f"injected {fault.status}"}
                resp: Response | None = Response(fault.status, body, fault.headers)
            else:
                resp = self.handle(h, method, h.path)
            if resp is not None:
                self.write(h, resp, method=method, truncate=fault.truncate if fault else None)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def write(self, h: BaseHTTPRequestHandler, resp: Response, *, method: str = "GET", truncate: str | None = None) -> None:
        body = resp.body
        if truncate == "json":
            body = body[: max(1, len(body) // 2)]
        h.send_response(resp.status)
        for k, v in resp.headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(resp.body) if truncate == "short" else len(body)))
        if truncate == "short":
            h.send_header("Connection", "close")
        h.end_headers()
        if method != "HEAD":
            if truncate == "short":
                body = body[: max(1, len(body) // 2)]
            h.wfile.write(body)
            with self._lock:
                self.bytes_sent += len(body)
        if truncate == "short":
            h.wfile.flush()
            h.close_connection = True

    @abc.abstractmethod
    def handle(self, h: BaseHTTPRequestHandler, method: str, path: str) -> Response | None:
        """Answer one request (after faults were applied)."""
