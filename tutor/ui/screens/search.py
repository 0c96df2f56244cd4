"""Search (/): the full text of the lessons, the questions' explanations, the services catalogue
and the glossary, as you type; enter jumps to the match.

The index is built in a thread the first time search opens (`tutor.content.search`), so neither
start-up nor the first keystroke waits for it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place

if TYPE_CHECKING:
    from tutor.content.search import Entry, SearchIndex
    from tutor.ui.app import LambdaTutorApp

# How much of a long paragraph a result shows around its first match.
SNIPPET_BEFORE = 30
SNIPPET_LENGTH = 150


def highlighted(text: str, query: str, style: str = "reverse") -> Content:
    """The text with each word that starts with a word of the query styled."""
    from tutor.content.search import words_of

    wanted = words_of(query)
    content = Content(text)
    if not wanted:
        return content
    pattern = re.compile(r"(?<![^\W_])(" + "|".join(re.escape(part) for part in wanted) + r")[^\W_]*", re.I)
    for match in pattern.finditer(text):
        content = content.stylize(style, match.start(), match.end())
    return content


def snippet(text: str, query: str) -> str:
    """The part of a long text around its first match, with ellipses where it was cut."""
    from tutor.content.search import words_of

    lowered = text.lower()
    starts = [lowered.find(part) for part in words_of(query)]
    first = min((start for start in starts if start >= 0), default=0)
    begin = max(0, first - SNIPPET_BEFORE)
    cut = text[begin : begin + SNIPPET_LENGTH]
    return ("…" if begin else "") + cut + ("…" if begin + SNIPPET_LENGTH < len(text) else "")


class SearchInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.focus_results", "Results", key_display="↓", id="search.results"),
        Binding("enter", "screen.open_first", "Open first", id="search.open-first"),
    ]


class SearchResults(OptionList):
    def action_cursor_up(self) -> None:
        # Up from the first result goes back to the query, the way Down came in.
        if not self.highlighted:
            self.screen.query_one(SearchInput).focus()
        else:
            super().action_cursor_up()


class SearchScreen(Screen):
    AUTO_FOCUS = "#search-input"
    SCREEN_NAME = "search"
    HELP_TITLE = "Search"
    HELP_KEYS = (
        ("type", "Search lessons, explanations, services and the glossary; each word starts a word"),
        ("↓ / ↑", "From the query into the results and back"),
        ("enter", "Open the highlighted result at its match"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="search.back"),
    ]

    app: LambdaTutorApp

    def __init__(self, query: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.initial_query = query
        self.index: SearchIndex | None = None
        self.results: list[Entry] = []

    def compose(self) -> ComposeResult:
        yield Masthead(place("Search"), "lessons · explanations · services · glossary")
        yield SearchInput(
            self.initial_query,
            placeholder="words to find, e.g. visibility timeout",
            id="search-input",
            compact=True,
        )
        yield Static("Indexing the course…", id="search-count")
        yield SearchResults(id="search-results")
        yield Footer()

    def on_mount(self) -> None:
        self.build_index()

    @work(thread=True, exclusive=True)
    def build_index(self) -> None:
        from tutor.content.search import search_index

        index = search_index(self.app.course)
        self.app.call_from_thread(self._index_ready, index)

    def _index_ready(self, index: SearchIndex) -> None:
        self.index = index
        self.show_results(self.query_one(SearchInput).value)

    @on(Input.Changed, "#search-input")
    def _query_changed(self, event: Input.Changed) -> None:
        self.show_results(event.value)

    def show_results(self, query: str) -> None:
        if self.index is None:
            return
        self.results = self.index.search(query)
        results = self.query_one(SearchResults)
        results.clear_options()
        for entry in self.results:
            heading = Content.assemble((f"{entry.label} · ", "bold"), (entry.title, "bold $text-accent"))
            body = highlighted(snippet(entry.text, query), query)
            results.add_option(Option(Content("\n").join([heading, body])))
        count = self.query_one("#search-count", Static)
        if not query.strip():
            count.update("Type a few words: each must start a word of what you look for.")
        elif not self.results:
            count.update(f"Nothing matches {query.strip()!r}. Fewer or shorter words find more.")
        else:
            from tutor.content.search import MAX_RESULTS

            first = "the first " if len(self.results) == MAX_RESULTS else ""
            count.update(f"{first}{len(self.results)} matches · ↓ to choose, enter to open")
        if self.results:
            results.highlighted = 0
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("focus_results", "open_first"):
            return bool(self.results)
        return True

    def action_focus_results(self) -> None:
        self.query_one(SearchResults).focus()

    async def action_open_first(self) -> None:
        if self.results:
            await self.open_entry(self.results[0])

    @on(OptionList.OptionSelected, "#search-results")
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        await self.open_entry(self.results[event.option_index])

    async def open_entry(self, entry: Entry) -> None:
        if not entry.screen:
            self.notify("This result belongs to no lesson of the course.", severity="warning")
            return
        params = dict(entry.params)
        if entry.kind == "question":
            # The explanation is read here; the lesson it tests opens at the query's words.
            params["find"] = self.query_one(SearchInput).value
        await self.app.open_screen(entry.screen, **params)

    def action_back(self) -> None:
        self.app.pop_screen()
