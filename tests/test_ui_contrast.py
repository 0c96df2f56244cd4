"""Every text on the course map reads at WCAG 4.5:1 or better in every built-in theme.

The ratio is measured on what the screen draws: each rendered segment's foreground against its
background, as the compositor sends them to the terminal."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import wait_until
from textual.color import Color

from tutor.content.loader import load_course
from tutor.progress.store import QuestionResult
from tutor.ui.app import LambdaTutorApp
from tutor.ui.contrast import MIN_CONTRAST, contrast_ratio, legible

LOADED = load_course()


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio(Color(0, 0, 0), Color(255, 255, 255)) == 21
    assert round(contrast_ratio(Color(0x77, 0x77, 0x77), Color(255, 255, 255)), 2) == 4.48
    # A colour too faint on its background is moved just far enough, keeping its hue.
    nudged = legible(Color(0x83, 0x94, 0x96), [Color(0x07, 0x36, 0x42)])
    assert MIN_CONTRAST <= contrast_ratio(nudged, Color(0x07, 0x36, 0x42)) < 5.5


def with_every_status(app: LambdaTutorApp) -> None:
    """A lesson read, one module's quiz failed and another's passed: every mark the map draws."""
    modules = [module.id for module in app.course.modules]
    first_lesson = app.course.lessons_in(modules[0])[0].id
    app.store.mark_read(app.profile, first_lesson)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    failed = [QuestionResult(f"q{n}", 0, 1, False) for n in range(4)]
    passed = [QuestionResult(f"q{n}", 1, 1, True) for n in range(4)]
    app.store.record_quiz_attempt(app.profile, modules[0], failed, when)
    app.store.record_quiz_attempt(app.profile, modules[1], passed, when)


def text_segments(app: LambdaTutorApp):
    """(row, text, foreground, background) of every drawn segment with a letter or digit in it."""
    update = app.screen._compositor.render_full_update(simplify=True)
    for row, line in enumerate(update.strips):
        for strip in line:
            for segment in strip:
                if segment.style is not None and any(char.isalnum() for char in segment.text):
                    yield row, segment.text, segment.style.color, segment.style.bgcolor


async def test_the_map_reads_at_wcag_aa_in_every_builtin_theme():
    app = LambdaTutorApp(loaded=LOADED)
    lowest: dict[str, float] = {}
    failures: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        with_every_status(app)
        await pilot.pause()
        app.screen.refresh_progress()
        # The cursor on a read lesson: the detail pane shows its mark, the cursor its colours.
        await pilot.press("down")
        await wait_until(
            pilot, lambda: "✓ read" in "".join(text for _, text, _, _ in text_segments(app)), "a read lesson"
        )
        for theme in sorted(app.available_themes):
            app.theme = theme
            await pilot.pause()
            segments = list(text_segments(app))
            assert any("not started" in text for _, text, _, _ in segments)
            assert any("read" in text for _, text, _, _ in segments)
            if theme.startswith("ansi-"):
                # The terminal's own palette draws these themes: no colour of ours may be fixed RGB.
                fixed = [text for _, text, fg, _ in segments if fg is not None and fg.triplet is not None]
                assert not fixed, f"{theme} draws {fixed[:3]} in a fixed colour, not the terminal's"
                continue
            ratios = []
            for row, text, foreground, background in segments:
                assert foreground is not None and background is not None, f"{theme}: {text!r} has no colour"
                fg, bg = foreground.get_truecolor(), background.get_truecolor()
                ratio = contrast_ratio(Color(*fg), Color(*bg))
                ratios.append(ratio)
                if ratio < MIN_CONTRAST:
                    failures.append(
                        f"{theme} row {row}: {text.strip()!r} {ratio:.2f}:1"
                        f" ({foreground.name} on {background.name})"
                    )
            lowest[theme] = min(ratios)
    assert not failures, "text below 4.5:1:\n" + "\n".join(failures[:20])
    assert len(lowest) >= 15, f"only {sorted(lowest)} measured"
    print("lowest contrast per theme:", {theme: round(ratio, 2) for theme, ratio in lowest.items()})
