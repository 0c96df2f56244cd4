"""`lambda-tutor validate [DIR] [--json]`: check the built-in course or an instructor pack."""

from __future__ import annotations

import json
from pathlib import Path

from tutor.content.course import Course, Problem

COUNT_NAMES = (
    "modules",
    "lessons",
    "questions",
    "scenario_questions",
    "scenarios",
    "chains",
    "exercises",
    "services",
    "glossary",
)


def check_scenarios(course: Course, only_pack: Path | None) -> list[Problem]:
    """Every scenario and chain file must load through the simulator's own validation (AWS ranges and
    refusals), and so must every lesson's try step on its preset."""
    from tutor.errors import UserError
    from tutor.sim.scenario import load_scenario

    from tutor.sim.chain import load_chain

    problems = []
    label = "lessons" if only_pack is None else str(only_pack)
    for files, load, root_up in (
        (course.scenario_files, load_scenario, 1),
        (course.chain_files, load_chain, 2),
    ):
        for path in files.values():
            if only_pack is not None and not path.is_relative_to(only_pack):
                continue
            try:
                load(path)
            except UserError as error:
                root = only_pack if only_pack is not None else path.parents[root_up]
                shown = f"{label}/{path.relative_to(root).as_posix()}"
                problems.append(Problem(shown, None, "scenario", str(error)))
    for lesson in course.lessons.values():
        if only_pack is not None and lesson.pack != only_pack:
            continue
        name = lesson.scenario or ""
        preset, load = course.scenario_files.get(name), load_scenario
        if preset is None:
            preset, load = course.chain_files.get(name), load_chain
        if preset is None:
            continue
        for index, step in enumerate(lesson.try_steps):
            try:
                load(preset, overrides=step.set)
            except UserError as error:
                problems.append(Problem(lesson.source_display, None, f"try.{index}.set", str(error)))
    return problems


def check_scenario_questions(course: Course) -> list[Problem]:
    """Scenario questions have no typed answer: the simulator must be able to compute each one."""
    if not any(question.kind == "scenario" for question in course.questions):
        return []
    from tutor.quiz.scenario_answers import compute_scenario_answers

    _, problems = compute_scenario_answers(course)
    return problems


def validate(directory: str | None) -> tuple[bool, dict[str, int], list[Problem]]:
    from tutor.content.loader import load_course_with_counts
    from tutor.locations import builtin_content_dir

    packs = [Path(directory)] if directory else []
    course, problems, counts_by_pack = load_course_with_counts(packs)
    target = Path(directory) if directory else builtin_content_dir()
    counts = counts_by_pack.get(target, dict.fromkeys(COUNT_NAMES, 0))
    problems = problems + check_scenarios(course, target if directory else None)
    problems += check_scenario_questions(course)
    from tutor.content.questions import check_true_false_balance

    problems += check_true_false_balance(course)
    if any(lesson.prediction for lesson in course.lessons.values()):
        from tutor.quiz.scenario_answers import check_predictions

        problems += check_predictions(course)
    if course.exercises:
        from tutor.workshop.exercises import check_exercises

        problems += check_exercises(course, target if directory else None)
    if directory:
        # The built-in course is checked on its own; a pack's author needs only the pack's problems.
        label = str(directory).rstrip("/") or "."
        problems = [p for p in problems if p.file == label or p.file.startswith(label + "/")]
    return not problems, {name: counts.get(name, 0) for name in COUNT_NAMES}, problems


def run(args) -> int:
    ok, counts, problems = validate(args.directory)
    if args.json:
        print(json.dumps({"ok": ok, "counts": counts, "problems": [p.as_dict() for p in problems]}, indent=2))
        return 0 if ok else 2
    if problems:
        for problem in problems:
            print(problem)
        return 2
    from rich.console import Console
    from rich.table import Table

    title = f"{args.directory}: valid" if args.directory else "built-in course: valid"
    table = Table(title=title)
    table.add_column("content")
    table.add_column("count", justify="right")
    for name in COUNT_NAMES:
        table.add_row(name.replace("_", " "), str(counts[name]))
    Console().print(table)
    return 0
