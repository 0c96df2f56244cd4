"""Home: the course as a tree of modules and lessons, each marked with a symbol and a word."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static, Tree
from textual.widgets.tree import TreeNode

from tutor.quiz.review import due_count, utc_today
from tutor.ui.marks import LESSON_MARK_WIDTH, lesson_mark, overall_progress, quiz_mark
from tutor.ui.screens import SCREENS
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place

if TYPE_CHECKING:
    from tutor.content.course import Course, Lesson, Module
    from tutor.ui.app import LambdaTutorApp


@dataclass(frozen=True)
class NodeRef:
    # "pack": a heading row over a pack's modules (its id is the pack's folder); never a cursor stop.
    kind: Literal["pack", "module", "lesson"]
    id: str


class CourseTree(Tree[NodeRef]):
    """Labels are drawn from the learner's progress at render time, so a refresh is all it takes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open", id="map.open")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "course-tree--success",
        "course-tree--muted",
        "course-tree--warning",
    }

    def __init__(self, course: Course, **kwargs) -> None:
        super().__init__(course.title, **kwargs)
        self.show_root = False
        self.guide_depth = 3
        self.read_ids: set[str] = set()
        self.quiz_percent: dict[str, float] = {}
        self._course = course
        for pack, modules in course.sections():
            if pack is not None:
                title = course.title if pack == course.built_in_pack() else course.pack_title(pack)
                self.root.add_leaf(title, data=NodeRef("pack", str(pack)))
            for module in modules:
                branch = self.root.add(module.title, data=NodeRef("module", module.id))
                for lesson in course.lessons_in(module.id):
                    branch.add_leaf(lesson.title, data=NodeRef("lesson", lesson.id))

    def is_heading(self, line: int) -> bool:
        node = self.get_node_at_line(line)
        return node is not None and node.data is not None and node.data.kind == "pack"

    def validate_cursor_line(self, value: int) -> int:
        # A heading is passed over in the direction the cursor moves (down from the top one).
        line = super().validate_cursor_line(value)
        if not self.is_heading(line):
            return line
        upward = line < self.cursor_line and line > 0
        return super().validate_cursor_line(line - 1 if upward else line + 1)

    def show_progress(self, read_ids: set[str], quiz_percent: dict[str, float]) -> None:
        self.read_ids = read_ids
        self.quiz_percent = quiz_percent
        for line in range(self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None:
                node.refresh()
        self.refresh()

    def _fit(self, title: str, beside: int) -> str:
        """The title, cut with an ellipsis where the row would pass the tree's edge.

        The detail pane has it whole.
        """
        room = self.scrollable_content_region.width - beside
        if room <= 0 or cell_len(title) <= room:
            return title
        cut = Text(title)
        cut.truncate(room, overflow="ellipsis")
        return cut.plain

    def _tone(self, tone: str) -> Style:
        # Textual's partial component style takes `$text-muted` ("auto 60%") as white whatever the
        # background: on a light theme "not started" came out white on pale grey (1.2:1). Here the
        # automatic colour is picked against the tree's own background, then blended onto it.
        styles = self.get_component_styles(f"course-tree--{tone}")
        background = self.background_colors[1]
        color = background.get_contrast_text(styles.color.a) if styles.auto_color else styles.color
        return Style(color=(background + color).rich_color)

    def render_label(self, node: TreeNode[NodeRef], base_style: Style, style: Style) -> Text:
        ref = node.data
        if ref is None:
            return super().render_label(node, base_style, style)
        if ref.kind == "pack":
            label = Text(self._fit(str(node.label), 0), style=Style(bold=True, underline=True))
            label.stylize(base_style)
            return label
        if ref.kind == "lesson":
            mark = lesson_mark(ref.id in self.read_ids)
            marked = str(mark).ljust(LESSON_MARK_WIDTH + 2)
            label = Text.assemble(
                (marked, self._tone(mark.tone)), self._fit(str(node.label), self.guide_depth + len(marked))
            )
            label.stylize(style)
            return label
        lessons = self._course.lessons_in(ref.id)
        read = sum(1 for lesson in lessons if lesson.id in self.read_ids)
        quiz = quiz_mark(self.quiz_percent.get(ref.id))
        expander = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        count = f"  {read}/{len(lessons)} read" if lessons else "  no lessons yet"
        quiz_text = f"  {quiz}" if ref.id in self.quiz_percent else ""
        label = Text.assemble(
            (expander, base_style),
            (self._fit(str(node.label), cell_len(expander + count + quiz_text)), Style(bold=True)),
            (count, self._tone("muted")),
        )
        if quiz_text:
            label.append(quiz_text, self._tone(quiz.tone))
        label.stylize(style)
        return label


class CourseMapScreen(Screen):
    AUTO_FOCUS = "#course-tree"
    SCREEN_NAME = "map"
    HELP_TITLE = "Course map"
    HELP_KEYS = (
        ("↑ / ↓", "Move through modules and lessons"),
        ("enter", "Open the lesson, or fold / unfold the module"),
        ("space", "Fold or unfold a module"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        # One key: the footer says Start before any lesson was opened, as the button does.
        Binding("c", "start_course", "Start", tooltip="Open the first lesson", id="map.start"),
        Binding(
            "c",
            "continue_course",
            "Continue",
            tooltip="Reopen the lesson you were reading",
            id="map.continue",
        ),
        Binding("z", "quiz", "Quiz", tooltip="Take the highlighted module's quiz", id="map.quiz"),
        Binding("r", "review", "Review", tooltip="Answer the questions due for review", id="map.review"),
        # The places bar shows these, so the footer need not.
        Binding("l", "open_place('lab')", "Lab: the three models side by side", show=False, id="map.lab"),
        Binding("x", "open_place('exercises')", "Workshop exercises", show=False, id="map.exercises"),
        Binding("s", "open_place('catalogue')", "Services catalogue", show=False, id="map.services"),
        Binding("q", "app.quit", "Quit", show=False, id="map.quit"),
    ]
    # The places bar: (screen name, key, label); each appears when the course has something for it.
    PLACES: ClassVar[list[tuple[str, str, str]]] = [
        ("lab", "l", "Lab"),
        ("exercises", "x", "Exercises"),
        ("catalogue", "s", "Services"),
    ]

    app: LambdaTutorApp
    has_history = False  # a lesson was opened before: "Continue" rather than "Start"

    def __init__(self, *, covered: bool = False, **kwargs) -> None:
        """`covered`: another screen goes on top at once (`lambda-tutor lab`, `quiz`, a lesson). The
        map then builds its tree and details only when it is first uncovered, so the screen on top
        does not wait for them before its first frame."""
        super().__init__(**kwargs)
        self.covered = covered
        self.filled = False

    def compose(self) -> ComposeResult:
        if not self.covered:
            yield from self._parts()

    def _parts(self) -> list[Widget]:
        course = self.app.course
        places = [
            Button(self._place_label("z", "Quiz"), id="place-quiz", compact=True),
            Button(self._place_label("r", "Review"), id="place-review", compact=True),
            *(
                Button(self._place_label(key, label), id=f"place-{name}", compact=True)
                for name, key, label in self.PLACES
            ),
        ]
        detail = VerticalScroll(
            *(Static("", id=f"detail-{part}") for part in ("module", "summary", "state", "lesson")),
            id="map-detail",
            can_focus=False,
        )
        return [
            Masthead(place(course.title), id="masthead"),
            Horizontal(
                Button("▶ Start", id="continue", compact=True),
                Static("", id="continue-hint"),
                Horizontal(*places, id="places"),
                id="continue-bar",
            ),
            Container(CourseTree(course, id="course-tree"), detail, id="map-body"),
            Footer(),
        ]

    def on_mount(self) -> None:
        if not self.covered:
            self._show_where_the_learner_is()

    def _show_where_the_learner_is(self) -> None:
        self.filled = True
        tree = self.query_one(CourseTree)
        self.refresh_progress()
        # Open the module the learner is in, so the map starts where they left off.
        target = self.continue_target()
        for branch in tree.root.children:
            if target is not None and branch.data == NodeRef("module", target.module):
                branch.expand()
                tree.move_cursor(branch)
                break
        else:
            tree.cursor_line = 0

    async def on_screen_resume(self) -> None:
        if self.covered:
            # The first resume is the map's own push, before the screen on top of it arrives.
            self.covered = False
            return
        if not self.filled:
            await self.mount_all(self._parts())
            self._show_where_the_learner_is()
            self.query_one(CourseTree).focus()
            return
        self.refresh_progress()

    # What the learner sees of their progress -------------------------------------------------

    def refresh_progress(self) -> None:
        if not self.filled:
            return  # still covered: it is drawn when first uncovered
        app = self.app
        course = app.course
        read_ids = app.store.read_lessons(app.profile) & set(course.lessons)
        best = app.store.quiz_best(app.profile)
        quiz_percent = {module_id: float(score.percent) for module_id, score in best.items()}
        tree = self.query_one(CourseTree)
        tree.show_progress(read_ids, quiz_percent)
        masthead = self.query_one(Masthead)
        masthead.show(right=overall_progress(len(read_ids), len(course.lessons)))
        self._show_continue(self.continue_target())
        self._show_places()
        if tree.cursor_node is not None:
            self._describe(tree.cursor_node.data)
        self.refresh_bindings()

    @staticmethod
    def _place_label(key: str, label: str) -> Content:
        return Content.assemble((key, "bold $text-accent"), f" {label}")

    def due_reviews(self) -> int:
        return due_count(self.app.course, self.app.store, self.app.profile, utc_today())

    def _show_places(self) -> None:
        self.due = self.due_reviews() if self.app.course.questions else 0
        review = self.query_one("#place-review", Button)
        review.display = self.due > 0
        review.label = self._place_label("r", f"Review · {self.due} due")
        self.query_one("#place-quiz", Button).display = bool(self.app.course.questions)
        for name, _, _ in self.PLACES:
            self.query_one(f"#place-{name}", Button).display = self.place_available(name)

    def place_available(self, name: str) -> bool:
        course = self.app.course
        needs = {"exercises": course.exercises, "catalogue": course.services}
        return name in SCREENS and bool(needs.get(name, True))

    def highlighted_module(self) -> str | None:
        if not self.filled:
            return None
        node = self.query_one(CourseTree).cursor_node
        if node is None or node.data is None:
            return None
        ref = node.data
        return self.app.course.lesson(ref.id).module if ref.kind == "lesson" else ref.id

    def module_has_quiz(self, module_id: str | None) -> bool:
        return any(question.module == module_id for question in self.app.course.questions)

    def continue_target(self) -> Lesson | None:
        """The last lesson opened, else the first unread one, else the first."""
        course = self.app.course
        last = self.app.store.last_lesson(self.app.profile)
        if last in course.lessons:
            return course.lesson(last)
        read = self.query_one(CourseTree).read_ids
        in_order = [lesson for module in course.ordered_modules() for lesson in course.lessons_in(module.id)]
        for lesson in in_order:
            if lesson.id not in read:
                return lesson
        return next(iter(in_order), None)

    def _show_continue(self, target: Lesson | None) -> None:
        button = self.query_one("#continue", Button)
        hint = self.query_one("#continue-hint", Static)
        if target is None:
            button.label = "No lessons yet"
            button.disabled = True
            hint.update("")
            return
        has_history = self.app.store.last_lesson(self.app.profile) in self.app.course.lessons
        if has_history != self.has_history:
            self.has_history = has_history
            self.refresh_bindings()
        button.label = "▶ Continue" if has_history else "▶ Start"
        # A squeezed bar took the button's columns before the hint's: at 80 columns, with a long
        # lesson title beside it, "▶ Continue" showed as "▶". The label (and its padding) is its floor.
        button.styles.min_width = cell_len(str(button.label)) + 2
        button.disabled = False
        module = self.app.course.module(target.module)
        hint.update(Content.assemble(target.title, (f" · {module.title}", "$text-muted")))

    def _describe(self, ref: NodeRef | None) -> None:
        if ref is None:
            return
        course = self.app.course
        tree = self.query_one(CourseTree)
        lesson = course.lesson(ref.id) if ref.kind == "lesson" else None
        module = course.module(lesson.module if lesson else ref.id)
        self.query_one("#detail-module", Static).update(self._module_heading(module))
        self.query_one("#detail-summary", Static).update(module.summary)
        lessons = course.lessons_in(module.id)
        read = sum(1 for item in lessons if item.id in tree.read_ids)
        has_quiz = self.module_has_quiz(module.id)
        if has_quiz or module.id in tree.quiz_percent:
            percent = tree.quiz_percent.get(module.id)
            quiz = quiz_mark(percent)
            kept = self.app.store.kept_quiz(self.app.profile, module.id) if has_quiz else None
            hint = "  (z takes it)" if has_quiz else ""
            state = (str(quiz), f"$text-{quiz.tone}")
            if kept is not None:
                # A quiz left part-way is not "not taken": say where it stands (beside a past best).
                under_way = f"in progress: question {len(kept.answers) + 1} of {len(kept.question_ids)}"
                hint = "  (z resumes it)"
                state = (f"quiz {under_way}" if percent is None else f"{quiz} · another {under_way}", "")
            quiz_line = Content.assemble(state, (hint, "$text-muted"))
        else:
            quiz_line = Content.styled("no quiz in this module", "$text-muted")
        self.query_one("#detail-state", Static).update(
            Content.assemble(
                ("Lessons  ", "$text-muted"),
                f"{read} of {len(lessons)} read\n",
                ("Quiz     ", "$text-muted"),
                quiz_line,
            )
        )
        detail_lesson = self.query_one("#detail-lesson", Static)
        detail_lesson.display = lesson is not None
        if lesson is not None:
            mark = lesson_mark(lesson.id in tree.read_ids)
            lines = [Content.styled(lesson.title, "bold"), Content.styled(str(mark), f"$text-{mark.tone}")]
            lines += [Content(f"• {objective}") for objective in lesson.objectives]
            detail_lesson.update(Content("\n").join(lines))

    def _module_heading(self, module: Module) -> Content:
        number = self.app.course.ordered_modules().index(module) + 1
        return Content.assemble((f"Module {number} · ", "$text-muted"), (module.title, "bold"))

    # Actions ------------------------------------------------------------------------------------

    @on(Tree.NodeHighlighted, "#course-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        self._describe(event.node.data)
        self.refresh_bindings()  # the quiz key follows the highlighted module

    @on(Tree.NodeSelected, "#course-tree")
    async def _selected(self, event: Tree.NodeSelected[NodeRef]) -> None:
        ref = event.node.data
        if ref is not None and ref.kind == "lesson":
            await self.app.open_screen("lesson", lesson_id=ref.id)

    @on(Button.Pressed, "#continue")
    async def _continue_pressed(self) -> None:
        self._keys_back_to_tree()
        await self.action_continue_course()

    @on(Button.Pressed, "#places Button")
    async def _place_pressed(self, event: Button.Pressed) -> None:
        self._keys_back_to_tree()
        name = (event.button.id or "").removeprefix("place-")
        if name == "quiz":
            await self.action_quiz()
        elif name == "review":
            await self.action_review()
        else:
            await self.action_open_place(name)

    def _keys_back_to_tree(self) -> None:
        # A clicked button keeps the focus, so back on the map the arrows did nothing and enter
        # reopened the place: the screen gives the keys back to whatever had them when it left.
        self.query_one(CourseTree).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("start_course", "continue_course"):
            return bool(self.app.course.lessons) and self.has_history == (action == "continue_course")
        if action == "quiz":
            return self.module_has_quiz(self.highlighted_module())
        if action == "review":
            return getattr(self, "due", 0) > 0
        if action == "open_place":
            return self.place_available(str(parameters[0]))
        return True

    async def action_quiz(self) -> None:
        module_id = self.highlighted_module()
        if self.module_has_quiz(module_id):
            await self.app.open_screen("quiz", module_id=module_id)

    async def action_review(self) -> None:
        await self.app.open_screen("quiz", review=True)

    async def action_open_place(self, name: str) -> None:
        if self.place_available(name):
            await self.app.open_screen(name)

    async def action_start_course(self) -> None:
        await self.action_continue_course()

    async def action_continue_course(self) -> None:
        target = self.continue_target()
        if target is not None:
            await self.app.open_screen("lesson", lesson_id=target.id)
