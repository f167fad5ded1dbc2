"""The analysts' report: trend charts and per-organization evidence pages, from the
warehouse (``chipwatch report``).

``frames`` holds the numbers (pure functions of the tables), ``charts``/``svg``/
``templates`` the rendering, ``build`` puts them in a folder.
"""
from chipwatch.report.build import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
