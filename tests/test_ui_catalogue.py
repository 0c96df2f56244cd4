"""The services catalogue driven like a learner would: filter, move, open a lesson, come back.

The rows come from the frozen pack in tests/data/catalogue-pack (ten services, four lessons), so
these tests do not move while the built-in catalogue grows.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

from textual import events
from textual.pilot import Pilot

from conftest import screen_text, wait_for_text

from tutor.content.course import Service
from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.catalogue import CatalogueScreen, ServiceFilter, ServiceTable
from tutor.ui.screens.course_map import CourseMapScreen
from tutor.ui.screens.lesson import LessonScreen

PACK = Path(__file__).parent / "data" / "catalogue-pack"
SIZE = (80, 24)


def pack_course():
    """The pack as the whole course: its module, four lessons and ten services, nothing built in."""
    with patch("tutor.locations.builtin_content_dir", lambda: PACK):
        course, problems = load_course()
    assert problems == []
    assert len(course.lessons) == 4 and len(course.services) == 10
    return course


COURSE = pack_course()
NAMES = [service.name for service in COURSE.services]
SQS = ["Amazon SQS (standard queues)", "Amazon SQS (FIFO queues)"]
POLL = [*SQS, "Amazon Kinesis Data Streams"]


def catalogue_app(course=COURSE) -> LambdaTutorApp:
    return LambdaTutorApp(loaded=(course, []))


async def open_catalogue(pilot: Pilot, query: str = "") -> CatalogueScreen:
    screen = CatalogueScreen(query)
    screen.add_class(pilot.app.width_class())
    await pilot.app.push_screen(screen)
    await pilot.pause()
    return screen


def rows(app: LambdaTutorApp) -> list[str]:
    """The service names in the table, top to bottom."""
    return [service.name for service in app.screen.query_one(ServiceTable).shown]


def footer_keys(app: LambdaTutorApp) -> set[str]:
    bindings = app.screen.active_bindings.items()
    return {key for key, active in bindings if active.binding.show and active.enabled}


# Textual's names for the punctuation keys the tests type, and the characters they type.
CHARACTERS = {
    "space": " ",
    "slash": "/",
    "question_mark": "?",
    "full_stop": ".",
    "minus": "-",
    "commercial_at": "@",
}
KEY_NAMES = {character: name for name, character in CHARACTERS.items()}


def key_event(key: str) -> events.Key:
    """The event a terminal sends for the key."""
    return events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))


async def type_text(pilot: Pilot, text: str) -> None:
    """Type as a quick typist does: the keys arrive together and the app settles once after them.

    `pilot.press` waits for the app to go idle after every key, which makes typing slow to test.
    """
    for character in text:
        pilot.app.post_message(key_event(KEY_NAMES.get(character, character)))
    await pilot.pause()


async def type_filter(pilot: Pilot, text: str) -> None:
    """Clear the filter (ctrl+u) and type the text."""
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


async def test_typing_narrows_the_rows_and_says_how_many():
    app = catalogue_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        assert rows(app) == NAMES and "10 of 10 services" in screen_text(app)
        assert isinstance(app.focused, ServiceFilter), "the filter is ready for typing"
        await type_text(pilot, "sqs")
        assert rows(app) == SQS
        assert "2 of 10 services" in screen_text(app)
        await type_filter(pilot, "SQS fifo")  # any case; every word must match
        assert rows(app) == SQS[1:]
        assert "1 of 10 services" in screen_text(app)
        await type_filter(pilot, "bucket")  # in S3's trigger only
        assert rows(app) == ["Amazon S3 (event notifications)"]
        await type_filter(pilot, "visibility")  # in the note of standard SQS only
        assert rows(app) == SQS[:1]
        await type_filter(pilot, "sqs kafka")
        assert rows(app) == []
        text = screen_text(app)
        assert "0 of 10 services" in text and "No service matches the filter" in text
        assert not {"enter", "down"} & footer_keys(app), "nothing to open or move to"
        await pilot.press("enter", "down")
        assert isinstance(app.screen, CatalogueScreen) and isinstance(app.focused, ServiceFilter)
        await type_filter(pilot, "")
        assert rows(app) == NAMES


async def test_a_model_word_narrows_to_that_model():
    app = catalogue_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        text = screen_text(app)
        assert "⇄ sync" in text and "→ async" in text and "↻ poll" in text and "± sync/async" in text
        await type_filter(pilot, "poll")
        assert rows(app) == POLL
        assert "3 of 10 services" in screen_text(app)
        await type_filter(pilot, "async")
        assert rows(app) == [
            "AWS CLI and SDKs (Invoke API)",
            "Amazon S3 (event notifications)",
            "Amazon SNS",
            "Amazon CloudWatch Logs (subscription filters)",
        ]
        # "sync" means the start of a word: the asynchronous services stay out. The SQS row stays
        # in because its note says "Synchronous invokes".
        await type_filter(pilot, "sync")
        assert rows(app) == [
            "Application Load Balancer",
            "Amazon API Gateway",
            "AWS CLI and SDKs (Invoke API)",
            "Amazon SQS (standard queues)",
        ]


async def test_the_pane_below_shows_the_highlighted_service_whole_with_its_source():
    app = catalogue_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        await pilot.press("down")
        assert isinstance(app.focused, ServiceTable)
        text = screen_text(app)
        assert "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/l" in text
        assert "Callers that wait for the answer" in text, "the lesson title, not in the table at 80 columns"
        await pilot.press("down", "down")
        text = screen_text(app)
        assert "https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html" in text
        assert "± sync or async" in text
        assert "elasticloadbalancing" not in text


async def test_enter_opens_the_lesson_of_the_highlighted_row_and_escape_comes_back():
    app = catalogue_app()
    async with app.run_test(size=SIZE) as pilot:
        catalogue = await open_catalogue(pilot)
        await type_text(pilot, "sqs")
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "cat-fifo-queues"
        assert "FIFO queues keep order per group" in screen_text(app)
        assert "b Back to services" in screen_text(app), "the footer names where back leads"
        await pilot.press("n")  # the next lesson still leads back to the catalogue
        await wait_for_text(pilot, "b Back to services")
        await pilot.press("escape")
        assert app.screen is catalogue
        assert rows(app) == SQS, "the list is as it was"
        assert app.screen.query_one(ServiceTable).cursor_row == 1
        # Enter in the filter opens the first match.
        await pilot.press("slash")
        await type_filter(pilot, "kinesis")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "cat-pollers"
        assert "Pollers read queues and streams" in screen_text(app)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_a_click_highlights_a_row_and_a_click_on_the_highlighted_row_opens_its_lesson():
    app = catalogue_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        fourth_row = (5, 4)  # the header is line 0 of the table
        await pilot.click(ServiceTable, offset=fourth_row)
        await pilot.pause()
        assert isinstance(app.screen, CatalogueScreen)
        assert app.screen.query_one(ServiceTable).highlighted.name == "Amazon S3 (event notifications)"
        await pilot.click(ServiceTable, offset=fourth_row)
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "cat-async-callers"


async def test_slash_down_and_up_move_between_the_filter_and_the_list_and_the_footer_follows():
    app = catalogue_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        assert footer_keys(app) >= {"down", "enter", "escape"}
        assert "slash" not in footer_keys(app), "while typing, / is a character of the filter"
        await pilot.press("down", "down")
        assert isinstance(app.focused, ServiceTable)
        assert app.screen.query_one(ServiceTable).cursor_row == 1
        assert footer_keys(app) >= {"slash", "enter", "escape"}
        assert "down" not in footer_keys(app), "in the list, down moves the cursor"
        await pilot.press("slash")
        assert isinstance(app.focused, ServiceFilter)
        await pilot.press("down", "up", "up")
        assert isinstance(app.focused, ServiceFilter), "up from the first row returns to the filter"
        await pilot.press("a", "l", "b")
        assert app.screen.query_one(ServiceFilter).value == "alb"


async def test_a_service_whose_lesson_is_missing_says_so_instead_of_opening():
    orphan = Service(
        name="Amazon Orphan",
        model="async",
        trigger="Nothing at all",
        note="Points nowhere.",
        source="https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html",
        lesson="no-such-lesson",
    )
    app = catalogue_app(replace(COURSE, services=[*COURSE.services, orphan]))
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        await type_text(pilot, "orphan")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CatalogueScreen)
        assert "'no-such-lesson' is not a lesson of this course" in screen_text(app)
        assert any("no-such-lesson" in notice.message for notice in app._notifications)


async def test_a_long_note_grows_the_pane_so_the_source_stays_visible_at_80x24():
    long_note = "Retries, batching windows and failure destinations all differ by service. " * 3
    wordy = replace(COURSE.services[0], note=long_note.strip())
    app = catalogue_app(replace(COURSE, services=[wordy, *COURSE.services[1:]]))
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        pane = screen_text(app).split("─" * 20)[-1]
        source_lines = pane.split("Source")[-1].splitlines()[:2]
        assert "".join(line.strip() for line in source_lines) == wordy.source, "whole, over two lines"
        assert pane.split("Lesson")[0].rstrip().endswith("differ by service."), "the end of the note"


async def test_a_course_without_services_says_so_and_keys_do_nothing_harmful():
    app = catalogue_app(replace(COURSE, services=[]))
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        await pilot.press("s", "q", "enter", "down", "up", "slash")
        text = screen_text(app)
        assert "0 of 0 services" in text and "This course has no services catalogue." in text
        assert isinstance(app.screen, CatalogueScreen)


async def test_wide_terminals_show_the_lesson_column_and_the_models_in_full_words():
    app = catalogue_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await open_catalogue(pilot)
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Triggered by" in line)
        assert "Lesson" in header
        assert "↻ event source mapping (poll)" in text and "⇄ synchronous" in text
        assert "Callers that hand the event over" in text
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Triggered by" in line)
        assert "Lesson" not in header, "at 80 columns the lesson title is in the pane below the table"
        assert "↻ poll (ESM)" in text and "⇄ sync " in text


async def test_at_160_columns_the_real_catalogue_cuts_no_column_to_21_characters():
    # The built-in catalogue: its long triggers and notes are what once got 21 cells each.
    app = LambdaTutorApp(loaded=load_course())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await app.open_screen("catalogue")
        await pilot.pause()
        table = app.screen.query_one(ServiceTable)
        lines = screen_text(app).splitlines()
        for service in table.shown[: table.size.height - 2]:
            row = next(line for line in lines if line.lstrip().startswith(service.name[:20]))
            for text in (service.name, service.trigger, service.note):
                # Whole, or cut no sooner than its 30th character.
                shown = text if len(text) <= 30 else text[:29]
                assert shown in row, f"{text!r} is cut short at 160 columns: {row!r}"
