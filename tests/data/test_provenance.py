"""data.provenance.git_commit trusts only a checkout of this project that holds the running code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tradeoff.data import provenance
from tradeoff.data.provenance import git_commit, project_checkout

REPO = Path(__file__).resolve().parents[2]
GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")


def _repo(path: Path, name: str) -> str:
    """A one-commit git repository at ``path`` whose pyproject.toml names the project ``name``; returns HEAD."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1"\n', encoding="utf-8")
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", "HOME": str(path)}
    for args in (["init", "-q"], ["add", "pyproject.toml"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "init"]):
        subprocess.run([GIT, *args], cwd=path, check=True, capture_output=True, env=env)
    return subprocess.run([GIT, "rev-parse", "HEAD"], cwd=path, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.fixture
def no_env_commit(monkeypatch):
    monkeypatch.delenv("TRADEOFF_GIT_COMMIT", raising=False)


def test_a_checkout_of_this_project_reports_its_head(tmp_path, no_env_commit):
    head = _repo(tmp_path / "clone", "tradeoff")
    assert project_checkout(tmp_path / "clone") == (tmp_path / "clone").resolve()
    assert git_commit(tmp_path / "clone") == head


def test_someone_elses_repository_is_not_trusted(tmp_path, no_env_commit, monkeypatch):
    _repo(tmp_path / "other", "someone-else")
    assert project_checkout(tmp_path / "other") is None
    assert git_commit(tmp_path / "other") == "unknown"
    monkeypatch.setenv("TRADEOFF_GIT_COMMIT", "abc123")
    assert git_commit(tmp_path / "other") == "abc123"


def test_a_repository_without_pyproject_is_not_trusted(tmp_path, no_env_commit):
    _repo(tmp_path / "r", "tradeoff")
    (tmp_path / "r" / "pyproject.toml").write_bytes(b"\xff\xfe not toml")
    assert project_checkout(tmp_path / "r") is None and git_commit(tmp_path / "r") == "unknown"


@pytest.mark.parametrize("name", ["someone-else", "tradeoff"])
def test_an_installed_copy_inside_a_repository_reports_unknown(tmp_path, name):
    """The module as a wheel installs it (site-packages/tradeoff/data/provenance.py), inside a git repository: even
    a checkout of this project does not hold the code that runs, so its commit is not reported."""
    _repo(tmp_path / "repo", name)
    site = tmp_path / "repo" / "venv" / "site-packages"
    (site / "tradeoff" / "data").mkdir(parents=True)
    shutil.copy(provenance.__file__, site / "tradeoff" / "data" / "provenance.py")
    (site / "tradeoff" / "data" / "__init__.py").write_text("", encoding="utf-8")
    code = "import tradeoff.data.provenance as p, sys; assert p.__file__.startswith(sys.argv[1]); print(p.git_commit())"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1"}
    out = subprocess.run([sys.executable, "-S", "-c", code, str(site)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "unknown"


def test_this_checkout_reports_its_own_head(no_env_commit):
    if project_checkout(REPO) != REPO.resolve() or Path(provenance.__file__).resolve().parent.parent != REPO:
        pytest.skip("the tests do not run from an editable install of a git checkout")
    head = subprocess.run([GIT, "rev-parse", "HEAD"], cwd=REPO, check=True, capture_output=True, text=True).stdout
    assert git_commit().removesuffix("-dirty") == head.strip()
