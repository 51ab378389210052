"""Is a difference real? Confidence intervals for accuracies and McNemar's exact test
between models scored on the same test digits.

- One seed: the Wilson score interval of the accuracy over the test set (a binomial
  proportion: each test digit right or wrong).
- Several seeds: Student's t interval of the mean accuracy over the seeds (the seeds are
  the repeats; the test set is the same for all of them).
- Two models: McNemar's exact test on their paired predictions of one seed (the first
  seed both have): of the digits exactly one of them gets right, ``b`` only the first,
  ``c`` only the second; under "no difference" ``b ~ Binomial(b + c, 1/2)``. The p-values
  of all pairs of a run are corrected for the number of pairs (Holm), so "A beats B" holds
  at the stated level for the whole matrix at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
ALPHA = 1 - LEVEL


def wilson_interval(correct: int, total: int, level: float = LEVEL) -> tuple[float, float]:
    """The Wilson score interval of ``correct / total``."""
    if total <= 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(correct), int(total)).proportion_ci(level, method="wilson")
    return float(ci.low), float(ci.high)


def seed_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float]:
    """Student's t interval of the mean of ``values`` (one per seed); NaN for fewer than 2."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if len(x) < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


@dataclass(frozen=True)
class McNemar:
    """One pair of models on the same digits."""

    only_first: int  # digits only the first model gets right (b)
    only_second: int  # digits only the second gets right (c)
    p_value: float  # exact two-sided, before correction

    @property
    def discordant(self) -> int:
        return self.only_first + self.only_second


def mcnemar(first_correct: np.ndarray, second_correct: np.ndarray) -> McNemar:
    """McNemar's exact test on two boolean vectors over the same test digits."""
    a = np.asarray(first_correct, dtype=bool)
    b = np.asarray(second_correct, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired predictions differ in length: {a.shape} vs {b.shape}")
    only_first, only_second = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = only_first + only_second
    p = 1.0 if n == 0 else float(stats.binomtest(min(only_first, only_second), n, 0.5).pvalue)
    return McNemar(only_first, only_second, min(1.0, p))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down correction: adjusted p-values, in the given order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


@dataclass(frozen=True)
class PairResult:
    first: str
    second: str
    test: McNemar
    p_adjusted: float

    @property
    def winner(self) -> str | None:
        """The model that gets more digits right, when the corrected test says so."""
        if self.p_adjusted >= ALPHA or self.test.only_first == self.test.only_second:
            return None
        return self.first if self.test.only_first > self.test.only_second else self.second


def pairwise(correct: Mapping[str, np.ndarray]) -> list[PairResult]:
    """McNemar for every pair of models (``correct``: model -> right/wrong per test digit),
    Holm-corrected over all pairs."""
    names = list(correct)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    tests = [mcnemar(correct[a], correct[b]) for a, b in pairs]
    adjusted = holm([t.p_value for t in tests]) if tests else []
    return [PairResult(a, b, t, p) for (a, b), t, p in zip(pairs, tests, adjusted, strict=True)]


@dataclass(frozen=True)
class Ranked:
    name: str
    rank: int  # 1 = best; models the test cannot separate from the one above share its rank
    accuracy: float
    ties: tuple[str, ...]  # models this one cannot be told apart from


def rank(accuracy: Mapping[str, float], pairs: Sequence[PairResult]) -> list[Ranked]:
    """Models by accuracy, best first. A model shares the rank of the one above it when the
    corrected McNemar test cannot separate the two; ``ties`` lists every model it cannot be
    told apart from."""
    separated = {frozenset((p.first, p.second)): p.winner is not None for p in pairs}
    order = sorted(accuracy, key=lambda m: -accuracy[m])
    out: list[Ranked] = []
    for i, name in enumerate(order):
        ties = tuple(
            o for o in order if o != name and not separated.get(frozenset((name, o)), False)
        )
        if i and not separated.get(frozenset((name, order[i - 1])), False):
            position = out[-1].rank
        else:
            position = i + 1
        out.append(Ranked(name, position, accuracy[name], ties))
    return out
