"""Bad configs (issue 10, section 4): one-line ValueErrors naming the field, what is allowed and the TOML spelling."""

import pytest

from tradeoff.deep.config import TrainConfig
from tradeoff.deep.config_toml import dumps_config, load_config, loads_config


def _error(text: str) -> str:
    with pytest.raises(ValueError) as info:
        loads_config(text)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("text,field", [("[eval]\neps = 0.05", "eval"),
                                        ("milestones = 50\nschedule = 'multistep'", "")])
def test_a_single_value_for_a_list_field_is_a_one_element_list(text, field):
    cfg = loads_config(text)
    assert (cfg.eval.eps if field else cfg.milestones) == [0.05 if field else 50.0]
    assert loads_config(dumps_config(cfg)) == cfg  # written back as a list


def test_integers_are_numbers_and_list_elements_become_floats():
    cfg = loads_config("lr = 1\n[eval]\nnorm = 2\neps = [1, 2]\n")  # l_2 radii (l_inf ones are at most 1)
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and cfg.eval.eps == [1.0, 2.0]
    assert all(isinstance(e, float) for e in cfg.eval.eps)


@pytest.mark.parametrize("text,field,spelling", [
    ("name = 5", "'name' = 5", "a string in double quotes"),
    ('[adv]\nrandom_start = "no"', "'adv.random_start' = 'no'", "true or false"),
    ('amp = "false"', "'amp' = 'false'", "true or false"),
    ('deterministic = "false"', "'deterministic' = 'false'", "true or false"),
    ("compile = 1", "'compile' = 1", "true or false"),
    ('[eval]\neps = ["a"]', "'eval.eps[0]' = 'a'", "a number"),
    ('[eval]\neps = "0.1"', "'eval.eps' = '0.1'", "a list of a number"),
    ("epochs = 2.5", "'epochs' = 2.5", "an integer"),
    ('[eval]\nn_final = "all"', "'eval.n_final' = 'all'", 'or "none"'),
    ("width = true", "'width' = True", "an integer"),
])
def test_wrong_types_name_the_field_and_the_toml_spelling(text, field, spelling):
    msg = _error(text)
    assert f"config field {field}" in msg and spelling in msg


def test_wrong_types_are_refused_from_the_api_too():
    with pytest.raises(ValueError, match="'adv.random_start' = 'no'"):
        TrainConfig().replace(adv={"random_start": "no"})
    cfg = TrainConfig()
    cfg.amp = "false"
    with pytest.raises(ValueError, match="'amp' = 'false' is invalid: allowed true or false"):
        cfg.validate()


@pytest.mark.parametrize("name", ["../../escape", "a/b", "a\\\\b", "..", ".hidden", "", "with space", "x" * 201])
def test_run_names_must_be_plain_folder_names(name):
    msg = _error(f'name = "{name}"')
    assert "plain folder name" in msg and "letters, digits" in msg


@pytest.mark.parametrize("name", ["mnist_linf_0.3", "mnist-quick-inf-e0.3-n2000-s0-0123abcd", "a..b", "R2+l2=1"])
def test_usual_run_names_are_accepted(name):
    assert loads_config(f'name = "{name}"').name == name


@pytest.mark.parametrize("text,field,allowed", [
    ("epochs = -1", "'epochs'", "> 0"),
    ("epochs = 0", "'epochs'", "> 0"),
    ("lr = 0", "'lr'", "> 0"),
    ("lr = -0.1", "'lr'", "> 0"),
    ('[adv]\nnorm = "1"', "'adv.norm'", "'inf', '2'"),
    ('[eval]\nnorm = "l3"', "'eval.norm'", "'inf', '2'"),
    ("[adv]\neps = -0.1", "'adv.eps'", ">= 0"),
    ("[eval]\neps = [-0.1]", "'eval.eps[0]'", "> 0"),
    ("[adv]\nsteps = 0", "'adv.steps'", "> 0"),
    ("[eval]\nsteps = 0", "'eval.steps'", "> 0"),
    ("batch_size = 0", "'batch_size'", "> 0"),
    ("[eval]\nbatch_size = -5", "'eval.batch_size'", "> 0"),
    ("momentum = 1.5", "'momentum'", "[0, 1)"),
    ("seed = -1", "'seed'", ">= 0"),
    ("milestones = [-1.0]", "'milestones[0]'", ">= 0"),
])
def test_nonsense_values_name_the_field_and_what_is_allowed(text, field, allowed):
    msg = _error(text)
    assert f"config field {field}" in msg and allowed in msg


@pytest.mark.parametrize("text,key,hint", [
    ("foo = 1", "'foo'", "allowed fields are adv, amp"),
    ("[adv]\nepss = 0.1", "'adv.epss'", "allowed fields are beta, eps, eps_warmup, method, mixed"),
    ("eps = 0.1", "'eps'", "did you mean eps under [adv] or eps under [eval]"),
    ("[evl]\neps = [0.1]", "'evl'", "allowed fields are"),
])
def test_unknown_keys_and_tables_name_the_key_and_list_the_valid_ones(text, key, hint):
    msg = _error(text)
    assert f"unknown config field {key}" in msg and hint in msg


def test_a_scalar_where_a_table_is_expected():
    assert "write [adv] on its own line" in _error("adv = 3")


def test_a_binary_or_folder_config_names_the_file(tmp_path):
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(ValueError) as info:
        load_config(binary)
    msg = str(info.value)
    assert "\n" not in msg and str(binary) in msg and "not a TOML text file" in msg
    with pytest.raises(ValueError, match="is a folder, not a TOML file"):
        load_config(tmp_path)


@pytest.mark.parametrize("text,field,allowed", [
    ('[adv]\neps = 0.3\nmethod = "trade"', "'adv.method'", "one of 'pgd', 'trades'"),
    ('[adv]\neps = 0.3\nmethod = "trades"\nbeta = -1', "'adv.beta'", ">= 0"),
    ('[adv]\nmethod = "trades"\nbeta = 1', "'adv.eps'", "> 0 with adv.method = 'trades'"),
    ('[adv]\neps = 0.3\nmethod = "trades"\nmixed = true', "'adv.mixed'", "false with adv.method = 'trades'"),
    ("[adv]\neps = 0.3\nbeta = 1", "'adv.beta'", "only with adv.method = 'trades'"),
    ('[adv]\neps = 0.3\nmethod = "trades"\nbeta = "6"', "'adv.beta'", "a number"),
])
def test_trades_settings_are_validated_with_one_line_errors(text, field, allowed):
    msg = _error(text)
    assert f"config field {field}" in msg and allowed in msg


def test_trades_config_round_trips_through_toml_and_pgd_fingerprints_ignore_it():
    from tradeoff.deep.config import TrainConfig
    from tradeoff.deep.config_toml import dumps_config, loads_config

    cfg = loads_config('[adv]\neps = 0.3\nmethod = "trades"\nbeta = 3')
    assert cfg.adv.trades and cfg.adv.beta == 3.0 and loads_config(dumps_config(cfg)) == cfg
    pgd = TrainConfig().replace(adv={"eps": 0.3})
    assert "method" not in pgd.identity()["adv"]  # PGD identities (and run fingerprints) predate TRADES
    assert cfg.replace(adv={"beta": 4.0}).fingerprint() != cfg.fingerprint()
