"""`asv continuous HEAD~1 HEAD` on a throw-away clone with two commits.

asv builds each commit into a fresh virtualenv from pyproject.toml (TensorFlow included,
~600 MB, minutes even from the pip cache), so this test is marked ``asv_build``:
deselect it locally with ``-m "not asv_build"``. It runs one cheap benchmark of two models
on the tiny profile; what it proves is that asv can build, install and benchmark two real
commits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.asv_build,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_asv_continuous_on_two_commits(tmp_path):
    repo = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    _git(repo, "config", "user.email", "ci@example.invalid")
    _git(repo, "config", "user.name", "ci")
    # A second commit on top of HEAD (a comment-only change to the package).
    init = repo / "mnistbench" / "__init__.py"
    init.write_text(init.read_text() + "\n# throw-away commit for asv continuous\n")
    _git(repo, "commit", "-q", "-am", "second commit")
    env = {
        **os.environ,
        "MNISTBENCH_ASV_PROFILE": "tiny",
        "MNISTBENCH_ASV_THREADS": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # two models (each asv parameter is a fresh process, on each commit): the test
        # proves the build and the comparison, tests/test_benchmarks.py every model
        "MNISTBENCH_ASV_MODELS": "sgd,knn",
    }
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    asv = [sys.executable, "-m", "asv"]
    subprocess.run([*asv, "machine", "--yes"], cwd=repo, env=env, check=True, capture_output=True)
    proc = subprocess.run(
        [
            *asv,
            "continuous",
            "--factor",
            "1.2",
            "--python",
            python,
            "--show-stderr",
            "--bench",
            "ModelSuite.track_error_rate",
            "HEAD~1",
            "HEAD",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "failed" not in output.lower().replace("failed=0", ""), output[-4000:]
    results = list((repo / ".asv" / "results").rglob("*.json"))
    commits = {_git(repo, "rev-parse", "HEAD")[:8], _git(repo, "rev-parse", "HEAD~1")[:8]}
    assert {p.name[:8] for p in results} >= commits, [p.name for p in results]
