"""Trade-off cards (issue 25; deep.card, reports/cli/card.py): a TorchScript model, a ``module:factory`` model and a
RobustBench model (through the stand-in with RobustBench's signature) each give a card; the same weights as a run
folder and as TorchScript give the same card (and ``deep eval``'s numbers); a data set without a training split
gives a card whose claim-11 part is "not run"; every bad input is one line and exit 2. Tiny toy data only."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.deep.test_model_source import USER, USER_SOURCE, install_robustbench
from tests.deep.test_train import tiny_config
from tradeoff.data.io import read_result, unpack_flags
from tradeoff.deep.card import (
    CardSettings,
    check_radius,
    load_card_data,
    load_card_model,
    make_card,
    write_card,
)
from tradeoff.deep.config import AdvConfig
from tradeoff.deep.models import build_model
from tradeoff.deep.train import TrainOptions, train_run
from tradeoff.reports.cli import main

torch.set_num_threads(1)
SMALL = ["--n", "40", "--sanity-n", "20", "--n-gradients", "20", "--n-judge", "20", "--batch-size", "100"]


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory) -> Path:
    """A tiny toy run trained by the engine (ℓ∞ ε 0.1 PGD, one epoch): config.toml, model.pt, summary.json."""
    folder = tmp_path_factory.mktemp("build") / "runs" / "toy_pgd"
    cfg = tiny_config(name="toy_pgd", epochs=1, adv=AdvConfig(norm="inf", eps=0.1, steps=3))
    train_run(cfg, folder, TrainOptions())
    return folder


@pytest.fixture(scope="module")
def toy_ts(toy_run, tmp_path_factory) -> Path:
    """The same model saved as TorchScript."""
    from tradeoff.deep.runs import load_run_model

    _, model = load_run_model(toy_run)
    path = tmp_path_factory.mktemp("ts") / "toy.ts"
    torch.jit.trace(model.eval(), torch.rand(2, 1, 12, 12)).save(str(path))
    return path


@pytest.fixture
def user(tmp_path, monkeypatch):
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / f"{USER}.py").write_text(textwrap.dedent(USER_SOURCE))
    monkeypatch.delitem(sys.modules, USER, raising=False)
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    yield importlib.import_module(USER)
    sys.modules.pop(USER, None)


@pytest.fixture
def build(tmp_path, monkeypatch) -> Path:
    b = tmp_path / "build"
    monkeypatch.setenv("TRADEOFF_BUILD", str(b))
    return b


def _cards(build: Path) -> list[Path]:
    return sorted((build / "results" / "cards").glob("*.json"))


def _numbers(p: dict) -> dict:
    """Every number of a card that depends on the model (not on where it was loaded from or when)."""
    strip = {"seconds", "time_s", "milp_seconds", "cost", "wall_time_s", "judge"}

    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if k not in strip and k != "run"}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return clean({k: p[k] for k in ("clean", "robust", "sanity", "claim10", "claim11", "data_limit", "plane")})


def test_the_same_weights_as_a_run_folder_and_as_torchscript_give_one_card(toy_run, toy_ts, build, capsys):
    data = load_card_data("toy")
    settings = CardSettings("inf", (0.05, 0.1), n=40, sanity_n=20, n_gradients=20, n_judge=20, batch_size=100)
    run = make_card(load_card_model(str(toy_run), data.info, "inf"), data, settings)
    ts = make_card(load_card_model(str(toy_ts), data.info, "inf"), data, settings)
    assert run["key"] == ts["key"] and run["model"]["kind"] == "run" and ts["model"]["kind"] == "torchscript"
    assert _numbers(run) == _numbers(ts)
    assert run["robust"]["per_eps"][2]["accuracy"] < run["clean"]["accuracy"]
    # keyed by the weights, the data and the settings: both write the same card file, as the command does
    write_card(run, build / "results" / "cards")
    assert main(["card", str(toy_ts), "--data", "toy", "--norm", "inf", "--eps", "0.1", "0.05", *SMALL,
                 "--no-figures"]) == 0
    files = _cards(build)
    assert len(files) == 1
    assert _numbers(read_result(files[0])["payload"]) == _numbers(ts)
    capsys.readouterr()
    # the card's robust accuracy is deep eval's on the same points
    assert main(["deep", "eval", str(toy_run), "--eps", "0.05", "0.1", "--n", "40", "--batch-size", "100",
                 "--sanity-n", "0", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert {r["eps"]: r["accuracy"] for r in ev["accuracy"]} == \
        {r["eps"]: r["accuracy"] for r in run["robust"]["per_eps"]}
    card = read_result(files[0])
    assert card["kind"] == "deep.card" and card["scale"] == "ad-hoc" and card["evidence"] is False
    f = card["payload"]["fields"]
    assert f["threat_model"] == "Linf" and f["n_examples"] == 40 and f["n_clean"] == 1000 and f["dataset"] == "toy"
    assert f["architecture"] in ("tiny_cnn", "NormalizedModel") and "APGD" in f["attack"].upper()
    assert f["autoattack_accuracy"] is None and "autoattack_accuracy" in f["not_measured"]
    flags = unpack_flags(run["robust"]["per_eps"][1]["correct"])
    assert flags.mean() == pytest.approx(run["robust"]["per_eps"][1]["accuracy"])
    assert run["model"]["recipe"] is None and ts["model"]["recipe"] is None


def test_a_factory_model_gives_a_card_with_its_figure_and_claims(user, toy_run, build, capsys):
    weights = toy_run / "model.pt"
    assert main(["card", f"{USER}:tiny", "--weights", str(weights), "--data", "toy", "--norm", "2", "--eps", "0.5",
                 "--reference-model", str(toy_run), "--recipe", "PGD l_inf 0.1, 1 epoch", *SMALL]) == 0
    out, err = capsys.readouterr()
    assert "[1/5] clean accuracy" in err and "data limit" in err  # progress on stderr
    assert "card:" in out and "figure:" in out
    (path,) = _cards(build)
    p = read_result(path)["payload"]
    assert p["model"]["kind"] == "factory" and p["fields"]["training_recipe"] == "PGD l_inf 0.1, 1 epoch"
    assert p["fields"]["threat_model"] == "L2" and p["settings"]["large"]["eps"] == pytest.approx(0.103 * 12, 1e-2)
    assert p["claim10"]["status"] == "run" and set(p["claim10"]["variants"]) == {"pearson", "spearman", "signed"}
    # the reference is the same weights: every difference against it is zero
    diff = p["claim10"]["reference"]["comparison"]["minus_standard"]["spearman"]
    assert diff["estimate"] == pytest.approx(0.0, abs=1e-12)
    assert p["claim11"]["reference"]["model_minus_reference"]["estimate"] == pytest.approx(0.0, abs=1e-12)
    assert {"clean", "noise", "decides"} <= set(p["claim11"]["judge"]) and p["claim11"]["judge"]["n_train"] == 2000
    assert p["data_limit"]["status"] == "run" and p["data_limit"]["per_eps"][0]["label"] in ("exact", "bounds")
    assert p["data_limit"]["separation"]["status"] == "run"
    assert p["plane"]["data_frontier_note"] and not p["plane"]["per_eps"][0]["published"]
    png = build / "figures" / "cards" / (path.stem + ".png")
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"


def _cifar_npz(path: Path, train: bool = True, classes: int = 10, x_max: float = 1.0) -> Path:
    rng = np.random.default_rng(0)
    arrays = {"x": rng.uniform(0, x_max, (30, 3, 32, 32)).astype(np.float32), "y": np.arange(30) % classes}
    if train:
        arrays.update(x_train=rng.uniform(0, 1, (50, 3, 32, 32)).astype(np.float32), y_train=np.arange(50) % classes)
    np.savez(path, **arrays)
    return path


def _robustbench_stand_in(monkeypatch, model_dir: Path) -> torch.nn.Module:
    """A stand-in ``robustbench.utils.load_model`` with RobustBench's signature and checkpoint layout (RobustBench does
    not import beside the CPU torch: docs/cards.md), and a checkpoint for it."""

    def load_model(model_name, model_dir="./models", dataset="cifar10", threat_model="Linf", **_):
        state = torch.load(Path(model_dir) / dataset / threat_model / f"{model_name}.pt", weights_only=True)
        model = build_model("tiny_cnn", 10, (0.49, 0.48, 0.45), (0.25, 0.24, 0.26), image_size=32)
        model.load_state_dict(state)
        return model.eval()

    install_robustbench(monkeypatch, load_model)
    torch.manual_seed(5)
    net = build_model("tiny_cnn", 10, (0.49, 0.48, 0.45), (0.25, 0.24, 0.26), image_size=32).eval()
    ckpt = model_dir / "cifar10" / "Linf" / "Tiny.pt"
    ckpt.parent.mkdir(parents=True)
    torch.save(net.state_dict(), ckpt)
    return net


def test_a_robustbench_model_gives_a_card(tmp_path, build, monkeypatch, capsys):
    _robustbench_stand_in(monkeypatch, tmp_path / "models")
    data = _cifar_npz(tmp_path / "cifar_like.npz")
    assert main(["card", "robustbench:Tiny", "--model-dir", str(tmp_path / "models"), "--data", str(data),
                 "--norm", "inf", "--eps", str(8 / 255), *SMALL, "--limit-per-class", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    f = out["fields"]
    assert f["model_kind"] == "robustbench" and f["threat_model"] == "Linf" and f["n_examples"] == 30
    p = read_result(out["card"])["payload"]
    assert p["data_limit"]["points"]["n"] == 20 and p["data_limit"]["points"]["limit_per_class"] == 2
    assert p["claim11"]["attack"]["eps"] == 0.25  # a data set without a choice: the paper's Restricted ImageNet eps


def test_a_data_set_without_a_training_split_gives_a_card_with_claim_11_not_run(user, toy_run, tmp_path, build,
                                                                              capsys):
    from tradeoff.data.image_sets import load_image_set

    x, y, _ = load_image_set("toy", "test")
    np.savez(tmp_path / "toy_test_only.npz", x=x[:60], y=y[:60])
    assert main(["card", f"{USER}:tiny", "--weights", str(toy_run / "model.pt"), "--data",
                 str(tmp_path / "toy_test_only.npz"), "--norm", "inf", "--eps", "0.1", *SMALL, "--no-figures"]) == 0
    assert "claim 11: not run" in capsys.readouterr().out
    p = read_result(_cards(build)[0])["payload"]
    assert p["claim11"]["status"] == "not run" and "x_train" in p["claim11"]["reason"]
    assert p["claim10"]["status"] == "run" and p["claim10"]["variants"]["signed"]["status"] == "not run"
    assert p["data_limit"]["separation"]["status"] == "not run" and p["data"]["train"] is None


def test_two_classes_give_the_exact_limit_and_the_data_frontier_and_a_too_weak_attack_is_flagged():
    from tradeoff.deep.card_measures import data_limit

    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (8, 1, 4, 4)).astype(np.uint8)
    x[1] = x[0]  # two images of different classes that no classifier can both hold at any eps
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    out = data_limit(x, y, np.arange(8), None, [0.01], "inf", 2, {0.01: np.ones(8, bool)}, time_limit=1.0)
    (row,) = out["per_eps"]
    assert row["exact"] and row["robust_accuracy"] == pytest.approx(7 / 8) and row["frontier"]["standard"]
    assert row["model_robust_same_points"] == 1.0 and row["model_exceeds_limit"] and "too weak" in out["warning"]
    assert out["separation"]["status"] == "not run"


def test_published_points_and_this_projects_frontier_models_go_with_their_threat_model():
    from tradeoff.deep.card_plane import frontier_models, published_points
    from tradeoff.reports.result_index import COMMITTED_RESULTS

    mnist = published_points("mnist", "inf", 0.3)
    assert {p["name"].split(",")[0] for p in mnist} == {"Madry et al. 2018", "Zhang et al. 2019", "Wong et al. 2020",
                                                        "Gowal et al. 2020"}
    assert all(p["quoted"] and ("Croce & Hein 2020" in p["source"] or "RobustBench" in p["source"]) for p in mnist)
    assert {p["robust"] for p in published_points("cifar10", "inf", 0.0314)} == {0.4321, 0.4404}
    assert published_points("mnist", "2", 0.3) == [] and published_points("toy", "inf", 0.3) == []
    payload = read_result(COMMITTED_RESULTS / "cpu_deep_frontier" / "frontier_mnist.json")["payload"]
    rows = frontier_models(payload, "mnist", "inf", 0.3)
    assert len(rows) == len(payload["rows"]) and all(0 <= r["robust"] <= r["standard"] <= 1 for r in rows)
    assert frontier_models(payload, "mnist", "inf", 0.1) == [] and frontier_models(payload, "cifar10", "inf", 0.3) == []


def test_large_eps_per_data_set():
    from tradeoff.deep.card_claims import large_eps_for

    assert large_eps_for("mnist", "inf", 784).eps == 0.45 and large_eps_for("mnist", "2", 784).eps == 4.0
    assert large_eps_for("cifar10", "inf", 3072).eps == 0.125
    assert large_eps_for("toy", "inf", 144).eps == 0.25
    assert large_eps_for("toy", "2", 144, eps=2.0).why.startswith("given")


def test_radii_out_of_range_for_the_norm():
    assert check_radius(0.3, "inf", 784, "eps") == 0.3 and check_radius(27.9, "2", 784, "eps") == 27.9
    for value, norm, words in ((8, "inf", ["at most 1", "8/255"]), (30, "2", ["at most 28"]), (0, "inf", ["> 0"]),
                               (float("nan"), "2", ["> 0"])):
        with pytest.raises(ValueError) as e:
            check_radius(value, norm, 784, "eps")
        assert "\n" not in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def _bad_inputs(tmp_path: Path, toy_run: Path) -> dict:
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"not a model at all")
    _cifar_npz(tmp_path / "outside.npz", x_max=2.0)
    np.savez(tmp_path / "bad_y.npz", x=np.zeros((4, 1, 12, 12), np.float32), y=np.array([0.5, 1, 2, 3]))
    w = ["--weights", str(toy_run / "model.pt")]
    toy = ["--data", "toy", "--norm", "inf", "--eps", "0.1"]
    return {
        "a file that is not a model": ([str(junk), *toy], "not a TorchScript model"),
        "a factory whose module does not exist": (["nowhere_at_all:net", *toy], "cannot be imported"),
        "a factory that does not exist": ([f"{USER}:missing", *toy], "no attribute 'missing'"),
        "a factory that raises": ([f"{USER}:raises", *toy], "raised RuntimeError"),
        "output not (N, classes)": ([f"{USER}:extra_dim", *toy], "shape"),
        "a random train-mode model": ([f"{USER}:dropper", *toy], "eval()"),
        "classes that differ from the data's": ([f"{USER}:tiny5", *toy], "5 logits"),
        "inputs outside [0, 1]": ([f"{USER}:tiny", *w, "--data", str(tmp_path / "outside.npz"), "--norm", "inf",
                                   "--eps", "0.1"], "outside [0, 1]"),
        "labels that are not integers": ([f"{USER}:tiny", *w, "--data", str(tmp_path / "bad_y.npz"), "--norm", "inf",
                                          "--eps", "0.1"], "integer"),
        "eps out of range for l_inf": ([f"{USER}:tiny", *w, "--data", "toy", "--norm", "inf", "--eps", "8"],
                                       "out of range"),
        "eps out of range for l2": ([f"{USER}:tiny", *w, "--data", "toy", "--norm", "2", "--eps", "30"],
                                    "out of range"),
        "a negative eps": ([f"{USER}:tiny", *w, "--data", "toy", "--norm", "2", "--eps", "-1"], "> 0"),
        "a data set that does not exist": ([f"{USER}:tiny", *w, "--data", "nowhere.npz", "--norm", "inf", "--eps",
                                            "0.1"], "neither a registered data set"),
        "a norm that does not exist": ([f"{USER}:tiny", *w, "--data", "toy", "--norm", "1", "--eps", "0.1"],
                                       "invalid choice"),
        "an attack that does not exist": ([f"{USER}:tiny", *w, *toy, "--attack", "fgsm"], "unknown --attack"),
        "a model that is not there": (["no/such/model.ts", *toy], "neither an existing file"),
        "a missing option": ([f"{USER}:tiny", "--data", "toy", "--eps", "0.1"], "--norm"),
    }


def test_every_bad_input_is_one_line_and_exit_2(user, toy_run, tmp_path, build, capsys):
    for what, (argv, words) in _bad_inputs(tmp_path, toy_run).items():
        rc = main(["card", *argv, "--no-figures"])
        err = capsys.readouterr().err
        errors = [line for line in err.splitlines() if line.startswith("tradeoff: error:")]
        assert rc == 2, (what, err)
        assert len(errors) == 1 and "Traceback" not in err and words in errors[0], (what, err)
    assert _cards(build) == []


def test_cards_gathers_a_table_and_a_figure_from_cards_and_from_runs(user, toy_run, tmp_path, build, capsys):
    from tradeoff.reports.card_table import card_rows, card_table_blocks, read_cards

    w = ["--weights", str(toy_run / "model.pt")]
    assert main(["card", f"{USER}:tiny", *w, "--data", "toy", "--norm", "inf", "--eps", "0.05", "0.1", *SMALL,
                 "--name", "user tiny", "--no-figures"]) == 0
    assert main(["cards", "--from-runs", str(toy_run.parent.parent)]) == 0
    out = capsys.readouterr().out
    assert "user tiny" in out and "2 card(s)" in out
    table = (build / "cards" / "leaderboard.md").read_text()
    assert table.count("\n") == 2 + 3  # header, rule, two eps of the user card, one of the run card
    png = build / "figures" / "cards" / "leaderboard.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
    cards, skipped = read_cards([build / "results" / "cards"])
    assert skipped == [] and len(cards) == 2
    run_card = next(c for c in cards if c.payload.get("from_run"))
    summary = read_result(toy_run / "summary.json")
    assert run_card.scale == summary["scale"]
    f = run_card.payload["fields"]
    assert f["clean_accuracy"] == summary["payload"]["standard_acc"]
    assert f["robust_accuracy"] == summary["payload"]["robust_acc"] and f["n_examples"] == 200
    assert "tradeoff card" in run_card.payload["claim11"]["reason"] and "tradeoff card" in \
        f["not_measured"]["autoattack_accuracy"]
    assert f["training_recipe"].startswith("PGD adversarial training, l_inf eps 0.1")
    rows = card_rows(cards)
    assert [r["model"] for r in rows].count("user tiny") == 2
    blocks = card_table_blocks([build / "results" / "cards"], figure=png)
    assert blocks[0].anchor == "model-cards" and len(blocks[2].rows) == 3 and blocks[-1].path == png
    assert card_table_blocks([tmp_path / "empty"]) == []
    assert main(["cards", str(tmp_path / "nothing")]) == 2
    # the report includes them (issue 25): a "Model cards" section with the three card rows, listed in the contents
    capsys.readouterr()
    assert main(["report"]) == 0
    md = (build / "report.md").read_text()
    section = md[md.index('<a id="model-cards"></a>'):]
    assert "](#model-cards)" in md and section.count("| user tiny |") == 2 and "leaderboard.png" in section


def test_the_card_figure_is_drawn_from_the_card_file(user, toy_run, build, tmp_path):
    from tradeoff.reports.figures.card import draw_card_file

    assert main(["card", f"{USER}:tiny", "--weights", str(toy_run / "model.pt"), "--data", "toy", "--norm", "inf",
                 "--eps", "0.1", *SMALL, "--no-figures", "--sanity-n", "0"]) == 0
    (path,) = _cards(build)
    png = draw_card_file(path, tmp_path / "card.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert read_result(path)["payload"]["sanity"]["status"] == "not run"


@pytest.mark.realdata
@pytest.mark.slow
def test_a_card_on_real_mnist_sets_the_model_beside_the_published_points_and_the_frontier_models(build, tmp_path,
                                                                                                capsys):
    from tests.data.test_mnist import _real_dir  # skips when MNIST is not cached

    _real_dir()
    torch.manual_seed(0)
    net = build_model("mnist_cnn", 10, (0.1307,), (0.3081,), image_size=28, width=4).eval()
    torch.jit.trace(net, torch.rand(2, 1, 28, 28)).save(str(tmp_path / "mnist.ts"))
    assert main(["card", str(tmp_path / "mnist.ts"), "--data", "mnist", "--norm", "inf", "--eps", "0.3", *SMALL,
                 "--no-figures", "--json"]) == 0
    p = read_result(json.loads(capsys.readouterr().out)["card"])["payload"]
    assert p["clean"]["n"] == 10000 and p["claim11"]["attack"]["eps"] == 0.45
    assert p["claim11"]["judge"]["n_train"] == 60000 and p["data_limit"]["separation"]["n_train"] == 60000
    (plane,) = p["plane"]["per_eps"]
    assert len(plane["published"]) == 4 and len(plane["frontier_models"]) >= 1  # data.published: MNIST l_inf 0.3


def test_a_dry_run_checks_the_card_and_writes_nothing(toy_ts, build, capsys):
    """``--dry-run`` loads the data and the model and checks every setting, then stops: exit 0, no file; the same
    command with an eps outside the norm's range is refused in the dry run already."""
    argv = ["card", str(toy_ts), "--data", "toy", "--norm", "inf", "--eps", "0.1", *SMALL]
    assert main([*argv, "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out and not _cards(build)
    assert main(["card", str(toy_ts), "--data", "toy", "--norm", "inf", "--eps", "1.5", "--dry-run"]) == 2
    assert "eps" in capsys.readouterr().err
    assert main(["cards", "--dry-run", "--from-runs", str(build / "nowhere")]) == 2
