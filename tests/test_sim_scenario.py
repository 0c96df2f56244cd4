"""Scenario loading and validation: AWS's ranges and refusals, each as one line naming key, value, range."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tutor.errors import UserError
from tutor.sim.params import PARAMS
from tutor.sim.scenario import PRESET_DIR, ScenarioError, list_presets, load_scenario

PRESETS = [
    "api-gateway-lambda",
    "s3-lambda-dynamodb",
    "sqs-lambda",
    "sync-throttled-burst",
    "sync-caller-gives-up",
    "sync-cold-vs-warm",
    "async-retries-destination",
    "async-throttle-backoff",
    "async-event-age-expiry",
    "async-zero-reserved",
    "sqs-poison-dlq",
    "sqs-partial-batch",
    "sqs-visibility-too-short",
    "sqs-throttled-pollers",
    "sqs-fifo-groups",
    "kinesis-poison-blocks-shard",
    "kinesis-bisect",
    "kinesis-parallelization",
    "dynamodb-record-age",
]


def refusal(source, overrides=()) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(source, overrides)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults_are_aws_defaults_and_example_keys_are_absent():
    scenario = load_scenario({"model": "sqs"})
    assert scenario.function.timeout_s == 3
    assert scenario.sqs.batch_size == 10
    assert scenario.sqs.maximum_batching_window_s == 0
    assert scenario.sqs.visibility_timeout_s == 30
    assert scenario.async_.maximum_retry_attempts == 2
    assert scenario.async_.maximum_event_age_s == 21_600
    assert scenario.kinesis.batch_size == 100
    assert scenario.kinesis.maximum_retry_attempts == -1
    assert scenario.kinesis.maximum_record_age_s == -1
    assert scenario.function.reserved_concurrency is None
    assert scenario.sqs.max_receive_count is None
    assert scenario.sqs.maximum_concurrency is None
    resolved = scenario.resolved()
    assert "reserved_concurrency" not in resolved["function"]
    assert resolved["async"]["maximum_retry_attempts"] == 2


def test_resolved_round_trips():
    scenario = load_scenario("sqs-poison-dlq")
    assert load_scenario(scenario.resolved()) == scenario


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_of_the_brief_loads_with_title_and_description(name):
    scenario = load_scenario(name)
    assert scenario.title and len(scenario.description.split()) > 30


def test_list_presets_lists_every_preset_with_model():
    rows = {name: (title, model) for name, title, _description, model in list_presets()}
    assert set(PRESETS) <= set(rows)
    assert rows["kinesis-bisect"][1] == "kinesis"
    assert rows["dynamodb-record-age"][1] == "dynamodb"


def test_a_pack_adds_presets_but_cannot_shadow_a_builtin(tmp_path):
    (tmp_path / "mine.toml").write_text('model = "sync"\ntitle = "Mine"\n')
    (tmp_path / "sqs-lambda.toml").write_text('model = "sync"\n')
    assert load_scenario("mine", search_dirs=[tmp_path]).title == "Mine"
    assert load_scenario("sqs-lambda", search_dirs=[tmp_path]).model == "sqs"
    assert ("mine", "Mine", "", "sync") in list_presets([tmp_path])


def test_list_presets_survives_a_broken_pack_file(tmp_path):
    (tmp_path / "broken.toml").write_text("model = \n")
    row = next(row for row in list_presets([tmp_path]) if row[0] == "broken")
    assert row[1].startswith("(unreadable")


def test_overrides_as_strings_and_as_a_dict():
    by_text = load_scenario(
        "sqs-lambda",
        ["sqs.batch_size=25", "sqs.maximum_batching_window_s=2", 'async.on_failure="sqs"', "sqs.fifo=false"],
    )
    by_dict = load_scenario(
        "sqs-lambda", {"sqs.batch_size": 25, "sqs.maximum_batching_window_s": 2, "async.on_failure": "sqs"}
    )
    assert by_text == by_dict
    assert by_text.sqs.batch_size == 25
    assert by_text.async_.on_failure == "sqs"


def test_a_bare_word_override_is_a_string_and_none_removes_an_optional_key():
    scenario = load_scenario(
        "async-zero-reserved", ["async.on_failure=sns", "function.reserved_concurrency=none"]
    )
    assert scenario.async_.on_failure == "sns"
    assert scenario.function.reserved_concurrency is None


def test_faults_can_be_overridden_with_an_inline_table():
    scenario = load_scenario(
        "sqs-lambda", ['function.faults=[{item = "msg-2", kind = "raise", attempts = 2}]']
    )
    assert scenario.function.faults[0].item == "msg-2"
    assert scenario.function.faults[0].fails_attempt(2) and not scenario.function.faults[0].fails_attempt(3)


def test_seed_argument_overrides_the_file():
    assert load_scenario("sqs-lambda", seed=42).seed == 42


def test_with_overrides_validates_like_load():
    base = load_scenario("sqs-lambda")
    assert base.with_overrides({"sqs.batch_size": 5}).sqs.batch_size == 5
    with pytest.raises(ScenarioError):
        base.with_overrides({"sqs.batch_size": 25})


def test_value_reads_a_dotted_key():
    scenario = load_scenario("async-retries-destination")
    assert scenario.value("async.on_failure") == "sqs"
    assert scenario.value("function.timeout_s") == 3


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["function.timeout_s=901"], "function.timeout_s = 901: allowed a whole number 1..900"),
        (["function.timeout_s=0"], "function.timeout_s = 0: allowed a whole number 1..900"),
        (["function.cold_start_ms=10001"], "function.cold_start_ms = 10001: allowed 0..10,000"),
        (
            ["function.reserved_concurrency=901"],
            (
                "function.reserved_concurrency = 901: allowed 0..900 with "
                "function.account_concurrency = 1000 (AWS keeps 100 units unreserved)"
            ),
        ),
        (
            ["function.reserved_concurrency=-1"],
            (
                "function.reserved_concurrency = -1: allowed a whole number "
                "0..(function.account_concurrency - 100)"
            ),
        ),
        (
            ["function.account_concurrency=200", "function.reserved_concurrency=150"],
            "function.reserved_concurrency = 150: allowed 0..100 with function.account_concurrency = 200",
        ),
        (["function.error_rate=1.5"], "function.error_rate = 1.5: allowed 0..1"),
        (["function.item_error_rate=-0.1"], "function.item_error_rate = -0.1: allowed 0..1"),
        (["async.maximum_retry_attempts=3"], "async.maximum_retry_attempts = 3: allowed a whole number 0..2"),
        (
            ["async.maximum_event_age_s=59"],
            "async.maximum_event_age_s = 59: allowed a whole number 60..21,600",
        ),
        (
            ["async.maximum_event_age_s=21601"],
            "async.maximum_event_age_s = 21601: allowed a whole number 60..21,600",
        ),
        (
            ["async.on_success=s3"],
            'async.on_success = "s3": allowed one of none, sqs, sns, lambda, eventbridge',
        ),
        (
            ["async.on_failure=kafka"],
            'async.on_failure = "kafka": allowed one of none, sqs, sns, lambda, eventbridge, s3',
        ),
        (
            ["async.dead_letter_queue=lambda"],
            'async.dead_letter_queue = "lambda": allowed one of none, sqs, sns',
        ),
        (["sqs.batch_size=10001"], "sqs.batch_size = 10001: allowed a whole number 1..10,000"),
        (
            ["sqs.batch_size=25"],
            (
                "sqs.batch_size = 25: a standard queue takes more than 10 only with "
                "sqs.maximum_batching_window_s >= 1 (AWS refuses the mapping otherwise)"
            ),
        ),
        (["sqs.fifo=true", "sqs.batch_size=11"], "sqs.batch_size = 11: a FIFO queue takes 1..10"),
        (
            ["sqs.fifo=true", "sqs.maximum_batching_window_s=1"],
            "sqs.maximum_batching_window_s = 1: a FIFO queue takes no batching window",
        ),
        (
            ["sqs.maximum_batching_window_s=301"],
            "sqs.maximum_batching_window_s = 301: allowed a whole number 0..300",
        ),
        (
            ["sqs.visibility_timeout_s=2"],
            "sqs.visibility_timeout_s = 2: must be at least function.timeout_s = 3",
        ),
        (["function.timeout_s=60"], "function.timeout_s = 60: must be at most sqs.visibility_timeout_s = 30"),
        (
            ["sqs.visibility_timeout_s=43201"],
            "sqs.visibility_timeout_s = 43201: allowed a whole number 0..43,200",
        ),
        (["sqs.maximum_concurrency=1"], "sqs.maximum_concurrency = 1: allowed a whole number 2..1,000"),
        (["sqs.maximum_concurrency=1001"], "sqs.maximum_concurrency = 1001: allowed a whole number 2..1,000"),
        (["sqs.max_receive_count=0"], "sqs.max_receive_count = 0: allowed a whole number 1..1,000"),
        (["kinesis.batch_size=0"], "kinesis.batch_size = 0: allowed a whole number 1..10,000"),
        (
            ["kinesis.maximum_batching_window_s=301"],
            "kinesis.maximum_batching_window_s = 301: allowed a whole number 0..300",
        ),
        (
            ["kinesis.parallelization_factor=11"],
            "kinesis.parallelization_factor = 11: allowed a whole number 1..10",
        ),
        (
            ["kinesis.maximum_retry_attempts=-2"],
            "kinesis.maximum_retry_attempts = -2: allowed a whole number -1 or 0..10,000",
        ),
        (
            ["kinesis.maximum_retry_attempts=10001"],
            "kinesis.maximum_retry_attempts = 10001: allowed a whole number -1 or",
        ),
        (
            ["kinesis.maximum_record_age_s=59"],
            "kinesis.maximum_record_age_s = 59: allowed a whole number -1 or 60..604,800",
        ),
        (["kinesis.maximum_record_age_s=604801"], "kinesis.maximum_record_age_s = 604801: allowed"),
        (["kinesis.on_failure=lambda"], 'kinesis.on_failure = "lambda": allowed one of none, sqs, sns, s3'),
    ],
)
def test_aws_ranges_and_refusals_are_one_line_with_key_value_and_range(overrides, expected):
    assert refusal("sqs-lambda", overrides).startswith(expected)


def test_the_window_is_named_when_the_user_changed_the_window():
    message = refusal(
        {"model": "sqs", "sqs": {"batch_size": 25, "maximum_batching_window_s": 2}},
        ["sqs.maximum_batching_window_s=0"],
    )
    assert message.startswith(
        "sqs.maximum_batching_window_s = 0: must be at least 1 while sqs.batch_size = 25"
    )


def test_stream_batches_above_ten_need_no_window():
    assert load_scenario("kinesis-bisect", ["kinesis.batch_size=500"]).kinesis.batch_size == 500


def test_visibility_check_applies_to_sqs_only():
    assert load_scenario("sync-caller-gives-up").function.timeout_s == 60


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ["load.count=0"],
            "load.count = 0: allowed a whole number 1..10,000,000 (a simulator limit, not AWS's)",
        ),
        (
            ["kinesis.shards=1001"],
            "kinesis.shards = 1001: allowed a whole number 1..1,000 (a simulator limit",
        ),
        (["until_s=0"], "until_s = 0: allowed 1..604,800 (a simulator limit, not AWS's)"),
        (["sqs.max_receive_count=1001"], "(a simulator limit, not AWS's)"),
    ],
)
def test_simulator_limits_say_they_are_not_aws(overrides, expected):
    assert expected in refusal("sqs-lambda", overrides)


@pytest.mark.parametrize(
    ("source", "overrides", "expected"),
    [
        ("sqs-lambda", ["sqs.batchsize=5"], "sqs.batchsize = 5: unknown key; did you mean sqs.batch_size?"),
        (
            {"model": "sqs", "sqs": {"batchsize": 5}},
            (),
            "sqs.batchsize = 5: unknown key; did you mean sqs.batch_size?",
        ),
        ({"model": "sqs", "colour": 1}, (), "colour = 1: unknown key"),
        (
            "sqs-lambda",
            ["function.timeout_s=2.5"],
            "function.timeout_s = 2.5: wrong type; allowed a whole number 1..900",
        ),
        (
            "sqs-lambda",
            ["function.timeout_s=abc"],
            'function.timeout_s = "abc": wrong type; allowed a whole number',
        ),
        ("sqs-lambda", ["sqs.fifo=True"], 'sqs.fifo = "True": wrong type; allowed true or false'),
        ({"model": "sqs", "sqs": 3}, (), "sqs = 3: wrong type; allowed a table of settings ([sqs])"),
        ({"model": "lambda"}, (), 'model = "lambda": allowed one of sync, async, sqs, kinesis, dynamodb'),
        ({}, (), "model: missing; allowed one of sync, async, sqs, kinesis, dynamodb"),
        ("sqs-lambda", ["seed=-1"], "seed = -1: allowed a whole number 0..4,294,967,295"),
        ("sqs-lambda", ["sqs.batch_size"], "--set 'sqs.batch_size': expected KEY=VALUE"),
    ],
)
def test_unknown_keys_and_wrong_types(source, overrides, expected):
    assert refusal(source, overrides).startswith(expected)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            {"item": "evt-3"},
            (
                'function.faults[0].item = "evt-3": model sqs with load.count = 50 names its items '
                "msg-1..msg-50"
            ),
        ),
        ({"item": "msg-51"}, 'function.faults[0].item = "msg-51"'),
        (
            {"item": "msg-3", "kind": "boom"},
            'function.faults[0].kind = "boom": allowed one of error, raise, timeout',
        ),
        (
            {"item": "msg-3", "attempts": 0},
            'function.faults[0].attempts = 0: allowed "all" or a whole number',
        ),
        ({"item": "msg-3", "attempts": "some"}, 'function.faults[0].attempts = "some"'),
        ({"kind": "raise"}, "function.faults[0].item: missing"),
        ({"item": "msg-3", "when": 1}, "function.faults[0].when = 1: unknown key"),
    ],
)
def test_fault_refusals(fault, expected):
    assert refusal("sqs-lambda", {"function.faults": [fault]}).startswith(expected)


def test_unknown_preset_suggests_close_names():
    message = refusal("sqs-lamda")
    assert message.startswith("scenario 'sqs-lamda': no such preset or file; did you mean sqs-lambda")


def test_missing_unreadable_and_invalid_files(tmp_path):
    assert refusal(tmp_path / "none.toml").endswith("no such file")
    bad = tmp_path / "bad.toml"
    bad.write_text("model = \n")
    assert "not valid TOML" in refusal(bad)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "cannot read it" in refusal(binary)
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    assert "cannot read it" in refusal(folder)


def test_a_path_given_as_text_loads_the_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('model = "kinesis"\n[kinesis]\nshards = 3\n')
    assert load_scenario(str(path)).kinesis.shards == 3


def test_scenario_error_is_a_user_error():
    assert issubclass(ScenarioError, UserError)


def test_every_param_has_help_kind_and_a_consistent_default():
    for key, param in PARAMS.items():
        assert param.help and param.kind in ("int", "float", "choice", "bool"), key
        if param.kind == "choice":
            assert param.default in param.choices, key
        elif (
            param.kind in ("int", "float")
            and param.default is not None
            and param.default not in param.special
        ):
            assert param.min <= param.default <= param.max, key
    assert PARAMS["sqs.batch_size"].aws_name == "BatchSize"
    assert PARAMS["sqs.maximum_batching_window_s"].aws_name == "MaximumBatchingWindowInSeconds"
    assert PARAMS["function.reserved_concurrency"].aws_name == "ReservedConcurrentExecutions"


def test_reserved_concurrency_follows_the_account_limit():
    scenario = load_scenario(
        "sqs-lambda", ["function.account_concurrency=5000", "function.reserved_concurrency=4900"]
    )
    assert scenario.function.reserved_concurrency == 4900


def test_every_scenario_key_has_a_param_entry():
    resolved = load_scenario(
        {"model": "sqs"},
        [
            "function.reserved_concurrency=5",
            "sqs.max_receive_count=5",
            "sqs.maximum_concurrency=5",
            "function.idle_reclaim_s=60",
            *(f"prices.{unit}=1" for unit in ("request", "gb_second", "sqs_request", "write_unit")),
        ],
    ).resolved()
    keys = {
        f"{section}.{name}"
        for section, values in resolved.items()
        if isinstance(values, dict)
        for name in values
    } | {"seed", "until_s"}
    assert keys - {"function.faults"} == set(PARAMS)


def test_preset_dir_holds_the_presets():
    assert (PRESET_DIR / "sqs-lambda.toml").is_file()
    assert Path(__file__).resolve().parent.parent / "lessons" / "scenarios" == PRESET_DIR


def test_importing_the_sim_package_stays_light():
    code = (
        "import sys, tutor.sim, tutor.sim.params, tutor.sim.report; "
        "print(any(m.split('.')[0] in ('pydantic', 'simpy', 'textual', 'rich') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
