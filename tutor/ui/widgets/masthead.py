"""The one-line bar at the top of every screen: where you are on the left, progress on the right."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content, ContentText
from textual.widgets import Static


class Masthead(Horizontal):
    def __init__(self, left: ContentText = "", right: ContentText = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._left = left
        self._right = right

    def compose(self) -> ComposeResult:
        yield Static(self._left, id="masthead-left", markup=False)
        yield Static(self._right, id="masthead-right", markup=False)

    def show(self, *, left: ContentText | None = None, right: ContentText | None = None) -> None:
        if left is not None:
            self._left = left
            self.query_one("#masthead-left", Static).update(left)
        if right is not None:
            self._right = right
            self.query_one("#masthead-right", Static).update(right)


def place(*parts: str) -> Content:
    """'lambda-tutor › Module › Lesson' with the app name emphasised."""
    crumbs = [Content.styled("λ lambda-tutor", "bold"), *(Content(part) for part in parts if part)]
    return Content(" › ").join(crumbs)
