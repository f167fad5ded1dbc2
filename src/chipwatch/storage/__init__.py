"""The warehouse: atomic publishing of hive-partitioned Parquet, local or on S3."""
from chipwatch.storage.location import DEFAULT_WAREHOUSE, default_url, open_location
from chipwatch.storage.warehouse import PublishResult, Warehouse

__all__ = ["DEFAULT_WAREHOUSE", "PublishResult", "Warehouse", "default_url", "open_location"]
