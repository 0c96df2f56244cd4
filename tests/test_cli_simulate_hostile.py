"""Hostile input to `lambda-tutor simulate`: every refusal is one line on standard error, exit 2."""

from __future__ import annotations

import pytest

from tutor.cli import main


def one_line_error(capsys, *argv: str) -> str:
    status = main(["simulate", *argv])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0].removeprefix("lambda-tutor: ")


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("load.rate_per_s", "nan", "allowed 0.001..100,000"),
        ("load.rate_per_s", "inf", "allowed 0.001..100,000"),
        ("function.duration_ms", "nan", "allowed 0..900,000"),
        ("function.cold_start_ms", "inf", "allowed 0..10,000"),
        ("function.error_rate", "nan", "allowed 0..1"),
        ("function.item_error_rate", "-inf", "allowed 0..1"),
        ("until_s", "nan", "allowed 1..604,800"),
        ("until_s", "inf", "allowed 1..604,800"),
    ],
)
def test_a_non_finite_number_is_refused_naming_the_key_and_range(capsys, key, value, allowed):
    message = one_line_error(capsys, "sqs-lambda", "--json", "--set", f"{key}={value}")
    assert message.startswith(f"{key} = {value}: not a finite number; {allowed}")


def test_a_non_finite_number_in_a_file_is_refused(capsys, tmp_path):
    path = tmp_path / "nan.toml"
    path.write_text('model = "async"\nuntil_s = nan\n')
    message = one_line_error(capsys, str(path), "--trace", str(tmp_path / "trace.jsonl"))
    assert message.startswith("until_s = nan: not a finite number; allowed 1..604,800")
    assert not (tmp_path / "trace.jsonl").exists()
