"""Models: the registry, the spec grammar, and one module per model.

Importing this package registers every built-in model (``mnistbench.models.builtin``).
"""

from mnistbench.models import builtin as _builtin  # noqa: F401  (registers the built-ins)
from mnistbench.models.base import BenchModel
from mnistbench.models.registry import (
    DEFAULT_MODELS,
    ModelEntry,
    PublishedResult,
    available_models,
    check_available,
    get_entry,
    register,
    registered_models,
    unregister,
)
from mnistbench.models.specs import (
    ModelSelection,
    ModelSpec,
    Settings,
    apply_overrides,
    apply_settings,
    get_model,
    parse_settings,
    parse_spec,
    parse_spec_list,
    select_models,
)

__all__ = [
    "DEFAULT_MODELS",
    "BenchModel",
    "ModelEntry",
    "ModelSelection",
    "ModelSpec",
    "PublishedResult",
    "Settings",
    "apply_overrides",
    "apply_settings",
    "available_models",
    "check_available",
    "get_entry",
    "get_model",
    "parse_settings",
    "parse_spec",
    "parse_spec_list",
    "register",
    "registered_models",
    "select_models",
    "unregister",
]
