"""The model registry: six contract models and their teaching-notebook presets."""

from mnistbench.models import builtin as _builtin  # noqa: F401  (registers the built-ins)
from mnistbench.models.base import BenchModel
from mnistbench.models.registry import (
    ModelEntry,
    ModelSpec,
    apply_settings,
    available_models,
    get_entry,
    get_model,
    parse_spec,
    parse_spec_list,
    register,
)

DEFAULT_MODELS = ("linear_svc", "sgd", "knn", "softmax", "mlp", "cnn")

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
]
