"""A browser session's app: it asks the learner's name first and keeps their progress under it."""

from __future__ import annotations

from textual.widgets import Input

from conftest import wait_until

from tutor.progress.store import open_store
from tutor.ui.screens.course_map import CourseMapScreen
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.screens.profile_prompt import ProfilePromptScreen


async def test_the_name_is_asked_first_checked_like_a_profile_and_becomes_the_profile():
    with open_store() as store:
        store.set_setting("ann", "theme", "textual-light")
        store.mark_read("ann", "overview-three-models")
    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilePromptScreen), "the name prompt")
        await pilot.pause()
        assert isinstance(app.focused, Input)

        # Nothing else works until there is a name: escape, the palette and help stay on the prompt.
        await pilot.press("escape", "ctrl+p", "f1")
        assert isinstance(app.screen, ProfilePromptScreen)

        await pilot.press(*"ann/smith", "enter")
        error = app.screen.query_one("#profile-error")
        assert error.display and "profile name 'ann/smith' is not allowed" in str(error.render())
        assert isinstance(app.screen, ProfilePromptScreen)

        # ann's first login in a browser: she chooses a PIN (typed twice).
        await pilot.press(*["backspace"] * 6, "enter", "down", "enter", *"2580", "enter", *"2580", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")
        assert app.profile == "ann"
        assert app.theme == "textual-light"  # ann's own theme, remembered from an earlier session
        map_screen = app.screen
        assert "overview-three-models" in map_screen.query_one("CourseTree").read_ids
        await pilot.press("f1")
        assert type(app.screen).__name__ == "HelpScreen"  # named: the app's keys work again
