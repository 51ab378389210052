"""Tuning: ``mnistbench tune``'s studies, one per model under one budget, ending in a
tuned profile per data set (``mnistbench.results.tuned_profile``) that ``@tuned`` specs run
with. Optuna is imported only by the modules that run a study, never by ``mnistbench``."""
