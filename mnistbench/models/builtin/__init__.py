"""The built-in models, one module each: class, tuned defaults, presets and registration.

Every module here is imported (and so registered) when ``mnistbench.models`` is, so a new
built-in model is one new file in this folder.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
