"""A tuning budget: the same for every model of a study, counted in finished trials or in
compute seconds (wall seconds x threads, so that a trial on four threads costs what four
one-thread trials of the same length cost)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

TRIALS: Final = "trials"  # Final: usable where the Literal kind is expected
COMPUTE_S: Final = "compute_s"


@dataclass(frozen=True)
class Budget:
    """``amount`` trials, or ``amount`` compute seconds, per model."""

    kind: Literal["trials", "compute_s"]
    amount: float
    text: str = ""  # as the user gave it (``40``, ``2h``)

    def __post_init__(self) -> None:
        if self.kind not in (TRIALS, COMPUTE_S):
            raise ValueError(f"budget kind {self.kind!r}: {TRIALS} or {COMPUTE_S}")
        if not self.amount > 0:
            raise ValueError(f"budget amount must be positive, got {self.amount}")

    def spent(self, trials: int, compute_s: float) -> float:
        """How much of the budget ``trials`` finished trials costing ``compute_s`` used."""
        return float(trials) if self.kind == TRIALS else float(compute_s)

    def exhausted(self, trials: int, compute_s: float) -> bool:
        return self.spent(trials, compute_s) >= self.amount

    def describe(self) -> str:
        if self.kind == TRIALS:
            return f"{int(self.amount)} trials per model"
        return f"{self.amount:g} compute seconds per model (wall x threads)"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "amount": self.amount, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Budget:
        return cls(data["kind"], float(data["amount"]), str(data.get("text", "")))
