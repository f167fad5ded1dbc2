from tests.conftest_s3 import moto_endpoint, s3_env, s3_warehouse_url  # noqa: F401
