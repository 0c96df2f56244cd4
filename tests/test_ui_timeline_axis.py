"""The timeline's time axis: round ticks, as precise as the span needs, never two alike."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from conftest import screen_text, wait_until

from tutor.sim.scenario import load_scenario
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.widgets.sim_text import TextBlock
from tutor.ui.widgets.sim_timeline import axis_ticks

TICK = re.compile(r"\d\d:\d\d(?::\d\d)?(?:\.\d{1,3})?")


def seconds(label: str) -> float:
    """A tick label back to seconds ("01:02:03.5", "02:03.25", "02:03")."""
    clock, _, fraction = label.partition(".")
    parts = [int(part) for part in clock.split(":")]
    whole = parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1]
    return whole + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


@pytest.mark.parametrize("span", [0.05, 0.3, 0.9, 5, 3600, 86400])
@pytest.mark.parametrize("low", [0.0, 12.34])
@pytest.mark.parametrize("cols", [30, 70, 150])
def test_the_axis_labels_are_distinct_increasing_in_place_and_apart(span, low, cols):
    high = low + span
    ticks = axis_ticks(low, high, cols)
    labels = [label for _, label in ticks]
    # A narrow axis may have room for one label only; a wider one shows the scale.
    assert len(ticks) >= (2 if cols >= 70 else 1), ticks
    assert all(TICK.fullmatch(label) for label in labels), labels
    times = [seconds(label) for label in labels]
    assert all(a < b for a, b in pairwise(times)), f"labels must increase: {labels}"
    assert all(a != b for a, b in pairwise(labels)), labels
    assert low - 1e-9 <= times[0] and times[-1] <= high + 1e-9, (low, high, labels)
    scale = (cols - 1) / span
    for (column, label), t in zip(ticks, times, strict=True):
        # Each label starts at the column of the time it names, and fits in the axis.
        assert abs(column - (t - low) * scale) <= 1, (column, label, t)
        assert column + len(label) <= cols
    for (column, label), (next_column, _) in pairwise(ticks):
        assert column + len(label) < next_column, f"labels run together: {ticks}"


def test_under_a_second_the_labels_carry_the_fraction_the_step_needs():
    assert [label for _, label in axis_ticks(0.0, 0.05, 100)][:3] == ["00:00.00", "00:00.01", "00:00.02"]
    assert [label for _, label in axis_ticks(0.0, 0.9, 100)][:3] == ["00:00.0", "00:00.1", "00:00.2"]
    assert [label for _, label in axis_ticks(0.0, 0.005, 100)][:3] == ["00:00.000", "00:00.001", "00:00.002"]


def test_an_axis_past_an_hour_shows_hours_and_one_in_whole_seconds_does_not():
    assert axis_ticks(0.0, 86400.0, 100)[1][1] == "03:00:00"
    assert axis_ticks(0.0, 600.0, 100)[1][1] == "01:00"


async def test_the_timeline_tab_of_a_run_under_a_second_shows_distinct_tick_labels():
    app = LambdaTutorApp(start=Start.watch(load_scenario("sqs-poison-dlq"), "sqs-poison-dlq"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.pane
        for _ in range(50):
            if pane.player.time >= 0.2:
                break
            await pilot.press("s")
        assert pane.player.time < 1.0, "the view spans under a second"
        await pilot.press("tab", "right")  # the tabs, then the Timeline
        await wait_until(
            pilot, lambda: app.screen.query_one(".timeline-view TextBlock", TextBlock).lines, "lanes"
        )
        axis = app.screen.query_one(".timeline-view TextBlock", TextBlock).lines[1]
        assert axis in screen_text(app)
        labels = TICK.findall(axis)
        assert len(labels) >= 2 and "." in labels[0], axis
        assert len(set(labels)) == len(labels), axis
