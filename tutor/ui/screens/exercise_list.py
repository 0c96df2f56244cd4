"""Every workshop exercise, grouped by invocation model, each marked ✓ passed or ○ not yet.

Open it with `app.open_screen("exercises")`; enter opens the highlighted exercise. Exercises from
instructor packs come first, under each pack's title, then the built-in ones under "Built-in".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tutor.ui.widgets.exercise import exercise_mark, exercise_meta
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place
from tutor.workshop.exercises import exercise_model, exercise_problems

if TYPE_CHECKING:
    from tutor.content.course import Course, Exercise
    from tutor.ui.app import LambdaTutorApp

GROUPS = (
    ("sync", "Synchronous invocation"),
    ("async", "Asynchronous invocation"),
    ("sqs", "Event source mappings: SQS"),
    ("streams", "Event source mappings: Kinesis and DynamoDB Streams"),
    ("other", "Other"),
)
MARK_COLUMN = len("○ not yet  ")
GROUP_OF_MODEL = {"sync": "sync", "async": "async", "sqs": "sqs", "kinesis": "streams", "dynamodb": "streams"}


def grouped(exercises: Iterable[Exercise], models: dict[str, str | None]) -> list[tuple[str, list[Exercise]]]:
    by_group: dict[str, list[Exercise]] = {key: [] for key, _ in GROUPS}
    for exercise in exercises:
        by_group[GROUP_OF_MODEL.get(models.get(exercise.id) or "", "other")].append(exercise)
    return [(title, by_group[key]) for key, title in GROUPS if by_group[key]]


def sections(
    course: Course, models: dict[str, str | None]
) -> list[tuple[str, list[tuple[str, list[Exercise]]]]]:
    """(section heading, its model groups): each pack's exercises under its title, then "Built-in".
    A course of built-in exercises alone has one section without a heading ("")."""
    built_in = course.built_in_pack()
    packs = [pack for pack in course.packs if pack != built_in]
    own = {pack: [exercise for exercise in course.exercises if exercise.pack == pack] for pack in packs}
    found = [(course.pack_title(pack), grouped(own[pack], models)) for pack in packs if own[pack]]
    rest = [exercise for exercise in course.exercises if exercise.pack not in own]
    if not found:
        return [("", grouped(rest, models))]
    return [*found, *([("Built-in", grouped(rest, models))] if rest else [])]


def first_paragraph(markdown: str) -> str:
    """The brief's opening paragraph as plain words (emphasis and code marks dropped)."""
    paragraph = markdown.strip().split("\n\n", 1)[0].replace("\n", " ")
    return paragraph.replace("**", "").replace("`", "")


class ExerciseOptions(OptionList):
    """The list, with enter shown in the footer as what it does here."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "Open", id="exercises.open")]


class ExerciseListScreen(Screen):
    SCREEN_NAME = "exercises"
    HELP_TITLE = "Exercises"
    AUTO_FOCUS = "#exercise-list"
    HELP_KEYS = (("↑ / ↓", "Move through the exercises"), ("enter", "Open the highlighted exercise"))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "back", "Back to map", id="exercises.back"),
        Binding("escape", "back", "Back to map", show=False, id="exercises.back-escape"),
    ]

    app: LambdaTutorApp

    def __init__(self) -> None:
        super().__init__()
        course = self.app.course
        self.models = {exercise.id: exercise_model(exercise, course) for exercise in course.exercises}
        # A pack exercise that cannot run as written is listed, marked, and explained when opened.
        self.broken = {exercise.id for exercise in course.exercises if exercise_problems(exercise, course)}
        self.sections = sections(course, self.models)

    def compose(self) -> ComposeResult:
        yield Masthead(place("Exercises"), "")
        with Container(id="exercises-body"):
            yield ExerciseOptions(id="exercise-list")
            with VerticalScroll(id="exercise-detail", can_focus=False):
                yield Static("", id="exercise-detail-title")
                yield Static("", id="exercise-detail-meta")
                yield Static("", id="exercise-detail-brief", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_marks()

    def on_screen_resume(self) -> None:
        self.refresh_marks()

    def refresh_marks(self) -> None:
        results = self.app.store.exercise_results(self.app.profile)
        options = self.query_one(OptionList)
        highlighted = options.highlighted_option.id if options.highlighted_option is not None else None
        options.clear_options()
        for heading, groups in self.sections:
            if heading:
                options.add_option(
                    Option(Content.styled(heading, "bold underline $text-accent"), disabled=True)
                )
            for title, exercises in groups:
                options.add_option(Option(Content.styled(title, "bold $text-primary"), disabled=True))
                for exercise in exercises:
                    mark = exercise_mark(results.get(exercise.id), broken=exercise.id in self.broken)
                    # Titles line up after the usual marks; the rare "cannot run" pushes its title on.
                    shown = str(mark).ljust(MARK_COLUMN) if len(str(mark)) < MARK_COLUMN else f"{mark}  "
                    options.add_option(
                        Option(
                            Content.assemble((shown, f"$text-{mark.tone}"), exercise.title), id=exercise.id
                        )
                    )
        course_ids = [exercise.id for exercise in self.app.course.exercises]
        passed = sum(
            1 for exercise_id in course_ids if results.get(exercise_id) and results[exercise_id].passed
        )
        self.query_one(Masthead).show(right=f"{passed} / {len(course_ids)} exercises passed")
        if not course_ids:
            self.query_one("#exercise-detail-title", Static).update("No exercises in this course yet.")
            return
        target = highlighted if highlighted in course_ids else self.sections[0][1][0][1][0].id
        options.highlighted = options.get_option_index(target)
        self._describe(target)

    @on(OptionList.OptionHighlighted, "#exercise-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._describe(event.option.id)

    @on(OptionList.OptionSelected, "#exercise-list")
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            await self.app.open_screen("exercise", exercise_id=event.option.id)

    def _describe(self, exercise_id: str | None) -> None:
        exercise = next((item for item in self.app.course.exercises if item.id == exercise_id), None)
        if exercise is None:
            return
        result = self.app.store.exercise_results(self.app.profile).get(exercise.id)
        mark = exercise_mark(result, broken=exercise.id in self.broken)
        attempts = result.attempts if result else 0
        self.query_one("#exercise-detail-title", Static).update(Content.styled(exercise.title, "bold"))
        self.query_one("#exercise-detail-meta", Static).update(
            Content.assemble(
                (str(mark), f"$text-{mark.tone}"),
                f"  ·  {exercise_meta(exercise, self.app.course)}",
                f"  ·  {attempts} attempt{'s' if attempts != 1 else ''}",
            )
        )
        self.query_one("#exercise-detail-brief", Static).update(first_paragraph(exercise.brief))

    def action_back(self) -> None:
        self.app.pop_screen()
