import pytest

from tests.conftest_s3 import moto_endpoint, s3_env, s3_warehouse_url  # noqa: F401


@pytest.fixture(params=["local", "s3"])
def warehouse_url(request, tmp_path):
    """The same warehouse behaviour on a local folder and on S3 (moto on loopback)."""
    if request.param == "local":
        return str(tmp_path / "warehouse")
    return request.getfixturevalue("s3_warehouse_url")
