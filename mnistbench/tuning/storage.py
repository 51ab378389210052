"""Where a study lives: an SQLite file beside the tune's outputs by default, or any
database Optuna supports (``--storage URL``); opened once, with a one-line error when it
cannot be, and its trials left running by a killed tune marked failed on resume."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from mnistbench.errors import MnistbenchError

STUDY_FILE = "study.sqlite3"


class StorageError(MnistbenchError):
    """A study's storage cannot be opened or read."""


def default_url(directory: Path) -> str:
    return f"sqlite:///{Path(directory).resolve() / STUDY_FILE}"


def shown_url(url: str) -> str:
    """``url`` without its password, for records and messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a database URL: shown as given, it holds no password we know of
        return url


def open_storage(url: str, heartbeat: tuple[int, int] | None = None) -> Any:
    """An Optuna RDB storage for ``url``, or a one-line ``StorageError``: an unreachable
    server, a missing driver, a folder that does not exist or cannot be written, a file
    that is not a study database. With ``heartbeat`` (seconds between beats, grace),
    a running trial whose process died is marked failed by the next trial to start."""
    import optuna

    try:
        interval, grace = heartbeat if heartbeat is not None else (None, None)
        with warnings.catch_warnings():  # the heartbeat is "experimental" since Optuna 2.9
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = optuna.storages.RDBStorage(
                url,
                engine_kwargs=_engine_kwargs(url),
                heartbeat_interval=interval,
                grace_period=grace,
            )
        if url.startswith("sqlite"):
            _write_ahead(storage.engine)
        storage.get_all_studies()  # reads the schema: a corrupt file fails here, not later
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StorageError(
            f"cannot open the study storage {shown_url(url)}: {reason[:200]}; check the URL "
            "(--storage), the folder (--out) and that the database is reachable"
        ) from None
    return storage


def _write_ahead(engine: Any) -> None:
    """SQLite in write-ahead mode without a sync per commit: a trial writes a few rows,
    and a synced commit costs tens of milliseconds on a virtual disk. A killed process
    loses nothing committed (the log is replayed on the next open); only a power cut
    could lose the last trials, which a resumed tune runs again."""
    from sqlalchemy import event

    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", pragmas)
    engine.dispose()  # connections opened before the listener get it too


def _engine_kwargs(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # a second process (a resumed tune, the report) waits for the lock instead of failing
        return {"connect_args": {"timeout": 30}}
    # a server that does not answer is an error in seconds, not minutes
    return {"connect_args": {"connect_timeout": 10}} if url.startswith("postgres") else {}


def fail_stale_trials(storage: Any, study_name: str) -> list[int]:
    """Mark the trials a killed tune left running as failed (they count in no budget);
    their numbers. Only for resuming: it assumes no other process runs this study."""
    from optuna.trial import TrialState

    study_id = storage.get_study_id_from_name(study_name)
    stale = []
    for trial in storage.get_all_trials(study_id, deepcopy=False):
        if trial.state == TrialState.RUNNING:
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
            storage.set_trial_user_attr(trial_id, "killed", True)
            storage.set_trial_state_values(trial_id, TrialState.FAIL)
            stale.append(trial.number)
    return stale
