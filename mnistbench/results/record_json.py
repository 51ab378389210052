"""How a record becomes JSON and back: every part of the record shares one round trip
(unknown keys ignored, missing ones defaulted, each value checked against its field's type,
a ``FieldError`` naming the field), and records of older schemas are upgraded on reading.
A number that is not finite (NaN, ±Infinity, or too large for a float) is a missing
measurement: null in the file, None when read, wherever a record is used alike.
The record's fields themselves are ``mnistbench.results.record``.
"""

from __future__ import annotations

import functools
import math
import sys
import types
import typing
from dataclasses import Field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from mnistbench.errors import ResultsError

SCHEMA_VERSION = 2
#: Versions this mnistbench still reads, converting them to the current one.
READABLE_VERSIONS = (1, SCHEMA_VERSION)


class FieldError(ResultsError):
    """A field of a record holds the wrong kind of value; says which field."""

    def __init__(self, name: str, problem: str) -> None:
        self.field, self.problem = name, problem
        super().__init__(f"field {name!r} {problem}")

    def within(self, parent: str) -> FieldError:
        return FieldError(f"{parent}.{self.field}", self.problem)


class Part:
    """JSON round trip shared by every part of the record: unknown keys are ignored
    (hand-edited files), missing ones take their defaults, nested parts are rebuilt, and
    every value is checked against its field's type (a FieldError names the field)."""

    _nested: ClassVar[dict[str, type[Part]]] = {}
    if TYPE_CHECKING:  # every part is a dataclass (declared here for the type checker only)
        __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Any) -> Any:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ResultsError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
        # mypy does not see that a class is Hashable (python/mypy#11470)
        hints = _field_types(cls)  # type: ignore[arg-type]
        values = {k: v for k, v in data.items() if k in hints}
        for name, value in values.items():
            values[name] = _finite_or_missing(value, hints[name])
            if not _fits(values[name], hints[name]):
                raise FieldError(name, f"should be {_kind(hints[name])}, not {_shown(value)}")
        for name, part in cls._nested.items():
            if name in values:
                try:
                    values[name] = part.from_json(values[name])
                except FieldError as exc:
                    raise exc.within(name) from None
        made = cls(**values)
        made.check()
        return made

    def check(self) -> None:
        """Raise a FieldError on a value of the right type that cannot be (an accuracy
        above 1): a part with such limits says so here."""


@functools.cache
def _field_types(cls: type[Part]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _not_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST


_LARGEST = sys.float_info.max


def _finite_or_missing(value: Any, hint: Any) -> Any:
    """``value`` with every number a field typed ``hint`` holds as a float, but that is not
    a finite one, made None (a missing measurement); whether None may stand there is
    ``_fits``'s to say."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        for arg in args:
            if arg is not type(None):
                value = _finite_or_missing(value, arg)
        return value
    if hint is float:
        return None if _not_finite(value) else value
    if (origin is list) and args and isinstance(value, list):
        return [_finite_or_missing(v, args[0]) for v in value]
    if (origin is dict) and len(args) == 2 and isinstance(value, dict):
        return {k: _finite_or_missing(v, args[1]) for k, v in value.items()}
    return value


def _fits(value: Any, hint: Any, *, inside: bool = False) -> bool:
    """Whether a JSON value can stand for a field typed ``hint`` (``inside`` a container,
    null always can: a missing measurement)."""
    if hint is Any or (inside and value is None):
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_fits(value, a, inside=inside) for a in args)
    if hint is type(None):
        return value is None
    if origin is list or hint is list:
        return isinstance(value, list) and (
            not args or all(_fits(v, args[0], inside=True) for v in value)
        )
    if origin is dict or hint is dict:
        return isinstance(value, dict) and (
            not args or all(_fits(v, args[1], inside=True) for v in value.values())
        )
    if isinstance(hint, type) and issubclass(hint, Part):
        return isinstance(value, dict | hint)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint) if isinstance(hint, type) else True


_KINDS = {
    float: "a number",
    int: "an integer",
    str: "a string",
    bool: "true or false",
    type(None): "null",
}


def _kind(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_kind(a) for a in args)
    if origin is list or hint is list:
        inner = _kind(args[0]).split(" ", 1)[-1] if args and args[0] in _KINDS else ""
        return f"a list of {inner}s" if inner else "a list"
    if origin is dict or hint is dict or (isinstance(hint, type) and issubclass(hint, Part)):
        return "an object"
    return _KINDS.get(hint, getattr(hint, "__name__", str(hint)))


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _plain(value: Any) -> Any:
    if isinstance(value, Part):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # a missing measurement: never NaN or Infinity in a file
    return value


# ------------------------------------------------------------------ older schemas

_OLD_PRESETS = {"seed": "notebook"}  # schema 1 -> 2: the notebook preset's new name


def _rename_preset(label: Any) -> Any:
    """``knn@seed:k=3`` -> ``knn@notebook:k=3`` (the preset sits before the first colon)."""
    if not isinstance(label, str):
        return label
    head, colon, tail = label.partition(":")
    name, at, preset = head.partition("@")
    if at and preset in _OLD_PRESETS:
        head = f"{name}@{_OLD_PRESETS[preset]}"
    return head + colon + tail


def upgrade(data: Any, what: str) -> dict[str, Any]:
    """Check a record's schema version and convert schema 1 to the current one."""
    if not isinstance(data, dict):
        raise ResultsError(f"does not hold a {what.removesuffix(' record')} record")
    version = data.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise ResultsError(
            f"uses results schema {version!r} but this mnistbench reads schemas "
            f"{', '.join(map(str, READABLE_VERSIONS))}; re-run the benchmark with this "
            "version, or open the results with the mnistbench that wrote them"
        )
    if version == 1:
        data = dict(data)
        for key in ("spec", "base_spec"):
            if key in data:
                data[key] = _rename_preset(data[key])
        if data.get("preset") in _OLD_PRESETS:
            data["preset"] = _OLD_PRESETS[data["preset"]]
        if isinstance(data.get("specs"), list):
            data["specs"] = [_rename_preset(s) for s in data["specs"]]
    return data
