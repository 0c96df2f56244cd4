"""A lesson's live pane: w plays it from the text; it pauses under another screen and plays on after."""

import io
from conftest import open_lesson, screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens.lesson import LessonScreen
from tutor.ui.widgets.sim_pane import ParamForm, SimPane
from tutor.ui.widgets.sim_text import TextBlock

LOADED = load_course()
WITH_PANE = next(lesson for lesson in LOADED[0].lessons.values() if lesson.scenario)
WITHOUT_PANE = next(lesson for lesson in LOADED[0].lessons.values() if not lesson.scenario)


async def test_help_over_a_playing_lesson_pane_pauses_it_and_closing_help_resumes_it():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, WITH_PANE.id)
        pane = app.screen.query_one(SimPane)
        pane.focus()
        await pilot.press("space")
        await pilot.pause()
        assert pane.player.playing
        await pilot.press("f1")
        await pilot.pause()
        assert getattr(app.screen, "SCREEN_NAME", None) == "help"
        assert not pane.player.playing, "nothing plays unseen under help"
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.query_one(SimPane) is pane
        assert pane.player.playing, "back on the lesson, the run plays on"


async def test_w_plays_and_pauses_the_lesson_pane_from_the_text_and_the_empty_log_says_so():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, WITH_PANE.id)
        pane = app.screen.query_one(SimPane)
        assert app.screen.focused is not None and pane not in app.screen.focused.ancestors_with_self
        assert "Nothing yet: w plays, s steps to the next event." in screen_text(app)
        assert "w Play" in screen_text(app).splitlines()[-1]
        await pilot.press("w")
        await wait_for_text(pilot, "w Pause", row=-1)  # the footer says what w does now
        assert pane.player.playing, "the keyboard stayed in the text, and the pane plays"
        await pilot.press("w")
        assert not pane.player.playing
        await wait_for_text(pilot, "w Play", row=-1)
        await open_lesson(app, pilot, WITHOUT_PANE.id)
        assert "w Play" not in screen_text(app).splitlines()[-1], "no pane, no play key"


async def test_in_a_parameter_field_the_footer_offers_no_speed_keys_that_would_only_type():
    from textual.widgets import Input, TabbedContent

    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, "overview-walkthrough-s3-dynamodb")
        pane = app.screen.query_one(SimPane)
        pane.focus()
        await wait_for_text(pilot, "- Slower", row=-1)
        pane.query_one(TabbedContent).active = "sim-params"
        form = pane.query_one(ParamForm)
        await wait_until(pilot, lambda: form.built, "the parameter fields")
        field = form.query(Input).first()
        field.focus()
        await pilot.pause()
        speed = pane.player.speed
        footer = screen_text(app).splitlines()[-1]
        assert "Slower" not in footer and "Faster" not in footer, footer
        await pilot.press("minus")
        assert field.value.endswith("-") and pane.player.speed == speed, "the key typed; the speed stayed"
        await pilot.press("shift+tab")
        # out of the field, the keys are back
        await wait_for_text(pilot, "- Slower", row=-1)


async def test_at_80_columns_the_footer_keeps_help_and_cuts_only_whole_keys():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, WITH_PANE.id)
        await pilot.press("tab")  # the pane takes the keyboard: its keys join the lesson's
        await wait_for_text(pilot, "space Play", row=-1)
        assert (
            app.screen.focused is not None
            and app.screen.query_one(SimPane) in app.screen.focused.ancestors_with_self
        )
        footer = screen_text(app).splitlines()[-1]
        assert "space Play" in footer and "s Step" in footer, "the focused pane's keys come first"
        assert "f1 Help" in footer, "help survives the cut"
        shown = footer.split("▏")[0].split()
        assert shown[-2:] == ["f1", "Help"], "nothing half-drawn before the palette"
        await pilot.resize_terminal(200, 40)
        await wait_for_text(pilot, "n Next", row=-1)  # with room, the lesson's keys come back


SQS_WALKTHROUGH = "overview-walkthrough-sqs"


def rows_above_pane(app: LambdaTutorApp) -> int:
    """Rows between the masthead and the pane's top edge: what is left for the lesson's text."""
    rows = screen_text(app).splitlines()
    edge = next(i for i, row in enumerate(rows) if "live simulation:" in row)
    return edge - 1


async def test_at_80x24_the_pane_starts_hidden_to_its_control_bar_and_v_shows_and_hides_it():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, SQS_WALKTHROUGH)
        await pilot.pause()
        text = screen_text(app)
        footer = text.splitlines()[-1]
        assert "live simulation: v shows it" in text
        assert "paused · 5× · sim 00:00:00.0" in text, "the control bar stays"
        assert "One batch, step by step" in text, "the lesson's first section is in view, past the objectives"
        assert rows_above_pane(app) >= 20
        assert "v Show pane" in footer and "b Back to map" in footer and "f1 Help" in footer
        assert "queue ─▶ pollers" not in text

        await pilot.press("v")
        await pilot.pause()
        text = screen_text(app)
        assert "live simulation: v hides it" in text and "v Hide pane" in text.splitlines()[-1]
        diagram = app.screen.query_one(SimPane).view.query_one(".sim-diagram", TextBlock).text.splitlines()
        for line in diagram:
            assert line.rstrip() in text, "the whole diagram shows"
        assert 5 <= rows_above_pane(app) < 20, "the text keeps a few rows"

        await pilot.press("v")
        await pilot.pause()
        assert "live simulation: v shows it" in screen_text(app) and rows_above_pane(app) >= 20


async def test_w_or_tab_into_a_hidden_pane_shows_it():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, SQS_WALKTHROUGH)
        pane = app.screen.query_one(SimPane)
        await pilot.press("w")
        await pilot.pause()
        # The whole run lasts about a second at 5×: on a busy machine it may be over already.
        assert pane.player.playing or pane.player.finished
        assert "live simulation: v hides it" in screen_text(app)
        assert "queue ─▶ pollers" in screen_text(app), "played to be watched"
        pane.player.pause()
        await pilot.press("v")
        await pilot.pause()
        assert "queue ─▶ pollers" not in screen_text(app)
        await pilot.press("tab")
        await pilot.pause()
        assert pane in app.screen.focused.ancestors_with_self
        assert "queue ─▶ pollers" in screen_text(app), "tabbed into, the pane shows"
        await pilot.press("v")
        await pilot.pause()
        assert "queue ─▶ pollers" not in screen_text(app)
        assert app.screen.focused.id == "lesson-scroll", (
            "hidden, the pane gives the keyboard back to the text"
        )


async def test_the_choice_carries_to_the_next_lesson_and_tall_or_wide_terminals_show_the_pane():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, "overview-walkthrough-s3-dynamodb")
        await pilot.press("v", "n")
        await pilot.pause()
        assert app.screen.lesson.id == SQS_WALKTHROUGH
        assert "live simulation: v hides it" in screen_text(app)
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(100, 44)) as pilot:
        await open_lesson(app, pilot, SQS_WALKTHROUGH)
        assert "live simulation: v hides it" in screen_text(app), "room for both: shown from the start"
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_lesson(app, pilot, SQS_WALKTHROUGH)
        text = screen_text(app)
        assert "queue ─▶ pollers" in text and "live simulation" not in text, (
            "beside the text, as it always was"
        )
        assert "Show pane" not in text.splitlines()[-1] and "Hide pane" not in text.splitlines()[-1]
        await pilot.press("v")
        await pilot.pause()
        assert "queue ─▶ pollers" in screen_text(app), "v does nothing beside the text"


def as_text(renderable) -> str:
    from rich.console import Console

    console = Console(width=400, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_help_over_a_narrow_lesson_names_v_for_the_pane():
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(app, pilot, SQS_WALKTHROUGH)
        await pilot.press("f1")
        await pilot.pause()
        lines = as_text(app.screen.screen_keys(LessonScreen)).splitlines()
        v_lines = [" ".join(line.split()) for line in lines if line.startswith("v ")]
        # A toggle is one row: both of its meanings, in one description.
        assert v_lines == [
            "v Below 120 columns: show the simulation under the text; or Below 120 columns: hide "
            "the simulation (all but its control bar), for more text"
        ]
        assert "**v** shows it" in app.screen.query_one("#help-text").source


async def test_a_lesson_whose_preset_starts_at_once_says_its_load_starts_late():
    # sync-throttling's preset bursts at t = 0; the pane starts its load 3 s late so the throttles
    # are 3 s of wall time away, and the note under the title says so (its times count from 0).
    app = LambdaTutorApp(loaded=LOADED)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_lesson(app, pilot, "sync-throttling")
        await wait_for_text(pilot, "load starts at 3 s; first throttle at sim 00:00:03.0")
        await open_lesson(app, pilot, "sync-timeouts")  # its first event is 29 s in: nothing moved
        await wait_for_text(pilot, "first caller timeout (504)")
        assert "load starts at" not in screen_text(app)
