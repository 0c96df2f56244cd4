"""The Textual app: the course map is home; every other screen is opened by name (tutor.ui.screens).

Every command opens this one app; `Start` says what it opens on: the course map (`lambda-tutor`),
the map with a quiz or the lab on top, the map under the name prompt (a browser session), or one
simulation alone (`simulate --watch`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import App
from textual.screen import Screen
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.theme import Theme

from tutor.content.cache import load_course_cached
from tutor.content.course import Course, Problem
from tutor.errors import UserError
from tutor.progress.store import ProgressStore, open_store
from tutor.ui.palette import JumpProvider
from tutor.ui.screens import screen_class
from tutor.ui.screens.too_small import TooSmallScreen, too_small
from tutor.ui.textual_fixes import apply as apply_textual_fixes

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widgets import Input, Select

    from tutor.ui.screens.course_map import CourseMapScreen

# While the terminal is too small only these app actions stay available, so no screen opens
# underneath the message.
ACTIONS_WHILE_TOO_SMALL = {"quit", "help_quit"}
# A browser tab's token brings its learner back for a working day, not for ever.
RESUME_LIFETIME = timedelta(hours=12)
# The screens a dropped browser session reopens, and what each is opened with.
RESUMABLE_SCREENS = ("map", "lesson", "quiz", "exercises", "exercise", "lab", "catalogue")
# Typing in an exercise's boxes is saved once it pauses this long, not at every key.
VALUES_SAVE_DELAY_S = 0.5
# The masthead shows the learner's name, cut to this many characters, so the place keeps its room.
MASTHEAD_NAME_WIDTH = 16


@dataclass(frozen=True)
class Start:
    """What the app opens on. By default the course map alone.

    `screen` (a name in `tutor.ui.screens.SCREENS`, opened with `params`) goes on top of the map
    once the terminal is large enough, so escape leaves it for the map. `ask_name` puts the name
    prompt over the map first (a browser session: the name becomes the profile); `roster` lets only
    the workshop roster's names in; `resume_token` (the browser tab's) brings back the learner who
    last logged in with it, on the screen they were on. `alone` opens the screen by itself instead
    of the map, without loading the course or the progress store.
    """

    screen: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    ask_name: bool = False
    alone: bool = False
    roster: bool = False
    # The browser tab's token (`lambda-tutor serve` passes it on every reconnect of the same tab).
    resume_token: str | None = None

    @classmethod
    def quiz(
        cls,
        module_id: str | None = None,
        *,
        review: bool = False,
        every_question: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> Start:
        """`lambda-tutor quiz`: a module's quiz (the first module's by default; drawn, or every
        question with `every_question`) or the due review."""
        return cls(
            "quiz",
            {"module_id": module_id, "review": review, "every_question": every_question, "clock": clock},
        )

    @classmethod
    def lab(cls, **options: Any) -> Start:
        """`lambda-tutor lab`; `options` are `LabScreen`'s (speed, load, seed, clock)."""
        return cls("lab", options)

    @classmethod
    def served(cls, *, roster: bool = False, resume_token: str | None = None) -> Start:
        """`lambda-tutor serve`: every browser session starts with the learner logging in, unless
        its tab's `resume_token` was bound to a learner in the last 12 hours."""
        return cls(ask_name=True, roster=roster, resume_token=resume_token or None)

    @property
    def in_browser(self) -> bool:
        """Served by `lambda-tutor serve`: only a browser session starts by asking for the name."""
        return self.ask_name

    @classmethod
    def watch(cls, scenario: Any, name: str = "", *, speed: float | None = None) -> Start:
        """`lambda-tutor simulate PRESET --watch`: one simulation pane, full screen, and nothing else."""
        return cls("watch", {"scenario": scenario, "name": name, "speed": speed}, alone=True)

    @classmethod
    def room(cls, **options: Any) -> Start:
        """`lambda-tutor workshop watch`: the room's learners, alone; `options` are `RoomScreen`'s."""
        return cls("room", options, alone=True)


COURSE_MAP = Start()


class LambdaTutorApp(App[None]):
    # Absolute, because Textual reads a relative CSS_PATH beside the file of the class that runs,
    # which for a test's subclass is somewhere else.
    CSS_PATH = Path(__file__).parent / "tutor.tcss"
    TITLE = "lambda-tutor"
    # The lesson screen puts the simulation beside the text from 120 columns, below it otherwise.
    # Textual annotates this `ClassVar[...] | None`, which mypy takes for an instance variable.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]  # type: ignore[misc]
    COMMANDS: ClassVar[set] = {JumpProvider}  # it lists Textual's own commands after ours
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", key_display="?", show=False, id="app.help-alt"),
        # A screen with its own "/" (the catalogue's filter) keeps it; typing in a field types it.
        Binding("slash", "search", "Search the course", key_display="/", show=False, id="app.search"),
    ]

    def get_css_variables(self) -> dict[str, str]:
        from tutor.ui.contrast import legible_variables

        return legible_variables(super().get_css_variables())

    def __init__(
        self,
        profile: str = "default",
        extra_packs: Sequence[Path | str] = (),
        *,
        store: ProgressStore | None = None,
        loaded: tuple[Course, list[Problem]] | None = None,
        start: Start = COURSE_MAP,
    ) -> None:
        """`store` and `loaded` (a `load_course` result) let a caller that already has them skip the work."""
        apply_textual_fixes()
        super().__init__()
        self.profile = profile
        self.extra_packs = list(extra_packs)
        self.start = start
        self._course: Course | None = None
        self._store: ProgressStore | None = None
        self.problems: list[Problem] = []
        self._owns_store = store is None  # a store handed in stays open for its owner
        self._saved_theme: str | None = None
        if not start.alone:
            # Both happen before the first frame: a store that cannot open at all is a one-line
            # error on the command line, not a traceback inside the app.
            self._course, self.problems = (
                loaded if loaded is not None else load_course_cached(self.extra_packs)
            )
            self._store = store if store is not None else open_store()
            if not start.ask_name:
                # 'ANN' on the command line is ann, with ann's progress; a new name is kept as typed.
                self.profile = self._store.known_profile(profile) or profile
            self._saved_theme = self._store.get_setting(self.profile, "theme")
        self.course_map: CourseMapScreen | None = None
        # The bottom screen (the map, or the screen started alone) is up: resizes now matter.
        self._home_up = False
        self._start_pending = (start.screen is not None and not start.alone) or start.ask_name
        self.named = not start.ask_name  # a browser session has no profile until the learner names one
        self._too_small_screen: TooSmallScreen | None = None
        # A browser tab's resume token, hashed, once its learner is in; where the tab is is kept under it.
        self._resume_key: str | None = None
        self._place: dict[str, Any] | None = None
        self._values_timer: Timer | None = None

    @property
    def course(self) -> Course:
        if self._course is None:
            # AttributeError, so `getattr(app, "course", None)` answers None for an app started alone.
            raise AttributeError("this app was started alone, without the course")
        return self._course

    @property
    def store(self) -> ProgressStore:
        if self._store is None:
            raise AttributeError("this app was started alone, without the progress store")
        return self._store

    async def on_mount(self) -> None:
        if self.start.alone and self.start.screen is not None:
            await self.open_screen(self.start.screen, **self.start.params)
        else:
            await self._open_map()
        self._home_up = True
        self._check_size(self.size)
        # Queued, so that the map (and the problems screen) are in place before the start screen.
        self.call_later(self._open_start)

    async def _open_map(self) -> None:
        if self._saved_theme in self.available_themes:
            self.theme = self._saved_theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        # A screen started over the map (not the name prompt, a dialog the map shows through) covers
        # it from the first frame: the map fills itself in only once uncovered.
        covered = self._start_pending and not self.start.ask_name
        map_class = cast("type[CourseMapScreen]", screen_class("map"))
        self.course_map = map_class(covered=covered, classes=self.width_class())
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

    async def _open_start(self) -> None:
        """The screen the app was started on, over the map; below the size floor, once it lifts."""
        if not self._start_pending or self._too_small_screen is not None:
            return
        self._start_pending = False
        if self.start.ask_name:
            if await self._resume():
                return
            # Only browser sessions ask a name: the terminal app never imports the prompt.
            from tutor.ui.screens.profile_prompt import ProfilePromptScreen

            await self.push_screen(ProfilePromptScreen(roster=self.start.roster), callback=self.use_profile)
        elif self.start.screen is not None:
            await self.open_screen(self.start.screen, **self.start.params)

    def on_unmount(self) -> None:
        if self._owns_store and self._store is not None:
            self._store.close()

    # Opening screens -----------------------------------------------------------------------------

    async def open_screen(self, name: str, /, **params: Any) -> None:
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

    async def jump_to(self, name: str, /, **params: Any) -> None:
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

    async def action_search(self) -> None:
        if getattr(self.screen, "SCREEN_NAME", None) != "search":
            await self.open_screen("search")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search" and getattr(self, "_course", None) is None:
            return False  # started alone (simulate --watch): there is no course to search
        if not self.named:
            # Before the login only quitting, and tab between the prompt's boxes (the PIN twice).
            return action in ("quit", "focus_next", "focus_previous")
        return self._too_small_screen is None or action in ACTIONS_WHILE_TOO_SMALL

    # Progress ------------------------------------------------------------------------------------

    def use_profile(self, name: str | None) -> None:
        """A browser session's learner logged in: from now on their progress and theme; the tab's
        resume token now brings them back."""
        if not name:
            return
        self.profile = name
        self.named = True
        self._saved_theme = self.store.get_setting(name, "theme")
        if self._saved_theme in self.available_themes:
            self.theme = self._saved_theme
        self.sub_title = name
        self._show_learner()
        if self.course_map is not None and self.course_map.is_attached:
            self.course_map.refresh_progress()
        if self.start.resume_token and self._resume_key is None:
            from tutor.progress.credentials import token_hash

            key = token_hash(self.start.resume_token)
            bind = partial(self.store.bind_resume_token, lifetime=RESUME_LIFETIME)
            if self.record(bind, key, name):
                self._follow_places(key)

    @property
    def masthead_name(self) -> str:
        """Whose progress this is, for the masthead; nothing for the terminal's unnamed default."""
        if not self.named or self.profile == "default":
            return ""
        if len(self.profile) <= MASTHEAD_NAME_WIDTH:
            return self.profile
        return self.profile[: MASTHEAD_NAME_WIDTH - 1] + "…"

    def _show_learner(self) -> None:
        from tutor.ui.widgets.masthead import Masthead

        for screen in self.screen_stack:
            for masthead in screen.query(Masthead):
                masthead.show(who=self.masthead_name)

    # Resuming a dropped browser session ----------------------------------------------------------------

    async def _resume(self) -> bool:
        """A tab whose token is bound to a learner comes back as them, where it was; else False."""
        if not self.start.resume_token:
            return False
        from tutor.progress.credentials import token_hash

        key = token_hash(self.start.resume_token)
        try:
            found = self.store.resume_session(key, lifetime=RESUME_LIFETIME)
        except UserError:  # an unreadable store: the learner logs in as if the token were new
            return False
        if found is None:
            return False
        profile, place = found
        self._resume_key = key
        self.use_profile(profile)
        if place is not None:
            await self._reopen(place)
        self._follow_places(key)
        return True

    async def _reopen(self, place: Mapping[str, Any]) -> None:
        name = place.get("screen")
        params = place.get("params") or {}
        if name not in RESUMABLE_SCREENS or name == "map" or not isinstance(params, dict):
            return
        if name == "quiz":
            # Straight back into the quiz left open, through the kept quiz, not to the start choice.
            params = {**params, "resume_kept": True}
        try:
            await self.open_screen(name, **params)
        except (UserError, KeyError, TypeError):  # the course changed since: the map is the place
            return
        values = place.get("values")
        if name == "exercise" and isinstance(values, dict):
            self._restore_values(values)

    def _follow_places(self, key: str) -> None:
        self._resume_key = key
        self.screen_change_signal.subscribe(self, self._screen_changed)
        self._screen_changed(self.screen)

    def _screen_changed(self, screen: Screen) -> None:
        place = self._place_of(screen)
        if place is None or place == self._place:
            return
        if place["screen"] == "exercise":
            for entry in _value_entries(screen).values():
                self.watch(entry, "value", self._values_changed, init=False)
        self._save_place(place)

    def _place_of(self, screen: Screen) -> dict[str, Any] | None:
        name = getattr(screen, "SCREEN_NAME", None)
        if name not in RESUMABLE_SCREENS:
            return None  # help, the prompt, the size notice: the place stays the screen below
        params: dict[str, Any] = {}
        place: dict[str, Any] = {"screen": name, "params": params}
        if name == "lesson":
            params["lesson_id"] = screen.lesson.id  # type: ignore[attr-defined]  # a LessonScreen
        elif name == "quiz":
            for option in ("module_id", "review", "every_question"):
                params[option] = getattr(screen, option)
        elif name == "exercise":
            params["exercise_id"] = screen.exercise.id  # type: ignore[attr-defined]  # an ExerciseScreen
            place["values"] = self._typed_values(screen)
        return place

    @staticmethod
    def _typed_values(screen: Screen) -> dict[str, Any]:
        """What is in an exercise's boxes: each parameter's text or choice, and the prediction."""
        from textual.widgets import Select

        return {
            key: entry.value
            for key, entry in _value_entries(screen).items()
            if entry.value is not Select.NULL
        }

    def _restore_values(self, values: Mapping[str, Any]) -> None:
        from textual.widgets import Input
        from textual.widgets.select import InvalidSelectValueError

        for key, entry in _value_entries(self.screen).items():
            if key not in values:
                continue
            if isinstance(entry, Input):
                entry.value = str(values[key])
            else:
                # A choice the exercise no longer offers is left at its start.
                with contextlib.suppress(InvalidSelectValueError):
                    entry.value = values[key]

    def _values_changed(self) -> None:
        if self._values_timer is None:
            self._values_timer = self.set_timer(VALUES_SAVE_DELAY_S, self._save_values)

    def _save_values(self) -> None:
        self._values_timer = None
        place = self._place_of(self.screen)
        if place is not None and place != self._place:
            self._save_place(place)

    def _save_place(self, place: dict[str, Any]) -> None:
        if self._resume_key is not None and self.record(self.store.set_resume_place, self._resume_key, place):
            self._place = place

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
        if self._home_up:
            self._check_size(event.size)

    def _check_size(self, size: Size) -> None:
        if too_small(size):
            if self._too_small_screen is None:
                self._too_small_screen = TooSmallScreen(size, in_browser=self.start.in_browser)
                self.push_screen(self._too_small_screen)
            else:
                self._too_small_screen.show_size(size)
        elif self._too_small_screen is not None:
            if self.screen is self._too_small_screen:
                self.pop_screen()
            self._too_small_screen = None
            self.call_later(self._open_start)


# The prediction's box, keyed apart from every parameter (parameters are keyed like 'sqs.batch_size').
PREDICTION_KEY = "prediction"


def _value_entries(screen: Screen) -> dict[str, Input | Select]:
    """An exercise screen's boxes the learner types or chooses in, by parameter key."""
    from textual.widgets import Input

    from tutor.ui.widgets.exercise import ParamField

    entries: dict[str, Input | Select] = {field.spec.key: field.entry for field in screen.query(ParamField)}
    for prediction in screen.query("#prediction").results(Input):
        entries[PREDICTION_KEY] = prediction
    return entries
