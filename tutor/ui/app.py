"""The Textual app: the course map is home; every other screen is opened by name (tutor.ui.screens)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.screen import Screen
from textual.theme import Theme

from tutor.content.cache import load_course_cached
from tutor.content.course import Course, Problem
from tutor.errors import UserError
from tutor.progress.store import ProgressStore, open_store
from tutor.ui.palette import JumpProvider
from tutor.ui.screens import screen_class
from tutor.ui.screens.too_small import TooSmallScreen, too_small
from tutor.ui.textual_fixes import apply as apply_textual_fixes

# While the terminal is too small only these app actions stay available, so no screen opens
# underneath the message.
ACTIONS_WHILE_TOO_SMALL = {"quit", "help_quit"}


class LambdaTutorApp(App[None]):
    # Absolute, because Textual reads a relative CSS_PATH beside the file of the class that runs,
    # which for a subclass (a test's, or `lambda-tutor quiz`'s) is somewhere else.
    CSS_PATH = Path(__file__).parent / "tutor.tcss"
    TITLE = "lambda-tutor"
    # The lesson screen puts the simulation beside the text from 120 columns, below it otherwise.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    COMMANDS: ClassVar[set] = {JumpProvider}  # it lists Textual's own commands after ours
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", key_display="?", show=False, id="app.help-alt"),
    ]

    def __init__(
        self,
        profile: str = "default",
        extra_packs: Sequence[Path | str] = (),
        *,
        store: ProgressStore | None = None,
        loaded: tuple[Course, list[Problem]] | None = None,
    ) -> None:
        """`store` and `loaded` (a `load_course` result) let a caller that already has them skip the work."""
        apply_textual_fixes()
        super().__init__()
        self.profile = profile
        self.extra_packs = list(extra_packs)
        # Both happen before the first frame: a store that cannot open at all is a one-line
        # error on the command line, not a traceback inside the app.
        self.course, self.problems = loaded if loaded is not None else load_course_cached(self.extra_packs)
        self.store = store if store is not None else open_store()
        self._owns_store = store is None  # a store handed in stays open for its owner
        self.course_map: Screen | None = None
        self._too_small_screen: TooSmallScreen | None = None
        self._saved_theme = self.store.get_setting(profile, "theme")

    async def on_mount(self) -> None:
        if self._saved_theme in self.available_themes:
            self.theme = self._saved_theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.course_map = screen_class("map")(classes=self.width_class())
        await self.push_screen(self.course_map)
        if self.store.notice:
            self.notify(self.store.notice, title="Progress store", severity="warning", timeout=20)
        if self.problems:
            count = len(self.problems)
            self.notify(
                f"{count} problem{'s' if count != 1 else ''} in the content; those parts were left out.",
                title="Content problems",
                severity="warning",
                timeout=10,
            )
            await self.open_screen("problems")
        self._check_size(self.size)

    def on_unmount(self) -> None:
        if self._owns_store:
            self.store.close()

    # Opening screens -----------------------------------------------------------------------------

    async def open_screen(self, name: str, **params: Any) -> None:
        """The one way to open a screen. The same kind of screen on top is replaced, not stacked."""
        if self._too_small_screen is not None:
            return
        screen = screen_class(name)(**params)
        # Give the screen its width class now: added after mounting, it would restyle every widget.
        screen.add_class(self.width_class())
        if type(self.screen) is type(screen):
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)

    def width_class(self) -> str:
        return next(name for width, name in reversed(self.HORIZONTAL_BREAKPOINTS) if self.size.width >= width)

    async def go_home(self) -> None:
        while self.screen is not self.course_map and len(self.screen_stack) > 2:
            await self.pop_screen()

    async def jump_to(self, name: str, **params: Any) -> None:
        """From the command palette: back to the map first, so 'back' always leads home."""
        if self._too_small_screen is not None:
            return
        await self.go_home()
        await self.open_screen(name, **params)

    async def action_help(self) -> None:
        if getattr(self.screen, "SCREEN_NAME", None) == "help":
            self.pop_screen()
        else:
            await self.open_screen("help", about=self.screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._too_small_screen is None or action in ACTIONS_WHILE_TOO_SMALL

    # Progress ------------------------------------------------------------------------------------

    def record(self, write: Callable[..., object], *args: Any) -> bool:
        """Run one store write; a failure is shown to the learner, never silently dropped."""
        try:
            write(*args)
        except UserError as error:
            self.notify(str(error), title="Progress not saved", severity="error", timeout=15)
            return False
        return True

    def _remember_theme(self, theme: Theme) -> None:
        if theme.name != self._saved_theme and self.record(
            self.store.set_setting, self.profile, "theme", theme.name
        ):
            self._saved_theme = theme.name

    # The size floor --------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        if self.course_map is not None:
            self._check_size(event.size)

    def _check_size(self, size: Size) -> None:
        if too_small(size):
            if self._too_small_screen is None:
                self._too_small_screen = TooSmallScreen(size)
                self.push_screen(self._too_small_screen)
            else:
                self._too_small_screen.show_size(size)
        elif self._too_small_screen is not None:
            if self.screen is self._too_small_screen:
                self.pop_screen()
            self._too_small_screen = None
