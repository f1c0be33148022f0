import pytest

from tradeoff.reports.cli import build_parser, main


def test_help_lists_groups(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    assert "tradeoff" in capsys.readouterr().out


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "command groups" in capsys.readouterr().out


def test_unknown_group_is_one_line_exit_2(capsys):
    assert main(["no-such-group"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradeoff: error:") and "no-such-group" in err and err.count("\n") == 1
    assert build_parser().prog == "tradeoff"


def test_a_build_dir_that_is_a_file_is_a_one_line_error(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert main(["--build-dir", str(a_file), "report"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradeoff: error:") and str(a_file) in err and err.count("\n") == 1


def test_errors_are_one_line_exit_2_and_tracebacks_need_tradeoff_debug(monkeypatch, capsys):
    from tradeoff.reports import cli

    def failing(kind):
        parser = cli.build_parser()

        def build_parser():
            def boom(args):
                raise kind("first line of the problem; the fix\nsecond line for developers")

            parser.set_defaults(func=boom)
            return parser

        return build_parser

    for kind in (ValueError, MemoryError):
        monkeypatch.setattr(cli, "build_parser", failing(kind))
        monkeypatch.delenv("TRADEOFF_DEBUG", raising=False)
        assert cli.main([]) == 2
        err = capsys.readouterr().err
        assert err.startswith("tradeoff: error: ") and err.count("\n") == 1 and "first line of the problem" in err
        if kind is MemoryError:
            assert "out of memory" in err and "smaller sizes" in err
        monkeypatch.setenv("TRADEOFF_DEBUG", "1")
        with pytest.raises(kind):
            cli.main([])
@pytest.mark.parametrize("argv, option", [
    (["theory", "averaging", "--d", "ten"], "--d"),
    (["deep", "eval", ".", "--eps", "0.1", "--steps", "many"], "--steps"),
    (["theory", "finite", "--loss", "hinge"], "--loss"),
])
def test_a_bad_option_value_of_any_command_is_one_line_exit_2(argv, option, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradeoff: error: tradeoff ") and option in err and err.count("\n") == 1
    assert "--help" in err
