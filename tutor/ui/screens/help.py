"""Help (F1 or ?): the keys of the screen you came from, how the app works, and every screen's keys."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown

from tutor.ui.screens import SCREENS, screen_class
from tutor.ui.widgets.masthead import Masthead, place

if TYPE_CHECKING:
    from tutor.ui.app import LambdaTutorApp


def help_prose() -> str:
    return resources.files("tutor.ui").joinpath("help.md").read_text(encoding="utf-8")


class HelpScreen(Screen):
    AUTO_FOCUS = "#help-scroll"
    SCREEN_NAME = "help"
    HELP_TITLE = "Help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close help", id="help.close"),
        Binding("q", "close", "Close help", show=False, id="help.close-q"),
    ]

    app: LambdaTutorApp

    def __init__(self, about: Screen | None = None) -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        yield Masthead(place("Help"), "escape closes help")
        with VerticalScroll(id="help-scroll"):
            yield Markdown(self.help_markdown(), id="help-text")
        yield Footer()

    def help_markdown(self) -> str:
        parts = []
        about_title = getattr(self.about, "HELP_TITLE", None)
        if self.about is not None and about_title:
            parts.append(f"# Keys on this screen: {about_title}\n\n" + self.screen_keys(type(self.about)))
        parts.append(help_prose())
        parts.append("# Keys, screen by screen")
        for name in SCREENS:
            screen = screen_class(name)
            if name == "help" or not getattr(screen, "BINDINGS", None):
                continue
            parts.append(f"## {getattr(screen, 'HELP_TITLE', name)}\n\n" + self.screen_keys(screen))
        parts.append("## Everywhere\n\n" + self.key_table(self.app.BINDINGS, extra=self._everywhere()))
        return "\n\n".join(parts) + "\n"

    def _everywhere(self) -> list[tuple[str, str]]:
        return [
            ("ctrl+p", "Command palette: jump to a lesson, change the theme"),
            ("tab / shift+tab", "Move between the parts of a screen"),
            ("ctrl+q", "Quit"),
        ]

    def screen_keys(self, screen: type[Screen]) -> str:
        """A screen's own bindings plus the keys its widgets handle (`HELP_KEYS`)."""
        return self.key_table(screen.BINDINGS, extra=getattr(screen, "HELP_KEYS", ()))

    def key_table(self, bindings: Iterable[BindingType], extra: Iterable[tuple[str, str]] = ()) -> str:
        """One line per action with all its keys: '- `b` `escape` Back to map'."""
        rows: dict[str, tuple[list[str], str]] = {}
        for binding in Binding.make_bindings(bindings):
            if not binding.description or binding.system:
                continue
            keys, _ = rows.setdefault(binding.action, ([], binding.description))
            keys.append(self.app.get_key_display(binding))
        lines = [(keys, description) for keys, description in rows.values()]
        lines += [(keys.split(" / "), description) for keys, description in extra]
        return "\n".join(f"- {' '.join(f'`{key}`' for key in keys)}  {text}" for keys, text in lines)

    def action_close(self) -> None:
        self.app.pop_screen()
