"""The services catalogue: which AWS service invokes Lambda how, filtered as you type.

Open it with `app.open_screen("catalogue")`. Every row is a `Service` of `course.services`;
enter (or a click on the highlighted row) opens the lesson that covers it. The table keeps one
line per service, so cells are cut with an ellipsis when the terminal is narrow; the pane below
the table shows the highlighted service whole, with its source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style as RichStyle
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place

if TYPE_CHECKING:
    from tutor.content.course import Course, Service
    from tutor.ui.app import LambdaTutorApp


@dataclass(frozen=True)
class ModelLabel:
    symbol: str
    words: str  # what the pane below the table and wide tables say
    short: str  # what a narrow table says

    def full(self) -> str:
        return f"{self.symbol} {self.words}"

    def brief(self) -> str:
        return f"{self.symbol} {self.short}"


# The models of docs/content-format.md, each with a symbol and words so no state rests on colour.
MODEL_LABELS: dict[str, ModelLabel] = {
    "sync": ModelLabel("⇄", "synchronous", "sync"),
    "async": ModelLabel("→", "asynchronous", "async"),
    "poll": ModelLabel("↻", "event source mapping (poll)", "poll (ESM)"),
    "sync-or-async": ModelLabel("±", "sync or async", "sync/async"),
    "other": ModelLabel("◇", "other", "other"),
}


def model_label(model: str) -> ModelLabel:
    return MODEL_LABELS.get(model, ModelLabel("◇", model, model))


# Filtering ----------------------------------------------------------------------------------------

WORD = re.compile(r"[^\W_]+")
# Parts of a run like "EventBridge", "DynamoDB" or "RESPONSE": each is a word start one can type.
CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def query_words(query: str) -> list[str]:
    return [word.lower() for word in WORD.findall(query)]


def searchable_words(texts: Iterable[str]) -> frozenset[str]:
    """Every word of the texts, plus the camel-case parts of each, lower-cased."""
    words: set[str] = set()
    for text in texts:
        for run in WORD.findall(text):
            words.add(run.lower())
            words.update(part.lower() for part in CAMEL_PART.findall(run))
    return frozenset(words)


def service_words(service: Service) -> frozenset[str]:
    label = model_label(service.model)
    texts = (service.name, label.words, label.short, service.model, service.trigger, service.note)
    return searchable_words(texts)


def matches(words: frozenset[str], wanted: Sequence[str]) -> bool:
    """Each typed word must start some word of the service.

    Word starts rather than any substring, so that "sync" finds the synchronous services
    without every asynchronous one too.
    """
    return all(any(word.startswith(part) for word in words) for part in wanted)


# Column widths ------------------------------------------------------------------------------------

CELL_PADDING = 1
COLUMNS = ("service", "model", "trigger", "note", "lesson")
HEADINGS = {
    "service": "Service",
    "model": "Model",
    "trigger": "Triggered by",
    "note": "Note",
    "lesson": "Lesson",
}
SCROLLBAR = 1  # tutor.tcss sets the table's vertical scrollbar to one cell
LESSON_COLUMN_FROM = 110  # table cells: narrower, the lesson title is only in the pane below the table
# Table cells: narrower, the model column says "sync", "poll (ESM)"... Its full words cost 17 cells,
# which at 160 columns left the trigger and the note 21 each.
FULL_MODEL_WORDS_FROM = 190
MIN_WIDTH = 8
# A service's name is what one scans the table for: it keeps this much however narrow the table.
SERVICE_FLOOR = 26


def column_widths(table_width: int, longest: dict[str, int]) -> tuple[dict[str, int], bool]:
    """Cells for each column shown at this table width, and whether the model column has its full words.

    The model column takes what its words need; the others share the rest evenly, none wider than
    its longest text (the service name keeps SERVICE_FLOOR cells first), so the width a wide
    terminal adds goes to whichever columns are still cut; the note takes what is left over. Narrow,
    the lesson column goes, since the pane below the table shows the highlighted service whole.
    """
    columns = COLUMNS if table_width >= LESSON_COLUMN_FROM else COLUMNS[:-1]
    content = max(0, table_width - SCROLLBAR - 2 * CELL_PADDING * len(columns))
    full_words = table_width >= FULL_MODEL_WORDS_FROM
    labels = [model_label(model) for model in MODEL_LABELS]
    model = max(len(label.full() if full_words else label.brief()) for label in labels)
    shared = [key for key in columns if key != "model"]
    floors = {key: min(SERVICE_FLOOR, longest[key]) if key == "service" else MIN_WIDTH for key in shared}

    def widths_at(level: int) -> dict[str, int]:
        return {key: max(floors[key], min(level, longest[key])) for key in shared}

    room = content - model
    level = 0
    while level < room and sum(widths_at(level + 1).values()) <= room:
        level += 1
    widths = widths_at(level)
    widths["note"] += max(0, room - sum(widths.values()))
    widths["model"] = model
    return {key: widths[key] for key in columns}, full_words


def cell(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")


# Widgets ----------------------------------------------------------------------------------------


class ServiceFilter(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.focus_results", "Results", key_display="↓", id="catalogue.results"),
        Binding("enter", "submit", "Open lesson", id="catalogue.open-first"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return self.screen.query_one(ServiceTable).row_count > 0
        return super().check_action(action, parameters)


class ServiceTable(DataTable):
    """The services that pass the filter, one line each, in catalogue order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open lesson", id="catalogue.open"),
    ]

    def __init__(self, course: Course, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, cell_padding=CELL_PADDING, **kwargs)
        self._course = course
        self.shown: list[Service] = []
        self._layout: tuple[dict[str, int], bool] | None = None
        services = course.services
        self._longest = {
            "service": max((len(service.name) for service in services), default=MIN_WIDTH),
            "trigger": max((len(service.trigger) for service in services), default=MIN_WIDTH),
            "lesson": max((len(self._lesson_title(service)) for service in services), default=MIN_WIDTH),
            "note": max((len(service.note) for service in services), default=MIN_WIDTH),
        }

    def _lesson_title(self, service: Service) -> str:
        lesson = self._course.lessons.get(service.lesson)
        return lesson.title if lesson is not None else f"✗ no lesson {service.lesson!r}"

    @property
    def highlighted(self) -> Service | None:
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row]

    def show(self, services: list[Service]) -> None:
        self.shown = services
        self._fill(cursor_row=0)

    def on_resize(self, event: Resize) -> None:
        if column_widths(event.size.width, self._longest) != self._layout:
            self._fill(cursor_row=self.cursor_row)

    def _fill(self, cursor_row: int) -> None:
        """Columns sized for the current width (a DataTable column's width is fixed once added), then rows."""
        layout = column_widths(self.size.width, self._longest)
        widths, full_words = layout
        if layout == self._layout:
            self.clear()
        else:
            self._layout = layout
            self.clear(columns=True)
            for key in widths:
                self.add_column(HEADINGS[key], width=widths[key], key=key)
        for index, service in enumerate(self.shown):
            label = model_label(service.model)
            cells = {
                "service": cell(service.name, "bold"),
                "model": cell(label.full() if full_words else label.brief()),
                "trigger": cell(service.trigger),
                "note": cell(service.note),
                "lesson": cell(self._lesson_title(service)),
            }
            self.add_row(*(cells[key] for key in widths), key=str(index))
        if self.shown:
            self.move_cursor(row=min(cursor_row, len(self.shown) - 1), column=0, scroll=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return self.row_count > 0
        return super().check_action(action, parameters)

    def action_cursor_up(self) -> None:
        # Up from the first row goes back to the filter, the way Down came in.
        if self.cursor_row <= 0:
            self.screen.query_one(ServiceFilter).focus()
        else:
            super().action_cursor_up()


# The screen ---------------------------------------------------------------------------------------

NOTHING_YET = object()


class CatalogueScreen(Screen):
    AUTO_FOCUS = "#catalogue-filter"
    SCREEN_NAME = "catalogue"
    HELP_TITLE = "Services catalogue"
    HELP_KEYS = (
        ("type", "Narrow the list by name, model, trigger or note"),
        ("↓ / ↑", "From the filter into the list and back"),
        ("enter / click", "Open the lesson that covers the service"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", key_display="/", id="catalogue.filter"),
        Binding("escape", "back", "Back", id="catalogue.back"),
    ]

    app: LambdaTutorApp

    def __init__(self, query: str = "", **kwargs) -> None:
        """`query` starts the filter with some text, e.g. a service name."""
        super().__init__(**kwargs)
        self.initial_query = query
        self._searchable: list[tuple[Service, frozenset[str]]] = []
        self._had_rows: bool | None = None
        self._described: object = NOTHING_YET

    def compose(self) -> ComposeResult:
        course = self.app.course
        self._searchable = [(service, service_words(service)) for service in course.services]
        yield Masthead(place("Services catalogue"), "how each AWS service invokes Lambda")
        with Horizontal(id="catalogue-filter-bar"):
            yield Static("Filter", id="catalogue-filter-label")
            yield ServiceFilter(
                self.initial_query,
                placeholder="service, model (sync, async, poll), trigger or note",
                id="catalogue-filter",
                compact=True,
            )
            yield Static("", id="catalogue-count")
        yield ServiceTable(course, id="catalogue-table")
        yield Static("", id="catalogue-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.apply_filter(self.initial_query)

    # Filtering ----------------------------------------------------------------------------------

    @on(Input.Changed, "#catalogue-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    def apply_filter(self, query: str) -> None:
        wanted = query_words(query)
        shown = [service for service, words in self._searchable if matches(words, wanted)]
        table = self.query_one(ServiceTable)
        if self._had_rows is not None and shown == table.shown:
            return  # another letter of a word already matched: nothing on screen changes
        table.show(shown)
        self.query_one("#catalogue-count", Static).update(f"{len(shown)} of {len(self._searchable)} services")
        self._describe()
        # Only going from some rows to none (or back) changes which keys apply; the footer is
        # rebuilt on every refresh, so not on every keystroke.
        if self._had_rows is not None and bool(shown) != self._had_rows:
            self.refresh_bindings()
        self._had_rows = bool(shown)

    # The pane below the table -------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#catalogue-table")
    def _highlighted(self) -> None:
        self._describe()

    def _describe(self) -> None:
        service = self.query_one(ServiceTable).highlighted
        if service is self._described:
            return
        self._described = service
        detail = self.query_one("#catalogue-detail", Static)
        if service is None:
            detail.update(
                "This course has no services catalogue."
                if not self._searchable
                else "No service matches the filter. Each word typed must start a word of a service's "
                "name, model, trigger or note; backspace widens the list again."
            )
            return
        lesson = self.app.course.lessons.get(service.lesson)
        # One widget with a two-column grid, so long values wrap under themselves, not under the labels.
        fields = Table.grid(padding=(0, 1))
        fields.add_column(style="dim", no_wrap=True)
        fields.add_column(overflow="fold")
        model = model_label(service.model).full()
        fields.add_row("Service", Text.assemble((service.name, "bold"), "  ", (model, "bold")))
        fields.add_row("Trigger", service.trigger)
        fields.add_row("Note", service.note)
        fields.add_row(
            "Lesson",
            lesson.title
            if lesson is not None
            else Text(f"✗ {service.lesson!r} is not a lesson of this course", style="bold"),
        )
        fields.add_row("Source", Text(service.source, style=RichStyle(link=service.source, underline=True)))
        detail.update(fields)

    # Actions ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_filter":
            # While typing, "/" is a character of the filter, so the footer does not offer it.
            return not isinstance(self.focused, ServiceFilter)
        if action == "focus_results":
            return self.query_one(ServiceTable).row_count > 0
        return True

    def action_focus_filter(self) -> None:
        self.query_one(ServiceFilter).focus()

    def action_focus_results(self) -> None:
        self.query_one(ServiceTable).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Input.Submitted, "#catalogue-filter")
    async def _filter_submitted(self) -> None:
        await self.open_highlighted()

    @on(DataTable.RowSelected, "#catalogue-table")
    async def _row_selected(self) -> None:
        await self.open_highlighted()

    async def open_highlighted(self) -> None:
        service = self.query_one(ServiceTable).highlighted
        if service is None:
            return
        if service.lesson not in self.app.course.lessons:
            self.notify(
                f"{service.name}: the lesson {service.lesson!r} is not part of this course.",
                title="No lesson",
                severity="warning",
            )
            return
        await self.app.open_screen("lesson", lesson_id=service.lesson)
