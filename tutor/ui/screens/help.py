"""Help (F1 or ?): the keys of the screen you came from, how the app works, and every screen's keys.

Key lists are built from each registered screen's BINDINGS (plus `HELP_KEYS` for keys its widgets
handle), so a new screen's keys appear here without touching this file. Each list is one Static
rather than Markdown: help opens often, and a widget per list item made it slow.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, ClassVar

from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from rich.table import Table
from textual.screen import Screen
from textual.widgets import Markdown, Static

from tutor.ui.screens import SCREENS, screen_class
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place

if TYPE_CHECKING:
    from tutor.ui.app import LambdaTutorApp

EVERYWHERE = (
    ("ctrl+p", "Command palette: jump to a lesson, a quiz or a glossary term, change the theme"),
    ("/", "Search the course: lessons, explanations, services and the glossary"),
    ("tab / shift+tab", "Move between the parts of a screen"),
    ("ctrl+q", "Quit"),
)


def help_prose() -> str:
    return resources.files("tutor.ui").joinpath("help.md").read_text(encoding="utf-8")


class HelpScreen(Screen):
    AUTO_FOCUS = "#help-scroll"
    SCREEN_NAME = "help"
    HELP_TITLE = "Help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close help", id="help.close"),
        Binding("q", "close", "Close help", show=False, id="help.close-q"),
        # F1 and ? close help too; shadowing the app's keys keeps "f1 Help" out of help's footer.
        Binding("f1,question_mark", "close", "Close help", show=False, id="help.close-f1"),
        Binding("g", "glossary", "Glossary", tooltip="Every term of the course, defined", id="help.glossary"),
    ]

    app: LambdaTutorApp

    def __init__(self, about: Screen | None = None) -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        yield Masthead(place("Help"), "escape closes help")
        with VerticalScroll(id="help-scroll"):
            about_title = getattr(self.about, "HELP_TITLE", None)
            if self.about is not None and about_title:
                yield Static(f"Keys on this screen: {about_title}", classes="help-heading", markup=False)
                yield Static(self.current_keys(self.about), classes="help-keys")
            yield Markdown(help_prose(), id="help-text")
            yield Static("Keys, screen by screen", classes="help-heading")
            for title, keys in self.all_keys():
                yield Static(title, classes="help-subheading", markup=False)
                yield Static(keys, classes="help-keys")
        yield Footer()

    def all_keys(self) -> list[tuple[str, Table]]:
        """(screen title, its keys) for every registered screen, then the keys that work everywhere."""
        sections = []
        for name in SCREENS:
            screen = screen_class(name)
            if name != "help" and getattr(screen, "BINDINGS", None):
                sections.append((getattr(screen, "HELP_TITLE", name), self.screen_keys(screen)))
        sections.append(("Everywhere", self.key_list(self.app.BINDINGS, extra=EVERYWHERE)))
        return sections

    def screen_keys(self, screen: type[Screen]) -> Table:
        """A screen's own bindings plus the keys its widgets handle (`HELP_KEYS`)."""
        return self.key_list(screen.BINDINGS, extra=getattr(screen, "HELP_KEYS", ()))

    def current_keys(self, screen: Screen) -> Table:
        """The keys of the screen help was opened over, as they stand now: a toggle (two bindings
        on one key, one of them in force) is listed once, with its state."""
        in_force = []
        for binding in Binding.make_bindings(type(screen).BINDINGS):
            _, name, parameters = parse(binding.action)
            if screen.check_action(name, parameters) is not False:
                in_force.append(binding)
        return self.key_list(in_force, extra=getattr(screen, "HELP_KEYS", ()))

    def key_list(self, bindings: Iterable[BindingType], extra: Iterable[tuple[str, str]] = ()) -> Table:
        """One row per key: 'b, esc   Back to map'. A toggle (one key, two actions, such as w for
        play and pause) is one row; a description too long for the line wraps under itself."""
        by_action: dict[tuple[str, str], list[str]] = {}
        for binding in Binding.make_bindings(bindings):
            if binding.description and not binding.system:
                # The footer shows the short description; help has room for the tooltip.
                by_action.setdefault((binding.action, binding.tooltip or binding.description), []).append(
                    self.app.get_key_display(binding)
                )
        rows: dict[str, list[str]] = {}
        for (_, description), key_names in by_action.items():
            descriptions = rows.setdefault(", ".join(key_names), [])
            if description not in descriptions:
                descriptions.append(description)
        for extra_keys, description in extra:
            rows.setdefault(extra_keys.replace(" / ", ", "), []).append(description)
        table = Table.grid(padding=(0, 3))
        accent = self.app.get_css_variables().get("text-accent", "")
        table.add_column(no_wrap=True, style=f"bold {accent}".strip())
        table.add_column(overflow="fold")
        for shown_keys, descriptions in rows.items():
            table.add_row(shown_keys, "; or ".join(descriptions))
        return table

    async def action_glossary(self) -> None:
        await self.app.open_screen("glossary")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "glossary":
            return bool(getattr(self.app, "course", None) and self.app.course.glossary)
        return True

    def action_close(self) -> None:
        self.app.pop_screen()
