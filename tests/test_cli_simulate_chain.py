"""`lambda-tutor simulate` on a chain: the per-stage report, `--json` stages and end to end, the
stage-tagged trace, --list, and one-line refusals with exit 2."""

from __future__ import annotations

import json

from tutor.cli import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["simulate", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_json_gives_each_stage_and_the_end_to_end_latency(capsys):
    status, out, _err = run_cli(capsys, "api-sqs-dynamodb", "--json")
    assert status == 0
    document = json.loads(out)
    assert [stage["name"] for stage in document["stages"]] == ["A", "B"]
    a, b = document["stages"]
    assert (a["model"], b["model"], b["via"]) == ("sync", "sqs", "sqs")
    assert b["summary"]["items"] == a["handed_on"] == 60
    assert b["summary"]["downstream"]["throttled_writes"] == 0
    end = document["end_to_end"]
    assert end["items"] == 60 and end["delivered"] + end["lost"] == 60
    # The queue decouples: the API answers in under a second, the order reaches the table later.
    assert a["summary"]["latency_s"]["p99"] < 1 < end["latency_s"]["p99"]
    assert document["scenario"]["stages"][1]["sqs"]["maximum_concurrency"] == 2
    assert "load" not in document["scenario"]["stages"][1]


def test_the_report_shows_each_stage_and_the_end_to_end_line(capsys):
    status, out, _err = run_cli(capsys, "s3-sns-fanout")
    assert status == 0
    assert "chain A [async] -> (sns) B [async]" in out
    assert "end to end  39 of 40 delivered · 1 lost" in out
    assert "B: " in out and "1 to on_failure" in out


def test_set_changes_one_stage_by_name(capsys):
    _status, out, _err = run_cli(capsys, "s3-sns-fanout", "--json", "--set", "B.function.error_rate=0")
    document = json.loads(out)
    assert document["end_to_end"]["delivered"] == 40
    assert document["stages"][1]["summary"]["invocations"] == 40


def test_the_trace_tags_each_event_with_its_stage(capsys, tmp_path):
    path = tmp_path / "chain.jsonl"
    status, _out, _err = run_cli(capsys, "s3-sns-fanout", "--json", "--trace", str(path))
    assert status == 0
    events = [json.loads(line) for line in path.read_text().splitlines()]
    stages = [event["stage"] for event in events]
    assert stages == sorted(stages)  # stage A's whole trace, then stage B's
    ends = [event for event in events if event["kind"] == "end"]
    assert [event["stage"] for event in ends] == ["A", "B"]
    arrivals_b = [event for event in events if event["stage"] == "B" and event["kind"] == "arrive"]
    assert len(arrivals_b) == 40


def test_list_shows_the_chains(capsys):
    _status, out, _err = run_cli(capsys, "--list")
    row = next(line for line in out.splitlines() if "api-sqs-dynamodb" in line)
    assert "chain" in row.replace("api-sqs-dynamodb", "")


def test_a_bad_override_is_one_line_naming_the_chain_stage_and_key(capsys):
    status, out, err = run_cli(capsys, "api-sqs-dynamodb", "--set", "B.sqs.batch_size=0")
    assert status == 2 and out == ""
    assert err.splitlines() == [
        "lambda-tutor: chain 'api-sqs-dynamodb': stages[1] (B).sqs.batch_size = 0: "
        "allowed a whole number 1..10,000"
    ]


def test_a_chain_file_with_a_wrong_model_for_its_hop_is_refused(capsys, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[stages]]\nmodel = "sync"\n[[stages]]\nname = "worker"\nvia = "sns"\nmodel = "sqs"\n',
        encoding="utf-8",
    )
    status, _out, err = run_cli(capsys, str(path))
    assert status == 2
    assert err.strip() == (
        f'lambda-tutor: scenario file {str(path)!r}: stages[1] (worker).model = "sqs": '
        'via sns invokes the function as model = "async"'
    )
