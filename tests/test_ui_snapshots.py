"""Pictures of the course map and a lesson at 80x24 and 120x40, from a frozen test pack.

Regenerate after a deliberate change with
`python -m pytest tests/test_ui_snapshots.py --snapshot-update`, then look at the pictures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tutor.progress.store import QuestionResult, open_store
from tutor.ui.app import LambdaTutorApp

UI_PACK = Path(__file__).parent / "data" / "ui-pack"


@pytest.fixture(autouse=True)
def ui_pack(monkeypatch):
    monkeypatch.setattr("tutor.locations.builtin_content_dir", lambda: UI_PACK)


def some_progress() -> None:
    """One lesson read, one module quiz passed, the last lesson opened."""
    with open_store() as store:
        store.mark_read("default", "ui-short")
        store.set_last_lesson("default", "ui-long")
        results = [QuestionResult(f"q{n}", 1, 1, True) for n in range(4)] + [
            QuestionResult("q9", 0, 1, False)
        ]
        store.record_quiz_attempt("default", "basics", results, datetime(2026, 1, 1, tzinfo=UTC))


def opening(lesson_id: str):
    async def run_before(pilot) -> None:
        await pilot.app.open_screen("lesson", lesson_id=lesson_id)
        await pilot.pause()

    return run_before


def test_course_map_80x24_before_any_progress(snap_compare):
    assert snap_compare(LambdaTutorApp(), terminal_size=(80, 24))


def test_course_map_120x40_with_progress(snap_compare):
    some_progress()
    assert snap_compare(LambdaTutorApp(), terminal_size=(120, 40), press=["down"])


def test_long_lesson_80x24_not_yet_read(snap_compare):
    assert snap_compare(LambdaTutorApp(), terminal_size=(80, 24), run_before=opening("ui-long"))


def test_short_lesson_120x40_counted_as_read(snap_compare):
    # A lesson without a scenario, so the picture does not change with the simulation pane's look.
    assert snap_compare(LambdaTutorApp(), terminal_size=(120, 40), run_before=opening("ui-short"))


def test_too_small_terminal(snap_compare):
    assert snap_compare(LambdaTutorApp(), terminal_size=(60, 20))


def test_course_map_80x24_light_theme_with_progress(snap_compare):
    # textual-light: every status word in the theme's colours, made legible (tutor/ui/contrast.py).
    some_progress()

    async def light(pilot) -> None:
        pilot.app.theme = "textual-light"
        await pilot.pause()

    assert snap_compare(LambdaTutorApp(), terminal_size=(80, 24), run_before=light)


def test_help_over_the_map_80x24(snap_compare):
    # One row per key at 80 columns; the map's Start/Continue toggle once, as it stands now.
    assert snap_compare(LambdaTutorApp(), terminal_size=(80, 24), press=["f1"])


def test_course_map_80x24_with_an_instructor_pack_first(snap_compare):
    # The pack's module under its own title, before the (here: test) course's under its title.
    sample = Path(__file__).resolve().parent.parent / "examples" / "workshop-pack"
    assert snap_compare(LambdaTutorApp(extra_packs=[sample]), terminal_size=(80, 24))
