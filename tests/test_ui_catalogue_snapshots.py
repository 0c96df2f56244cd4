"""Pictures of the services catalogue at 80x24 and 120x40.

They use the frozen pack in tests/data/catalogue-pack, so the built-in catalogue can grow without
touching these baselines. Update them with `pytest tests/test_ui_catalogue_snapshots.py
--snapshot-update` after checking the new pictures (report.html) by eye.
"""

from test_ui_catalogue import catalogue_app, open_catalogue


def test_the_whole_list_at_80_columns(snap_compare):
    async def run_before(pilot):
        await open_catalogue(pilot)
        await pilot.press("down", "down", "down")  # a long name, cut in the table, whole below it
        await pilot.pause()

    assert snap_compare(catalogue_app(), terminal_size=(80, 24), run_before=run_before)


def test_the_poll_services_at_120_columns(snap_compare):
    async def run_before(pilot):
        await open_catalogue(pilot, "poll")
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(catalogue_app(), terminal_size=(120, 40), run_before=run_before)
