"""Pictures of a paused simulation pane and of the lab at fixed simulated times (seeded, no timer).

Regenerate after a deliberate change with
`python -m pytest tests/test_ui_sim_snapshots.py --snapshot-update`, then look at the pictures.
"""

from __future__ import annotations


from conftest import LabOnlyApp
from tutor.sim.scenario import load_scenario
from tutor.ui.app import LambdaTutorApp, Start


def showing(moments):
    """Step the screen's player through (simulated time, keys) moments, the timer never running."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        host = pilot.app.screen
        host = getattr(host, "pane", host)
        for seconds, keys in moments:
            host.player.seek(seconds)
            host.player_changed()
            await pilot.pause()
            if keys:
                await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_paused_pane_80x24(snap_compare):
    app = LambdaTutorApp(start=Start.watch(load_scenario("sqs-poison-dlq"), "sqs-poison-dlq"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=showing([(12.5, ())]))


def test_paused_pane_120x40(snap_compare):
    app = LambdaTutorApp(
        start=Start.watch(load_scenario("async-retries-destination"), "async-retries-destination")
    )
    assert snap_compare(app, terminal_size=(120, 40), run_before=showing([(150, ())]))


def test_lab_side_by_side_with_errors_200x50(snap_compare):
    assert snap_compare(LabOnlyApp(), terminal_size=(200, 50), run_before=showing([(20, ("e",)), (240, ())]))


def test_lab_in_tabs_with_throttling_80x24(snap_compare):
    assert snap_compare(
        LabOnlyApp(), terminal_size=(80, 24), run_before=showing([(20, ("t",)), (90, ("3",))])
    )
