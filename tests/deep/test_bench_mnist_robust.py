"""bench.mnist_robust --quick runs the whole robust-MNIST path on a CPU and writes its benchmark result."""

import pytest
import torch

from tradeoff.data.io import read_result

torch.set_num_threads(1)


@pytest.mark.realdata
def test_quick_run_writes_a_benchmark_row(tmp_path):
    from bench.mnist_robust import main
    from tradeoff.data.mnist import missing_mnist_files

    if missing_mnist_files():
        pytest.skip("real MNIST not in the cache; run `tradeoff data fetch mnist`")
    out = tmp_path / "mr.json"
    assert main(["--quick", "--device", "cpu", "--out", str(out)]) == 0
    res = read_result(out)
    assert res["kind"] == "deep.benchmark" and res["scale"] == "bench" and res["evidence"] is False
    (row,) = res["payload"]["rows"]
    assert row["n_train"] == 512 and row["n_test"] == 200 and row["meets_targets"] is None
    assert 0 <= row["robust_acc"] <= row["clean_acc"] <= 1 and row["clean_acc"] > 0.1  # above chance after 1 epoch
