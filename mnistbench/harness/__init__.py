"""Evaluation: metrics, timing, environment facts, and the task runner."""
