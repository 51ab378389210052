"""How a study searches, in one place for the tune and its cluster workers: a seeded TPE
sampler, and a median pruner that compares trials at the same tenth of their schedules."""

from __future__ import annotations

from typing import Any

#: TPE draws a study's first trials at random (Optuna's default, stated: a study of a few
#: trials is a random search)
SAMPLER_STARTUP_TRIALS = 10
#: pruning: no trial is pruned before this many have finished, nor before it has done this
#: many tenths of its schedule (a one-cycle schedule's rate peaks at 3 tenths)
PRUNER_STARTUP_TRIALS, PRUNER_WARMUP_STEPS = 3, 3
#: The pruner compares trials at the same tenth of their schedules, not at the same epoch:
#: at epoch 3 a 19-epoch one-cycle schedule is still near its peak learning rate while a
#: 4-epoch one has annealed, so by epoch the long schedules were pruned (32 of 36 trials of
#: the mlp@best study of 2026-11-30, 24 of 27 of the Fashion-MNIST cnn study).
SCHEDULE_PARTS = 10
#: what the study log says of the pruner, and a study records (a resumed study was made
#: with the same steps)
PRUNER_STEPS = "tenths of each trial's schedule"


def schedule_step(epoch: int, n_epochs: int) -> int:
    """The tenths of its schedule a trial has done after ``epoch`` of ``n_epochs``."""
    return SCHEDULE_PARTS * min(epoch, n_epochs) // max(n_epochs, 1)


def sampler(seed: int) -> Any:
    import optuna

    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=SAMPLER_STARTUP_TRIALS)


def pruner() -> Any:
    import optuna

    return optuna.pruners.MedianPruner(
        n_startup_trials=PRUNER_STARTUP_TRIALS, n_warmup_steps=PRUNER_WARMUP_STEPS
    )


def sampler_text(seed: int) -> str:
    return f"TPE (seed {seed}; its first {SAMPLER_STARTUP_TRIALS} trials drawn at random)"
