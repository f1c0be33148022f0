"""bench/gpu_session.sh campaign, as a GPU machine runs it, on the CPU at a micro scale: a copy of the tree without
.git, the dependencies present but the package not installed, the data only from the packed upload folder. Checks the
no-deps editable install step (``pip install --no-deps --no-build-isolation -e .``), that the campaign runs from the
installed copy and that its pack comes back with the commit that was sent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest

from tests.test_packaging import PACKAGE_FOLDERS, REPO

pytestmark = pytest.mark.slow


def test_campaign_session_on_cpu(tmp_path):
    from tests.data._fixtures import fake_mnist_bytes, write_files
    from tradeoff.deep.experiments.campaign_data import pack_data

    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for folder in (*PACKAGE_FOLDERS, "bench"):
        shutil.copytree(REPO / folder, src / folder, ignore=ignore)
    write_files(tmp_path / "mnist", fake_mnist_bytes(200, 60))
    pack_data(["mnist"], src / ".gpu" / "campaign-data", roots={"mnist": str(tmp_path / "mnist")})

    # a python that has the dependencies (through a .pth naming this environment's site-packages) but no tradeoff,
    # and a `pip` that installs into it: the GPU machine's situation
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    vpy = venv / "bin" / "python"
    site = Path(subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "deps.pth").write_text("".join(f"{p}\n" for p in deps))
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python").write_text(f"#!/bin/sh\nexec {vpy} \"$@\"\n")
    (shims / "pip").write_text(f"#!/bin/sh\nexec {sys.executable} -m pip --python {vpy} \"$@\"\n")
    for f in shims.iterdir():
        f.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "TRADEOFF_"))}
    env.update(PATH=f"{shims}:{env['PATH']}", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               OUT=str(tmp_path / "out"), WORK=str(tmp_path / "work"), CAMPAIGN_BUDGET="20", CAMPAIGN_DEVICE="cpu",
               CAMPAIGN_ARGS="--micro", TRADEOFF_GIT_COMMIT="0123abc")
    proc = subprocess.run(["bash", "bench/gpu_session.sh", "campaign"], cwd=src, env=env, capture_output=True,
                          text=True, timeout=600)
    log = (tmp_path / "out" / "campaign.log").read_text()
    assert proc.returncode == 0, log[-3000:]
    assert "editable install failed" not in log and "campaign failed" not in log, log[-3000:]
    where = subprocess.run([str(vpy), "-c", "import tradeoff.deep.experiments.campaign as c; print(c.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env).stdout.strip()
    assert Path(where).resolve().is_relative_to(src.resolve())  # the editable install points at the sent tree
    with tarfile.open(tmp_path / "out" / "campaign-pack.tgz") as tar:
        names = tar.getnames()
    assert "pack/campaign.json" in names and "pack/results/deep/fig7_mnist.json" in names
    import json

    summary = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert summary["payload"]["commit_sent"] == "0123abc" and summary["payload"]["counts"]["done"] >= 1
    assert summary["provenance"]["git_commit"] == "0123abc"
