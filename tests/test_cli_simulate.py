"""`lambda-tutor simulate` through the real entry point: exit codes, one-line errors, JSON, traces, --list."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tutor.cli import main
from tutor.sim.engine import run
from tutor.sim.scenario import load_scenario


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["simulate", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line_error(capsys, *argv: str) -> str:
    status, out, err = run_cli(capsys, *argv)
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lambda-tutor: ")
    return lines[0].removeprefix("lambda-tutor: ")


def test_list_shows_every_preset_with_its_model(capsys):
    status, out, _err = run_cli(capsys, "--list")
    assert status == 0
    assert "sqs-poison-dlq" in out and "kinesis-bisect" in out
    row = next(line for line in out.splitlines() if "dynamodb-record-age" in line)
    assert "dynamodb" in row.replace("dynamodb-record-age", "")


def test_list_includes_a_packs_presets(capsys, tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "class-demo.toml").write_text('model = "async"\ntitle = "Class demo"\n')
    status, out, _err = run_cli(capsys, "--content", str(tmp_path), "--list")
    assert status == 0
    assert "class-demo" in out and "Class demo" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["sqs-lambda", "--set", "sqs.batch_size=25"],
            "sqs.batch_size = 25: a standard queue takes more than 10 only with "
            "sqs.maximum_batching_window_s >= 1",
        ),
        (
            ["sqs-lambda", "--set", "sqs.visibility_timeout_s=2"],
            "sqs.visibility_timeout_s = 2: must be at least function.timeout_s = 3",
        ),
        (["sqs-fifo-groups", "--set", "sqs.batch_size=20"], "sqs.batch_size = 20: a FIFO queue takes 1..10"),
        (
            ["sqs-fifo-groups", "--set", "sqs.maximum_batching_window_s=2"],
            "sqs.maximum_batching_window_s = 2: a FIFO queue takes no batching window",
        ),
        (
            ["sqs-lambda", "--set", "sqs.maximum_concurrency=1"],
            "sqs.maximum_concurrency = 1: allowed a whole number 2..1,000",
        ),
        (["sqs-lambda", "--set", "sqs.batch_size=0"], "sqs.batch_size = 0: allowed a whole number 1..10,000"),
        (
            ["sqs-lambda", "--set", "sqs.maximum_batching_window_s=301"],
            "sqs.maximum_batching_window_s = 301: allowed a whole number 0..300",
        ),
        (
            ["async-retries-destination", "--set", "async.maximum_retry_attempts=3"],
            "async.maximum_retry_attempts = 3: allowed a whole number 0..2",
        ),
        (
            ["async-retries-destination", "--set", "async.maximum_event_age_s=30"],
            "async.maximum_event_age_s = 30: allowed a whole number 60..21,600",
        ),
        (
            ["async-retries-destination", "--set", "async.on_success=s3"],
            'async.on_success = "s3": allowed one of none, sqs, sns, lambda, eventbridge '
            "(S3 is an on-failure",
        ),
        (
            ["async-retries-destination", "--set", "async.dead_letter_queue=eventbridge"],
            'async.dead_letter_queue = "eventbridge": allowed one of none, sqs, sns',
        ),
        (
            ["api-gateway-lambda", "--set", "function.timeout_s=901"],
            "function.timeout_s = 901: allowed a whole number 1..900",
        ),
        (
            ["api-gateway-lambda", "--set", "function.cold_start_ms=20000"],
            "function.cold_start_ms = 20000: allowed 0..10,000",
        ),
        (
            ["api-gateway-lambda", "--set", "function.reserved_concurrency=950"],
            "function.reserved_concurrency = 950: allowed 0..900 with function.account_concurrency = 1000",
        ),
        (["api-gateway-lambda", "--set", "function.error_rate=2"], "function.error_rate = 2: allowed 0..1"),
        (
            ["kinesis-bisect", "--set", "kinesis.parallelization_factor=11"],
            "kinesis.parallelization_factor = 11: allowed a whole number 1..10",
        ),
        (
            ["kinesis-bisect", "--set", "kinesis.batch_size=10001"],
            "kinesis.batch_size = 10001: allowed a whole number 1..10,000",
        ),
        (
            ["kinesis-bisect", "--set", "kinesis.maximum_batching_window_s=400"],
            "kinesis.maximum_batching_window_s = 400: allowed a whole number 0..300",
        ),
        (
            ["kinesis-bisect", "--set", "kinesis.maximum_retry_attempts=-5"],
            "kinesis.maximum_retry_attempts = -5: allowed a whole number -1 or 0..10,000",
        ),
        (
            ["dynamodb-record-age", "--set", "kinesis.maximum_record_age_s=10"],
            "kinesis.maximum_record_age_s = 10: allowed a whole number -1 or 60..604,800",
        ),
        (
            ["dynamodb-record-age", "--set", "kinesis.on_failure=eventbridge"],
            'kinesis.on_failure = "eventbridge": allowed one of none, sqs, sns, s3',
        ),
        (
            ["sqs-lambda", "--set", "load.count=20000000"],
            ("load.count = 20000000: allowed a whole number 1..10,000,000 (a simulator limit, not AWS's)"),
        ),
        (
            ["sqs-lambda", "--set", "sqs.batch_sise=5"],
            "sqs.batch_sise = 5: unknown key; did you mean sqs.batch_size?",
        ),
        (["sqs-lambda", "--set", "sqs.fifo=yes"], 'sqs.fifo = "yes": wrong type; allowed true or false'),
        (["sqs-lambda", "--seed", "-3"], "seed = -3: allowed a whole number 0..4,294,967,295"),
        (["sqs-lambda", "--set", "nonsense"], "--set 'nonsense': expected KEY=VALUE"),
        (["sqs-lamda"], "scenario 'sqs-lamda': no such preset or file; did you mean sqs-lambda"),
        (["missing.toml"], "scenario file 'missing.toml': no such file"),
        ([], "simulate: name a scenario file or a preset"),
        (["sqs-lambda", "--json", "--trace", "-"], "--json and --trace - both write to standard output"),
    ],
)
def test_refusals_are_one_line_on_stderr_with_exit_2(capsys, argv, expected):
    assert one_line_error(capsys, *argv).startswith(expected)


def test_invalid_toml_file_is_one_line(capsys, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('model = "sqs"\n[sqs\n')
    message = one_line_error(capsys, str(path))
    assert message.startswith(f"scenario file '{path}': not valid TOML")


def test_unknown_key_in_a_file_is_one_line(capsys, tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('model = "sqs"\n[sqs]\nvisiblity_timeout_s = 60\n')
    message = one_line_error(capsys, str(path))
    assert message.startswith(
        "sqs.visiblity_timeout_s = 60: unknown key; did you mean sqs.visibility_timeout_s?"
    )


def test_json_is_one_object_and_byte_identical_for_the_same_seed(capsys):
    first = run_cli(capsys, "sqs-poison-dlq", "--json")
    second = run_cli(capsys, "sqs-poison-dlq", "--json")
    assert first[0] == 0 and first[1] == second[1]
    document = json.loads(first[1])
    assert set(document) == {"scenario", "summary"}
    assert document["scenario"]["sqs"]["max_receive_count"] == 3
    assert document["scenario"]["async"]["maximum_retry_attempts"] == 2  # defaults filled in
    summary = document["summary"]
    assert summary["items"] == summary["succeeded"] + summary["failed"] + summary["unfinished"]


def test_seed_and_set_reach_the_run(capsys):
    _status, out, _err = run_cli(
        capsys, "sqs-lambda", "--json", "--seed", "7", "--set", "load.count=12", "--set", "sqs.batch_size=4"
    )
    document = json.loads(out)
    assert document["scenario"]["seed"] == 7
    assert document["scenario"]["sqs"]["batch_size"] == 4
    assert document["summary"]["items"] == 12


def test_a_different_seed_changes_a_random_run(capsys):
    argv = [
        "s3-lambda-dynamodb",
        "--json",
        "--set",
        "load.pattern=poisson",
        "--set",
        "function.error_rate=0.3",
    ]
    one = json.loads(run_cli(capsys, *argv, "--seed", "1")[1])["summary"]
    two = json.loads(run_cli(capsys, *argv, "--seed", "2")[1])["summary"]
    assert one != two


def test_trace_to_stdout_is_json_lines_only(capsys):
    status, out, err = run_cli(capsys, "async-retries-destination", "--trace", "-")
    assert status == 0 and err == ""
    events = [json.loads(line) for line in out.splitlines()]
    assert events[0]["kind"] == "arrive"
    assert events[-1]["kind"] == "end"
    assert [event["t"] for event in events] == sorted(event["t"] for event in events)
    destination = next(event for event in events if event["kind"] == "destination")
    assert destination["items"] == ["evt-2"] and destination["reason"] == "RetriesExhausted"


def test_trace_to_a_file_is_identical_for_the_same_seed_and_report_still_prints(capsys, tmp_path):
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    status, out, _err = run_cli(capsys, "kinesis-bisect", "--trace", str(first))
    run_cli(capsys, "kinesis-bisect", "--trace", str(second))
    assert status == 0
    assert "Outcome" in out
    assert first.read_bytes() == second.read_bytes()
    assert all(json.loads(line)["kind"] for line in first.read_text().splitlines())


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("sqs-poison-dlq", ()),  # redeliveries, receive counts, a DLQ
        ("sqs-lambda", ("load.pattern=burst",)),  # a burst of messages never received yet
        ("kinesis-bisect", ()),  # shards on invoke_start and invoke_end, bisected batches
        ("async-retries-destination", ()),
        ("sync-throttled-burst", ()),
        ("sqs-fifo-groups", ()),
    ],
)
def test_trace_file_holds_exactly_the_engines_trace(capsys, tmp_path, preset, overrides):
    """The file is written from the engine's compact rows; it must read back as the very events
    (values and key order) that the engine's own trace holds."""
    path = tmp_path / "trace.jsonl"
    sets = [part for override in overrides for part in ("--set", override)]
    status, _out, _err = run_cli(capsys, preset, *sets, "--json", "--trace", str(path))
    assert status == 0
    scenario = load_scenario(preset, overrides=list(overrides))
    expected = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in run(scenario).trace)
    assert path.read_text() == expected


def test_trace_to_an_unwritable_path_is_one_line(capsys, tmp_path):
    message = one_line_error(capsys, "sqs-lambda", "--trace", str(tmp_path / "no" / "such" / "dir.jsonl"))
    assert message.startswith(f"--trace {tmp_path / 'no' / 'such' / 'dir.jsonl'}: cannot write the trace")


def test_report_shows_parameters_outcome_latency_charts_and_timeline(capsys):
    status, out, _err = run_cli(capsys, "sqs-poison-dlq")
    assert status == 0
    assert "sqs-poison-dlq" in out and "A poison message redriven" in out
    first_words = " ".join(load_scenario("sqs-poison-dlq").description.split()[:6])
    assert first_words in " ".join(out.split()), "the preset's description says what to watch"
    assert "sqs.max_receive_count" in out and "sqs.visibility_timeout_s" in out and "BatchSize" in out
    assert "maxReceiveCount" in out.split("Outcome", 1)[1]
    assert "p50" in out and "p99" in out
    assert "concurrency" in out and "waiting items" in out
    assert "msg-1 arrived" in out and "run ended: all work done" in out
    assert "msg-5 sent to the dead-letter queue (maxReceiveCount)" in out or "more events" in out


def test_report_for_a_stream_charts_iterator_age(capsys):
    status, out, _err = run_cli(capsys, "kinesis-poison-blocks-shard")
    assert status == 0
    assert "iterator age" in out
    assert "stopped at until_s with work left" in out


def test_report_for_sync_lists_responses_by_status(capsys):
    status, out, _err = run_cli(capsys, "sync-throttled-burst")
    assert status == 0
    assert "TooManyRequestsException" in out.split("Outcome", 1)[1]
    assert "15 × 429" in out


def test_a_scenario_file_from_disk_runs(capsys, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('model = "sync"\ntitle = "Mine"\n[load]\ncount = 3\n')
    status, out, _err = run_cli(capsys, str(path))
    assert status == 0
    assert "mine: Mine" in out


def test_subprocess_exit_codes_and_no_textual_import():
    code = (
        "import sys\n"
        "from tutor.cli import main\n"
        "status = main(['simulate', 'sqs-lambda', '--json'])\n"
        "assert status == 0, status\n"
        "status = main(['simulate', 'sqs-lambda'])\n"
        "assert status == 0, status\n"
        "assert not any(m.split('.')[0] == 'textual' for m in sys.modules), 'textual imported'\n"
        "assert not any(m.startswith('tutor.ui') for m in sys.modules), 'tutor.ui imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "tutor", "simulate", "sqs-lambda", "--set", "sqs.batch_size=25"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "sqs.batch_size = 25" in bad.stderr
