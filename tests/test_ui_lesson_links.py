"""A lesson's links from the keyboard (k): the lessons and glossary terms its text links to, in
reading order, each labelled with its kind; enter follows one, escape closes the list."""

from __future__ import annotations

from conftest import screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp

LOADED = load_course()
RETRIES = "sync-retries"  # links to the timeouts lesson ("lesson 5") and uses glossary terms


def screen_name(app) -> str:
    return getattr(app.screen, "SCREEN_NAME", "")


async def open_by_keyboard(app, pilot, lesson_id: str) -> None:
    """From the map through the palette, as a learner without a mouse would."""
    title = app.course.lessons[lesson_id].title
    await wait_for_text(pilot, "Start")
    await pilot.press("ctrl+p")
    await pilot.press(*title)
    await wait_for_text(pilot, f"Lesson: {title}")
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: screen_name(app) == "lesson" and app.screen.lesson.id == lesson_id, "the lesson"
    )


def link_rows(app) -> list[str]:
    picker = app.screen.query_one("#lesson-links-list")
    rows = screen_text(app).splitlines()[picker.region.y : picker.region.bottom]
    return [row[picker.region.x : picker.region.right].strip() for row in rows]


async def highlight_row_starting(pilot, prefix: str) -> str:
    app = pilot.app
    picker = app.screen.query_one("#lesson-links-list")
    for _ in range(picker.option_count):
        label = str(picker.highlighted_option.prompt)
        if label.startswith(prefix):
            return label
        await pilot.press("down")
    raise AssertionError(f"no link labelled {prefix!r}: {link_rows(app)}")


async def test_k_lists_the_lessons_links_in_reading_order_and_enter_opens_a_linked_lesson():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keyboard(app, pilot, RETRIES)
        await pilot.press("k")
        await wait_for_text(pilot, "Links in “Retries are the caller's")
        rows = link_rows(app)
        # Every link starts its row with its kind (a long one wraps onto the next row).
        kinds = [row.split()[0] for row in rows if row.startswith(("Term ", "Lesson "))]
        assert len(kinds) == app.screen.query_one("#lesson-links-list").option_count, rows
        assert "Term" in kinds and "Lesson" in kinds, rows
        # Reading order: the text says "synchronous invocation" in its first paragraph and
        # mentions lesson 5 near the end.
        first_term = next(index for index, row in enumerate(rows) if "synchronous invocation" in row)
        the_lesson = next(index for index, row in enumerate(rows) if row.startswith("Lesson"))
        assert first_term < the_lesson, rows
        timeouts = app.course.lessons["sync-timeouts"].title
        assert timeouts.split(":")[0] in rows[the_lesson], rows
        await highlight_row_starting(pilot, "Lesson")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: screen_name(app) == "lesson" and app.screen.lesson.id == "sync-timeouts",
            "the linked lesson",
        )
        # The linked lesson replaced this one: b still leads back to the map.
        await pilot.press("b")
        await wait_until(pilot, lambda: screen_name(app) == "map", "the map")


async def test_enter_on_a_term_opens_its_glossary_entry_and_escape_comes_back_to_the_lesson():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_by_keyboard(app, pilot, RETRIES)
        await wait_for_text(pilot, "k Links")
        await pilot.press("k")
        await wait_for_text(pilot, "Links in")
        label = await highlight_row_starting(pilot, "Term")
        term = next(term for term in app.course.glossary if term.term in label)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "glossary", "the glossary")
        definition = term.definition.split(".")[0][:40]
        await wait_until(pilot, lambda: definition in " ".join(screen_text(app).split()), "the definition")
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "lesson", "back in the lesson")
        assert app.screen.lesson.id == RETRIES


async def test_escape_or_k_closes_the_list_and_leaves_the_lesson_as_it_was():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keyboard(app, pilot, RETRIES)
        for closing_key in ("escape", "k"):
            await pilot.press("k")
            await wait_until(pilot, lambda: screen_name(app) == "lesson-links", "the list of links")
            await pilot.press(closing_key)
            await wait_until(pilot, lambda: screen_name(app) == "lesson", f"{closing_key} closing the list")
            assert app.screen.lesson.id == RETRIES
            assert "Links in" not in screen_text(app)


async def test_help_over_a_lesson_names_the_links_key():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keyboard(app, pilot, RETRIES)
        await pilot.press("f1")
        await wait_until(pilot, lambda: screen_name(app) == "help", "help")
        await wait_for_text(pilot, "The lessons and glossary terms")
        rows = screen_text(app).splitlines()
        row = next((row for row in rows if row.strip().startswith("k ")), "")
        assert "The lessons and glossary terms" in row, "\n".join(rows)
