"""The app's start-up cache of the checked course: the same course as a fresh load, never stale, never in
the way."""

import os
import subprocess
import sys
from pathlib import Path

from tutor.content.cache import CACHE_NAME, load_course_cached
from tutor.content.loader import load_course

REPO = Path(__file__).resolve().parent.parent

LESSON = """+++
id = "{id}"
title = "{title}"
module = "extra"
objectives = ["Know a thing"]
sources = ["https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html"]
+++
# {title}

Body.
"""


def make_pack(root: Path, lessons: dict[str, str]) -> Path:
    (root / "extra").mkdir(parents=True)
    (root / "course.toml").write_text('format_version = 1\n[[modules]]\nid = "extra"\ntitle = "Extra"\n')
    for name, title in lessons.items():
        (root / "extra" / f"{name}.md").write_text(LESSON.format(id=name, title=title))
    return root


def cache_file() -> Path:
    return Path(os.environ["LAMBDA_TUTOR_HOME"]) / CACHE_NAME


def titles(course) -> dict[str, str]:
    return {lesson_id: lesson.title for lesson_id, lesson in course.lessons.items()}


def test_a_cached_load_gives_the_same_course_as_a_fresh_one():
    fresh, fresh_problems = load_course()
    load_course_cached()  # fills the cache
    assert cache_file().is_file()
    cached, cached_problems = load_course_cached()
    assert [m.id for m in cached.modules] == [m.id for m in fresh.modules]
    assert cached.lessons == fresh.lessons
    assert [(q.id, q.kind, q.answer, q.choices) for q in cached.questions] == [
        (q.id, q.kind, q.answer, q.choices) for q in fresh.questions
    ]
    assert cached.exercises == fresh.exercises
    assert cached.services == fresh.services
    assert cached.scenario_files == fresh.scenario_files
    assert cached_problems == fresh_problems


def test_a_warm_start_reads_the_course_without_importing_pydantic():
    # A fresh interpreter, as a learner's start-up is: the cache is what keeps pydantic's import
    # (most of the time to the first frame) off the path.
    code = (
        "import sys\n"
        "from tutor.content.cache import load_course_cached\n"
        "course, problems = load_course_cached()\n"
        "print(len(course.lessons), 'pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    lessons = len(load_course()[0].lessons)
    assert first.stdout.split() == [str(lessons), "True"], "a cold start checks the course with pydantic"
    assert second.stdout.split() == [str(lessons), "False"]


def test_an_edited_lesson_is_read_again(tmp_path):
    pack = make_pack(tmp_path / "pack", {"one": "First title"})
    assert titles(load_course_cached([pack])[0])["one"] == "First title"
    (pack / "extra" / "one.md").write_text(LESSON.format(id="one", title="A better title"))
    assert titles(load_course_cached([pack])[0])["one"] == "A better title"


def test_an_added_or_removed_lesson_is_seen(tmp_path):
    pack = make_pack(tmp_path / "pack", {"one": "One"})
    load_course_cached([pack])
    (pack / "extra" / "two.md").write_text(LESSON.format(id="two", title="Two"))
    course, _ = load_course_cached([pack])
    assert course.module("extra").lesson_ids == ["one", "two"]
    (pack / "extra" / "one.md").unlink()
    course, _ = load_course_cached([pack])
    assert course.module("extra").lesson_ids == ["two"]


def test_a_different_pack_list_is_not_answered_from_another_ones_cache(tmp_path):
    pack = make_pack(tmp_path / "pack", {"one": "One"})
    with_pack, _ = load_course_cached([pack])
    without, _ = load_course_cached()
    assert "one" in with_pack.lessons
    assert "one" not in without.lessons


def test_problems_are_kept_through_the_cache(tmp_path):
    pack = make_pack(tmp_path / "pack", {"one": "One"})
    (pack / "extra" / "broken.md").write_text("no front matter here\n")
    _, first = load_course_cached([pack])
    _, again = load_course_cached([pack])
    broken = [problem for problem in again if problem.file.endswith("extra/broken.md")]
    assert broken and broken[0].field == "front matter"
    assert again == first


def test_a_damaged_cache_file_is_ignored_and_replaced():
    expected = titles(load_course()[0])
    cache_file().parent.mkdir(parents=True, exist_ok=True)
    cache_file().write_bytes(b"\x80\x05 not a pickle at all")
    course, _ = load_course_cached()
    assert titles(course) == expected
    assert titles(load_course_cached()[0]) == expected
    assert not cache_file().read_bytes().startswith(b"\x80\x05 not")


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(tmp_path, monkeypatch):
    # A data directory that is a file: no cache can live there, and the course still loads.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(blocked))
    course, _ = load_course_cached()
    assert titles(course) == titles(load_course()[0])
    assert blocked.read_text() == ""
    assert not list(tmp_path.glob("not-a-folder*.tmp"))


def test_the_cache_keeps_every_preset_as_the_validator_checked_it():
    from tutor.sim.scenario import load_scenario

    load_course_cached()  # fills the cache
    cached, _ = load_course_cached()
    assert set(cached.checked_scenarios) == set(cached.scenario_files)
    for name, path in cached.scenario_files.items():
        assert cached.checked_scenarios[name] == load_scenario(path).resolved(), name


def test_a_warm_start_opens_a_lesson_with_its_pane_and_the_lab_without_importing_pydantic():
    # As a learner starts them: the pane's preset comes checked from the cache and the lab's
    # scenarios are constants, so neither first frame waits for the validator.
    code = (
        "import sys\n"
        "from tutor.ui.app import LambdaTutorApp, Start\n"
        "lesson = Start('lesson', {'lesson_id': 'sync-throttling'})\n"
        "start = lesson if sys.argv[1] == 'lesson' else Start.lab()\n"
        "app = LambdaTutorApp(profile='warm', start=start)\n"
        "async def look(pilot):\n"
        "    for _ in range(500):\n"
        "        await pilot.pause()\n"
        "        if app.screen.query('SimView'):\n"
        "            break\n"
        "    print(app.screen.SCREEN_NAME, 'pydantic' in sys.modules)\n"
        "    app.exit()\n"
        "app.run(headless=True, size=(120, 40), auto_pilot=look)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def started(what: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", code, what], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.split()[-2:]

    assert started("lesson") == ["lesson", "True"], "a cold start checks the course and its presets"
    assert started("lesson") == ["lesson", "False"]
    assert started("lab") == ["lab", "False"]
