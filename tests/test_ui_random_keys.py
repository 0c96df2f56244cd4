"""2,000 seeded random key presses and resizes, spread over every screen, raise no exception.

Every key goes through the app's own key handling and the screen is redrawn after it, as with
`pilot.press`, but without that call's two idle waits per key (20 ms sleeps at least, longer while a
live pane ticks): those were three quarters of the walk's time. The walk settles fully only after
keys that may open or close a screen, so the next key lands on the screen they opened.

A new screen joins by adding one entry to VISITS.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_ui_sim_random_keys import key_event
from textual.command import CommandPalette

from tutor.ui.app import LambdaTutorApp
from tutor.ui.screens import SCREENS

DATA = Path(__file__).parent / "data"
UI_PACK = DATA / "ui-pack"
QUIZ_PACK = DATA / "quizpack"
CATALOGUE_PACK = DATA / "catalogue-pack"

# Every screen to visit, as (registered screen name, parameters); "map" means go home.
VISITS: list[tuple[str, dict]] = [
    ("map", {}),
    ("lesson", {"lesson_id": "ui-short"}),
    ("lesson", {"lesson_id": "ui-queue"}),
    ("help", {}),
    ("problems", {}),
    ("quiz", {"module_id": "quizpack"}),
    ("quiz", {"review": True}),
    ("lab", {}),
    ("exercises", {}),
    ("exercise", {"exercise_id": "ui-small-drain"}),
    ("catalogue", {}),
    ("watch", {"preset": "sqs-lambda"}),
    ("room", {}),
    ("search", {"query": "visibility"}),
    ("glossary", {}),
]

PRESSES = 2000
SEED = 20260101
# Keys that open, close or switch screens cost a screen build each, so they are drawn less often
# than keys that act within a screen; both kinds reach every screen.
SWITCHING_KEYS = [
    "enter",
    "escape",
    "tab",
    "shift+tab",
    "f1",
    "question_mark",
    "ctrl+p",
    "ctrl+q",
    "ctrl+c",
    "n",
    "p",
    "b",
    "c",
    "q",
    "l",
    "r",
    "slash",
    "g",
]
WITHIN_KEYS = [
    *(key for key in "abcdefghijklmnopqrstuvwxyz0123456789" if key not in SWITCHING_KEYS),
    "space",
    "backspace",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    "home",
    "end",
    "shift+up",
    "shift+down",
]
SWITCHING_CHANCE = 0.04
SIZES = [(80, 24), (100, 30), (120, 40), (200, 60), (79, 24), (80, 23), (40, 12), (132, 43)]
RESIZE_CHANCE = 0.01
# Off its screen (help, the palette, another screen, or too small to draw) the walk presses this
# many keys there, then goes back: otherwise a screen left early gets hardly any of its share.
KEYS_AWAY = 40


class KeptOpenApp(LambdaTutorApp):
    """Quitting (q, ctrl+q, the palette's Quit) and screenshots are counted, not done, so the walk goes on."""

    quit_requests = 0

    async def action_quit(self) -> None:
        self.quit_requests += 1

    def deliver_screenshot(self, *args, **kwargs) -> None:
        return None


async def press(pilot, key: str, settle: bool) -> None:
    """`pause(0)` waits until the screen has handled what is queued and redraws it, so a key that
    breaks drawing fails here; a full pause also waits for the app to go idle (a screen opened)."""
    pilot.app.post_message(key_event(key))
    await pilot.pause(None if settle else 0)


async def back_to(pilot, name: str, params: dict) -> None:
    """A drawable size, then the screen itself (going home first closes help and the rest)."""
    app = pilot.app
    if app.size != (100, 30):  # a resize re-lays out every screen on the stack: only when needed
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
    # The palette is closed as a learner closes it: popped from outside while its search worker
    # runs, Textual's palette fails looking for its own list (not a path the app ever takes).
    while isinstance(app.screen, CommandPalette):
        await pilot.press("escape")
    if name == "map":
        await app.go_home()
    else:
        await app.jump_to(name, **params)
    await pilot.pause()


@pytest.fixture(autouse=True)
def ui_pack(monkeypatch):
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)
    monkeypatch.setattr("webbrowser.open", lambda *args, **kwargs: True)


def test_every_registered_screen_is_visited():
    assert {name for name, _ in VISITS} == set(SCREENS)


async def test_random_keys_and_resizes_on_every_screen_raise_nothing():
    rng = random.Random(SEED)
    app = KeptOpenApp(extra_packs=[QUIZ_PACK, CATALOGUE_PACK])
    presses = 0
    async with app.run_test(size=(100, 30)) as pilot:
        for index, (name, params) in enumerate(VISITS):
            await back_to(pilot, name, params)
            share = PRESSES // len(VISITS) + (1 if index < PRESSES % len(VISITS) else 0)
            away = 0
            for _ in range(share):
                draw = rng.random()
                if draw < RESIZE_CHANCE:
                    await pilot.resize_terminal(*rng.choice(SIZES))
                    continue
                switching = draw < RESIZE_CHANCE + SWITCHING_CHANCE
                await press(pilot, rng.choice(SWITCHING_KEYS if switching else WITHIN_KEYS), settle=switching)
                presses += 1
                assert app.is_running, f"the app stopped on the {name} screen"
                away = away + 1 if getattr(app.screen, "SCREEN_NAME", None) != name else 0
                if away >= KEYS_AWAY:
                    away = 0
                    await back_to(pilot, name, params)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
    assert app.return_code in (None, 0)
    assert presses > PRESSES * 0.95
    assert app.quit_requests > 0, "the walk pressed the quit keys too"
