"""Finding things in the course: search (/), the palette's content words, the glossary and its
links from a lesson's text, links between lessons, and sources whose URLs copy whole."""

from __future__ import annotations

from conftest import open_lesson, screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp

LOADED = load_course()


def screen_name(app) -> str:
    return getattr(app.screen, "SCREEN_NAME", "")


async def click_text(pilot, text: str, on_line_with: str = "") -> None:
    """Click the first place the screen shows `text` (on a line that also shows `on_line_with`),
    as a learner's mouse would."""
    for row, line in enumerate(screen_text(pilot.app).splitlines()):
        column = line.find(text)
        if column >= 0 and on_line_with in line:
            await pilot.click(offset=(column + 1, row))
            return
    raise AssertionError(f"{text!r} is not on the screen:\n{screen_text(pilot.app)}")


async def test_slash_searches_the_lessons_and_enter_jumps_to_the_match_highlighted():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await wait_until(pilot, lambda: screen_name(app) == "search", "the search screen")
        await pilot.press(*"duplicate delivery writes two rows")
        await wait_for_text(pilot, "Lesson · ")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "lesson", "the lesson of the first match")
        await wait_until(pilot, lambda: app.screen.query(".-found"), "the match highlighted")
        found = app.screen.query_one(".-found")
        scroll = app.screen.query_one("#lesson-scroll")
        await wait_until(
            pilot,
            lambda: scroll.scroll_y > 0 and found.region.overlaps(scroll.region),
            "the lesson scrolled to the highlighted match",
        )
        assert "duplicate delivery writes two rows" in " ".join((found.source or "").split())


async def test_search_finds_explanations_services_and_terms_and_says_when_nothing_matches():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await wait_until(pilot, lambda: screen_name(app) == "search", "the search screen")
        await pilot.press(*"iterator age")
        await wait_for_text(pilot, "Glossary · iterator age")
        assert "Question · " in screen_text(app) or "Lesson · " in screen_text(app)
        await pilot.press(*" zzqx")
        await wait_for_text(pilot, "Nothing matches")


async def test_the_palette_finds_a_lesson_by_a_word_only_its_text_uses():
    app = LambdaTutorApp(loaded=LOADED)
    title = app.course.lessons["async-event-202"].title
    assert "idempot" not in title.lower(), "the test needs a lesson whose title lacks the word"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.press(*"idempot")
        await wait_for_text(pilot, f"Lesson: {title}")
        await wait_for_text(pilot, "mentions: ")


async def test_a_terms_first_use_in_a_lesson_is_a_link_to_its_glossary_entry():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, "esm-sqs-failures")
        await wait_for_text(pilot, "visibility timeout")
        await click_text(pilot, "visibility timeout", on_line_with="queue's visibility timeout and")
        await wait_until(pilot, lambda: screen_name(app) == "glossary", "the glossary")
        await wait_until(
            pilot, lambda: "6 times the function timeout" in " ".join(screen_text(app).split()), "the term"
        )
        text = " ".join(screen_text(app).split())
        assert "services-sqs-configure.html" in text
        assert "6 times the function timeout" in text
        await pilot.press("enter")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "lesson", "a lesson that uses the term")


async def test_help_and_the_palette_reach_the_glossary():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await wait_until(pilot, lambda: screen_name(app) == "help", "help")
        await pilot.press("g")
        await wait_until(pilot, lambda: screen_name(app) == "glossary", "the glossary from help")
        await wait_for_text(pilot, f"{len(app.course.glossary)} terms")
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"glossary: batching window")
        await wait_for_text(pilot, "Glossary: batching window")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "glossary", "the glossary from the palette")
        await wait_for_text(pilot, "MaximumBatchingWindowInSeconds")


async def test_a_mention_of_another_lesson_is_a_link_that_opens_it():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, "sync-retries")
        scroll = app.screen.query_one("#lesson-scroll")
        mention = next(
            block
            for block in app.screen.query("#lesson-body MarkdownParagraph")
            if "lesson:sync-timeouts" in (block.source or "")
        )
        scroll.scroll_to_widget(mention, top=True, animate=False)
        await wait_for_text(pilot, "lesson 5")
        await click_text(pilot, "lesson 5")
        await wait_until(
            pilot,
            lambda: screen_name(app) == "lesson" and app.screen.lesson.id == "sync-timeouts",
            "the linked lesson",
        )
        assert scroll is not app.screen.query_one("#lesson-scroll")


async def test_every_source_url_of_a_lesson_is_shown_whole_on_one_line_at_80_columns():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, "esm-sqs-failures")
        shown = app.screen.query_one("#lesson-source-urls").render()
        lines = [line.strip() for line in str(shown).splitlines()]
        for url in app.screen.lesson.sources:
            assert url in lines, f"{url} is not alone and whole on a line"
        assert any(len(url) > 80 for url in app.screen.lesson.sources), "no URL longer than the screen"
