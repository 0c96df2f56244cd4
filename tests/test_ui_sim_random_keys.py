"""Seeded random keys and resizes aimed at the lab and the watch screen raise no exception.

Keys go in small bursts (as a fast typist's do) with the app settling between bursts, so every
key is handled in order but the screen is not redrawn after each one; that keeps the walk cheap.
Leaving a screen (escape, q) is allowed: the walk opens it again and goes on.
"""

from __future__ import annotations

import random
import unicodedata

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from tutor.sim.scenario import load_scenario
from tutor.ui.screens.lab import LabScreen
from tutor.ui.screens.too_small import TooSmallScreen
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.screens.watch import WatchScreen

# The app-wide walk (test_ui_random_keys.py) presses 2,000 keys over every screen, these included;
# this storm adds keys aimed at the pane's controls and form, within the suite's five-minute budget.
PRESSES = 600
SEED = 20260104
BURST = 10
KEYS = [
    *"abcdefghijklmnopqrstuvwxyz0123456789",
    *["space", "s", "b", "r", "e", "t", "p", "c", "1", "2", "3"],  # the simulation's own keys, more often
    *["space", "s", "b", "r", "e", "t", "p", "c", "1", "2", "3"],
    "full_stop",
    "comma",
    "minus",
    "plus",
    "equals_sign",
    "question_mark",
    "enter",
    "escape",
    "tab",
    "shift+tab",
    "backspace",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    "home",
    "end",
    "f1",
    "ctrl+q",
    # Keys arrive faster than a frame here, so the palette is paged before its list is drawn.
    "ctrl+p",
]
SIZES = [(80, 24), (100, 30), (120, 40), (150, 40), (160, 45), (79, 24), (80, 23), (40, 12)]
RESIZE_CHANCE = 0.08


class WalkApp(LambdaTutorApp):
    """The watch screen at the bottom and the lab above it; quitting is counted, not done."""

    quit_requests = 0
    reopened = 0

    async def action_quit(self) -> None:
        self.quit_requests += 1

    def exit(self, *args, **kwargs) -> None:
        # The watch screen closes the app when it is the last screen: count it, stay open.
        self.quit_requests += 1

    def deliver_screenshot(self, *args, **kwargs) -> None:
        return None


def key_event(key: str) -> events.Key:
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        character = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        character = key if len(key) == 1 else None
    return events.Key(key, character)


async def test_random_keys_and_resizes_on_the_lab_and_the_watch_screen_raise_nothing():
    rng = random.Random(SEED)
    app = WalkApp(start=Start.watch(load_scenario("sqs-poison-dlq"), "sqs-poison-dlq"))
    sent = 0
    visited = set()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for half, target in enumerate((LabScreen, WatchScreen)):
            if target is LabScreen:
                await app.push_screen(LabScreen())
            await pilot.pause()
            while sent < PRESSES * (half + 1) // 2:
                if rng.random() < RESIZE_CHANCE:
                    await pilot.resize_terminal(*rng.choice(SIZES))
                else:
                    for key in rng.choices(KEYS, k=BURST):
                        app.post_message(key_event(key))
                        sent += 1
                await pilot.pause()
                assert app.is_running
                screen = app.screen
                visited.add(type(screen).__name__)
                if target is LabScreen and not isinstance(screen, (LabScreen, TooSmallScreen)):
                    # Escape closed the lab (or help opened over it): back to the lab.
                    while len(app.screen_stack) > 2 and not isinstance(app.screen, TooSmallScreen):
                        await app.pop_screen()
                    if not isinstance(app.screen, TooSmallScreen):
                        await app.push_screen(LabScreen())
                        app.reopened += 1
            await pilot.resize_terminal(100, 30)
            await pilot.pause()
    assert app.return_code in (None, 0)
    assert sent >= PRESSES
    assert {"LabScreen", "WatchScreen", "TooSmallScreen"} <= visited
    assert app.quit_requests > 0 and app.reopened > 0, "the walk closed the screens too"
