"""Issue 24, cause 2: a run folder (and a build folder's sweep, merge and campaign state) has one writer at a time.
The lock is an OS file lock, so the kernel frees it when its holder dies, ``kill -9`` included."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradeoff.data.locks import LOCK_NAME, hold
from tradeoff.deep.config import TrainConfig
from tradeoff.deep.config_toml import dumps_config
from tradeoff.deep.runs import CHECKPOINT, SUMMARY, read_metrics, run_state
from tradeoff.reports.cli import main

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, epochs: int = 4) -> Path:
    """A toy run of a fraction of a second per epoch on one CPU thread."""
    cfg = TrainConfig(name="locked", dataset="toy", model="tiny_cnn", width=4, epochs=epochs, batch_size=50,
                      n_train=400, device="cpu", progress=False)
    cfg = cfg.replace(adv={"norm": "inf", "eps": 0.1, "steps": 2},
                      eval={"eps": [0.1], "steps": 2, "n_epoch": 50, "n_final": 50})
    path = tmp_path / "locked.toml"
    path.write_text(dumps_config(cfg))
    return path


def _holder(code: str, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO.parent), "OMP_NUM_THREADS": "1", "TRADEOFF_BUILD": str(tmp_path)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 120.0, poll: float = 0.05) -> None:
    t0 = time.monotonic()
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the holder ended early (rc {proc.returncode}): {proc.stderr.read()[-2000:]}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError("the holder never reached the state the test waits for")
        time.sleep(poll)


def test_two_trainers_on_one_folder_one_trains_the_other_is_refused_and_kill_9_frees_the_lock(tmp_path, capsys):
    config, run = _config(tmp_path), tmp_path / "run"
    code = ("import torch; torch.set_num_threads(1); from tradeoff.reports.cli import main; "
            f"raise SystemExit(main(['deep', 'train', {str(config)!r}, '--run-dir', {str(run)!r}]))")
    first = _holder(code, tmp_path)
    try:  # wait until it has trained an epoch (it holds the lock and has a checkpoint to resume from), then pause it
        _wait_for(lambda: (run / CHECKPOINT).is_file(), first, poll=0.01)
        first.send_signal(signal.SIGSTOP)  # mid-run, still holding the lock
        assert run_state(run) == "partial"
        assert main(["deep", "train", str(config), "--run-dir", str(run)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"process {first.pid}" in err and str(run) in err and "Traceback" not in err
    finally:
        first.send_signal(signal.SIGKILL)  # kill -9: no handler runs, the kernel drops the lock
        first.wait()
    assert run_state(run) == "partial"
    done = len(read_metrics(run))
    assert main(["deep", "train", str(config), "--run-dir", str(run), "--resume"]) == 0
    epochs = [r["epoch"] for r in read_metrics(run)]
    assert run_state(run) == "finished" and (run / SUMMARY).is_file()
    assert epochs == [1, 2, 3, 4] and done >= 1  # each epoch once: nothing was written twice


def test_a_plain_rerun_resumes_as_the_readme_says(tmp_path):
    from tradeoff.deep.config_toml import load_config
    from tradeoff.deep.train import TrainOptions, train_run

    config, run = _config(tmp_path, epochs=2), tmp_path / "run"
    train_run(load_config(config), run, TrainOptions(stop_after=1, progress=False))  # an interrupted run
    assert run_state(run) == "partial"
    assert main(["deep", "train", str(config), "--run-dir", str(run)]) == 0
    assert run_state(run) == "finished" and [r["epoch"] for r in read_metrics(run)] == [1, 2]


def test_the_lock_is_reentrant_in_one_process_and_refuses_another(tmp_path):
    with hold(tmp_path, "folder X"), hold(tmp_path, "folder X"):  # the same process: passes
        proc = _holder(f"from tradeoff.data.locks import hold\nwith hold({str(tmp_path)!r}, 'folder X'): pass",
                       tmp_path)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode != 0 and "Locked" in err and f"process {os.getpid()}" in err
    assert (tmp_path / LOCK_NAME).read_text().split("\n")[0] == str(os.getpid())
    with hold(tmp_path):  # released at the end of the block
        pass


@pytest.mark.parametrize("argv, lock", [
    (["deep", "sweep", "fig1", "--scale", "quick", "--device", "cpu"], "runs/.tradeoff-sweep.lock"),
    (["deep", "merge", "fig1"], "results/deep/.tradeoff-merge.lock"),
    (["deep", "reproduce", "--scale", "smoke", "--device", "cpu"], "runs/.tradeoff-sweep.lock"),
    (["deep", "campaign", "--budget", "10", "--micro", "--dataset", "mnist", "--device", "cpu"],
     "campaign/.tradeoff.lock"),
])
def test_the_shared_state_of_a_build_folder_is_locked(argv, lock, tmp_path, capsys):
    path = tmp_path / lock
    code = (f"from tradeoff.data.locks import hold\nimport sys, time\nwith hold({str(path.parent)!r}, 'x', "
            f"{path.name!r}):\n    print('held', flush=True)\n    time.sleep(120)")
    holder = _holder(code, tmp_path)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["--build-dir", str(tmp_path), *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"process {holder.pid}" in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()
