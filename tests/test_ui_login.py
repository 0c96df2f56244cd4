"""Logging in to a browser session by keys, the name in the masthead, and coming back after a drop."""

from __future__ import annotations

from pathlib import Path

from conftest import screen_text, wait_for_text, wait_until
from test_ui_quiz import answer_right, quiz_screen
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from tutor.progress.credentials import hash_secret, token_hash
from tutor.progress.identity import REFUSED
from tutor.progress.store import open_store
from tutor.ui.app import RESUME_LIFETIME, LambdaTutorApp, Start
from tutor.ui.screens.course_map import CourseMapScreen
from tutor.ui.screens.profile_prompt import LOCKED_WORDS, ProfilePromptScreen
from tutor.ui.widgets.exercise import ParamField

QUIZPACK = str(Path(__file__).parent / "data" / "quizpack")


def prompt_step(app: LambdaTutorApp) -> str:
    return app.screen.step if isinstance(app.screen, ProfilePromptScreen) else ""


async def give_name(pilot: Pilot, name: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: prompt_step(app) == "name", "the name prompt")
    await pilot.press(*name, "enter")
    await wait_until(pilot, lambda: prompt_step(app) == "choice", "the PIN choice")


async def choose_a_new_pin(pilot: Pilot, name: str, questions: int = 2) -> None:
    await give_name(pilot, name)
    await pilot.press("down", "enter")
    await wait_for_text(pilot, f"1 of {questions}: choose a PIN, {name}.")


def type_at_once(app: LambdaTutorApp, typed: str) -> None:
    """Hand the app every key at once (⏎ is enter), as a loaded server reads a fast typist's burst.
    pilot.press lets the app settle after each key, which hides a key landing in the wrong place."""
    for char in typed:
        app.post_message(events.Key("enter", "\r") if char == "⏎" else events.Key(char, char))


def pin_box(app: LambdaTutorApp) -> Input:
    return app.screen.query_one("#profile-new-pin", Input)


async def log_in(pilot: Pilot, name: str, pin: str, *, new: bool, code: str = "") -> None:
    await give_name(pilot, name)
    await pilot.press(*(["down"] if new else []), "enter")
    await pilot.press(*pin, "enter")
    if new:
        await pilot.press(*pin, "enter")
        if code:
            await pilot.press(*code, "enter")


def kept_values(app: LambdaTutorApp, token: str) -> dict:
    found = app.store.resume_session(token_hash(token), lifetime=RESUME_LIFETIME)
    place = found[1] if found else None
    return (place or {}).get("values", {})


def shown_error(app: LambdaTutorApp) -> str:
    error = app.screen.query_one("#profile-error")
    return str(error.render()) if error.display else ""


async def test_a_first_login_chooses_a_pin_and_the_next_session_needs_it():
    with open_store() as store:
        store.mark_read("ann", "overview-three-models")  # a profile from before learners had PINs
    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: prompt_step(app) == "name", "the name prompt")
        # Nothing else works before a learner is in: escape, the palette and help stay on the prompt.
        await pilot.press("escape", "ctrl+p", "f1")
        assert prompt_step(app) == "name"
        name_box = app.screen.query_one("#profile-name", Input)
        name_box.value = "ann 😀"  # pasted: Pilot cannot type an emoji
        await pilot.press("enter")
        assert "letters (any alphabet), digits, spaces" in shown_error(app)
        name_box.value = ""

        await log_in(pilot, " ANN", "2580", new=True)
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")
        assert app.profile == "ann", "her existing progress, under the name it was kept as"
        assert "overview-three-models" in app.screen.query_one("CourseTree").read_ids
        assert screen_text(app).splitlines()[0].rstrip().endswith("ann")

    again = LambdaTutorApp(start=Start.served())
    async with again.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "Ann", "2581", new=False)
        await wait_until(pilot, lambda: REFUSED in shown_error(again), "the refusal")
        await pilot.press("escape", "escape")
        await log_in(pilot, "Nobody", "2580", new=False)
        # Past the growing delay, the same words as for ann's wrong PIN: who exists is not told.
        await wait_until(pilot, lambda: REFUSED in shown_error(again), "the refusal", timeout=15)
        await pilot.press("escape", "escape")
        await log_in(pilot, "ann", "2580", new=False)
        await wait_until(
            pilot, lambda: isinstance(again.screen, CourseMapScreen), "the course map", timeout=15
        )
        assert again.profile == "ann"


async def test_a_name_with_a_pin_cannot_be_claimed_again_as_new():
    with open_store() as store:
        from tutor.progress.identity import join

        join(store, "Dave", "1111", roster=False)
    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "dave", "2222", new=True)
        await wait_until(pilot, lambda: "already has a PIN" in shown_error(app), "the refusal")
        assert isinstance(app.screen, ProfilePromptScreen)
    with open_store() as store:
        assert [learner.display_name for learner in store.learners()] == ["Dave"]


async def test_two_pins_that_differ_are_asked_again_and_repeated_refusals_lock_the_prompt():
    class QuickRefusals(ProfilePromptScreen):
        REFUSAL_DELAY_S = 0.01

    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: prompt_step(app) == "name", "the name prompt")
        await app.switch_screen(QuickRefusals())  # the same prompt, with shorter waits
        await choose_a_new_pin(pilot, "Eve")
        await pilot.press(*"1234", "enter")
        await wait_for_text(pilot, "2 of 2: the same PIN again")
        await pilot.press(*"1243", "enter")
        await wait_for_text(pilot, "The two PINs differ")
        # Asked again from the first PIN, in an empty box.
        assert "1 of 2: choose a PIN, Eve." in screen_text(app) and pin_box(app).value == ""
        await pilot.press("escape", "up", "enter")  # back to the choice, then "I have a PIN"
        for attempt in range(5):
            await pilot.press(*f"000{attempt}", "enter")
            await wait_until(pilot, lambda: not app.screen.checking, "the answer")
        assert prompt_step(app) == "locked"
        assert LOCKED_WORDS.split(".")[0] in screen_text(app).replace("\n", " ").replace("│", "")
        await pilot.press(*"1234", "enter", "escape")
        assert prompt_step(app) == "locked"


async def test_with_a_roster_only_its_names_get_in_and_the_first_login_needs_the_join_code():
    with open_store() as store:
        store.add_to_roster("Núria", hash_secret("ACDEFGH"))
    app = LambdaTutorApp(start=Start.served(roster=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: prompt_step(app) == "name", "the name prompt")
        await pilot.press(*"Mallory", "enter")
        assert "not on this workshop's list" in shown_error(app)
        await pilot.press(*["backspace"] * 7)
        await log_in(pilot, "núria", "8642", new=True, code="ACDEFGX")
        await wait_until(pilot, lambda: "not the join code" in shown_error(app), "the refusal")
        # Only the code is asked again: the new PIN, typed twice, is kept.
        await wait_for_text(pilot, "3 of 3: the join code from your instructor's slip.")
        assert app.focused is pin_box(app) and pin_box(app).value == ""
        await pilot.press(*"acdefgh")
        await wait_for_text(pilot, "acdefgh")  # a join code is shown as typed, unlike a PIN
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")
        assert app.profile == "Núria"


async def test_a_long_name_is_cut_in_the_masthead_at_80_columns():
    name = "Maximiliana Wilhelmina von Hohenzollern"
    app = LambdaTutorApp(name)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.open_screen("exercises")
        await pilot.pause()
        top = screen_text(app).splitlines()[0].rstrip()
        assert top.endswith("Maximiliana Wil…"), top
        assert top.startswith(" λ lambda-tutor › Exercises")


async def test_the_terminal_default_profile_shows_no_name():
    app = LambdaTutorApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "default" not in screen_text(app).splitlines()[0]


# Coming back after a dropped connection ----------------------------------------------------------


async def test_a_tab_that_comes_back_opens_on_the_quiz_question_it_was_on():
    first = LambdaTutorApp(extra_packs=[QUIZPACK], start=Start.served(resume_token="tab-7f3a"))
    async with first.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "Fay", "1357", new=True)
        await wait_until(pilot, lambda: isinstance(first.screen, CourseMapScreen), "the course map")
        await first.open_screen("quiz", module_id="quizpack")
        screen = await quiz_screen(pilot)
        for _ in range(2):
            await answer_right(pilot, screen)
            await pilot.press("enter")
            await quiz_screen(pilot)
        assert screen.session.counter == "3 / 7"
        asked = [question.id for question in screen.session.questions]

    back = LambdaTutorApp(extra_packs=[QUIZPACK], start=Start.served(resume_token="tab-7f3a"))
    async with back.run_test(size=(80, 24)) as pilot:
        resumed = await quiz_screen(pilot)
        assert back.profile == "Fay"
        assert resumed.session.counter == "3 / 7"
        assert [question.id for question in resumed.session.questions] == asked
        assert screen_text(back).splitlines()[0].rstrip().endswith("Fay")
        assert not any(isinstance(s, ProfilePromptScreen) for s in back.screen_stack)
        # The keyboard is on the answers, as on a fresh question: the footer offers Submit.
        await wait_until(pilot, lambda: "⏎ Submit" in screen_text(back).splitlines()[-1], "⏎ Submit")
        assert back.focused is resumed.query_one("#quiz-answer-input")

    stranger = LambdaTutorApp(extra_packs=[QUIZPACK], start=Start.served(resume_token="another-tab"))
    async with stranger.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: prompt_step(stranger) == "name", "the login prompt")


async def test_a_tab_that_comes_back_opens_the_exercise_with_the_values_typed():
    first = LambdaTutorApp(start=Start.served(resume_token="tab-91c0"))
    async with first.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "Gus", "9753", new=True)
        await wait_until(pilot, lambda: isinstance(first.screen, CourseMapScreen), "the course map")
        await first.open_screen("exercise", exercise_id="async-keep-failed-events")
        await pilot.pause()
        retries = first.screen.query(ParamField).first()
        assert retries.spec.key == "async.maximum_retry_attempts"
        retries.entry.focus()
        await pilot.press("end", "backspace", "1")
        await wait_until(
            pilot,
            lambda: kept_values(first, "tab-91c0").get("async.maximum_retry_attempts") == "1",
            "the value kept",
        )

    back = LambdaTutorApp(start=Start.served(resume_token="tab-91c0"))
    async with back.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(back.screen, "SCREEN_NAME", "") == "exercise", "the exercise")
        await pilot.pause()
        field = back.screen.query(ParamField).first()
        assert field.entry.value == "1" and field.changed and field.value == 1
        assert back.profile == "Gus"


async def test_tab_moves_on_to_the_next_question_as_enter_does_once_there_is_an_answer():
    # Learners used to forms tab from one box to the next.
    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_a_new_pin(pilot, "Tess")
        await pilot.press("tab", "enter")  # nothing typed yet: the question stays
        assert "1 of 2: choose a PIN, Tess." in screen_text(app) and app.focused is pin_box(app)
        await pilot.press(*"1357", "tab")
        await wait_for_text(pilot, "2 of 2: the same PIN again")
        await pilot.press(*"1357", "tab")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")
        assert app.profile == "Tess"


async def test_a_new_pin_typed_twice_in_one_burst_gets_the_learner_in():
    # Every key reaches the app before it handles the first enter: the second PIN must still be
    # taken as the second answer, not typed on after the first.
    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_a_new_pin(pilot, "Quinn")
        type_at_once(app, "1234⏎1234⏎")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")
        assert app.profile == "Quinn"
    with open_store() as store:
        from tutor.progress.identity import log_in as check_login

        assert check_login(store, "Quinn", "1234").display_name == "Quinn"


async def test_with_a_roster_the_new_pin_and_the_join_code_typed_in_one_burst_get_the_learner_in():
    with open_store() as store:
        store.add_to_roster("Rosa", hash_secret("ACDEFGH"))
    app = LambdaTutorApp(start=Start.served(roster=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_a_new_pin(pilot, "Rosa", questions=3)
        type_at_once(app, "8642⏎8642⏎acdefgh⏎")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")
        assert app.profile == "Rosa"


async def test_escape_goes_back_a_question_with_the_box_empty_then_back_to_the_choice():
    app = LambdaTutorApp(start=Start.served())
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_a_new_pin(pilot, "Uma")
        await pilot.press(*"1234", "enter", *"12")
        await wait_for_text(pilot, "••")
        await pilot.press("escape")
        await wait_for_text(pilot, "1 of 2: choose a PIN, Uma.")
        assert pin_box(app).value == "" and app.focused is pin_box(app)
        assert "a new PIN (4 to 12 digits)" in screen_text(app)
        # The first PIN was dropped with the question: typed anew, twice, it gets Uma in.
        await pilot.press(*"2468", "enter", *"2468", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CourseMapScreen), "the course map")
        assert app.profile == "Uma"
    again = LambdaTutorApp(start=Start.served())
    async with again.run_test(size=(80, 24)) as pilot:
        await choose_a_new_pin(pilot, "Vic")
        await pilot.press("escape")
        await wait_for_text(pilot, "Have you chosen a PIN here before?")
        assert prompt_step(again) == "choice"
