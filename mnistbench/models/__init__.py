"""The model registry: six contract models and their teaching-notebook presets.

Importing this package registers every built-in model (``mnistbench.models.builtin``).
"""

from mnistbench.models import builtin as _builtin  # noqa: F401  (registers the built-ins)
from mnistbench.models.base import BenchModel
from mnistbench.models.registry import (
    DEFAULT_MODELS,
    ModelEntry,
    ModelSpec,
    apply_settings,
    available_models,
    get_entry,
    get_model,
    parse_spec,
    parse_spec_list,
    register,
    unregister,
)

__all__ = [
    "DEFAULT_MODELS",
    "BenchModel",
    "ModelEntry",
    "ModelSpec",
    "apply_settings",
    "available_models",
    "get_entry",
    "get_model",
    "parse_spec",
    "parse_spec_list",
    "register",
    "unregister",
]
