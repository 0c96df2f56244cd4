"""Pictures of each model's flow view and of a timeline at a fixed simulated time (seeded, no timer).

Regenerate after a deliberate change with
`python -m pytest tests/test_ui_sim_flow_snapshots.py --snapshot-update`, then look at the pictures.
"""

from __future__ import annotations

import pytest

from tutor.sim.scenario import load_scenario
from tutor.ui.app import LambdaTutorApp, Start

# One preset per model, at a moment when items are spread over its stages.
MOMENTS = {
    "sync-throttled-burst": 0.5,
    "async-retries-destination": 30,
    "sqs-poison-dlq": 12,
    "kinesis-bisect": 3,
}
SIZES = {"80x24": (80, 24), "160x45": (160, 45)}


def showing(seconds: float, keys: tuple[str, ...] = ()):
    async def run_before(pilot) -> None:
        await pilot.pause()
        pane = pilot.app.screen.pane
        pane.player.seek(seconds)
        pane.player_changed()
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


def watch(name: str) -> LambdaTutorApp:
    return LambdaTutorApp(start=Start.watch(load_scenario(name), name))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", MOMENTS)
def test_flow_view(snap_compare, name, size):
    assert snap_compare(watch(name), terminal_size=SIZES[size], run_before=showing(MOMENTS[name]))


@pytest.mark.parametrize("size", SIZES)
def test_timeline_of_async_retries(snap_compare, size):
    app = watch("async-retries-destination")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=showing(150, ("tab", "right")))


@pytest.mark.parametrize("size", SIZES)
def test_flow_view_of_a_throttled_table(snap_compare, size):
    # At 0.5 s the table refuses writes and the SDK's retries wait: the downstream's stage is busy.
    app = watch("async-throttled-table")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=showing(0.5))


@pytest.mark.parametrize("size", SIZES)
def test_timeline_of_stream_batches(snap_compare, size):
    # At 3 s rec-7 is alone after four halvings, waiting for its second retry; shard 0 waits behind it.
    app = watch("kinesis-bisect")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=showing(3, ("tab", "right")))
