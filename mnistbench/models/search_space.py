"""Search spaces: the distributions of a model's parameters worth tuning, declared in the
model's own file (``BenchModel.search_space``) beside the defaults they start from.

Sampling goes through any object with Optuna's trial interface (``suggest_float``,
``suggest_int``, ``suggest_categorical``), so a model file never imports Optuna and the
conformance kit can sample a space with :class:`RandomTrial` alone. A parameter can be
conditional: it is sampled only when the parameters it depends on took given values, and
otherwise keeps the model's default.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

#: values Optuna stores as categorical choices as they are; others go by their repr
_PLAIN = (type(None), bool, int, float, str)


class Trial(Protocol):
    """The part of ``optuna.trial.Trial`` a space samples through."""

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        """A float in [low, high]."""

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An int in [low, high]."""

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """One of ``choices``."""


@dataclass(frozen=True)
class Float:
    """A float in [low, high], uniform or (``log``) log-uniform."""

    low: float
    high: float
    log: bool = False

    def sample(self, trial: Trial, name: str) -> float:
        return float(trial.suggest_float(name, self.low, self.high, log=self.log))

    def contains(self, value: Any) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high


@dataclass(frozen=True)
class Int:
    """An int in [low, high] (``step`` apart, or log-uniform with ``log``)."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def sample(self, trial: Trial, name: str) -> int:
        return int(trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log))

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
            and (value - self.low) % self.step == 0
        )


@dataclass(frozen=True)
class Choice:
    """One of ``choices``: any values (tuples of layer widths, None, strings). Values
    Optuna cannot store as they are reach it as their ``repr`` and come back as values."""

    choices: tuple[Any, ...]

    def sample(self, trial: Trial, name: str) -> Any:
        if all(isinstance(c, _PLAIN) for c in self.choices):
            return trial.suggest_categorical(name, list(self.choices))
        labels = [repr(c) for c in self.choices]
        return self.choices[labels.index(trial.suggest_categorical(name, labels))]

    def contains(self, value: Any) -> bool:
        return any(_same(value, c) for c in self.choices)


Distribution = Float | Int | Choice


@dataclass(frozen=True)
class Param:
    """One tuned parameter; with ``when``, sampled only when each named parameter took one
    of the listed values (``when={"kernel": ("rbf",)}``)."""

    name: str
    distribution: Distribution
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def applies(self, chosen: Mapping[str, Any]) -> bool:
        return all(any(_same(chosen.get(k), v) for v in values) for k, values in self.when.items())


@dataclass(frozen=True)
class SearchSpace:
    """A model's tuned parameters, sampled in the order declared (a condition may name a
    tuned parameter only if it is declared before it, and any parameter the space does not
    tune: that one keeps the value the study starts from)."""

    params: tuple[Param, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        tuned = {p.name for p in self.params}
        for p in self.params:
            if p.name in seen:
                raise ValueError(f"search space declares {p.name!r} twice")
            later = [k for k in p.when if k in tuned and k not in seen]
            if later:
                raise ValueError(
                    f"{p.name!r} depends on {', '.join(later)}, not declared before it"
                )
            seen.add(p.name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def sample(self, trial: Trial, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One configuration: every parameter whose condition holds, given the values
        chosen before it (a condition may also read ``defaults`` for parameters the space
        does not tune)."""
        chosen: dict[str, Any] = {}
        for p in self.params:
            if p.applies({**(defaults or {}), **chosen}):
                chosen[p.name] = p.distribution.sample(trial, p.name)
        return chosen

    def restrict(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The part of ``params`` this space tunes, conditions applied: what a model's
        defaults look like as a trial (the first trial a study enqueues)."""
        chosen: dict[str, Any] = {}
        for p in self.params:
            if p.name in params and p.applies({**params, **chosen}):
                chosen[p.name] = params[p.name]
        return chosen

    def distributions(self) -> dict[str, Distribution]:
        return {p.name: p.distribution for p in self.params}

    def outside(self, params: Mapping[str, Any]) -> list[str]:
        """Names of ``params`` (as ``restrict`` keeps them) whose value lies outside their
        distribution: a default a study could never sample again."""
        dists = self.distributions()
        return [k for k, v in self.restrict(params).items() if not dists[k].contains(v)]


class RandomTrial:
    """A seeded stand-in for an Optuna trial, for checking that a space samples valid
    parameters without Optuna (the conformance kit); records what it suggested."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self.params: dict[str, Any] = {}

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        if log:
            value = float(math.exp(self._rng.uniform(math.log(low), math.log(high))))
        else:
            value = float(self._rng.uniform(low, high))
        value = min(max(value, low), high)
        self.params[name] = value
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        if log:
            value = round(math.exp(self._rng.uniform(math.log(low), math.log(high))))
            value = low + (value - low) // step * step
        else:
            value = low + step * int(self._rng.integers(0, (high - low) // step + 1))
        value = min(max(value, low), high)
        self.params[name] = value
        return value

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        value = choices[int(self._rng.integers(0, len(choices)))]
        self.params[name] = value
        return value


def sample_many(space: SearchSpace, n: int, seed: int = 0) -> Iterable[dict[str, Any]]:
    """``n`` configurations from ``space``, seeded (for checks, not for tuning)."""
    for i in range(n):
        yield space.sample(RandomTrial(seed + i))


def _same(a: Any, b: Any) -> bool:
    """Equal as parameter values: tuples and lists alike, 1 == 1.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
