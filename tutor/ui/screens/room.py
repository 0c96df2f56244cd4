"""`lambda-tutor workshop watch`: the room at a glance, refreshed from the store the server writes.

The store is read on a worker thread every few seconds, so a slow disk never freezes the table;
the table is rebuilt only when what it shows changed. Typing filters by name, left and right
change the column the rows are sorted by, and a ! marks who looks stuck.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place
from tutor.workshop.room import SORT_KEYS, RoomRow, filter_rows, room_rows, sort_rows

if TYPE_CHECKING:
    from tutor.progress.store import ProgressStore

REFRESH_S = 3.0
COLUMNS = (
    "",
    "Learner",
    "Lessons",
    "Module",
    "Quizzes",
    "Exercises (runs)",
    "Hints",
    "Predicted",
    "Last seen",
    "Why stuck",
)


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return moment.astimezone(UTC).strftime("%H:%M UTC")


class RoomScreen(Screen):
    SCREEN_NAME = "room"
    HELP_TITLE = "The room"
    AUTO_FOCUS = "#room-filter"
    DEFAULT_CSS = """
    RoomScreen #room-status { padding: 0 1; height: 1; }
    RoomScreen #room-table { height: 1fr; }
    RoomScreen #room-filter { dock: bottom; margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "sort(1)", "Sort →", id="room.sort-next", priority=True),
        Binding("left", "sort(-1)", "Sort ←", show=False, id="room.sort-previous", priority=True),
        Binding("down", "scroll(1)", "Scroll", show=False, id="room.down"),
        Binding("up", "scroll(-1)", "Scroll", show=False, id="room.up"),
        Binding("escape", "clear_or_quit", "Clear filter / quit", id="room.escape"),
    ]

    def __init__(
        self,
        packs: Sequence[str | Path] = (),
        *,
        store_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        refresh_s: float = REFRESH_S,
    ) -> None:
        super().__init__()
        self.packs = list(packs)
        self.store_path = store_path
        self.clock = clock or (lambda: datetime.now(UTC))
        self.refresh_s = refresh_s
        self.sort_key = "name"
        self.rows: list[RoomRow] = []
        self.table_updates = 0  # how often the table was rebuilt: an unchanged room is not repainted
        self.reads = 0
        self.read_cost_s = 0.0  # the last read's wall time
        self._shown: tuple[Any, ...] | None = None
        self._store: ProgressStore | None = None
        self._course: Any = None
        self._problem = ""

    def compose(self) -> ComposeResult:
        yield Masthead(place("The room"), "reading…")
        yield Static("", id="room-status", markup=False)
        table: DataTable[str] = DataTable(id="room-table", cursor_type="row", zebra_stripes=True)
        table.can_focus = False
        yield table
        yield Input(placeholder="type a name to filter", id="room-filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.read_room()
        self.set_interval(self.refresh_s, self.read_room)

    def on_unmount(self) -> None:
        if self._store is not None:
            self._store.close()

    # Reading, off the UI thread --------------------------------------------------------------

    def read_room(self) -> None:
        self.run_worker(self._read, thread=True, exclusive=True, group="room-read")

    def _read(self) -> None:
        import time

        from tutor.errors import UserError

        started = time.perf_counter()
        try:
            if self._course is None:
                from tutor.content.loader import load_course_or_fail

                self._course = load_course_or_fail(self.packs)
            if self._store is None:
                from tutor.progress.store import open_store

                self._store = open_store(self.store_path)
            rows = room_rows(self._store, self._course, self.clock())
            problem = ""
        except UserError as error:
            rows, problem = self.rows, str(error)
        cost = time.perf_counter() - started
        self.app.call_from_thread(self._take, rows, problem, cost)

    def _take(self, rows: list[RoomRow], problem: str, cost: float) -> None:
        self.rows, self._problem, self.read_cost_s = rows, problem, cost
        self.reads += 1
        self.show()

    # Showing ---------------------------------------------------------------------------------

    def show(self) -> None:
        now = self.clock()
        filter_text = self.query_one(Input).value
        visible = sort_rows(filter_rows(self.rows, filter_text), self.sort_key)
        cells = [self._cells(row, now) for row in visible]
        stuck = sum(1 for row in self.rows if row.stuck)
        status = (
            f"{len(self.rows)} learner{'s' if len(self.rows) != 1 else ''} · {stuck} stuck (!) · "
            f"sorted by {self.sort_key} (← →)"
            + (f" · showing {len(visible)} matching {filter_text.strip()!r}" if filter_text.strip() else "")
        )
        if self._problem:
            status = f"✗ {self._problem}"
        elif not self.rows:
            status = "No learner in this store yet: they appear here as they start."
        shown = (tuple(map(tuple, cells)), status)
        if shown == self._shown:
            return
        self._shown = shown
        self.table_updates += 1
        self.query_one("#room-status", Static).update(status)
        self.query_one(Masthead).show(right=f"updated {now.astimezone(UTC):%H:%M:%S} UTC")
        table = self.query_one(DataTable)
        table.clear()
        for row_cells in cells:
            table.add_row(*row_cells)

    def _cells(self, row: RoomRow, now: datetime) -> list[str]:
        return [
            "!" if row.stuck else "",
            row.profile,
            f"{row.lessons_read}/{row.lessons_total}",
            row.current_module or "·",
            row.quiz_text() or "·",
            f"{row.exercises_passed}/{row.exercises_total} ({row.exercise_runs})",
            str(row.hints_used),
            f"{row.predictions_right}/{row.predictions_made}",
            _ago(row.last_activity, now),
            row.stuck,
        ]

    # Keys --------------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show()

    def action_sort(self, step: int) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + step) % len(SORT_KEYS)]
        self.show()

    def action_scroll(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.cursor_row + step))

    def action_clear_or_quit(self) -> None:
        box = self.query_one(Input)
        if box.value:
            box.value = ""
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()  # opened over the course: back to it
        else:
            self.app.exit()
