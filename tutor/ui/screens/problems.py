"""What is wrong in the content packs, one problem a line, so an instructor can fix their pack."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place

if TYPE_CHECKING:
    from tutor.ui.app import LambdaTutorApp


class ProblemsScreen(Screen):
    AUTO_FOCUS = "#problems-scroll"
    SCREEN_NAME = "problems"
    HELP_TITLE = "Content problems"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back to the course", id="problems.close")
    ]

    app: LambdaTutorApp

    def compose(self) -> ComposeResult:
        problems = self.app.problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        yield Masthead(place("Content problems"), count)
        with VerticalScroll(id="problems-scroll"):
            yield Static(
                "The course opened without the parts below. Fix them, check the pack with "
                "lambda-tutor validate DIR, then restart.",
                id="problems-intro",
                markup=False,
            )
            yield Static("\n".join(f"✗ {problem}" for problem in problems), id="problems-list", markup=False)
        yield Footer()

    def action_close(self) -> None:
        self.app.pop_screen()
