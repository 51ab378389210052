"""User-facing errors: the CLI prints their message as one line and exits with status 2."""

from collections.abc import Callable


class MnistbenchError(Exception):
    """A problem the user can fix (bad input, missing data, unknown name)."""


class DataError(MnistbenchError):
    """A data set is missing, corrupt or malformed."""


class ModelSpecError(MnistbenchError):
    """A model name, preset or parameter is unknown or invalid."""


class ResultsError(MnistbenchError):
    """A results directory is unreadable, incomplete or from another schema version."""


class RequestError(MnistbenchError):
    """A value the caller gave is out of range or contradicts another. It names the value
    by its field (``seeds``, ``train_sizes``); the edge that took the value renders that
    name as the user wrote it (the CLI as ``--seeds``, the Python API as ``seeds``).
    ``problem`` may mention other fields as ``{name}``, ``related`` lists them."""

    def __init__(self, field: str, problem: str, related: tuple[str, ...] = ()) -> None:
        self.field, self.problem, self.related = field, problem, related
        super().__init__(self.render(lambda name: name))

    def __reduce__(self) -> tuple[type, tuple[str, str, tuple[str, ...]]]:
        return type(self), (self.field, self.problem, self.related)

    def render(self, name: Callable[[str], str]) -> str:
        """The message with every field called what ``name`` calls it."""
        problem = self.problem
        if self.related:
            problem = problem.format_map({f: name(f) for f in self.related})
        return f"{name(self.field)} {problem}"
