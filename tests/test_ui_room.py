"""`workshop watch`: the room screen lists learners, marks who looks stuck, filters, sorts, refreshes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import screen_text, wait_for_text, wait_until

from tutor.content.loader import load_course
from tutor.progress.credentials import hash_secret
from tutor.progress.store import QuestionResult, open_store
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.screens.room import RoomScreen

COURSE, _ = load_course()
LESSONS = list(COURSE.lessons)
EXERCISES = [exercise.id for exercise in COURSE.exercises]
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def seed_room() -> None:
    recent = NOW - timedelta(minutes=2)
    with open_store(clock=lambda: recent) as store:
        for lesson_id in LESSONS[:4]:
            store.mark_read("ann", lesson_id)
        store.set_last_lesson("ann", LESSONS[4])
        store.record_quiz_attempt("ann", "overview", [QuestionResult("q", 1, 1, True)], recent)
        for run in range(5):
            store.record_exercise_attempt("bob", EXERCISES[0], False, {"run": run}, recent)
        store.record_exercise_attempt("cy", EXERCISES[0], True, {}, recent)
        store.record_hint("cy", EXERCISES[0], 1)
    with open_store(clock=lambda: NOW - timedelta(minutes=25)) as store:
        store.mark_read("dee", LESSONS[0])
    with open_store(clock=lambda: NOW - timedelta(minutes=4)) as store:
        store.claim_name("Eve", hash_secret("1234"))  # logged in, nothing done yet
        store.add_to_roster("Fay", hash_secret("join-code"))  # not come yet


def room_app(refresh_s: float = 60.0) -> LambdaTutorApp:
    return LambdaTutorApp(start=Start.room(clock=lambda: NOW, refresh_s=refresh_s))


async def test_every_learner_has_a_row_and_the_stuck_ones_say_why(backend):
    seed_room()
    async with room_app().run_test(size=(200, 40)) as pilot:
        await wait_for_text(pilot, "5 learners · 2 stuck")
        text = screen_text(pilot.app)
        assert "not joined yet: Fay" in text
        assert all(" Fay " not in line for line in text.splitlines() if "not joined yet" not in line)
        eve = next(line for line in text.splitlines() if " Eve " in line)
        assert not eve.lstrip().startswith("!") and "0/" in eve and "joined 4 min" in eve
        bob = next(line for line in text.splitlines() if " bob " in line)
        assert bob.lstrip().startswith("!") and f"5 failed runs of {EXERCISES[0]}" in bob
        dee = next(line for line in text.splitlines() if " dee " in line)
        assert dee.lstrip().startswith("!") and "idle 25 min" in dee
        ann = next(line for line in text.splitlines() if " ann " in line)
        assert not ann.lstrip().startswith("!") and "4/" in ann and "overview 100" in ann
        cy = next(line for line in text.splitlines() if " cy " in line)
        assert "1/" in cy and "(1)" in cy


async def test_typing_filters_by_name_and_arrows_change_the_sort():
    seed_room()
    async with room_app().run_test(size=(200, 40)) as pilot:
        await wait_for_text(pilot, "5 learners")
        await pilot.press("d", "e")
        await wait_for_text(pilot, "showing 1 matching 'de'")
        assert " dee " in screen_text(pilot.app) and " ann " not in screen_text(pilot.app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: " ann " in screen_text(pilot.app), "the filter cleared")
        await pilot.press("right")  # name -> activity: the longest idle first
        await wait_for_text(pilot, "sorted by activity")
        names = [
            line.split()[1]
            for line in screen_text(pilot.app).splitlines()
            if line.lstrip().startswith(("!",))
        ]
        assert names[0] == "dee"
        await pilot.press("left", "left")  # back past name to "stuck"
        await wait_for_text(pilot, "sorted by stuck")
        footer = screen_text(pilot.app).splitlines()[-1]
        assert "← → Sort " in footer and "Sort →" not in footer


async def test_the_room_refreshes_by_itself_and_is_not_redrawn_when_nothing_changed():
    seed_room()
    async with room_app(refresh_s=0.2).run_test(size=(200, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RoomScreen)
        await wait_for_text(pilot, "5 learners")
        updates, reads = screen.table_updates, screen.reads
        await wait_until(pilot, lambda: screen.reads >= reads + 2, "two more reads")
        assert screen.table_updates == updates, "an unchanged room was redrawn"
        with open_store(clock=lambda: NOW) as store:
            store.mark_read("eve", LESSONS[0])
        await wait_for_text(pilot, "6 learners")
        assert " eve " in screen_text(pilot.app)


async def test_a_watch_left_running_shows_the_fresh_room_after_a_reset(backend):
    from tutor.cli import main

    seed_room()
    async with room_app(refresh_s=0.2).run_test(size=(200, 40)) as pilot:
        await wait_for_text(pilot, "5 learners")
        assert main(["workshop", "reset", "--yes"]) == 0
        await wait_for_text(pilot, "No learner in this store yet")
        with open_store(clock=lambda: NOW) as store:
            store.mark_read("gus", LESSONS[0])
        await wait_for_text(pilot, "1 learner ")
        assert " gus " in screen_text(pilot.app) and " ann " not in screen_text(pilot.app)


async def test_an_empty_room_says_learners_appear_as_they_join():
    async with room_app().run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "No learner in this store yet")


async def test_at_80_columns_every_row_shows_who_is_stuck_and_the_selected_learner_in_full():
    seed_room()
    async with room_app().run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "5 learners")
        lines = screen_text(pilot.app).splitlines()
        header = next(line for line in lines if "Learner" in line)
        assert header.rstrip().endswith("Stuck") and "Seen" in header
        bob = next(line for line in lines if " bob " in line)
        assert bob.lstrip().startswith("!") and bob.rstrip().endswith("5 fails")
        dee = next(line for line in lines if " dee " in line)
        assert dee.rstrip().endswith("idle 25m")
        assert "joined 4m" in next(line for line in lines if " Eve " in line)
        await wait_for_text(pilot, "ann · lessons 4/")  # the first row is selected
        await pilot.press("down")
        await wait_for_text(pilot, f"bob ! 5 failed runs of {EXERCISES[0]}")


async def test_a_learner_who_joined_and_did_nothing_for_ten_minutes_is_marked():
    with open_store(clock=lambda: NOW - timedelta(minutes=12)) as store:
        store.claim_name("Gil", hash_secret("1234"))
    async with room_app().run_test(size=(200, 40)) as pilot:
        await wait_for_text(pilot, "1 learner · 1 stuck")
        gil = next(line for line in screen_text(pilot.app).splitlines() if " Gil " in line)
        assert gil.lstrip().startswith("!") and "joined 12 min ago, nothing done yet" in gil


def test_the_room_at_80x24(snap_compare):
    seed_room()

    async def run_before(pilot) -> None:
        await wait_for_text(pilot, "5 learners")
        pilot.app.screen.query_one("#room-filter").cursor_blink = False

    assert snap_compare(room_app(), terminal_size=(80, 24), run_before=run_before)
