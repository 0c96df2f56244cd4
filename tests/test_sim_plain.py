"""The panes' plain scenarios: the same values and the same runs as the validated model, and a change
checked exactly as the validator checks it."""

import json

import pytest

from tutor.sim.engine import run
from tutor.sim.plain import RANGE_ONLY_KEYS, PlainScenario, plain_scenario
from tutor.sim.scenario import ScenarioError, _preset_files, load_scenario

PRESETS = sorted(_preset_files())


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_runs_the_same_from_its_plain_form(name):
    validated = load_scenario(name)
    plain = plain_scenario(validated.resolved())
    # The same keys in the same order: `simulate --json` and the watch screen print them.
    assert json.dumps(plain.resolved()) == json.dumps(validated.resolved())
    for key in ("function.duration_ms", "load.rate_per_s", "until_s", "function.reserved_concurrency"):
        assert plain.value(key) == validated.value(key)
        assert type(plain.value(key)) is type(validated.value(key)), key
    ours, theirs = run(plain), run(validated)
    assert ours.summary == theirs.summary
    assert ours.trace == theirs.trace


def test_faults_and_explicit_arrivals_carry_over():
    validated = load_scenario(
        {
            "model": "sqs",
            "load": {"pattern": "explicit", "arrival_times_s": [0, 0.5, 2]},
            "function": {"faults": [{"item": "msg-2", "kind": "raise", "attempts": 2}]},
        }
    )
    plain = plain_scenario(validated.resolved())
    assert plain.resolved() == validated.resolved()
    assert plain.load.arrival_times_s == (0.0, 0.5, 2.0) and plain.load.count == 3
    assert [fault.fails_attempt(n) for fault in plain.function.faults for n in (2, 3)] == [True, False]
    assert run(plain).trace == run(validated).trace


@pytest.mark.parametrize(
    "overrides",
    [
        {"load.start_s": 3.0},
        {"load.start_s": 3},  # a whole number of a float key is kept as a float, as pydantic keeps it
        {"function.error_rate": 0.5, "until_s": 120},
        {"seed": 7},
        {"sqs.batch_size": 5},  # not range-only: the validator's
        ["function.duration_ms=900"],
    ],
)
def test_a_change_gives_what_the_validator_gives(overrides):
    validated = load_scenario("sqs-poison-dlq")
    plain = plain_scenario(validated.resolved())
    changed = plain.with_overrides(overrides)
    assert isinstance(changed, PlainScenario)
    assert json.dumps(changed.resolved()) == json.dumps(validated.with_overrides(overrides).resolved())
    assert plain.resolved() == validated.resolved(), "the scenario changed is left as it was"


@pytest.mark.parametrize(
    "overrides",
    [
        {"load.start_s": -1},
        {"load.start_s": float("nan")},
        {"function.error_rate": 2},
        {"seed": True},
        {"function.memory_mb": 128.5},
        {"sqs.visibility_timeout_s": 1},  # a rule across keys
        {"load.start_s": "soon"},
        ["load.start_s=-3"],
    ],
)
def test_a_change_the_validator_refuses_is_refused_with_its_words(overrides):
    validated = load_scenario("sqs-poison-dlq")
    with pytest.raises(ScenarioError) as theirs:
        validated.with_overrides(overrides)
    with pytest.raises(ScenarioError) as ours:
        plain_scenario(validated.resolved()).with_overrides(overrides)
    assert str(ours.value) == str(theirs.value)


def test_range_only_keys_are_read_by_no_rule_across_keys():
    # Each such key, pushed to its highest allowed value in every preset, is accepted by the
    # validator too: no rule of another key stands in its way.
    from tutor.sim.params import PARAMS

    for name in PRESETS:
        validated = load_scenario(name)
        for key in RANGE_ONLY_KEYS:
            param = PARAMS[key]
            for bound in (param.min, param.max):
                if bound is None:
                    continue
                value = float(bound) if param.kind == "float" else int(bound)
                ours = plain_scenario(validated.resolved()).with_overrides({key: value})
                assert ours.resolved() == validated.with_overrides({key: value}).resolved(), (name, key)
