"""Browser sessions (`lambda-tutor serve`) start by asking the learner's name; it becomes the profile.

The name is checked exactly like `--profile` (`tutor.locations.check_profile_name`). Until it is
given, nothing else in the app can be used (no palette, no help over the prompt), so no progress
can land under a placeholder profile.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tutor.errors import UserError
from tutor.locations import check_profile_name

NAME_RULE = "1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"


class ProfilePromptScreen(ModalScreen[str]):
    SCREEN_NAME = "profile-prompt"
    AUTO_FOCUS = "#profile-name"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "nothing", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(id="profile-box"):
            yield Static("Welcome to lambda-tutor", id="profile-title")
            yield Static(
                "What is your name? Your progress is saved under it: use the same name next "
                "time to carry on where you left off.",
                markup=False,
            )
            yield Input(placeholder="your name, e.g. ann", id="profile-name", max_length=32)
            yield Static(f"Allowed: {NAME_RULE}. Then press enter.", id="profile-rule", markup=False)
            yield Static("", id="profile-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#profile-error").display = False

    @on(Input.Submitted, "#profile-name")
    def _submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        error = self.query_one("#profile-error", Static)
        try:
            if not name:
                raise UserError("type your name first")
            check_profile_name(name)
        except UserError as refusal:
            error.update(f"✗ {refusal}")
            error.display = True
            # The refusal repeats the rule; showing both would push the box off a small screen.
            self.query_one("#profile-rule").display = False
            return
        self.dismiss(name)

    def action_nothing(self) -> None:
        """Escape does not skip the question: every session needs a name."""
