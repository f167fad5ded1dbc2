"""The chip catalog: vendors, chips, inference facts and export rules, as checked data.

``load_catalog()`` reads ``chipwatch/data/chips/*.yaml`` and
``chipwatch/data/export_rules/*.yaml``; ``catalog.hash`` identifies their content.
"""
from chipwatch.catalog.export import ChipStatus, classify, performance_density, set_status, tpp
from chipwatch.catalog.loader import load_catalog
from chipwatch.catalog.model import Catalog, Chip, ExportRule, Requirement, Vendor
from chipwatch.catalog.quantity import Quantity

__all__ = [
    "Catalog", "Chip", "ChipStatus", "ExportRule", "Quantity", "Requirement", "Vendor",
    "classify", "load_catalog", "performance_density", "set_status", "tpp",
]
