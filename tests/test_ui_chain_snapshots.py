"""Pictures of a chain's pane at a fixed simulated time (seeded, no timer): `simulate CHAIN --watch`.

Regenerate after a deliberate change with
`python -m pytest tests/test_ui_chain_snapshots.py --snapshot-update`, then look at the pictures.
"""

from __future__ import annotations

import pytest

from tutor.sim.chain import load_chain
from tutor.ui.app import LambdaTutorApp, Start

SIZES = {"80x24": (80, 24), "160x45": (160, 45)}


async def at_6_seconds(pilot) -> None:
    # At 6 s A has answered every request and B's queue is long: items on both sides of the hop.
    await pilot.pause()
    pane = pilot.app.screen.pane
    pane.player.seek(6)
    pane.player_changed()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_chain_pane_of_api_sqs_dynamodb(snap_compare, size):
    app = LambdaTutorApp(start=Start.watch(load_chain("api-sqs-dynamodb"), "api-sqs-dynamodb"))
    assert snap_compare(app, terminal_size=SIZES[size], run_before=at_6_seconds)
