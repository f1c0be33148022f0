"""Issue 24's property: random values of the right and the wrong types, given to every option of every command and
to every field of a training config, give exit 0 with a valid result, or exit 2 with one line and no traceback;
never anything else.

The options go through ``--dry-run`` (every option, path and config checked, nothing run), so that each example
costs the parser and the validation only; ``theory averaging`` is also run for real (exact, milliseconds) and its
result file read back. Bounded examples: the whole file runs in seconds."""

import argparse
import contextlib
import dataclasses
import io
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeoff.deep.config import AdvConfig, EvalConfig, TrainConfig
from tradeoff.reports.cli import build_parser, main
from tradeoff.reports.cli._base import walk

SKIP = {"--help", "--version", "--dry-run", "-h"}
#: commands that have no dry run (report: reads results only; it is not among the commands that compute)
NO_DRY_RUN = {("report",)}


def _commands():
    out = []
    for path, p in walk(build_parser()):
        if any(isinstance(a, argparse._SubParsersAction) for a in p._actions) or path in NO_DRY_RUN:
            continue
        options = [a for a in p._actions if a.option_strings and not SKIP & set(a.option_strings)
                   and a.help != argparse.SUPPRESS]
        positionals = [a for a in p._actions if not a.option_strings]
        out.append((path, options, positionals))
    return out


COMMANDS = _commands()


def values(tmp: str):
    """Text of the right and the wrong types: integers, floats (NaN, inf, huge, tiny, negative), booleans and words,
    empty strings, multiples of eta, lists, paths that exist (a file, a folder) or cannot be written."""
    return st.one_of(
        st.integers(-10**20, 10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.floats(0, 1).map(lambda x: f"{x:.3g}"),
        st.sampled_from(["", " ", "0", "1", "2", "-1", "1e999", "-inf", "nan", "true", "no", "None", "0x10", "eta",
                         "2eta", "0,eta,2eta", "a,b", "mnist", "cifar10", "fig1", "0/1", "3/2", "[1]", "☃",
                         "/proc/x", f"{tmp}/file", f"{tmp}/dir", f"{tmp}/new", "-"]),
        st.text(max_size=6),
    )


def _one_line_or_ok(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse's own exits (none expected: --help is not drawn)
            rc = e.code
    text = err.getvalue()
    assert rc in (0, 2), (argv, rc, text[-2000:])
    assert "Traceback" not in text, (argv, text[-2000:])
    if rc == 2:
        last = text.rstrip("\n").split("\n")[-1].split("\r")[-1]
        assert last.startswith("tradeoff: error: ") and text.count("tradeoff: error:") == 1, (argv, text)
    return rc, out.getvalue(), text


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    d = tmp_path_factory.mktemp("prop")
    (d / "file").write_text("not a data set")
    (d / "dir").mkdir()
    return str(d)


@st.composite
def command_line(draw, tmp):
    path, options, positionals = draw(st.sampled_from(COMMANDS))
    argv = list(path)
    for a in positionals:  # a value of the right kind most of the time, anything else otherwise
        n = 1 if a.nargs in (None, "?") or a.nargs == 1 else draw(st.integers(0 if a.nargs == "*" else 1, 2))
        for _ in range(n):
            argv.append(draw(st.sampled_from(list(a.choices)) if a.choices and draw(st.booleans())
                             else values(tmp)))
    for a in draw(st.lists(st.sampled_from(options), max_size=4, unique_by=lambda a: a.dest)) if options else []:
        opt = draw(st.sampled_from(a.option_strings))
        if a.nargs == 0:
            argv.append(opt)
            continue
        n = 1 if a.nargs in (None, "?") else draw(st.integers(1, 3))
        vals = [draw(st.sampled_from([str(c) for c in a.choices])) if a.choices and draw(st.booleans())
                else draw(values(tmp)) for _ in range(n)]
        argv += [opt, *vals]
    return [*argv, "--dry-run"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_any_value_of_any_option_is_accepted_or_refused_in_one_line(data, tmp, tmp_path_factory):
    build = tmp_path_factory.mktemp("build")
    argv = data.draw(command_line(tmp))
    rc, out, _ = _one_line_or_ok(["--build-dir", str(build), *argv])
    if rc == 0:
        assert "dry run:" in out or argv[:3] == ["deep", "sweep", "--list"] or "--list" in argv
        assert not (build / "results").exists()  # a dry run writes no result


# ----------------------------------------------------------------------------------------------- config fields
def _fields():
    out = []
    for f in dataclasses.fields(TrainConfig):
        if f.name in ("adv", "eval"):
            continue
        out.append(("", f.name))
    out += [("adv", f.name) for f in dataclasses.fields(AdvConfig)]
    out += [("eval", f.name) for f in dataclasses.fields(EvalConfig)]
    return out


FIELDS = _fields()

TOML_VALUES = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: "nan" if math.isnan(x) else
                                                       ("inf" if x == math.inf else "-inf" if x == -math.inf
                                                        else repr(x))),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(max_size=8).map(json.dumps),
    st.sampled_from(['"none"', '"no"', '"mnist"', '"toy"', '"inf"', '"2"', '"pgd"', '"trades"', "[]", "[0.1, 0.3]",
                     "[1, 2]", '""', '"/proc/x"', "0.3", "2.5", "100000000"]),
)


@st.composite
def config_text(draw):
    chosen = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5, unique=True))
    top = [f"{name} = {draw(TOML_VALUES)}" for table, name in chosen if not table]
    text = 'dataset = "toy"\n' if draw(st.booleans()) and ("", "dataset") not in chosen else ""
    text += "\n".join(top) + "\n"
    for table in ("adv", "eval"):
        lines = [f"{name} = {draw(TOML_VALUES)}" for t, name in chosen if t == table]
        if lines:
            text += f"[{table}]\n" + "\n".join(lines) + "\n"
    return text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=config_text())
def test_any_value_of_any_config_field_is_accepted_or_refused_in_one_line(text, tmp_path_factory):
    d = tmp_path_factory.mktemp("cfg")
    path = d / "c.toml"
    path.write_text(text, encoding="utf-8")
    rc, out, _ = _one_line_or_ok(["--build-dir", str(d / "build"), "deep", "train", str(path), "--run-dir",
                                  str(d / "run"), "--dry-run"])
    if rc == 0:
        assert "dry run: deep train" in out
        from tradeoff.deep.config_toml import load_config

        cfg = load_config(path)  # what was accepted is a valid config
        assert cfg.validate() is cfg or cfg.validate() is None


# ----------------------------------------------------------------------------------------------- a real result
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-5, 10**6).map(str),
                    st.floats(0, 1).map(lambda x: f"{x:.4g}"), st.sampled_from(["", "eta", "2eta", "-0", "1e-300"]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(d=NUMBERS, p=NUMBERS, eta=NUMBERS, eps=NUMBERS, norm=st.sampled_from(["inf", "2", "1"]),
       mc=st.integers(0, 300).map(str))
def test_theory_averaging_gives_a_valid_result_or_one_line(d, p, eta, eps, norm, mc, tmp_path_factory):
    from tradeoff.data.io import read_result

    build = tmp_path_factory.mktemp("avg")
    rc, _, _ = _one_line_or_ok(["--build-dir", str(build), "theory", "averaging", "--d", d, "--p", p,
                                "--eta-sqrt-d", eta, "--eps", eps, "--norm", norm, "--mc-samples", mc, "--json"])
    result = build / "results" / "theory" / "averaging.json"
    if rc == 2:
        assert not result.exists()
        return
    env = read_result(result)
    rows = env["payload"]
    flat = json.dumps(rows)
    assert "NaN" not in flat and env["kind"] == "theory.averaging"
