"""mnistbench: classical machine learning against deep learning on handwritten digits."""

from mnistbench.errors import MnistbenchError

__version__ = "0.1.0"

__all__ = ["MnistbenchError", "Run", "__version__", "load_run", "run"]

# The notebook API (``mnistbench.run``, ``mnistbench.load_run``, ``mnistbench.Run``) lives in
# ``mnistbench.api`` and is imported on first use, so ``import mnistbench`` (and every
# command) stays light: the API pulls in the harness, pandas and the report.
_API = ("Run", "load_run", "run")


def __getattr__(name: str) -> object:
    if name in _API:
        from mnistbench import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
