"""The CI recipes in docs/ci: they parse, they do what docs/ci-gate.md says (install, gate,
asv continuous, post the Markdown verdict), and every `mnistbench ...` and `python -m ...`
command in them exists and accepts its flags: mnistbench commands through the real
argparse parser, other modules through their own `--help`."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from mnistbench.cli import build_parser
from mnistbench.errors import MnistbenchError

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
RECIPES = (GITHUB, GITLAB)

SEPARATORS = {";", "&&", "||", "|", "|&", "&", "(", ")", "$(", "{", "}"}
REDIRECTS = {">", ">>", "<", ">&", "<&", "&>", "&>>", "2>", "2>>"}
SHELL_WORDS = {
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "do",
    "done",
    "while",
    "until",
    "!",
    "time",
    "{",
    "}",
}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


# ------------------------------------------------------------------ reading the recipes


def github_scripts(doc: dict) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def gitlab_scripts(doc: dict) -> list[str]:
    scripts = []
    for name, job in doc.items():
        if not isinstance(job, dict) or name in ("variables", "workflow", "include"):
            continue
        for key in ("before_script", "script", "after_script"):
            value = job.get(key, [])
            scripts += [value] if isinstance(value, str) else list(value)
    return scripts


def scripts(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    return github_scripts(doc) if path == GITHUB else gitlab_scripts(doc)


def commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as argument lists: continuations joined,
    comments dropped, split at ; && || | and parentheses, redirections and leading
    variable assignments and shell keywords removed."""
    text = script.replace("\\\n", " ")
    found: list[list[str]] = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        tokens = list(lexer)
        current: list[str] = []
        skip_next = False
        for token in tokens:
            if skip_next:
                skip_next = False
                continue
            if token in SEPARATORS:
                found.append(current)
                current = []
            elif token in REDIRECTS or set(token) <= set("<>&"):
                if current and current[-1].isdigit():
                    current.pop()  # the 2 of 2>&1
                skip_next = True
            else:
                current.append(token)
        found.append(current)
    cleaned = []
    for cmd in found:
        while cmd and (cmd[0] in SHELL_WORDS or ASSIGNMENT.match(cmd[0])):
            cmd = cmd[1:]
        if cmd:
            cleaned.append(cmd)
    return cleaned


def all_commands(path: Path) -> list[list[str]]:
    return [cmd for script in scripts(path) for cmd in commands(script)]


def is_python(word: str) -> bool:
    return re.fullmatch(r"python(3(\.\d+)?)?", word) is not None


def mnistbench_commands(path: Path) -> list[list[str]]:
    """Argument lists given to mnistbench, as `mnistbench ...` or `python -m mnistbench`."""
    out = []
    for cmd in all_commands(path):
        if cmd[0] == "mnistbench":
            out.append(cmd[1:])
        elif is_python(cmd[0]) and cmd[1:3] == ["-m", "mnistbench"]:
            out.append(cmd[3:])
    return out


def module_commands(path: Path) -> list[tuple[str, list[str]]]:
    """(module, arguments) of every other `python -m MODULE ...`."""
    return [
        (cmd[2], cmd[3:])
        for cmd in all_commands(path)
        if is_python(cmd[0]) and len(cmd) > 2 and cmd[1] == "-m" and cmd[2] != "mnistbench"
    ]


@cache
def module_help(module: str, subcommands: tuple[str, ...]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", module, *subcommands, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (
        f"python -m {module} {' '.join(subcommands)} --help failed:"
        f"\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    )
    return proc.stdout


def options(args: list[str]) -> list[str]:
    return [
        a.split("=", 1)[0]
        for a in args
        if a.startswith("-") and a != "-" and not re.fullmatch(r"-\d+(\.\d+)?", a)
    ]


# ------------------------------------------------------------------------------- tests


def test_the_command_splitter():
    script = (
        "set -o pipefail\nFOO=1 mnistbench compare a b --format markdown > v.md || s=$?\n"
        'python -m asv continuous "$B" "$H" 2>&1 | tee out.txt\n'
        "if [ -d x ]; then\n  python -m benchmarks.gate \\\n    --out g  # a comment\nfi"
    )
    assert commands(script) == [
        ["set", "-o", "pipefail"],
        ["mnistbench", "compare", "a", "b", "--format", "markdown"],
        ["python", "-m", "asv", "continuous", "$B", "$H"],
        ["tee", "out.txt"],
        ["[", "-d", "x", "]"],
        ["python", "-m", "benchmarks.gate", "--out", "g"],
    ]


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_parses_and_runs_on_pull_requests(path):
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    if path == GITHUB:
        triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
        assert "pull_request" in triggers
        for job in doc["jobs"].values():
            assert job["runs-on"] and job["steps"]
            for step in job["steps"]:
                assert ("run" in step) != ("uses" in step), step
        assert doc["permissions"]["pull-requests"] == "write"
    else:
        jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
        assert jobs
        for job in jobs.values():
            assert job["stage"] in doc["stages"]
            assert any("merge_request_event" in rule["if"] for rule in job["rules"])


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_installs_gates_times_and_posts_markdown(path):
    cmds = [" ".join(c) for c in all_commands(path)]
    assert any(re.search(r"pip install -e \.\[(bench|test)\]", c) for c in cmds), cmds
    assert any(c.startswith("python -m benchmarks.gate") for c in cmds), cmds
    assert any(c.startswith("python -m asv continuous") for c in cmds), cmds
    compares = [c for c in mnistbench_commands(path) if c[0] == "compare"]
    assert any(c[c.index("--format") + 1] == "markdown" for c in compares if "--format" in c)
    posting = {"gh", "curl"}
    assert any(c[0] in posting for c in all_commands(path))


def mnistbench_problem(argv: list[str]) -> str | None:
    """Why the real CLI parser refuses ``mnistbench ARGV`` (None: it accepts it)."""
    try:
        args = build_parser().parse_args(argv)
    except MnistbenchError as exc:  # argparse's usage errors, as the CLI raises them
        return str(exc)
    except SystemExit as exc:  # --help, --version
        return None if exc.code == 0 else f"exit {exc.code}"
    return None if args.command == argv[0] else f"parsed as {args.command}"


def module_problem(module: str, args: list[str]) -> str | None:
    """Why ``python -m MODULE ARGS`` would not start: the module (with the subcommand
    words before the first option) has no --help, or an option is not in it."""
    first_option = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    try:
        help_text = module_help(module, tuple(args[:first_option]))
    except AssertionError as exc:
        return str(exc)
    unknown = [
        flag
        for flag in options(args)
        if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text)
    ]
    return f"python -m {module} does not know {', '.join(unknown)}" if unknown else None


def test_the_checks_catch_bad_commands():
    assert mnistbench_problem(["compare", "a", "b", "--format", "markdown"]) is None
    assert mnistbench_problem(["compare", "a", "b", "--format", "html"])
    assert mnistbench_problem(["compare", "a", "--format", "json"])  # CURRENT missing
    assert mnistbench_problem(["export", "a", "--no-such-flag"])
    assert mnistbench_problem(["no-such-command"])
    assert module_problem("benchmarks.gate", ["--out", "x"]) is None
    assert module_problem("benchmarks.gate", ["--no-such-flag"])
    assert module_problem("mnistbench_no_such_module", [])


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_mnistbench_command_parses(path):
    found = mnistbench_commands(path)
    assert found
    problems = [
        f"mnistbench {' '.join(argv)}: {why}" for argv in found if (why := mnistbench_problem(argv))
    ]
    assert problems == [], path.name


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_python_module_exists_and_accepts_its_flags(path):
    found = module_commands(path)
    assert found
    problems = [
        f"python -m {module} {' '.join(args)}: {why}"
        for module, args in found
        if (why := module_problem(module, args))
    ]
    assert problems == [], path.name


def test_the_recipes_use_extras_that_exist():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for path in RECIPES:
        for cmd in all_commands(path):
            for arg in cmd:
                match = re.fullmatch(r"\.\[([\w,-]+)\]", arg)
                if match:
                    assert set(match.group(1).split(",")) <= set(extras), (path.name, arg)
