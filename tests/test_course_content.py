"""The built-in course cannot silently shrink, lose its sources, or send the learner looking for words
the live pane never shows."""

import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from tutor.content.loader import load_course


@pytest.fixture(scope="module")
def course():
    loaded, problems = load_course()
    assert problems == []
    return loaded


def test_the_course_keeps_its_minimum_size(course):
    assert len(course.modules) == 5
    assert len(course.lessons) >= 25
    assert len(course.questions) >= 150
    per_module = Counter(question.module for question in course.questions)
    assert min(per_module["sync"], per_module["async"], per_module["esm"]) >= 25
    kinds = Counter(question.kind for question in course.questions)
    assert set(kinds) == {"single", "multiple", "truefalse", "numeric", "ordering", "matching", "scenario"}
    assert kinds["scenario"] >= 20
    assert len(course.services) >= 30
    assert len(course.exercises) >= 12


def test_every_lesson_cites_an_aws_source_and_ends_with_a_recap(course):
    for lesson in course.lessons.values():
        assert lesson.sources, lesson.id
        assert all(url.startswith("https://") for url in lesson.sources), lesson.id
        assert "## Recap" in lesson.body, lesson.id


def test_every_misconception_of_the_facts_sheet_has_a_question():
    marked = set()
    for bank in (Path(__file__).resolve().parents[1] / "lessons" / "quizzes").glob("*.toml"):
        marked |= {int(n) for n in re.findall(r"#\s*misconception (\d+)", bank.read_text(encoding="utf-8"))}
    assert marked >= set(range(1, 28))


# The project's copy of the facts sheet's sources, so that the check needs nothing beside the checkout.
CHECKED_SOURCES = Path(__file__).resolve().parents[1] / "lessons" / "checked-sources.toml"


def test_every_cited_url_is_vetted_or_checked_with_what_it_supports(course):
    sources = tomllib.loads(CHECKED_SOURCES.read_text(encoding="utf-8"))
    vetted = set(sources["vetted"])
    checked = sources["sources"]
    assert all(url.startswith("https://") for url in vetted)
    assert all(entry["url"].startswith("https://") and len(entry["supports"]) > 20 for entry in checked)
    extra = {entry["url"] for entry in checked}
    cited = {url for lesson in course.lessons.values() for url in lesson.sources}
    cited |= {question.source for question in course.questions}
    assert sorted(cited - vetted - extra) == []
    assert sorted(extra - cited) == [], "a checked source nothing cites any more"
    assert sorted(extra & vetted) == [], "now vetted by the facts sheet: drop its [[sources]] entry"


# -- what a lesson tells the learner to watch ---------------------------------------------------

# The trace's own names (kinds, fields, summary keys): the live pane shows none of them, only the
# plain words of `describe_event`, the flow view and the counters.
TRACE_NAMES = re.compile(
    r"`(arrive|accepted|response|throttle|invoke_start|invoke_end|retry|delete|bisect|destination|drop|end"
    r"|failed_items|function_error|latency_s|max_event_age_s|max_queue_depth|max_iterator_age_s"
    r"|destinations\.\w+)`"
)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
QUOTE = re.compile(r'"([^"]+)"')


def _prose(text):
    """Text without fenced code blocks, where raw trace output is shown on purpose."""
    return FENCE.sub("", text)


def _watch_it(body):
    match = re.search(r"^## Watch it\n(.*?)(?=^## )", body, re.DOTALL | re.MULTILINE)
    return match.group(1) if match else ""


def test_no_lesson_or_preset_points_at_a_raw_trace_name(course):
    from tutor.sim.scenario import list_presets

    texts = {lesson.id: _prose(lesson.body) for lesson in course.lessons.values()}
    texts |= {f"scenario {name}": description for name, _title, description, _model in list_presets()}
    found = {where: TRACE_NAMES.findall(text) for where, text in texts.items()}
    assert {where: names for where, names in found.items() if names} == {}


def _pane_text(scenario):
    """Everything the live pane shows over a whole run: every log line, and the diagram and
    counters at every step (their numbers change as the run goes), then the charts at the end."""
    from tutor.sim.player import Player, SimRun
    from tutor.ui.widgets.sim_diagram import counter_lines, digest_chart_lines, log_line
    from tutor.ui.widgets.sim_flow import RunFollower, flow_lines

    run = SimRun(scenario)
    sim = run.sim
    follower = RunFollower.of(run)
    shown = set()
    run.listeners.append(lambda events: shown.update(log_line(event) for event in events))
    player = Player([run])
    while player.step():
        follower.update()
        snapshot = sim.snapshot()
        shown.update(flow_lines(snapshot, scenario, follower, sim.stage_items(), 200))
        shown.update(counter_lines(snapshot))
    shown.update(digest_chart_lines(scenario.model, run.digest, sim.now, 80))
    return "\n".join(sorted(shown))


def _chain_pane_text(chain):
    """Everything a chain's pane shows over a whole run, as `_pane_text` for one function: every
    log line, and the heading, end to end, stages and hops at every step, wide and compact."""
    from tutor.sim.chain_player import ChainRun
    from tutor.sim.player import Player
    from tutor.ui.widgets.sim_chain import chain_lines, chain_log_line
    from tutor.ui.widgets.sim_flow import RunFollower

    chain_run = ChainRun(chain)
    followers = [RunFollower.of(run) for run in chain_run.runs]
    shown = set()
    for stage, run in zip(chain.stages, chain_run.runs, strict=True):
        run.listeners.append(
            lambda events, name=stage.name: shown.update(chain_log_line(name, e) for e in events)
        )
    player = Player(chain_run.runs)
    while player.step():
        for compact in (False, True):
            for lines in chain_lines(
                chain_run, followers, player.time, player.finished, 200, compact=compact
            ):
                shown.update(lines)
    return "\n".join(sorted(shown))


def _missing_quotes(text, shown):
    """Quoted words of `text` that the pane never shows; "..." in a quote stands for anything."""
    missing = []
    # A setting's value (load.pattern = "burst") is not something the pane is said to show.
    for quote in QUOTE.findall(re.sub(r'= "[^"]*"', "", text)):
        words = " ".join(quote.split())
        pattern = ".*?".join(re.escape(part.strip()) for part in words.split("..."))
        if not re.search(pattern, shown):
            missing.append(words)
    return missing


def test_what_a_watch_it_section_quotes_is_what_its_pane_shows(course):
    from tutor.sim.scenario import load_scenario
    from tutor.ui.widgets.simulation_slot import paced

    missing = {}
    for lesson in course.lessons.values():
        watch = _watch_it(lesson.body)
        if not lesson.scenario or not QUOTE.search(watch):
            continue
        if lesson.scenario in course.chain_files:
            from tutor.sim.chain import load_chain

            path = course.chain_files[lesson.scenario]
            chains = [load_chain(path), *(load_chain(path, overrides=step.set) for step in lesson.try_steps)]
            if gaps := _missing_quotes(watch, "\n".join(_chain_pane_text(chain) for chain in chains)):
                missing[lesson.id] = gaps
            continue
        # As the lesson's pane does: the scenario (a pack's file or a preset) paced for the pane,
        # then each try step on it.
        base, _first = paced(load_scenario(course.scenario_files.get(lesson.scenario, lesson.scenario)))
        runs = [base, *(base.with_overrides(dict(step.set)) for step in lesson.try_steps)]
        shown = "\n".join(_pane_text(scenario) for scenario in runs)
        if gaps := _missing_quotes(watch, shown):
            missing[lesson.id] = gaps
    assert missing == {}


def test_what_a_preset_description_quotes_is_what_its_pane_shows():
    from tutor.sim.scenario import list_presets, load_scenario

    missing = {}
    for name, _title, description, _model in list_presets():
        if not QUOTE.search(description):
            continue
        if gaps := _missing_quotes(description, _pane_text(load_scenario(name))):
            missing[name] = gaps
    assert missing == {}
