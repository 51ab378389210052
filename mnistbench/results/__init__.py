"""Results: the typed task record and its JSON, the metric table, the on-disk store of
runs, and export. The harness writes through this package; analysis, report, compare and
the commands only read it."""

from mnistbench.results.record_json import SCHEMA_VERSION
from mnistbench.results.store import Result, RunWriter, SavedRun, latest_run, load_run

__all__ = ["SCHEMA_VERSION", "Result", "RunWriter", "SavedRun", "latest_run", "load_run"]
