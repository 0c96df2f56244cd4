"""Scenario questions get their answers from the simulator, and every way that can fail is a problem."""

import time
from pathlib import Path

import pytest

from tutor.content.course import Course, Lesson, Module, Question
from tutor.content.loader import load_course
from tutor.locations import builtin_content_dir
from tutor.quiz import scenario_answers
from tutor.quiz.grading import grade
from tutor.quiz.scenario_answers import compute_scenario_answers

PRESETS = builtin_content_dir() / "scenarios"


def course_with(*questions: Question, presets: dict[str, Path] | None = None) -> Course:
    lesson = Lesson(
        id="l",
        title="A lesson",
        module="async",
        objectives=["x"],
        sources=["https://a.b/"],
        scenario=None,
        try_steps=[],
        body="",
        path=Path("l.md"),
        pack=Path("."),
    )
    return Course(
        title="t",
        modules=[Module("async", "Async", "", Path("."), ["l"])],
        lessons={"l": lesson},
        questions=list(questions),
        scenario_files=presets
        if presets is not None
        else {"async-retries-destination": PRESETS / "async-retries-destination.toml"},
    )


def scenario_question(id: str = "q", **fields) -> Question:
    values = {"scenario": "async-retries-destination", "measure": "invocations"} | fields
    return Question(
        id=id,
        kind="scenario",
        lesson="l",
        module="async",
        difficulty=2,
        prompt="How many?",
        explanation="Because.",
        source="https://docs.aws.amazon.com/lambda/",
        file="pack/quizzes/q.toml",
        index=3,
        lines={"id": 20, "scenario": 21, "overrides": 22, "measure": 23, "choices": 24},
        **values,
    )


@pytest.mark.parametrize(
    "fields, answer",
    [
        # Three events, one of which always fails: 1 + 1 + (1 attempt + 2 retries) = 5 runs.
        ({}, 5.0),
        ({"overrides": {"async.maximum_retry_attempts": 0}}, 3.0),
        ({"overrides": {"async.maximum_retry_attempts": 1}}, 4.0),
        ({"measure": "destinations.on_failure"}, 1.0),
        ({"measure": "succeeded"}, 2.0),
    ],
)
def test_the_answer_is_what_the_simulator_measures(fields, answer):
    question = scenario_question(**fields)
    answers, problems = compute_scenario_answers(course_with(question))
    assert problems == []
    assert answers == {"q": answer}
    assert grade(question, answer, answers["q"]).correct
    assert not grade(question, answer + 1, answers["q"]).correct


@pytest.mark.parametrize(
    "fields, field, line, message",
    [
        ({"overrides": {"async.maximum_retry_attempts": 3}}, "overrides", 22, "maximum_retry_attempts"),
        ({"overrides": {"sqs.batch_sise": 3}}, "overrides", 22, "batch_sise"),
        ({"measure": "responses.504"}, "measure", 23, "not reported by the async model"),
        ({"measure": "max_queue_depth"}, "measure", 23, "not reported by the async model"),
        ({"choices": (3.0, 4.0, 6.0)}, "choices", 24, "none of the choices equals the simulator's answer 5"),
        ({"choices": (4.0, 5.0, 6.0), "tolerance": 1.0}, "choices", 24, "3 choices are within the tolerance"),
        ({"scenario": "no-such-preset"}, "scenario", 21, "unknown scenario preset 'no-such-preset'"),
    ],
)
def test_a_question_the_simulator_cannot_answer_is_a_problem_naming_file_line_and_field(
    fields, field, line, message
):
    answers, problems = compute_scenario_answers(course_with(scenario_question(**fields)))
    assert answers == {}
    [problem] = problems
    assert (problem.file, problem.line, problem.field) == (
        "pack/quizzes/q.toml",
        line,
        f"questions.3.{field}",
    )
    assert message in problem.message


def test_a_broken_preset_file_is_blamed_on_the_scenario(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('model = "async"\n[function]\ntimeout_s = 5000\n', encoding="utf-8")
    question = scenario_question(scenario="broken", overrides={"async.maximum_retry_attempts": 1})
    _, [problem] = compute_scenario_answers(course_with(question, presets={"broken": broken}))
    assert problem.field == "questions.3.scenario" and "timeout_s" in problem.message


def test_each_distinct_run_happens_once_per_process(monkeypatch):
    runs = []
    from tutor.sim import engine

    real_run = engine.run
    monkeypatch.setattr(engine, "run", lambda scenario: runs.append(scenario) or real_run(scenario))
    monkeypatch.setattr(scenario_answers, "_summaries", {})
    questions = [
        scenario_question("a"),
        scenario_question("b", measure="succeeded"),
        scenario_question("c", overrides={"async.maximum_retry_attempts": 0}),
        scenario_question("d", overrides={"async.maximum_retry_attempts": 0}, measure="failed"),
    ]
    answers, problems = compute_scenario_answers(course_with(*questions))
    assert problems == [] and set(answers) == {"a", "b", "c", "d"}
    assert len(runs) == 2


def test_every_builtin_scenario_question_has_an_answer_and_validate_stays_quick():
    course, _ = load_course()
    scenario_questions = [q for q in course.questions if q.kind == "scenario"]
    assert scenario_questions, "the built-in bank has scenario questions"
    scenario_answers.clear_cache()
    started = time.process_time()
    answers, problems = compute_scenario_answers(course)
    spent = time.process_time() - started
    assert problems == []
    assert set(answers) == {q.id for q in scenario_questions}
    assert spent < 10, f"computing the scenario answers took {spent:.1f} s of CPU"


def test_each_question_is_answered_with_its_own_seed(tmp_path, monkeypatch):
    from tutor.sim.engine import run
    from tutor.sim.scenario import load_scenario

    random_preset = tmp_path / "random.toml"
    random_preset.write_text(
        'model = "async"\n[load]\ncount = 50\nrate_per_s = 20\npattern = "poisson"\n'
        '[function]\nduration_dist = "exponential"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(scenario_answers, "_summaries", {})
    questions = [
        scenario_question(f"seed-{seed}", scenario="random", measure="latency_s.p95", seed=seed)
        for seed in (1, 2)
    ]
    answers, problems = compute_scenario_answers(course_with(*questions, presets={"random": random_preset}))
    assert problems == []
    expected = {
        f"seed-{seed}": run(load_scenario(random_preset, seed=seed)).summary["latency_s"]["p95"]
        for seed in (1, 2)
    }
    assert expected["seed-1"] != expected["seed-2"], "the two seeds must give different runs"
    assert answers == expected
