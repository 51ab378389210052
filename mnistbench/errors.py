"""User-facing errors: the CLI prints their message as one line and exits with status 2."""


class MnistbenchError(Exception):
    """A problem the user can fix (bad input, missing data, unknown name)."""


class DataError(MnistbenchError):
    """A data set is missing, corrupt or malformed."""


class ModelSpecError(MnistbenchError):
    """A model name, preset or parameter is unknown or invalid."""


class ResultsError(MnistbenchError):
    """A results directory is unreadable, incomplete or from another schema version."""
