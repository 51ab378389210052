"""The README's "Adding a model" example is real code: it registers and conforms."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mnistbench.models import available_models, get_entry, unregister
from mnistbench.testing import check_model

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    """The first Python block of the "Adding a model" section."""
    section = README.read_text().split("## Adding a model", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "README's Adding a model section has no Python block"
    return blocks[0]


def test_readme_model_example_registers_and_passes_check_model(tmp_path, monkeypatch):
    # A real module file, as a plug-in author has one: fitted models must pickle, which
    # needs the class importable by its module's name.
    (tmp_path / "readme_gaussian_nb.py").write_text(_example())
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import readme_gaussian_nb

        entry = get_entry("gaussian_nb")
        assert entry is readme_gaussian_nb.entry
        assert list(entry.presets) == ["sklearn"]
        assert check_model("gaussian_nb").ok
        assert check_model("gaussian_nb@sklearn").ok
        assert [e.name for e in available_models()][-1] == "gaussian_nb"
    finally:
        if "gaussian_nb" in {e.name for e in available_models()}:
            unregister("gaussian_nb")
        sys.modules.pop("readme_gaussian_nb", None)
    assert "gaussian_nb" not in {e.name for e in available_models()}
