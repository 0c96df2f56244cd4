"""2,000 seeded random keys and resizes on the services catalogue: nothing breaks, the count stays true.

Keys arrive in bursts, as from a fast typist or a paste, and the app settles after each burst, so
the test stays quick while every key still goes through the app's own key handling. A burst ends
at a key that may leave the catalogue (enter, escape, help); the test then comes back to it.
"""

from __future__ import annotations

import random
import re

from conftest import screen_text
from test_ui_catalogue import COURSE, KEY_NAMES, catalogue_app, key_event, open_catalogue

from tutor.ui.screens.catalogue import CatalogueScreen, ServiceFilter, ServiceTable, model_label
from tutor.ui.screens.too_small import TooSmallScreen

SEED = 20240611
# The app-wide walk (test_ui_random_keys.py) presses 2,000 keys over every screen, this one included;
# this storm adds keys aimed at the filter and table, within the suite's five-minute budget.
KEY_COUNT = 600
# Words that match some services, so the table is often full; single characters below add junk.
WORDS = ["sqs", "poll", "async", "sync", "kinesis", "amazon", "api", "s3", "fifo", "event", "aws", "lambda"]
MOVES = [
    "down",
    "down",
    "up",
    "up",
    "pageup",
    "pagedown",
    "home",
    "end",
    "left",
    "right",
    "delete",
    "backspace",
]
# Rarer, because each costs the app far more than a keystroke: moving focus (the footer is rebuilt)
# and leaving the screen (a lesson or help opens).
FOCUS = ["tab", "shift+tab", "slash"]
LEAVING = ["enter", "enter", "enter", "escape", "escape", "question_mark"]
SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
TOO_SMALL = [(79, 24), (80, 23)]  # the app covers everything with its "too small" message


def random_gesture(rng: random.Random) -> list[str]:
    """A few keys a learner might press together: a word, a move, a clear, a focus change, a way out."""
    roll = rng.random()
    if roll < 0.33:  # the start of a word, often as a new search
        word = rng.choice(WORDS)
        typed = word[: rng.randint(1, len(word))] + rng.choice(["", " "])
        keys = [KEY_NAMES.get(character, character) for character in typed]
        return ["ctrl+u"] * (rng.random() < 0.6) + keys
    if roll < 0.45:
        return ["ctrl+u"]
    if roll < 0.48:
        character = rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 .-/?@")
        return [KEY_NAMES.get(character, character)]
    if roll < 0.945:
        return [rng.choice(MOVES)] * rng.randint(1, 3)
    if roll < 0.97:
        return [rng.choice(FOCUS)]
    return [rng.choice(LEAVING)]


async def back_to_the_catalogue(pilot, app) -> None:
    if isinstance(app.screen, TooSmallScreen | CatalogueScreen):
        return
    if any(isinstance(screen, CatalogueScreen) for screen in app.screen_stack):
        while not isinstance(app.screen, CatalogueScreen):
            await app.pop_screen()
    else:
        await open_catalogue(pilot)


def check_the_catalogue(app) -> None:
    """What the learner sees agrees with itself: the count, the rows, the pane below the table."""
    screen = app.screen
    table = screen.query_one(ServiceTable)
    count = str(screen.query_one("#catalogue-count").render())
    assert count == f"{table.row_count} of {len(COURSE.services)} services"
    typed = re.findall(r"[a-z0-9]+", screen.query_one(ServiceFilter).value.lower())
    for service in table.shown:
        label = model_label(service.model)
        text = f"{service.name} {label.words} {label.short} {service.trigger} {service.note}".lower()
        assert all(word in text for word in typed), (typed, service.name)
    if table.row_count:
        assert 0 <= table.cursor_row < table.row_count
        assert table.highlighted.name in screen_text(app).split("─" * 20)[-1], "the pane shows the row"


async def test_random_keys_and_resizes_never_break_the_catalogue():
    rng = random.Random(SEED)
    app = catalogue_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_catalogue(pilot)
        sent = 0
        while sent < KEY_COUNT:
            roll = rng.random()
            if roll < 0.05 or isinstance(app.screen, TooSmallScreen):
                # One burst in the "too small" state at most, so the keys mostly reach the catalogue.
                await pilot.resize_terminal(*rng.choice(TOO_SMALL if roll < 0.05 else SIZES))
            elif roll < 0.15:
                await pilot.resize_terminal(*rng.choice(SIZES))
            burst: list[str] = []
            while len(burst) < 40 and sent + len(burst) < KEY_COUNT and not set(burst) & set(LEAVING):
                burst += random_gesture(rng)
            burst = burst[: KEY_COUNT - sent]
            sent += len(burst)
            for key in burst:
                app.post_message(key_event(key))
            await pilot.pause()
            await back_to_the_catalogue(pilot, app)
            await pilot.pause()
            if isinstance(app.screen, CatalogueScreen):
                check_the_catalogue(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await back_to_the_catalogue(pilot, app)
        assert isinstance(app.screen, CatalogueScreen)
