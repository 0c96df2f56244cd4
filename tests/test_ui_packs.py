"""An instructor pack on the course map and in the exercise list: first, under its own title."""

from __future__ import annotations

from pathlib import Path

from conftest import screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workshop-pack"
WITH_PACK = load_course([SAMPLE])
BUILT_IN = load_course()


def tree_rows(app) -> list[str]:
    tree = app.screen.query_one("#course-tree")
    return [line.strip() for line in screen_text(app).splitlines()[tree.region.y : tree.region.bottom]]


def highlighted_lesson_or_module(app) -> str:
    node = app.screen.query_one("#course-tree").cursor_node
    return node.data.id


async def test_a_packs_modules_come_first_under_its_title_then_the_course_under_its_own():
    app = LambdaTutorApp(loaded=WITH_PACK)
    course = app.course
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "Orders lab")
        rows = tree_rows(app)
        assert rows[0] == "Orders lab", rows
        assert rows[1].startswith("▼ Orders lab: an SQS queue in front of a Lambda function"), rows
        assert "The orders queue" in rows[2], rows
        assert rows[3] == course.title, rows
        assert rows[4].startswith("▶ Overview"), rows
        assert "Module 1 · Orders lab: an SQS queue" in screen_text(app)
        # Start leads into the pack, the first thing on the map.
        assert "▶ Start  The orders queue · " in screen_text(app)


async def test_the_cursor_passes_over_the_headings_in_the_direction_it_moves():
    app = LambdaTutorApp(loaded=WITH_PACK)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "Orders lab")
        await pilot.press("up")
        assert highlighted_lesson_or_module(app) == "orders-lab", "up from the top went onto the heading"
        await pilot.press("down", "down")
        assert highlighted_lesson_or_module(app) == "overview"
        await wait_for_text(pilot, "Module 2 · Overview")
        await pilot.press("up")
        assert highlighted_lesson_or_module(app) == "orders-lab-queue"
        await pilot.press("c")
        await wait_until(
            pilot,
            lambda: (
                getattr(app.screen, "SCREEN_NAME", "") == "lesson"
                and app.screen.lesson.id == "orders-lab-queue"
            ),
            "the pack's lesson opened by Start",
        )


async def test_next_and_previous_read_the_lessons_in_the_maps_order_pack_first():
    app = LambdaTutorApp(loaded=WITH_PACK)
    course = app.course
    pack_lessons = course.module("orders-lab").lesson_ids
    total = len(course.lessons)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "Orders lab")
        await pilot.press("c")  # Start: the pack's first lesson
        await wait_for_text(pilot, f"lesson 1 / {total}")
        assert app.screen.lesson.id == pack_lessons[0]
        assert "Previous" not in screen_text(app).splitlines()[-1], "nothing comes before the pack"
        for _ in pack_lessons:
            await pilot.press("n")
        # After the pack's last lesson, the built-in course's first, numbered on from the pack's.
        await wait_for_text(pilot, f"lesson {len(pack_lessons) + 1} / {total}")
        assert app.screen.lesson.id == course.lessons_in("overview")[0].id
        await pilot.press("p")
        await wait_for_text(pilot, f"lesson {len(pack_lessons)} / {total}")
        assert app.screen.lesson.id == pack_lessons[-1]


async def test_without_a_pack_the_map_has_no_headings():
    app = LambdaTutorApp(loaded=BUILT_IN)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "Overview")
        assert tree_rows(app)[0].startswith("▼ Overview"), tree_rows(app)


async def test_the_exercise_list_shows_the_packs_exercises_under_its_title_then_the_built_in_ones():
    app = LambdaTutorApp(loaded=WITH_PACK)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "Orders lab")
        await pilot.press("x")
        await wait_for_text(pilot, "exercises passed")
        rows = [line.strip() for line in screen_text(app).splitlines()]
        pack_row = rows.index("Orders lab")
        built_in_row = rows.index("Built-in")
        pack_exercises = [row for row in rows[pack_row:built_in_row] if row.startswith("○ not yet")]
        assert pack_exercises == [
            "○ not yet  Orders: every good order once, the broken one set aside",
            "○ not yet  Orders: when does the broken order reach the DLQ?",
        ]
        assert rows[built_in_row + 1] == "Synchronous invocation"
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "exercise", "an exercise")
        await wait_for_text(pilot, "Orders: every good order once")


async def test_built_in_exercises_alone_have_no_built_in_heading():
    app = LambdaTutorApp(loaded=BUILT_IN)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "Overview")
        await pilot.press("x")
        await wait_for_text(pilot, "exercises passed")
        assert "Built-in" not in screen_text(app)
