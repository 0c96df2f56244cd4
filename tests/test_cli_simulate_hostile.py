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


def test_a_scenario_file_over_1_mb_is_refused_before_it_is_read(capsys, tmp_path):
    path = tmp_path / "big.toml"
    path.write_text('model = "sqs"\n' + "# padding\n" * 110_000)
    message = one_line_error(capsys, str(path))
    assert message == f"scenario file '{path}': larger than 1 MB, the most a scenario file may be"


def test_a_long_dotted_key_is_refused_before_parsing(capsys, tmp_path):
    # 400 KB of one dotted key: the TOML parser alone took 8 GB on this.
    path = tmp_path / "dotted.toml"
    path.write_text("a" + ".a" * 200_000 + " = 1\n")
    message = one_line_error(capsys, str(path))
    assert message.startswith(f"scenario file '{path}': nested too deeply; allowed at most 10 levels")


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a=" * 5000 + "1" + "}" * 5000])
def test_deeply_nested_values_are_refused_in_a_file_and_in_set(capsys, tmp_path, value):
    path = tmp_path / "deep.toml"
    path.write_text(f'model = "sqs"\ntitle = {value}\n')
    assert "nested too deeply" in one_line_error(capsys, str(path))
    assert one_line_error(capsys, "sqs-lambda", "--set", f"title={value}").startswith(
        "--set title: nested too deeply"
    )


def test_nesting_inside_strings_and_comments_is_not_counted(capsys, tmp_path):
    path = tmp_path / "quoted.toml"
    path.write_text(
        'model = "sqs"\ntitle = "[[[[[[[[[[[[ a.b.c.d.e.f.g.h.i.j.k"\n'
        "# {{{{{{{{{{{{ ...........\n"
        "description = '''\n[[[[[[[[[[[[[[[[[[\n'''\n[load]\ncount = 3\n"
    )
    assert main(["simulate", str(path), "--json"]) == 0
    assert '"title": "[[[[[[[[[[[[ a.b.c.d.e.f.g.h.i.j.k"' in capsys.readouterr().out


def test_a_huge_key_in_set_is_refused_in_one_short_line(capsys):
    message = one_line_error(capsys, "sqs-lambda", "--set", "a" * 100_000 + "=1")
    assert message.startswith("--set aaaa") and "unknown key" in message and len(message) < 200
