"""The one-line bar at the top of every screen: where you are on the left, progress on the right,
and whose progress it is at the far right (the learner's name, once there is one)."""

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
        # The app says whose progress this is (LambdaTutorApp.masthead_name); a screen alone has no one.
        who = getattr(self.app, "masthead_name", "")
        yield Static(who, id="masthead-who", markup=False)

    def on_mount(self) -> None:
        self.query_one("#masthead-who").display = bool(self.query_one("#masthead-who", Static).content)

    def show(
        self,
        *,
        left: ContentText | None = None,
        right: ContentText | None = None,
        who: str | None = None,
    ) -> None:
        if left is not None:
            self._left = left
            self.query_one("#masthead-left", Static).update(left)
        if right is not None:
            self._right = right
            self.query_one("#masthead-right", Static).update(right)
        if who is not None:
            shown = self.query_one("#masthead-who", Static)
            shown.update(who)
            shown.display = bool(who)


def place(*parts: str) -> Content:
    """'lambda-tutor › Module › Lesson' with the app name emphasised."""
    crumbs = [Content.styled("λ lambda-tutor", "bold"), *(Content(part) for part in parts if part)]
    return Content(" › ").join(crumbs)
