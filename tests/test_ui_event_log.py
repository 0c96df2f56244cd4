"""The pane's event log wraps long lines at the width it draws in, scrollbar or not."""

from __future__ import annotations

from textual.app import App, ComposeResult

from conftest import screen_text, wait_until

from tutor.ui.widgets.sim_log import EventLog

WORDS = "throttled writes retried by the SDK until the table accepts them or the invocation fails"


class LogApp(App):
    def compose(self) -> ComposeResult:
        yield EventLog(max_lines=200, id="log")


async def test_wrapped_lines_lose_no_letter_when_the_scrollbar_comes_in():
    app = LogApp()
    async with app.run_test(size=(44, 8)) as pilot:
        log = app.query_one(EventLog)
        # One line first: it fits without a scrollbar and is wrapped at the full width.
        log.write_lines([f"00:01.{0}  {WORDS}"])
        await pilot.pause()
        # Enough lines to bring the scrollbar in, which narrows the room the rows are drawn in.
        log.write_lines([f"00:01.{n}  {WORDS}" for n in range(1, 12)])
        await wait_until(pilot, lambda: log.show_vertical_scrollbar, "the scrollbar")
        await pilot.pause()
        rows = [row.rstrip("▁▂▃▄▅▆▇█▊▋▌▍▎▏ ") for row in screen_text(app).splitlines()]
        text = " ".join(" ".join(rows).split())
        # The last line is in view (the log follows its end): every word of it is shown whole.
        assert f"00:01.11 {WORDS}" in text, rows
