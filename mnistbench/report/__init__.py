"""The HTML report: one self-contained file (figures embedded, no network) built only from
saved results, so it can be regenerated, shared and opened offline."""

from mnistbench.report.html import (
    build_report,
    default_report_path,
    write_comparison_report,
    write_report,
)

__all__ = ["build_report", "default_report_path", "write_comparison_report", "write_report"]
