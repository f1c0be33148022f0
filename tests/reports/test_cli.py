import pytest

from reports.cli import build_parser, main


def test_help_lists_groups(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    assert "tradeoff" in capsys.readouterr().out


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "command groups" in capsys.readouterr().out


def test_unknown_group_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["no-such-group"])
    assert e.value.code == 2
    assert build_parser().prog == "tradeoff"
