"""The README and the documentation site stay what they promise: a short guide whose set-up
commands are the ones CI runs, a reference whose every page is in the site's navigation,
pages that include the example files they show, and no issue numbers. (`mkdocs build
--strict`, in CI, checks the links and anchors.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
SET_UP = (
    "pip install -e . && mnistbench run",
    'pip install -e ".[test]" && python -m pytest -q',
)
ISSUE_NUMBER = re.compile(r"\bissues?\s+#?\d+|#\d{1,4}\b", re.IGNORECASE)


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def _nav_pages(nav: list) -> set[str]:
    found: set[str] = set()
    for item in nav:
        values = item.values() if isinstance(item, dict) else [item]
        for value in values:
            if isinstance(value, list):
                found |= _nav_pages(value)
            else:
                found.add(value)
    return found


def _mkdocs() -> dict:
    # mkdocs.yml may hold !!python/name tags in other projects; this one is plain YAML.
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def test_readme_is_a_short_guide_with_the_set_up_commands_ci_runs():
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    for command in SET_UP:
        assert command in text, command
    ci = (ROOT / ".ci" / "run").read_text().replace("pip install -q ", "pip install ")
    assert SET_UP[1] in ci


def test_readme_links_to_pages_that_exist():
    links = re.findall(r"\]\(((?:docs/|CONTRIBUTING)[^)#]*)", README.read_text())
    assert links
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_every_page_is_in_the_site_navigation():
    nav = _nav_pages(_mkdocs()["nav"])
    assert {p.name for p in _pages()} == nav


def test_no_issue_numbers_in_the_readme_or_the_docs():
    for path in [README, ROOT / "CONTRIBUTING.md", *_pages()]:
        hits = [m.group(0) for m in ISSUE_NUMBER.finditer(path.read_text())]
        assert hits == [], path.name


def test_the_issue_number_pattern_catches_what_it_should():
    assert ISSUE_NUMBER.search("as issue 10 measured")
    assert ISSUE_NUMBER.search("see #12")
    assert not ISSUE_NUMBER.search("batch 128, 10 epochs")


def test_included_example_files_exist_and_are_in_the_docs():
    included = [
        (page, name)
        for page in _pages()
        for name in re.findall(r'^--8<-- "([^"]+)"$', page.read_text(), flags=re.M)
    ]
    assert included, "no page includes an example file"
    for page, name in included:
        assert (ROOT / name).is_file(), f"{page.name} includes {name}, which is missing"
        assert name.startswith("docs/"), f"{page.name} includes {name} from outside docs/"


def test_every_dated_measurement_says_where_and_how():
    """Each section of docs/performance.md names its date, machine and command."""
    text = (DOCS / "performance.md").read_text()
    sections = text.split("\n## ")[1:]
    assert sections
    for section in sections:
        title = section.splitlines()[0]
        assert re.search(r"\d{4}-\d{2}-\d{2}", title), title
        assert "**Date**" in section and "**Machine**" in section, title
        assert "**Reproduce**" in section and ("mnistbench" in section or "python -m" in section)
