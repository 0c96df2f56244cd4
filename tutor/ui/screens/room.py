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
from tutor.workshop.room import SORT_KEYS, RoomRow, filter_rows, read_room, room_rows, sort_rows

if TYPE_CHECKING:
    from tutor.progress.store import ProgressStore

REFRESH_S = 3.0
# Everything, one row per learner, when the screen is wide enough for it (about 150 columns).
WIDE_COLUMNS = (
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
# Otherwise what tells who needs a look, in 76 columns; the selected learner's details go below.
NARROW_COLUMNS = ("", "Learner", "Lessons", "Module", "Quiz", "Ex (runs)", "Seen", "Stuck")
NARROW_NAME = 14  # a longer name is cut with … (the line below the table shows it whole)
# DataTable pads each cell by one column either side; the vertical scrollbar takes two more.
CELL_PADDING = 2
SCROLLBAR = 2


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _ago_short(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    return moment.astimezone(UTC).strftime("%H:%M")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def wide_cells(row: RoomRow, now: datetime) -> list[str]:
    return [
        "!" if row.stuck else "",
        row.profile,
        f"{row.lessons_read}/{row.lessons_total}",
        row.current_module or "·",
        row.quiz_text() or "·",
        f"{row.exercises_passed}/{row.exercises_total} ({row.exercise_runs})",
        str(row.hints_used),
        f"{row.predictions_right}/{row.predictions_made}",
        _seen(row, now, _ago),
        row.stuck,
    ]


def narrow_cells(row: RoomRow, now: datetime) -> list[str]:
    return [
        "!" if row.stuck else "",
        _cut(row.profile, NARROW_NAME),
        f"{row.lessons_read}/{row.lessons_total}",
        row.current_module or "·",
        f"{len(row.quiz_best)}/{row.modules_total}",
        f"{row.exercises_passed}/{row.exercises_total} ({row.exercise_runs})",
        _seen(row, now, _ago_short),
        row.stuck_mark,
    ]


def _seen(row: RoomRow, now: datetime, ago: Callable[[datetime | None, datetime], str]) -> str:
    if row.last_activity is None and row.joined_at is not None:
        return "joined " + ago(row.joined_at, now).removesuffix(" ago")
    return ago(row.last_activity, now)


def detail_line(row: RoomRow, now: datetime) -> str:
    """Everything about one learner, for the line under the narrow table."""
    parts = [
        row.profile + (f" ! {row.stuck}" if row.stuck else ""),
        f"lessons {row.lessons_read}/{row.lessons_total}"
        + (f" (in {row.current_module})" if row.current_module else ""),
        f"quizzes {row.quiz_text() or 'none yet'}",
        f"exercises {row.exercises_passed}/{row.exercises_total} passed, {row.exercise_runs} runs",
        f"hints {row.hints_used}",
        f"predicted {row.predictions_right}/{row.predictions_made}",
        f"seen {_seen(row, now, _ago)}",
    ]
    return " · ".join(parts)


def table_width(columns: Sequence[str], cells: list[list[str]]) -> int:
    """The columns a DataTable needs to show these cells without scrolling sideways."""
    widths = [len(title) for title in columns]
    for row_cells in cells:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row_cells, strict=True)]
    return sum(width + CELL_PADDING for width in widths) + SCROLLBAR


class RoomScreen(Screen):
    SCREEN_NAME = "room"
    HELP_TITLE = "The room"
    AUTO_FOCUS = "#room-filter"
    DEFAULT_CSS = """
    RoomScreen #room-status { padding: 0 1; height: 1; }
    RoomScreen #room-table { height: 1fr; }
    RoomScreen #room-detail { padding: 0 1; height: auto; max-height: 3; }
    RoomScreen #room-filter { dock: bottom; margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # One footer entry for the pair: "← → Sort".
        Binding("right", "sort(1)", "Sort", key_display="← →", id="room.sort-next", priority=True),
        Binding("left", "sort(-1)", "Sort", show=False, id="room.sort-previous", priority=True),
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
        self.shown_rows: list[RoomRow] = []  # the rows shown, in the order shown
        self.not_joined: list[str] = []
        self._columns: tuple[str, ...] = ()
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
        yield Static("", id="room-detail", markup=False)
        yield Input(placeholder="type a name to filter", id="room-filter")
        yield Footer()

    def on_mount(self) -> None:
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
            if self._store is not None and self._store.replaced():
                # `workshop reset` renamed the SQLite file aside; this connection still reads it.
                self._store.close()
                self._store = None
            if self._store is None:
                from tutor.progress.store import open_store

                self._store = open_store(self.store_path)
            room = read_room(self._store)
            rows = room_rows(self._store, self._course, self.clock(), room.learners)
            not_joined, problem = room.not_joined, ""
        except UserError as error:
            rows, not_joined, problem = self.rows, self.not_joined, str(error)
        cost = time.perf_counter() - started
        self.app.call_from_thread(self._take, rows, not_joined, problem, cost)

    def _take(self, rows: list[RoomRow], not_joined: list[str], problem: str, cost: float) -> None:
        self.rows, self.not_joined, self._problem, self.read_cost_s = rows, not_joined, problem, cost
        self.reads += 1
        self.show()

    # Showing ---------------------------------------------------------------------------------

    def show(self, *, force: bool = False) -> None:
        now = self.clock()
        filter_text = self.query_one(Input).value
        # The cursor stays on its learner when the rows are re-sorted, filtered or refreshed.
        cursor = self.query_one(DataTable).cursor_row
        selected = self.shown_rows[cursor].profile if 0 <= cursor < len(self.shown_rows) else None
        self.shown_rows = sort_rows(filter_rows(self.rows, filter_text), self.sort_key)
        columns: Sequence[str] = WIDE_COLUMNS
        cells = [wide_cells(row, now) for row in self.shown_rows]
        if table_width(WIDE_COLUMNS, cells) > self.size.width:
            columns, cells = NARROW_COLUMNS, [narrow_cells(row, now) for row in self.shown_rows]
        stuck = sum(1 for row in self.rows if row.stuck)
        status = (
            f"{len(self.rows)} learner{'s' if len(self.rows) != 1 else ''} · {stuck} stuck (!) · "
            f"sorted by {self.sort_key} (← →)"
            + (
                f" · showing {len(self.shown_rows)} matching {filter_text.strip()!r}"
                if filter_text.strip()
                else ""
            )
        )
        if self._problem:
            status = f"✗ {self._problem}"
        elif not self.rows:
            status = "No learner in this store yet: they appear here as they join."
        if self.not_joined and not self._problem:
            status += f" · not joined yet: {', '.join(self.not_joined)}"
        shown = (tuple(columns), tuple(map(tuple, cells)), status)
        if shown == self._shown and not force:
            self._show_detail(now)
            return
        self._shown = shown
        self.table_updates += 1
        self.query_one("#room-status", Static).update(status)
        self.query_one(Masthead).show(right=f"updated {now.astimezone(UTC):%H:%M:%S} UTC")
        table = self.query_one(DataTable)
        if tuple(columns) != self._columns:
            table.clear(columns=True)
            table.add_columns(*columns)
            self._columns = tuple(columns)
        else:
            table.clear()
        for row_cells in cells:
            table.add_row(*row_cells)
        names = [row.profile for row in self.shown_rows]
        if selected in names:
            table.move_cursor(row=names.index(selected))
        self._show_detail(now)

    def _show_detail(self, now: datetime) -> None:
        """The selected learner in full, under a table too narrow to show everything."""
        detail = self.query_one("#room-detail", Static)
        table = self.query_one(DataTable)
        if self._columns == NARROW_COLUMNS and 0 <= table.cursor_row < len(self.shown_rows):
            detail.update(detail_line(self.shown_rows[table.cursor_row], now))
            detail.display = True
        else:
            detail.display = False

    def on_resize(self) -> None:
        if self.is_mounted and self.reads:
            self.show(force=True)

    # Keys --------------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show()

    def action_sort(self, step: int) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + step) % len(SORT_KEYS)]
        self.show()

    def action_scroll(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.cursor_row + step))
        self._show_detail(self.clock())

    def action_clear_or_quit(self) -> None:
        box = self.query_one(Input)
        if box.value:
            box.value = ""
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()  # opened over the course: back to it
        else:
            self.app.exit()
