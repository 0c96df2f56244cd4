"""`simulate PRESET --watch` opens the resolved scenario in the live pane; bad combinations are one line."""

from tutor.cli import main
from tutor.ui.screens import watch


def test_watch_opens_the_pane_with_the_overrides_applied(monkeypatch):
    opened = []
    monkeypatch.setattr(watch, "run_watch", lambda scenario, name="": opened.append((scenario, name)) or 0)
    assert main(["simulate", "sqs-lambda", "--watch", "--set", "sqs.batch_size=5", "--seed", "7"]) == 0
    [(scenario, name)] = opened
    assert (name, scenario.model, scenario.sqs.batch_size, scenario.seed) == ("sqs-lambda", "sqs", 5, 7)


def test_watch_refuses_json_in_one_line(capsys):
    assert main(["simulate", "sqs-lambda", "--watch", "--json"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--watch" in error


def test_watch_refuses_an_out_of_range_value_before_opening_anything(monkeypatch, capsys):
    monkeypatch.setattr(watch, "run_watch", lambda *a, **k: (_ for _ in ()).throw(AssertionError("opened")))
    assert main(["simulate", "sqs-lambda", "--watch", "--set", "sqs.batch_size=20000"]) == 2
    assert "sqs.batch_size = 20000" in capsys.readouterr().err
