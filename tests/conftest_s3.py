"""S3 on loopback for tests: one moto ThreadedMotoServer per session (as s3fs's own tests
do), a fresh bucket per test. Use from any conftest::

    from tests.conftest_s3 import moto_endpoint, s3_warehouse_url  # noqa: F401
"""
from __future__ import annotations

import socket
import uuid

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """``http://127.0.0.1:<port>`` of a moto S3 server, running for the whole session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(moto_endpoint, monkeypatch):
    """AWS settings pointing at the moto server (fake credentials, no IMDS look-ups)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    return moto_endpoint


@pytest.fixture
def s3_warehouse_url(s3_env):
    """``s3://<new bucket>/warehouse`` on the moto server."""
    import s3fs

    bucket = f"cw-{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(endpoint_url=s3_env)
    fs.mkdir(bucket)
    return f"s3://{bucket}/warehouse"
