"""Thread limits as one explicit context: every pool a model computes with, set in one place.

A model is fitted, timed and probed inside ``limit_threads(n)``; no model class keeps a
thread count. Inside the limit:

- BLAS and OpenMP pools (NumPy, SciPy, scikit-learn's OpenMP code) hold ``n`` threads
  (threadpoolctl); leaving the limit restores them.
- A scikit-learn model's ``n_jobs=-1`` means ``n`` (``resolve_n_jobs``): joblib's "all
  cores" knows nothing of ``--threads``, of ``--jobs`` sharing the cores out, or of a Dask
  worker's share of its machine. Every other ``n_jobs``, ``None`` included, keeps
  scikit-learn's meaning: the limit does not set joblib's default ``n_jobs``, which would
  turn every ``n_jobs=None`` estimator parallel.
- TensorFlow's intra-op pool holds ``n`` threads and its inter-op pool one, when TensorFlow
  is already imported or the limit is asked to start it (``runtimes``, which models
  declare in ``thread_runtimes``). TensorFlow fixes its pools once per process, when its
  runtime starts, and refuses changes afterwards: the first limit that configures it wins
  and later limits leave it as it is; ``tensorflow_pools()`` says what it really uses.
  Nothing here imports TensorFlow unless a limit is asked to start it.

The count in force is a context variable (``current_threads``), so nested limits and
threads of one process each see their own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from threadpoolctl import threadpool_limits

#: Runtimes with thread pools of their own that a limit can start (``thread_runtimes``).
TENSORFLOW = "tensorflow"
RUNTIMES = (TENSORFLOW,)

_limit: ContextVar[int | None] = ContextVar("mnistbench_threads", default=None)
# TensorFlow's pools as first configured in this process (its first-configuration-wins
# rule, kept here and nowhere else).
_tensorflow_pools: tuple[int, int] | None = None


def current_threads() -> int | None:
    """The innermost ``limit_threads`` count in force here; None outside every limit."""
    return _limit.get()


def resolve_n_jobs(n_jobs: int | None) -> int | None:
    """``n_jobs`` for a scikit-learn estimator: -1 ("all cores") becomes the limit's
    count inside a limit; anything else, or -1 outside every limit, is left as it is."""
    threads = current_threads()
    return threads if n_jobs == -1 and threads else n_jobs


@contextmanager
def limit_threads(n: int, *, runtimes: Iterable[str] = ()) -> Iterator[int]:
    """Run the block with ``n`` threads in every pool (see the module's docstring).

    ``runtimes`` names runtimes to start with these threads now (importing them), before
    a model that needs them is built and timed; a runtime already imported is configured
    anyway. Yields ``n``.
    """
    if n < 1:
        raise ValueError(f"a thread limit must be at least 1, got {n}")
    runtimes = (runtimes,) if isinstance(runtimes, str) else tuple(runtimes)
    unknown = sorted(set(runtimes) - set(RUNTIMES))
    if unknown:
        raise ValueError(f"unknown runtime {', '.join(unknown)}; known: {', '.join(RUNTIMES)}")
    if TENSORFLOW in runtimes or TENSORFLOW in sys.modules:
        configure_tensorflow(n)
    token = _limit.set(n)
    try:
        with threadpool_limits(limits=n):
            yield n
    finally:
        _limit.reset(token)


def configure_tensorflow(intra: int, inter: int = 1) -> tuple[int, int]:
    """Pin TensorFlow's pools and start its runtime, the first time in this process; the
    pools in force (what TensorFlow reports) every time."""
    global _tensorflow_pools
    if _tensorflow_pools is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with _native_stderr_silenced():
            import tensorflow as tf

        try:
            with _native_stderr_silenced():
                tf.config.threading.set_intra_op_parallelism_threads(intra)
                tf.config.threading.set_inter_op_parallelism_threads(inter)
                tf.constant(0)  # start the runtime now, with these pools
            _tensorflow_pools = (intra, inter)
        except RuntimeError:  # runtime started elsewhere already: record what it has
            pools = tensorflow_pools()
            _tensorflow_pools = (pools[0] or 0, pools[1] or 0)
    return _tensorflow_pools


def tensorflow_pools() -> tuple[int | None, int | None]:
    """TensorFlow's intra/inter-op pools, if this process has imported it (never imports
    it: a classical-only run should not pay TensorFlow's start-up to report "not used")."""
    tf = sys.modules.get("tensorflow")
    threading = getattr(getattr(tf, "config", None), "threading", None)
    if threading is None:
        return None, None
    return (
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
    )


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """TensorFlow's C++ start-up notices bypass Python logging; hide them from the display."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
