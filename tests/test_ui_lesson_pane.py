"""A lesson's live pane pauses while another screen covers it, and plays on when it returns."""

from tutor.content.loader import load_course
from tutor.ui.app import LambdaTutorApp
from tutor.ui.widgets.sim_pane import SimPane


async def test_help_over_a_playing_lesson_pane_pauses_it_and_closing_help_resumes_it():
    loaded = load_course()
    lesson = next(lesson for lesson in loaded[0].lessons.values() if lesson.scenario)
    app = LambdaTutorApp(loaded=loaded)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.open_screen("lesson", lesson_id=lesson.id)
        await pilot.pause()
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
